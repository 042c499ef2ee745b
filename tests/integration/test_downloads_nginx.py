# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Downloads against nginx: real Range, ETag and If-Range behaviour.

Pause a large download with cancel_producing_resume_data, resume it in a new task (and a new
session), check the file's SHA-256, the signals in order, and what nginx logged: a 200, then a
206 for the resumed request carrying Range and If-Range. A file rewritten between pause and resume
changes nginx's ETag: the resume starts over with the new content."""

import hashlib
import os
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'downloads'))

from dlhelpers import (GLib, Gio, Ladle, Recorder, error_is, file_sha256, listing,  # noqa: E402
                       make_session, parse_resume_data)

MiB = 1024 * 1024


def random_bytes(size, seed):
    # deterministic per test, different between versions of a file
    out = bytearray()
    block = hashlib.sha256(b'ladle-integration-%d' % seed).digest()
    while len(out) < size:
        block = hashlib.sha512(block).digest()
        out += block * 64
    return bytes(out[:size])


@pytest.fixture
def state_dir(tmp_path):
    path = tmp_path / 'state'
    path.mkdir()
    return str(path)


def downloads(state_dir):
    return os.path.join(state_dir, 'downloads')


def wait_for_log(nginx, predicate, what):
    """nginx writes an entry when the request ends (a cancelled one: when it notices the closed
    connection). Polls with a failsafe; never a timing assertion."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        entries = [e for e in nginx.access_log() if predicate(e)]
        if entries:
            return entries
        time.sleep(0.05)
    raise AssertionError('nginx never logged %s; log: %r' % (what, nginx.access_log()))


def pause_download(session, url, pause_at):
    """Starts a download and pauses it from its download-progress handler once pause_at bytes
    are in. Returns the task and its recorder."""
    task = session.create_download_task_for_uri(url)
    recorder = Recorder(task)

    def on_progress(task, received_now, total_received, total_expected):
        if total_received >= pause_at and not recorder.pause_requested:
            recorder.pause()

    task.connect('download-progress', on_progress)
    task.resume()
    recorder.wait()
    return task, recorder


def check_paused(recorder, state_dir, data):
    assert recorder.squeezed() == 'RPCT'
    assert recorder.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert recorder.resume_cb_called and recorder.resume_error is None
    assert recorder.events_at_resume_cb == ''.join(recorder.events)
    assert recorder.resume_data is not None
    fields = parse_resume_data(recorder.resume_data)
    offset = fields['bytes-received']
    assert 0 < offset < len(data)
    assert fields['expected-total'] == len(data)
    assert listing(downloads(state_dir)) == [fields['partial-file']]
    with open(os.path.join(downloads(state_dir), fields['partial-file']), 'rb') as f:
        assert f.read() == data[:offset]
    return fields


def resume(state_dir, resume_data, destination):
    session = make_session(state_dir)
    task = session.create_download_task_from_resume_data(resume_data)
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE)
    recorder = Recorder(task)
    task.resume()
    recorder.wait()
    return session, task, recorder


def test_pause_and_resume_32_mib(nginx, state_dir, tmp_path):
    data = random_bytes(32 * MiB, 1)
    nginx.write_file('big.bin', data)
    nginx.clear_access_log()
    session = make_session(state_dir)

    task, paused = pause_download(session, nginx.url('/slow/big.bin'), 4 * MiB)
    fields = check_paused(paused, state_dir, data)
    offset = fields['bytes-received']
    etag = fields['etag']
    assert etag.startswith('"') and fields['last-modified']
    assert fields['url'] == nginx.url('/slow/big.bin')
    wait_for_log(nginx, lambda e: e['uri'] == '/slow/big.bin' and e['status'] == 200, 'the first request')

    destination = str(tmp_path / 'big.bin')
    second, resumed_task, recorder = resume(state_dir, paused.resume_data, destination)

    assert recorder.squeezed() == 'RSPFWCT'
    assert recorder.error is None
    assert recorder.resumed == [(offset, len(data))]
    assert resumed_task.get_status_code() == 206
    recorder.assert_progress(offset, len(data), len(data))
    assert file_sha256(destination) == hashlib.sha256(data).hexdigest()
    assert listing(downloads(state_dir)) == []

    log = wait_for_log(nginx, lambda e: e['status'] == 206, 'a 206')
    assert len(log) == 1
    assert log[0]['uri'] == '/slow/big.bin'
    assert log[0]['range'] == 'bytes=%d-' % offset
    assert log[0]['if_range'] == etag
    assert log[0]['body_bytes_sent'] == len(data) - offset
    second.invalidate_and_cancel()
    session.invalidate_and_cancel()


def test_pause_from_a_busy_progress_handler(nginx, state_dir, tmp_path):
    """cancel_producing_resume_data from a download-progress handler that takes its time (an
    application updating its UI) while nginx goes on sending. On the zero-copy path the worker
    keeps moving bytes to the partial file meanwhile, and goes on for a moment after the cancel.
    Every byte that was in the file when cancel was called is kept and counted; nothing after
    it is: bytes-received, the resume data and the partial file agree, and the resumed task
    asks for the rest from there."""
    data = random_bytes(32 * MiB, 4)
    nginx.write_file('busy.bin', data)
    session = make_session(state_dir)
    task = session.create_download_task_for_uri(nginx.url('/slow/busy.bin'))
    seen = []

    def on_progress(task, received_now, total_received, total_expected):
        if not seen and total_received >= 2 * MiB:
            time.sleep(0.05)
            partial = [os.path.join(downloads(state_dir), name) for name in listing(downloads(state_dir))]
            assert len(partial) == 1
            seen.append((total_received, os.path.getsize(partial[0])))
            # The worker publishes its count just after each write to the file: by the time the
            # handler cancels, what was on disk above has been counted.
            time.sleep(0.05)
            recorder.pause()

    # Connected before the recorder's handler, which would pause at once.
    task.connect('download-progress', on_progress)
    recorder = Recorder(task)
    task.resume()
    recorder.wait()

    fields = check_paused(recorder, state_dir, data)
    reported, on_disk = seen[0]
    offset = fields['bytes-received']
    assert offset >= on_disk >= reported
    assert task.get_bytes_received() == offset
    recorder.disconnect()

    nginx.clear_access_log()
    destination = str(tmp_path / 'busy.bin')
    second, resumed_task, resumed = resume(state_dir, recorder.resume_data, destination)
    assert resumed.error is None
    assert resumed.resumed == [(offset, len(data))]
    assert resumed_task.get_bytes_received() == len(data)
    assert file_sha256(destination) == hashlib.sha256(data).hexdigest()
    log = wait_for_log(nginx, lambda e: e['status'] == 206, 'a 206')
    assert [entry['range'] for entry in log] == ['bytes=%d-' % offset]
    assert listing(downloads(state_dir)) == []
    second.invalidate_and_cancel()
    session.invalidate_and_cancel()


def test_changed_file_starts_over(nginx, state_dir, tmp_path):
    old = random_bytes(8 * MiB, 2)
    new = random_bytes(8 * MiB, 3)
    path = nginx.write_file('changing.bin', old)
    nginx.clear_access_log()
    session = make_session(state_dir)

    task, paused = pause_download(session, nginx.url('/slow/changing.bin'), 1 * MiB)
    fields = check_paused(paused, state_dir, old)
    old_etag = fields['etag']

    # a new version of the file: nginx's ETag (mtime-size) changes
    with open(path, 'wb') as f:
        f.write(new)
    stat = os.stat(path)
    os.utime(path, (stat.st_atime + 3600, stat.st_mtime + 3600))

    destination = str(tmp_path / 'changing.bin')
    second, resumed_task, recorder = resume(state_dir, paused.resume_data, destination)

    assert recorder.squeezed() == 'RSPFWCT'
    assert recorder.error is None
    assert recorder.resumed == [(0, len(new))]
    assert resumed_task.get_status_code() == 200
    recorder.assert_progress(0, len(new), len(new))
    assert file_sha256(destination) == hashlib.sha256(new).hexdigest()
    assert listing(downloads(state_dir)) == []

    # nginx saw the Range with the old ETag and answered with the whole new file
    log = wait_for_log(nginx, lambda e: e['range'] != '', 'the resumed request')
    assert log[0]['if_range'] == old_etag
    assert log[0]['status'] == 200
    assert log[0]['body_bytes_sent'] == len(new)
    second.invalidate_and_cancel()
    session.invalidate_and_cancel()


def test_resume_after_partial_file_lost_fails_cleanly(nginx, state_dir, tmp_path):
    data = random_bytes(4 * MiB, 4)
    nginx.write_file('lost.bin', data)
    session = make_session(state_dir)
    task, paused = pause_download(session, nginx.url('/slow/lost.bin'), 512 * 1024)
    fields = check_paused(paused, state_dir, data)
    os.unlink(os.path.join(downloads(state_dir), fields['partial-file']))

    other = make_session(state_dir)
    with pytest.raises(GLib.Error) as info:
        other.create_download_task_from_resume_data(paused.resume_data)
    assert error_is(info.value, Ladle.Error.PARTIAL_FILE)
    assert listing(downloads(state_dir)) == []
    other.invalidate_and_cancel()
    session.invalidate_and_cancel()


def test_download_through_redirects(nginx, state_dir, tmp_path):
    data = random_bytes(3 * MiB, 5)
    nginx.write_file('moved.bin', data)
    session = make_session(state_dir)
    for code in (301, 302, 303, 307, 308):
        destination = str(tmp_path / ('moved-%d.bin' % code))
        task = session.create_download_task_for_uri(nginx.url('/redirect/%d/moved.bin' % code))
        task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE)
        recorder = Recorder(task)
        task.resume()
        recorder.wait()
        assert recorder.squeezed() == 'RPFWCT', code
        assert recorder.error is None
        assert task.get_status_code() == 200
        assert task.get_current_request().get_uri().to_string() == nginx.url('/files/moved.bin')
        assert file_sha256(destination) == hashlib.sha256(data).hexdigest()
    assert listing(downloads(state_dir)) == []
    session.invalidate_and_cancel()


def test_download_over_tls_with_accepted_certificate(nginx, state_dir, tmp_path):
    data = random_bytes(2 * MiB, 6)
    nginx.write_file('secure.bin', data)
    session = make_session(state_dir)
    destination = str(tmp_path / 'secure.bin')
    task = session.create_download_task_for_uri(nginx.tls_url('/files/secure.bin'))
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE)
    seen = []

    def on_accept_certificate(task, certificate, errors):
        seen.append(errors)
        # only the test server's own self-signed certificate
        return certificate.props.certificate_pem.strip() == nginx.cert_pem.strip()

    task.connect('accept-certificate', on_accept_certificate)
    recorder = Recorder(task)
    task.resume()
    recorder.wait()
    assert seen and seen[0] & Gio.TlsCertificateFlags.UNKNOWN_CA
    assert recorder.squeezed() == 'RPFWCT'
    assert recorder.error is None
    assert file_sha256(destination) == hashlib.sha256(data).hexdigest()
    assert listing(downloads(state_dir)) == []
    session.invalidate_and_cancel()
