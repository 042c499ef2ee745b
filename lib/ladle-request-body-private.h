/* ladle-request-body-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LADLE_TYPE_REQUEST_BODY (_ladle_request_body_get_type ())

G_DECLARE_FINAL_TYPE (LadleRequestBody, _ladle_request_body, LADLE, REQUEST_BODY, GInputStream)

/* Called after each write to the connection with the number of body bytes it wrote. */
typedef void (*LadleRequestBodyProgress) (gsize    n_written,
                                          gpointer user_data);

LadleRequestBody *_ladle_request_body_new             (GInputStream             *source,
                                                       goffset                   length);
goffset           _ladle_request_body_get_length      (LadleRequestBody         *self);
gboolean          _ladle_request_body_is_untouched    (LadleRequestBody         *self);
void              _ladle_request_body_send_directly   (LadleRequestBody         *self,
                                                       GOutputStream            *connection,
                                                       GCancellable             *cancellable,
                                                       LadleRequestBodyProgress  progress,
                                                       gpointer                  user_data,
                                                       GDestroyNotify            notify);

G_END_DECLS
