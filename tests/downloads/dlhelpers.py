# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers shared by the Python download tests and their child processes.

- content(variant, size) / content_sha256(...): the bytes the test server serves (see tests/support/ladle-test.h:
  32-byte blocks, block K of variant V is SHA-256 of "ladle:V:K").
- DlServer: the test server of tests/support as a child process (python/ladle_test.py):
  exits when its stdin closes; .uri(path), .log(clear=False).
- run_until(predicate, what): iterates the default main context, with a failsafe.
- Recorder: writes down a task's signals as letters (see test-downloads.c) and the details.
"""

import hashlib
import os
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Gio, Ladle  # noqa: E402,F401 (Gio re-exported)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'python'))
import ladle_test  # noqa: E402

FAILSAFE_SECONDS = 60 * int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))


def content(variant, size):
    blocks = (size + 31) // 32
    data = b''.join(hashlib.sha256(b'ladle:%d:%d' % (variant, k)).digest() for k in range(blocks))
    return data[:size]


def content_sha256(variant, size):
    return hashlib.sha256(content(variant, size)).hexdigest()


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def listing(path):
    """The names in a directory, sorted; [] when it does not exist."""
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []


DlServer = ladle_test.TestServer


def run_until(predicate, what, seconds=None):
    ladle_test.run_until(predicate, what, seconds or FAILSAFE_SECONDS)


def drain_main_context(limit=100):
    context = GLib.MainContext.default()
    for _ in range(limit):
        if not context.iteration(False):
            break


def make_session(state_dir, timeout=0):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_state_directory(state_dir)
    if timeout:
        configuration.set_timeout(timeout)
    return Ladle.Session.new(configuration)


class Recorder:
    """Letters: R response, S resumed, P download-progress, F finished, W session
    download-finished, C completed, T session task-completed. Runs of P are squeezed by
    .squeezed()."""

    def __init__(self, task):
        self.task = task
        self.session = task.dup_session()
        self.events = []
        self.progress = []
        self.error = None
        self.completed = 0
        self.done = False
        self.resumed = []
        self.finished_sha256 = None
        self.finished_path = None
        self.pause_requested = False
        self.resume_cb_called = False
        self.resume_data = None
        self.resume_error = None
        self.events_at_resume_cb = None
        self.ids = [
            task.connect('response', self._on_response),
            task.connect('download-progress', self._on_progress),
            task.connect('completed', self._on_completed),
        ]
        if isinstance(task, Ladle.DownloadTask):
            self.ids.append(task.connect('resumed', self._on_resumed))
            self.ids.append(task.connect('finished', self._on_finished))
        self.session_ids = [
            self.session.connect('download-finished', self._on_download_finished),
            self.session.connect('task-completed', self._on_task_completed),
        ]

    def disconnect(self):
        for handler in self.ids:
            self.task.disconnect(handler)
        for handler in self.session_ids:
            self.session.disconnect(handler)
        self.ids = []
        self.session_ids = []

    def _on_response(self, task, message):
        self.events.append('R')
        return Ladle.ResponseDisposition.ALLOW

    def _on_progress(self, task, received_now, total_received, total_expected):
        self.events.append('P')
        self.progress.append((received_now, total_received, total_expected))

    def _on_resumed(self, task, offset, total):
        self.events.append('S')
        self.resumed.append((offset, total))

    def _on_finished(self, task, location):
        self.events.append('F')
        self.finished_path = location.get_path()
        self.finished_sha256 = file_sha256(self.finished_path)

    def _on_download_finished(self, session, task, location):
        if task == self.task:
            self.events.append('W')

    def _on_completed(self, task, error):
        self.events.append('C')
        self.completed += 1
        self.error = error
        assert task.get_state() == Ladle.TaskState.COMPLETED

    def _on_task_completed(self, session, task, error):
        if task == self.task:
            self.events.append('T')
            self.done = True

    def pause(self):
        self.pause_requested = True

        def callback(task, result):
            try:
                self.resume_data = task.cancel_producing_resume_data_finish(result)
            except GLib.Error as e:
                self.resume_error = e
            self.events_at_resume_cb = ''.join(self.events)
            self.resume_cb_called = True

        self.task.cancel_producing_resume_data_async(GLib.PRIORITY_DEFAULT, None, callback)

    def wait(self):
        run_until(lambda: self.done and (not self.pause_requested or self.resume_cb_called),
                  'the task\'s completion')
        drain_main_context()
        assert self.completed == 1

    def squeezed(self):
        out = []
        for letter in self.events:
            if not (letter == 'P' and out and out[-1] == 'P'):
                out.append(letter)
        return ''.join(out)

    def assert_progress(self, first_at_least, final_received, expected_total):
        assert self.progress, 'no download-progress'
        previous = -1
        for received_now, total_received, total_expected in self.progress:
            assert received_now > 0
            assert total_received > previous
            assert total_expected == expected_total
            if expected_total >= 0:
                assert total_received <= expected_total
            previous = total_received
        assert self.progress[0][1] >= first_at_least
        assert previous == final_received


def wait_for_bytes(task, count):
    run_until(lambda: task.get_state() == Ladle.TaskState.COMPLETED or task.get_bytes_received() >= count,
              'the first %d bytes' % count)
    assert task.get_state() == Ladle.TaskState.RUNNING
    assert task.get_bytes_received() == count


def parse_resume_data(data):
    """Reads resume data the way a foreign program would: a little-endian a{sv}."""
    variant = GLib.Variant.new_from_bytes(GLib.VariantType.new('a{sv}'), data, False)
    if sys.byteorder == 'big':
        variant = variant.byteswap()
    return variant.unpack()


def build_resume_data(fields):
    """A GVariant a{sv} with the documented keys and types; a key whose value is None is left out."""
    types = {
        'format': 's', 'version': 'u', 'url': 's', 'method': 's', 'headers': 'a(ss)',
        'partial-file': 's', 'bytes-received': 't', 'expected-total': 'x', 'etag': 's',
        'last-modified': 's',
    }
    entries = {}
    for key, value in fields.items():
        if value is None:
            continue
        entries[key] = GLib.Variant(types.get(key, 's'), value)
    variant = GLib.Variant('a{sv}', entries)
    if sys.byteorder == 'big':
        variant = variant.byteswap()
    return variant.get_data_as_bytes()


def error_is(error, code):
    return (error is not None and error.domain == GLib.quark_to_string(Ladle.error_quark())
            and error.code == int(code))
