# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The version macros as a program sees them: each snippet is compiled (syntax only) with the C
compiler of the build against the library's headers, with LADLE_VERSION_MIN_REQUIRED and
LADLE_VERSION_MAX_ALLOWED set as an application would, and the compiler's warnings are checked."""

import os
import re
import shlex
import subprocess

import pytest

CC = shlex.split(os.environ['LADLE_TEST_CC'])
BUILDDIR = os.environ['LADLE_BUILD_ROOT']
# The flags of the build's uninstalled ladle-1.pc, as a program built against this tree gets them.
CFLAGS = shlex.split(subprocess.run(['pkg-config', '--cflags', 'ladle-1'], check=True, capture_output=True,
                                    text=True, env=dict(os.environ, PKG_CONFIG_PATH=os.path.join(
                                        BUILDDIR, 'meson-uninstalled'))).stdout)

# A function of 0.2 used, and one declared the way a deprecated function is in a header.
PROGRAM = '''
#include <ladle.h>

LADLE_DEPRECATED_IN_0_2_FOR (ladle_get_major_version)
guint ladle_test_old_major_version (void);

LADLE_DEPRECATED_IN_0_1
void ladle_test_very_old (void);

int
use (void)
{
  return (int) ladle_get_major_version () + (int) ladle_test_old_major_version ()
         + (int) ladle_session_get_type ();
}
'''


def compile_program(tmp_path, *defines, source=PROGRAM):
    path = tmp_path / 'program.c'
    path.write_text(source)
    result = subprocess.run(CC + CFLAGS + ['-fsyntax-only', '-Wall', '-Wno-unused-function']
                            + ['-D' + d for d in defines] + [str(path)],
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, LC_ALL='C', LANG='C'))
    return result.returncode, result.stderr


def deprecations(stderr):
    return sorted(set(re.findall(r"warning: '([^']+)' is deprecated", stderr)))


def test_defaults_warn_about_what_the_headers_deprecate(tmp_path):
    status, stderr = compile_program(tmp_path)
    assert status == 0, stderr
    assert deprecations(stderr) == ['ladle_test_old_major_version'], stderr
    assert "Use 'ladle_get_major_version' instead" in stderr, stderr


def test_min_required_0_1_hides_later_deprecations(tmp_path):
    status, stderr = compile_program(tmp_path, 'LADLE_VERSION_MIN_REQUIRED=LADLE_VERSION_0_1')
    assert status == 0, stderr
    assert 'deprecated' not in stderr, stderr


def test_max_allowed_0_1_warns_about_0_2_api(tmp_path):
    status, stderr = compile_program(tmp_path, 'LADLE_VERSION_MIN_REQUIRED=LADLE_VERSION_0_1',
                                     'LADLE_VERSION_MAX_ALLOWED=LADLE_VERSION_0_1')
    assert status == 0, stderr
    # G_UNAVAILABLE: "'ladle_get_major_version' is deprecated: Not available before 0.2"
    assert "'ladle_get_major_version' is deprecated: Not available before 0.2" in stderr, stderr
    # Only that one: 0.1 API (ladle_session_get_type) is allowed.
    assert deprecations(stderr) == ['ladle_get_major_version'], stderr


def test_disable_deprecation_warnings(tmp_path):
    status, stderr = compile_program(tmp_path, 'LADLE_DISABLE_DEPRECATION_WARNINGS',
                                     'LADLE_VERSION_MAX_ALLOWED=LADLE_VERSION_0_1',
                                     'LADLE_VERSION_MIN_REQUIRED=LADLE_VERSION_0_1')
    assert status == 0, stderr
    assert 'deprecated' not in stderr, stderr


@pytest.mark.parametrize('defines, message', [
    (['LADLE_VERSION_MIN_REQUIRED=LADLE_VERSION_0_2', 'LADLE_VERSION_MAX_ALLOWED=LADLE_VERSION_0_1'],
     'LADLE_VERSION_MAX_ALLOWED must be >= LADLE_VERSION_MIN_REQUIRED'),
    (['LADLE_VERSION_MIN_REQUIRED=LADLE_ENCODE_VERSION(0,0)'],
     'LADLE_VERSION_MIN_REQUIRED must be >= LADLE_VERSION_0_1'),
])
def test_impossible_ranges_are_errors(tmp_path, defines, message):
    status, stderr = compile_program(tmp_path, *defines)
    assert status != 0
    assert message in stderr, stderr


def test_headers_cannot_be_included_directly(tmp_path):
    status, stderr = compile_program(tmp_path, source='#include <ladle-version-macros.h>\n')
    assert status != 0
    assert 'Only <ladle.h> can be included directly.' in stderr
