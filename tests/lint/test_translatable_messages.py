# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every user-visible message of lib/ is translatable: each GError message (the message argument
of g_set_error and its kin, listed in tools/translatable-messages) is wrapped in _(), and
xgettext run over po/POTFILES, as `meson compile ladle-1-pot` runs it, puts it in the POT file.
A message added later without _(), with a macro inside its literal, or in a file that
po/POTFILES does not list fails here."""

import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys

import pytest

SRCDIR = os.environ['LADLE_SOURCE_ROOT']
TOOL = os.path.join(SRCDIR, 'tools', 'translatable-messages')

# The keywords of meson's i18n.gettext(preset: 'glib'), which po/meson.build uses.
XGETTEXT_GLIB = ['--from-code=UTF-8', '--add-comments', '--keyword=_', '--keyword=N_',
                 '--keyword=C_:1c,2', '--keyword=NC_:1c,2', '--keyword=g_dcgettext:2',
                 '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3']


def load_tool():
    loader = importlib.machinery.SourceFileLoader('translatable_messages', TOOL)
    spec = importlib.util.spec_from_loader('translatable_messages', loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


tool = load_tool()


def po_unquote(text):
    escapes = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\'}
    return re.sub(r'\\(.)', lambda m: escapes.get(m.group(1), m.group(1)), text)


def pot_msgids(path):
    """The msgids of a POT file."""
    msgids = set()
    current = None
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('msgid '):
                current = [po_unquote(line[len('msgid '):].strip()[1:-1])]
            elif line.startswith('"') and current is not None:
                current.append(po_unquote(line[1:-1]))
            else:
                if current is not None:
                    msgids.add(''.join(current))
                current = None
    if current is not None:
        msgids.add(''.join(current))
    msgids.discard('')
    return msgids


def xgettext(srcdir, output):
    subprocess.run(['xgettext'] + XGETTEXT_GLIB + ['--directory', srcdir,
                    '--files-from', os.path.join(srcdir, 'po', 'POTFILES'), '--output', str(output)],
                   check=True, timeout=120)
    return pot_msgids(output)


def potfiles(srcdir):
    with open(os.path.join(srcdir, 'po', 'POTFILES'), encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


def test_every_message_is_wrapped():
    messages = tool.scan(SRCDIR)
    # lib/ has dozens of error messages: a scan that found none would pass silently.
    assert len(messages) > 50
    bad = ['%s:%d: %s %s' % (m.path, m.line, m.kind, ' '.join(m.text.split()))
           for m in messages if m.kind in ('literal', 'macro')]
    assert bad == [], 'run tools/translatable-messages:\n' + '\n'.join(bad)


def test_every_message_is_in_the_pot_file(tmp_path):
    msgids = xgettext(SRCDIR, tmp_path / 'ladle-1.pot')
    missing = []
    for m in tool.scan(SRCDIR):
        for value in m.values:
            if value not in msgids:
                missing.append('%s:%d: %r' % (m.path, m.line, value))
    assert missing == [], 'not in the POT file (is the file in po/POTFILES?):\n' + '\n'.join(missing)
    # Some messages that users meet, by their exact text.
    for text in ['The response has an invalid Content-Length “%s”',
                 'The partial file %s is in use by another task',
                 'The connection closed after %lld of %lld bytes of the response body']:
        assert text in msgids


def test_potfiles_lists_every_file_with_messages():
    listed = potfiles(SRCDIR)
    assert listed == sorted(listed)
    for path in listed:
        assert os.path.exists(os.path.join(SRCDIR, path)), path
    expected = []
    for relpath in tool.lib_sources(SRCDIR):
        with open(os.path.join(SRCDIR, relpath), encoding='utf-8') as f:
            if tool.uses_gettext(f.read()):
                expected.append(relpath)
    assert listed == expected


def test_a_new_unwrapped_message_is_caught_and_fixed(tmp_path):
    tree = tmp_path / 'tree'
    (tree / 'lib').mkdir(parents=True)
    (tree / 'po').mkdir()
    (tree / 'po' / 'POTFILES').write_text('# header\n')
    (tree / 'lib' / 'ladle-new.c').write_text('''#include "config.h"

#include "ladle-new.h"

static void
fail (GError **error, int n)
{
  g_set_error (error, LADLE_ERROR, LADLE_ERROR_FAILED, "The new thing failed %d times", n);
  g_set_error_literal (error, LADLE_ERROR, LADLE_ERROR_FAILED,
                       n > 1 ? "Several things failed"
                             : "One thing failed");
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", "ignored");
  g_task_return_new_error (task, LADLE_ERROR, LADLE_ERROR_FAILED, _("Already wrapped"));
  *error = g_error_new (LADLE_ERROR, LADLE_ERROR_FAILED, "A long message that goes "
                        "on the next line");
}
''')
    result = subprocess.run([sys.executable, TOOL, '--check', str(tree)], capture_output=True, text=True)
    assert result.returncode == 1, result.stdout
    flagged = [line.split(':')[1] for line in result.stdout.splitlines() if 'not wrapped' in line]
    assert flagged == ['8', '9', '14'], result.stdout

    result = subprocess.run([sys.executable, TOOL, str(tree)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    source = (tree / 'lib' / 'ladle-new.c').read_text()
    assert '#include "config.h"\n\n#include "ladle-i18n-private.h"\n' in source
    assert '_("The new thing failed %d times"), n);' in source
    assert 'n > 1 ? _("Several things failed")\n                             : _("One thing failed"));' in source
    assert '"%s", "ignored"' in source
    assert ('_("A long message that goes "\n                          "on the next line"));') in source
    assert potfiles(str(tree)) == ['lib/ladle-new.c']

    result = subprocess.run([sys.executable, TOOL, '--check', str(tree)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert xgettext(str(tree), tmp_path / 'new.pot') == {
        'The new thing failed %d times', 'Several things failed', 'One thing failed', 'Already wrapped',
        'A long message that goes on the next line'}


@pytest.mark.parametrize('literal', ['"%" G_GINT64_FORMAT " bytes"', 'G_STRLOC ": went wrong"'])
def test_a_macro_inside_a_message_is_an_error(tmp_path, literal):
    (tmp_path / 'lib').mkdir()
    (tmp_path / 'po').mkdir()
    (tmp_path / 'lib' / 'x.c').write_text('#include "config.h"\nvoid\nf (void)\n{\n'
                                         '  g_set_error (error, D, C, %s, n);\n}\n' % literal)
    result = subprocess.run([sys.executable, TOOL, '--check', str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 1
    assert 'xgettext cannot extract it' in result.stdout
