/* ladle-util-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* g_set_str() arrived in GLib 2.76; Ladle supports 2.74. */
static inline gboolean
_ladle_set_str (char       **str_pointer,
                const char  *new_str)
{
  char *copy;

  if (*str_pointer == new_str || g_strcmp0 (*str_pointer, new_str) == 0)
    return FALSE;

  copy = g_strdup (new_str);
  g_free (*str_pointer);
  *str_pointer = copy;

  return TRUE;
}

/* Sources attached to a session's context (which need not be the global default context that
 * g_source_remove() looks in) are kept as pointers and destroyed with this. */
static inline void
_ladle_clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

typedef void (*LadleObjectAction) (gpointer object);

/* Calls @action on @object from @context when the caller runs elsewhere (another thread):
 * returns TRUE then; FALSE when the caller is on @context and should act itself. */
gboolean _ladle_invoke_in_context   (GMainContext      *context,
                                     GObject           *object,
                                     LadleObjectAction  action);
void _ladle_close_stream           (GInputStream *stream);
void _ladle_drain_and_close_stream (GInputStream *stream);

G_END_DECLS
