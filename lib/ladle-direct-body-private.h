/* ladle-direct-body-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Called on the main context for each block written to the connection. */
typedef void (*LadleDirectBodyProgress) (gsize    n_written,
                                         gpointer user_data);

/* The direct HTTP/1 request-body copy of one upload task (see ladle-direct-body.c). */
#define LADLE_TYPE_DIRECT_BODY (_ladle_direct_body_get_type ())
G_DECLARE_FINAL_TYPE (LadleDirectBody, _ladle_direct_body, LADLE, DIRECT_BODY, GObject)

gboolean         _ladle_direct_body_is_enabled (void);
LadleDirectBody *_ladle_direct_body_new        (GCancellable            *cancellable,
                                                LadleDirectBodyProgress  progress,
                                                gpointer                 user_data,
                                                GDestroyNotify           notify);
/* The one entry point: the body of the next send of @message, @length bytes from @source.
 * Returns the stream to give libsoup (transfer full). */
GInputStream    *_ladle_direct_body_wrap       (LadleDirectBody         *self,
                                                SoupMessage             *message,
                                                GInputStream            *source,
                                                goffset                  length);

G_END_DECLS
