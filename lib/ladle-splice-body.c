/* ladle-splice-body.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The zero-copy download body: the rest of a plain HTTP/1 response body goes from the socket
 * to the partial file with splice(2), socket → pipe → file (private).
 *
 * A workaround for libsoup 3.2, which has no way to hand a body to a file but its own reads:
 * every byte is copied from the kernel into a user-space block, then (on the partial file's
 * worker, the other core) from the block into the page cache. Splicing moves the socket's
 * pages into the file without a user-space copy, on the worker that owns the file.
 *
 * The body reader (ladle-transfer-body.c) asks _ladle_splice_body_dup_socket() once the body
 * begins. It answers only for an http (not https) response over HTTP/1.0 or 1.1 whose framing
 * is a Content-Length (not chunked, no Content-Encoding) on a keep-alive connection that
 * libsoup made for this very message (its COMPLETE network event, matched by connection id),
 * so that libsoup's framing and Ladle's end at the same byte. The reader then reads what
 * libsoup already buffered through the body stream, non-blocking, until the stream would block:
 * nothing of the body is left in user space, and the rest is spliced, never more than
 * Content-Length bytes, so a pipelined next response stays in the socket. libsoup never sees
 * the end of that body: closing the body stream makes it skip the rest and drop the
 * connection (it keeps only connections whose body it read to the end), so the next request
 * goes on a fresh one.
 *
 * It runs only with the libsoup versions it was tested with (3.2.x, checked at compile time
 * and at run time), only on Linux, and LADLE_DEBUG=no-splice-body turns it off.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "config.h"

#include "ladle-i18n-private.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <poll.h>
#endif

#include "ladle-debug-private.h"
#include "ladle-splice-body-private.h"

/* The pipe between the socket and the file: large moves, few system calls. */
#define PIPE_SIZE (1024 * 1024)

/* The count */

struct _LadleSpliceCount
{
  GMutex lock;
  gint64 moved;
};

LadleSpliceCount *
_ladle_splice_count_new (void)
{
  LadleSpliceCount *count = g_atomic_rc_box_new0 (LadleSpliceCount);

  g_mutex_init (&count->lock);
  return count;
}

LadleSpliceCount *
_ladle_splice_count_ref (LadleSpliceCount *count)
{
  return g_atomic_rc_box_acquire (count);
}

static void
count_clear (gpointer data)
{
  LadleSpliceCount *count = data;

  g_mutex_clear (&count->lock);
}

void
_ladle_splice_count_unref (LadleSpliceCount *count)
{
  g_atomic_rc_box_release_full (count, count_clear);
}

gint64
_ladle_splice_count_get (LadleSpliceCount *count)
{
  gint64 moved;

  g_mutex_lock (&count->lock);
  moved = count->moved;
  g_mutex_unlock (&count->lock);

  return moved;
}

static void
count_set (LadleSpliceCount *count,
           gint64            moved)
{
  g_mutex_lock (&count->lock);
  count->moved = moved;
  g_mutex_unlock (&count->lock);
}

/* Which connection libsoup made for a message */

typedef struct
{
  GSocket *socket;
  guint64  connection_id;
} Watch;

static void
watch_free (gpointer data)
{
  Watch *watch = data;

  g_clear_object (&watch->socket);
  g_free (watch);
}

static GQuark
watch_quark (void)
{
  static GQuark quark;

  if (quark == 0)
    quark = g_quark_from_static_string ("ladle-splice-body-watch");
  return quark;
}

gboolean
_ladle_splice_body_is_enabled (void)
{
#if defined(__linux__) && SOUP_CHECK_VERSION (3, 2, 0) && !SOUP_CHECK_VERSION (3, 3, 0)
  if (soup_get_major_version () != 3 || soup_get_minor_version () != 2)
    return FALSE;

  return !(_ladle_debug_flags () & LADLE_DEBUG_NO_SPLICE_BODY);
#else
  return FALSE;
#endif
}

/* libsoup emits COMPLETE once a connection it makes for the message is ready, with the stream
 * its HTTP/1 reader reads (a GTlsConnection for https: never spliced). */
static void
on_network_event (SoupMessage        *message,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  Watch              *watch)
{
  if (event != G_SOCKET_CLIENT_COMPLETE)
    return;

  g_clear_object (&watch->socket);
  watch->connection_id = 0;
  if (!G_IS_SOCKET_CONNECTION (connection))
    return;

  watch->socket = g_object_ref (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)));
  watch->connection_id = soup_message_get_connection_id (message);
}

void
_ladle_splice_body_watch (SoupMessage *message)
{
  Watch *watch;

  if (!_ladle_splice_body_is_enabled () || g_object_get_qdata (G_OBJECT (message), watch_quark ()) != NULL)
    return;

  watch = g_new0 (Watch, 1);
  g_object_set_qdata_full (G_OBJECT (message), watch_quark (), watch, watch_free);
  g_signal_connect (message, "network-event", G_CALLBACK (on_network_event), watch);
}

GSocket *
_ladle_splice_body_dup_socket (SoupMessage *message,
                               gint64       body_length)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  Watch *watch = g_object_get_qdata (G_OBJECT (message), watch_quark ());
  SoupHTTPVersion version = soup_message_get_http_version (message);
  const char *encoding;

  if (!_ladle_splice_body_is_enabled () || watch == NULL || watch->socket == NULL || body_length <= 0)
    return NULL;
  /* An allow-list: plain HTTP/1.0 and 1.1 only. */
  if ((version != SOUP_HTTP_1_0 && version != SOUP_HTTP_1_1) ||
      g_strcmp0 (g_uri_get_scheme (soup_message_get_uri (message)), "http") != 0)
    return NULL;
  /* The framing libsoup reads by: Content-Length on a connection it keeps, the bytes as they
   * are stored. */
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH ||
      soup_message_headers_get_content_length (headers) != body_length ||
      !soup_message_is_keepalive (message))
    return NULL;
  encoding = soup_message_headers_get_one (headers, "Content-Encoding");
  if (encoding != NULL && g_ascii_strcasecmp (encoding, "identity") != 0)
    return NULL;
  /* The connection the response came on is the one libsoup made for this message. */
  if (watch->connection_id == 0 || watch->connection_id != soup_message_get_connection_id (message) ||
      g_socket_is_closed (watch->socket))
    return NULL;

  return g_object_ref (watch->socket);
}

#ifdef __linux__

static void
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *format)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), format, g_strerror (saved_errno));
}

/* Waits until the socket is readable or a cancellable is cancelled: FALSE with the error of
 * the cancellation, or the socket's own timeout error (libsoup's SoupSession:timeout is the
 * GSocket's, which a read would have honoured). */
static gboolean
wait_readable (int            socket_fd,
               guint          timeout,
               GCancellable  *cancellable,
               GCancellable  *stop,
               GError       **error)
{
  struct pollfd fds[3] = { { .fd = socket_fd, .events = POLLIN } };
  nfds_t n_fds = 1;
  int cancellable_fd = -1;
  int stop_fd = -1;
  int result;

  if (cancellable != NULL && (cancellable_fd = g_cancellable_get_fd (cancellable)) >= 0)
    fds[n_fds++] = (struct pollfd) { .fd = cancellable_fd, .events = POLLIN };
  if (stop != NULL && (stop_fd = g_cancellable_get_fd (stop)) >= 0)
    fds[n_fds++] = (struct pollfd) { .fd = stop_fd, .events = POLLIN };

  do
    result = poll (fds, n_fds, timeout > 0 ? (int) MIN (timeout, G_MAXINT / 1000) * 1000 : -1);
  while (result < 0 && errno == EINTR);

  if (cancellable_fd >= 0)
    g_cancellable_release_fd (cancellable);
  if (stop_fd >= 0)
    g_cancellable_release_fd (stop);

  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      g_cancellable_set_error_if_cancelled (stop, error))
    return FALSE;
  if (result < 0)
    {
      set_errno_error (error, errno, _("Error waiting for the connection: %s"));
      return FALSE;
    }
  if (result == 0)
    {
      /* GLib's own words for a read that timed out. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, g_dgettext (_("glib20"), _("Socket I/O timed out")));
      return FALSE;
    }

  return TRUE;
}

#endif

gint64
_ladle_splice_body_move (int                socket_fd,
                         guint              timeout,
                         int                file_fd,
                         goffset            offset,
                         gint64             length,
                         GCancellable      *cancellable,
                         GCancellable      *stop,
                         LadleSpliceCount  *count,
                         gboolean          *file_failed,
                         GError           **error)
{
#ifdef __linux__
  int pipe_fds[2];
  loff_t file_offset = offset;
  gint64 moved = 0;
  gsize pipe_size;
  gboolean ok = TRUE;
  int size;

  *file_failed = FALSE;

  if (pipe2 (pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0)
    {
      set_errno_error (error, errno, _("Cannot create a pipe: %s"));
      return -1;
    }
  size = fcntl (pipe_fds[1], F_SETPIPE_SZ, PIPE_SIZE);
  if (size < 0)
    size = fcntl (pipe_fds[1], F_GETPIPE_SZ);
  pipe_size = size > 0 ? (gsize) size : 64 * 1024;

  while (moved < length)
    {
      gsize in_pipe;
      gssize n;

      if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
          g_cancellable_set_error_if_cancelled (stop, error))
        {
          ok = FALSE;
          break;
        }

      /* Never more than the body's own bytes leave the socket. */
      n = splice (socket_fd, NULL, pipe_fds[1], NULL, MIN ((guint64) (length - moved), pipe_size),
                  SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n == 0)
        break;   /* the peer closed the connection: the caller checks the length */
      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          if (saved_errno == EAGAIN)
            {
              if (!wait_readable (socket_fd, timeout, cancellable, stop, error))
                {
                  ok = FALSE;
                  break;
                }
              continue;
            }
          set_errno_error (error, saved_errno, _("Error receiving data: %s"));
          ok = FALSE;
          break;
        }

      /* What entered the pipe goes to the file before anything else happens: a stop leaves
       * the file holding every byte taken from the socket. */
      for (in_pipe = n; in_pipe > 0; )
        {
          n = splice (pipe_fds[0], NULL, file_fd, &file_offset, in_pipe, SPLICE_F_MOVE);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              set_errno_error (error, n < 0 ? errno : EIO, _("Error writing to the partial file: %s"));
              *file_failed = TRUE;
              ok = FALSE;
              break;
            }
          in_pipe -= n;
          moved += n;
          /* Published as soon as it is in the file: a cancel counts it (ladle-transfer.c). */
          count_set (count, moved);
        }
      if (!ok)
        break;
    }

  close (pipe_fds[0]);
  close (pipe_fds[1]);

  return ok ? moved : -1;
#else
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("splice() is not available"));
  *file_failed = FALSE;
  return -1;
#endif
}
