/* ladle-task.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleTask:
 *
 * One transfer: a request, its redirects and authentication, its response and body.
 *
 * Tasks are made by a [class@Ladle.Session] and start suspended: nothing happens until
 * [method@Ladle.Task.resume] is called. A task reports each step of the transfer as a signal,
 * emitted on the thread-default main context of the thread that created the session:
 *
 * - [signal@Ladle.Task::redirect] for each redirect, which the handler may edit or refuse;
 * - [signal@Ladle.Task::authenticate] and [signal@Ladle.Task::accept-certificate] when the
 *   server asks for credentials or presents a certificate that is not trusted;
 * - [signal@Ladle.Task::response] once the final response headers are in;
 * - [signal@Ladle.Task::upload-progress] and [signal@Ladle.Task::download-progress];
 * - [signal@Ladle.Task::metrics-collected], once, with the task's [class@Ladle.TaskMetrics];
 * - [signal@Ladle.Task::completed], exactly once, always the task's last signal.
 *
 * HTTP error statuses are not errors: a 404 completes without a #GError and the status is read
 * from [property@Ladle.Task:status-code]. Errors are for the transport, cancellation
 * (%G_IO_ERROR_CANCELLED) and Ladle's own checks ([error@Ladle.Error]): in particular a body
 * shorter than its Content-Length (or a 206's Content-Range) completes with
 * %LADLE_ERROR_TRUNCATED_BODY, never as a success.
 */

#include "config.h"

#include "ladle-enum-types.h"
#include "ladle-error.h"
#include "ladle-progress-private.h"
#include "ladle-retry-policy.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"
#include "ladle-task-signals-private.h"
#include "ladle-transfer-private.h"
#include "ladle-util-private.h"

#define DEFAULT_MAX_REDIRECTS  20
#define PROGRESS_INTERVAL_USEC (50 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  LadleTaskRecord     *record;          /* the lasting state */
  LadleTransfer       *transfer;        /* the engine that moves it */
  GWeakRef             session_ref;
  LadleSession        *session_hold;    /* strong until the task completes */
  SoupMessage         *original_request;
  GError              *error;
  SoupMessagePriority  priority;
  guint                max_redirects;
  guint                total_timeout;
  LadleTaskWaitReason  wait_reason;
  guint                restored_status;  /* a completion delivered after a restart */
  LadleRetryPolicy    *retry_policy;    /* overrides the session's; NULL: the session's */
  gboolean             announced_waiting;
  LadleProgressMeter   download_meter;
  LadleProgressMeter   upload_meter;
} LadleTaskPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (LadleTask, ladle_task, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_IDENTIFIER,
  PROP_DESCRIPTION,
  PROP_STATE,
  PROP_ORIGINAL_REQUEST,
  PROP_CURRENT_REQUEST,
  PROP_STATUS_CODE,
  PROP_RESPONSE_HEADERS,
  PROP_BYTES_RECEIVED,
  PROP_BYTES_EXPECTED_TO_RECEIVE,
  PROP_BYTES_SENT,
  PROP_BYTES_EXPECTED_TO_SEND,
  PROP_ERROR,
  PROP_PRIORITY,
  PROP_MAX_REDIRECTS,
  PROP_TOTAL_TIMEOUT,
  PROP_RETRY_POLICY,
  PROP_WAIT_REASON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_state (LadleTask      *self,
           LadleTaskState  state)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  if (priv->record->state == state)
    return;

  priv->record->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
ladle_task_dispose (GObject *object)
{
  LadleTask *self = (LadleTask *)object;
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_clear_pointer (&priv->transfer, _ladle_transfer_free);

  G_OBJECT_CLASS (ladle_task_parent_class)->dispose (object);
}

static void
ladle_task_finalize (GObject *object)
{
  LadleTask *self = (LadleTask *)object;
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_weak_ref_clear (&priv->session_ref);
  /* Released only now: the session's weak reference on this task is notified during dispose. */
  g_clear_object (&priv->session_hold);
  g_clear_object (&priv->original_request);
  g_clear_error (&priv->error);
  g_clear_pointer (&priv->record, _ladle_task_record_free);

  g_clear_object (&priv->retry_policy);

  G_OBJECT_CLASS (ladle_task_parent_class)->finalize (object);
}

static void
ladle_task_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  LadleTask *self = LADLE_TASK (object);
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_IDENTIFIER:
      g_value_set_uint64 (value, priv->record->identifier);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, priv->record->description);
      break;
    case PROP_STATE:
      g_value_set_enum (value, priv->record->state);
      break;
    case PROP_ORIGINAL_REQUEST:
      g_value_set_object (value, priv->original_request);
      break;
    case PROP_CURRENT_REQUEST:
      g_value_set_object (value, ladle_task_get_current_request (self));
      break;
    case PROP_STATUS_CODE:
      g_value_set_uint (value, ladle_task_get_status_code (self));
      break;
    case PROP_RESPONSE_HEADERS:
      g_value_set_boxed (value, ladle_task_get_response_headers (self));
      break;
    case PROP_BYTES_RECEIVED:
      g_value_set_int64 (value, priv->record->bytes_received);
      break;
    case PROP_BYTES_EXPECTED_TO_RECEIVE:
      g_value_set_int64 (value, priv->record->bytes_expected_to_receive);
      break;
    case PROP_BYTES_SENT:
      g_value_set_int64 (value, priv->record->bytes_sent);
      break;
    case PROP_BYTES_EXPECTED_TO_SEND:
      g_value_set_int64 (value, priv->record->bytes_expected_to_send);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, priv->error);
      break;
    case PROP_PRIORITY:
      g_value_set_enum (value, priv->priority);
      break;
    case PROP_MAX_REDIRECTS:
      g_value_set_uint (value, priv->max_redirects);
      break;
    case PROP_TOTAL_TIMEOUT:
      g_value_set_uint (value, priv->total_timeout);
      break;
    case PROP_RETRY_POLICY:
      g_value_take_object (value, ladle_task_dup_retry_policy (self));
      break;
    case PROP_WAIT_REASON:
      g_value_set_enum (value, priv->wait_reason);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_task_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  LadleTask *self = LADLE_TASK (object);

  switch (prop_id)
    {
    case PROP_DESCRIPTION:
      ladle_task_set_description (self, g_value_get_string (value));
      break;
    case PROP_PRIORITY:
      ladle_task_set_priority (self, g_value_get_enum (value));
      break;
    case PROP_MAX_REDIRECTS:
      ladle_task_set_max_redirects (self, g_value_get_uint (value));
      break;
    case PROP_TOTAL_TIMEOUT:
      ladle_task_set_total_timeout (self, g_value_get_uint (value));
      break;
    case PROP_RETRY_POLICY:
      ladle_task_set_retry_policy (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_task_class_init (LadleTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ladle_task_dispose;
  object_class->finalize = ladle_task_finalize;
  object_class->get_property = ladle_task_get_property;
  object_class->set_property = ladle_task_set_property;

  /**
   * LadleTask:identifier:
   *
   * A number that identifies the task within its session; identifiers increase.
   */
  properties[PROP_IDENTIFIER] =
    g_param_spec_uint64 ("identifier", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:description:
   *
   * A text of the application's choosing, for display; Ladle only stores it.
   */
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:state:
   *
   * Where the task is in its life cycle.
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       LADLE_TYPE_TASK_STATE,
                       LADLE_TASK_STATE_SUSPENDED,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:original-request:
   *
   * The request the task was created with.
   */
  properties[PROP_ORIGINAL_REQUEST] =
    g_param_spec_object ("original-request", NULL, NULL,
                         SOUP_TYPE_MESSAGE,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:current-request:
   *
   * The request being sent: the original one, or the latest redirect hop. Once the response is
   * in, its status and headers are those of the task.
   */
  properties[PROP_CURRENT_REQUEST] =
    g_param_spec_object ("current-request", NULL, NULL,
                         SOUP_TYPE_MESSAGE,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:status-code:
   *
   * The HTTP status of the final response, 0 until it is in.
   */
  properties[PROP_STATUS_CODE] =
    g_param_spec_uint ("status-code", NULL, NULL,
                       0, 999, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:response-headers:
   *
   * The headers of the final response, %NULL until it is in.
   */
  properties[PROP_RESPONSE_HEADERS] =
    g_param_spec_boxed ("response-headers", NULL, NULL,
                        SOUP_TYPE_MESSAGE_HEADERS,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:bytes-received:
   *
   * Bytes of the response body received so far (for a resumed download, including the bytes of
   * the partial file). Notified together with [signal@Ladle.Task::download-progress].
   */
  properties[PROP_BYTES_RECEIVED] =
    g_param_spec_int64 ("bytes-received", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:bytes-expected-to-receive:
   *
   * The size of the response body, -1 while unknown.
   */
  properties[PROP_BYTES_EXPECTED_TO_RECEIVE] =
    g_param_spec_int64 ("bytes-expected-to-receive", NULL, NULL,
                        -1, G_MAXINT64, -1,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:bytes-sent:
   *
   * Bytes of the request body written so far. Notified together with
   * [signal@Ladle.Task::upload-progress].
   */
  properties[PROP_BYTES_SENT] =
    g_param_spec_int64 ("bytes-sent", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:bytes-expected-to-send:
   *
   * The size of the request body, -1 when unknown.
   */
  properties[PROP_BYTES_EXPECTED_TO_SEND] =
    g_param_spec_int64 ("bytes-expected-to-send", NULL, NULL,
                        -1, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:error:
   *
   * The error the task completed with, %NULL while it runs or when it succeeded.
   */
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL,
                        G_TYPE_ERROR,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:priority:
   *
   * The priority libsoup gives the request among the session's queued requests.
   */
  properties[PROP_PRIORITY] =
    g_param_spec_enum ("priority", NULL, NULL,
                       SOUP_TYPE_MESSAGE_PRIORITY,
                       SOUP_MESSAGE_PRIORITY_NORMAL,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:max-redirects:
   *
   * How many redirects the task follows before it fails with
   * %LADLE_ERROR_TOO_MANY_REDIRECTS. The default is 20.
   */
  properties[PROP_MAX_REDIRECTS] =
    g_param_spec_uint ("max-redirects", NULL, NULL,
                       0, 1000, DEFAULT_MAX_REDIRECTS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:total-timeout:
   *
   * The seconds the task may take from [method@Ladle.Task.resume] to its completion, suspended
   * time included, before it fails with %G_IO_ERROR_TIMED_OUT (a download keeps its resume
   * data). 0, the default, sets no deadline; the session's idle timeout and low-speed limit
   * apply in any case. Set it before resuming the task.
   */
  properties[PROP_TOTAL_TIMEOUT] =
    g_param_spec_uint ("total-timeout", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:retry-policy:
   *
   * The retry policy of this task (a copy of the one set), overriding the session's
   * [property@Ladle.SessionConfiguration:retry-policy]; %NULL, the default, uses the
   * session's. A policy whose [property@Ladle.RetryPolicy:max-attempts] is 1 turns retries
   * off for this task. Set it before resuming the task.
   *
   * Since: 0.2
   */
  properties[PROP_RETRY_POLICY] =
    g_param_spec_object ("retry-policy", NULL, NULL,
                         LADLE_TYPE_RETRY_POLICY,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleTask:wait-reason: (getter get_wait_reason)
   *
   * Why the running task is not transferring: it waits for a usable network, for an unmetered
   * one, or for the delay before a retry. %LADLE_TASK_WAIT_REASON_NONE while it transfers, and
   * while it is suspended or completed. A download manager shows it beside the task ("waiting
   * for Wi-Fi"); restored tasks of a background session report it too.
   *
   * Since: 0.2
   */
  properties[PROP_WAIT_REASON] =
    g_param_spec_enum ("wait-reason", NULL, NULL,
                       LADLE_TYPE_TASK_WAIT_REASON, LADLE_TASK_WAIT_REASON_NONE,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  _ladle_task_class_install_signals (klass);
}

static void
ladle_task_init (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_weak_ref_init (&priv->session_ref, NULL);
  /* The kind is known only once the whole type is initialized: _ladle_task_setup() sets it. */
  priv->record = _ladle_task_record_new (LADLE_TASK_KIND_DATA);
  priv->transfer = _ladle_transfer_new (self, priv->record);
  priv->priority = SOUP_MESSAGE_PRIORITY_NORMAL;
  priv->max_redirects = DEFAULT_MAX_REDIRECTS;
  _ladle_progress_meter_init (&priv->download_meter, PROGRESS_INTERVAL_USEC, -1);
  _ladle_progress_meter_init (&priv->upload_meter, PROGRESS_INTERVAL_USEC, 0);
}

/* Internal API for the session */

void
_ladle_task_setup (LadleTask    *self,
                   LadleSession *session,
                   SoupMessage  *request,
                   guint64       identifier)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  /* As with NSURLSession, a session and its unfinished tasks keep each other alive: the
   * application may drop both once a task runs. The cycle ends when the task completes
   * (invalidating the session cancels the tasks that never will). */
  g_weak_ref_set (&priv->session_ref, session);
  g_set_object (&priv->session_hold, session);
  priv->record->kind = LADLE_TASK_GET_CLASS (self)->kind;
  priv->record->identifier = identifier;
  if (request != NULL)
    {
      priv->original_request = g_object_ref (request);
      priv->priority = soup_message_get_priority (request);
      _ladle_transfer_set_request (priv->transfer, request);
    }
}

/* Internal API for the task kinds */

LadleTaskRecord *
_ladle_task_get_record (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  return priv->record;
}

void
_ladle_task_set_receive_offset (LadleTask *self,
                                gint64     offset,
                                gint64     expected_total)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  _ladle_transfer_set_receive_offset (priv->transfer, offset, expected_total);
  /* The bytes already on disk were never received by this task: received_now counts from here. */
  _ladle_progress_meter_init (&priv->download_meter, PROGRESS_INTERVAL_USEC, priv->record->bytes_received);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_RECEIVED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_EXPECTED_TO_RECEIVE]);
}

void
_ladle_task_set_bytes_expected_to_send (LadleTask *self,
                                        gint64     expected)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  if (priv->record->bytes_expected_to_send == expected)
    return;

  priv->record->bytes_expected_to_send = expected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_EXPECTED_TO_SEND]);
}

/* Body bytes written to the connection, by libsoup (wrote-body-data) or by Ladle itself (an
 * upload task's direct body copy). */
void
_ladle_task_add_bytes_sent (LadleTask *self,
                            gsize      n_bytes)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  priv->record->bytes_sent += n_bytes;
  _ladle_transfer_note_sent (priv->transfer, n_bytes);
  _ladle_task_report_upload_progress (self, FALSE);
}

/* Internal API for the transfer engine */

LadleTransfer *
_ladle_task_get_transfer (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  return priv->transfer;
}

LadleSession *
_ladle_task_dup_session (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  return g_weak_ref_get (&priv->session_ref);
}

LadleSession *
_ladle_task_steal_session_hold (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  return g_steal_pointer (&priv->session_hold);
}

void
_ladle_task_set_state (LadleTask      *self,
                       LadleTaskState  state)
{
  set_state (self, state);
}

void
_ladle_task_set_error (LadleTask *self,
                       GError    *error)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_clear_error (&priv->error);
  priv->error = error;
  if (error != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

void
_ladle_task_current_request_changed (LadleTask *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_REQUEST]);
}

void
_ladle_task_notify_expected_to_receive (LadleTask *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_EXPECTED_TO_RECEIVE]);
}

/**
 * ladle_task_dup_metrics:
 * @self: a task
 *
 * Gets what the task measured: its interval, its redirect count, and one
 * [class@Ladle.TransactionMetrics] per request it sent.
 *
 * Once the task completed, these are the final metrics, the object that
 * [signal@Ladle.Task::metrics-collected] carried. Before, each call returns a new snapshot
 * of what was measured so far: [property@Ladle.TaskMetrics:complete] is false,
 * [property@Ladle.TaskMetrics:end-time] -1, and the request in flight is there with the
 * steps it reached. A task that was never resumed has metrics with no transaction.
 *
 * Returns: (transfer full): the task's metrics
 *
 * Since: 0.2
 */
LadleTaskMetrics *
ladle_task_dup_metrics (LadleTask *self)
{
  LadleTaskPrivate *priv;

  g_return_val_if_fail (LADLE_IS_TASK (self), NULL);

  priv = ladle_task_get_instance_private (self);

  return _ladle_transfer_dup_metrics (priv->transfer);
}

void
_ladle_task_reset_download_progress (LadleTask *self,
                                     gint64     base)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  _ladle_progress_meter_init (&priv->download_meter, PROGRESS_INTERVAL_USEC, base);
}

void
_ladle_task_report_download_progress (LadleTask *self,
                                      gboolean   final)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  gint64 received_now;

  if (!_ladle_progress_meter_check (&priv->download_meter, priv->record->bytes_received,
                                    g_get_monotonic_time (), final, TRUE, &received_now))
    return;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_RECEIVED]);
  _ladle_task_emit_download_progress (self, received_now, priv->record->bytes_received,
                                      priv->record->bytes_expected_to_receive);
}

void
_ladle_task_report_upload_progress (LadleTask *self,
                                    gboolean   final)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  gint64 sent_now;

  if (!_ladle_progress_meter_check (&priv->upload_meter, priv->record->bytes_sent,
                                    g_get_monotonic_time (), final, FALSE, &sent_now))
    return;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_SENT]);
  _ladle_task_emit_upload_progress (self, sent_now, priv->record->bytes_sent,
                                    priv->record->bytes_expected_to_send);
}

/* Public API */

/* Tasks belong to the main context of their session; calls from other threads are handed to it. */
static gboolean
dispatch_to_context (LadleTask           *self,
                     LadleObjectAction    action)
{
  g_autoptr(LadleSession) session = _ladle_task_dup_session (self);

  return session != NULL &&
         _ladle_invoke_in_context (_ladle_session_get_context (session), G_OBJECT (self), action);
}

/**
 * ladle_task_resume:
 * @self: a task
 *
 * Starts a suspended task, or lets a task that was suspended while running go on where it
 * stopped. Does nothing to a task that is running, cancelled or completed.
 *
 * The task goes on from the session's main loop: no signal is emitted from inside this call,
 * so handlers may be connected, and a main loop started, after it. It may be called from any
 * thread.
 */
void
ladle_task_resume (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_TASK (self));

  if (dispatch_to_context (self, (LadleObjectAction)ladle_task_resume))
    return;

  if (priv->record->state != LADLE_TASK_STATE_SUSPENDED)
    return;

  set_state (self, LADLE_TASK_STATE_RUNNING);
  _ladle_transfer_resume (priv->transfer);

  /* A task of the transfer service is handed to it now, not from the main loop: an application
   * that resumes its downloads and exits at once has them run. */
  if (_ladle_transfer_is_remote (priv->transfer))
    {
      g_autoptr(LadleSession) session = _ladle_task_dup_session (self);

      if (session != NULL)
        _ladle_session_remote_resumed (session, self);
    }
}

/**
 * ladle_task_suspend:
 * @self: a task
 *
 * Suspends a running task: it stops reading the response (the server is held back by the
 * network's flow control) and emits no signal until [method@Ladle.Task.resume] is called.
 * A request that is being sent finishes sending, and its response waits. Does nothing to a task
 * that is not running.
 *
 * A connection that stays suspended longer than the server is willing to wait may be closed by
 * the server; the task then fails when resumed. Use
 * [method@Ladle.DownloadTask.cancel_producing_resume_data_async] for long pauses of downloads.
 */
void
ladle_task_suspend (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_TASK (self));

  if (dispatch_to_context (self, (LadleObjectAction)ladle_task_suspend))
    return;

  if (priv->record->state != LADLE_TASK_STATE_RUNNING)
    return;

  set_state (self, LADLE_TASK_STATE_SUSPENDED);
  /* Waiting for the application now: resuming asks the network again. */
  _ladle_task_set_wait_reason (self, LADLE_TASK_WAIT_REASON_NONE);
}

/**
 * ladle_task_cancel:
 * @self: a task
 *
 * Cancels the task. It completes soon after, from the main loop, with %G_IO_ERROR_CANCELLED,
 * whatever state it was in (suspended tasks included). Does nothing to a task that already
 * completed or is being cancelled, nor to one whose whole body already arrived and is being
 * delivered (a download emitted [signal@Ladle.DownloadTask::finished] and is being moved to
 * its destination): that task completes with its outcome. A task that was made unable to run
 * (for a URI that is not http or https, or that cannot be parsed) completes with that error,
 * not %G_IO_ERROR_CANCELLED, and so does a task whose timeout or request-body failure was
 * already being reported.
 *
 * A download task cancelled this way deletes its partial file, even one it was given by resume
 * data; use [method@Ladle.DownloadTask.cancel_producing_resume_data_async] to keep it.
 */
void
ladle_task_cancel (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_TASK (self));

  if (dispatch_to_context (self, (LadleObjectAction)ladle_task_cancel))
    return;

  if (priv->record->state == LADLE_TASK_STATE_COMPLETED || priv->record->state == LADLE_TASK_STATE_CANCELING)
    return;

  /* The whole body is in and is being delivered (a download is being moved into place):
   * too late to cancel. */
  if (_ladle_transfer_is_finishing (priv->transfer))
    return;

  set_state (self, LADLE_TASK_STATE_CANCELING);
  _ladle_transfer_cancel (priv->transfer);
}

/**
 * ladle_task_dup_session:
 * @self: a task
 *
 * Returns: (transfer full) (nullable): the session that made @self, or %NULL if it is gone
 */
LadleSession *
ladle_task_dup_session (LadleTask *self)
{
  g_return_val_if_fail (LADLE_IS_TASK (self), NULL);

  return _ladle_task_dup_session (self);
}

/**
 * ladle_task_get_identifier:
 * @self: a task
 *
 * Returns: the task's identifier, unique within its session
 */
guint64
ladle_task_get_identifier (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), 0);

  return priv->record->identifier;
}

/**
 * ladle_task_get_state:
 * @self: a task
 *
 * Returns: the task's state
 */
LadleTaskState
ladle_task_get_state (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), LADLE_TASK_STATE_COMPLETED);

  return priv->record->state;
}

/**
 * ladle_task_get_description:
 * @self: a task
 *
 * Returns: (nullable): the task's description
 */
const char *
ladle_task_get_description (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), NULL);

  return priv->record->description;
}

/**
 * ladle_task_set_description:
 * @self: a task
 * @description: (nullable): a description
 *
 * Sets [property@Ladle.Task:description].
 */
void
ladle_task_set_description (LadleTask  *self,
                            const char *description)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_TASK (self));

  if (g_strcmp0 (priv->record->description, description) == 0)
    return;

  g_free (priv->record->description);
  priv->record->description = g_strdup (description);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);
}

/**
 * ladle_task_get_original_request:
 * @self: a task
 *
 * Returns: (transfer none) (nullable): the request the task was created with, %NULL when the
 *   task was created for a URI that could not be parsed
 */
SoupMessage *
ladle_task_get_original_request (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), NULL);

  return priv->original_request;
}

/**
 * ladle_task_get_current_request:
 * @self: a task
 *
 * Returns: (transfer none) (nullable): the request being sent, after any redirects
 */
SoupMessage *
ladle_task_get_current_request (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), NULL);

  return _ladle_transfer_get_current_request (priv->transfer);
}

/**
 * ladle_task_get_status_code:
 * @self: a task
 *
 * Returns: the HTTP status of the final response, 0 until it is in. For a completion that a
 *   background session delivers after a restart, the status its last response had.
 */
guint
ladle_task_get_status_code (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), 0);

  return _ladle_transfer_has_response (priv->transfer)
         ? soup_message_get_status (_ladle_transfer_get_current_request (priv->transfer))
         : priv->restored_status;
}

void
_ladle_task_set_restored_status (LadleTask *self,
                                 guint      status)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  priv->restored_status = status;
}

/**
 * ladle_task_get_response_headers:
 * @self: a task
 *
 * Returns: (transfer none) (nullable): the headers of the final response, %NULL until it is in
 */
SoupMessageHeaders *
ladle_task_get_response_headers (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), NULL);

  return _ladle_transfer_has_response (priv->transfer)
         ? soup_message_get_response_headers (_ladle_transfer_get_current_request (priv->transfer)) : NULL;
}

/**
 * ladle_task_get_bytes_received:
 * @self: a task
 *
 * Returns: bytes of the response body received so far
 */
gint64
ladle_task_get_bytes_received (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), 0);

  return priv->record->bytes_received;
}

/**
 * ladle_task_get_bytes_expected_to_receive:
 * @self: a task
 *
 * Returns: the size of the response body, -1 while unknown
 */
gint64
ladle_task_get_bytes_expected_to_receive (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), -1);

  return priv->record->bytes_expected_to_receive;
}

/**
 * ladle_task_get_bytes_sent:
 * @self: a task
 *
 * Returns: bytes of the request body written so far
 */
gint64
ladle_task_get_bytes_sent (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), 0);

  return priv->record->bytes_sent;
}

/**
 * ladle_task_get_bytes_expected_to_send:
 * @self: a task
 *
 * Returns: the size of the request body, -1 when unknown
 */
gint64
ladle_task_get_bytes_expected_to_send (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), -1);

  return priv->record->bytes_expected_to_send;
}

/**
 * ladle_task_get_error:
 * @self: a task
 *
 * Returns: (nullable): the error the task completed with, or %NULL
 */
const GError *
ladle_task_get_error (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), NULL);

  return priv->error;
}

/**
 * ladle_task_get_priority:
 * @self: a task
 *
 * Returns: the task's priority
 */
SoupMessagePriority
ladle_task_get_priority (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), SOUP_MESSAGE_PRIORITY_NORMAL);

  return priv->priority;
}

/**
 * ladle_task_set_priority:
 * @self: a task
 * @priority: a priority
 *
 * Sets [property@Ladle.Task:priority]. It applies to requests sent after the call.
 */
void
ladle_task_set_priority (LadleTask           *self,
                         SoupMessagePriority  priority)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_TASK (self));

  if (priv->priority == priority)
    return;

  priv->priority = priority;
  if (ladle_task_get_current_request (self) != NULL)
    soup_message_set_priority (ladle_task_get_current_request (self), priority);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRIORITY]);
}

/**
 * ladle_task_get_max_redirects:
 * @self: a task
 *
 * Returns: how many redirects the task follows
 */
guint
ladle_task_get_max_redirects (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), 0);

  return priv->max_redirects;
}

/**
 * ladle_task_set_max_redirects:
 * @self: a task
 * @max_redirects: a limit; 0 refuses every redirect with an error
 *
 * Sets [property@Ladle.Task:max-redirects].
 */
void
ladle_task_set_max_redirects (LadleTask *self,
                              guint      max_redirects)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_TASK (self));

  if (priv->max_redirects == max_redirects)
    return;

  priv->max_redirects = max_redirects;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_REDIRECTS]);
}

/**
 * ladle_task_get_wait_reason: (get-property wait-reason)
 * @self: a task
 *
 * Returns: why the task waits, as [property@Ladle.Task:wait-reason] says
 *
 * Since: 0.2
 */
LadleTaskWaitReason
ladle_task_get_wait_reason (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), LADLE_TASK_WAIT_REASON_NONE);

  return priv->wait_reason;
}

void
_ladle_task_set_wait_reason (LadleTask           *self,
                             LadleTaskWaitReason  reason)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  if (priv->wait_reason == reason)
    return;

  priv->wait_reason = reason;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WAIT_REASON]);
}

/**
 * ladle_task_get_total_timeout:
 * @self: a task
 *
 * Returns: the seconds the task may take in all, 0 for no deadline
 */
guint
ladle_task_get_total_timeout (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), 0);

  return priv->total_timeout;
}

/**
 * ladle_task_set_total_timeout:
 * @self: a task
 * @seconds: seconds, 0 for no deadline
 *
 * Sets [property@Ladle.Task:total-timeout].
 */
void
ladle_task_set_total_timeout (LadleTask *self,
                              guint      seconds)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_TASK (self));

  if (priv->total_timeout == seconds)
    return;

  priv->total_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_TIMEOUT]);
}

/**
 * ladle_task_dup_retry_policy:
 * @self: a task
 *
 * Returns: (transfer full) (nullable): a copy of the task's own retry policy, or %NULL when the
 *   task uses its session's
 *
 * Since: 0.2
 */
LadleRetryPolicy *
ladle_task_dup_retry_policy (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), NULL);

  return priv->retry_policy ? ladle_retry_policy_copy (priv->retry_policy) : NULL;
}

/**
 * ladle_task_set_retry_policy:
 * @self: a task
 * @policy: (nullable): a retry policy (copied), or %NULL for the session's
 *
 * Sets [property@Ladle.Task:retry-policy].
 *
 * Since: 0.2
 */
void
ladle_task_set_retry_policy (LadleTask        *self,
                             LadleRetryPolicy *policy)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_TASK (self));
  g_return_if_fail (policy == NULL || LADLE_IS_RETRY_POLICY (policy));

  if (policy == NULL && priv->retry_policy == NULL)
    return;
  g_clear_object (&priv->retry_policy);
  if (policy != NULL)
    priv->retry_policy = ladle_retry_policy_copy (policy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_POLICY]);
}

/* Retries and connectivity (ladle-retry.c, ladle-admission.c) */

LadleRetryPolicy *
_ladle_task_get_retry_policy (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  return priv->retry_policy;
}

/* Once per task. */
void
_ladle_task_emit_waiting_for_connectivity (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  if (priv->announced_waiting)
    return;
  priv->announced_waiting = TRUE;
  _ladle_task_emit_waiting_signal (self);
}
