# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""RESTful PUT to nginx's WebDAV module behind Basic authentication.

Each test uses a new session: libsoup caches Basic credentials per session, so the first PUT of a
session meets the 401, the ::authenticate handler answers, and Ladle sends the body again. The
file nginx stored must be byte-identical (SHA-256 of the file in nginx's DAV root), for file,
bytes and streamed bodies; nginx's log shows the 401 and then the 201 (created) or 204
(replaced). Also: refused credentials, and examples/put-file.js run as a user would."""

import hashlib
import os
import shutil
import subprocess
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')

from gi.repository import GLib, Gio, Ladle, Soup  # noqa: E402

import pytest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, '..', '..', 'examples')
FAILSAFE_SECONDS = 60 * int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))
MiB = 1024 * 1024


def random_file(path, size):
    checksum = hashlib.sha256()
    with open(path, 'wb') as f:
        remaining = size
        while remaining:
            block = os.urandom(min(remaining, 4 * MiB))
            checksum.update(block)
            f.write(block)
            remaining -= len(block)
    return checksum.hexdigest()


def sha256_file(path):
    checksum = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(4 * MiB), b''):
            checksum.update(block)
    return checksum.hexdigest()


def new_session():
    return Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())


class Put:
    def __init__(self, task, user=None, password=None, stream_data=None):
        self.task = task
        self.user = user
        self.password = password
        self.stream_data = stream_data
        self.authenticate_calls = []
        self.need_body_stream = 0
        self.progress = []
        self.errors = []
        task.connect('authenticate', self.on_authenticate)
        task.connect('upload-progress', lambda t, now, total, expected: self.progress.append((now, total, expected)))
        task.connect('completed', lambda t, error: self.errors.append(error))
        if stream_data is not None:
            task.connect('need-body-stream', self.on_need_body_stream)

    def on_authenticate(self, task, auth, retrying):
        self.authenticate_calls.append((auth.get_scheme_name(), auth.get_realm(), retrying))
        if self.user is None or retrying:
            return False
        auth.authenticate(self.user, self.password)
        return True

    def on_need_body_stream(self, task):
        self.need_body_stream += 1
        return Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(self.stream_data))

    def run(self):
        context = GLib.MainContext.default()
        state = {'timed_out': False}

        def on_timeout():
            state['timed_out'] = True
            return GLib.SOURCE_REMOVE

        source = GLib.timeout_add_seconds(FAILSAFE_SECONDS, on_timeout)
        self.task.resume()
        while not self.errors and not state['timed_out']:
            context.iteration(True)
        if not state['timed_out']:
            GLib.source_remove(source)
        assert self.errors, f'failsafe: the PUT did not complete within {FAILSAFE_SECONDS} s'
        while context.iteration(False):
            pass
        assert len(self.errors) == 1
        assert self.errors[0] is None, self.errors[0].message
        return self

    def assert_progress(self, expected_total, final):
        """Monotonic, every step adding up, ending at @final; the expected total is -1 for a
        chunked body."""
        sent = 0
        assert self.progress
        for now, total_sent, expected in self.progress:
            assert now > 0 and total_sent == sent + now and expected == expected_total
            sent = total_sent
        assert sent == final == self.task.get_bytes_sent()


def log_entries(nginx, uri, count):
    """nginx logs a request when it ends: waits (with a failsafe) for @count entries of @uri."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        entries = [e for e in nginx.access_log() if e['uri'] == uri]
        if len(entries) >= count:
            return entries
        time.sleep(0.05)
    raise AssertionError(f'nginx logged {nginx.access_log()!r}')


def test_put_file_with_basic_auth(nginx, tmp_path):
    source = tmp_path / 'upload.bin'
    size = 20 * MiB + 5
    checksum = random_file(source, size)
    nginx.clear_access_log()
    message = Soup.Message.new('PUT', nginx.url('/dav/dir/uploaded.bin'))
    put = Put(new_session().create_upload_task_from_file(message, Gio.File.new_for_path(str(source))),
              nginx.user, nginx.password).run()

    assert put.task.get_status_code() == 201
    assert put.authenticate_calls == [('Basic', 'Ladle', False)]
    stored = nginx.dav_path('dir/uploaded.bin')
    assert os.path.getsize(stored) == size
    assert sha256_file(stored) == checksum
    put.assert_progress(size, size)
    # The 401, then the PUT that nginx stored, announced with the file's exact length.
    entries = log_entries(nginx, '/dav/dir/uploaded.bin', 2)
    assert [(e['method'], e['status']) for e in entries] == [('PUT', 401), ('PUT', 201)]
    assert int(entries[1]['content_length']) == size
    assert entries[1]['request_length'] >= size
    assert entries[1]['authorization'].startswith('Basic ')


def test_put_replaces_a_file(nginx, tmp_path):
    first = tmp_path / 'first.bin'
    second = tmp_path / 'second.bin'
    random_file(first, 3 * MiB)
    checksum = random_file(second, 2 * MiB + 1)
    for source, status in ((first, 201), (second, 204)):
        message = Soup.Message.new('PUT', nginx.url('/dav/replaced.bin'))
        put = Put(new_session().create_upload_task_from_file(message, Gio.File.new_for_path(str(source))),
                  nginx.user, nginx.password).run()
        assert put.task.get_status_code() == status
    assert sha256_file(nginx.dav_path('replaced.bin')) == checksum


def test_put_bytes_with_basic_auth(nginx):
    data = os.urandom(5 * MiB + 3)
    message = Soup.Message.new('PUT', nginx.url('/dav/bytes.bin'))
    put = Put(new_session().create_upload_task_from_bytes(message, GLib.Bytes.new(data)),
              nginx.user, nginx.password).run()

    assert put.task.get_status_code() == 201
    with open(nginx.dav_path('bytes.bin'), 'rb') as f:
        assert f.read() == data
    put.assert_progress(len(data), len(data))


@pytest.mark.parametrize('chunked', [False, True], ids=['content-length', 'chunked'])
def test_put_streamed_with_basic_auth(nginx, chunked):
    data = os.urandom(4 * MiB + 11)
    name = f'streamed-{"chunked" if chunked else "length"}.bin'
    nginx.clear_access_log()
    message = Soup.Message.new('PUT', nginx.url(f'/dav/{name}'))
    if not chunked:
        message.get_request_headers().set_content_length(len(data))
    put = Put(new_session().create_upload_task_streamed(message), nginx.user, nginx.password,
              stream_data=data).run()

    assert put.task.get_status_code() == 201
    # A fresh stream for the first send and for the resend after the 401.
    assert put.need_body_stream == 2
    with open(nginx.dav_path(name), 'rb') as f:
        assert f.read() == data
    entries = log_entries(nginx, f'/dav/{name}', 2)
    assert [e['status'] for e in entries] == [401, 201]
    if not chunked:
        # (nginx fills $content_length in itself once it has read a chunked body.)
        assert entries[1]['content_length'] == str(len(data))
    put.assert_progress(-1 if chunked else len(data), len(data))


def test_put_refused_credentials(nginx, tmp_path):
    source = tmp_path / 'x.bin'
    random_file(source, 100 * 1000)
    message = Soup.Message.new('PUT', nginx.url('/dav/refused.bin'))
    put = Put(new_session().create_upload_task_from_file(message, Gio.File.new_for_path(str(source))),
              nginx.user, 'not-the-password').run()

    # Not a GError: the task completes with the 401.
    assert put.task.get_status_code() == 401
    assert put.authenticate_calls == [('Basic', 'Ladle', False), ('Basic', 'Ladle', True)]
    assert not os.path.exists(nginx.dav_path('refused.bin'))


def gjs():
    path = shutil.which('gjs')
    if path is None:
        pytest.fail('gjs is missing (tools/deps installs it)')
    return path


@pytest.mark.parametrize('password_ok', [True, False], ids=['accepted', 'refused'])
def test_example_put_file_js(nginx, tmp_path, password_ok):
    source = tmp_path / 'example.bin'
    checksum = random_file(source, 20 * MiB)
    home = tmp_path / 'home'
    home.mkdir()
    env = dict(os.environ, HOME=str(home), XDG_STATE_HOME=str(home), XDG_CACHE_HOME=str(home),
               XDG_CONFIG_HOME=str(home), XDG_DATA_HOME=str(home), G_DEBUG='fatal-criticals')
    name = f'example-{password_ok}.bin'
    result = subprocess.run([gjs(), os.path.join(EXAMPLES, 'put-file.js'), nginx.url(f'/dav/{name}'),
                             str(source), nginx.user, nginx.password if password_ok else 'wrong'],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                            timeout=FAILSAFE_SECONDS)
    lines = result.stdout.splitlines()
    assert f'sha256: {checksum}' in lines, result.stdout + result.stderr
    assert 'authenticate: Basic realm "Ladle"' in lines
    if password_ok:
        assert result.returncode == 0, result.stdout + result.stderr
        assert 'status: 201 Created' in lines
        assert f'sent: {20 * MiB}' in lines
        assert sha256_file(nginx.dav_path(name)) == checksum
    else:
        assert result.returncode == 3, result.stdout + result.stderr
        assert 'status: 401 Unauthorized' in lines
        assert not os.path.exists(nginx.dav_path(name))
