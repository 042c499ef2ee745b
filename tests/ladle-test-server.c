/* ladle-test-server.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The servers every C test talks to: an in-process SoupServer with the handlers listed in
 * ladle-test-server.h, and a raw GSocketService for responses that must be wrong byte for byte.
 * Both live on 127.0.0.1 only and are driven by the test's own main context: the tests never
 * block, so client and server share one thread.
 */

#include "ladle-test-server.h"

#include <stdlib.h>
#include <string.h>

/* Content */

static guint64
content_block (guint64 index)
{
  /* splitmix64 of the 8-byte block index */
  guint64 x = index + G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);

  x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return x ^ (x >> 31);
}

guint8
ladle_test_content_byte (guint64 offset)
{
  return (content_block (offset / 8) >> ((offset % 8) * 8)) & 0xff;
}

void
ladle_test_content_fill (guint8  *buffer,
                         guint64  offset,
                         gsize    length)
{
  gsize i = 0;

  while (i < length)
    {
      guint64 block = content_block ((offset + i) / 8);
      guint shift = (offset + i) % 8;

      for (; shift < 8 && i < length; shift++, i++)
        buffer[i] = (block >> (shift * 8)) & 0xff;
    }
}

void
ladle_test_byte_array_append_content (GByteArray *array,
                                      guint64     offset,
                                      gsize       length)
{
  guint old_len = array->len;

  g_byte_array_set_size (array, old_len + length);
  ladle_test_content_fill (array->data + old_len, offset, length);
}

GBytes *
ladle_test_content_new (guint64 offset,
                        gsize   length)
{
  guint8 *data = g_malloc (length ? length : 1);

  ladle_test_content_fill (data, offset, length);
  return g_bytes_new_take (data, length);
}

char *
ladle_test_checksum_data (const guint8 *data,
                          gsize         length)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, length);
}

char *
ladle_test_checksum_bytes (GBytes *bytes)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, length);
}

char *
ladle_test_content_checksum (gsize length)
{
  g_autoptr(GBytes) bytes = ladle_test_content_new (0, length);

  return ladle_test_checksum_bytes (bytes);
}

/* Main-loop helpers */

guint
ladle_test_failsafe_seconds (guint seconds)
{
  const char *multiplier = g_getenv ("LADLE_TEST_TIMEOUT_MULTIPLIER");
  guint64 factor = 1;

  if (multiplier != NULL)
    factor = MAX (1, g_ascii_strtoull (multiplier, NULL, 10));

  return seconds * factor;
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

void
ladle_test_wait_for_flag (gboolean   *flag,
                          guint       seconds,
                          const char *what)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) source = NULL;
  gboolean timed_out = FALSE;

  source = g_timeout_source_new_seconds (ladle_test_failsafe_seconds (seconds));
  g_source_set_callback (source, set_flag_cb, &timed_out, NULL);
  g_source_attach (source, context);

  while (!*flag && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (source);

  if (!*flag)
    g_error ("failsafe: %s did not happen within %u s", what, ladle_test_failsafe_seconds (seconds));
}

void
ladle_test_spin (guint milliseconds)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) source = NULL;
  gboolean done = FALSE;

  source = g_timeout_source_new (milliseconds);
  g_source_set_callback (source, set_flag_cb, &done, NULL);
  g_source_attach (source, context);

  while (!done)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (source);
}

/* SoupServer */

struct _LadleTestServer
{
  SoupServer *server;
  GUri       *base;
  guint       n_requests;
  guint       n_finished;
  GPtrArray  *drips;      /* Drip*, active /slow responses */
};

typedef struct
{
  LadleTestServer   *owner;
  SoupServerMessage *msg;
  gulong             finished_id;
  guint              source_id;
  guint              chunks_left;
  gsize              size;
  guint64            offset;
} Drip;

static guint
query_uint (GHashTable *query,
            const char *name,
            guint       fallback)
{
  const char *value = query ? g_hash_table_lookup (query, name) : NULL;

  if (value == NULL || *value == '\0')
    return fallback;

  return (guint) g_ascii_strtoull (value, NULL, 10);
}

static guint64
path_number (const char *path,
             const char *prefix)
{
  return g_ascii_strtoull (path + strlen (prefix), NULL, 10);
}

static void
drip_free (Drip *drip)
{
  g_clear_handle_id (&drip->source_id, g_source_remove);
  g_clear_signal_handler (&drip->finished_id, drip->msg);
  g_clear_object (&drip->msg);
  g_free (drip);
}

static void
drip_finished_cb (SoupServerMessage *msg,
                  Drip              *drip)
{
  /* drip_free runs through the array's free function */
  g_ptr_array_remove (drip->owner->drips, drip);
}

static gboolean
drip_tick_cb (gpointer data)
{
  Drip *drip = data;
  SoupMessageBody *body = soup_server_message_get_response_body (drip->msg);
  g_autoptr(GBytes) chunk = ladle_test_content_new (drip->offset, drip->size);

  soup_message_body_append_bytes (body, chunk);
  drip->offset += drip->size;
  drip->chunks_left--;

  if (drip->chunks_left == 0)
    {
      soup_message_body_complete (body);
      drip->source_id = 0;
      soup_server_message_unpause (drip->msg);
      return G_SOURCE_REMOVE;
    }

  soup_server_message_unpause (drip->msg);
  return G_SOURCE_CONTINUE;
}

static void
handle_bytes (SoupServerMessage *msg,
              const char        *path)
{
  guint64 length = path_number (path, "/bytes/");
  g_autoptr(GBytes) content = ladle_test_content_new (0, length);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Type", "application/octet-stream");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "X-Ladle-Test", "bytes");
  if (length > 0)
    soup_message_body_append_bytes (soup_server_message_get_response_body (msg), content);
}

static GBytes *
gzip_bytes (GBytes *input)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) stream = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (stream, g_bytes_get_data (input, NULL), g_bytes_get_size (input),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (stream, NULL, &error);
  g_assert_no_error (error);

  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

static void
handle_gzip (SoupServerMessage *msg,
             const char        *path)
{
  guint64 length = path_number (path, "/gzip/");
  g_autoptr(GBytes) content = ladle_test_content_new (0, length);
  g_autoptr(GBytes) compressed = gzip_bytes (content);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (headers, "Content-Type", "application/octet-stream");
  soup_message_headers_replace (headers, "Content-Encoding", "gzip");
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), compressed);
}

static void
handle_chunked (SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query)
{
  guint64 length = path_number (path, "/chunked/");
  gsize chunk = MAX (1, query_uint (query, "chunk", 4096));
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                     SOUP_ENCODING_CHUNKED);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Type", "application/octet-stream");

  for (guint64 offset = 0; offset < length; offset += chunk)
    {
      g_autoptr(GBytes) bytes = ladle_test_content_new (offset, MIN (chunk, length - offset));
      soup_message_body_append_bytes (body, bytes);
    }
  soup_message_body_complete (body);
}

static void
handle_status (SoupServerMessage *msg,
               const char        *path)
{
  guint code = (guint) path_number (path, "/status/");
  g_autofree char *text = g_strdup_printf ("status %u", code);

  soup_server_message_set_status (msg, code, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
handle_headers (SoupServerMessage *msg)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  GString *text = g_string_new (NULL);

  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_string_append_printf (text, "%s: %s\n", name, value);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text->str, text->len);
  g_string_free (text, TRUE);
}

static void
handle_slow (LadleTestServer   *self,
             SoupServerMessage *msg,
             GHashTable        *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  Drip *drip = g_new0 (Drip, 1);

  drip->owner = self;
  drip->msg = g_object_ref (msg);
  drip->chunks_left = MAX (1, query_uint (query, "chunks", 8));
  drip->size = MAX (1, query_uint (query, "size", 4096));

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (headers, "Content-Type", "application/octet-stream");
  if (query_uint (query, "length", 0))
    soup_message_headers_set_content_length (headers, (goffset) drip->chunks_left * drip->size);
  else
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);

  drip->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (drip_finished_cb), drip);
  drip->source_id = g_timeout_add (query_uint (query, "interval", 20), drip_tick_cb, drip);
  g_ptr_array_add (self->drips, drip);

  soup_server_message_pause (msg);
}

static void
handle_stall_body (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GBytes) first = ladle_test_content_new (0, 1000);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_length (headers, 100000);
  /* The body is never completed: the server pauses the message after the first 1000 bytes. */
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), first);
}

typedef struct
{
  gsize  to_write;
  gsize  written;
} Truncation;

static void
truncate_wrote_body_data_cb (SoupServerMessage *msg,
                             guint              chunk_size,
                             Truncation        *truncation)
{
  truncation->written += chunk_size;

  if (truncation->written >= truncation->to_write)
    {
      GSocket *socket = soup_server_message_get_socket (msg);

      /* The client sees the connection end here; the server keeps its (paused) side until it
       * is freed. */
      if (socket != NULL)
        g_socket_shutdown (socket, TRUE, TRUE, NULL);
    }
}

static void
handle_truncate (SoupServerMessage *msg,
                 GHashTable        *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  guint length = query_uint (query, "length", 100000);
  guint sent = query_uint (query, "sent", 10000);
  g_autoptr(GBytes) content = ladle_test_content_new (0, sent);
  Truncation *truncation = g_new0 (Truncation, 1);

  g_assert_cmpuint (sent, <, length);
  truncation->to_write = sent;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (headers, "Content-Type", "application/octet-stream");
  soup_message_headers_set_content_length (headers, length);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), content);
  g_signal_connect_data (msg, "wrote-body-data", G_CALLBACK (truncate_wrote_body_data_cb),
                         truncation, (GClosureNotify) (void (*) (void)) g_free, 0);
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  LadleTestServer *self = user_data;

  self->n_requests++;

  if (g_str_has_prefix (path, "/bytes/"))
    handle_bytes (msg, path);
  else if (g_str_has_prefix (path, "/gzip/"))
    handle_gzip (msg, path);
  else if (g_str_has_prefix (path, "/chunked/"))
    handle_chunked (msg, path, query);
  else if (g_str_has_prefix (path, "/status/"))
    handle_status (msg, path);
  else if (g_str_equal (path, "/headers"))
    handle_headers (msg);
  else if (g_str_equal (path, "/slow"))
    handle_slow (self, msg, query);
  else if (g_str_equal (path, "/stall"))
    soup_server_message_pause (msg);
  else if (g_str_equal (path, "/stall-body"))
    handle_stall_body (msg);
  else if (g_str_equal (path, "/truncate"))
    handle_truncate (msg, query);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     LadleTestServer   *self)
{
  self->n_finished++;
}

LadleTestServer *
ladle_test_server_new (void)
{
  LadleTestServer *self = g_new0 (LadleTestServer, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  self->server = soup_server_new ("server-header", "ladle-test-server ", NULL);
  self->drips = g_ptr_array_new_with_free_func ((GDestroyNotify) drip_free);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished_cb), self);

  soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  self->base = g_uri_ref (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_assert_cmpstr (g_uri_get_host (self->base), ==, "127.0.0.1");

  return self;
}

void
ladle_test_server_free (LadleTestServer *self)
{
  if (self == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->server, self);
  g_ptr_array_set_size (self->drips, 0);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);

  /* closing the server's connections finishes in idle callbacks */
  {
    g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

    while (g_main_context_iteration (context, FALSE))
      ;
  }
  g_clear_pointer (&self->drips, g_ptr_array_unref);
  g_clear_pointer (&self->base, g_uri_unref);
  g_free (self);
}

SoupServer *
ladle_test_server_get_soup_server (LadleTestServer *self)
{
  return self->server;
}

char *
ladle_test_server_dup_uri (LadleTestServer *self,
                           const char      *path_and_query)
{
  return g_strdup_printf ("http://127.0.0.1:%d%s", g_uri_get_port (self->base), path_and_query);
}

guint
ladle_test_server_get_n_requests (LadleTestServer *self)
{
  return self->n_requests;
}

guint
ladle_test_server_get_n_finished (LadleTestServer *self)
{
  return self->n_finished;
}

/* Raw server */

struct _LadleTestRawServer
{
  GSocketService  *service;
  GCancellable    *cancellable;
  GBytes          *response;
  LadleTestRawEnd  end;
  guint16          port;
  guint            n_connections;
  guint            n_pending;     /* async operations in flight */
  GPtrArray       *connections;   /* GSocketConnection*, open ones */
};

typedef struct
{
  LadleTestRawServer *server;
  GSocketConnection  *connection;
  GByteArray         *head;
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

static gboolean
head_is_complete (GByteArray *head)
{
  if (head->len < 4)
    return FALSE;

  for (guint i = 0; i + 3 < head->len; i++)
    if (memcmp (head->data + i, "\r\n\r\n", 4) == 0)
      return TRUE;

  return FALSE;
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

  g_byte_array_append (rc->head, rc->buffer, n_read);

  if (!head_is_complete (rc->head))
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
  LadleTestRawServer *self = g_new0 (LadleTestRawServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  self->service = g_socket_service_new ();
  self->cancellable = g_cancellable_new ();
  self->response = response ? g_bytes_ref (response) : g_bytes_new (NULL, 0);
  self->end = end;
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
