/* ladle-i18n-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

/* Include after "config.h": gi18n-lib.h needs GETTEXT_PACKAGE. Every
 * user-visible message (GError messages above all) goes through _(). */
#include <string.h>
#include <glib/gi18n-lib.h>

G_BEGIN_DECLS

/* _() binds Ladle's text domain (GETTEXT_PACKAGE, in LOCALEDIR, UTF-8) the first time it
 * translates a message, whichever entry point got there first: like GLib's own glib_gettext(). */
void         _ladle_i18n_init    (void);
const char  *_ladle_gettext      (const char *msgid) G_GNUC_FORMAT (1);
const char  *_ladle_pgettext     (const char *msgctxtid,
                                  gsize       msgidoffset) G_GNUC_FORMAT (1);

G_END_DECLS

#undef _
#define _(String) _ladle_gettext (String)
#undef C_
#define C_(Context, String) _ladle_pgettext (Context "\004" String, strlen (Context) + 1)
