# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/download-manager in a real window: Xvfb, a private D-Bus session bus, nginx.

Run by meson under dbus-run-session (tests/examples/meson.build). The application is driven as a
user's script would drive it: through the actions it exports on D-Bus (org.gtk.Actions.Activate)
and the JSON state of its app.status action (org.gtk.Actions.Describe). The screenshots go to
$LADLE_TEST_LOG_DIR (meson's meson-logs/), named download-manager-*.png; the test prints where.
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib

import gi
gi.require_version('GdkPixbuf', '2.0')
from gi.repository import GdkPixbuf, Gio, GLib  # noqa: E402

import pytest  # noqa: E402

# servers.py is there; appended, so that conftest is the one of this directory
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import servers  # noqa: E402

from conftest import TIMEOUT_MULTIPLIER, example, file_sha256  # noqa: E402

APPLICATION_ID = 'org.gnome.Ladle.DownloadManager'
OBJECT_PATH = '/org/gnome/Ladle/DownloadManager'
MiB = 1024 * 1024
SIZE = 6 * MiB + 12345           # at 1 MiB/s: about six seconds
LIMIT_RATE = '1m'
# The background-session program of the kill tests: here, a process of the same application.
BG_CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'background', 'bg_child.py')
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def log_dir(tmp_path):
    path = os.environ.get('LADLE_TEST_LOG_DIR') or str(tmp_path)
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture(scope='module')
def display():
    """An X server of our own: Xvfb on the first free display number (-displayfd)."""
    xvfb = shutil.which('Xvfb')
    if xvfb is None:
        pytest.fail('Xvfb is missing (tools/deps installs xvfb)')
    if not os.environ.get('DBUS_SESSION_BUS_ADDRESS'):
        pytest.fail('no session bus: run this test under dbus-run-session (meson test does)')
    read_end, write_end = os.pipe()
    process = subprocess.Popen([xvfb, '-displayfd', str(write_end), '-screen', '0', '1024x768x24',
                                '-nolisten', 'tcp', '-noreset'],
                               pass_fds=[write_end], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(write_end)
    number = b''
    with os.fdopen(read_end, 'rb') as pipe:
        while not number.endswith(b'\n'):
            chunk = pipe.read(1)
            if not chunk:
                process.kill()
                pytest.fail('Xvfb exited (%s) before naming its display: %s'
                            % (process.wait(), process.stderr.read().decode(errors='replace')))
            number += chunk
    yield ':' + number.decode().strip()
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope='module')
def nginx():
    with servers.Nginx(limit_rate=LIMIT_RATE, tls=False) as server:
        server.write_file('big.bin', os.urandom(SIZE))
        yield server


@pytest.fixture(scope='module')
def bus():
    return Gio.bus_get_sync(Gio.BusType.SESSION, None)


class App:
    """One run of download-manager.py, with its own HOME and XDG directories (kept across runs
    of the same test: the records are in the keyfile GSettings backend under XDG_CONFIG_HOME)."""

    def __init__(self, bus, home, display, args=(), env=None, name='run'):
        self.bus = bus
        self.log_base = os.path.join(home, name)
        environment = dict(os.environ)
        environment.update({
            'HOME': home,
            'XDG_CONFIG_HOME': os.path.join(home, 'config'),
            'XDG_DATA_HOME': os.path.join(home, 'data'),
            'XDG_STATE_HOME': os.path.join(home, 'state'),
            'XDG_CACHE_HOME': os.path.join(home, 'cache'),
            'XDG_RUNTIME_DIR': os.path.join(home, 'runtime'),
            'DISPLAY': display,
            'GDK_BACKEND': 'x11',
            'GSK_RENDERER': 'cairo',
            'GTK_A11Y': 'none',
            'GSETTINGS_BACKEND': 'keyfile',
            'G_DEBUG': 'fatal-criticals',
        })
        environment.pop('WAYLAND_DISPLAY', None)
        environment.update(env or {})
        for name_ in ('config', 'data', 'state', 'cache', 'runtime'):
            os.makedirs(os.path.join(home, name_), mode=0o700, exist_ok=True)
        self.stdout = open(self.log_base + '.stdout', 'wb')
        self.stderr = open(self.log_base + '.stderr', 'wb')
        self.process = subprocess.Popen(
            [sys.executable, example('download-manager/download-manager.py')] + list(args),
            stdin=subprocess.DEVNULL, stdout=self.stdout, stderr=self.stderr, env=environment)
        self.status = self.wait(lambda s: s['window'] is not None and s['window']['mapped'],
                                'the window to be shown', timeout=60)

    def output(self):
        if not self.stderr.closed:
            self.stderr.flush()
        with open(self.log_base + '.stderr', errors='replace') as e:
            return '--- stderr of the application ---\n' + e.read()

    def _call(self, method, parameters, reply_type):
        return self.bus.call_sync(APPLICATION_ID, OBJECT_PATH, 'org.gtk.Actions', method, parameters,
                                  GLib.VariantType(reply_type), Gio.DBusCallFlags.NONE, 10000, None)

    def activate(self, action, parameter=None):
        self._call('Activate', GLib.Variant('(sava{sv})', (action, [parameter] if parameter else [], {})),
                   '()')

    def read_status(self):
        """The state of app.status, or None while the application is not on the bus."""
        if self.process.poll() is not None:
            pytest.fail('the application exited (%d)\n%s' % (self.process.returncode, self.output()))
        try:
            reply = self._call('Describe', GLib.Variant('(s)', ('status',)), '((bgav))')
        except GLib.Error as error:
            if error.matches(Gio.dbus_error_quark(), Gio.DBusError.SERVICE_UNKNOWN) or \
               error.matches(Gio.dbus_error_quark(), Gio.DBusError.NAME_HAS_NO_OWNER) or \
               error.matches(Gio.dbus_error_quark(), Gio.DBusError.UNKNOWN_METHOD) or \
               error.matches(Gio.dbus_error_quark(), Gio.DBusError.UNKNOWN_OBJECT) or \
               'not found' in error.message:
                return None
            raise
        enabled, signature, state = reply.unpack()[0]
        return json.loads(state[0]) if state else None

    def wait(self, predicate, what, timeout=30):
        deadline = time.monotonic() + timeout * TIMEOUT_MULTIPLIER
        status = None
        while time.monotonic() < deadline:
            status = self.read_status()
            if status is not None and predicate(status):
                self.status = status
                return status
            time.sleep(0.1)
        pytest.fail('timed out waiting for %s; last status: %s\n%s' % (what, status, self.output()))

    def task(self, identifier, status=None):
        for task in (status or self.status)['tasks']:
            if task['identifier'] == identifier:
                return task
        return None

    def finished(self, identifier, status=None):
        for entry in (status or self.status)['finished']:
            if entry['identifier'] == identifier:
                return entry
        return None

    def quit(self):
        self.activate('quit')
        try:
            returncode = self.process.wait(30 * TIMEOUT_MULTIPLIER)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail('the application did not quit\n' + self.output())
        self.close()
        assert returncode == 0, self.output()
        # A Python exception in a signal handler does not stop the application: it must not happen.
        assert 'Traceback' not in self.output(), self.output()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.close()

    def close(self):
        self.stdout.close()
        self.stderr.close()


def check_png(path, width, height):
    """A real image of the window: PNG signature, IHDR of the window's size, a valid CRC, more
    than a few colours, and not a trivially small file."""
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:8] == PNG_SIGNATURE, f'{path} is not a PNG file'
    length, chunk = struct.unpack('>I4s', data[8:16])
    assert chunk == b'IHDR' and length == 13
    png_width, png_height = struct.unpack('>II', data[16:24])
    (crc,) = struct.unpack('>I', data[29:33])
    assert crc == zlib.crc32(data[12:29]), 'the IHDR chunk is corrupt'
    assert (png_width, png_height) == (width, height), 'the image is not of the window'
    assert len(data) > 4000, f'{path} is only {len(data)} bytes'
    pixbuf = GdkPixbuf.Pixbuf.new_from_file(path)
    pixels = pixbuf.get_pixels()
    stride, channels = pixbuf.get_rowstride(), pixbuf.get_n_channels()
    colours = set()
    for y in range(0, height, 7):
        for x in range(0, width, 7):
            offset = y * stride + x * channels
            colours.add(bytes(pixels[offset:offset + 3]))
    assert len(colours) > 8, f'{path} has only {len(colours)} colours: not a drawn window'


def screenshot(app, tmp_path, name):
    # A window that has a size but has not drawn its first frame yet (a loaded machine) gives
    # an empty snapshot: ask again once it has had time to draw, a few times at most, each
    # attempt under its own name.
    for attempt in range(10):
        suffix = f'-retry{attempt}' if attempt else ''
        path = os.path.join(log_dir(tmp_path), f'download-manager-{name}{suffix}.png')
        if os.path.exists(path):
            os.unlink(path)
        app.activate('screenshot', GLib.Variant('s', path))
        status = app.wait(lambda s: s['last_screenshot'] and s['last_screenshot']['path'] == path,
                          'the screenshot')
        shot = status['last_screenshot']
        if shot['error'] != 'the window drew nothing':
            break
        time.sleep(0.2)
    assert shot['error'] is None, shot
    check_png(path, status['window']['width'], status['window']['height'])
    print(f'screenshot of the window: {path}')
    return path


def partial_dir(state_dir):
    return os.path.join(state_dir, 'background', APPLICATION_ID, 'downloads.downloads')


def store_counts(home):
    """(records, completions) in the session's store, read from the keyfile GSettings backend."""
    keyfile = GLib.KeyFile()
    keyfile.load_from_file(os.path.join(home, 'config', 'glib-2.0', 'settings', 'keyfile'),
                           GLib.KeyFileFlags.NONE)
    # The type of the "state" key of data/org.gnome.Ladle.BackgroundSession.gschema.xml
    state = GLib.Variant.parse(GLib.VariantType('(uta{ta{sv}}a{ta{sv}})'), keyfile.get_value(
        'org/gnome/ladle/sessions/%s/downloads' % APPLICATION_ID, 'state'), None, None)
    return state.get_child_value(2).n_children(), state.get_child_value(3).n_children()


def slow_requests(nginx):
    return [e for e in nginx.access_log() if e['uri'] == '/slow/big.bin']


@pytest.mark.parametrize('end', ['quit', 'kill'])
def test_download_survives_restart(display, nginx, bus, tmp_path, end):
    """The first run ends with app.quit, or with SIGKILL, in the middle of the download."""
    home = str(tmp_path / 'home')
    downloads = str(tmp_path / 'Downloads')
    state_dir = str(tmp_path / 'session-state')
    url = nginx.url('/slow/big.bin')
    destination = os.path.join(downloads, 'big.bin')
    nginx.clear_access_log()

    # First run: add the URL, see it progress, pause it, resume it, quit in the middle.
    app = App(bus, home, display, ['--download-dir', downloads, '--state-dir', state_dir], name='first')
    try:
        assert app.status['tasks'] == [] and app.status['download_dir'] == downloads
        app.activate('add-url', GLib.Variant('s', url))
        status = app.wait(lambda s: any(t['url'] == url and t['bytes_received'] > 256 * 1024
                                        for t in s['tasks']), 'progress')
        (task,) = status['tasks']
        identifier = task['identifier']
        assert task['description'] == 'big.bin'
        assert task['destination'] == destination
        assert task['bytes_expected'] == SIZE
        assert task['state'] == 'running' and not task['restored']
        # nginx sends 1 MiB/s: the smoothed rate comes near it (a burst from the socket buffers
        # at the start aside).
        app.wait(lambda s: MiB / 4 < app.task(identifier, s)['rate'] < 4 * MiB, 'a rate near 1 MiB/s')
        screenshot(app, tmp_path, f'{end}-running')

        app.activate('pause', GLib.Variant('t', identifier))
        app.wait(lambda s: app.task(identifier, s)['state'] == 'suspended', 'the pause')
        time.sleep(1.0)  # what was in flight has arrived
        paused_at = app.wait(lambda s: True, 'the status')
        paused_bytes = app.task(identifier, paused_at)['bytes_received']
        time.sleep(1.5)
        still = app.task(identifier, app.wait(lambda s: True, 'the status'))
        assert still['state'] == 'suspended'
        assert still['bytes_received'] == paused_bytes, 'bytes arrived while paused'
        assert still['rate'] == 0
        assert paused_bytes < SIZE

        app.activate('resume', GLib.Variant('t', identifier))
        status = app.wait(lambda s: app.task(identifier, s)['state'] == 'running' and
                          app.task(identifier, s)['bytes_received'] > paused_bytes + 256 * 1024,
                          'progress after the resume')
        quit_bytes = app.task(identifier, status)['bytes_received']
        assert quit_bytes < SIZE * 0.9, 'the download went too fast for the test: lower limit_rate'
        if end == 'quit':
            app.quit()
        else:
            app.kill()
    except BaseException:
        app.kill()
        raise
    assert not os.path.exists(destination), f'the download reached its destination before the {end}'
    # What the quit left: the task's record, and its partial file with at least what had arrived
    # before the pause.
    partials = os.listdir(partial_dir(state_dir))
    assert len(partials) == 1, partials
    assert os.path.getsize(os.path.join(partial_dir(state_dir), partials[0])) >= paused_bytes
    assert store_counts(home) == (1, 0)

    # Second run (the downloads directory from the environment this time): the task is back, with
    # its identifier, and finishes by itself.
    app = App(bus, home, display, ['--state-dir', state_dir], env={'LADLE_DOWNLOAD_DIR': downloads},
              name='second')
    try:
        status = app.status
        restored = app.task(identifier, status)
        finished = app.finished(identifier, status)
        assert restored is not None or finished is not None, f'task {identifier} was not restored: {status}'
        if restored is not None:
            assert restored['restored'] and restored['description'] == 'big.bin'
            assert restored['destination'] == destination
            assert paused_bytes <= restored['bytes_received'] <= SIZE
            # It goes on by itself: running (it was when the first run quit), a rate shown.
            status = app.wait(lambda s: app.task(identifier, s) is None or
                              (app.task(identifier, s)['state'] == 'running' and
                               app.task(identifier, s)['rate'] > 0), 'the restored task to run')
            if app.task(identifier, status) is not None:
                screenshot(app, tmp_path, f'{end}-restored')
        status = app.wait(lambda s: app.finished(identifier, s) is not None and s['events_finished'],
                          'the completion', timeout=120)
        finished = app.finished(identifier, status)
        assert finished['error'] is None, finished
        assert finished['location'] == destination
        assert status['tasks'] == []
        assert file_sha256(destination) == file_sha256(nginx.path('big.bin'))
        final = screenshot(app, tmp_path, f'{end}-finished')
        app.quit()
    except BaseException:
        app.kill()
        raise
    assert os.path.getsize(final) > 0

    # What nginx saw: the first request from 0, and every later one a Range from where the
    # partial file stopped, never the whole file again.
    requests = slow_requests(nginx)
    assert requests and requests[0]['range'] == '', requests
    later = requests[1:]
    assert later, f'no request after the restart: {requests}'
    for entry in later:
        assert entry['range'].startswith('bytes='), requests
        start = int(entry['range'][len('bytes='):].split('-')[0])
        assert 0 < start < SIZE, requests
    assert later[-1]['status'] == 206
    assert sum(e['body_bytes_sent'] for e in requests) < SIZE + 2 * MiB, requests

    # Nothing left behind: no partial file, no record, no completion left to deliver.
    assert os.listdir(partial_dir(state_dir)) == []
    assert store_counts(home) == (0, 0)

def test_cancel_and_bad_url(display, nginx, bus, tmp_path):
    home = str(tmp_path / 'home')
    downloads = str(tmp_path / 'Downloads')
    state_dir = str(tmp_path / 'session-state')
    url = nginx.url('/slow/big.bin')

    app = App(bus, home, display, ['--download-dir', downloads, '--state-dir', state_dir])
    try:
        # Not a URL, or not HTTP: refused in the window, no task.
        app.activate('add-url', GLib.Variant('s', 'not a url'))
        app.activate('add-url', GLib.Variant('s', 'ftp://127.0.0.1/file'))
        app.activate('add-url', GLib.Variant('s', url))
        status = app.wait(lambda s: any(t['bytes_received'] > 0 for t in s['tasks']), 'progress')
        (task,) = status['tasks']
        app.activate('cancel', GLib.Variant('t', task['identifier']))
        status = app.wait(lambda s: app.finished(task['identifier'], s) is not None, 'the cancellation')
        assert status['tasks'] == []
        assert app.finished(task['identifier'], status)['error'] == 'Cancelled'
        # An identifier that names no task changes nothing.
        app.activate('pause', GLib.Variant('t', task['identifier'] + 100))
        # An error status: shown as finished with the status, no file kept.
        app.activate('add-url', GLib.Variant('s', nginx.url('/files/missing.bin')))
        status = app.wait(lambda s: len(s['finished']) == 2, 'the 404')
        missing = status['finished'][0]
        assert missing['description'] == 'missing.bin'
        assert missing['error'] == 'The server answered 404' and missing['location'] is None
        # A status the session's retry policy retries: the row says so, until cancelled.
        app.activate('add-url', GLib.Variant('s', nginx.url('/status/503')))
        status = app.wait(lambda s: any(t['note'].startswith('retrying in') and '503' in t['note']
                                        for t in s['tasks']), 'the retry note')
        (retried,) = status['tasks']
        assert retried['state'] == 'running'
        app.activate('cancel', GLib.Variant('t', retried['identifier']))
        status = app.wait(lambda s: app.finished(retried['identifier'], s) is not None, 'the cancellation')
        assert app.finished(retried['identifier'], status)['error'] == 'Cancelled'
        screenshot(app, tmp_path, 'cancelled')
        app.quit()
    except BaseException:
        app.kill()
        raise
    stderr = open(app.log_base + '.stderr').read()
    assert 'Not a URL' in stderr and 'Only http and https' in stderr and 'No download' in stderr
    assert not os.path.exists(os.path.join(downloads, 'big.bin'))
    assert not os.path.exists(os.path.join(downloads, 'missing.bin'))
    assert os.listdir(partial_dir(state_dir)) == []

    # A cancelled task is forgotten: the next run restores nothing.
    app = App(bus, home, display, ['--download-dir', downloads, '--state-dir', state_dir], name='again')
    try:
        status = app.wait(lambda s: s['events_finished'], 'background-events-finished')
        assert status['tasks'] == [] and status['finished'] == []
        app.quit()
    except BaseException:
        app.kill()
        raise


def test_completion_of_an_earlier_run_is_shown(display, nginx, bus, tmp_path):
    """A process of the same application died inside its task-completed handler (the file at its
    destination, the completion not delivered): the download manager delivers it, shows it under
    Finished, and then never again."""
    home = str(tmp_path / 'home')
    downloads = str(tmp_path / 'Downloads')
    state_dir = str(tmp_path / 'session-state')
    destination = os.path.join(downloads, 'photo.jpg')
    nginx.write_file('photo.jpg', os.urandom(300000))
    environment = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, 'config'),
                       GSETTINGS_BACKEND='keyfile')
    os.makedirs(os.path.join(home, 'config'), exist_ok=True)
    child = subprocess.run(
        [sys.executable, BG_CHILD,
         '--state-dir', state_dir, '--log', str(tmp_path / 'child.log'), '--app-id', APPLICATION_ID,
         '--identifier', 'downloads', '--download', nginx.url('/files/photo.jpg') + '=' + destination,
         '--crash-in-handler', 'photo.jpg'],
        env=environment, stdin=subprocess.DEVNULL, capture_output=True, timeout=60 * TIMEOUT_MULTIPLIER)
    assert child.returncode == -9, child
    assert os.path.exists(destination)
    assert store_counts(home) == (0, 1)

    app = App(bus, home, display, ['--download-dir', downloads, '--state-dir', state_dir])
    try:
        status = app.wait(lambda s: s['events_finished'], 'background-events-finished')
        assert status['tasks'] == []
        (entry,) = status['finished']
        assert entry['description'] == 'photo.jpg' and entry['restored']
        assert entry['error'] is None and entry['location'] == destination
        screenshot(app, tmp_path, 'delivered')
        app.quit()
    except BaseException:
        app.kill()
        raise
    assert file_sha256(destination) == file_sha256(nginx.path('photo.jpg'))
    assert store_counts(home) == (0, 0)

    # Delivered once: the next run has nothing to show.
    app = App(bus, home, display, ['--download-dir', downloads, '--state-dir', state_dir], name='again')
    try:
        status = app.wait(lambda s: s['events_finished'], 'background-events-finished')
        assert status['tasks'] == [] and status['finished'] == []
        app.quit()
    except BaseException:
        app.kill()
        raise
