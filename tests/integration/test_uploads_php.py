# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Multipart uploads to PHP's built-in server, a multipart parser nobody here wrote.

PHP's upload.php (tests/integration/servers.py) reports what PHP parsed: $_POST and, for every
file, its field, name, type, size and the md5 of the file PHP stored. Every field, file name,
size and md5 must be what the Ladle.MultipartForm sent; the Content-Length PHP saw must be the
form's. Also: the example examples/upload-form.py against PHP, and a 307 from nginx to PHP
(another origin) that makes Ladle send the whole form again."""

import hashlib
import json
import os
import subprocess
import sys
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')

from gi.repository import GLib, Gio, Ladle, Soup  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, '..', '..', 'examples')
FAILSAFE_SECONDS = 60 * int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))
MiB = 1024 * 1024


def content(seed, size):
    out = bytearray()
    block = hashlib.sha256(b'ladle-upload-php-%d' % seed).digest()
    while len(out) < size:
        block = hashlib.sha512(block).digest()
        out += block * 64
    return bytes(out[:size])


def md5(data):
    return hashlib.md5(data).hexdigest()


def new_session():
    # A new session for every test: nothing (connections, credentials) carries over.
    return Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())


class Upload:
    """Runs an upload task to completion and records its signals."""

    def __init__(self, task):
        self.task = task
        self.progress = []
        self.redirects = []
        self.errors = []
        task.connect('upload-progress', lambda t, now, total, expected: self.progress.append((now, total, expected)))
        task.connect('redirect', self.on_redirect)
        task.connect('completed', lambda t, error: self.errors.append(error))

    def on_redirect(self, task, new_request):
        self.redirects.append(new_request.get_uri().to_string())
        return True

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
        assert self.errors, f'failsafe: the upload did not complete within {FAILSAFE_SECONDS} s'
        while context.iteration(False):
            pass
        assert len(self.errors) == 1
        assert self.errors[0] is None, self.errors[0].message
        return self

    def report(self):
        body = self.task.dup_body()
        return json.loads(bytes(body.get_data()).decode())

    def assert_progress(self, total):
        sent = 0
        assert self.progress
        for now, total_sent, expected in self.progress:
            assert now > 0 and total_sent == sent + now and expected == total
            sent = total_sent
        assert sent == total


def two_files_form(tmp_path, first_size=3 * MiB + 17, second_lines=5000):
    first = tmp_path / 'photo.jpg'
    second = tmp_path / 'notes.txt'
    first_data = content(1, first_size)
    second_data = ('Ladle → PHP, “quotes” and ünïcödé\n' * second_lines).encode()
    first.write_bytes(first_data)
    second.write_bytes(second_data)

    form = Ladle.MultipartForm.new()
    form.append_text('title', 'Two files and some fields')
    form.append_text('description', 'ünïcödé, "quotes" and\r\nline breaks in a value')
    form.append_text('empty', '')
    form.append_file('first', Gio.File.new_for_path(str(first)), None, 'image/jpeg', None)
    form.append_file('second', Gio.File.new_for_path(str(second)), 'renamed notes.txt', None, None)
    expected_post = {
        'title': 'Two files and some fields',
        'description': 'ünïcödé, "quotes" and\r\nline breaks in a value',
        'empty': '',
    }
    expected_files = [
        {'field': 'first', 'name': 'photo.jpg', 'type': 'image/jpeg', 'size': len(first_data),
         'md5': md5(first_data), 'error': 0},
        {'field': 'second', 'name': 'renamed notes.txt', 'type': 'text/plain', 'size': len(second_data),
         'md5': md5(second_data), 'error': 0},
    ]
    return form, expected_post, expected_files


def test_two_files_and_fields(php_server, tmp_path):
    form, expected_post, expected_files = two_files_form(tmp_path)
    session = new_session()
    message = Soup.Message.new('POST', php_server.url('/upload'))
    upload = Upload(session.create_upload_task_from_form(message, form)).run()

    assert upload.task.get_status_code() == 200
    report = upload.report()
    assert report['method'] == 'POST'
    assert report['content_type'] == form.get_content_type()
    assert report['content_length'] == form.get_content_length()
    assert report['post'] == expected_post
    assert report['files'] == expected_files
    upload.assert_progress(form.get_content_length())


def test_every_kind_of_part(php_server, tmp_path):
    """Bytes and stream parts, and array fields as PHP names them (name[])."""
    stream_data = content(2, 1 * MiB + 3)
    bytes_data = content(3, 100 * 1000)
    calls = []

    def factory():
        calls.append(1)
        return Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(stream_data))

    form = Ladle.MultipartForm.new()
    form.append_text('tags[]', 'one')
    form.append_text('tags[]', 'two')
    form.append_bytes('blob', 'blob.bin', 'application/octet-stream', GLib.Bytes.new(bytes_data))
    form.append_stream('stream', 'stream.dat', 'application/x-ladle', len(stream_data), factory)
    session = new_session()
    message = Soup.Message.new('POST', php_server.url('/upload'))
    upload = Upload(session.create_upload_task_from_form(message, form)).run()

    report = upload.report()
    assert report['post'] == {'tags': ['one', 'two']}
    assert report['files'] == [
        {'field': 'blob', 'name': 'blob.bin', 'type': 'application/octet-stream', 'size': len(bytes_data),
         'md5': md5(bytes_data), 'error': 0},
        {'field': 'stream', 'name': 'stream.dat', 'type': 'application/x-ladle', 'size': len(stream_data),
         'md5': md5(stream_data), 'error': 0},
    ]
    assert len(calls) == 1


def test_307_to_another_origin_resends_the_form(nginx, php_server, tmp_path):
    """nginx answers 307 with PHP's URL (another port: another origin); Ladle sends the whole
    form again, with the same bytes, to PHP."""
    # Under nginx's default client_max_body_size (1 MiB), which the harness keeps on /redirect-to/:
    # a larger body gets a 413 there.
    form, expected_post, expected_files = two_files_form(tmp_path, 600 * 1000 + 1, 2000)
    assert form.get_content_length() < MiB
    nginx.clear_access_log()
    target = php_server.url('/after-redirect')
    session = new_session()
    # nginx puts $arg_to in the Location as it is: ':' and '/' need no escaping in a query.
    message = Soup.Message.new('POST', nginx.url('/redirect-to/307?to=' + target))
    upload = Upload(session.create_upload_task_from_form(message, form)).run()

    assert upload.redirects == [target]
    assert upload.task.get_status_code() == 200
    report = upload.report()
    assert report['uri'] == '/after-redirect'
    assert report['post'] == expected_post
    assert report['files'] == expected_files
    # The first request announced the same form (nginx answers a 307 without reading the body).
    deadline = time.monotonic() + 30
    while not nginx.access_log() and time.monotonic() < deadline:
        time.sleep(0.05)
    entry = nginx.access_log()[0]
    assert entry['status'] == 307
    assert entry['method'] == 'POST'
    assert int(entry['content_length']) == form.get_content_length()
    assert entry['content_type'] == form.get_content_type()


def test_example_upload_form_py(php_server, tmp_path):
    """examples/upload-form.py, run as a user would, against PHP."""
    first = tmp_path / 'data.bin'
    first.write_bytes(content(4, 2 * MiB))
    second = tmp_path / 'readme.txt'
    second.write_bytes(b'hello from the example\n')
    home = tmp_path / 'home'
    home.mkdir()
    env = dict(os.environ, HOME=str(home), XDG_STATE_HOME=str(home), XDG_CACHE_HOME=str(home),
               XDG_CONFIG_HOME=str(home), XDG_DATA_HOME=str(home), G_DEBUG='fatal-criticals')
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, 'upload-form.py'),
                             '--name', 'files[]', '--field', 'kind=example',
                             php_server.url('/example'), str(first), str(second)],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                            timeout=FAILSAFE_SECONDS)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert 'status: 200 OK' in lines
    size = int(lines[0].split(': ')[1])
    assert f'sent: {size}' in lines
    report = json.loads(result.stdout[result.stdout.index('{'):])
    assert report['content_length'] == size
    assert report['post'] == {'kind': 'example'}
    assert [(f['field'], f['name'], f['size'], f['md5']) for f in report['files']] == [
        ('files[0]', 'data.bin', first.stat().st_size, md5(first.read_bytes())),
        ('files[1]', 'readme.txt', second.stat().st_size, md5(second.read_bytes())),
    ]
