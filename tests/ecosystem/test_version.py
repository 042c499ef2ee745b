# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The version of Ladle from Python: the run-time functions, the constants of the headers and
check_version(), through the typelib."""

import os

import gi
gi.require_version('Ladle', '1')
from gi.repository import Ladle  # noqa: E402

VERSION = os.environ['LADLE_PROJECT_VERSION']


def test_runtime_version():
    assert '%d.%d.%d' % (Ladle.get_major_version(), Ladle.get_minor_version(),
                         Ladle.get_micro_version()) == VERSION
    assert (Ladle.MAJOR_VERSION, Ladle.MINOR_VERSION, Ladle.MICRO_VERSION) == tuple(
        int(part) for part in VERSION.split('.'))
    assert Ladle.VERSION_S == VERSION


def test_check_version():
    major, minor, micro = (int(part) for part in VERSION.split('.'))
    assert Ladle.check_version(major, minor, micro) is None
    assert Ladle.check_version(major, 0, 0) is None
    assert Ladle.check_version(major + 1, 0, 0) == 'Ladle version too old (major mismatch)'
    assert Ladle.check_version(major, minor + 1, 0) == 'Ladle version too old (minor mismatch)'
    assert Ladle.check_version(major, minor, micro + 1) == 'Ladle version too old (micro mismatch)'
