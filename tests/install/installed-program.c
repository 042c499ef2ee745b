/* installed-program.c: a program built only from an installed Ladle
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * check-install.sh compiles it with `pkg-config --cflags --libs ladle-1` against a fresh install
 * prefix and runs it: the headers, the pkg-config file and the shared library must be enough
 * to build and run a program that fetches a body from a server in the same process.
 *
 *   installed-program EXPECTED_VERSION
 */

#include <stdlib.h>
#include <string.h>

#include <ladle.h>

#define BODY "installed Ladle works\n"

typedef struct
{
  GMainLoop *loop;
  guint      completed;
  GError    *error;
} Run;

static void
handle_hello (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, BODY, strlen (BODY));
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              gpointer      user_data)
{
  Run *run = user_data;

  run->completed++;
  if (error != NULL)
    run->error = g_error_copy (error);
  g_main_loop_quit (run->loop);
}

static gboolean
on_timeout (gpointer user_data)
{
  g_printerr ("installed-program: the task did not complete within 30 s\n");
  exit (1);

  return G_SOURCE_REMOVE;
}

static void
check (gboolean    condition,
       const char *what)
{
  if (!condition)
    {
      g_printerr ("installed-program: check failed: %s\n", what);
      exit (1);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (LadleSessionConfiguration) configuration = NULL;
  g_autoptr (LadleSession) session = NULL;
  g_autoptr (LadleDataTask) task = NULL;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *uri = NULL;
  g_autoslist (GUri) uris = NULL;
  Run run = { 0 };
  guint timeout_id;

  if (argc != 2)
    {
      g_printerr ("Usage: installed-program EXPECTED_VERSION\n");
      return 2;
    }

  /* Version macros from the installed ladle-version.h. */
  version = g_strdup_printf ("%d.%d.%d", LADLE_MAJOR_VERSION, LADLE_MINOR_VERSION,
                             LADLE_MICRO_VERSION);
  check (strcmp (version, argv[1]) == 0, "LADLE_*_VERSION match the project version");
  check (strcmp (LADLE_VERSION_S, argv[1]) == 0, "LADLE_VERSION_S matches the project version");
  check (LADLE_CHECK_VERSION (LADLE_MAJOR_VERSION, LADLE_MINOR_VERSION, LADLE_MICRO_VERSION),
         "LADLE_CHECK_VERSION accepts the current version");
  check (!LADLE_CHECK_VERSION (LADLE_MAJOR_VERSION + 1, 0, 0),
         "LADLE_CHECK_VERSION refuses a later major version");
  check (ladle_get_major_version () == LADLE_MAJOR_VERSION && ladle_get_minor_version () == LADLE_MINOR_VERSION &&
         ladle_get_micro_version () == LADLE_MICRO_VERSION, "the installed library is the headers' version");
  check (ladle_check_version (LADLE_MAJOR_VERSION, LADLE_MINOR_VERSION, LADLE_MICRO_VERSION) == NULL,
         "ladle_check_version accepts the headers' version");

  /* The error domain and the enum types from ladle-enum-types.h. */
  check (LADLE_ERROR == g_quark_from_string ("ladle-error-quark"), "LADLE_ERROR is ladle-error-quark");
  check (G_TYPE_IS_ENUM (LADLE_TYPE_ERROR), "LADLE_TYPE_ERROR is an enum type");
  check (G_TYPE_IS_ENUM (LADLE_TYPE_TASK_STATE), "LADLE_TYPE_TASK_STATE is an enum type");

  configuration = ladle_session_configuration_new_ephemeral ();
  check (ladle_session_configuration_get_kind (configuration) == LADLE_SESSION_KIND_EPHEMERAL,
         "an ephemeral configuration has the ephemeral kind");
  check (ladle_session_configuration_get_timeout (configuration) > 0,
         "the default timeout is not zero");

  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, "/hello", handle_hello, NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      g_printerr ("installed-program: cannot listen: %s\n", error->message);
      return 1;
    }
  uris = soup_server_get_uris (server);
  uri = g_strdup_printf ("http://127.0.0.1:%d/hello", g_uri_get_port (uris->data));

  session = ladle_session_new (configuration);
  check (LADLE_IS_SESSION (session), "ladle_session_new() returns a session");

  task = ladle_session_create_data_task_for_uri (session, uri);
  check (LADLE_IS_DATA_TASK (task), "the session creates a data task");
  check (ladle_task_get_state (LADLE_TASK (task)) == LADLE_TASK_STATE_SUSPENDED,
         "a new task is suspended");
  ladle_data_task_set_accumulate (task, TRUE);

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), &run);
  timeout_id = g_timeout_add_seconds (30, on_timeout, NULL);

  ladle_task_resume (LADLE_TASK (task));
  g_main_loop_run (loop);
  g_source_remove (timeout_id);

  if (run.error != NULL)
    {
      g_printerr ("installed-program: the task failed: %s\n", run.error->message);
      g_clear_error (&run.error);
      return 1;
    }
  check (run.completed == 1, "::completed was emitted once");
  check (ladle_task_get_state (LADLE_TASK (task)) == LADLE_TASK_STATE_COMPLETED,
         "the task is completed");
  check (ladle_task_get_status_code (LADLE_TASK (task)) == SOUP_STATUS_OK, "the status is 200");

  body = ladle_data_task_dup_body (task);
  check (body != NULL, "an accumulating task has a body");
  check (g_bytes_get_size (body) == strlen (BODY) &&
         memcmp (g_bytes_get_data (body, NULL), BODY, strlen (BODY)) == 0,
         "the body is the one the server sent");

  soup_server_disconnect (server);

  g_print ("installed-program: Ladle %s from the install prefix works\n", LADLE_VERSION_S);

  return 0;
}
