# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Awaiting from Python: Ladle.Task.wait_async, Ladle.Session.send_and_read_async and
# download_async, with callbacks and with `await` (tests/python/gio_await.py) on the GLib main
# loop, against the test server.

import hashlib
import os

from gi.repository import Gio, GLib, Ladle, Soup

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
