#!/usr/bin/python3
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fails when a GTest program has a case that no meson test runs, or when meson runs a path that
names no case (a typo would run nothing and pass).

usage: check_cases_listed.py TEST-BINARY LISTED-PATH...

A listed path covers the case of that name and the cases directly below it: that is what
GTest's -p runs in GLib 2.74 (it does not descend into the suites below the path). "/" stands for
a run without -p, which runs every case.
"""
import subprocess
import sys

binary = sys.argv[1]
listed = sys.argv[2:]
found = [path for path in subprocess.run([binary, '-l'], check=True, capture_output=True,
                                         text=True, timeout=60).stdout.split()
         if path.startswith('/')]


def covers(path, case):
    return path == '/' or case == path or case.rsplit('/', 1)[0] == path


missing = sorted(case for case in found if not any(covers(p, case) for p in listed))
empty = sorted(p for p in listed if not any(covers(p, case) for case in found))
print(binary + ': cases no meson test runs:', ', '.join(missing) or 'none')
print(binary + ': listed paths that name no case:', ', '.join(empty) or 'none')
sys.exit(1 if missing or empty else 0)
