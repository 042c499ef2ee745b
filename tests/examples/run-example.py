#!/usr/bin/python3
# run-example.py: run one example client against the demo server and check what it printed
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   run-example.py --server PATH --path /bytes/N [checks] -- CLIENT [ARGS...]
#
# Starts the demo server (which prints its URL as its first line), runs CLIENT ARGS... URL+PATH,
# stops the server, then checks the client's exit status and its "status:", "bytes:" and
# "sha256:" lines. For /bytes/N and /slow/N the expected SHA-256 is computed here from the
# server's documented pattern (byte i is i % 251). Every step has a timeout: the test always ends
# by itself.

import argparse
import hashlib
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PATTERN_PERIOD = 251
URL_RE = re.compile(r'^http://127\.0\.0\.1:(\d+)/$')


def pattern_sha256(length):
    block = 1024 * 1024
    period = bytes(i % PATTERN_PERIOD for i in range(PATTERN_PERIOD))
    source = period * (block // PATTERN_PERIOD + 2)
    checksum = hashlib.sha256()
    offset = 0
    while offset < length:
        size = min(block, length - offset)
        start = offset % PATTERN_PERIOD
        checksum.update(source[start:start + size])
        offset += size
    return checksum.hexdigest()


def fail(message):
    print(f'FAIL: {message}', flush=True)
    sys.exit(1)


def read_first_line(process, timeout):
    """Read the server's first stdout line without blocking past @timeout."""
    deadline = time.monotonic() + timeout
    buffer = b''
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b'\n' not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                fail(f'the server printed no URL within {timeout} s')
            if not selector.select(remaining):
                continue
            data = os.read(process.stdout.fileno(), 4096)
            if not data:
                fail(f'the server exited (status {process.wait()}) before printing its URL')
            buffer += data
    return buffer.split(b'\n', 1)[0].decode('ascii', 'replace')


def stop_server(process, timeout=10):
    """SIGTERM, then SIGKILL if it does not exit; returns its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            fail(f'the server ignored SIGTERM for {timeout} s')
    return process.returncode


def client_environment(home):
    """The client writes nothing outside @home, and no proxy stands between it and 127.0.0.1."""
    env = dict(os.environ)
    env['HOME'] = home
    for name in ('CONFIG', 'STATE', 'CACHE', 'DATA'):
        path = os.path.join(home, name.lower())
        os.makedirs(path, exist_ok=True)
        env[f'XDG_{name}_HOME'] = path
    env['no_proxy'] = env['NO_PROXY'] = '*'
    env['GIO_USE_PROXY_RESOLVER'] = 'dummy'
    return env


def parse_output(stdout):
    fields = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(': ')
        if sep and key in ('status', 'bytes', 'sha256'):
            fields[key] = value
    return fields


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--server', required=True, help='the demo server executable')
    parser.add_argument('--path', default='/', help='path fetched, relative to the server URL')
    parser.add_argument('--expect-exit', type=int, default=0)
    parser.add_argument('--expect-status', type=int, help='HTTP status the client must print')
    parser.add_argument('--expect-pattern', type=int, metavar='N',
                        help='the body is N bytes of the server pattern: check bytes and SHA-256')
    parser.add_argument('--url', help='fetch this URL instead of the server URL + --path')
    parser.add_argument('--stop-server-first', action='store_true',
                        help='stop the server before running the client (connection refused)')
    parser.add_argument('--timeout', type=float, default=60, help='seconds the client may run')
    parser.add_argument('client', nargs=argparse.REMAINDER)
    options = parser.parse_args()

    client = options.client
    if client and client[0] == '--':
        client = client[1:]
    if not client:
        parser.error('no client command given')

    home = tempfile.mkdtemp(prefix='ladle-example-')
    server = subprocess.Popen([options.server], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        url = read_first_line(server, 10)
        if not URL_RE.match(url):
            fail(f'the server printed {url!r}, not http://127.0.0.1:PORT/')

        if options.stop_server_first:
            status = stop_server(server)
            if status != 0:
                fail(f'the server exited with status {status} on SIGTERM')

        command = client + [options.url or url + options.path.lstrip('/')]
        print('running:', ' '.join(command), flush=True)
        try:
            result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, timeout=options.timeout, text=True,
                                    env=client_environment(home))
        except subprocess.TimeoutExpired as error:
            fail(f'the client ran longer than {options.timeout} s\n'
                 f'stdout: {error.stdout!r}\nstderr: {error.stderr!r}')
    finally:
        server_status = stop_server(server)
        shutil.rmtree(home, ignore_errors=True)

    print('--- client stdout ---')
    print(result.stdout, end='')
    print('--- client stderr ---')
    print(result.stderr, end='', flush=True)

    if server_status != 0:
        fail(f'the server exited with status {server_status} on SIGTERM')
    if result.returncode != options.expect_exit:
        fail(f'the client exited with status {result.returncode}, expected {options.expect_exit}')

    fields = parse_output(result.stdout)
    if options.expect_status is not None:
        status = fields.get('status', '').split(' ', 1)[0]
        if status != str(options.expect_status):
            fail(f'the client printed status {status!r}, expected {options.expect_status}')
    if options.expect_pattern is not None:
        if fields.get('bytes') != str(options.expect_pattern):
            fail(f'the client printed bytes {fields.get("bytes")!r}, '
                 f'expected {options.expect_pattern}')
        expected = pattern_sha256(options.expect_pattern)
        if fields.get('sha256') != expected:
            fail(f'the client printed sha256 {fields.get("sha256")!r}, expected {expected}')

    print('PASS', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
