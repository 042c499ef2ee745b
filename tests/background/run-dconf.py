#!/usr/bin/python3
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs a command on a private session bus with the real dconf backend:

    run-dconf.py -- COMMAND ARGS...

makes a temporary XDG_CONFIG_HOME (where dconf-service writes its database, dconf/user) and
XDG_RUNTIME_DIR (dconf's shared-memory flag file), runs COMMAND under dbus-run-session, where
dconf-service is activated from that bus on the first write, and removes them afterwards. The
test's own GSettings writes therefore never reach the user's dconf database, and nothing is left
running: dbus-run-session ends the bus, and the services it activated, when COMMAND exits.

A missing dbus-run-session or dconf-service is a failure, never a skip (tools/deps installs them).
"""

import os
import shutil
import subprocess
import sys
import tempfile


def find_dconf_service():
    for directory in ('/usr/libexec', '/usr/lib/dconf', '/usr/lib/x86_64-linux-gnu', '/usr/local/libexec'):
        path = os.path.join(directory, 'dconf-service')
        if os.access(path, os.X_OK):
            return path
    return None


def main(argv):
    if '--' not in argv:
        print('usage: run-dconf.py -- COMMAND ARGS...', file=sys.stderr)
        return 2
    command = argv[argv.index('--') + 1:]
    missing = [name for name, path in (('dbus-run-session', shutil.which('dbus-run-session')),
                                       ('dconf-service', find_dconf_service()),
                                       ('dconf', shutil.which('dconf'))) if path is None]
    if missing:
        print('FAIL: the dconf tests need %s (tools/deps installs dbus, dconf-service and dconf-cli)'
              % ', '.join(missing), file=sys.stderr)
        return 1

    base = tempfile.mkdtemp(prefix='ladle-dconf-')
    try:
        env = dict(os.environ)
        env['XDG_CONFIG_HOME'] = os.path.join(base, 'config')
        env['XDG_RUNTIME_DIR'] = os.path.join(base, 'runtime')
        for path in (env['XDG_CONFIG_HOME'], env['XDG_RUNTIME_DIR']):
            os.makedirs(path, mode=0o700)
        env['GSETTINGS_BACKEND'] = 'dconf'
        env['LADLE_BG_DCONF_PRIVATE'] = '1'
        # Nothing of an outer session may leak in: the bus is dbus-run-session's own.
        env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        return subprocess.call(['dbus-run-session', '--'] + command, env=env)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
