/* ladle-request-body.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleRequestBody: the stream libsoup reads a request body from (private).
 *
 * A workaround for libsoup 3.2's HTTP/2 body writer, which mishandles a body that is not always
 * ready: a body read with read_async() is read into a buffer that libsoup frees, without
 * cancelling the read, when the response comes before the body is sent (a 401, say), and the
 * late read then writes into freed memory; a pollable body that answers WOULD_BLOCK while
 * libsoup handles its source fails an assertion. So this stream is pollable and its
 * read_nonblocking() never answers WOULD_BLOCK: when its 64 KiB read-ahead block is empty it
 * reads the source synchronously (Ladle's own sources are memory and local files). Over HTTP/1
 * libsoup reads it with read_async(), which stays asynchronous.
 *
 * _ladle_request_body_wrap() is the one entry point. It wraps only with the libsoup versions
 * the workaround was tested with (3.2.x, checked at compile time and at run time), and
 * LADLE_DEBUG=no-h2-body-workaround turns it off.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-util-private.h"

#include <string.h>

#include "ladle-debug-private.h"
#include "ladle-request-body-private.h"

/* The read-ahead block of ordinary reads (libsoup reads 8 KiB at a time, 16 KiB over HTTP/2). */
#define AHEAD_SIZE (64 * 1024)

struct _LadleRequestBody
{
  GInputStream  parent_instance;

  GInputStream *source;
  gboolean      closed;
  gboolean      close_source;   /* close the source once no read of it is pending */
  GCancellable *ready;          /* cancelled to wake the pollers */
  GTask        *pending_read;   /* a read_async() waiting for data */
  guint8       *pending_buffer;
  gsize         pending_count;
  GSource      *pending_cancel_source;

  GCancellable *fill_cancellable;
  guint8       *ahead;          /* AHEAD_SIZE bytes */
  gsize         ahead_pos;
  gsize         ahead_len;
  gboolean      filling;
  gboolean      source_eof;
  GError       *source_error;
};

static void ladle_request_body_pollable_iface_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LadleRequestBody, _ladle_request_body, G_TYPE_INPUT_STREAM,
                                G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                       ladle_request_body_pollable_iface_init))

static void wake_pollers (LadleRequestBody *self);
static void complete_pending_read (LadleRequestBody *self);
static void close_source_if_idle (LadleRequestBody *self);

/* The read-ahead block */

#define NOT_READY (-2)

/* What a read gets now: bytes, 0 at the end, -1 with @error, or NOT_READY. */
static gssize
serve (LadleRequestBody  *self,
       guint8            *buffer,
       gsize              count,
       GError           **error)
{
  gsize n;

  if (self->ahead_pos < self->ahead_len)
    {
      n = MIN (count, self->ahead_len - self->ahead_pos);
      memcpy (buffer, self->ahead + self->ahead_pos, n);
      self->ahead_pos += n;
      if (self->ahead_pos == self->ahead_len)
        self->ahead_pos = self->ahead_len = 0;
      return n;
    }
  if (self->source_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->source_error));
      return -1;
    }
  if (self->source_eof)
    return 0;

  return NOT_READY;
}

static void
wake_pollers (LadleRequestBody *self)
{
  g_autoptr(GCancellable) ready = g_steal_pointer (&self->ready);

  if (ready != NULL)
    g_cancellable_cancel (ready);
}

static void
return_pending_read (LadleRequestBody *self,
                     gssize            n,
                     GError           *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->pending_read);

  _ladle_clear_source (&self->pending_cancel_source);
  self->pending_buffer = NULL;
  self->pending_count = 0;
  if (n < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, n);
}

static void
complete_pending_read (LadleRequestBody *self)
{
  GError *error = NULL;
  gssize n;

  if (self->pending_read == NULL)
    return;

  n = serve (self, self->pending_buffer, self->pending_count, &error);
  if (n != NOT_READY)
    return_pending_read (self, n, error);
}

/* The source cannot be closed while a read of it is pending: the close waits for it. */
static void
close_source_if_idle (LadleRequestBody *self)
{
  if (!self->close_source || self->filling)
    return;

  self->close_source = FALSE;
  g_input_stream_close_async (self->source, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

static void
store_fill (LadleRequestBody *self,
            gssize            n,
            GError           *error)
{
  if (n < 0)
    self->source_error = error;
  else if (n == 0)
    self->source_eof = TRUE;
  else
    {
      self->ahead_pos = 0;
      self->ahead_len = n;
    }
}

static void
fill_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LadleRequestBody) self = user_data;
  GError *error = NULL;
  gssize n;

  self->filling = FALSE;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (self->closed)
    {
      g_clear_error (&error);
      close_source_if_idle (self);
      return;
    }

  store_fill (self, n, error);
  complete_pending_read (self);
  wake_pollers (self);
}

static void
fill (LadleRequestBody *self)
{
  if (self->filling || self->closed)
    return;

  if (self->ahead == NULL)
    self->ahead = g_malloc (AHEAD_SIZE);
  self->filling = TRUE;
  g_input_stream_read_async (self->source, self->ahead, AHEAD_SIZE, G_PRIORITY_DEFAULT,
                             self->fill_cancellable, fill_cb, g_object_ref (self));
}

/* GPollableInputStream: libsoup 3.2's HTTP/2 writer */

static gboolean
ladle_request_body_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
is_readable (LadleRequestBody *self)
{
  return !self->filling;
}

static gboolean
ladle_request_body_is_readable (GPollableInputStream *stream)
{
  return is_readable (LADLE_REQUEST_BODY (stream));
}

static GSource *
ladle_request_body_create_source (GPollableInputStream *stream,
                                  GCancellable         *cancellable)
{
  LadleRequestBody *self = LADLE_REQUEST_BODY (stream);
  g_autoptr(GSource) ready = NULL;
  GSource *source;

  if (is_readable (self))
    {
      source = g_pollable_source_new_full (self, NULL, cancellable);
      g_source_set_ready_time (source, 0);
      return source;
    }

  /* Woken when the pending fill ends. */
  if (self->ready == NULL)
    self->ready = g_cancellable_new ();
  ready = g_cancellable_source_new (self->ready);

  return g_pollable_source_new_full (self, ready, cancellable);
}

static gssize
ladle_request_body_read_nonblocking (GPollableInputStream  *stream,
                                     void                  *buffer,
                                     gsize                  count,
                                     GError               **error)
{
  LadleRequestBody *self = LADLE_REQUEST_BODY (stream);
  GError *fill_error = NULL;
  gssize n;

  n = serve (self, buffer, count, error);
  if (n != NOT_READY)
    return n;

  if (self->filling || self->closed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, _("Reading the request body"));
      return -1;
    }

  /* Never WOULD_BLOCK otherwise (see the top of this file): read the source now. */
  if (self->ahead == NULL)
    self->ahead = g_malloc (AHEAD_SIZE);
  n = g_input_stream_read (self->source, self->ahead, AHEAD_SIZE, self->fill_cancellable,
                           &fill_error);
  store_fill (self, n, fill_error);

  return serve (self, buffer, count, error);
}

static void
ladle_request_body_pollable_iface_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = ladle_request_body_can_poll;
  iface->is_readable = ladle_request_body_is_readable;
  iface->create_source = ladle_request_body_create_source;
  iface->read_nonblocking = ladle_request_body_read_nonblocking;
}

/* GInputStream */

static gssize
ladle_request_body_read (GInputStream  *stream,
                         void          *buffer,
                         gsize          count,
                         GCancellable  *cancellable,
                         GError       **error)
{
  return ladle_request_body_read_nonblocking (G_POLLABLE_INPUT_STREAM (stream), buffer, count, error);
}

static gboolean
pending_read_cancelled_cb (GCancellable *cancellable,
                           gpointer      user_data)
{
  LadleRequestBody *self = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  if (self->pending_read != NULL && error != NULL)
    return_pending_read (self, -1, error);
  else
    g_clear_error (&error);

  return G_SOURCE_REMOVE;
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
  GError *error = NULL;
  gssize n;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ladle_request_body_read_async);
  g_task_set_priority (task, io_priority);

  n = serve (self, buffer, count, &error);
  if (n >= 0)
    {
      g_task_return_int (task, n);
      return;
    }
  if (n == -1)
    {
      g_task_return_error (task, error);
      return;
    }

  /* GInputStream allows one read at a time: there is no other pending read. */
  g_assert (self->pending_read == NULL);
  self->pending_read = g_steal_pointer (&task);
  self->pending_buffer = buffer;
  self->pending_count = count;
  if (cancellable != NULL)
    {
      GMainContext *context = g_main_context_ref_thread_default ();

      self->pending_cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->pending_cancel_source, G_SOURCE_FUNC (pending_read_cancelled_cb),
                             self, NULL);
      g_source_attach (self->pending_cancel_source, context);
      g_main_context_unref (context);
    }
  fill (self);
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
close_now (LadleRequestBody *self)
{
  self->closed = TRUE;
  g_cancellable_cancel (self->fill_cancellable);
  wake_pollers (self);
}

static gboolean
ladle_request_body_close (GInputStream  *stream,
                          GCancellable  *cancellable,
                          GError       **error)
{
  LadleRequestBody *self = LADLE_REQUEST_BODY (stream);

  close_now (self);
  if (self->filling)
    {
      self->close_source = TRUE;
      return TRUE;
    }

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
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ladle_request_body_close_async);
  g_task_set_priority (task, io_priority);

  close_now (self);
  if (self->filling)
    {
      self->close_source = TRUE;
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_input_stream_close_async (self->source, io_priority, cancellable, forward_close_cb,
                              g_steal_pointer (&task));
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
  g_assert (!self->filling);
  g_assert (self->pending_read == NULL);
  _ladle_clear_source (&self->pending_cancel_source);
  g_clear_object (&self->ready);
  g_clear_object (&self->fill_cancellable);
  g_clear_pointer (&self->ahead, g_free);
  g_clear_error (&self->source_error);
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
  self->fill_cancellable = g_cancellable_new ();
}

/* Tested with libsoup 3.2.3; 3.4 reads bodies from a pollable source safely. */
static gboolean
workaround_is_needed (void)
{
#if SOUP_CHECK_VERSION (3, 2, 0) && !SOUP_CHECK_VERSION (3, 3, 0)
  if (soup_get_major_version () != 3 || soup_get_minor_version () != 2)
    return FALSE;

  return !(_ladle_debug_flags () & LADLE_DEBUG_NO_H2_BODY_WORKAROUND);
#else
  return FALSE;
#endif
}

/* The stream to give libsoup for a body read from @source (transfer full). */
GInputStream *
_ladle_request_body_wrap (GInputStream *source)
{
  LadleRequestBody *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (source), NULL);

  if (!workaround_is_needed ())
    return g_object_ref (source);

  self = g_object_new (LADLE_TYPE_REQUEST_BODY, NULL);
  self->source = g_object_ref (source);

  return G_INPUT_STREAM (self);
}
