# test_redirect.py: redirects followed by Ladle itself, seen from Python
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import pytest
from conftest import GLib, Ladle, Soup, assert_localhost_is_loopback, data_task, run_task

CODES = [301, 302, 303, 307, 308]


class RedirectHandler:
    def __init__(self, answer=True, edit=None):
        self.answer = answer
        self.edit = edit
        self.calls = []

    def __call__(self, task, new_request):
        headers = {}
        new_request.get_request_headers().foreach(lambda name, value: headers.setdefault(name.lower(), value))
        self.calls.append((new_request.get_method(), new_request.get_uri().to_string(), headers))
        # The hop is not the task's current request yet.
        assert task.get_current_request() != new_request
        if self.edit is not None:
            self.edit(new_request)
        return self.answer


@pytest.mark.parametrize('code', CODES)
def test_get_follows_every_status_across_ports(servers, session, code):
    a, b = servers(), servers()
    target = b.uri('/echo')
    start = a.redirect_uri(code, target)
    task = session.create_data_task_for_uri(start)
    handler = RedirectHandler()
    task.connect('redirect', handler)

    run = run_task(task)

    assert run.error is None
    assert run.status == 200
    assert [(m, u) for m, u, _ in handler.calls] == [('GET', target)]
    assert run.n_current_request == 1
    assert run.n_response == 1
    assert task.get_original_request().get_uri().to_string() == start
    assert task.get_current_request().get_uri().to_string() == target
    assert [(r.method, r.path) for r in b.requests] == [('GET', '/echo')]
    assert 'method GET' in run.body_lines()


@pytest.mark.parametrize('code', [301, 302, 303])
def test_post_becomes_get_without_body(servers, session, code):
    a, b = servers(), servers()
    task = data_task(session, 'POST', a.redirect_uri(code, b.uri('/echo')),
                     headers={'X-Custom': 'kept', 'Content-Language': 'en'},
                     body=b'name=value', content_type='application/x-www-form-urlencoded')
    handler = RedirectHandler()
    task.connect('redirect', handler)

    run = run_task(task)

    assert run.error is None
    assert run.status == 200
    method, _, headers = handler.calls[0]
    assert method == 'GET'
    assert 'content-type' not in headers
    assert 'content-length' not in headers
    assert 'content-language' not in headers
    assert headers['x-custom'] == 'kept'
    assert (a.requests[0].method, a.requests[0].body) == ('POST', b'name=value')
    hop = b.requests[0]
    assert (hop.method, hop.body) == ('GET', b'')
    assert hop.header('Content-Type') is None
    assert hop.header('X-Custom') == 'kept'


@pytest.mark.parametrize('code', [307, 308])
def test_post_with_body_307_308_is_final_for_a_data_task(servers, session, code):
    a, b = servers(), servers()
    task = data_task(session, 'POST', a.redirect_uri(code, b.uri('/echo')), body=b'name=value')
    handler = RedirectHandler()
    task.connect('redirect', handler)

    run = run_task(task)

    assert run.error is None
    assert run.status == code
    assert run.n_response == 1
    assert run.body == b'redirect body'
    assert handler.calls == []
    assert b.requests == []


def test_handler_edits_the_new_request(servers, session):
    a, b = servers(), servers()
    edited = b.uri('/echo')

    def edit(new_request):
        new_request.get_request_headers().replace('X-Added', 'yes')
        new_request.set_uri(GLib.Uri.parse(edited, GLib.UriFlags(Soup.HTTP_URI_FLAGS)))

    task = session.create_data_task_for_uri(a.redirect_uri(302, b.uri('/ok')))
    task.connect('redirect', RedirectHandler(edit=edit))

    run = run_task(task)

    assert run.status == 200
    assert 'header X-Added: yes' in run.body_lines()
    assert 'path /echo' in run.body_lines()
    assert [r.path for r in b.requests] == ['/echo']
    assert task.get_current_request().get_uri().to_string() == edited


@pytest.mark.parametrize('code', CODES)
def test_refused_redirect_is_the_final_response(servers, session, code):
    a, b = servers(), servers()
    target = b.uri('/echo')
    task = session.create_data_task_for_uri(a.redirect_uri(code, target))
    handler = RedirectHandler(answer=False)
    task.connect('redirect', handler)

    run = run_task(task)

    assert run.error is None
    assert run.status == code
    assert run.n_response == 1
    assert run.n_current_request == 0
    assert run.body == b'redirect body'
    assert task.get_response_headers().get_one('Location') == target
    assert len(handler.calls) == 1
    assert b.requests == []


def test_one_refusal_among_handlers_wins(servers, session):
    a, b = servers(), servers()
    task = session.create_data_task_for_uri(a.redirect_uri(302, b.uri('/echo')))
    task.connect('redirect', RedirectHandler(answer=True))
    task.connect('redirect', RedirectHandler(answer=False))
    task.connect('redirect', RedirectHandler(answer=True))

    run = run_task(task)

    assert run.status == 302
    assert b.requests == []


@pytest.mark.parametrize('limit', [None, 4])
def test_redirect_loop(servers, session, limit):
    a = servers()
    task = session.create_data_task_for_uri(a.uri('/loop'))
    if limit is not None:
        task.set_max_redirects(limit)
    expected = 20 if limit is None else limit
    assert task.get_max_redirects() == expected
    handler = RedirectHandler()
    task.connect('redirect', handler)

    run = run_task(task)

    assert run.error.matches(Ladle.error_quark(), Ladle.Error.TOO_MANY_REDIRECTS)
    assert len(handler.calls) == expected
    assert len(a.requests) == expected + 1
    assert run.n_response == 0


@pytest.mark.parametrize('target', ['file:///etc/passwd', 'ftp://127.0.0.1/file', 'data:text/plain,x'])
def test_redirect_to_another_scheme(servers, session, target):
    a = servers()
    task = session.create_data_task_for_uri(a.redirect_uri(302, target))
    handler = RedirectHandler()
    task.connect('redirect', handler)

    run = run_task(task)

    assert run.error.matches(Ladle.error_quark(), Ladle.Error.UNSUPPORTED_REDIRECT)
    assert handler.calls == []


CREDENTIALS = {
    'Authorization': 'Bearer secret-token',
    'Cookie': 'session=secret-cookie',
    'Proxy-Authorization': 'Basic cHJveHk6c2VjcmV0',
}


def accept_any(task, certificate, errors):
    return True


@pytest.mark.parametrize('header', list(CREDENTIALS))
@pytest.mark.parametrize('change', ['port', 'host', 'downgrade', 'same-origin'])
def test_credentials_never_cross_origins(servers, session, certs, change, header):
    certificate = certs.load(certs.self_signed, certs.self_signed_key) if change == 'downgrade' else None
    a = servers(certificate)
    b = servers()
    if change in ('port', 'downgrade'):
        target, second = b.uri('/echo'), b
    elif change == 'host':
        assert_localhost_is_loopback()
        target, second = a.uri('/echo', host='localhost'), a
    else:
        target, second = a.uri('/echo'), a

    message = Soup.Message.new('GET', a.redirect_uri(302, target))
    message.get_request_headers().replace(header, CREDENTIALS[header])
    message.get_request_headers().replace('X-Custom', 'kept')
    # The session's cookie jar replaces an application's own Cookie header unless disabled.
    message.disable_feature(Soup.CookieJar)
    task = session.create_data_task(message)
    handler = RedirectHandler()
    task.connect('redirect', handler)
    if certificate is not None:
        task.connect('accept-certificate', accept_any)

    run = run_task(task)

    assert run.error is None
    assert run.status == 200
    assert a.requests[0].header(header) == CREDENTIALS[header]
    _, _, seen = handler.calls[0]
    hop = second.requests[-1]
    assert hop.path == '/echo'
    assert hop.header('X-Custom') == 'kept'
    if change == 'same-origin':
        assert seen.get(header.lower()) == CREDENTIALS[header]
        assert hop.header(header) == CREDENTIALS[header]
    else:
        assert header.lower() not in seen
        assert hop.header(header) is None


def test_credentials_in_location_are_dropped(servers, session):
    a, b = servers(), servers()
    target = f'http://user:secret@127.0.0.1:{b.port}/basic/echo'
    task = session.create_data_task_for_uri(a.redirect_uri(302, target))
    handler = RedirectHandler()
    task.connect('redirect', handler)

    run = run_task(task)

    assert run.status == 401
    assert 'user' not in handler.calls[0][1]
    assert b.requests[0].header('Authorization') is None


@pytest.mark.parametrize('method,code,expected', [
    ('POST', 307, 'POST'), ('POST', 308, 'POST'), ('PUT', 308, 'PUT'),
    ('POST', 302, 'GET'), ('POST', 303, 'GET'),
])
def test_upload_bytes_body_is_resent_by_307_308(servers, session, method, code, expected):
    """An upload task can produce its bytes body again: 307/308 resend the same bytes."""
    a, b = servers(), servers()
    body = bytes((i * 7 + i // 251) & 0xff for i in range(100000))
    message = Soup.Message.new(method, a.redirect_uri(code, b.uri('/echo')))
    message.get_request_headers().replace('Content-Type', 'application/octet-stream')
    task = session.create_upload_task_from_bytes(message, GLib.Bytes.new(body))
    handler = RedirectHandler()
    task.connect('redirect', handler)

    run = run_task(task)

    assert run.error is None
    assert run.status == 200
    assert handler.calls[0][0] == expected
    assert (a.requests[0].method, a.requests[0].body) == (method, body)
    hop = b.requests[0]
    assert hop.method == expected
    if expected == method:
        assert hop.body == body
        assert hop.header('Content-Length') == str(len(body))
    else:
        assert hop.body == b''
        assert hop.header('Content-Type') is None
