# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Ladle.DataTask from Python: signal order, bodies and checksums, HTTP errors, cancellation,
# suspension, truncation, timeouts.

import re

from gi.repository import GLib, Gio, Ladle

import pytest

from conftest import Recorder, checksum, content, run_until, spin


def start(session, uri, **settings):
    task = session.create_data_task_for_uri(uri)
    assert isinstance(task, Ladle.DataTask)
    recorder = Recorder(task)
    for name, value in settings.items():
        setattr(recorder, name, value)
    task.resume()
    return task, recorder


def assert_events(recorder, pattern):
    assert re.fullmatch(pattern, recorder.events), f"events {recorder.events!r} do not match {pattern!r}"


def assert_error(error, domain, code):
    assert error is not None, "the task succeeded"
    assert error.matches(domain, code), f"{error.domain} {error.code}: {error.message}"


def test_success_signal_order(server, session):
    task, recorder = start(session, server.uri("/bytes/100000"))
    assert task.get_state() == Ladle.TaskState.RUNNING
    recorder.wait()

    assert recorder.error is None
    assert recorder.session_error is None
    assert task.get_error() is None
    assert_events(recorder, "R[DP]+CT")
    assert recorder.states == "RC"
    assert recorder.status_at_response == 200
    assert task.get_status_code() == 200
    assert task.get_response_headers().get_content_length() == 100000

    expected = checksum(content(0, 100000))
    assert len(recorder.data) == 100000
    assert checksum(recorder.data) == expected
    body = task.dup_body()
    assert body.get_size() == 100000
    assert checksum(body.get_data()) == expected

    recorder.assert_progress(100000, 100000)
    assert task.get_bytes_received() == 100000
    assert task.get_bytes_expected_to_receive() == 100000
    assert session.get_n_items() == 0


def test_chunked_total_unknown(server, session):
    task, recorder = start(session, server.uri("/chunked/200000"))
    recorder.wait()

    assert recorder.error is None
    assert_events(recorder, "R[DP]+CT")
    assert checksum(recorder.data) == checksum(content(0, 200000))
    recorder.assert_progress(-1, None)
    assert task.get_bytes_expected_to_receive() == -1


@pytest.mark.parametrize("code", [404, 500])
def test_http_error_status_is_not_an_error(server, session, code):
    task, recorder = start(session, server.uri(f"/status/{code}"))
    recorder.wait()

    assert recorder.error is None
    assert_events(recorder, "R[DP]+CT")
    assert task.get_status_code() == code
    assert bytes(recorder.data) == f"status {code}".encode()
    assert task.dup_body().get_data() == f"status {code}".encode()


def test_no_accumulate(server, session):
    task = session.create_data_task_for_uri(server.uri("/bytes/50000"))
    task.set_accumulate(False)
    recorder = Recorder(task)
    task.resume()
    recorder.wait()

    assert recorder.error is None
    assert checksum(recorder.data) == checksum(content(0, 50000))
    assert task.dup_body() is None


def test_response_cancel(server, session):
    task, recorder = start(session, server.uri("/bytes/100000"),
                           disposition=Ladle.ResponseDisposition.CANCEL)
    recorder.wait()

    assert_error(recorder.error, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert_events(recorder, "RP*CT")
    assert recorder.n_chunks == 0
    assert recorder.states.endswith("XC")


def test_cancel_mid_body(server, session):
    task, recorder = start(session, server.uri("/slow?chunks=1000&size=1000&interval=10"),
                           cancel_on_chunk=1)
    recorder.wait()

    assert_error(recorder.error, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert recorder.error.domain == GLib.quark_to_string(Gio.io_error_quark())
    assert recorder.n_chunks == 1
    assert recorder.states == "RXC"
    assert bytes(recorder.data) == content(0, len(recorder.data))
    # the session reports the same error
    assert_error(recorder.session_error, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)


def test_cancel_suspended(server, session):
    task = session.create_data_task_for_uri(server.uri("/bytes/10"))
    recorder = Recorder(task)
    task.cancel()
    recorder.wait()

    assert_error(recorder.error, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert_events(recorder, "CT")
    assert recorder.states == "XC"
    assert server.n_requests == 0


def test_truncated_content_length(server, session):
    task, recorder = start(session, server.uri("/truncate"))
    recorder.wait()

    assert_error(recorder.error, Ladle.error_quark(), Ladle.Error.TRUNCATED_BODY)
    assert recorder.error.domain == GLib.quark_to_string(Ladle.error_quark())
    assert recorder.error.code == int(Ladle.Error.TRUNCATED_BODY)
    assert_events(recorder, "R[DP]*CT")
    assert len(recorder.data) <= 10000
    assert bytes(recorder.data) == content(0, len(recorder.data))
    assert task.get_error().matches(Ladle.error_quark(), Ladle.Error.TRUNCATED_BODY)


def chunk(offset, length, sent):
    return b"%x\r\n" % length + content(offset, sent) + (b"\r\n" if sent == length else b"")


def test_truncated_chunked_mid_chunk(raw_server, session):
    response = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk(0, 4096, 4096) + chunk(4096, 4096, 2000))
    raw = raw_server(response)
    task, recorder = start(session, raw.uri("/mid-chunk"))
    recorder.wait()

    assert_error(recorder.error, Ladle.error_quark(), Ladle.Error.TRUNCATED_BODY)
    assert bytes(recorder.data) == content(0, len(recorder.data))


def test_suspend_resume(server, session):
    length = 1048576
    task, recorder = start(session, server.uri(f"/bytes/{length}"), suspend_on_chunk=1)
    run_until(lambda: recorder.suspended, "the first data-received")
    assert task.get_state() == Ladle.TaskState.SUSPENDED

    chunks = recorder.n_chunks
    spin(300)
    assert recorder.n_chunks == chunks, "data-received while suspended"
    assert recorder.n_completed == 0

    task.resume()
    recorder.wait()
    assert recorder.error is None
    assert_events(recorder, "R[DP]+CT")
    assert recorder.states == "RSRC"
    assert checksum(recorder.data) == checksum(content(0, length))
    recorder.assert_progress(length, length)


def test_timeout(raw_server):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_timeout(1)
    session = Ladle.Session.new(configuration)
    raw = raw_server(None)

    task, recorder = start(session, raw.uri("/silent"))
    recorder.wait()
    assert_error(recorder.error, Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
    assert_events(recorder, "CT")


@pytest.mark.parametrize("uri", ["not a uri", "ftp://127.0.0.1/file"])
def test_bad_uri_completes_with_error(session, uri):
    task, recorder = start(session, uri)
    recorder.wait()

    assert recorder.error is not None
    assert not recorder.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert_events(recorder, "CT")


def test_properties(server, session):
    task = session.create_data_task_for_uri(server.uri("/bytes/10"))
    other = session.create_data_task_for_uri(server.uri("/bytes/10"))

    assert task.get_state() == Ladle.TaskState.SUSPENDED
    assert task.props.state == Ladle.TaskState.SUSPENDED
    assert other.get_identifier() > task.get_identifier()
    assert task.props.identifier == task.get_identifier()

    task.set_description("first")
    assert task.props.description == "first"
    task.props.description = "renamed"
    assert task.get_description() == "renamed"

    assert task.get_original_request().get_method() == "GET"
    assert task.get_original_request().get_uri().to_string().endswith("/bytes/10")
    assert task.props.accumulate is True
    assert task.get_bytes_expected_to_receive() == -1
    assert task.get_status_code() == 0
