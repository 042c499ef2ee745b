/* ladle-i18n.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ladle-i18n-private.h"

/* Binds the domain once; any thread may be first. */
void
_ladle_i18n_init (void)
{
  static gsize bound = 0;

  if (g_once_init_enter (&bound))
    {
      bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&bound, 1);
    }
}

const char *
_ladle_gettext (const char *msgid)
{
  _ladle_i18n_init ();
  return g_dgettext (GETTEXT_PACKAGE, msgid);
}

const char *
_ladle_pgettext (const char *msgctxtid,
                 gsize       msgidoffset)
{
  _ladle_i18n_init ();
  return g_dpgettext (GETTEXT_PACKAGE, msgctxtid, msgidoffset);
}
