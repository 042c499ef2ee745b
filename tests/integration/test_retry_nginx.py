# SPDX-License-Identifier: LGPL-2.1-or-later
"""Retries of downloads against nginx: a proxy in front of it cuts the connection in the middle of
the body; the retry policy continues the partial file with Range and If-Range, and nginx's access
log shows each request from the right offset. A file rewritten between two attempts changes
nginx's ETag: nginx answers the If-Range request with a 200 and the download starts over.
Also through nginx's limit_rate (/slow/): a cut in a slow transfer continues the same way."""

import hashlib
import os
import socket
import sys
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'downloads'))

from dlhelpers import GLib, Gio, Ladle, file_sha256, listing, run_until  # noqa: E402


def random_bytes(size, seed):
    out = bytearray()
    block = hashlib.sha256(b'ladle-retry-%d' % seed).digest()
    while len(out) < size:
        block = hashlib.sha512(block).digest()
        out += block * 64
    return bytes(out[:size])


class CuttingProxy:
    """A reverse proxy on 127.0.0.1 (port 0) in front of nginx: connection K (0-based) with K <
    len(cuts) gets the response headers and cuts[K] bytes of the body, then both sides are closed;
    later connections are relayed whole. Every request is sent with Connection: close, so each
    connection carries one request."""

    def __init__(self, target_port, cuts):
        self.target_port = target_port
        self.cuts = list(cuts)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.n_connections = 0
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path):
        return 'http://127.0.0.1:%d%s' % (self.port, path)

    def _serve(self):
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            index = self.n_connections
            self.n_connections += 1
            cut = self.cuts[index] if index < len(self.cuts) else None
            threading.Thread(target=self._relay, args=(client, cut), daemon=True).start()

    def _relay(self, client, cut):
        client.settimeout(30)
        try:
            head = b''
            while b'\r\n\r\n' not in head:
                data = client.recv(65536)
                if not data:
                    return
                head += data
            lines = head.split(b'\r\n\r\n', 1)[0].split(b'\r\n')
            lines = [line for line in lines if not line.lower().startswith(b'connection:')]
            request = b'\r\n'.join(lines + [b'Connection: close']) + b'\r\n\r\n'
            upstream = socket.create_connection(('127.0.0.1', self.target_port), timeout=30)
            upstream.sendall(request)
            response = b''
            header_length = None
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if cut is None:
                    client.sendall(data)
                    continue
                response += data
                if header_length is None and b'\r\n\r\n' in response:
                    header_length = response.index(b'\r\n\r\n') + 4
                if header_length is not None and len(response) >= header_length + cut:
                    client.sendall(response[:header_length + cut])
                    break
            upstream.close()
        except OSError:
            pass
        finally:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()

    def stop(self):
        self.stopping = True
        self.listener.close()
        self.thread.join(timeout=5)


def wait_for_log(nginx, count):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        entries = nginx.access_log()
        if len(entries) >= count:
            return entries
        time.sleep(0.05)
    raise AssertionError('nginx logged %r' % nginx.access_log())


def make_session(state_dir):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_state_directory(state_dir)
    policy = Ladle.RetryPolicy.new_backoff(4, 50, 2000)
    policy.props.jitter = 0.0
    configuration.set_retry_policy(policy)
    return Ladle.Session.new(configuration)


def run_download(session, url, destination, on_retry=None):
    task = session.create_download_task_for_uri(url)
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE)
    events = []
    resumed = []
    outcome = {}

    def will_retry(task, attempt, delay_ms, why):
        events.append('W')
        if on_retry:
            on_retry(attempt)
        return True

    def on_resumed(task, offset, total):
        events.append('R')
        resumed.append(offset)

    def completed(task, error):
        events.append('T')
        outcome['error'] = error

    task.connect('will-retry', will_retry)
    task.connect('resumed', on_resumed)
    task.connect('completed', completed)
    task.resume()
    run_until(lambda: 'error' in outcome, 'the download completes')
    return task, ''.join(events), resumed, outcome['error']


@pytest.mark.parametrize('location', ['/files/', '/slow/'])
def test_cut_download_continues_with_range(nginx, tmp_path, location):
    data = random_bytes(3 * 1024 * 1024, 1)
    nginx.write_file('cut.bin', data)
    nginx.clear_access_log()
    proxy = CuttingProxy(nginx.port, [700000, 900000])
    state_dir = str(tmp_path / 'state')
    session = make_session(state_dir)
    destination = str(tmp_path / 'cut.bin')
    try:
        task, events, resumed, error = run_download(session, proxy.url(location + 'cut.bin'), destination)
    finally:
        proxy.stop()

    assert error is None
    assert events == 'WRWRT'
    assert resumed == [700000, 1600000]
    assert task.props.status_code == 206
    assert file_sha256(destination) == hashlib.sha256(data).hexdigest()
    assert listing(os.path.join(state_dir, 'downloads')) == []

    log = wait_for_log(nginx, 3)
    assert [e['uri'] for e in log] == [location + 'cut.bin'] * 3
    assert [e['range'] for e in log] == ['', 'bytes=700000-', 'bytes=1600000-']
    etag = log[1]['if_range']
    assert etag.startswith('"') and log[2]['if_range'] == etag
    assert log[2]['status'] == 206
    assert log[2]['body_bytes_sent'] == len(data) - 1600000
    session.invalidate_and_cancel()


def test_changed_file_between_attempts_starts_over(nginx, tmp_path):
    old = random_bytes(2 * 1024 * 1024, 2)
    new = random_bytes(2 * 1024 * 1024 + 4096, 3)
    path = nginx.write_file('changing.bin', old)
    nginx.clear_access_log()
    proxy = CuttingProxy(nginx.port, [500000])
    state_dir = str(tmp_path / 'state')
    session = make_session(state_dir)
    destination = str(tmp_path / 'changing.bin')

    def rewrite(attempt):
        with open(path, 'wb') as f:
            f.write(new)
        # another mtime second as well: nginx's ETag is mtime-size
        later = time.time() + 5
        os.utime(path, (later, later))

    try:
        task, events, resumed, error = run_download(session, proxy.url('/files/changing.bin'), destination,
                                                    on_retry=rewrite)
    finally:
        proxy.stop()

    assert error is None
    assert events == 'WRT'
    assert resumed == [0]
    assert task.props.status_code == 200
    assert file_sha256(destination) == hashlib.sha256(new).hexdigest()
    log = wait_for_log(nginx, 2)
    assert [e['range'] for e in log] == ['', 'bytes=500000-']
    assert log[1]['if_range'].startswith('"')
    assert log[1]['status'] == 200
    session.invalidate_and_cancel()
