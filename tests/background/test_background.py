# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a relaunched background session finds, one behaviour at a time.

Each test runs bg_scenario.py a few times, as an application launched, killed and launched
again: the tasks it starts, then what Session.new() restores (identifiers, descriptions, states,
byte counts from the partial files), what the session delivers and when, and what the store and
the partial directory hold in between, read with the backend's own tools (bghelpers.Env).
LADLE_BG_BACKEND chooses the GSettings backend (keyfile, or dconf under run-dconf.py).
"""

import json
import os
import socket
import threading

import gi

gi.require_version('Ladle', '1')
from gi.repository import Ladle  # noqa: E402  (enums only: no session in this process)

import pytest  # noqa: E402

import bghelpers as bg  # noqa: E402
from bghelpers import MiB  # noqa: E402

SUSPENDED = int(Ladle.TaskState.SUSPENDED)
RUNNING = int(Ladle.TaskState.RUNNING)
LADLE_ERROR = 'ladle-error-quark'
IO_ERROR = 'g-io-error-quark'


class App:
    """An application with one background session, launched again and again."""

    def __init__(self, tmp_path, name, app_id='org.gnome.Ladle.TestBehaviour', identifier='transfers', env=None):
        self.env = env or bg.Env(tmp_path, app_id=app_id, identifier=identifier)
        self.app_id = app_id
        self.identifier = identifier
        self.out = os.path.join(self.env.tmp, 'out-%s-%s-%s.jsonl' % (name, bg.escape_name(app_id), identifier))
        self.launches = 0

    def launch(self, action, *args, expect=None, timeout=120):
        argv = [bg.SCENARIO, '--state-dir', self.env.state_dir, '--out', self.out, '--app-id', self.app_id,
                '--identifier', self.identifier, action] + [str(a) for a in args]
        run = bg.launch(self.env, argv, '%s-%s-%d' % (os.path.basename(self.out), action, self.launches))
        self.launches += 1
        returncode = bg.wait(run, timeout)
        if expect is not None:
            assert returncode == expect, 'exit status %s:\n%s' % (returncode, run.stderr())
        run.events = [e for e in bg.read_log(self.out) if e['pid'] == run.pid]
        assert not any(e['event'] == 'timeout' for e in run.events), run.events
        assert 'Traceback' not in run.stderr() and 'CRITICAL' not in run.stderr(), run.stderr()
        return run

    def start(self, *args, **kwargs):
        kwargs.setdefault('expect', -9)
        return self.launch('start', *args, **kwargs)

    def observe(self, *args, **kwargs):
        kwargs.setdefault('expect', 0)
        return self.launch('observe', *args, **kwargs)

    def store(self):
        return self.env.store(self.app_id, self.identifier)

    def records(self):
        return self.store()[2]

    def completions(self):
        return self.store()[3]

    def partial_files(self):
        return self.env.partial_files(self.app_id, self.identifier)

    def partial_sizes(self):
        directory = self.env.partial_dir(self.app_id, self.identifier)
        return sorted(os.path.getsize(os.path.join(directory, name)) for name in self.partial_files())


def event(run, name):
    found = [e for e in run.events if e['event'] == name]
    assert found, 'no %s in %s' % (name, run.events)
    return found[0]


def events(run, name):
    return [e for e in run.events if e['event'] == name]


def slow_file(nginx, tmp_path, name, size, seed=1):
    data = bg.random_bytes(seed, size)
    remote = '%s/%s' % (os.path.basename(str(tmp_path)), name)
    nginx.write_file(remote, data)
    return {'url': nginx.url('/slow/' + remote), 'fast_url': nginx.url('/files/' + remote),
            'uri': '/slow/' + remote, 'dest': os.path.join(str(tmp_path), 'downloads', name),
            'sha256': bg.hashlib.sha256(data).hexdigest(), 'size': size, 'name': name}


def test_suspended_task_stays_suspended(tmp_path, nginx):
    f = slow_file(nginx, tmp_path, 'suspended.bin', 4 * MiB + 11)
    app = App(tmp_path, 'suspended')
    start = app.start('--download', '%s=%s' % (f['url'], f['dest']), '--wait-bytes', 1 * MiB + 1,
                      '--suspend', '--settle', 0.5)
    identifier = event(start, 'created')['tasks'][0]['identifier']
    (record,) = app.records().values()
    assert record['state'] == SUSPENDED and record['description'] == 'suspended.bin', record
    (on_disk,) = app.partial_sizes()
    assert on_disk >= 1 * MiB

    # Relaunched: there, suspended, with its identifier, description and the bytes on disk;
    # it stays suspended (no request) until the application resumes it.
    fetches_before = len(bg.fetches(nginx.access_log(), f['uri']))
    run = app.observe('--seconds', 1.5)
    restored = event(run, 'restored')
    (task,) = restored['tasks']
    assert task['identifier'] == identifier
    assert task['description'] == 'suspended.bin'
    assert task['state'] == SUSPENDED
    assert task['bytes_received'] == on_disk
    assert task['bytes_expected_to_receive'] == f['size']
    assert restored['same'] == [True] and restored['by_identifier'][0]['identifier'] == identifier
    (end,) = event(run, 'end')['tasks']
    assert end['state'] == SUSPENDED and end['bytes_received'] == on_disk
    assert not events(run, 'resumed')
    assert len(bg.fetches(nginx.access_log(), f['uri'])) == fetches_before
    assert event(run, 'events-finished')['n_items'] == 1
    assert app.records()[identifier]['state'] == SUSPENDED

    # Resumed by the application: Range from the partial file, the right bytes.
    run = app.observe('--resume-all', '--until-idle')
    assert event(run, 'resumed')['offset'] == on_disk
    done = event(run, 'task-completed')
    assert done['error'] is None and done['task']['identifier'] == identifier
    assert done['task']['status'] == 206
    assert bg.sha256_file(f['dest']) == f['sha256']
    last = bg.fetches(nginx.access_log(), f['uri'])[-1]
    assert last['range'] == 'bytes=%d-' % on_disk and last['if_range'], last
    assert app.store()[2:] == ({}, {}) and app.partial_files() == []


def test_running_task_survives_kills_right_after_new(tmp_path, nginx):
    """Killed again and again before the main loop ever ran: a running task stays running."""
    f = slow_file(nginx, tmp_path, 'running.bin', 3 * MiB + 5)
    app = App(tmp_path, 'running')
    app.start('--download', '%s=%s' % (f['url'], f['dest']), '--wait-bytes', 1 * MiB + 1)
    (record,) = app.records().values()
    assert record['state'] == RUNNING
    for _ in range(3):
        run = app.launch('observe', '--die-after-new', expect=-9)
        assert [t['state'] for t in event(run, 'dying')['restored']] == [RUNNING]
        assert [r['state'] for r in app.records().values()] == [RUNNING]
    run = app.observe('--until-idle')
    assert [t['state'] for t in event(run, 'restored')['tasks']] == [RUNNING]
    assert event(run, 'task-completed')['error'] is None
    assert bg.sha256_file(f['dest']) == f['sha256']
    assert app.store()[2:] == ({}, {})


def test_cancel_removes_record_and_partial_file(tmp_path, nginx):
    a = slow_file(nginx, tmp_path, 'a.bin', 3 * MiB, seed=2)
    b = slow_file(nginx, tmp_path, 'b.bin', 3 * MiB, seed=3)
    app = App(tmp_path, 'cancel')
    app.start('--download', '%s=%s' % (a['url'], a['dest']), '--download', '%s=%s' % (b['url'], b['dest']),
              '--wait-bytes', 1 * MiB + 1)
    assert len(app.records()) == 2 and len(app.partial_files()) == 2
    run = app.observe('--cancel-all', '--seconds', 1.0)
    cancelled = events(run, 'task-completed')
    assert sorted(c['task']['description'] for c in cancelled) == ['a.bin', 'b.bin']
    for c in cancelled:
        assert c['error']['domain'] == IO_ERROR and c['error']['code'] == 19, c  # G_IO_ERROR_CANCELLED
    assert app.store()[2:] == ({}, {})
    assert app.partial_files() == []
    assert not os.path.exists(a['dest']) and not os.path.exists(b['dest'])
    run = app.observe('--seconds', 0.3)
    assert event(run, 'restored')['tasks'] == [] and not events(run, 'task-completed')


def test_invalidate_and_cancel_forgets_everything(tmp_path, nginx):
    a = slow_file(nginx, tmp_path, 'a.bin', 3 * MiB, seed=4)
    b = slow_file(nginx, tmp_path, 'b.bin', 3 * MiB, seed=5)
    app = App(tmp_path, 'invalidate')
    app.start('--download', '%s=%s' % (a['url'], a['dest']), '--download', '%s=%s' % (b['url'], b['dest']),
              '--wait-bytes', 1 * MiB + 1, '--suspend')
    assert len(app.records()) == 2 and len(app.partial_files()) == 2
    app.observe('--invalidate', '--seconds', 1.0)
    assert app.store()[2:] == ({}, {})
    assert app.partial_files() == []
    run = app.observe('--seconds', 0.5)
    assert event(run, 'restored')['tasks'] == []
    assert not events(run, 'task-completed') and len(events(run, 'events-finished')) == 1


def test_streamed_uploads_are_refused(tmp_path, nginx):
    """A streamed upload and a form with a stream part cannot be made again in another process:
    they fail with LADLE_ERROR_NOT_IN_BACKGROUND, and nothing is recorded."""
    app = App(tmp_path, 'streamed')
    url = nginx.url('/dav/%s/streamed.bin' % os.path.basename(str(tmp_path)))
    run = app.start('--streamed', url, '--stream-form', url, '--exit', '--settle', 0.3, expect=0)
    completed = {e['task']['description']: e for e in events(run, 'completed')}
    assert sorted(completed) == ['stream-form', 'streamed']
    for e in completed.values():
        assert e['error']['domain'] == LADLE_ERROR, e
        assert e['error']['code'] == int(Ladle.Error.NOT_IN_BACKGROUND), e
        assert 'background' in e['error']['message'], e
    assert app.store()[2:] == ({}, {})
    assert not [e for e in nginx.access_log() if e['uri'].endswith('/streamed.bin')]


class StallingServer:
    """Accepts connections on 127.0.0.1 and never reads or answers: an upload stays in flight."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        # accept() with a timeout: a socket closed while another thread is blocked in accept()
        # stays listening until that call returns
        self.sock.settimeout(0.05)
        self.connections = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections.append(connection)

    def close(self):
        self.stopping.set()
        self.thread.join()
        for connection in self.connections:
            connection.close()
        self.sock.close()


def test_form_upload_survives_kill_and_is_resent_whole(tmp_path):
    """Text, file and bytes parts: the record keeps the form; after a kill mid-request the next
    launch sends it whole, and PHP parses every part."""
    photo = os.path.join(str(tmp_path), 'photo.jpg')
    data = bg.random_bytes(7, 1 * MiB + 17)
    with open(photo, 'wb') as f:
        f.write(data)
    stalling = StallingServer()
    app = App(tmp_path, 'form')
    try:
        app.start('--form', 'http://127.0.0.1:%d/upload.php=%s' % (stalling.port, photo), '--settle', 0.3)
    finally:
        stalling.close()
    (record,) = app.records().values()
    assert record['kind'] == 'upload' and 'body-form' in record, record

    with bg.servers.PhpServer(port=stalling.port):
        run = app.observe('--until-idle')
    (task,) = event(run, 'restored')['tasks']
    assert task['description'] == 'form' and task['state'] == RUNNING
    done = event(run, 'task-completed')
    assert done['error'] is None and done['task']['status'] == 200, done
    answer = json.loads(done['task']['body'])
    assert answer['post'] == {'message': 'a photo, and a caption with UTF-8: é ✓'}
    files = {f['field']: f for f in answer['files']}
    assert files['photo']['size'] == len(data) and files['photo']['error'] == 0
    assert files['photo']['md5'] == bg.hashlib.md5(data).hexdigest()
    assert files['photo']['name'] == 'photo.jpg'
    thumbnail = bytes(range(256)) * 8
    assert files['thumbnail']['md5'] == bg.hashlib.md5(thumbnail).hexdigest()
    assert answer['content_length'] == done['task']['bytes_sent']
    assert app.store()[2:] == ({}, {})


def test_data_task_runs_but_is_not_restored(tmp_path, nginx):
    d = slow_file(nginx, tmp_path, 'data.bin', 3 * MiB, seed=8)
    f = slow_file(nginx, tmp_path, 'file.bin', 3 * MiB, seed=9)
    small = slow_file(nginx, tmp_path, 'small.txt', 1000, seed=10)
    app = App(tmp_path, 'data')
    run = app.start('--data', small['fast_url'], '--data', d['url'], '--download', '%s=%s' % (f['url'], f['dest']),
                    '--wait-bytes', 1 * MiB + 1)
    done = [e for e in events(run, 'completed') if e['task']['type'] == 'DataTask']
    assert done and done[0]['error'] is None and done[0]['task']['bytes_received'] == 1000
    records = app.records()
    assert [r['kind'] for r in records.values()] == ['download'], records
    run = app.observe('--seconds', 0.3)
    assert [(t['type'], t['description']) for t in event(run, 'restored')['tasks']] == [('DownloadTask', 'file.bin')]


def hold_completions(tmp_path, nginx, app):
    files = [slow_file(nginx, tmp_path, 'p%d.bin' % i, 100 * 1024 * (i + 1), seed=20 + i) for i in range(3)]
    args = []
    for f in files:
        args += ['--download', '%s=%s' % (f['fast_url'], f['dest'])]
    run = app.start('--hold-handler', *args)
    assert event(run, 'dying')
    assert len(app.completions()) == 3 and app.records() == {}
    return files


def test_handlers_connected_after_new_see_every_restored_completion(tmp_path, nginx):
    app = App(tmp_path, 'completions')
    files = hold_completions(tmp_path, nginx, app)
    run = app.observe('--until-idle')
    assert event(run, 'restored')['tasks'] == []  # completions are not tasks to run
    names = [(e['event'], (e.get('task') or {}).get('description')) for e in run.events
             if e['event'] in ('download-finished', 'task-completed', 'events-finished')]
    expected = []
    for f in sorted(files, key=lambda f: f['name']):
        expected += [('download-finished', f['name']), ('task-completed', f['name'])]
    # every one, download-finished before task-completed, all before background-events-finished
    assert sorted(names[:-1], key=lambda n: (n[1], n[0])) == sorted(expected, key=lambda n: (n[1], n[0]))
    for i in range(0, 6, 2):
        assert names[i][0] == 'download-finished' and names[i + 1] == ('task-completed', names[i][1])
    assert names[-1] == ('events-finished', None)
    for e in events(run, 'download-finished'):
        f = [f for f in files if f['name'] == e['task']['description']][0]
        assert e['location'] == f['dest'] and bg.sha256_file(f['dest']) == f['sha256']
    assert all(e['error'] is None for e in events(run, 'task-completed'))
    assert app.store()[2:] == ({}, {})
    # never again
    run = app.observe('--seconds', 0.5)
    assert not events(run, 'task-completed') and len(events(run, 'events-finished')) == 1


def test_restored_completion_keeps_status(tmp_path, nginx):
    """An HTTP error is not a GError: after a relaunch the handler needs the status to tell a
    404 from a success."""
    app = App(tmp_path, 'status')
    hold_completions(tmp_path, nginx, app)
    run = app.observe('--until-idle')
    assert [e['task']['status'] for e in events(run, 'task-completed')] == [200, 200, 200]


# dconf write takes GVariant text only: text that is not one at all is for the key files.
CORRUPTIONS = ['wrong-type', 'foreign-record', 'future-version', 'bad-completion'] + \
    (['not-gvariant'] if bg.backend() == 'keyfile' else [])


@pytest.mark.parametrize('corruption', CORRUPTIONS)
def test_corrupt_store_is_dropped_with_a_warning(tmp_path, nginx, corruption):
    app = App(tmp_path, 'corrupt-' + corruption)
    f = slow_file(nginx, tmp_path, 'after.bin', 1000, seed=30)
    texts = {
        'wrong-type': "'not a store'",
        'foreign-record': "(uint32 1, uint64 9, {uint64 3: {'record-version': <uint32 99>, 'kind': <'x'>}}, "
                          "@a{ta{sv}} {})",
        'future-version': "(uint32 7, uint64 2, @a{ta{sv}} {}, @a{ta{sv}} {})",
        'bad-completion': "(uint32 1, uint64 9, @a{ta{sv}} {}, {uint64 4: {'record': <'nope'>, "
                          "'location': <'not a uri'>}})",
        'not-gvariant': '(uint32 1, garbage ]]] {',
    }
    app.env.write_store_text(texts[corruption], app.app_id, app.identifier)
    run = app.observe('--seconds', 0.5)
    assert event(run, 'restored')['tasks'] == []
    assert len(events(run, 'events-finished')) == 1
    stderr = open(run.stderr_path).read()
    if corruption == 'foreign-record':
        assert 'Dropping the stored record of task 3' in stderr, stderr
    elif corruption == 'future-version':
        assert 'format version 7' in stderr, stderr
    elif corruption == 'bad-completion':
        assert 'Dropping the stored completion of task 4' in stderr, stderr
    # The session works: a new task runs and completes, and the store is clean afterwards.
    app.start('--download', '%s=%s' % (f['fast_url'], f['dest']), '--exit', '--settle', 2.0, expect=0)
    assert bg.sha256_file(f['dest']) == f['sha256']
    assert app.store()[2:] == ({}, {})


def test_identifiers_and_application_ids_are_separate(tmp_path, nginx):
    env = bg.Env(tmp_path)
    apps = [App(tmp_path, 'sep', app_id=app_id, identifier=identifier, env=env)
            for app_id, identifier in (('org.gnome.Ladle.TestA', 'photos'), ('org.gnome.Ladle.TestA', 'videos'),
                                       ('org.gnome.Ladle.TestB', 'photos'))]
    for index, app in enumerate(apps):
        f = slow_file(nginx, tmp_path, 'sep%d.bin' % index, 3 * MiB, seed=40 + index)
        app.start('--download', '%s=%s' % (f['url'], f['dest']), '--wait-bytes', 1 * MiB + 1, '--suspend')
    for index, app in enumerate(apps):
        assert [r['description'] for r in app.records().values()] == ['sep%d.bin' % index]
        assert len(app.partial_files()) == 1
        run = app.observe('--seconds', 0.3)
        assert [t['description'] for t in event(run, 'restored')['tasks']] == ['sep%d.bin' % index]
    # each its own partial directory
    assert len({env.partial_dir(a.app_id, a.identifier) for a in apps}) == 3
    # and forgetting one forgets only that one
    apps[1].observe('--invalidate', '--seconds', 0.5)
    assert apps[1].records() == {} and len(apps[0].records()) == 1 and len(apps[2].records()) == 1
    assert len(apps[0].partial_files()) == 1 and len(apps[2].partial_files()) == 1


def test_unreferenced_partial_files_are_removed_at_restoration(tmp_path, nginx):
    """A partial file no record refers to (a kill between creating it and recording it) is
    removed when the session is made again; the recorded one, and other sessions' files, stay."""
    f = slow_file(nginx, tmp_path, 'kept.bin', 3 * MiB, seed=50)
    app = App(tmp_path, 'sweep')
    other = App(tmp_path, 'sweep', identifier='other', env=app.env)
    app.start('--download', '%s=%s' % (f['url'], f['dest']), '--wait-bytes', 1 * MiB + 1, '--suspend')
    (kept,) = app.partial_files()
    stray = os.path.join(app.env.partial_dir(app.app_id, app.identifier), '0a0b0c0d-stray.part')
    foreign = os.path.join(app.env.partial_dir(other.app_id, other.identifier), 'foreign.part')
    for path in (stray, foreign):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as out:
            out.write(b'x' * 1000)
    app.observe('--seconds', 0.5)
    assert app.partial_files() == [kept]
    assert os.path.exists(foreign)
