# SPDX-License-Identifier: LGPL-2.1-or-later
"""The HTTP cache and the cookie jar through the Python bindings, against nginx.

nginx's access log says which requests reached it: a response from the cache leaves no line, a
revalidated one a 304. LadleSessionConfiguration:cache-size, LadleDataTask::will-cache-response
(returning False refuses storing), a message with SOUP_TYPE_CACHE disabled, downloads, the
SQLite cookie jar in the state directory and the application's Cookie header merged with it."""

import os
import sys
import time

import gi
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import servers  # noqa: E402,F401

gi.require_version('GLib', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Ladle, Soup  # noqa: E402

FAILSAFE_SECONDS = 30 * int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))
_counter = [0]


def spin(milliseconds):
    deadline = time.monotonic() + milliseconds / 1000
    context = GLib.MainContext.default()
    while time.monotonic() < deadline:
        context.iteration(False)
        time.sleep(0.002)


def run_until(predicate, what):
    deadline = time.monotonic() + FAILSAFE_SECONDS
    context = GLib.MainContext.default()
    while not predicate():
        assert time.monotonic() < deadline, 'timed out waiting for ' + what
        context.iteration(False)
        time.sleep(0.002)


def new_file(nginx, content):
    _counter[0] += 1
    name = 'py-cache-%d-%d.txt' % (os.getpid(), _counter[0])
    nginx.write_file(name, content)
    return name


def log_count(nginx, uri, status=None):
    return sum(1 for entry in nginx.access_log()
               if entry['uri'] == uri and (status is None or entry['status'] == status))


def assert_log(nginx, uri, expected, status=None):
    # nginx writes its line when the request ends, maybe just after the client saw it
    if expected:
        run_until(lambda: log_count(nginx, uri, status) >= expected, "nginx's log")
    spin(100)
    assert log_count(nginx, uri, status) == expected


def settle(directory, expected=1):
    """Waits for @expected cache entries (files named by number) and for them to be usable."""
    def entries():
        try:
            return [n for n in os.listdir(directory) if n[:1].isdigit()]
        except FileNotFoundError:
            return []
    run_until(lambda: len(entries()) >= expected, 'the cache entry')
    spin(200)


class Get:
    """A data task GET of @path, run to its end."""

    def __init__(self, session, nginx, path, refuse=False, disable_cache=False, cookie=None):
        message = Soup.Message.new('GET', nginx.url(path))
        if disable_cache:
            message.disable_feature(Soup.Cache)
        if cookie is not None:
            message.get_request_headers().replace('Cookie', cookie)
        self.order = []
        self.asked_status = None
        self.done = False
        self.refuse = refuse
        task = session.create_data_task(message)
        task.connect('will-cache-response', self.on_will_cache_response)
        task.connect('response', lambda task, message: self.order.append('response')
                     or Ladle.ResponseDisposition.ALLOW)
        task.connect('completed', self.on_completed)
        task.resume()
        run_until(lambda: self.done, 'the task')
        assert self.error is None
        self.status = task.get_status_code()
        self.body = task.dup_body().get_data()

    def on_will_cache_response(self, task, message):
        self.order.append('will-cache-response')
        self.asked_status = message.get_status()
        return not self.refuse

    def on_completed(self, task, error):
        self.order.append('completed')
        self.error = error
        self.done = True


def download(session, nginx, path):
    task = session.create_download_task_for_uri(nginx.url(path))
    result = {}
    task.connect('completed', lambda task, error: result.setdefault('error', error))
    task.resume()
    run_until(lambda: 'error' in result, 'the download')
    assert result['error'] is None
    assert task.get_status_code() == 200


@pytest.fixture
def state_dir(tmp_path):
    return str(tmp_path / 'state')


def default_session(state_dir, cache_size=None):
    configuration = Ladle.SessionConfiguration.new_default()
    configuration.set_state_directory(state_dir)
    if cache_size is not None:
        configuration.props.cache_size = cache_size
    return Ladle.Session.new(configuration)


def test_defaults():
    assert Ladle.SessionConfiguration.new_default().get_cache_size() == 50 * 1024 * 1024
    assert Ladle.SessionConfiguration.new_ephemeral().props.cache_size == 10 * 1024 * 1024


@pytest.mark.parametrize('prefix', ['/cache/max-age/', '/cache/expires/'])
def test_fresh_hit(nginx, state_dir, prefix):
    session = default_session(state_dir)
    path = prefix + new_file(nginx, b'fresh from python\n')
    first = Get(session, nginx, path)
    assert first.order == ['will-cache-response', 'response', 'completed']
    assert first.asked_status == 200
    settle(os.path.join(state_dir, 'cache'))
    second = Get(session, nginx, path)
    assert second.body == b'fresh from python\n'
    assert second.order == ['response', 'completed']
    assert_log(nginx, path, 1)


def test_etag_revalidated(nginx, state_dir):
    session = default_session(state_dir)
    path = '/cache/etag/' + new_file(nginx, b'validated from python\n')
    Get(session, nginx, path)
    settle(os.path.join(state_dir, 'cache'))
    second = Get(session, nginx, path)
    assert second.status == 200 and second.body == b'validated from python\n'
    assert_log(nginx, path, 1, status=200)
    assert_log(nginx, path, 1, status=304)


def test_refused(nginx, state_dir):
    session = default_session(state_dir)
    path = '/cache/max-age/' + new_file(nginx, b'refused from python\n')
    first = Get(session, nginx, path, refuse=True)
    assert first.order[0] == 'will-cache-response'
    spin(200)
    second = Get(session, nginx, path)
    assert second.body == b'refused from python\n'
    assert_log(nginx, path, 2, status=200)


def test_no_store(nginx, state_dir):
    session = default_session(state_dir)
    path = '/cache/no-store/' + new_file(nginx, b'secret\n')
    runs = [Get(session, nginx, path), Get(session, nginx, path)]
    assert all('will-cache-response' not in run.order for run in runs)
    assert_log(nginx, path, 2, status=200)


def test_disabled_feature(nginx, state_dir):
    session = default_session(state_dir)
    path = '/cache/max-age/' + new_file(nginx, b'bypass from python\n')
    Get(session, nginx, path)
    settle(os.path.join(state_dir, 'cache'))
    bypass = Get(session, nginx, path, disable_cache=True)
    assert bypass.body == b'bypass from python\n'
    assert 'will-cache-response' not in bypass.order
    assert_log(nginx, path, 2, status=200)
    assert nginx.access_log()[-1]['cache_control'] == ''


def test_downloads_not_cached(nginx, state_dir):
    session = default_session(state_dir)
    path = '/cache/max-age/' + new_file(nginx, b'download from python\n')
    download(session, nginx, path)
    download(session, nginx, path)
    assert_log(nginx, path, 2)


def test_size_zero(nginx, state_dir):
    session = default_session(state_dir, cache_size=0)
    path = '/cache/max-age/' + new_file(nginx, b'uncached\n')
    Get(session, nginx, path)
    Get(session, nginx, path)
    assert_log(nginx, path, 2)
    assert not os.path.exists(os.path.join(state_dir, 'cache'))


def test_persistent(nginx, state_dir):
    session = default_session(state_dir)
    path = '/cache/max-age/' + new_file(nginx, b'persistent from python\n')
    Get(session, nginx, path)
    settle(os.path.join(state_dir, 'cache'))
    del session
    assert os.path.isfile(os.path.join(state_dir, 'cache', 'soup.cache2'))
    session = default_session(state_dir)
    again = Get(session, nginx, path)
    assert again.body == b'persistent from python\n'
    assert_log(nginx, path, 1)


def test_cookies(nginx, state_dir):
    session = default_session(state_dir)
    Get(session, nginx, '/cookies/set?name=py&value=7')
    assert os.path.isfile(os.path.join(state_dir, 'cookies.sqlite'))
    del session
    session = default_session(state_dir)
    echo = Get(session, nginx, '/headers')
    assert b'Cookie: py=7\n' in echo.body
    merged = Get(session, nginx, '/headers', cookie='app=8')
    assert b'Cookie: app=8; py=7\n' in merged.body


def test_ephemeral_cookies_in_memory(nginx, state_dir):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_state_directory(state_dir)
    session = Ladle.Session.new(configuration)
    Get(session, nginx, '/cookies/set?name=eph&value=9')
    echo = Get(session, nginx, '/headers')
    assert b'Cookie: eph=9\n' in echo.body
    del session
    assert not os.path.exists(state_dir) or os.listdir(state_dir) == []
