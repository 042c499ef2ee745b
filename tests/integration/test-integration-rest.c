/* test-integration-rest.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleHttpClient from C against PHP's built-in server running json-api.php (it reports, as
 * JSON, what PHP parsed of the request) and nginx (a static JSON file, a 404). Run through the
 * harness, which sets LADLE_PHP_URL, LADLE_NGINX_URL and LADLE_NGINX_ROOT:
 *
 *   servers.py run --nginx --php --php-script json-api.php -- test-integration-rest --tap
 */

#include <ladle.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ladle-test.h"

static const char *php_url;
static const char *nginx_url;
static const char *nginx_root;

typedef struct
{
  gboolean           done;
  JsonNode          *node;
  GError            *error;
  LadleHttpResponse *response;
  LadleTask         *created;
  GArray            *progress;   /* gint64 total sent */
  gint64             expected;
} Call;

static void
call_clear (Call *call)
{
  g_clear_pointer (&call->node, json_node_unref);
  g_clear_error (&call->error);
  g_clear_object (&call->response);
  g_clear_object (&call->created);
  g_clear_pointer (&call->progress, g_array_unref);
  memset (call, 0, sizeof *call);
}

static void
on_upload_progress (LadleTask *task,
                    gint64     now,
                    gint64     total,
                    gint64     expected,
                    gpointer   user_data)
{
  Call *call = user_data;

  g_array_append_val (call->progress, total);
  call->expected = expected;
}

static void
on_task_created (LadleHttpClient *client,
                 LadleTask       *task,
                 gpointer         user_data)
{
  Call *call = user_data;

  g_assert_null (call->created);
  g_assert_cmpint (ladle_task_get_state (task), ==, LADLE_TASK_STATE_SUSPENDED);
  call->created = g_object_ref (task);
  g_signal_connect (task, "upload-progress", G_CALLBACK (on_upload_progress), call);
}

static void
request_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Call *call = user_data;

  call->response = ladle_http_client_dup_response (LADLE_HTTP_CLIENT (source), result);
  call->node = ladle_http_client_request_finish (LADLE_HTTP_CLIENT (source), result, &call->error);
  call->done = TRUE;
}

static void
upload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;

  call->response = ladle_http_client_dup_response (LADLE_HTTP_CLIENT (source), result);
  call->node = ladle_http_client_upload_form_finish (LADLE_HTTP_CLIENT (source), result, &call->error);
  call->done = TRUE;
}

static LadleHttpClient *
client_new (const char             *base,
            const char             *path,
            LadleRequestSerializer  serializer)
{
  g_autofree char *uri = g_strconcat (base, path, NULL);
  g_autoptr(GUri) base_uri = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  LadleHttpClient *client = ladle_http_client_new (base_uri, session);

  ladle_http_client_set_request_serializer (client, serializer);
  return client;
}

static void
call_run (LadleHttpClient *client,
          Call            *call,
          const char      *method,
          const char      *path,
          const char      *parameters_json)
{
  g_autoptr(JsonNode) parameters = NULL;
  gulong id;

  if (parameters_json != NULL)
    {
      g_autoptr(GError) error = NULL;

      parameters = json_from_string (parameters_json, &error);
      g_assert_no_error (error);
    }

  call->progress = g_array_new (FALSE, FALSE, sizeof (gint64));
  id = g_signal_connect (client, "task-created", G_CALLBACK (on_task_created), call);
  ladle_http_client_request_async (client, method, path, parameters, NULL, request_cb, call);
  g_assert_false (call->done);
  ladle_test_wait_for_flag (&call->done, 60, "the request");
  g_signal_handler_disconnect (client, id);
}

/* The member @name of the object @node, as compact JSON. */
static char *
member_json (JsonNode   *node,
             const char *name)
{
  JsonObject *object;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  object = json_node_get_object (node);
  g_assert_true (json_object_has_member (object, name));
  return json_to_string (json_object_get_member (object, name), FALSE);
}

static const char *
member_string (JsonNode   *node,
               const char *name)
{
  return json_object_get_string_member (json_node_get_object (node), name);
}

#define PARAMS "{\"name\": \"Zoë & co\", \"n\": 3, \"on\": true, \"x\": 1.5}"
#define PARSED "{\"name\":\"Zoë & co\",\"n\":\"3\",\"on\":\"true\",\"x\":\"1.5\"}"

static void
assert_json_equal (const char *actual,
                   const char *expected)
{
  g_autoptr(JsonNode) a = json_from_string (actual, NULL);
  g_autoptr(JsonNode) b = json_from_string (expected, NULL);

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  if (!json_node_equal (a, b))
    g_error ("%s is not %s", actual, expected);
}

static void
test_query (void)
{
  g_autoptr(LadleHttpClient) client = client_new (php_url, "/api/", LADLE_REQUEST_SERIALIZER_JSON);
  g_autofree char *query = NULL;
  Call call = { 0 };

  call_run (client, &call, "GET", "items", PARAMS);
  g_assert_no_error (call.error);
  g_assert_cmpstr (member_string (call.node, "method"), ==, "GET");
  g_assert_cmpstr (member_string (call.node, "path"), ==, "/api/items");
  query = member_json (call.node, "query");
  assert_json_equal (query, PARSED);
  g_assert_cmpstr (member_string (call.node, "raw"), ==, "");
  g_assert_nonnull (call.created);
  g_assert_true (ladle_http_response_get_task (call.response) == call.created);
  call_clear (&call);
}

static void
test_json_body (void)
{
  g_autoptr(LadleHttpClient) client = client_new (php_url, "/api/", LADLE_REQUEST_SERIALIZER_JSON);
  g_autofree char *json = NULL;
  Call call = { 0 };

  call_run (client, &call, "POST", "users", "{\"user\": {\"tags\": [1, \"a\"]}, \"none\": null}");
  g_assert_no_error (call.error);
  g_assert_cmpstr (member_string (call.node, "content_type"), ==, "application/json");
  json = member_json (call.node, "json");
  assert_json_equal (json, "{\"user\": {\"tags\": [1, \"a\"]}, \"none\": null}");
  call_clear (&call);
}

static void
test_form_body (void)
{
  g_autoptr(LadleHttpClient) client = client_new (php_url, "/api/", LADLE_REQUEST_SERIALIZER_FORM);
  g_autofree char *form = NULL;
  Call call = { 0 };

  call_run (client, &call, "PUT", "form", PARAMS);
  g_assert_no_error (call.error);
  g_assert_cmpstr (member_string (call.node, "method"), ==, "PUT");
  g_assert_cmpstr (member_string (call.node, "content_type"), ==, "application/x-www-form-urlencoded");
  /* PHP parses a form body for POST only: read the raw body back through libsoup's decoder */
  {
    g_autoptr(GHashTable) fields = soup_form_decode (member_string (call.node, "raw"));

    g_assert_cmpstr (g_hash_table_lookup (fields, "name"), ==, "Zoë & co");
    g_assert_cmpstr (g_hash_table_lookup (fields, "n"), ==, "3");
    g_assert_cmpstr (g_hash_table_lookup (fields, "on"), ==, "true");
    g_assert_cmpstr (g_hash_table_lookup (fields, "x"), ==, "1.5");
    g_assert_cmpuint (g_hash_table_size (fields), ==, 4);
  }
  call_clear (&call);

  call_run (client, &call, "POST", "form", PARAMS);
  g_assert_no_error (call.error);
  form = member_json (call.node, "form");
  assert_json_equal (form, PARSED);
  call_clear (&call);
}

static void
test_query_serializer (void)
{
  g_autoptr(LadleHttpClient) client = client_new (php_url, "/api/", LADLE_REQUEST_SERIALIZER_QUERY);
  g_autofree char *query = NULL;
  Call call = { 0 };

  call_run (client, &call, "POST", "search", PARAMS);
  g_assert_no_error (call.error);
  g_assert_cmpstr (member_string (call.node, "method"), ==, "POST");
  query = member_json (call.node, "query");
  assert_json_equal (query, PARSED);
  g_assert_cmpstr (member_string (call.node, "raw"), ==, "");
  call_clear (&call);
}

static void
test_cannot_encode (void)
{
  g_autoptr(LadleHttpClient) client = client_new (php_url, "/api/", LADLE_REQUEST_SERIALIZER_FORM);
  Call call = { 0 };

  call_run (client, &call, "POST", "x", "{\"nested\": {\"a\": 1}}");
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST);
  g_assert_null (call.response);
  g_assert_null (call.created);
  call_clear (&call);

  call_run (client, &call, "GET", "x", "{\"list\": [1]}");
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST);
  call_clear (&call);
}

static void
test_unacceptable_status (void)
{
  g_autoptr(LadleHttpClient) client = client_new (php_url, "/api/", LADLE_REQUEST_SERIALIZER_JSON);
  g_autoptr(JsonNode) body = NULL;
  gsize length;
  const char *data;
  Call call = { 0 };

  ladle_http_client_set_default_header (client, "X-Answer-Status", "409");
  call_run (client, &call, "POST", "users", "{\"name\": \"taken\"}");
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  g_assert_null (call.node);
  g_assert_nonnull (call.response);
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 409);
  g_assert_cmpstr (ladle_http_response_get_content_type (call.response), ==, "application/json");
  g_assert_cmpstr (soup_message_headers_get_one (ladle_http_response_get_headers (call.response),
                                                 "Content-Type"), ==, "application/json");
  data = g_bytes_get_data (ladle_http_response_get_body (call.response), &length);
  {
    g_autofree char *text = g_strndup (data, length);

    body = json_from_string (text, NULL);
  }
  g_assert_nonnull (body);
  g_assert_cmpstr (member_string (body, "method"), ==, "POST");
  call_clear (&call);
}

static void
test_unacceptable_content_type (void)
{
  g_autoptr(LadleHttpClient) client = client_new (php_url, "/api/", LADLE_REQUEST_SERIALIZER_JSON);
  Call call = { 0 };

  ladle_http_client_set_default_header (client, "X-Answer-Type", "text/html; charset=utf-8");
  call_run (client, &call, "GET", "page", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_CONTENT_TYPE);
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 200);
  g_assert_cmpstr (ladle_http_response_get_content_type (call.response), ==, "text/html");
  g_assert_cmpuint (g_bytes_get_size (ladle_http_response_get_body (call.response)), >, 0);
  call_clear (&call);

  ladle_http_client_set_default_header (client, "X-Answer-Type", "Application/Problem+JSON; q=1");
  call_run (client, &call, "GET", "page", NULL);
  g_assert_no_error (call.error);
  call_clear (&call);
}

static void
test_invalid_json (void)
{
  g_autoptr(LadleHttpClient) client = client_new (php_url, "/api/", LADLE_REQUEST_SERIALIZER_JSON);
  Call call = { 0 };
  gsize length;
  const char *data;

  ladle_http_client_set_default_header (client, "X-Answer-Body", "{\"truncated\": ");
  call_run (client, &call, "GET", "broken", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_INVALID_JSON);
  data = g_bytes_get_data (ladle_http_response_get_body (call.response), &length);
  g_assert_cmpmem (data, length, "{\"truncated\": ", strlen ("{\"truncated\": "));
  call_clear (&call);
}

static void
test_no_content (void)
{
  g_autoptr(LadleHttpClient) client = client_new (php_url, "/api/", LADLE_REQUEST_SERIALIZER_JSON);
  Call call = { 0 };

  ladle_http_client_set_default_header (client, "X-Answer-Status", "204");
  call_run (client, &call, "DELETE", "items/7", NULL);
  g_assert_no_error (call.error);
  g_assert_true (JSON_NODE_HOLDS_NULL (call.node));
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 204);
  call_clear (&call);
}

static GFile *
write_file (const char *dir,
            const char *name,
            GBytes     *content)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (content, NULL), g_bytes_get_size (content), &error);
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

static void
test_multipart (void)
{
  g_autoptr(LadleHttpClient) client = client_new (php_url, "/api/", LADLE_REQUEST_SERIALIZER_JSON);
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  g_autoptr(GBytes) first = ladle_test_content_new (0, 2 * 1024 * 1024 + 5);
  g_autoptr(GBytes) second = ladle_test_content_for_seed (7, 12345);
  g_autofree char *dir = g_dir_make_tmp ("ladle-rest-XXXXXX", NULL);
  g_autoptr(GFile) first_file = write_file (dir, "first.bin", first);
  g_autoptr(GFile) second_file = write_file (dir, "second.bin", second);
  g_autofree char *first_md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, first);
  g_autofree char *second_md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, second);
  g_autoptr(GError) error = NULL;
  g_autofree char *fields = NULL;
  JsonArray *files;
  gint64 length;
  Call call = { 0 };

  g_assert_true (ladle_multipart_form_append_text (form, "title", "Two files", &error));
  g_assert_true (ladle_multipart_form_append_file (form, "a", first_file, NULL, "application/octet-stream", NULL, &error));
  g_assert_true (ladle_multipart_form_append_file (form, "b", second_file, "renamed.dat", "text/plain", NULL, &error));
  g_assert_true (ladle_multipart_form_append_text (form, "count", "2", &error));
  g_assert_no_error (error);
  length = ladle_multipart_form_get_content_length (form);

  call.progress = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_signal_connect (client, "task-created", G_CALLBACK (on_task_created), &call);
  ladle_http_client_upload_form_async (client, "POST", "upload", form, NULL, upload_cb, &call);
  ladle_test_wait_for_flag (&call.done, 60, "the upload");
  g_assert_no_error (call.error);

  fields = member_json (call.node, "form");
  assert_json_equal (fields, "{\"title\": \"Two files\", \"count\": \"2\"}");
  files = json_object_get_array_member (json_node_get_object (call.node), "files");
  g_assert_cmpuint (json_array_get_length (files), ==, 2);
  {
    JsonObject *a = json_array_get_object_element (files, 0);
    JsonObject *b = json_array_get_object_element (files, 1);

    g_assert_cmpstr (json_object_get_string_member (a, "field"), ==, "a");
    g_assert_cmpstr (json_object_get_string_member (a, "name"), ==, "first.bin");
    g_assert_cmpint (json_object_get_int_member (a, "size"), ==, 2 * 1024 * 1024 + 5);
    g_assert_cmpstr (json_object_get_string_member (a, "md5"), ==, first_md5);
    g_assert_cmpstr (json_object_get_string_member (b, "field"), ==, "b");
    g_assert_cmpstr (json_object_get_string_member (b, "name"), ==, "renamed.dat");
    g_assert_cmpstr (json_object_get_string_member (b, "type"), ==, "text/plain");
    g_assert_cmpstr (json_object_get_string_member (b, "md5"), ==, second_md5);
  }

  /* upload progress through the task: monotonic, ending at the form's exact length */
  g_assert_cmpuint (call.progress->len, >, 0);
  for (guint i = 1; i < call.progress->len; i++)
    g_assert_cmpint (g_array_index (call.progress, gint64, i), >=, g_array_index (call.progress, gint64, i - 1));
  g_assert_cmpint (g_array_index (call.progress, gint64, call.progress->len - 1), ==, length);
  g_assert_cmpint (call.expected, ==, length);
  g_assert_true (LADLE_IS_UPLOAD_TASK (call.created));
  call_clear (&call);
  ladle_test_remove_tree (dir);
}

static void
test_nginx (void)
{
  g_autoptr(LadleHttpClient) client = client_new (nginx_url, "/files/", LADLE_REQUEST_SERIALIZER_JSON);
  g_autofree char *path = g_build_filename (nginx_root, "static.json", NULL);
  const char *document = "{\"static\": true, \"list\": [1, 2, 3]}";
  g_autofree char *got = NULL;
  g_autoptr(GError) error = NULL;
  Call call = { 0 };

  g_file_set_contents (path, document, -1, &error);
  g_assert_no_error (error);

  call_run (client, &call, "GET", "static.json", NULL);
  g_assert_no_error (call.error);
  got = json_to_string (call.node, FALSE);
  assert_json_equal (got, document);
  call_clear (&call);

  call_run (client, &call, "GET", "absent.json", NULL);
  g_assert_error (call.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  g_assert_cmpuint (ladle_http_response_get_status (call.response), ==, 404);
  g_assert_cmpstr (ladle_http_response_get_content_type (call.response), ==, "text/html");
  call_clear (&call);
  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  php_url = g_getenv ("LADLE_PHP_URL");
  nginx_url = g_getenv ("LADLE_NGINX_URL");
  nginx_root = g_getenv ("LADLE_NGINX_ROOT");
  if (php_url == NULL || nginx_url == NULL || nginx_root == NULL)
    g_error ("run through servers.py run --nginx --php --php-script json-api.php");

  g_test_add_func ("/Ladle/Integration/Rest/query", test_query);
  g_test_add_func ("/Ladle/Integration/Rest/json-body", test_json_body);
  g_test_add_func ("/Ladle/Integration/Rest/form-body", test_form_body);
  g_test_add_func ("/Ladle/Integration/Rest/query-serializer", test_query_serializer);
  g_test_add_func ("/Ladle/Integration/Rest/cannot-encode", test_cannot_encode);
  g_test_add_func ("/Ladle/Integration/Rest/unacceptable-status", test_unacceptable_status);
  g_test_add_func ("/Ladle/Integration/Rest/unacceptable-content-type", test_unacceptable_content_type);
  g_test_add_func ("/Ladle/Integration/Rest/invalid-json", test_invalid_json);
  g_test_add_func ("/Ladle/Integration/Rest/no-content", test_no_content);
  g_test_add_func ("/Ladle/Integration/Rest/multipart", test_multipart);
  g_test_add_func ("/Ladle/Integration/Rest/nginx", test_nginx);

  return g_test_run ();
}
