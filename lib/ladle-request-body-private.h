/* ladle-request-body-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define LADLE_TYPE_REQUEST_BODY (_ladle_request_body_get_type ())

G_DECLARE_FINAL_TYPE (LadleRequestBody, _ladle_request_body, LADLE, REQUEST_BODY, GInputStream)

/* The libsoup 3.2 HTTP/2 body workaround (see ladle-request-body.c). */
GInputStream *_ladle_request_body_wrap (GInputStream *source);

G_END_DECLS
