/* ladle-data-task.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleDataTask:
 *
 * A task whose response body is delivered to the application in memory.
 *
 * Each chunk of the body is emitted with [signal@Ladle.DataTask::data-received] as it arrives.
 * Unless [property@Ladle.DataTask:accumulate] is turned off, the whole body is also kept and can
 * be read with [method@Ladle.DataTask.dup_body] once the task completed: turn it off for large
 * bodies that the application consumes chunk by chunk.
 *
 * A [signal@Ladle.Task::response] handler can hand the body over to a new
 * [class@Ladle.DownloadTask] by returning %LADLE_RESPONSE_DISPOSITION_BECOME_DOWNLOAD.
 */

#include "config.h"

#include "ladle-data-task.h"
#include "ladle-data-task-private.h"
#include "ladle-download-task.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"

#include "ladle-error.h"

#define DEFAULT_MAX_BODY_SIZE (256 * 1024 * 1024)

typedef struct
{
  gboolean    accumulate;
  guint64     max_body_size;   /* of the accumulated body, 0 for no limit */
  GByteArray *body;
  GBytes     *final_body;
} LadleDataTaskPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (LadleDataTask, ladle_data_task, LADLE_TYPE_TASK)

enum {
  PROP_0,
  PROP_ACCUMULATE,
  PROP_MAX_BODY_SIZE,
  N_PROPS
};

enum {
  DATA_RECEIVED,
  BECAME_DOWNLOAD_TASK,
  WILL_CACHE_RESPONSE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
ladle_data_task_body_begin (LadleTask    *task,
                            SoupMessage  *message,
                            GError      **error)
{
  LadleDataTask *self = LADLE_DATA_TASK (task);
  LadleDataTaskPrivate *priv = ladle_data_task_get_instance_private (self);

  g_clear_pointer (&priv->body, g_byte_array_unref);
  if (priv->accumulate)
    priv->body = g_byte_array_new ();

  return TRUE;
}

static void
ladle_data_task_body_chunk (LadleTask       *task,
                            LadleBodyBuffer *buffer)
{
  LadleDataTask *self = LADLE_DATA_TASK (task);
  LadleDataTaskPrivate *priv = ladle_data_task_get_instance_private (self);

  if (priv->body != NULL)
    {
      /* Counted after decoding: a small compressed body cannot fill the memory. */
      if (priv->max_body_size > 0 && priv->body->len + (guint64)buffer->length > priv->max_body_size)
        {
          _ladle_task_buffer_consumed (task, buffer,
                                       g_error_new (LADLE_ERROR, LADLE_ERROR_BODY_TOO_LARGE,
                                                    "The response body is larger than the limit of %"
                                                    G_GUINT64_FORMAT " bytes",
                                                    priv->max_body_size));
          return;
        }
      g_byte_array_append (priv->body, buffer->data, buffer->length);
    }

  /* No copy of the chunk when nobody listens. */
  if (g_signal_has_handler_pending (self, signals[DATA_RECEIVED], 0, TRUE) ||
      LADLE_DATA_TASK_GET_CLASS (self)->data_received != NULL)
    {
      g_autoptr(GBytes) chunk = g_bytes_new (buffer->data, buffer->length);

      g_signal_emit (self, signals[DATA_RECEIVED], 0, chunk);
    }

  _ladle_task_buffer_consumed (task, buffer, NULL);
}

/* The session makes the download task; it receives this response's body from now on. */
static gboolean
ladle_data_task_become_download (LadleTask    *task,
                                 SoupMessage  *message,
                                 GInputStream *stream)
{
  g_autoptr(LadleSession) session = ladle_task_dup_session (task);
  g_autoptr(LadleDownloadTask) download = NULL;

  if (session == NULL)
    return FALSE;

  download = _ladle_session_adopt_download (session, message);
  g_signal_emit (task, signals[BECAME_DOWNLOAD_TASK], 0, download);
  _ladle_task_start_with_response (LADLE_TASK (download), message, stream);

  return TRUE;
}

static void
ladle_data_task_will_complete (LadleTask    *task,
                               const GError *error)
{
  LadleDataTask *self = LADLE_DATA_TASK (task);
  LadleDataTaskPrivate *priv = ladle_data_task_get_instance_private (self);

  if (priv->body != NULL)
    priv->final_body = g_byte_array_free_to_bytes (g_steal_pointer (&priv->body));
}

static void
ladle_data_task_finalize (GObject *object)
{
  LadleDataTask *self = (LadleDataTask *)object;
  LadleDataTaskPrivate *priv = ladle_data_task_get_instance_private (self);

  g_clear_pointer (&priv->body, g_byte_array_unref);
  g_clear_pointer (&priv->final_body, g_bytes_unref);

  G_OBJECT_CLASS (ladle_data_task_parent_class)->finalize (object);
}

static void
ladle_data_task_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  LadleDataTask *self = LADLE_DATA_TASK (object);

  switch (prop_id)
    {
    case PROP_ACCUMULATE:
      g_value_set_boolean (value, ladle_data_task_get_accumulate (self));
      break;
    case PROP_MAX_BODY_SIZE:
      g_value_set_uint64 (value, ladle_data_task_get_max_body_size (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_data_task_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  LadleDataTask *self = LADLE_DATA_TASK (object);

  switch (prop_id)
    {
    case PROP_ACCUMULATE:
      ladle_data_task_set_accumulate (self, g_value_get_boolean (value));
      break;
    case PROP_MAX_BODY_SIZE:
      ladle_data_task_set_max_body_size (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* ::will-cache-response: the first handler that refuses decides; with none, the response is
 * stored (the class handler allows). */
static gboolean
accumulate_allowed (GSignalInvocationHint *hint,
                    GValue                *return_accu,
                    const GValue          *handler_return,
                    gpointer               data)
{
  gboolean allowed = g_value_get_boolean (handler_return);

  g_value_set_boolean (return_accu, allowed);

  return allowed;
}

static gboolean
ladle_data_task_real_will_cache_response (LadleDataTask *self,
                                          SoupMessage   *message)
{
  return TRUE;
}

gboolean
_ladle_data_task_emit_will_cache_response (LadleDataTask *self,
                                           SoupMessage   *message)
{
  gboolean allowed = TRUE;

  g_signal_emit (self, signals[WILL_CACHE_RESPONSE], 0, message, &allowed);

  return allowed;
}

static void
ladle_data_task_class_init (LadleDataTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  LadleTaskClass *task_class = LADLE_TASK_CLASS (klass);

  object_class->finalize = ladle_data_task_finalize;
  object_class->get_property = ladle_data_task_get_property;
  object_class->set_property = ladle_data_task_set_property;

  task_class->kind = LADLE_TASK_KIND_DATA;
  task_class->read_size = 64 * 1024;
  task_class->n_buffers = 1;
  task_class->body_begin = ladle_data_task_body_begin;
  task_class->body_chunk = ladle_data_task_body_chunk;
  task_class->become_download = ladle_data_task_become_download;
  task_class->will_complete = ladle_data_task_will_complete;

  /**
   * LadleDataTask:accumulate:
   *
   * Whether the response body is kept in memory for [method@Ladle.DataTask.dup_body]. The
   * default is true; set it before resuming the task.
   */
  properties[PROP_ACCUMULATE] =
    g_param_spec_boolean ("accumulate", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleDataTask:max-body-size:
   *
   * The largest body the task keeps in memory when [property@Ladle.DataTask:accumulate] is
   * on, in bytes, counted after decoding (a small gzip body cannot fill the memory); 0 for no
   * limit. A body that grows past it fails the task with %LADLE_ERROR_BODY_TOO_LARGE. The
   * default is 256 MiB. Without accumulation there is no limit: the chunks go to
   * [signal@Ladle.DataTask::data-received] and are not kept.
   */
  properties[PROP_MAX_BODY_SIZE] =
    g_param_spec_uint64 ("max-body-size", NULL, NULL,
                         0, G_MAXUINT64, DEFAULT_MAX_BODY_SIZE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LadleDataTask::data-received:
   * @self: the task
   * @chunk: the bytes that just arrived
   *
   * Emitted for each chunk of the response body, in order, after [signal@Ladle.Task::response]
   * and before [signal@Ladle.Task::completed].
   */
  signals[DATA_RECEIVED] =
    g_signal_new ("data-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (LadleDataTaskClass, data_received),
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, G_TYPE_BYTES);

  /**
   * LadleDataTask::became-download-task:
   * @self: the task
   * @download_task: the task that receives the body from now on
   *
   * Emitted when a [signal@Ladle.Task::response] handler returned
   * %LADLE_RESPONSE_DISPOSITION_BECOME_DOWNLOAD. Connect to @download_task's signals and set its
   * destination here: the body starts flowing into it right after. @self then completes without
   * error and without a body.
   */
  signals[BECAME_DOWNLOAD_TASK] =
    g_signal_new ("became-download-task",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, LADLE_TYPE_DOWNLOAD_TASK);

  /**
   * LadleDataTask::will-cache-response:
   * @self: the task
   * @message: the message, with the response's status and headers
   *
   * Emitted when the session's HTTP cache is about to store a response (libsoup found it
   * cacheable: a `GET` answered with a storable status and no `no-store`), once its headers are
   * in and before any of its body, on the session's main context. This comes before
   * [signal@Ladle.Task::response], because the cache decides while the headers are read. Return
   * false to refuse: the response is not stored, and a response stored earlier for the same URI
   * is removed. The task itself goes on as usual.
   *
   * It is not emitted when the session has no cache
   * ([property@Ladle.SessionConfiguration:cache-size] 0), for a response that libsoup does not
   * store, for a response answered from the cache, or for a message that disables the cache
   * (`soup_message_disable_feature (message, SOUP_TYPE_CACHE)`). Upload tasks are data tasks and
   * have it too, but libsoup stores only responses to `GET`. Download tasks are never cached.
   * The first handler that returns false decides. See [Caching](caching.html).
   *
   * Returns: true to let the cache store the response, false to refuse
   *
   * Since: 0.2
   */
  signals[WILL_CACHE_RESPONSE] =
    g_signal_new_class_handler ("will-cache-response",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                G_CALLBACK (ladle_data_task_real_will_cache_response),
                                accumulate_allowed, NULL,
                                NULL,
                                G_TYPE_BOOLEAN, 1, SOUP_TYPE_MESSAGE);
}

static void
ladle_data_task_init (LadleDataTask *self)
{
  LadleDataTaskPrivate *priv = ladle_data_task_get_instance_private (self);

  priv->accumulate = TRUE;
  priv->max_body_size = DEFAULT_MAX_BODY_SIZE;
}

/**
 * ladle_data_task_get_accumulate:
 * @self: a data task
 *
 * Returns: whether the body is kept in memory
 */
gboolean
ladle_data_task_get_accumulate (LadleDataTask *self)
{
  LadleDataTaskPrivate *priv = ladle_data_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_DATA_TASK (self), FALSE);

  return priv->accumulate;
}

/**
 * ladle_data_task_set_accumulate:
 * @self: a data task
 * @accumulate: whether to keep the body in memory
 *
 * Sets [property@Ladle.DataTask:accumulate]. Set it before resuming the task: a change while the
 * body arrives applies to the next response.
 */
void
ladle_data_task_set_accumulate (LadleDataTask *self,
                                gboolean       accumulate)
{
  LadleDataTaskPrivate *priv = ladle_data_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_DATA_TASK (self));

  accumulate = !!accumulate;
  if (priv->accumulate == accumulate)
    return;

  priv->accumulate = accumulate;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCUMULATE]);
}

/**
 * ladle_data_task_get_max_body_size:
 * @self: a data task
 *
 * Returns: the largest body kept in memory, in bytes; 0 for no limit
 */
guint64
ladle_data_task_get_max_body_size (LadleDataTask *self)
{
  LadleDataTaskPrivate *priv = ladle_data_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_DATA_TASK (self), 0);

  return priv->max_body_size;
}

/**
 * ladle_data_task_set_max_body_size:
 * @self: a data task
 * @max_body_size: a size in bytes, 0 for no limit
 *
 * Sets [property@Ladle.DataTask:max-body-size]. Set it before resuming the task.
 */
void
ladle_data_task_set_max_body_size (LadleDataTask *self,
                                   guint64        max_body_size)
{
  LadleDataTaskPrivate *priv = ladle_data_task_get_instance_private (self);

  g_return_if_fail (LADLE_IS_DATA_TASK (self));

  if (priv->max_body_size == max_body_size)
    return;

  priv->max_body_size = max_body_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_BODY_SIZE]);
}

/**
 * ladle_data_task_dup_body:
 * @self: a data task
 *
 * Gets the response body kept in memory. Once the task completed it is the whole body (or what
 * arrived before the task failed); while it runs, a copy of what arrived so far.
 *
 * Returns: (transfer full) (nullable): the body, or %NULL when
 *   [property@Ladle.DataTask:accumulate] is off or no response arrived
 */
GBytes *
ladle_data_task_dup_body (LadleDataTask *self)
{
  LadleDataTaskPrivate *priv = ladle_data_task_get_instance_private (self);

  g_return_val_if_fail (LADLE_IS_DATA_TASK (self), NULL);

  if (priv->final_body != NULL)
    return g_bytes_ref (priv->final_body);
  if (priv->body != NULL)
    return g_bytes_new (priv->body->data, priv->body->len);

  return NULL;
}
