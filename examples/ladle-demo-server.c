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
 *
 * The byte at offset i of a /bytes or /slow body is (i % 251): a client can check what it
 * received without the server ever holding a body in memory, whatever N is.
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <libsoup/soup.h>

#define PATTERN_PERIOD  251
#define FAST_CHUNK_SIZE (64 * 1024)
#define SLOW_CHUNK_SIZE (16 * 1024)
#define SLOW_INTERVAL_MS 25

static gboolean verbose = FALSE;

/* One buffer of FAST_CHUNK_SIZE + PATTERN_PERIOD pattern bytes: a chunk that starts at any body
 * offset is a slice of it, so sending N bytes allocates nothing proportional to N. */
static GBytes *pattern;

typedef struct
{
  SoupServerMessage *msg;            /* unowned: this struct lives as data on it */
  goffset            offset;
  goffset            length;
  gsize              chunk_size;
  guint              interval_ms;
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

  if (writer->finished)
    return;

  if (writer->interval_ms == 0 || writer->offset >= writer->length)
    body_writer_append_next (writer);
  else if (writer->timeout_id == 0)
    writer->timeout_id = g_timeout_add (writer->interval_ms, body_writer_drip, writer);
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

static void
serve_pattern (SoupServerMessage *msg,
               goffset            length,
               gsize              chunk_size,
               guint              interval_ms)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  BodyWriter *writer;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "application/octet-stream", NULL);
  soup_message_headers_set_content_length (headers, length);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_HEAD) == 0)
    return;

  writer = g_new0 (BodyWriter, 1);
  writer->msg = msg;
  writer->length = length;
  writer->chunk_size = chunk_size;
  writer->interval_ms = interval_ms;
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

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  const char *method = soup_server_message_get_method (msg);
  goffset length;
  guint64 code;

  if (verbose)
    g_printerr ("ladle-demo-server: %s %s\n", method, path);

  if (strcmp (method, SOUP_METHOD_GET) != 0 && strcmp (method, SOUP_METHOD_HEAD) != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD");
      serve_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Only GET and HEAD are served here.\n");
      return;
    }

  if (strcmp (path, "/") == 0)
    serve_text (msg, SOUP_STATUS_OK,
                "Hello from the Ladle demo server.\n"
                "\n"
                "/bytes/N      N bytes (byte i is i % 251), as fast as you read them\n"
                "/slow/N       the same bytes, dripped\n"
                "/status/CODE  an empty response with that status\n");
  else if (g_str_has_prefix (path, "/bytes/") && parse_length (path + strlen ("/bytes/"), &length))
    serve_pattern (msg, length, FAST_CHUNK_SIZE, 0);
  else if (g_str_has_prefix (path, "/slow/") && parse_length (path + strlen ("/slow/"), &length))
    serve_pattern (msg, length, SLOW_CHUNK_SIZE, SLOW_INTERVAL_MS);
  else if (g_str_has_prefix (path, "/status/") &&
           g_ascii_string_to_unsigned (path + strlen ("/status/"), 10, 200, 599, &code, NULL))
    soup_server_message_set_status (msg, (guint) code, NULL);
  else
    serve_text (msg, SOUP_STATUS_NOT_FOUND, "Not found.\n");
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
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port to listen on (default: a free one)", "PORT" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log each request on standard error", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GError) error = NULL;
  g_autoslist (GUri) uris = NULL;

  context = g_option_context_new ("- serve test bodies on 127.0.0.1");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ladle-demo-server: %s\n", error->message);
      return 2;
    }
  if (argc != 1 || port < 0 || port > 65535)
    {
      g_printerr ("Usage: ladle-demo-server [--port PORT] [--verbose]\n");
      return 2;
    }

  pattern = make_pattern ();
  loop = g_main_loop_new (NULL, FALSE);

  /* Before the URL is printed: whoever read it may stop us at once. */
  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  server = soup_server_new ("server-header", "ladle-demo-server ", NULL);
  soup_server_add_handler (server, NULL, handle_request, NULL, NULL);

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
