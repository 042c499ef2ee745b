# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers of the background-session tests: the environment of a child per GSettings backend,
running and killing children, their JSON logs, the store as the backend's own tools read it, and
nginx's access log.

Every library call happens in a child process (bg_child.py, bg_scenario.py, the examples): the
GSettings backend of a process is chosen once, so the test process itself never opens a store
and each child reads what the previous one left, as a relaunched application does.

Backends (LADLE_BG_BACKEND, set by tests/background/meson.build):
    keyfile   GSETTINGS_BACKEND=keyfile, XDG_CONFIG_HOME in the test's temporary directory
    dconf     GSETTINGS_BACKEND=dconf, the session bus of dbus-run-session (run-dconf.py) with
              dconf-service activated from it; XDG_CONFIG_HOME and XDG_RUNTIME_DIR private to
              the test run (run-dconf.py makes them)
    noschema  the key-file fallback: no schema anywhere (GSETTINGS_SCHEMA_DIR and XDG_DATA_DIRS
              point to an empty directory), the store is <state>/background/<app>/<id>.store
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import gi

gi.require_version('GLib', '2.0')
from gi.repository import GLib  # noqa: E402

import pytest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

import servers  # noqa: E402,F401

MiB = 1024 * 1024
KiB = 1024
MULTIPLIER = int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))
PYTHON = os.environ.get('LADLE_PYTHON', '/usr/bin/python3')
CHILD = os.path.join(HERE, 'bg_child.py')
SCENARIO = os.path.join(HERE, 'bg_scenario.py')
STATE_TYPE = '(uta{ta{sv}}a{ta{sv}})'
SCHEMA = 'org.gnome.Ladle.BackgroundSession'


def backend():
    value = os.environ.get('LADLE_BG_BACKEND', 'keyfile')
    assert value in ('keyfile', 'dconf'), value
    return value


def escape_name(name):
    """The store's escaping of an application id or identifier (ladle-background-store.c)."""
    out = ''
    for byte in name.encode('utf-8'):
        c = chr(byte)
        if c.isascii() and (c.isalnum() or c in '.-'):
            out += c
        else:
            out += '_%02x' % byte
    if out in ('', '.', '..'):
        out = '_' + out
    return out


def sha256_file(path):
    checksum = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(4 * MiB), b''):
            checksum.update(block)
    return checksum.hexdigest()


def random_bytes(seed, size):
    """Reproducible, incompressible content."""
    import random
    return random.Random(seed).randbytes(size)


class Env:
    """Where a background session's children keep their state, for one backend."""

    def __init__(self, tmp_path, kind=None, app_id='org.gnome.Ladle.TestPhotos', identifier='photos'):
        self.kind = kind or backend()
        self.tmp = str(tmp_path)
        self.app_id = app_id
        self.identifier = identifier
        self.state_dir = os.path.join(self.tmp, 'state')
        os.makedirs(self.state_dir, exist_ok=True)
        self.env = dict(os.environ)
        self.env['PYTHONUNBUFFERED'] = '1'
        if self.kind == 'keyfile':
            self.config_home = os.path.join(self.tmp, 'config')
            os.makedirs(self.config_home, exist_ok=True)
            self.env['GSETTINGS_BACKEND'] = 'keyfile'
            self.env['XDG_CONFIG_HOME'] = self.config_home
        elif self.kind == 'dconf':
            if not os.environ.get('DBUS_SESSION_BUS_ADDRESS') or not os.environ.get('LADLE_BG_DCONF_PRIVATE'):
                pytest.fail('the dconf tests run under dbus-run-session through run-dconf.py (meson test)')
            self.config_home = os.environ['XDG_CONFIG_HOME']
            self.env['GSETTINGS_BACKEND'] = 'dconf'
        elif self.kind == 'noschema':
            empty = os.path.join(self.tmp, 'no-schemas')
            os.makedirs(empty, exist_ok=True)
            self.config_home = os.path.join(self.tmp, 'config')
            os.makedirs(self.config_home, exist_ok=True)
            self.env['GSETTINGS_BACKEND'] = 'keyfile'
            self.env['XDG_CONFIG_HOME'] = self.config_home
            self.env['GSETTINGS_SCHEMA_DIR'] = empty
            self.env['XDG_DATA_DIRS'] = empty
        else:
            raise ValueError(self.kind)

    # where things are

    def settings_path(self, app_id=None, identifier=None):
        return '/org/gnome/ladle/sessions/%s/%s/' % (escape_name(app_id or self.app_id),
                                                     escape_name(identifier or self.identifier))

    def partial_dir(self, app_id=None, identifier=None):
        return os.path.join(self.state_dir, 'background', escape_name(app_id or self.app_id),
                            escape_name(identifier or self.identifier) + '.downloads')

    def fallback_store_path(self, app_id=None, identifier=None):
        return os.path.join(self.state_dir, 'background', escape_name(app_id or self.app_id),
                            escape_name(identifier or self.identifier) + '.store')

    def keyfile_backend_path(self):
        return os.path.join(self.config_home, 'glib-2.0', 'settings', 'keyfile')

    def partial_files(self, app_id=None, identifier=None):
        directory = self.partial_dir(app_id, identifier)
        return sorted(os.listdir(directory)) if os.path.isdir(directory) else []

    # the store, as the backend's own tools read it

    def store_text(self, app_id=None, identifier=None):
        """The `state` value's text, or None when nothing was ever written."""
        if self.kind == 'noschema':
            path = self.fallback_store_path(app_id, identifier)
            if not os.path.exists(path):
                return None
            keyfile = GLib.KeyFile()
            keyfile.load_from_file(path, GLib.KeyFileFlags.NONE)
            return keyfile.get_value(SCHEMA, 'state')
        if self.kind == 'dconf':
            out = subprocess.run(['dconf', 'read', self.settings_path(app_id, identifier) + 'state'],
                                 env=self.env, check=True, capture_output=True, text=True, timeout=30).stdout
            return out.strip() or None
        # keyfile: gsettings with the schema, against the same key file as the children
        out = subprocess.run(['gsettings', 'get', '%s:%s' % (SCHEMA, self.settings_path(app_id, identifier)),
                              'state'], env=self.env, check=True, capture_output=True, text=True,
                             timeout=30).stdout
        return out.strip()

    def store(self, app_id=None, identifier=None):
        """(version, next identifier, {id: record dict}, {id: completion dict}); empty when unset."""
        text = self.store_text(app_id, identifier)
        if text is None:
            return (1, 1, {}, {})
        value = GLib.Variant.parse(GLib.VariantType(STATE_TYPE), text, None, None)
        return value.unpack()

    def write_store_text(self, text, app_id=None, identifier=None):
        """Writes raw text as the store (a corrupt one, in the tests), with the backend's tools."""
        if self.kind == 'noschema':
            path = self.fallback_store_path(app_id, identifier)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as f:
                f.write('[%s]\nstate=%s\n' % (SCHEMA, text))
            return
        if self.kind == 'dconf':
            subprocess.run(['dconf', 'write', self.settings_path(app_id, identifier) + 'state', text],
                           env=self.env, check=True, capture_output=True, timeout=30)
            return
        # The key file backend: group = the path without its slashes at the ends, key = state
        path = self.keyfile_backend_path()
        keyfile = GLib.KeyFile()
        if os.path.exists(path):
            keyfile.load_from_file(path, GLib.KeyFileFlags.KEEP_COMMENTS)
        group = self.settings_path(app_id, identifier).strip('/')
        keyfile.set_value(group, 'state', text)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        keyfile.save_to_file(path)

    def store_is_empty(self, app_id=None, identifier=None):
        _, _, records, completions = self.store(app_id, identifier)
        return not records and not completions


class Run:
    """One launch of a child: its process, when it was killed, and its log lines."""

    def __init__(self, process, stderr_path):
        self.process = process
        self.pid = process.pid
        self.stderr_path = stderr_path
        self.killed_at = None
        self.returncode = None

    def stderr(self):
        with open(self.stderr_path, errors='replace') as f:
            return f.read()


def launch(env, argv, tag):
    stderr_path = os.path.join(env.tmp, 'stderr-%s.txt' % tag)
    stderr = open(stderr_path, 'wb')
    try:
        process = subprocess.Popen([PYTHON] + argv, env=env.env, stdin=subprocess.DEVNULL,
                                   stdout=stderr, stderr=stderr)
    finally:
        stderr.close()
    return Run(process, stderr_path)


def kill(run):
    """SIGKILL, with the CLOCK_MONOTONIC time it was sent at (the children log the same clock)."""
    if run.process.poll() is not None:
        run.returncode = run.process.returncode
        return False
    run.killed_at = time.monotonic()
    os.kill(run.pid, signal.SIGKILL)
    run.returncode = run.process.wait()
    return True


def wait(run, timeout):
    try:
        run.returncode = run.process.wait(timeout * MULTIPLIER)
    except subprocess.TimeoutExpired:
        run.process.kill()
        run.process.wait()
        pytest.fail('child %d did not finish within %d s:\n%s' % (run.pid, timeout * MULTIPLIER, run.stderr()))
    return run.returncode


def read_log(path):
    events = []
    if not os.path.exists(path):
        return events
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                events.append(json.loads(line))
            except ValueError:
                # A line cut by SIGKILL between write and flush cannot happen (one write, then
                # fsync), but a torn last line must not hide the others.
                pass
    return events


def wait_for_event(path, pid, name, timeout, run=None):
    """Waits until child @pid logged @name; False when it exited first or the time ran out."""
    deadline = time.monotonic() + timeout * MULTIPLIER
    while time.monotonic() < deadline:
        if any(e['event'] == name and e['pid'] == pid for e in read_log(path)):
            return True
        if run is not None and run.process.poll() is not None:
            return any(e['event'] == name and e['pid'] == pid for e in read_log(path))
        time.sleep(0.005)
    return False


# nginx's access log

def fetch_start(entry):
    """The first byte offset a GET asked for and got (0 for a 200; for a 416, where it asked)."""
    if entry['status'] in (206, 416):
        spec = entry['range']
        assert spec.startswith('bytes=') and spec.endswith('-'), 'unexpected Range %r' % spec
        return int(spec[len('bytes='):-1])
    return 0


def fetches(log, uri):
    """The GETs of @uri, ordered by when they began."""
    entries = [e for e in log if e['method'] == 'GET' and e['uri'] == uri]
    return sorted(entries, key=lambda e: e['msec'] - e['request_time'])


def file_bytes(entry):
    """How many bytes of the file a GET got (a 416's body is an error page, none of the file)."""
    return 0 if entry['status'] == 416 else entry['body_bytes_sent']


def refetched(entries):
    """[(overlap bytes, fetch, next fetch)]: bytes a fetch got that the next one asked for again."""
    result = []
    for a, b in zip(entries, entries[1:]):
        end = fetch_start(a) + file_bytes(a)
        result.append((max(0, end - fetch_start(b)), a, b))
    return result


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)
