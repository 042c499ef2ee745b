# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/photo-sync.py and examples/ladle-photo-sync.c, the seeds' photo-message app done
right, killed by SIGKILL at random moments (seeded, printed) and launched again, as a user's
crashing application would be, against the demo server's rate-limited /bytes/N (resumable: ETag,
Range, If-Range). In the end every message is downloaded, its photo has the right bytes, and it
was updated exactly once; a launch after that has nothing to do.

The GSettings backend is the key file one, in the test's own XDG_CONFIG_HOME (the examples run
as a user would, with the installed schema found through GSETTINGS_SCHEMA_DIR).
"""

import json
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import TIMEOUT_MULTIPLIER, example, file_sha256, pattern_sha256, program

SIZES = [200_000, 1_000_003, 2_500_001, 4_000_000]
KILLS = 8


def environment(home):
    env = dict(os.environ)
    env['HOME'] = str(home)
    for name in ('CONFIG', 'STATE', 'CACHE', 'DATA'):
        path = os.path.join(str(home), name.lower())
        os.makedirs(path, exist_ok=True)
        env[f'XDG_{name}_HOME'] = path
    env['GSETTINGS_BACKEND'] = 'keyfile'
    env['no_proxy'] = env['NO_PROXY'] = '*'
    env['GIO_USE_PROXY_RESOLVER'] = 'dummy'
    env['G_DEBUG'] = 'fatal-criticals'
    return env


class App:
    def __init__(self, flavour, home, tmp_path, demo_server):
        self.flavour = flavour
        self.home = home
        self.env = environment(home)
        self.dir = tmp_path / 'app'
        self.dir.mkdir()
        self.messages = [{'id': 'msg-%d' % i, 'size': size,
                          'photo_url': demo_server.url + 'bytes/%d?rate=1M' % size}
                         for i, size in enumerate(SIZES)]
        if flavour == 'python':
            self.path = self.dir / 'messages.json'
            self.path.write_text(json.dumps({'messages': [
                {'id': m['id'], 'photo_url': m['photo_url'], 'state': 'new'} for m in self.messages]}))
            self.command = [program('LADLE_PYTHON'), example('photo-sync.py')]
        else:
            self.path = self.dir / 'messages.ini'
            self.path.write_text(''.join('[message %s]\nphoto-url=%s\nstate=new\n\n' % (m['id'], m['photo_url'])
                                         for m in self.messages))
            self.command = [program('LADLE_PHOTO_SYNC')]
        self.command += ['--app-id', 'org.gnome.Ladle.Example.PhotoSync', str(self.path)]
        self.runs = []

    def launch(self):
        n = len(self.runs)
        out = open(self.dir / ('stdout-%d' % n), 'wb')
        err = open(self.dir / ('stderr-%d' % n), 'wb')
        process = subprocess.Popen(self.command, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        out.close()
        err.close()
        run = {'process': process, 'n': n, 'killed': False}
        self.runs.append(run)
        return run

    def output(self, run):
        return (self.dir / ('stdout-%d' % run['n'])).read_text(errors='replace')

    def errors(self, run):
        return (self.dir / ('stderr-%d' % run['n'])).read_text(errors='replace')

    def state(self):
        if self.flavour == 'python':
            return {m['id']: m for m in json.loads(self.path.read_text())['messages']}
        from gi.repository import GLib
        keyfile = GLib.KeyFile()
        keyfile.load_from_file(str(self.path), GLib.KeyFileFlags.NONE)
        state = {}
        for group in keyfile.get_groups()[0]:
            message = {'id': group[len('message '):]}
            for key in keyfile.get_keys(group)[0]:
                message[key.replace('-', '_')] = keyfile.get_value(group, key)
            if 'updates' in message:
                message['updates'] = int(message['updates'])
            state[message['id']] = message
        return state


@pytest.mark.parametrize('flavour', ['python', 'c'])
def test_photo_sync_killed_and_relaunched(flavour, demo_server, home, tmp_path):
    seed = int(os.environ.get('LADLE_BG_SEED') or random.SystemRandom().randrange(1 << 32))
    print('seed %d (LADLE_BG_SEED=%d replays it)' % (seed, seed))
    rng = random.Random(seed)
    app = App(flavour, home, tmp_path, demo_server)

    for _ in range(KILLS):
        run = app.launch()
        time.sleep(rng.uniform(0.05, 1.2))
        if run['process'].poll() is None:
            run['process'].send_signal(signal.SIGKILL)
            run['killed'] = True
        run['process'].wait()
        assert run['killed'] or run['process'].returncode == 0, app.errors(run)

    final = app.launch()
    final['process'].wait(120 * TIMEOUT_MULTIPLIER)
    assert final['process'].returncode == 0, app.output(final) + app.errors(final)

    state = app.state()
    for m in app.messages:
        message = state[m['id']]
        assert message['state'] == 'downloaded', message
        assert message['updates'] == 1, message
        assert message['resource_path'] == str(app.dir / 'photos' / ('%s.jpg' % m['id'])), message
        assert file_sha256(message['resource_path']) == pattern_sha256(m['size']), m['id']
    # A completion is delivered again only to a run killed before its delivery was recorded.
    delivered = {}
    for run in app.runs:
        for line in app.output(run).splitlines():
            if line.startswith('delivered: '):
                delivered.setdefault(line[len('delivered: '):], []).append(run)
    for m in app.messages:
        runs = delivered.get(m['id'], [])
        assert runs, '%s was never delivered' % m['id']
        for earlier in runs[:-1]:
            assert earlier['killed'], '%s delivered again after run %d ended normally' % (m['id'], earlier['n'])
    for run in app.runs:
        assert 'CRITICAL' not in app.errors(run), app.errors(run)
    # nothing left in the session's partial directory
    partial = os.path.join(str(home), 'state')
    leftovers = [os.path.join(d, f) for d, _, files in os.walk(partial) for f in files if f.endswith('.part')]
    assert leftovers == []

    # Launched once more: nothing restored, nothing delivered, the messages unchanged.
    again = app.launch()
    again['process'].wait(60 * TIMEOUT_MULTIPLIER)
    assert again['process'].returncode == 0, app.errors(again)
    assert 'restored: 0' in app.output(again) and 'delivered:' not in app.output(again)
    assert app.state() == state


@pytest.mark.parametrize('flavour', ['python', 'c'])
def test_photo_sync_http_error(flavour, demo_server, home, tmp_path):
    """An HTTP error is not a GError: the message whose photo is gone is marked failed (once),
    the others downloaded, and the program exits 1."""
    app = App(flavour, home, tmp_path, demo_server)
    app.messages[1]['photo_url'] = demo_server.url + 'status/404'
    if flavour == 'python':
        app.path.write_text(json.dumps({'messages': [
            {'id': m['id'], 'photo_url': m['photo_url'], 'state': 'new'} for m in app.messages]}))
    else:
        app.path.write_text(''.join('[message %s]\nphoto-url=%s\nstate=new\n\n' % (m['id'], m['photo_url'])
                                    for m in app.messages))
    run = app.launch()
    run['process'].wait(120 * TIMEOUT_MULTIPLIER)
    assert run['process'].returncode == 1, app.output(run) + app.errors(run)
    state = app.state()
    failed = state[app.messages[1]['id']]
    assert failed['state'] == 'failed' and failed['error'] == 'HTTP 404' and failed['updates'] == 1, failed
    assert not os.path.exists(app.dir / 'photos' / ('%s.jpg' % failed['id']))
    for m in app.messages[:1] + app.messages[2:]:
        assert state[m['id']]['state'] == 'downloaded'
        assert file_sha256(state[m['id']]['resource_path']) == pattern_sha256(m['size'])
