# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every source file of the tree (C, headers, Python, JS, Vala, shell scripts; the kinds are listed
in tools/copyright-headers) has "Copyright The Ladle authors" directly above its SPDX tag. A file
added later without it fails here; `tools/copyright-headers` adds the line."""

import os
import shutil
import subprocess
import sys

SRCDIR = os.environ['LADLE_SOURCE_ROOT']
TOOL = os.path.join(SRCDIR, 'tools', 'copyright-headers')


def run(*args):
    return subprocess.run([sys.executable, TOOL] + list(args), capture_output=True, text=True, timeout=120)


def test_every_source_file_has_the_copyright_line():
    result = run('--check', SRCDIR)
    assert result.returncode == 0, result.stdout + result.stderr
    checked = int(result.stdout.splitlines()[-1].split()[0])
    # The tree has well over a hundred source files: a walk that found none would pass silently.
    assert checked > 150, result.stdout


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, mode)


def test_files_without_it_are_found_and_fixed(tmp_path):
    tree = str(tmp_path / 'tree')
    good_c = '/* good.c\n *\n * Copyright The Ladle authors\n * SPDX-License-Identifier: LGPL-2.1-or-later\n */\n'
    write(os.path.join(tree, 'lib', 'good.c'), good_c)
    write(os.path.join(tree, 'lib', 'spdx-only.h'), '/* spdx-only.h\n *\n * SPDX-License-Identifier: LGPL-2.1-or-later\n */\n#pragma once\n')
    write(os.path.join(tree, 'lib', 'bare.c'), 'int x;\n')
    write(os.path.join(tree, 'tests', 'helper.py'), '"""A helper."""\nimport os\n')
    write(os.path.join(tree, 'tests', 'x.js'), '// x.js: a test\n//\n// SPDX-License-Identifier: LGPL-2.1-or-later\n')
    write(os.path.join(tree, 'tools', 'script'), '#!/bin/bash\n# script: does things\n\necho hi\n', 0o755)
    write(os.path.join(tree, 'cli', 'main.vala'), 'void main () {}\n')
    # Not source files: build descriptions, data, non-executable files without an extension,
    # build directories.
    write(os.path.join(tree, 'meson.build'), "project('x')\n")
    write(os.path.join(tree, 'data', 'notes'), '#!not a script, not executable\n')
    write(os.path.join(tree, '_build', 'meson-private', 'x'), '')
    write(os.path.join(tree, '_build', 'generated.c'), 'int y;\n')

    result = run('--check', tree)
    assert result.returncode == 1
    flagged = sorted(line.split(':')[0] for line in result.stdout.splitlines() if ': no ' in line)
    assert flagged == ['cli/main.vala', 'lib/bare.c', 'lib/spdx-only.h', 'tests/helper.py', 'tests/x.js',
                       'tools/script'], result.stdout

    result = run(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run('--check', tree)
    assert result.returncode == 0, result.stdout

    with open(os.path.join(tree, 'lib', 'spdx-only.h')) as f:
        assert f.read() == ('/* spdx-only.h\n *\n * Copyright The Ladle authors\n'
                            ' * SPDX-License-Identifier: LGPL-2.1-or-later\n */\n#pragma once\n')
    with open(os.path.join(tree, 'tools', 'script')) as f:
        assert f.read() == ('#!/bin/bash\n# script: does things\n#\n# Copyright The Ladle authors\n'
                            '# SPDX-License-Identifier: LGPL-2.1-or-later\n\necho hi\n')
    assert os.stat(os.path.join(tree, 'tools', 'script')).st_mode & 0o111
    with open(os.path.join(tree, 'lib', 'good.c')) as f:
        assert f.read() == good_c
    with open(os.path.join(tree, '_build', 'generated.c')) as f:
        assert f.read() == 'int y;\n'
