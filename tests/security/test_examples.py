# test_examples.py: examples/redirect-auth-tls.py and .js, run as a user would
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The servers run in a thread of this process with their own main context; each example runs as a
# separate process: http://127.0.0.1:A/redirect/302 -> https://127.0.0.1:B/basic/resource, where B
# presents a self-signed certificate and asks for Basic credentials. Checks the exit status and the
# lines the example prints.

import os
import shutil
import subprocess
import sys
import threading

import pytest
from conftest import FAILSAFE_SECONDS, PASSWORD, USER, GLib, Server

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, '..', '..', 'examples')


class ServerThread:
    """Servers served by their own thread and main context, so that this thread may block."""

    def __init__(self, certs):
        self.ready = threading.Event()
        self.certs = certs
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(FAILSAFE_SECONDS):
            raise RuntimeError('the server thread did not start')
        if self.error is not None:
            raise self.error

    def _run(self):
        self.context = GLib.MainContext.new()
        self.context.push_thread_default()
        try:
            self.loop = GLib.MainLoop.new(self.context, False)
            certificate = self.certs.load(self.certs.self_signed, self.certs.self_signed_key)
            self.plain = Server()
            self.secure = Server(certificate)
        except Exception as e:  # reported to the test's thread
            self.error = e
            self.ready.set()
            return
        self.ready.set()
        self.loop.run()
        self.plain.close()
        self.secure.close()
        self.context.pop_thread_default()

    def stop(self):
        def quit(*args):
            self.loop.quit()
            return GLib.SOURCE_REMOVE
        source = GLib.idle_source_new()
        source.set_callback(quit)
        source.attach(self.context)
        self.thread.join(FAILSAFE_SECONDS)


@pytest.fixture(scope='module')
def example_servers(certs):
    servers = ServerThread(certs)
    yield servers
    servers.stop()


def python_client():
    return [sys.executable, os.path.join(EXAMPLES, 'redirect-auth-tls.py')]


def gjs_client(module):
    gjs = shutil.which('gjs')
    if gjs is None:
        pytest.fail('gjs is not installed (tools/deps installs it): the GJS example is untested')
    return [gjs] + (['-m'] if module else []) + [os.path.join(EXAMPLES, 'redirect-auth-tls.js')]


@pytest.fixture(params=['python', 'gjs', 'gjs-module'])
def client(request):
    if request.param == 'python':
        return python_client()
    return gjs_client(request.param == 'gjs-module')


def run_example(argv, user=None, password=None):
    env = dict(os.environ)
    env.pop('LADLE_EXAMPLE_USER', None)
    env.pop('LADLE_EXAMPLE_PASSWORD', None)
    if user is not None:
        env['LADLE_EXAMPLE_USER'] = user
        env['LADLE_EXAMPLE_PASSWORD'] = password
    # A critical warning inside the library aborts the example: the test fails.
    env['G_DEBUG'] = 'fatal-criticals'
    result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=FAILSAFE_SECONDS, text=True)
    print(result.stdout)
    print(result.stderr, file=sys.stderr)
    return result


def start_url(servers):
    target = servers.secure.uri('/basic/resource')
    return servers.plain.redirect_uri(302, target), target


def secure_origin(servers):
    return f'https://127.0.0.1:{servers.secure.port}'


def test_redirect_auth_and_pinned_certificate(example_servers, client, certs):
    url, target = start_url(example_servers)
    result = run_example(client + ['--allow-origin', secure_origin(example_servers),
                                   '--pin', certs.self_signed, url], USER, PASSWORD)

    lines = result.stdout.splitlines()
    assert result.returncode == 0
    assert f'redirect: 302 {url} -> GET {target}' in lines
    assert 'certificate: 127.0.0.1 (unknown-ca): the pinned certificate, accepted' in lines
    assert f'authenticate: Basic realm "ladle-basic" for {target}' in lines
    assert f'authenticate: answered as {USER}' in lines
    assert 'status: 200 OK' in lines
    # The order a user sees: the hop, the certificate, the prompt, the response.
    order = [line.split(':')[0] for line in lines]
    assert order.index('redirect') < order.index('certificate') < order.index('authenticate') < order.index('status')


def test_credentials_on_the_command_line(example_servers, client, certs):
    url, _ = start_url(example_servers)
    result = run_example(client + ['--allow-origin', secure_origin(example_servers), '--pin', certs.self_signed,
                                   '--user', USER, '--password', PASSWORD, url])

    assert result.returncode == 0
    assert 'status: 200 OK' in result.stdout.splitlines()


def test_cross_origin_hop_refused(example_servers, client, certs):
    url, _ = start_url(example_servers)
    result = run_example(client + ['--pin', certs.self_signed, url], USER, PASSWORD)

    lines = result.stdout.splitlines()
    assert result.returncode == 4
    assert f'redirect: refused, {secure_origin(example_servers)} is another origin (allow it with --allow-origin)' in lines
    assert 'status: 302 Found' in lines
    assert not any(line.startswith('certificate:') or line.startswith('authenticate:') for line in lines)


def test_other_certificate_refused(example_servers, client, certs):
    url, _ = start_url(example_servers)
    result = run_example(client + ['--allow-origin', secure_origin(example_servers), '--pin', certs.other, url],
                         USER, PASSWORD)

    assert result.returncode == 1
    assert 'certificate: 127.0.0.1 (unknown-ca): not the pinned certificate, refused' in result.stdout.splitlines()
    assert 'g-tls-error-quark' in result.stderr
    assert 'status:' not in result.stdout


def test_wrong_password_gives_up(example_servers, client, certs):
    url, target = start_url(example_servers)
    result = run_example(client + ['--allow-origin', secure_origin(example_servers), '--pin', certs.self_signed, url],
                         USER, 'wrong')

    lines = result.stdout.splitlines()
    assert result.returncode == 3
    assert f'authenticate: Basic realm "ladle-basic" for {target} (retrying)' in lines
    assert 'authenticate: cancelled' in lines
    assert 'status: 401 Unauthorized' in lines


def test_no_credentials(example_servers, client, certs):
    url, _ = start_url(example_servers)
    result = run_example(client + ['--allow-origin', secure_origin(example_servers), '--pin', certs.self_signed, url])

    assert result.returncode == 3
    assert 'authenticate: cancelled' in result.stdout.splitlines()


@pytest.mark.parametrize('args', [[], ['--pin'], ['--user', 'only-a-user', 'http://127.0.0.1:9/']])
def test_bad_usage(client, args):
    result = run_example(client + args)

    assert result.returncode == 2
