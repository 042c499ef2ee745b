# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""kill -9 at random moments: a background session survives its application.

bg_child.py runs a background session with several downloads of a few MiB from nginx's /slow/
(limit_rate: a run lasts seconds) and one file upload to nginx's WebDAV /dav/ (Basic auth). The
test SIGKILLs it at random moments (seeded; the seed is printed), relaunches it with the same
application id, identifier and state directory each time, and finally lets a run finish. Then:

- every download is at its destination with the right SHA-256, the uploaded file on the DAV side
  too;
- nginx's access log shows no byte range of a file fetched twice beyond the block in flight;
- every task's completion was delivered exactly once across all the runs (a second delivery only
  when the run that delivered first was killed right after its handler ran, before the delivery
  could be recorded);
- ::background-events-finished once per run; no partial file left; the store holds nothing.

LADLE_BG_BACKEND chooses the GSettings backend: keyfile (XDG_CONFIG_HOME in the test's temporary
directory), or dconf (under dbus-run-session through run-dconf.py: the store must be in dconf).
The key-file fallback (no schema installed) runs with every backend.
"""

import os
import random
import time

import pytest

import bghelpers as bg
from bghelpers import KiB, MiB, MULTIPLIER

# The engine's figures (lib/ladle-download-task.c): the body is read 256 KiB at a time
# (DOWNLOAD_READ_SIZE) into 1 MiB blocks (DOWNLOAD_BLOCK_SIZE), and a block goes to the partial
# file only once it is full (or the body ended). A restored download asks for Range from the
# partial file's size. What nginx sent but a kill kept from the partial file is therefore the
# block being gathered (less than 1 MiB) plus what was still in flight towards it: one read of
# at most 256 KiB in the socket buffers (nginx counts a byte as sent once the kernel took it;
# the client drains the socket as fast as it fills). nginx's limit_rate counts whole seconds: it
# sends a second's worth (1 MiB here) at once, then waits, so a kill between that burst and its
# block reaching the disk costs exactly one block, the usual worst case. Full blocks handed to the
# writer thread (up to DOWNLOAD_BUFFERS - 1 = 2) reach the page cache within a millisecond,
# which SIGKILL does not undo: a kill in that window would exceed the bound and fail the test.
#
# A plain-HTTP body of known length is spliced from the socket to the partial file instead
# (lib/ladle-splice-body.c; LADLE_DEBUG=no-splice-body turns it off): every byte taken from the
# socket is in the file at once, so a restored size is any byte count, and what a kill costs is
# at most what was in the socket buffers (less than a read).
BLOCK_SIZE = 1 * MiB
READ_SIZE = 256 * KiB
MAX_REFETCH = BLOCK_SIZE + READ_SIZE
SPLICED = 'no-splice-body' not in os.environ.get('LADLE_DEBUG', '') and \
    'all' not in os.environ.get('LADLE_DEBUG', '').split(',')

# The delivery guarantee is "never again once the handler has returned and the delivery was
# recorded": bg_child.py logs inside its handler; after it returns, the library removes the
# completion from the store and makes that durable (a key file fsynced and renamed, or a dconf
# write the service acknowledges). A kill in between may deliver it again on the next launch; a
# kill later than this after the logged delivery must not.
DUPLICATE_WINDOW = 0.1 * MULTIPLIER

# Several files at 1 MB/s each (nginx's limit_rate, per connection), of sizes that are not
# multiples of the block, the largest long enough that every kill lands while it runs. A run
# killed 0.4 s after it started (on average) keeps what it received: about half a block when
# the body is read in blocks, everything when it is spliced, which on a loaded machine (slow
# Python start-ups, so runs live longer) came to more than a MiB a run: 48 MiB outlasts the 20
# kills.
FILES = [('one.bin', 1 * MiB + 7), ('three.bin', 3 * MiB + 1001), ('six.bin', 6 * MiB + 333),
         ('forty-eight.bin', 48 * MiB + 4097)]
UPLOAD = ('upload.bin', 3 * MiB + 5)


class Workload:
    def __init__(self, env, nginx, seed, files=FILES, upload=UPLOAD, slow=True):
        self.env = env
        self.nginx = nginx
        self.log_path = os.path.join(env.tmp, 'child.log')
        self.downloads_dir = os.path.join(env.tmp, 'downloads')
        self.files = []
        tag = '%s-%d' % (env.kind, seed)
        for index, (name, size) in enumerate(files):
            data = bg.random_bytes(seed * 31 + index, size)
            remote = '%s/%s' % (tag, name)
            nginx.write_file(remote, data)
            self.files.append({'name': name, 'size': size, 'sha256': bg.hashlib.sha256(data).hexdigest(),
                               'uri': ('/slow/' if slow else '/files/') + remote,
                               'dest': os.path.join(self.downloads_dir, name)})
        self.upload = None
        if upload is not None:
            name, size = upload
            data = bg.random_bytes(seed * 31 + 99, size)
            local = os.path.join(env.tmp, name)
            with open(local, 'wb') as f:
                f.write(data)
            self.upload = {'name': name, 'path': local, 'sha256': bg.hashlib.sha256(data).hexdigest(),
                           'remote': '%s/%s' % (tag, name), 'uri': '/dav/%s/%s' % (tag, name)}
        self.descriptions = [f['name'] for f in self.files] + ([self.upload['name']] if self.upload else [])
        self.runs = []
        self.snapshots = []  # (wall-clock time of a kill, {description: bytes in its partial file})

    def argv(self, extra=()):
        argv = [bg.CHILD, '--state-dir', self.env.state_dir, '--log', self.log_path,
                '--app-id', self.env.app_id, '--identifier', self.env.identifier,
                '--user', self.nginx.user, '--password', self.nginx.password]
        for f in self.files:
            argv += ['--download', '%s=%s' % (self.nginx.url(f['uri']), f['dest'])]
        if self.upload:
            argv += ['--upload', '%s=%s' % (self.nginx.url(self.upload['uri']), self.upload['path'])]
        return argv + list(extra)

    def launch(self, extra=()):
        run = bg.launch(self.env, self.argv(extra), 'run%02d' % len(self.runs))
        self.runs.append(run)
        return run

    def wait_until_recorded(self, run):
        """The first run created its tasks; wait until the store has recorded every one of them
        (admission is asynchronous: a kill before it finds nothing to restore, as on iOS a task
        the app never got back)."""
        assert bg.wait_for_event(self.log_path, run.pid, 'created', 60, run), run.stderr()
        deadline = time.monotonic() + 30 * MULTIPLIER
        while time.monotonic() < deadline:
            _, _, records, completions = self.env.store()
            if len(records) + len(completions) >= len(self.descriptions) or run.process.poll() is not None:
                return
            time.sleep(0.01)
        pytest.fail('the store never recorded the %d tasks' % len(self.descriptions))

    def kill_and_relaunch(self, kills, seed, after_kill=None):
        rng = random.Random(seed)
        done = 0
        finished_early = 0
        while done < kills:
            assert len(self.runs) < 3 * kills, 'too many runs finished by themselves'
            run = self.launch()
            if len(self.runs) == 1:
                self.wait_until_recorded(run)
                time.sleep(rng.uniform(0, 1.0))
            elif rng.random() < 0.25:
                # while Python starts, the session restores, or completions are delivered
                time.sleep(rng.uniform(0, 0.6))
            else:
                bg.wait_for_event(self.log_path, run.pid, 'started', 60, run)
                time.sleep(rng.uniform(0.02, 0.8))
            if bg.kill(run):
                done += 1
                self.snapshot()
                if after_kill:
                    after_kill(self, run)
            else:
                assert run.returncode == 0, 'run %d failed (%s):\n%s' % (run.pid, run.returncode, run.stderr())
                finished_early += 1
        return finished_early

    def snapshot(self):
        """Right after a kill: how many bytes of each file are on disk, in the partial file its
        record names (0 when it names none yet). The next fetch of that file must start there."""
        sizes = {}
        for record in self.env.store()[2].values():
            if record.get('kind') != 'download':
                continue
            name = record.get('partial-file')
            path = os.path.join(self.env.partial_dir(), name) if name else None
            sizes[record['description']] = os.path.getsize(path) if path and os.path.exists(path) else 0
        self.snapshots.append((time.time(), sizes))

    def finish(self):
        run = self.launch()
        assert bg.wait(run, 180) == 0, run.stderr()
        return run

    # the checks

    def check_all(self):
        events = bg.read_log(self.log_path)
        final = self.runs[-1]
        self.check_files()
        self.check_ranges()
        self.check_restored_bytes(events)
        self.check_deliveries(events)
        self.check_events_finished(events, final)
        assert self.env.partial_files() == [], 'partial files left: %s' % self.env.partial_files()
        assert self.env.store_is_empty(), 'the store still holds %s' % (self.env.store(),)
        for run in self.runs:
            assert 'CRITICAL' not in run.stderr() and 'Traceback' not in run.stderr(), run.stderr()
        return events

    def check_files(self):
        for f in self.files:
            assert os.path.exists(f['dest']), '%s is not at its destination' % f['name']
            assert os.path.getsize(f['dest']) == f['size'], f['name']
            assert bg.sha256_file(f['dest']) == f['sha256'], '%s: wrong SHA-256' % f['name']
        assert sorted(os.listdir(self.downloads_dir)) == sorted(f['name'] for f in self.files)
        if self.upload:
            stored = self.nginx.dav_path(self.upload['remote'])
            assert os.path.exists(stored), 'nothing uploaded to the DAV root'
            assert bg.sha256_file(stored) == self.upload['sha256'], 'the uploaded file differs'

    def check_ranges(self):
        log = self.nginx.access_log()
        for f in self.files:
            entries = bg.fetches(log, f['uri'])
            assert entries, 'nginx never served %s' % f['uri']
            for entry in entries:
                assert entry['status'] in (200, 206, 416), entry
                if entry['status'] == 206:
                    # Range from the partial file, with If-Range (nginx's ETag)
                    assert entry['if_range'], entry
                elif entry['status'] == 416:
                    # killed once the whole body was on disk but before the task finished: the
                    # next launch asks for the bytes after the last, and 416 proves it complete
                    assert bg.fetch_start(entry) == f['size'] and entry['if_range'], entry
                else:
                    assert entry['range'] == '', entry
            # the last fetch ended the file
            last = entries[-1]
            assert bg.fetch_start(last) + bg.file_bytes(last) == f['size'], (f['name'], entries)
            # The stored bytes are never fetched again: after each kill, the next fetch of the
            # file starts exactly where its partial file ends.
            for killed_at, sizes in self.snapshots:
                if f['name'] not in sizes:
                    continue
                later = [e for e in entries if e['msec'] - e['request_time'] > killed_at]
                if later:
                    assert bg.fetch_start(later[0]) == sizes[f['name']], (
                        '%s: %d bytes were on disk after a kill, the next fetch asked for bytes=%d-'
                        % (f['name'], sizes[f['name']], bg.fetch_start(later[0])))
            overlaps = bg.refetched(entries)
            print('%s: %d fetches (%s), at most %d bytes fetched again' % (
                f['name'], len(entries),
                ', '.join('%d+%d' % (bg.fetch_start(e), bg.file_bytes(e)) for e in entries),
                max([o for o, _, _ in overlaps], default=0)))
            for overlap, a, b in overlaps:
                # no gap either: the next fetch starts at most where the previous one stopped
                assert bg.fetch_start(b) <= bg.fetch_start(a) + bg.file_bytes(a), (a, b)
                assert overlap <= MAX_REFETCH, (
                    '%s: bytes %d-%d fetched again (%d bytes, more than the %d of the block in flight)'
                    % (f['name'], bg.fetch_start(b), bg.fetch_start(b) + overlap - 1, overlap, MAX_REFETCH))
        if self.upload:
            puts = [e for e in log if e['method'] == 'PUT' and e['uri'] == self.upload['uri']]
            assert any(e['status'] in (201, 204) for e in puts), puts

    def check_restored_bytes(self, events):
        """What each launch restored: the bytes of the partial file, whole blocks when the body
        is written a block at a time (not spliced), never fewer than the launch before found."""
        sizes = {f['name']: f['size'] for f in self.files}
        last = {}
        for e in events:
            if e['event'] != 'started':
                continue
            for task in e['restored']:
                name = task['description']
                if name not in sizes:
                    continue
                received = task['bytes_received']
                assert SPLICED or received % BLOCK_SIZE == 0 or received == sizes[name], task
                assert received <= sizes[name], task
                assert received >= last.get(name, 0), '%s: restored %d bytes after %d' % (
                    name, received, last.get(name, 0))
                last[name] = received

    def check_deliveries(self, events):
        by_pid = {run.pid: run for run in self.runs}
        for description in self.descriptions:
            deliveries = [e for e in events if e['event'] == 'delivered' and e['description'] == description]
            assert deliveries, '%s was never delivered' % description
            for delivery in deliveries:
                assert delivery['error'] is None, delivery
                # A completion restored from the store keeps the status of its last response; a
                # 416 proved a partial file complete (a relaunch found every byte on disk).
                assert delivery['status'] in (200, 201, 204, 206, 416), delivery
            for previous, again in zip(deliveries, deliveries[1:]):
                run = by_pid[previous['pid']]
                assert again['pid'] != previous['pid'], 'delivered twice in one run: %s' % again
                assert run.killed_at is not None and run.killed_at - previous['time'] < DUPLICATE_WINDOW, (
                    '%s delivered again by run %d after run %d delivered it %.3f s before it was %s'
                    % (description, again['pid'], previous['pid'],
                       (run.killed_at or time.monotonic()) - previous['time'],
                       'killed' if run.killed_at else 'never killed'))
        for f in self.files:
            finished = [e for e in events if e['event'] == 'download-finished' and e['description'] == f['name']]
            assert finished, '%s: no download-finished' % f['name']
            assert finished[-1]['location'] == f['dest'], finished[-1]
        # In a run, a download's ::download-finished comes before its ::task-completed.
        for run in self.runs:
            seen = set()
            for e in events:
                if e['pid'] != run.pid:
                    continue
                if e['event'] == 'download-finished':
                    seen.add(e['description'])
                elif e['event'] == 'delivered' and e['description'] in [f['name'] for f in self.files]:
                    assert e['description'] in seen, 'task-completed before download-finished: %s' % e

    def check_events_finished(self, events, final):
        for run in self.runs:
            mine = [e for e in events if e['pid'] == run.pid]
            finished = [e for e in mine if e['event'] == 'events-finished']
            assert len(finished) <= 1, 'background-events-finished %d times in run %d' % (len(finished), run.pid)
            started = [e for e in mine if e['event'] == 'started']
            # it comes from the first main-loop iteration after new(): a run that lived on for a
            # second after Session.new() returned got it
            if started and (run.killed_at is None or run.killed_at - started[0]['time'] > 1.0 * MULTIPLIER):
                assert len(finished) == 1, 'no background-events-finished in run %d' % run.pid
            # completions restored from the store are delivered before it; the live ones after
            if finished:
                restored = {r['description'] for r in started[0]['restored']} if started else set()
                for e in mine:
                    if e['event'] == 'delivered' and e['time'] > finished[0]['time']:
                        assert e['description'] in restored or run is self.runs[0], (
                            '%s delivered after background-events-finished but was not a restored task' % e)
        assert [e['event'] for e in events if e['pid'] == final.pid][-1] == 'idle'


def test_kill_relaunch(tmp_path, nginx, seed):
    """At least 20 kills in a row (8 with dconf, slower to write), then a run that finishes."""
    env = bg.Env(tmp_path, app_id='org.gnome.Ladle.TestKill%d' % seed)
    work = Workload(env, nginx, seed)
    kills = 20 if env.kind == 'keyfile' else 8
    where = {}

    def check_store_location(work, run):
        # the store is where the backend keeps it, not in the fallback key file
        if where.get('checked'):
            return
        if env.kind == 'dconf':
            dump = bg.subprocess.run(['dconf', 'dump', '/org/gnome/ladle/'], env=env.env, check=True,
                                     capture_output=True, text=True).stdout
            if 'state=' in dump:
                assert '[sessions/%s/%s]' % (bg.escape_name(env.app_id), bg.escape_name(env.identifier)) in dump, dump
                assert os.path.exists(os.path.join(env.config_home, 'dconf', 'user'))
                where['checked'] = True
        else:
            if os.path.exists(env.keyfile_backend_path()):
                with open(env.keyfile_backend_path()) as f:
                    text = f.read()
                if env.settings_path().strip('/') in text:
                    where['checked'] = True
        assert not os.path.exists(env.fallback_store_path()), 'the store fell back to a key file'

    finished_early = work.kill_and_relaunch(kills, seed, check_store_location)
    assert where.get('checked'), 'the store was never seen in the %s backend' % env.kind
    work.finish()
    events = work.check_all()
    print('%d kills, %d runs finished by themselves, %d deliveries' % (
        kills, finished_early, len([e for e in events if e['event'] == 'delivered'])))
    if env.kind == 'keyfile':
        assert not os.path.exists(env.fallback_store_path())


def test_missing_schema_falls_back_to_key_file(tmp_path, nginx, seed):
    """No schema installed: a warning, a key file in the state directory, and kill/relaunch
    still works."""
    env = bg.Env(tmp_path, kind='noschema', app_id='org.gnome.Ladle.TestNoSchema%d' % seed)
    work = Workload(env, nginx, seed, files=FILES[:3])
    seen = {}

    def check_fallback(work, run):
        if os.path.exists(env.fallback_store_path()):
            seen['store'] = True
        assert not os.path.exists(env.keyfile_backend_path()) or \
            env.settings_path().strip('/') not in open(env.keyfile_backend_path()).read()

    work.kill_and_relaunch(4, seed, check_fallback)
    work.finish()
    assert seen.get('store'), 'no key-file store in the state directory'
    work.check_all()
    for run in work.runs:
        if run.stderr():
            assert 'org.gnome.Ladle.BackgroundSession is not installed' in run.stderr(), run.stderr()
    assert 'org.gnome.Ladle.BackgroundSession is not installed' in work.runs[-1].stderr()
    assert env.env['GSETTINGS_SCHEMA_DIR'] in work.runs[-1].stderr() or env.state_dir in work.runs[-1].stderr()


def test_crash_in_handler_is_delivered_again(tmp_path, nginx, seed):
    """The application dies inside its own task-completed handler: the next launch gets that
    completion again, and every other exactly once."""
    env = bg.Env(tmp_path, app_id='org.gnome.Ladle.TestCrash%d' % seed)
    work = Workload(env, nginx, seed, files=[('a.bin', 300 * KiB + 1), ('b.bin', 2 * MiB + 3)],
                    upload=('up.bin', 100 * KiB), slow=False)
    crashing = 'b.bin'
    first = work.launch(extra=['--crash-in-handler', crashing])
    bg.wait(first, 120)
    assert first.returncode == -9, first.stderr()
    events = bg.read_log(work.log_path)
    assert [e for e in events if e['event'] == 'crashing' and e['description'] == crashing]
    assert not [e for e in events if e['event'] == 'delivered' and e['description'] == crashing]
    # still recorded: the handler never returned
    _, _, records, completions = env.store()
    assert any(c['record']['description'] == crashing for c in completions.values()), (records, completions)

    second = work.finish()
    events = bg.read_log(work.log_path)
    again = [e for e in events if e['event'] == 'delivered' and e['description'] == crashing]
    assert len(again) == 1 and again[0]['pid'] == second.pid, again
    restored = [r['description'] for r in
                [e for e in events if e['event'] == 'started' and e['pid'] == second.pid][0]['restored']]
    # delivered from the store, before ::background-events-finished
    names = [(e['event'], e.get('description')) for e in events if e['pid'] == second.pid]
    assert names.index(('download-finished', crashing)) < names.index(('delivered', crashing)) \
        < names.index(('events-finished', None)), names
    assert crashing not in restored  # a completion, not a task to run again
    # The others exactly once (one delivered just before the crash may come again only if the
    # crash came within the window of its delivery being recorded).
    first.killed_at = [e for e in events if e['event'] == 'crashing'][0]['time']
    work.check_deliveries(events)
    work.check_files()
    assert env.store_is_empty()
    assert env.partial_files() == []
