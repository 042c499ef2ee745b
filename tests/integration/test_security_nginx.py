# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Redirects, Basic auth and TLS trust against nginx (a server nobody here wrote).

Two nginx instances on their own ports: redirects of every status from one to the other, method
and credential rules checked with nginx's /headers echo and access log; a redirect loop; Basic auth
with wrong then right credentials; nginx's self-signed certificate rejected by default and accepted
by a handler that pins it; and examples/redirect-auth-tls.{py,js} run against nginx as a user would
(redirect -> Basic-auth location over TLS)."""

import os
import shutil
import subprocess
import sys

import gi
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import servers  # noqa: E402

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import Gio, GLib, Ladle, Soup  # noqa: E402

EXAMPLES = os.path.join(HERE, '..', '..', 'examples')
FAILSAFE_SECONDS = 30 * int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))
CODES = [301, 302, 303, 307, 308]
CONTENT = b'Ladle security integration test\n' * 100


@pytest.fixture(scope='module')
def other_nginx():
    """A second nginx: another port (and another self-signed certificate)."""
    server = servers.Nginx()
    try:
        server.start()
    except servers.ServerMissing as e:
        pytest.fail('integration tests are enabled but %s' % e)
    yield server
    server.stop()


@pytest.fixture(scope='module')
def content(nginx):
    nginx.write_file('file.txt', CONTENT)
    return 'file.txt'


@pytest.fixture
def session():
    return Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())


class Run:
    def __init__(self, task):
        self.task = task
        self.done = False
        self.n_completed = 0
        self.n_response = 0
        self.error = None
        self.status = None
        self.body = None
        task.connect('completed', self._on_completed)
        task.connect('response', self._on_response)

    def _on_completed(self, task, error):
        self.n_completed += 1
        self.done = True
        self.error = error
        self.status = task.get_status_code()
        body = task.dup_body()
        self.body = body.get_data() if body is not None else None

    def _on_response(self, task, message):
        self.n_response += 1
        return Ladle.ResponseDisposition.ALLOW

    def lines(self):
        return (self.body or b'').decode('utf-8', 'replace').splitlines()


def run_task(task):
    run = Run(task)
    task.resume()
    context = GLib.MainContext.default()
    timed_out = []
    source = GLib.timeout_add_seconds(FAILSAFE_SECONDS, lambda: timed_out.append(True) or False)
    while not run.done and not timed_out:
        context.iteration(True)
    if not timed_out:
        GLib.source_remove(source)
    assert run.done, 'failsafe: the task did not complete within %d s' % FAILSAFE_SECONDS
    for _ in range(1000):
        if not context.iteration(False):
            break
    assert run.n_completed == 1
    return run


def message(method, url, headers=None, body=None):
    msg = Soup.Message.new(method, url)
    for name, value in (headers or {}).items():
        msg.get_request_headers().replace(name, value)
    if body is not None:
        msg.set_request_body_from_bytes('application/x-www-form-urlencoded', GLib.Bytes.new(body))
    return msg


def hops(task, answer=True):
    seen = []

    def on_redirect(task, new_request):
        seen.append((new_request.get_method(), new_request.get_uri().to_string()))
        return answer

    task.connect('redirect', on_redirect)
    return seen


def requests_to(server, path):
    return [e for e in server.access_log() if e['uri'].split('?')[0] == path]


# Redirects


@pytest.mark.parametrize('code', CODES)
def test_get_follows_every_status_across_nginx_ports(nginx, other_nginx, session, code):
    other_nginx.clear_access_log()
    target = other_nginx.url('/headers')
    task = session.create_data_task_for_uri(nginx.url('/redirect-to/%d?to=%s' % (code, target)))
    seen = hops(task)

    run = run_task(task)

    assert run.error is None
    assert run.status == 200
    assert seen == [('GET', target)]
    assert 'Method: GET' in run.lines()
    assert task.get_current_request().get_uri().to_string() == target
    assert [(e['method'], e['status']) for e in requests_to(other_nginx, '/headers')] == [('GET', 200)]


@pytest.mark.parametrize('code', [301, 302, 303])
def test_post_becomes_get_across_nginx_ports(nginx, other_nginx, session, code):
    target = other_nginx.url('/headers')
    task = session.create_data_task(message('POST', nginx.url('/redirect-to/%d?to=%s' % (code, target)),
                                            body=b'name=value'))
    run = run_task(task)

    assert run.status == 200
    lines = run.lines()
    assert 'Method: GET' in lines
    assert 'Content-Type: ' in lines
    assert 'Content-Length: ' in lines


@pytest.mark.parametrize('code', [307, 308])
def test_post_with_body_307_308_final(nginx, other_nginx, session, code):
    other_nginx.clear_access_log()
    target = other_nginx.url('/headers')
    task = session.create_data_task(message('POST', nginx.url('/redirect-to/%d?to=%s' % (code, target)),
                                            body=b'name=value'))
    seen = hops(task)
    run = run_task(task)

    assert run.error is None
    assert run.status == code
    assert seen == []
    assert requests_to(other_nginx, '/headers') == []


def test_refused_redirect_is_final(nginx, other_nginx, session):
    target = other_nginx.url('/headers')
    task = session.create_data_task_for_uri(nginx.url('/redirect-to/302?to=%s' % target))
    hops(task, answer=False)
    run = run_task(task)

    assert run.error is None
    assert run.status == 302
    assert run.n_response == 1
    assert task.get_response_headers().get_one('Location') == target


CREDENTIALS = {
    'Authorization': 'Bearer secret-token',
    'Cookie': 'session=secret-cookie',
    'Proxy-Authorization': 'Basic cHJveHk6c2VjcmV0',
}


@pytest.mark.parametrize('header', list(CREDENTIALS))
@pytest.mark.parametrize('same_origin', [False, True], ids=['other-port', 'same-origin'])
def test_credentials_across_nginx_ports(nginx, other_nginx, session, header, same_origin):
    target = nginx.url('/headers') if same_origin else other_nginx.url('/headers')
    msg = message('GET', nginx.url('/redirect-to/302?to=%s' % target), headers={header: CREDENTIALS[header]})
    # The session's cookie jar replaces an application's own Cookie header unless disabled.
    msg.disable_feature(Soup.CookieJar)
    run = run_task(session.create_data_task(msg))

    assert run.status == 200
    expected = CREDENTIALS[header] if same_origin else ''
    assert '%s: %s' % (header, expected) in run.lines()


def test_redirect_loop(nginx, session):
    nginx.clear_access_log()
    task = session.create_data_task_for_uri(nginx.url('/redirect-loop'))
    task.set_max_redirects(5)
    seen = hops(task)
    run = run_task(task)

    assert run.error.matches(Ladle.error_quark(), Ladle.Error.TOO_MANY_REDIRECTS)
    assert len(seen) == 5
    assert len(requests_to(nginx, '/redirect-loop')) == 6


# Basic auth


def test_basic_auth_wrong_then_right(nginx, session, content):
    nginx.clear_access_log()
    task = session.create_data_task_for_uri(nginx.url('/auth/' + content))
    calls = []

    def on_authenticate(task, auth, retrying):
        calls.append((auth.get_scheme_name(), auth.get_realm(), retrying))
        auth.authenticate(nginx.user, nginx.password if retrying else 'wrong')
        return True

    task.connect('authenticate', on_authenticate)
    run = run_task(task)

    assert run.error is None
    assert run.status == 200
    assert run.body == CONTENT
    assert calls == [('Basic', 'Ladle', False), ('Basic', 'Ladle', True)]
    assert [e['status'] for e in requests_to(nginx, '/auth/' + content)] == [401, 401, 200]


def test_basic_auth_no_handler(nginx, session, content):
    run = run_task(session.create_data_task_for_uri(nginx.url('/auth/' + content)))

    assert run.error is None
    assert run.status == 401


def test_basic_auth_url_credentials(nginx, session, content):
    url = 'http://%s:%s@127.0.0.1:%d/auth/%s' % (nginx.user, nginx.password, nginx.port, content)
    run = run_task(session.create_data_task_for_uri(url))

    assert run.status == 200
    assert run.body == CONTENT


# TLS


def test_self_signed_rejected_by_default(nginx, session, content):
    run = run_task(session.create_data_task_for_uri(nginx.tls_url('/files/' + content)))

    assert run.error.matches(Gio.tls_error_quark(), Gio.TlsError.BAD_CERTIFICATE)
    assert run.n_response == 0


def pin(task, pem_path):
    pinned = Gio.TlsCertificate.new_from_file(pem_path)
    calls = []

    def on_accept(task, certificate, errors):
        calls.append(errors)
        return certificate.is_same(pinned)

    task.connect('accept-certificate', on_accept)
    return calls


def test_pinned_certificate_accepted(nginx, session, content):
    task = session.create_data_task_for_uri(nginx.tls_url('/files/' + content))
    calls = pin(task, nginx.cert_path)
    run = run_task(task)

    assert run.error is None
    assert run.status == 200
    assert run.body == CONTENT
    assert calls and calls[0] & Gio.TlsCertificateFlags.UNKNOWN_CA


def test_other_pinned_certificate_refused(nginx, other_nginx, session, content):
    task = session.create_data_task_for_uri(nginx.tls_url('/files/' + content))
    calls = pin(task, other_nginx.cert_path)
    run = run_task(task)

    assert run.error.matches(Gio.tls_error_quark(), Gio.TlsError.BAD_CERTIFICATE)
    assert len(calls) == 1


def test_task_b_fails_after_task_a_accepted(nginx, session, content):
    a = session.create_data_task_for_uri(nginx.tls_url('/files/' + content))
    pin(a, nginx.cert_path)
    assert run_task(a).status == 200

    b = run_task(session.create_data_task_for_uri(nginx.tls_url('/files/' + content)))
    assert b.error.matches(Gio.tls_error_quark(), Gio.TlsError.BAD_CERTIFICATE)


def test_tls_redirect_and_auth(nginx, session, content):
    # Same origin over TLS: /redirect/302/NAME -> /files/NAME, then /auth/NAME with a pin.
    task = session.create_data_task_for_uri(nginx.tls_url('/redirect/302/' + content))
    pin(task, nginx.cert_path)
    seen = hops(task)
    run = run_task(task)

    assert run.status == 200
    assert run.body == CONTENT
    assert seen == [('GET', nginx.tls_url('/files/' + content))]


# The examples, against nginx


def example_argv(client):
    if client == 'python':
        return [sys.executable, os.path.join(EXAMPLES, 'redirect-auth-tls.py')]
    gjs = shutil.which('gjs')
    if gjs is None:
        pytest.fail('gjs is not installed (tools/deps installs it)')
    return [gjs, os.path.join(EXAMPLES, 'redirect-auth-tls.js')]


@pytest.mark.parametrize('client', ['python', 'gjs'])
def test_example_redirect_to_basic_auth_over_tls(nginx, content, client):
    argv = example_argv(client)
    target = nginx.tls_url('/auth/' + content)
    url = nginx.url('/redirect-to/302?to=%s' % target)
    env = dict(os.environ, LADLE_EXAMPLE_USER=nginx.user, LADLE_EXAMPLE_PASSWORD=nginx.password,
               G_DEBUG='fatal-criticals')
    result = subprocess.run(argv + ['--allow-origin', 'https://127.0.0.1:%d' % nginx.tls_port,
                                    '--pin', nginx.cert_path, url],
                            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=FAILSAFE_SECONDS)
    print(result.stdout)
    print(result.stderr, file=sys.stderr)
    lines = result.stdout.splitlines()

    assert result.returncode == 0
    assert 'redirect: 302 %s -> GET %s' % (url, target) in lines
    assert 'certificate: 127.0.0.1 (unknown-ca): the pinned certificate, accepted' in lines
    assert 'authenticate: Basic realm "Ladle" for %s' % target in lines
    assert 'authenticate: answered as %s' % nginx.user in lines
    assert 'status: 200 OK' in lines
    assert 'bytes: %d' % len(CONTENT) in lines

    # Without --allow-origin the cross-origin hop is refused.
    refused = subprocess.run(argv + ['--pin', nginx.cert_path, url], env=env, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=FAILSAFE_SECONDS)
    assert refused.returncode == 4
    assert 'status: 302 Moved Temporarily' in refused.stdout.splitlines()
