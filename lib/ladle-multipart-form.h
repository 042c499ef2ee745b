/* ladle-multipart-form.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>

#include "ladle-version-macros.h"

G_BEGIN_DECLS

/**
 * LadleStreamFactory:
 * @user_data: (closure): the data given to [method@Ladle.MultipartForm.append_stream]
 *
 * Makes a fresh stream with the content of a stream part of a [class@Ladle.MultipartForm].
 *
 * A form can be sent more than once (a retry after 401 or 407, a 307 or 308 redirect), so each
 * [class@Ladle.MultipartInputStream] calls the factory again when it reaches the part. The stream
 * must be positioned at the start of the part's content and yield exactly the length declared
 * when the part was appended.
 *
 * The factory is called on the thread that reads the form's stream, which for an upload is the
 * thread of the session's main context.
 *
 * Returns: (transfer full) (nullable): a new stream, or %NULL when the content cannot be made:
 *   reading the form then fails with %LADLE_ERROR_NO_BODY_STREAM
 */
typedef GInputStream *(*LadleStreamFactory) (gpointer user_data);

#define LADLE_TYPE_MULTIPART_FORM (ladle_multipart_form_get_type ())

LADLE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (LadleMultipartForm, ladle_multipart_form, LADLE, MULTIPART_FORM, GObject)

LADLE_AVAILABLE_IN_ALL
LadleMultipartForm *ladle_multipart_form_new                (void);
LADLE_AVAILABLE_IN_ALL
const char         *ladle_multipart_form_get_boundary       (LadleMultipartForm  *self);
LADLE_AVAILABLE_IN_ALL
const char         *ladle_multipart_form_get_content_type   (LadleMultipartForm  *self);
LADLE_AVAILABLE_IN_ALL
gint64              ladle_multipart_form_get_content_length (LadleMultipartForm  *self);
LADLE_AVAILABLE_IN_ALL
guint               ladle_multipart_form_get_n_parts        (LadleMultipartForm  *self);
LADLE_AVAILABLE_IN_ALL
gboolean            ladle_multipart_form_is_frozen          (LadleMultipartForm  *self);
LADLE_AVAILABLE_IN_ALL
gboolean            ladle_multipart_form_append_text        (LadleMultipartForm  *self,
                                                             const char          *name,
                                                             const char          *value,
                                                             GError             **error);
LADLE_AVAILABLE_IN_ALL
gboolean            ladle_multipart_form_append_bytes       (LadleMultipartForm  *self,
                                                             const char          *name,
                                                             const char          *filename,
                                                             const char          *content_type,
                                                             GBytes              *data,
                                                             GError             **error);
LADLE_AVAILABLE_IN_ALL
gboolean            ladle_multipart_form_append_file        (LadleMultipartForm  *self,
                                                             const char          *name,
                                                             GFile               *file,
                                                             const char          *filename,
                                                             const char          *content_type,
                                                             GCancellable        *cancellable,
                                                             GError             **error);
LADLE_AVAILABLE_IN_ALL
gboolean            ladle_multipart_form_append_stream      (LadleMultipartForm  *self,
                                                             const char          *name,
                                                             const char          *filename,
                                                             const char          *content_type,
                                                             goffset              length,
                                                             LadleStreamFactory   factory,
                                                             gpointer             user_data,
                                                             GDestroyNotify       destroy,
                                                             GError             **error);
LADLE_AVAILABLE_IN_ALL
GInputStream       *ladle_multipart_form_new_stream         (LadleMultipartForm  *self);

G_END_DECLS
