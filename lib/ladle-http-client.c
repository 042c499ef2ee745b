/* ladle-http-client.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleHttpClient:
 *
 * A JSON REST client over a [class@Ladle.Session]: AFHTTPSessionManager for GNOME.
 *
 * A client has a base URI that request paths are resolved against, a session (given, or a
 * default one of its own), default headers, a [enum@Ladle.RequestSerializer] for the
 * parameters, and the status codes and content types it accepts. Each request is a task of the
 * session, in its [iface@Gio.ListModel] like any other, announced by
 * [signal@Ladle.HttpClient::task-created] before it starts.
 *
 * ## Paths
 *
 * A path is resolved against [property@Ladle.HttpClient:base-uri] as a relative reference
 * (RFC 3986, with g_uri_parse_relative()), as a browser resolves a link. The trailing
 * slash of the base matters, as AFNetworking users know it: with the base
 * `http://example.com/v1/`, the path `users` is `http://example.com/v1/users`, but with
 * `http://example.com/v1` (no trailing slash) it is `http://example.com/users`; `/users` is
 * always `http://example.com/users`, and an absolute URI replaces the base. Give base URIs a
 * trailing slash and paths none. Without a base URI, paths must be absolute http or https URIs.
 *
 * ## Parameters
 *
 * Parameters are a #JsonNode (or %NULL). For GET, HEAD and DELETE they always go in the query;
 * for other methods the serializer decides: %LADLE_REQUEST_SERIALIZER_QUERY the query,
 * %LADLE_REQUEST_SERIALIZER_FORM an `application/x-www-form-urlencoded` body,
 * %LADLE_REQUEST_SERIALIZER_JSON (the default) an `application/json` body. The query and the
 * form are encoded by libsoup (soup_form_encode_hash()) from a JSON object whose members are
 * strings, numbers or booleans (`true`, `false`); a member that is an object, an array or null
 * cannot be encoded and fails the request with %LADLE_ERROR_INVALID_REQUEST before anything is
 * sent. A JSON body is written by json-glib's #JsonGenerator from any JSON value.
 *
 * ## Responses
 *
 * A response is accepted when its status is one of the acceptable status codes (by default
 * 200 to 299) and, when it has a body, its media type is one of
 * [property@Ladle.HttpClient:acceptable-content-types] (by default `application/json`,
 * `text/json`, `text/javascript` and every `application/…+json` type such as
 * `application/problem+json`). Media types are compared without their parameters and without
 * regard to case. The body is then parsed by json-glib's #JsonParser; an empty body (a 204,
 * the answer to HEAD) is a JSON null node. (json-glib before 1.10 is lenient with some
 * non-JSON, single-quoted strings for one; from 1.10 the parser is strict.) Otherwise the request fails with
 * %LADLE_ERROR_UNACCEPTABLE_STATUS, %LADLE_ERROR_UNACCEPTABLE_CONTENT_TYPE or
 * %LADLE_ERROR_INVALID_JSON, checked in that order; transport errors and cancellation are those
 * of the task.
 *
 * In every case where a response arrived, its status, headers and body stay reachable:
 * [method@Ladle.HttpClient.dup_response] gives the [class@Ladle.HttpResponse] of a request's
 * result, before or after the `_finish` call. From Python, call it in the callback; from GJS,
 * wrap the call in a promise that attaches it to the error (see the REST page of the
 * documentation).
 *
 * ## Retries
 *
 * With a [property@Ladle.HttpClient:retry-policy], every task of the client retries by it (without
 * one, by its session's, as any task). A request is checked and decoded once, when its last
 * attempt has answered: a 503 that was retried does not fail the request, and the response that
 * [method@Ladle.HttpClient.dup_response] gives is the last attempt's. Only idempotent methods are
 * retried unless the policy's [property@Ladle.RetryPolicy:retry-non-idempotent] is set, so a
 * POST with a JSON body or a form is sent once by default. Each retry is the task's
 * [signal@Ladle.Task::will-retry], which a handler connected from
 * [signal@Ladle.HttpClient::task-created] may veto.
 *
 * ## Credentials
 *
 * Default headers that carry credentials (Authorization, Cookie, Proxy-Authorization) are
 * only sent to the origin of the base URI: a path that resolves to another origin gets the
 * other default headers but not those. Without a base URI they are sent with every request.
 * Redirects to another origin drop them as for any task.
 *
 * Since: 0.2
 */

#include "config.h"

#include "ladle-http-client.h"
#include "ladle-http-response-private.h"
#include "ladle-http-rules-private.h"
#include "ladle-data-task.h"
#include "ladle-enum-types.h"
#include "ladle-error.h"
#include "ladle-i18n-private.h"
#include "ladle-origin-private.h"
#include "ladle-session-configuration.h"
#include "ladle-upload-task.h"
#include "ladle-await.h"

struct _LadleHttpClient
{
  GObject                 parent_instance;

  GUri                   *base_uri;
  LadleSession           *session;
  LadleRequestSerializer  serializer;
  SoupMessageHeaders     *default_headers;
  GArray                 *statuses;        /* guint, NULL: every status is acceptable */
  GStrv                   content_types;   /* lowercase; NULL: every content type */
  LadleRetryPolicy       *retry_policy;    /* a copy; NULL: the session's */
};

G_DEFINE_FINAL_TYPE (LadleHttpClient, ladle_http_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URI,
  PROP_SESSION,
  PROP_REQUEST_SERIALIZER,
  PROP_ACCEPTABLE_CONTENT_TYPES,
  PROP_RETRY_POLICY,
  N_PROPS
};

enum {
  TASK_CREATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char * const default_content_types[] = {
  "application/json",
  "text/json",
  "text/javascript",
  "application/*+json",
  NULL
};

/* One request: what its completion needs, kept as the GTask's data. */
typedef struct
{
  LadleTask         *task;
  LadleHttpResponse *response;
  GArray            *statuses;
  GStrv              content_types;
  GSource           *start_source;
} Request;

static void
request_free (gpointer data)
{
  Request *request = data;

  if (request->start_source != NULL)
    {
      g_source_destroy (request->start_source);
      g_source_unref (request->start_source);
    }
  g_clear_object (&request->task);
  g_clear_object (&request->response);
  g_clear_pointer (&request->statuses, g_array_unref);
  g_clear_pointer (&request->content_types, g_strfreev);
  g_free (request);
}

static void
ladle_http_client_constructed (GObject *object)
{
  LadleHttpClient *self = LADLE_HTTP_CLIENT (object);

  G_OBJECT_CLASS (ladle_http_client_parent_class)->constructed (object);

  if (self->session == NULL)
    {
      g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_default ();

      self->session = ladle_session_new (configuration);
    }
}

static void
ladle_http_client_dispose (GObject *object)
{
  LadleHttpClient *self = LADLE_HTTP_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_object (&self->retry_policy);

  G_OBJECT_CLASS (ladle_http_client_parent_class)->dispose (object);
}

static void
ladle_http_client_finalize (GObject *object)
{
  LadleHttpClient *self = LADLE_HTTP_CLIENT (object);

  g_clear_pointer (&self->base_uri, g_uri_unref);
  g_clear_pointer (&self->default_headers, soup_message_headers_unref);
  g_clear_pointer (&self->statuses, g_array_unref);
  g_clear_pointer (&self->content_types, g_strfreev);

  G_OBJECT_CLASS (ladle_http_client_parent_class)->finalize (object);
}

static void
ladle_http_client_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  LadleHttpClient *self = LADLE_HTTP_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URI:
      g_value_set_boxed (value, self->base_uri);
      break;
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_REQUEST_SERIALIZER:
      g_value_set_enum (value, self->serializer);
      break;
    case PROP_ACCEPTABLE_CONTENT_TYPES:
      g_value_set_boxed (value, self->content_types);
      break;
    case PROP_RETRY_POLICY:
      g_value_take_object (value, ladle_http_client_dup_retry_policy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_http_client_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  LadleHttpClient *self = LADLE_HTTP_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URI:
      ladle_http_client_set_base_uri (self, g_value_get_boxed (value));
      break;
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;
    case PROP_REQUEST_SERIALIZER:
      ladle_http_client_set_request_serializer (self, g_value_get_enum (value));
      break;
    case PROP_ACCEPTABLE_CONTENT_TYPES:
      ladle_http_client_set_acceptable_content_types (self, g_value_get_boxed (value));
      break;
    case PROP_RETRY_POLICY:
      ladle_http_client_set_retry_policy (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_http_client_class_init (LadleHttpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = ladle_http_client_constructed;
  object_class->dispose = ladle_http_client_dispose;
  object_class->finalize = ladle_http_client_finalize;
  object_class->get_property = ladle_http_client_get_property;
  object_class->set_property = ladle_http_client_set_property;

  /**
   * LadleHttpClient:base-uri:
   *
   * The URI that request paths are resolved against, or %NULL (paths are then absolute URIs).
   * See the class description for the trailing-slash rule.
   *
   * Since: 0.2
   */
  properties[PROP_BASE_URI] =
    g_param_spec_boxed ("base-uri", NULL, NULL, G_TYPE_URI,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * LadleHttpClient:session:
   *
   * The session that runs the client's tasks. When none is given at construction, the client
   * makes its own from [ctor@Ladle.SessionConfiguration.new_default].
   *
   * Since: 0.2
   */
  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, LADLE_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * LadleHttpClient:request-serializer:
   *
   * How parameters are encoded for methods other than GET, HEAD and DELETE.
   *
   * Since: 0.2
   */
  properties[PROP_REQUEST_SERIALIZER] =
    g_param_spec_enum ("request-serializer", NULL, NULL,
                       LADLE_TYPE_REQUEST_SERIALIZER, LADLE_REQUEST_SERIALIZER_JSON,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * LadleHttpClient:acceptable-content-types:
   *
   * The media types a response body may have, or %NULL to accept any. Each is a media type
   * (`type/subtype`), or has the wildcard `*` as its subtype (any subtype of that type), or as
   * both type and subtype (anything), or as a subtype `*+suffix` (any subtype ending in
   * `+suffix`: `application/\*+json` matches `application/problem+json`); compared without
   * regard to case. By default `application/json`, `text/json`, `text/javascript` and
   * `application/\*+json`. Empty bodies are not checked.
   *
   * Since: 0.2
   */
  properties[PROP_ACCEPTABLE_CONTENT_TYPES] =
    g_param_spec_boxed ("acceptable-content-types", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * LadleHttpClient:retry-policy:
   *
   * The retry policy of every task the client makes (a copy of the policy that was set, and
   * each task gets its own copy: changing or replacing the policy does not reach requests
   * already made), or %NULL, the default: the tasks use their session's
   * [property@Ladle.SessionConfiguration:retry-policy], as any task does. Only idempotent
   * requests are retried unless the policy's [property@Ladle.RetryPolicy:retry-non-idempotent]
   * is set: a POST with a JSON body or a form is not retried by default. The response is
   * checked once, when the last attempt has answered. A policy whose
   * [property@Ladle.RetryPolicy:max-attempts] is 1 turns the session's retries off for the
   * client.
   *
   * Since: 0.2
   */
  properties[PROP_RETRY_POLICY] =
    g_param_spec_object ("retry-policy", NULL, NULL, LADLE_TYPE_RETRY_POLICY,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LadleHttpClient::task-created:
   * @self: the client
   * @task: the task of a request
   *
   * Emitted from the main loop for each request, after the `_async` call returned and before
   * its task is resumed: connect to [signal@Ladle.Task::upload-progress] or
   * [signal@Ladle.Task::download-progress] here to show progress. The task's
   * [method@Ladle.Task.get_original_request] has the method and the resolved URI.
   *
   * Since: 0.2
   */
  signals[TASK_CREATED] =
    g_signal_new ("task-created",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, LADLE_TYPE_TASK);
}

static void
ladle_http_client_init (LadleHttpClient *self)
{
  self->serializer = LADLE_REQUEST_SERIALIZER_JSON;
  self->default_headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  self->statuses = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint status = 200; status < 300; status++)
    g_array_append_val (self->statuses, status);
  self->content_types = g_strdupv ((char **)default_content_types);
}

/**
 * ladle_http_client_new:
 * @base_uri: (nullable): the URI request paths are resolved against
 * @session: (nullable): the session to use, or %NULL for one of the client's own
 *
 * Creates a client.
 *
 * Returns: (transfer full): a new client
 *
 * Since: 0.2
 */
LadleHttpClient *
ladle_http_client_new (GUri         *base_uri,
                       LadleSession *session)
{
  g_return_val_if_fail (session == NULL || LADLE_IS_SESSION (session), NULL);

  return g_object_new (LADLE_TYPE_HTTP_CLIENT,
                       "base-uri", base_uri,
                       "session", session,
                       NULL);
}

/**
 * ladle_http_client_get_base_uri:
 * @self: a client
 *
 * Returns: (transfer none) (nullable): the base URI
 *
 * Since: 0.2
 */
GUri *
ladle_http_client_get_base_uri (LadleHttpClient *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), NULL);

  return self->base_uri;
}

/**
 * ladle_http_client_set_base_uri:
 * @self: a client
 * @base_uri: (nullable): the URI request paths are resolved against
 *
 * Sets [property@Ladle.HttpClient:base-uri]. Requests already made keep their URI.
 *
 * Since: 0.2
 */
void
ladle_http_client_set_base_uri (LadleHttpClient *self,
                                GUri            *base_uri)
{
  g_return_if_fail (LADLE_IS_HTTP_CLIENT (self));

  if (self->base_uri == base_uri)
    return;
  if (self->base_uri != NULL && base_uri != NULL)
    {
      g_autofree char *old = g_uri_to_string (self->base_uri);
      g_autofree char *new = g_uri_to_string (base_uri);

      if (g_str_equal (old, new))
        return;
    }

  g_clear_pointer (&self->base_uri, g_uri_unref);
  self->base_uri = base_uri != NULL ? g_uri_ref (base_uri) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URI]);
}

/**
 * ladle_http_client_get_session:
 * @self: a client
 *
 * Returns: (transfer none): the session that runs the client's tasks
 *
 * Since: 0.2
 */
LadleSession *
ladle_http_client_get_session (LadleHttpClient *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), NULL);

  return self->session;
}

/**
 * ladle_http_client_get_request_serializer:
 * @self: a client
 *
 * Returns: how parameters are encoded for methods other than GET, HEAD and DELETE
 *
 * Since: 0.2
 */
LadleRequestSerializer
ladle_http_client_get_request_serializer (LadleHttpClient *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), LADLE_REQUEST_SERIALIZER_JSON);

  return self->serializer;
}

/**
 * ladle_http_client_set_request_serializer:
 * @self: a client
 * @serializer: how to encode parameters
 *
 * Sets [property@Ladle.HttpClient:request-serializer].
 *
 * Since: 0.2
 */
void
ladle_http_client_set_request_serializer (LadleHttpClient        *self,
                                          LadleRequestSerializer  serializer)
{
  g_return_if_fail (LADLE_IS_HTTP_CLIENT (self));
  g_return_if_fail (serializer <= LADLE_REQUEST_SERIALIZER_JSON);

  if (self->serializer == serializer)
    return;

  self->serializer = serializer;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUEST_SERIALIZER]);
}

/**
 * ladle_http_client_get_default_header:
 * @self: a client
 * @name: a header name
 *
 * Returns: (nullable): the value of the default header @name, or %NULL
 *
 * Since: 0.2
 */
const char *
ladle_http_client_get_default_header (LadleHttpClient *self,
                                      const char      *name)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return soup_message_headers_get_one (self->default_headers, name);
}

/**
 * ladle_http_client_set_default_header:
 * @self: a client
 * @name: a header name
 * @value: (nullable): its value, or %NULL to remove it
 *
 * Sets a header sent with every later request (credentials only to the base URI's origin:
 * see the class description). `Accept: application/json` is sent unless a default Accept
 * header is set. A name or value that cannot be sent (not a token, CR or LF) fails each
 * request with %LADLE_ERROR_INVALID_REQUEST.
 *
 * Since: 0.2
 */
void
ladle_http_client_set_default_header (LadleHttpClient *self,
                                      const char      *name,
                                      const char      *value)
{
  g_return_if_fail (LADLE_IS_HTTP_CLIENT (self));
  g_return_if_fail (name != NULL);

  if (value == NULL)
    soup_message_headers_remove (self->default_headers, name);
  else
    soup_message_headers_replace (self->default_headers, name, value);
}

/**
 * ladle_http_client_dup_acceptable_status_codes:
 * @self: a client
 * @n_codes: (out): return location for the number of codes
 *
 * Returns: (transfer full) (array length=n_codes) (nullable): the acceptable status codes in
 *   increasing order, or %NULL when every status is acceptable
 *
 * Since: 0.2
 */
guint *
ladle_http_client_dup_acceptable_status_codes (LadleHttpClient *self,
                                               gsize           *n_codes)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), NULL);
  g_return_val_if_fail (n_codes != NULL, NULL);

  if (self->statuses == NULL)
    {
      *n_codes = 0;
      return NULL;
    }

  *n_codes = self->statuses->len;
  return g_memdup2 (self->statuses->data, sizeof (guint) * self->statuses->len);
}

static int
compare_status (gconstpointer a,
                gconstpointer b)
{
  guint x = *(const guint *)a, y = *(const guint *)b;

  return x < y ? -1 : x > y;
}

/**
 * ladle_http_client_set_acceptable_status_codes:
 * @self: a client
 * @codes: (array length=n_codes) (nullable): the acceptable status codes
 * @n_codes: the number of codes
 *
 * Sets the status codes a response may have (by default 200 to 299). %NULL (an empty list
 * from Python or GJS) accepts every status.
 *
 * Since: 0.2
 */
void
ladle_http_client_set_acceptable_status_codes (LadleHttpClient *self,
                                               const guint     *codes,
                                               gsize            n_codes)
{
  g_return_if_fail (LADLE_IS_HTTP_CLIENT (self));
  g_return_if_fail (codes != NULL || n_codes == 0);

  g_clear_pointer (&self->statuses, g_array_unref);
  if (codes == NULL || n_codes == 0)
    return;

  self->statuses = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_codes);
  g_array_append_vals (self->statuses, codes, n_codes);
  g_array_sort (self->statuses, compare_status);
}

/**
 * ladle_http_client_is_acceptable_status:
 * @self: a client
 * @status: an HTTP status
 *
 * Returns: whether a response with @status is accepted
 *
 * Since: 0.2
 */
gboolean
ladle_http_client_is_acceptable_status (LadleHttpClient *self,
                                        guint            status)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), FALSE);

  return _ladle_http_status_in (self->statuses, status);
}

/**
 * ladle_http_client_get_acceptable_content_types:
 * @self: a client
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the value of
 *   [property@Ladle.HttpClient:acceptable-content-types]
 *
 * Since: 0.2
 */
const char * const *
ladle_http_client_get_acceptable_content_types (LadleHttpClient *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), NULL);

  return (const char * const *)self->content_types;
}

/**
 * ladle_http_client_set_acceptable_content_types:
 * @self: a client
 * @types: (nullable) (array zero-terminated=1): the acceptable media types, or %NULL to
 *   accept any
 *
 * Sets [property@Ladle.HttpClient:acceptable-content-types].
 *
 * Since: 0.2
 */
void
ladle_http_client_set_acceptable_content_types (LadleHttpClient    *self,
                                                const char * const *types)
{
  g_auto(GStrv) lowered = NULL;

  g_return_if_fail (LADLE_IS_HTTP_CLIENT (self));

  if (types != NULL)
    {
      gsize n = g_strv_length ((char **)types);

      lowered = g_new0 (char *, n + 1);
      for (gsize i = 0; i < n; i++)
        lowered[i] = g_strstrip (g_ascii_strdown (types[i], -1));
    }

  if (lowered == NULL && self->content_types == NULL)
    return;
  if (lowered != NULL && self->content_types != NULL &&
      g_strv_equal ((const char * const *)lowered, (const char * const *)self->content_types))
    return;

  g_strfreev (self->content_types);
  self->content_types = g_steal_pointer (&lowered);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCEPTABLE_CONTENT_TYPES]);
}

/**
 * ladle_http_client_dup_retry_policy:
 * @self: a client
 *
 * Returns: (transfer full) (nullable): a copy of [property@Ladle.HttpClient:retry-policy], or
 *   %NULL when the client's tasks use their session's
 *
 * Since: 0.2
 */
LadleRetryPolicy *
ladle_http_client_dup_retry_policy (LadleHttpClient *self)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), NULL);

  return self->retry_policy != NULL ? ladle_retry_policy_copy (self->retry_policy) : NULL;
}

/**
 * ladle_http_client_set_retry_policy:
 * @self: a client
 * @policy: (nullable): a retry policy (copied), or %NULL for the session's
 *
 * Sets [property@Ladle.HttpClient:retry-policy] for later requests.
 *
 * Since: 0.2
 */
void
ladle_http_client_set_retry_policy (LadleHttpClient  *self,
                                    LadleRetryPolicy *policy)
{
  g_return_if_fail (LADLE_IS_HTTP_CLIENT (self));
  g_return_if_fail (policy == NULL || LADLE_IS_RETRY_POLICY (policy));

  if (policy == NULL && self->retry_policy == NULL)
    return;
  g_clear_object (&self->retry_policy);
  if (policy != NULL)
    self->retry_policy = ladle_retry_policy_copy (policy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_POLICY]);
}

/**
 * ladle_http_client_is_acceptable_content_type:
 * @self: a client
 * @content_type: (nullable): a Content-Type value, parameters allowed
 *
 * Returns: whether a response body of @content_type is accepted (%NULL, no Content-Type, is
 *   accepted only when [property@Ladle.HttpClient:acceptable-content-types] is %NULL)
 *
 * Since: 0.2
 */
gboolean
ladle_http_client_is_acceptable_content_type (LadleHttpClient *self,
                                              const char      *content_type)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), FALSE);

  return _ladle_http_content_type_in ((const char * const *)self->content_types, content_type);
}

static gboolean
has_parameters (JsonNode *parameters)
{
  return parameters != NULL && !JSON_NODE_HOLDS_NULL (parameters);
}

static gboolean
parameters_in_query (const char             *method,
                     LadleRequestSerializer  serializer)
{
  return g_str_equal (method, SOUP_METHOD_GET) || g_str_equal (method, SOUP_METHOD_HEAD) ||
         g_str_equal (method, SOUP_METHOD_DELETE) || serializer == LADLE_REQUEST_SERIALIZER_QUERY;
}

static GUri *
resolve (LadleHttpClient  *self,
         const char       *path,
         GError          **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;

  if (self->base_uri != NULL)
    uri = g_uri_parse_relative (self->base_uri, path, SOUP_HTTP_URI_FLAGS, &local_error);
  else
    uri = g_uri_parse (path, SOUP_HTTP_URI_FLAGS, &local_error);

  if (uri == NULL)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST,
                   _("Cannot resolve “%s”: %s"), path, local_error->message);
      return NULL;
    }
  if (!_ladle_uri_is_http (uri))
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST,
                   _("“%s” does not resolve to an http or https URI"), path);
      return NULL;
    }

  return g_steal_pointer (&uri);
}

static GUri *
with_query (GUri       *uri,
            const char *query)
{
  const char *existing = g_uri_get_query (uri);
  g_autofree char *joined = NULL;

  if (query == NULL || *query == '\0')
    return g_uri_ref (uri);
  if (existing != NULL && *existing != '\0')
    joined = g_strconcat (existing, "&", query, NULL);

  return g_uri_build (g_uri_get_flags (uri), g_uri_get_scheme (uri), g_uri_get_userinfo (uri),
                      g_uri_get_host (uri), g_uri_get_port (uri), g_uri_get_path (uri),
                      joined != NULL ? joined : query, g_uri_get_fragment (uri));
}

static void
add_default_headers (LadleHttpClient *self,
                     SoupMessage     *message)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  gboolean same_origin = self->base_uri == NULL ||
                         _ladle_origin_same (self->base_uri, soup_message_get_uri (message));
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, self->default_headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      /* Credentials stay with the base URI's origin. */
      if (!same_origin && _ladle_header_is_credential (name))
        continue;
      soup_message_headers_append (headers, name, value);
    }

  if (soup_message_headers_get_one (headers, "Accept") == NULL)
    soup_message_headers_replace (headers, "Accept", "application/json");
}

/* The request for @method and @path, with its body in @body (NULL: none). */
static SoupMessage *
build_message (LadleHttpClient  *self,
               const char       *method,
               const char       *path,
               JsonNode         *parameters,
               GBytes          **body,
               GError          **error)
{
  g_autoptr(GUri) resolved = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *query = NULL;
  const char *content_type = NULL;

  *body = NULL;

  resolved = resolve (self, path, error);
  if (resolved == NULL)
    return NULL;

  if (has_parameters (parameters) && parameters_in_query (method, self->serializer))
    {
      g_autoptr(GHashTable) fields = _ladle_http_form_fields (parameters, error);

      if (fields == NULL)
        return NULL;
      query = soup_form_encode_hash (fields);
    }
  else if (has_parameters (parameters) && self->serializer == LADLE_REQUEST_SERIALIZER_FORM)
    {
      g_autoptr(GHashTable) fields = _ladle_http_form_fields (parameters, error);
      char *encoded;

      if (fields == NULL)
        return NULL;
      encoded = soup_form_encode_hash (fields);
      *body = g_bytes_new_take (encoded, strlen (encoded));
      content_type = SOUP_FORM_MIME_TYPE_URLENCODED;
    }
  else if (has_parameters (parameters))
    {
      *body = _ladle_http_json_encode (parameters);
      content_type = "application/json";
    }

  uri = with_query (resolved, query);
  message = soup_message_new_from_uri (method, uri);
  add_default_headers (self, message);
  if (content_type != NULL)
    soup_message_headers_set_content_type (soup_message_get_request_headers (message),
                                           content_type, NULL);

  return g_steal_pointer (&message);
}

/* Responses */

static void
request_waited (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) gtask = user_data;
  g_autoptr(GError) error = NULL;
  Request *request = g_task_get_task_data (gtask);
  LadleTask *task = LADLE_TASK (source);
  gboolean succeeded;
  JsonNode *node;

  succeeded = ladle_task_wait_finish (task, result, &error);

  /* Whatever happened, a response that arrived stays reachable. */
  if (ladle_task_get_status_code (task) != SOUP_STATUS_NONE)
    {
      g_autoptr(GBytes) body = ladle_data_task_dup_body (LADLE_DATA_TASK (task));

      request->response = _ladle_http_response_new (task, body);
    }

  if (!succeeded)
    {
      g_task_return_error (gtask, g_steal_pointer (&error));
      return;
    }

  node = _ladle_http_parse_response (request->statuses, (const char * const *)request->content_types,
                                     request->response, &error);
  if (node == NULL)
    g_task_return_error (gtask, g_steal_pointer (&error));
  else
    g_task_return_pointer (gtask, node, (GDestroyNotify)json_node_unref);
}

static gboolean
request_start_cb (gpointer user_data)
{
  GTask *gtask = user_data;
  Request *request = g_task_get_task_data (gtask);

  g_clear_pointer (&request->start_source, g_source_unref);
  g_signal_emit (g_task_get_source_object (gtask), signals[TASK_CREATED], 0, request->task);
  ladle_task_resume (request->task);

  return G_SOURCE_REMOVE;
}

static void
start_request (LadleHttpClient     *self,
               GTask               *gtask,
               const char          *method,
               const char          *path,
               JsonNode            *parameters,
               LadleMultipartForm  *form,
               GCancellable        *cancellable)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  Request *request;

  g_task_set_check_cancellable (gtask, FALSE);

  request = g_new0 (Request, 1);
  if (self->statuses != NULL)
    request->statuses = g_array_copy (self->statuses);
  request->content_types = g_strdupv (self->content_types);
  g_task_set_task_data (gtask, request, request_free);

  message = build_message (self, method, path, form != NULL ? NULL : parameters, &body, &error);
  if (message == NULL)
    {
      g_task_return_error (gtask, g_steal_pointer (&error));
      return;
    }

  if (form != NULL)
    request->task = LADLE_TASK (ladle_session_create_upload_task_from_form (self->session, message, form));
  else if (body != NULL)
    request->task = LADLE_TASK (ladle_session_create_upload_task_from_bytes (self->session, message, body));
  else
    request->task = LADLE_TASK (ladle_session_create_data_task (self->session, message));

  /* The task's own copy; without one it uses the session's, as any task. */
  if (self->retry_policy != NULL)
    ladle_task_set_retry_policy (request->task, self->retry_policy);

  {
    g_autofree char *uri = g_uri_to_string_partial (soup_message_get_uri (message),
                                                    G_URI_HIDE_USERINFO | G_URI_HIDE_AUTH_PARAMS);
    g_autofree char *description = g_strdup_printf ("%s %s", method, uri);

    ladle_task_set_description (request->task, description);
  }

  ladle_task_wait_async (request->task, cancellable, request_waited, g_object_ref (gtask));

  /* ::task-created and the start come from the main loop, never from inside this call. */
  request->start_source = g_idle_source_new ();
  g_source_set_static_name (request->start_source, "[ladle] http client request");
  g_source_set_callback (request->start_source, request_start_cb, g_object_ref (gtask), g_object_unref);
  g_source_attach (request->start_source, g_task_get_context (gtask));
}

/**
 * ladle_http_client_request_async:
 * @self: a client
 * @method: the HTTP method, such as `GET` or `POST`
 * @path: the path, resolved against [property@Ladle.HttpClient:base-uri]
 * @parameters: (nullable): the parameters, usually a JSON object
 * @cancellable: (nullable): a #GCancellable; cancelling it cancels the task
 * @callback: (scope async): called when the request has completed
 * @user_data: data for @callback
 *
 * Sends a request and decodes its JSON response. See the class description for how @path is
 * resolved, where @parameters go and how the response is checked.
 *
 * The task is announced by [signal@Ladle.HttpClient::task-created] before it starts.
 *
 * Since: 0.2
 */
void
ladle_http_client_request_async (LadleHttpClient     *self,
                                 const char          *method,
                                 const char          *path,
                                 JsonNode            *parameters,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;

  g_return_if_fail (LADLE_IS_HTTP_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  gtask = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (gtask, ladle_http_client_request_async);
  g_task_set_name (gtask, "[ladle] ladle_http_client_request_async");
  start_request (self, gtask, method, path, parameters, NULL, cancellable);
}

/**
 * ladle_http_client_request_finish:
 * @self: a client
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Finishes [method@Ladle.HttpClient.request_async]. On %LADLE_ERROR_UNACCEPTABLE_STATUS,
 * %LADLE_ERROR_UNACCEPTABLE_CONTENT_TYPE or %LADLE_ERROR_INVALID_JSON, the response is
 * reachable with [method@Ladle.HttpClient.dup_response].
 *
 * Returns: (transfer full): the decoded body (a JSON null node for an empty body), or %NULL
 *   with @error set
 *
 * Since: 0.2
 */
JsonNode *
ladle_http_client_request_finish (LadleHttpClient  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_http_client_request_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * ladle_http_client_upload_form_async:
 * @self: a client
 * @method: the HTTP method, usually `POST` or `PUT`
 * @path: the path, resolved against [property@Ladle.HttpClient:base-uri]
 * @form: the form to send; it is read lazily, its files opened when reached
 * @cancellable: (nullable): a #GCancellable; cancelling it cancels the task
 * @callback: (scope async): called when the request has completed
 * @user_data: data for @callback
 *
 * Sends @form as a `multipart/form-data` body (a [class@Ladle.UploadTask] made with
 * [method@Ladle.Session.create_upload_task_from_form]: files are never read into memory, and
 * the body is made again for a 307 or 308 redirect or an authentication retry) and decodes
 * the JSON response as [method@Ladle.HttpClient.request_async] does.
 *
 * Upload progress is the task's [signal@Ladle.Task::upload-progress]: connect to it from
 * [signal@Ladle.HttpClient::task-created].
 *
 * Since: 0.2
 */
void
ladle_http_client_upload_form_async (LadleHttpClient     *self,
                                     const char          *method,
                                     const char          *path,
                                     LadleMultipartForm  *form,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;

  g_return_if_fail (LADLE_IS_HTTP_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL);
  g_return_if_fail (LADLE_IS_MULTIPART_FORM (form));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  gtask = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (gtask, ladle_http_client_upload_form_async);
  g_task_set_name (gtask, "[ladle] ladle_http_client_upload_form_async");
  start_request (self, gtask, method, path, NULL, form, cancellable);
}

/**
 * ladle_http_client_upload_form_finish:
 * @self: a client
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Finishes [method@Ladle.HttpClient.upload_form_async].
 *
 * Returns: (transfer full): the decoded body (a JSON null node for an empty body), or %NULL
 *   with @error set
 *
 * Since: 0.2
 */
JsonNode *
ladle_http_client_upload_form_finish (LadleHttpClient  *self,
                                      GAsyncResult     *result,
                                      GError          **error)
{
  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_http_client_upload_form_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * ladle_http_client_dup_response:
 * @self: a client
 * @result: the result of [method@Ladle.HttpClient.request_async] or
 *   [method@Ladle.HttpClient.upload_form_async], as given to the callback
 *
 * Gets the final response of a request, whether the client accepted it or not: for a request
 * that failed with %LADLE_ERROR_UNACCEPTABLE_STATUS, %LADLE_ERROR_UNACCEPTABLE_CONTENT_TYPE or
 * %LADLE_ERROR_INVALID_JSON, its status, headers and body. May be called before or after the
 * `_finish` call.
 *
 * Returns: (transfer full) (nullable): the response, or %NULL when none arrived (a transport
 *   error, a cancellation before the headers, parameters that could not be encoded)
 *
 * Since: 0.2
 */
LadleHttpResponse *
ladle_http_client_dup_response (LadleHttpClient *self,
                                GAsyncResult    *result)
{
  Request *request;

  g_return_val_if_fail (LADLE_IS_HTTP_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_http_client_request_async ||
                        g_task_get_source_tag (G_TASK (result)) == ladle_http_client_upload_form_async,
                        NULL);

  request = g_task_get_task_data (G_TASK (result));

  return request != NULL && request->response != NULL ? g_object_ref (request->response) : NULL;
}
