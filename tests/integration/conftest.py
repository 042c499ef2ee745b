# SPDX-License-Identifier: LGPL-2.1-or-later
"""pytest glue for the integration tests: the servers of servers.py as fixtures.

Fixtures (module scope: one server per test module, stopped at its end):
    nginx       a started servers.Nginx
    php_server  a started servers.PhpServer

When nginx, php or openssl is missing, the whole run exits 77 (meson's "skipped"), unless
LADLE_INTEGRATION=enabled (meson option integration_tests=enabled, as in CI): then every test that
needs a server fails.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import servers  # noqa: E402


def pytest_sessionstart(session):
    try:
        servers.check_available(nginx=True, php=True)
    except servers.ServerMissing as e:
        if not servers.integration_required():
            pytest.exit('skipping the integration tests: %s' % e, returncode=77)


def pytest_sessionfinish(session, exitstatus):
    # integration-python-others collects nothing when every module has its own meson test
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK


def _start(server):
    try:
        return server.start()
    except servers.ServerMissing as e:
        pytest.fail('integration tests are enabled but %s' % e)


@pytest.fixture(scope='module')
def nginx():
    server = servers.Nginx()
    _start(server)
    yield server
    server.stop()


@pytest.fixture(scope='module')
def php_server():
    server = servers.PhpServer()
    _start(server)
    yield server
    server.stop()


@pytest.fixture(scope='module')
def php_api():
    """php -S running tests/integration/json-api.php (the LadleHttpClient tests' JSON API)."""
    server = servers.PhpServer(script=os.path.join(HERE, 'json-api.php'))
    _start(server)
    yield server
    server.stop()
