/* test-http-client.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleHttpClient against the in-process test server with a small JSON handler of its own at
 * /api: defaults and properties, media-type matching, where each serializer puts parameters,
 * parameters that cannot be encoded, every validation error with its response, empty bodies,
 * credentials kept to the base origin, cancellation and transport errors. (The same against real
 * servers, PHP and nginx, is in tests/integration/.)
 *
 * /api answers by its query: status=CODE (200), type=MEDIA or "none" (application/json),
 * body=TEXT (verbatim); else a JSON report {"method", "query", "content_type", "body",
 * "authorization", "path"}.
 */

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

  return g_test_run ();
}
