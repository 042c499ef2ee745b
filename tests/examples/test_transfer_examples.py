# SPDX-License-Identifier: LGPL-2.1-or-later
"""The transfer examples run as a user would, against the demo server: examples/ladle-download.c
(pause with resume data, resume in a new task, SHA-256 check), examples/ladle-upload.c and
examples/upload-form.py (multipart uploads with a progress bar, checked against what the server
parsed), examples/put-file.js (RESTful PUT answering Basic authentication). Each run is checked
by its exit status, its output and the bytes on disk or on the server."""

import hashlib
import os
import re

import pytest

from conftest import example, file_sha256, gjs, pattern_sha256, program, run

MiB = 1024 * 1024


# ladle-download

def download(demo_server, home, path, destination, *options, **kwargs):
    return run([program('LADLE_DOWNLOAD')] + list(options) + [demo_server.url + path.lstrip('/'),
                                                               destination], home, **kwargs)


def test_download_whole_file(demo_server, home, tmp_path):
    size = 10 * MiB + 7
    destination = tmp_path / 'out' / 'file.bin'
    result = download(demo_server, home, f'/bytes/{size}', destination, '--sha256', pattern_sha256(size))

    assert result.returncode == 0, result
    fields = result.fields()
    assert fields['status'] == '200 OK'
    assert fields['bytes'] == str(size)
    assert fields['sha256'] == pattern_sha256(size)
    assert fields['verified'] == 'yes'
    assert 'paused' not in fields
    assert file_sha256(destination) == pattern_sha256(size)
    # A progress bar that ends at the whole file (g_format_size() puts a no-break space before
    # the unit).
    assert re.search(rf'100%  {size / 1e6:.1f}\sMB / {size / 1e6:.1f}\sMB\n$', result.stderr), result


@pytest.mark.parametrize('new_session', [False, True], ids=['same-session', 'new-session'])
def test_download_pause_and_resume(demo_server, home, tmp_path, new_session):
    size = 64 * MiB
    destination = tmp_path / 'file.bin'
    resume_data = tmp_path / 'saved.resume-data'
    options = ['--pause-at', '50', '--resume-data', resume_data, '--sha256', pattern_sha256(size)]
    if new_session:
        options.append('--new-session')
    # The rate keeps the progress reports close together, so the pause lands near 50 %.
    result = download(demo_server, home, f'/bytes/{size}?rate=64M', destination, *options)

    assert result.returncode == 0, result
    paused = re.fullmatch(r'(\d+) of (\d+) bytes', result.fields()['paused'])
    assert paused, result
    offset = int(paused.group(1))
    assert int(paused.group(2)) == size
    assert size // 2 <= offset < size
    assert re.fullmatch(rf'{re.escape(str(resume_data))} \(\d+ bytes\)', result.fields()['resume-data'])
    # The second task continued from the partial file: a 206 from where the first one stopped.
    assert result.all('status') == ['200 OK', '206 Partial Content']
    assert result.fields()['resumed'] == f'{offset} of {size} bytes'
    assert result.fields()['verified'] == 'yes'
    assert file_sha256(destination) == pattern_sha256(size)
    # The resume data was deleted once the download succeeded; no partial file is left behind.
    assert not resume_data.exists()
    # (The default session's SQLite cookie jar is the session's own state, not a leftover.)
    leftovers = [os.path.join(d, f) for d, _, files in os.walk(home / 'state') for f in files
                 if f != 'cookies.sqlite']
    assert leftovers == []


def test_download_wrong_checksum(demo_server, home, tmp_path):
    destination = tmp_path / 'file.bin'
    result = download(demo_server, home, '/bytes/1000', destination, '--sha256', '0' * 64)

    assert result.returncode == 4, result
    assert result.fields()['verified'].startswith('NO')
    assert result.fields()['sha256'] == pattern_sha256(1000)


def test_download_http_error(demo_server, home, tmp_path):
    destination = tmp_path / 'file.bin'
    result = download(demo_server, home, '/status/404', destination)

    assert result.returncode == 3, result
    assert result.fields()['status'] == '404 Not Found'
    assert not destination.exists()


def test_download_bad_usage(home, tmp_path):
    result = run([program('LADLE_DOWNLOAD'), '--pause-at', '100', 'http://127.0.0.1:1/x', tmp_path / 'x'], home)
    assert result.returncode == 2, result
    result = run([program('LADLE_DOWNLOAD'), 'http://127.0.0.1:1/x'], home)
    assert result.returncode == 2, result


def test_download_connection_refused(home, tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    # nothing listens on the port any more
    result = run([program('LADLE_DOWNLOAD'), f'http://127.0.0.1:{port}/x', tmp_path / 'x'], home)
    assert result.returncode == 1, result


# ladle-upload and upload-form.py: the same command line

def upload_client(kind):
    if kind == 'c':
        return [program('LADLE_UPLOAD')]
    return [program('LADLE_PYTHON'), example('upload-form.py')]


@pytest.fixture
def files(tmp_path):
    first = tmp_path / 'first.bin'
    second = tmp_path / 'notes.txt'
    first.write_bytes(os.urandom(20 * MiB + 3))
    second.write_bytes('Ladle’s upload example\n'.encode() * 1000)
    return first, second


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize('kind', ['c', 'python'])
def test_upload_form(demo_server, home, files, kind):
    first, second = files
    result = run(upload_client(kind) + ['--field', 'title=Two files', '--field', 'empty=',
                                        demo_server.url + 'upload', first, second], home)

    assert result.returncode == 0, result
    fields = result.fields()
    assert fields['status'] == '200 OK'
    # The exact length was known before sending, and all of it went out.
    assert fields['sent'] == fields['size']
    report = result.json()
    assert report['content_length'] == int(fields['size'])
    assert report['length'] == int(fields['size'])
    assert report['content_type'].startswith('multipart/form-data; boundary=')
    parts = [(p['name'], p['filename'], p.get('value'), p['size'], p['sha256']) for p in report['parts']]
    assert parts == [
        ('title', None, 'Two files', 9, hashlib.sha256(b'Two files').hexdigest()),
        ('empty', None, '', 0, hashlib.sha256(b'').hexdigest()),
        ('file', 'first.bin', None, first.stat().st_size, sha256(first)),
        ('file', 'notes.txt', None, second.stat().st_size, sha256(second)),
    ]
    assert [p['content_type'] for p in report['parts']][2:] == ['application/octet-stream', 'text/plain']
    # A progress bar that ends at the whole form.
    size = int(fields['size'])
    assert re.search(rf'100%  {size / 1e6:.1f}\sMB / {size / 1e6:.1f}\sMB sent\n$', result.stderr), result


@pytest.mark.parametrize('kind', ['c', 'python'])
def test_upload_form_with_authentication(demo_server, home, files, kind):
    first, _ = files
    result = run(upload_client(kind) + ['--name', 'doc', '--user', 'demo', '--password', 'demo',
                                        demo_server.url + 'private/upload', first], home)

    assert result.returncode == 0, result
    parts = result.json()['parts']
    assert [(p['name'], p['filename'], p['size'], p['sha256']) for p in parts] == [
        ('doc', 'first.bin', first.stat().st_size, sha256(first))]


@pytest.mark.parametrize('kind', ['c', 'python'])
def test_upload_form_refused(demo_server, home, files, kind):
    _, second = files
    result = run(upload_client(kind) + ['--user', 'demo', '--password', 'wrong',
                                        demo_server.url + 'private/upload', second], home)
    assert result.returncode == 3, result
    assert result.fields()['status'] == '401 Unauthorized'


@pytest.mark.parametrize('kind', ['c', 'python'])
def test_upload_missing_file(demo_server, home, tmp_path, kind):
    result = run(upload_client(kind) + [demo_server.url + 'upload', tmp_path / 'missing'], home)
    assert result.returncode == 2, result


def test_upload_memory_stays_small(demo_server, home, tmp_path):
    big = tmp_path / 'big.bin'
    with open(big, 'wb') as f:
        f.truncate(200 * MiB)
    result = run([program('LADLE_UPLOAD'), demo_server.url + 'upload', big], home)

    assert result.returncode == 0, result
    assert result.json()['parts'][0]['size'] == 200 * MiB
    # The file is streamed from disk, never read whole.
    assert result.max_rss_kb < 48 * 1024, f'peak RSS {result.max_rss_kb} kB'


# put-file.js

@pytest.mark.parametrize('module', [False, True], ids=['script', 'module'])
def test_put_file(demo_server, home, files, module):
    first, _ = files
    command = [gjs()] + (['-m'] if module else []) + [example('put-file.js')]
    result = run(command + [demo_server.url + 'private/upload', first, 'demo', 'demo'], home)

    assert result.returncode == 0, result
    fields = result.fields()
    assert fields['sha256'] == sha256(first)
    assert fields['authenticate'] == 'Basic realm "Ladle demo"'
    assert fields['status'] == '200 OK'
    assert fields['sent'] == str(first.stat().st_size)
    report = result.json()
    assert report['method'] == 'PUT'
    assert report['content_length'] == first.stat().st_size
    assert report['sha256'] == sha256(first)


def test_put_file_wrong_password(demo_server, home, files):
    _, second = files
    result = run([gjs(), example('put-file.js'), demo_server.url + 'private/upload', second, 'demo', 'nope'],
                 home)
    assert result.returncode == 3, result
    assert result.fields()['status'] == '401 Unauthorized'
    assert 'refused the credentials' in result.stderr


def test_put_file_bad_usage(home, files):
    result = run([gjs(), example('put-file.js'), 'http://127.0.0.1:1/'], home)
    assert result.returncode == 2, result
