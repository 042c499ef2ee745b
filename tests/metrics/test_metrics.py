# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Task metrics from Python, against the test server of tests/support (a child process): a plain
# GET, a second GET over the reused connection, a redirect plus a Basic-auth resend, an upload's
# body bytes, a cancelled task, and the snapshot of a running task.

import os
import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Soup", "3.0")
gi.require_version("Ladle", "1")

from gi.repository import GLib, Gio, Soup, Ladle  # noqa: E402

import pytest  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from ladle_test import TestServer, flush, run_until  # noqa: E402

USER = "user"
PASSWORD = "secret"


@pytest.fixture(scope="module")
def server():
    test_server = TestServer()
    yield test_server
    test_server.stop()
    flush()


@pytest.fixture
def session():
    test_session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())
    yield test_session
    flush()


class Seen:
    """metrics-collected and completed of one task, in order."""

    def __init__(self, task):
        self.task = task
        self.events = []
        self.metrics = None
        self.state_at_metrics = None
        task.connect("metrics-collected", self._on_metrics)
        task.connect("completed", lambda task, error: self.events.append("completed"))

    def _on_metrics(self, task, metrics):
        self.events.append("metrics")
        self.metrics = metrics
        self.state_at_metrics = task.get_state()

    def run(self):
        self.task.resume()
        return self.wait()

    def wait(self):
        run_until(lambda: "completed" in self.events, "completed")
        flush()
        assert self.events == ["metrics", "completed"]
        assert self.state_at_metrics == Ladle.TaskState.COMPLETED
        assert self.task.dup_metrics() == self.metrics
        assert self.metrics.get_complete()
        assert self.metrics.props.complete
        assert self.metrics.get_end_time() >= self.metrics.get_start_time() > 0
        return self.metrics


def transactions(metrics):
    model = metrics.get_transactions()
    items = [model.get_item(i) for i in range(model.get_n_items())]
    assert len(items) == metrics.get_n_transactions()
    assert all(isinstance(t, Ladle.TransactionMetrics) for t in items)
    assert metrics.dup_transaction_list() == items
    return items


def assert_ordered(metrics, t):
    times = [t.get_fetch_start(), t.get_dns_start(), t.get_dns_end(), t.get_connect_start(),
             t.get_tls_start(), t.get_tls_end(), t.get_connect_end(), t.get_request_start(),
             t.get_response_start(), t.get_response_end()]
    present = [x for x in times if x != -1]
    assert present and present[0] == t.get_fetch_start()
    assert present == sorted(present), times
    assert present[0] >= metrics.get_start_time()
    assert present[-1] <= metrics.get_end_time()


def test_plain_get(server, session):
    uri = server.uri("/bytes/50000")
    metrics = Seen(session.create_data_task_for_uri(uri)).run()

    assert metrics.get_redirect_count() == 0
    [t] = transactions(metrics)
    assert t.get_uri() == uri
    assert t.props.uri == uri
    assert t.get_method() == "GET"
    assert t.get_status_code() == 200
    assert t.get_http_version() == Soup.HTTPVersion.HTTP_1_1
    assert t.get_network_protocol_name() == "http/1.1"
    assert not t.get_reused_connection()
    assert t.get_connect_start() > 0 and t.get_connect_end() >= t.get_connect_start()
    assert t.get_tls_start() == -1
    assert_ordered(metrics, t)
    assert t.get_response_body_bytes_after_decoding() == 50000
    assert t.get_response_body_bytes_received() == 50000
    assert 0 < t.get_request_header_bytes_sent() < 2000
    assert 0 < t.get_response_header_bytes_received() < 2000
    assert t.get_request_body_bytes_sent() == 0
    remote = t.get_remote_address()
    assert isinstance(remote, Gio.InetSocketAddress)
    assert remote.get_address().to_string() == "127.0.0.1"
    assert remote.get_port() == server.port
    date = metrics.to_date_time(t.get_request_start())
    assert date.difference(metrics.get_start_date_time()) == t.get_request_start() - metrics.get_start_time()


def test_reused_connection(server, session):
    first = transactions(Seen(session.create_data_task_for_uri(server.uri("/ok"))).run())[0]
    metrics = Seen(session.create_data_task_for_uri(server.uri("/ok"))).run()
    [second] = transactions(metrics)

    assert not first.get_reused_connection()
    assert second.get_reused_connection()
    assert second.get_connection_id() == first.get_connection_id()
    assert (second.get_dns_start(), second.get_dns_end(), second.get_connect_start(),
            second.get_connect_end()) == (-1, -1, -1, -1)
    assert second.get_request_start() > first.get_response_end()
    assert_ordered(metrics, second)


def test_redirect_then_auth(server, session):
    target = server.uri("/basic/ok")
    uri = server.uri("/redirect/302?to=" + GLib.Uri.escape_string(target, None, False))
    task = session.create_data_task_for_uri(uri)

    def on_authenticate(task, auth, retrying):
        if retrying:
            return False
        auth.authenticate(USER, PASSWORD)
        return True

    task.connect("authenticate", on_authenticate)
    metrics = Seen(task).run()

    assert task.get_status_code() == 200
    assert metrics.get_redirect_count() == 1
    items = transactions(metrics)
    assert [(t.get_method(), t.get_status_code(), t.get_uri()) for t in items] == [
        ("GET", 302, uri), ("GET", 401, target), ("GET", 200, target)]
    for t in items:
        assert_ordered(metrics, t)
    fetches = [t.get_fetch_start() for t in items]
    assert fetches == sorted(fetches)
    # the resend after the 401 goes over the 401's connection
    assert items[2].get_reused_connection()
    assert items[2].get_connection_id() == items[1].get_connection_id()


def test_upload_body_bytes(server, session):
    body = bytes(range(256)) * 1024  # 256 KiB: Ladle writes it to the connection itself
    msg = Soup.Message.new("POST", server.uri("/upload"))
    task = session.create_upload_task_from_bytes(msg, GLib.Bytes.new(body))
    metrics = Seen(task).run()

    assert task.get_status_code() == 200
    [t] = transactions(metrics)
    assert t.get_method() == "POST"
    assert t.get_request_body_bytes_before_encoding() == len(body)
    assert t.get_request_body_bytes_sent() == len(body)
    assert t.get_request_end() >= t.get_request_start() > 0


def test_cancelled(server, session):
    task = session.create_data_task_for_uri(server.uri("/stall"))
    seen = Seen(task)

    snapshot = task.dup_metrics()
    assert not snapshot.get_complete()
    assert snapshot.get_end_time() == -1
    assert transactions(snapshot) == []

    task.resume()
    run_until(lambda: len(transactions(task.dup_metrics())) == 1 and
              transactions(task.dup_metrics())[0].get_request_start() > 0, "the request was written")
    task.cancel()
    assert seen.events == []
    metrics = seen.wait()

    assert task.get_error().matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    [t] = transactions(metrics)
    assert t.get_status_code() == 0
    assert t.get_response_start() == -1 and t.get_response_end() == -1
    assert_ordered(metrics, t)
