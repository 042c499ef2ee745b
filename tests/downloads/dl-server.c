/* dl-server.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The server of the download tests: the handlers listed in dl-server.h, on 127.0.0.1 only. The
 * C tests run it in-process, sharing their main context with the client; the Python and GJS
 * tests run it as a child process (dl-server-main.c) that asks it for its log over HTTP.
 */

#include "dl-server.h"

#include <string.h>

#define BLOCK_SIZE 32

/* Content */

static void
content_fill (guint    variant,
              guint8  *data,
              gsize    size)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  for (gsize offset = 0, block = 0; offset < size; offset += BLOCK_SIZE, block++)
    {
      char text[64];
      guint8 digest[BLOCK_SIZE];
      gsize digest_len = sizeof digest;

      g_snprintf (text, sizeof text, "ladle:%u:%" G_GSIZE_FORMAT, variant, block);
      g_checksum_reset (checksum);
      g_checksum_update (checksum, (const guchar *)text, -1);
      g_checksum_get_digest (checksum, digest, &digest_len);
      memcpy (data + offset, digest, MIN (BLOCK_SIZE, size - offset));
    }
}

GBytes *
dl_content_new (guint variant,
                gsize size)
{
  guint8 *data = g_malloc (MAX (size, 1));

  content_fill (variant, data, size);

  return g_bytes_new_take (data, size);
}

char *
dl_content_sha256 (guint variant,
                   gsize size)
{
  g_autoptr(GBytes) content = dl_content_new (variant, size);

  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, content);
}

char *
dl_sha256_of_file (const char *path)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  mapped = g_mapped_file_new (path, FALSE, &error);
  if (mapped == NULL)
    return NULL;
  bytes = g_mapped_file_get_bytes (mapped);

  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

/* Server */

struct _DlServer
{
  SoupServer *server;
  GUri       *base;
  GHashTable *contents;   /* "V:SIZE" -> GBytes */
  GHashTable *counters;   /* URI -> number of requests, for changing=1 */
  GPtrArray  *requests;   /* DlRequest */
};

static void
dl_request_free (DlRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->query);
  g_free (request->range);
  g_free (request->if_range);
  g_clear_pointer (&request->headers, soup_message_headers_unref);
  g_free (request);
}

static GBytes *
cached_content (DlServer *self,
                guint     variant,
                gsize     size)
{
  g_autofree char *key = g_strdup_printf ("%u:%" G_GSIZE_FORMAT, variant, size);
  GBytes *content = g_hash_table_lookup (self->contents, key);

  if (content == NULL)
    {
      content = dl_content_new (variant, size);
      g_hash_table_insert (self->contents, g_steal_pointer (&key), content);
    }

  return content;
}

static const char *
query_get (GHashTable *query,
           const char *name)
{
  return query != NULL ? g_hash_table_lookup (query, name) : NULL;
}

static gboolean
query_is (GHashTable *query,
          const char *name,
          const char *value)
{
  return g_strcmp0 (query_get (query, name), value) == 0;
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

typedef struct
{
  gsize to_write;
  gsize written;
} Drop;

static void
drop_wrote_body_data_cb (SoupServerMessage *msg,
                         guint              chunk_size,
                         Drop              *drop)
{
  drop->written += chunk_size;

  if (drop->written >= drop->to_write)
    {
      GSocket *socket = soup_server_message_get_socket (msg);

      /* The message stays paused (its body never completes); the client sees the connection
       * end after exactly to_write bytes. */
      if (socket != NULL && !g_socket_is_closed (socket))
        g_socket_close (socket, NULL);
    }
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
handle_resource (DlServer          *self,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 guint64            size,
                 DlRequest         *log)
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
              Drop *data = g_new0 (Drop, 1);

              /* Content-Length of the whole range, a part of it, then the socket closes */
              soup_message_headers_set_content_length (headers, g_bytes_get_size (slice));
              soup_message_body_append_bytes (body, part);
              data->to_write = drop;
              g_signal_connect_data (msg, "wrote-body-data", G_CALLBACK (drop_wrote_body_data_cb),
                                     data, (GClosureNotify)(void (*) (void))g_free, 0);
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
        {
          Drop *data = g_new0 (Drop, 1);

          data->to_write = part;
          g_signal_connect_data (msg, "wrote-body-data", G_CALLBACK (drop_wrote_body_data_cb),
                                 data, (GClosureNotify)(void (*) (void))g_free, 0);
        }
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
handle_named (DlServer          *self,
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
handle_log (DlServer          *self,
            SoupServerMessage *msg,
            GHashTable        *query)
{
  GString *json = g_string_new ("[");

  for (guint i = 0; i < self->requests->len; i++)
    {
      DlRequest *request = g_ptr_array_index (self->requests, i);
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
    dl_server_clear_log (self);
}

static void
copy_header_cb (const char *name,
                const char *value,
                gpointer    user_data)
{
  soup_message_headers_append (user_data, name, value);
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  DlServer *self = user_data;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  DlRequest *log;

  if (g_str_equal (path, "/log"))
    {
      handle_log (self, msg, query);
      return;
    }

  log = g_new0 (DlRequest, 1);
  log->method = g_strdup (soup_server_message_get_method (msg));
  log->path = g_strdup (path);
  log->query = g_strdup (g_uri_get_query (soup_server_message_get_uri (msg)));
  log->range = g_strdup (soup_message_headers_get_one (request_headers, "Range"));
  log->if_range = g_strdup (soup_message_headers_get_one (request_headers, "If-Range"));
  log->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_foreach (request_headers, copy_header_cb, log->headers);
  g_ptr_array_add (self->requests, log);

  if (g_str_has_prefix (path, "/resource/"))
    {
      guint64 size = 0;

      if (!g_ascii_string_to_unsigned (path + strlen ("/resource/"), 10, 0, 256 * 1024 * 1024,
                                       &size, NULL))
        set_text (msg, SOUP_STATUS_BAD_REQUEST, "bad size");
      else
        handle_resource (self, msg, path, query, size, log);
    }
  else if (g_str_has_prefix (path, "/named/"))
    handle_named (self, msg);
  else if (g_str_equal (path, "/redirect") && query_get (query, "to") != NULL)
    {
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, query_get (query, "to"));
    }
  else
    set_text (msg, SOUP_STATUS_NOT_FOUND, "not found");

  log->status = soup_server_message_get_status (msg);
}

DlServer *
dl_server_new (void)
{
  DlServer *self = g_new0 (DlServer, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  self->server = soup_server_new ("server-header", "ladle-download-test-server ", NULL);
  self->contents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)g_bytes_unref);
  self->counters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify)dl_request_free);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);

  if (!soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("Cannot listen on 127.0.0.1: %s", error->message);

  uris = soup_server_get_uris (self->server);
  g_assert (uris != NULL);
  self->base = g_uri_ref (uris->data);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  g_assert (g_str_equal (g_uri_get_host (self->base), "127.0.0.1"));

  return self;
}

void
dl_server_free (DlServer *self)
{
  if (self == NULL)
    return;

  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->base, g_uri_unref);
  g_clear_pointer (&self->contents, g_hash_table_unref);
  g_clear_pointer (&self->counters, g_hash_table_unref);
  g_clear_pointer (&self->requests, g_ptr_array_unref);
  g_free (self);
}

char *
dl_server_dup_uri (DlServer   *self,
                   const char *path_and_query)
{
  g_autoptr(GUri) uri = g_uri_parse_relative (self->base, path_and_query, G_URI_FLAGS_ENCODED, NULL);

  g_assert (uri != NULL);

  return g_uri_to_string (uri);
}

GPtrArray *
dl_server_get_requests (DlServer *self)
{
  return self->requests;
}

void
dl_server_clear_log (DlServer *self)
{
  g_ptr_array_set_size (self->requests, 0);
}
