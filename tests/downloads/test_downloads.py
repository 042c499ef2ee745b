# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""LadleDownloadTask from Python (PyGObject over the built typelib), against the download test
server run as a child process: SHA-256 of the files on disk, exact signal order, error domains and
codes, resume data, what the server saw, and a clean downloads directory. Includes a resume in a
second process from resume data written to a file."""

import json
import os
import random
import subprocess
import sys
from urllib.parse import quote

import pytest

from dlhelpers import (DlServer, GLib, Gio, Ladle, Recorder, build_resume_data, content,
                       content_sha256, error_is, file_sha256, listing, make_session,
                       parse_resume_data, run_until, wait_for_bytes)

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope='module')
def server():
    s = DlServer()
    yield s
    s.stop()


@pytest.fixture
def state_dir(tmp_path):
    path = tmp_path / 'state'
    path.mkdir()
    return str(path)


@pytest.fixture
def out_dir(tmp_path):
    path = tmp_path / 'out'
    path.mkdir()
    return str(path)


@pytest.fixture
def session(state_dir):
    s = make_session(state_dir)
    yield s
    s.invalidate_and_cancel()


def downloads(state_dir):
    return os.path.join(state_dir, 'downloads')


def run(task):
    recorder = Recorder(task)
    task.resume()
    recorder.wait()
    return recorder


def pause_after(server, session, state_dir, path, stall, variant=1):
    """Downloads a stall=N resource, pauses it after its N bytes; checks the resume data and the
    partial file; returns the recorder."""
    task = session.create_download_task_for_uri(server.uri(path))
    recorder = Recorder(task)
    task.resume()
    wait_for_bytes(task, stall)
    recorder.pause()
    recorder.wait()

    assert recorder.squeezed() == 'RPCT'
    assert error_is_cancelled(recorder.error)
    assert recorder.resume_cb_called and recorder.resume_error is None
    assert recorder.events_at_resume_cb == ''.join(recorder.events)
    assert recorder.resume_data is not None

    fields = parse_resume_data(recorder.resume_data)
    assert fields['format'] == 'org.gnome.Ladle.ResumeData'
    assert fields['version'] == 1
    assert fields['bytes-received'] == stall
    assert listing(downloads(state_dir)) == [fields['partial-file']]
    with open(os.path.join(downloads(state_dir), fields['partial-file']), 'rb') as f:
        assert f.read() == content(variant, stall)
    recorder.disconnect()
    return recorder


def error_is_cancelled(error):
    return error is not None and error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)


def test_download_to_destination(server, session, state_dir, out_dir):
    destination = os.path.join(out_dir, 'file.bin')
    task = session.create_download_task_for_uri(server.uri('/resource/3000000'))
    assert isinstance(task, Ladle.DownloadTask)
    assert task.get_state() == Ladle.TaskState.SUSPENDED
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE)

    recorder = run(task)

    assert recorder.squeezed() == 'RPFWCT'
    assert recorder.error is None
    assert task.get_status_code() == 200
    recorder.assert_progress(0, 3000000, 3000000)
    assert sum(p[0] for p in recorder.progress) == 3000000
    expected = content_sha256(1, 3000000)
    assert recorder.finished_sha256 == expected
    assert os.path.dirname(recorder.finished_path) == downloads(state_dir)
    assert file_sha256(destination) == expected
    assert listing(downloads(state_dir)) == []
    assert task.dup_suggested_filename() == '3000000'
    assert task.props.suggested_filename == '3000000'
    assert task.dup_resume_data() is None


def test_download_without_destination_is_deleted(server, session, state_dir, out_dir):
    task = session.create_download_task_for_uri(server.uri('/resource/200000'))
    recorder = run(task)
    assert recorder.squeezed() == 'RPFWCT'
    assert recorder.finished_sha256 == content_sha256(1, 200000)
    assert not os.path.exists(recorder.finished_path)
    assert listing(downloads(state_dir)) == []
    assert listing(out_dir) == []


def test_destination_exists_is_untouched(server, session, state_dir, out_dir):
    destination = os.path.join(out_dir, 'exists.txt')
    with open(destination, 'w') as f:
        f.write('keep me')
    task = session.create_download_task_for_uri(server.uri('/resource/100000'))
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.CREATE_PARENTS)
    recorder = run(task)
    assert recorder.squeezed() == 'RPFWCT'
    assert recorder.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.EXISTS)
    with open(destination) as f:
        assert f.read() == 'keep me'
    assert listing(downloads(state_dir)) == []
    assert listing(out_dir) == ['exists.txt']


def test_chunked_download(server, session, state_dir, out_dir):
    destination = os.path.join(out_dir, 'a', 'b', 'chunked.bin')
    task = session.create_download_task_for_uri(server.uri('/resource/700000?chunked=1'))
    task.set_destination(Gio.File.new_for_path(destination),
                         Ladle.DestinationFlags.CREATE_PARENTS | Ladle.DestinationFlags.REPLACE)
    recorder = run(task)
    assert recorder.squeezed() == 'RPFWCT'
    assert recorder.error is None
    recorder.assert_progress(0, 700000, -1)
    assert file_sha256(destination) == content_sha256(1, 700000)
    assert listing(downloads(state_dir)) == []


def test_http_404_is_not_moved(server, session, state_dir, out_dir):
    destination = os.path.join(out_dir, 'never.bin')
    task = session.create_download_task_for_uri(server.uri('/resource/3000?status=404'))
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    recorder = run(task)
    assert recorder.squeezed() == 'RPFWCT'
    assert recorder.error is None
    assert task.get_status_code() == 404
    assert not os.path.exists(destination)
    assert listing(downloads(state_dir)) == []


def test_pause_and_resume(server, session, state_dir, out_dir):
    server.log(clear=True)
    paused = pause_after(server, session, state_dir, '/resource/2000000?stall=400000', 400000)
    fields = parse_resume_data(paused.resume_data)
    assert fields['url'] == server.uri('/resource/2000000?stall=400000')
    assert fields['method'] == 'GET'
    assert fields['etag'] == '"v1-2000000"'
    assert fields['expected-total'] == 2000000
    assert not any(name.lower() in ('range', 'if-range', 'authorization', 'cookie')
                   for name, _ in fields['headers'])

    # a new session on the same state directory
    second = make_session(state_dir)
    task = second.create_download_task_from_resume_data(paused.resume_data)
    destination = os.path.join(out_dir, 'resumed.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE)
    recorder = run(task)

    assert recorder.squeezed() == 'RSPFWCT'
    assert recorder.error is None
    assert recorder.resumed == [(400000, 2000000)]
    assert task.get_status_code() == 206
    recorder.assert_progress(400000, 2000000, 2000000)
    assert file_sha256(destination) == content_sha256(1, 2000000)
    assert listing(downloads(state_dir)) == []

    log = server.log()
    assert [entry['range'] for entry in log] == [None, 'bytes=400000-']
    assert log[1]['if_range'] == '"v1-2000000"'
    assert log[1]['status'] == 206
    second.invalidate_and_cancel()


def test_resume_in_another_process(server, session, state_dir, out_dir, tmp_path):
    server.log(clear=True)
    paused = pause_after(server, session, state_dir, '/resource/1500000?stall=300000', 300000)
    resume_file = tmp_path / 'resume-data.bin'
    resume_file.write_bytes(paused.resume_data.get_data())
    destination = os.path.join(out_dir, 'from-child.bin')

    child = subprocess.run([sys.executable, os.path.join(HERE, 'dl_resume_child.py'),
                            state_dir, str(resume_file), destination],
                           stdout=subprocess.PIPE, timeout=120, check=True, env=os.environ)
    report = json.loads(child.stdout.decode().strip().splitlines()[-1])

    assert 'load_error' not in report, report
    assert report['events'] == 'RSPFWCT'
    assert report['error'] is None
    assert report['resumed'] == [[300000, 1500000]]
    assert report['status'] == 206
    assert report['progress'][-1][1:] == [1500000, 1500000]
    assert file_sha256(destination) == content_sha256(1, 1500000)
    assert listing(downloads(state_dir)) == []
    log = server.log()
    assert log[-1]['range'] == 'bytes=300000-'
    assert log[-1]['if_range'] == '"v1-1500000"'
    assert log[-1]['status'] == 206


def test_resume_after_resource_changed(server, session, state_dir, out_dir):
    paused = pause_after(server, session, state_dir, '/resource/900000?changing=1&stall=100000', 100000)
    task = session.create_download_task_from_resume_data(paused.resume_data)
    destination = os.path.join(out_dir, 'changed.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE)
    recorder = run(task)

    # If-Range failed: the server sent the new version whole, the file started over
    assert recorder.squeezed() == 'RSPFWCT'
    assert recorder.error is None
    assert recorder.resumed == [(0, 900000)]
    assert task.get_status_code() == 200
    assert file_sha256(destination) == content_sha256(2, 900000)
    assert listing(downloads(state_dir)) == []


def test_resume_server_ignoring_if_range_is_refused(server, session, state_dir, out_dir):
    paused = pause_after(server, session, state_dir, '/resource/900000?changing=1&lie=1&stall=100000', 100000)
    partial = parse_resume_data(paused.resume_data)['partial-file']
    task = session.create_download_task_from_resume_data(paused.resume_data)
    destination = os.path.join(out_dir, 'spliced.bin')
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE)
    recorder = run(task)

    assert recorder.squeezed() == 'RCT'
    assert error_is(recorder.error, Ladle.Error.UNEXPECTED_RANGE)
    assert not os.path.exists(destination)
    assert listing(downloads(state_dir)) == [partial]
    with open(os.path.join(downloads(state_dir), partial), 'rb') as f:
        assert f.read() == content(1, 100000)


def test_dropped_connection_keeps_resume_data(server, session, state_dir, out_dir):
    task = session.create_download_task_for_uri(server.uri('/resource/1000000?drop=333333'))
    recorder = run(task)
    assert recorder.squeezed() == 'RPCT'
    assert error_is(recorder.error, Ladle.Error.TRUNCATED_BODY)
    resume_data = task.dup_resume_data()
    assert resume_data is not None
    fields = parse_resume_data(resume_data)
    assert fields['bytes-received'] == 333333
    assert listing(downloads(state_dir)) == [fields['partial-file']]

    resumed = session.create_download_task_from_resume_data(resume_data)
    destination = os.path.join(out_dir, 'after-drop.bin')
    resumed.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE)
    second = run(resumed)
    assert second.squeezed() == 'RSPFWCT'
    assert second.resumed == [(333333, 1000000)]
    assert file_sha256(destination) == content_sha256(1, 1000000)
    assert listing(downloads(state_dir)) == []


@pytest.mark.parametrize('query', ['etag=none&lm=0', 'etag=weak&lm=0', 'ranges=none'])
def test_not_resumable(server, session, state_dir, query):
    task = session.create_download_task_for_uri(server.uri('/resource/500000?stall=50000&' + query))
    recorder = Recorder(task)
    task.resume()
    wait_for_bytes(task, 50000)
    recorder.pause()
    recorder.wait()
    assert recorder.squeezed() == 'RPCT'
    assert error_is_cancelled(recorder.error)
    assert recorder.resume_error is None
    assert recorder.resume_data is None
    assert listing(downloads(state_dir)) == []


def test_bad_resume_data(server, session, state_dir):
    os.makedirs(downloads(state_dir))
    partial = os.path.join(downloads(state_dir), 'good.part')
    with open(partial, 'wb') as f:
        f.write(content(1, 1000))
    good = {
        'format': 'org.gnome.Ladle.ResumeData', 'version': 1, 'url': server.uri('/resource/5000'),
        'method': 'GET', 'headers': [('Accept', '*/*')], 'partial-file': 'good.part',
        'bytes-received': 1000, 'expected-total': 5000, 'etag': '"v1-5000"',
    }
    valid = build_resume_data(good)
    rng = random.Random(1234)

    def variant(**changes):
        fields = dict(good)
        fields.update(changes)
        return build_resume_data(fields)

    cases = [
        ('empty', GLib.Bytes.new(b''), Ladle.Error.INVALID_RESUME_DATA),
        ('random', GLib.Bytes.new(bytes(rng.randrange(256) for _ in range(300))), Ladle.Error.INVALID_RESUME_DATA),
        ('truncated', GLib.Bytes.new(valid.get_data()[:len(valid.get_data()) // 2]), Ladle.Error.INVALID_RESUME_DATA),
        ('other type', GLib.Variant('(su)', ('org.gnome.Ladle.ResumeData', 1)).get_data_as_bytes(),
         Ladle.Error.INVALID_RESUME_DATA),
        ('foreign format', variant(format='org.example.Other'), Ladle.Error.INVALID_RESUME_DATA),
        ('newer version', variant(version=2), Ladle.Error.RESUME_DATA_VERSION),
        ('file url', variant(url='file:///etc/passwd'), Ladle.Error.INVALID_RESUME_DATA),
        ('partial name with slash', variant(**{'partial-file': '../good.part'}), Ladle.Error.INVALID_RESUME_DATA),
        ('partial name ..', variant(**{'partial-file': '..'}), Ladle.Error.INVALID_RESUME_DATA),
        ('no validator', variant(etag=None), Ladle.Error.INVALID_RESUME_DATA),
        ('missing partial file', variant(**{'partial-file': 'missing.part'}), Ladle.Error.PARTIAL_FILE),
        # a longer partial file is cut back when the task starts; a shorter one cannot be resumed
        ('partial file shorter than recorded', variant(**{'bytes-received': 1001}), Ladle.Error.PARTIAL_FILE),
    ]
    for name, data, code in cases:
        with pytest.raises(GLib.Error) as info:
            session.create_download_task_from_resume_data(data)
        assert error_is(info.value, code), (name, info.value.domain, info.value.code, info.value.message)

    # the good one loads, and nothing was touched or made
    task = session.create_download_task_from_resume_data(valid)
    assert isinstance(task, Ladle.DownloadTask)
    recorder = Recorder(task)
    recorder.pause()
    recorder.wait()
    assert listing(downloads(state_dir)) == ['good.part']
    with open(partial, 'rb') as f:
        assert f.read() == content(1, 1000)


def test_became_download_task(server, session, state_dir, out_dir):
    data_task = session.create_data_task_for_uri(server.uri('/resource/1200000'))
    destination = os.path.join(out_dir, 'became.bin')
    events = []
    holder = {}

    def on_response(task, message):
        events.append('R')
        return Ladle.ResponseDisposition.BECOME_DOWNLOAD

    def on_became(task, download):
        events.append('B')
        download.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE)
        holder['recorder'] = Recorder(download)

    def on_data(task, chunk):
        events.append('D')

    def on_completed(task, error):
        events.append('C')
        holder['error'] = error

    data_task.connect('response', on_response)
    data_task.connect('became-download-task', on_became)
    data_task.connect('data-received', on_data)
    data_task.connect('completed', on_completed)
    data_task.resume()
    run_until(lambda: 'C' in events and 'recorder' in holder and holder['recorder'].done,
              'both tasks\' completion')

    assert ''.join(events) == 'RBC'
    assert holder['error'] is None
    recorder = holder['recorder']
    assert recorder.squeezed() == 'PFWCT'
    assert recorder.error is None
    recorder.assert_progress(0, 1200000, 1200000)
    assert file_sha256(destination) == content_sha256(1, 1200000)
    assert listing(downloads(state_dir)) == []


@pytest.mark.parametrize('name, expected', [
    ('../../evil.txt', 'evil.txt'),
    ('..\\..\\evil.txt', 'evil.txt'),
    ('.bashrc', 'bashrc'),
    ('a\r\nb\x01.txt', 'ab.txt'),
    ('..', 'download'),
    ('', 'download'),
    ('/', 'download'),
    ('€ rates.txt', '€ rates.txt'),
])
def test_sanitize_filename(name, expected):
    result = Ladle.sanitize_filename(name)
    assert result == expected
    assert '/' not in result and '\\' not in result and not result.startswith('.')


@pytest.mark.parametrize('disposition, expected', [
    ('attachment; filename="../../evil.txt"', 'evil.txt'),
    ('attachment; filename=".hidden"', 'hidden'),
    ("attachment; filename*=UTF-8''%0Aevil%01.txt", 'evil.txt'),
    ('attachment; filename=".."', None),
])
def test_suggested_filename_from_content_disposition(server, session, state_dir, disposition, expected):
    task = session.create_download_task_for_uri(server.uri('/resource/100?cd=' + quote(disposition, safe='')))
    recorder = run(task)
    assert recorder.error is None
    name = task.dup_suggested_filename()
    assert name and name != '..' and '/' not in name and '\\' not in name and not name.startswith('.')
    assert not any(ord(c) < 0x20 or ord(c) == 0x7f for c in name)
    if expected is not None:
        assert name == expected
    assert listing(downloads(state_dir)) == []
