# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tools/deps has two sets: the demo installs only what it uses, the tests everything. Checked
through `tools/deps --list`, which installs nothing."""

import os
import subprocess

SRCDIR = os.environ['LADLE_SOURCE_ROOT']
DEPS = os.path.join(SRCDIR, 'tools', 'deps')

# Test servers and tools that the demo must not install.
TEST_ONLY = {'nginx-core', 'php-cli', 'valgrind', 'gjs', 'python3-pytest', 'python3-gi', 'curl',
             'gi-docgen', 'valac', 'libasan8', 'libubsan1', 'glib-networking',
             'gobject-introspection', 'libgirepository1.0-dev', 'gir1.2-json-1.0',
             'gir1.2-gtk-4.0', 'gir1.2-adw-1', 'xvfb'}


def listed(*args):
    result = subprocess.run(['bash', DEPS, '--list'] + list(args), capture_output=True, text=True,
                            timeout=30, check=True)
    return result.stdout.split()


def test_demo_set_is_small():
    demo = listed('demo')
    assert {'meson', 'gcc', 'libglib2.0-dev', 'libsoup-3.0-dev', 'libjson-glib-dev', 'python3'} <= set(demo)
    # The transfer-service step runs a session bus of its own.
    assert 'dbus-daemon' in demo
    assert set(demo) & TEST_ONLY == set()
    assert len(demo) == len(set(demo))


def test_test_set_has_everything():
    demo = listed('demo')
    full = listed('test')
    assert listed() == full
    assert set(demo) <= set(full)
    assert TEST_ONLY <= set(full)
    assert {'gettext', 'openssl'} <= set(full)
    assert len(full) == len(set(full))


def test_entry_points_use_their_set():
    with open(os.path.join(SRCDIR, 'tools', 'demo')) as f:
        demo = f.read()
    assert 'tools/deps demo' in demo
    with open(os.path.join(SRCDIR, 'tools', 'test')) as f:
        lines = [line.strip() for line in f]
    assert 'tools/deps' in lines


def test_unknown_set_is_refused():
    result = subprocess.run(['bash', DEPS, '--list', 'everything'], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert 'usage' in result.stderr
