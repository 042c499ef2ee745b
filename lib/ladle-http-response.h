/* ladle-http-response.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "ladle-task.h"
#include "ladle-version-macros.h"

G_BEGIN_DECLS

#define LADLE_TYPE_HTTP_RESPONSE (ladle_http_response_get_type ())

LADLE_AVAILABLE_IN_0_2
G_DECLARE_FINAL_TYPE (LadleHttpResponse, ladle_http_response, LADLE, HTTP_RESPONSE, GObject)

LADLE_AVAILABLE_IN_0_2
LadleTask          *ladle_http_response_get_task          (LadleHttpResponse *self);
LADLE_AVAILABLE_IN_0_2
GUri               *ladle_http_response_get_uri           (LadleHttpResponse *self);
LADLE_AVAILABLE_IN_0_2
guint               ladle_http_response_get_status        (LadleHttpResponse *self);
LADLE_AVAILABLE_IN_0_2
const char         *ladle_http_response_get_reason_phrase (LadleHttpResponse *self);
LADLE_AVAILABLE_IN_0_2
SoupMessageHeaders *ladle_http_response_get_headers       (LadleHttpResponse *self);
LADLE_AVAILABLE_IN_0_2
const char         *ladle_http_response_get_content_type  (LadleHttpResponse *self);
LADLE_AVAILABLE_IN_0_2
GBytes             *ladle_http_response_get_body          (LadleHttpResponse *self);

G_END_DECLS
