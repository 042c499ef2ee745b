/* upload-server.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The in-process server of the upload tests: see upload-server.h. It shares the test's main
 * context, so client and server run in one thread and the tests never block.
 */

#include "upload-server.h"

#include <string.h>

static void
upload_request_free (gpointer data)
{
  UploadRequest *request = data;

  g_free (request->method);
  g_free (request->path);
  g_clear_pointer (&request->headers, soup_message_headers_unref);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request->sha256);
  g_free (request);
}

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  soup_message_headers_append (user_data, name, value);
}

static UploadRequest *
record_request (UploadServer      *self,
                SoupServerMessage *msg,
                const char        *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  UploadRequest *request = g_new0 (UploadRequest, 1);
  gsize length = 0;
  const guint8 *data;

  request->method = g_strdup (soup_server_message_get_method (msg));
  request->path = g_strdup (path);
  request->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_foreach (headers, copy_header, request->headers);
  request->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  request->encoding = soup_message_headers_get_encoding (headers);
  request->content_length = request->encoding == SOUP_ENCODING_CONTENT_LENGTH
                            ? soup_message_headers_get_content_length (headers)
                            : -1;
  data = g_bytes_get_data (request->body, &length);
  request->sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, length);
  g_ptr_array_add (self->requests, request);

  return request;
}

static void
upload_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  UploadServer *self = user_data;
  UploadRequest *request = record_request (self, msg, path);
  g_autofree char *text = g_strdup_printf ("%" G_GSIZE_FORMAT " %s\n",
                                           g_bytes_get_size (request->body), request->sha256);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
redirect_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  UploadServer *self = user_data;
  const char *to = query ? g_hash_table_lookup (query, "to") : NULL;
  guint64 code = 0;

  record_request (self, msg, path);

  if (to == NULL ||
      !g_ascii_string_to_unsigned (path + strlen ("/redirect/"), 10, 300, 399, &code, NULL))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }

  soup_server_message_set_redirect (msg, (guint) code, to);
}

static gboolean
auth_callback (SoupAuthDomain    *domain,
               SoupServerMessage *msg,
               const char        *username,
               const char        *password,
               gpointer           user_data)
{
  return g_strcmp0 (username, UPLOAD_SERVER_USER) == 0 &&
         g_strcmp0 (password, UPLOAD_SERVER_PASSWORD) == 0;
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  UploadServer *self = user_data;

  self->n_started++;
}

static void
on_request_finished (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  UploadServer *self = user_data;

  self->n_finished++;
  if (soup_server_message_get_status (msg) == SOUP_STATUS_UNAUTHORIZED)
    self->n_unauthorized++;
}

static void
on_request_aborted (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  UploadServer *self = user_data;

  self->n_finished++;
}

UploadServer *
upload_server_new (void)
{
  UploadServer *self = g_new0 (UploadServer, 1);
  g_autoptr(SoupAuthDomain) domain = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  self->requests = g_ptr_array_new_with_free_func (upload_request_free);
  self->server = soup_server_new (NULL, NULL);

  domain = soup_auth_domain_basic_new ("realm", "ladle-uploads", NULL);
  soup_auth_domain_basic_set_auth_callback (domain, auth_callback, NULL, NULL);
  soup_auth_domain_add_path (domain, "/auth");
  soup_server_add_auth_domain (self->server, domain);

  soup_server_add_handler (self->server, "/upload", upload_handler, self, NULL);
  soup_server_add_handler (self->server, "/auth/upload", upload_handler, self, NULL);
  soup_server_add_handler (self->server, "/redirect", redirect_handler, self, NULL);

  g_signal_connect (self->server, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (on_request_finished), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (on_request_aborted), self);

  soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  g_assert_cmpstr (g_uri_get_host (uris->data), ==, "127.0.0.1");
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return self;
}

void
upload_server_free (UploadServer *self)
{
  soup_server_disconnect (self->server);
  /* Let the closed connections go before the server does. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&self->server);
  g_clear_pointer (&self->requests, g_ptr_array_unref);
  g_free (self);
}

char *
upload_server_dup_uri (UploadServer *self,
                       const char   *path_and_query)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", self->port, path_and_query);
}

UploadRequest *
upload_server_get_request (UploadServer *self,
                           guint         index)
{
  g_assert_cmpuint (index, <, self->requests->len);

  return g_ptr_array_index (self->requests, index);
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;

  return G_SOURCE_REMOVE;
}

void
upload_wait_for_flag (gboolean   *flag,
                      guint       seconds,
                      const char *what)
{
  const char *multiplier = g_getenv ("LADLE_TEST_TIMEOUT_MULTIPLIER");
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) source = NULL;
  gboolean timed_out = FALSE;

  if (multiplier != NULL)
    seconds *= MAX (1, (guint) g_ascii_strtoull (multiplier, NULL, 10));

  source = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (source, set_flag_cb, &timed_out, NULL);
  g_source_attach (source, context);

  while (!*flag && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (source);

  if (!*flag)
    g_error ("failsafe: %s did not happen within %u s", what, seconds);
}

static gboolean
check_idle_cb (gpointer data)
{
  UploadServer *self = ((gpointer *) data)[0];
  gboolean *done = ((gpointer *) data)[1];

  *done = self->n_finished >= self->n_started;

  return *done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

void
upload_server_wait_idle (UploadServer *self)
{
  gboolean done = FALSE;
  gpointer data[2] = { self, &done };

  /* The server finishes a request once the response is written, which may be after the
   * client read it: poll the counters from the main loop. */
  g_timeout_add (5, check_idle_cb, data);
  upload_wait_for_flag (&done, 20, "the server finishing its requests");
}

GBytes *
upload_content_new (guint32 seed,
                    gsize   length)
{
  guint8 *data = g_malloc (length ? length : 1);
  guint64 x = seed * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) + 1;

  /* xorshift64*: fast, and no short period that would hide a lost or repeated chunk */
  for (gsize i = 0; i < length; i++)
    {
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      data[i] = (guint8) ((x * G_GUINT64_CONSTANT (0x2545F4914F6CDD1D)) >> 56);
    }

  return g_bytes_new_take (data, length);
}

/* RawServer */

struct _RawServer
{
  GSocketService *service;
  RawServerMode   mode;
  guint           port;
  GMutex          lock;
  GCond           cond;
  gboolean        stopping;
  guint           n_active;     /* connection threads running */
  guint           n_requests;   /* request heads read */
};

#define RAW_SERVER_REJECT_AFTER (128 * 1024)

static gboolean
read_head (GInputStream *in)
{
  char window[4] = { 0 };

  /* Byte by byte: nothing past the head is consumed. */
  for (gsize n = 0; n < 64 * 1024; n++)
    {
      char c;

      if (g_input_stream_read (in, &c, 1, NULL, NULL) != 1)
        return FALSE;
      memmove (window, window + 1, 3);
      window[3] = c;
      if (memcmp (window, "\r\n\r\n", 4) == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
raw_server_run (GThreadedSocketService *service,
                GSocketConnection      *connection,
                GObject                *source_object,
                gpointer                user_data)
{
  RawServer *self = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  g_mutex_lock (&self->lock);
  if (self->stopping)
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  self->n_active++;
  g_mutex_unlock (&self->lock);

  if (read_head (in))
    {
      g_mutex_lock (&self->lock);
      self->n_requests++;
      g_mutex_unlock (&self->lock);

      if (self->mode == RAW_SERVER_STALL)
        {
          /* At most a minute, so that the test program always ends. */
          gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;

          g_mutex_lock (&self->lock);
          while (!self->stopping && g_cond_wait_until (&self->cond, &self->lock, deadline))
            ;
          g_mutex_unlock (&self->lock);
        }
      else
        {
          static const char response[] = "HTTP/1.1 413 Request Entity Too Large\r\n"
                                         "Content-Length: 0\r\nConnection: close\r\n\r\n";
          g_autofree char *buffer = g_malloc (RAW_SERVER_REJECT_AFTER);

          g_input_stream_read_all (in, buffer, RAW_SERVER_REJECT_AFTER, NULL, NULL, NULL);
          g_output_stream_write_all (out, response, strlen (response), NULL, NULL, NULL);
        }
    }

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  g_mutex_lock (&self->lock);
  self->n_active--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  return TRUE;
}

RawServer *
raw_server_new (RawServerMode mode)
{
  RawServer *self = g_new0 (RawServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  self->mode = mode;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->service = g_threaded_socket_service_new (4);
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                 &effective, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (self->service, "run", G_CALLBACK (raw_server_run), self);
  g_socket_service_start (self->service);

  return self;
}

void
raw_server_free (RawServer *self)
{
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  while (self->n_active > 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  g_signal_handlers_disconnect_by_data (self->service, self);
  g_clear_object (&self->service);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

char *
raw_server_dup_uri (RawServer  *self,
                    const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", self->port, path);
}

guint
raw_server_get_n_requests (RawServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_requests;
  g_mutex_unlock (&self->lock);

  return n;
}
