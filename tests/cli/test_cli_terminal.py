# SPDX-License-Identifier: LGPL-2.1-or-later
"""The progress bar of `ladle get` on a real terminal: ladle runs inside tmux, and the pane's
contents (capture-pane) show one line per transfer redrawn in place, with the percentage, the
bar, the rate and the ETA, within the terminal's width, then the final lines."""

import os
import random
import re
import shlex
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import sha256
import servers

# a narrow terminal drops the sizes first (the rate and the ETA stay)
BAR_LINE = re.compile(r'^(\S+)\s+(\d+)% \[[=> ]+\](?: [\d.]+ (?:B|KiB|MiB)/[\d.]+ (?:B|KiB|MiB))?\s+'
                      r'[\d.]+ (?:B|KiB|MiB)/s\s+ETA \d+:\d\d$')
FINAL_LINE = re.compile(r'^(\S+)\s+100% \[=+\] [\d.]+ (B|KiB|MiB)\s+[\d.]+ (B|KiB|MiB)/s\s+in \d+:\d\d$')


class Tmux:
    def __init__(self, tmp_path, env, width, height=30):
        self.tmux = shutil.which('tmux')
        if self.tmux is None:
            if servers.integration_required():
                pytest.fail('tmux is not installed (tools/deps installs it)')
            pytest.skip('tmux is not installed')
        # the socket's path must be short (108 bytes): its own directory under /tmp, removed after
        self.socket_dir = tempfile.mkdtemp(prefix='ladle-tmux-', dir='/tmp')
        self.env = dict(env, TMUX_TMPDIR=self.socket_dir)
        self.env.pop('TMUX', None)
        self.socket = 'ladle-cli-test'
        self.width = width
        self.height = height
        self.started = False

    def command(self, *args, check=True):
        return subprocess.run([self.tmux, '-L', self.socket, '-f', '/dev/null'] + list(args),
                              env=self.env, check=check, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=30)

    def start(self, argv, cwd, after=''):
        shell = 'cd %s && %s; echo LADLE-EXIT=$?; %s sleep 600' % (
            shlex.quote(cwd), ' '.join(shlex.quote(a) for a in argv), after)
        self.command('new-session', '-d', '-x', str(self.width), '-y', str(self.height), shell)
        self.started = True

    def lines(self):
        out = self.command('capture-pane', '-p').stdout.decode('utf-8', 'replace')
        return [line.rstrip() for line in out.splitlines() if line.strip()]

    def stop(self):
        if self.started:
            # only the server of this test's own socket
            self.command('kill-server', check=False)
            self.started = False
        shutil.rmtree(self.socket_dir, ignore_errors=True)


@pytest.fixture
def tmux(tmp_path, ladle):
    sessions = []

    def make(width):
        session = Tmux(tmp_path, ladle.env, width)
        sessions.append(session)
        return session
    yield make
    for session in sessions:
        session.stop()


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return None


@pytest.mark.parametrize('width', [100, 64])
def test_progress_bars_on_a_terminal(ladle, nginx, tmux, width):
    files = {'term-a.bin': random.Random(1).randbytes(700_000),
             'term-b.bin': random.Random(2).randbytes(900_000),
             'term-c.txt': b'small\n'}
    for name, data in files.items():
        nginx.write_file('term/' + name, data)
    urls = [nginx.url('/slow/term/' + name) for name in sorted(files)]
    session = tmux(width)
    session.start([ladle.binary, 'get', '--parallel', '2'] + urls, ladle.workdir)

    # mid-run: two live lines at once, each with percentage, bar, sizes, rate and ETA
    def two_bars():
        lines = session.lines()
        bars = [line for line in lines if BAR_LINE.match(line)]
        return lines if len(bars) == 2 else None
    screen = wait_for(two_bars)
    assert screen is not None, session.lines()
    bars = [line for line in screen if BAR_LINE.match(line)]
    assert {BAR_LINE.match(line).group(1) for line in bars} == {'term-a.bin', 'term-b.bin'}
    # redrawn in place: never more than the two live lines on the screen
    assert sum('ETA' in line for line in screen) == 2
    assert all(len(line) < width for line in screen)
    # the names are aligned: the percentages start in the same column
    assert len({line.index('%') for line in bars}) == 1

    # a later view: the same two lines, further on (redrawn, not appended)
    def progressed():
        lines = session.lines()
        percents = {BAR_LINE.match(l).group(1): int(BAR_LINE.match(l).group(2))
                    for l in lines if BAR_LINE.match(l)}
        first = {BAR_LINE.match(l).group(1): int(BAR_LINE.match(l).group(2)) for l in bars}
        return any(percents.get(name, 100) > first[name] for name in first)
    assert wait_for(progressed)
    assert sum('ETA' in line for line in session.lines()) <= 2

    final = wait_for(lambda: (lambda ls: ls if any(l.startswith('LADLE-EXIT=') for l in ls) else None)(
        session.lines()))
    assert final is not None
    assert 'LADLE-EXIT=0' in final, final
    finals = [line for line in final if FINAL_LINE.match(line)]
    assert sorted(FINAL_LINE.match(line).group(1) for line in finals) == sorted(files), final
    assert not any('ETA' in line for line in final)
    assert all(len(line) < width for line in final)
    for name, data in files.items():
        assert sha256(os.path.join(ladle.workdir, name)) == sha256(data)


def test_body_to_the_terminal_shows_no_bar(ladle, nginx, tmux):
    nginx.write_file('term/hello.txt', b'hello terminal\n')
    session = tmux(80)
    session.start([ladle.binary, 'get', '-o', '-', nginx.url('/files/term/hello.txt')], ladle.workdir)
    final = wait_for(lambda: (lambda ls: ls if any(l.startswith('LADLE-EXIT=') for l in ls) else None)(
        session.lines()))
    assert final is not None
    assert final[:2] == ['hello terminal', 'LADLE-EXIT=0'], final


def exited(session):
    return wait_for(lambda: (lambda ls: ls if any(l.startswith('LADLE-EXIT=') for l in ls) else None)(
        session.lines()))


def test_password_prompt_does_not_echo(ladle, nginx, tmux):
    nginx.write_file('term/auth.txt', b'with a typed password\n')
    env = dict(ladle.env)
    env.pop('LADLE_PASSWORD', None)
    session = tmux(80)
    session.env = dict(env, TMUX_TMPDIR=session.socket_dir)
    session.start([ladle.binary, 'get', '--user', nginx.user, nginx.url('/auth/term/auth.txt'), '-o', 'auth.txt'],
                  ladle.workdir)
    assert wait_for(lambda: any('Password for %s:' % nginx.user in l for l in session.lines())), session.lines()
    session.command('send-keys', nginx.password, 'Enter')
    final = exited(session)
    assert final is not None and 'LADLE-EXIT=0' in final, final
    assert not any(nginx.password in line for line in final)
    with open(os.path.join(ladle.workdir, 'auth.txt'), 'rb') as f:
        assert f.read() == b'with a typed password\n'


def test_interrupt_at_the_password_prompt_restores_echo(ladle, nginx, tmux):
    session = tmux(80)
    session.env.pop('LADLE_PASSWORD', None)
    session.start([ladle.binary, 'get', '--user', nginx.user, nginx.url('/auth/term/auth.txt')], ladle.workdir,
                  after="stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e -echo;")
    assert wait_for(lambda: any('Password for' in l for l in session.lines())), session.lines()
    session.command('send-keys', 'C-c')
    final = wait_for(lambda: (lambda ls: ls if any(l in ('echo', '-echo') for l in ls) else None)(
        session.lines()))
    assert final is not None, session.lines()
    assert 'LADLE-EXIT=130' in final
    assert 'echo' in final and '-echo' not in final
    assert os.listdir(ladle.workdir) == []
