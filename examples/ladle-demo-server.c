/* ladle-demo-server.c: a small HTTP server to try Ladle's examples against
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * It listens on 127.0.0.1 only, on the port given with --port or a free one, and prints its URL
 * (http://127.0.0.1:PORT/) as the first line of standard output. SIGINT and SIGTERM stop it.
 *
 *   /              a short text
 *   /bytes/N       N bytes, with Content-Length, written as fast as the client reads them
 *   /slow/N        the same N bytes, dripped in small chunks with a pause between them
 *   /status/CODE   an empty response with that HTTP status (100 < CODE < 600)
 *   /bytes/N?rate=R  at most R bytes per second (suffixes k, M, G: powers of 1024), e.g. to watch
 *                  a progress bar or to pause a download at a given point
 *   /upload        POST or PUT: reads the request body as it arrives and answers with JSON that
 *                  describes what it received (see below)
 *   /private/...   the same paths behind Basic authentication (--user, --password; default
 *                  "demo" and "demo"), e.g. /private/upload or /private/bytes/N
 *   /api/echo      a tiny JSON API for the REST examples: any method; answers 200 with
 *                  {"method", "query": {name: value}, "content_type", "json": the JSON body or
 *                  null, "form": the urlencoded body's fields or null} (bodies up to 1 MiB)
 *   /api/status/CODE  CODE with {"status": CODE, "error": "reason phrase"} (application/problem+json)
 *
 * The byte at offset i of a /bytes or /slow body is (i % 251): a client can check what it
 * received without the server ever holding a body in memory, whatever N is.
 *
 * /bytes/N and /slow/N can be resumed: they carry a strong ETag ("bytes-N"), a Last-Modified date
 * and Accept-Ranges: bytes, and answer a single Range (bytes=A-B, bytes=A-, bytes=-N) with 206
 * and Content-Range, or 416 when it starts past the end. If-Range is honoured: a range is served
 * only when If-Range matches the ETag or the Last-Modified date; otherwise the whole body comes
 * with 200. Ranges are generated like the whole body, so memory stays constant.
 *
 * /upload never keeps the request body: each chunk is hashed as it arrives (the request body is
 * not accumulated), and a multipart/form-data body is parsed incrementally, part by part. The
 * answer (200, or 400 for a multipart body that cannot be parsed) is a JSON object:
 *
 *   {"method": "POST", "content_type": "...", "content_length": N or null (chunked),
 *    "length": bytes received, "sha256": "HEX" of the whole body,
 *    "parts": [{"name": "...", "filename": "..." or null, "content_type": "..." or null,
 *               "size": N, "sha256": "HEX", "value": "..." (text fields up to 4 KiB)}, ...]}
 *
 * "parts" is only present for multipart/form-data bodies; "error" says why one could not be
 * parsed.
 */

#define _GNU_SOURCE /* memmem */

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#define PATTERN_PERIOD  251
#define FAST_CHUNK_SIZE (64 * 1024)
#define SLOW_CHUNK_SIZE (16 * 1024)
#define SLOW_INTERVAL_MS 25

/* The /bytes and /slow bodies never change: one date for all of them. */
#define PATTERN_LAST_MODIFIED "Sat, 01 Jan 2022 00:00:00 GMT"

#define MAX_PART_HEADERS   (16 * 1024)
#define MAX_FIELD_VALUE    4096

static gboolean verbose = FALSE;

/* One buffer of FAST_CHUNK_SIZE + PATTERN_PERIOD pattern bytes: a chunk that starts at any body
 * offset is a slice of it, so sending N bytes allocates nothing proportional to N. */
static GBytes *pattern;

typedef struct
{
  SoupServerMessage *msg;            /* unowned: this struct lives as data on it */
  goffset            offset;
  goffset            length;         /* the offset where the body ends */
  gsize              chunk_size;
  guint              interval_ms;
  guint64            rate;           /* bytes per second, 0: as fast as the client reads */
  goffset            first_offset;
  gint64             started;        /* monotonic time of the first chunk, for the rate */
  guint              timeout_id;
  gboolean           finished;
} BodyWriter;

static void
body_writer_free (gpointer data)
{
  BodyWriter *writer = data;

  g_clear_handle_id (&writer->timeout_id, g_source_remove);
  g_free (writer);
}

/* Appends the next chunk, or completes the body when everything was appended. */
static void
body_writer_append_next (BodyWriter *writer)
{
  SoupMessageBody *body = soup_server_message_get_response_body (writer->msg);
  gsize size;
  g_autoptr (GBytes) chunk = NULL;

  if (writer->offset >= writer->length)
    {
      soup_message_body_complete (body);
      return;
    }

  size = (gsize) MIN ((goffset) writer->chunk_size, writer->length - writer->offset);
  chunk = g_bytes_new_from_bytes (pattern, writer->offset % PATTERN_PERIOD, size);
  writer->offset += size;
  soup_message_body_append_bytes (body, chunk);
}

static gboolean
body_writer_drip (gpointer data)
{
  BodyWriter *writer = data;

  writer->timeout_id = 0;
  body_writer_append_next (writer);
  soup_server_message_unpause (writer->msg);

  return G_SOURCE_REMOVE;
}

/* libsoup calls this after each chunk went out. When no chunk is waiting, libsoup pauses the
 * message by itself; a dripping writer appends later and unpauses it. */
static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           user_data)
{
  BodyWriter *writer = user_data;

  guint delay_ms = writer->interval_ms;

  if (writer->finished)
    return;

  if (writer->rate > 0)
    {
      /* When the bytes sent so far are due at this rate. */
      gint64 due = writer->started +
                   (gint64) ((guint64) (writer->offset - writer->first_offset) * G_USEC_PER_SEC / writer->rate);
      gint64 now = g_get_monotonic_time ();

      delay_ms = due > now ? (guint) ((due - now + 999) / 1000) : 0;
    }

  if (delay_ms == 0 || writer->offset >= writer->length)
    body_writer_append_next (writer);
  else if (writer->timeout_id == 0)
    writer->timeout_id = g_timeout_add (delay_ms, body_writer_drip, writer);
}

/* Emitted when the response was written or the client went away. */
static void
on_finished (SoupServerMessage *msg,
             gpointer           user_data)
{
  BodyWriter *writer = user_data;

  writer->finished = TRUE;
  g_clear_handle_id (&writer->timeout_id, g_source_remove);
}

static gboolean
parse_length (const char *text,
              goffset    *length)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL))
    return FALSE;

  *length = (goffset) value;
  return TRUE;
}

/* Parses a single byte range (bytes=A-B, bytes=A-, bytes=-N) against a body of @total bytes.
 * Returns FALSE when there is no usable single range (several ranges, a syntax error: the
 * whole body is sent then), and sets *@unsatisfiable for a range that starts past the end. */
static gboolean
parse_range (const char *header,
             goffset     total,
             goffset    *start,
             goffset    *end,
             gboolean   *unsatisfiable)
{
  g_autofree char *spec = NULL;
  char *dash;
  guint64 first = 0, last = 0;

  *unsatisfiable = FALSE;
  if (header == NULL || !g_str_has_prefix (header, "bytes="))
    return FALSE;

  spec = g_strstrip (g_strdup (header + strlen ("bytes=")));
  if (strchr (spec, ',') != NULL || (dash = strchr (spec, '-')) == NULL)
    return FALSE;
  *dash = '\0';

  if (*spec == '\0')
    {
      /* bytes=-N: the last N bytes */
      if (!g_ascii_string_to_unsigned (dash + 1, 10, 1, G_MAXINT64, &last, NULL))
        return FALSE;
      if (total == 0)
        {
          *unsatisfiable = TRUE;
          return FALSE;
        }
      *start = total - (goffset) MIN (last, (guint64) total);
      *end = total - 1;
      return TRUE;
    }

  if (!g_ascii_string_to_unsigned (spec, 10, 0, G_MAXINT64, &first, NULL))
    return FALSE;
  if (dash[1] == '\0')
    last = G_MAXINT64;
  else if (!g_ascii_string_to_unsigned (dash + 1, 10, 0, G_MAXINT64, &last, NULL) || last < first)
    return FALSE;

  if ((goffset) first >= total)
    {
      *unsatisfiable = TRUE;
      return FALSE;
    }

  *start = (goffset) first;
  *end = (goffset) MIN (last, (guint64) total - 1);
  return TRUE;
}

/* "100M" -> 104857600; FALSE on a syntax error. */
static gboolean
parse_rate (const char *text,
            guint64    *rate)
{
  g_autofree char *digits = g_strdup (text);
  gsize length = strlen (digits);
  guint64 unit = 1;

  if (length > 0)
    {
      switch (digits[length - 1])
        {
        case 'k': case 'K': unit = 1024; break;
        case 'm': case 'M': unit = 1024 * 1024; break;
        case 'g': case 'G': unit = 1024 * 1024 * 1024; break;
        default: break;
        }
      if (unit > 1)
        digits[length - 1] = '\0';
    }
  if (!g_ascii_string_to_unsigned (digits, 10, 1, G_MAXUINT32, rate, NULL))
    return FALSE;
  *rate *= unit;
  return TRUE;
}

static void
serve_pattern (SoupServerMessage *msg,
               goffset            length,
               gsize              chunk_size,
               guint              interval_ms,
               guint64            rate)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *if_range = soup_message_headers_get_one (request_headers, "If-Range");
  g_autofree char *etag = g_strdup_printf ("\"bytes-%" G_GOFFSET_FORMAT "\"", length);
  goffset start = 0, end = length - 1;
  gboolean ranged = FALSE, unsatisfiable = FALSE;
  BodyWriter *writer;

  soup_message_headers_replace (headers, "ETag", etag);
  soup_message_headers_replace (headers, "Last-Modified", PATTERN_LAST_MODIFIED);
  soup_message_headers_replace (headers, "Accept-Ranges", "bytes");

  /* A range only applies to the version the client has: If-Range must name it (a strong ETag
   * compared exactly, or the exact Last-Modified date). */
  if (if_range == NULL || strcmp (if_range, etag) == 0 || strcmp (if_range, PATTERN_LAST_MODIFIED) == 0)
    ranged = parse_range (soup_message_headers_get_one (request_headers, "Range"), length,
                          &start, &end, &unsatisfiable);

  if (unsatisfiable)
    {
      g_autofree char *content_range = g_strdup_printf ("bytes */%" G_GOFFSET_FORMAT, length);

      soup_message_headers_replace (headers, "Content-Range", content_range);
      soup_server_message_set_status (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
      return;
    }

  if (ranged)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      soup_message_headers_set_content_range (headers, start, end, length);
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      start = 0;
      end = length - 1;
    }
  soup_message_headers_set_content_type (headers, "application/octet-stream", NULL);
  soup_message_headers_set_content_length (headers, end + 1 - start);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_HEAD) == 0)
    return;

  writer = g_new0 (BodyWriter, 1);
  writer->msg = msg;
  writer->offset = start;
  writer->length = end + 1;
  writer->chunk_size = chunk_size;
  writer->interval_ms = interval_ms;
  writer->rate = rate;
  writer->first_offset = start;
  writer->started = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (msg), "ladle-demo-body-writer", writer, body_writer_free);

  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), writer);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), writer);

  body_writer_append_next (writer);
}

static void
serve_text (SoupServerMessage *msg,
            guint              status,
            const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                    text, strlen (text));
}

/* Uploads: the request body is read chunk by chunk and never kept. */

typedef enum
{
  MULTIPART_PREAMBLE,          /* before the first delimiter */
  MULTIPART_AFTER_DELIMITER,   /* "--" ends the body, CRLF starts a part's headers */
  MULTIPART_HEADERS,
  MULTIPART_CONTENT,
  MULTIPART_DONE,              /* after the closing delimiter: the epilogue is ignored */
  MULTIPART_FAILED,
} MultipartState;

typedef struct
{
  char      *name;
  char      *filename;
  char      *content_type;
  goffset    size;
  GChecksum *checksum;
  GString   *value;            /* a text field's value while it is short, else NULL */
} Part;

typedef struct
{
  GChecksum      *checksum;    /* of the whole body */
  goffset         length;

  /* multipart/form-data */
  gboolean        multipart;
  char           *delimiter;   /* CRLF "--" boundary: the body gets a CRLF in front of it */
  gsize           delimiter_length;
  MultipartState  state;
  GByteArray     *pending;     /* bytes not parsed yet: never more than a chunk and a delimiter */
  Part           *part;
  GPtrArray      *parts;
  char           *error;
} Upload;

static void
part_free (gpointer data)
{
  Part *part = data;

  g_free (part->name);
  g_free (part->filename);
  g_free (part->content_type);
  g_clear_pointer (&part->checksum, g_checksum_free);
  if (part->value != NULL)
    g_string_free (part->value, TRUE);
  g_free (part);
}

static void
upload_free (gpointer data)
{
  Upload *upload = data;

  g_checksum_free (upload->checksum);
  g_free (upload->delimiter);
  g_clear_pointer (&upload->pending, g_byte_array_unref);
  g_clear_pointer (&upload->part, part_free);
  g_clear_pointer (&upload->parts, g_ptr_array_unref);
  g_free (upload->error);
  g_free (upload);
}

static void
multipart_fail (Upload     *upload,
                const char *message)
{
  upload->state = MULTIPART_FAILED;
  g_free (upload->error);
  upload->error = g_strdup (message);
  g_byte_array_set_size (upload->pending, 0);
}

static void
part_update (Part         *part,
             const guint8 *data,
             gsize         length)
{
  g_checksum_update (part->checksum, data, (gssize) length);
  part->size += (goffset) length;
  if (part->value != NULL)
    {
      if (part->value->len + length > MAX_FIELD_VALUE)
        {
          g_string_free (part->value, TRUE);
          part->value = NULL;
        }
      else
        g_string_append_len (part->value, (const char *) data, (gssize) length);
    }
}

/* Parses a part's header block (from the CRLF that ends the delimiter line to the blank line). */
static gboolean
part_parse_headers (Part         *part,
                    const guint8 *block,
                    gsize         length)
{
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_MULTIPART);
  g_autofree char *disposition = NULL;
  g_autoptr (GHashTable) params = NULL;
  const char *content_type;

  if (!soup_headers_parse ((const char *) block, (int) length, headers) ||
      !soup_message_headers_get_content_disposition (headers, &disposition, &params) ||
      g_ascii_strcasecmp (disposition, "form-data") != 0 ||
      g_hash_table_lookup (params, "name") == NULL)
    return FALSE;

  part->name = g_strdup (g_hash_table_lookup (params, "name"));
  part->filename = g_strdup (g_hash_table_lookup (params, "filename"));
  content_type = soup_message_headers_get_one (headers, "Content-Type");
  part->content_type = g_strdup (content_type);
  part->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  /* File contents are only counted and hashed; short text fields are shown. */
  if (part->filename == NULL)
    part->value = g_string_new (NULL);

  return TRUE;
}

/* Consumes as much of upload->pending as can be parsed now. */
static void
multipart_parse (Upload *upload)
{
  GByteArray *pending = upload->pending;

  for (;;)
    {
      switch (upload->state)
        {
        case MULTIPART_PREAMBLE:
        case MULTIPART_CONTENT:
          {
            const guint8 *found = memmem (pending->data, pending->len,
                                          upload->delimiter, upload->delimiter_length);
            gsize usable;

            if (found != NULL)
              {
                gsize at = (gsize) (found - pending->data);

                if (upload->state == MULTIPART_CONTENT)
                  {
                    part_update (upload->part, pending->data, at);
                    g_ptr_array_add (upload->parts, g_steal_pointer (&upload->part));
                  }
                g_byte_array_remove_range (pending, 0, (guint) (at + upload->delimiter_length));
                upload->state = MULTIPART_AFTER_DELIMITER;
                continue;
              }

            /* The end of what arrived may be the start of a delimiter: keep it. */
            if (pending->len < upload->delimiter_length)
              return;
            usable = pending->len - (upload->delimiter_length - 1);
            if (upload->state == MULTIPART_CONTENT)
              part_update (upload->part, pending->data, usable);
            g_byte_array_remove_range (pending, 0, (guint) usable);
            return;
          }

        case MULTIPART_AFTER_DELIMITER:
          if (pending->len > 0 && (pending->data[0] == ' ' || pending->data[0] == '\t'))
            {
              /* transport padding */
              g_byte_array_remove_index (pending, 0);
              continue;
            }
          if (pending->len < 2)
            return;
          if (pending->data[0] == '-' && pending->data[1] == '-')
            {
              upload->state = MULTIPART_DONE;
              g_byte_array_set_size (pending, 0);
              return;
            }
          if (pending->data[0] != '\r' || pending->data[1] != '\n')
            {
              multipart_fail (upload, "a delimiter is followed by neither CRLF nor \"--\"");
              return;
            }
          /* The CRLF stays: it is the (empty) first line of the header block. */
          upload->state = MULTIPART_HEADERS;
          continue;

        case MULTIPART_HEADERS:
          {
            const guint8 *end = memmem (pending->data, pending->len, "\r\n\r\n", 4);
            gsize block_length;

            if (end == NULL)
              {
                if (pending->len > MAX_PART_HEADERS)
                  multipart_fail (upload, "a part's headers are too long");
                return;
              }
            block_length = (gsize) (end - pending->data) + 4;
            upload->part = g_new0 (Part, 1);
            if (!part_parse_headers (upload->part, pending->data, block_length))
              {
                multipart_fail (upload, "a part has no valid Content-Disposition: form-data; name=...");
                return;
              }
            /* The content starts after the blank line (an empty content is directly followed
             * by the next delimiter, CRLF included). */
            g_byte_array_remove_range (pending, 0, (guint) block_length);
            upload->state = MULTIPART_CONTENT;
            continue;
          }

        case MULTIPART_DONE:
        case MULTIPART_FAILED:
          g_byte_array_set_size (pending, 0);
          return;

        default:
          g_assert_not_reached ();
        }
    }
}

static void
upload_feed (Upload       *upload,
             const guint8 *data,
             gsize         length)
{
  g_checksum_update (upload->checksum, data, (gssize) length);
  upload->length += (goffset) length;

  if (!upload->multipart || upload->state == MULTIPART_DONE || upload->state == MULTIPART_FAILED)
    return;

  g_byte_array_append (upload->pending, data, (guint) length);
  multipart_parse (upload);
}

static void
on_upload_got_chunk (SoupServerMessage *msg,
                     GBytes            *chunk,
                     gpointer           user_data)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (chunk, &length);

  upload_feed (user_data, data, length);
}

static gboolean
is_upload_path (const char *path)
{
  return strcmp (path, "/upload") == 0 || strcmp (path, "/private/upload") == 0;
}

/* Runs when the request headers are in, before the body: from here on the body is not
 * accumulated, each chunk goes to the parser. (Not an early handler: libsoup 3.2 skips early
 * handlers for requests that an authentication domain accepted.) */
static void
on_request_got_headers (SoupServerMessage *msg,
                        gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  g_autoptr (GHashTable) params = NULL;
  const char *content_type;
  Upload *upload;

  /* A request refused by the authentication domain already has its 401. */
  if (!is_upload_path (path) || soup_server_message_get_status (msg) != 0 ||
      (strcmp (method, SOUP_METHOD_POST) != 0 && strcmp (method, SOUP_METHOD_PUT) != 0))
    return;

  upload = g_new0 (Upload, 1);
  upload->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  upload->parts = g_ptr_array_new_with_free_func (part_free);
  upload->pending = g_byte_array_new ();

  content_type = soup_message_headers_get_content_type (headers, &params);
  if (content_type != NULL && g_ascii_strcasecmp (content_type, "multipart/form-data") == 0)
    {
      const char *boundary = g_hash_table_lookup (params, "boundary");

      upload->multipart = TRUE;
      if (boundary == NULL || *boundary == '\0' || strlen (boundary) > 70)
        multipart_fail (upload, "multipart/form-data without a valid boundary");
      else
        {
          upload->delimiter = g_strconcat ("\r\n--", boundary, NULL);
          upload->delimiter_length = strlen (upload->delimiter);
          /* The first delimiter has no CRLF before it: give the body one. */
          g_byte_array_append (upload->pending, (const guint8 *) "\r\n", 2);
        }
    }

  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_object_set_data_full (G_OBJECT (msg), "ladle-demo-upload", upload, upload_free);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_upload_got_chunk), upload);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  /* The server's own got-headers handler (authentication) was connected first and runs first. */
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_request_got_headers), NULL);
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
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (json, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (json, "\\u%04x", c);
      else
        g_string_append_c (json, (char) c);
    }
  g_string_append_c (json, '"');
}

/* Runs when the whole body was read. */
static void
serve_upload (SoupServerMessage *msg)
{
  Upload *upload = g_object_get_data (G_OBJECT (msg), "ladle-demo-upload");
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr (GString) json = g_string_new (NULL);
  guint status = SOUP_STATUS_OK;

  if (upload == NULL)
    {
      serve_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "The upload was not set up.\n");
      return;
    }

  if (upload->multipart && upload->state != MULTIPART_DONE && upload->state != MULTIPART_FAILED)
    multipart_fail (upload, "the body ended before the closing delimiter");
  if (upload->error != NULL)
    status = SOUP_STATUS_BAD_REQUEST;

  g_string_append (json, "{\n  \"method\": ");
  json_append_string (json, soup_server_message_get_method (msg));
  g_string_append (json, ",\n  \"content_type\": ");
  json_append_string (json, soup_message_headers_get_one (headers, "Content-Type"));
  g_string_append (json, ",\n  \"content_length\": ");
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    g_string_append_printf (json, "%" G_GOFFSET_FORMAT, soup_message_headers_get_content_length (headers));
  else
    g_string_append (json, "null");
  g_string_append_printf (json, ",\n  \"length\": %" G_GOFFSET_FORMAT ",\n  \"sha256\": \"%s\"",
                          upload->length, g_checksum_get_string (upload->checksum));

  if (upload->multipart)
    {
      g_string_append (json, ",\n  \"parts\": [");
      for (guint i = 0; i < upload->parts->len; i++)
        {
          Part *part = g_ptr_array_index (upload->parts, i);

          g_string_append (json, i > 0 ? ",\n    {" : "\n    {");
          g_string_append (json, "\"name\": ");
          json_append_string (json, part->name);
          g_string_append (json, ", \"filename\": ");
          json_append_string (json, part->filename);
          g_string_append (json, ", \"content_type\": ");
          json_append_string (json, part->content_type);
          g_string_append_printf (json, ", \"size\": %" G_GOFFSET_FORMAT ", \"sha256\": \"%s\"",
                                  part->size, g_checksum_get_string (part->checksum));
          if (part->value != NULL && g_utf8_validate_len (part->value->str, part->value->len, NULL))
            {
              g_string_append (json, ", \"value\": ");
              json_append_string (json, part->value->str);
            }
          g_string_append (json, "}");
        }
      g_string_append (json, upload->parts->len > 0 ? "\n  ]" : "]");
    }
  if (upload->error != NULL)
    {
      g_string_append (json, ",\n  \"error\": ");
      json_append_string (json, upload->error);
    }
  g_string_append (json, "\n}\n");

  if (verbose)
    g_printerr ("ladle-demo-server: received %" G_GOFFSET_FORMAT " bytes, sha256 %s\n",
                upload->length, g_checksum_get_string (upload->checksum));

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json->str, json->len);
}

#define API_MAX_BODY (1024 * 1024)

static void
serve_json (SoupServerMessage *msg,
            guint              status,
            const char        *content_type,
            JsonBuilder       *builder)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  gsize length;
  char *data;

  json_generator_set_root (generator, root);
  data = json_generator_to_data (generator, &length);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, data, length);
}

static void
add_fields (JsonBuilder *builder,
            GHashTable  *fields)
{
  GHashTableIter iter;
  gpointer name, value;

  json_builder_begin_object (builder);
  if (fields != NULL)
    {
      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, &name, &value))
        {
          json_builder_set_member_name (builder, name);
          json_builder_add_string_value (builder, value);
        }
    }
  json_builder_end_object (builder);
}

/* /api/echo and /api/status/CODE: JSON written by json-glib, never by hand. */
static void
serve_api (SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *content_type = soup_message_headers_get_content_type (headers, NULL);
  g_autoptr (GBytes) body = NULL;
  guint64 code;

  if (g_str_has_prefix (path, "/api/status/") &&
      g_ascii_string_to_unsigned (path + strlen ("/api/status/"), 10, 200, 599, &code, NULL))
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "status");
      json_builder_add_int_value (builder, (gint64) code);
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, soup_status_get_phrase ((guint) code));
      json_builder_end_object (builder);
      serve_json (msg, (guint) code, "application/problem+json", builder);
      return;
    }

  if (strcmp (path, "/api/echo") != 0)
    {
      serve_text (msg, SOUP_STATUS_NOT_FOUND, "Not found.\n");
      return;
    }

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (g_bytes_get_size (body) > API_MAX_BODY)
    {
      serve_text (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "At most 1 MiB here.\n");
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, soup_server_message_get_method (msg));
  json_builder_set_member_name (builder, "query");
  add_fields (builder, query);
  json_builder_set_member_name (builder, "content_type");
  if (content_type != NULL)
    json_builder_add_string_value (builder, content_type);
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "json");
  if (content_type != NULL && g_ascii_strcasecmp (content_type, "application/json") == 0)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      gsize length;
      const char *data = g_bytes_get_data (body, &length);

      if (!json_parser_load_from_data (parser, data, (gssize) length, NULL) ||
          json_parser_get_root (parser) == NULL)
        {
          serve_text (msg, SOUP_STATUS_BAD_REQUEST, "The body is not JSON.\n");
          return;
        }
      json_builder_add_value (builder, json_node_copy (json_parser_get_root (parser)));
    }
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "form");
  if (content_type != NULL && g_ascii_strcasecmp (content_type, SOUP_FORM_MIME_TYPE_URLENCODED) == 0)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      g_autoptr (GHashTable) fields = soup_form_decode (text);

      add_fields (builder, fields);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  serve_json (msg, SOUP_STATUS_OK, "application/json", builder);
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  const char *method = soup_server_message_get_method (msg);
  const char *rate_text = query ? g_hash_table_lookup (query, "rate") : NULL;
  goffset length;
  guint64 code;
  guint64 rate = 0;

  if (verbose)
    g_printerr ("ladle-demo-server: %s %s\n", method, path);

  /* Behind the authentication domain, /private/X is X. */
  if (g_str_has_prefix (path, "/private/"))
    path += strlen ("/private");

  if (strcmp (path, "/upload") == 0)
    {
      if (strcmp (method, SOUP_METHOD_POST) == 0 || strcmp (method, SOUP_METHOD_PUT) == 0)
        serve_upload (msg);
      else
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Allow", "POST, PUT");
          serve_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "POST or PUT a body here.\n");
        }
      return;
    }

  if (g_str_has_prefix (path, "/api/"))
    {
      serve_api (msg, path, query);
      return;
    }

  if (strcmp (method, SOUP_METHOD_GET) != 0 && strcmp (method, SOUP_METHOD_HEAD) != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD");
      serve_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Only GET and HEAD are served here.\n");
      return;
    }

  if (rate_text != NULL && !parse_rate (rate_text, &rate))
    {
      serve_text (msg, SOUP_STATUS_BAD_REQUEST, "rate wants a number of bytes per second, e.g. 100M\n");
      return;
    }

  if (strcmp (path, "/") == 0)
    serve_text (msg, SOUP_STATUS_OK,
                "Hello from the Ladle demo server.\n"
                "\n"
                "/bytes/N      N bytes (byte i is i % 251), as fast as you read them; Range, If-Range;\n"
                "              ?rate=100M limits the speed (bytes per second)\n"
                "/slow/N       the same bytes, dripped\n"
                "/status/CODE  an empty response with that status\n"
                "/upload       POST or PUT a body (multipart/form-data or anything): JSON of what arrived\n"
                "/private/...  the same behind Basic authentication\n"
                "/api/echo     JSON of the request (method, query, JSON or form body)\n"
                "/api/status/CODE  a JSON error with that status\n");
  else if (g_str_has_prefix (path, "/bytes/") && parse_length (path + strlen ("/bytes/"), &length))
    serve_pattern (msg, length, FAST_CHUNK_SIZE, 0, rate);
  else if (g_str_has_prefix (path, "/slow/") && parse_length (path + strlen ("/slow/"), &length))
    serve_pattern (msg, length, SLOW_CHUNK_SIZE, SLOW_INTERVAL_MS, 0);
  else if (g_str_has_prefix (path, "/status/") &&
           g_ascii_string_to_unsigned (path + strlen ("/status/"), 10, 200, 599, &code, NULL))
    soup_server_message_set_status (msg, (guint) code, NULL);
  else
    serve_text (msg, SOUP_STATUS_NOT_FOUND, "Not found.\n");
}

typedef struct
{
  char *user;
  char *password;
} Credentials;

static gboolean
check_password (SoupAuthDomain    *domain,
                SoupServerMessage *msg,
                const char        *username,
                const char        *password,
                gpointer           user_data)
{
  Credentials *credentials = user_data;

  return g_strcmp0 (username, credentials->user) == 0 &&
         g_strcmp0 (password, credentials->password) == 0;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_main_loop_quit (loop);

  return G_SOURCE_CONTINUE;
}

static GBytes *
make_pattern (void)
{
  gsize size = FAST_CHUNK_SIZE + PATTERN_PERIOD;
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i % PATTERN_PERIOD);

  return g_bytes_new_take (data, size);
}

int
main (int   argc,
      char *argv[])
{
  int port = 0;
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port to listen on (default: a free one)", "PORT" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "User name for /private/ (default: demo)", "USER" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &password, "Password for /private/ (default: demo)", "PASSWORD" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log each request on standard error", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (SoupAuthDomain) domain = NULL;
  g_autoptr (GError) error = NULL;
  g_autoslist (GUri) uris = NULL;
  Credentials credentials;

  context = g_option_context_new ("- serve test bodies on 127.0.0.1");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ladle-demo-server: %s\n", error->message);
      return 2;
    }
  if (argc != 1 || port < 0 || port > 65535)
    {
      g_printerr ("Usage: ladle-demo-server [--port PORT] [--user USER] [--password PASSWORD] [--verbose]\n");
      return 2;
    }
  credentials.user = user ? user : "demo";
  credentials.password = password ? password : "demo";

  pattern = make_pattern ();
  loop = g_main_loop_new (NULL, FALSE);

  /* Before the URL is printed: whoever read it may stop us at once. */
  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  server = soup_server_new ("server-header", "ladle-demo-server ", NULL);
  g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), NULL);
  soup_server_add_handler (server, NULL, handle_request, NULL, NULL);

  domain = soup_auth_domain_basic_new ("realm", "Ladle demo", NULL);
  soup_auth_domain_basic_set_auth_callback (domain, check_password, &credentials, NULL);
  soup_auth_domain_add_path (domain, "/private");
  soup_server_add_auth_domain (server, domain);

  if (!soup_server_listen_local (server, (guint) port, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      g_printerr ("ladle-demo-server: cannot listen: %s\n", error->message);
      return 1;
    }

  uris = soup_server_get_uris (server);
  g_assert (uris != NULL);

  /* The URL is the contract with whoever started us: first line, flushed at once. */
  g_print ("http://127.0.0.1:%d/\n", g_uri_get_port (uris->data));
  fflush (stdout);

  g_main_loop_run (loop);

  soup_server_disconnect (server);
  g_clear_pointer (&pattern, g_bytes_unref);

  return 0;
}
