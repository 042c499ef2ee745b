# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pytest glue for the transfer-service tests: nginx from tests/integration/servers.py, and the
service on this test's bus (svchelpers.Service).

When nginx or openssl is missing, the run exits 77 (meson's "skipped") unless
LADLE_INTEGRATION=enabled (as in CI): then every test fails.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

import servers  # noqa: E402
import svchelpers  # noqa: E402


def pytest_sessionstart(session):
    try:
        servers.check_available(nginx=True)
    except servers.ServerMissing as e:
        if not servers.integration_required():
            pytest.exit('skipping the transfer-service tests: %s' % e, returncode=77)


@pytest.fixture
def nginx():
    # /slow/ at 1 MB/s per connection: a file of 3 MiB takes 3 s, long enough to quit, kill or
    # relaunch in the middle of it; /files/ is unlimited. TLS for the certificate tests.
    # /auth-slow/ is /auth/ with its 401 held back 3 s (auth_delay): the challenge comes after
    # the application that made the task has gone; /auth-slow-body/ is /auth/ at /slow/'s rate.
    server = servers.Nginx(limit_rate='1m', tls=True, extra_locations=[
        'location /auth-slow/ { alias @DIR@/root/; auth_basic "Ladle"; auth_basic_user_file @DIR@/htpasswd; '
        'auth_delay 3s; }',
        'location /auth-slow-body/ { alias @DIR@/root/; auth_basic "Ladle"; '
        'auth_basic_user_file @DIR@/htpasswd; limit_rate 1m; }'])
    try:
        server.start()
    except servers.ServerMissing as e:
        pytest.fail('integration tests are enabled but %s' % e)
    yield server
    server.stop()


@pytest.fixture
def service(tmp_path):
    service = svchelpers.Service(tmp_path).setup()
    yield service
    service.teardown()
