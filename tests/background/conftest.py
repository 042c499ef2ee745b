# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pytest glue for the background-session tests: nginx and PHP's server from
tests/integration/servers.py as fixtures, and the seed of the random kill moments.

When nginx, php or openssl is missing, the run exits 77 (meson's "skipped") unless
LADLE_INTEGRATION=enabled (meson option integration_tests=enabled, as in CI): then every test that
needs a server fails.
"""

import os
import random
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

import servers  # noqa: E402


def pytest_sessionstart(session):
    try:
        servers.check_available(nginx=True, php=True)
    except servers.ServerMissing as e:
        if not servers.integration_required():
            pytest.exit('skipping the background-session tests: %s' % e, returncode=77)


def _start(server):
    try:
        return server.start()
    except servers.ServerMissing as e:
        pytest.fail('integration tests are enabled but %s' % e)


@pytest.fixture(scope='module')
def nginx():
    # /slow/ at 1 MB/s per connection: a download of a few MiB lasts a few seconds, so that
    # random kills land in the middle of transfers; /files/ is unlimited.
    server = servers.Nginx(limit_rate='1m', tls=False)
    _start(server)
    yield server
    server.stop()


@pytest.fixture(scope='module')
def php_server():
    server = servers.PhpServer()
    _start(server)
    yield server
    server.stop()


@pytest.fixture
def seed(request):
    """The seed of a test's random choices: LADLE_BG_SEED to replay a run, else a new one, printed
    (pytest shows it with the failure)."""
    value = int(os.environ.get('LADLE_BG_SEED') or random.SystemRandom().randrange(1 << 32))
    print('%s: seed %d (LADLE_BG_SEED=%d replays it)' % (request.node.name, value, value))
    return value
