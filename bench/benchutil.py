# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared pieces of the bench/ scripts: the build directory, the environment, timed runs, medians
of paired ratios, goal lines. Imported by bench/download, bench/upload and bench/requests."""

import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(HERE)
GNU_TIME = '/usr/bin/time' if os.access('/usr/bin/time', os.X_OK) else None


def find_build_dir(explicit, program):
    """--build-dir, $LADLE_BUILD_DIR, or the newest _build* of the source tree with bench/PROGRAM."""
    if explicit:
        return os.path.abspath(explicit)
    if os.environ.get('LADLE_BUILD_DIR'):
        return os.path.abspath(os.environ['LADLE_BUILD_DIR'])
    candidates = glob.glob(os.path.join(SOURCE_ROOT, '_build*', 'bench', program))
    if not candidates:
        sys.exit('no build directory with bench/%s: build first, or pass --build-dir' % program)
    newest = max(candidates, key=os.path.getmtime)
    return os.path.dirname(os.path.dirname(newest))


def environment(build_dir):
    """The programs' environment: the build's library and typelib, no proxy."""
    lib_dir = os.path.join(build_dir, 'lib')
    env = dict(os.environ)
    env['LD_LIBRARY_PATH'] = lib_dir + (':' + env['LD_LIBRARY_PATH'] if env.get('LD_LIBRARY_PATH') else '')
    env['GI_TYPELIB_PATH'] = lib_dir + (':' + env['GI_TYPELIB_PATH'] if env.get('GI_TYPELIB_PATH') else '')
    env['GIO_USE_PROXY_RESOLVER'] = 'dummy'
    env['no_proxy'] = env['NO_PROXY'] = '*'
    return env


def run_timed(argv, env, timeout=None):
    """Runs @argv, which prints one JSON line last; returns that object with 'wall' (s), 'cpu'
    (user + sys seconds, from wait4's rusage), 'user', 'sys' and 'rss_kib' added.

    The program runs under GNU time when it is installed: a child's ru_maxrss includes what it
    inherited at fork (this Python process, tens of MB), GNU time's child's does not. wait4 on GNU
    time counts its reaped child's CPU time as well as its own (a millisecond at most)."""
    with tempfile.TemporaryDirectory(prefix='ladle-bench-run-') as scratch:
        rss_file = os.path.join(scratch, 'rss')
        out_path = os.path.join(scratch, 'out')
        err_path = os.path.join(scratch, 'err')
        command = [GNU_TIME, '-f', '%M', '-o', rss_file] + argv if GNU_TIME else argv
        with open(out_path, 'wb') as out, open(err_path, 'wb') as err:
            start = time.monotonic()
            process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
            deadline = None if timeout is None else start + timeout
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG if deadline else 0)
                if pid != 0:
                    break
                if time.monotonic() > deadline:
                    process.kill()
                    os.wait4(process.pid, 0)
                    process.returncode = -9
                    raise RuntimeError('%s ran longer than %d s' % (argv[0], timeout))
                time.sleep(0.005)
            wall = time.monotonic() - start
            process.returncode = os.waitstatus_to_exitcode(status)
        with open(out_path, 'rb') as f:
            stdout = f.read().decode(errors='replace')
        if process.returncode != 0:
            with open(err_path, 'rb') as f:
                stderr = f.read().decode(errors='replace')
            raise RuntimeError('%s failed (%d): %s%s' % (argv[0], process.returncode, stdout, stderr))
        result = json.loads(stdout.strip().splitlines()[-1])
        result['wall'] = wall
        result['user'] = usage.ru_utime
        result['sys'] = usage.ru_stime
        result['cpu'] = usage.ru_utime + usage.ru_stime
        if GNU_TIME:
            with open(rss_file) as f:
                result['rss_kib'] = int(f.read().strip().splitlines()[-1])
        else:
            result['rss_kib'] = usage.ru_maxrss
    return result


def rotated(items, round_index):
    """@items starting at round_index: no program always runs first or right after another."""
    shift = round_index % len(items)
    return items[shift:] + items[:shift]


def median(values):
    return statistics.median(values) if values else float('nan')


def paired_ratio(a, b):
    """The median of the per-round ratios a[i] / b[i] (runs of the same round are neighbours in
    time, so the machine's load mostly cancels)."""
    return median([x / y for x, y in zip(a, b) if y])


def goal_line(text, value, ok):
    print('goal: %-52s %10s  %s' % (text, value, 'PASS' if ok else 'MISS'))
    return ok
