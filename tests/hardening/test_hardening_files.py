# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The hardening rules through the bindings, end to end, against the test server run as a child
process: one partial file one task (across two processes), crash recovery, partial directories
cleaned up, credentials kept to their origin, resume data without credentials, and no unbounded
waits. hardening_child.py is the second process."""

import gc
import hashlib
import json
import os
import select
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import quote

# A $TMPDIR of this process's own, before GLib first reads it: the cleanup cases count the
# private partial directories there, which the other tests of the area must not add to.
_TMP = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'hardening-files-py-%d' % os.getpid())
os.makedirs(_TMP, mode=0o700, exist_ok=True)
os.environ['TMPDIR'] = _TMP

import gi  # noqa: E402

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Gio, Ladle, Soup  # noqa: E402

import pytest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'python'))
import ladle_test  # noqa: E402
from ladle_test import flush, run_until  # noqa: E402

SIZE = 2000000
STALL = 100000
MULTIPLIER = int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))


# Content and files

def content(variant, size):
    blocks = (size + 31) // 32
    data = b''.join(hashlib.sha256(b'ladle:%d:%d' % (variant, k)).digest() for k in range(blocks))
    return data[:size]


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def file_sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def listing(path):
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []


def set_age(path, seconds):
    when = time.time() - seconds
    os.utime(path, (when, when), follow_symlinks=False)


def spin(milliseconds):
    deadline = GLib.get_monotonic_time() + milliseconds * 1000
    tick = GLib.timeout_add(10, lambda: GLib.SOURCE_CONTINUE)
    try:
        while GLib.get_monotonic_time() < deadline:
            GLib.MainContext.default().iteration(True)
    finally:
        GLib.source_remove(tick)


def error_is(error, code):
    return (error is not None and error.domain == GLib.quark_to_string(Ladle.error_quark())
            and error.code == int(code))


def io_error_is(error, code):
    return error is not None and error.matches(Gio.io_error_quark(), code)


# Resume data, read and written the way a foreign program would: a little-endian a{sv}

def parse_resume_data(data):
    variant = GLib.Variant.new_from_bytes(GLib.VariantType.new('a{sv}'), data, False)
    if sys.byteorder == 'big':
        variant = variant.byteswap()
    return variant.unpack()


def build_resume_data(fields):
    types = {'format': 's', 'version': 'u', 'url': 's', 'method': 's', 'headers': 'a(ss)',
             'partial-file': 's', 'bytes-received': 't', 'expected-total': 'x', 'etag': 's'}
    variant = GLib.Variant('a{sv}', {k: GLib.Variant(types[k], v) for k, v in fields.items()})
    if sys.byteorder == 'big':
        variant = variant.byteswap()
    return variant.get_data_as_bytes()


# Sessions and tasks

def make_configuration(state_dir=None):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    if state_dir is not None:
        configuration.set_state_directory(state_dir)
    return configuration


def make_session(state_dir=None):
    return Ladle.Session.new(make_configuration(state_dir))


class Recorder:
    """Records a task's completion (and pauses it producing resume data)."""

    def __init__(self, task):
        self.task = task
        self.session = task.dup_session()
        self.error = None
        self.n_completed = 0
        self.n_response = 0
        self.resumed = []
        self.done = False
        self.resume_data = None
        self.resume_cb_called = False
        self.pause_requested = False
        self.ids = [task.connect('completed', self._on_completed),
                    task.connect('response', self._on_response)]
        if isinstance(task, Ladle.DownloadTask):
            self.ids.append(task.connect('resumed', lambda t, o, n: self.resumed.append((o, n))))
        self.session_id = self.session.connect('task-completed', self._on_task_completed)

    def _on_completed(self, task, error):
        self.n_completed += 1
        self.error = error

    def _on_response(self, task, message):
        self.n_response += 1
        return Ladle.ResponseDisposition.ALLOW

    def _on_task_completed(self, session, task, error):
        if task == self.task:
            self.done = True

    def pause(self):
        self.pause_requested = True

        def callback(task, result):
            self.resume_data = task.cancel_producing_resume_data_finish(result)
            self.resume_cb_called = True

        self.task.cancel_producing_resume_data_async(GLib.PRIORITY_DEFAULT, None, callback)

    def wait(self):
        run_until(lambda: self.done and (not self.pause_requested or self.resume_cb_called),
                  'the task completing')
        flush()
        assert self.n_completed == 1
        self.disconnect()
        return self

    def disconnect(self):
        for handler in self.ids:
            self.task.disconnect(handler)
        self.ids = []
        if self.session_id:
            self.session.disconnect(self.session_id)
            self.session_id = 0
        self.session = None


def run(task):
    recorder = Recorder(task)
    task.resume()
    return recorder.wait()


def wait_for_bytes(task, count):
    run_until(lambda: task.get_state() == Ladle.TaskState.COMPLETED or task.get_bytes_received() >= count,
              'the first %d bytes' % count)
    assert task.get_state() == Ladle.TaskState.RUNNING
    assert task.get_bytes_received() == count


def hold(task):
    """Resumes task and suspends it in its first download-progress: it then holds its file."""
    state = {'suspended': False}

    def on_progress(task, received_now, total_received, total_expected):
        if not state['suspended']:
            state['suspended'] = True
            task.suspend()

    handler = task.connect('download-progress', on_progress)
    task.resume()
    run_until(lambda: state['suspended'], 'the first download-progress')
    task.disconnect(handler)
    assert task.get_state() == Ladle.TaskState.SUSPENDED
    spin(200)


@pytest.fixture(scope='module')
def server():
    s = ladle_test.TestServer()
    yield s
    s.stop()


@pytest.fixture
def state_dir(tmp_path):
    path = tmp_path / 'state'
    path.mkdir()
    return str(path)


@pytest.fixture
def out_dir(tmp_path):
    path = tmp_path / 'out'
    path.mkdir()
    return str(path)


@pytest.fixture
def session(state_dir):
    configuration = make_configuration(state_dir)
    # this session never sweeps: the sweep cases control theirs
    configuration.set_partial_file_max_age(0)
    s = Ladle.Session.new(configuration)
    yield s
    s.invalidate_and_cancel()
    flush()


def downloads(state_dir):
    return os.path.join(state_dir, 'downloads')


def pause_after_stall(server, session, state_dir, size=SIZE, stall=STALL):
    task = session.create_download_task_for_uri(server.uri('/resource/%d?stall=%d' % (size, stall)))
    recorder = Recorder(task)
    task.resume()
    wait_for_bytes(task, stall)
    recorder.pause()
    recorder.wait()
    assert io_error_is(recorder.error, Gio.IOErrorEnum.CANCELLED)
    fields = parse_resume_data(recorder.resume_data)
    assert fields['bytes-received'] == stall
    partial = os.path.join(downloads(state_dir), fields['partial-file'])
    assert os.path.getsize(partial) == stall
    return recorder.resume_data, partial


def resume_to_end(server, session, resume_data, out_dir, offset, size=SIZE, request=None):
    if request is None:
        task = session.create_download_task_from_resume_data(resume_data)
    else:
        task = session.create_download_task_from_resume_data_with_request(resume_data, request)
    destination = os.path.join(out_dir, 'resumed.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    recorder = run(task)
    assert recorder.error is None, recorder.error
    assert recorder.resumed == [(offset, size)]
    assert server.log()[-1]['range'] == 'bytes=%d-' % offset
    assert file_sha256(destination) == sha256_of(content(1, size))
    os.unlink(destination)


# Child processes

class Child:
    def __init__(self, *args):
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, 'hardening_child.py')] + list(args),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=os.environ)

    def read_line(self, seconds=60 * MULTIPLIER):
        """The next line; the main context runs meanwhile."""
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.01)
            if ready:
                return self.process.stdout.readline().decode().strip()
            GLib.MainContext.default().iteration(False)
        raise AssertionError('failsafe: no line from the child process')

    def write_line(self, line):
        self.process.stdin.write(line.encode() + b'\n')
        self.process.stdin.flush()

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def children():
    spawned = []

    def spawn(*args):
        child = Child(*args)
        spawned.append(child)
        return child

    yield spawn
    for child in spawned:
        child.close()


def assert_in_use(server, session, resume_data, partial, out_dir):
    """A task from resume_data while another one holds its file: LADLE_ERROR_PARTIAL_FILE
    "in use by another task", at creation or at once, without a request."""
    n_requests = len(server.log())
    before = file_sha256(partial)
    destination = os.path.join(out_dir, 'second.bin')
    try:
        task = session.create_download_task_from_resume_data(resume_data)
    except GLib.Error as e:
        error = e
    else:
        task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
        recorder = run(task)
        assert recorder.n_response == 0
        error = recorder.error
    assert error_is(error, Ladle.Error.PARTIAL_FILE), error
    assert 'in use by another task' in error.message
    assert len(server.log()) == n_requests
    assert not os.path.exists(destination)
    assert file_sha256(partial) == before


# 4. One partial file, one task

def test_lock_other_process_holds(server, session, state_dir, out_dir, children, tmp_path):
    resume_data, partial = pause_after_stall(server, session, state_dir)
    resume_file = tmp_path / 'resume-data'
    resume_file.write_bytes(resume_data.get_data())
    destination = os.path.join(out_dir, 'from-child.bin')

    child = children('resume', state_dir, str(resume_file), destination)
    assert child.read_line() == 'holding'
    assert_in_use(server, session, resume_data, partial, out_dir)
    # the first failure did not free the file
    assert_in_use(server, session, resume_data, partial, out_dir)

    child.write_line('go')
    report = json.loads(child.read_line())
    assert report['error'] is None
    assert report['sha256'] == sha256_of(content(1, SIZE))
    assert server.log()[-1]['range'] == 'bytes=%d-' % STALL
    assert listing(downloads(state_dir)) == []


def test_lock_this_process_holds(server, session, state_dir, out_dir, children, tmp_path):
    resume_data, partial = pause_after_stall(server, session, state_dir)
    resume_file = tmp_path / 'resume-data'
    resume_file.write_bytes(resume_data.get_data())
    destination = os.path.join(out_dir, 'first.bin')
    child_destination = os.path.join(out_dir, 'from-child.bin')

    task = session.create_download_task_from_resume_data(resume_data)
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    recorder = Recorder(task)
    hold(task)
    n_requests = len(server.log())
    before = file_sha256(partial)

    child = children('resume', state_dir, str(resume_file), child_destination)
    report = json.loads(child.read_line())
    error = report.get('create_error') or report.get('error')
    assert error is not None, report
    assert error[0] == 'ladle-error-quark' and error[1] == int(Ladle.Error.PARTIAL_FILE), report
    assert 'in use by another task' in error[2]
    assert len(server.log()) == n_requests
    assert not os.path.exists(child_destination)
    assert file_sha256(partial) == before

    task.resume()
    recorder.wait()
    assert recorder.error is None
    assert file_sha256(destination) == sha256_of(content(1, SIZE))


def test_lock_same_and_other_session_then_free_after_cancel(server, session, state_dir, out_dir):
    resume_data, partial = pause_after_stall(server, session, state_dir)
    other = make_session(state_dir)
    task = session.create_download_task_from_resume_data(resume_data)
    recorder = Recorder(task)
    hold(task)
    assert_in_use(server, session, resume_data, partial, out_dir)
    assert_in_use(server, other, resume_data, partial, out_dir)

    # cancelled producing resume data: the file is free for a new task
    recorder.pause()
    recorder.wait()
    offset = parse_resume_data(recorder.resume_data)['bytes-received']
    assert offset > STALL
    resume_to_end(server, other, recorder.resume_data, out_dir, offset)
    other.invalidate_and_cancel()


@pytest.mark.parametrize('change', ['append', 'truncate'])
def test_size_checked_at_the_end(server, session, state_dir, out_dir, change):
    resume_data, partial = pause_after_stall(server, session, state_dir)
    task = session.create_download_task_from_resume_data(resume_data)
    destination = os.path.join(out_dir, 'never.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    recorder = Recorder(task)
    hold(task)
    # another process changes the file while the task holds it
    if change == 'append':
        with open(partial, 'ab') as f:
            f.write(b'\xa5' * (3 * SIZE))
    else:
        os.truncate(partial, 1000)
    task.resume()
    recorder.wait()
    assert error_is(recorder.error, Ladle.Error.PARTIAL_FILE), recorder.error
    assert not os.path.exists(destination)


# 5. Crash recovery

@pytest.mark.parametrize('extra', ['garbage', 'real-bytes'])
def test_longer_partial_file_is_cut_back(server, session, state_dir, out_dir, extra):
    resume_data, partial = pause_after_stall(server, session, state_dir)
    with open(partial, 'ab') as f:
        f.write(b'\x00garbage' * 1000 if extra == 'garbage' else content(1, SIZE)[STALL:STALL + 300000])
    assert os.path.getsize(partial) > STALL
    resume_to_end(server, session, resume_data, out_dir, STALL)
    assert listing(downloads(state_dir)) == []


@pytest.mark.parametrize('damage', ['shorter', 'symlink'])
def test_bad_partial_file_is_refused_at_creation(server, session, state_dir, out_dir, damage):
    resume_data, partial = pause_after_stall(server, session, state_dir)
    target = os.path.join(out_dir, 'target.bin')
    if damage == 'shorter':
        os.truncate(partial, STALL - 1)
    else:
        os.rename(partial, target)
        with open(target, 'ab') as f:
            f.write(b'x' * 5000)
        os.symlink(target, partial)
    with pytest.raises(GLib.Error) as info:
        session.create_download_task_from_resume_data(resume_data)
    assert error_is(info.value, Ladle.Error.PARTIAL_FILE)
    if damage == 'shorter':
        assert os.path.getsize(partial) == STALL - 1
    else:
        assert os.path.getsize(target) == STALL + 5000
        assert os.path.islink(partial)


# 6. Partial files cleaned up

def private_directories():
    found = []
    for name in listing(GLib.get_tmp_dir()):
        if name.startswith('ladle-'):
            try:
                uuid.UUID(name[len('ladle-'):])
            except ValueError:
                continue
            found.append(name)
    return found


def test_ephemeral_session_private_directory(server, out_dir):
    assert GLib.get_tmp_dir() == _TMP
    before = private_directories()
    ephemeral = make_session()
    task = ephemeral.create_download_task_for_uri(server.uri('/resource/%d?stall=%d' % (SIZE, STALL)))
    recorder = Recorder(task)
    task.resume()
    wait_for_bytes(task, STALL)
    recorder.pause()
    recorder.wait()
    name = parse_resume_data(recorder.resume_data)['partial-file']
    resume_data = recorder.resume_data

    new = [d for d in private_directories() if d not in before]
    assert len(new) == 1
    directory = os.path.join(GLib.get_tmp_dir(), new[0])
    assert stat.S_IMODE(os.lstat(directory).st_mode) == 0o700
    assert os.path.getsize(os.path.join(directory, name)) == STALL
    state_home = os.path.join(GLib.get_user_state_dir(), 'ladle', GLib.get_prgname() or '', 'downloads', name)
    assert not os.path.exists(state_home)

    # the last references go
    del task, recorder
    ephemeral = None
    gc.collect()
    run_until(lambda: not os.path.exists(directory), 'the private directory being removed')
    assert private_directories() == before
    with pytest.raises(GLib.Error) as info:
        make_session().create_download_task_from_resume_data(resume_data)
    assert error_is(info.value, Ladle.Error.PARTIAL_FILE)


def test_ephemeral_session_with_state_directory_keeps(server, state_dir, out_dir):
    before = private_directories()
    configuration = make_configuration(state_dir)
    ephemeral = Ladle.Session.new(configuration)
    resume_data, partial = pause_after_stall(server, ephemeral, state_dir)
    ephemeral = None
    gc.collect()
    spin(100)
    assert os.path.getsize(partial) == STALL
    assert private_directories() == before
    later = make_session(state_dir)
    resume_to_end(server, later, resume_data, out_dir, STALL)
    later.invalidate_and_cancel()


def default_session(state_dir, max_age=None):
    configuration = Ladle.SessionConfiguration.new_default()
    configuration.set_state_directory(state_dir)
    if max_age is not None:
        configuration.set_partial_file_max_age(max_age)
    return Ladle.Session.new(configuration)


def make_file(directory, name, age):
    path = os.path.join(directory, name)
    with open(path, 'wb') as f:
        f.write(b'partial')
    set_age(path, age)
    return path


DAY = 24 * 3600


def test_sweep(tmp_path, out_dir, children):
    assert Ladle.SessionConfiguration.new_default().get_partial_file_max_age() == 604800
    state = str(tmp_path / 'app')
    directory = os.path.join(state, 'downloads')
    os.makedirs(directory)
    old = make_file(directory, 'old.part', 8 * DAY)
    make_file(directory, 'young.part', 6 * DAY)
    make_file(directory, 'notes.txt', 80 * DAY)
    target = make_file(out_dir, 'target.part', 80 * DAY)
    os.symlink(target, os.path.join(directory, 'link.part'))
    set_age(os.path.join(directory, 'link.part'), 80 * DAY)
    locked = make_file(directory, 'locked.part', 80 * DAY)
    child = children('flock', locked)
    assert child.read_line() == 'locked'

    swept = default_session(state)
    run_until(lambda: not os.path.exists(old), 'the sweep removing old.part')
    spin(300)
    assert listing(directory) == ['link.part', 'locked.part', 'notes.txt', 'young.part']
    assert os.path.exists(target)
    swept.invalidate_and_cancel()


def test_sweep_disabled_and_custom_max_age(tmp_path):
    state = str(tmp_path / 'app')
    directory = os.path.join(state, 'downloads')
    os.makedirs(directory)
    ancient = make_file(directory, 'ancient.part', 800 * DAY)
    disabled = default_session(state, 0)
    spin(500)
    assert os.path.exists(ancient)
    disabled.invalidate_and_cancel()

    make_file(directory, 'stale.part', 2 * 3600)
    make_file(directory, 'fresh.part', 1800)
    hourly = default_session(state, 3600)
    run_until(lambda: listing(directory) == ['fresh.part'], lambda: 'the sweep (left %s)' % listing(directory))
    spin(300)
    assert listing(directory) == ['fresh.part']
    hourly.invalidate_and_cancel()


# 7. Credentials never cross origins

def credential_session():
    configuration = make_configuration()
    configuration.set_header('Authorization', 'Bearer session-token')
    configuration.set_header('Proxy-Authorization', 'Basic c2Vzc2lvbg==')
    configuration.set_header('Cookie', 'session=secret')
    configuration.set_header('X-Api-Key', 'session-key')
    configuration.set_header_sensitive('x-api-key', True)
    configuration.set_header_sensitive('X-Request-Key', True)
    configuration.set_header('X-Plain', 'plain')
    return Ladle.Session.new(configuration)


def headers_of(entry):
    return {name.lower(): value for name, value in entry['headers'].items()}


SESSION_SECRETS = {'authorization': 'Bearer session-token', 'proxy-authorization': 'Basic c2Vzc2lvbg==',
                   'cookie': 'session=secret', 'x-api-key': 'session-key'}


def redirect(server, host, target):
    return 'http://%s:%d/redirect?to=%s' % (host, server.port, quote(target, safe=''))


@pytest.mark.parametrize('hop', ['other-host', 'other-port', 'same-origin', 'away-and-back'])
def test_session_credentials_stay_home(server, hop):
    other = ladle_test.TestServer() if hop == 'other-port' else None
    try:
        server.log(clear=True)
        home = server.uri('/headers')
        final = {
            'other-host': 'http://localhost:%d/headers' % server.port,
            'other-port': other.uri('/headers') if other else None,
            'same-origin': home,
            'away-and-back': redirect(server, 'localhost', home),
        }[hop]
        session = credential_session()
        task = session.create_data_task_for_uri(redirect(server, '127.0.0.1', final))
        recorder = run(task)
        assert recorder.error is None
        assert task.get_status_code() == 200
        log = server.log(clear=True)
        first = headers_of(log[0])
        assert all(first.get(k) == v for k, v in SESSION_SECRETS.items()), first
        hops = [headers_of(e) for e in log[1:]] + ([headers_of(e) for e in other.log()] if other else [])
        expect_secrets = {'other-host': [False], 'other-port': [False], 'same-origin': [True],
                          'away-and-back': [False, True]}[hop]
        assert len(hops) == len(expect_secrets)
        for headers, secrets in zip(hops, expect_secrets):
            assert headers.get('x-plain') == 'plain'
            for name, value in SESSION_SECRETS.items():
                assert headers.get(name) == (value if secrets else None), (name, headers)
        session.invalidate_and_cancel()
    finally:
        if other:
            other.stop()


@pytest.mark.parametrize('kind', ['data', 'download'])
def test_request_credentials_stay_home(server, kind):
    server.log(clear=True)
    session = credential_session()
    final = 'http://localhost:%d/%s' % (server.port, 'headers' if kind == 'data' else 'resource/5000')
    message = Soup.Message.new('GET', redirect(server, '127.0.0.1', final))
    headers = message.get_request_headers()
    headers.append('authorization', 'Bearer request-token')
    headers.append('Cookie', 'request=secret')
    headers.append('X-REQUEST-KEY', 'request-key')
    headers.append('X-Request-Plain', 'kept')
    task = session.create_data_task(message) if kind == 'data' else session.create_download_task(message)
    recorder = run(task)
    assert recorder.error is None
    log = server.log(clear=True)
    assert len(log) == 2
    first, second = headers_of(log[0]), headers_of(log[1])
    assert first['authorization'] == 'Bearer request-token'
    assert first['x-request-key'] == 'request-key'
    assert second['host'].startswith('localhost:')
    for name in ('authorization', 'cookie', 'x-request-key', 'x-api-key', 'proxy-authorization'):
        assert name not in second, (name, second)
    assert second['x-request-plain'] == 'kept'
    session.invalidate_and_cancel()


def test_sensitive_names():
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    for name in ('Authorization', 'proxy-authorization', 'COOKIE'):
        assert configuration.get_header_sensitive(name)
        configuration.set_header_sensitive(name, False)
        assert configuration.get_header_sensitive(name)
    assert not configuration.get_header_sensitive('X-Api-Key')
    configuration.set_header_sensitive('X-Api-Key', True)
    assert configuration.get_header_sensitive('x-API-key')
    assert not configuration.get_header_sensitive('Set-Cookie')


class CookieServer:
    """A socket server on 127.0.0.1 (the test server's host, another port) that sets jar=2."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(('127.0.0.1', 0))
        self.socket.listen(4)
        self.port = self.socket.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        connection, _ = self.socket.accept()
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = connection.recv(4096)
            if not chunk:
                break
            data += chunk
        connection.sendall(b'HTTP/1.1 200 OK\r\nSet-Cookie: jar=2; Path=/\r\nContent-Length: 2\r\n'
                           b'Connection: close\r\n\r\nok')
        connection.close()

    def close(self):
        self.socket.close()
        self.thread.join(timeout=5)


def test_app_cookie_merged_with_jar(server):
    session = make_session()
    cookie_server = CookieServer()
    try:
        recorder = run(session.create_data_task_for_uri('http://127.0.0.1:%d/set' % cookie_server.port))
        assert recorder.error is None
    finally:
        cookie_server.close()

    server.log(clear=True)
    message = Soup.Message.new('GET', server.uri('/headers'))
    message.get_request_headers().append('Cookie', 'app=1')
    task = session.create_data_task(message)
    recorder = run(task)
    assert recorder.error is None
    assert headers_of(server.log(clear=True)[0])['cookie'] == 'app=1; jar=2'

    # neither goes to another host
    message = Soup.Message.new('GET', redirect(server, '127.0.0.1', 'http://localhost:%d/headers' % server.port))
    message.get_request_headers().append('Cookie', 'app=1')
    recorder = run(session.create_data_task(message))
    assert recorder.error is None
    log = server.log(clear=True)
    assert headers_of(log[0])['cookie'] == 'app=1; jar=2'
    assert 'cookie' not in headers_of(log[1])
    session.invalidate_and_cancel()


# 8. Resume data holds no credentials

def test_resume_data_holds_no_credentials(server, state_dir):
    configuration = make_configuration(state_dir)
    configuration.set_header('X-Api-Key', 'session-key')
    configuration.set_header_sensitive('X-Api-Key', True)
    configuration.set_header_sensitive('X-Request-Key', True)
    session = Ladle.Session.new(configuration)
    message = Soup.Message.new('GET', server.uri('/resource/800000?stall=80000'))
    headers = message.get_request_headers()
    headers.append('Authorization', 'Bearer request-secret')
    headers.append('cookie', 'c=cookie-secret')
    headers.append('Proxy-Authorization', 'Basic proxy-secret')
    headers.append('X-Request-Key', 'key-secret')
    headers.append('X-Request-Plain', 'kept')
    task = session.create_download_task(message)
    recorder = Recorder(task)
    task.resume()
    wait_for_bytes(task, 80000)
    assert headers_of(server.log()[-1])['x-api-key'] == 'session-key'
    recorder.pause()
    recorder.wait()
    names = [name.lower() for name, value in parse_resume_data(recorder.resume_data)['headers']]
    assert 'x-request-plain' in names
    for name in ('authorization', 'cookie', 'proxy-authorization', 'x-request-key', 'x-api-key'):
        assert name not in names
    raw = bytes(recorder.resume_data.get_data())
    assert b'secret' not in raw and b'session-key' not in raw
    session.invalidate_and_cancel()


REFUSED_HEADERS = ['Host', 'Authorization', 'cookie', 'Proxy-Authorization', 'Connection',
                   'Transfer-Encoding', 'Content-Length', 'Range']


@pytest.mark.parametrize('header,method', [(h, 'GET') for h in REFUSED_HEADERS] +
                         [(None, m) for m in ('POST', 'PUT', 'HEAD', 'get')] + [(None, 'GET')])
def test_resume_data_refused(server, session, state_dir, header, method):
    os.makedirs(downloads(state_dir), exist_ok=True)
    with open(os.path.join(downloads(state_dir), 'good.part'), 'wb') as f:
        f.write(content(1, 1000))
    headers = [('Accept', '*/*')] + ([(header, 'bytes=0-')] if header else [])
    data = build_resume_data({
        'format': 'org.gnome.Ladle.ResumeData', 'version': 1, 'url': server.uri('/resource/5000'),
        'method': method, 'headers': headers, 'partial-file': 'good.part', 'bytes-received': 1000,
        'expected-total': 5000, 'etag': '"v1-5000"'})
    if header is None and method == 'GET':
        # the control: ordinary resume data loads
        assert isinstance(session.create_download_task_from_resume_data(data), Ladle.DownloadTask)
        return
    with pytest.raises(GLib.Error) as info:
        session.create_download_task_from_resume_data(data)
    assert error_is(info.value, Ladle.Error.INVALID_RESUME_DATA)


@pytest.mark.parametrize('resource', ['same', 'other'])
def test_resume_with_a_fresh_request(server, session, state_dir, out_dir, resource):
    resume_data, partial = pause_after_stall(server, session, state_dir)
    size = SIZE if resource == 'same' else 1500000
    message = Soup.Message.new('GET', server.uri('/resource/%d?token=fresh' % size))
    message.get_request_headers().append('Authorization', 'Bearer fresh-token')
    task = session.create_download_task_from_resume_data_with_request(resume_data, message)
    destination = os.path.join(out_dir, 'fresh.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    recorder = run(task)
    assert recorder.error is None
    sent = server.log()[-1]
    assert sent['query'] == 'token=fresh'
    assert sent['range'] == 'bytes=%d-' % STALL
    assert headers_of(sent)['authorization'] == 'Bearer fresh-token'
    assert sent['status'] == (206 if resource == 'same' else 200)
    assert recorder.resumed == [(STALL if resource == 'same' else 0, size)]
    assert file_sha256(destination) == sha256_of(content(1, size))
    assert listing(downloads(state_dir)) == []


@pytest.mark.parametrize('method', ['POST', 'PUT', 'HEAD'])
def test_resume_with_a_request_that_is_not_get(server, session, state_dir, out_dir, method):
    resume_data, partial = pause_after_stall(server, session, state_dir)
    with pytest.raises(GLib.Error) as info:
        session.create_download_task_from_resume_data_with_request(
            resume_data, Soup.Message.new(method, server.uri('/resource/%d' % SIZE)))
    assert error_is(info.value, Ladle.Error.INVALID_REQUEST)
    assert os.path.getsize(partial) == STALL


# 10. No unbounded waits

def slow_session(limit, seconds):
    configuration = make_configuration()
    configuration.set_low_speed_limit(limit)
    configuration.set_low_speed_time(seconds)
    # libsoup's own idle timeout cannot be what fails these tasks
    configuration.set_timeout(600)
    return Ladle.Session.new(configuration)


def test_low_speed_defaults():
    for configuration in (Ladle.SessionConfiguration.new_default(), Ladle.SessionConfiguration.new_ephemeral()):
        assert configuration.get_low_speed_limit() == 16
        assert configuration.get_low_speed_time() == 60
        assert configuration.props.low_speed_limit == 16


def assert_timed_out(recorder, started):
    elapsed = time.monotonic() - started
    assert io_error_is(recorder.error, Gio.IOErrorEnum.TIMED_OUT), recorder.error
    assert 0.9 <= elapsed < 10 * MULTIPLIER


def test_low_speed_body(server):
    session = slow_session(1000, 1)
    task = session.create_data_task_for_uri(server.uri('/slow?chunks=200&size=10&interval=200'))
    started = time.monotonic()
    recorder = run(task)
    assert_timed_out(recorder, started)
    assert recorder.n_response == 1
    session.invalidate_and_cancel()


class DripServer:
    """Answers one connection one byte every 200 ms, headers first."""

    RESPONSE = (b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Padding: ' + b'a' * 200 +
                b'\r\nContent-Length: 2\r\n\r\nok')

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(('127.0.0.1', 0))
        self.socket.listen(1)
        self.port = self.socket.getsockname()[1]
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            connection, _ = self.socket.accept()
        except OSError:
            return
        with connection:
            for i in range(len(self.RESPONSE)):
                if self.stop.wait(0.2):
                    return
                try:
                    connection.sendall(self.RESPONSE[i:i + 1])
                except OSError:
                    return
                self.sent += 1

    def close(self):
        self.stop.set()
        self.socket.close()
        self.thread.join(timeout=5)


def test_low_speed_headers():
    session = slow_session(1000, 1)
    drip = DripServer()
    try:
        task = session.create_data_task_for_uri('http://127.0.0.1:%d/drip' % drip.port)
        started = time.monotonic()
        recorder = run(task)
        assert_timed_out(recorder, started)
        assert recorder.n_response == 0
        assert 0 < drip.sent < len(DripServer.RESPONSE)
    finally:
        drip.close()
    session.invalidate_and_cancel()


def test_suspended_time_does_not_count(server):
    session = slow_session(1000, 1)
    task = session.create_data_task_for_uri(server.uri('/slow?chunks=20&size=8192&interval=20&length=1'))
    recorder = Recorder(task)
    received = []

    def on_data(task, chunk):
        received.append(chunk.get_size())
        if len(received) == 1:
            task.suspend()

    task.connect('data-received', on_data)
    task.resume()
    run_until(lambda: received, 'the first chunk')
    spin(3000)
    assert task.get_state() == Ladle.TaskState.SUSPENDED
    task.resume()
    recorder.wait()
    assert recorder.error is None
    assert sum(received) == 20 * 8192
    session.invalidate_and_cancel()


def test_total_timeout_keeps_resume_data(server, session, state_dir, out_dir):
    task = session.create_download_task_for_uri(server.uri('/resource/%d?stall=%d' % (SIZE, STALL)))
    assert task.get_total_timeout() == 0
    task.set_total_timeout(1)
    assert task.props.total_timeout == 1
    started = time.monotonic()
    recorder = run(task)
    assert_timed_out(recorder, started)
    resume_data = task.dup_resume_data()
    assert resume_data is not None
    assert parse_resume_data(resume_data)['bytes-received'] == STALL
    resume_to_end(server, session, resume_data, out_dir, STALL)
