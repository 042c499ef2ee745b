# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Fixtures for the Python tests: the test server of tests/support as a child process
# ($LADLE_TEST_SERVER, the same server the C tests run in-process), a recorder of every signal of
# a task, and a helper that iterates the main context until something happens (with a failsafe).

import hashlib

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Ladle", "1")

from gi.repository import GLib, Gio, Ladle  # noqa: E402

import pytest  # noqa: E402

import ladle_test  # noqa: E402
from ladle_test import FAILSAFE_SECONDS, flush, run_until  # noqa: E402,F401 (re-exported)

_MASK = (1 << 64) - 1


def _content_block(index):
    # splitmix64 of the 8-byte block index, as tests/support/ladle-test-content.c
    x = (index + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def content(offset, length):
    """Deterministic, non-periodic test content: byte i of every body is content(0, n)[i] (the
    bytes of ladle_test_content_new)."""
    first_block = offset // 8
    last_block = (offset + length + 7) // 8
    data = b"".join(_content_block(block).to_bytes(8, "little") for block in range(first_block, last_block))
    start = offset - first_block * 8
    return data[start : start + length]


def checksum(data):
    return hashlib.sha256(bytes(data)).hexdigest()


def spin(milliseconds):
    """Runs the main context for a while (never an assertion on time)."""
    state = {"done": False}

    def on_timeout():
        state["done"] = True
        return GLib.SOURCE_REMOVE

    GLib.timeout_add(milliseconds, on_timeout)
    context = GLib.MainContext.default()
    while not state["done"]:
        context.iteration(True)


class TestServer(ladle_test.TestServer):
    def close(self):
        self.stop()
        flush()


class Recorder:
    """Writes down every signal of one task, one letter per event:
    R response, D data-received, P download-progress, C completed, T the session's task-completed.
    """

    def __init__(self, task):
        self.task = task
        self.session = task.dup_session()
        self.events = ""
        self.states = ""
        self.data = bytearray()
        self.progress = []
        self.error = None
        self.session_error = None
        self.n_completed = 0
        self.n_chunks = 0
        self.disposition = Ladle.ResponseDisposition.ALLOW
        self.cancel_on_chunk = 0
        self.suspend_on_chunk = 0
        self.suspended = False
        self.status_at_response = None
        self.done = False
        self._handlers = [
            task.connect("response", self._on_response),
            task.connect("download-progress", self._on_progress),
            task.connect("completed", self._on_completed),
            task.connect("notify::state", self._on_state),
        ]
        if isinstance(task, Ladle.DataTask):
            self._handlers.append(task.connect("data-received", self._on_data))
        self._session_handler = self.session.connect("task-completed", self._on_task_completed)

    _STATE_LETTERS = {
        Ladle.TaskState.SUSPENDED: "S",
        Ladle.TaskState.RUNNING: "R",
        Ladle.TaskState.CANCELING: "X",
        Ladle.TaskState.COMPLETED: "C",
    }

    def _on_response(self, task, message):
        self.events += "R"
        self.status_at_response = task.get_status_code()
        return self.disposition

    def _on_data(self, task, chunk):
        self.events += "D"
        self.data += chunk.get_data()
        self.n_chunks += 1
        if self.n_chunks == self.cancel_on_chunk:
            task.cancel()
        if self.n_chunks == self.suspend_on_chunk:
            self.suspended = True
            task.suspend()

    def _on_progress(self, task, received_now, total_received, total_expected):
        self.events += "P"
        self.progress.append((received_now, total_received, total_expected))

    def _on_completed(self, task, error):
        self.events += "C"
        self.n_completed += 1
        self.error = error

    def _on_state(self, task, pspec):
        self.states += self._STATE_LETTERS[task.get_state()]

    def _on_task_completed(self, session, task, error):
        if task != self.task:
            return
        self.events += "T"
        self.session_error = error
        self.done = True

    def wait(self):
        run_until(lambda: self.done or self.n_completed > 0,
                  lambda: f"completed (events so far {self.events!r}, states {self.states!r})")
        # the session's task-completed follows completed before the main loop is idle
        flush()
        assert self.done, (f"task-completed did not follow completed: events {self.events!r}, "
                           f"error {self.error}")
        events = self.events
        flush()
        # nothing follows task-completed, and completed came exactly once
        assert self.events == events
        assert self.n_completed == 1
        assert self.task.get_state() == Ladle.TaskState.COMPLETED
        self.disconnect()
        return self

    def disconnect(self):
        for handler in self._handlers:
            self.task.disconnect(handler)
        self._handlers = []
        if self._session_handler:
            self.session.disconnect(self._session_handler)
            self._session_handler = 0

    def assert_progress(self, expected_total, final_received):
        total = 0
        for received_now, total_received, total_expected in self.progress:
            assert received_now >= 0
            assert total_received == total + received_now
            assert total_expected == expected_total
            total = total_received
        if final_received is not None:
            assert self.progress, "no download-progress at all"
            assert total == final_received


@pytest.fixture
def server():
    test_server = TestServer()
    yield test_server
    test_server.close()


@pytest.fixture
def session():
    test_session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())
    yield test_session
    flush()


@pytest.fixture
def raw_server():
    """Factory of byte-exact servers: each connection gets its request head read, then exactly
    `response`, then the connection is closed. With `response` None the server never answers."""
    servers = []

    def make(response):
        raw = RawServer(response)
        servers.append(raw)
        return raw

    yield make
    for raw in servers:
        raw.close()


class RawServer:
    def __init__(self, response):
        self.response = response
        self.service = Gio.SocketService()
        self.cancellable = Gio.Cancellable()
        address = Gio.InetSocketAddress.new(Gio.InetAddress.new_loopback(Gio.SocketFamily.IPV4), 0)
        ok, effective = self.service.add_address(address, Gio.SocketType.STREAM, Gio.SocketProtocol.TCP, None)
        assert ok
        self.port = effective.get_port()
        self.connections = []
        self.service.connect("incoming", self._on_incoming)
        self.service.start()

    def uri(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.service.stop()
        self.service.close()
        self.cancellable.cancel()
        flush()
        for connection in self.connections:
            connection.close(None)

    def _on_incoming(self, service, connection, source):
        self.connections.append(connection)
        head = bytearray()
        pending = {"data": self.response}
        input_stream = connection.get_input_stream()
        output_stream = connection.get_output_stream()

        def write_more():
            output_stream.write_bytes_async(GLib.Bytes.new(pending["data"]), GLib.PRIORITY_DEFAULT,
                                            self.cancellable, on_written)

        def on_written(stream, result):
            try:
                written = stream.write_bytes_finish(result)
            except GLib.Error:
                return
            pending["data"] = pending["data"][written:]
            if pending["data"]:
                write_more()
            else:
                connection.close(None)

        def on_read(stream, result):
            try:
                data = stream.read_bytes_finish(result).get_data()
            except GLib.Error:
                return
            if not data:
                connection.close(None)
                return
            head.extend(data)
            if b"\r\n\r\n" not in head:
                stream.read_bytes_async(4096, GLib.PRIORITY_DEFAULT, self.cancellable, on_read)
                return
            if self.response is None:
                # accept, read the request, never answer
                return
            write_more()

        input_stream.read_bytes_async(4096, GLib.PRIORITY_DEFAULT, self.cancellable, on_read)
        return True
