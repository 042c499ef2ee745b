/* ladle-rest-client.c: a JSON API through LadleHttpClient
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   ladle-rest-client BASE_URL      (the demo server's URL: http://127.0.0.1:PORT/)
 *
 * The same program as rest-client.py and rest-client.js: against the demo server's /api/, a GET
 * with query parameters, a POST with a JSON body, an error status whose response is still read,
 * and a body read with ladle_session_send_and_read_async(). Each step starts the next from its
 * callback. Prints "name: value" lines; exit status 0 on success, 1 on an unexpected error, 2 on
 * bad usage.
 */

#include <ladle.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  GMainLoop       *loop;
  LadleSession    *session;
  LadleHttpClient *client;
  char            *base_url;   /* without its trailing slash */
  SoupMessage     *bytes_request;
  int              status;
} App;

static void
fail (App          *app,
      const GError *error)
{
  fprintf (stderr, "failed: %s\n", error->message);
  app->status = 1;
  g_main_loop_quit (app->loop);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *)a, *(const char * const *)b);
}

static void
on_bytes (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = ladle_session_send_and_read_finish (app->session, result, &error);

  if (body == NULL)
    {
      fail (app, error);
      return;
    }

  /* No redirect here: the request itself carries the response. */
  printf ("bytes: %zu %u\n", g_bytes_get_size (body), soup_message_get_status (app->bytes_request));
  app->status = 0;
  g_main_loop_quit (app->loop);
}

static void
on_error_status (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = ladle_http_client_request_finish (app->client, result, &error);
  g_autoptr(LadleHttpResponse) response = ladle_http_client_dup_response (app->client, result);
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *text = NULL;
  GBytes *bytes;

  if (node != NULL)
    {
      printf ("error: none\n");
      app->status = 1;
      g_main_loop_quit (app->loop);
      return;
    }
  if (!g_error_matches (error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS) || response == NULL)
    {
      fail (app, error);
      return;
    }

  /* The response of a refused request is still there: status, headers, body. */
  bytes = ladle_http_response_get_body (response);
  text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  body = json_from_string (text, NULL);
  printf ("error: %u %s %s\n", ladle_http_response_get_status (response),
          ladle_http_response_get_content_type (response),
          body != NULL && JSON_NODE_HOLDS_OBJECT (body)
            ? json_object_get_string_member_with_default (json_node_get_object (body), "error", "?")
            : "?");

  uri = g_strconcat (app->base_url, "/bytes/1000", NULL);
  app->bytes_request = soup_message_new (SOUP_METHOD_GET, uri);
  ladle_session_send_and_read_async (app->session, app->bytes_request, G_PRIORITY_DEFAULT, NULL,
                                     on_bytes, app);
}

static void
on_post (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = ladle_http_client_request_finish (app->client, result, &error);
  g_autoptr(GString) tags = g_string_new (NULL);
  JsonObject *echo, *json;
  JsonArray *list;

  if (node == NULL)
    {
      fail (app, error);
      return;
    }

  echo = json_node_get_object (node);
  json = json_object_get_object_member (echo, "json");
  list = json_object_get_array_member (json, "tags");
  for (guint i = 0; i < json_array_get_length (list); i++)
    g_string_append_printf (tags, "%s%s", i > 0 ? "," : "", json_array_get_string_element (list, i));

  printf ("post-content-type: %s\n", json_object_get_string_member (echo, "content_type"));
  printf ("post-name: %s\n", json_object_get_string_member (json, "name"));
  printf ("post-tags: %s\n", tags->str);

  ladle_http_client_request_async (app->client, "GET", "status/404", NULL, NULL, on_error_status, app);
}

static void
on_get (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = ladle_http_client_request_finish (app->client, result, &error);
  g_autoptr(JsonNode) parameters = NULL;
  g_autoptr(GList) names = NULL;
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *joined = NULL;
  JsonObject *query;

  if (node == NULL)
    {
      fail (app, error);
      return;
    }

  query = json_object_get_object_member (json_node_get_object (node), "query");
  names = json_object_get_members (query);
  for (GList *l = names; l != NULL; l = l->next)
    g_ptr_array_add (pairs, g_strdup_printf ("%s=%s", (char *)l->data,
                                             json_object_get_string_member (query, l->data)));
  g_ptr_array_sort (pairs, compare_strings);
  g_ptr_array_add (pairs, NULL);
  joined = g_strjoinv (" ", (char **)pairs->pdata);

  printf ("get-method: %s\n", json_object_get_string_member (json_node_get_object (node), "method"));
  printf ("get-query: %s\n", joined);

  /* JSON parameters, written by json-glib: the default serializer puts them in the body. */
  parameters = json_from_string ("{\"name\": \"Ladle\", \"tags\": [\"rest\", \"json\"]}", NULL);
  ladle_http_client_request_async (app->client, "POST", "echo", parameters, NULL, on_post, app);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(LadleSessionConfiguration) configuration = NULL;
  g_autoptr(JsonNode) parameters = NULL;
  g_autoptr(GUri) base = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *api = NULL;
  App app = { 0 };

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s BASE_URL\n", argv[0]);
      return 2;
    }

  app.base_url = g_strdup (argv[1]);
  if (g_str_has_suffix (app.base_url, "/"))
    app.base_url[strlen (app.base_url) - 1] = '\0';
  /* The trailing slash matters: "echo" resolves to BASE/api/echo. */
  api = g_strconcat (app.base_url, "/api/", NULL);
  base = g_uri_parse (api, G_URI_FLAGS_NONE, &error);
  if (base == NULL)
    {
      fprintf (stderr, "failed: %s\n", error->message);
      g_free (app.base_url);
      return 2;
    }

  configuration = ladle_session_configuration_new_ephemeral ();
  app.loop = g_main_loop_new (NULL, FALSE);
  app.session = ladle_session_new (configuration);
  app.client = ladle_http_client_new (base, app.session);
  app.status = 1;

  parameters = json_from_string ("{\"q\": \"ladle\", \"page\": 2}", NULL);
  ladle_http_client_request_async (app.client, "GET", "echo", parameters, NULL, on_get, &app);
  g_main_loop_run (app.loop);

  g_clear_object (&app.bytes_request);
  g_object_unref (app.client);
  g_object_unref (app.session);
  g_main_loop_unref (app.loop);
  g_free (app.base_url);

  return app.status;
}
