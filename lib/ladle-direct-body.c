/* ladle-direct-body.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleDirectBody: Ladle writes a large request body to an HTTP/1 connection itself (private).
 *
 * A workaround for libsoup 3.2: it copies a request body to the connection with
 * g_output_stream_splice_async(), 8 KiB at a time with two main-loop round trips per step,
 * which caps an upload at a few hundred MB/s and keeps the main loop busy for the whole upload.
 *
 * The upload task passes each body through _ladle_direct_body_wrap(), which returns a gate
 * stream: reads pass through to the source, until the message's request headers are written.
 * Then, when the body qualifies (known length of 64 KiB or more, HTTP/1.0 or 1.1, no
 * Expect: 100-continue, on a connection whose stream libsoup showed us for this message, a TLS
 * stream exactly when the URI is https), Ladle copies the source to the connection itself, in
 * 1 MiB blocks, reading the next block while the previous one is written. libsoup's read of
 * the gate meanwhile waits, and then reports the end of the body (or the error that stopped
 * the copy). libsoup thus writes the headers, Ladle the body, libsoup reads the response: the
 * connection carries exactly the bytes it would otherwise carry.
 *
 * It runs only with the libsoup versions it was tested with (3.2.x: checked at compile time
 * and at run time), and LADLE_DEBUG=no-direct-body turns it off. Everything runs on the
 * thread-default main context of the thread that sends the message.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-util-private.h"

#include "ladle-debug-private.h"
#include "ladle-direct-body-private.h"
#include "ladle-error.h"

/* Blocks of the copy: large writes are what makes it fast. */
#define CHUNK_SIZE (1024 * 1024)
/* Smaller bodies are left to libsoup. */
#define MIN_LENGTH (64 * 1024)

/* The gate: the stream libsoup reads the body from */

#define LADLE_TYPE_DIRECT_GATE (ladle_direct_gate_get_type ())
G_DECLARE_FINAL_TYPE (LadleDirectGate, ladle_direct_gate, LADLE, DIRECT_GATE, GInputStream)

typedef struct
{
  guint8 *data;
  gsize   len;   /* bytes read into data */
  gsize   pos;   /* bytes of them written */
} Chunk;

struct _LadleDirectGate
{
  GInputStream             parent_instance;

  GInputStream            *source;
  goffset                  length;
  gboolean                 touched;        /* a read reached the source */
  gboolean                 closed;
  gboolean                 close_source;   /* close the source once no read of it is pending */
  gboolean                 forwarding;     /* a read_async of the source on libsoup's behalf */
  GTask                   *pending_read;   /* libsoup's read, waiting for the copy to end */
  GSource                 *pending_cancel_source;

  /* The copy */
  gboolean                 direct;
  GOutputStream           *connection;
  GMainContext            *context;
  GCancellable            *cancellable;    /* stops the copy's own operations */
  GSource                 *cancel_source;  /* watches the task's cancellable */
  LadleDirectBodyProgress  progress;
  gpointer                 progress_data;
  GWeakRef                 owner;          /* the LadleDirectBody's progress target lives with it */
  Chunk                    chunks[2];
  guint                    fill;           /* the chunk the next read fills */
  guint                    drain;          /* the chunk the next write empties */
  gboolean                 reading;
  gboolean                 writing;
  goffset                  n_read;
  goffset                  n_written;
  gboolean                 done;
  GError                  *error;          /* why the copy stopped, NULL when it succeeded */
};

G_DEFINE_FINAL_TYPE (LadleDirectGate, ladle_direct_gate, G_TYPE_INPUT_STREAM)

static void pump (LadleDirectGate *self);

static void
return_pending_read (LadleDirectGate *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->pending_read);

  if (task == NULL)
    return;

  _ladle_clear_source (&self->pending_cancel_source);
  if (self->error != NULL)
    g_task_return_error (task, g_error_copy (self->error));
  else
    g_task_return_int (task, 0);
}

/* The source cannot be closed while a read of it is pending: the close waits for it. */
static void
close_source_if_idle (LadleDirectGate *self)
{
  if (!self->close_source || self->reading || self->forwarding)
    return;

  self->close_source = FALSE;
  g_input_stream_close_async (self->source, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

/* Ends the copy; @error (taken) is NULL when the whole body was written. */
static void
finish (LadleDirectGate *self,
        GError          *error)
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
  _ladle_clear_source (&self->cancel_source);
  return_pending_read (self);
}

static void
finish_cancelled (LadleDirectGate *self,
                  GCancellable    *cancellable)
{
  GError *error = NULL;

  if (cancellable == NULL || !g_cancellable_set_error_if_cancelled (cancellable, &error))
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled"));
  finish (self, error);
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  finish_cancelled (user_data, cancellable);
  return G_SOURCE_REMOVE;
}

static void
copy_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(LadleDirectGate) self = user_data;
  GError *error = NULL;
  gssize n;

  self->reading = FALSE;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  close_source_if_idle (self);

  if (self->done)
    g_clear_error (&error);
  else if (n < 0)
    finish (self, error);
  else if (n == 0)
    finish (self, g_error_new (LADLE_ERROR, LADLE_ERROR_BODY_CHANGED,
                               _("The request body ended after %lld of its %lld bytes"),
                               (long long) self->n_read, (long long) self->length));
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
copy_write_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LadleDirectGate) self = user_data;
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
      if (n > 0)
        {
          g_autoptr(GObject) owner = g_weak_ref_get (&self->owner);

          if (owner != NULL && self->progress != NULL)
            self->progress (n, self->progress_data);
        }
      pump (self);
    }
}

/* Starts what can start: the write of the oldest block read, the read of the next one. */
static void
pump (LadleDirectGate *self)
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
                                   self->cancellable, copy_write_cb, g_object_ref (self));
    }

  if (!self->reading && self->n_read < self->length && fill->len == 0)
    {
      if (fill->data == NULL)
        fill->data = g_malloc (CHUNK_SIZE);
      self->reading = TRUE;
      g_input_stream_read_async (self->source, fill->data,
                                 MIN (CHUNK_SIZE, self->length - self->n_read),
                                 G_PRIORITY_DEFAULT, self->cancellable,
                                 copy_read_cb, g_object_ref (self));
    }

  if (!self->reading && !self->writing && self->n_written == self->length)
    finish (self, NULL);
}

static void
start_copy (LadleDirectGate *self,
            GOutputStream   *connection,
            GCancellable    *cancellable)
{
  self->direct = TRUE;
  self->connection = g_object_ref (connection);
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();

  if (cancellable != NULL)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          finish_cancelled (self, cancellable);
          return;
        }
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (cancelled_cb), self, NULL);
      g_source_attach (self->cancel_source, self->context);
    }

  pump (self);
}

static gssize
ladle_direct_gate_read (GInputStream  *stream,
                        void          *buffer,
                        gsize          count,
                        GCancellable  *cancellable,
                        GError       **error)
{
  LadleDirectGate *self = LADLE_DIRECT_GATE (stream);

  if (self->direct)
    {
      /* Only libsoup's HTTP/2 writer reads synchronously, and a body is never copied there. */
      if (!self->done)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The request body is being written directly"));
          return -1;
        }
      if (self->error != NULL)
        {
          g_propagate_error (error, g_error_copy (self->error));
          return -1;
        }
      return 0;
    }

  self->touched = TRUE;
  return g_input_stream_read (self->source, buffer, count, cancellable, error);
}

static void
forward_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LadleDirectGate *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize n;

  self->forwarding = FALSE;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  close_source_if_idle (self);
  if (n < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, n);
}

static gboolean
pending_read_cancelled_cb (GCancellable *cancellable,
                           gpointer      user_data)
{
  /* Stops the copy, which answers the read. */
  finish_cancelled (user_data, cancellable);
  return G_SOURCE_REMOVE;
}

static void
ladle_direct_gate_read_async (GInputStream        *stream,
                              void                *buffer,
                              gsize                count,
                              int                  io_priority,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  LadleDirectGate *self = LADLE_DIRECT_GATE (stream);
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ladle_direct_gate_read_async);
  g_task_set_priority (task, io_priority);

  if (!self->direct)
    {
      self->touched = TRUE;
      self->forwarding = TRUE;
      g_input_stream_read_async (self->source, buffer, count, io_priority, cancellable,
                                 forward_read_cb, g_steal_pointer (&task));
      return;
    }

  /* GInputStream allows one read at a time: there is no other pending read. */
  self->pending_read = g_steal_pointer (&task);
  if (self->done)
    {
      return_pending_read (self);
      return;
    }
  if (cancellable != NULL)
    {
      self->pending_cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->pending_cancel_source, G_SOURCE_FUNC (pending_read_cancelled_cb),
                             self, NULL);
      g_source_attach (self->pending_cancel_source, self->context);
    }
}

static gssize
ladle_direct_gate_read_finish (GInputStream  *stream,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_direct_gate_read_async, -1);

  return g_task_propagate_int (G_TASK (result), error);
}

static gboolean
ladle_direct_gate_close (GInputStream  *stream,
                         GCancellable  *cancellable,
                         GError       **error)
{
  LadleDirectGate *self = LADLE_DIRECT_GATE (stream);

  self->closed = TRUE;
  if (self->direct && !self->done)
    finish (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                       _("The request body was closed before it was sent")));
  if (self->reading || self->forwarding)
    {
      self->close_source = TRUE;
      return TRUE;
    }

  return g_input_stream_close (self->source, cancellable, error);
}

static void
ladle_direct_gate_finalize (GObject *object)
{
  LadleDirectGate *self = (LadleDirectGate *)object;

  /* Pending reads and writes hold a reference: none is left. */
  g_assert (!self->reading && !self->writing && !self->forwarding);
  g_assert (self->pending_read == NULL);
  _ladle_clear_source (&self->cancel_source);
  _ladle_clear_source (&self->pending_cancel_source);
  g_weak_ref_clear (&self->owner);
  g_clear_pointer (&self->chunks[0].data, g_free);
  g_clear_pointer (&self->chunks[1].data, g_free);
  g_clear_error (&self->error);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->connection);
  g_clear_object (&self->source);

  G_OBJECT_CLASS (ladle_direct_gate_parent_class)->finalize (object);
}

static void
ladle_direct_gate_class_init (LadleDirectGateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = ladle_direct_gate_finalize;

  stream_class->read_fn = ladle_direct_gate_read;
  stream_class->read_async = ladle_direct_gate_read_async;
  stream_class->read_finish = ladle_direct_gate_read_finish;
  stream_class->close_fn = ladle_direct_gate_close;
}

static void
ladle_direct_gate_init (LadleDirectGate *self)
{
  g_weak_ref_init (&self->owner, NULL);
}

/* The decision, per upload task */

struct _LadleDirectBody
{
  GObject                  parent_instance;

  GCancellable            *cancellable;
  LadleDirectBodyProgress  progress;
  gpointer                 progress_data;
  GDestroyNotify           progress_notify;

  LadleDirectGate         *gate;           /* the body of the current send */
  SoupMessage             *message;        /* the message it was set on; not a reference */
  GIOStream               *connection;     /* the newest connection libsoup made for the task */
  guint64                  connection_id;  /* its identifier, unique in the session */
};

G_DEFINE_FINAL_TYPE (LadleDirectBody, _ladle_direct_body, G_TYPE_OBJECT)

/* Tested with libsoup 3.2.3: later versions write bodies differently (and fixed the 8 KiB
 * loop in 3.4), so the workaround stays off there. */
gboolean
_ladle_direct_body_is_enabled (void)
{
#if SOUP_CHECK_VERSION (3, 2, 0) && !SOUP_CHECK_VERSION (3, 3, 0)
  if (soup_get_major_version () != 3 || soup_get_minor_version () != 2)
    return FALSE;

  return !(_ladle_debug_flags () & LADLE_DEBUG_NO_DIRECT_BODY);
#else
  return FALSE;
#endif
}

/* libsoup emits COMPLETE once a connection it makes for the message is ready, with the stream
 * its HTTP/1 writer writes to. Identifiers tell later which connection a message is written to. */
static void
on_message_network_event (SoupMessage        *message,
                          GSocketClientEvent  event,
                          GIOStream          *connection,
                          LadleDirectBody    *self)
{
  if (event != G_SOCKET_CLIENT_COMPLETE || connection == NULL)
    return;

  g_set_object (&self->connection, connection);
  self->connection_id = soup_message_get_connection_id (message);
}

/* The request headers are on the connection, and libsoup is about to copy the body. */
static void
on_message_wrote_headers (SoupMessage     *message,
                          LadleDirectBody *self)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  LadleDirectGate *gate = self->gate;
  SoupHTTPVersion version = soup_message_get_http_version (message);

  if (gate == NULL || self->message != message || gate->length < MIN_LENGTH ||
      gate->touched || gate->closed || gate->direct)
    return;
  /* A pooled connection made for another task: its stream is unknown. */
  if (self->connection == NULL || self->connection_id == 0 ||
      soup_message_get_connection_id (message) != self->connection_id)
    return;
  /* An https request is written to a TLS stream, an http one never (a proxy tunnel's stream is
   * replaced by its TLS stream on the same connection). */
  if (G_IS_TLS_CONNECTION (self->connection) !=
      (g_ascii_strcasecmp (g_uri_get_scheme (soup_message_get_uri (message)), "https") == 0))
    return;
  /* Only the versions whose framing is "the body follows the headers": libsoup sets the
   * message's version from the connection's negotiated protocol. */
  if (version != SOUP_HTTP_1_0 && version != SOUP_HTTP_1_1)
    return;
  /* The body must wait for the server's 100 Continue: libsoup does that. */
  if (soup_message_headers_get_expectations (headers) & SOUP_EXPECTATION_CONTINUE)
    return;
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH ||
      soup_message_headers_get_content_length (headers) != gate->length)
    return;

  g_weak_ref_set (&gate->owner, self);
  gate->progress = self->progress;
  gate->progress_data = self->progress_data;
  start_copy (gate, g_io_stream_get_output_stream (self->connection), self->cancellable);
}

static void
watch_message (LadleDirectBody *self,
               SoupMessage     *message)
{
  GQuark watched_quark = g_quark_from_static_string ("ladle-direct-body-watched");

  if (g_object_get_qdata (G_OBJECT (message), watched_quark) == self)
    return;
  g_object_set_qdata (G_OBJECT (message), watched_quark, self);

  g_signal_connect_object (message, "network-event", G_CALLBACK (on_message_network_event), self, 0);
  g_signal_connect_object (message, "wrote-headers", G_CALLBACK (on_message_wrote_headers), self, 0);
}

static void
ladle_direct_body_finalize (GObject *object)
{
  LadleDirectBody *self = (LadleDirectBody *)object;

  g_clear_object (&self->gate);
  g_clear_object (&self->connection);
  g_clear_object (&self->cancellable);
  if (self->progress_notify != NULL)
    self->progress_notify (self->progress_data);

  G_OBJECT_CLASS (_ladle_direct_body_parent_class)->finalize (object);
}

static void
_ladle_direct_body_class_init (LadleDirectBodyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ladle_direct_body_finalize;
}

static void
_ladle_direct_body_init (LadleDirectBody *self)
{
}

/* Handlers on the messages and progress reports of a copy in flight end with the object. */
LadleDirectBody *
_ladle_direct_body_new (GCancellable            *cancellable,
                        LadleDirectBodyProgress  progress,
                        gpointer                 user_data,
                        GDestroyNotify           notify)
{
  LadleDirectBody *self = g_object_new (LADLE_TYPE_DIRECT_BODY, NULL);

  self->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  self->progress = progress;
  self->progress_data = user_data;
  self->progress_notify = notify;

  return self;
}

GInputStream *
_ladle_direct_body_wrap (LadleDirectBody *self,
                         SoupMessage     *message,
                         GInputStream    *source,
                         goffset          length)
{
  LadleDirectGate *gate;

  g_clear_object (&self->gate);
  self->message = message;
  if (length < MIN_LENGTH || !_ladle_direct_body_is_enabled ())
    return g_object_ref (source);

  watch_message (self, message);
  gate = g_object_new (LADLE_TYPE_DIRECT_GATE, NULL);
  gate->source = g_object_ref (source);
  gate->length = length;
  self->gate = g_object_ref (gate);

  return G_INPUT_STREAM (gate);
}
