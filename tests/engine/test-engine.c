/* test-engine.c: the transfer engine as a whole: its phases, and its main context.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <dlfcn.h>
#include <glib/gstdio.h>
#include <ladle.h>

#include "ladle-test.h"

#define DOWNLOAD_SIZE   (8 * 1024 * 1024)
#define TICK_MS         10
#define MAX_LATENESS_MS 50

/* Debug messages of the Ladle domain, captured instead of printed */

static GPtrArray *ladle_debug_lines;

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }

  if (log_level == G_LOG_LEVEL_DEBUG && g_strcmp0 (domain, "Ladle") == 0)
    {
      if (ladle_debug_lines != NULL && message != NULL)
        g_ptr_array_add (ladle_debug_lines, g_strdup (message));
      return G_LOG_WRITER_HANDLED;
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

typedef struct
{
  gboolean  done;
  GError   *error;
} Completion;

static void
on_completed (LadleTask    *task,
              const GError *error,
              gpointer      user_data)
{
  Completion *completion = user_data;

  completion->error = error ? g_error_copy (error) : NULL;
  completion->done = TRUE;
}

static LadleSession *
new_session (const char *state_directory)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_default ();

  ladle_session_configuration_set_state_directory (configuration, state_directory);

  return ladle_session_new (configuration);
}

/* G_MESSAGES_DEBUG=Ladle shows every phase change of a task, in order, one line each: a
 * download that follows one redirect goes through every phase once, and sends twice. */
static void
test_phases_logged (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autofree char *tmp = g_dir_make_tmp ("ladle-engine-XXXXXX", NULL);
  g_autofree char *state = g_build_filename (tmp, "state", NULL);
  g_autoptr(LadleSession) session = new_session (state);
  g_autofree char *target = ladle_test_server_dup_uri (server, "/bytes/1000");
  g_autofree char *query = g_uri_escape_string (target, NULL, TRUE);
  g_autofree char *path = g_strconcat ("/redirect?to=", query, NULL);
  g_autofree char *uri = ladle_test_server_dup_uri (server, path);
  g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_for_uri (session, uri);
  g_autofree char *prefix = g_strdup_printf ("Task %" G_GUINT64_FORMAT ": ",
                                             ladle_task_get_identifier (LADLE_TASK (task)));
  g_autoptr(GPtrArray) phases = g_ptr_array_new_with_free_func (g_free);
  Completion completion = { 0 };
  const char * const expected[] = {
    "idle → admitting",
    "admitting → preparing",
    "preparing → sending",
    "sending → sending",
    "sending → response",
    "response → body",
    "body → finishing",
    "finishing → done",
  };

  g_setenv ("G_MESSAGES_DEBUG", "Ladle", TRUE);
  ladle_debug_lines = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (task, "completed", G_CALLBACK (on_completed), &completion);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_for_flag (&completion.done, 30, "the download completes");
  g_assert_no_error (completion.error);

  for (guint i = 0; i < ladle_debug_lines->len; i++)
    {
      const char *line = g_ptr_array_index (ladle_debug_lines, i);
      const char *arrow;

      if (!g_str_has_prefix (line, prefix) || (arrow = strstr (line, " → ")) == NULL)
        continue;
      /* "Task N: old → new" and, for a send, " METHOD URI" after the new phase */
      {
        const char *phase = line + strlen (prefix);
        const char *end = strchr (arrow + strlen (" → "), ' ');

        g_ptr_array_add (phases, end ? g_strndup (phase, end - phase) : g_strdup (phase));
      }
    }

  g_assert_cmpuint (phases->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (g_ptr_array_index (phases, i), ==, expected[i]);

  /* The sends name their method and URI, without the query (it may carry secrets). */
  {
    gboolean seen_send = FALSE;

    for (guint i = 0; i < ladle_debug_lines->len; i++)
      {
        const char *line = g_ptr_array_index (ladle_debug_lines, i);

        if (g_str_has_prefix (line, prefix) && strstr (line, "→ sending GET http://127.0.0.1:") != NULL)
          {
            seen_send = TRUE;
            g_assert_null (strchr (line, '?'));
          }
      }
    g_assert_true (seen_send);
  }

  g_clear_pointer (&ladle_debug_lines, g_ptr_array_unref);
  g_unsetenv ("G_MESSAGES_DEBUG");
  g_clear_error (&completion.error);
  ladle_test_remove_tree (tmp);
}

typedef struct
{
  gint64 last;
  gint64 max_lateness;
  guint  n_ticks;
} Ticker;

static gboolean
tick_cb (gpointer user_data)
{
  Ticker *ticker = user_data;
  gint64 now = g_get_monotonic_time ();

  if (ticker->last != 0)
    ticker->max_lateness = MAX (ticker->max_lateness, now - ticker->last - TICK_MS * 1000);
  ticker->last = now;
  ticker->n_ticks++;

  return G_SOURCE_CONTINUE;
}

/* A download whose every disk write takes 100 ms (tests/engine/slow-write.c, preloaded) never
 * holds the application's main context: a 10 ms timer keeps ticking on time, because the
 * partial file is written, checked and moved on a worker thread. */
static void
test_main_context_not_blocked (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autofree char *made = g_dir_make_tmp ("ladle-engine-XXXXXX", NULL);
  /* The shim compares with the path the kernel reports: no "." or ".." in it. */
  g_autofree char *tmp = g_canonicalize_filename (made, NULL);
  g_autofree char *state = g_build_filename (tmp, "state", NULL);
  g_autofree char *destination_path = g_build_filename (tmp, "out.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleSession) session = new_session (state);
  g_autofree char *path = g_strdup_printf ("/bytes/%d", DOWNLOAD_SIZE);
  g_autofree char *uri = ladle_test_server_dup_uri (server, path);
  g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_for_uri (session, uri);
  g_autofree char *expected = ladle_test_content_checksum (DOWNLOAD_SIZE);
  g_autofree char *actual = NULL;
  int *n_slow_writes = dlsym (RTLD_DEFAULT, "ladle_slow_write_count");
  Completion completion = { 0 };
  Ticker ticker = { 0 };
  gint64 start;
  guint tick;

  /* Without the shim this test would prove nothing. */
  g_assert_nonnull (n_slow_writes);
  g_setenv ("LADLE_TEST_SLOW_DIR", state, TRUE);
  g_setenv ("LADLE_TEST_SLOW_MS", "100", TRUE);

  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_NONE);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), &completion);
  tick = g_timeout_add (TICK_MS, tick_cb, &ticker);
  start = g_get_monotonic_time ();
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_for_flag (&completion.done, 120, "the slow download completes");
  g_source_remove (tick);
  g_unsetenv ("LADLE_TEST_SLOW_DIR");

  g_assert_no_error (completion.error);
  actual = ladle_test_checksum_file (destination_path);
  g_assert_cmpstr (actual, ==, expected);

  /* The writes were slow: at 1 MiB a block at most, 8 MiB is at least 8 writes of 100 ms. */
  g_assert_cmpint (*n_slow_writes, >=, DOWNLOAD_SIZE / (1024 * 1024));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (gint64)*n_slow_writes * 100 * 1000);
  g_test_message ("%d slow writes, %u ticks, the latest %" G_GINT64_FORMAT " µs late",
                  *n_slow_writes, ticker.n_ticks, ticker.max_lateness);
  g_assert_cmpuint (ticker.n_ticks, >, 50);
  g_assert_cmpint (ticker.max_lateness, <, MAX_LATENESS_MS * 1000);

  g_clear_error (&completion.error);
  ladle_test_remove_tree (tmp);
}

/* With allow-metered off, a task resumed on a metered network waits without sending; one that
 * was suspended meanwhile starts when resumed on an unmetered network, and only then. */
static void
test_metered_waits (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleTestMonitor) monitor = ladle_test_monitor_new (TRUE, TRUE);
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/bytes/1000");
  g_autoptr(LadleDataTask) waiting = NULL;
  g_autoptr(LadleDataTask) suspended = NULL;
  Completion waiting_done = { 0 };
  Completion suspended_done = { 0 };

  ladle_session_configuration_set_allow_metered (configuration, FALSE);
  ladle_session_configuration_set_network_monitor (configuration, G_NETWORK_MONITOR (monitor));
  session = ladle_session_new (configuration);
  waiting = ladle_session_create_data_task_for_uri (session, uri);
  suspended = ladle_session_create_data_task_for_uri (session, uri);
  g_signal_connect (waiting, "completed", G_CALLBACK (on_completed), &waiting_done);
  g_signal_connect (suspended, "completed", G_CALLBACK (on_completed), &suspended_done);

  ladle_task_resume (LADLE_TASK (waiting));
  ladle_task_resume (LADLE_TASK (suspended));
  ladle_test_spin (200);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 0);
  g_assert_false (waiting_done.done);

  /* Suspended while it waits: the network becoming unmetered starts only the other one. */
  ladle_task_suspend (LADLE_TASK (suspended));
  ladle_test_monitor_set_metered (monitor, FALSE);
  ladle_test_wait_for_flag (&waiting_done.done, 30, "the waiting task completes");
  g_assert_no_error (waiting_done.error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (waiting)), ==, 200);
  ladle_test_spin (200);
  g_assert_false (suspended_done.done);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 1);

  ladle_task_resume (LADLE_TASK (suspended));
  ladle_test_wait_for_flag (&suspended_done.done, 30, "the resumed task completes");
  g_assert_no_error (suspended_done.error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (suspended)), ==, 200);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_log_set_writer_func (capture_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Engine/phases-logged", test_phases_logged);
  g_test_add_func ("/Ladle/Engine/metered-waits", test_metered_waits);
  g_test_add_func ("/Ladle/Engine/main-context-not-blocked", test_main_context_not_blocked);

  return g_test_run ();
}
