/* ladle-request-watch-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ladle-task.h"

G_BEGIN_DECLS

/* libsoup's signals on the message a task sends (see ladle-request-watch.c). */
typedef struct _LadleRequestWatch LadleRequestWatch;

LadleRequestWatch *_ladle_request_watch_new                  (LadleTask          *task);
void               _ladle_request_watch_free                 (LadleRequestWatch  *self);
void               _ladle_request_watch_take_url_credentials (LadleRequestWatch  *self,
                                                              SoupMessage        *message);
void               _ladle_request_watch_attach               (LadleRequestWatch  *self,
                                                              SoupMessage        *message);
void               _ladle_request_watch_detach               (LadleRequestWatch  *self);
gboolean           _ladle_request_watch_check_certificate    (LadleRequestWatch  *self,
                                                              SoupMessage        *message,
                                                              GError            **error);

G_END_DECLS
