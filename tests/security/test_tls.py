# test_tls.py: TLS trust, seen from Python, over HTTP/1.1 and HTTP/2
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later

import pytest
from conftest import (PASSWORD, USER, GLib, Gio, Soup, assert_localhost_is_loopback,
                      assert_tls_rejected, new_session, run_task, wait_for, Run)

VERSIONS = {'http1': Soup.HTTPVersion.HTTP_1_1, 'http2': Soup.HTTPVersion.HTTP_2_0}


@pytest.fixture(params=list(VERSIONS))
def version(request):
    return request.param


@pytest.fixture
def self_signed(certs):
    return certs.load(certs.self_signed, certs.self_signed_key)


@pytest.fixture
def tls_server(servers, self_signed, version):
    return servers(self_signed, http2=version == 'http2')


class CertHandler:
    def __init__(self, answer=True, pinned=None, log=None, name='t'):
        self.answer = answer
        self.pinned = pinned
        self.calls = []
        self.tasks = []
        self.log = log
        self.name = name

    def decide(self, certificate, errors):
        self.calls.append((certificate, errors))
        if self.log is not None:
            self.log.append(self.name)
        if self.pinned is not None:
            return self.pinned.is_same(certificate)
        return self.answer

    def on_task(self, task, certificate, errors):
        return self.decide(certificate, errors)

    def on_session(self, session, task, certificate, errors):
        self.tasks.append(task)
        return self.decide(certificate, errors)


def assert_ok(run, version):
    assert run.error is None
    assert run.status == 200
    assert run.http_version() == VERSIONS[version]


def test_no_handler_rejects(session, tls_server):
    run = run_task(session.create_data_task_for_uri(tls_server.uri('/ok')))

    assert_tls_rejected(run)
    assert tls_server.requests == []


def test_handler_accepts(session, tls_server, self_signed, version):
    task = session.create_data_task_for_uri(tls_server.uri('/echo'))
    handler = CertHandler(True)
    task.connect('accept-certificate', handler.on_task)

    run = run_task(task)

    assert_ok(run, version)
    certificate, errors = handler.calls[0]
    assert certificate.is_same(self_signed)
    assert errors & Gio.TlsCertificateFlags.UNKNOWN_CA
    assert [r.http_version for r in tls_server.requests] == [VERSIONS[version]]


def test_handler_rejects(session, tls_server):
    task = session.create_data_task_for_uri(tls_server.uri('/ok'))
    handler = CertHandler(False)
    task.connect('accept-certificate', handler.on_task)

    assert_tls_rejected(run_task(task))
    assert len(handler.calls) == 1


def test_task_b_still_fails_after_task_a_accepted(session, tls_server, version):
    a = session.create_data_task_for_uri(tls_server.uri('/ok'))
    a.connect('accept-certificate', CertHandler(True).on_task)
    assert_ok(run_task(a), version)

    b = session.create_data_task_for_uri(tls_server.uri('/ok'))
    assert_tls_rejected(run_task(b))

    c = session.create_data_task_for_uri(tls_server.uri('/ok'))
    handler = CertHandler(True)
    c.connect('accept-certificate', handler.on_task)
    assert_ok(run_task(c), version)
    assert handler.calls
    assert len(tls_server.requests) == 2


def test_task_b_fails_while_task_a_is_in_flight(session, tls_server, version):
    a = session.create_data_task_for_uri(tls_server.uri('/hold'))
    a.connect('accept-certificate', CertHandler(True).on_task)
    run_a = Run(a).start()
    wait_for(lambda: tls_server.held, 'the held request')

    assert_tls_rejected(run_task(session.create_data_task_for_uri(tls_server.uri('/ok'))))

    assert not run_a.done
    tls_server.release()
    run_a.wait()
    assert_ok(run_a, version)
    assert run_a.body == b'held'


def test_pinned_certificate(session, tls_server, certs, version):
    wrong = session.create_data_task_for_uri(tls_server.uri('/ok'))
    wrong_handler = CertHandler(pinned=Gio.TlsCertificate.new_from_file(certs.other))
    wrong.connect('accept-certificate', wrong_handler.on_task)
    assert_tls_rejected(run_task(wrong))
    assert len(wrong_handler.calls) == 1

    right = session.create_data_task_for_uri(tls_server.uri('/ok'))
    right.connect('accept-certificate', CertHandler(pinned=Gio.TlsCertificate.new_from_file(certs.self_signed)).on_task)
    assert_ok(run_task(right), version)


def test_session_handler(session, tls_server, version):
    log = []
    task = session.create_data_task_for_uri(tls_server.uri('/ok'))
    task.connect('accept-certificate', CertHandler(False, log=log, name='t').on_task)
    session_handler = CertHandler(True, log=log, name='s')
    session.connect('accept-certificate', session_handler.on_session)

    run = run_task(task)

    assert_ok(run, version)
    assert log[:2] == ['t', 's']
    assert session_handler.tasks[0] == task


def test_tls_database_trusts_the_test_ca(servers, certs, version):
    leaf = certs.load(certs.leaf, certs.leaf_key)
    server = servers(leaf, http2=version == 'http2')
    trusting = new_session(tls_database=Gio.TlsFileDatabase.new(certs.ca))
    handler = CertHandler(False)
    trusting.connect('accept-certificate', handler.on_session)

    assert_localhost_is_loopback()
    for host in ('127.0.0.1', 'localhost'):
        task = trusting.create_data_task_for_uri(server.uri('/ok', host=host))
        task.connect('accept-certificate', handler.on_task)
        assert_ok(run_task(task), version)
    assert handler.calls == []

    # Without that database, the same server is not trusted.
    plain = new_session()
    assert_tls_rejected(run_task(plain.create_data_task_for_uri(server.uri('/ok'))))


def test_tls_database_does_not_trust_others(tls_server, certs):
    session = new_session(tls_database=Gio.TlsFileDatabase.new(certs.ca))
    assert_tls_rejected(run_task(session.create_data_task_for_uri(tls_server.uri('/ok'))))


def test_redirect_and_auth_over_tls(servers, session, self_signed, version):
    a = servers(self_signed, http2=version == 'http2')
    b = servers(self_signed, http2=version == 'http2')
    target = b.uri('/basic/resource')
    message = Soup.Message.new('GET', a.redirect_uri(307, target))
    message.get_request_headers().replace('Authorization', 'Bearer for-a')
    task = session.create_data_task(message)
    task.connect('accept-certificate', CertHandler(True).on_task)
    hops = []
    task.connect('redirect', lambda t, m: hops.append(m.get_uri().to_string()) or True)
    auth_calls = []

    def on_authenticate(task, auth, retrying):
        auth_calls.append(retrying)
        auth.authenticate(USER, PASSWORD if retrying else 'wrong')
        return True

    task.connect('authenticate', on_authenticate)
    run = run_task(task)

    assert_ok(run, version)
    assert hops == [target]
    assert auth_calls == [False, True]
    assert [r.header('Authorization') is None for r in b.requests] == [True, False, False]
    assert b.requests[-1].header('Authorization').startswith('Basic ')
    assert all(r.http_version == VERSIONS[version] for r in a.requests + b.requests)


def test_a_task_is_asked_once(session, tls_server, version):
    """A task that accepted a certificate is not asked again about it: not for a redirect hop to the
    same server, not for an authentication retry (each may run on a new connection)."""
    task = session.create_data_task_for_uri(tls_server.redirect_uri(302, '/basic/resource'))
    handler = CertHandler(True)
    task.connect('accept-certificate', handler.on_task)
    task.connect('authenticate', lambda t, auth, retrying: auth.authenticate(USER, PASSWORD if retrying else 'wrong') or True)

    run = run_task(task)

    assert_ok(run, version)
    assert len(tls_server.requests) == 4
    assert len(handler.calls) == 1
