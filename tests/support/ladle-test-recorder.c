/* ladle-test-recorder.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ladle-test.h"

#include <glib/gstdio.h>

#include <string.h>

static gboolean
set_true_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
check_thread (LadleTestRecorder *self)
{
  if (g_thread_self () != self->thread)
    self->signal_on_wrong_thread = TRUE;
}

static char
state_letter (LadleTaskState state)
{
  switch (state)
    {
    case LADLE_TASK_STATE_SUSPENDED:
      return 'S';
    case LADLE_TASK_STATE_RUNNING:
      return 'R';
    case LADLE_TASK_STATE_CANCELING:
      return 'X';
    case LADLE_TASK_STATE_COMPLETED:
      return 'C';
    default:
      return '?';
    }
}

static LadleResponseDisposition
response_cb (LadleTask         *task,
             SoupMessage       *message,
             LadleTestRecorder *self)
{
  check_thread (self);
  g_string_append_c (self->events, 'R');
  self->status_at_response = ladle_task_get_status_code (task);
  self->state_at_response = ladle_task_get_state (task);
  self->headers_at_response = ladle_task_get_response_headers (task) != NULL;

  return self->disposition;
}

static void
data_received_cb (LadleDataTask     *task,
                  GBytes            *chunk,
                  LadleTestRecorder *self)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (chunk, &length);

  check_thread (self);
  g_string_append_c (self->events, 'D');
  g_byte_array_append (self->data, data, length);
  self->n_chunks++;

  if (self->cancel_on_chunk == self->n_chunks)
    ladle_task_cancel (LADLE_TASK (task));

  if (self->suspend_on_chunk == self->n_chunks)
    {
      self->suspended = TRUE;
      ladle_task_suspend (LADLE_TASK (task));
    }
}

static void
download_progress_cb (LadleTask         *task,
                      gint64             received_now,
                      gint64             total_received,
                      gint64             total_expected,
                      LadleTestRecorder *self)
{
  LadleTestProgress progress = { received_now, total_received, total_expected };

  check_thread (self);
  g_string_append_c (self->events, 'P');
  g_array_append_val (self->progress, progress);

  if (self->pause_at > 0 && total_received >= self->pause_at)
    {
      self->pause_at = 0;
      ladle_test_recorder_pause (self);
    }
}

static void
resume_data_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  LadleTestRecorder *self = user_data;

  self->resume_data = ladle_download_task_cancel_producing_resume_data_finish (LADLE_DOWNLOAD_TASK (object),
                                                                               result,
                                                                               &self->resume_error);
  self->events_at_resume_cb = g_strdup (self->events->str);
  self->state_at_resume_cb = ladle_task_get_state (LADLE_TASK (object));
  self->resume_cb_called = TRUE;
}

void
ladle_test_recorder_pause (LadleTestRecorder *self)
{
  self->pause_requested = TRUE;
  ladle_download_task_cancel_producing_resume_data_async (LADLE_DOWNLOAD_TASK (self->task),
                                                          G_PRIORITY_DEFAULT, NULL,
                                                          resume_data_cb, self);
}

static void
resumed_cb (LadleDownloadTask *task,
            gint64             offset,
            gint64             total,
            LadleTestRecorder *self)
{
  check_thread (self);
  g_string_append_c (self->events, 'S');
  self->n_resumed++;
  self->resumed_offset = offset;
  self->resumed_total = total;
}

static void
finished_cb (LadleDownloadTask *task,
             GFile             *location,
             LadleTestRecorder *self)
{
  g_autofree char *dir = g_path_get_dirname (g_file_peek_path (location));
  GStatBuf buf;

  check_thread (self);
  g_string_append_c (self->events, 'F');
  self->n_finished++;
  g_set_object (&self->finished_location, location);
  g_free (self->finished_sha256);
  self->finished_sha256 = ladle_test_checksum_file (g_file_peek_path (location));
  if (g_stat (g_file_peek_path (location), &buf) == 0)
    self->finished_mode = buf.st_mode & 0777;
  if (g_stat (dir, &buf) == 0)
    self->finished_dir_mode = buf.st_mode & 0777;

  if (self->move_to != NULL)
    {
      g_autoptr(GError) error = NULL;

      g_file_move (location, self->move_to, G_FILE_COPY_NONE, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  if (self->destination != NULL)
    ladle_download_task_set_destination (task, self->destination, LADLE_DESTINATION_FLAGS_NONE);
}

static void
download_finished_cb (LadleSession      *session,
                      LadleDownloadTask *task,
                      GFile             *location,
                      LadleTestRecorder *self)
{
  if (LADLE_TASK (task) != self->task)
    return;

  check_thread (self);
  g_string_append_c (self->events, 'W');
  self->session_location_matches = self->finished_location != NULL &&
                                   g_file_equal (location, self->finished_location);
}

static void
completed_cb (LadleTask         *task,
              const GError      *error,
              LadleTestRecorder *self)
{
  check_thread (self);
  g_string_append_c (self->events, 'C');
  self->n_completed++;
  self->completed = TRUE;
  self->state_at_completed = ladle_task_get_state (task);
  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
}

static void
task_completed_cb (LadleSession      *session,
                   LadleTask         *task,
                   const GError      *error,
                   LadleTestRecorder *self)
{
  guint n_items;

  if (task != self->task)
    return;

  check_thread (self);
  g_string_append_c (self->events, 'T');
  self->n_task_completed++;
  g_clear_error (&self->session_error);
  if (error != NULL)
    self->session_error = g_error_copy (error);

  self->in_model_at_task_completed = FALSE;
  n_items = g_list_model_get_n_items (G_LIST_MODEL (session));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(LadleTask) item = g_list_model_get_item (G_LIST_MODEL (session), i);

      if (item == task)
        self->in_model_at_task_completed = TRUE;
    }

  self->done = TRUE;
}

static void
notify_state_cb (LadleTask         *task,
                 GParamSpec        *pspec,
                 LadleTestRecorder *self)
{
  check_thread (self);
  g_string_append_c (self->states, state_letter (ladle_task_get_state (task)));
}

LadleTestRecorder *
ladle_test_recorder_new (gpointer task)
{
  LadleTestRecorder *self = g_new0 (LadleTestRecorder, 1);

  g_assert_true (LADLE_IS_TASK (task));

  self->task = g_object_ref (task);
  self->session = ladle_task_dup_session (task);
  g_assert_true (LADLE_IS_SESSION (self->session));
  self->thread = g_thread_self ();
  self->events = g_string_new (NULL);
  self->states = g_string_new (NULL);
  self->data = g_byte_array_new ();
  self->progress = g_array_new (FALSE, FALSE, sizeof (LadleTestProgress));
  self->disposition = LADLE_RESPONSE_DISPOSITION_ALLOW;
  self->state_at_completed = (LadleTaskState) -1;

  self->handler_ids[0] = g_signal_connect (task, "response", G_CALLBACK (response_cb), self);
  self->handler_ids[1] = g_signal_connect (task, "download-progress",
                                           G_CALLBACK (download_progress_cb), self);
  self->handler_ids[2] = g_signal_connect (task, "completed", G_CALLBACK (completed_cb), self);
  self->handler_ids[3] = g_signal_connect (task, "notify::state", G_CALLBACK (notify_state_cb), self);
  if (LADLE_IS_DATA_TASK (task))
    self->handler_ids[4] = g_signal_connect (task, "data-received",
                                             G_CALLBACK (data_received_cb), self);
  self->handler_ids[5] = g_signal_connect (self->session, "task-completed",
                                           G_CALLBACK (task_completed_cb), self);
  if (LADLE_IS_DOWNLOAD_TASK (task))
    {
      self->handler_ids[6] = g_signal_connect (task, "resumed", G_CALLBACK (resumed_cb), self);
      self->handler_ids[7] = g_signal_connect (task, "finished", G_CALLBACK (finished_cb), self);
    }
  self->handler_ids[8] = g_signal_connect (self->session, "download-finished",
                                           G_CALLBACK (download_finished_cb), self);

  return self;
}

void
ladle_test_recorder_free (LadleTestRecorder *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (self->handler_ids); i++)
    {
      gpointer instance = i == 5 || i == 8 ? (gpointer) self->session : (gpointer) self->task;

      g_clear_signal_handler (&self->handler_ids[i], instance);
    }

  g_clear_object (&self->task);
  g_clear_object (&self->session);
  g_string_free (self->events, TRUE);
  g_string_free (self->states, TRUE);
  g_byte_array_unref (self->data);
  g_array_unref (self->progress);
  g_clear_error (&self->error);
  g_clear_error (&self->session_error);
  g_clear_object (&self->finished_location);
  g_free (self->finished_sha256);
  g_clear_object (&self->move_to);
  g_clear_object (&self->destination);
  g_clear_pointer (&self->resume_data, g_bytes_unref);
  g_clear_error (&self->resume_error);
  g_free (self->events_at_resume_cb);
  g_free (self);
}

void
ladle_test_recorder_wait (LadleTestRecorder *self)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autofree char *events_at_end = NULL;
  g_autoptr(GSource) source = NULL;
  gboolean timed_out = FALSE;

  source = g_timeout_source_new_seconds (ladle_test_failsafe_seconds (60));
  g_source_set_callback (source, set_true_cb, &timed_out, NULL);
  g_source_attach (source, context);

  while (!self->done && !timed_out)
    {
      if (self->completed)
        {
          /* ::task-completed follows ::completed: it must come before the main loop is idle */
          while (!self->done && g_main_context_iteration (context, FALSE))
            ;
          break;
        }
      g_main_context_iteration (context, TRUE);
    }

  g_source_destroy (source);

  if (!self->done && self->completed)
    g_error ("LadleSession::task-completed did not follow LadleTask::completed of task %" G_GUINT64_FORMAT
             "; events: \"%s\", states: \"%s\", error: %s",
             ladle_task_get_identifier (self->task), self->events->str, self->states->str,
             self->error ? self->error->message : "none");

  if (!self->done)
    g_error ("failsafe: no LadleSession::task-completed for task %" G_GUINT64_FORMAT " (%s) within %u s; "
             "events so far: \"%s\", states: \"%s\", n_completed %u",
             ladle_task_get_identifier (self->task),
             self->task ? G_OBJECT_TYPE_NAME (self->task) : "?",
             ladle_test_failsafe_seconds (60), self->events->str, self->states->str, self->n_completed);

  /* A pause also waits for its resume data. */
  if (self->pause_requested)
    ladle_test_wait_for_flag (&self->resume_cb_called, 60, "the resume data callback");

  /* Dispatch whatever is already pending: nothing may follow ::task-completed. */
  events_at_end = g_strdup (self->events->str);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpstr (self->events->str, ==, events_at_end);

  g_assert_cmpuint (self->n_completed, ==, 1);
  g_assert_cmpuint (self->n_task_completed, ==, 1);
  g_assert_false (self->signal_on_wrong_thread);
  g_assert_cmpint (self->state_at_completed, ==, LADLE_TASK_STATE_COMPLETED);
  g_assert_cmpint (ladle_task_get_state (self->task), ==, LADLE_TASK_STATE_COMPLETED);
  g_assert_false (self->in_model_at_task_completed);

  /* The session's report and the task's property agree with ::completed. */
  if (self->error == NULL)
    {
      g_assert_no_error (self->session_error);
      g_assert_null (ladle_task_get_error (self->task));
    }
  else
    {
      const GError *property_error = ladle_task_get_error (self->task);

      g_assert_nonnull (self->session_error);
      g_assert_cmpuint (self->session_error->domain, ==, self->error->domain);
      g_assert_cmpint (self->session_error->code, ==, self->error->code);
      g_assert_nonnull (property_error);
      g_assert_cmpuint (property_error->domain, ==, self->error->domain);
      g_assert_cmpint (property_error->code, ==, self->error->code);
      g_assert_cmpstr (property_error->message, ==, self->error->message);
    }
}

void
ladle_test_recorder_wait_for_chunks (LadleTestRecorder *self,
                                     guint              n_chunks)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) source = NULL;
  gboolean timed_out = FALSE;

  source = g_timeout_source_new_seconds (ladle_test_failsafe_seconds (30));
  g_source_set_callback (source, set_true_cb, &timed_out, NULL);
  g_source_attach (source, context);

  while (self->n_chunks < n_chunks && !self->completed && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (source);

  if (self->n_chunks < n_chunks)
    g_error ("waiting for %u data-received: got %u, events %s%s", n_chunks, self->n_chunks,
             self->events->str, timed_out ? " (failsafe)" : "");
}

char *
ladle_test_recorder_dup_squeezed_events (LadleTestRecorder *self)
{
  GString *squeezed = g_string_new (NULL);

  for (const char *p = self->events->str; *p; p++)
    if (!(*p == 'P' && squeezed->len > 0 && squeezed->str[squeezed->len - 1] == 'P'))
      g_string_append_c (squeezed, *p);

  return g_string_free (squeezed, FALSE);
}

void
ladle_test_recorder_assert_events (LadleTestRecorder *self,
                                   const char        *pattern)
{
  g_autofree char *anchored = g_strdup_printf ("^(?:%s)$", pattern);

  if (!g_regex_match_simple (anchored, self->events->str, 0, 0))
    {
      g_test_message ("events %s do not match %s", self->events->str, anchored);
      g_assert_cmpstr (self->events->str, ==, anchored);
    }
}

void
ladle_test_recorder_assert_progress (LadleTestRecorder *self,
                                     gint64             expected_total,
                                     gint64             final_received)
{
  gint64 total = 0;

  for (guint i = 0; i < self->progress->len; i++)
    {
      LadleTestProgress *p = &g_array_index (self->progress, LadleTestProgress, i);

      g_assert_cmpint (p->received_now, >=, 0);
      g_assert_cmpint (p->total_received, ==, total + p->received_now);
      g_assert_cmpint (p->total_expected, ==, expected_total);
      if (expected_total >= 0)
        g_assert_cmpint (p->total_received, <=, expected_total);
      total = p->total_received;
    }

  g_assert_cmpint (total, <=, (gint64) self->data->len);

  if (final_received >= 0)
    {
      /* the final event reports the full total */
      g_assert_cmpuint (self->progress->len, >, 0);
      g_assert_cmpint (total, ==, final_received);
    }
}

void
ladle_test_recorder_assert_data (LadleTestRecorder *self,
                                 gsize              expected_length)
{
  g_autofree char *expected = ladle_test_content_checksum (expected_length);
  g_autofree char *actual = NULL;

  g_assert_cmpuint (self->data->len, ==, expected_length);
  actual = ladle_test_checksum_data (self->data->data, self->data->len);
  g_assert_cmpstr (actual, ==, expected);
}

/* Running a task */

static void
run_completed_cb (LadleTask    *task,
                  const GError *error,
                  LadleTestRun  *self)
{
  self->n_completed++;
  self->done = TRUE;
  self->status = ladle_task_get_status_code (task);
  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  if (LADLE_IS_DATA_TASK (task))
    self->body = ladle_data_task_dup_body (LADLE_DATA_TASK (task));
}

static LadleResponseDisposition
run_response_cb (LadleTask   *task,
                 SoupMessage *message,
                 LadleTestRun *self)
{
  self->n_response++;
  /* The response is that of the task's current request. */
  g_assert_true (message == ladle_task_get_current_request (task));

  return LADLE_RESPONSE_DISPOSITION_ALLOW;
}

static void
run_notify_request_cb (LadleTask   *task,
                       GParamSpec  *pspec,
                       LadleTestRun *self)
{
  self->n_redirect_notify++;
}

LadleTestRun *
ladle_test_run_new (LadleTask *task)
{
  LadleTestRun *self = g_new0 (LadleTestRun, 1);

  self->task = g_object_ref (task);
  g_signal_connect (task, "completed", G_CALLBACK (run_completed_cb), self);
  g_signal_connect (task, "response", G_CALLBACK (run_response_cb), self);
  g_signal_connect (task, "notify::current-request", G_CALLBACK (run_notify_request_cb), self);

  return self;
}

void
ladle_test_run_wait (LadleTestRun *self)
{
  ladle_test_wait_for_flag (&self->done, 30, "the task's completion");

  /* Nothing may follow ::completed: dispatch what is already pending, then check. */
  ladle_test_drain (1000);
  g_assert_cmpuint (self->n_completed, ==, 1);
  g_assert_cmpint (ladle_task_get_state (self->task), ==, LADLE_TASK_STATE_COMPLETED);
}

void
ladle_test_run_free (LadleTestRun *self)
{
  g_signal_handlers_disconnect_by_data (self->task, self);
  g_clear_object (&self->task);
  g_clear_error (&self->error);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_free (self);
}

LadleTestRun *
ladle_test_run (LadleTask *task)
{
  LadleTestRun *self = ladle_test_run_new (task);

  ladle_task_resume (task);
  ladle_test_run_wait (self);

  return self;
}

/* Sessions */

LadleSession *
ladle_test_session_new (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();

  return ladle_session_new (configuration);
}

LadleSession *
ladle_test_session_new_with_tls_database (GTlsDatabase *database)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();

  ladle_session_configuration_set_tls_database (configuration, database);

  return ladle_session_new (configuration);
}
