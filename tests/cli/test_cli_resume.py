# SPDX-License-Identifier: LGPL-2.1-or-later
"""`ladle get -c`: interrupted by SIGINT mid-download (nginx limit_rate), resumed by the next
run with a Range request and If-Range, and fetched again from zero when the file changed on the
server (a different ETag), which `wget -c` gets wrong."""

import glob
import os
import random
import signal
import time

from conftest import parse_json_lines, sha256

EXIT_INTERRUPTED = 130
SIZE = 1_500_000   # /burst/: 1100 KiB at once, then 32 KiB/s


def content(seed, size=SIZE):
    return random.Random(seed).randbytes(size)


def partial_files(ladle):
    return glob.glob(os.path.join(ladle.env['XDG_STATE_HOME'], 'ladle', 'cli', 'downloads', '*'))


def wait_for_partial_bytes(ladle, process, at_least, count=1, timeout=30):
    """Waits until `count` partial files hold at least `at_least` bytes each."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, 'ladle ended before it was interrupted'
        sizes = [os.path.getsize(p) for p in partial_files(ladle) if os.path.isfile(p)]
        if len(sizes) >= count and all(size >= at_least for size in sizes):
            return
        time.sleep(0.05)
    raise AssertionError('the download did not progress')


def interrupt(process, signal_number=signal.SIGINT):
    process.send_signal(signal_number)
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr.decode('utf-8', 'replace')


def resume_requests(nginx, uri):
    return [e for e in nginx.access_log() if e['uri'] == uri]


def test_interrupted_download_resumes_with_range(ladle, nginx):
    data = content(1)
    nginx.write_file('resume/big.bin', data)
    uri = '/burst/resume/big.bin'
    etag = None
    process = ladle.spawn(['get', '-c', nginx.url(uri), '-o', 'big.bin', '--json'])
    wait_for_partial_bytes(ladle, process, 1 << 20)
    returncode, stdout, stderr = interrupt(process)
    assert returncode == EXIT_INTERRUPTED, stderr
    first = parse_json_lines(stdout)[0]
    assert first['exit_code'] == EXIT_INTERRUPTED
    assert first['error']['message']
    assert first['resume_file'] == 'big.bin.ladle-resume'
    etag = first['etag']
    assert etag
    # partial output never sits at the destination: only the resume data is beside it
    assert sorted(os.listdir(ladle.workdir)) == ['big.bin.ladle-resume']
    assert len(partial_files(ladle)) == 1
    assert 'run the same command with -c' in stderr

    nginx.clear_access_log()
    result = ladle.run(['get', '-c', nginx.url(uri), '-o', 'big.bin', '--json'])
    assert result.returncode == 0, result.stderr
    assert sha256(os.path.join(ladle.workdir, 'big.bin')) == sha256(data)
    assert sorted(os.listdir(ladle.workdir)) == ['big.bin']   # resume data removed
    assert partial_files(ladle) == []

    log = resume_requests(nginx, uri)
    assert len(log) == 1
    assert log[0]['range'].startswith('bytes=') and log[0]['range'].endswith('-')
    offset = int(log[0]['range'][len('bytes='):-1])
    assert 1 << 20 <= offset < SIZE
    assert log[0]['if_range'] == etag
    assert log[0]['status'] == 206
    assert log[0]['body_bytes_sent'] == SIZE - offset
    entry = result.json[0]
    assert entry['status'] == 206
    assert entry['resumed_from'] == offset
    assert entry['bytes_received'] == SIZE
    assert 'resuming at' in result.stderr


def test_changed_file_is_fetched_again_from_zero(ladle, nginx):
    old = content(2)
    path = nginx.write_file('resume/changing.bin', old)
    uri = '/burst/resume/changing.bin'
    process = ladle.spawn(['get', '-c', nginx.url(uri), '-o', 'changing.bin', '--json'])
    wait_for_partial_bytes(ladle, process, 1 << 20)
    returncode, stdout, _ = interrupt(process)
    assert returncode == EXIT_INTERRUPTED
    old_etag = parse_json_lines(stdout)[0]['etag']

    # the same size, other bytes, another modification time: nginx's ETag changes
    new = content(3)
    nginx.write_file('resume/changing.bin', new)
    stat = os.stat(path)
    os.utime(path, (stat.st_atime + 100, stat.st_mtime + 100))

    nginx.clear_access_log()
    result = ladle.run(['get', '-c', nginx.url(uri), '-o', 'changing.bin', '--json'])
    assert result.returncode == 0, result.stderr
    assert sha256(os.path.join(ladle.workdir, 'changing.bin')) == sha256(new)
    assert sorted(os.listdir(ladle.workdir)) == ['changing.bin']
    log = resume_requests(nginx, uri)
    assert len(log) == 1
    # asked for the rest of the old version, answered with the whole new one
    assert log[0]['range'].startswith('bytes=')
    assert log[0]['if_range'] == old_etag
    assert log[0]['status'] == 200
    assert log[0]['body_bytes_sent'] == SIZE
    entry = result.json[0]
    assert entry['status'] == 200
    assert entry['resumed_from'] == 0
    assert entry['etag'] != old_etag
    assert 'starting over' in result.stderr
    assert partial_files(ladle) == []


def test_several_remote_names_interrupted_and_resumed(ladle, nginx):
    files = {'r%d.bin' % i: content(10 + i) for i in range(2)}
    for name, data in files.items():
        nginx.write_file('resume/' + name, data)
    urls = [nginx.url('/burst/resume/' + name) for name in sorted(files)]
    process = ladle.spawn(['get', '-c', '--parallel', '2'] + urls)
    wait_for_partial_bytes(ladle, process, 1 << 20, count=2)
    returncode, _, stderr = interrupt(process)
    assert returncode == EXIT_INTERRUPTED, stderr
    # -O with -c: the resume data is named after the URL's file name
    assert sorted(os.listdir(ladle.workdir)) == ['r0.bin.ladle-resume', 'r1.bin.ladle-resume']

    nginx.clear_access_log()
    result = ladle.run(['get', '-c', '--parallel', '2', '--json'] + urls)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(ladle.workdir)) == ['r0.bin', 'r1.bin']
    for name, data in files.items():
        assert sha256(os.path.join(ladle.workdir, name)) == sha256(data)
    for entry in nginx.access_log():
        assert entry['status'] == 206 and entry['range'].startswith('bytes=')
    assert all(entry['resumed_from'] > 0 for entry in result.json)


def test_sigterm_without_continue_leaves_nothing(ladle, nginx):
    nginx.write_file('resume/term.bin', content(4))
    process = ladle.spawn(['get', nginx.url('/throttle/resume/term.bin'), '-o', 'term.bin'])
    time.sleep(1.0)
    assert process.poll() is None
    returncode, _, stderr = interrupt(process, signal.SIGTERM)
    assert returncode == 128 + signal.SIGTERM, stderr
    assert os.listdir(ladle.workdir) == []
    assert partial_files(ladle) == []


def test_unusable_resume_data_starts_over(ladle, nginx):
    data = content(5, 200_000)
    nginx.write_file('resume/corrupt.bin', data)
    with open(os.path.join(ladle.workdir, 'corrupt.bin.ladle-resume'), 'wb') as f:
        f.write(b'not resume data at all')
    nginx.clear_access_log()
    result = ladle.run(['get', '-c', nginx.url('/files/resume/corrupt.bin'), '-o', 'corrupt.bin'])
    assert result.returncode == 0, result.stderr
    assert 'cannot resume' in result.stderr
    assert sha256(os.path.join(ladle.workdir, 'corrupt.bin')) == sha256(data)
    assert sorted(os.listdir(ladle.workdir)) == ['corrupt.bin']
    assert [e['range'] for e in nginx.access_log()] == ['']


def test_failed_download_keeps_its_resume_data(ladle, nginx):
    # the server stops answering in the middle (the file is cut short on disk: nginx ends
    # the connection early), so the download fails with a short body and -c keeps its data
    data = content(6, SIZE)
    path = nginx.write_file('resume/short.bin', data)
    process = ladle.spawn(['get', '-c', nginx.url('/burst/resume/short.bin'), '-o', 'short.bin',
                           '--json'])
    wait_for_partial_bytes(ladle, process, 1 << 20)
    with open(path, 'r+b') as f:
        f.truncate(1_200_000)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 4, stderr   # network: a short body
    entry = parse_json_lines(stdout)[0]
    assert entry['resume_file'] == 'short.bin.ladle-resume'
    assert sorted(os.listdir(ladle.workdir)) == ['short.bin.ladle-resume']


def test_remote_name_from_content_disposition_resumes(ladle, nginx):
    # -O -c: the resume data is named from the URL (known before the response); the file gets
    # the server's name, on the first run as on the resumed one
    data = content(7)
    nginx.write_file('resume/cd.bin', data)
    url = nginx.url('/cdburst/resume/cd.bin')
    process = ladle.spawn(['get', '-c', url])
    wait_for_partial_bytes(ladle, process, 1 << 20)
    returncode, _, stderr = interrupt(process)
    assert returncode == EXIT_INTERRUPTED, stderr
    assert os.listdir(ladle.workdir) == ['cd.bin.ladle-resume']
    nginx.clear_access_log()
    result = ladle.run(['get', '-c', '--json', url])
    assert result.returncode == 0, result.stderr
    assert os.listdir(ladle.workdir) == ['named by server.bin']
    assert sha256(os.path.join(ladle.workdir, 'named by server.bin')) == sha256(data)
    assert result.json[0]['resumed_from'] > 0
    assert [e['status'] for e in nginx.access_log()] == [206]
