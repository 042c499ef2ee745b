/* ladle-await.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Awaiting tasks: ladle_task_wait_async() and the session conveniences built on it, which
 * create, resume and await a task in one call. Each waiter is a GTask that listens to the
 * task's ::completed and completes from an idle of its own main context, so that its callback
 * runs after the whole completion (the session's ::task-completed included), never inside a
 * signal emission and never inside the call that started it.
 */

#include "config.h"

#include "ladle-await.h"
#include "ladle-data-task.h"
#include "ladle-download-task.h"
#include "ladle-error.h"
#include "ladle-i18n-private.h"
#include "ladle-session.h"
#include "ladle-task.h"

typedef struct
{
  gulong   completed_id;
  GSource *cancel_source;
  GSource *return_source;
} Wait;

static void
wait_free (gpointer data)
{
  Wait *wait = data;

  g_assert (wait->completed_id == 0);
  if (wait->cancel_source != NULL)
    {
      g_source_destroy (wait->cancel_source);
      g_source_unref (wait->cancel_source);
    }
  if (wait->return_source != NULL)
    {
      g_source_destroy (wait->return_source);
      g_source_unref (wait->return_source);
    }
  g_free (wait);
}

static gboolean
wait_return_cb (gpointer user_data)
{
  GTask *gtask = user_data;
  LadleTask *task = g_task_get_source_object (gtask);
  Wait *wait = g_task_get_task_data (gtask);
  const GError *error = ladle_task_get_error (task);

  g_clear_pointer (&wait->return_source, g_source_unref);
  if (wait->cancel_source != NULL)
    {
      g_source_destroy (wait->cancel_source);
      g_clear_pointer (&wait->cancel_source, g_source_unref);
    }

  if (error != NULL)
    g_task_return_error (gtask, g_error_copy (error));
  else
    g_task_return_boolean (gtask, TRUE);

  return G_SOURCE_REMOVE;
}

/* The waiter completes from its own main context, in a later iteration. */
static void
wait_return_soon (GTask *gtask)
{
  Wait *wait = g_task_get_task_data (gtask);

  if (wait->return_source != NULL)
    return;

  wait->return_source = g_idle_source_new ();
  g_source_set_priority (wait->return_source, g_task_get_priority (gtask));
  g_source_set_static_name (wait->return_source, "[ladle] task wait");
  /* The source holds the GTask (and the GTask its task) until it has run. */
  g_source_set_callback (wait->return_source, wait_return_cb, g_object_ref (gtask), g_object_unref);
  g_source_attach (wait->return_source, g_task_get_context (gtask));
}

static void
on_task_completed (LadleTask    *task,
                   const GError *error,
                   gpointer      user_data)
{
  GTask *gtask = user_data;
  Wait *wait = g_task_get_task_data (gtask);

  g_signal_handler_disconnect (task, wait->completed_id);
  wait->completed_id = 0;
  wait_return_soon (gtask);
  g_object_unref (gtask);   /* the handler's reference */
}

static gboolean
on_wait_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *gtask = user_data;
  Wait *wait = g_task_get_task_data (gtask);

  /* Cancelling the wait cancels the task; the wait completes when the task does, with the
   * task's own outcome (G_IO_ERROR_CANCELLED unless it was too late to cancel). */
  g_clear_pointer (&wait->cancel_source, g_source_unref);
  ladle_task_cancel (g_task_get_source_object (gtask));

  return G_SOURCE_REMOVE;
}

/**
 * ladle_task_wait_async:
 * @self: a task
 * @cancellable: (nullable): a #GCancellable; cancelling it cancels @self
 * @callback: (scope async): called when @self has completed
 * @user_data: data for @callback
 *
 * Waits for @self to complete. The wait does not resume the task: resume it with
 * [method@Ladle.Task.resume] (before or after this call).
 *
 * @callback is called from the thread-default main context of the caller, after
 * [signal@Ladle.Task::completed] and the session's [signal@Ladle.Session::task-completed],
 * never from inside this call: a task that already completed completes the wait in a later
 * iteration of the main loop, with the outcome it completed with. Any number of waits may be
 * pending on one task at once; each gets the same outcome. The wait keeps @self alive until it
 * completes.
 *
 * Cancelling @cancellable cancels @self with [method@Ladle.Task.cancel] (from the main loop);
 * the wait then completes when the task does, usually with %G_IO_ERROR_CANCELLED. An HTTP error
 * status is not an error: read [property@Ladle.Task:status-code].
 *
 * From Python, pass a callback; from GJS, `Gio._promisify(Ladle.Task.prototype, 'wait_async')`
 * makes it awaitable.
 *
 * Since: 0.2
 */
void
ladle_task_wait_async (LadleTask           *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;
  Wait *wait;

  g_return_if_fail (LADLE_IS_TASK (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  gtask = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (gtask, ladle_task_wait_async);
  g_task_set_name (gtask, "[ladle] ladle_task_wait_async");
  /* The outcome is the task's, even when the cancellable was cancelled. */
  g_task_set_check_cancellable (gtask, FALSE);

  wait = g_new0 (Wait, 1);
  g_task_set_task_data (gtask, wait, wait_free);

  if (ladle_task_get_state (self) == LADLE_TASK_STATE_COMPLETED)
    {
      wait_return_soon (gtask);
      return;
    }

  wait->completed_id = g_signal_connect_after (self, "completed",
                                               G_CALLBACK (on_task_completed),
                                               g_object_ref (gtask));

  if (cancellable != NULL)
    {
      /* From the main loop: the task is cancelled there, never inside this call, whether
       * @cancellable is cancelled already or later from another thread. */
      wait->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_static_name (wait->cancel_source, "[ladle] task wait cancelled");
      g_source_set_callback (wait->cancel_source, G_SOURCE_FUNC (on_wait_cancelled),
                             gtask, NULL);
      g_source_attach (wait->cancel_source, g_task_get_context (gtask));
    }
}

/**
 * ladle_task_wait_finish:
 * @self: a task
 * @result: the result given to the callback of [method@Ladle.Task.wait_async]
 * @error: return location for the error the task completed with
 *
 * Finishes [method@Ladle.Task.wait_async].
 *
 * Returns: true when the task completed without an error, false with @error set to a copy of
 *   [property@Ladle.Task:error]
 *
 * Since: 0.2
 */
gboolean
ladle_task_wait_finish (LadleTask     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (LADLE_IS_TASK (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_task_wait_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The libsoup message priority closest to a GLib I/O priority. */
static SoupMessagePriority
priority_for_io_priority (int io_priority)
{
  if (io_priority <= G_PRIORITY_HIGH)
    return SOUP_MESSAGE_PRIORITY_VERY_HIGH;
  if (io_priority < G_PRIORITY_DEFAULT)
    return SOUP_MESSAGE_PRIORITY_HIGH;
  if (io_priority == G_PRIORITY_DEFAULT)
    return SOUP_MESSAGE_PRIORITY_NORMAL;
  if (io_priority < G_PRIORITY_DEFAULT_IDLE)
    return SOUP_MESSAGE_PRIORITY_LOW;
  return SOUP_MESSAGE_PRIORITY_VERY_LOW;
}

/* Resumes @task and completes @outer (whose task data is @task) when @task does. */
static void
run_task (GTask               *outer,
          LadleTask           *task,
          int                  io_priority,
          GCancellable        *cancellable,
          GAsyncReadyCallback  on_waited)
{
  g_task_set_priority (outer, io_priority);
  g_task_set_check_cancellable (outer, FALSE);
  g_task_set_task_data (outer, g_object_ref (task), g_object_unref);
  ladle_task_set_priority (task, priority_for_io_priority (io_priority));
  ladle_task_wait_async (task, cancellable, on_waited, g_object_ref (outer));
  ladle_task_resume (task);
}

static void
send_and_read_waited (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  if (!ladle_task_wait_finish (LADLE_TASK (source), result, &error))
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }

  body = ladle_data_task_dup_body (LADLE_DATA_TASK (source));
  if (body == NULL)
    body = g_bytes_new (NULL, 0);
  g_task_return_pointer (outer, g_steal_pointer (&body), (GDestroyNotify)g_bytes_unref);
}

/**
 * ladle_session_send_and_read_async:
 * @self: a session
 * @request: the request to send; the task owns it from now on
 * @io_priority: the I/O priority of the request, mapped to [property@Ladle.Task:priority]
 * @cancellable: (nullable): a #GCancellable; cancelling it cancels the task
 * @callback: (scope async): called when the task has completed
 * @user_data: data for @callback
 *
 * Creates a [class@Ladle.DataTask] for @request, resumes it, and waits for it: the
 * counterpart of soup_session_send_and_read_async() with every guarantee of a task (redirects
 * through [signal@Ladle.Task::redirect], the body checked against its framing, the session's
 * delegate signals).
 *
 * The task is in the session's [iface@Gio.ListModel] like any other until it completes, so a
 * progress view bound to the session shows it. To follow it yourself, get it right after this
 * call with [method@Ladle.Session.dup_task_for_request] and connect to its signals (nothing is
 * emitted before the main loop runs).
 *
 * As for tasks, an HTTP error status is not an error: the body of a 404 is returned. The final
 * response's status and headers are on [method@Ladle.Task.get_current_request] of the task,
 * which is @request itself unless a redirect was followed.
 *
 * Since: 0.2
 */
void
ladle_session_send_and_read_async (LadleSession        *self,
                                   SoupMessage         *request,
                                   int                  io_priority,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(LadleDataTask) task = NULL;

  g_return_if_fail (LADLE_IS_SESSION (self));
  g_return_if_fail (SOUP_IS_MESSAGE (request));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, ladle_session_send_and_read_async);
  g_task_set_name (outer, "[ladle] ladle_session_send_and_read_async");

  task = ladle_session_create_data_task (self, request);
  run_task (outer, LADLE_TASK (task), io_priority, cancellable, send_and_read_waited);
}

/**
 * ladle_session_send_and_read_finish:
 * @self: a session
 * @result: the result given to the callback
 * @error: return location for the task's error
 *
 * Finishes [method@Ladle.Session.send_and_read_async].
 *
 * Returns: (transfer full): the whole response body (empty when there was none), or %NULL
 *   with @error set to the error the task completed with
 *
 * Since: 0.2
 */
GBytes *
ladle_session_send_and_read_finish (LadleSession  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_session_send_and_read_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
download_waited (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  g_autoptr(GError) error = NULL;
  LadleDownloadTask *task = LADLE_DOWNLOAD_TASK (source);
  guint status;

  if (!ladle_task_wait_finish (LADLE_TASK (source), result, &error))
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }

  /* A download task keeps only a 2xx body: for any other status nothing was saved, and there
   * is no file to return. */
  status = ladle_task_get_status_code (LADLE_TASK (task));
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      SoupMessage *message = ladle_task_get_current_request (LADLE_TASK (task));
      const char *reason = message != NULL ? soup_message_get_reason_phrase (message) : NULL;

      g_task_return_new_error (outer, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS,
                               _("The server answered %u %s: nothing was downloaded"),
                               status, reason != NULL ? reason : "");
      return;
    }

  g_task_return_pointer (outer, g_object_ref (ladle_download_task_get_destination (task)),
                         g_object_unref);
}

/**
 * ladle_session_download_async:
 * @self: a session
 * @request: the request to send, a GET; the task owns it from now on
 * @destination: where to put the downloaded file
 * @flags: how to put it there (see [method@Ladle.DownloadTask.set_destination])
 * @io_priority: the I/O priority of the request, mapped to [property@Ladle.Task:priority]
 * @cancellable: (nullable): a #GCancellable; cancelling it cancels the task
 * @callback: (scope async): called when the task has completed
 * @user_data: data for @callback
 *
 * Creates a [class@Ladle.DownloadTask] for @request with @destination, resumes it, and waits
 * for it. The body streams to a partial file and is moved to @destination when complete,
 * exactly as for a download task made with [method@Ladle.Session.create_download_task].
 *
 * The task is in the session's [iface@Gio.ListModel] until it completes; get it right after
 * this call with [method@Ladle.Session.dup_task_for_request] to follow its
 * [signal@Ladle.Task::download-progress], or to read its resume data when it failed.
 *
 * A download task keeps only the body of a 2xx response: when the final status is another one,
 * nothing is written to @destination and the download fails with
 * %LADLE_ERROR_UNACCEPTABLE_STATUS (the task itself completed without an error; its status is
 * in [property@Ladle.Task:status-code]).
 *
 * Since: 0.2
 */
void
ladle_session_download_async (LadleSession          *self,
                              SoupMessage           *request,
                              GFile                 *destination,
                              LadleDestinationFlags  flags,
                              int                    io_priority,
                              GCancellable          *cancellable,
                              GAsyncReadyCallback    callback,
                              gpointer               user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;

  g_return_if_fail (LADLE_IS_SESSION (self));
  g_return_if_fail (SOUP_IS_MESSAGE (request));
  g_return_if_fail (G_IS_FILE (destination));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, ladle_session_download_async);
  g_task_set_name (outer, "[ladle] ladle_session_download_async");

  task = ladle_session_create_download_task (self, request);
  ladle_download_task_set_destination (task, destination, flags);
  run_task (outer, LADLE_TASK (task), io_priority, cancellable, download_waited);
}

/**
 * ladle_session_download_finish:
 * @self: a session
 * @result: the result given to the callback
 * @error: return location for the task's error
 *
 * Finishes [method@Ladle.Session.download_async].
 *
 * Returns: (transfer full): the destination, now holding the whole body, or %NULL with @error
 *   set
 *
 * Since: 0.2
 */
GFile *
ladle_session_download_finish (LadleSession  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_session_download_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * ladle_session_dup_task_for_request:
 * @self: a session
 * @request: a request given to one of the session's task factories
 *
 * Finds the unfinished task made for @request: [method@Ladle.Task.get_original_request] is
 * @request. Call it right after [method@Ladle.Session.send_and_read_async] or
 * [method@Ladle.Session.download_async] to follow that task's progress; keep the reference to
 * read the task after it completed (it then leaves the session's list).
 *
 * Returns: (transfer full) (nullable): the task, or %NULL when no unfinished task of the
 *   session was made for @request
 *
 * Since: 0.2
 */
LadleTask *
ladle_session_dup_task_for_request (LadleSession *self,
                                    SoupMessage  *request)
{
  guint n_items;

  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (request), NULL);

  n_items = g_list_model_get_n_items (G_LIST_MODEL (self));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(LadleTask) task = g_list_model_get_item (G_LIST_MODEL (self), i);

      if (ladle_task_get_original_request (task) == request)
        return g_steal_pointer (&task);
    }

  return NULL;
}
