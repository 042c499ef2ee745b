/* test-session.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <ladle.h>
#include <string.h>

#include "ladle-test.h"

typedef struct
{
  guint position;
  guint removed;
  guint added;
} ItemsChange;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GArray     *changes)
{
  ItemsChange change = { position, removed, added };

  g_array_append_val (changes, change);
}

static LadleTask *
create_task (LadleSession    *session,
             LadleTestServer *server,
             const char      *path)
{
  g_autofree char *uri = ladle_test_server_dup_uri (server, path);
  LadleDataTask *task = ladle_session_create_data_task_for_uri (session, uri);

  g_assert_true (LADLE_IS_DATA_TASK (task));
  return LADLE_TASK (task);
}

static void
test_session_list_model (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (ItemsChange));
  g_autoptr(LadleTask) first = NULL;
  g_autoptr(LadleTask) second = NULL;
  g_autoptr(LadleTask) third = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  GListModel *model;
  guint n_items_property = 99;

  g_assert_true (G_IS_LIST_MODEL (session));
  model = G_LIST_MODEL (session);
  g_assert_true (g_list_model_get_item_type (model) == LADLE_TYPE_TASK);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_null (g_list_model_get_item (model, 0));

  g_signal_connect (session, "items-changed", G_CALLBACK (items_changed_cb), changes);

  /* suspended tasks are unfinished: they are in the model from the start */
  first = create_task (session, server, "/bytes/10");
  second = create_task (session, server, "/bytes/20");
  third = create_task (session, server, "/bytes/30");

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_object_get (session, "n-items", &n_items_property, NULL);
  g_assert_cmpuint (n_items_property, ==, 3);
  g_assert_cmpuint (changes->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      ItemsChange *change = &g_array_index (changes, ItemsChange, i);
      g_assert_cmpuint (change->position, ==, i);
      g_assert_cmpuint (change->removed, ==, 0);
      g_assert_cmpuint (change->added, ==, 1);
    }

  {
    g_autoptr(LadleTask) item0 = g_list_model_get_item (model, 0);
    g_autoptr(LadleTask) item1 = g_list_model_get_item (model, 1);
    g_autoptr(LadleTask) item2 = g_list_model_get_item (model, 2);
    g_autoptr(GObject) item3 = g_list_model_get_item (model, 3);

    g_assert_true (item0 == first);
    g_assert_true (item1 == second);
    g_assert_true (item2 == third);
    g_assert_null (item3);
  }

  /* the middle one completes and leaves the model */
  g_array_set_size (changes, 0);
  recorder = ladle_test_recorder_new (second);
  ladle_task_resume (second);
  ladle_test_recorder_wait (recorder);
  g_assert_no_error (recorder->error);

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_object_get (session, "n-items", &n_items_property, NULL);
  g_assert_cmpuint (n_items_property, ==, 2);
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_cmpuint (g_array_index (changes, ItemsChange, 0).position, ==, 1);
  g_assert_cmpuint (g_array_index (changes, ItemsChange, 0).removed, ==, 1);
  g_assert_cmpuint (g_array_index (changes, ItemsChange, 0).added, ==, 0);

  {
    g_autoptr(LadleTask) item0 = g_list_model_get_item (model, 0);
    g_autoptr(LadleTask) item1 = g_list_model_get_item (model, 1);

    g_assert_true (item0 == first);
    g_assert_true (item1 == third);
  }

  g_signal_handlers_disconnect_by_data (session, changes);
}

static void end_session (LadleSession *session);

static void
test_session_identifiers (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(LadleTask) done_task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  guint64 previous = 0;
  guint64 done_identifier;

  for (guint i = 0; i < 5; i++)
    {
      LadleTask *task = create_task (session, server, "/bytes/10");
      guint64 identifier = ladle_task_get_identifier (task);
      guint64 by_property = 0;

      g_object_get (task, "identifier", &by_property, NULL);
      g_assert_cmpuint (by_property, ==, identifier);
      if (i > 0)
        g_assert_cmpuint (identifier, >, previous);
      previous = identifier;
      g_ptr_array_add (tasks, task);
    }

  for (guint i = 0; i < tasks->len; i++)
    {
      LadleTask *task = g_ptr_array_index (tasks, i);
      g_assert_true (ladle_session_get_task_by_identifier (session, ladle_task_get_identifier (task)) == task);
    }
  g_assert_null (ladle_session_get_task_by_identifier (session, previous + 1000));

  /* a completed task is no longer found; a new one never reuses its identifier */
  done_task = g_object_ref (g_ptr_array_index (tasks, 0));
  done_identifier = ladle_task_get_identifier (done_task);
  recorder = ladle_test_recorder_new (done_task);
  ladle_task_resume (done_task);
  ladle_test_recorder_wait (recorder);
  g_assert_null (ladle_session_get_task_by_identifier (session, done_identifier));

  {
    g_autoptr(LadleTask) later = create_task (session, server, "/bytes/10");
    g_assert_cmpuint (ladle_task_get_identifier (later), >, previous);
  }

  /* identifiers are per session: another session's tasks are not found here */
  {
    g_autoptr(LadleSession) other = ladle_test_session_new ();
    g_autoptr(LadleTask) foreign = create_task (other, server, "/bytes/10");
    LadleTask *found = ladle_session_get_task_by_identifier (session, ladle_task_get_identifier (foreign));

    g_assert_true (found != foreign);
    end_session (other);
  }

  end_session (session);
}

static char *
fetch_text (LadleSession *session,
            const char   *uri,
            SoupMessage  *message)
{
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;

  if (message != NULL)
    task = ladle_session_create_data_task (session, message);
  else
    task = ladle_session_create_data_task_for_uri (session, uri);

  recorder = ladle_test_recorder_new (LADLE_TASK (task));
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);
  g_assert_no_error (recorder->error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);

  return g_strndup ((const char *) recorder->data->data, recorder->data->len);
}

static gboolean
text_has_line (const char *text,
               const char *line)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_ascii_strcasecmp (lines[i], line) == 0)
      return TRUE;

  return FALSE;
}

static char *
header_value (const char *text,
              const char *name)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *prefix = g_strdup_printf ("%s: ", name);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], prefix, strlen (prefix)) == 0)
      return g_strdup (lines[i] + strlen (prefix));

  return NULL;
}

static void
test_session_extra_headers (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/headers");
  g_autofree char *text = NULL;
  g_autofree char *text_with_own = NULL;
  g_autoptr(SoupMessage) message = NULL;

  ladle_session_configuration_set_header (configuration, "X-Ladle-Extra", "extra value");
  ladle_session_configuration_set_header (configuration, "X-Ladle-Second", "second");
  session = ladle_session_new (configuration);
  /* too late: the session has its copy */
  ladle_session_configuration_set_header (configuration, "X-Ladle-Late", "late");

  text = fetch_text (session, uri, NULL);
  g_test_message ("request headers:\n%s", text);
  g_assert_true (text_has_line (text, "X-Ladle-Extra: extra value"));
  g_assert_true (text_has_line (text, "X-Ladle-Second: second"));
  g_assert_null (header_value (text, "X-Ladle-Late"));

  /* a header the request sets itself wins over the session's */
  message = soup_message_new ("GET", uri);
  soup_message_headers_replace (soup_message_get_request_headers (message), "X-Ladle-Extra", "own");
  text_with_own = fetch_text (session, NULL, message);
  g_assert_true (text_has_line (text_with_own, "X-Ladle-Extra: own"));
  g_assert_false (text_has_line (text_with_own, "X-Ladle-Extra: extra value"));
  g_assert_true (text_has_line (text_with_own, "X-Ladle-Second: second"));
}

static void
test_session_user_agent (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/headers");

  /* exact */
  {
    g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
    g_autoptr(LadleSession) session = NULL;
    g_autofree char *text = NULL;
    g_autofree char *agent = NULL;

    ladle_session_configuration_set_user_agent (configuration, "LadleTest/1.0");
    session = ladle_session_new (configuration);
    text = fetch_text (session, uri, NULL);
    agent = header_value (text, "User-Agent");
    g_assert_cmpstr (agent, ==, "LadleTest/1.0");
  }

  /* a trailing space asks for the product tokens to be appended */
  {
    g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
    g_autoptr(LadleSession) session = NULL;
    g_autofree char *text = NULL;
    g_autofree char *agent = NULL;

    ladle_session_configuration_set_user_agent (configuration, "LadleTest/1.0 ");
    session = ladle_session_new (configuration);
    text = fetch_text (session, uri, NULL);
    agent = header_value (text, "User-Agent");
    g_test_message ("User-Agent with appended tokens: %s", agent);
    g_assert_nonnull (agent);
    g_assert_true (g_str_has_prefix (agent, "LadleTest/1.0 "));
    g_assert_cmpuint (strlen (agent), >, strlen ("LadleTest/1.0 "));
    g_assert_nonnull (strstr (agent, "libsoup"));
  }

  /* the default names Ladle */
  {
    g_autoptr(LadleSession) session = ladle_test_session_new ();
    g_autofree char *text = fetch_text (session, uri, NULL);
    g_autofree char *agent = header_value (text, "User-Agent");

    g_test_message ("default User-Agent: %s", agent);
    g_assert_nonnull (agent);
    g_assert_nonnull (strstr (agent, "Ladle"));
  }
}

typedef struct
{
  GString *log;
  guint    n_invalidated;
  gboolean invalidated;
} SessionLog;

static void
log_task_completed_cb (LadleSession *session,
                       LadleTask    *task,
                       const GError *error,
                       SessionLog   *log)
{
  g_string_append_c (log->log, 'T');
}

static void
log_invalidated_cb (LadleSession *session,
                    SessionLog   *log)
{
  g_string_append_c (log->log, 'I');
  log->n_invalidated++;
  log->invalidated = TRUE;
  /* the session has no task left when it announces invalidation */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (session)), ==, 0);
}

static void
session_log_init (SessionLog   *log,
                  LadleSession *session)
{
  log->log = g_string_new (NULL);
  g_signal_connect (session, "task-completed", G_CALLBACK (log_task_completed_cb), log);
  g_signal_connect (session, "invalidated", G_CALLBACK (log_invalidated_cb), log);
}

static void
session_log_clear (SessionLog   *log,
                   LadleSession *session)
{
  g_signal_handlers_disconnect_by_data (session, log);
  g_string_free (log->log, TRUE);
}

/* Unfinished tasks and their session keep each other alive (as in NSURLSession): a test that
 * leaves tasks unresumed ends the session the documented way. */
static void
end_session (LadleSession *session)
{
  SessionLog log = { 0 };

  session_log_init (&log, session);
  ladle_session_invalidate_and_cancel (session);
  ladle_test_wait_for_flag (&log.invalidated, 30, "LadleSession::invalidated");
  session_log_clear (&log, session);
}

static void
assert_invalidated_task (LadleSession *session,
                         LadleTestServer *server)
{
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  guint n_requests = ladle_test_server_get_n_requests (server);

  /* a task made after invalidation is still a task; resuming it completes it at once */
  task = create_task (session, server, "/bytes/10");
  recorder = ladle_test_recorder_new (task);
  ladle_task_resume (task);
  ladle_test_recorder_wait (recorder);
  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_SESSION_INVALIDATED);
  ladle_test_recorder_assert_events (recorder, "CT");
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, n_requests);
}

static void
test_session_invalidate_and_cancel (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  LadleTestRecorder *recorders[3];
  SessionLog log = { 0 };

  session_log_init (&log, session);

  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++)
    {
      /* long enough never to finish by itself during the test */
      g_autoptr(LadleTask) task = create_task (session, server, "/slow?chunks=100000&size=512&interval=10");

      recorders[i] = ladle_test_recorder_new (task);
      ladle_task_resume (task);
    }

  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++)
    ladle_test_recorder_wait_for_chunks (recorders[i], 1);

  g_assert_false (ladle_session_is_invalidated (session));
  ladle_session_invalidate_and_cancel (session);
  g_assert_true (ladle_session_is_invalidated (session));

  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++)
    {
      ladle_test_recorder_wait (recorders[i]);
      g_assert_error (recorders[i]->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      ladle_test_recorder_assert_events (recorders[i], "R[DP]+CT");
    }

  ladle_test_wait_for_flag (&log.invalidated, 30, "LadleSession::invalidated");
  g_assert_cmpstr (log.log->str, ==, "TTTI");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (session)), ==, 0);

  /* invalidation is announced once */
  ladle_test_spin (50);
  g_assert_cmpuint (log.n_invalidated, ==, 1);
  g_assert_cmpstr (log.log->str, ==, "TTTI");

  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++)
    ladle_test_recorder_free (recorders[i]);
  session_log_clear (&log, session);
}

static void
test_session_invalidate_and_cancel_suspended (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(LadleTask) task = create_task (session, server, "/bytes/10");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  SessionLog log = { 0 };

  session_log_init (&log, session);

  /* a task that was never resumed is outstanding too: it is cancelled */
  ladle_session_invalidate_and_cancel (session);
  ladle_test_recorder_wait (recorder);
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  ladle_test_recorder_assert_events (recorder, "CT");
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 0);

  ladle_test_wait_for_flag (&log.invalidated, 30, "LadleSession::invalidated");
  g_assert_cmpstr (log.log->str, ==, "TI");

  session_log_clear (&log, session);
}

static void
test_session_invalidate_empty (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(LadleSession) other = ladle_test_session_new ();
  SessionLog log = { 0 };
  SessionLog other_log = { 0 };

  session_log_init (&log, session);
  session_log_init (&other_log, other);

  ladle_session_invalidate_and_cancel (session);
  ladle_session_finish_tasks_and_invalidate (other);
  g_assert_true (ladle_session_is_invalidated (session));
  g_assert_true (ladle_session_is_invalidated (other));

  ladle_test_wait_for_flag (&log.invalidated, 30, "LadleSession::invalidated");
  ladle_test_wait_for_flag (&other_log.invalidated, 30, "LadleSession::invalidated");

  /* invalidating again changes nothing */
  ladle_session_invalidate_and_cancel (session);
  ladle_session_finish_tasks_and_invalidate (session);
  ladle_test_spin (50);
  g_assert_cmpstr (log.log->str, ==, "I");
  g_assert_cmpstr (other_log.log->str, ==, "I");

  session_log_clear (&log, session);
  session_log_clear (&other_log, other);
}

static void
test_session_finish_tasks_and_invalidate (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  LadleTestRecorder *recorders[2];
  SessionLog log = { 0 };

  session_log_init (&log, session);

  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++)
    {
      g_autoptr(LadleTask) task = create_task (session, server, "/slow?chunks=20&size=1000&interval=10&length=1");

      recorders[i] = ladle_test_recorder_new (task);
      ladle_task_resume (task);
    }

  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++)
    ladle_test_recorder_wait_for_chunks (recorders[i], 1);

  ladle_session_finish_tasks_and_invalidate (session);
  g_assert_true (ladle_session_is_invalidated (session));

  /* running tasks go on to the end */
  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++)
    {
      ladle_test_recorder_wait (recorders[i]);
      g_assert_no_error (recorders[i]->error);
      ladle_test_recorder_assert_events (recorders[i], "R[DP]+CT");
      ladle_test_recorder_assert_data (recorders[i], 20000);
      ladle_test_recorder_assert_progress (recorders[i], 20000, 20000);
    }

  ladle_test_wait_for_flag (&log.invalidated, 30, "LadleSession::invalidated");
  g_assert_cmpstr (log.log->str, ==, "TTI");

  for (guint i = 0; i < G_N_ELEMENTS (recorders); i++)
    ladle_test_recorder_free (recorders[i]);
  session_log_clear (&log, session);
}

static void
test_session_task_after_invalidation (gconstpointer data)
{
  gboolean cancel = GPOINTER_TO_INT (data);
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(LadleTask) before = create_task (session, server, "/bytes/100");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (before);
  SessionLog log = { 0 };

  session_log_init (&log, session);

  ladle_task_resume (before);
  if (cancel)
    ladle_session_invalidate_and_cancel (session);
  else
    ladle_session_finish_tasks_and_invalidate (session);
  ladle_test_recorder_wait (recorder);
  ladle_test_wait_for_flag (&log.invalidated, 30, "LadleSession::invalidated");
  g_assert_cmpstr (log.log->str, ==, "TI");

  /* the session's task-completed follows the late task's completed like any other */
  assert_invalidated_task (session, server);
  g_assert_cmpstr (log.log->str, ==, "TIT");
  g_assert_cmpuint (log.n_invalidated, ==, 1);

  session_log_clear (&log, session);
}

typedef struct
{
  char         *uri;
  gint          done;
  GMainContext *main_context;
} ThreadTest;

static gpointer
thread_test_func (gpointer data)
{
  ThreadTest *test = data;
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);

  {
    g_autoptr(LadleSession) session = ladle_test_session_new ();
    g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, test->uri);
    g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (LADLE_TASK (task));

    /* the recorder checks that every signal is emitted in this thread */
    g_assert_true (recorder->thread == g_thread_self ());
    ladle_task_resume (LADLE_TASK (task));
    ladle_test_recorder_wait (recorder);
    g_assert_no_error (recorder->error);
    ladle_test_recorder_assert_events (recorder, "R[DP]+CT");
    ladle_test_recorder_assert_data (recorder, 50000);
  }

  g_main_context_pop_thread_default (context);

  g_atomic_int_set (&test->done, 1);
  g_main_context_wakeup (test->main_context);

  return NULL;
}

static gboolean
failsafe_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_session_thread_default_context (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  ThreadTest test = { 0 };
  GThread *thread;
  gboolean timed_out = FALSE;
  guint failsafe;

  /* the server runs in this thread's context, the session in a worker's own context */
  test.uri = ladle_test_server_dup_uri (server, "/bytes/50000");
  test.main_context = g_main_context_default ();
  thread = g_thread_new ("ladle-session-thread", thread_test_func, &test);

  failsafe = g_timeout_add_seconds (ladle_test_failsafe_seconds (30), failsafe_cb, &timed_out);
  while (!g_atomic_int_get (&test.done) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (failsafe);
  g_assert_false (timed_out);

  g_thread_join (thread);
  g_free (test.uri);
}

static void
test_session_finalize (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  LadleSession *session = ladle_test_session_new ();
  LadleTask *task = create_task (session, server, "/bytes/1000");
  LadleTestRecorder *recorder = ladle_test_recorder_new (task);
  gpointer weak_session = session;
  gpointer weak_task = task;

  g_object_add_weak_pointer (G_OBJECT (session), &weak_session);
  g_object_add_weak_pointer (G_OBJECT (task), &weak_task);

  ladle_task_resume (task);
  ladle_test_recorder_wait (recorder);
  ladle_test_recorder_free (recorder);

  /* no reference cycle keeps a session or a completed task alive */
  g_object_unref (task);
  g_object_unref (session);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (weak_task);
  g_assert_null (weak_session);
}

static void
test_session_dup_session (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(LadleTask) task = create_task (session, server, "/bytes/1");
  g_autoptr(LadleSession) owner = ladle_task_dup_session (task);

  g_assert_true (owner == session);
  end_session (session);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Session/list-model", test_session_list_model);
  g_test_add_func ("/Ladle/Session/identifiers", test_session_identifiers);
  g_test_add_func ("/Ladle/Session/dup-session", test_session_dup_session);
  g_test_add_func ("/Ladle/Session/extra-headers", test_session_extra_headers);
  g_test_add_func ("/Ladle/Session/user-agent", test_session_user_agent);
  g_test_add_func ("/Ladle/Session/invalidate-and-cancel", test_session_invalidate_and_cancel);
  g_test_add_func ("/Ladle/Session/invalidate-and-cancel-suspended", test_session_invalidate_and_cancel_suspended);
  g_test_add_func ("/Ladle/Session/invalidate-empty", test_session_invalidate_empty);
  g_test_add_func ("/Ladle/Session/finish-tasks-and-invalidate", test_session_finish_tasks_and_invalidate);
  g_test_add_func ("/Ladle/Session/thread-default-context", test_session_thread_default_context);
  g_test_add_func ("/Ladle/Session/finalize", test_session_finalize);
  /* last: a failure here aborts the program */
  g_test_add_data_func ("/Ladle/Session/task-after-invalidate-and-cancel", GINT_TO_POINTER (TRUE),
                        test_session_task_after_invalidation);
  g_test_add_data_func ("/Ladle/Session/task-after-finish-tasks-and-invalidate", GINT_TO_POINTER (FALSE),
                        test_session_task_after_invalidation);

  return g_test_run ();
}
