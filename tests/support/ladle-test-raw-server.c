/* ladle-test-raw-server.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleTestRawServer: a GSocketService on 127.0.0.1 for responses that must be wrong byte for
 * byte, for servers that never answer, and for servers that answer before the request body is
 * read. Driven by the test's own main context, like the SoupServer.
 */

#include "ladle-test.h"

#include <string.h>

#define REJECT_AFTER (128 * 1024)


struct _LadleTestRawServer
{
  GSocketService  *service;
  GCancellable    *cancellable;
  GBytes          *response;
  LadleTestRawEnd  end;
  guint16          port;
  gsize            body_bytes;    /* of the request body to read before answering */
  guint            n_connections;
  guint            n_requests;    /* request heads read in full */
  guint            n_pending;     /* async operations in flight */
  GPtrArray       *connections;   /* GSocketConnection*, open ones */
};

typedef struct
{
  LadleTestRawServer *server;
  GSocketConnection  *connection;
  GByteArray         *head;
  gboolean            head_done;
  gsize               body_read;
  guint8              buffer[4096];
} RawConnection;

static void raw_read_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data);

static void
raw_connection_free (RawConnection *rc)
{
  g_clear_object (&rc->connection);
  g_clear_pointer (&rc->head, g_byte_array_unref);
  g_free (rc);
}

static void
raw_connection_close (RawConnection *rc)
{
  g_io_stream_close (G_IO_STREAM (rc->connection), NULL, NULL);
  g_ptr_array_remove (rc->server->connections, rc->connection);
}

static void
raw_write_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  RawConnection *rc = user_data;
  g_autoptr(GError) error = NULL;

  rc->server->n_pending--;
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);

  if (error == NULL && rc->server->end == LADLE_TEST_RAW_CLOSE)
    raw_connection_close (rc);

  raw_connection_free (rc);
}

/* The length of the head (up to and including the blank line), 0 while it is incomplete. */
static gsize
head_length (GByteArray *head)
{
  for (guint i = 0; i + 3 < head->len; i++)
    if (memcmp (head->data + i, "\r\n\r\n", 4) == 0)
      return i + 4;

  return 0;
}

static void
raw_read_more (RawConnection *rc)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (rc->connection));

  rc->server->n_pending++;
  g_input_stream_read_async (input, rc->buffer, sizeof rc->buffer, G_PRIORITY_DEFAULT,
                             rc->server->cancellable, raw_read_cb, rc);
}

static void
raw_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RawConnection *rc = user_data;
  g_autoptr(GError) error = NULL;
  gssize n_read;

  rc->server->n_pending--;
  n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n_read <= 0)
    {
      /* the client went away, or the server is being freed */
      if (error == NULL || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        raw_connection_close (rc);
      raw_connection_free (rc);
      return;
    }

  if (rc->head_done)
    rc->body_read += n_read;
  else
    {
      gsize length;

      g_byte_array_append (rc->head, rc->buffer, n_read);
      length = head_length (rc->head);
      if (length == 0)
        {
          raw_read_more (rc);
          return;
        }
      rc->head_done = TRUE;
      rc->server->n_requests++;
      rc->body_read = rc->head->len - length;
    }

  if (rc->body_read < rc->server->body_bytes)
    {
      raw_read_more (rc);
      return;
    }

  if (g_bytes_get_size (rc->server->response) == 0)
    {
      /* accept and never answer */
      if (rc->server->end == LADLE_TEST_RAW_CLOSE)
        raw_connection_close (rc);
      raw_connection_free (rc);
      return;
    }

  rc->server->n_pending++;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (rc->connection)),
                                   g_bytes_get_data (rc->server->response, NULL),
                                   g_bytes_get_size (rc->server->response),
                                   G_PRIORITY_DEFAULT, rc->server->cancellable,
                                   raw_write_cb, rc);
}

static gboolean
raw_incoming_cb (GSocketService     *service,
                 GSocketConnection  *connection,
                 GObject            *source_object,
                 LadleTestRawServer *self)
{
  RawConnection *rc = g_new0 (RawConnection, 1);

  self->n_connections++;
  rc->server = self;
  rc->connection = g_object_ref (connection);
  rc->head = g_byte_array_new ();
  g_ptr_array_add (self->connections, g_object_ref (connection));

  raw_read_more (rc);

  return TRUE;
}

LadleTestRawServer *
ladle_test_raw_server_new (GBytes          *response,
                           LadleTestRawEnd  end)
{
  return ladle_test_raw_server_new_full (response, end, 0);
}

LadleTestRawServer *
ladle_test_raw_server_new_stall (void)
{
  return ladle_test_raw_server_new_full (NULL, LADLE_TEST_RAW_STALL, 0);
}

LadleTestRawServer *
ladle_test_raw_server_new_reject (void)
{
  static const char response[] = "HTTP/1.1 413 Request Entity Too Large\r\n"
                                 "Content-Length: 0\r\nConnection: close\r\n\r\n";
  g_autoptr(GBytes) bytes = g_bytes_new_static (response, strlen (response));

  return ladle_test_raw_server_new_full (bytes, LADLE_TEST_RAW_CLOSE, REJECT_AFTER);
}

LadleTestRawServer *
ladle_test_raw_server_new_full (GBytes          *response,
                                LadleTestRawEnd  end,
                                gsize            body_bytes)
{
  LadleTestRawServer *self = g_new0 (LadleTestRawServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  self->service = g_socket_service_new ();
  self->cancellable = g_cancellable_new ();
  self->response = response ? g_bytes_ref (response) : g_bytes_new (NULL, 0);
  self->end = end;
  self->body_bytes = body_bytes;
  self->connections = g_ptr_array_new_with_free_func (g_object_unref);

  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &effective, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));

  g_signal_connect (self->service, "incoming", G_CALLBACK (raw_incoming_cb), self);
  g_socket_service_start (self->service);

  return self;
}

void
ladle_test_raw_server_free (LadleTestRawServer *self)
{
  g_autoptr(GMainContext) context = NULL;

  if (self == NULL)
    return;

  context = g_main_context_ref_thread_default ();

  g_socket_service_stop (self->service);
  g_signal_handlers_disconnect_by_data (self->service, self);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_cancellable_cancel (self->cancellable);

  /* Let the cancelled operations return before their RawConnection is freed under them. */
  while (self->n_pending > 0)
    g_main_context_iteration (context, TRUE);

  for (guint i = 0; i < self->connections->len; i++)
    g_io_stream_close (g_ptr_array_index (self->connections, i), NULL, NULL);

  g_clear_pointer (&self->connections, g_ptr_array_unref);
  g_clear_object (&self->service);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->response, g_bytes_unref);
  g_free (self);
}

char *
ladle_test_raw_server_dup_uri (LadleTestRawServer *self,
                               const char         *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", self->port, path);
}

guint
ladle_test_raw_server_get_n_connections (LadleTestRawServer *self)
{
  return self->n_connections;
}

guint
ladle_test_raw_server_get_n_requests (LadleTestRawServer *self)
{
  return self->n_requests;
}

GByteArray *
ladle_test_raw_response_begin (const char *status_line,
                               const char *extra_headers)
{
  GByteArray *response = g_byte_array_new ();
  g_autofree char *head = NULL;

  head = g_strdup_printf ("%s\r\n%s\r\n", status_line, extra_headers ? extra_headers : "");
  g_byte_array_append (response, (const guint8 *) head, strlen (head));

  return response;
}

void
ladle_test_raw_response_append_chunk (GByteArray *response,
                                      guint64     content_offset,
                                      gsize       chunk_length,
                                      gsize       bytes_of_chunk_sent,
                                      gboolean    with_trailing_crlf)
{
  g_autofree char *size_line = g_strdup_printf ("%" G_GSIZE_MODIFIER "x\r\n", chunk_length);

  g_assert_cmpuint (bytes_of_chunk_sent, <=, chunk_length);

  g_byte_array_append (response, (const guint8 *) size_line, strlen (size_line));
  ladle_test_byte_array_append_content (response, content_offset, bytes_of_chunk_sent);
  if (with_trailing_crlf && bytes_of_chunk_sent == chunk_length)
    g_byte_array_append (response, (const guint8 *) "\r\n", 2);
}
