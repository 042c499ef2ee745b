# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every public function added after 0.1 says so twice: LADLE_AVAILABLE_IN_0_x before its
declaration and `Since: 0.x` in its documentation (which the GIR records as version="0.x").
Symbols of the first version are LADLE_AVAILABLE_IN_ALL (or _0_1) without a Since tag. A
deprecated one (LADLE_DEPRECATED_IN_0_x) has `Deprecated: 0.x` in its documentation."""

import glob
import os
import re
import xml.etree.ElementTree as ElementTree

SRCDIR = os.environ['LADLE_SOURCE_ROOT']
BUILDDIR = os.environ['LADLE_BUILD_ROOT']
CORE = '{http://www.gtk.org/introspection/core/1.0}'
C = '{http://www.gtk.org/introspection/c/1.0}'

DECLARATION = re.compile(r'\b(LADLE_AVAILABLE_IN_(ALL|\d+_\d+)|LADLE_DEPRECATED_IN_(\d+_\d+)(?:_FOR\s*\([^)]*\))?)'
                         r'\s+[^;{}()]*?\b(\w+)\s*\(', re.S)


def declarations():
    """(function, available-version or None for ALL, deprecated-version or None) of lib/ headers."""
    headers = glob.glob(os.path.join(SRCDIR, 'lib', 'ladle-*.h')) + glob.glob(os.path.join(SRCDIR, 'lib', '*.h.in'))
    found = []
    for header in sorted(headers):
        if header.endswith('-private.h') or header.endswith('ladle-version-macros.h'):
            continue
        with open(header, encoding='utf-8') as f:
            text = re.sub(r'/\*.*?\*/', ' ', f.read(), flags=re.S)
        for m in DECLARATION.finditer(text):
            available = m.group(2)
            deprecated = m.group(3)
            name = m.group(4)
            if name.startswith('G_') or name == 'G_GNUC_CONST':
                continue
            found.append((name, None if available in (None, 'ALL', '0_1') else available.replace('_', '.'),
                          deprecated.replace('_', '.') if deprecated else None))
    return found


def gir_functions():
    tree = ElementTree.parse(os.path.join(BUILDDIR, 'lib', 'Ladle-1.gir'))
    functions = {}
    for element in tree.iter():
        if element.tag in (CORE + 'function', CORE + 'method', CORE + 'constructor'):
            functions[element.get(C + 'identifier')] = element
    return functions


def test_versions_match_the_docs():
    functions = gir_functions()
    decls = declarations()
    assert len(decls) > 100
    wrong = []
    for name, available, deprecated in decls:
        element = functions.get(name)
        if element is None:
            continue   # not introspectable (varargs and the like): the GIR has no record of it
        version = element.get('version')
        if available is not None and version != available:
            wrong.append('%s: LADLE_AVAILABLE_IN_%s but the docs say Since: %s'
                         % (name, available.replace('.', '_'), version))
        if available is None and version not in (None, '0.1'):
            wrong.append('%s: LADLE_AVAILABLE_IN_ALL but the docs say Since: %s (mark it LADLE_AVAILABLE_IN_%s)'
                         % (name, version, version.replace('.', '_')))
        if deprecated is not None and element.get('deprecated-version') != deprecated:
            wrong.append('%s: LADLE_DEPRECATED_IN_%s but the docs say Deprecated: %s'
                         % (name, deprecated.replace('.', '_'), element.get('deprecated-version')))
    assert wrong == [], '\n'.join(wrong)


def test_the_version_functions_are_0_2():
    decls = {name: available for name, available, _ in declarations()}
    for name in ['ladle_get_major_version', 'ladle_get_minor_version', 'ladle_get_micro_version',
                 'ladle_check_version']:
        assert decls[name] == '0.2'
    assert decls['ladle_session_new'] is None
