# test_auth.py: authentication challenges, seen from Python
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import pytest
from conftest import PASSWORD, USER, GLib, Gio, Soup, new_session, run_task, wait_for


class AuthHandler:
    """Answers call N with answers[N-1]: a password, None to decline, 'cancel' to cancel."""

    def __init__(self, answers=(), later=False, user=USER, log=None, name='t'):
        self.answers = list(answers)
        self.later = later
        self.user = user
        self.calls = []
        self.log = log
        self.name = name
        self.tasks = []

    def answer(self, auth, answer):
        if answer == 'cancel':
            auth.cancel()
        else:
            auth.authenticate(self.user, answer)

    def handle(self, auth, retrying):
        self.calls.append((auth.get_scheme_name(), auth.get_realm(), auth.is_for_proxy(), retrying))
        if self.log is not None:
            self.log.append(self.name)
        index = len(self.calls) - 1
        answer = self.answers[index] if index < len(self.answers) else None
        if answer is None:
            return False
        if self.later:
            # As a dialog would: keep the auth, say it is handled, answer once the user did.
            def later():
                self.answer(auth, answer)
                return GLib.SOURCE_REMOVE
            GLib.timeout_add(20, later)
            return True
        self.answer(auth, answer)
        return True

    def on_task(self, task, auth, retrying):
        return self.handle(auth, retrying)

    def on_session(self, session, task, auth, retrying):
        self.tasks.append(task)
        return self.handle(auth, retrying)


def assert_authorization_sequence(server, count):
    assert len(server.requests) == count
    assert server.requests[0].header('Authorization') is None
    assert all(r.header('Authorization') for r in server.requests[1:])


@pytest.mark.parametrize('kind,scheme', [('basic', 'Basic'), ('digest', 'Digest')])
@pytest.mark.parametrize('later', [False, True], ids=['at-once', 'later'])
def test_wrong_then_right(servers, session, kind, scheme, later):
    server = servers()
    task = session.create_data_task_for_uri(server.uri(f'/{kind}/resource'))
    handler = AuthHandler(['wrong', PASSWORD], later=later)
    task.connect('authenticate', handler.on_task)

    run = run_task(task)

    assert run.error is None
    assert run.status == 200
    assert [c[3] for c in handler.calls] == [False, True]
    assert handler.calls[0][:3] == (scheme, f'ladle-{kind}', False)
    assert f'path /{kind}/resource' in run.body_lines()
    assert_authorization_sequence(server, 3)


@pytest.mark.parametrize('kind', ['basic', 'digest'])
def test_no_handler_completes_with_401(servers, session, kind):
    server = servers()
    run = run_task(session.create_data_task_for_uri(server.uri(f'/{kind}/resource')))

    assert run.error is None
    assert run.status == 401
    assert run.n_response == 1
    assert run.task.get_response_headers().get_one('WWW-Authenticate').lower().startswith(kind)
    assert len(server.requests) == 1


def test_handler_gives_up(servers, session):
    server = servers()
    task = session.create_data_task_for_uri(server.uri('/basic/resource'))
    handler = AuthHandler(['wrong', 'wrong again'])
    task.connect('authenticate', handler.on_task)

    run = run_task(task)

    assert run.error is None
    assert run.status == 401
    assert [c[3] for c in handler.calls] == [False, True, True]


@pytest.mark.parametrize('later', [False, True], ids=['at-once', 'later'])
def test_cancelled_auth_completes_with_401(servers, session, later):
    server = servers()
    task = session.create_data_task_for_uri(server.uri('/digest/resource'))
    handler = AuthHandler(['cancel'], later=later)
    task.connect('authenticate', handler.on_task)

    run = run_task(task)

    assert run.error is None
    assert run.status == 401
    assert len(handler.calls) == 1


def test_session_handler_when_the_task_does_not_handle(servers, session):
    server = servers()
    task = session.create_data_task_for_uri(server.uri('/basic/resource'))
    log = []
    task_handler = AuthHandler([], log=log, name='t')
    session_handler = AuthHandler(['wrong', PASSWORD], later=True, log=log, name='s')
    task.connect('authenticate', task_handler.on_task)
    session.connect('authenticate', session_handler.on_session)

    run = run_task(task)

    assert run.status == 200
    assert log == ['t', 's', 't', 's']
    assert session_handler.tasks == [task, task]
    assert [c[3] for c in session_handler.calls] == [False, True]


def test_task_handler_wins(servers, session):
    server = servers()
    task = session.create_data_task_for_uri(server.uri('/basic/resource'))
    task_handler = AuthHandler([PASSWORD])
    session_handler = AuthHandler(['wrong'] * 3)
    task.connect('authenticate', task_handler.on_task)
    session.connect('authenticate', session_handler.on_session)

    run = run_task(task)

    assert run.status == 200
    assert len(task_handler.calls) == 1
    assert session_handler.calls == []


def test_wrong_credentials_in_the_url_ask_the_handler(servers, session):
    server = servers()
    task = session.create_data_task_for_uri(f'http://{USER}:wrong@127.0.0.1:{server.port}/basic/resource')
    handler = AuthHandler([PASSWORD])
    task.connect('authenticate', handler.on_task)

    run = run_task(task)

    assert run.status == 200
    assert [c[3] for c in handler.calls] == [True]


def test_credentials_stay_on_their_origin_after_a_redirect(servers, session):
    a, b = servers(), servers()
    task = session.create_data_task_for_uri(a.uri('/basic/redirect/302?to=' + GLib.Uri.escape_string(b.uri('/echo'), None, False)))
    handler = AuthHandler([PASSWORD])
    task.connect('authenticate', handler.on_task)

    run = run_task(task)

    assert run.status == 200
    assert len(handler.calls) == 1
    assert a.requests[-1].header('Authorization')
    assert b.requests[0].header('Authorization') is None


def test_cancel_the_task_while_asking(servers, session):
    server = servers()
    task = session.create_data_task_for_uri(server.uri('/basic/resource'))
    held = []

    def hold(task, auth, retrying):
        held.append(auth)
        task.cancel()
        return True

    task.connect('authenticate', hold)
    run = run_task(task)

    assert run.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    answered = []

    def answer_late():
        held[0].authenticate(USER, PASSWORD)
        answered.append(True)
        return GLib.SOURCE_REMOVE

    GLib.idle_add(answer_late)
    wait_for(lambda: answered, 'the late answer')
    assert run.n_completed == 1
    assert len(server.requests) == 1


class Proxy:
    """A proxy that asks for credentials (407) and answers every request itself."""

    def __init__(self):
        self.proxy_authorizations = []
        self.users = []
        self.server = Soup.Server()
        self.server.add_handler(None, self._handle)
        self.server.connect('request-read', self._request_read)
        domain = Soup.AuthDomainBasic(realm='ladle-proxy', proxy=True)
        domain.set_auth_callback(lambda d, m, user, password: (user, password) == ('proxy-user', 'proxy-secret'))
        self.server.add_auth_domain(domain)
        self.server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY)
        self.port = self.server.get_uris()[0].get_port()

    def _request_read(self, server, msg):
        self.proxy_authorizations.append(msg.get_request_headers().get_one('Proxy-Authorization'))
        self.users.append(msg.get_uri().get_user())

    def _handle(self, server, msg, path, query):
        msg.set_status(200, None)
        msg.set_response('text/plain', Soup.MemoryUse.COPY, f'proxied {path}'.encode())

    def session(self):
        return new_session(proxy_resolver=Gio.SimpleProxyResolver.new(f'http://127.0.0.1:{self.port}', None))


@pytest.fixture
def proxy():
    p = Proxy()
    yield p
    p.server.disconnect()


def test_proxy_407(proxy):
    session = proxy.session()
    refused = run_task(session.create_data_task_for_uri('http://127.0.0.1:9/refused'))
    assert refused.error is None
    assert refused.status == 407

    task = session.create_data_task_for_uri('http://127.0.0.1:9/resource')
    handler = AuthHandler(['wrong', 'proxy-secret'], later=True, user='proxy-user')
    task.connect('authenticate', handler.on_task)
    run = run_task(task)

    assert run.status == 200
    assert run.body == b'proxied /resource'
    assert [(c[1], c[2], c[3]) for c in handler.calls] == [('ladle-proxy', True, False), ('ladle-proxy', True, True)]


def test_url_credentials_follow_a_same_origin_redirect_only(servers, session):
    """Credentials in the URL belong to its origin: they answer a challenge after a same-origin
    redirect, and are never offered to another origin (whose challenge goes to the handler)."""
    a, b = servers(), servers()
    base = f'http://{USER}:{PASSWORD}@127.0.0.1:{a.port}/redirect/302?to='

    same = session.create_data_task_for_uri(base + GLib.Uri.escape_string('/basic/echo', None, False))
    same_handler = AuthHandler()
    same.connect('authenticate', same_handler.on_task)
    run = run_task(same)
    assert run.status == 200
    assert same_handler.calls == []

    cross = session.create_data_task_for_uri(base + GLib.Uri.escape_string(b.uri('/basic/echo'), None, False))
    cross_handler = AuthHandler()
    cross.connect('authenticate', cross_handler.on_task)
    run = run_task(cross)
    assert run.error is None
    assert run.status == 401
    assert [c[3] for c in cross_handler.calls] == [False]
    assert [r.header('Authorization') for r in b.requests] == [None]
