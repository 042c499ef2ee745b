# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pytest glue for the tests of the examples: the demo server as a fixture, and helpers to run an
example as a user would (a subprocess with a timeout, its own HOME and XDG directories, no proxy).

Programs come from the environment that tests/examples/meson.build sets:
    LADLE_DEMO_SERVER, LADLE_DOWNLOAD, LADLE_UPLOAD   built executables
    LADLE_EXAMPLES_DIR                                 examples/ in the source tree
    LADLE_PYTHON, LADLE_GJS                            interpreters (LADLE_GJS may be empty)
"""

import hashlib
import os
import re
import selectors
import signal
import subprocess
import time

import pytest

PATTERN_PERIOD = 251
URL_RE = re.compile(r'^http://127\.0\.0\.1:(\d+)/$')
TIMEOUT_MULTIPLIER = int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))


def pattern(offset, length):
    """The demo server's /bytes content: byte i is i % 251."""
    period = bytes(i % PATTERN_PERIOD for i in range(PATTERN_PERIOD))
    start = offset % PATTERN_PERIOD
    repeats = (start + length) // PATTERN_PERIOD + 1
    return (period * repeats)[start:start + length]


def pattern_sha256(length):
    block = 1024 * 1024
    source = pattern(0, block + PATTERN_PERIOD)
    checksum = hashlib.sha256()
    offset = 0
    while offset < length:
        size = min(block, length - offset)
        start = offset % PATTERN_PERIOD
        checksum.update(source[start:start + size])
        offset += size
    return checksum.hexdigest()


def file_sha256(path):
    checksum = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1024 * 1024), b''):
            checksum.update(block)
    return checksum.hexdigest()


def program(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f'{name} is not set: run these tests with meson test')
    return value


def example(name):
    return os.path.join(program('LADLE_EXAMPLES_DIR'), name)


def gjs():
    path = os.environ.get('LADLE_GJS')
    if not path:
        # CI never skips: a missing gjs fails.
        pytest.fail('gjs is missing (tools/deps installs it)')
    return path


class Result:
    def __init__(self, returncode, stdout, stderr, max_rss_kb):
        # max_rss_kb: the child's peak RSS (VmHWM), sampled every 10 ms until it exits
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.max_rss_kb = max_rss_kb

    def fields(self):
        """The "key: value" lines of standard output, the last one of each key winning."""
        fields = {}
        for line in self.stdout.splitlines():
            key, sep, value = line.partition(': ')
            if sep and re.fullmatch(r'[a-z0-9-]+', key):
                fields[key] = value
        return fields

    def all(self, key):
        return [line.partition(': ')[2] for line in self.stdout.splitlines()
                if line.startswith(key + ': ')]

    def json(self):
        """The JSON object the demo server answered, printed after the key lines."""
        import json
        start = self.stdout.index('{')
        return json.loads(self.stdout[start:])

    def __str__(self):
        return (f'exit status {self.returncode}\n--- stdout ---\n{self.stdout}'
                f'--- stderr ---\n{self.stderr}')


def _vm_hwm_kb(pid):
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(command, home, timeout=120, env=None):
    """Runs an example; returns its Result, with its peak RSS (from wait4)."""
    environment = dict(os.environ)
    environment['HOME'] = str(home)
    for name in ('CONFIG', 'STATE', 'CACHE', 'DATA'):
        path = os.path.join(str(home), name.lower())
        os.makedirs(path, exist_ok=True)
        environment[f'XDG_{name}_HOME'] = path
    environment['no_proxy'] = environment['NO_PROXY'] = '*'
    environment['GIO_USE_PROXY_RESOLVER'] = 'dummy'
    # A critical warning inside the library makes the example abort, so the test fails.
    environment['G_DEBUG'] = 'fatal-criticals'
    environment.update(env or {})

    out_path = os.path.join(str(home), 'stdout')
    err_path = os.path.join(str(home), 'stderr')
    with open(out_path, 'wb') as out, open(err_path, 'wb') as err:
        process = subprocess.Popen([str(c) for c in command], stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=err, env=environment)
        deadline = time.monotonic() + timeout * TIMEOUT_MULTIPLIER
        peak_rss_kb = 0
        while True:
            # wait4's ru_maxrss would count the memory of this Python process, which the child
            # inherited before exec: read the child's own high-water mark instead.
            peak_rss_kb = max(peak_rss_kb, _vm_hwm_kb(process.pid))
            pid, status, _ = os.wait4(process.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                with open(out_path) as o, open(err_path) as e:
                    pytest.fail(f'{command} ran longer than {timeout} s\n{o.read()}\n{e.read()}')
            time.sleep(0.01)
    process.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, errors='replace') as o, open(err_path, errors='replace') as e:
        return Result(process.returncode, o.read(), e.read(), peak_rss_kb)


class DemoServer:
    def __init__(self, *args):
        self.process = subprocess.Popen([program('LADLE_DEMO_SERVER')] + list(args),
                                        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = self._first_line(10 * TIMEOUT_MULTIPLIER)
        match = URL_RE.match(line)
        assert match, f'the demo server printed {line!r}, not http://127.0.0.1:PORT/'
        self.url = line
        self.port = int(match.group(1))

    def _first_line(self, timeout):
        deadline = time.monotonic() + timeout
        buffer = b''
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while b'\n' not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.stop()
                    pytest.fail(f'the demo server printed no URL within {timeout} s')
                if not selector.select(remaining):
                    continue
                data = os.read(self.process.stdout.fileno(), 4096)
                if not data:
                    pytest.fail(f'the demo server exited ({self.process.wait()}) before printing its URL')
                buffer += data
        return buffer.split(b'\n', 1)[0].decode('ascii', 'replace')

    def peak_rss_kb(self):
        with open(f'/proc/{self.process.pid}/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail('the demo server ignored SIGTERM')
        self.process.stdout.close()
        return self.process.returncode


@pytest.fixture(scope='module')
def demo_server():
    server = DemoServer()
    yield server
    assert server.stop() == 0, 'the demo server exited with an error on SIGTERM'


@pytest.fixture
def home(tmp_path):
    path = tmp_path / 'home'
    path.mkdir()
    return path
