# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The hardening rules through the bindings (PyGObject over the built typelib): strict
Content-Length, checked Content-Range, strong-validator resume, request methods that are tokens,
LadleDataTask:max-body-size, and format characters in file names. Byte-exact broken responses
come from RawServer (a socket server in a thread of this process), the rest from the test server
of tests/support as a child process. Every check is on what a user sees: GError domain and code,
the signals in order, bytes, SHA-256 of files, directory listings."""

import hashlib
import os
import socket
import sys
import threading
import unicodedata
import zlib
from urllib.parse import quote

import gi
import pytest

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Gio, Ladle, Soup  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'python'))
import ladle_test  # noqa: E402
from ladle_test import flush, run_until  # noqa: E402

SIZE = 5000
OFFSET = 1000
ETAG = '"v1-5000"'
DATE = 'Mon, 01 Jan 2024 01:00:00 GMT'  # variant 1 of the test server


# Content ###################################################################################

def variant_content(variant, size):
    """The bytes of /resource/SIZE: 32-byte blocks, block K of variant V is SHA-256 of "ladle:V:K"."""
    blocks = (size + 31) // 32
    return b''.join(hashlib.sha256(b'ladle:%d:%d' % (variant, k)).digest() for k in range(blocks))[:size]


def sha256(data):
    return hashlib.sha256(bytes(data)).hexdigest()


def file_sha256(path):
    with open(path, 'rb') as f:
        return sha256(f.read())


def listing(path):
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []


def chunked(data, size=1000, terminated=True):
    out = b''.join(b'%x\r\n' % len(data[i:i + size]) + data[i:i + size] + b'\r\n'
                   for i in range(0, len(data), size))
    return out + (b'0\r\n\r\n' if terminated else b'')


def error_is(error, code):
    return error is not None and error.matches(Ladle.error_quark(), code)


# Servers ###################################################################################

class RawServer:
    """A socket server on 127.0.0.1 in its own thread: for each connection it reads the request
    head, writes `response` exactly, then closes (or, with stall=True, keeps the connection open
    and silent). Counts connections and request heads."""

    def __init__(self, response, stall=False):
        self.response = response
        self.stall = stall
        self.n_connections = 0
        self.heads = []
        self.open = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def uri(self, path):
        return f'http://127.0.0.1:{self.port}{path}'

    def _serve(self):
        while self.running:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.n_connections += 1
                self.open.append(connection)
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection):
        head = b''
        try:
            while b'\r\n\r\n' not in head:
                data = connection.recv(4096)
                if not data:
                    return
                head += data
            with self.lock:
                self.heads.append(head.split(b'\r\n\r\n', 1)[0])
            if self.response:
                connection.sendall(self.response)
            if not self.stall:
                connection.shutdown(socket.SHUT_RDWR)
                connection.close()
        except OSError:
            pass

    def close(self):
        self.running = False
        try:
            socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)
        with self.lock:
            for connection in self.open:
                try:
                    connection.close()
                except OSError:
                    pass


def response(status, headers, body=b''):
    return (f'HTTP/1.1 {status}\r\n' + ''.join(f'{h}\r\n' for h in headers) + '\r\n').encode('utf-8') + body


@pytest.fixture
def raw():
    servers = []

    def make(data, stall=False):
        server = RawServer(data, stall)
        servers.append(server)
        return server

    yield make
    flush()
    for server in servers:
        server.close()


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
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_state_directory(state_dir)
    s = Ladle.Session.new(configuration)
    yield s
    s.invalidate_and_cancel()
    flush()


def downloads(state_dir):
    return os.path.join(state_dir, 'downloads')


@pytest.fixture(autouse=True)
def fail_on_handler_exceptions():
    """An exception inside a signal handler is printed by PyGObject, not raised: fail the test."""
    caught = []
    previous = sys.excepthook
    sys.excepthook = lambda kind, value, traceback: caught.append(value) or previous(kind, value, traceback)
    yield
    sys.excepthook = previous
    assert not caught, f'exception in a signal handler: {caught[0]!r}'


# The recorder ##############################################################################

class Recorder:
    """Letters: R response, D data-received, P download-progress (only those that carry bytes
    are counted in .progress_bytes), S resumed, F finished, C completed, T task-completed."""

    def __init__(self, task):
        self.task = task
        self.session = task.dup_session()
        self.events = ''
        self.data = bytearray()
        self.progress = []
        self.error = None
        self.n_completed = 0
        self.done = False
        self.status_at_response = None
        self.resumed = []
        self.finished_path = None
        self.finished_sha256 = None
        self.resume_data = None
        self.resume_cb_called = False
        self.ids = [task.connect('response', self._on_response),
                    task.connect('download-progress', self._on_progress),
                    task.connect('completed', self._on_completed)]
        if isinstance(task, Ladle.DataTask):
            self.ids.append(task.connect('data-received', self._on_data))
        if isinstance(task, Ladle.DownloadTask):
            self.ids.append(task.connect('resumed', self._on_resumed))
            self.ids.append(task.connect('finished', self._on_finished))
        self.session_id = self.session.connect('task-completed', self._on_task_completed)

    def _on_response(self, task, message):
        self.events += 'R'
        self.status_at_response = task.get_status_code()
        return Ladle.ResponseDisposition.ALLOW

    def _on_data(self, task, chunk):
        self.events += 'D'
        self.data += chunk.get_data()

    def _on_progress(self, task, received_now, total_received, total_expected):
        self.events += 'P'
        self.progress.append((received_now, total_received, total_expected))

    def _on_resumed(self, task, offset, total):
        self.events += 'S'
        self.resumed.append((offset, total))

    def _on_finished(self, task, location):
        self.events += 'F'
        self.finished_path = location.get_path()
        self.finished_sha256 = file_sha256(self.finished_path)

    def _on_completed(self, task, error):
        self.events += 'C'
        self.n_completed += 1
        self.error = error

    def _on_task_completed(self, session, task, error):
        if task == self.task:
            self.events += 'T'
            self.done = True

    def squeezed(self):
        out = ''
        for letter in self.events:
            if not (letter in 'DP' and out and out[-1] in 'DP' and letter == out[-1]):
                out += letter
        return out

    def pause(self):
        def callback(task, result):
            self.resume_data = task.cancel_producing_resume_data_finish(result)
            self.resume_cb_called = True

        self.task.cancel_producing_resume_data_async(GLib.PRIORITY_DEFAULT, None, callback)

    def wait(self, pausing=False):
        run_until(lambda: self.done and (not pausing or self.resume_cb_called),
                  lambda: f'the completion of the task (events {self.events!r})')
        flush()
        assert self.n_completed == 1
        assert self.task.get_state() == Ladle.TaskState.COMPLETED
        for handler in self.ids:
            self.task.disconnect(handler)
        self.session.disconnect(self.session_id)
        self.ids = []
        return self


def run(task):
    recorder = Recorder(task)
    task.resume()
    return recorder.wait()


def assert_nothing_delivered(recorder):
    # libsoup 3.2 refuses some broken heads itself, before any ::response
    assert recorder.events in ('RCT', 'CT')
    assert recorder.data == b''
    assert all(total == 0 for _, total, _ in recorder.progress)
    assert recorder.task.get_bytes_received() == 0


def data_task(session, uri, method='GET', range_header=None):
    message = Soup.Message.new(method, uri)
    if range_header is not None:
        message.get_request_headers().replace('Range', range_header)
    return session.create_data_task(message)


# Rule 1: strict lengths ####################################################################

BODY = variant_content(3, 3000)

# "-12" and "9223372036854775808" also make libsoup 3.2 warn (GObject: value out of range for its
# body stream's content-length property) before Ladle sees the response: pytest shows the two
# warnings. The lengths that libsoup itself refuses ("12abc", "10, 20", ...) are in
# test_hardening_pending.py.
INVALID_LENGTHS = [
    ('negative', ['Content-Length: -12']),
    ('plus-sign', ['Content-Length: +12']),
    ('int64-overflow', ['Content-Length: 9223372036854775808']),
    ('twenty-digits', ['Content-Length: 99999999999999999999']),
    ('two-headers', ['Content-Length: 10', 'Content-Length: 20']),
    ('list-then-other', ['Content-Length: 10, 10', 'Content-Length: 12']),
]


@pytest.mark.parametrize('name,headers', INVALID_LENGTHS, ids=[c[0] for c in INVALID_LENGTHS])
def test_content_length_invalid(session, raw, name, headers):
    server = raw(response('200 OK', ['Content-Type: application/octet-stream'] + headers, BODY[:10]))
    task = session.create_data_task_for_uri(server.uri('/length'))
    recorder = run(task)

    assert error_is(recorder.error, Ladle.Error.INVALID_RESPONSE), recorder.error
    assert recorder.error.domain == GLib.quark_to_string(Ladle.error_quark())
    assert recorder.error.code == int(Ladle.Error.INVALID_RESPONSE)
    assert recorder.status_at_response == 200
    assert_nothing_delivered(recorder)
    assert task.dup_body() is None


def test_content_length_invalid_with_chunked(session, raw):
    """Transfer-Encoding overrides only a valid Content-Length."""
    server = raw(response('200 OK', ['Transfer-Encoding: chunked', 'Content-Length: 12abc'], chunked(BODY)))
    recorder = run(session.create_data_task_for_uri(server.uri('/length')))
    assert error_is(recorder.error, Ladle.Error.INVALID_RESPONSE), recorder.error
    assert_nothing_delivered(recorder)


@pytest.mark.parametrize('headers,body,expected', [
    (['Content-Length: 10', 'Content-Length: 10'], BODY[:10], BODY[:10]),
    (['Content-Length:  0010 '], BODY[:10], BODY[:10]),
    (['Transfer-Encoding: chunked', 'Content-Length: 5'], chunked(BODY), BODY),
], ids=['repeated-agree', 'leading-zeros', 'chunked-valid-ignored'])
def test_content_length_accepted(session, raw, headers, body, expected):
    server = raw(response('200 OK', headers, body))
    task = session.create_data_task_for_uri(server.uri('/length'))
    recorder = run(task)
    assert recorder.error is None
    assert recorder.squeezed().startswith('R') and recorder.squeezed().endswith('CT')
    assert bytes(recorder.data) == expected
    assert task.dup_body().get_data() == expected


def test_content_length_invalid_download(session, raw, state_dir, out_dir):
    server = raw(response('200 OK', ['Content-Length: 10', 'Content-Length: 20', 'ETag: "x"'], BODY[:20]))
    task = session.create_download_task_for_uri(server.uri('/file'))
    destination = os.path.join(out_dir, 'never.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    recorder = run(task)

    assert error_is(recorder.error, Ladle.Error.INVALID_RESPONSE), recorder.error
    assert_nothing_delivered(recorder)
    assert not os.path.exists(destination)
    assert listing(out_dir) == []
    assert listing(downloads(state_dir)) == []
    assert task.dup_resume_data() is None


# Rule 2: Content-Range #####################################################################

def test_range_slice_from_server(session, server):
    task = data_task(session, server.uri('/resource/1000'), range_header='bytes=100-199')
    recorder = run(task)
    assert recorder.error is None
    assert task.get_status_code() == 206
    assert task.get_bytes_expected_to_receive() == 100
    assert bytes(recorder.data) == variant_content(1, 1000)[100:200]
    assert server.log()[-1]['range'] == 'bytes=100-199'


def test_range_starting_elsewhere(session, server):
    task = data_task(session, server.uri('/resource/1000?range-start=0'), range_header='bytes=100-199')
    recorder = run(task)
    assert error_is(recorder.error, Ladle.Error.UNEXPECTED_RANGE), recorder.error
    assert recorder.status_at_response == 206
    assert_nothing_delivered(recorder)


RANGE_REFUSED = [
    ('not-asked', None, ['Content-Range: bytes 0-9/100', 'Content-Length: 10'], BODY[:10],
     Ladle.Error.UNEXPECTED_RANGE),
    ('missing', 'bytes=0-9', ['Content-Length: 10'], BODY[:10], Ladle.Error.UNEXPECTED_RANGE),
    ('end-before-start', 'bytes=5-', ['Content-Range: bytes 5-2/10', 'Content-Length: 0'], b'',
     Ladle.Error.UNEXPECTED_RANGE),
    ('end-past-total', 'bytes=0-', ['Content-Range: bytes 0-9/5', 'Content-Length: 10'], BODY[:10],
     Ladle.Error.UNEXPECTED_RANGE),
    ('not-numbers', 'bytes=0-9', ['Content-Range: bytes a-b/c', 'Content-Length: 10'], BODY[:10],
     Ladle.Error.UNEXPECTED_RANGE),
    ('no-unit', 'bytes=0-9', ['Content-Range: 0-9/10', 'Content-Length: 10'], BODY[:10],
     Ladle.Error.UNEXPECTED_RANGE),
    ('overflow', 'bytes=0-', ['Content-Range: bytes 0-99999999999999999999/100000000000000000000',
                              'Content-Length: 10'], BODY[:10], Ladle.Error.UNEXPECTED_RANGE),
    ('ends-past-asked', 'bytes=0-9', ['Content-Range: bytes 0-19/100', 'Content-Length: 20'], BODY[:20],
     Ladle.Error.UNEXPECTED_RANGE),
    ('length-disagrees', 'bytes=0-9', ['Content-Range: bytes 0-9/100', 'Content-Length: 11'], BODY[:11],
     Ladle.Error.INVALID_RESPONSE),
]


@pytest.mark.parametrize('name,range_header,headers,body,code', RANGE_REFUSED, ids=[c[0] for c in RANGE_REFUSED])
def test_range_refused(session, raw, name, range_header, headers, body, code):
    server = raw(response('206 Partial Content', headers, body))
    task = data_task(session, server.uri('/range'), range_header=range_header)
    recorder = run(task)
    assert error_is(recorder.error, code), recorder.error
    assert recorder.status_at_response == 206
    assert_nothing_delivered(recorder)
    assert task.dup_body() is None


@pytest.mark.parametrize('terminated', [True, False], ids=['last-chunk', 'connection-closed'])
def test_range_chunked_cut_short(session, raw, terminated):
    server = raw(response('206 Partial Content', ['Content-Range: bytes 0-9999/100000', 'Transfer-Encoding: chunked'],
                          chunked(variant_content(4, 5000), 1000, terminated)))
    task = data_task(session, server.uri('/range'), range_header='bytes=0-9999')
    recorder = run(task)
    assert error_is(recorder.error, Ladle.Error.TRUNCATED_BODY), recorder.error
    assert bytes(recorder.data) == variant_content(4, 5000)


def test_range_multipart_passed_through(session, raw):
    body = (b'--B\r\nContent-Range: bytes 0-1/10\r\n\r\nab\r\n'
            b'--B\r\nContent-Range: bytes 5-6/10\r\n\r\nfg\r\n--B--\r\n')
    server = raw(response('206 Partial Content', ['Content-Type: multipart/byteranges; boundary=B',
                                                  f'Content-Length: {len(body)}'], body))
    task = data_task(session, server.uri('/multi'), range_header='bytes=0-1,5-6')
    recorder = run(task)
    assert recorder.error is None
    assert task.get_status_code() == 206
    assert task.dup_body().get_data() == body


def test_range_206_to_new_download(session, raw, state_dir, out_dir):
    server = raw(response('206 Partial Content', ['Content-Range: bytes 0-999/5000', 'Content-Length: 1000',
                                                  'ETag: "x"'], variant_content(1, 1000)))
    task = session.create_download_task_for_uri(server.uri('/partial'))
    destination = os.path.join(out_dir, 'never.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    recorder = run(task)
    assert error_is(recorder.error, Ladle.Error.UNEXPECTED_RANGE), recorder.error
    assert_nothing_delivered(recorder)
    assert not os.path.exists(destination)
    assert listing(downloads(state_dir)) == []


# Rule 3: strong-validator resume ###########################################################

def build_resume_data(url, partial, received, total, etag=None, last_modified=None):
    entries = {
        'format': GLib.Variant('s', 'org.gnome.Ladle.ResumeData'),
        'version': GLib.Variant('u', 1),
        'url': GLib.Variant('s', url),
        'method': GLib.Variant('s', 'GET'),
        'headers': GLib.Variant('a(ss)', [('Accept', '*/*')]),
        'partial-file': GLib.Variant('s', partial),
        'bytes-received': GLib.Variant('t', received),
        'expected-total': GLib.Variant('x', total),
    }
    if etag is not None:
        entries['etag'] = GLib.Variant('s', etag)
    if last_modified is not None:
        entries['last-modified'] = GLib.Variant('s', last_modified)
    variant = GLib.Variant('a{sv}', entries)
    if sys.byteorder == 'big':
        variant = variant.byteswap()
    return variant.get_data_as_bytes()


def parse_resume_data(data):
    variant = GLib.Variant.new_from_bytes(GLib.VariantType.new('a{sv}'), data, False)
    if sys.byteorder == 'big':
        variant = variant.byteswap()
    return variant.unpack()


def make_partial(state_dir):
    os.makedirs(downloads(state_dir), exist_ok=True)
    path = os.path.join(downloads(state_dir), 'held.part')
    with open(path, 'wb') as f:
        f.write(variant_content(1, SIZE)[:OFFSET])
    return path


def resume_206(headers):
    rest = variant_content(1, SIZE)[OFFSET:]
    return response('206 Partial Content', ['Content-Type: application/octet-stream',
                                            f'Content-Length: {len(rest)}'] + headers, rest)


def resume_from_good_server(session, server, state_dir, out_dir, resume_data, path):
    message = Soup.Message.new('GET', server.uri(path))
    task = session.create_download_task_from_resume_data_with_request(resume_data, message)
    destination = os.path.join(out_dir, 'resumed.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    recorder = run(task)
    assert recorder.error is None, recorder.error
    assert recorder.squeezed() == 'RSPFCT'
    assert recorder.resumed == [(OFFSET, SIZE)]
    assert task.get_status_code() == 206
    assert server.log()[-1]['range'] == f'bytes={OFFSET}-'
    assert file_sha256(destination) == sha256(variant_content(1, SIZE))
    assert listing(downloads(state_dir)) == []


VALIDATORS_REFUSED = [
    ('etag-missing', ETAG, DATE, ['Content-Range: bytes 1000-4999/5000', f'Last-Modified: {DATE}'],
     '/resource/5000'),
    ('etag-other', ETAG, DATE, ['Content-Range: bytes 1000-4999/5000', 'ETag: "v2-5000"'], '/resource/5000'),
    ('etag-weakened', ETAG, None, ['Content-Range: bytes 1000-4999/5000', 'ETag: W/"v1-5000"'], '/resource/5000'),
    ('date-missing', None, DATE, ['Content-Range: bytes 1000-4999/5000'], '/resource/5000?etag=none'),
    ('date-other', None, DATE, ['Content-Range: bytes 1000-4999/5000', 'Last-Modified: Tue, 02 Jan 2024 00:00:00 GMT'],
     '/resource/5000?etag=none'),
    ('total-differs', ETAG, None, ['Content-Range: bytes 1000-5999/6000', f'ETag: {ETAG}'], '/resource/5000'),
]


@pytest.mark.parametrize('name,etag,last_modified,headers,good_path', VALIDATORS_REFUSED,
                         ids=[c[0] for c in VALIDATORS_REFUSED])
def test_resume_refused_keeps_partial(session, server, raw, state_dir, out_dir, name, etag, last_modified, headers,
                                      good_path):
    partial = make_partial(state_dir)
    before = file_sha256(partial)
    bad = raw(resume_206(headers))
    resume_data = build_resume_data(bad.uri('/resource'), 'held.part', OFFSET, SIZE, etag, last_modified)
    task = session.create_download_task_from_resume_data(resume_data)
    destination = os.path.join(out_dir, 'file.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    recorder = run(task)

    assert error_is(recorder.error, Ladle.Error.UNEXPECTED_RANGE), recorder.error
    assert len(bad.heads) == 1
    assert f'Range: bytes={OFFSET}-'.encode() in bad.heads[0]
    assert_nothing_delivered(recorder)
    assert recorder.resumed == []
    assert not os.path.exists(destination)
    assert file_sha256(partial) == before
    assert listing(downloads(state_dir)) == ['held.part']

    kept = task.dup_resume_data()
    assert kept is not None
    fields = parse_resume_data(kept)
    assert fields['partial-file'] == 'held.part'
    assert fields['bytes-received'] == OFFSET
    assert fields.get('etag') == etag
    assert fields.get('last-modified') == last_modified
    resume_from_good_server(session, server, state_dir, out_dir, kept, good_path)


def test_resume_changed_resource_starts_over(session, server, state_dir, out_dir):
    path = '/resource/600000?changing=1&stall=100000'
    first = session.create_download_task_for_uri(server.uri(path))
    recorder = Recorder(first)
    first.resume()
    run_until(lambda: first.get_bytes_received() >= 100000 or first.get_state() == Ladle.TaskState.COMPLETED,
              'the first 100000 bytes')
    assert first.get_bytes_received() == 100000
    recorder.pause()
    recorder.wait(pausing=True)
    old_name = parse_resume_data(recorder.resume_data)['partial-file']
    assert listing(downloads(state_dir)) == [old_name]

    task = session.create_download_task_from_resume_data(recorder.resume_data)
    destination = os.path.join(out_dir, 'file.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    second = run(task)

    assert second.error is None, second.error
    assert second.squeezed() == 'RSPFCT'
    assert task.get_status_code() == 200
    assert second.resumed == [(0, 600000)]
    expected = sha256(variant_content(2, 600000))
    assert os.path.basename(second.finished_path) != old_name
    assert second.finished_sha256 == expected
    assert file_sha256(destination) == expected
    # the old file is deleted on its own worker; lib/ does not wait for that before completing
    old_path = os.path.join(downloads(state_dir), old_name)
    run_until(lambda: not os.path.exists(old_path), 'the deletion of the old partial file', 10)
    assert listing(downloads(state_dir)) == []


# Rule 9: caller input ######################################################################

BAD_METHODS = ['GET /x HTTP/1.1\r\nX: y', 'G ET', '', 'GET\t', 'G\u00c9T', 'GET()', 'GET/', '{GET}']


@pytest.mark.parametrize('method', BAD_METHODS, ids=['crlf-injection', 'space', 'empty', 'tab', 'non-ascii',
                                                     'paren', 'slash', 'brace'])
def test_bad_method_never_sent(session, raw, method):
    server = raw(b'', stall=True)
    message = Soup.Message.new(method, server.uri('/method'))
    assert message.get_method() == method
    task = session.create_data_task(message)
    recorder = run(task)

    assert error_is(recorder.error, Ladle.Error.INVALID_REQUEST), recorder.error
    assert recorder.events == 'CT'
    assert task.get_status_code() == 0
    # give a wrong implementation the time to connect
    ladle_test_spin(200)
    assert server.n_connections == 0
    assert server.heads == []


def test_bad_method_download_and_upload(session, raw, state_dir):
    server = raw(b'', stall=True)
    download = session.create_download_task(Soup.Message.new('GET /x HTTP/1.1\r\nX: y', server.uri('/d')))
    upload = session.create_upload_task_from_bytes(Soup.Message.new('PO ST', server.uri('/u')), GLib.Bytes.new(b'x' * 100))
    for task in (download, upload):
        recorder = run(task)
        assert error_is(recorder.error, Ladle.Error.INVALID_REQUEST), recorder.error
        assert recorder.events == 'CT'
    ladle_test_spin(200)
    assert server.n_connections == 0
    assert listing(downloads(state_dir)) == []


@pytest.mark.parametrize('method', ['G ET', 'GET / HTTP/1.1\r\nHost: evil'], ids=['space', 'crlf'])
def test_bad_method_from_redirect_handler(session, server, raw, method):
    target = raw(b'', stall=True)
    server.log(clear=True)
    uri = server.uri('/redirect/307?to=' + quote(target.uri('/next'), safe=''))
    task = session.create_data_task_for_uri(uri)

    def on_redirect(task, new_request):
        new_request.set_method(method)
        return True

    task.connect('redirect', on_redirect)
    recorder = run(task)

    assert error_is(recorder.error, Ladle.Error.INVALID_REQUEST), recorder.error
    assert recorder.events == 'CT'
    log = server.log()
    assert len(log) == 1 and log[0]['status'] == 307
    ladle_test_spin(200)
    assert target.n_connections == 0


def test_token_methods_are_sent(session, server):
    for method in ['PATCH', 'M-SEARCH', "x!#$%&'*+.^_`|~09"]:
        task = session.create_data_task(Soup.Message.new(method, server.uri('/echo')))
        recorder = run(task)
        assert recorder.error is None
        assert f'method {method}' in task.dup_body().get_data().decode().split('\n')


def ladle_test_spin(milliseconds):
    """Runs the main context for a while (never an assertion on time)."""
    done = []

    def on_timeout():
        done.append(True)
        return GLib.SOURCE_REMOVE

    GLib.timeout_add(milliseconds, on_timeout)
    run_until(lambda: bool(done), 'the spin')


# Rule 11: max-body-size ####################################################################

def test_max_body_size_default(session):
    task = session.create_data_task_for_uri('http://127.0.0.1:1/')
    assert task.get_max_body_size() == 268435456
    assert task.props.max_body_size == 268435456
    task.cancel()
    flush()


@pytest.mark.parametrize('path,size,limit,fails', [
    ('/bytes/100000', 100000, 100000, False),
    ('/bytes/100000', 100000, 99999, True),
    ('/chunked/100000?chunk=777', 100000, 99999, True),
    ('/gzip/300000', 300000, 300000, False),
    ('/gzip/300000', 300000, 299999, True),
    ('/bytes/100000', 100000, 0, False),
], ids=['exact', 'one-more', 'chunked-one-more', 'gzip-exact', 'gzip-one-more', 'no-limit'])
def test_max_body_size(session, server, path, size, limit, fails):
    task = session.create_data_task_for_uri(server.uri(path))
    task.set_max_body_size(limit)
    recorder = run(task)
    body = task.dup_body()
    if fails:
        assert error_is(recorder.error, Ladle.Error.BODY_TOO_LARGE), recorder.error
        assert len(body.get_data()) <= limit
        assert len(recorder.data) <= limit
    else:
        assert recorder.error is None, recorder.error
        assert len(body.get_data()) == size
        assert bytes(recorder.data) == body.get_data()


def gzip_bomb(size):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(b'\0' * size) + compressor.flush()


@pytest.mark.parametrize('accumulate', [True, False], ids=['accumulated', 'not-accumulated'])
def test_max_body_size_gzip_bomb(session, raw, accumulate):
    compressed = gzip_bomb(8 * 1024 * 1024)
    assert len(compressed) < 64 * 1024
    server = raw(response('200 OK', ['Content-Encoding: gzip', f'Content-Length: {len(compressed)}'], compressed))
    task = session.create_data_task_for_uri(server.uri('/bomb'))
    task.set_max_body_size(1024 * 1024)
    task.set_accumulate(accumulate)
    recorder = run(task)
    if accumulate:
        assert error_is(recorder.error, Ladle.Error.BODY_TOO_LARGE), recorder.error
        assert len(task.dup_body().get_data()) <= 1024 * 1024
        assert len(recorder.data) <= 1024 * 1024
    else:
        assert recorder.error is None, recorder.error
        assert task.dup_body() is None
        assert len(recorder.data) == 8 * 1024 * 1024
    assert recorder.data.count(0) == len(recorder.data)


# Rule 12: file names #######################################################################

FILENAMES = [
    ('invoice\u202egnp.exe', 'invoicegnp.exe'),
    ('\u2066a\u2067b\u2068c\u2069.pdf', 'abc.pdf'),
    ('zero\u200bwidth.txt', 'zerowidth.txt'),
    ('a\u200db\u200cc', 'abc'),
    ('\ufeffbom.txt', 'bom.txt'),
    ('x\u061cy.txt', 'xy.txt'),
    ('soft\u00adhyphen.txt', 'softhyphen.txt'),
    ('\u200b.bashrc', 'bashrc'),
    ('\u202e../..\u202e/x.sh', 'x.sh'),
    ('\u202e', 'download'),
    ('\u05e9\u05dc\u05d5\u05dd.txt', '\u05e9\u05dc\u05d5\u05dd.txt'),
    ('cafe\u0301.txt', 'cafe\u0301.txt'),
    ('\U0001f468\u200d\U0001f469.jpg', '\U0001f468\U0001f469.jpg'),
]


@pytest.mark.parametrize('name,expected', FILENAMES)
def test_sanitize_filename(name, expected):
    result = Ladle.sanitize_filename(name)
    assert result == expected
    assert not any(unicodedata.category(c) == 'Cf' for c in result)


def test_every_format_character_removed():
    n = 0
    for code in range(0x80, 0x110000):
        c = chr(code)
        if unicodedata.category(c) != 'Cf' or GLib.unichar_type(c) != GLib.UnicodeType.FORMAT:
            continue
        n += 1
        assert Ladle.sanitize_filename(f'a{c}b') == 'ab', f'U+{code:04X}'
    assert n >= 100


@pytest.mark.parametrize('disposition,expected', [
    ("attachment; filename*=UTF-8''invoice%E2%80%AEgnp.exe", 'invoicegnp.exe'),
    ('attachment; filename="invoice\u202egnp.exe"', 'invoicegnp.exe'),
    ("attachment; filename*=UTF-8''%EF%BB%BFre%C2%ADport.pdf", 'report.pdf'),
], ids=['rfc8187', 'quoted-utf8', 'bom-soft-hyphen'])
def test_suggested_filename(session, server, state_dir, disposition, expected):
    task = session.create_download_task_for_uri(server.uri('/resource/100?cd=' + quote(disposition, safe='')))
    recorder = run(task)
    assert recorder.error is None, recorder.error
    assert task.dup_suggested_filename() == expected
    assert task.props.suggested_filename == expected
    assert listing(downloads(state_dir)) == []


# libsoup 3.2 refuses a single Content-Length header that is not all digits itself
# (SOUP_SESSION_ERROR_ENCODING, before ::response); Ladle reports it as INVALID_RESPONSE.
@pytest.mark.parametrize('value', ['12abc', '0x10', '1e3', '10.0', '1 2', '10, 20', '\uff11\uff12'])
def test_content_length_refused_by_libsoup(session, raw, value):
    server = raw(response('200 OK', [f'Content-Length: {value}'], BODY[:10]))
    task = session.create_data_task_for_uri(server.uri('/length'))
    recorder = run(task)
    assert error_is(recorder.error, Ladle.Error.INVALID_RESPONSE), recorder.error
    assert_nothing_delivered(recorder)


def test_content_length_empty(session, raw):
    server = raw(response('200 OK', ['Content-Length: '], BODY[:10]))
    recorder = run(session.create_data_task_for_uri(server.uri('/length')))
    assert error_is(recorder.error, Ladle.Error.INVALID_RESPONSE), recorder.error
    assert_nothing_delivered(recorder)
