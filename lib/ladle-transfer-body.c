/* ladle-transfer-body.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The body reader of the transfer engine (private).
 *
 * The body is read into a few reusable blocks (at most MAX_BUFFERS): while the task kind
 * consumes one (a download writes it to disk on a worker thread), the next one is read from
 * the network. A kind may ask for blocks larger than a read (block_size): reads are then
 * coalesced into the block being filled. Data libsoup already holds is read at once, without a
 * main-loop round trip per read. The bytes are counted and checked against the response's
 * framing here, and settle() hands a completing task's last bytes to the kind before the
 * engine (ladle-transfer.c) completes it.
 *
 * A kind that stores the body in a file may take the rest of an eligible body straight from
 * the socket (ladle-splice-body.c): once the body stream would block (libsoup holds none of
 * the body any more), the kind splices the remaining bytes on its worker, which publishes its
 * count; a timer on the session's context counts and reports them as reads would.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-error.h"
#include "ladle-framing-private.h"
#include "ladle-transfer-body-private.h"
#include "ladle-util-private.h"

#define DEFAULT_READ_SIZE (64 * 1024)
/* Reads served at once from what libsoup already holds, before the loop yields. */
#define MAX_IMMEDIATE_READS 8
/* How often the bytes a splice moved are counted and reported. */
#define SPLICE_TICK_MS 25

static void hold_block (LadleTransfer *self,
                        Buffer        *buffer);
static void account    (LadleTransfer *self,
                        Buffer        *buffer);
static void deliver    (LadleTransfer *self,
                        Buffer        *buffer);

void
_ladle_transfer_free_idle_buffers (LadleTransfer *self)
{
  for (guint i = 0; i < self->n_buffers; i++)
    if (self->buffers[i].state == BUFFER_FREE || self->buffers[i].state == BUFFER_FILLING ||
        self->buffers[i].state == BUFFER_HELD)
      {
        self->buffers[i].state = BUFFER_FREE;
        g_clear_pointer (&self->buffers[i].public.data, g_free);
      }
}

/* A completing task with nothing in flight: bytes that arrived but were not handed over yet
 * (a download gathering a block) go to the kind first, so that they are on disk before
 * ::completed and in the resume data; then the task completes. */
void
_ladle_transfer_settle (LadleTransfer *self)
{
  Buffer *last;

  if (!self->completing || self->n_busy > 0 || self->beginning || self->dispatching ||
      self->sending || self->preparing)
    return;

  /* A cancelled task's spliced bytes it never reported: the partial file is longer than its
   * resume data says, which a resume trims (ladle-partial-file.c, check_and_trim()). */
  if (self->splice_uncounted > 0 && state (self) == LADLE_TASK_STATE_CANCELING)
    {
      self->record->bytes_on_disk = MAX (self->record->bytes_on_disk - self->splice_uncounted, 0);
      self->splice_uncounted = 0;
    }

  /* A block held at the end of a body found short, then the one being filled. Delivering it
   * settles again: from deliver() itself when the kind consumed it at once, else once the kind
   * gives it back. */
  last = self->n_buffers > 0 ? &self->buffers[self->next_delivery] : NULL;
  if (last != NULL && last->state == BUFFER_HELD && self->record->phase == LADLE_TASK_PHASE_BODY)
    {
      deliver (self, last);
      return;
    }
  if (last != NULL && last->state == BUFFER_FILLING && self->record->phase == LADLE_TASK_PHASE_BODY &&
      last == &self->buffers[self->next_read])
    {
      hold_block (self, last);
      deliver (self, last);
      return;
    }

  _ladle_transfer_finish_completion (self);
}

/* The body */

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

static void
body_end_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  LadleTask *task = LADLE_TASK (object);
  LadleTransfer *self = _ladle_task_get_transfer (task);
  GError *error = NULL;

  task_class (self)->body_end_finish (task, result, &error);
  /* ladle_task_cancel() does nothing once the body is finishing: the outcome stands. */
  _ladle_transfer_complete (self, error);
}

static void
body_delivered (LadleTransfer *self)
{
  LadleTaskClass *klass = task_class (self);

  if (state (self) == LADLE_TASK_STATE_CANCELING)
    {
      _ladle_transfer_complete (self, _ladle_transfer_cancelled_error ());
      return;
    }

  _ladle_transfer_set_phase (self, LADLE_TASK_PHASE_FINISHING);
  g_debug ("Task %" G_GUINT64_FORMAT ": body complete, %" G_GINT64_FORMAT " bytes",
           self->record->identifier, self->body_received);
  if (klass->body_end_async == NULL)
    {
      _ladle_transfer_complete (self, NULL);
      return;
    }

  klass->body_end_async (self->task, body_end_cb, NULL);
}

/* The whole body was read: check it. FALSE when the task failed. */
static gboolean
body_eof (LadleTransfer *self)
{
  /* libsoup 3.2 reports a connection closed before Content-Length bytes as a clean end of
   * stream: count and check. */
  if (self->body_length >= 0 && self->body_received < self->body_length)
    {
      _ladle_transfer_complete (self, g_error_new (LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY,
                                   _("The connection closed after %lld of %lld bytes of the response body"),
                                   (long long) self->body_received, (long long) self->body_length));
      return FALSE;
    }

  self->eof = TRUE;
  return TRUE;
}

static void
deliver (LadleTransfer *self,
         Buffer        *buffer)
{
  LadleTaskClass *klass = task_class (self);

  self->next_delivery = (self->next_delivery + 1) % self->n_buffers;
  account (self, buffer);
  buffer->state = BUFFER_CONSUMING;
  self->n_busy++;
  self->dispatching = TRUE;
  if (klass->body_chunk != NULL)
    klass->body_chunk (self->task, &buffer->public);
  else
    _ladle_transfer_buffer_consumed (self, &buffer->public, NULL);
  if (state (self) == LADLE_TASK_STATE_RUNNING && self->record->phase == LADLE_TASK_PHASE_BODY)
    _ladle_task_report_download_progress (self->task, FALSE);
  self->dispatching = FALSE;
  /* A handler or the kind failed or cancelled the task meanwhile. */
  if (self->completing)
    _ladle_transfer_settle (self);
}

/* Counts the bytes of @buffer that were not counted yet. */
static void
account (LadleTransfer *self,
         Buffer        *buffer)
{
  gsize n = buffer->public.length - buffer->counted;

  buffer->counted = buffer->public.length;
  self->body_received += n;
  self->record->bytes_received = self->receive_offset + self->body_received;
  _ladle_watchdog_note_progress (self->watchdog, n);
}

/* The zero-copy body */

static void
account_spliced (LadleTransfer *self,
                 gint64         n)
{
  if (n <= 0)
    return;
  self->body_received += n;
  self->record->bytes_received = self->receive_offset + self->body_received;
  _ladle_watchdog_note_progress (self->watchdog, n);
}

/* Takes the bytes the worker moved since the last look into the counts. */
static void
count_spliced (LadleTransfer *self)
{
  gint64 moved = _ladle_splice_count_get (self->splice_count);

  account_spliced (self, moved - self->splice_counted);
  self->splice_counted = moved;
}

static gboolean
splice_tick_cb (gpointer user_data)
{
  LadleTransfer *self = _ladle_task_get_transfer (user_data);

  /* A suspended task stops taking bytes from the network; its counts do not move. */
  if (state (self) != LADLE_TASK_STATE_RUNNING)
    {
      g_cancellable_cancel (self->splice_stop);
      return G_SOURCE_CONTINUE;
    }

  count_spliced (self);
  _ladle_task_report_download_progress (self->task, FALSE);

  return G_SOURCE_CONTINUE;
}

/* What the worker has put in the file so far goes into the counts at once: a task being
 * completed (cancelled, say) keeps every byte that reached the file before. */
void
_ladle_transfer_count_splice (LadleTransfer *self)
{
  if (self->splicing && self->splice_count != NULL)
    count_spliced (self);
}

void
_ladle_transfer_clear_splice (LadleTransfer *self)
{
  _ladle_clear_source (&self->splice_tick);
  g_clear_object (&self->splice_socket);
  g_clear_object (&self->splice_stop);
  g_clear_pointer (&self->splice_count, _ladle_splice_count_unref);
  self->splice_ready = self->spliced = self->splicing = FALSE;
  self->splice_counted = self->splice_uncounted = 0;
}

/* The rest of the body goes from the socket to the kind. FALSE when the kind declined: the
 * body is read as usual. */
static gboolean
start_splice (LadleTransfer *self)
{
  gint64 remaining = self->body_length - self->body_received;
  GSource *source;

  g_clear_object (&self->splice_stop);
  self->splice_stop = g_cancellable_new ();
  g_clear_pointer (&self->splice_count, _ladle_splice_count_unref);
  self->splice_count = _ladle_splice_count_new ();
  self->splice_counted = 0;

  if (!task_class (self)->body_splice (self->task, self->splice_socket, remaining, self->cancellable,
                                       self->splice_stop, self->splice_count))
    {
      /* Only before the first splice: the body stream does not know what a splice took. */
      g_warn_if_fail (!self->spliced);
      _ladle_transfer_clear_splice (self);
      return FALSE;
    }

  g_debug ("Task %" G_GUINT64_FORMAT ": splicing the last %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
           " body bytes from the socket to the partial file", self->record->identifier, remaining,
           self->body_length);
  self->spliced = self->splicing = TRUE;
  self->n_busy++;

  source = g_timeout_source_new (SPLICE_TICK_MS);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, splice_tick_cb, g_object_ref (self->task), g_object_unref);
  g_source_set_static_name (source, "[ladle] spliced body");
  g_source_attach (source, g_main_context_get_thread_default ());
  self->splice_tick = source;

  return TRUE;
}

void
_ladle_transfer_body_spliced (LadleTransfer *self,
                              GError        *error)
{
  g_autoptr(GError) splice_error = error;
  gint64 moved = _ladle_splice_count_get (self->splice_count);

  g_return_if_fail (self->splicing);

  self->splicing = FALSE;
  self->n_busy--;
  _ladle_clear_source (&self->splice_tick);

  /* Every byte moved is in the file. A running task counts them all, and so does one that
   * completes by itself (the body's end, a failure, a retry). A cancelled task counted what
   * was in the file when cancel() was called (complete() in ladle-transfer.c) and nothing
   * after, as on the read path: settle() takes the later bytes out of the bytes on disk, so
   * that its resume data holds what it counted. A suspended task counts them when it goes on. */
  if (state (self) == LADLE_TASK_STATE_RUNNING ||
      (self->completing && state (self) != LADLE_TASK_STATE_CANCELING))
    {
      count_spliced (self);
      /* As after a read: a body cut short reports what arrived before it fails. */
      if (state (self) == LADLE_TASK_STATE_RUNNING && !self->completing)
        _ladle_task_report_download_progress (self->task, FALSE);
    }
  else
    {
      self->splice_uncounted += moved - self->splice_counted;
      self->splice_counted = moved;
    }

  _ladle_metrics_collector_note_body_received (self->metrics, moved,
                                               self->body_received + self->splice_uncounted >= self->body_length);

  if (self->completing)
    {
      _ladle_transfer_settle (self);
      return;
    }
  if (_ladle_transfer_check_interrupted (self))
    return;

  /* Stopped because the task was suspended: resume() goes on from pump_body(). */
  if (g_error_matches (splice_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_cancellable_is_cancelled (self->cancellable))
    {
      if (state (self) == LADLE_TASK_STATE_RUNNING && !self->dispatching)
        _ladle_transfer_pump_body (self);
      return;
    }
  if (splice_error != NULL)
    {
      _ladle_transfer_complete (self, g_steal_pointer (&splice_error));
      return;
    }

  if (self->body_received + self->splice_uncounted < self->body_length)
    {
      if (self->splice_uncounted > 0)
        return;   /* suspended: counted, and checked, when it goes on */
      /* The same failure as libsoup's reader reports for a keep-alive body cut short (the
       * only kind spliced). */
      _ladle_transfer_complete (self, g_error_new (LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY,
                                   _("The connection closed after %lld bytes of the response body: %s"),
                                   (long long) self->body_received,
                                   g_dgettext ("libsoup-3.0", "Connection terminated unexpectedly")));
      return;
    }

  if (state (self) == LADLE_TASK_STATE_RUNNING && !self->dispatching)
    _ladle_transfer_pump_body (self);
}

static void
hold_block (LadleTransfer *self,
            Buffer        *buffer)
{
  buffer->state = BUFFER_HELD;
  self->next_read = (self->next_read + 1) % self->n_buffers;
}

/* A read into @buffer ended with @n bytes (0 at the end, -1 with @error, taken). Returns
 * whether the body loop goes on. */
static gboolean
read_done (LadleTransfer *self,
           Buffer        *buffer,
           gssize         n,
           GError        *error)
{
  g_autoptr(GError) read_error = error;

  /* What the buffer held before this read stays: a failure delivers it (complete()). */
  buffer->state = buffer->public.length > 0 ? BUFFER_FILLING : BUFFER_FREE;
  self->n_busy--;

  if (self->completing)
    {
      _ladle_transfer_settle (self);
      return FALSE;
    }
  if (_ladle_transfer_check_interrupted (self))
    return FALSE;

  if (n < 0)
    {
      if (g_error_matches (read_error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
        /* libsoup noticed the connection closing inside a chunk or before Content-Length. */
        _ladle_transfer_complete (self, g_error_new (LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY,
                                     _("The connection closed after %lld bytes of the response body: %s"),
                                     (long long) self->body_received, read_error->message));
      else
        _ladle_transfer_complete (self, g_steal_pointer (&read_error));
      return FALSE;
    }
  if (n == 0)
    {
      if (buffer->public.length > 0)
        {
          account (self, buffer);
          hold_block (self, buffer);
        }
      return body_eof (self);
    }

  buffer->public.length += n;
  /* More bytes than the framing announced (a chunked 206 past its range): none of this block
   * is delivered. */
  if (self->body_length >= 0 &&
      self->body_received + (gint64)(buffer->public.length - buffer->counted) > self->body_length)
    {
      buffer->public.length = buffer->counted = 0;
      buffer->state = BUFFER_FREE;
      _ladle_transfer_complete (self, g_error_new (LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE,
                                   _("The response body is longer than the %lld bytes its framing announced"),
                                   (long long) self->body_length));
      return FALSE;
    }
  /* A suspended task's counts do not move: its bytes are counted when it goes on. */
  if (state (self) == LADLE_TASK_STATE_RUNNING)
    account (self, buffer);
  /* A kind that gathers reads into larger blocks (a download: fewer, larger disk writes) gets
   * a block once it is full; progress is reported as the bytes arrive. */
  if (self->block_size == self->read_size || buffer->public.length == self->block_size)
    hold_block (self, buffer);
  else
    {
      buffer->state = BUFFER_FILLING;
      if (state (self) == LADLE_TASK_STATE_RUNNING)
        _ladle_task_report_download_progress (self->task, FALSE);
    }

  return TRUE;
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LadleTask) task = user_data;
  LadleTransfer *self = _ladle_task_get_transfer (task);
  Buffer *buffer = g_steal_pointer (&self->reading);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (!read_done (self, buffer, n, error))
    return;
  /* As in pump_body(): a short read leaves nothing in libsoup's buffer. */
  if (self->splice_socket != NULL && n > 0 && (gsize) n < self->read_request &&
      self->body_received < self->body_length)
    self->splice_ready = TRUE;
  _ladle_transfer_pump_body (self);
}

/* Moves the body along: delivers the block read last, reads the next one when a buffer is
 * free, and ends the body once every block was consumed. Data already buffered by libsoup is
 * read at once (a pollable read), without a main-loop round trip per read; after a few such
 * reads in a row the loop yields to the main loop. */
void
_ladle_transfer_pump_body (LadleTransfer *self)
{
  Buffer *buffer;

  for (guint n_immediate = 0;; )
    {
      GError *error = NULL;
      guint8 *into;
      gsize size;
      gssize n;

      if (self->record->phase != LADLE_TASK_PHASE_BODY || self->completing || self->beginning)
        return;
      /* A handler may suspend or cancel; cancel() then scheduled the completion and resume()
       * goes on from here. */
      if (state (self) != LADLE_TASK_STATE_RUNNING || self->dispatching)
        return;
      if (self->splice_uncounted > 0)
        {
          account_spliced (self, self->splice_uncounted);
          self->splice_uncounted = 0;
          _ladle_task_report_download_progress (self->task, FALSE);
        }

      buffer = &self->buffers[self->next_delivery];
      if (buffer->state == BUFFER_HELD)
        {
          deliver (self, buffer);
          continue;
        }

      if (self->eof)
        {
          if (self->n_busy == 0)
            {
              _ladle_task_report_download_progress (self->task, TRUE);
              body_delivered (self);
            }
          return;
        }

      /* libsoup holds none of the body any more: the block being filled goes to the kind, then
       * the rest is spliced (queued after that block's write). */
      if (self->splice_socket != NULL && (self->splice_ready || self->spliced))
        {
          buffer = &self->buffers[self->next_read];
          if (self->splicing || self->reading != NULL)
            return;
          if (buffer->state == BUFFER_FILLING)
            {
              hold_block (self, buffer);
              continue;
            }
          if (self->body_received >= self->body_length)
            {
              self->eof = TRUE;
              continue;
            }
          if (start_splice (self))
            return;
        }

      buffer = &self->buffers[self->next_read];
      if ((buffer->state != BUFFER_FREE && buffer->state != BUFFER_FILLING) || self->reading != NULL)
        return;

      if (buffer->public.data == NULL)
        {
          /* A small body of known length gets a buffer of its size, plus one byte that lets a
           * longer body show. */
          if (self->body_length >= 0 && (guint64)self->body_length < self->read_size)
            self->read_size = self->block_size = self->body_length + 1;
          buffer->public.data = g_malloc (self->block_size);
        }
      buffer->state = BUFFER_READING;
      self->n_busy++;
      into = buffer->public.data + buffer->public.length;
      size = MIN (self->read_size, self->block_size - buffer->public.length);

      if (self->pollable && n_immediate < MAX_IMMEDIATE_READS)
        {
          n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->body_stream),
                                                        into, size, self->cancellable, &error);
          if (n >= 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              n_immediate++;
              if (!read_done (self, buffer, n, error))
                return;
              /* A short read empties libsoup's buffer (its filter stream serves what it holds,
               * then reads the socket): the rest of the body is still in the socket. */
              if (self->splice_socket != NULL && n > 0 && (gsize) n < size &&
                  self->body_received < self->body_length)
                self->splice_ready = TRUE;
              continue;
            }
          g_clear_error (&error);
          if (self->splice_socket != NULL)
            {
              buffer->state = buffer->public.length > 0 ? BUFFER_FILLING : BUFFER_FREE;
              self->n_busy--;
              self->splice_ready = TRUE;
              continue;
            }
        }

      self->reading = buffer;
      self->read_request = size;
      g_input_stream_read_async (self->body_stream, into, size,
                                 G_PRIORITY_DEFAULT, self->cancellable, read_cb, g_object_ref (self->task));
      return;
    }
}

void
_ladle_transfer_buffer_consumed (LadleTransfer   *self,
                                 LadleBodyBuffer *public,
                                 GError          *error)
{
  Buffer *buffer = (Buffer *)public;

  g_return_if_fail (buffer->state == BUFFER_CONSUMING);

  buffer->state = BUFFER_FREE;
  buffer->public.length = 0;
  buffer->counted = 0;
  self->n_busy--;

  if (self->completing)
    {
      g_clear_error (&error);
      /* From inside deliver(), the caller goes on. */
      _ladle_transfer_settle (self);
      return;
    }
  if (self->record->phase == LADLE_TASK_PHASE_DONE)
    {
      g_clear_pointer (&buffer->public.data, g_free);
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    {
      _ladle_transfer_complete (self, error);
      return;
    }
  if (self->abort_error != NULL || state (self) == LADLE_TASK_STATE_CANCELING)
    {
      _ladle_transfer_check_interrupted (self);
      return;
    }

  /* Consumed from inside deliver(): the caller goes on. */
  if (!self->dispatching)
    _ladle_transfer_pump_body (self);
}

static void
body_begin_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  LadleTask *task = LADLE_TASK (object);
  LadleTransfer *self = _ladle_task_get_transfer (task);
  GError *error = NULL;
  gboolean ready;

  ready = task_class (self)->body_begin_finish (task, result, &error);
  self->beginning = FALSE;

  if (self->completing)
    {
      g_clear_error (&error);
      _ladle_transfer_settle (self);
      return;
    }
  if (_ladle_transfer_check_interrupted (self))
    {
      g_clear_error (&error);
      return;
    }
  if (!ready)
    {
      _ladle_transfer_complete (self, error);
      return;
    }

  _ladle_task_notify_expected_to_receive (self->task);
  _ladle_transfer_pump_body (self);
}

void
_ladle_transfer_begin_body (LadleTransfer *self)
{
  LadleTaskClass *klass = task_class (self);
  SoupMessage *message = self->current_request;
  g_autoptr(GError) error = NULL;

  _ladle_transfer_set_phase (self, LADLE_TASK_PHASE_BODY);

  /* A response whose length or range breaks the protocol is never delivered. */
  if (!_ladle_framing_check_response (message, self->record->expected_total,
                                      &self->framed_length, &error))
    {
      _ladle_transfer_complete (self, g_steal_pointer (&error));
      return;
    }

  self->body_received = 0;
  self->body_length = body_is_decoded (message) ? -1 : self->framed_length;
  if (soup_message_get_method (message) == SOUP_METHOD_HEAD ||
      soup_message_get_status (message) == SOUP_STATUS_NO_CONTENT ||
      soup_message_get_status (message) == SOUP_STATUS_NOT_MODIFIED)
    self->body_length = 0;
  /* The end of the stream is always read: libsoup keeps a connection only for a message
   * whose body was read to its end. */
  self->eof = FALSE;

  self->pollable = G_IS_POLLABLE_INPUT_STREAM (self->body_stream) &&
                   g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->body_stream));
  _ladle_transfer_clear_splice (self);
  if (self->pollable && klass->body_splice != NULL)
    self->splice_socket = _ladle_splice_body_dup_socket (message, self->body_length);
  self->receive_offset = 0;
  self->record->bytes_received = 0;
  self->record->bytes_expected_to_receive = self->body_length;
  _ladle_task_reset_download_progress (self->task, -1);

  if (self->n_buffers == 0)
    {
      self->read_size = klass->read_size ? klass->read_size : DEFAULT_READ_SIZE;
      self->block_size = MAX (klass->block_size, self->read_size);
      self->n_buffers = CLAMP (klass->n_buffers, 1, MAX_BUFFERS);
    }

  if (klass->body_begin_async != NULL)
    {
      self->beginning = TRUE;
      klass->body_begin_async (self->task, message, body_begin_cb, NULL);
      return;
    }
  if (klass->body_begin != NULL && !klass->body_begin (self->task, message, &error))
    {
      _ladle_transfer_complete (self, g_steal_pointer (&error));
      return;
    }

  _ladle_task_notify_expected_to_receive (self->task);
  _ladle_transfer_pump_body (self);
}
