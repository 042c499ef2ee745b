# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Awaiting from Python: Ladle.Task.wait_async, Ladle.Session.send_and_read_async and
# download_async, with callbacks and with `await` (tests/python/gio_await.py) on the GLib main
# loop, against the test server; Ladle.HttpClient's retry policy awaited the same way.

import hashlib
import json
import os
import time

import gi

gi.require_version('Json', '1.0')

from gi.repository import Gio, GLib, Json, Ladle, Soup  # noqa: E402

import pytest

from conftest import checksum, content, run_until, flush
from gio_await import Call, run


def test_wait_callbacks(server, session):
    task = session.create_data_task_for_uri(server.uri('/bytes/50000'))
    order = []
    session.connect('task-completed', lambda s, t, e: order.append('T'))
    task.connect('completed', lambda t, e: order.append('C'))

    def waited(name):
        def callback(source, result):
            order.append(name + str(source.wait_finish(result)))
        return callback

    task.wait_async(None, waited('a'))
    task.resume()
    task.wait_async(None, waited('b'))
    assert order == []
    run_until(lambda: len(order) == 4, 'both waits')
    assert order == ['C', 'T', 'aTrue', 'bTrue']
    assert checksum(task.dup_body().get_data()) == checksum(content(0, 50000))

    # an already completed task: from the main loop, with the stored outcome
    late = []
    task.wait_async(None, lambda source, result: late.append(source.wait_finish(result)))
    assert late == []
    run_until(lambda: late, 'the late wait')
    assert late == [True]


def test_wait_error_and_cancel(server, session):
    truncated = session.create_data_task_for_uri(server.uri('/truncate'))
    held = session.create_data_task_for_uri(server.uri('/hold'))
    cancellable = Gio.Cancellable()
    errors = {}

    def waited(name):
        def callback(source, result):
            try:
                source.wait_finish(result)
                errors[name] = None
            except GLib.Error as e:
                errors[name] = e
        return callback

    truncated.wait_async(None, waited('truncated'))
    held.wait_async(cancellable, waited('held'))
    truncated.resume()
    held.resume()
    run_until(lambda: 'truncated' in errors, 'the truncated wait')
    assert errors['truncated'].matches(Ladle.error_quark(), Ladle.Error.TRUNCATED_BODY)
    cancellable.cancel()
    run_until(lambda: 'held' in errors, 'the cancelled wait')
    assert errors['held'].matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert held.get_state() == Ladle.TaskState.COMPLETED


def test_send_and_read_callback(server, session):
    request = Soup.Message.new('GET', server.uri('/bytes/200000'))
    out = {}
    session.send_and_read_async(request, GLib.PRIORITY_DEFAULT, None,
                                lambda s, r: out.setdefault('bytes', s.send_and_read_finish(r)))
    task = session.dup_task_for_request(request)
    assert isinstance(task, Ladle.DataTask)
    assert session.get_item(0) == task
    progress = []
    task.connect('download-progress', lambda t, now, total, expected: progress.append(total))
    run_until(lambda: 'bytes' in out, 'send and read')
    assert checksum(out['bytes'].get_data()) == checksum(content(0, 200000))
    assert progress[-1] == 200000
    assert request.get_status() == 200
    assert session.get_n_items() == 0


def test_await_send_and_read_and_download(server, session, tmp_path):
    destination = Gio.File.new_for_path(str(tmp_path / 'dir' / 'file.bin'))

    async def main():
        request = Soup.Message.new('GET', server.uri('/bytes/1000'))
        body = await Call(session.send_and_read_async, session.send_and_read_finish,
                          request, GLib.PRIORITY_DEFAULT, None)
        missing = Soup.Message.new('GET', server.uri('/status/404'))
        not_found = await Call(session.send_and_read_async, session.send_and_read_finish,
                               missing, GLib.PRIORITY_DEFAULT, None)
        download = Soup.Message.new('GET', server.uri('/bytes/300001'))
        file = await Call(session.download_async, session.download_finish, download, destination,
                          Ladle.DestinationFlags.CREATE_PARENTS, GLib.PRIORITY_DEFAULT, None)
        try:
            await Call(session.download_async, session.download_finish,
                       Soup.Message.new('GET', server.uri('/status/500')),
                       Gio.File.new_for_path(str(tmp_path / 'error.bin')),
                       Ladle.DestinationFlags.NONE, GLib.PRIORITY_DEFAULT, None)
        except GLib.Error as e:
            error = e
        return body, missing.get_status(), not_found, file, error

    body, status, not_found, file, error = run(main())
    assert checksum(body.get_data()) == checksum(content(0, 1000))
    assert status == 404
    assert not_found is not None
    assert file.equal(destination)
    with open(file.get_path(), 'rb') as f:
        assert checksum(f.read()) == checksum(content(0, 300001))
    assert error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS)
    assert not os.path.exists(tmp_path / 'error.bin')


def test_await_wait_raises_the_task_error(server, session):
    task = session.create_data_task_for_uri(server.uri('/truncate'))

    async def main():
        task.resume()
        try:
            await Call(task.wait_async, task.wait_finish, None)
        except GLib.Error as e:
            return e

    error = run(main())
    assert error.matches(Ladle.error_quark(), Ladle.Error.TRUNCATED_BODY)


# Ladle.HttpClient with a retry policy (the test server's /flaky?json=1)

def quick_policy(max_attempts, non_idempotent=False):
    policy = Ladle.RetryPolicy.new_backoff(max_attempts, 10, 5000)
    policy.props.jitter = 0.0
    policy.props.retry_non_idempotent = non_idempotent
    return policy


class ClientRetries:
    """The will-retry signals of the client's tasks, connected from task-created."""

    def __init__(self, client, veto=False):
        self.veto = veto
        self.tasks = []
        self.retries = []  # (attempt, delay_ms, why, monotonic seconds)
        client.connect('task-created', self._on_task_created)

    def _on_task_created(self, client, task):
        self.tasks.append(task)
        task.connect('will-retry', self._on_will_retry)

    def _on_will_retry(self, task, attempt, delay_ms, why):
        self.retries.append((attempt, delay_ms, why, time.monotonic()))
        return not self.veto


def requests_for(server, path_and_query):
    path, _, query = path_and_query.partition('?')
    return [r for r in server.log() if r['path'] == path and r['query'] == query]


def client_request(client, method, path, parameters=None):
    """await-style: returns (decoded value or None, error or None, the response)."""
    node = Json.from_string(json.dumps(parameters)) if parameters is not None else None
    responses = []

    def keep_response(error, result):
        responses.append(client.dup_response(result))

    async def main():
        try:
            node_out = await Call(client.request_async, client.request_finish, method, path, node, None,
                                  on_error=keep_response)
        except GLib.Error as e:
            return None, e
        return json.loads(Json.to_string(node_out, False)), None

    value, error = run(main())
    return value, error, responses[0] if responses else None


def test_await_client_retries_get(server, session):
    client = Ladle.HttpClient.new(GLib.Uri.parse(server.uri('/'), GLib.UriFlags.NONE), session)
    policy = quick_policy(4)
    client.set_retry_policy(policy)
    policy.props.max_attempts = 1  # the client has its copy
    assert client.dup_retry_policy().props.max_attempts == 4
    assert client.props.retry_policy.props.max_attempts == 4
    seen = ClientRetries(client)
    path = '/flaky?fail=2&retry-after=1&json=1&key=py-client'

    started = time.monotonic()
    value, error, _ = client_request(client, 'GET', path)
    elapsed = time.monotonic() - started

    assert error is None
    assert value == {'ok': True}
    assert len(requests_for(server, path)) == 3
    assert [(a, d) for a, d, _, _ in seen.retries] == [(2, 1000), (3, 1000)]
    assert seen.retries[0][2].matches(Ladle.error_quark(), Ladle.Error.RETRIED_STATUS)
    assert seen.retries[1][3] - seen.retries[0][3] >= 0.99
    assert elapsed >= 1.98
    assert len(seen.tasks) == 1
    assert seen.tasks[0].dup_retry_policy().props.max_attempts == 4
    assert seen.tasks[0].get_status_code() == 200


def test_await_client_post_retried_only_when_allowed(server, session):
    client = Ladle.HttpClient.new(GLib.Uri.parse(server.uri('/'), GLib.UriFlags.NONE), session)
    idempotent_only = quick_policy(4)
    client.props.retry_policy = idempotent_only
    seen = ClientRetries(client)

    path = '/flaky?fail=1&json=1&key=py-post'
    value, error, response = client_request(client, 'POST', path, {'n': 1})
    assert error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS)
    assert response.get_status() == 503
    assert response.get_body().get_data() == b'flaky'
    assert seen.retries == []
    assert len(requests_for(server, path)) == 1

    any_method = quick_policy(4, non_idempotent=True)
    client.props.retry_policy = any_method
    path = '/flaky?fail=2&json=1&key=py-post-any'
    value, error, response = client_request(client, 'POST', path, {'n': 1})
    assert error is None
    assert value == {'ok': True}
    assert [a for a, _, _, _ in seen.retries] == [2, 3]
    sent = requests_for(server, path)
    assert len(sent) == 3
    assert {r['method'] for r in sent} == {'POST'}


def test_await_client_will_retry_veto(server, session):
    client = Ladle.HttpClient.new(GLib.Uri.parse(server.uri('/'), GLib.UriFlags.NONE), session)
    client.set_retry_policy(quick_policy(4))
    seen = ClientRetries(client, veto=True)
    path = '/flaky?fail=2&json=1&key=py-veto'

    value, error, response = client_request(client, 'GET', path)
    assert error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS)
    assert response.get_status() == 503
    assert [a for a, _, _, _ in seen.retries] == [2]
    assert len(requests_for(server, path)) == 1
