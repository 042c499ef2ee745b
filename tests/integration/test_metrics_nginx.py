# SPDX-License-Identifier: LGPL-2.1-or-later
"""Task metrics against nginx over HTTPS and HTTP/2 (a server nobody here wrote): a redirect to a
Basic-auth location, answered with credentials, is three transactions (302, 401, 200) with the
right methods, statuses, HTTP version 2, TLS details and ordered timings; over HTTP/1.1 the same
request says HTTP/1.1; the final body bytes match its Content-Length; with the certificate in the
session's TLS database the connection is reused, accepted by a handler it is not."""

import os
import sys
import time

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

FAILSAFE_SECONDS = 30 * int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))
CONTENT = b'Ladle metrics integration test\n' * 1000


def _nginx(http2):
    server = servers.Nginx(http2=http2)
    try:
        server.start()
    except servers.ServerMissing as e:
        pytest.fail('integration tests are enabled but %s' % e)
    server.write_file('file.txt', CONTENT)
    return server


@pytest.fixture(scope='module')
def nginx_h2():
    server = _nginx(True)
    yield server
    server.stop()


@pytest.fixture(scope='module')
def nginx_h1():
    server = _nginx(False)
    yield server
    server.stop()


def session_for(nginx, trust_database):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    if trust_database:
        # nginx's self-signed certificate as the session's only anchor: a verified connection,
        # which libsoup reuses (a certificate accepted by a handler makes Ladle open a new
        # connection for every request instead)
        configuration.set_tls_database(Gio.TlsFileDatabase.new(nginx.cert_path))
    return Ladle.Session.new(configuration)


def run(task):
    events = []
    seen = {}

    def on_metrics(task, metrics):
        events.append('metrics')
        seen['metrics'] = metrics

    task.connect('metrics-collected', on_metrics)
    task.connect('completed', lambda task, error: events.append('completed'))
    task.resume()
    context = GLib.MainContext.default()
    timed_out = []
    source = GLib.timeout_add_seconds(FAILSAFE_SECONDS, lambda: timed_out.append(True) or False)
    while 'completed' not in events and not timed_out:
        context.iteration(True)
    if not timed_out:
        GLib.source_remove(source)
    assert 'completed' in events, 'failsafe: the task did not complete within %d s' % FAILSAFE_SECONDS
    for _ in range(1000):
        if not context.iteration(False):
            break
    assert events == ['metrics', 'completed']
    assert task.dup_metrics() == seen['metrics']
    return seen['metrics']


def pin_and_authenticate(task, nginx, calls):
    pinned = Gio.TlsCertificate.new_from_file(nginx.cert_path)

    def on_accept(task, certificate, errors):
        calls.append(errors)
        return certificate.is_same(pinned)

    task.connect('accept-certificate', on_accept)

    def on_authenticate(task, auth, retrying):
        if retrying:
            return False
        auth.authenticate(nginx.user, nginx.password)
        return True

    task.connect('authenticate', on_authenticate)


def transactions(metrics):
    model = metrics.get_transactions()
    return [model.get_item(i) for i in range(model.get_n_items())]


def assert_ordered(metrics, t):
    times = [t.get_fetch_start(), t.get_dns_start(), t.get_dns_end(), t.get_connect_start(),
             t.get_tls_start(), t.get_tls_end(), t.get_connect_end(), t.get_request_start(),
             t.get_response_start(), t.get_response_end()]
    present = [x for x in times if x != -1]
    assert present[0] == t.get_fetch_start() > 0
    assert present == sorted(present), times
    assert metrics.get_start_time() <= present[0] and present[-1] <= metrics.get_end_time()
    assert t.get_request_start() > 0 and t.get_response_start() > 0 and t.get_response_end() > 0
    assert t.get_request_end() >= t.get_request_start()


def redirected_auth_task(session, nginx, calls):
    target = nginx.tls_url('/auth/file.txt')
    # nginx's $arg_to is the query text as it is: not escaped
    uri = nginx.tls_url('/redirect-to/302?to=' + target)
    task = session.create_data_task_for_uri(uri)
    pin_and_authenticate(task, nginx, calls)
    return task, uri, target


@pytest.mark.parametrize('http2,trust_database', [(True, True), (True, False), (False, True), (False, False)],
                         ids=['h2-trusted', 'h2-accepted', 'http1-trusted', 'http1-accepted'])
def test_redirected_authenticated_https(nginx_h2, nginx_h1, http2, trust_database):
    nginx = nginx_h2 if http2 else nginx_h1
    nginx.clear_access_log()
    session = session_for(nginx, trust_database)
    calls = []
    task, uri, target = redirected_auth_task(session, nginx, calls)
    metrics = run(task)

    assert task.get_error() is None
    assert task.get_status_code() == 200
    assert task.dup_body().get_data() == CONTENT
    # nginx saw the three requests the metrics list (it logs a request after its last byte went
    # out: the client may see the response first)
    deadline = time.monotonic() + FAILSAFE_SECONDS
    while len(nginx.access_log()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    log = [(e['method'], e['status']) for e in nginx.access_log()]
    assert log == [('GET', 302), ('GET', 401), ('GET', 200)], log

    assert metrics.get_redirect_count() == 1
    items = transactions(metrics)
    assert [(t.get_method(), t.get_status_code(), t.get_uri()) for t in items] == [
        ('GET', 302, uri), ('GET', 401, target), ('GET', 200, target)]
    version = Soup.HTTPVersion.HTTP_2_0 if http2 else Soup.HTTPVersion.HTTP_1_1
    for t in items:
        assert t.get_http_version() == version
        assert t.get_network_protocol_name() == ('h2' if http2 else 'http/1.1')
        assert t.get_tls_protocol_version() in (Gio.TlsProtocolVersion.TLS_1_2,
                                                Gio.TlsProtocolVersion.TLS_1_3)
        assert t.get_tls_ciphersuite_name()
        assert t.get_remote_address().get_port() == nginx.tls_port
        assert not t.get_served_from_cache()
        assert_ordered(metrics, t)
    fetches = [t.get_fetch_start() for t in items]
    assert fetches == sorted(fetches)

    # The first request opened the TLS connection; a later one reuses a connection exactly when
    # an earlier request of the task opened it (over HTTP/2 they all share it).
    first = items[0]
    assert not first.get_reused_connection()
    assert first.get_connect_start() > 0 and first.get_tls_start() > 0
    assert first.get_connect_start() <= first.get_tls_start() <= first.get_tls_end() <= first.get_connect_end()
    ids = [t.get_connection_id() for t in items]
    for i, t in enumerate(items):
        assert t.get_reused_connection() == (ids[i] in ids[:i])
        if t.get_reused_connection():
            assert (t.get_dns_start(), t.get_connect_start(), t.get_tls_start()) == (-1, -1, -1)
    if trust_database:
        # a verified connection is kept: HTTP/2 multiplexes every request over it, and the
        # resend after the 401 goes over the 401's connection
        assert calls == []
        if http2:
            assert ids == [ids[0]] * 3
        assert items[2].get_reused_connection()
    else:
        # accepted by the handler (once): the redirect hop, a new message, gets a new
        # connection with its own handshake (the resend of the same message may reuse the 401's
        # connection over HTTP/1, not over HTTP/2)
        assert len(calls) == 1
        assert ids[1] != ids[0]
        assert not items[1].get_reused_connection() and items[1].get_tls_start() > 0

    # The final body: as many bytes as nginx announced (HTTP/2 frames add their headers on the wire)
    final = items[2]
    assert final.get_response_body_bytes_after_decoding() == len(CONTENT)
    assert final.get_response_body_bytes_received() >= len(CONTENT)
    if not http2:
        assert final.get_response_body_bytes_received() == len(CONTENT)
    assert final.get_response_header_bytes_received() > 0
    assert final.get_request_header_bytes_sent() > 0
    # the resend carries the credentials: its request headers are longer than the 401's
    if not http2:
        assert final.get_request_header_bytes_sent() > items[1].get_request_header_bytes_sent()
