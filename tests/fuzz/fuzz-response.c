/* fuzz-response.c: network input, end to end, through a download and a data task.
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: one options byte, then a raw HTTP response (head and body) that a fake server writes
 * byte-exact on every connection, then closes. The session reaches the server as its HTTP proxy
 * (a GSimpleProxyResolver), so that any host a redirect names comes back to it without DNS.
 *
 * Options byte:
 *   bit 0      0: a fresh download; 1: a download made from resume data, whose partial file
 *              holds N bytes and whose validator is a strong ETag
 *   bits 1-2   N: 1, 5, 10 or 100
 *   bit 3      the resume data's expected total: -1 (unknown) or N (the partial file is complete)
 *   bit 4      the resume data has a Last-Modified date too
 *
 * Per input, one LadleDownloadTask and one LadleDataTask run together against the server, to
 * completion, with a deadline (then both are cancelled). Invariants, any violation aborts:
 *   - each task emits ::completed exactly once, with an error iff it failed;
 *   - a data task that succeeded received exactly its body, and exactly Content-Length bytes
 *     when the response had a Content-Length (and a body);
 *   - a download that succeeded with a 2xx status left a destination file with exactly the body
 *     (after the N bytes of the partial file for a 206 resume, only them for a 416 resume);
 *     one that failed, or answered otherwise, left no destination file;
 *   - the suggested file name, made by ladle_sanitize_filename(), has no '/' or '\\' and is
 *     never empty, "." or "..";
 *   - no GLib warning or critical.
 */

#include <glib/gstdio.h>
#include <ladle.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

#define FUZZ_URL        "http://fuzz.test/files/report.bin"
#define FUZZ_ETAG       "\"fuzz-etag-1\""
#define FUZZ_DATE       "Tue, 01 Oct 2024 10:00:00 GMT"
#define PARTIAL_NAME    "fuzz-partial.part"
#define DEADLINE_MS     2000
#define GRACE_MS        5000

static const gsize partial_sizes[] = { 1, 5, 10, 100 };

typedef struct
{
  GMutex        lock;
  GBytes       *response;
  GSocket      *listener;
  guint16       port;
  guint         n_connections;
} FakeServer;

static FakeServer server;

typedef struct
{
  LadleSession *session;
  char         *state_dir;
  char         *downloads_dir;
  char         *destination_dir;
  GFile        *destination;
} Globals;

static Globals globals;

typedef struct
{
  LadleTask *task;
  guint      n_completed;
  GError    *error;
} Watch;

/* The fake server */

static gboolean
read_request_head (GSocket *socket)
{
  char buffer[4096];
  GString *head = g_string_new (NULL);
  gboolean complete = FALSE;

  while (head->len < 65536)
    {
      gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL);

      if (n <= 0)
        break;
      g_string_append_len (head, buffer, n);
      if (strstr (head->str, "\r\n\r\n") != NULL)
        {
          complete = TRUE;
          break;
        }
    }
  g_string_free (head, TRUE);

  return complete;
}

static gpointer
server_thread (gpointer user_data)
{
  for (;;)
    {
      g_autoptr(GSocket) socket = g_socket_accept (server.listener, NULL, NULL);
      g_autoptr(GBytes) response = NULL;
      const char *data;
      gsize length;
      gsize written = 0;

      if (socket == NULL)
        continue;
      g_socket_set_blocking (socket, TRUE);
      g_socket_set_timeout (socket, 10);

      g_mutex_lock (&server.lock);
      server.n_connections++;
      response = server.response ? g_bytes_ref (server.response) : NULL;
      g_mutex_unlock (&server.lock);

      if (response != NULL && read_request_head (socket))
        {
          data = g_bytes_get_data (response, &length);
          while (written < length)
            {
              gssize n = g_socket_send (socket, data + written, length - written, NULL, NULL);

              if (n <= 0)
                break;
              written += n;
            }
        }
      /* FIN, not RST: the client reads everything that was written. */
      g_socket_shutdown (socket, FALSE, TRUE, NULL);
      g_socket_close (socket, NULL);
    }

  return NULL;
}

static void
server_start (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_mutex_init (&server.lock);
  server.listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  fuzz_check (server.listener != NULL);
  fuzz_check (g_socket_bind (server.listener, address, TRUE, &error));
  fuzz_check (g_socket_listen (server.listener, &error));
  g_socket_set_blocking (server.listener, TRUE);
  bound = g_socket_get_local_address (server.listener, &error);
  server.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_thread_unref (g_thread_new ("fuzz-server", server_thread, NULL));
}

static void
server_set_response (GBytes *response)
{
  g_mutex_lock (&server.lock);
  g_clear_pointer (&server.response, g_bytes_unref);
  server.response = g_bytes_ref (response);
  g_mutex_unlock (&server.lock);
}

/* libsoup 3.2.3 reads "Content-Length: -12" as -12 (g_ascii_strtoull, cast) and gives it to
 * its body stream, whose "content-length" property refuses it with a GObject warning; the body
 * is then read to the end of the connection. The warning is libsoup's: tolerated, and what Ladle
 * makes of such a response is checked like any other (reproducer:
 * tests/fuzz/crashes/libsoup-negative-content-length). */
static gboolean
warning_is_known (const char *domain,
                  const char *message)
{
  return g_strcmp0 (domain, "GLib-GObject") == 0 && message != NULL &&
         strstr (message, "is invalid or out of range for property 'content-length'") != NULL;
}

/* Set up once */

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(LadleSessionConfiguration) configuration = NULL;
  g_autoptr(GProxyResolver) resolver = NULL;
  g_autofree char *proxy = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_warning_is_known = warning_is_known;
  fuzz_install_log_writer ();
  /* Only the fake server: the environment's proxies and network settings play no part. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GIO_USE_VFS", "local", TRUE);

  server_start ();

  globals.state_dir = g_dir_make_tmp ("ladle-fuzz-XXXXXX", &error);
  fuzz_check (globals.state_dir != NULL);
  globals.downloads_dir = g_build_filename (globals.state_dir, "downloads", NULL);
  globals.destination_dir = g_build_filename (globals.state_dir, "out", NULL);
  fuzz_check (g_mkdir_with_parents (globals.downloads_dir, 0700) == 0);
  fuzz_check (g_mkdir_with_parents (globals.destination_dir, 0700) == 0);
  {
    g_autofree char *path = g_build_filename (globals.destination_dir, "download.bin", NULL);

    globals.destination = g_file_new_for_path (path);
  }

  proxy = g_strdup_printf ("http://127.0.0.1:%u", server.port);
  resolver = g_simple_proxy_resolver_new (proxy, NULL);
  configuration = ladle_session_configuration_new_ephemeral ();
  ladle_session_configuration_set_state_directory (configuration, globals.state_dir);
  ladle_session_configuration_set_proxy_resolver (configuration, resolver);
  globals.session = ladle_session_new (configuration);

  return 0;
}

/* One input */

static void
completed_cb (LadleTask    *task,
              const GError *error,
              gpointer      user_data)
{
  Watch *watch = user_data;

  watch->n_completed++;
  fuzz_check (watch->n_completed == 1);
  fuzz_check (ladle_task_get_state (task) == LADLE_TASK_STATE_COMPLETED);
  if (error != NULL)
    watch->error = g_error_copy (error);
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static void
watch_start (Watch     *watch,
             LadleTask *task)
{
  watch->task = task;
  g_signal_connect (task, "completed", G_CALLBACK (completed_cb), watch);
  ladle_task_resume (task);
}

/* Slow runs (valgrind) scale the deadlines, as the C tests do. */
static guint
scaled (guint milliseconds)
{
  const char *multiplier = g_getenv ("LADLE_TEST_TIMEOUT_MULTIPLIER");
  guint64 factor = 1;

  if (multiplier != NULL && !g_ascii_string_to_unsigned (multiplier, 10, 1, 100, &factor, NULL))
    factor = 1;

  return milliseconds * factor;
}

static void
run_until_completed (Watch *download,
                     Watch *data)
{
  gboolean expired = FALSE;
  gboolean hung = FALSE;
  guint deadline = g_timeout_add (scaled (DEADLINE_MS), deadline_cb, &expired);
  guint grace = 0;

  while (download->n_completed == 0 || data->n_completed == 0)
    {
      g_main_context_iteration (NULL, TRUE);
      if (expired && grace == 0)
        {
          /* A response that never ends (a 1xx loop, say): cancelling must still complete. */
          ladle_task_cancel (download->task);
          ladle_task_cancel (data->task);
          grace = g_timeout_add (scaled (GRACE_MS), deadline_cb, &hung);
        }
      if (hung)
        {
          fprintf (stderr, "fuzz: a cancelled task did not complete within %d ms\n", GRACE_MS);
          abort ();
        }
    }
  if (!expired)
    g_source_remove (deadline);
  if (grace != 0 && !hung)
    g_source_remove (grace);

  /* Nothing more may be emitted: a second ::completed would show here. */
  for (guint i = 0; i < 50 && g_main_context_iteration (NULL, FALSE); i++)
    ;
  fuzz_check (download->n_completed == 1);
  fuzz_check (data->n_completed == 1);
}

static gboolean
status_has_body (guint status)
{
  return !SOUP_STATUS_IS_INFORMATIONAL (status) &&
         status != SOUP_STATUS_NO_CONTENT &&
         status != SOUP_STATUS_NOT_MODIFIED;
}

/* The Content-Length libsoup frames the body with, -1 for none. A negative one is malformed
 * (libsoup does not refuse it: see warning_is_known()), and gives no length to check against. */
static gint64
content_length_of (SoupMessageHeaders *headers)
{
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    return -1;

  return MAX (soup_message_headers_get_content_length (headers), -1);
}

static void
check_filename (const char *name)
{
  fuzz_check (name != NULL);
  fuzz_check (name[0] != '\0');
  fuzz_check (strcmp (name, ".") != 0);
  fuzz_check (strcmp (name, "..") != 0);
  fuzz_check (strchr (name, '/') == NULL);
  fuzz_check (strchr (name, '\\') == NULL);
  fuzz_check (g_utf8_validate (name, -1, NULL));
  fuzz_check (strlen (name) <= 200);
}

/* A data task that succeeded: the body it kept is what it counted, and Content-Length long. */
static void
check_data_task (LadleDataTask *task,
                 const Watch   *watch)
{
  SoupMessageHeaders *headers = ladle_task_get_response_headers (LADLE_TASK (task));
  guint status = ladle_task_get_status_code (LADLE_TASK (task));
  g_autoptr(GBytes) body = ladle_data_task_dup_body (task);
  gsize length = body ? g_bytes_get_size (body) : 0;

  if (watch->error != NULL)
    return;

  fuzz_check (headers != NULL);
  fuzz_check (ladle_task_get_bytes_received (LADLE_TASK (task)) == (gint64)length);
  if (!status_has_body (status))
    fuzz_check (length == 0);
  else if (content_length_of (headers) >= 0)
    fuzz_check ((gint64)length == content_length_of (headers));
}

static GBytes *
read_file (const char *path)
{
  char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return NULL;

  return g_bytes_new_take (contents, length);
}

static void
check_download (LadleDownloadTask *task,
                const Watch       *watch,
                gboolean           resumed,
                GBytes            *partial,
                LadleDataTask     *data_task,
                const Watch       *data_watch)
{
  g_autofree char *path = g_file_get_path (globals.destination);
  g_autoptr(GBytes) written = read_file (path);
  g_autofree char *suggested = ladle_download_task_dup_suggested_filename (task);
  SoupMessageHeaders *headers = ladle_task_get_response_headers (LADLE_TASK (task));
  guint status = ladle_task_get_status_code (LADLE_TASK (task));
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GByteArray) expected = NULL;

  if (suggested != NULL)
    check_filename (suggested);

  if (watch->error != NULL)
    {
      fuzz_check (written == NULL);
      return;
    }

  fuzz_check (headers != NULL);
  /* A resumed download only succeeds with 200, 206 or a 416 that proves the file complete. */
  if (resumed)
    fuzz_check (status == SOUP_STATUS_OK || status == SOUP_STATUS_PARTIAL_CONTENT ||
                status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status) &&
      !(resumed && status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE))
    {
      /* Only a 2xx body goes to the destination. */
      fuzz_check (written == NULL);
      return;
    }
  fuzz_check (written != NULL);

  if (resumed && status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
    {
      fuzz_check (g_bytes_equal (written, partial));
      return;
    }

  if (resumed && status == SOUP_STATUS_PARTIAL_CONTENT)
    fuzz_check (g_bytes_get_size (written) >= g_bytes_get_size (partial) &&
                memcmp (g_bytes_get_data (written, NULL), g_bytes_get_data (partial, NULL),
                        g_bytes_get_size (partial)) == 0);

  fuzz_check (ladle_task_get_bytes_received (LADLE_TASK (task)) == (gint64)g_bytes_get_size (written));
  if (!status_has_body (status))
    fuzz_check (g_bytes_get_size (written) == (resumed ? g_bytes_get_size (partial) : 0));
  else if (content_length_of (headers) >= 0)
    fuzz_check ((gint64)g_bytes_get_size (written) ==
                (resumed && status == SOUP_STATUS_PARTIAL_CONTENT ? (gint64)g_bytes_get_size (partial) : 0) +
                content_length_of (headers));

  /* The data task read the same response from the same bytes, with no decoder either: the
   * body after the partial file is its body. */
  if (data_watch->error != NULL || ladle_task_get_status_code (LADLE_TASK (data_task)) != status)
    return;
  body = ladle_data_task_dup_body (data_task);
  expected = g_byte_array_new ();
  if (resumed && status == SOUP_STATUS_PARTIAL_CONTENT)
    g_byte_array_append (expected, g_bytes_get_data (partial, NULL), g_bytes_get_size (partial));
  if (body != NULL)
    g_byte_array_append (expected, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (expected->len != g_bytes_get_size (written))
    fprintf (stderr, "fuzz: the download wrote %" G_GSIZE_FORMAT " bytes, the data task received %u\n",
             g_bytes_get_size (written), expected->len);
  if (expected->len != g_bytes_get_size (written) && g_getenv ("LADLE_FUZZ_VERBOSE") != NULL)
    {
      g_autofree char *dump = g_strescape (g_bytes_get_data (written, NULL) ? g_strndup (g_bytes_get_data (written, NULL), g_bytes_get_size (written)) : "", NULL);

      fprintf (stderr, "fuzz: the download wrote \"%s\"\n", dump);
    }
  fuzz_check (expected->len == g_bytes_get_size (written));
  fuzz_check (expected->len == 0 || memcmp (expected->data, g_bytes_get_data (written, NULL), expected->len) == 0);
}

static GBytes *
make_resume_data (gsize    partial_size,
                  gint64   expected_total,
                  gboolean with_date)
{
  g_auto(GVariantBuilder) headers = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ss)"));
  g_autoptr(GVariantDict) dict = g_variant_dict_new (NULL);
  g_autoptr(GVariant) variant = NULL;

  g_variant_builder_add (&headers, "(ss)", "Accept", "*/*");
  g_variant_dict_insert (dict, "format", "s", "org.gnome.Ladle.ResumeData");
  g_variant_dict_insert (dict, "version", "u", 1);
  g_variant_dict_insert (dict, "url", "s", FUZZ_URL);
  g_variant_dict_insert (dict, "method", "s", "GET");
  g_variant_dict_insert_value (dict, "headers", g_variant_builder_end (&headers));
  g_variant_dict_insert (dict, "partial-file", "s", PARTIAL_NAME);
  g_variant_dict_insert (dict, "bytes-received", "t", (guint64)partial_size);
  g_variant_dict_insert (dict, "expected-total", "x", expected_total);
  g_variant_dict_insert (dict, "etag", "s", FUZZ_ETAG);
  if (with_date)
    g_variant_dict_insert (dict, "last-modified", "s", FUZZ_DATE);

  variant = g_variant_ref_sink (g_variant_dict_end (dict));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (variant);

      g_variant_unref (variant);
      variant = swapped;
    }

  return g_variant_get_data_as_bytes (variant);
}

static void
empty_directory (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_unlink (child);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GBytes) partial = NULL;
  g_autoptr(LadleDownloadTask) download = NULL;
  g_autoptr(LadleDataTask) data_task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  Watch download_watch = { 0, };
  Watch data_watch = { 0, };
  gboolean resumed;
  guint8 options;

  if (size < 1 || size > 65536)
    return 0;
  if (globals.session == NULL)
    LLVMFuzzerInitialize (NULL, NULL);

  options = data[0];
  resumed = options & 1;
  response = g_bytes_new (data + 1, size - 1);
  server_set_response (response);

  empty_directory (globals.downloads_dir);
  empty_directory (globals.destination_dir);

  if (resumed)
    {
      gsize partial_size = partial_sizes[(options >> 1) & 3];
      g_autofree guint8 *contents = g_malloc (partial_size);
      g_autofree char *partial_path = g_build_filename (globals.downloads_dir, PARTIAL_NAME, NULL);
      g_autoptr(GBytes) resume_data = NULL;
      g_autoptr(GError) error = NULL;

      for (gsize i = 0; i < partial_size; i++)
        contents[i] = 'a' + i % 26;
      partial = g_bytes_new (contents, partial_size);
      fuzz_check (g_file_set_contents (partial_path, (const char *)contents, partial_size, NULL));
      resume_data = make_resume_data (partial_size, options & 8 ? (gint64)partial_size : -1, options & 16);
      download = ladle_session_create_download_task_from_resume_data (globals.session, resume_data, &error);
      if (download == NULL)
        {
          fprintf (stderr, "fuzz: resume data refused: %s\n", error->message);
          abort ();
        }
    }
  else
    {
      message = soup_message_new ("GET", FUZZ_URL);
      download = ladle_session_create_download_task (globals.session, message);
      g_clear_object (&message);
    }
  ladle_download_task_set_destination (download, globals.destination, LADLE_DESTINATION_FLAGS_REPLACE);
  ladle_task_set_max_redirects (LADLE_TASK (download), 2);

  message = soup_message_new ("GET", FUZZ_URL);
  /* The same bytes as the download: no decoding. */
  soup_message_disable_feature (message, SOUP_TYPE_CONTENT_DECODER);
  data_task = ladle_session_create_data_task (globals.session, message);
  ladle_task_set_max_redirects (LADLE_TASK (data_task), 2);

  watch_start (&download_watch, LADLE_TASK (download));
  watch_start (&data_watch, LADLE_TASK (data_task));
  run_until_completed (&download_watch, &data_watch);

  if (g_getenv ("LADLE_FUZZ_VERBOSE") != NULL)
    {
      g_autofree char *suggested = ladle_download_task_dup_suggested_filename (download);

      fprintf (stderr, "#   download: %u, %" G_GINT64_FORMAT " bytes, %s; suggested %s\n",
              ladle_task_get_status_code (LADLE_TASK (download)),
              ladle_task_get_bytes_received (LADLE_TASK (download)),
              download_watch.error ? download_watch.error->message : "success", suggested);
      fprintf (stderr, "#   data: %u, %" G_GINT64_FORMAT " bytes, %s\n",
              ladle_task_get_status_code (LADLE_TASK (data_task)),
              ladle_task_get_bytes_received (LADLE_TASK (data_task)),
              data_watch.error ? data_watch.error->message : "success");
    }
  check_data_task (data_task, &data_watch);
  check_download (download, &download_watch, resumed, partial, data_task, &data_watch);

  g_clear_error (&download_watch.error);
  g_clear_error (&data_watch.error);
  g_signal_handlers_disconnect_by_data (download, &download_watch);
  g_signal_handlers_disconnect_by_data (data_task, &data_watch);
  g_clear_object (&download);
  g_clear_object (&data_task);
  /* No connection outlives its input: the next one must not find a pooled socket. */
  soup_session_abort (ladle_session_get_soup_session (globals.session));
  for (guint i = 0; i < 50 && g_main_context_iteration (NULL, FALSE); i++)
    ;

  return 0;
}
