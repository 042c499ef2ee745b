# SPDX-License-Identifier: LGPL-2.1-or-later
"""pytest glue for the tests of the `ladle` command: the built binary ($LADLE_CLI) and the real
servers of tests/integration/servers.py.

Fixtures:
    ladle       run(args, ...) -> Result(returncode, stdout (bytes), stderr (str), json (list))
                and spawn(args, ...) -> subprocess.Popen, in a fresh working directory
    nginx       a started servers.Nginx (module scope) with /cd/ (Content-Disposition) and
                /throttle/ (limit_rate 256k) locations
    php_server  a started servers.PhpServer (module scope)

When nginx, php or openssl is missing, the run exits 77 (meson's "skipped"), unless
LADLE_INTEGRATION=enabled: then the tests that need a server fail.
"""

import collections
import hashlib
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

import servers  # noqa: E402

TIMEOUT = 120 * int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))

Result = collections.namedtuple('Result', 'returncode stdout stderr json')


def pytest_sessionstart(session):
    try:
        servers.check_available(nginx=True, php=True)
    except servers.ServerMissing as e:
        if not servers.integration_required():
            pytest.exit('skipping the ladle command tests: %s' % e, returncode=77)


def sha256(data_or_path):
    if isinstance(data_or_path, bytes):
        return hashlib.sha256(data_or_path).hexdigest()
    with open(data_or_path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def parse_json_lines(stdout):
    """Every line of stdout is one JSON object (the whole output must parse)."""
    text = stdout.decode('utf-8')  # the JSON output is always valid UTF-8
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Ladle:
    def __init__(self, workdir):
        self.binary = os.environ.get('LADLE_CLI')
        if not self.binary:
            raise RuntimeError('LADLE_CLI is not set: run these tests with meson test')
        self.workdir = workdir
        self.env = dict(os.environ)
        # never a terminal unless a test makes one (tmux)
        self.env.pop('COLUMNS', None)
        self.wrapper = []

    def argv(self, args):
        return self.wrapper + [self.binary] + list(args)

    def run(self, args, env=None, input=None, timeout=TIMEOUT, json_output=None):
        full_env = dict(self.env, **(env or {}))
        process = subprocess.run(self.argv(args), cwd=self.workdir, env=full_env, input=input,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        parsed = []
        if json_output or (json_output is None and '--json' in args):
            parsed = parse_json_lines(process.stdout)
        return Result(process.returncode, process.stdout, process.stderr.decode('utf-8', 'replace'), parsed)

    def spawn(self, args, env=None, **kwargs):
        full_env = dict(self.env, **(env or {}))
        return subprocess.Popen(self.argv(args), cwd=self.workdir, env=full_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


@pytest.fixture
def ladle(tmp_path):
    workdir = tmp_path / 'work'
    workdir.mkdir()
    instance = Ladle(str(workdir))
    # -c keeps partial files in XDG_STATE_HOME/ladle/cli: one per test
    instance.env['XDG_STATE_HOME'] = str(tmp_path / 'state')
    return instance


def _start(server):
    try:
        return server.start()
    except servers.ServerMissing as e:
        pytest.fail('integration tests are enabled but %s' % e)


CD_LOCATIONS = [
    # Content-Disposition names with a path and a leading dot: Ladle reduces them to a base name
    'location /cd/plain/ { alias @DIR@/root/; add_header Content-Disposition '
    '\'attachment; filename="report 2026.txt"\'; }',
    'location /cd/evil/ { alias @DIR@/root/; add_header Content-Disposition '
    '\'attachment; filename="../../.evil\\\\name.txt"\'; }',
    'location /throttle/ { alias @DIR@/root/; limit_rate 256k; }',
    # /auth/, slowly: a transfer with credentials that lasts long enough to look at its argv
    'location /slowauth/ { alias @DIR@/root/; auth_basic "Ladle"; auth_basic_user_file @DIR@/htpasswd; '
    'limit_rate 100k; }',
    # the first 1100 KiB of each response at once, then slowly: Ladle writes partial files in
    # 1 MiB blocks, so a download interrupted here has a partial file of 1 MiB at least, and a
    # resumed one (whose rest is shorter) completes fast
    'location /burst/ { alias @DIR@/root/; limit_rate_after 1100k; limit_rate 32k; }',
    'location /cdburst/ { alias @DIR@/root/; limit_rate_after 1100k; limit_rate 32k; '
    'add_header Content-Disposition \'attachment; filename="named by server.bin"\'; }',
]


@pytest.fixture(scope='module')
def nginx():
    server = servers.Nginx(limit_rate='200k', extra_locations=CD_LOCATIONS)
    _start(server)
    yield server
    server.stop()


@pytest.fixture(scope='module')
def php_server():
    server = servers.PhpServer()
    _start(server)
    yield server
    server.stop()
