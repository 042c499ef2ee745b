# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Large uploads to nginx, by the connection they take: HTTPS with HTTP/1.1, where Ladle writes the
body to the TLS connection itself; HTTPS with HTTP/2 (nginx offering h2 by ALPN), where libsoup
frames the body and Ladle leaves it alone; and plain HTTP through a forward proxy (nginx again),
where Ladle writes the body to the connection to the proxy.

Each PUT goes to nginx's WebDAV module behind Basic authentication, with nginx's self-signed
certificate pinned by an accept-certificate handler: the 401, the resend, and the file nginx
stored must be byte-identical to the source. libsoup emits wrote-body-data only for body bytes it
writes itself, which tells which of the two wrote the body."""

import os

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')

from gi.repository import Gio, Ladle, Soup  # noqa: E402

import pytest  # noqa: E402

import servers  # noqa: E402
from test_uploads_webdav import MiB, Put, random_file, sha256_file  # noqa: E402


def start(server):
    try:
        server.start()
    except servers.ServerMissing as e:
        pytest.fail('integration tests are enabled but %s' % e)
    return server


@pytest.fixture(scope='module')
def h2_nginx():
    server = start(servers.Nginx(http2=True))
    yield server
    server.stop()


@pytest.fixture(scope='module')
def proxy_nginx():
    server = start(servers.Nginx(tls=False, forward_proxy=True))
    yield server
    server.stop()


class SecurePut(Put):
    """A PUT that also pins nginx's certificate and counts the body blocks libsoup writes."""

    def __init__(self, task, server):
        super().__init__(task, server.user, server.password)
        self.pinned = Gio.TlsCertificate.new_from_file(server.cert_path) if server.tls else None
        self.certificate_calls = 0
        self.soup_writes = 0
        self.message = task.get_current_request()
        self.message.connect('wrote-body-data', self.on_wrote_body_data)
        task.connect('accept-certificate', self.on_accept_certificate)

    def on_wrote_body_data(self, message, chunk_size):
        self.soup_writes += 1

    def on_accept_certificate(self, task, certificate, errors):
        self.certificate_calls += 1
        return self.pinned is not None and certificate.is_same(self.pinned)


def put_file(server, tmp_path, name, size, session=None, url=None):
    source = tmp_path / name
    checksum = random_file(source, size)
    if session is None:
        session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())
    message = Soup.Message.new('PUT', url or server.tls_url('/dav/' + name))
    task = session.create_upload_task_from_file(message, Gio.File.new_for_path(str(source)))
    put = SecurePut(task, server).run()
    assert put.task.get_status_code() == 201
    # The 401 and the resend: both sent the whole body.
    assert put.authenticate_calls == [('Basic', 'Ladle', False)]
    stored = server.dav_path(name)
    assert os.path.getsize(stored) == size
    assert sha256_file(stored) == checksum
    put.assert_progress(size, size)
    return put


def test_https_http1_put_written_by_ladle(nginx, tmp_path):
    put = put_file(nginx, tmp_path, 'tls-h1.bin', 24 * MiB + 7)
    assert put.certificate_calls >= 1
    assert put.message.get_http_version() == Soup.HTTPVersion.HTTP_1_1
    assert put.soup_writes == 0


def test_https_http2_put_written_by_libsoup(h2_nginx, tmp_path):
    put = put_file(h2_nginx, tmp_path, 'tls-h2.bin', 24 * MiB + 7)
    assert put.certificate_calls >= 1
    assert put.message.get_http_version() == Soup.HTTPVersion.HTTP_2_0
    assert put.soup_writes > 0


def test_http_put_through_forward_proxy_written_by_ladle(proxy_nginx, tmp_path):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_proxy_resolver(
        Gio.SimpleProxyResolver.new('http://127.0.0.1:%d' % proxy_nginx.proxy_port, None))
    session = Ladle.Session.new(configuration)
    proxy_nginx.clear_access_log()
    put = put_file(proxy_nginx, tmp_path, 'proxied.bin', 24 * MiB + 7, session=session,
                   url=proxy_nginx.url('/dav/proxied.bin'))
    assert put.message.get_http_version() == Soup.HTTPVersion.HTTP_1_1
    assert put.soup_writes == 0
    # The premise: the requests went through the proxy (nginx logs them on both servers).
    entries = [e for e in proxy_nginx.access_log() if e['uri'] == '/dav/proxied.bin']
    assert sorted(e['server_port'] for e in entries) == sorted(
        [proxy_nginx.proxy_port] * 2 + [proxy_nginx.port] * 2)
