/* ladle-task.c
 *
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
 * - [signal@Ladle.Task::completed], exactly once, always the task's last signal.
 *
 * HTTP error statuses are not errors: a 404 completes without a #GError and the status is read
 * from [property@Ladle.Task:status-code]. Errors are for the transport, cancellation
 * (%G_IO_ERROR_CANCELLED) and Ladle's own checks ([error@Ladle.Error]): in particular a body
 * shorter than its Content-Length completes with %LADLE_ERROR_TRUNCATED_BODY, never as a success.
 */

#include "config.h"

#include "ladle-enum-types.h"
#include "ladle-error.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"

#define DEFAULT_READ_SIZE      (64 * 1024)
#define DEFAULT_MAX_REDIRECTS  20
#define PROGRESS_INTERVAL_USEC (50 * G_TIME_SPAN_MILLISECOND)
#define DRAIN_LIMIT            (64 * 1024)

typedef enum
{
  PHASE_IDLE,           /* not started */
  PHASE_WAITING,        /* waiting for an unmetered network */
  PHASE_SENDING,        /* soup_session_send_async in flight */
  PHASE_RESPONSE_READY, /* final response in, ::response not emitted yet */
  PHASE_BODY,           /* reading the body */
  PHASE_FINISHING,      /* body done, the subclass finishes (e.g. moves a file) */
  PHASE_DONE,
} Phase;

typedef struct
{
  GWeakRef             session_ref;
  LadleSession        *session_hold;   /* strong until the task completes */
  guint64              identifier;
  char                *description;
  LadleTaskState       state;
  SoupMessage         *original_request;
  SoupMessage         *current_request;
  GError              *error;
  GError              *start_error;
  GError              *abort_error;     /* the task kind failed the request in flight */
  SoupMessagePriority  priority;
  guint                max_redirects;
  guint                n_redirects;
  const LadleTaskOps  *ops;

  Phase                phase;
  GCancellable        *cancellable;
  GInputStream        *body_stream;
  guint8              *buffer;
  gsize                buffer_size;
  gssize               pending_length;  /* a read that completed while suspended */
  gboolean             op_in_flight;
  gboolean             started;
  gboolean             dispatching;     /* inside ::response or a chunk's signals */
  guint                completion_source;
  guint                continue_source;

  GTlsCertificate     *accepted_certificate;
  char                *url_user;       /* credentials of the request's URL, for its origin only */
  char                *url_password;
  GUri                *url_origin;

  gint64               body_received;   /* bytes of this response's body */
  gint64               body_length;     /* its Content-Length, -1 unknown */
  gint64               receive_offset;
  gint64               bytes_received;
  gint64               bytes_expected;
  gint64               bytes_sent;
  gint64               bytes_expected_to_send;
  gint64               reported_received;
  gint64               reported_sent;
  gint64               last_download_progress;
  gint64               last_upload_progress;
  gboolean             download_progress_sent;
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
  N_PROPS
};

enum {
  RESPONSE,
  REDIRECT,
  AUTHENTICATE,
  ACCEPT_CERTIFICATE,
  UPLOAD_PROGRESS,
  DOWNLOAD_PROGRESS,
  COMPLETED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];
static const LadleTaskOps default_ops = { 0 };

static void send_message        (LadleTask    *self);
static GUri *uri_without_credentials (GUri    *uri);
static gboolean same_origin     (GUri         *a,
                                 GUri         *b);
static void handle_response     (LadleTask    *self);
static void read_next           (LadleTask    *self);
static void process_chunk       (LadleTask    *self,
                                 gsize         length);
static void complete            (LadleTask    *self,
                                 GError       *error);
static void schedule_completion (LadleTask    *self,
                                 GError       *error);

static void
set_state (LadleTask      *self,
           LadleTaskState  state)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  if (priv->state == state)
    return;

  priv->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
close_stream_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_input_stream_close_finish (G_INPUT_STREAM (object), result, NULL);
}

/* Response streams must always be closed: libsoup keeps the connection busy until they are,
 * and with a small per-host limit a leaked stream stalls every later request to that host. */
static void
close_stream (GInputStream *stream)
{
  if (stream == NULL || g_input_stream_is_closed (stream))
    return;

  g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, close_stream_cb, NULL);
}

/* A redirect's own body is read (up to a limit) before closing, so that the connection stays
 * usable for the next hop. */
typedef struct
{
  GInputStream *stream;
  guint8        buffer[8192];
  gsize         total;
} Drain;

static void
drain_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Drain *drain = user_data;
  gssize n;

  n = g_input_stream_read_finish (drain->stream, result, NULL);
  if (n > 0 && (drain->total += n) < DRAIN_LIMIT)
    {
      g_input_stream_read_async (drain->stream, drain->buffer, sizeof drain->buffer,
                                 G_PRIORITY_DEFAULT, NULL, drain_read_cb, drain);
      return;
    }

  close_stream (drain->stream);
  g_object_unref (drain->stream);
  g_free (drain);
}

static void
drain_and_close_stream (GInputStream *stream)
{
  Drain *drain = g_new0 (Drain, 1);

  drain->stream = g_object_ref (stream);
  g_input_stream_read_async (stream, drain->buffer, sizeof drain->buffer,
                             G_PRIORITY_DEFAULT, NULL, drain_read_cb, drain);
}

static void
ladle_task_dispose (GObject *object)
{
  LadleTask *self = (LadleTask *)object;
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_clear_handle_id (&priv->completion_source, g_source_remove);
  g_clear_handle_id (&priv->continue_source, g_source_remove);
  if (priv->current_request != NULL)
    g_signal_handlers_disconnect_by_data (priv->current_request, self);
  if (priv->body_stream != NULL)
    {
      close_stream (priv->body_stream);
      g_clear_object (&priv->body_stream);
    }

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
  g_clear_pointer (&priv->description, g_free);
  g_clear_object (&priv->original_request);
  g_clear_object (&priv->current_request);
  g_clear_error (&priv->error);
  g_clear_error (&priv->start_error);
  g_clear_error (&priv->abort_error);
  g_clear_object (&priv->cancellable);
  g_clear_object (&priv->accepted_certificate);
  g_clear_pointer (&priv->buffer, g_free);
  g_clear_pointer (&priv->url_user, g_free);
  g_clear_pointer (&priv->url_password, g_free);
  g_clear_pointer (&priv->url_origin, g_uri_unref);

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
      g_value_set_uint64 (value, priv->identifier);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, priv->description);
      break;
    case PROP_STATE:
      g_value_set_enum (value, priv->state);
      break;
    case PROP_ORIGINAL_REQUEST:
      g_value_set_object (value, priv->original_request);
      break;
    case PROP_CURRENT_REQUEST:
      g_value_set_object (value, priv->current_request);
      break;
    case PROP_STATUS_CODE:
      g_value_set_uint (value, ladle_task_get_status_code (self));
      break;
    case PROP_RESPONSE_HEADERS:
      g_value_set_boxed (value, ladle_task_get_response_headers (self));
      break;
    case PROP_BYTES_RECEIVED:
      g_value_set_int64 (value, priv->bytes_received);
      break;
    case PROP_BYTES_EXPECTED_TO_RECEIVE:
      g_value_set_int64 (value, priv->bytes_expected);
      break;
    case PROP_BYTES_SENT:
      g_value_set_int64 (value, priv->bytes_sent);
      break;
    case PROP_BYTES_EXPECTED_TO_SEND:
      g_value_set_int64 (value, priv->bytes_expected_to_send);
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

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

static void
ladle_task_class_init (LadleTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ladle_task_dispose;
  object_class->finalize = ladle_task_finalize;
  object_class->get_property = ladle_task_get_property;
  object_class->set_property = ladle_task_set_property;

  klass->response = ladle_task_real_response;
  klass->redirect = ladle_task_real_redirect;

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

  g_object_class_install_properties (object_class, N_PROPS, properties);

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
   * Proxy-Authorization headers are already removed from @new_request; the handler may add what
   * it chooses.
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
}

static void
ladle_task_init (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_weak_ref_init (&priv->session_ref, NULL);
  priv->state = LADLE_TASK_STATE_SUSPENDED;
  priv->priority = SOUP_MESSAGE_PRIORITY_NORMAL;
  priv->max_redirects = DEFAULT_MAX_REDIRECTS;
  priv->ops = &default_ops;
  priv->cancellable = g_cancellable_new ();
  priv->pending_length = -1;
  priv->body_length = -1;
  priv->bytes_expected = -1;
  priv->reported_received = -1;
}

/* Internal API for the task kinds and the session */

void
_ladle_task_set_ops (LadleTask          *self,
                     const LadleTaskOps *ops)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  priv->ops = ops;
}

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
  priv->identifier = identifier;
  if (request != NULL)
    {
      priv->original_request = g_object_ref (request);
      priv->current_request = g_object_ref (request);
      priv->priority = soup_message_get_priority (request);
    }
}

void
_ladle_task_fail_on_start (LadleTask *self,
                           GError    *error)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  if (priv->start_error == NULL)
    priv->start_error = error;
  else
    g_error_free (error);
}

GCancellable *
_ladle_task_get_cancellable (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  return priv->cancellable;
}

void
_ladle_task_set_receive_offset (LadleTask *self,
                                gint64     offset,
                                gint64     expected_total)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  priv->receive_offset = offset;
  priv->bytes_received = offset + priv->body_received;
  priv->bytes_expected = expected_total;
  /* The bytes already on disk were never received by this task: received_now counts from here. */
  priv->reported_received = priv->bytes_received;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_RECEIVED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_EXPECTED_TO_RECEIVE]);
}

void
_ladle_task_set_bytes_expected_to_send (LadleTask *self,
                                        gint64     expected)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  if (priv->bytes_expected_to_send == expected)
    return;

  priv->bytes_expected_to_send = expected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_EXPECTED_TO_SEND]);
}

static LadleSession *
dup_session (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  return g_weak_ref_get (&priv->session_ref);
}

/* Progress */

static void
emit_download_progress (LadleTask *self,
                        gboolean   final)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  gint64 now;
  gint64 received_now;

  if (priv->bytes_received <= priv->reported_received && (!final || priv->download_progress_sent))
    return;

  now = g_get_monotonic_time ();
  if (!final && now - priv->last_download_progress < PROGRESS_INTERVAL_USEC)
    return;

  received_now = priv->bytes_received - MAX (priv->reported_received, 0);
  priv->last_download_progress = now;
  priv->reported_received = priv->bytes_received;
  priv->download_progress_sent = TRUE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_RECEIVED]);
  g_signal_emit (self, signals[DOWNLOAD_PROGRESS], 0,
                 received_now, priv->bytes_received, priv->bytes_expected);
}

static void
emit_upload_progress (LadleTask *self,
                      gboolean   final)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  gint64 now;
  gint64 sent_now;

  if (priv->bytes_sent <= priv->reported_sent)
    return;

  now = g_get_monotonic_time ();
  if (!final && now - priv->last_upload_progress < PROGRESS_INTERVAL_USEC)
    return;

  sent_now = priv->bytes_sent - priv->reported_sent;
  priv->last_upload_progress = now;
  priv->reported_sent = priv->bytes_sent;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_SENT]);
  g_signal_emit (self, signals[UPLOAD_PROGRESS], 0,
                 sent_now, priv->bytes_sent, priv->bytes_expected_to_send);
}

/* Signal handlers on the SoupMessage */

static gboolean
on_message_authenticate (SoupMessage *message,
                         SoupAuth    *auth,
                         gboolean     retrying,
                         LadleTask   *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  g_autoptr(LadleSession) session = NULL;
  gboolean handled = FALSE;

  /* Credentials from the URL answer the first challenge of their own origin, never a proxy's. */
  if (!retrying && !soup_auth_is_for_proxy (auth) && priv->url_user != NULL &&
      same_origin (priv->url_origin, soup_message_get_uri (message)))
    {
      soup_auth_authenticate (auth, priv->url_user, priv->url_password);
      return TRUE;
    }

  g_signal_emit (self, signals[AUTHENTICATE], 0, auth, retrying, &handled);
  if (handled)
    return TRUE;

  session = dup_session (self);
  if (session != NULL)
    handled = _ladle_session_emit_authenticate (session, self, auth, retrying);

  return handled;
}

static gboolean
ask_accept_certificate (LadleTask            *self,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  g_autoptr(LadleSession) session = NULL;
  gboolean accepted = FALSE;

  g_signal_emit (self, signals[ACCEPT_CERTIFICATE], 0, certificate, errors, &accepted);

  session = dup_session (self);
  if (!accepted && session != NULL)
    accepted = _ladle_session_emit_accept_certificate (session, self, certificate, errors);

  if (accepted)
    {
      g_set_object (&priv->accepted_certificate, certificate);
      /* libsoup would reuse this connection for other tasks without asking them: make the
       * session open fresh connections to this origin from now on. */
      if (session != NULL)
        _ladle_session_remember_accepted_certificate (session,
                                                      soup_message_get_uri (priv->current_request));
    }

  return accepted;
}

static gboolean
on_message_accept_certificate (SoupMessage          *message,
                               GTlsCertificate      *certificate,
                               GTlsCertificateFlags  errors,
                               LadleTask            *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  /* A new connection (redirect hop, auth retry) to the certificate this task accepted. */
  if (priv->accepted_certificate != NULL &&
      g_tls_certificate_is_same (priv->accepted_certificate, certificate))
    return TRUE;

  return ask_accept_certificate (self, certificate, errors);
}

static void
on_message_restarted (SoupMessage *message,
                      LadleTask   *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  /* The body goes out again from its start; progress stays monotonic by counting the
   * resent bytes only once they pass what was already reported. */
  priv->bytes_sent = 0;
  if (priv->ops->message_restarted != NULL)
    priv->ops->message_restarted (self, message);
}

/* Body bytes written to the connection, by libsoup (wrote-body-data) or by Ladle itself (an
 * upload task's direct body copy). */
void
_ladle_task_add_bytes_sent (LadleTask *self,
                            gsize      n_bytes)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  priv->bytes_sent += n_bytes;
  emit_upload_progress (self, FALSE);
}

static void
on_message_wrote_body_data (SoupMessage *message,
                            guint        chunk_size,
                            LadleTask   *self)
{
  _ladle_task_add_bytes_sent (self, chunk_size);
}

static void
on_message_wrote_body (SoupMessage *message,
                       LadleTask   *self)
{
  emit_upload_progress (self, TRUE);
}

static void
watch_message (LadleTask   *self,
               SoupMessage *message)
{
  g_signal_connect_object (message, "authenticate", G_CALLBACK (on_message_authenticate), self, 0);
  g_signal_connect_object (message, "accept-certificate", G_CALLBACK (on_message_accept_certificate), self, 0);
  g_signal_connect_object (message, "restarted", G_CALLBACK (on_message_restarted), self, 0);
  g_signal_connect_object (message, "wrote-body-data", G_CALLBACK (on_message_wrote_body_data), self, 0);
  g_signal_connect_object (message, "wrote-body", G_CALLBACK (on_message_wrote_body), self, 0);
}

/* Completion */

static void
complete (LadleTask *self,
          GError    *error)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  g_autoptr(LadleTask) hold = g_object_ref (self);
  g_autoptr(LadleSession) session = NULL;

  if (priv->state == LADLE_TASK_STATE_COMPLETED)
    {
      g_clear_error (&error);
      return;
    }

  g_clear_handle_id (&priv->completion_source, g_source_remove);
  g_clear_handle_id (&priv->continue_source, g_source_remove);
  priv->phase = PHASE_DONE;

  if (priv->body_stream != NULL)
    {
      close_stream (priv->body_stream);
      g_clear_object (&priv->body_stream);
    }
  if (priv->current_request != NULL)
    g_signal_handlers_disconnect_by_data (priv->current_request, self);
  g_clear_pointer (&priv->buffer, g_free);

  if (priv->ops->will_complete != NULL)
    priv->ops->will_complete (self, error);

  priv->error = error;
  if (error != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  set_state (self, LADLE_TASK_STATE_COMPLETED);

  g_signal_emit (self, signals[COMPLETED], 0, priv->error);

  session = g_steal_pointer (&priv->session_hold);
  if (session == NULL)
    session = dup_session (self);
  if (session != NULL)
    _ladle_session_task_completed (session, self, priv->error);

  if (priv->ops->did_complete != NULL)
    priv->ops->did_complete (self);
}

static gboolean
completion_cb (gpointer user_data)
{
  LadleTask *self = user_data;
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  GError *error = g_steal_pointer (&priv->start_error);

  priv->completion_source = 0;
  if (error == NULL && priv->state == LADLE_TASK_STATE_CANCELING)
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  complete (self, error);

  return G_SOURCE_REMOVE;
}

/* Completions caused by a call of the application (cancel, resume of a task that cannot run)
 * are delivered from the main loop, never from inside the call. */
static void
schedule_completion (LadleTask *self,
                     GError    *error)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  g_autoptr(LadleSession) session = dup_session (self);
  GSource *source;

  if (error != NULL)
    _ladle_task_fail_on_start (self, error);
  if (priv->completion_source != 0 || priv->state == LADLE_TASK_STATE_COMPLETED)
    return;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, completion_cb, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[ladle] task completion");
  priv->completion_source =
    g_source_attach (source, session ? _ladle_session_get_context (session) : g_main_context_get_thread_default ());
  g_source_unref (source);
}

static GError *
cancelled_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
}

/* Body */

static void
finish_body (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  emit_download_progress (self, TRUE);
  if (priv->state == LADLE_TASK_STATE_COMPLETED)
    return;
  if (priv->state == LADLE_TASK_STATE_CANCELING)
    {
      complete (self, cancelled_error ());
      return;
    }

  priv->phase = PHASE_FINISHING;
  if (priv->ops->body_end != NULL)
    priv->ops->body_end (self);
  else
    complete (self, NULL);
}

/* Fails the task with @error from inside a libsoup callback (e.g. a request body that cannot be
 * produced again): the operation in flight is cancelled and its callback completes the task. */
void
_ladle_task_abort (LadleTask *self,
                   GError    *error)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  if (priv->state == LADLE_TASK_STATE_COMPLETED || priv->abort_error != NULL ||
      priv->state == LADLE_TASK_STATE_CANCELING)
    {
      g_error_free (error);
      return;
    }

  priv->abort_error = error;
  g_cancellable_cancel (priv->cancellable);
  if (!priv->op_in_flight)
    schedule_completion (self, g_steal_pointer (&priv->abort_error));
}

void
_ladle_task_finish_body (LadleTask *self,
                         GError    *error)
{
  /* ladle_task_cancel() does nothing once the body is finishing: the outcome stands. */
  complete (self, error);
}

static gboolean
body_is_decoded (SoupMessage *message)
{
  const char *encoding;

  encoding = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                           "Content-Encoding");

  return encoding != NULL
         && g_ascii_strcasecmp (encoding, "identity") != 0
         && !soup_message_is_feature_disabled (message, SOUP_TYPE_CONTENT_DECODER);
}

static GError *
truncated_error (gint64 received,
                 gint64 expected)
{
  return g_error_new (LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY,
                      "The connection closed after %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                      " bytes of the response body",
                      received, expected);
}

static void
body_eof (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  /* libsoup 3.2 reports a connection closed before Content-Length bytes as a clean end of
   * stream: count and check. */
  if (priv->body_length >= 0 && priv->body_received < priv->body_length)
    {
      complete (self, truncated_error (priv->body_received, priv->body_length));
      return;
    }

  finish_body (self);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LadleTask) self = user_data;
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  g_autoptr(GError) error = NULL;
  gssize n;

  priv->op_in_flight = FALSE;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (priv->state == LADLE_TASK_STATE_COMPLETED)
    return;
  if (priv->abort_error != NULL)
    {
      complete (self, g_steal_pointer (&priv->abort_error));
      return;
    }
  if (priv->state == LADLE_TASK_STATE_CANCELING)
    {
      complete (self, cancelled_error ());
      return;
    }

  if (n < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
        {
          /* libsoup noticed the connection closing inside a chunk or before Content-Length. */
          GError *truncated = g_error_new (LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY,
                                           "The connection closed after %" G_GINT64_FORMAT
                                           " bytes of the response body: %s",
                                           priv->body_received, error->message);
          complete (self, truncated);
        }
      else
        complete (self, g_steal_pointer (&error));
      return;
    }

  if (n == 0)
    {
      body_eof (self);
      return;
    }

  if (priv->state == LADLE_TASK_STATE_SUSPENDED)
    {
      priv->pending_length = n;
      return;
    }

  process_chunk (self, n);
}

static void
read_next (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  priv->op_in_flight = TRUE;
  g_input_stream_read_async (priv->body_stream, priv->buffer, priv->buffer_size,
                             G_PRIORITY_DEFAULT, priv->cancellable,
                             read_cb, g_object_ref (self));
}

static void
process_chunk (LadleTask *self,
               gsize      length)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  g_autoptr(GError) error = NULL;

  priv->pending_length = -1;
  priv->body_received += length;
  priv->bytes_received = priv->receive_offset + priv->body_received;

  priv->dispatching = TRUE;
  if (priv->ops->body_chunk != NULL &&
      !priv->ops->body_chunk (self, priv->buffer, length, &error))
    {
      priv->dispatching = FALSE;
      complete (self, g_steal_pointer (&error));
      return;
    }
  if (priv->state == LADLE_TASK_STATE_RUNNING)
    emit_download_progress (self, FALSE);
  priv->dispatching = FALSE;

  /* A handler may have suspended or cancelled the task; cancel() then scheduled the completion
   * and resume() will read on. */
  if (priv->state == LADLE_TASK_STATE_RUNNING)
    read_next (self);
}

static void
begin_body (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  SoupMessage *message = priv->current_request;
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  g_autoptr(GError) error = NULL;

  priv->phase = PHASE_BODY;
  priv->body_received = 0;
  priv->body_length = -1;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      !body_is_decoded (message))
    priv->body_length = soup_message_headers_get_content_length (headers);
  if (soup_message_get_method (message) == SOUP_METHOD_HEAD ||
      soup_message_get_status (message) == SOUP_STATUS_NO_CONTENT ||
      soup_message_get_status (message) == SOUP_STATUS_NOT_MODIFIED)
    priv->body_length = 0;

  priv->receive_offset = 0;
  priv->bytes_received = 0;
  priv->bytes_expected = priv->body_length;
  priv->reported_received = -1;

  if (priv->ops->body_begin != NULL && !priv->ops->body_begin (self, message, &error))
    {
      complete (self, g_steal_pointer (&error));
      return;
    }

  if (priv->buffer == NULL)
    {
      priv->buffer_size = priv->ops->read_size ? priv->ops->read_size : DEFAULT_READ_SIZE;
      priv->buffer = g_malloc (priv->buffer_size);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_EXPECTED_TO_RECEIVE]);

  if (priv->state == LADLE_TASK_STATE_RUNNING)
    read_next (self);
}

static void
handle_response (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  LadleResponseDisposition disposition = LADLE_RESPONSE_DISPOSITION_ALLOW;

  /* A handler that suspends and resumes the task must not re-enter the loop. */
  priv->dispatching = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_CODE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESPONSE_HEADERS]);
  g_signal_emit (self, signals[RESPONSE], 0, priv->current_request, &disposition);
  priv->dispatching = FALSE;

  if (priv->state == LADLE_TASK_STATE_COMPLETED || priv->state == LADLE_TASK_STATE_CANCELING)
    return;

  switch (disposition)
    {
    case LADLE_RESPONSE_DISPOSITION_CANCEL:
      ladle_task_cancel (self);
      return;

    case LADLE_RESPONSE_DISPOSITION_BECOME_DOWNLOAD:
      if (priv->ops->become_download != NULL &&
          priv->ops->become_download (self, priv->current_request, priv->body_stream))
        {
          /* The download task owns the stream now; this task is done. */
          g_clear_object (&priv->body_stream);
          complete (self, NULL);
          return;
        }
      break;

    case LADLE_RESPONSE_DISPOSITION_ALLOW:
    default:
      break;
    }

  begin_body (self);
}

/* Redirects */

static gboolean
is_redirect_status (guint status)
{
  return status == SOUP_STATUS_MOVED_PERMANENTLY ||
         status == SOUP_STATUS_FOUND ||
         status == SOUP_STATUS_SEE_OTHER ||
         status == SOUP_STATUS_TEMPORARY_REDIRECT ||
         status == SOUP_STATUS_PERMANENT_REDIRECT;
}

static gboolean
same_origin (GUri *a,
             GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
         g_uri_get_port (a) == g_uri_get_port (b);
}

static gboolean
is_http_uri (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);

  return scheme != NULL &&
         (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0) &&
         g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

static gboolean
is_body_header (const char *name)
{
  static const char * const body_headers[] = {
    "Content-Type", "Content-Length", "Content-Encoding", "Content-Language",
    "Content-Location", "Content-MD5", "Content-Range", "Transfer-Encoding", "Expect",
  };

  for (guint i = 0; i < G_N_ELEMENTS (body_headers); i++)
    if (g_ascii_strcasecmp (name, body_headers[i]) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
is_credential_header (const char *name)
{
  return g_ascii_strcasecmp (name, "Authorization") == 0 ||
         g_ascii_strcasecmp (name, "Proxy-Authorization") == 0 ||
         g_ascii_strcasecmp (name, "Cookie") == 0;
}

typedef struct
{
  SoupMessageHeaders *to;
  gboolean            drop_body;
  gboolean            drop_credentials;
} CopyHeaders;

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  CopyHeaders *copy = user_data;

  if (g_ascii_strcasecmp (name, "Host") == 0)
    return;
  if (copy->drop_body && is_body_header (name))
    return;
  if (copy->drop_credentials && is_credential_header (name))
    return;

  soup_message_headers_append (copy->to, name, value);
}

static GUri *
uri_without_credentials (GUri *uri)
{
  return g_uri_build (g_uri_get_flags (uri),
                      g_uri_get_scheme (uri),
                      NULL,
                      g_uri_get_host (uri),
                      g_uri_get_port (uri),
                      g_uri_get_path (uri),
                      g_uri_get_query (uri),
                      g_uri_get_fragment (uri));
}

/* Returns the request for the next hop, NULL with @error for a redirect that cannot be followed,
 * or NULL without error when the response is to be handed to the application as it is. */
static SoupMessage *
build_redirect (LadleTask    *self,
                SoupMessage  *message,
                GError      **error)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  SoupMessageHeaders *response_headers = soup_message_get_response_headers (message);
  GUri *base = soup_message_get_uri (message);
  const char *location;
  const char *method = soup_message_get_method (message);
  guint status = soup_message_get_status (message);
  g_autoptr(GUri) target = NULL;
  g_autoptr(GUri) clean_target = NULL;
  g_autoptr(GError) local_error = NULL;
  SoupMessage *next;
  CopyHeaders copy;
  gboolean becomes_get = FALSE;

  location = soup_message_headers_get_one (response_headers, "Location");
  if (location == NULL || *location == '\0')
    return NULL;

  target = g_uri_parse_relative (base, location, SOUP_HTTP_URI_FLAGS, &local_error);
  if (target == NULL)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNSUPPORTED_REDIRECT,
                   "Invalid redirect location “%s”: %s", location, local_error->message);
      return NULL;
    }
  if (!is_http_uri (target))
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNSUPPORTED_REDIRECT,
                   "Refusing to follow a redirect to “%s”: only http and https are allowed",
                   location);
      return NULL;
    }
  if (priv->n_redirects >= priv->max_redirects)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_TOO_MANY_REDIRECTS,
                   "Too many redirects (the limit is %u)", priv->max_redirects);
      return NULL;
    }

  if (status == SOUP_STATUS_SEE_OTHER)
    becomes_get = method != SOUP_METHOD_HEAD && method != SOUP_METHOD_GET;
  else if (status == SOUP_STATUS_MOVED_PERMANENTLY || status == SOUP_STATUS_FOUND)
    becomes_get = method == SOUP_METHOD_POST;

  /* 307 and 308 resend the body; only bodies that Ladle can produce again may be resent. */
  if (!becomes_get && method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD &&
      soup_message_headers_get_encoding (soup_message_get_request_headers (message)) != SOUP_ENCODING_NONE &&
      soup_message_headers_get_content_length (soup_message_get_request_headers (message)) != 0 &&
      (priv->ops->can_resend_body == NULL || !priv->ops->can_resend_body (self)))
    return NULL;

  /* Credentials in a Location are never followed blindly. */
  clean_target = uri_without_credentials (target);
  next = soup_message_new_from_uri (becomes_get ? SOUP_METHOD_GET : method, clean_target);

  copy.to = soup_message_get_request_headers (next);
  copy.drop_body = becomes_get;
  copy.drop_credentials = !same_origin (base, clean_target);
  soup_message_headers_foreach (soup_message_get_request_headers (message), copy_header, &copy);

  soup_message_set_flags (next, soup_message_get_flags (message));
  soup_message_set_priority (next, priv->priority);
  soup_message_set_is_top_level_navigation (next, soup_message_get_is_top_level_navigation (message));
  if (soup_message_get_first_party (message) != NULL)
    soup_message_set_first_party (next, soup_message_get_first_party (message));
  /* libsoup cannot list a message's disabled features: ask for each kind it ships. */
  {
    const GType features[] = {
      SOUP_TYPE_CONTENT_DECODER, SOUP_TYPE_COOKIE_JAR, SOUP_TYPE_CACHE, SOUP_TYPE_AUTH_MANAGER,
      SOUP_TYPE_LOGGER, SOUP_TYPE_CONTENT_SNIFFER, SOUP_TYPE_HSTS_ENFORCER,
    };

    for (guint i = 0; i < G_N_ELEMENTS (features); i++)
      if (soup_message_is_feature_disabled (message, features[i]))
        soup_message_disable_feature (next, features[i]);
  }

  return next;
}

static void
follow_redirect (LadleTask    *self,
                 SoupMessage  *next,
                 GInputStream *stream)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  drain_and_close_stream (stream);
  g_signal_handlers_disconnect_by_data (priv->current_request, self);
  g_set_object (&priv->current_request, next);
  priv->n_redirects++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_REQUEST]);

  send_message (self);
}

/* Sending */

static gboolean
check_certificate (LadleTask  *self,
                   GError    **error)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  SoupMessage *message = priv->current_request;
  GTlsCertificateFlags errors;
  GTlsCertificate *certificate;

  /* libsoup 3.2 reuses a connection whose certificate some other task accepted without asking
   * this one: check every response ourselves. */
  errors = soup_message_get_tls_peer_certificate_errors (message);
  certificate = soup_message_get_tls_peer_certificate (message);
  if (errors == 0 || certificate == NULL)
    return TRUE;
  if (priv->accepted_certificate != NULL &&
      g_tls_certificate_is_same (priv->accepted_certificate, certificate))
    return TRUE;
  if (ask_accept_certificate (self, certificate, errors))
    return TRUE;

  g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                       "Unacceptable TLS certificate");
  return FALSE;
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LadleTask) self = user_data;
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  SoupMessage *message = priv->current_request;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  priv->op_in_flight = FALSE;
  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);

  if (priv->state == LADLE_TASK_STATE_COMPLETED)
    {
      close_stream (stream);
      return;
    }
  if (priv->abort_error != NULL)
    {
      close_stream (stream);
      complete (self, g_steal_pointer (&priv->abort_error));
      return;
    }
  if (priv->state == LADLE_TASK_STATE_CANCELING)
    {
      close_stream (stream);
      complete (self, cancelled_error ());
      return;
    }
  if (stream == NULL)
    {
      complete (self, g_steal_pointer (&error));
      return;
    }
  if (!check_certificate (self, &error))
    {
      close_stream (stream);
      complete (self, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (message);
  if (is_redirect_status (status))
    {
      g_autoptr(SoupMessage) next = build_redirect (self, message, &error);

      if (error != NULL)
        {
          close_stream (stream);
          complete (self, g_steal_pointer (&error));
          return;
        }
      if (next != NULL)
        {
          gboolean follow = TRUE;

          g_signal_emit (self, signals[REDIRECT], 0, next, &follow);
          if (priv->state == LADLE_TASK_STATE_CANCELING || priv->state == LADLE_TASK_STATE_COMPLETED)
            {
              close_stream (stream);
              return;
            }
          if (follow && !is_http_uri (soup_message_get_uri (next)))
            {
              close_stream (stream);
              complete (self, g_error_new (LADLE_ERROR, LADLE_ERROR_UNSUPPORTED_REDIRECT,
                                           "The redirect handler set a URI that is not http or https"));
              return;
            }
          if (follow)
            {
              follow_redirect (self, next, stream);
              return;
            }
        }
    }

  priv->body_stream = g_steal_pointer (&stream);
  priv->phase = PHASE_RESPONSE_READY;
  if (priv->state == LADLE_TASK_STATE_RUNNING)
    handle_response (self);
}

static void
send_message (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  g_autoptr(LadleSession) session = dup_session (self);
  SoupMessage *message = priv->current_request;
  g_autoptr(GError) error = NULL;

  if (session == NULL)
    {
      complete (self, g_error_new (LADLE_ERROR, LADLE_ERROR_SESSION_INVALIDATED,
                                   "The task's session no longer exists"));
      return;
    }

  /* libsoup 3.2 writes user:password@ into the request line to a proxy and offers them as
   * Proxy-Authorization: keep them out of the URI and answer the origin's challenge ourselves. */
  if (g_uri_get_user (soup_message_get_uri (message)) != NULL)
    {
      GUri *uri = soup_message_get_uri (message);
      g_autoptr(GUri) clean = uri_without_credentials (uri);

      g_free (priv->url_user);
      g_free (priv->url_password);
      priv->url_user = g_strdup (g_uri_get_user (uri));
      priv->url_password = g_strdup (g_uri_get_password (uri) ? g_uri_get_password (uri) : "");
      g_clear_pointer (&priv->url_origin, g_uri_unref);
      priv->url_origin = g_uri_ref (clean);
      soup_message_set_uri (message, clean);
    }
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_set_priority (message, priv->priority);
  _ladle_session_prepare_message (session, message);

  if (priv->ops->prepare_message != NULL && !priv->ops->prepare_message (self, message, &error))
    {
      complete (self, g_steal_pointer (&error));
      return;
    }

  /* Each hop sends the body from its start; what was reported stays reported, so that
   * upload-progress never goes back (see on_message_restarted()). */
  priv->bytes_sent = 0;
  watch_message (self, message);

  priv->phase = PHASE_SENDING;
  priv->op_in_flight = TRUE;
  soup_session_send_async (ladle_session_get_soup_session (session), message,
                           G_PRIORITY_DEFAULT, priv->cancellable,
                           send_cb, g_object_ref (self));
}

void
_ladle_task_start_with_response (LadleTask    *self,
                                 SoupMessage  *message,
                                 GInputStream *stream)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_set_object (&priv->current_request, message);
  priv->body_stream = g_object_ref (stream);
  priv->started = TRUE;
  priv->phase = PHASE_BODY;
  set_state (self, LADLE_TASK_STATE_RUNNING);
  begin_body (self);
}

static void
start (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);
  g_autoptr(LadleSession) session = dup_session (self);

  priv->started = TRUE;

  if (priv->start_error != NULL)
    {
      schedule_completion (self, NULL);
      return;
    }
  if (session == NULL || !_ladle_session_may_run_task (session, self))
    {
      schedule_completion (self, g_error_new (LADLE_ERROR, LADLE_ERROR_SESSION_INVALIDATED,
                                              "The session was invalidated"));
      return;
    }

  if (!_ladle_session_may_start (session))
    {
      priv->phase = PHASE_WAITING;
      _ladle_session_wait_for_network (session, self);
      return;
    }

  send_message (self);
}

void
_ladle_task_network_available (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  if (priv->phase != PHASE_WAITING || priv->state != LADLE_TASK_STATE_RUNNING)
    return;

  send_message (self);
}

/* Public API */

typedef void (*TaskAction) (LadleTask *self);

typedef struct
{
  LadleTask  *task;
  TaskAction  action;
} Invocation;

static gboolean
invoke_cb (gpointer user_data)
{
  Invocation *invocation = user_data;

  invocation->action (invocation->task);
  g_object_unref (invocation->task);
  g_free (invocation);

  return G_SOURCE_REMOVE;
}

/* Tasks belong to the main context of their session; calls from other threads are handed to it. */
static gboolean
dispatch_to_context (LadleTask  *self,
                     TaskAction  action)
{
  g_autoptr(LadleSession) session = dup_session (self);
  g_autoptr(GMainContext) current = NULL;
  GMainContext *context;
  Invocation *invocation;

  if (session == NULL)
    return FALSE;

  context = _ladle_session_get_context (session);
  current = g_main_context_ref_thread_default ();
  if (current == context)
    return FALSE;

  invocation = g_new0 (Invocation, 1);
  invocation->task = g_object_ref (self);
  invocation->action = action;
  g_main_context_invoke (context, invoke_cb, invocation);

  return TRUE;
}

static gboolean continue_cb (gpointer user_data);

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

  if (dispatch_to_context (self, ladle_task_resume))
    return;

  if (priv->state != LADLE_TASK_STATE_SUSPENDED)
    return;

  set_state (self, LADLE_TASK_STATE_RUNNING);

  /* The work goes on from the main loop: no signal is ever emitted from inside resume(). */
  if (priv->continue_source == 0)
    {
      GSource *source = g_idle_source_new ();
      g_autoptr(LadleSession) session = dup_session (self);

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, continue_cb, g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[ladle] task continue");
      priv->continue_source =
        g_source_attach (source, session ? _ladle_session_get_context (session) : g_main_context_get_thread_default ());
      g_source_unref (source);
    }
}

static gboolean
continue_cb (gpointer user_data)
{
  LadleTask *self = user_data;
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  priv->continue_source = 0;

  if (priv->state != LADLE_TASK_STATE_RUNNING)
    return G_SOURCE_REMOVE;

  if (!priv->started)
    {
      start (self);
      return G_SOURCE_REMOVE;
    }

  /* An operation in flight, or the signal being emitted, goes on by itself. */
  if (priv->op_in_flight || priv->dispatching)
    return G_SOURCE_REMOVE;

  switch (priv->phase)
    {
    case PHASE_WAITING:
      {
        g_autoptr(LadleSession) session = dup_session (self);

        if (session != NULL && _ladle_session_may_start (session))
          send_message (self);
      }
      break;

    case PHASE_RESPONSE_READY:
      handle_response (self);
      break;

    case PHASE_BODY:
      if (priv->pending_length >= 0)
        process_chunk (self, priv->pending_length);
      else
        read_next (self);
      break;

    case PHASE_IDLE:
    case PHASE_SENDING:
    case PHASE_FINISHING:
    case PHASE_DONE:
    default:
      break;
    }

  return G_SOURCE_REMOVE;
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

  if (dispatch_to_context (self, ladle_task_suspend))
    return;

  if (priv->state != LADLE_TASK_STATE_RUNNING)
    return;

  set_state (self, LADLE_TASK_STATE_SUSPENDED);
}

/**
 * ladle_task_cancel:
 * @self: a task
 *
 * Cancels the task. It completes soon after, from the main loop, with %G_IO_ERROR_CANCELLED,
 * whatever state it was in (suspended tasks included). Does nothing to a task that already
 * completed or is being cancelled, nor to one whose whole body already arrived and is being
 * delivered (a download emitted [signal@Ladle.DownloadTask::finished] and is being moved to
 * its destination): that task completes with its outcome.
 */
void
ladle_task_cancel (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_TASK (self));

  if (dispatch_to_context (self, ladle_task_cancel))
    return;

  if (priv->state == LADLE_TASK_STATE_COMPLETED || priv->state == LADLE_TASK_STATE_CANCELING)
    return;

  /* The whole body is in and is being delivered (a download is being moved into place):
   * too late to cancel. */
  if (priv->phase == PHASE_FINISHING)
    return;

  set_state (self, LADLE_TASK_STATE_CANCELING);
  g_cancellable_cancel (priv->cancellable);

  /* With an operation in flight, its callback completes the task. */
  if (!priv->op_in_flight)
    schedule_completion (self, NULL);
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

  return dup_session (self);
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

  return priv->identifier;
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

  return priv->state;
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

  return priv->description;
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

  if (g_strcmp0 (priv->description, description) == 0)
    return;

  g_free (priv->description);
  priv->description = g_strdup (description);
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

  return priv->current_request;
}

static gboolean
has_response (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  return priv->current_request != NULL &&
         (priv->phase == PHASE_RESPONSE_READY || priv->phase == PHASE_BODY ||
          priv->phase == PHASE_FINISHING || priv->phase == PHASE_DONE) &&
         soup_message_get_status (priv->current_request) != SOUP_STATUS_NONE;
}

/**
 * ladle_task_get_status_code:
 * @self: a task
 *
 * Returns: the HTTP status of the final response, 0 until it is in
 */
guint
ladle_task_get_status_code (LadleTask *self)
{
  LadleTaskPrivate *priv = ladle_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_TASK (self), 0);

  return has_response (self) ? soup_message_get_status (priv->current_request) : 0;
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

  return has_response (self) ? soup_message_get_response_headers (priv->current_request) : NULL;
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

  return priv->bytes_received;
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

  return priv->bytes_expected;
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

  return priv->bytes_sent;
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

  return priv->bytes_expected_to_send;
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
  if (priv->current_request != NULL)
    soup_message_set_priority (priv->current_request, priority);
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
