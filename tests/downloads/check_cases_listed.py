#!/usr/bin/python3
"""Fails when test-downloads has a GTest case that tests/downloads/meson.build does not register.

usage: check_cases_listed.py TEST-DOWNLOADS-BINARY LISTED-PATH...
"""
import subprocess
import sys

listed = set(sys.argv[2:])
found = set(path for path in subprocess.run([sys.argv[1], '-l'], check=True, capture_output=True,
                           text=True, timeout=60).stdout.split()
            if path.startswith('/'))
missing = sorted(found - listed)
print('cases not registered in tests/downloads/meson.build:', ', '.join(missing) or 'none')
sys.exit(1 if missing else 0)
