# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The demo server's contract, checked with Python's own HTTP client (not Ladle): /bytes/N with
ETag, Last-Modified, Range and If-Range; /upload streaming the request body, parsing multipart
bodies incrementally (every part split at every possible place) and answering JSON; /private/
behind Basic authentication; constant memory for large bodies in both directions."""

import base64
import hashlib
import http.client
import json
import os
import random

import pytest

from conftest import pattern, pattern_sha256

LAST_MODIFIED = 'Sat, 01 Jan 2022 00:00:00 GMT'


def request(server, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection('127.0.0.1', server.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def test_bytes_have_validators(demo_server):
    response, body = request(demo_server, 'GET', '/bytes/1000')
    assert response.status == 200
    assert body == pattern(0, 1000)
    assert response.getheader('ETag') == '"bytes-1000"'
    assert response.getheader('Last-Modified') == LAST_MODIFIED
    assert response.getheader('Accept-Ranges') == 'bytes'
    assert response.getheader('Content-Length') == '1000'


@pytest.mark.parametrize('spec, start, end', [
    ('bytes=100-199', 100, 199),
    ('bytes=999-', 999, 999),
    ('bytes=900-5000', 900, 999),
    ('bytes=-10', 990, 999),
    ('bytes=0-0', 0, 0),
])
def test_range(demo_server, spec, start, end):
    response, body = request(demo_server, 'GET', '/bytes/1000', headers={'Range': spec})
    assert response.status == 206
    assert response.getheader('Content-Range') == f'bytes {start}-{end}/1000'
    assert response.getheader('Content-Length') == str(end + 1 - start)
    assert body == pattern(start, end + 1 - start)


@pytest.mark.parametrize('if_range', ['"bytes-1000"', LAST_MODIFIED])
def test_if_range_that_matches_serves_the_range(demo_server, if_range):
    response, body = request(demo_server, 'GET', '/bytes/1000',
                             headers={'Range': 'bytes=500-', 'If-Range': if_range})
    assert response.status == 206
    assert body == pattern(500, 500)


@pytest.mark.parametrize('if_range', ['"bytes-999"', 'W/"bytes-1000"', 'Sun, 02 Jan 2022 00:00:00 GMT'])
def test_if_range_that_differs_serves_everything(demo_server, if_range):
    response, body = request(demo_server, 'GET', '/bytes/1000',
                             headers={'Range': 'bytes=500-', 'If-Range': if_range})
    assert response.status == 200
    assert response.getheader('Content-Range') is None
    assert body == pattern(0, 1000)


def test_range_past_the_end_is_416(demo_server):
    response, body = request(demo_server, 'GET', '/bytes/1000', headers={'Range': 'bytes=1000-'})
    assert response.status == 416
    assert response.getheader('Content-Range') == 'bytes */1000'


def test_several_ranges_serve_everything(demo_server):
    response, body = request(demo_server, 'GET', '/bytes/1000', headers={'Range': 'bytes=0-1,5-6'})
    assert response.status == 200
    assert body == pattern(0, 1000)


def test_head_of_a_range(demo_server):
    response, body = request(demo_server, 'HEAD', '/bytes/1000', headers={'Range': 'bytes=10-19'})
    assert response.status == 206
    assert response.getheader('Content-Length') == '10'
    assert body == b''


def test_large_range_in_constant_memory(demo_server):
    total = 1 << 30
    connection = http.client.HTTPConnection('127.0.0.1', demo_server.port, timeout=60)
    connection.request('GET', f'/bytes/{total}', headers={'Range': f'bytes={total - 300_000_000}-'})
    response = connection.getresponse()
    assert response.status == 206
    checksum = hashlib.sha256()
    received = 0
    while True:
        block = response.read(1 << 20)
        if not block:
            break
        checksum.update(block)
        received += len(block)
    connection.close()
    assert received == 300_000_000
    expected = hashlib.sha256()
    offset = total - 300_000_000
    done = 0
    while done < received:
        size = min(1 << 20, received - done)
        expected.update(pattern(offset + done, size))
        done += size
    assert checksum.hexdigest() == expected.hexdigest()
    # 300 MB went out of a server that never held them
    assert demo_server.peak_rss_kb() < 64 * 1024


def test_rate_limit_is_validated(demo_server):
    response, _ = request(demo_server, 'GET', '/bytes/10?rate=fast')
    assert response.status == 400
    response, body = request(demo_server, 'GET', '/bytes/100000?rate=10M')
    assert response.status == 200
    assert body == pattern(0, 100000)


def test_pattern_checksum_helper():
    assert pattern_sha256(1000) == hashlib.sha256(pattern(0, 1000)).hexdigest()


# Uploads

def test_put_plain_body(demo_server):
    data = os.urandom(3_000_001)
    response, body = request(demo_server, 'PUT', '/upload', body=data,
                             headers={'Content-Type': 'application/x-test'})
    assert response.status == 200
    report = json.loads(body)
    assert report['method'] == 'PUT'
    assert report['content_type'] == 'application/x-test'
    assert report['content_length'] == len(data)
    assert report['length'] == len(data)
    assert report['sha256'] == hashlib.sha256(data).hexdigest()
    assert 'parts' not in report


def test_chunked_body(demo_server):
    data = os.urandom(100_000)
    chunks = (data[i:i + 777] for i in range(0, len(data), 777))
    connection = http.client.HTTPConnection('127.0.0.1', demo_server.port, timeout=60)
    connection.request('POST', '/upload', body=chunks, encode_chunked=True)
    response = connection.getresponse()
    report = json.loads(response.read())
    connection.close()
    assert report['content_length'] is None
    assert report['length'] == len(data)
    assert report['sha256'] == hashlib.sha256(data).hexdigest()


def test_get_upload_is_405(demo_server):
    response, _ = request(demo_server, 'GET', '/upload')
    assert response.status == 405
    assert response.getheader('Allow') == 'POST, PUT'


def multipart(boundary, parts, preamble=b'', epilogue=b''):
    body = preamble
    for name, filename, content_type, data in parts:
        def quote(text):
            return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'
        disposition = f'form-data; name={quote(name)}' + (f'; filename={quote(filename)}' if filename else '')
        headers = f'Content-Disposition: {disposition}\r\n'
        if content_type:
            headers += f'Content-Type: {content_type}\r\n'
        body += b'--' + boundary.encode() + b'\r\n' + headers.encode() + b'\r\n' + data + b'\r\n'
    return body + b'--' + boundary.encode() + b'--\r\n' + epilogue


def send_chunked(server, path, body, content_type, rnd):
    """Sends @body in chunks of random sizes, down to one byte: every split point is tried."""
    connection = http.client.HTTPConnection('127.0.0.1', server.port, timeout=60)
    connection.putrequest('POST', path)
    connection.putheader('Content-Type', content_type)
    connection.putheader('Transfer-Encoding', 'chunked')
    connection.endheaders()
    position = 0
    while position < len(body):
        size = rnd.randint(1, 40) if rnd.random() < 0.7 else rnd.randint(1, 20000)
        chunk = body[position:position + size]
        position += size
        connection.send(b'%x\r\n' % len(chunk) + chunk + b'\r\n')
    connection.send(b'0\r\n\r\n')
    response = connection.getresponse()
    report = json.loads(response.read())
    connection.close()
    return response.status, report


def test_multipart_parts_are_reported(demo_server):
    boundary = 'ladle-test-boundary'
    parts = [
        ('title', None, None, 'Hello “world”'.encode()),
        ('empty', None, None, b''),
        ('doc', 'report.pdf', 'application/pdf', os.urandom(200_000)),
        ('note', 'a "quoted" name.txt', 'text/plain', b'x' * 5),
    ]
    body = multipart(boundary, parts, preamble=b'ignored preamble\r\n', epilogue=b'ignored epilogue')
    response, text = request(demo_server, 'POST', '/upload', body=body,
                             headers={'Content-Type': f'multipart/form-data; boundary={boundary}'})
    assert response.status == 200
    report = json.loads(text)
    assert report['length'] == len(body)
    assert report['sha256'] == hashlib.sha256(body).hexdigest()
    got = [(p['name'], p['filename'], p['content_type'], p['size'], p['sha256']) for p in report['parts']]
    assert got == [(n, f, t, len(d), hashlib.sha256(d).hexdigest()) for n, f, t, d in parts]
    assert report['parts'][0]['value'] == 'Hello “world”'
    assert report['parts'][1]['value'] == ''
    assert 'value' not in report['parts'][2]


def test_multipart_split_everywhere(demo_server):
    rnd = random.Random(20240601)
    trials = 0
    while trials < 120:
        boundary = 'b' + ''.join(rnd.choice('abcXYZ019-') for _ in range(rnd.randint(1, 60)))
        delimiter = b'\r\n--' + boundary.encode()
        parts = []
        for i in range(rnd.randint(1, 5)):
            data = bytearray(os.urandom(rnd.choice([0, 1, 2, 5, 100, 5000, 70000])))
            # Beginnings of the delimiter inside the content must not end the part.
            for _ in range(rnd.randint(0, 4)):
                fragment = delimiter[:rnd.randint(1, len(delimiter) - 1)]
                at = rnd.randint(0, len(data))
                data[at:at] = fragment
            parts.append((f'f{i}', rnd.choice([None, f'file{i}.bin']), None, bytes(data)))
        body = multipart(boundary, parts, epilogue=b'epilogue')
        if (b'\r\n' + body).count(delimiter) != len(parts) + 1:
            continue  # the fragments happened to form a real delimiter: not a valid body
        trials += 1
        status, report = send_chunked(demo_server, '/upload',
                                      body, f'multipart/form-data; boundary="{boundary}"', rnd)
        assert status == 200, report
        got = [(p['name'], p['filename'], p['size'], p['sha256']) for p in report['parts']]
        assert got == [(n, f, len(d), hashlib.sha256(d).hexdigest()) for n, f, _, d in parts]
        assert report['sha256'] == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize('body', [
    b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nno closing delimiter',
    b'--b\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--b--\r\n',
    b'--bX\r\n',
])
def test_broken_multipart_is_400(demo_server, body):
    response, text = request(demo_server, 'POST', '/upload', body=body,
                             headers={'Content-Type': 'multipart/form-data; boundary=b'})
    assert response.status == 400
    assert json.loads(text)['error']


def test_large_multipart_upload_in_constant_memory(demo_server):
    boundary = 'big'
    size = 256 * 1024 * 1024
    block = os.urandom(1 << 20)
    head = (b'--big\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            b'Content-Type: application/octet-stream\r\n\r\n')
    tail = b'\r\n--big--\r\n'
    connection = http.client.HTTPConnection('127.0.0.1', demo_server.port, timeout=120)
    connection.putrequest('POST', '/upload')
    connection.putheader('Content-Type', f'multipart/form-data; boundary={boundary}')
    connection.putheader('Content-Length', str(len(head) + size + len(tail)))
    connection.endheaders()
    connection.send(head)
    checksum = hashlib.sha256()
    for _ in range(size // len(block)):
        connection.send(block)
        checksum.update(block)
    connection.send(tail)
    response = connection.getresponse()
    report = json.loads(response.read())
    connection.close()
    assert response.status == 200
    assert report['parts'][0]['size'] == size
    assert report['parts'][0]['sha256'] == checksum.hexdigest()
    # The server never accumulated the 256 MiB it received.
    assert demo_server.peak_rss_kb() < 64 * 1024


# Basic authentication on /private/

def basic(user, password):
    return 'Basic ' + base64.b64encode(f'{user}:{password}'.encode()).decode()


def test_private_needs_credentials(demo_server):
    response, _ = request(demo_server, 'POST', '/private/upload', body=b'x')
    assert response.status == 401
    assert response.getheader('WWW-Authenticate').startswith('Basic')
    response, _ = request(demo_server, 'GET', '/private/bytes/10',
                          headers={'Authorization': basic('demo', 'wrong')})
    assert response.status == 401


def test_private_upload_with_credentials(demo_server):
    data = os.urandom(50_000)
    response, text = request(demo_server, 'PUT', '/private/upload', body=data,
                             headers={'Authorization': basic('demo', 'demo')})
    assert response.status == 200
    assert json.loads(text)['sha256'] == hashlib.sha256(data).hexdigest()
    response, body = request(demo_server, 'GET', '/private/bytes/10',
                             headers={'Authorization': basic('demo', 'demo')})
    assert response.status == 200
    assert body == pattern(0, 10)
