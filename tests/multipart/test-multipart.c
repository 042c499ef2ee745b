/* test-multipart.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * LadleMultipartForm and LadleMultipartInputStream: the exact length, the bytes on the wire
 * (parsed back with libsoup's multipart parser), lazy files, changed files, field checks, sync
 * and async reads, and a real upload through libsoup to an in-process server.
 */

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <ladle.h>

#include "ladle-test.h"

#define CHUNK_SIZE (64 * 1024)

static char *tmp_dir;
static GThread *main_thread;

/* Helpers */

static GFile *
make_file (const char   *name,
           const guint8 *data,
           gsize         length)
{
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, (const char *) data, length, &error);
  g_assert_no_error (error);

  return g_file_new_for_path (path);
}

static GFile *
make_sparse_file (const char *name,
                  goffset     size)
{
  GFile *file = make_file (name, NULL, 0);
  g_autofree char *path = g_file_get_path (file);

  g_assert_cmpint (truncate (path, size), ==, 0);

  return file;
}

static void
remove_file (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);

  g_assert_cmpint (g_unlink (path), ==, 0);
}

static GBytes *
random_bytes (gsize   length,
              guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint8 *data = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    data[i] = g_rand_int (rand) & 0xff;

  return g_bytes_new_take (data, length);
}

/* Reads @stream to its end; on failure, @partial (if not NULL) gets how much was read. */
static GBytes *
read_all_full (GInputStream  *stream,
               gsize          chunk,
               gsize         *partial,
               GError       **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree guint8 *buffer = g_malloc (chunk);

  for (;;)
    {
      gssize n = g_input_stream_read (stream, buffer, chunk, NULL, error);

      if (n < 0)
        {
          if (partial != NULL)
            *partial = out->len;
          return NULL;
        }
      if (n == 0)
        break;
      g_assert_cmpint (n, <=, chunk);
      g_byte_array_append (out, buffer, n);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static GBytes *
read_all (GInputStream  *stream,
          gsize          chunk,
          GError       **error)
{
  return read_all_full (stream, chunk, NULL, error);
}

typedef struct
{
  GInputStream *stream;
  guint8       *buffer;
  gsize         chunk;
  GByteArray   *out;
  GError       *error;
  gboolean      done;
} AsyncRead;

static void
async_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  AsyncRead *read = user_data;
  gssize n = g_input_stream_read_finish (read->stream, result, &read->error);

  g_assert_true (g_thread_self () == main_thread);

  if (n <= 0)
    {
      read->done = TRUE;
      return;
    }

  g_byte_array_append (read->out, read->buffer, n);
  g_input_stream_read_async (read->stream, read->buffer, read->chunk, G_PRIORITY_DEFAULT, NULL,
                             async_read_cb, read);
}

static GBytes *
read_all_async_full (GInputStream  *stream,
                     gsize          chunk,
                     GCancellable  *cancellable,
                     gsize         *partial,
                     GError       **error)
{
  AsyncRead read = { stream, g_malloc (chunk), chunk, g_byte_array_new (), NULL, FALSE };

  g_input_stream_read_async (stream, read.buffer, chunk, G_PRIORITY_DEFAULT, cancellable,
                             async_read_cb, &read);
  while (!read.done)
    g_main_context_iteration (NULL, TRUE);

  g_free (read.buffer);
  if (read.error != NULL)
    {
      if (partial != NULL)
        *partial = read.out->len;
      g_byte_array_unref (read.out);
      g_propagate_error (error, read.error);
      return NULL;
    }

  return g_byte_array_free_to_bytes (read.out);
}

static GBytes *
read_all_async (GInputStream  *stream,
                gsize          chunk,
                GError       **error)
{
  return read_all_async_full (stream, chunk, NULL, NULL, error);
}


static GBytes *
read_form (LadleMultipartForm *form,
           gsize               chunk)
{
  g_autoptr(GInputStream) stream = ladle_multipart_form_new_stream (form);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  g_assert_true (LADLE_IS_MULTIPART_INPUT_STREAM (stream));
  body = read_all (stream, chunk, &error);
  g_assert_no_error (error);
  g_input_stream_close (stream, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (g_bytes_get_size (body), ==, ladle_multipart_form_get_content_length (form));

  return g_steal_pointer (&body);
}

static SoupMultipart *
parse_body (LadleMultipartForm *form,
            GBytes             *body)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  SoupMultipart *multipart;

  soup_message_headers_replace (headers, "Content-Type", ladle_multipart_form_get_content_type (form));
  multipart = soup_multipart_new_from_message (headers, body);
  g_assert_nonnull (multipart);

  return multipart;
}

/* Checks part @index of @multipart: its Content-Disposition, its Content-Type (NULL: none),
 * and its bytes. */
static void
check_part (SoupMultipart *multipart,
            int            index,
            const char    *name,
            const char    *filename,
            const char    *content_type,
            GBytes        *content)
{
  SoupMessageHeaders *headers;
  GBytes *body;
  g_autofree char *disposition = NULL;
  GHashTable *params = NULL;

  g_assert_true (soup_multipart_get_part (multipart, index, &headers, &body));
  g_assert_true (soup_message_headers_get_content_disposition (headers, &disposition, &params));
  g_assert_cmpstr (disposition, ==, "form-data");
  g_assert_cmpstr (g_hash_table_lookup (params, "name"), ==, name);
  g_assert_cmpstr (g_hash_table_lookup (params, "filename"), ==, filename);
  g_assert_cmpuint (g_hash_table_size (params), ==, filename != NULL ? 2 : 1);
  g_hash_table_destroy (params);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Type"), ==, content_type);
  g_assert_true (g_bytes_equal (body, content));
}

typedef struct
{
  GBytes       *content;
  guint         calls;
  gboolean      destroyed;
  GThread      *thread;
  GInputStream *last;
} StreamSource;

static GInputStream *
memory_factory (gpointer user_data)
{
  StreamSource *source = user_data;
  GInputStream *stream = g_memory_input_stream_new_from_bytes (source->content);

  source->calls++;
  source->thread = g_thread_self ();
  g_set_object (&source->last, stream);

  return stream;
}

static GInputStream *
null_factory (gpointer user_data)
{
  StreamSource *source = user_data;

  source->calls++;
  return NULL;
}

static void
stream_source_release (gpointer user_data)
{
  StreamSource *source = user_data;

  g_assert_false (source->destroyed);
  source->destroyed = TRUE;
}

static void
stream_source_clear (StreamSource *source)
{
  g_clear_pointer (&source->content, g_bytes_unref);
  g_clear_object (&source->last);
}

/* Tests */

static void
test_boundary (void)
{
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  g_autoptr(LadleMultipartForm) other = ladle_multipart_form_new ();
  const char *boundary = ladle_multipart_form_get_boundary (form);
  g_autofree char *content_type = g_strconcat ("multipart/form-data; boundary=", boundary, NULL);
  g_autofree char *property = NULL;

  g_assert_true (g_str_has_prefix (boundary, "ladle-"));
  g_assert_cmpuint (strlen (boundary), ==, 6 + 32);
  for (const char *p = boundary + 6; *p != '\0'; p++)
    g_assert_true (g_ascii_isalnum (*p));
  g_assert_cmpstr (boundary, !=, ladle_multipart_form_get_boundary (other));
  g_assert_cmpstr (ladle_multipart_form_get_content_type (form), ==, content_type);

  g_object_get (form, "boundary", &property, NULL);
  g_assert_cmpstr (property, ==, boundary);
}

static void
test_empty (void)
{
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  g_autoptr(GBytes) body = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpuint (ladle_multipart_form_get_n_parts (form), ==, 0);
  body = read_form (form, CHUNK_SIZE);
  expected = g_strdup_printf ("--%s--\r\n", ladle_multipart_form_get_boundary (form));
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), expected, strlen (expected));
}

/* The exact bytes a browser sends for the same form. */
static void
test_format (void)
{
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  g_autoptr(GBytes) png = g_bytes_new_static ("\x89PNG\r\n", 6);
  g_autoptr(GBytes) blob = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  const char *b = ladle_multipart_form_get_boundary (form);

  g_assert_true (ladle_multipart_form_append_text (form, "title", "Hello, world", &error));
  g_assert_no_error (error);
  g_assert_true (ladle_multipart_form_append_text (form, "empty", "", &error));
  g_assert_true (ladle_multipart_form_append_bytes (form, "picture", "tiny.png", NULL, png, &error));
  g_assert_true (ladle_multipart_form_append_bytes (form, "blob", NULL, NULL, blob, &error));
  g_assert_true (ladle_multipart_form_append_bytes (form, "doc", "a.data", "application/x-ladle-test",
                                                    png, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ladle_multipart_form_get_n_parts (form), ==, 5);

  expected = g_strdup_printf ("--%s\r\n"
                              "Content-Disposition: form-data; name=\"title\"\r\n"
                              "\r\n"
                              "Hello, world\r\n"
                              "--%s\r\n"
                              "Content-Disposition: form-data; name=\"empty\"\r\n"
                              "\r\n"
                              "\r\n"
                              "--%s\r\n"
                              "Content-Disposition: form-data; name=\"picture\"; filename=\"tiny.png\"\r\n"
                              "Content-Type: image/png\r\n"
                              "\r\n"
                              "\x89PNG\r\n\r\n"
                              "--%s\r\n"
                              "Content-Disposition: form-data; name=\"blob\"\r\n"
                              "Content-Type: application/octet-stream\r\n"
                              "\r\n"
                              "\r\n"
                              "--%s\r\n"
                              "Content-Disposition: form-data; name=\"doc\"; filename=\"a.data\"\r\n"
                              "Content-Type: application/x-ladle-test\r\n"
                              "\r\n"
                              "\x89PNG\r\n\r\n"
                              "--%s--\r\n",
                              b, b, b, b, b, b);
  g_assert_cmpint (ladle_multipart_form_get_content_length (form), ==, strlen (expected));

  body = read_form (form, CHUNK_SIZE);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), expected, strlen (expected));
  g_clear_pointer (&body, g_bytes_unref);
  body = read_form (form, 1);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), expected, strlen (expected));
}

/* One form with every kind of part, read in chunks of several sizes: the length is exact and
 * libsoup's parser finds every part. */
static LadleMultipartForm *
make_every_kind_form (GBytes       *file_content,
                      GFile       **file_out,
                      StreamSource *source)
{
  LadleMultipartForm *form = ladle_multipart_form_new ();
  g_autoptr(GBytes) small = random_bytes (1000, 2);
  g_autoptr(GError) error = NULL;
  GFile *file;

  file = make_file ("every kind.bin", g_bytes_get_data (file_content, NULL), g_bytes_get_size (file_content));

  g_assert_true (ladle_multipart_form_append_text (form, "text", "Grüße\r\nline two", &error));
  g_assert_true (ladle_multipart_form_append_bytes (form, "bytes", "small.dat", "application/x-small",
                                                    small, &error));
  g_assert_true (ladle_multipart_form_append_file (form, "file", file, NULL, NULL, NULL, &error));
  g_assert_true (ladle_multipart_form_append_stream (form, "stream", "streamed.txt", NULL,
                                                     g_bytes_get_size (source->content),
                                                     memory_factory, source, stream_source_release,
                                                     &error));
  g_assert_true (ladle_multipart_form_append_file (form, "renamed", file, "other.json", "application/json",
                                                   NULL, &error));
  g_assert_no_error (error);

  *file_out = file;
  return form;
}

static void
check_every_kind_body (LadleMultipartForm *form,
                       GBytes             *body,
                       GBytes             *file_content,
                       StreamSource       *source)
{
  g_autoptr(SoupMultipart) multipart = parse_body (form, body);
  g_autoptr(GBytes) small = random_bytes (1000, 2);
  g_autoptr(GBytes) text = g_bytes_new_static ("Grüße\r\nline two", strlen ("Grüße\r\nline two"));

  g_assert_cmpint (soup_multipart_get_length (multipart), ==, 5);
  check_part (multipart, 0, "text", NULL, NULL, text);
  check_part (multipart, 1, "bytes", "small.dat", "application/x-small", small);
  check_part (multipart, 2, "file", "every kind.bin", "application/octet-stream", file_content);
  check_part (multipart, 3, "stream", "streamed.txt", "text/plain", source->content);
  check_part (multipart, 4, "renamed", "other.json", "application/json", file_content);
}

static void
test_every_kind (void)
{
  g_autoptr(GBytes) file_content = random_bytes (300 * 1000 + 7, 1);
  StreamSource source = { random_bytes (100 * 1000 + 3, 3) };
  g_autoptr(GFile) file = NULL;
  g_autoptr(LadleMultipartForm) form = make_every_kind_form (file_content, &file, &source);
  const gsize chunks[] = { 7, 4096, CHUNK_SIZE, 1024 * 1024 };
  g_autoptr(GBytes) first = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (chunks); i++)
    {
      g_autoptr(GBytes) body = read_form (form, chunks[i]);

      check_every_kind_body (form, body, file_content, &source);
      if (first == NULL)
        first = g_bytes_ref (body);
      else
        g_assert_true (g_bytes_equal (first, body));
    }

  g_assert_true (ladle_multipart_form_is_frozen (form));
  g_assert_true (source.thread == main_thread);
  g_assert_false (source.destroyed);
  g_clear_object (&form);
  g_assert_true (source.destroyed);

  remove_file (file);
  stream_source_clear (&source);
}

static void
test_async (void)
{
  /* Small reads cost a worker-thread round trip each for a local file: keep them few. */
  const struct { gsize size; gsize chunk; } cases[] = {
    { 2 * 1000 * 1000 + 11, 8192 },
    { 2 * 1000 * 1000 + 11, CHUNK_SIZE },
    { 20 * 1000 + 1, 13 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) file_content = random_bytes (cases[i].size, 4);
      StreamSource source = { random_bytes (cases[i].size / 10 + 5, 5) };
      g_autoptr(GFile) file = NULL;
      g_autoptr(LadleMultipartForm) form = make_every_kind_form (file_content, &file, &source);
      g_autoptr(GBytes) sync_body = read_form (form, CHUNK_SIZE);
      g_autoptr(GInputStream) stream = ladle_multipart_form_new_stream (form);
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GError) error = NULL;

      source.thread = NULL;
      body = read_all_async (stream, cases[i].chunk, &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (body, sync_body));
      check_every_kind_body (form, body, file_content, &source);
      /* The factory ran on the main context, not in one of GIO's worker threads. */
      g_assert_true (source.thread == main_thread);

      remove_file (file);
      g_clear_object (&form);
      stream_source_clear (&source);
    }
}

static void
test_two_streams (void)
{
  g_autoptr(GBytes) file_content = random_bytes (150 * 1000, 6);
  StreamSource source = { random_bytes (70 * 1000, 7) };
  g_autoptr(GFile) file = NULL;
  g_autoptr(LadleMultipartForm) form = make_every_kind_form (file_content, &file, &source);
  g_autoptr(GInputStream) one = ladle_multipart_form_new_stream (form);
  g_autoptr(GInputStream) two = ladle_multipart_form_new_stream (form);
  g_autoptr(GByteArray) out_one = g_byte_array_new ();
  g_autoptr(GByteArray) out_two = g_byte_array_new ();
  guint8 buffer[5000];
  gboolean one_done = FALSE, two_done = FALSE;

  g_assert_true (one != two);

  /* Interleaved reads of different sizes: the streams share nothing but the form. */
  while (!one_done || !two_done)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (!one_done)
        {
          n = g_input_stream_read (one, buffer, 3000, NULL, &error);
          g_assert_no_error (error);
          g_byte_array_append (out_one, buffer, n);
          one_done = n == 0;
        }
      if (!two_done)
        {
          n = g_input_stream_read (two, buffer, sizeof buffer, NULL, &error);
          g_assert_no_error (error);
          g_byte_array_append (out_two, buffer, n);
          two_done = n == 0;
        }
    }

  g_assert_cmpuint (source.calls, ==, 2);
  g_assert_cmpint (out_one->len, ==, ladle_multipart_form_get_content_length (form));
  g_assert_cmpmem (out_one->data, out_one->len, out_two->data, out_two->len);

  remove_file (file);
  stream_source_clear (&source);
}

static LadleMultipartForm *
make_file_form (GFile *file)
{
  LadleMultipartForm *form = ladle_multipart_form_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (ladle_multipart_form_append_file (form, "file", file, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  return form;
}

/* The length of a 1 GiB file part is known without reading it: it is exactly 1 GiB more than
 * the same part with no content. */
static void
test_sparse_length (void)
{
  const goffset size = G_GOFFSET_CONSTANT (1) << 30;
  g_autoptr(GFile) file = make_sparse_file ("huge.iso", size);
  g_autoptr(LadleMultipartForm) form = make_file_form (file);
  g_autoptr(LadleMultipartForm) empty_form = ladle_multipart_form_new ();
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GError) error = NULL;
  gint64 length;

  /* The same name gives the same guessed content type, hence the same header. */
  g_assert_true (ladle_multipart_form_append_bytes (empty_form, "file", "huge.iso", NULL, empty, &error));
  g_assert_no_error (error);

  length = ladle_multipart_form_get_content_length (form);
  g_assert_cmpint (length, ==, ladle_multipart_form_get_content_length (empty_form) + size);
  g_object_get (form, "content-length", &length, NULL);
  g_assert_cmpint (length, ==, ladle_multipart_form_get_content_length (empty_form) + size);

  remove_file (file);
}

static gboolean
running_on_valgrind (void)
{
  const char *preload = g_getenv ("LD_PRELOAD");

  return preload != NULL && strstr (preload, "vgpreload") != NULL;
}

static glong
max_rss_kib (void)
{
  struct rusage usage;

  g_assert_cmpint (getrusage (RUSAGE_SELF, &usage), ==, 0);
  return usage.ru_maxrss;
}

/* 100 MB through 64 KiB reads: every byte comes out, and memory does not grow with the file. */
static void
test_sparse_stream (void)
{
  const goffset size = 100 * 1000 * 1000;
  g_autoptr(GFile) file = make_sparse_file ("sparse.bin", size);
  g_autoptr(LadleMultipartForm) form = make_file_form (file);
  g_autoptr(GInputStream) stream = ladle_multipart_form_new_stream (form);
  g_autofree guint8 *buffer = g_malloc (CHUNK_SIZE);
  g_autoptr(GError) error = NULL;
  glong rss_before = max_rss_kib ();
  goffset total = 0;
  goffset zeros = 0;
  gssize n;

  while ((n = g_input_stream_read (stream, buffer, CHUNK_SIZE, NULL, &error)) > 0)
    {
      total += n;
      if (n == CHUNK_SIZE && buffer[0] == 0 && buffer[CHUNK_SIZE - 1] == 0)
        zeros += n;
    }
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 0);
  g_assert_cmpint (total, ==, ladle_multipart_form_get_content_length (form));
  g_assert_cmpint (zeros, >, size - 2 * CHUNK_SIZE);

  if (!running_on_valgrind ())
    g_assert_cmpint (max_rss_kib () - rss_before, <, 20 * 1024);

  g_assert_true (g_input_stream_close (stream, NULL, &error));
  g_assert_no_error (error);
  remove_file (file);
}

/* Reads a new stream of @form, which must fail with @code; returns how much was read before. */
static gsize
assert_read_fails (LadleMultipartForm *form,
                   gboolean            async,
                   int                 code)
{
  g_autoptr(GInputStream) stream = ladle_multipart_form_new_stream (form);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  gsize partial = 0;
  guint8 byte;

  body = async ? read_all_async_full (stream, CHUNK_SIZE, NULL, &partial, &error)
               : read_all_full (stream, CHUNK_SIZE, &partial, &error);
  g_assert_null (body);
  g_assert_error (error, LADLE_ERROR, code);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* The failure is final. */
  g_assert_cmpint (g_input_stream_read (stream, &byte, 1, NULL, &error), ==, -1);
  g_assert_error (error, LADLE_ERROR, code);
  g_clear_error (&error);

  g_assert_true (g_input_stream_close (stream, NULL, &error));
  g_assert_no_error (error);

  return partial;
}

/* The file changed between append and the stream: the size check when it is opened. */
static void
test_changed_before_open (void)
{
  g_autoptr(GBytes) content = random_bytes (100 * 1000, 8);
  g_autoptr(GFile) file = make_file ("changing.bin", g_bytes_get_data (content, NULL), 100 * 1000);
  g_autoptr(LadleMultipartForm) form = make_file_form (file);
  g_autofree char *path = g_file_get_path (file);
  gsize header = ladle_multipart_form_get_content_length (form) - 100 * 1000 -
                 (2 + 2 + strlen (ladle_multipart_form_get_boundary (form)) + 4);

  /* Nothing of the file is sent: only the part's header came out before the failure. */
  for (int async = 0; async <= 1; async++)
    {
      g_assert_cmpint (truncate (path, 100 * 1000 - 1), ==, 0);
      g_assert_cmpuint (assert_read_fails (form, async, LADLE_ERROR_BODY_CHANGED), ==, header);
      g_assert_cmpint (truncate (path, 100 * 1000 + 1), ==, 0);
      g_assert_cmpuint (assert_read_fails (form, async, LADLE_ERROR_BODY_CHANGED), ==, header);
      g_assert_cmpint (truncate (path, 100 * 1000), ==, 0);
      g_clear_pointer (&content, g_bytes_unref);
      content = read_form (form, CHUNK_SIZE);
    }

  remove_file (file);
}

/* The file changes while it is read: the count of its bytes, and the read one byte past its
 * recorded end. */
static void
test_changed_while_reading (void)
{
  g_autoptr(GBytes) content = random_bytes (100 * 1000, 9);
  g_autoptr(GFile) file = make_file ("changing.bin", g_bytes_get_data (content, NULL), 100 * 1000);
  g_autoptr(LadleMultipartForm) form = make_file_form (file);
  g_autofree char *path = g_file_get_path (file);

  for (int async = 0; async <= 1; async++)
    for (int grow = 0; grow <= 1; grow++)
      {
        g_autoptr(GInputStream) stream = ladle_multipart_form_new_stream (form);
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) rest = NULL;
        guint8 buffer[1000];
        gssize n;

        /* The header, then the first bytes of the file: it is open. */
        n = g_input_stream_read (stream, buffer, sizeof buffer, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpint (n, <, sizeof buffer);
        n = g_input_stream_read (stream, buffer, sizeof buffer, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpint (n, ==, sizeof buffer);

        g_assert_cmpint (truncate (path, grow ? 100 * 1000 + 10 : 50 * 1000), ==, 0);
        rest = async ? read_all_async (stream, CHUNK_SIZE, &error) : read_all (stream, CHUNK_SIZE, &error);
        g_assert_null (rest);
        g_assert_error (error, LADLE_ERROR, LADLE_ERROR_BODY_CHANGED);
        g_assert_nonnull (strstr (error->message, grow ? "grew" : "shrank"));

        g_assert_cmpint (truncate (path, 100 * 1000), ==, 0);
      }

  remove_file (file);
}

/* A stream part whose factory gives more or fewer bytes than declared. */
static void
test_stream_length_mismatch (void)
{
  for (int async = 0; async <= 1; async++)
    for (int delta = -1; delta <= 1; delta += 2)
      {
        g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
        StreamSource source = { random_bytes (10000, 10) };
        g_autoptr(GError) error = NULL;

        g_assert_true (ladle_multipart_form_append_stream (form, "s", NULL, NULL, 10000 + delta,
                                                           memory_factory, &source, NULL, &error));
        g_assert_no_error (error);
        assert_read_fails (form, async, LADLE_ERROR_BODY_CHANGED);
        g_assert_cmpuint (source.calls, ==, 1);

        g_clear_object (&form);
        stream_source_clear (&source);
      }
}

static void
test_factory_null (void)
{
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  StreamSource source = { NULL };
  g_autoptr(GError) error = NULL;

  g_assert_true (ladle_multipart_form_append_text (form, "a", "b", &error));
  g_assert_true (ladle_multipart_form_append_stream (form, "s", NULL, NULL, 10,
                                                     null_factory, &source, stream_source_release,
                                                     &error));
  g_assert_no_error (error);
  assert_read_fails (form, FALSE, LADLE_ERROR_NO_BODY_STREAM);
  assert_read_fails (form, TRUE, LADLE_ERROR_NO_BODY_STREAM);
  g_assert_cmpuint (source.calls, ==, 2);
  g_clear_object (&form);
  g_assert_true (source.destroyed);
}

static void
assert_invalid (gboolean  appended,
                GError  **error)
{
  g_assert_false (appended);
  g_assert_error (*error, LADLE_ERROR, LADLE_ERROR_INVALID_FIELD);
  g_test_message ("%s", (*error)->message);
  g_clear_error (error);
}

static void
test_invalid_fields (void)
{
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  g_autoptr(GBytes) data = g_bytes_new_static ("x", 1);
  g_autoptr(GFile) file = make_file ("ok.txt", (const guint8 *) "x", 1);
  g_autoptr(GError) error = NULL;
  const char *bad[] = { "a\rb", "a\nb", "a\r\nContent-Type: text/html", "\n" };
  StreamSource source = { NULL };
  gint64 length = ladle_multipart_form_get_content_length (form);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      assert_invalid (ladle_multipart_form_append_text (form, bad[i], "v", &error), &error);
      assert_invalid (ladle_multipart_form_append_bytes (form, bad[i], NULL, NULL, data, &error), &error);
      assert_invalid (ladle_multipart_form_append_bytes (form, "n", bad[i], NULL, data, &error), &error);
      assert_invalid (ladle_multipart_form_append_bytes (form, "n", "f", bad[i], data, &error), &error);
      assert_invalid (ladle_multipart_form_append_file (form, bad[i], file, NULL, NULL, NULL, &error), &error);
      assert_invalid (ladle_multipart_form_append_file (form, "n", file, bad[i], NULL, NULL, &error), &error);
      assert_invalid (ladle_multipart_form_append_file (form, "n", file, NULL, bad[i], NULL, &error), &error);

      /* The form owns the factory's data even when it refuses the part. */
      source.destroyed = FALSE;
      assert_invalid (ladle_multipart_form_append_stream (form, "n", bad[i], NULL, 1, memory_factory,
                                                          &source, stream_source_release, &error), &error);
      g_assert_true (source.destroyed);
    }

  assert_invalid (ladle_multipart_form_append_text (form, "\xff", "v", &error), &error);
  assert_invalid (ladle_multipart_form_append_text (form, "n", "\xc3\x28", &error), &error);
  assert_invalid (ladle_multipart_form_append_bytes (form, "n", "\xff.txt", NULL, data, &error), &error);
  assert_invalid (ladle_multipart_form_append_bytes (form, "n", "f", "", data, &error), &error);
  assert_invalid (ladle_multipart_form_append_bytes (form, "n", "f", "text/plain\t\x01", data, &error), &error);

  g_assert_cmpuint (ladle_multipart_form_get_n_parts (form), ==, 0);
  g_assert_cmpint (ladle_multipart_form_get_content_length (form), ==, length);
  g_assert_cmpuint (source.calls, ==, 0);

  /* Values may hold line breaks: only headers cannot. */
  g_assert_true (ladle_multipart_form_append_text (form, "n", "a\r\nb\n", &error));
  g_assert_no_error (error);

  remove_file (file);
}

/* Names are encoded as the HTML standard says: `"` as %22, a backslash and UTF-8 as they are. */
static void
test_quoting (void)
{
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  g_autoptr(GBytes) data = g_bytes_new_static ("x", 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autoptr(GBytes) v = g_bytes_new_static ("v", 1);
  const char *text;
  gsize size;

  g_assert_true (ladle_multipart_form_append_text (form, "say \"hi\"", "v", &error));
  g_assert_true (ladle_multipart_form_append_bytes (form, "back\\slash", "C:\\dir\\x.txt", NULL, data, &error));
  g_assert_true (ladle_multipart_form_append_bytes (form, "ключ", "日本語 \"q\".txt", NULL, data, &error));
  g_assert_no_error (error);

  body = read_form (form, CHUNK_SIZE);
  text = g_bytes_get_data (body, &size);
  g_assert_nonnull (g_strstr_len (text, size, "Content-Disposition: form-data; name=\"say %22hi%22\"\r\n"));
  g_assert_nonnull (g_strstr_len (text, size,
                                  "Content-Disposition: form-data; name=\"back\\slash\"; "
                                  "filename=\"C:\\dir\\x.txt\"\r\nContent-Type: text/plain\r\n"));
  g_assert_nonnull (g_strstr_len (text, size,
                                  "Content-Disposition: form-data; name=\"ключ\"; "
                                  "filename=\"日本語 %22q%22.txt\"\r\n"));

  multipart = parse_body (form, body);
  g_assert_cmpint (soup_multipart_get_length (multipart), ==, 3);
  check_part (multipart, 0, "say %22hi%22", NULL, NULL, v);
  check_part (multipart, 2, "ключ", "日本語 %22q%22.txt", "text/plain", data);
}

/* Line breaks in a file's own name are percent-encoded, as browsers do. */
static void
test_file_name_from_disk (void)
{
  g_autoptr(GFile) file = make_file ("odd\"name\n.txt", (const guint8 *) "x", 1);
  g_autoptr(LadleMultipartForm) form = make_file_form (file);
  g_autoptr(GBytes) body = read_form (form, CHUNK_SIZE);
  gsize size;
  const char *text = g_bytes_get_data (body, &size);

  g_assert_nonnull (g_strstr_len (text, size, "; filename=\"odd%22name%0A.txt\"\r\n"
                                               "Content-Type: text/plain\r\n"));
  remove_file (file);
}

static void
test_content_type_guess (void)
{
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  g_autoptr(GFile) text_file = make_file ("notes.txt", (const guint8 *) "hello", 5);
  g_autoptr(GFile) unknown_file = make_file ("data.unknownzz", (const guint8 *) "%PDF-1.4", 8);
  g_autoptr(GBytes) data = g_bytes_new_static ("<html></html>", 13);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autoptr(GBytes) hello = g_bytes_new_static ("hello", 5);
  g_autoptr(GBytes) pdf = g_bytes_new_static ("%PDF-1.4", 8);

  g_assert_true (ladle_multipart_form_append_file (form, "a", text_file, NULL, NULL, NULL, &error));
  /* Guessed from the name only: the content is not sniffed. */
  g_assert_true (ladle_multipart_form_append_file (form, "b", unknown_file, NULL, NULL, NULL, &error));
  g_assert_true (ladle_multipart_form_append_file (form, "c", unknown_file, "page.html", NULL, NULL, &error));
  g_assert_true (ladle_multipart_form_append_file (form, "d", text_file, NULL, "text/x-mine; charset=utf-8",
                                                   NULL, &error));
  g_assert_true (ladle_multipart_form_append_bytes (form, "e", NULL, NULL, data, &error));
  g_assert_true (ladle_multipart_form_append_bytes (form, "f", "", NULL, data, &error));
  g_assert_no_error (error);

  body = read_form (form, CHUNK_SIZE);
  multipart = parse_body (form, body);
  check_part (multipart, 0, "a", "notes.txt", "text/plain", hello);
  check_part (multipart, 1, "b", "data.unknownzz", "application/octet-stream", pdf);
  check_part (multipart, 2, "c", "page.html", "text/html", pdf);
  check_part (multipart, 3, "d", "notes.txt", "text/x-mine; charset=utf-8", hello);
  check_part (multipart, 4, "e", NULL, "application/octet-stream", data);
  check_part (multipart, 5, "f", "", "application/octet-stream", data);

  remove_file (text_file);
  remove_file (unknown_file);
}

static void
test_not_regular (void)
{
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  g_autoptr(GFile) dir = g_file_new_for_path (tmp_dir);
  g_autoptr(GFile) missing = g_file_get_child (dir, "missing");
  g_autoptr(GError) error = NULL;

  g_assert_false (ladle_multipart_form_append_file (form, "d", dir, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
  g_clear_error (&error);
  g_assert_false (ladle_multipart_form_append_file (form, "m", missing, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpuint (ladle_multipart_form_get_n_parts (form), ==, 0);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_frozen (void)
{
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = NULL;
  guint length_notifies = 0, frozen_notifies = 0;

  g_signal_connect (form, "notify::content-length", G_CALLBACK (count_notify), &length_notifies);
  g_signal_connect (form, "notify::frozen", G_CALLBACK (count_notify), &frozen_notifies);

  g_assert_true (ladle_multipart_form_append_text (form, "a", "b", &error));
  g_assert_cmpuint (length_notifies, ==, 1);
  g_assert_false (ladle_multipart_form_is_frozen (form));

  stream = ladle_multipart_input_stream_new (form);
  g_assert_true (ladle_multipart_input_stream_get_form (LADLE_MULTIPART_INPUT_STREAM (stream)) == form);
  g_assert_true (ladle_multipart_form_is_frozen (form));
  g_assert_cmpuint (frozen_notifies, ==, 1);

  g_test_expect_message ("Ladle", G_LOG_LEVEL_CRITICAL, "*!self->frozen*");
  g_assert_false (ladle_multipart_form_append_text (form, "c", "d", &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (ladle_multipart_form_get_n_parts (form), ==, 1);
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_input_stream_close_finish (G_INPUT_STREAM (object), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

/* Closing the form's stream in the middle of a part closes the part's stream. */
static void
test_close (void)
{
  for (int async = 0; async <= 1; async++)
    {
      g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
      StreamSource source = { random_bytes (10000, 11) };
      g_autoptr(GInputStream) stream = NULL;
      g_autoptr(GError) error = NULL;
      guint8 buffer[500];

      g_assert_true (ladle_multipart_form_append_stream (form, "s", NULL, NULL, 10000,
                                                         memory_factory, &source, NULL, &error));
      stream = ladle_multipart_form_new_stream (form);
      g_assert_cmpint (g_input_stream_read (stream, buffer, sizeof buffer, NULL, &error), >, 0);
      g_assert_cmpint (g_input_stream_read (stream, buffer, sizeof buffer, NULL, &error), ==, sizeof buffer);
      g_assert_no_error (error);
      g_assert_nonnull (source.last);
      g_assert_false (g_input_stream_is_closed (source.last));

      if (async)
        {
          gboolean done = FALSE;

          g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, close_cb, &done);
          while (!done)
            g_main_context_iteration (NULL, TRUE);
        }
      else
        {
          g_assert_true (g_input_stream_close (stream, NULL, &error));
          g_assert_no_error (error);
        }
      g_assert_true (g_input_stream_is_closed (source.last));
      g_assert_true (g_input_stream_is_closed (stream));

      g_clear_object (&form);
      stream_source_clear (&source);
    }
}

typedef struct
{
  gssize  n;
  GError *error;
  gboolean done;
} ReadOnce;

static void
read_once_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  ReadOnce *once = user_data;

  once->n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &once->error);
  once->done = TRUE;
}

static gssize
read_once_async (GInputStream  *stream,
                 guint8        *buffer,
                 gsize          count,
                 GCancellable  *cancellable,
                 GError       **error)
{
  ReadOnce once = { 0 };

  g_input_stream_read_async (stream, buffer, count, G_PRIORITY_DEFAULT, cancellable, read_once_cb, &once);
  while (!once.done)
    g_main_context_iteration (NULL, TRUE);
  if (once.error != NULL)
    g_propagate_error (error, once.error);

  return once.n;
}

/* Every read is made with a cancelled cancellable: the ones that need I/O (opening the file,
 * reading a block, checking its end) fail and are retried without it. Nothing is lost or
 * repeated, and a cancellation is not final. */
static void
test_cancelled (void)
{
  g_autoptr(GBytes) content = random_bytes (200 * 1000, 12);
  g_autoptr(GFile) file = make_file ("cancel.bin", g_bytes_get_data (content, NULL), 200 * 1000);
  g_autoptr(LadleMultipartForm) form = make_file_form (file);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) expected = read_form (form, CHUNK_SIZE);

  g_cancellable_cancel (cancellable);

  for (int async = 0; async <= 1; async++)
    {
      g_autoptr(GInputStream) stream = ladle_multipart_form_new_stream (form);
      g_autoptr(GByteArray) out = g_byte_array_new ();
      guint cancellations = 0;
      guint8 buffer[1000];

      for (;;)
        {
          g_autoptr(GError) error = NULL;
          gssize n;

          n = async ? read_once_async (stream, buffer, sizeof buffer, cancellable, &error)
                    : g_input_stream_read (stream, buffer, sizeof buffer, cancellable, &error);
          if (n < 0)
            {
              g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
              g_clear_error (&error);
              cancellations++;
              n = async ? read_once_async (stream, buffer, sizeof buffer, NULL, &error)
                        : g_input_stream_read (stream, buffer, sizeof buffer, NULL, &error);
              g_assert_no_error (error);
            }
          if (n == 0)
            break;
          g_byte_array_append (out, buffer, n);
        }

      g_assert_cmpmem (out->data, out->len, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
      /* Opening the file (the retry also reads the first 64 KiB block), the three other
       * blocks, the read past its end. */
      g_assert_cmpuint (cancellations, ==, 5);
    }

  remove_file (file);
}

/* libsoup sends the form (HTTP/1 splices the body with async reads) to the test server, which
 * keeps what it received. */
static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GBytes **response = user_data;
  g_autoptr(GError) error = NULL;

  *response = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  g_assert_no_error (error);
}

static void
test_soup_upload (void)
{
  g_autoptr(GBytes) file_content = random_bytes (3 * 1000 * 1000 + 1, 13);
  StreamSource source = { random_bytes (500 * 1000, 14) };
  g_autoptr(GFile) file = NULL;
  g_autoptr(LadleMultipartForm) form = make_every_kind_form (file_content, &file, &source);
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GBytes) expected = NULL;
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  LadleTestRequest *upload;

  msg = soup_message_new (SOUP_METHOD_POST, uri);
  stream = ladle_multipart_form_new_stream (form);
  soup_message_set_request_body (msg, ladle_multipart_form_get_content_type (form), stream,
                                 ladle_multipart_form_get_content_length (form));
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, send_cb, &response);
  while (response == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_true (source.thread == main_thread);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 1);
  upload = ladle_test_server_get_handled (server, 0);
  g_assert_cmpstr (soup_message_headers_get_one (upload->headers, "Content-Type"), ==,
                   ladle_multipart_form_get_content_type (form));
  g_assert_cmpint (upload->content_length, ==, ladle_multipart_form_get_content_length (form));
  expected = read_form (form, CHUNK_SIZE);
  g_assert_true (g_bytes_equal (upload->body, expected));
  check_every_kind_body (form, upload->body, file_content, &source);

  /* Let both sides close the keep-alive connection before the server goes. */
  soup_session_abort (session);
  g_clear_object (&session);
  g_clear_pointer (&server, ladle_test_server_free);
  remove_file (file);
  stream_source_clear (&source);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

  tmp_dir = g_dir_make_tmp ("ladle-multipart-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/Ladle/Multipart/boundary", test_boundary);
  g_test_add_func ("/Ladle/Multipart/empty", test_empty);
  g_test_add_func ("/Ladle/Multipart/format", test_format);
  g_test_add_func ("/Ladle/Multipart/every-kind", test_every_kind);
  g_test_add_func ("/Ladle/Multipart/async", test_async);
  g_test_add_func ("/Ladle/Multipart/two-streams", test_two_streams);
  g_test_add_func ("/Ladle/Multipart/sparse-length", test_sparse_length);
  g_test_add_func ("/Ladle/Multipart/sparse-stream", test_sparse_stream);
  g_test_add_func ("/Ladle/Multipart/changed-before-open", test_changed_before_open);
  g_test_add_func ("/Ladle/Multipart/changed-while-reading", test_changed_while_reading);
  g_test_add_func ("/Ladle/Multipart/stream-length-mismatch", test_stream_length_mismatch);
  g_test_add_func ("/Ladle/Multipart/factory-null", test_factory_null);
  g_test_add_func ("/Ladle/Multipart/invalid-fields", test_invalid_fields);
  g_test_add_func ("/Ladle/Multipart/quoting", test_quoting);
  g_test_add_func ("/Ladle/Multipart/file-name-from-disk", test_file_name_from_disk);
  g_test_add_func ("/Ladle/Multipart/content-type-guess", test_content_type_guess);
  g_test_add_func ("/Ladle/Multipart/not-regular", test_not_regular);
  g_test_add_func ("/Ladle/Multipart/frozen", test_frozen);
  g_test_add_func ("/Ladle/Multipart/close", test_close);
  g_test_add_func ("/Ladle/Multipart/cancelled", test_cancelled);
  g_test_add_func ("/Ladle/Multipart/soup-upload", test_soup_upload);

  ret = g_test_run ();

  g_assert_cmpint (g_rmdir (tmp_dir), ==, 0);
  g_free (tmp_dir);

  return ret;
}
