/* ladle-http-client.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ladle-http-response.h"
#include "ladle-multipart-form.h"
#include "ladle-retry-policy.h"
#include "ladle-session.h"
#include "ladle-version-macros.h"

G_BEGIN_DECLS

/**
 * LadleRequestSerializer:
 * @LADLE_REQUEST_SERIALIZER_QUERY: parameters always go in the URI's query
 *   (`application/x-www-form-urlencoded` encoding), whatever the method; no body is sent
 * @LADLE_REQUEST_SERIALIZER_FORM: for methods other than GET, HEAD and DELETE, parameters are
 *   an `application/x-www-form-urlencoded` body
 * @LADLE_REQUEST_SERIALIZER_JSON: for methods other than GET, HEAD and DELETE, parameters are
 *   an `application/json` body
 *
 * How a [class@Ladle.HttpClient] encodes the parameters of a request. GET, HEAD and DELETE
 * always put them in the query. The query and the form take a JSON object whose members are
 * strings, numbers, booleans; any other member is %LADLE_ERROR_INVALID_REQUEST. The JSON body
 * takes any JSON value.
 *
 * Since: 0.2
 */
typedef enum
{
  LADLE_REQUEST_SERIALIZER_QUERY,
  LADLE_REQUEST_SERIALIZER_FORM,
  LADLE_REQUEST_SERIALIZER_JSON,
} LadleRequestSerializer;

#define LADLE_TYPE_HTTP_CLIENT (ladle_http_client_get_type ())

LADLE_AVAILABLE_IN_0_2
G_DECLARE_FINAL_TYPE (LadleHttpClient, ladle_http_client, LADLE, HTTP_CLIENT, GObject)

LADLE_AVAILABLE_IN_0_2
LadleHttpClient        *ladle_http_client_new                          (GUri                   *base_uri,
                                                                        LadleSession           *session);
LADLE_AVAILABLE_IN_0_2
GUri                   *ladle_http_client_get_base_uri                 (LadleHttpClient        *self);
LADLE_AVAILABLE_IN_0_2
void                    ladle_http_client_set_base_uri                 (LadleHttpClient        *self,
                                                                        GUri                   *base_uri);
LADLE_AVAILABLE_IN_0_2
LadleSession           *ladle_http_client_get_session                  (LadleHttpClient        *self);
LADLE_AVAILABLE_IN_0_2
LadleRequestSerializer  ladle_http_client_get_request_serializer       (LadleHttpClient        *self);
LADLE_AVAILABLE_IN_0_2
void                    ladle_http_client_set_request_serializer       (LadleHttpClient        *self,
                                                                        LadleRequestSerializer  serializer);
LADLE_AVAILABLE_IN_0_2
const char             *ladle_http_client_get_default_header           (LadleHttpClient        *self,
                                                                        const char             *name);
LADLE_AVAILABLE_IN_0_2
void                    ladle_http_client_set_default_header           (LadleHttpClient        *self,
                                                                        const char             *name,
                                                                        const char             *value);
LADLE_AVAILABLE_IN_0_2
guint                  *ladle_http_client_dup_acceptable_status_codes  (LadleHttpClient        *self,
                                                                        gsize                  *n_codes);
LADLE_AVAILABLE_IN_0_2
void                    ladle_http_client_set_acceptable_status_codes  (LadleHttpClient        *self,
                                                                        const guint            *codes,
                                                                        gsize                   n_codes);
LADLE_AVAILABLE_IN_0_2
gboolean                ladle_http_client_is_acceptable_status         (LadleHttpClient        *self,
                                                                        guint                   status);
LADLE_AVAILABLE_IN_0_2
const char * const     *ladle_http_client_get_acceptable_content_types (LadleHttpClient        *self);
LADLE_AVAILABLE_IN_0_2
void                    ladle_http_client_set_acceptable_content_types (LadleHttpClient        *self,
                                                                        const char * const     *types);
LADLE_AVAILABLE_IN_0_2
gboolean                ladle_http_client_is_acceptable_content_type   (LadleHttpClient        *self,
                                                                        const char             *content_type);
LADLE_AVAILABLE_IN_0_2
LadleRetryPolicy       *ladle_http_client_dup_retry_policy             (LadleHttpClient        *self);
LADLE_AVAILABLE_IN_0_2
void                    ladle_http_client_set_retry_policy             (LadleHttpClient        *self,
                                                                        LadleRetryPolicy       *policy);

LADLE_AVAILABLE_IN_0_2
void                    ladle_http_client_request_async                (LadleHttpClient        *self,
                                                                        const char             *method,
                                                                        const char             *path,
                                                                        JsonNode               *parameters,
                                                                        GCancellable           *cancellable,
                                                                        GAsyncReadyCallback     callback,
                                                                        gpointer                user_data);
LADLE_AVAILABLE_IN_0_2
JsonNode               *ladle_http_client_request_finish               (LadleHttpClient        *self,
                                                                        GAsyncResult           *result,
                                                                        GError                **error);
LADLE_AVAILABLE_IN_0_2
void                    ladle_http_client_upload_form_async            (LadleHttpClient        *self,
                                                                        const char             *method,
                                                                        const char             *path,
                                                                        LadleMultipartForm     *form,
                                                                        GCancellable           *cancellable,
                                                                        GAsyncReadyCallback     callback,
                                                                        gpointer                user_data);
LADLE_AVAILABLE_IN_0_2
JsonNode               *ladle_http_client_upload_form_finish           (LadleHttpClient        *self,
                                                                        GAsyncResult           *result,
                                                                        GError                **error);
LADLE_AVAILABLE_IN_0_2
LadleHttpResponse      *ladle_http_client_dup_response                 (LadleHttpClient        *self,
                                                                        GAsyncResult           *result);

G_END_DECLS
