/* ladle-test-server.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleTestServer: the in-process SoupServer every C test talks to, with the routes listed in
 * ladle-test.h, on 127.0.0.1 only. It is driven by the test's own main context: the tests never
 * block, so client and server share one thread. ladle-test-server-main.c runs the same server as
 * a child process for the Python and GJS tests.
 */

#include "ladle-test.h"

#include <string.h>

struct _LadleTestServer
{
  SoupServer *server;
  gboolean    tls;
  guint       port;
  guint       n_started;
  guint       n_finished;
  guint       n_unauthorized;
  GPtrArray  *requests;   /* LadleTestRequest, /log excluded */
  GPtrArray  *drips;      /* Drip, active /slow responses */
  GPtrArray  *held;       /* SoupServerMessage, paused /hold requests */
  GHashTable *contents;   /* "V:SIZE" -> GBytes, the /resource contents */
  GHashTable *counters;   /* URI -> number of requests, for changing=1 and drop-range */
};

/* Request log */

#define REQUEST_KEY "ladle-test-request"

static void
request_clear (LadleTestRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->query);
  g_free (request->host);
  g_free (request->range);
  g_free (request->if_range);
  g_clear_pointer (&request->headers, soup_message_headers_unref);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request->sha256);
}

static void
request_unref (LadleTestRequest *request)
{
  g_rc_box_release_full (request, (GDestroyNotify) request_clear);
}

static void
copy_header_cb (const char *name,
                const char *value,
                gpointer    user_data)
{
  soup_message_headers_append (user_data, name, value);
}

/* Recorded when the request has been read, before any handler answers it (an auth domain has
 * already refused it, or not). */
static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 LadleTestServer   *self)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  LadleTestRequest *request;

  if (g_str_equal (g_uri_get_path (uri), "/log"))
    return;

  request = g_rc_box_new0 (LadleTestRequest);
  request->method = g_strdup (soup_server_message_get_method (msg));
  request->path = g_strdup (g_uri_get_path (uri));
  request->query = g_strdup (g_uri_get_query (uri));
  request->host = g_strdup (soup_message_headers_get_one (headers, "Host"));
  request->range = g_strdup (soup_message_headers_get_one (headers, "Range"));
  request->if_range = g_strdup (soup_message_headers_get_one (headers, "If-Range"));
  request->headers = ladle_test_headers_copy (headers);
  request->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  request->encoding = soup_message_headers_get_encoding (headers);
  request->content_length = request->encoding == SOUP_ENCODING_CONTENT_LENGTH
                            ? soup_message_headers_get_content_length (headers)
                            : -1;
  request->sha256 = ladle_test_checksum_bytes (request->body);
  request->http_version = soup_server_message_get_http_version (msg);
  request->status = soup_server_message_get_status (msg);

  g_ptr_array_add (self->requests, request);
  g_object_set_data_full (G_OBJECT (msg), REQUEST_KEY, g_rc_box_acquire (request),
                          (GDestroyNotify) request_unref);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    LadleTestServer   *self)
{
  self->n_started++;
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     LadleTestServer   *self)
{
  self->n_finished++;
  if (soup_server_message_get_status (msg) == SOUP_STATUS_UNAUTHORIZED)
    self->n_unauthorized++;
}

static void
request_aborted_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    LadleTestServer   *self)
{
  self->n_finished++;
}

/* Helpers */

static const char *
query_get (GHashTable *query,
           const char *name)
{
  return query != NULL ? g_hash_table_lookup (query, name) : NULL;
}

static GBytes *
cached_content (LadleTestServer *self,
                guint            variant,
                gsize            size)
{
  g_autofree char *key = g_strdup_printf ("%u:%" G_GSIZE_FORMAT, variant, size);
  GBytes *content = g_hash_table_lookup (self->contents, key);

  if (content == NULL)
    {
      content = ladle_test_variant_content_new (variant, size);
      g_hash_table_insert (self->contents, g_steal_pointer (&key), content);
    }

  return content;
}

typedef struct
{
  gsize    to_write;
  gsize    written;
  gboolean close;
} Cut;

static void
cut_wrote_body_data_cb (SoupServerMessage *msg,
                        guint              chunk_size,
                        Cut               *cut)
{
  cut->written += chunk_size;

  if (cut->written >= cut->to_write)
    {
      GSocket *socket = soup_server_message_get_socket (msg);

      if (socket == NULL || g_socket_is_closed (socket))
        return;
      if (cut->close)
        g_socket_close (socket, NULL);
      else
        g_socket_shutdown (socket, TRUE, TRUE, NULL);
    }
}

/* Ends the connection once @bytes of the body are written: closes the socket (@close) or shuts
 * it down in both directions. The message stays paused (its body never completes). */
static void
cut_after (SoupServerMessage *msg,
           gsize              bytes,
           gboolean           close)
{
  Cut *cut = g_new0 (Cut, 1);

  cut->to_write = bytes;
  cut->close = close;
  g_signal_connect_data (msg, "wrote-body-data", G_CALLBACK (cut_wrote_body_data_cb),
                         cut, (GClosureNotify) (void (*) (void)) g_free, 0);
}

/* Download routes */

static gboolean
query_is (GHashTable *query,
          const char *name,
          const char *value)
{
  return g_strcmp0 (query_get (query, name), value) == 0;
}

static guint
query_uint (GHashTable *query,
            const char *name,
            guint       fallback)
{
  const char *value = query_get (query, name);

  if (value == NULL || *value == '\0')
    return fallback;

  return (guint) g_ascii_strtoull (value, NULL, 10);
}

static gint64
query_int (GHashTable *query,
           const char *name,
           gint64      fallback)
{
  const char *value = query_get (query, name);

  if (value == NULL || *value == '\0')
    return fallback;

  return g_ascii_strtoll (value, NULL, 10);
}

static char *
http_date (guint variant)
{
  g_autoptr(GDateTime) date = g_date_time_new_utc (2024, 1, 1, variant % 24, 0, 0);

  return soup_date_time_to_string (date, SOUP_DATE_HTTP);
}

static void
set_text (SoupServerMessage *msg,
          guint              status,
          const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
handle_resource (LadleTestServer   *self,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 guint64            size)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  const char *etag_mode = query_get (query, "etag");
  const char *ranges_mode = query_get (query, "ranges");
  const char *range = soup_message_headers_get_one (request_headers, "Range");
  const char *if_range = soup_message_headers_get_one (request_headers, "If-Range");
  g_autofree char *etag = NULL;
  g_autofree char *last_modified = NULL;
  gboolean honour_range;
  guint variant = 1;
  GBytes *content;
  gint64 stall, drop;

  if (query_is (query, "changing", "1"))
    {
      g_autofree char *key = g_uri_to_string (soup_server_message_get_uri (msg));

      variant = GPOINTER_TO_UINT (g_hash_table_lookup (self->counters, key)) + 1;
      g_hash_table_insert (self->counters, g_steal_pointer (&key), GUINT_TO_POINTER (variant));
    }
  content = cached_content (self, variant, size);

  if (etag_mode == NULL || g_str_equal (etag_mode, "strong"))
    etag = g_strdup_printf ("\"v%u-%" G_GUINT64_FORMAT "\"", variant, size);
  else if (g_str_equal (etag_mode, "weak"))
    etag = g_strdup_printf ("W/\"v%u-%" G_GUINT64_FORMAT "\"", variant, size);
  if (!query_is (query, "lm", "0"))
    last_modified = http_date (variant);

  soup_message_headers_replace (headers, "Content-Type", "application/octet-stream");
  if (etag != NULL)
    soup_message_headers_replace (headers, "ETag", etag);
  if (last_modified != NULL)
    soup_message_headers_replace (headers, "Last-Modified", last_modified);
  if (ranges_mode == NULL || g_str_equal (ranges_mode, "bytes"))
    soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  else if (g_str_equal (ranges_mode, "none"))
    soup_message_headers_replace (headers, "Accept-Ranges", "none");
  if (query_get (query, "cd") != NULL)
    soup_message_headers_replace (headers, "Content-Disposition", query_get (query, "cd"));

  honour_range = range != NULL && (ranges_mode == NULL || g_str_equal (ranges_mode, "bytes"));
  /* If-Range: a strong ETag compares strongly; a date compares as text (RFC 9110 13.1.5). */
  if (honour_range && if_range != NULL && !query_is (query, "lie", "1"))
    {
      gboolean matches;

      if (if_range[0] == '"' || g_str_has_prefix (if_range, "W/"))
        matches = etag != NULL && etag[0] == '"' && g_str_equal (if_range, etag);
      else
        matches = last_modified != NULL && g_str_equal (if_range, last_modified);
      honour_range = matches;
    }

  if (honour_range)
    {
      SoupRange *ranges = NULL;
      int n_ranges = 0;
      gint64 range_status = query_int (query, "range-status", 0);
      gint64 start, end;
      g_autoptr(GBytes) slice = NULL;

      if (range_status != 0)
        {
          if (range_status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
            {
              g_autofree char *value = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);

              soup_message_headers_replace (headers, "Content-Range", value);
            }
          set_text (msg, range_status, "no range for you");
          return;
        }

      /* libsoup 3.2 accepts "bytes=SIZE-" as a range that ends before it starts. */
      if (!soup_message_headers_get_ranges (request_headers, size, &ranges, &n_ranges) ||
          ranges[0].start >= (goffset)size || ranges[0].start > ranges[0].end)
        {
          g_autofree char *value = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);

          if (ranges != NULL)
            soup_message_headers_free_ranges (request_headers, ranges);
          soup_message_headers_remove (request_headers, "Range");
          soup_message_headers_replace (headers, "Content-Range", value);
          soup_server_message_set_status (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
          return;
        }
      start = ranges[0].start;
      end = ranges[0].end;
      soup_message_headers_free_ranges (request_headers, ranges);
      soup_message_headers_remove (request_headers, "Range");

      start = query_int (query, "range-start", start);
      slice = g_bytes_new_from_bytes (content, start, end - start + 1);
      soup_message_headers_set_content_range (headers, start, end, size);
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);

      drop = query_int (query, "drop-range", -1);
      if (drop >= 0)
        {
          g_autofree char *key = g_strconcat ("range:", path, "?", g_uri_get_query (soup_server_message_get_uri (msg)), NULL);
          guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->counters, key)) + 1;

          g_hash_table_insert (self->counters, g_steal_pointer (&key), GUINT_TO_POINTER (count));
          if (count == 1 && (gsize)drop < g_bytes_get_size (slice))
            {
              g_autoptr(GBytes) part = g_bytes_new_from_bytes (slice, 0, drop);

              /* Content-Length of the whole range, a part of it, then the socket closes */
              soup_message_headers_set_content_length (headers, g_bytes_get_size (slice));
              soup_message_body_append_bytes (body, part);
              cut_after (msg, drop, TRUE);
              return;
            }
        }

      soup_message_body_append_bytes (body, slice);
      return;
    }

  /* No range: the whole resource, or a part of it before trouble. */
  soup_message_headers_remove (request_headers, "Range");
  soup_server_message_set_status (msg, query_int (query, "status", SOUP_STATUS_OK), NULL);

  stall = range == NULL ? query_int (query, "stall", -1) : -1;
  drop = range == NULL ? query_int (query, "drop", -1) : -1;

  if (query_is (query, "chunked", "1"))
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  else
    soup_message_headers_set_content_length (headers, size);

  if (stall >= 0 || drop >= 0)
    {
      gsize part = MIN ((gsize)(stall >= 0 ? stall : drop), size);
      g_autoptr(GBytes) first = g_bytes_new_from_bytes (content, 0, part);

      /* The body never completes: libsoup pauses the message once these bytes are written. */
      if (part > 0)
        soup_message_body_append_bytes (body, first);
      if (drop >= 0)
        cut_after (msg, part, TRUE);
      return;
    }

  if (query_is (query, "chunked", "1"))
    {
      for (gsize offset = 0; offset < size; offset += 16384)
        {
          g_autoptr(GBytes) chunk = g_bytes_new_from_bytes (content, offset, MIN (16384, size - offset));

          soup_message_body_append_bytes (body, chunk);
        }
      soup_message_body_complete (body);
      return;
    }

  if (size > 0)
    soup_message_body_append_bytes (body, content);
  soup_message_body_complete (body);
}

static void
handle_flaky (LadleTestServer   *self,
              SoupServerMessage *msg,
              GHashTable        *query)
{
  g_autofree char *key = g_strconcat ("flaky:", g_uri_get_query (soup_server_message_get_uri (msg)), NULL);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->counters, key)) + 1;
  const char *retry_after = query_get (query, "retry-after");

  g_hash_table_insert (self->counters, g_steal_pointer (&key), GUINT_TO_POINTER (count));
  if (count > query_int (query, "fail", 2) && query_is (query, "json", "1"))
    {
      static const char ok[] = "{\"ok\":true}";

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, ok, strlen (ok));
      return;
    }
  if (count > query_int (query, "fail", 2))
    {
      set_text (msg, SOUP_STATUS_OK, "ok");
      return;
    }

  if (retry_after != NULL && g_str_has_prefix (retry_after, "date+"))
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr(GDateTime) then = g_date_time_add_seconds (now, g_ascii_strtod (retry_after + 5, NULL));
      g_autofree char *date = soup_date_time_to_string (then, SOUP_DATE_HTTP);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", date);
    }
  else if (retry_after != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", retry_after);
  set_text (msg, query_int (query, "status", SOUP_STATUS_SERVICE_UNAVAILABLE), "flaky");
}

static void
handle_named (LadleTestServer   *self,
              SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  GBytes *content = cached_content (self, 1, 100);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (headers, "Content-Type", "application/octet-stream");
  soup_message_headers_replace (headers, "ETag", "\"named\"");
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), content);
  soup_message_body_complete (soup_server_message_get_response_body (msg));
}

static void
json_append_string (GString    *json,
                    const char *text)
{
  if (text == NULL)
    {
      g_string_append (json, "null");
      return;
    }

  g_string_append_c (json, '"');
  for (const char *p = text; *p; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (json, "\\%c", c);
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (json, "\\u%04x", c);
      else
        g_string_append_c (json, c);
    }
  g_string_append_c (json, '"');
}

static void
handle_log (LadleTestServer   *self,
            SoupServerMessage *msg,
            GHashTable        *query)
{
  GString *json = g_string_new ("[");

  for (guint i = 0; i < self->requests->len; i++)
    {
      LadleTestRequest *request = g_ptr_array_index (self->requests, i);
      SoupMessageHeadersIter iter;
      const char *name, *value;
      gboolean first = TRUE;

      if (i > 0)
        g_string_append_c (json, ',');
      g_string_append (json, "{\"method\":");
      json_append_string (json, request->method);
      g_string_append (json, ",\"path\":");
      json_append_string (json, request->path);
      g_string_append (json, ",\"query\":");
      json_append_string (json, request->query);
      g_string_append (json, ",\"range\":");
      json_append_string (json, request->range);
      g_string_append (json, ",\"if_range\":");
      json_append_string (json, request->if_range);
      g_string_append_printf (json, ",\"status\":%u,\"headers\":{", request->status);
      soup_message_headers_iter_init (&iter, request->headers);
      while (soup_message_headers_iter_next (&iter, &name, &value))
        {
          if (!first)
            g_string_append_c (json, ',');
          first = FALSE;
          json_append_string (json, name);
          g_string_append_c (json, ':');
          json_append_string (json, value);
        }
      g_string_append (json, "}}");
    }
  g_string_append (json, "]");

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    json->str, json->len);
  g_string_free (json, FALSE);

  if (query_is (query, "clear", "1"))
    ladle_test_server_clear_log (self);
}


/* Generic routes */

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

static void
handle_truncate (SoupServerMessage *msg,
                 GHashTable        *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  guint length = query_uint (query, "length", 100000);
  guint sent = query_uint (query, "sent", 10000);
  g_autoptr(GBytes) content = ladle_test_content_new (0, sent);

  g_assert_cmpuint (sent, <, length);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (headers, "Content-Type", "application/octet-stream");
  soup_message_headers_set_content_length (headers, length);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), content);
  /* The client sees the connection end here; the server keeps its (paused) side until it is
   * freed. */
  cut_after (msg, sent, FALSE);
}


/* Security and upload routes */

static void
append_header_line_cb (const char *name,
                       const char *value,
                       gpointer    user_data)
{
  g_string_append_printf (user_data, "header %s: %s\n", name, value);
}

static void
handle_echo (SoupServerMessage *msg)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GBytes) body = NULL;

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_string_append_printf (text, "method %s\n", soup_server_message_get_method (msg));
  g_string_append_printf (text, "path %s\n", g_uri_get_path (soup_server_message_get_uri (msg)));
  soup_message_headers_foreach (soup_server_message_get_request_headers (msg),
                                append_header_line_cb, text);
  g_string_append_printf (text, "body-length %" G_GSIZE_FORMAT "\n", g_bytes_get_size (body));

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text->str, text->len);
}

static void
handle_redirect_code (SoupServerMessage *msg,
                      const char        *path,
                      GHashTable        *query)
{
  guint64 code = g_ascii_strtoull (path + strlen ("/redirect/"), NULL, 10);
  const char *to = query_get (query, "to");

  soup_server_message_set_status (msg, (guint) code, NULL);
  if (to != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location", to);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "redirect body", 13);
}

static void
handle_upload (SoupServerMessage *msg)
{
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *sha256 = ladle_test_checksum_bytes (body);
  g_autofree char *text = g_strdup_printf ("%" G_GSIZE_FORMAT " %s\n", g_bytes_get_size (body), sha256);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static gboolean
basic_auth_cb (SoupAuthDomain    *domain,
               SoupServerMessage *msg,
               const char        *username,
               const char        *password,
               gpointer           user_data)
{
  return g_strcmp0 (username, LADLE_TEST_USER) == 0 && g_strcmp0 (password, LADLE_TEST_PASSWORD) == 0;
}

static gboolean
upload_auth_cb (SoupAuthDomain    *domain,
                SoupServerMessage *msg,
                const char        *username,
                const char        *password,
                gpointer           user_data)
{
  return g_strcmp0 (username, LADLE_TEST_UPLOAD_USER) == 0 &&
         g_strcmp0 (password, LADLE_TEST_UPLOAD_PASSWORD) == 0;
}

static char *
digest_auth_cb (SoupAuthDomain    *domain,
                SoupServerMessage *msg,
                const char        *username,
                gpointer           user_data)
{
  if (g_strcmp0 (username, LADLE_TEST_USER) != 0)
    return NULL;

  return soup_auth_domain_digest_encode_password (username, "ladle-digest", LADLE_TEST_PASSWORD);
}

/* Dispatch */

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  LadleTestServer *self = user_data;
  LadleTestRequest *request = g_object_get_data (G_OBJECT (msg), REQUEST_KEY);

  if (request != NULL)
    request->handled = TRUE;

  /* Behind an auth domain, the rest of the path says what to answer: /basic and /digest answer
   * /ok and /redirect/... as such and anything else as /echo; /auth is the upload sink. */
  if (g_str_has_prefix (path, "/basic/") || g_str_has_prefix (path, "/digest/"))
    {
      path = strchr (path + 1, '/');
      if (!g_str_has_prefix (path, "/redirect/") && !g_str_equal (path, "/ok"))
        path = "/echo";
    }
  else if (g_str_has_prefix (path, "/auth/"))
    path = "/upload";

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
  else if (g_str_equal (path, "/ok"))
    set_text (msg, SOUP_STATUS_OK, "ok");
  else if (g_str_equal (path, "/set-cookie") && query_get (query, "cookie") != NULL)
    {
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                                   query_get (query, "cookie"));
      set_text (msg, SOUP_STATUS_OK, "ok");
    }
  else if (g_str_equal (path, "/echo"))
    handle_echo (msg);
  else if (g_str_equal (path, "/hold"))
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (self->held, g_object_ref (msg));
    }
  else if (g_str_has_prefix (path, "/redirect/"))
    handle_redirect_code (msg, path, query);
  else if (g_str_equal (path, "/redirect") && query_get (query, "to") != NULL)
    soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, query_get (query, "to"));
  else if (g_str_equal (path, "/loop"))
    soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, "/loop");
  else if (g_str_equal (path, "/upload"))
    handle_upload (msg);
  else if (g_str_has_prefix (path, "/resource/"))
    {
      guint64 size = 0;

      if (!g_ascii_string_to_unsigned (path + strlen ("/resource/"), 10, 0, 256 * 1024 * 1024,
                                       &size, NULL))
        set_text (msg, SOUP_STATUS_BAD_REQUEST, "bad size");
      else
        handle_resource (self, msg, path, query, size);
    }
  else if (g_str_has_prefix (path, "/named/"))
    handle_named (self, msg);
  else if (g_str_equal (path, "/flaky"))
    handle_flaky (self, msg, query);
  else if (g_str_equal (path, "/log"))
    handle_log (self, msg, query);
  else
    set_text (msg, SOUP_STATUS_NOT_FOUND, "not found");

  if (request != NULL)
    request->status = soup_server_message_get_status (msg);
}

/* Life cycle */

static void
add_auth_domain (SoupServer                *server,
                 SoupAuthDomain            *domain,
                 const char                *path)
{
  soup_auth_domain_add_path (domain, path);
  soup_server_add_auth_domain (server, domain);
  g_object_unref (domain);
}

LadleTestServer *
ladle_test_server_new (void)
{
  return ladle_test_server_new_tls (NULL);
}

LadleTestServer *
ladle_test_server_new_tls (GTlsCertificate *certificate)
{
  LadleTestServer *self = g_new0 (LadleTestServer, 1);
  SoupServerListenOptions options = SOUP_SERVER_LISTEN_IPV4_ONLY;
  SoupAuthDomain *domain;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_unref);
  self->drips = g_ptr_array_new_with_free_func ((GDestroyNotify) drip_free);
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  self->contents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_bytes_unref);
  self->counters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->tls = certificate != NULL;
  self->server = g_object_new (SOUP_TYPE_SERVER,
                               "server-header", "ladle-test-server ",
                               "tls-certificate", certificate,
                               NULL);
  if (self->tls)
    options |= SOUP_SERVER_LISTEN_HTTPS;

  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->server, "request-read", G_CALLBACK (request_read_cb), self);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (request_aborted_cb), self);

  domain = soup_auth_domain_basic_new ("realm", "ladle-basic", NULL);
  soup_auth_domain_basic_set_auth_callback (domain, basic_auth_cb, NULL, NULL);
  add_auth_domain (self->server, domain, "/basic");

  domain = soup_auth_domain_digest_new ("realm", "ladle-digest", NULL);
  soup_auth_domain_digest_set_auth_callback (domain, digest_auth_cb, NULL, NULL);
  add_auth_domain (self->server, domain, "/digest");

  domain = soup_auth_domain_basic_new ("realm", "ladle-uploads", NULL);
  soup_auth_domain_basic_set_auth_callback (domain, upload_auth_cb, NULL, NULL);
  add_auth_domain (self->server, domain, "/auth");

  soup_server_listen_local (self->server, 0, options, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  g_assert_cmpstr (g_uri_get_host (uris->data), ==, "127.0.0.1");
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return self;
}

void
ladle_test_server_free (LadleTestServer *self)
{
  if (self == NULL)
    return;

  ladle_test_server_release (self);
  g_signal_handlers_disconnect_by_data (self->server, self);
  g_ptr_array_set_size (self->drips, 0);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);

  /* closing the server's connections finishes in idle callbacks */
  ladle_test_drain (0);

  g_clear_pointer (&self->drips, g_ptr_array_unref);
  g_clear_pointer (&self->held, g_ptr_array_unref);
  g_clear_pointer (&self->requests, g_ptr_array_unref);
  g_clear_pointer (&self->contents, g_hash_table_unref);
  g_clear_pointer (&self->counters, g_hash_table_unref);
  g_free (self);
}

SoupServer *
ladle_test_server_get_soup_server (LadleTestServer *self)
{
  return self->server;
}

guint
ladle_test_server_get_port (LadleTestServer *self)
{
  return self->port;
}

char *
ladle_test_server_dup_uri_for_host (LadleTestServer *self,
                                    const char      *host,
                                    const char      *path_and_query)
{
  return g_strdup_printf ("%s://%s:%u%s", self->tls ? "https" : "http", host, self->port,
                          path_and_query);
}

char *
ladle_test_server_dup_uri (LadleTestServer *self,
                           const char      *path_and_query)
{
  return ladle_test_server_dup_uri_for_host (self, "127.0.0.1", path_and_query);
}

char *
ladle_test_server_dup_redirect_uri (LadleTestServer *self,
                                    guint            code,
                                    const char      *target)
{
  g_autofree char *escaped = g_uri_escape_string (target, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/redirect/%u?to=%s", code, escaped);

  return ladle_test_server_dup_uri (self, path);
}

guint
ladle_test_server_get_n_started (LadleTestServer *self)
{
  return self->n_started;
}

guint
ladle_test_server_get_n_finished (LadleTestServer *self)
{
  return self->n_finished;
}

guint
ladle_test_server_get_n_unauthorized (LadleTestServer *self)
{
  return self->n_unauthorized;
}

GPtrArray *
ladle_test_server_get_requests (LadleTestServer *self)
{
  return self->requests;
}

guint
ladle_test_server_get_n_requests (LadleTestServer *self)
{
  return self->requests->len;
}

LadleTestRequest *
ladle_test_server_get_request (LadleTestServer *self,
                               guint            index)
{
  g_assert_cmpuint (index, <, self->requests->len);

  return g_ptr_array_index (self->requests, index);
}

LadleTestRequest *
ladle_test_server_get_last_request (LadleTestServer *self)
{
  g_assert_cmpuint (self->requests->len, >, 0);

  return g_ptr_array_index (self->requests, self->requests->len - 1);
}

guint
ladle_test_server_get_n_handled (LadleTestServer *self)
{
  guint n = 0;

  for (guint i = 0; i < self->requests->len; i++)
    if (((LadleTestRequest *) g_ptr_array_index (self->requests, i))->handled)
      n++;

  return n;
}

LadleTestRequest *
ladle_test_server_get_handled (LadleTestServer *self,
                               guint            index)
{
  for (guint i = 0; i < self->requests->len; i++)
    {
      LadleTestRequest *request = g_ptr_array_index (self->requests, i);

      if (request->handled && index-- == 0)
        return request;
    }

  g_error ("the server handled fewer than %u requests", index + 1);
}

void
ladle_test_server_clear_log (LadleTestServer *self)
{
  g_ptr_array_set_size (self->requests, 0);
}

static gboolean
server_is_idle (gpointer data)
{
  LadleTestServer *self = data;

  return self->n_finished >= self->n_started;
}

void
ladle_test_server_wait_idle (LadleTestServer *self)
{
  /* The server finishes a request once the response is written, which may be after the
   * client read it. */
  ladle_test_wait_until (server_is_idle, self, 20, "the server finishing its requests");
}

void
ladle_test_server_release (LadleTestServer *self)
{
  for (guint i = 0; i < self->held->len; i++)
    {
      SoupServerMessage *msg = g_ptr_array_index (self->held, i);

      set_text (msg, SOUP_STATUS_OK, "held");
      soup_server_message_unpause (msg);
    }
  g_ptr_array_set_size (self->held, 0);
}

guint
ladle_test_server_get_n_held (LadleTestServer *self)
{
  return self->held->len;
}

static gboolean
server_has_held (gpointer data)
{
  LadleTestServer *self = data;

  return self->held->len > 0;
}

void
ladle_test_server_wait_for_held (LadleTestServer *self)
{
  ladle_test_wait_until (server_has_held, self, 30, "a request to /hold");
}

/* Misc */

SoupMessageHeaders *
ladle_test_headers_copy (SoupMessageHeaders *headers)
{
  SoupMessageHeaders *copy = soup_message_headers_new (soup_message_headers_get_headers_type (headers));

  soup_message_headers_foreach (headers, copy_header_cb, copy);

  return copy;
}

gboolean
ladle_test_body_has_line (GBytes     *body,
                          const char *line)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (body == NULL)
    return FALSE;

  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  lines = g_strsplit (text, "\n", -1);

  return g_strv_contains ((const char * const *) lines, line);
}

void
ladle_test_assert_localhost_is_loopback (void)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autoptr(GError) error = NULL;
  GList *addresses;
  gboolean has_ipv4_loopback = FALSE;

  addresses = g_resolver_lookup_by_name (resolver, "localhost", NULL, &error);
  g_assert_no_error (error);
  for (GList *l = addresses; l != NULL; l = l->next)
    {
      g_autofree char *text = g_inet_address_to_string (l->data);

      /* Only loopback: a test must never leave the machine. */
      if (!g_inet_address_get_is_loopback (l->data))
        g_error ("localhost resolves to %s, which is not a loopback address", text);
      if (g_str_equal (text, "127.0.0.1"))
        has_ipv4_loopback = TRUE;
    }
  g_resolver_free_addresses (addresses);

  g_assert_true (has_ipv4_loopback);
}
