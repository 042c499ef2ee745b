# conftest.py: what the Python redirect, authentication and TLS tests share
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# An in-process Soup.Server on 127.0.0.1 (plain or HTTPS, HTTP/1.1 or HTTP/2) that records what it
# was sent, certificates made by openssl at test time, and run_task(), which drives one task to
# its completion on the default main context (client and server share it: nothing blocks).

import os
import socket
import subprocess
import sys
import urllib.parse

import gi
import pytest

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Gio, Ladle, Soup  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'python'))
from ladle_test import FAILSAFE_SECONDS, run_until  # noqa: E402,F401 (FAILSAFE_SECONDS re-exported)

USER = 'user'
PASSWORD = 'secret'


@pytest.fixture(autouse=True)
def fail_on_handler_exceptions():
    """An exception inside a signal handler is printed by PyGObject, not raised: fail the test."""
    caught = []
    previous = sys.excepthook
    sys.excepthook = lambda kind, value, traceback: caught.append(value) or previous(kind, value, traceback)
    yield
    sys.excepthook = previous
    assert not caught, f'exception in a signal handler: {caught[0]!r}'


# Certificates


class Certs:
    """Self-signed certificates for 127.0.0.1, a test CA and a leaf it signed."""

    def __init__(self, directory):
        self.directory = str(directory)
        self.self_signed, self.self_signed_key = self._self_signed('self-signed')
        self.other, self.other_key = self._self_signed('other')
        self.ca = self._path('ca.pem')
        self._openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                      '-subj', '/CN=Ladle Test CA',
                      '-addext', 'basicConstraints=critical,CA:TRUE',
                      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
                      '-keyout', 'ca-key.pem', '-out', 'ca.pem')
        self._openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
                      '-keyout', 'leaf-key.pem', '-out', 'leaf.csr')
        with open(self._path('leaf.ext'), 'w') as f:
            f.write('basicConstraints=CA:FALSE\n'
                    'keyUsage=critical,digitalSignature,keyEncipherment\n'
                    'extendedKeyUsage=serverAuth\n'
                    'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
        self._openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem',
                      '-set_serial', '4242', '-days', '2', '-extfile', 'leaf.ext',
                      '-out', 'leaf.pem')
        self.leaf = self._path('leaf.pem')
        self.leaf_key = self._path('leaf-key.pem')

    def _path(self, name):
        return os.path.join(self.directory, name)

    def _openssl(self, *args):
        subprocess.run(['openssl', *args], cwd=self.directory, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def _self_signed(self, name):
        # The command the issue names, into a temporary directory.
        self._openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                      '-keyout', f'{name}-key.pem', '-out', f'{name}.pem')
        return self._path(f'{name}.pem'), self._path(f'{name}-key.pem')

    @staticmethod
    def load(cert, key):
        return Gio.TlsCertificate.new_from_files(cert, key)


@pytest.fixture(scope='session')
def certs(tmp_path_factory):
    return Certs(tmp_path_factory.mktemp('certs'))


# Server


class Request:
    def __init__(self, msg):
        self.method = msg.get_method()
        self.path = msg.get_uri().get_path()
        self.headers = {}
        msg.get_request_headers().foreach(lambda name, value: self.headers.setdefault(name.lower(), value))
        body = msg.get_request_body().flatten()
        self.body = body.get_data() if body is not None else b''
        self.http_version = msg.get_http_version()

    def header(self, name):
        return self.headers.get(name.lower())


class Server:
    """An in-process server on 127.0.0.1 (see security-util.h for the paths it serves)."""

    def __init__(self, certificate=None, http2=False):
        self.requests = []
        self.held = []
        self.tls = certificate is not None
        if http2:
            # Read by Soup.Server when it is created.
            os.environ['SOUP_SERVER_HTTP2'] = '1'
        try:
            self.server = Soup.Server(tls_certificate=certificate) if certificate else Soup.Server()
        finally:
            os.environ.pop('SOUP_SERVER_HTTP2', None)
        self.server.add_handler(None, self._handle)
        self.server.connect('request-read', self._request_read)

        basic = Soup.AuthDomainBasic(realm='ladle-basic')
        basic.set_auth_callback(lambda domain, msg, user, password: user == USER and password == PASSWORD)
        basic.add_path('/basic')
        self.server.add_auth_domain(basic)

        digest = Soup.AuthDomainDigest(realm='ladle-digest')
        digest.set_auth_callback(self._digest_password)
        digest.add_path('/digest')
        self.server.add_auth_domain(digest)

        options = Soup.ServerListenOptions.IPV4_ONLY
        if self.tls:
            options |= Soup.ServerListenOptions.HTTPS
        self.server.listen_local(0, options)
        self.port = self.server.get_uris()[0].get_port()

    @staticmethod
    def _digest_password(domain, msg, user):
        if user != USER:
            return None
        return Soup.AuthDomainDigest.encode_password(user, 'ladle-digest', PASSWORD)

    def _request_read(self, server, msg):
        # Before any handler or auth domain answers: recorded before the client sees a response.
        self.requests.append(Request(msg))

    def _handle(self, server, msg, path, query):
        if path.startswith('/basic/') or path.startswith('/digest/'):
            rest = '/' + path.split('/', 2)[2]
            path = rest if rest == '/ok' or rest.startswith('/redirect/') else '/echo'

        if path == '/ok':
            msg.set_status(200, None)
            msg.set_response('text/plain', Soup.MemoryUse.COPY, b'ok')
        elif path == '/echo':
            lines = [f'method {msg.get_method()}', f'path {msg.get_uri().get_path()}']
            msg.get_request_headers().foreach(lambda name, value: lines.append(f'header {name}: {value}'))
            body = msg.get_request_body().flatten()
            lines.append(f'body-length {body.get_size() if body is not None else 0}')
            msg.set_status(200, None)
            msg.set_response('text/plain', Soup.MemoryUse.COPY, ('\n'.join(lines) + '\n').encode())
        elif path.startswith('/redirect/'):
            msg.set_status(int(path.split('/')[2]), None)
            if query and 'to' in query:
                msg.get_response_headers().replace('Location', query['to'])
            msg.set_response('text/plain', Soup.MemoryUse.COPY, b'redirect body')
        elif path == '/loop':
            msg.set_redirect(302, '/loop')
        elif path == '/hold':
            msg.pause()
            self.held.append(msg)
        else:
            msg.set_status(404, None)

    def release(self):
        for msg in self.held:
            msg.set_status(200, None)
            msg.set_response('text/plain', Soup.MemoryUse.COPY, b'held')
            msg.unpause()
        self.held = []

    def uri(self, path, host='127.0.0.1'):
        return f'{"https" if self.tls else "http"}://{host}:{self.port}{path}'

    def redirect_uri(self, code, target, host='127.0.0.1'):
        return self.uri(f'/redirect/{code}?to={urllib.parse.quote(target, safe="")}', host)

    def close(self):
        self.release()
        self.server.disconnect()


@pytest.fixture
def servers():
    """Makes servers on demand; every one is closed after the test."""
    made = []

    def make(certificate=None, http2=False):
        server = Server(certificate, http2)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def new_session(tls_database=None, proxy_resolver=None):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    if tls_database is not None:
        configuration.set_tls_database(tls_database)
    if proxy_resolver is not None:
        configuration.set_proxy_resolver(proxy_resolver)
    return Ladle.Session.new(configuration)


@pytest.fixture
def session():
    return new_session()


# Running a task


class Run:
    def __init__(self, task):
        self.task = task
        self.done = False
        self.n_completed = 0
        self.n_response = 0
        self.n_current_request = 0
        self.error = None
        self.status = None
        self.body = None
        self._ids = [
            task.connect('completed', self._on_completed),
            task.connect('response', self._on_response),
            task.connect('notify::current-request', self._on_current_request),
        ]

    def _on_completed(self, task, error):
        self.n_completed += 1
        self.done = True
        self.error = error
        self.status = task.get_status_code()
        if isinstance(task, Ladle.DataTask):
            body = task.dup_body()
            self.body = body.get_data() if body is not None else None

    def _on_response(self, task, message):
        self.n_response += 1
        assert message == task.get_current_request()
        return Ladle.ResponseDisposition.ALLOW

    def _on_current_request(self, task, pspec):
        self.n_current_request += 1

    def start(self):
        self.task.resume()
        return self

    def wait(self):
        wait_for(lambda: self.done, 'the task\'s completion')
        # Nothing may follow ::completed: dispatch what is pending, then check.
        context = GLib.MainContext.default()
        for _ in range(1000):
            if not context.iteration(False):
                break
        assert self.n_completed == 1
        assert self.task.get_state() == Ladle.TaskState.COMPLETED
        for handler_id in self._ids:
            self.task.disconnect(handler_id)
        return self

    def body_lines(self):
        return (self.body or b'').decode('utf-8', 'replace').split('\n')

    def http_version(self):
        return self.task.get_current_request().get_http_version()


def run_task(task):
    return Run(task).start().wait()


def wait_for(condition, what):
    run_until(condition, what)


def data_task(session, method, uri, headers=None, body=None, content_type='text/plain'):
    message = Soup.Message.new(method, uri)
    assert message is not None
    for name, value in (headers or {}).items():
        message.get_request_headers().replace(name, value)
    if body is not None:
        message.set_request_body_from_bytes(content_type, GLib.Bytes.new(body))
    return session.create_data_task(message)


def assert_tls_rejected(run):
    assert run.error is not None
    assert run.error.matches(Gio.tls_error_quark(), Gio.TlsError.BAD_CERTIFICATE)
    assert run.status == 0
    assert run.n_response == 0


def assert_localhost_is_loopback():
    """Only loopback: "localhost" must resolve to 127.0.0.1 and nothing off this machine."""
    addresses = {info[4][0] for info in socket.getaddrinfo('localhost', None)}
    assert '127.0.0.1' in addresses
    for address in addresses:
        assert Gio.InetAddress.new_from_string(address).get_is_loopback(), address
