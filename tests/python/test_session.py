# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Ladle.Session from Python: the list model of unfinished tasks, invalidation, the session-level
# signals, configuration reaching the server.

import re

from gi.repository import Gio, GObject, Ladle

import pytest

from conftest import Recorder, checksum, content, run_until, spin


def test_session_is_a_list_model(server, session):
    assert isinstance(session, Gio.ListModel)
    assert session.get_item_type() == Ladle.Task.__gtype__
    assert session.get_n_items() == 0

    changes = []
    session.connect("items-changed", lambda model, position, removed, added:
                    changes.append((position, removed, added)))

    first = session.create_data_task_for_uri(server.uri("/bytes/10"))
    second = session.create_data_task_for_uri(server.uri("/bytes/20"))
    assert session.get_n_items() == 2
    assert session.props.n_items == 2
    assert changes == [(0, 0, 1), (1, 0, 1)]
    assert session.get_item(0) == first
    assert session.get_item(1) == second
    assert session.get_item(2) is None
    assert isinstance(session.get_item(0), Ladle.Task)
    assert session.get_task_by_identifier(second.get_identifier()) == second

    recorder = Recorder(first)
    first.resume()
    recorder.wait()
    assert recorder.error is None
    assert changes[-1] == (0, 1, 0)
    assert session.get_n_items() == 1
    assert session.get_item(0) == second
    assert session.get_task_by_identifier(first.get_identifier()) is None


def test_task_completed_follows_completed(server, session):
    order = []
    session.connect("task-completed", lambda s, task, error: order.append(("T", task, error)))
    task = session.create_data_task_for_uri(server.uri("/status/404"))
    task.connect("completed", lambda t, error: order.append(("C", t, error)))
    task.resume()
    run_until(lambda: len(order) == 2, "completed and task-completed")

    assert [entry[0] for entry in order] == ["C", "T"]
    assert order[1][1] == task
    assert order[0][2] is None and order[1][2] is None


def start_slow(session, server):
    task = session.create_data_task_for_uri(server.uri("/slow?chunks=100000&size=512&interval=10"))
    recorder = Recorder(task)
    task.resume()
    return recorder


def assert_invalidated_task(session, server):
    requests = server.n_requests
    task = session.create_data_task_for_uri(server.uri("/bytes/10"))
    recorder = Recorder(task)
    task.resume()
    recorder.wait()
    assert recorder.error is not None
    assert recorder.error.matches(Ladle.error_quark(), Ladle.Error.SESSION_INVALIDATED)
    assert recorder.events == "CT"
    assert server.n_requests == requests


def test_invalidate_and_cancel(server, session):
    log = []
    session.connect("task-completed", lambda s, task, error: log.append("T"))
    session.connect("invalidated", lambda s: log.append("I"))

    recorders = [start_slow(session, server) for _ in range(3)]
    for recorder in recorders:
        run_until(lambda: recorder.n_chunks > 0, "a first data-received")

    session.invalidate_and_cancel()
    assert session.is_invalidated()

    for recorder in recorders:
        recorder.wait()
        assert recorder.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
        assert re.fullmatch("R[DP]+CT", recorder.events), recorder.events

    run_until(lambda: "I" in log, "invalidated")
    assert "".join(log) == "TTTI"
    assert session.get_n_items() == 0


def test_finish_tasks_and_invalidate(server, session):
    log = []
    session.connect("task-completed", lambda s, task, error: log.append("T"))
    session.connect("invalidated", lambda s: log.append("I"))

    recorders = []
    for _ in range(2):
        task = session.create_data_task_for_uri(server.uri("/slow?chunks=20&size=1000&interval=10"))
        recorders.append(Recorder(task))
        task.resume()
    for recorder in recorders:
        run_until(lambda: recorder.n_chunks > 0, "a first data-received")

    session.finish_tasks_and_invalidate()
    assert session.is_invalidated()

    for recorder in recorders:
        recorder.wait()
        assert recorder.error is None
        assert checksum(recorder.data) == checksum(content(0, 20000))

    run_until(lambda: "I" in log, "invalidated")
    assert "".join(log) == "TTI"


@pytest.mark.parametrize("how", ["invalidate_and_cancel", "finish_tasks_and_invalidate"])
def test_task_after_invalidation(server, session, how):
    log = []
    session.connect("task-completed", lambda s, task, error: log.append("T"))
    session.connect("invalidated", lambda s: log.append("I"))
    getattr(session, how)()
    run_until(lambda: "I" in log, "invalidated")

    # a task made afterwards is a task; resumed, it completes with SESSION_INVALIDATED, and the
    # session's task-completed follows as for any task
    assert_invalidated_task(session, server)
    assert "".join(log) == "IT"


def fetch_text(session, uri):
    task = session.create_data_task_for_uri(uri)
    recorder = Recorder(task)
    task.resume()
    recorder.wait()
    assert recorder.error is None
    return bytes(recorder.data).decode()


def test_configuration_reaches_the_server(server):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_header("X-Ladle-Extra", "from python")
    configuration.set_user_agent("PyLadle/1.0")
    session = Ladle.Session.new(configuration)
    # the session keeps its own copy
    configuration.set_header("X-Ladle-Late", "late")

    lines = fetch_text(session, server.uri("/headers")).splitlines()
    assert "X-Ladle-Extra: from python" in lines
    assert "User-Agent: PyLadle/1.0" in lines
    assert not any(line.startswith("X-Ladle-Late") for line in lines)


def test_signals_run_in_python(server, session):
    # handlers written in Python see GObject values with their introspected types
    task = session.create_data_task_for_uri(server.uri("/bytes/3000"))
    seen = {}

    def on_progress(task, now, total, expected):
        seen.setdefault("progress", []).append((now, total, expected))

    def on_data(task, chunk):
        seen.setdefault("chunks", []).append(chunk)

    task.connect("download-progress", on_progress)
    task.connect("data-received", on_data)
    recorder = Recorder(task)
    task.resume()
    recorder.wait()

    assert all(isinstance(value, int) for entry in seen["progress"] for value in entry)
    assert seen["progress"][-1][1:] == (3000, 3000)
    assert all(type(chunk).__name__ == "Bytes" for chunk in seen["chunks"])
    assert GObject.type_is_a(task.__gtype__, Ladle.Task.__gtype__)
