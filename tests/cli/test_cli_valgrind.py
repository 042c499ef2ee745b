# SPDX-License-Identifier: LGPL-2.1-or-later
"""The `ladle` binary under valgrind: no invalid access and no definite leak on its main paths
(get to files and to stdout in parallel, an error status, TLS, put with credentials, a
multipart post, -c interrupted by SIGINT and resumed, a usage error)."""

import os
import random
import shutil
import signal
import subprocess
import time

import pytest

from conftest import sha256
import servers

VALGRIND_ERROR = 99
MULTIPLIER = 10


@pytest.fixture
def vladle(ladle):
    valgrind = shutil.which('valgrind')
    if valgrind is None:
        if servers.integration_required():
            pytest.fail('valgrind is not installed (tools/deps installs it)')
        pytest.skip('valgrind is not installed')
    here = os.path.dirname(os.path.abspath(__file__))
    glib_supp = '/usr/share/glib-2.0/valgrind/glib.supp'
    ladle.wrapper = [valgrind, '-q', '--error-exitcode=%d' % VALGRIND_ERROR, '--leak-check=full',
                     '--errors-for-leak-kinds=definite', '--show-leak-kinds=definite',
                     '--num-callers=30',
                     '--suppressions=' + os.path.join(here, '..', 'valgrind', 'ladle.supp')]
    if os.path.exists(glib_supp):
        ladle.wrapper.append('--suppressions=' + glib_supp)
    ladle.env['G_SLICE'] = 'always-malloc'
    ladle.env['G_DEBUG'] = 'gc-friendly'
    return ladle


def check(result, expected):
    assert result.returncode != VALGRIND_ERROR, result.stderr
    assert result.returncode == expected, result.stderr


def test_get_files_stdout_and_errors(vladle, nginx):
    data = random.Random(1).randbytes(2 << 20)
    nginx.write_file('vg/a.bin', data)
    nginx.write_file('vg/b.txt', b'b\n')
    result = vladle.run(['get', '--parallel', '2', '--json', nginx.url('/files/vg/a.bin'),
                         nginx.url('/files/vg/b.txt'), nginx.url('/files/vg/missing')], timeout=600)
    check(result, 22)
    assert sha256(os.path.join(vladle.workdir, 'a.bin')) == sha256(data)
    result = vladle.run(['get', '-o', '-', nginx.url('/files/vg/a.bin')], timeout=600)
    check(result, 0)
    assert result.stdout == data
    check(vladle.run(['get', '--cacert', nginx.cert_path, '-o', 'tls.txt', nginx.tls_url('/files/vg/b.txt')],
                     timeout=600), 0)
    check(vladle.run(['get', '-o', 'untrusted.txt', nginx.tls_url('/files/vg/b.txt')], timeout=600), 5)
    check(vladle.run(['get', '-H', 'bad header', nginx.url('/files/vg/b.txt')], timeout=600), 2)


def test_put_and_post(vladle, nginx, php_server):
    data = random.Random(2).randbytes(1 << 20)
    with open(os.path.join(vladle.workdir, 'up.bin'), 'wb') as f:
        f.write(data)
    check(vladle.run(['put', nginx.url('/dav/vg/up.bin'), 'up.bin', '--user', nginx.user],
                     env={'LADLE_PASSWORD': nginx.password}, timeout=600), 0)
    assert sha256(nginx.dav_path('vg/up.bin')) == sha256(data)
    check(vladle.run(['post', php_server.url('/form'), '-F', 'a=b', '-F', 'f=@up.bin', '-o', 'response.json'],
                     timeout=600), 0)


def test_interrupted_and_resumed(vladle, nginx):
    data = random.Random(3).randbytes(1_500_000)
    nginx.write_file('vg/resume.bin', data)
    url = nginx.url('/burst/vg/resume.bin')
    process = vladle.spawn(['get', '-c', url, '-o', 'resume.bin'])
    partial_dir = os.path.join(vladle.env['XDG_STATE_HOME'], 'ladle', 'cli', 'downloads')
    deadline = time.monotonic() + 60 * MULTIPLIER / 5
    while time.monotonic() < deadline:
        assert process.poll() is None
        if os.path.isdir(partial_dir) and any(os.path.getsize(os.path.join(partial_dir, p)) >= 1 << 20
                                              for p in os.listdir(partial_dir)):
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 130, stderr
    assert os.listdir(vladle.workdir) == ['resume.bin.ladle-resume']
    check(vladle.run(['get', '-c', url, '-o', 'resume.bin'], timeout=600), 0)
    assert sha256(os.path.join(vladle.workdir, 'resume.bin')) == sha256(data)
