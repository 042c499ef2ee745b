# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Retries, waiting for connectivity and metered networks from Python (PyGObject over the built
typelib), against the test server of tests/support as a child process, with a network monitor
written in Python (a GObject implementing Gio.Initable and Gio.NetworkMonitor)."""

import hashlib
import os
import sys
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, GObject, Gio, Ladle, Soup  # noqa: E402

import pytest  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'python'))
import ladle_test  # noqa: E402

FAILSAFE = 60 * int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))


def run_until(predicate, what):
    ladle_test.run_until(predicate, what, FAILSAFE)


def spin(milliseconds):
    deadline = time.monotonic() + milliseconds / 1000
    tick = GLib.timeout_add(10, lambda: GLib.SOURCE_CONTINUE)
    try:
        while time.monotonic() < deadline:
            GLib.MainContext.default().iteration(True)
    finally:
        GLib.source_remove(tick)


def content_sha256(variant, size):
    blocks = (size + 31) // 32
    data = b''.join(hashlib.sha256(b'ladle:%d:%d' % (variant, k)).digest() for k in range(blocks))
    return hashlib.sha256(data[:size]).hexdigest()


def file_sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


class FakeMonitor(GObject.Object, Gio.Initable, Gio.NetworkMonitor):
    """network-available and network-metered are what the test sets."""
    network_available = GObject.Property(type=bool, default=True)
    network_metered = GObject.Property(type=bool, default=False)
    connectivity = GObject.Property(type=Gio.NetworkConnectivity, default=Gio.NetworkConnectivity.FULL)

    def do_init(self, cancellable):
        return True


class Run:
    """A task's signals as letters: W will-retry, C waiting-for-connectivity, R resumed,
    T completed."""

    def __init__(self, task, veto=False, on_retry=None):
        self.task = task
        self.events = ''
        self.retries = []     # (attempt, delay_ms, why, monotonic time)
        self.resumed = []
        self.error = None
        self.done = False
        self.finished = None
        self.veto = veto
        self.on_retry = on_retry
        task.connect('will-retry', self._will_retry)
        task.connect('waiting-for-connectivity', self._waiting)
        task.connect('completed', self._completed)
        if isinstance(task, Ladle.DownloadTask):
            task.connect('resumed', self._resumed)

    def _will_retry(self, task, attempt, delay_ms, why):
        assert not self.done
        self.retries.append((attempt, delay_ms, why, time.monotonic()))
        self.events += 'W'
        if self.on_retry:
            self.on_retry()
        return not self.veto

    def _waiting(self, task):
        self.events += 'C'

    def _resumed(self, task, offset, total):
        self.resumed.append(offset)
        self.events += 'R'

    def _completed(self, task, error):
        assert not self.done
        self.error = error
        self.done = True
        self.finished = time.monotonic()
        self.events += 'T'

    def start(self):
        self.started = time.monotonic()
        self.task.resume()
        return self

    def wait(self):
        run_until(lambda: self.done, 'the task completes')
        spin(50)
        return self


def fast_policy(max_attempts):
    policy = Ladle.RetryPolicy.new_backoff(max_attempts, 20, 5000)
    policy.props.jitter = 0.0
    return policy


def make_session(policy=None, monitor=None, state=None, waits=False, connectivity_timeout=0,
                 allow_metered=True):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    if policy is not None:
        configuration.set_retry_policy(policy)
    if monitor is not None:
        configuration.props.network_monitor = monitor
    if state is not None:
        configuration.props.state_directory = state
    configuration.props.waits_for_connectivity = waits
    configuration.props.connectivity_timeout = connectivity_timeout
    configuration.props.allow_metered = allow_metered
    return Ladle.Session.new(configuration)


@pytest.fixture(scope='module')
def server():
    s = ladle_test.TestServer()
    yield s
    s.stop()


def data_task(session, server, path):
    task = session.create_data_task_for_uri(server.uri(path))
    task.set_accumulate(True)
    return task


def body_of(task):
    body = task.dup_body()
    return body.get_data() if body is not None else None


def requests_for(server, path):
    return [r for r in server.log() if r['path'] == path.split('?')[0] and r['query'] == path.split('?', 1)[1]]


def test_policy_api():
    policy = Ladle.RetryPolicy.new()
    assert policy.props.max_attempts == 4
    assert sorted(policy.dup_retried_statuses()) == [408, 429, 500, 502, 503, 504]
    policy.props.jitter = 0.0
    headers = Soup.MessageHeaders.new(Soup.MessageHeadersType.RESPONSE)
    headers.replace('Retry-After', '3')
    assert policy.next_delay_for_status(1, 'GET', 503, headers) == (True, 3000)
    assert policy.next_delay_for_status(2, 'GET', 503, None) == (True, 2000)
    assert policy.next_delay_for_status(1, 'POST', 503, None)[0] is False
    reset = GLib.Error.new_literal(Gio.io_error_quark(), 'reset', Gio.IOErrorEnum.CONNECTION_CLOSED)
    assert policy.next_delay_for_error(1, 'GET', reset) == (True, 1000)
    policy.set_retried_statuses([500])
    assert policy.dup_retried_statuses() == [500]
    assert not policy.retries_status(503)
    policy.props.retried_errors = Ladle.RetryErrors.TIMEOUT | Ladle.RetryErrors.UNREACHABLE
    assert policy.copy().props.retried_errors == Ladle.RetryErrors.TIMEOUT | Ladle.RetryErrors.UNREACHABLE

    background = Ladle.SessionConfiguration.new_background('python-net')
    assert background.props.waits_for_connectivity
    assert background.dup_retry_policy().props.max_attempts == 5
    default = Ladle.SessionConfiguration.new_default()
    assert not default.props.waits_for_connectivity
    assert default.dup_retry_policy() is None
    assert default.props.retry_policy is None


def test_retry_after_seconds(server):
    session = make_session(fast_policy(4))
    task = data_task(session, server, '/flaky?fail=2&retry-after=1&key=py-seconds')
    run = Run(task).start().wait()

    assert run.error is None
    assert run.events == 'WWT'
    assert task.props.status_code == 200
    assert body_of(task) == b'ok'
    assert [(a, d) for a, d, _, _ in run.retries] == [(2, 1000), (3, 1000)]
    why = run.retries[0][2]
    assert why.matches(Ladle.error_quark(), Ladle.Error.RETRIED_STATUS)
    assert '503' in why.message
    assert run.retries[1][3] - run.retries[0][3] >= 0.99
    assert run.finished - run.retries[1][3] >= 0.99
    assert len(requests_for(server, '/flaky?fail=2&retry-after=1&key=py-seconds')) == 3
    metrics = task.dup_metrics()
    assert [t.get_status_code() for t in metrics.dup_transaction_list()] == [503, 503, 200]


def test_retry_after_http_date(server):
    session = make_session(fast_policy(3))
    path = '/flaky?fail=1&retry-after=date%2B3&key=py-date'
    task = data_task(session, server, path)
    run = Run(task).start().wait()

    assert run.error is None
    assert run.events == 'WT'
    delay = run.retries[0][1]
    assert 900 <= delay <= 3000
    assert run.finished - run.retries[0][3] >= delay / 1000 - 0.01
    assert len(requests_for(server, path)) == 2


def test_veto(server):
    session = make_session(fast_policy(4))
    path = '/flaky?fail=2&key=py-veto'
    task = data_task(session, server, path)
    run = Run(task, veto=True).start().wait()

    assert run.error is None
    assert run.events == 'WT'
    assert task.props.status_code == 503
    assert body_of(task) == b'flaky'
    assert len(requests_for(server, path)) == 1


def test_post_not_retried(server):
    session = make_session(fast_policy(4))
    path = '/flaky?fail=1&key=py-post'
    message = Soup.Message.new('POST', server.uri(path))
    task = session.create_upload_task_from_bytes(message, GLib.Bytes.new(b'x' * 1000))
    run = Run(task).start().wait()

    assert run.error is None
    assert run.events == 'T'
    assert task.props.status_code == 503
    assert len(requests_for(server, path)) == 1


def test_download_cut_mid_body(server, tmp_path):
    session = make_session(fast_policy(4), state=str(tmp_path / 'state'))
    path = '/resource/1000000?drop=250000&drop-range=300000&key=py-cut'
    task = session.create_download_task_for_uri(server.uri(path))
    destination = tmp_path / 'file'
    task.set_destination(Gio.File.new_for_path(str(destination)), Ladle.DestinationFlags.NONE)
    run = Run(task).start().wait()

    assert run.error is None
    assert run.events == 'WRWRT'
    assert run.resumed == [250000, 550000]
    seen = requests_for(server, path)
    assert [r['range'] for r in seen] == [None, 'bytes=250000-', 'bytes=550000-']
    assert seen[1]['if_range'] == '"v1-1000000"'
    assert file_sha256(destination) == content_sha256(1, 1000000)


def test_download_changed_etag_restarts(server, tmp_path):
    session = make_session(fast_policy(4), state=str(tmp_path / 'state'))
    path = '/resource/400000?drop=100000&changing=1&key=py-changed'
    task = session.create_download_task_for_uri(server.uri(path))
    destination = tmp_path / 'file'
    task.set_destination(Gio.File.new_for_path(str(destination)), Ladle.DestinationFlags.NONE)
    run = Run(task).start().wait()

    assert run.error is None
    assert run.events == 'WRT'
    assert run.resumed == [0]
    seen = requests_for(server, path)
    assert [r['range'] for r in seen] == [None, 'bytes=100000-']
    assert file_sha256(destination) == content_sha256(2, 400000)


def test_no_network_fails_at_once(server):
    monitor = FakeMonitor(network_available=False)
    session = make_session(monitor=monitor)
    path = '/ok?key=py-nonet'
    task = data_task(session, server, path)
    run = Run(task).start().wait()

    assert run.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NETWORK_UNREACHABLE)
    assert run.events == 'T'
    assert requests_for(server, path) == []


def test_waits_for_connectivity(server):
    monitor = FakeMonitor(network_available=False)
    session = make_session(monitor=monitor, waits=True)
    path = '/ok?key=py-waits'
    task = data_task(session, server, path)
    run = Run(task).start()
    spin(500)
    assert not run.done
    assert run.events == 'C'
    assert requests_for(server, path) == []
    assert task.props.wait_reason == Ladle.TaskWaitReason.CONNECTIVITY
    assert task.get_wait_reason() == Ladle.TaskWaitReason.CONNECTIVITY

    monitor.props.network_available = True
    run.wait()
    assert run.error is None
    assert run.events == 'CT'
    assert task.props.wait_reason == Ladle.TaskWaitReason.NONE
    assert task.props.status_code == 200
    assert len(requests_for(server, path)) == 1


def test_connectivity_timeout(server):
    monitor = FakeMonitor(network_available=False)
    session = make_session(monitor=monitor, waits=True, connectivity_timeout=1)
    path = '/ok?key=py-deadline'
    task = data_task(session, server, path)
    run = Run(task).start().wait()

    assert run.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
    assert run.events == 'CT'
    assert run.finished - run.started >= 0.99
    assert requests_for(server, path) == []


def test_metered_pauses_download(server, tmp_path):
    monitor = FakeMonitor()
    session = make_session(monitor=monitor, state=str(tmp_path / 'state'), allow_metered=False)
    path = '/resource/1000000?stall=200000&key=py-metered'
    task = session.create_download_task_for_uri(server.uri(path))
    destination = tmp_path / 'file'
    task.set_destination(Gio.File.new_for_path(str(destination)), Ladle.DestinationFlags.NONE)
    run = Run(task).start()
    run_until(lambda: task.props.bytes_received >= 200000, 'the first bytes arrive')

    monitor.props.network_metered = True
    spin(300)
    assert not run.done
    assert task.props.state == Ladle.TaskState.RUNNING
    assert len(requests_for(server, path)) == 1

    monitor.props.network_metered = False
    run.wait()
    assert run.error is None
    assert run.events == 'RT'
    assert run.resumed == [200000]
    seen = requests_for(server, path)
    assert [r['range'] for r in seen] == [None, 'bytes=200000-']
    assert file_sha256(destination) == content_sha256(1, 1000000)
