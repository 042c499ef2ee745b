# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers of the transfer-service tests: the session bus of dbus-run-session and the service on
it, the applications (svc_child.py, as child processes), their JSON logs, and the service's store.

Each meson test of tests/service runs one pytest test under its own dbus-run-session, with the
bus configuration session.conf (its only service directory is the build tree's, so activation
starts the built ladle-transfer-service). The activated service gets the bus's environment, which
Service.setup() completes with org.freedesktop.DBus.UpdateActivationEnvironment: XDG_STATE_HOME in
the test's temporary directory (the service's store) and a short idle timeout. The service
process is one this test started (through activation): the test may kill it, and the teardown
makes sure it is gone.
"""

import hashlib
import json
import os
import signal
import subprocess
import time

import gi

gi.require_version('Gio', '2.0')
from gi.repository import GLib, Gio  # noqa: E402

import pytest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

MiB = 1024 * 1024
KiB = 1024
MULTIPLIER = int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))
PYTHON = os.environ.get('LADLE_PYTHON', '/usr/bin/python3')
CHILD = os.path.join(HERE, 'svc_child.py')
NAME = 'org.gnome.Ladle.TransferService'
PATH = '/org/gnome/Ladle/TransferService'
IFACE = 'org.gnome.Ladle.TransferService'
SESSION_IFACE = 'org.gnome.Ladle.TransferService.Session'
IDLE_TIMEOUT = 3
STORE_DIR_NAME = 'ladle-transfer-service'


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


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout * MULTIPLIER
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail('timed out after %g s waiting for %s' % (timeout * MULTIPLIER, what))


def bus_call(connection, destination, path, interface, method, parameters, reply_type, timeout=30):
    return connection.call_sync(destination, path, interface, method, parameters,
                                GLib.VariantType(reply_type) if reply_type else None,
                                Gio.DBusCallFlags.NONE, timeout * 1000 * MULTIPLIER, None)


class Service:
    """The session bus of this test's dbus-run-session, and the transfer service on it."""

    def __init__(self, tmp_path, idle_timeout=IDLE_TIMEOUT):
        if not os.environ.get('LADLE_SERVICE_PRIVATE_BUS') or not os.environ.get('DBUS_SESSION_BUS_ADDRESS'):
            pytest.fail('the transfer-service tests run under dbus-run-session with '
                        'tests/service/session.conf (meson test --suite service)')
        self.tmp = str(tmp_path)
        self.state_home = os.path.join(self.tmp, 'service-state')
        os.makedirs(self.state_home, exist_ok=True)
        self.idle_timeout = idle_timeout
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        self.pids = set()

    def setup(self):
        if self.has_owner():
            pytest.fail('a transfer service already runs on this test\'s bus')
        # The environment of the service that activation starts from now on
        environment = {
            'XDG_STATE_HOME': self.state_home,
            'LADLE_TRANSFER_SERVICE_IDLE_TIMEOUT': str(self.idle_timeout * MULTIPLIER),
            'G_DEBUG': 'gc-friendly,fatal-criticals',
            'G_MESSAGES_DEBUG': os.environ.get('LADLE_SERVICE_DEBUG', ''),
        }
        bus_call(self.bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                 'UpdateActivationEnvironment', GLib.Variant('(a{ss})', (environment,)), None)
        return self

    def teardown(self):
        """Waits for the service to go by itself (idle timeout); kills it when it does not."""
        deadline = time.monotonic() + (self.idle_timeout + 10) * MULTIPLIER
        while self.has_owner() and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = self.owner_pid()
        if pid is not None:
            # a process this test started through activation
            os.kill(pid, signal.SIGKILL)

    # the bus

    def has_owner(self):
        return bus_call(self.bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                        'NameHasOwner', GLib.Variant('(s)', (NAME,)), '(b)').unpack()[0]

    def owner_pid(self):
        """The pid of the process that owns the service's name now, or None."""
        try:
            owner = bus_call(self.bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                             'org.freedesktop.DBus', 'GetNameOwner', GLib.Variant('(s)', (NAME,)),
                             '(s)').unpack()[0]
            pid = bus_call(self.bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                           'GetConnectionUnixProcessID', GLib.Variant('(s)', (owner,)), '(u)').unpack()[0]
        except GLib.Error as e:
            if 'NameHasNoOwner' in e.message:
                return None
            raise
        self.pids.add(pid)
        return pid

    def wait_for_owner(self, timeout=30):
        return wait_until(self.owner_pid, timeout, 'the transfer service to own its name')

    def wait_gone(self, pid, timeout):
        """Waits until the name has no owner and @pid no longer exists (it is the service's child of
        the bus: dbus-daemon reaps it)."""
        def gone():
            if self.has_owner():
                return False
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            # a zombie until dbus-daemon reaps it
            try:
                with open('/proc/%d/stat' % pid) as f:
                    return f.read().split(') ', 1)[1].startswith('Z')
            except OSError:
                return True
        return wait_until(gone, timeout, 'the transfer service (pid %d) to exit' % pid)

    def kill(self):
        """SIGKILLs the service (started by this test through activation); returns its pid."""
        pid = self.wait_for_owner()
        os.kill(pid, signal.SIGKILL)
        self.wait_gone(pid, 30)
        return pid

    def connect(self):
        """A new, private connection to the bus (a client of its own; close() detaches it)."""
        return Gio.DBusConnection.new_for_address_sync(
            os.environ['DBUS_SESSION_BUS_ADDRESS'],
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
            None, None)

    # the store

    def store_dir(self):
        return os.path.join(self.state_home, STORE_DIR_NAME)

    def store_files(self):
        """Every regular file under the service's store directory."""
        found = []
        for root, dirs, files in os.walk(self.store_dir()):
            for name in files:
                found.append(os.path.join(root, name))
        return sorted(found)

    def large_files(self, minimum):
        """Files of the store directory of at least @minimum bytes (the partial files)."""
        result = []
        for path in self.store_files():
            try:
                if os.path.getsize(path) >= minimum:
                    result.append(path)
            except OSError:
                pass
        return result

    def grep_store(self, needles):
        """[(path, needle)] for every needle (bytes) found in a file of the store."""
        hits = []
        for path in self.store_files():
            try:
                with open(path, 'rb') as f:
                    data = f.read()
            except OSError:
                continue
            for needle in needles:
                if needle in data:
                    hits.append((path, needle))
        return hits


class Run:
    """One launch of the application: its process and its output."""

    def __init__(self, process, output_path, launch):
        self.launch = launch
        self.process = process
        self.pid = process.pid
        self.output_path = output_path
        self.returncode = None
        self.ended_at = None

    def output(self):
        with open(self.output_path, errors='replace') as f:
            return f.read()


class App:
    """The application: svc_child.py with a log file, an application id and an identifier."""

    def __init__(self, tmp_path, name='app', app_id='org.gnome.Ladle.TestPodcasts', identifier='episodes'):
        self.tmp = str(tmp_path)
        self.name = name
        self.app_id = app_id
        self.identifier = identifier
        self.dir = os.path.join(self.tmp, name)
        self.downloads = os.path.join(self.dir, 'downloads')
        os.makedirs(self.downloads, exist_ok=True)
        self.log_path = os.path.join(self.dir, 'log.jsonl')
        self.env = dict(os.environ)
        self.env['PYTHONUNBUFFERED'] = '1'
        self.env['G_DEBUG'] = 'gc-friendly,fatal-criticals'
        # The application's own directories are not the service's
        for xdg in ('CONFIG', 'STATE', 'CACHE', 'DATA'):
            path = os.path.join(self.dir, xdg.lower())
            os.makedirs(path, exist_ok=True)
            self.env['XDG_%s_HOME' % xdg] = path
        self.env['GSETTINGS_BACKEND'] = 'keyfile'
        self.runs = []

    def launch(self, *argv, env=None, wrapper=()):
        output_path = os.path.join(self.dir, 'output-%d.txt' % len(self.runs))
        output = open(output_path, 'wb')
        try:
            argv = [PYTHON, CHILD, '--log', self.log_path, '--launch', str(len(self.runs)),
                    '--app-id', self.app_id, '--identifier', self.identifier] + list(argv)
            process = subprocess.Popen(list(wrapper) + argv,
                                       env=env or self.env, stdin=subprocess.DEVNULL, stdout=output,
                                       stderr=output)
        finally:
            output.close()
        run = Run(process, output_path, len(self.runs))
        self.runs.append(run)
        return run

    def wait(self, run, timeout=60):
        try:
            run.returncode = run.process.wait(timeout * MULTIPLIER)
        except subprocess.TimeoutExpired:
            run.process.kill()
            run.process.wait()
            pytest.fail('launch %d (pid %d) did not end within %d s:\n%s'
                        % (self.runs.index(run), run.pid, timeout * MULTIPLIER, run.output()))
        run.ended_at = time.time()
        return run.returncode

    def run(self, *argv, timeout=60, expect=0, **kwargs):
        """Launches and waits; fails unless it exits with @expect."""
        run = self.launch(*argv, **kwargs)
        code = self.wait(run, timeout)
        assert code == expect, 'launch %d exited %d, not %d:\n%s' % (self.runs.index(run), code, expect,
                                                                       run.output())
        return run

    def kill(self, run):
        """SIGKILLs a launch (a process this test started)."""
        if run.process.poll() is None:
            os.kill(run.pid, signal.SIGKILL)
        run.returncode = run.process.wait()
        run.ended_at = time.time()

    def events(self, run=None, name=None):
        result = []
        if os.path.exists(self.log_path):
            with open(self.log_path) as f:
                for line in f:
                    line = line.strip()
                    if line:
                        result.append(json.loads(line))
        if run is not None:
            result = [e for e in result if e['launch'] == run.launch]
        if name is not None:
            result = [e for e in result if e['event'] == name]
        return result

    def wait_for_event(self, run, name, timeout=30, predicate=None):
        def found():
            events = [e for e in self.events(run, name) if predicate is None or predicate(e)]
            if events:
                return events
            if run.process.poll() is not None:
                events = [e for e in self.events(run, name) if predicate is None or predicate(e)]
                if not events:
                    pytest.fail('launch %d exited before "%s":\n%s'
                                % (self.runs.index(run), name, run.output()))
            return events
        return wait_until(found, timeout, '"%s" from launch %d' % (name, self.runs.index(run)))


# nginx's access log

def gets(log, uri):
    """The GETs of @uri, ordered by when they began."""
    entries = [e for e in log if e['method'] == 'GET' and e['uri'] == uri]
    return sorted(entries, key=lambda e: e['msec'] - e['request_time'])


def fetch_start(entry):
    if entry['status'] == 206:
        spec = entry['range']
        assert spec.startswith('bytes=') and spec.endswith('-'), 'unexpected Range %r' % spec
        return int(spec[len('bytes='):-1])
    return 0
