/* ladle-http-response.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleHttpResponse:
 *
 * The final response of a [class@Ladle.HttpClient] request: status, headers and body, as they
 * arrived, whether or not the client accepted them.
 *
 * Get it with [method@Ladle.HttpClient.dup_response] from the result of a request, also (and
 * above all) when the request failed with %LADLE_ERROR_UNACCEPTABLE_STATUS,
 * %LADLE_ERROR_UNACCEPTABLE_CONTENT_TYPE or %LADLE_ERROR_INVALID_JSON: it is what
 * AFNetworking puts in the error's userInfo.
 *
 * Since: 0.2
 */

#include "config.h"

#include "ladle-http-response-private.h"

struct _LadleHttpResponse
{
  GObject             parent_instance;

  LadleTask          *task;
  GUri               *uri;
  guint               status;
  char               *reason_phrase;
  SoupMessageHeaders *headers;
  char               *content_type;
  GBytes             *body;
};

G_DEFINE_FINAL_TYPE (LadleHttpResponse, ladle_http_response, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TASK,
  PROP_URI,
  PROP_STATUS,
  PROP_REASON_PHRASE,
  PROP_HEADERS,
  PROP_CONTENT_TYPE,
  PROP_BODY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ladle_http_response_finalize (GObject *object)
{
  LadleHttpResponse *self = LADLE_HTTP_RESPONSE (object);

  g_clear_object (&self->task);
  g_clear_pointer (&self->uri, g_uri_unref);
  g_clear_pointer (&self->reason_phrase, g_free);
  g_clear_pointer (&self->headers, soup_message_headers_unref);
  g_clear_pointer (&self->content_type, g_free);
  g_clear_pointer (&self->body, g_bytes_unref);

  G_OBJECT_CLASS (ladle_http_response_parent_class)->finalize (object);
}

static void
ladle_http_response_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  LadleHttpResponse *self = LADLE_HTTP_RESPONSE (object);

  switch (prop_id)
    {
    case PROP_TASK:
      g_value_set_object (value, self->task);
      break;
    case PROP_URI:
      g_value_set_boxed (value, self->uri);
      break;
    case PROP_STATUS:
      g_value_set_uint (value, self->status);
      break;
    case PROP_REASON_PHRASE:
      g_value_set_string (value, self->reason_phrase);
      break;
    case PROP_HEADERS:
      g_value_set_boxed (value, self->headers);
      break;
    case PROP_CONTENT_TYPE:
      g_value_set_string (value, self->content_type);
      break;
    case PROP_BODY:
      g_value_set_boxed (value, self->body);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_http_response_class_init (LadleHttpResponseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ladle_http_response_finalize;
  object_class->get_property = ladle_http_response_get_property;

  /**
   * LadleHttpResponse:task:
   *
   * The task that carried the request (its metrics, its bytes sent and received).
   *
   * Since: 0.2
   */
  properties[PROP_TASK] =
    g_param_spec_object ("task", NULL, NULL, LADLE_TYPE_TASK,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleHttpResponse:uri:
   *
   * The URI of the final response (after redirects).
   *
   * Since: 0.2
   */
  properties[PROP_URI] =
    g_param_spec_boxed ("uri", NULL, NULL, G_TYPE_URI,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleHttpResponse:status:
   *
   * The HTTP status of the final response.
   *
   * Since: 0.2
   */
  properties[PROP_STATUS] =
    g_param_spec_uint ("status", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleHttpResponse:reason-phrase:
   *
   * The reason phrase of the final response.
   *
   * Since: 0.2
   */
  properties[PROP_REASON_PHRASE] =
    g_param_spec_string ("reason-phrase", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleHttpResponse:headers:
   *
   * The headers of the final response.
   *
   * Since: 0.2
   */
  properties[PROP_HEADERS] =
    g_param_spec_boxed ("headers", NULL, NULL, SOUP_TYPE_MESSAGE_HEADERS,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleHttpResponse:content-type:
   *
   * The media type of the body, lowercase and without parameters (`application/json` for
   * `Application/JSON; charset=utf-8`), or %NULL without a valid Content-Type.
   *
   * Since: 0.2
   */
  properties[PROP_CONTENT_TYPE] =
    g_param_spec_string ("content-type", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleHttpResponse:body:
   *
   * The whole body as it arrived (empty when there was none).
   *
   * Since: 0.2
   */
  properties[PROP_BODY] =
    g_param_spec_boxed ("body", NULL, NULL, G_TYPE_BYTES,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ladle_http_response_init (LadleHttpResponse *self)
{
}

LadleHttpResponse *
_ladle_http_response_new (LadleTask *task,
                          GBytes    *body)
{
  LadleHttpResponse *self = g_object_new (LADLE_TYPE_HTTP_RESPONSE, NULL);
  SoupMessage *message = ladle_task_get_current_request (task);
  const char *media_type;

  self->task = g_object_ref (task);
  self->status = ladle_task_get_status_code (task);
  self->body = body != NULL ? g_bytes_ref (body) : g_bytes_new (NULL, 0);
  if (message != NULL)
    {
      self->uri = g_uri_ref (soup_message_get_uri (message));
      self->reason_phrase = g_strdup (soup_message_get_reason_phrase (message));
      self->headers = soup_message_headers_ref (soup_message_get_response_headers (message));
    }
  else
    self->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);

  /* libsoup checks the type/subtype form and drops the parameters; case does not matter. */
  media_type = soup_message_headers_get_content_type (self->headers, NULL);
  if (media_type != NULL)
    self->content_type = g_ascii_strdown (media_type, -1);

  return self;
}

/**
 * ladle_http_response_get_task:
 * @self: a response
 *
 * Returns: (transfer none): the task that carried the request
 *
 * Since: 0.2
 */
LadleTask *
ladle_http_response_get_task (LadleHttpResponse *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_RESPONSE (self), NULL);

  return self->task;
}

/**
 * ladle_http_response_get_uri:
 * @self: a response
 *
 * Returns: (transfer none) (nullable): the URI of the final response
 *
 * Since: 0.2
 */
GUri *
ladle_http_response_get_uri (LadleHttpResponse *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_RESPONSE (self), NULL);

  return self->uri;
}

/**
 * ladle_http_response_get_status:
 * @self: a response
 *
 * Returns: the HTTP status of the final response
 *
 * Since: 0.2
 */
guint
ladle_http_response_get_status (LadleHttpResponse *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_RESPONSE (self), 0);

  return self->status;
}

/**
 * ladle_http_response_get_reason_phrase:
 * @self: a response
 *
 * Returns: (nullable): the reason phrase of the final response
 *
 * Since: 0.2
 */
const char *
ladle_http_response_get_reason_phrase (LadleHttpResponse *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_RESPONSE (self), NULL);

  return self->reason_phrase;
}

/**
 * ladle_http_response_get_headers:
 * @self: a response
 *
 * Returns: (transfer none): the headers of the final response
 *
 * Since: 0.2
 */
SoupMessageHeaders *
ladle_http_response_get_headers (LadleHttpResponse *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_RESPONSE (self), NULL);

  return self->headers;
}

/**
 * ladle_http_response_get_content_type:
 * @self: a response
 *
 * Returns: (nullable): the value of [property@Ladle.HttpResponse:content-type]
 *
 * Since: 0.2
 */
const char *
ladle_http_response_get_content_type (LadleHttpResponse *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_RESPONSE (self), NULL);

  return self->content_type;
}

/**
 * ladle_http_response_get_body:
 * @self: a response
 *
 * Returns: (transfer none): the whole body (empty when there was none)
 *
 * Since: 0.2
 */
GBytes *
ladle_http_response_get_body (LadleHttpResponse *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_RESPONSE (self), NULL);

  return self->body;
}
