# SPDX-License-Identifier: LGPL-2.1-or-later
"""The REST examples run as a user would, against the demo server's JSON endpoints:
examples/ladle-rest-client.c, examples/rest-client.py and examples/rest-client.js (await style)
print the same lines, checked one by one; and the demo server's /api/ endpoints themselves."""

import json
import urllib.request
import urllib.error

import pytest

from conftest import example, gjs, program, run

EXPECTED = {
    'get-method': 'GET',
    'get-query': 'page=2 q=ladle',
    'post-content-type': 'application/json',
    'post-name': 'Ladle',
    'post-tags': 'rest,json',
    'error': '404 application/problem+json Not Found',
    'bytes': '1000 200',
}


def client_command(kind):
    if kind == 'c':
        return [program('LADLE_REST_CLIENT')]
    if kind == 'python':
        return [program('LADLE_PYTHON'), example('rest-client.py')]
    return [gjs(), '-m', example('rest-client.js')]


@pytest.mark.parametrize('kind', ['c', 'python', 'gjs'])
def test_rest_client(demo_server, home, kind):
    result = run(client_command(kind) + [demo_server.url], home)
    assert result.returncode == 0, result
    assert result.fields() == EXPECTED, result
    assert [line.partition(': ')[0] for line in result.stdout.splitlines()] == list(EXPECTED), result


@pytest.mark.parametrize('kind', ['c', 'python', 'gjs'])
def test_rest_client_usage_and_refused_connection(demo_server, home, kind):
    assert run(client_command(kind), home).returncode == 2
    # nothing listens on port 1: a transport error, exit status 1
    result = run(client_command(kind) + ['http://127.0.0.1:1/'], home)
    assert result.returncode == 1, result
    assert 'failed:' in result.stderr, result


def test_demo_server_api(demo_server):
    request = urllib.request.Request(demo_server.url + 'api/echo?a=1&b=x%20y', method='PUT',
                                     data=json.dumps({'k': [1, None]}).encode(),
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers['Content-Type'] == 'application/json'
        echo = json.loads(response.read())
    assert echo == {'method': 'PUT', 'query': {'a': '1', 'b': 'x y'},
                    'content_type': 'application/json', 'json': {'k': [1, None]}, 'form': None}

    request = urllib.request.Request(demo_server.url + 'api/echo', data=b'x=1&y=%C3%A9')
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read())['form'] == {'x': '1', 'y': 'é'}

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(demo_server.url + 'api/status/503', timeout=30)
    assert raised.value.code == 503
    assert raised.value.headers['Content-Type'] == 'application/problem+json'
    assert json.loads(raised.value.read()) == {'status': 503, 'error': 'Service Unavailable'}

    request = urllib.request.Request(demo_server.url + 'api/echo', data=b'{not json',
                                     headers={'Content-Type': 'application/json'})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=30)
    assert raised.value.code == 400
