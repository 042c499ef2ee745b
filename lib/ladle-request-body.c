/* ladle-request-body.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleRequestBody: the stream libsoup reads a large request body from (private).
 *
 * libsoup 3.2 copies a request body to the connection with g_output_stream_splice_async(): 8 KiB
 * at a time, with two main-loop round trips per step, which caps an upload at a few hundred MB/s
 * and keeps the application's main loop busy for the whole upload.
 *
 * Until _ladle_request_body_send_directly() is called, this stream passes reads on to its
 * source, and libsoup sends the body as usual. The upload task calls it from the message's
 * wrote-headers signal, once it has checked that the message is written to the HTTP/1 connection
 * it knows (see ladle-upload-task.c). From then on Ladle itself copies the source to that
 * connection, 256 KiB at a time, reading the next block while the previous one is written; the
 * read libsoup makes meanwhile waits, and then reports the end of the stream (or the error that
 * stopped the copy). libsoup thus writes the headers, Ladle the body, and libsoup reads the
 * response: the connection carries exactly the bytes it would otherwise carry.
 *
 * A source that ends before the announced length fails the copy with LADLE_ERROR_BODY_CHANGED;
 * nothing past the length is read. Everything runs on the thread-default main context of the
 * thread that started the copy.
 */

#include "config.h"

#include "ladle-error.h"
#include "ladle-request-body-private.h"

#define CHUNK_SIZE (1024 * 1024)

typedef struct
{
  guint8 *data;
  gsize   len;   /* bytes read into data */
  gsize   pos;   /* bytes of them written */
} Chunk;

struct _LadleRequestBody
{
  GInputStream              parent_instance;

  GInputStream             *source;
  goffset                   length;
  gboolean                  touched;        /* a read was passed on to the source */
  gboolean                  direct;         /* Ladle copies the body itself */

  /* The direct copy */
  GOutputStream            *connection;
  GMainContext             *context;
  GCancellable             *cancellable;    /* stops the copy's own operations */
  GSource                  *cancel_source;  /* watches the caller's cancellable */
  LadleRequestBodyProgress  progress;
  gpointer                  progress_data;
  GDestroyNotify            progress_notify;
  Chunk                     chunks[2];
  guint                     fill;           /* the chunk the next read fills */
  guint                     drain;          /* the chunk the next write empties */
  gboolean                  reading;
  gboolean                  writing;
  goffset                   n_read;
  goffset                   n_written;
  gboolean                  done;
  GError                   *error;          /* why the copy stopped, NULL when it succeeded */
  GTask                    *waiter;         /* libsoup's read, waiting for the copy */
  GSource                  *waiter_cancel_source;
};

G_DEFINE_FINAL_TYPE (LadleRequestBody, _ladle_request_body, G_TYPE_INPUT_STREAM)

static void pump (LadleRequestBody *self);

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
complete_waiter (LadleRequestBody *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->waiter);

  clear_source (&self->waiter_cancel_source);
  if (task == NULL)
    return;

  if (self->error != NULL)
    g_task_return_error (task, g_error_copy (self->error));
  else
    g_task_return_int (task, 0);
}

/* Ends the copy; @error (taken) is NULL when the whole body was written. */
static void
finish (LadleRequestBody *self,
        GError           *error)
{
  if (self->done)
    {
      g_clear_error (&error);
      return;
    }

  self->done = TRUE;
  self->error = error;
  if (error != NULL)
    g_cancellable_cancel (self->cancellable);
  clear_source (&self->cancel_source);
  complete_waiter (self);
}

static void
finish_cancelled (LadleRequestBody *self,
                  GCancellable     *cancellable)
{
  GError *error = NULL;

  if (cancellable == NULL || !g_cancellable_set_error_if_cancelled (cancellable, &error))
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  finish (self, error);
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  finish_cancelled (user_data, cancellable);
  return G_SOURCE_REMOVE;
}

static GSource *
watch_cancellable (LadleRequestBody *self,
                   GCancellable     *cancellable)
{
  GSource *source = g_cancellable_source_new (cancellable);

  g_source_set_callback (source, G_SOURCE_FUNC (cancelled_cb), self, NULL);
  g_source_attach (source, self->context);

  return source;
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LadleRequestBody) self = user_data;
  GError *error = NULL;
  gssize n;

  self->reading = FALSE;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (self->done)
    g_clear_error (&error);
  else if (n < 0)
    finish (self, error);
  else if (n == 0)
    finish (self, g_error_new (LADLE_ERROR, LADLE_ERROR_BODY_CHANGED,
                               "The request body ended after %" G_GOFFSET_FORMAT " of its %"
                               G_GOFFSET_FORMAT " bytes", self->n_read, self->length));
  else
    {
      Chunk *chunk = &self->chunks[self->fill];

      chunk->len = n;
      chunk->pos = 0;
      self->n_read += n;
      self->fill ^= 1;
      pump (self);
    }
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LadleRequestBody) self = user_data;
  GError *error = NULL;
  gssize n;

  self->writing = FALSE;
  n = g_output_stream_write_finish (G_OUTPUT_STREAM (object), result, &error);

  if (self->done)
    g_clear_error (&error);
  else if (n < 0)
    finish (self, error);
  else
    {
      Chunk *chunk = &self->chunks[self->drain];

      chunk->pos += n;
      self->n_written += n;
      if (chunk->pos == chunk->len)
        {
          chunk->pos = chunk->len = 0;
          self->drain ^= 1;
        }
      if (self->progress != NULL && n > 0)
        self->progress (n, self->progress_data);
      pump (self);
    }
}

/* Starts what can start: the write of the oldest block read, the read of the next one. */
static void
pump (LadleRequestBody *self)
{
  Chunk *drain = &self->chunks[self->drain];
  Chunk *fill = &self->chunks[self->fill];

  if (self->done)
    return;

  if (!self->writing && drain->pos < drain->len)
    {
      self->writing = TRUE;
      g_output_stream_write_async (self->connection, drain->data + drain->pos,
                                   drain->len - drain->pos, G_PRIORITY_DEFAULT,
                                   self->cancellable, write_cb, g_object_ref (self));
    }

  if (!self->reading && self->n_read < self->length && fill->len == 0)
    {
      if (fill->data == NULL)
        fill->data = g_malloc (CHUNK_SIZE);
      self->reading = TRUE;
      g_input_stream_read_async (self->source, fill->data,
                                 MIN (CHUNK_SIZE, self->length - self->n_read),
                                 G_PRIORITY_DEFAULT, self->cancellable,
                                 read_cb, g_object_ref (self));
    }

  if (!self->reading && !self->writing && self->n_written == self->length)
    finish (self, NULL);
}

void
_ladle_request_body_send_directly (LadleRequestBody         *self,
                                   GOutputStream            *connection,
                                   GCancellable             *cancellable,
                                   LadleRequestBodyProgress  progress,
                                   gpointer                  user_data,
                                   GDestroyNotify            notify)
{
  g_return_if_fail (LADLE_IS_REQUEST_BODY (self));
  g_return_if_fail (G_IS_OUTPUT_STREAM (connection));
  g_return_if_fail (_ladle_request_body_is_untouched (self));

  self->direct = TRUE;
  self->connection = g_object_ref (connection);
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->progress = progress;
  self->progress_data = user_data;
  self->progress_notify = notify;

  if (cancellable != NULL)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          finish_cancelled (self, cancellable);
          return;
        }
      self->cancel_source = watch_cancellable (self, cancellable);
    }

  pump (self);
}

gboolean
_ladle_request_body_is_untouched (LadleRequestBody *self)
{
  g_return_val_if_fail (LADLE_IS_REQUEST_BODY (self), FALSE);

  return !self->direct && !self->touched && !g_input_stream_is_closed (G_INPUT_STREAM (self));
}

goffset
_ladle_request_body_get_length (LadleRequestBody *self)
{
  g_return_val_if_fail (LADLE_IS_REQUEST_BODY (self), -1);

  return self->length;
}

/* GInputStream */

static gssize
ladle_request_body_read (GInputStream  *stream,
                         void          *buffer,
                         gsize          count,
                         GCancellable  *cancellable,
                         GError       **error)
{
  LadleRequestBody *self = LADLE_REQUEST_BODY (stream);

  if (!self->direct)
    {
      self->touched = TRUE;
      return g_input_stream_read (self->source, buffer, count, cancellable, error);
    }

  if (!self->done)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                           "The request body is being written to the connection");
      return -1;
    }
  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return -1;
    }
  return 0;
}

static void
forward_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (n < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, n);
}

static void
ladle_request_body_read_async (GInputStream        *stream,
                               void                *buffer,
                               gsize                count,
                               int                  io_priority,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  LadleRequestBody *self = LADLE_REQUEST_BODY (stream);
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ladle_request_body_read_async);
  g_task_set_priority (task, io_priority);

  if (!self->direct)
    {
      self->touched = TRUE;
      g_input_stream_read_async (self->source, buffer, count, io_priority, cancellable,
                                 forward_read_cb, g_steal_pointer (&task));
      return;
    }

  /* GInputStream allows one read at a time: there is no other waiter. */
  g_assert (self->waiter == NULL);
  self->waiter = g_steal_pointer (&task);
  if (self->done)
    {
      complete_waiter (self);
      return;
    }
  if (cancellable != NULL)
    self->waiter_cancel_source = watch_cancellable (self, cancellable);
}

static gssize
ladle_request_body_read_finish (GInputStream  *stream,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_request_body_read_async, -1);

  return g_task_propagate_int (G_TASK (result), error);
}

static void
stop_for_close (LadleRequestBody *self)
{
  if (self->direct && !self->done)
    finish (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                       "The request body was closed before it was sent"));
}

static gboolean
ladle_request_body_close (GInputStream  *stream,
                          GCancellable  *cancellable,
                          GError       **error)
{
  LadleRequestBody *self = LADLE_REQUEST_BODY (stream);

  stop_for_close (self);

  return g_input_stream_close (self->source, cancellable, error);
}

static void
forward_close_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_input_stream_close_finish (G_INPUT_STREAM (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
ladle_request_body_close_async (GInputStream        *stream,
                                int                  io_priority,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  LadleRequestBody *self = LADLE_REQUEST_BODY (stream);
  GTask *task;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ladle_request_body_close_async);
  g_task_set_priority (task, io_priority);

  stop_for_close (self);

  g_input_stream_close_async (self->source, io_priority, cancellable, forward_close_cb, task);
}

static gboolean
ladle_request_body_close_finish (GInputStream  *stream,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_request_body_close_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
ladle_request_body_finalize (GObject *object)
{
  LadleRequestBody *self = (LadleRequestBody *)object;

  /* Pending reads and writes hold a reference: none is left. */
  g_assert (self->waiter == NULL);
  clear_source (&self->cancel_source);
  clear_source (&self->waiter_cancel_source);
  if (self->progress_notify != NULL)
    self->progress_notify (self->progress_data);
  g_clear_pointer (&self->chunks[0].data, g_free);
  g_clear_pointer (&self->chunks[1].data, g_free);
  g_clear_error (&self->error);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->connection);
  g_clear_object (&self->source);

  G_OBJECT_CLASS (_ladle_request_body_parent_class)->finalize (object);
}

static void
_ladle_request_body_class_init (LadleRequestBodyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = ladle_request_body_finalize;

  stream_class->read_fn = ladle_request_body_read;
  stream_class->read_async = ladle_request_body_read_async;
  stream_class->read_finish = ladle_request_body_read_finish;
  stream_class->close_fn = ladle_request_body_close;
  stream_class->close_async = ladle_request_body_close_async;
  stream_class->close_finish = ladle_request_body_close_finish;
}

static void
_ladle_request_body_init (LadleRequestBody *self)
{
}

/* Takes no ownership of @source beyond a reference; @length is the Content-Length. */
LadleRequestBody *
_ladle_request_body_new (GInputStream *source,
                         goffset       length)
{
  LadleRequestBody *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (source), NULL);
  g_return_val_if_fail (length >= 0, NULL);

  self = g_object_new (LADLE_TYPE_REQUEST_BODY, NULL);
  self->source = g_object_ref (source);
  self->length = length;

  return self;
}
