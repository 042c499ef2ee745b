/* ladle-task-signals.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The signals of LadleTask: their definitions (with their documentation), their accumulators and
 * default handlers, and the calls that emit them for the transfer engine, the task kinds and the
 * task itself (ladle-task-private.h, ladle-task-signals-private.h). The type and its properties
 * are in ladle-task.c.
 */

#include "config.h"

#include "ladle-enum-types.h"
#include "ladle-error.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"
#include "ladle-task-signals-private.h"
#include "ladle-transfer-private.h"

enum {
  RESPONSE,
  REDIRECT,
  AUTHENTICATE,
  ACCEPT_CERTIFICATE,
  UPLOAD_PROGRESS,
  DOWNLOAD_PROGRESS,
  COMPLETED,
  WILL_RETRY,
  WAITING_FOR_CONNECTIVITY,
  METRICS_COLLECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static LadleResponseDisposition
ladle_task_real_response (LadleTask   *self,
                          SoupMessage *message)
{
  return LADLE_RESPONSE_DISPOSITION_ALLOW;
}

static gboolean
ladle_task_real_redirect (LadleTask   *self,
                          SoupMessage *new_request)
{
  return TRUE;
}

/* Every handler must accept a redirect; the first refusal stops the emission. */
static gboolean
redirect_accumulator (GSignalInvocationHint *ihint,
                      GValue                *return_accu,
                      const GValue          *handler_return,
                      gpointer               data)
{
  gboolean accepted = g_value_get_boolean (handler_return);

  g_value_set_boolean (return_accu, accepted);

  return accepted;
}

/* ::will-retry: the first handler that returns false vetoes, and stops the emission. */
static gboolean
veto_accumulator (GSignalInvocationHint *hint,
                  GValue                *return_accu,
                  const GValue          *handler_return,
                  gpointer               user_data)
{
  gboolean retry = g_value_get_boolean (handler_return);

  g_value_set_boolean (return_accu, retry);

  return retry;
}

static gboolean
ladle_task_real_will_retry (LadleTask    *self,
                            guint         attempt,
                            guint         delay_ms,
                            const GError *why)
{
  return TRUE;
}

/* Installs the signals of LadleTask and the class handlers they default to; from
 * ladle_task_class_init(). */
void
_ladle_task_class_install_signals (LadleTaskClass *klass)
{
  klass->response = ladle_task_real_response;
  klass->redirect = ladle_task_real_redirect;

  /**
   * LadleTask::will-retry:
   * @self: the task
   * @attempt: the attempt that comes next (2 for the first retry)
   * @delay_ms: the milliseconds before it is made
   * @why: why the previous attempt failed: its error, or, for an HTTP status the retry policy
   *   retries, a %LADLE_ERROR_RETRIED_STATUS error that names the status
   *
   * Emitted when the task's retry policy ([property@Ladle.Task:retry-policy], else the
   * session's) retries a failed attempt, before the delay starts. A handler that returns false
   * vetoes the retry: the task completes with @why (for a status: with the response, as
   * without a policy), and no later handler runs. When no handler returns false (or none is
   * connected) the task retries: the default is to retry.
   *
   * The delay is a main-loop timer: [method@Ladle.Task.cancel] ends it (the task completes
   * cancelled) and [method@Ladle.Task.suspend] holds it (the rest of the delay runs once the
   * task is resumed). A download continues from its partial file (see the "Retries and
   * connectivity" page).
   *
   * Returns: false to veto the retry
   *
   * Since: 0.2
   */
  signals[WILL_RETRY] =
    g_signal_new_class_handler ("will-retry",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                G_CALLBACK (ladle_task_real_will_retry),
                                veto_accumulator, NULL,
                                NULL,
                                G_TYPE_BOOLEAN, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_ERROR);

  /**
   * LadleTask::waiting-for-connectivity:
   * @self: the task
   *
   * Emitted once, the first time the task waits for a usable network
   * ([property@Ladle.SessionConfiguration:waits-for-connectivity]) instead of starting or
   * retrying. The task starts by itself when the network returns.
   *
   * Since: 0.2
   */
  signals[WAITING_FOR_CONNECTIVITY] =
    g_signal_new ("waiting-for-connectivity",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  /**
   * LadleTask::response:
   * @self: the task
   * @message: the request, holding the final response's status and headers
   *
   * Emitted once the final response headers are in (after redirects and authentication), before
   * any of the body. The first handler to return decides; without a handler the body is received.
   *
   * Returns: what to do with the response
   */
  signals[RESPONSE] =
    g_signal_new ("response",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (LadleTaskClass, response),
                  g_signal_accumulator_first_wins, NULL,
                  NULL,
                  LADLE_TYPE_RESPONSE_DISPOSITION, 1, SOUP_TYPE_MESSAGE);

  /**
   * LadleTask::redirect:
   * @self: the task
   * @new_request: the request that follows the redirect
   *
   * Emitted for each redirect (301, 302, 303, 307, 308 with a Location), before it is followed.
   * The handler may edit @new_request (its URI, method and headers). Credentials do not cross
   * origins: when the scheme, host or port changes, the Authorization, Cookie and
   * Proxy-Authorization headers are already removed from @new_request, and so are the headers
   * marked with [method@Ladle.SessionConfiguration.set_header_sensitive] when @new_request
   * leaves the origin of the task's original request; the handler may add what it chooses.
   *
   * Returns: %TRUE to follow the redirect, %FALSE to refuse it: the task then receives the
   *   redirect response itself, as its final response
   */
  signals[REDIRECT] =
    g_signal_new ("redirect",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (LadleTaskClass, redirect),
                  redirect_accumulator, NULL,
                  NULL,
                  G_TYPE_BOOLEAN, 1, SOUP_TYPE_MESSAGE);

  /**
   * LadleTask::authenticate:
   * @self: the task
   * @auth: the authentication the server asks for
   * @retrying: %TRUE when earlier credentials were refused
   *
   * Emitted when the server (or a proxy) asks for credentials. A handler either calls
   * soup_auth_authenticate() at once, or keeps a reference to @auth, returns %TRUE and answers
   * later with soup_auth_authenticate() or soup_auth_cancel(). When no task handler returns
   * %TRUE, the session's [signal@Ladle.Session::authenticate] is emitted. When nobody handles
   * it, the task completes with the 401 (or 407) response and no error.
   *
   * Returns: %TRUE when the handler took care of @auth
   */
  signals[AUTHENTICATE] =
    g_signal_new ("authenticate",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (LadleTaskClass, authenticate),
                  g_signal_accumulator_true_handled, NULL,
                  NULL,
                  G_TYPE_BOOLEAN, 2, SOUP_TYPE_AUTH, G_TYPE_BOOLEAN);

  /**
   * LadleTask::accept-certificate:
   * @self: the task
   * @certificate: the server's certificate
   * @errors: why it is not trusted
   *
   * Emitted when the server's certificate is not trusted. When no task handler returns %TRUE,
   * the session's [signal@Ladle.Session::accept-certificate] is emitted; without any, the task
   * fails with %G_TLS_ERROR_BAD_CERTIFICATE. Accepting a certificate accepts it for this task
   * only: another task to the same server asks again.
   *
   * Returns: %TRUE to accept the certificate
   */
  signals[ACCEPT_CERTIFICATE] =
    g_signal_new ("accept-certificate",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (LadleTaskClass, accept_certificate),
                  g_signal_accumulator_true_handled, NULL,
                  NULL,
                  G_TYPE_BOOLEAN, 2, G_TYPE_TLS_CERTIFICATE, G_TYPE_TLS_CERTIFICATE_FLAGS);

  /**
   * LadleTask::upload-progress:
   * @self: the task
   * @sent_now: bytes written since the previous emission
   * @total_sent: bytes of the request body written so far
   * @total_expected: the size of the request body, -1 when unknown
   *
   * Reports the request body being written. Emissions are rate-limited, @total_sent never
   * decreases, and when the size is known the last emission reports it in full.
   */
  signals[UPLOAD_PROGRESS] =
    g_signal_new ("upload-progress",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (LadleTaskClass, upload_progress),
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_INT64, G_TYPE_INT64);

  /**
   * LadleTask::download-progress:
   * @self: the task
   * @received_now: bytes received since the previous emission
   * @total_received: bytes of the response body received so far
   * @total_expected: the size of the response body, -1 when unknown
   *
   * Reports the response body arriving. Emissions are rate-limited (a slow handler does not slow
   * the transfer), @total_received never decreases, and when the size is known the last emission
   * reports it in full.
   */
  signals[DOWNLOAD_PROGRESS] =
    g_signal_new ("download-progress",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (LadleTaskClass, download_progress),
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_INT64, G_TYPE_INT64);

  /**
   * LadleTask::completed:
   * @self: the task
   * @error: (nullable): why the task failed, or %NULL
   *
   * Emitted exactly once, as the task's last signal, when the task succeeded, failed or was
   * cancelled. An HTTP error status is a success here: read [property@Ladle.Task:status-code].
   * The session's [signal@Ladle.Session::task-completed] follows.
   */
  signals[COMPLETED] =
    g_signal_new ("completed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (LadleTaskClass, completed),
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);

  /**
   * LadleTask::metrics-collected:
   * @self: the task
   * @metrics: what the task measured
   *
   * Emitted exactly once, just before [signal@Ladle.Task::completed]: for tasks that
   * succeeded, failed or were cancelled (even before they sent anything), as
   * `URLSession:task:didFinishCollectingMetrics:` is. By then [property@Ladle.Task:state] is
   * %LADLE_TASK_STATE_COMPLETED and [property@Ladle.Task:error] is set; @metrics are final
   * ([property@Ladle.TaskMetrics:complete] is true) and are what
   * [method@Ladle.Task.dup_metrics] returns from then on.
   *
   * Since: 0.2
   */
  signals[METRICS_COLLECTED] =
    g_signal_new ("metrics-collected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, LADLE_TYPE_TASK_METRICS);}

LadleResponseDisposition
_ladle_task_emit_response (LadleTask   *self,
                           SoupMessage *message)
{
  LadleResponseDisposition disposition = LADLE_RESPONSE_DISPOSITION_ALLOW;

  g_object_notify (G_OBJECT (self), "status-code");
  g_object_notify (G_OBJECT (self), "response-headers");
  g_signal_emit (self, signals[RESPONSE], 0, message, &disposition);

  return disposition;
}

gboolean
_ladle_task_emit_redirect (LadleTask   *self,
                           SoupMessage *new_request)
{
  gboolean follow = TRUE;

  g_signal_emit (self, signals[REDIRECT], 0, new_request, &follow);

  return follow;
}

/* Asked on the task, then on the session. */
gboolean
_ladle_task_emit_authenticate (LadleTask *self,
                               SoupAuth  *auth,
                               gboolean   retrying)
{
  g_autoptr(LadleSession) session = NULL;
  gboolean handled = FALSE;

  g_signal_emit (self, signals[AUTHENTICATE], 0, auth, retrying, &handled);
  if (handled)
    return TRUE;

  session = _ladle_task_dup_session (self);
  if (session != NULL)
    handled = _ladle_session_delegate_authenticate (session, self, auth, retrying);

  return handled;
}

gboolean
_ladle_task_emit_accept_certificate (LadleTask            *self,
                                     GTlsCertificate      *certificate,
                                     GTlsCertificateFlags  errors)
{
  g_autoptr(LadleSession) session = NULL;
  gboolean accepted = FALSE;

  g_signal_emit (self, signals[ACCEPT_CERTIFICATE], 0, certificate, errors, &accepted);
  if (accepted)
    return TRUE;

  session = _ladle_task_dup_session (self);
  if (session != NULL)
    accepted = _ladle_session_delegate_accept_certificate (session, self, certificate, errors);

  return accepted;
}

void
_ladle_task_emit_metrics_collected (LadleTask *self)
{
  g_autoptr(LadleTaskMetrics) metrics = NULL;

  /* Nobody listens: the metrics objects are made only if dup_metrics() asks for them. */
  if (!g_signal_has_handler_pending (self, signals[METRICS_COLLECTED], 0, FALSE))
    return;

  metrics = _ladle_transfer_dup_metrics (_ladle_task_get_transfer (self));
  g_signal_emit (self, signals[METRICS_COLLECTED], 0, metrics);
}

void
_ladle_task_emit_completed (LadleTask *self)
{
  g_signal_emit (self, signals[COMPLETED], 0, ladle_task_get_error (self));
}

gboolean
_ladle_task_emit_will_retry (LadleTask    *self,
                             guint         attempt,
                             guint         delay_ms,
                             const GError *why)
{
  gboolean retry = TRUE;

  g_signal_emit (self, signals[WILL_RETRY], 0, attempt, delay_ms, why, &retry);

  return retry;
}

void
_ladle_task_emit_download_progress (LadleTask *self,
                                    gint64     received_now,
                                    gint64     received,
                                    gint64     expected)
{
  g_signal_emit (self, signals[DOWNLOAD_PROGRESS], 0, received_now, received, expected);
}

void
_ladle_task_emit_upload_progress (LadleTask *self,
                                  gint64     sent_now,
                                  gint64     sent,
                                  gint64     expected)
{
  g_signal_emit (self, signals[UPLOAD_PROGRESS], 0, sent_now, sent, expected);
}

void
_ladle_task_emit_waiting_signal (LadleTask *self)
{
  g_signal_emit (self, signals[WAITING_FOR_CONNECTIVITY], 0);
}
