/* ladle-http-rules-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "ladle-http-response.h"

G_BEGIN_DECLS

/* The members of the JSON object @parameters as strings (name → value, both owned), for
 * soup_form_encode_hash(): strings, numbers (locale-independent), true/false. Anything else
 * (not an object, a member that is an object, an array or null) is LADLE_ERROR_INVALID_REQUEST. */
GHashTable *_ladle_http_form_fields     (JsonNode            *parameters,
                                         GError             **error);
/* Whether @content_type (a Content-Type value, parameters allowed, any case; NULL: none) is
 * matched by one of @types (lowercase patterns: type/subtype, type/\*, \*\/\*, type/\*+suffix).
 * NULL @types accepts everything. */
gboolean    _ladle_http_content_type_in (const char * const *types,
                                         const char         *content_type);

/* @node as JSON text, which json-glib 1.6 gets wrong for U+001F (written as it is). */
GBytes     *_ladle_http_json_encode     (JsonNode            *node);

/* Whether @status is in @statuses (guint; NULL: every status). */
gboolean    _ladle_http_status_in       (GArray              *statuses,
                                         guint                status);
/* The decoded body of @response (a null node when empty), or NULL with
 * LADLE_ERROR_UNACCEPTABLE_STATUS, _UNACCEPTABLE_CONTENT_TYPE or _INVALID_JSON, checked in that
 * order against @statuses and @content_types (as _ladle_http_status_in and
 * _ladle_http_content_type_in take them). */
JsonNode   *_ladle_http_parse_response  (GArray              *statuses,
                                         const char * const  *content_types,
                                         LadleHttpResponse   *response,
                                         GError             **error);

G_END_DECLS
