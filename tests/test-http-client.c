/* test-http-client.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleHttpClient against the in-process test server with a small JSON handler of its own at
 * /api: defaults and properties, media-type matching, where each serializer puts parameters,
 * parameters that cannot be encoded, every validation error with its response, empty bodies,
 * credentials kept to the base origin, cancellation and transport errors, retries by the client's
 * retry-policy (the test server's /flaky?json=1) or the session's. (The same against real
 * servers, PHP and nginx, is in tests/integration/.)
 *
 * /api answers by its query: status=CODE (200), type=MEDIA or "none" (application/json),
 * body=TEXT (verbatim); else a JSON report {"method", "query", "content_type", "body",
 * "authorization", "path"}.
 */

#include <glib/gstdio.h>
#include <ladle.h>
#include <string.h>

#include "ladle-test.h"

typedef struct
{
  LadleTestServer *server;
  LadleSession    *session;
  LadleHttpClient *client;
} Fixture;

static void
api_handler (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  const char *status = query != NULL ? g_hash_table_lookup (query, "status") : NULL;
  const char *type = query != NULL ? g_hash_table_lookup (query, "type") : NULL;
  const char *body = query != NULL ? g_hash_table_lookup (query, "body") : NULL;
  guint code = status != NULL ? (guint)g_ascii_strtoull (status, NULL, 10) : SOUP_STATUS_OK;
  g_autoptr(GBytes) request_body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *report = NULL;

  if (type == NULL)
    type = "application/json";
  if (body == NULL)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *raw = g_strndup (g_bytes_get_data (request_body, NULL),
                                        g_bytes_get_size (request_body));
      const char *query_string = g_uri_get_query (soup_server_message_get_uri (msg));
      const char *authorization = soup_message_headers_get_one (request_headers, "Authorization");
      const char *content_type = soup_message_headers_get_one (request_headers, "Content-Type");

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "method");
      json_builder_add_string_value (builder, soup_server_message_get_method (msg));
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, path);
      json_builder_set_member_name (builder, "query");
      json_builder_add_string_value (builder, query_string != NULL ? query_string : "");
      json_builder_set_member_name (builder, "content_type");
      json_builder_add_string_value (builder, content_type != NULL ? content_type : "");
      json_builder_set_member_name (builder, "body");
      json_builder_add_string_value (builder, raw);
      json_builder_set_member_name (builder, "authorization");
      json_builder_add_string_value (builder, authorization != NULL ? authorization : "");
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      report = json_to_string (root, FALSE);
      body = report;
    }

  soup_server_message_set_status (msg, code, NULL);
  if (code == SOUP_STATUS_NO_CONTENT)
    return;
  if (g_str_equal (type, "none"))
    soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_COPY,
                              body, strlen (body));
  else
    soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, strlen (body));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *base = NULL;
  g_autoptr(GUri) base_uri = NULL;

  fixture->server = ladle_test_server_new ();
  soup_server_add_handler (ladle_test_server_get_soup_server (fixture->server), "/api",
                           api_handler, NULL, NULL);
  fixture->session = ladle_test_session_new ();
  base = ladle_test_server_dup_uri (fixture->server, "/api/");
  base_uri = g_uri_parse (base, G_URI_FLAGS_NONE, NULL);
  fixture->client = ladle_http_client_new (base_uri, fixture->session);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->session);
  g_clear_pointer (&fixture->server, ladle_test_server_free);
}

typedef struct
{
  gboolean           done;
  JsonNode          *node;
  GError            *error;
  LadleHttpResponse *response;
  guint              n_created;
  LadleTaskState     created_state;
} Call;

static void
call_clear (Call *call)
{
  g_clear_pointer (&call->node, json_node_unref);
  g_clear_error (&call->error);
  g_clear_object (&call->response);
  memset (call, 0, sizeof *call);
}

static void
request_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Call *call = user_data;

  g_assert_false (call->done);
  call->node = ladle_http_client_request_finish (LADLE_HTTP_CLIENT (source), result, &call->error);
  call->response = ladle_http_client_dup_response (LADLE_HTTP_CLIENT (source), result);
  g_assert_true ((call->node == NULL) == (call->error != NULL));
  call->done = TRUE;
}

static void
on_task_created (LadleHttpClient *client,
                 LadleTask       *task,
                 gpointer         user_data)
{
  Call *call = user_data;

  call->n_created++;
  call->created_state = ladle_task_get_state (task);
}

static void
call_run (Fixture    *fixture,
          Call       *call,
          const char *method,
          const char *path,
          const char *parameters_json)
{
  g_autoptr(JsonNode) parameters = parameters_json != NULL ? json_from_string (parameters_json, NULL) : NULL;
  gulong id = g_signal_connect (fixture->client, "task-created", G_CALLBACK (on_task_created), call);

  g_assert_true (parameters_json == NULL || parameters != NULL);
  ladle_http_client_request_async (fixture->client, method, path, parameters, NULL, request_cb, call);
  /* nothing from inside the call */
  g_assert_false (call->done);
  g_assert_cmpuint (call->n_created, ==, 0);
  ladle_test_wait_for_flag (&call->done, 30, "the request");
  g_signal_handler_disconnect (fixture->client, id);
}

static const char *
member (JsonNode   *node,
        const char *name)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_get_string_member (json_node_get_object (node), name);
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  (*(guint *)user_data)++;
}

static void
test_defaults (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(LadleHttpClient) own = ladle_http_client_new (NULL, NULL);
  const char * const *types = ladle_http_client_get_acceptable_content_types (fixture->client);
  const char * const expected_types[] = { "application/json", "text/json", "text/javascript",
                                          "application/*+json", NULL };
  g_autofree guint *codes = NULL;
  g_autoptr(GUri) other = g_uri_parse ("http://127.0.0.1:1/x/", G_URI_FLAGS_NONE, NULL);
  g_autoptr(GUri) same = g_uri_parse ("http://127.0.0.1:1/x/", G_URI_FLAGS_NONE, NULL);
  gsize n_codes;
  guint n_notify = 0;

  g_assert_true (LADLE_IS_SESSION (ladle_http_client_get_session (own)));
  g_assert_null (ladle_http_client_get_base_uri (own));
  g_assert_true (ladle_http_client_get_session (fixture->client) == fixture->session);
  g_assert_cmpint (ladle_http_client_get_request_serializer (fixture->client), ==, LADLE_REQUEST_SERIALIZER_JSON);
  g_assert_true (g_strv_equal (types, expected_types));

  codes = ladle_http_client_dup_acceptable_status_codes (fixture->client, &n_codes);
  g_assert_cmpuint (n_codes, ==, 100);
  g_assert_cmpuint (codes[0], ==, 200);
  g_assert_cmpuint (codes[99], ==, 299);
  g_assert_false (ladle_http_client_is_acceptable_status (fixture->client, 199));
  g_assert_false (ladle_http_client_is_acceptable_status (fixture->client, 300));

  g_signal_connect (own, "notify", G_CALLBACK (on_notify), &n_notify);
  ladle_http_client_set_base_uri (own, other);
  ladle_http_client_set_base_uri (own, same);   /* the same URI: no notification */
  ladle_http_client_set_request_serializer (own, LADLE_REQUEST_SERIALIZER_FORM);
  ladle_http_client_set_request_serializer (own, LADLE_REQUEST_SERIALIZER_FORM);
  ladle_http_client_set_acceptable_content_types (own, expected_types);
  ladle_http_client_set_acceptable_content_types (own, NULL);
  ladle_http_client_set_acceptable_content_types (own, NULL);
  g_assert_cmpuint (n_notify, ==, 3);
  g_assert_null (ladle_http_client_get_acceptable_content_types (own));

  ladle_http_client_set_default_header (own, "X-One", "1");
  g_assert_cmpstr (ladle_http_client_get_default_header (own, "x-one"), ==, "1");
  ladle_http_client_set_default_header (own, "X-One", NULL);
  g_assert_null (ladle_http_client_get_default_header (own, "X-One"));
}

static void
test_content_types (Fixture       *fixture,
                    gconstpointer  user_data)
{
  static const struct { const char *type; gboolean accepted; } cases[] = {
    { "application/json", TRUE },
    { "APPLICATION/JSON", TRUE },
    { "application/json; charset=utf-8", TRUE },
    { " application/json ;charset=utf-8", TRUE },
    { "text/json", TRUE },
    { "text/javascript", TRUE },
    { "application/problem+json", TRUE },
    { "application/vnd.API+JSON; ext=x", TRUE },
    { "application/+json", FALSE },
    { "application/jsonp", FALSE },
    { "application/json-seq", FALSE },
    { "text/plain", FALSE },
    { "text/problem+json", FALSE },
    { "json", FALSE },
    { "", FALSE },
    { NULL, FALSE },
  };
  const char * const wildcards[] = { "image/*", "*/*+xml", NULL };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (ladle_http_client_is_acceptable_content_type (fixture->client, cases[i].type),
                     ==, cases[i].accepted);

  ladle_http_client_set_acceptable_content_types (fixture->client, wildcards);
  g_assert_true (ladle_http_client_is_acceptable_content_type (fixture->client, "image/png"));
  g_assert_true (ladle_http_client_is_acceptable_content_type (fixture->client, "application/atom+xml"));
  g_assert_false (ladle_http_client_is_acceptable_content_type (fixture->client, "application/json"));
  ladle_http_client_set_acceptable_content_types (fixture->client, NULL);
  g_assert_true (ladle_http_client_is_acceptable_content_type (fixture->client, NULL));
}

static void
assert_form (const char *encoded,
             guint       n_fields,
             ...)
{
  g_autoptr(GHashTable) fields = soup_form_decode (encoded);
  va_list args;

  g_assert_cmpuint (g_hash_table_size (fields), ==, n_fields);
  va_start (args, n_fields);
  for (guint i = 0; i < n_fields; i++)
    {
      const char *name = va_arg (args, const char *);
      const char *value = va_arg (args, const char *);

      g_assert_cmpstr (g_hash_table_lookup (fields, name), ==, value);
    }
  va_end (args);
}

#define PARAMS "{\"s\": \"a b&c=d/é\", \"i\": -42, \"d\": 0.25, \"t\": true, \"f\": false}"

static void
test_query (Fixture       *fixture,
            gconstpointer  user_data)
{
  const char *methods[] = { "GET", "DELETE" };
  Call call = { 0 };

  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      call_run (fixture, &call, methods[i], "items", PARAMS);
      g_assert_no_error (call.error);
      g_assert_cmpuint (call.n_created, ==, 1);
      g_assert_cmpint (call.created_state, ==, LADLE_TASK_STATE_SUSPENDED);
      g_assert_cmpstr (member (call.node, "method"), ==, methods[i]);
      g_assert_cmpstr (member (call.node, "path"), ==, "/api/items");
      g_assert_cmpstr (member (call.node, "body"), ==, "");
      assert_form (member (call.node, "query"), 5, "s", "a b&c=d/é", "i", "-42", "d", "0.25",
                   "t", "true", "f", "false");
      call_clear (&call);
    }

  /* a query already in the path is kept */
  call_run (fixture, &call, "GET", "items?keep=yes", "{\"more\": \"1\"}");
  g_assert_no_error (call.error);
  assert_form (member (call.node, "query"), 2, "keep", "yes", "more", "1");
  call_clear (&call);

  /* no parameters, NULL or JSON null: no query */
  call_run (fixture, &call, "GET", "items", "null");
  g_assert_no_error (call.error);
  g_assert_cmpstr (member (call.node, "query"), ==, "");
  call_clear (&call);

  /* HEAD: no body, a null node */
  call_run (fixture, &call, "HEAD", "items", PARAMS);
  g_assert_no_error (call.error);
  g_assert_true (JSON_NODE_HOLDS_NULL (call.node));
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 200);
  call_clear (&call);
}

static void
test_bodies (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(JsonNode) sent = json_from_string ("{\"nested\": {\"list\": [1, \"x\", null]}, \"é\": 1.5}", NULL);
  g_autoptr(JsonNode) echoed = NULL;
  Call call = { 0 };

  /* JSON (the default): any JSON value, by json-glib */
  call_run (fixture, &call, "POST", "json", "{\"nested\": {\"list\": [1, \"x\", null]}, \"é\": 1.5}");
  g_assert_no_error (call.error);
  g_assert_cmpstr (member (call.node, "content_type"), ==, "application/json");
  echoed = json_from_string (member (call.node, "body"), NULL);
  g_assert_true (json_node_equal (echoed, sent));
  g_assert_cmpstr (member (call.node, "query"), ==, "");
  call_clear (&call);

  call_run (fixture, &call, "PATCH", "json", "[1, 2]");
  g_assert_no_error (call.error);
  g_assert_cmpstr (member (call.node, "body"), ==, "[1,2]");
  call_clear (&call);

  /* FORM */
  ladle_http_client_set_request_serializer (fixture->client, LADLE_REQUEST_SERIALIZER_FORM);
  call_run (fixture, &call, "PUT", "form", PARAMS);
  g_assert_no_error (call.error);
  g_assert_cmpstr (member (call.node, "content_type"), ==, "application/x-www-form-urlencoded");
  assert_form (member (call.node, "body"), 5, "s", "a b&c=d/é", "i", "-42", "d", "0.25",
               "t", "true", "f", "false");
  call_clear (&call);

  /* QUERY: in the query whatever the method, no body */
  ladle_http_client_set_request_serializer (fixture->client, LADLE_REQUEST_SERIALIZER_QUERY);
  call_run (fixture, &call, "POST", "query", PARAMS);
  g_assert_no_error (call.error);
  g_assert_cmpstr (member (call.node, "body"), ==, "");
  g_assert_cmpstr (member (call.node, "content_type"), ==, "");
  assert_form (member (call.node, "query"), 5, "s", "a b&c=d/é", "i", "-42", "d", "0.25",
               "t", "true", "f", "false");
  call_clear (&call);
}

static void
test_cannot_encode (Fixture       *fixture,
                    gconstpointer  user_data)
{
  static const struct { LadleRequestSerializer serializer; const char *method; const char *json; } cases[] = {
    { LADLE_REQUEST_SERIALIZER_JSON, "GET", "{\"o\": {\"a\": 1}}" },
    { LADLE_REQUEST_SERIALIZER_JSON, "DELETE", "{\"l\": [1]}" },
    { LADLE_REQUEST_SERIALIZER_JSON, "GET", "{\"n\": null}" },
    { LADLE_REQUEST_SERIALIZER_JSON, "GET", "[1, 2]" },
    { LADLE_REQUEST_SERIALIZER_JSON, "GET", "\"text\"" },
    { LADLE_REQUEST_SERIALIZER_FORM, "POST", "{\"o\": {}}" },
    { LADLE_REQUEST_SERIALIZER_QUERY, "POST", "{\"l\": []}" },
  };
  Call call = { 0 };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ladle_http_client_set_request_serializer (fixture->client, cases[i].serializer);
      call_run (fixture, &call, cases[i].method, "x", cases[i].json);
      g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST);
      g_assert_null (call.response);
      g_assert_cmpuint (call.n_created, ==, 0);
      call_clear (&call);
    }

  /* paths that do not resolve to http or https */
  call_run (fixture, &call, "GET", "file:///etc/passwd", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST);
  call_clear (&call);
  ladle_http_client_set_base_uri (fixture->client, NULL);
  call_run (fixture, &call, "GET", "relative", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST);
  call_clear (&call);

  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 0);
}

static void
assert_body (LadleHttpResponse *response,
             const char        *expected)
{
  gsize length;
  const char *data = g_bytes_get_data (ladle_http_response_get_body (response), &length);

  g_assert_cmpmem (data, length, expected, strlen (expected));
}

static void
test_validation (Fixture       *fixture,
                 gconstpointer  user_data)
{
  guint codes[] = { 200, 404 };
  Call call = { 0 };

  call_run (fixture, &call, "GET", "x?status=500&body=%7B%22e%22%3A1%7D", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 500);
  g_assert_cmpstr (ladle_http_response_get_reason_phrase (call.response), ==, "Internal Server Error");
  g_assert_cmpstr (ladle_http_response_get_content_type (call.response), ==, "application/json");
  assert_body (call.response, "{\"e\":1}");
  g_assert_cmpstr (g_uri_get_path (ladle_http_response_get_uri (call.response)), ==, "/api/x");
  g_assert_true (LADLE_IS_DATA_TASK (ladle_http_response_get_task (call.response)));
  /* the status comes first, even when the content type is wrong too */
  call_clear (&call);
  call_run (fixture, &call, "GET", "x?status=404&type=text/html&body=nope", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  call_clear (&call);

  ladle_http_client_set_acceptable_status_codes (fixture->client, codes, G_N_ELEMENTS (codes));
  call_run (fixture, &call, "GET", "x?status=404&body=%5B%5D", NULL);
  g_assert_no_error (call.error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (call.node));
  call_clear (&call);
  call_run (fixture, &call, "GET", "x?status=201", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  call_clear (&call);
  ladle_http_client_set_acceptable_status_codes (fixture->client, NULL, 0);
  call_run (fixture, &call, "GET", "x?status=503", NULL);
  g_assert_no_error (call.error);
  call_clear (&call);

  call_run (fixture, &call, "GET", "x?type=text/plain&body=hello", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_CONTENT_TYPE);
  g_assert_cmpstr (ladle_http_response_get_content_type (call.response), ==, "text/plain");
  assert_body (call.response, "hello");
  call_clear (&call);

  /* a body without a Content-Type */
  call_run (fixture, &call, "GET", "x?type=none&body=%7B%7D", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_CONTENT_TYPE);
  g_assert_null (ladle_http_response_get_content_type (call.response));
  call_clear (&call);

  call_run (fixture, &call, "GET", "x?body=%7B%22a%22%3A", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_INVALID_JSON);
  assert_body (call.response, "{\"a\":");
  call_clear (&call);

  /* empty bodies are a null node, whatever their type */
  call_run (fixture, &call, "DELETE", "x?status=204", NULL);
  g_assert_no_error (call.error);
  g_assert_true (JSON_NODE_HOLDS_NULL (call.node));
  g_assert_cmpuint (g_bytes_get_size (ladle_http_response_get_body (call.response)), ==, 0);
  call_clear (&call);
  call_run (fixture, &call, "GET", "x?type=text/html&body=", NULL);
  g_assert_no_error (call.error);
  g_assert_true (JSON_NODE_HOLDS_NULL (call.node));
  call_clear (&call);
}

static void
test_credentials (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *other_origin = ladle_test_server_dup_uri_for_host (fixture->server, "localhost", "/api/x");
  Call call = { 0 };

  ladle_http_client_set_default_header (fixture->client, "Authorization", "Bearer secret");
  call_run (fixture, &call, "GET", "x", NULL);
  g_assert_no_error (call.error);
  g_assert_cmpstr (member (call.node, "authorization"), ==, "Bearer secret");
  call_clear (&call);

  /* localhost is another origin than 127.0.0.1 */
  call_run (fixture, &call, "GET", other_origin, NULL);
  g_assert_no_error (call.error);
  g_assert_cmpstr (member (call.node, "authorization"), ==, "");
  call_clear (&call);
}

static void
test_cancel_and_transport (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *held = ladle_test_server_dup_uri (fixture->server, "/hold");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Call call = { 0 };

  ladle_http_client_request_async (fixture->client, "GET", held, NULL, cancellable, request_cb, &call);
  ladle_test_server_wait_for_held (fixture->server);
  g_cancellable_cancel (cancellable);
  ladle_test_wait_for_flag (&call.done, 30, "the cancelled request");
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (call.response);
  ladle_test_server_release (fixture->server);
  call_clear (&call);

  call_run (fixture, &call, "GET", "http://127.0.0.1:1/nothing", NULL);
  g_assert_nonnull (call.error);
  g_assert_false (call.error->domain == LADLE_ERROR);
  g_assert_null (call.response);
  call_clear (&call);
}

/* Retries */

/* What a request's task did about retries, recorded from ::task-created. */
typedef struct
{
  LadleTask *task;
  guint      policy_attempts;   /* the task's own policy when it was announced; 0: none */
  gboolean   veto;
  guint      n_retries;
  guint      attempts[4];
  guint      delays[4];
  gint64     retry_times[4];
} Retries;

static void
retries_clear (Retries *retries)
{
  g_clear_object (&retries->task);
  memset (retries, 0, sizeof *retries);
}

static gboolean
on_will_retry (LadleTask    *task,
               guint         attempt,
               guint         delay_ms,
               const GError *why,
               Retries      *retries)
{
  g_assert_error (why, LADLE_ERROR, LADLE_ERROR_RETRIED_STATUS);
  if (retries->n_retries < G_N_ELEMENTS (retries->attempts))
    {
      retries->attempts[retries->n_retries] = attempt;
      retries->delays[retries->n_retries] = delay_ms;
      retries->retry_times[retries->n_retries] = g_get_monotonic_time ();
    }
  retries->n_retries++;

  return !retries->veto;
}

static void
on_task_created_retries (LadleHttpClient *client,
                         LadleTask       *task,
                         Retries         *retries)
{
  g_autoptr(LadleRetryPolicy) policy = ladle_task_dup_retry_policy (task);

  g_assert_null (retries->task);
  retries->task = g_object_ref (task);
  retries->policy_attempts = policy != NULL ? ladle_retry_policy_get_max_attempts (policy) : 0;
  g_signal_connect (task, "will-retry", G_CALLBACK (on_will_retry), retries);
}

/* The requests the server read for @path_and_query. */
static guint
count_requests (Fixture    *fixture,
                const char *path_and_query)
{
  GPtrArray *requests = ladle_test_server_get_requests (fixture->server);
  g_autofree char *path = g_strdup (path_and_query);
  char *query = strchr (path, '?');
  guint n = 0;

  if (query != NULL)
    *query++ = '\0';
  for (guint i = 0; i < requests->len; i++)
    {
      LadleTestRequest *request = g_ptr_array_index (requests, i);

      if (g_str_equal (request->path, path) && g_strcmp0 (request->query, query) == 0)
        n++;
    }

  return n;
}

/* A policy that retries at once (no jitter) unless the server asks for a delay. */
static LadleRetryPolicy *
quick_policy (guint    max_attempts,
              gboolean non_idempotent)
{
  LadleRetryPolicy *policy = ladle_retry_policy_new_backoff (max_attempts, 10, 5000);

  ladle_retry_policy_set_jitter (policy, 0.0);
  ladle_retry_policy_set_retry_non_idempotent (policy, non_idempotent);

  return policy;
}

static void
test_retry_policy_property (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(LadleRetryPolicy) policy = quick_policy (3, FALSE);
  g_autoptr(LadleRetryPolicy) got = NULL;
  g_autoptr(LadleRetryPolicy) from_property = NULL;
  guint n_notify = 0;

  g_assert_null (ladle_http_client_dup_retry_policy (fixture->client));
  g_object_get (fixture->client, "retry-policy", &from_property, NULL);
  g_assert_null (from_property);

  g_signal_connect (fixture->client, "notify::retry-policy", G_CALLBACK (on_notify), &n_notify);
  ladle_http_client_set_retry_policy (fixture->client, NULL);   /* nothing changes */
  g_assert_cmpuint (n_notify, ==, 0);
  ladle_http_client_set_retry_policy (fixture->client, policy);
  g_assert_cmpuint (n_notify, ==, 1);

  /* a copy, both ways: later changes to @policy or to what dup returned do not reach the client */
  ladle_retry_policy_set_max_attempts (policy, 7);
  got = ladle_http_client_dup_retry_policy (fixture->client);
  g_assert_true (got != policy);
  g_assert_cmpuint (ladle_retry_policy_get_max_attempts (got), ==, 3);
  g_assert_cmpuint (ladle_retry_policy_get_initial_delay (got), ==, 10);
  ladle_retry_policy_set_max_attempts (got, 9);
  g_clear_object (&got);
  g_object_get (fixture->client, "retry-policy", &from_property, NULL);
  g_assert_cmpuint (ladle_retry_policy_get_max_attempts (from_property), ==, 3);
  g_clear_object (&from_property);

  g_object_set (fixture->client, "retry-policy", policy, NULL);
  g_assert_cmpuint (n_notify, ==, 2);
  got = ladle_http_client_dup_retry_policy (fixture->client);
  g_assert_cmpuint (ladle_retry_policy_get_max_attempts (got), ==, 7);
  ladle_http_client_set_retry_policy (fixture->client, NULL);
  g_assert_cmpuint (n_notify, ==, 3);
  g_assert_null (ladle_http_client_dup_retry_policy (fixture->client));
}

/* 503 with Retry-After: 1 twice, then 200 with JSON: the decoded body, three requests, the
 * delays honoured; the task's policy is a copy that later changes do not reach. */
static void
test_retry_get (Fixture       *fixture,
                gconstpointer  user_data)
{
  const char *path = "/flaky?fail=2&retry-after=1&json=1";
  g_autoptr(LadleRetryPolicy) policy = quick_policy (4, FALSE);
  g_autoptr(LadleRetryPolicy) off = quick_policy (1, FALSE);
  g_autoptr(LadleTaskMetrics) metrics = NULL;
  g_autoptr(GPtrArray) transactions = NULL;
  Retries retries = { 0 };
  Call call = { 0 };
  gint64 started;

  ladle_http_client_set_retry_policy (fixture->client, policy);
  g_signal_connect (fixture->client, "task-created", G_CALLBACK (on_task_created_retries), &retries);
  started = g_get_monotonic_time ();
  ladle_http_client_request_async (fixture->client, "GET", path, NULL, NULL, request_cb, &call);
  /* neither changing the policy object nor replacing the client's reaches the request made */
  ladle_retry_policy_set_max_attempts (policy, 1);
  ladle_http_client_set_retry_policy (fixture->client, off);
  ladle_test_wait_for_flag (&call.done, 30, "the retried request");

  g_assert_no_error (call.error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (call.node));
  g_assert_true (json_object_get_boolean_member (json_node_get_object (call.node), "ok"));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (call.node)), ==, 1);
  g_assert_cmpuint (retries.policy_attempts, ==, 4);
  g_assert_cmpuint (count_requests (fixture, path), ==, 3);
  g_assert_cmpuint (retries.n_retries, ==, 2);
  g_assert_cmpuint (retries.attempts[0], ==, 2);
  g_assert_cmpuint (retries.attempts[1], ==, 3);
  g_assert_cmpuint (retries.delays[0], ==, 1000);
  g_assert_cmpuint (retries.delays[1], ==, 1000);
  g_assert_cmpint (retries.retry_times[1] - retries.retry_times[0], >=, 990 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 1980 * 1000);

  /* the response is the last attempt's */
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 200);
  g_assert_cmpstr (ladle_http_response_get_content_type (call.response), ==, "application/json");
  assert_body (call.response, "{\"ok\":true}");
  g_assert_null (soup_message_headers_get_one (ladle_http_response_get_headers (call.response), "Retry-After"));
  g_assert_true (ladle_http_response_get_task (call.response) == retries.task);
  metrics = ladle_task_dup_metrics (retries.task);
  transactions = ladle_task_metrics_dup_transaction_list (metrics);
  g_assert_cmpuint (transactions->len, ==, 3);
  call_clear (&call);
  retries_clear (&retries);

  /* the replaced policy (one attempt) applies to the next request: a 503 fails it */
  call_run (fixture, &call, "GET", "/flaky?fail=1&json=1&key=off", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 503);
  g_assert_cmpuint (retries.n_retries, ==, 0);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=1&json=1&key=off"), ==, 1);
  call_clear (&call);
  retries_clear (&retries);

  /* attempts exhausted: the last attempt's 503 is validated, and it is the response */
  ladle_http_client_set_retry_policy (fixture->client, NULL);
  g_clear_object (&policy);
  policy = quick_policy (2, FALSE);
  ladle_http_client_set_retry_policy (fixture->client, policy);
  call_run (fixture, &call, "GET", "/flaky?fail=5&json=1", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 503);
  assert_body (call.response, "flaky");
  g_assert_cmpuint (retries.n_retries, ==, 1);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=5&json=1"), ==, 2);
  call_clear (&call);
  retries_clear (&retries);
}

static void
upload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;

  g_assert_false (call->done);
  call->node = ladle_http_client_upload_form_finish (LADLE_HTTP_CLIENT (source), result, &call->error);
  call->response = ladle_http_client_dup_response (LADLE_HTTP_CLIENT (source), result);
  g_assert_true ((call->node == NULL) == (call->error != NULL));
  call->done = TRUE;
}

static LadleMultipartForm *
small_form (GFile *file)
{
  LadleMultipartForm *form = ladle_multipart_form_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (ladle_multipart_form_append_text (form, "title", "retried", &error));
  g_assert_true (ladle_multipart_form_append_file (form, "file", file, NULL, "application/octet-stream",
                                                   NULL, &error));
  g_assert_no_error (error);

  return form;
}

/* The requests for @path_and_query all carried the same body of @length bytes. */
static void
assert_same_bodies (Fixture    *fixture,
                    const char *path_and_query,
                    gint64      length)
{
  GPtrArray *requests = ladle_test_server_get_requests (fixture->server);
  const char *first = NULL;
  const char *query = strchr (path_and_query, '?') + 1;

  for (guint i = 0; i < requests->len; i++)
    {
      LadleTestRequest *request = g_ptr_array_index (requests, i);

      if (g_strcmp0 (request->query, query) != 0)
        continue;
      g_assert_cmpint (request->content_length, ==, length);
      g_assert_cmpint (g_bytes_get_size (request->body), ==, length);
      if (first == NULL)
        first = request->sha256;
      g_assert_cmpstr (request->sha256, ==, first);
    }
  g_assert_nonnull (first);
}

/* A POST (a JSON body, a form) is sent once by default; with retry-non-idempotent it is
 * retried with the same body. */
static void
test_retry_post (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(LadleRetryPolicy) idempotent_only = quick_policy (4, FALSE);
  g_autoptr(LadleRetryPolicy) any_method = quick_policy (4, TRUE);
  g_autoptr(GBytes) content = ladle_test_content_new (0, 70000);
  g_autofree char *dir = g_dir_make_tmp ("ladle-http-client-XXXXXX", NULL);
  g_autofree char *file_path = g_build_filename (dir, "part.bin", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (file_path);
  g_autoptr(LadleMultipartForm) form = NULL;
  Retries retries = { 0 };
  Call call = { 0 };
  gint64 form_length;

  g_assert_true (g_file_set_contents (file_path, g_bytes_get_data (content, NULL), 70000, NULL));
  g_signal_connect (fixture->client, "task-created", G_CALLBACK (on_task_created_retries), &retries);
  ladle_http_client_set_retry_policy (fixture->client, idempotent_only);

  /* a JSON body, not retried: the 503 fails the request, and it is reachable */
  call_run (fixture, &call, "POST", "/flaky?fail=1&json=1&key=post", "{\"n\": 1}");
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 503);
  assert_body (call.response, "flaky");
  g_assert_true (LADLE_IS_UPLOAD_TASK (retries.task));
  g_assert_cmpuint (retries.n_retries, ==, 0);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=1&json=1&key=post"), ==, 1);
  call_clear (&call);
  retries_clear (&retries);

  /* PUT is idempotent: retried with its JSON body by the same policy */
  call_run (fixture, &call, "PUT", "/flaky?fail=1&json=1&key=put", "{\"n\": 1}");
  g_assert_no_error (call.error);
  g_assert_cmpuint (retries.n_retries, ==, 1);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=1&json=1&key=put"), ==, 2);
  assert_same_bodies (fixture, "/flaky?fail=1&json=1&key=put", strlen ("{\"n\":1}"));
  call_clear (&call);
  retries_clear (&retries);

  /* a form, not retried */
  form = small_form (file);
  ladle_http_client_upload_form_async (fixture->client, "POST", "/flaky?fail=1&json=1&key=form",
                                       form, NULL, upload_cb, &call);
  ladle_test_wait_for_flag (&call.done, 30, "the form upload");
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 503);
  g_assert_cmpuint (retries.n_retries, ==, 0);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=1&json=1&key=form"), ==, 1);
  call_clear (&call);
  retries_clear (&retries);
  g_clear_object (&form);

  /* the same with retry-non-idempotent: retried, the same bytes each time */
  ladle_http_client_set_retry_policy (fixture->client, any_method);
  call_run (fixture, &call, "POST", "/flaky?fail=2&json=1&key=post-any", "{\"n\": 1}");
  g_assert_no_error (call.error);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (call.node), "ok"));
  g_assert_cmpuint (retries.n_retries, ==, 2);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=2&json=1&key=post-any"), ==, 3);
  assert_same_bodies (fixture, "/flaky?fail=2&json=1&key=post-any", strlen ("{\"n\":1}"));
  call_clear (&call);
  retries_clear (&retries);

  form = small_form (file);
  form_length = ladle_multipart_form_get_content_length (form);
  ladle_http_client_upload_form_async (fixture->client, "POST", "/flaky?fail=1&json=1&key=form-any",
                                       form, NULL, upload_cb, &call);
  ladle_test_wait_for_flag (&call.done, 30, "the retried form upload");
  g_assert_no_error (call.error);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (call.node), "ok"));
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 200);
  g_assert_cmpuint (retries.n_retries, ==, 1);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=1&json=1&key=form-any"), ==, 2);
  assert_same_bodies (fixture, "/flaky?fail=1&json=1&key=form-any", form_length);
  call_clear (&call);
  retries_clear (&retries);

  g_assert_cmpint (g_unlink (file_path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* A ::will-retry handler on the client's task (from ::task-created) vetoes: one request, the
 * 503 validated. */
static void
test_retry_veto (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(LadleRetryPolicy) policy = quick_policy (4, FALSE);
  Retries retries = { .veto = TRUE };
  Call call = { 0 };

  ladle_http_client_set_retry_policy (fixture->client, policy);
  g_signal_connect (fixture->client, "task-created", G_CALLBACK (on_task_created_retries), &retries);
  call_run (fixture, &call, "GET", "/flaky?fail=2&json=1&key=veto", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 503);
  assert_body (call.response, "flaky");
  g_assert_cmpuint (retries.n_retries, ==, 1);
  g_assert_cmpuint (retries.attempts[0], ==, 2);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=2&json=1&key=veto"), ==, 1);
  call_clear (&call);
  retries_clear (&retries);
}

static gboolean
cancel_on_will_retry (LadleTask    *task,
                      guint         attempt,
                      guint         delay_ms,
                      const GError *why,
                      GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);

  return TRUE;
}

static void
on_task_created_cancel (LadleHttpClient *client,
                        LadleTask       *task,
                        GCancellable    *cancellable)
{
  g_signal_connect (task, "will-retry", G_CALLBACK (cancel_on_will_retry), cancellable);
}

/* Cancelling the request during a retry delay (30 s asked, 5 s allowed) ends it at once. */
static void
test_retry_cancel (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(LadleRetryPolicy) policy = quick_policy (4, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Call call = { 0 };
  gint64 started;

  ladle_http_client_set_retry_policy (fixture->client, policy);
  g_signal_connect (fixture->client, "task-created", G_CALLBACK (on_task_created_cancel), cancellable);
  started = g_get_monotonic_time ();
  ladle_http_client_request_async (fixture->client, "GET", "/flaky?fail=2&retry-after=30&json=1",
                                   NULL, cancellable, request_cb, &call);
  ladle_test_wait_for_flag (&call.done, 30, "the cancelled request");
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 4 * G_USEC_PER_SEC);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=2&retry-after=30&json=1"), ==, 1);
  call_clear (&call);
}

/* Without a client policy the session's applies; a client policy of one attempt turns it off. */
static void
test_retry_session_policy (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleRetryPolicy) session_policy = quick_policy (3, FALSE);
  g_autoptr(LadleRetryPolicy) off = quick_policy (1, FALSE);
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleHttpClient) client = NULL;
  g_autofree char *base = ladle_test_server_dup_uri (fixture->server, "/");
  g_autoptr(GUri) base_uri = g_uri_parse (base, G_URI_FLAGS_NONE, NULL);
  Retries retries = { 0 };
  Call call = { 0 };

  ladle_session_configuration_set_retry_policy (configuration, session_policy);
  session = ladle_session_new (configuration);
  client = ladle_http_client_new (base_uri, session);
  g_signal_connect (client, "task-created", G_CALLBACK (on_task_created_retries), &retries);

  ladle_http_client_request_async (client, "GET", "flaky?fail=2&json=1&key=session", NULL, NULL,
                                   request_cb, &call);
  ladle_test_wait_for_flag (&call.done, 30, "the request");
  g_assert_no_error (call.error);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (call.node), "ok"));
  g_assert_cmpuint (retries.policy_attempts, ==, 0);   /* the task has none of its own */
  g_assert_cmpuint (retries.n_retries, ==, 2);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=2&json=1&key=session"), ==, 3);
  call_clear (&call);
  retries_clear (&retries);

  ladle_http_client_set_retry_policy (client, off);
  ladle_http_client_request_async (client, "GET", "flaky?fail=2&json=1&key=client-off", NULL, NULL,
                                   request_cb, &call);
  ladle_test_wait_for_flag (&call.done, 30, "the request");
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  g_assert_cmpuint (retries.policy_attempts, ==, 1);
  g_assert_cmpuint (retries.n_retries, ==, 0);
  g_assert_cmpuint (count_requests (fixture, "/flaky?fail=2&json=1&key=client-off"), ==, 1);
  call_clear (&call);
  retries_clear (&retries);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/Ladle/HttpClient/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("defaults", test_defaults);
  ADD ("content-types", test_content_types);
  ADD ("query", test_query);
  ADD ("bodies", test_bodies);
  ADD ("cannot-encode", test_cannot_encode);
  ADD ("validation", test_validation);
  ADD ("credentials", test_credentials);
  ADD ("cancel-and-transport", test_cancel_and_transport);
  ADD ("retry-policy-property", test_retry_policy_property);
  ADD ("retry-get", test_retry_get);
  ADD ("retry-post", test_retry_post);
  ADD ("retry-veto", test_retry_veto);
  ADD ("retry-cancel", test_retry_cancel);
  ADD ("retry-session-policy", test_retry_session_policy);

  return g_test_run ();
}
