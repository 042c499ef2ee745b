/* ladle-transfer.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleTransfer: the transfer engine of a task (private).
 *
 * One loop drives every task kind: admission by the session, the kind's preparation, the
 * send, each redirect hop, the final response, the body, the kind's delivery of it, and the
 * completion. Where the loop is lives in the task record's phase, and only set_phase() changes
 * it: it checks that the change is legal and logs it (G_MESSAGES_DEBUG=Ladle).
 *
 * Task kinds shape the request and consume the body through the vfuncs of LadleTaskClass
 * (ladle-task-private.h). The body reader (ladle-transfer-body.c) reads the body into a few
 * reusable blocks: while the kind consumes one, the next one is read from the network. Rules
 * live in their own files: redirects (ladle-redirect.c), origins and credentials (ladle-origin.c),
 * certificate trust (ladle-tls-trust.c), progress (ladle-progress.c); what libsoup reports on
 * the message being sent is handled in ladle-request-watch.c.
 *
 * Everything runs on the session's main context. No signal is emitted from inside an
 * application's call: resume() and cancel() go on from idle sources.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-error.h"
#include "ladle-framing-private.h"
#include "ladle-metrics-collector-private.h"
#include "ladle-origin-private.h"
#include "ladle-redirect-private.h"
#include "ladle-request-watch-private.h"
#include "ladle-retry-private.h"
#include "ladle-session-configuration.h"
#include "ladle-session-private.h"
#include "ladle-session-background-private.h"
#include "ladle-task-private.h"
#include "ladle-transfer-body-private.h"
#include "ladle-transfer-private.h"
#include "ladle-util-private.h"
#include "ladle-watchdog-private.h"

static void send_message    (LadleTransfer *self);
static void complete       (LadleTransfer *self,
                            GError        *error);
static void restart        (LadleTransfer *self);
static gboolean try_retry  (LadleTransfer *self,
                            GError       **error);
static gboolean retry_status (LadleTransfer *self,
                              GInputStream  *stream);
static gboolean arm_retry_timer (LadleTransfer *self);

/* Phases */

static const guint legal_next[] = {
  [LADLE_TASK_PHASE_IDLE]      = 1 << LADLE_TASK_PHASE_ADMITTING | 1 << LADLE_TASK_PHASE_BODY |
                                 1 << LADLE_TASK_PHASE_DONE,
  [LADLE_TASK_PHASE_ADMITTING] = 1 << LADLE_TASK_PHASE_PREPARING | 1 << LADLE_TASK_PHASE_DONE,
  [LADLE_TASK_PHASE_PREPARING] = 1 << LADLE_TASK_PHASE_SENDING | 1 << LADLE_TASK_PHASE_ADMITTING |
                                 1 << LADLE_TASK_PHASE_DONE,
  /* Back to ADMITTING: another attempt (a retry, a pause for a metered network). */
  [LADLE_TASK_PHASE_SENDING]   = 1 << LADLE_TASK_PHASE_SENDING | 1 << LADLE_TASK_PHASE_RESPONSE |
                                 1 << LADLE_TASK_PHASE_ADMITTING | 1 << LADLE_TASK_PHASE_DONE,
  [LADLE_TASK_PHASE_RESPONSE]  = 1 << LADLE_TASK_PHASE_BODY | 1 << LADLE_TASK_PHASE_ADMITTING |
                                 1 << LADLE_TASK_PHASE_DONE,
  [LADLE_TASK_PHASE_BODY]      = 1 << LADLE_TASK_PHASE_FINISHING | 1 << LADLE_TASK_PHASE_ADMITTING |
                                 1 << LADLE_TASK_PHASE_DONE,
  [LADLE_TASK_PHASE_FINISHING] = 1 << LADLE_TASK_PHASE_DONE,
  [LADLE_TASK_PHASE_DONE]      = 0,
};

static gboolean
set_phase (LadleTransfer  *self,
           LadleTaskPhase  phase)
{
  LadleTaskPhase old = self->record->phase;

  if (!(legal_next[old] & (1u << phase)))
    {
      g_critical ("Task %" G_GUINT64_FORMAT ": illegal phase change %s → %s",
                  self->record->identifier,
                  _ladle_task_phase_to_string (old), _ladle_task_phase_to_string (phase));
      return FALSE;
    }

  self->record->phase = phase;
  /* A task waits for the network or a retry's delay only before it is started. */
  if (phase != LADLE_TASK_PHASE_ADMITTING)
    _ladle_task_set_wait_reason (self->task, LADLE_TASK_WAIT_REASON_NONE);
  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    {
      if (phase == LADLE_TASK_PHASE_SENDING && self->current_request != NULL)
        {
          g_autofree char *uri = g_uri_to_string_partial (soup_message_get_uri (self->current_request),
                                                          G_URI_HIDE_USERINFO | G_URI_HIDE_AUTH_PARAMS |
                                                          G_URI_HIDE_QUERY | G_URI_HIDE_FRAGMENT);

          g_debug ("Task %" G_GUINT64_FORMAT ": %s → %s %s %s", self->record->identifier,
                   _ladle_task_phase_to_string (old), _ladle_task_phase_to_string (phase),
                   soup_message_get_method (self->current_request), uri);
        }
      else
        g_debug ("Task %" G_GUINT64_FORMAT ": %s → %s", self->record->identifier,
                 _ladle_task_phase_to_string (old), _ladle_task_phase_to_string (phase));
    }

  return TRUE;
}


static GError *
cancelled_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled"));
}

static GMainContext *
session_context (LadleTransfer *self)
{
  g_autoptr(LadleSession) session = _ladle_task_dup_session (self->task);

  return session != NULL ? _ladle_session_get_context (session) : g_main_context_get_thread_default ();
}

/* Completion: the one place a task ends */

static void
emit_completion (LadleTransfer *self)
{
  LadleTaskClass *klass = task_class (self);
  G_GNUC_UNUSED g_autoptr(LadleTask) hold = g_object_ref (self->task);
  g_autoptr(LadleSession) session = NULL;
  GError *error = g_steal_pointer (&self->final_error);

  self->completing = FALSE;
  set_phase (self, LADLE_TASK_PHASE_DONE);

  if (error != NULL)
    g_debug ("Task %" G_GUINT64_FORMAT ": failed: %s", self->record->identifier, error->message);
  _ladle_task_set_error (self->task, error);
  _ladle_task_set_state (self->task, LADLE_TASK_STATE_COMPLETED);
  _ladle_metrics_collector_finish (self->metrics, self->record->n_redirects);
  _ladle_task_emit_metrics_collected (self->task);
  _ladle_task_emit_completed (self->task);

  session = _ladle_task_steal_session_hold (self->task);
  if (session == NULL)
    session = _ladle_task_dup_session (self->task);
  if (session != NULL)
    _ladle_session_task_completed (session, self->task, ladle_task_get_error (self->task));

  if (klass->did_complete != NULL)
    klass->did_complete (self->task);
}

static void
recorded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(LadleTask) task = user_data;

  _ladle_background_finish (result);
  emit_completion (_ladle_task_get_transfer (task));
}

/* A background session records the completion before ::completed announces it. */
static void
record_completion (LadleTransfer *self)
{
  g_autoptr(LadleSession) session = _ladle_task_dup_session (self->task);
  LadleBackground *background = session != NULL ? _ladle_session_get_background (session) : NULL;

  if (background == NULL)
    {
      emit_completion (self);
      return;
    }

  _ladle_background_record_completion_async (background, self->task, self->final_error, NULL,
                                             recorded_cb, g_object_ref (self->task));
}

static void
will_complete_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  LadleTask *task = LADLE_TASK (object);
  LadleTransfer *self = _ladle_task_get_transfer (task);

  task_class (self)->will_complete_finish (task, result);
  record_completion (self);
}

/* Every block was given back: the kind cleans up (on its worker when it has one), then
 * ::completed is emitted. */
static void
finish_completion (LadleTransfer *self)
{
  LadleTaskClass *klass = task_class (self);

  if (self->restarting)
    _ladle_watchdog_stop_speed (self->watchdog);
  else
    _ladle_watchdog_stop (self->watchdog);

  if (self->body_stream != NULL)
    {
      /* A body read to its end has nothing left to skip or wait for (libsoup's HTTP/1 and
       * HTTP/2 readers both return at once then): closing it finishes the message without a
       * main-loop round trip. */
      if (self->eof)
        g_input_stream_close (self->body_stream, NULL, NULL);
      else
        _ladle_close_stream (self->body_stream);
      g_clear_object (&self->body_stream);
    }
  _ladle_request_watch_detach (self->watch);
  _ladle_transfer_free_idle_buffers (self);
  _ladle_transfer_clear_splice (self);

  if (self->restarting)
    {
      restart (self);
      return;
    }

  if (klass->will_complete != NULL)
    klass->will_complete (self->task, self->final_error);
  if (klass->will_complete_async != NULL)
    {
      klass->will_complete_async (self->task, self->final_error, will_complete_cb, NULL);
      return;
    }

  record_completion (self);
}

/* Completes with @error (taken, NULL for success). Blocks still in flight (a read, a disk
 * write of the kind) are stopped or waited for first, so that nothing touches the task's
 * files or buffers after ::completed. */
static void
complete (LadleTransfer *self,
          GError        *error)
{
  if (self->record->phase == LADLE_TASK_PHASE_DONE || self->completing)
    {
      g_clear_error (&error);
      return;
    }
  if (error != NULL && !self->remote && try_retry (self, &error))
    return;

  _ladle_clear_source (&self->completion_source);
  _ladle_clear_source (&self->continue_source);
  _ladle_clear_source (&self->retry_source);
  /* A spliced body: the bytes already in the file count, whatever ends the task. */
  _ladle_transfer_count_splice (self);
  self->final_error = error;
  self->completing = TRUE;

  if (self->n_busy > 0 || self->beginning)
    g_cancellable_cancel (self->cancellable);
  _ladle_transfer_settle (self);
}

static gboolean
completion_cb (gpointer user_data)
{
  LadleTransfer *self = _ladle_task_get_transfer (user_data);
  GError *error = g_steal_pointer (&self->start_error);

  g_clear_pointer (&self->completion_source, g_source_unref);
  if (error == NULL && state (self) == LADLE_TASK_STATE_CANCELING)
    error = cancelled_error ();
  complete (self, error);

  return G_SOURCE_REMOVE;
}

/* Completions caused by a call of the application (cancel, resume of a task that cannot run)
 * are delivered from the main loop, never from inside the call. */
static void
schedule_completion (LadleTransfer *self,
                     GError        *error)
{
  GSource *source;

  if (error != NULL)
    _ladle_transfer_fail_on_start (self, error);
  if (self->completion_source != NULL || self->record->phase == LADLE_TASK_PHASE_DONE)
    return;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, completion_cb, g_object_ref (self->task), g_object_unref);
  g_source_set_static_name (source, "[ladle] task completion");
  g_source_attach (source, session_context (self));
  self->completion_source = source;
}

/* The outcome of an operation in flight: whether the loop goes on. */
static gboolean
check_interrupted (LadleTransfer *self)
{
  if (self->record->phase == LADLE_TASK_PHASE_DONE)
    return TRUE;
  /* Another attempt (or the completion) waited for this operation. */
  if (self->completing)
    {
      _ladle_transfer_settle (self);
      return TRUE;
    }
  if (self->abort_error != NULL)
    {
      complete (self, g_steal_pointer (&self->abort_error));
      return TRUE;
    }
  if (state (self) == LADLE_TASK_STATE_CANCELING)
    {
      complete (self, cancelled_error ());
      return TRUE;
    }

  return FALSE;
}

/* The response */

static void
handle_response (LadleTransfer *self)
{
  LadleTaskClass *klass = task_class (self);
  LadleResponseDisposition disposition;

  /* A handler that suspends and resumes the task must not re-enter the loop. */
  self->dispatching = TRUE;
  disposition = _ladle_task_emit_response (self->task, self->current_request);
  self->dispatching = FALSE;

  if (self->record->phase == LADLE_TASK_PHASE_DONE || state (self) == LADLE_TASK_STATE_CANCELING)
    return;

  switch (disposition)
    {
    case LADLE_RESPONSE_DISPOSITION_CANCEL:
      ladle_task_cancel (self->task);
      return;

    case LADLE_RESPONSE_DISPOSITION_BECOME_DOWNLOAD:
      if (klass->become_download != NULL &&
          klass->become_download (self->task, self->current_request, self->body_stream))
        {
          /* The download task owns the stream now; this task is done. */
          g_clear_object (&self->body_stream);
          complete (self, NULL);
          return;
        }
      break;

    case LADLE_RESPONSE_DISPOSITION_ALLOW:
    default:
      break;
    }

  _ladle_transfer_begin_body (self);
}

/* Sending */

static void
follow_redirect (LadleTransfer *self,
                 SoupMessage   *next,
                 GInputStream  *stream)
{
  _ladle_drain_and_close_stream (stream);
  _ladle_request_watch_detach (self->watch);
  g_set_object (&self->current_request, next);
  self->record->n_redirects++;
  _ladle_task_current_request_changed (self->task);

  send_message (self);
}

/* A redirect response: follow it, or deliver it as the final response (FALSE). */
static gboolean
handle_redirect (LadleTransfer *self,
                 GInputStream  *stream)
{
  LadleTaskClass *klass = task_class (self);
  SoupMessage *message = self->current_request;
  g_autoptr(SoupMessage) next = NULL;
  g_autoptr(GError) error = NULL;
  gboolean can_resend = klass->can_resend_body != NULL && klass->can_resend_body (self->task);

  next = _ladle_redirect_build_next (message, self->record->n_redirects,
                                     ladle_task_get_max_redirects (self->task), can_resend, &error);
  if (error != NULL)
    {
      _ladle_close_stream (stream);
      complete (self, g_steal_pointer (&error));
      return TRUE;
    }
  if (next == NULL)
    return FALSE;

  soup_message_set_priority (next, ladle_task_get_priority (self->task));
  /* Credentials never leave the original origin, whoever set them: the request, the
   * configuration, or a header the application marked sensitive. */
  if (self->first_uri != NULL && !_ladle_origin_same (self->first_uri, soup_message_get_uri (next)))
    {
      g_autoptr(LadleSession) session = _ladle_task_dup_session (self->task);

      if (session != NULL)
        _ladle_session_remove_sensitive_headers (session, next);
    }
  if (!_ladle_task_emit_redirect (self->task, next))
    return FALSE;
  if (state (self) == LADLE_TASK_STATE_CANCELING || self->record->phase == LADLE_TASK_PHASE_DONE)
    {
      _ladle_close_stream (stream);
      return TRUE;
    }
  if (!_ladle_uri_is_http (soup_message_get_uri (next)))
    {
      _ladle_close_stream (stream);
      complete (self, g_error_new (LADLE_ERROR, LADLE_ERROR_UNSUPPORTED_REDIRECT,
                                   _("The redirect handler set a URI that is not http or https")));
      return TRUE;
    }

  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    {
      /* Where to, without credentials or the query (they may carry secrets). */
      g_autofree char *to = g_uri_to_string_partial (soup_message_get_uri (next),
                                                     G_URI_HIDE_USERINFO | G_URI_HIDE_AUTH_PARAMS |
                                                     G_URI_HIDE_QUERY | G_URI_HIDE_FRAGMENT);

      g_debug ("Task %" G_GUINT64_FORMAT ": following redirect %u (status %u) to %s %s",
               self->record->identifier, self->record->n_redirects + 1,
               soup_message_get_status (message), soup_message_get_method (next), to);
    }
  follow_redirect (self, next, stream);
  return TRUE;
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LadleTask) task = user_data;
  LadleTransfer *self = _ladle_task_get_transfer (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  self->sending = FALSE;
  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);

  if (check_interrupted (self))
    {
      _ladle_close_stream (stream);
      return;
    }
  if (stream == NULL)
    {
      /* libsoup refuses some broken framing itself (a Content-Length that is not a number, a
       * list of them): the same protocol error as the ones Ladle finds. */
      if (g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_ENCODING) ||
          g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_PARSING))
        complete (self, g_error_new (LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE,
                                     _("The server's response is malformed: %s"), error->message));
      else
        complete (self, g_steal_pointer (&error));
      return;
    }
  if (!_ladle_request_watch_check_certificate (self->watch, self->current_request, &error))
    {
      _ladle_close_stream (stream);
      complete (self, g_steal_pointer (&error));
      return;
    }

  if (_ladle_redirect_is_redirect_status (soup_message_get_status (self->current_request)) &&
      handle_redirect (self, stream))
    return;
  if (retry_status (self, stream))
    return;

  self->body_stream = g_steal_pointer (&stream);
  set_phase (self, LADLE_TASK_PHASE_RESPONSE);
  g_debug ("Task %" G_GUINT64_FORMAT ": response %u", self->record->identifier,
           soup_message_get_status (self->current_request));
  if (state (self) == LADLE_TASK_STATE_RUNNING)
    handle_response (self);
}

/* No unbounded waits (ladle-watchdog.c): only time spent transferring counts. */
static gboolean
watchdog_counts (gpointer owner)
{
  LadleTransfer *self = _ladle_task_get_transfer (owner);
  LadleTaskPhase phase = self->record->phase;

  return state (self) == LADLE_TASK_STATE_RUNNING && !self->completing &&
         (phase == LADLE_TASK_PHASE_SENDING || phase == LADLE_TASK_PHASE_RESPONSE ||
          phase == LADLE_TASK_PHASE_BODY);
}

static void
watchdog_fired (gpointer  owner,
                GError   *error)
{
  LadleTransfer *self = _ladle_task_get_transfer (owner);

  g_debug ("Task %" G_GUINT64_FORMAT ": %s", self->record->identifier, error->message);
  _ladle_transfer_abort (self, error);
}

static void
start_speed_watchdog (LadleTransfer *self,
                      LadleSession  *session)
{
  LadleSessionConfiguration *configuration = _ladle_session_get_configuration (session);

  _ladle_watchdog_start_speed (self->watchdog, _ladle_session_get_context (session),
                               ladle_session_configuration_get_low_speed_limit (configuration),
                               ladle_session_configuration_get_low_speed_time (configuration));
}

/* Body bytes written to the connection count as progress for the watchdog. */
void
_ladle_transfer_note_sent (LadleTransfer *self,
                           gsize          n_bytes)
{
  _ladle_watchdog_note_progress (self->watchdog, n_bytes);
}

static void
send_message (LadleTransfer *self)
{
  LadleTaskClass *klass = task_class (self);
  g_autoptr(LadleSession) session = _ladle_task_dup_session (self->task);
  SoupMessage *message = self->current_request;
  g_autoptr(GError) error = NULL;

  if (session == NULL)
    {
      complete (self, g_error_new (LADLE_ERROR, LADLE_ERROR_SESSION_INVALIDATED,
                                   _("The task's session no longer exists")));
      return;
    }

  start_speed_watchdog (self, session);
  _ladle_request_watch_take_url_credentials (self->watch, message);
  if (self->first_uri == NULL)
    self->first_uri = g_uri_ref (soup_message_get_uri (message));
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_set_priority (message, ladle_task_get_priority (self->task));
  _ladle_session_prepare_message (session, message, self->first_uri);

  if ((klass->prepare_message != NULL && !klass->prepare_message (self->task, message, &error)) ||
      !_ladle_framing_check_request (message, &error))
    {
      complete (self, g_steal_pointer (&error));
      return;
    }

  /* Each hop sends the body from its start; what was reported stays reported, so that
   * upload-progress never goes back. */
  self->record->bytes_sent = 0;
  _ladle_request_watch_attach (self->watch, message);
  _ladle_splice_body_watch (message);

  if (self->attempt == 0)
    self->attempt = 1;
  set_phase (self, LADLE_TASK_PHASE_SENDING);
  self->sending = TRUE;
  _ladle_metrics_collector_will_send (self->metrics, message);
  _ladle_session_send_message (session, self->task, message, self->cancellable,
                               send_cb, g_object_ref (self->task));
}

static void
prepare_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  LadleTask *task = LADLE_TASK (object);
  LadleTransfer *self = _ladle_task_get_transfer (task);
  GError *error = NULL;
  gboolean prepared;

  prepared = task_class (self)->prepare_finish (task, result, &error);
  self->preparing = FALSE;

  if (check_interrupted (self))
    {
      g_clear_error (&error);
      return;
    }
  if (!prepared)
    {
      complete (self, error);
      return;
    }

  send_message (self);
}

void
_ladle_transfer_start (LadleTransfer *self,
                       GError        *refusal)
{
  LadleTaskClass *klass = task_class (self);

  if (self->record->phase != LADLE_TASK_PHASE_ADMITTING)
    {
      g_clear_error (&refusal);
      return;
    }
  if (refusal != NULL)
    {
      complete (self, refusal);
      return;
    }
  if (state (self) == LADLE_TASK_STATE_CANCELING)
    {
      complete (self, cancelled_error ());
      return;
    }

  set_phase (self, LADLE_TASK_PHASE_PREPARING);
  if (klass->prepare_async == NULL)
    {
      send_message (self);
      return;
    }

  self->preparing = TRUE;
  klass->prepare_async (self->task, self->cancellable, prepare_cb, NULL);
}

/* Another attempt: a retry (ladle-retry.c) or a pause for a metered network. The attempt in
 * flight is interrupted as a completion would be (a download's last bytes reach its partial
 * file first), then restart() sends the task back to the session's admission with a new
 * message, after the retry's delay. */

static void
interrupt_for_restart (LadleTransfer *self,
                       gboolean       network_pause,
                       guint          delay_ms)
{
  self->restarting = TRUE;
  self->network_pause = network_pause;
  self->retry_delay = delay_ms;
  _ladle_clear_source (&self->continue_source);
  self->completing = TRUE;
  g_cancellable_cancel (self->cancellable);
  _ladle_transfer_settle (self);
}

static gboolean
retry_timer_cb (gpointer user_data)
{
  LadleTransfer *self = _ladle_task_get_transfer (user_data);
  g_autoptr(LadleSession) session = NULL;

  g_clear_pointer (&self->retry_source, g_source_unref);
  /* Suspended: resume() runs the rest of the delay (continue_cb). */
  if (state (self) != LADLE_TASK_STATE_RUNNING || self->record->phase != LADLE_TASK_PHASE_ADMITTING)
    return G_SOURCE_REMOVE;

  self->retry_due = 0;
  _ladle_task_set_wait_reason (self->task, LADLE_TASK_WAIT_REASON_NONE);
  session = _ladle_task_dup_session (self->task);
  if (session == NULL)
    complete (self, g_error_new_literal (LADLE_ERROR, LADLE_ERROR_SESSION_INVALIDATED,
                                         _("The task's session no longer exists")));
  else
    _ladle_session_admit (session, self->task);

  return G_SOURCE_REMOVE;
}

/* Arms the timer for what is left of a retry's delay; FALSE when none is left. */
static gboolean
arm_retry_timer (LadleTransfer *self)
{
  gint64 now = g_get_monotonic_time ();
  GSource *source;

  if (self->retry_due == 0)
    return FALSE;
  if (self->retry_due <= now)
    {
      self->retry_due = 0;
      return FALSE;
    }

  source = _ladle_retry_timer_new (session_context (self), self->retry_due - now, retry_timer_cb, self->task);
  self->retry_source = source;
  _ladle_task_set_wait_reason (self->task, LADLE_TASK_WAIT_REASON_RETRY);

  return TRUE;
}

static void
restart (LadleTransfer *self)
{
  LadleTaskClass *klass = task_class (self);
  g_autoptr(SoupMessage) next = NULL;
  g_autoptr(LadleSession) session = NULL;
  gboolean network_pause = self->network_pause;

  self->restarting = FALSE;
  self->network_pause = FALSE;
  self->completing = FALSE;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->eof = FALSE;
  self->body_received = 0;
  self->body_length = -1;
  self->framed_length = -1;
  /* Bytes read but never handed to the kind are not in its file: the next attempt asks for
   * them again. */
  for (guint i = 0; i < MAX_BUFFERS; i++)
    {
      self->buffers[i].state = BUFFER_FREE;
      self->buffers[i].public.length = 0;
      self->buffers[i].counted = 0;
      g_clear_pointer (&self->buffers[i].public.data, g_free);
    }
  self->next_read = self->next_delivery = 0;

  set_phase (self, LADLE_TASK_PHASE_ADMITTING);
  /* The kind keeps what the next attempt continues from (a download's partial file). */
  if (klass->prepare_retry != NULL)
    klass->prepare_retry (self->task);

  /* Each attempt is a message of its own (one transaction each in the metrics). */
  next = _ladle_retry_copy_message (self->current_request);
  g_set_object (&self->current_request, next);
  _ladle_task_current_request_changed (self->task);

  if (state (self) == LADLE_TASK_STATE_CANCELING)
    {
      complete (self, cancelled_error ());
      return;
    }
  /* The task's deadline passed while the attempt was being interrupted. */
  if (_ladle_watchdog_deadline_fired (self->watchdog))
    {
      complete (self, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                   _("The task did not complete within %u seconds"),
                                   ladle_task_get_total_timeout (self->task)));
      return;
    }

  if (network_pause)
    {
      g_debug ("Task %" G_GUINT64_FORMAT ": paused: the network became metered; %" G_GINT64_FORMAT
               " bytes kept", self->record->identifier, self->record->bytes_on_disk);
      session = _ladle_task_dup_session (self->task);
      if (session != NULL && state (self) == LADLE_TASK_STATE_RUNNING)
        _ladle_session_admit (session, self->task);
      return;
    }

  self->retry_due = g_get_monotonic_time () + (gint64)self->retry_delay * 1000;
  if (state (self) == LADLE_TASK_STATE_RUNNING && !arm_retry_timer (self))
    retry_timer_cb (self->task);
}

/* Whether @error (kept on FALSE, taken on TRUE) ends this attempt only: the policy retries it
 * and no ::will-retry handler vetoed. Called from complete(). */
static gboolean
try_retry (LadleTransfer  *self,
           GError        **error)
{
  LadleTaskPhase phase = self->record->phase;
  guint delay_ms = 0;

  if (phase != LADLE_TASK_PHASE_SENDING && phase != LADLE_TASK_PHASE_RESPONSE &&
      phase != LADLE_TASK_PHASE_BODY)
    return FALSE;
  if (state (self) != LADLE_TASK_STATE_RUNNING || self->abort_error != NULL ||
      _ladle_watchdog_deadline_fired (self->watchdog))
    return FALSE;
  /* A data or upload task's body already reached the application (::data-received): only a
   * download, whose body is in its partial file, can continue it. */
  if (phase == LADLE_TASK_PHASE_BODY && self->record->kind != LADLE_TASK_KIND_DOWNLOAD &&
      self->body_received > 0)
    return FALSE;
  if (!_ladle_retry_ask (self->task, &self->attempt, self->current_request, *error, &delay_ms))
    return FALSE;
  if (self->record->phase == LADLE_TASK_PHASE_DONE || self->completing)
    return FALSE;
  if (state (self) == LADLE_TASK_STATE_CANCELING)
    {
      g_clear_error (error);
      *error = cancelled_error ();
      return FALSE;
    }

  g_clear_error (error);
  interrupt_for_restart (self, FALSE, delay_ms);

  return TRUE;
}

/* A final response whose status the policy retries: the task retries instead of delivering it
 * (unless no attempt is left, or a handler vetoes). */
static gboolean
retry_status (LadleTransfer *self,
              GInputStream  *stream)
{
  guint delay_ms = 0;

  if (state (self) != LADLE_TASK_STATE_RUNNING ||
      !_ladle_retry_ask (self->task, &self->attempt, self->current_request, NULL, &delay_ms))
    return FALSE;

  /* The error page is read to its end, so the connection can serve the next attempt. */
  _ladle_drain_and_close_stream (stream);
  if (state (self) == LADLE_TASK_STATE_CANCELING)
    {
      complete (self, cancelled_error ());
      return TRUE;
    }
  interrupt_for_restart (self, FALSE, delay_ms);

  return TRUE;
}

/* The network became metered and the task may not use it: a download stops reading its body,
 * keeps its partial file, and waits in the session's admission (ladle-admission.c). */
void
_ladle_transfer_pause_for_network (LadleTransfer *self)
{
  LadleTaskPhase phase = self->record->phase;

  if (self->completing || state (self) != LADLE_TASK_STATE_RUNNING ||
      (phase != LADLE_TASK_PHASE_PREPARING && phase != LADLE_TASK_PHASE_SENDING &&
       phase != LADLE_TASK_PHASE_RESPONSE && phase != LADLE_TASK_PHASE_BODY))
    return;

  interrupt_for_restart (self, TRUE, 0);
}

/* The application's calls */

static void
start (LadleTransfer *self)
{
  g_autoptr(LadleSession) session = _ladle_task_dup_session (self->task);
  guint total_timeout = ladle_task_get_total_timeout (self->task);

  set_phase (self, LADLE_TASK_PHASE_ADMITTING);
  if (session != NULL && !self->remote)
    _ladle_watchdog_start_deadline (self->watchdog, _ladle_session_get_context (session), total_timeout);
  if (self->start_error != NULL)
    {
      schedule_completion (self, NULL);
      return;
    }
  if (session == NULL)
    {
      schedule_completion (self, g_error_new (LADLE_ERROR, LADLE_ERROR_SESSION_INVALIDATED,
                                              _("The session was invalidated")));
      return;
    }

  /* The session starts the task: now, or when the network allows it. */
  _ladle_session_admit (session, self->task);
}

static gboolean
continue_cb (gpointer user_data)
{
  LadleTransfer *self = _ladle_task_get_transfer (user_data);

  g_clear_pointer (&self->continue_source, g_source_unref);

  if (state (self) != LADLE_TASK_STATE_RUNNING)
    return G_SOURCE_REMOVE;

  /* An operation in flight, or the signal being emitted, goes on by itself. */
  if (self->sending || self->preparing || self->beginning || self->dispatching)
    return G_SOURCE_REMOVE;

  switch (self->record->phase)
    {
    case LADLE_TASK_PHASE_IDLE:
      start (self);
      break;

    case LADLE_TASK_PHASE_RESPONSE:
      handle_response (self);
      break;

    case LADLE_TASK_PHASE_BODY:
      _ladle_transfer_pump_body (self);
      break;

    case LADLE_TASK_PHASE_ADMITTING:
      {
        /* Suspended while it waited for the network, resumed since: ask again (the session
         * starts it, or keeps it waiting once). */
        g_autoptr(LadleSession) session = _ladle_task_dup_session (self->task);

        /* …or the rest of a retry's delay runs first. */
        if (self->retry_source != NULL || arm_retry_timer (self))
          break;
        if (session != NULL)
          _ladle_session_admit (session, self->task);
      }
      break;

    case LADLE_TASK_PHASE_PREPARING:
    case LADLE_TASK_PHASE_SENDING:
    case LADLE_TASK_PHASE_FINISHING:
    case LADLE_TASK_PHASE_DONE:
    default:
      break;
    }

  return G_SOURCE_REMOVE;
}

void
_ladle_transfer_resume (LadleTransfer *self)
{
  GSource *source;

  /* The work goes on from the main loop: no signal is ever emitted from inside resume(). */
  if (self->continue_source != NULL)
    return;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, continue_cb, g_object_ref (self->task), g_object_unref);
  g_source_set_static_name (source, "[ladle] task continue");
  g_source_attach (source, session_context (self));
  self->continue_source = source;
}

/* The whole body is being delivered, or the task is completing: too late to cancel. */
gboolean
_ladle_transfer_is_finishing (LadleTransfer *self)
{
  return self->record->phase == LADLE_TASK_PHASE_FINISHING || (self->completing && !self->restarting);
}

void
_ladle_transfer_cancel (LadleTransfer *self)
{
  /* A spliced body: what is in the file now counts; what the worker moves before it sees the
   * cancellation does not (settle() in ladle-transfer-body.c). */
  _ladle_transfer_count_splice (self);
  g_cancellable_cancel (self->cancellable);

  /* With an operation in flight, its callback completes the task. */
  if (!self->sending && !self->preparing && !self->beginning && self->n_busy == 0)
    schedule_completion (self, NULL);
}

/* Tasks of the transfer service (ladle-session-remote.c): the service sends and retries; this
 * engine waits in ADMITTING for the service's completion. */
void
_ladle_transfer_set_remote (LadleTransfer *self)
{
  self->remote = TRUE;
}

gboolean
_ladle_transfer_is_remote (LadleTransfer *self)
{
  return self->remote;
}

/* The service reported the task's completion: it completes here as it did there. */
void
_ladle_transfer_complete_remote (LadleTransfer *self,
                                 GError        *error)
{
  g_return_if_fail (self->remote);

  _ladle_clear_source (&self->retry_source);
  complete (self, error);
}

void
_ladle_transfer_fail_on_start (LadleTransfer *self,
                               GError        *error)
{
  if (self->start_error == NULL)
    self->start_error = error;
  else
    g_error_free (error);
}

/* Fails the task with @error from inside a libsoup callback (e.g. a request body that cannot be
 * produced again): the operation in flight is cancelled and its callback completes the task. */
void
_ladle_transfer_abort (LadleTransfer *self,
                       GError        *error)
{
  /* Once the body is being delivered (a download moved into place), the outcome stands. */
  if (self->record->phase == LADLE_TASK_PHASE_DONE || self->record->phase == LADLE_TASK_PHASE_FINISHING ||
      self->completing || self->abort_error != NULL || state (self) == LADLE_TASK_STATE_CANCELING)
    {
      g_error_free (error);
      return;
    }

  self->abort_error = error;
  g_cancellable_cancel (self->cancellable);
  if (!self->sending && !self->preparing && !self->beginning && self->n_busy == 0)
    schedule_completion (self, g_steal_pointer (&self->abort_error));
}

/* A data task's response handed over to a new download task (become-download). */
void
_ladle_transfer_start_with_response (LadleTransfer *self,
                                     SoupMessage   *message,
                                     GInputStream  *stream)
{
  g_set_object (&self->current_request, message);
  self->body_stream = g_object_ref (stream);
  _ladle_metrics_collector_adopt (self->metrics, message);
  _ladle_task_set_state (self->task, LADLE_TASK_STATE_RUNNING);
  _ladle_transfer_begin_body (self);
}

/* A resumed download continues a partial file of @offset bytes. */
void
_ladle_transfer_set_receive_offset (LadleTransfer *self,
                                    gint64         offset,
                                    gint64         expected_total)
{
  self->receive_offset = offset;
  self->record->bytes_received = offset + self->body_received;
  self->record->bytes_expected_to_receive = expected_total;
}

/* Life cycle and accessors */

LadleTransfer *
_ladle_transfer_new (LadleTask       *task,
                     LadleTaskRecord *record)
{
  LadleTransfer *self = g_new0 (LadleTransfer, 1);

  self->task = task;
  self->record = record;
  self->cancellable = g_cancellable_new ();
  self->watch = _ladle_request_watch_new (task);
  self->watchdog = _ladle_watchdog_new (G_OBJECT (task), watchdog_counts, watchdog_fired);
  self->metrics = _ladle_metrics_collector_new ();
  self->body_length = -1;
  self->framed_length = -1;

  return self;
}

void
_ladle_transfer_free (LadleTransfer *self)
{
  if (self == NULL)
    return;

  _ladle_clear_source (&self->completion_source);
  _ladle_clear_source (&self->continue_source);
  _ladle_clear_source (&self->retry_source);
  g_clear_pointer (&self->watchdog, _ladle_watchdog_free);
  g_clear_pointer (&self->watch, _ladle_request_watch_free);
  g_clear_pointer (&self->metrics, _ladle_metrics_collector_free);
  if (self->body_stream != NULL)
    {
      _ladle_close_stream (self->body_stream);
      g_clear_object (&self->body_stream);
    }
  for (guint i = 0; i < MAX_BUFFERS; i++)
    g_free (self->buffers[i].public.data);
  _ladle_transfer_clear_splice (self);
  g_clear_object (&self->current_request);
  g_clear_pointer (&self->first_uri, g_uri_unref);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->start_error);
  g_clear_error (&self->abort_error);
  g_clear_error (&self->final_error);
  g_free (self);
}

void
_ladle_transfer_set_request (LadleTransfer *self,
                             SoupMessage   *request)
{
  g_set_object (&self->current_request, request);
}

/* The record's request is brought up to date when it is read, not at every send. */
void
_ladle_transfer_sync_record (LadleTransfer *self)
{
  g_autoptr(LadleSession) session = _ladle_task_dup_session (self->task);
  g_auto(GStrv) sensitive = session ? _ladle_session_dup_sensitive_headers (session) : NULL;

  if (self->current_request != NULL)
    _ladle_task_record_set_request (self->record, self->current_request, (const char * const *)sensitive);
}

SoupMessage *
_ladle_transfer_get_current_request (LadleTransfer *self)
{
  return self->current_request;
}

gboolean
_ladle_transfer_has_response (LadleTransfer *self)
{
  LadleTaskPhase phase = self->record->phase;

  return self->current_request != NULL &&
         (phase == LADLE_TASK_PHASE_RESPONSE || phase == LADLE_TASK_PHASE_BODY ||
          phase == LADLE_TASK_PHASE_FINISHING || phase == LADLE_TASK_PHASE_DONE) &&
         soup_message_get_status (self->current_request) != SOUP_STATUS_NONE;
}

GCancellable *
_ladle_transfer_get_cancellable (LadleTransfer *self)
{
  return self->cancellable;
}

/* The task's metrics: final once it completed, a snapshot before (ladle-metrics-collector.c). */
LadleTaskMetrics *
_ladle_transfer_dup_metrics (LadleTransfer *self)
{
  return _ladle_metrics_collector_dup (self->metrics, self->record->n_redirects);
}

/* A request body Ladle wrote to the connection itself (ladle-direct-body.c). */
void
_ladle_transfer_note_direct_body_sent (LadleTransfer *self,
                                       gsize          n_bytes)
{
  _ladle_metrics_collector_note_body_sent (self->metrics, n_bytes);
}

/* For the body reader (ladle-transfer-body.c) */

gboolean
_ladle_transfer_set_phase (LadleTransfer  *self,
                           LadleTaskPhase  phase)
{
  return set_phase (self, phase);
}

void
_ladle_transfer_complete (LadleTransfer *self,
                          GError        *error)
{
  complete (self, error);
}

gboolean
_ladle_transfer_check_interrupted (LadleTransfer *self)
{
  return check_interrupted (self);
}

void
_ladle_transfer_finish_completion (LadleTransfer *self)
{
  finish_completion (self);
}

GError *
_ladle_transfer_cancelled_error (void)
{
  return cancelled_error ();
}
