/* test-uploads.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * LadleUploadTask against an in-process server that keeps every request body: the bytes on the
 * wire (checksums computed by the server, multipart bodies parsed back with
 * soup_multipart_new_from_message), the framing (exact Content-Length, or chunked), resends after
 * a 401 and after 307/308 redirects for every kind of body, 303 turning a POST into a GET, the
 * errors of bodies that cannot be produced again, and upload-progress.
 */

#include <string.h>

#include <glib/gstdio.h>
#include <ladle.h>

#include "ladle-test.h"

static char *tmp_dir;

/* A task run: everything its signals said. */

typedef struct
{
  gint64 sent_now;
  gint64 total_sent;
  gint64 total_expected;
} Progress;

typedef struct
{
  LadleSession *session;
  LadleTask    *task;
  GArray       *progress;            /* Progress */
  GString      *events;              /* N need-body-stream, A authenticate, X redirect, R response,
                                      * C completed */
  guint         n_need_body_stream;
  guint         n_authenticate;
  guint         n_retrying;
  guint         n_completed;
  gboolean      completed;
  GError       *error;

  /* What the handlers do. */
  GBytes       *stream_content;      /* need-body-stream returns a stream of this */
  guint         null_stream_at;      /* ...except at this emission (1-based), 0: never */
  gboolean      authenticate;        /* answer authenticate with the right credentials */
  gboolean      authenticate_later;  /* ...from an idle callback, holding the auth */
  GFile        *grow_on_authenticate; /* append to this file before answering */
  gboolean      truncate_on_authenticate; /* shrink it instead */
} Run;

static GInputStream *
on_need_body_stream (LadleUploadTask *task,
                     Run             *run)
{
  run->n_need_body_stream++;
  g_string_append_c (run->events, 'N');

  if (run->stream_content == NULL || run->n_need_body_stream == run->null_stream_at)
    return NULL;

  return g_memory_input_stream_new_from_bytes (run->stream_content);
}

static void
change_file (Run *run)
{
  g_autofree char *path = g_file_get_path (run->grow_on_authenticate);
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 10);
  if (run->truncate_on_authenticate)
    length -= 10;
  else
    {
      contents = g_realloc (contents, length + 10);
      memset (contents + length, 'x', 10);
      length += 10;
    }
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
}

static gboolean
authenticate_later_cb (gpointer data)
{
  SoupAuth *auth = data;

  soup_auth_authenticate (auth, LADLE_TEST_UPLOAD_USER, LADLE_TEST_UPLOAD_PASSWORD);

  return G_SOURCE_REMOVE;
}

static gboolean
on_authenticate (LadleTask *task,
                 SoupAuth  *auth,
                 gboolean   retrying,
                 Run       *run)
{
  run->n_authenticate++;
  if (retrying)
    run->n_retrying++;
  g_string_append_c (run->events, 'A');

  if (!run->authenticate || retrying)
    return FALSE;

  g_assert_cmpstr (soup_auth_get_scheme_name (auth), ==, "Basic");
  g_assert_cmpstr (soup_auth_get_realm (auth), ==, "ladle-uploads");

  if (run->grow_on_authenticate != NULL)
    change_file (run);

  if (run->authenticate_later)
    {
      g_idle_add_full (G_PRIORITY_DEFAULT, authenticate_later_cb, g_object_ref (auth), g_object_unref);
      return TRUE;
    }

  soup_auth_authenticate (auth, LADLE_TEST_UPLOAD_USER, LADLE_TEST_UPLOAD_PASSWORD);

  return TRUE;
}

static gboolean
on_redirect (LadleTask   *task,
             SoupMessage *new_request,
             Run         *run)
{
  g_string_append_c (run->events, 'X');

  return TRUE;
}

static LadleResponseDisposition
on_response (LadleTask   *task,
             SoupMessage *message,
             Run         *run)
{
  g_string_append_c (run->events, 'R');

  return LADLE_RESPONSE_DISPOSITION_ALLOW;
}

static void
on_upload_progress (LadleTask *task,
                    gint64     sent_now,
                    gint64     total_sent,
                    gint64     total_expected,
                    Run       *run)
{
  Progress progress = { sent_now, total_sent, total_expected };

  /* Nothing but recording here: assertions run once the task is done. */
  g_array_append_val (run->progress, progress);
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              Run          *run)
{
  run->n_completed++;
  run->completed = TRUE;
  g_string_append_c (run->events, 'C');
  g_clear_error (&run->error);
  if (error != NULL)
    run->error = g_error_copy (error);
}

static Run *
run_new (LadleSession *session,
         LadleTask    *task)
{
  Run *run = g_new0 (Run, 1);

  run->session = g_object_ref (session);
  run->task = g_object_ref (task);
  run->progress = g_array_new (FALSE, FALSE, sizeof (Progress));
  run->events = g_string_new (NULL);

  if (LADLE_IS_UPLOAD_TASK (task))
    g_signal_connect (task, "need-body-stream", G_CALLBACK (on_need_body_stream), run);
  g_signal_connect (task, "authenticate", G_CALLBACK (on_authenticate), run);
  g_signal_connect (task, "redirect", G_CALLBACK (on_redirect), run);
  g_signal_connect (task, "response", G_CALLBACK (on_response), run);
  g_signal_connect (task, "upload-progress", G_CALLBACK (on_upload_progress), run);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), run);

  return run;
}

static void
run_free (Run *run)
{
  g_signal_handlers_disconnect_by_data (run->task, run);
  g_clear_object (&run->task);
  g_clear_object (&run->session);
  g_array_unref (run->progress);
  g_string_free (run->events, TRUE);
  g_clear_error (&run->error);
  g_clear_pointer (&run->stream_content, g_bytes_unref);
  g_clear_object (&run->grow_on_authenticate);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static void
run_start_and_wait (Run *run)
{
  ladle_task_resume (run->task);
  ladle_test_wait_for_flag (&run->completed, 30, "the upload completing");
  g_assert_cmpuint (run->n_completed, ==, 1);
  g_assert_cmpint (ladle_task_get_state (run->task), ==, LADLE_TASK_STATE_COMPLETED);
}

/* upload-progress: every emission adds what it says to the previous total, the total never
 * decreases, the expected size is the body's size, and the last emission reports it in full. */
static void
assert_progress (Run    *run,
                 gint64  expected)
{
  gint64 total = 0;

  g_assert_cmpuint (run->progress->len, >, 0);
  for (guint i = 0; i < run->progress->len; i++)
    {
      Progress *p = &g_array_index (run->progress, Progress, i);

      if (p->sent_now <= 0 || p->total_sent != total + p->sent_now)
        for (guint j = 0; j < run->progress->len; j++)
          g_test_message ("upload-progress %u: %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT, j,
                          g_array_index (run->progress, Progress, j).sent_now,
                          g_array_index (run->progress, Progress, j).total_sent,
                          g_array_index (run->progress, Progress, j).total_expected);
      g_assert_cmpint (p->sent_now, >, 0);
      g_assert_cmpint (p->total_sent, ==, total + p->sent_now);
      g_assert_cmpint (p->total_expected, ==, expected);
      total = p->total_sent;
    }
  if (expected >= 0)
    g_assert_cmpint (total, ==, expected);

  g_assert_cmpint (ladle_task_get_bytes_sent (run->task), ==, total);
  g_assert_cmpint (ladle_task_get_bytes_expected_to_send (run->task), ==, expected);
}

/* The response body is what the server says it received: "LENGTH SHA256\n". */
static void
assert_response (Run          *run,
                 GBytes       *expected_body)
{
  g_autoptr(GBytes) body = ladle_data_task_dup_body (LADLE_DATA_TASK (run->task));
  g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, expected_body);
  g_autofree char *expected = g_strdup_printf ("%" G_GSIZE_FORMAT " %s\n",
                                               g_bytes_get_size (expected_body), sha);
  gsize length = 0;
  const char *data;

  g_assert_nonnull (body);
  data = g_bytes_get_data (body, &length);
  g_assert_cmpmem (data, length, expected, strlen (expected));
}

/* The server received exactly @expected, framed with an exact Content-Length. */
static void
assert_request_body (LadleTestRequest *request,
                     const char    *method,
                     GBytes        *expected,
                     gboolean       chunked)
{
  g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, expected);

  g_assert_cmpstr (request->method, ==, method);
  g_assert_cmpuint (g_bytes_get_size (request->body), ==, g_bytes_get_size (expected));
  g_assert_cmpstr (request->sha256, ==, sha);
  g_assert_true (g_bytes_equal (request->body, expected));
  if (chunked)
    {
      g_assert_cmpint (request->encoding, ==, SOUP_ENCODING_CHUNKED);
      g_assert_cmpint (request->content_length, ==, -1);
    }
  else
    {
      g_assert_cmpint (request->encoding, ==, SOUP_ENCODING_CONTENT_LENGTH);
      g_assert_cmpint (request->content_length, ==, (goffset) g_bytes_get_size (expected));
    }
}

static GFile *
make_file (const char *name,
           GBytes     *content)
{
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (content, &length);

  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);

  return g_file_new_for_path (path);
}

static void
delete_file (GFile *file)
{
  g_autoptr(GError) error = NULL;

  g_file_delete (file, NULL, &error);
  g_assert_no_error (error);
}

/* libsoup emits wrote-body-data for each block it writes itself; a body Ladle copies to the
 * connection directly (large, known size, HTTP/1) produces none. */
static void
on_wrote_body_data (SoupMessage *message,
                    guint        chunk_size,
                    guint       *count)
{
  (*count)++;
}

static void
count_soup_writes (LadleTask *task,
                   guint     *count)
{
  SoupMessage *message = ladle_task_get_current_request (task);

  g_assert_nonnull (message);
  g_signal_connect (message, "wrote-body-data", G_CALLBACK (on_wrote_body_data), count);
}

static LadleSession *
new_session (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();

  return ladle_session_new (configuration);
}

/* A form with a text field, a byte part, a file part and a stream part. */

typedef struct
{
  const char *name;
  const char *filename;       /* NULL for a text field */
  const char *content_type;   /* NULL for a text field */
  GBytes     *data;
} ExpectedPart;

typedef struct
{
  LadleMultipartForm *form;
  GFile              *file;
  GBytes             *stream_data;
  guint               n_factory_calls;
  ExpectedPart        parts[5];
  guint               n_parts;
} Form;

static GInputStream *
form_stream_factory (gpointer user_data)
{
  Form *form = user_data;

  form->n_factory_calls++;

  return g_memory_input_stream_new_from_bytes (form->stream_data);
}

static Form *
form_new (void)
{
  Form *form = g_new0 (Form, 1);
  g_autoptr(GBytes) file_data = ladle_test_content_for_seed (21, 700 * 1000 + 3);
  g_autoptr(GError) error = NULL;
  static const char title[] = "Ladle upload test — ünïcödé";

  form->form = ladle_multipart_form_new ();
  form->file = make_file ("form-file.bin", file_data);
  form->stream_data = ladle_test_content_for_seed (22, 300 * 1000 + 7);

  ladle_multipart_form_append_text (form->form, "title", title, &error);
  g_assert_no_error (error);
  form->parts[form->n_parts++] = (ExpectedPart) {
    "title", NULL, NULL, g_bytes_new_static (title, strlen (title))
  };

  ladle_multipart_form_append_text (form->form, "empty", "", &error);
  g_assert_no_error (error);
  form->parts[form->n_parts++] = (ExpectedPart) { "empty", NULL, NULL, g_bytes_new_static ("", 0) };

  ladle_multipart_form_append_bytes (form->form, "blob", "blob.dat", "application/x-test",
                                     form->stream_data, &error);
  g_assert_no_error (error);
  form->parts[form->n_parts++] = (ExpectedPart) {
    "blob", "blob.dat", "application/x-test", g_bytes_ref (form->stream_data)
  };

  ladle_multipart_form_append_file (form->form, "document", form->file, "report.bin",
                                    "application/octet-stream", NULL, &error);
  g_assert_no_error (error);
  form->parts[form->n_parts++] = (ExpectedPart) {
    "document", "report.bin", "application/octet-stream", g_bytes_ref (file_data)
  };

  ladle_multipart_form_append_stream (form->form, "stream", "stream.txt", "text/plain",
                                      (goffset) g_bytes_get_size (form->stream_data),
                                      form_stream_factory, form, NULL, &error);
  g_assert_no_error (error);
  form->parts[form->n_parts++] = (ExpectedPart) {
    "stream", "stream.txt", "text/plain", g_bytes_ref (form->stream_data)
  };

  return form;
}

static void
form_free (Form *form)
{
  for (guint i = 0; i < form->n_parts; i++)
    g_bytes_unref (form->parts[i].data);
  g_clear_object (&form->form);
  if (form->file != NULL)
    delete_file (form->file);
  g_clear_object (&form->file);
  g_clear_pointer (&form->stream_data, g_bytes_unref);
  g_free (form);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Form, form_free)

/* Parses the body the server received with libsoup's multipart parser and checks every part:
 * its name, file name, content type and bytes. */
static void
assert_form_received (LadleTestRequest *request,
                      Form          *form)
{
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autofree char *expected_type = NULL;
  const char *content_type;

  content_type = soup_message_headers_get_one (request->headers, "Content-Type");
  g_assert_cmpstr (content_type, ==, ladle_multipart_form_get_content_type (form->form));
  expected_type = g_strdup_printf ("multipart/form-data; boundary=%s",
                                   ladle_multipart_form_get_boundary (form->form));
  g_assert_cmpstr (content_type, ==, expected_type);

  /* Exact framing: the Content-Length computed before sending is what went out. */
  g_assert_cmpint (request->encoding, ==, SOUP_ENCODING_CONTENT_LENGTH);
  g_assert_cmpint (request->content_length, ==, ladle_multipart_form_get_content_length (form->form));
  g_assert_cmpint ((gint64) g_bytes_get_size (request->body), ==,
                   ladle_multipart_form_get_content_length (form->form));

  multipart = soup_multipart_new_from_message (request->headers, request->body);
  g_assert_nonnull (multipart);
  g_assert_cmpint (soup_multipart_get_length (multipart), ==, form->n_parts);

  for (guint i = 0; i < form->n_parts; i++)
    {
      ExpectedPart *expected = &form->parts[i];
      SoupMessageHeaders *headers = NULL;
      GBytes *body = NULL;
      g_autofree char *disposition = NULL;
      g_autoptr(GHashTable) params = NULL;
      const char *type;

      g_assert_true (soup_multipart_get_part (multipart, (int) i, &headers, &body));
      g_assert_true (soup_message_headers_get_content_disposition (headers, &disposition, &params));
      g_assert_cmpstr (disposition, ==, "form-data");
      g_assert_cmpstr (g_hash_table_lookup (params, "name"), ==, expected->name);
      g_assert_cmpstr (g_hash_table_lookup (params, "filename"), ==, expected->filename);
      type = soup_message_headers_get_content_type (headers, NULL);
      g_assert_cmpstr (type, ==, expected->content_type);
      g_assert_cmpuint (g_bytes_get_size (body), ==, g_bytes_get_size (expected->data));
      g_assert_true (g_bytes_equal (body, expected->data));
    }
}

/* Body kinds */

typedef enum
{
  KIND_BYTES,
  KIND_FILE,
  KIND_STREAMED,          /* no Content-Length: chunked */
  KIND_STREAMED_LENGTH,   /* Content-Length set on the request */
  KIND_FORM,
} Kind;

static const char * const kind_names[] = { "bytes", "file", "streamed", "streamed-length", "form" };

typedef struct
{
  Kind     kind;
  GBytes  *content;     /* what goes out (for a form: filled in from the form's stream) */
  GFile   *file;
  Form    *form;
} Body;

static void
body_clear (Body *body)
{
  g_clear_pointer (&body->content, g_bytes_unref);
  if (body->file != NULL)
    delete_file (body->file);
  g_clear_object (&body->file);
  g_clear_pointer (&body->form, form_free);
}

static GBytes *
read_form (LadleMultipartForm *form)
{
  g_autoptr(GInputStream) stream = ladle_multipart_form_new_stream (form);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;

  g_output_stream_splice (out, stream,
                          G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                          NULL, &error);
  g_assert_no_error (error);

  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

/* Makes the task for @kind; for a streamed upload, @run (made by the caller afterwards) gets the
 * content to return from need-body-stream. */
static LadleUploadTask *
create_task (LadleSession *session,
             const char   *method,
             const char   *uri,
             Kind          kind,
             Body         *body)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);

  body->kind = kind;
  switch (kind)
    {
    case KIND_BYTES:
      body->content = ladle_test_content_for_seed (1, 1000 * 1000 + 1);
      soup_message_headers_replace (headers, "Content-Type", "application/x-bytes");
      return ladle_session_create_upload_task_from_bytes (session, message, body->content);

    case KIND_FILE:
      body->content = ladle_test_content_for_seed (2, 2 * 1000 * 1000 + 11);
      body->file = make_file ("upload.bin", body->content);
      return ladle_session_create_upload_task_from_file (session, message, body->file);

    case KIND_STREAMED:
      body->content = ladle_test_content_for_seed (3, 800 * 1000 + 5);
      return ladle_session_create_upload_task_streamed (session, message);

    case KIND_STREAMED_LENGTH:
      body->content = ladle_test_content_for_seed (4, 800 * 1000 + 9);
      soup_message_headers_set_content_length (headers, (goffset) g_bytes_get_size (body->content));
      return ladle_session_create_upload_task_streamed (session, message);

    case KIND_FORM:
      body->form = form_new ();
      body->content = read_form (body->form->form);
      /* Count the sends only. */
      body->form->n_factory_calls = 0;
      return ladle_session_create_upload_task_from_form (session, message, body->form->form);

    default:
      g_assert_not_reached ();
    }
}

static gboolean
kind_is_streamed (Kind kind)
{
  return kind == KIND_STREAMED || kind == KIND_STREAMED_LENGTH;
}

/* LADLE_DEBUG=no-direct-body: libsoup writes every body (the suite runs both ways). */
static gboolean
direct_body_enabled (void)
{
  const char *flags = g_getenv ("LADLE_DEBUG");

  return flags == NULL || strstr (flags, "no-direct-body") == NULL;
}

/* Bodies of known size are copied by Ladle itself, the chunked (streamed) one by libsoup. */
static void
assert_copied_directly (Kind  kind,
                        guint n_soup_writes)
{
  if (kind == KIND_STREAMED || !direct_body_enabled ())
    g_assert_cmpuint (n_soup_writes, >, 0);
  else
    g_assert_cmpuint (n_soup_writes, ==, 0);
}

static void
assert_received (LadleTestRequest *request,
                 const char    *method,
                 Body          *body)
{
  assert_request_body (request, method, body->content, body->kind == KIND_STREAMED);
  if (body->kind == KIND_FORM)
    assert_form_received (request, body->form);
}

/* Tests: one send */

static void
test_upload (gconstpointer data)
{
  Kind kind = GPOINTER_TO_INT (data);
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  g_autoptr(LadleUploadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  Body body = { 0 };
  guint n_soup_writes = 0;

  task = create_task (session, SOUP_METHOD_POST, uri, kind, &body);
  run = run_new (session, LADLE_TASK (task));
  if (kind_is_streamed (kind))
    run->stream_content = g_bytes_ref (body.content);
  count_soup_writes (LADLE_TASK (task), &n_soup_writes);

  g_assert_cmpint (ladle_upload_task_get_body_kind (task), ==,
                   kind == KIND_BYTES ? LADLE_UPLOAD_BODY_KIND_BYTES :
                   kind == KIND_FILE ? LADLE_UPLOAD_BODY_KIND_FILE :
                   kind == KIND_FORM ? LADLE_UPLOAD_BODY_KIND_FORM :
                   LADLE_UPLOAD_BODY_KIND_STREAMED);

  run_start_and_wait (run);
  g_assert_no_error (run->error);
  g_assert_cmpuint (ladle_task_get_status_code (run->task), ==, SOUP_STATUS_OK);

  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 1);
  assert_received (ladle_test_server_get_handled (server, 0), SOUP_METHOD_POST, &body);
  if (kind == KIND_BYTES)
    g_assert_cmpstr (soup_message_headers_get_one (ladle_test_server_get_handled (server, 0)->headers,
                                                   "Content-Type"), ==, "application/x-bytes");
  if (kind == KIND_FILE)
    g_assert_cmpstr (soup_message_headers_get_one (ladle_test_server_get_handled (server, 0)->headers,
                                                   "Content-Type"), ==, "application/octet-stream");

  assert_progress (run, kind == KIND_STREAMED ? -1 : (gint64) g_bytes_get_size (body.content));
  assert_response (run, body.content);
  g_assert_cmpuint (run->n_need_body_stream, ==, kind_is_streamed (kind) ? 1 : 0);
  if (kind == KIND_FORM)
    g_assert_cmpuint (body.form->n_factory_calls, ==, 1);
  g_assert_cmpuint (run->n_authenticate, ==, 0);
  /* Every body here is large: Ladle copied those of known size itself, libsoup the chunked one. */
  assert_copied_directly (kind, n_soup_writes);

  body_clear (&body);
}

/* A RESTful PUT of a file: same bytes, same framing, and the method is kept. */
static void
test_put_file (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  g_autoptr(LadleUploadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  Body body = { 0 };

  task = create_task (session, SOUP_METHOD_PUT, uri, KIND_FILE, &body);
  run = run_new (session, LADLE_TASK (task));
  run_start_and_wait (run);
  g_assert_no_error (run->error);

  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 1);
  assert_received (ladle_test_server_get_handled (server, 0), SOUP_METHOD_PUT, &body);
  assert_progress (run, (gint64) g_bytes_get_size (body.content));

  body_clear (&body);
}

/* An empty body still goes out with Content-Length: 0. */
static void
test_empty_bytes (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_POST, uri);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(LadleUploadTask) task = ladle_session_create_upload_task_from_bytes (session, message, empty);
  g_autoptr(Run) run = run_new (session, LADLE_TASK (task));

  run_start_and_wait (run);
  g_assert_no_error (run->error);
  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 1);
  assert_request_body (ladle_test_server_get_handled (server, 0), SOUP_METHOD_POST, empty, FALSE);
  g_assert_cmpint (ladle_task_get_bytes_expected_to_send (run->task), ==, 0);
  g_assert_cmpint (ladle_task_get_bytes_sent (run->task), ==, 0);
  assert_response (run, empty);
}

/* Tests: resend after a 401 */

typedef struct
{
  Kind     kind;
  gboolean later;
} AuthCase;

static void
test_auth_resend (gconstpointer data)
{
  const AuthCase *c = data;
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  /* A new session: libsoup caches Basic credentials per session, and only a session's first
   * request to a protection space meets the 401. */
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/auth/upload");
  g_autoptr(LadleUploadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  Body body = { 0 };
  LadleTestRequest *request;
  guint n_soup_writes = 0;

  task = create_task (session, SOUP_METHOD_POST, uri, c->kind, &body);
  run = run_new (session, LADLE_TASK (task));
  run->authenticate = TRUE;
  run->authenticate_later = c->later;
  if (kind_is_streamed (c->kind))
    run->stream_content = g_bytes_ref (body.content);
  count_soup_writes (LADLE_TASK (task), &n_soup_writes);

  run_start_and_wait (run);
  g_assert_no_error (run->error);
  g_assert_cmpuint (ladle_task_get_status_code (run->task), ==, SOUP_STATUS_OK);

  ladle_test_server_wait_idle (server);
  /* One 401, then the resend that the server accepted, carrying the same bytes. */
  g_assert_cmpuint (ladle_test_server_get_n_unauthorized (server), ==, 1);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 1);
  request = ladle_test_server_get_handled (server, 0);
  assert_received (request, SOUP_METHOD_POST, &body);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_one (request->headers, "Authorization"),
                                   "Basic "));

  g_assert_cmpuint (run->n_authenticate, ==, 1);
  g_assert_cmpuint (run->n_retrying, ==, 0);
  /* A streamed body was asked for twice: the first send and the resend. */
  g_assert_cmpuint (run->n_need_body_stream, ==, kind_is_streamed (c->kind) ? 2 : 0);
  if (kind_is_streamed (c->kind))
    g_assert_cmpstr (run->events->str, ==, "NANRC");
  else
    g_assert_cmpstr (run->events->str, ==, "ARC");
  if (c->kind == KIND_FORM)
    g_assert_cmpuint (body.form->n_factory_calls, ==, 2);

  assert_progress (run, c->kind == KIND_STREAMED ? -1 : (gint64) g_bytes_get_size (body.content));
  assert_response (run, body.content);
  /* The resend was copied directly too, whether it went out on the same connection or a new one. */
  assert_copied_directly (c->kind, n_soup_writes);

  body_clear (&body);
}

/* Wrong credentials are not an error: the task completes with the 401. */
static void
test_auth_refused (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/auth/upload");
  g_autoptr(LadleUploadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  Body body = { 0 };

  task = create_task (session, SOUP_METHOD_POST, uri, KIND_FILE, &body);
  run = run_new (session, LADLE_TASK (task));
  run_start_and_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpuint (ladle_task_get_status_code (run->task), ==, SOUP_STATUS_UNAUTHORIZED);
  g_assert_cmpuint (run->n_authenticate, ==, 1);
  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 0);
  g_assert_cmpuint (ladle_test_server_get_n_unauthorized (server), ==, 1);

  body_clear (&body);
}

/* Tests: redirects */

typedef struct
{
  guint status;
  Kind  kind;
} RedirectCase;

static void
test_redirect_resend (gconstpointer data)
{
  const RedirectCase *c = data;
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *path = g_strdup_printf ("/redirect/%u?to=/upload", c->status);
  g_autofree char *uri = ladle_test_server_dup_uri (server, path);
  g_autoptr(LadleUploadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  Body body = { 0 };
  LadleTestRequest *first, *second;
  g_autofree char *final_uri = NULL;

  task = create_task (session, SOUP_METHOD_POST, uri, c->kind, &body);
  run = run_new (session, LADLE_TASK (task));
  if (kind_is_streamed (c->kind))
    run->stream_content = g_bytes_ref (body.content);

  run_start_and_wait (run);
  g_assert_no_error (run->error);
  g_assert_cmpuint (ladle_task_get_status_code (run->task), ==, SOUP_STATUS_OK);
  final_uri = g_uri_to_string (soup_message_get_uri (ladle_task_get_current_request (run->task)));
  g_assert_true (g_str_has_suffix (final_uri, "/upload"));

  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 2);
  first = ladle_test_server_get_handled (server, 0);
  second = ladle_test_server_get_handled (server, 1);
  g_assert_true (g_str_has_prefix (first->path, "/redirect/"));
  g_assert_cmpstr (second->path, ==, "/upload");

  /* Both locations received the whole body, the same method and the same framing. */
  assert_received (first, SOUP_METHOD_POST, &body);
  assert_received (second, SOUP_METHOD_POST, &body);
  if (c->kind == KIND_BYTES)
    g_assert_cmpstr (soup_message_headers_get_one (second->headers, "Content-Type"), ==,
                     "application/x-bytes");

  g_assert_cmpuint (run->n_need_body_stream, ==, kind_is_streamed (c->kind) ? 2 : 0);
  g_assert_cmpstr (run->events->str, ==, kind_is_streamed (c->kind) ? "NXNRC" : "XRC");
  if (c->kind == KIND_FORM)
    g_assert_cmpuint (body.form->n_factory_calls, ==, 2);

  assert_response (run, body.content);
  /* The whole body was reported (monotonicity across the redirect is redirect/progress). */
  g_assert_cmpuint (run->progress->len, >, 0);
  g_assert_cmpint (g_array_index (run->progress, Progress, run->progress->len - 1).total_sent, ==,
                   (gint64) g_bytes_get_size (body.content));
  g_assert_cmpint (ladle_task_get_bytes_expected_to_send (run->task), ==,
                   c->kind == KIND_STREAMED ? -1 : (gint64) g_bytes_get_size (body.content));

  body_clear (&body);
}

/* upload-progress stays monotonic when a 307 makes the body go out a second time: the resent
 * bytes count only once they pass what was already reported, as after a 401. */
static void
test_redirect_progress (gconstpointer data)
{
  guint status = GPOINTER_TO_UINT (data);
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *path = g_strdup_printf ("/redirect/%u?to=/upload", status);
  g_autofree char *uri = ladle_test_server_dup_uri (server, path);
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_PUT, uri);
  g_autoptr(GBytes) content = ladle_test_content_for_seed (10, 16 * 1024 * 1024 + 3);
  g_autoptr(GFile) file = make_file ("redirected.bin", content);
  g_autoptr(LadleUploadTask) task = ladle_session_create_upload_task_from_file (session, message, file);
  g_autoptr(Run) run = run_new (session, LADLE_TASK (task));

  run_start_and_wait (run);
  g_assert_no_error (run->error);
  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 2);
  assert_request_body (ladle_test_server_get_handled (server, 1), SOUP_METHOD_PUT, content, FALSE);
  assert_progress (run, (gint64) g_bytes_get_size (content));
  delete_file (file);
}

/* 303 (and 301/302 after a POST) make the next request a GET without a body or body headers. */
static void
test_redirect_becomes_get (gconstpointer data)
{
  const RedirectCase *c = data;
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *path = g_strdup_printf ("/redirect/%u?to=/upload", c->status);
  g_autofree char *uri = ladle_test_server_dup_uri (server, path);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(LadleUploadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  Body body = { 0 };
  LadleTestRequest *second;

  task = create_task (session, SOUP_METHOD_POST, uri, c->kind, &body);
  run = run_new (session, LADLE_TASK (task));
  if (kind_is_streamed (c->kind))
    run->stream_content = g_bytes_ref (body.content);

  run_start_and_wait (run);
  g_assert_no_error (run->error);
  g_assert_cmpuint (ladle_task_get_status_code (run->task), ==, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_get_method (ladle_task_get_current_request (run->task)), ==, SOUP_METHOD_GET);

  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 2);
  assert_received (ladle_test_server_get_handled (server, 0), SOUP_METHOD_POST, &body);

  second = ladle_test_server_get_handled (server, 1);
  g_assert_cmpstr (second->path, ==, "/upload");
  g_assert_cmpstr (second->method, ==, SOUP_METHOD_GET);
  g_assert_cmpuint (g_bytes_get_size (second->body), ==, 0);
  g_assert_null (soup_message_headers_get_one (second->headers, "Content-Type"));
  g_assert_null (soup_message_headers_get_one (second->headers, "Transfer-Encoding"));
  g_assert_true (soup_message_headers_get_one (second->headers, "Content-Length") == NULL ||
                 g_strcmp0 (soup_message_headers_get_one (second->headers, "Content-Length"), "0") == 0);

  /* The body was produced once only: the GET carries none. */
  g_assert_cmpuint (run->n_need_body_stream, ==, kind_is_streamed (c->kind) ? 1 : 0);
  g_assert_cmpint (ladle_task_get_bytes_expected_to_send (run->task), ==, 0);
  assert_response (run, empty);

  body_clear (&body);
}

/* Tests: bodies that cannot be produced */

static void
on_completed_flag (LadleTask    *task,
                   const GError *error,
                   gboolean     *flag)
{
  *flag = TRUE;
}

static void
test_no_body_stream_no_handler (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_POST, uri);
  g_autoptr(LadleUploadTask) task = ladle_session_create_upload_task_streamed (session, message);
  gboolean completed = FALSE;

  /* No need-body-stream handler at all. */
  g_signal_connect (task, "completed", G_CALLBACK (on_completed_flag), &completed);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_for_flag (&completed, 30, "the upload completing");

  g_assert_error ((GError *) ladle_task_get_error (LADLE_TASK (task)), LADLE_ERROR, LADLE_ERROR_NO_BODY_STREAM);
  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 0);
  g_signal_handlers_disconnect_by_data (task, &completed);
}

static void
test_no_body_stream (gconstpointer data)
{
  guint null_at = GPOINTER_TO_UINT (data);
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  /* The resend case needs a 401 first. */
  g_autofree char *uri = ladle_test_server_dup_uri (server, null_at == 1 ? "/upload" : "/auth/upload");
  g_autoptr(LadleUploadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  Body body = { 0 };

  task = create_task (session, SOUP_METHOD_POST, uri, KIND_STREAMED, &body);
  run = run_new (session, LADLE_TASK (task));
  run->stream_content = g_bytes_ref (body.content);
  run->null_stream_at = null_at;
  run->authenticate = TRUE;

  run_start_and_wait (run);
  g_assert_error (run->error, LADLE_ERROR, LADLE_ERROR_NO_BODY_STREAM);
  g_assert_error ((GError *) ladle_task_get_error (run->task), LADLE_ERROR, LADLE_ERROR_NO_BODY_STREAM);
  g_assert_cmpuint (run->n_need_body_stream, ==, null_at);
  g_assert_null (strchr (run->events->str, 'R'));

  ladle_test_server_wait_idle (server);
  /* Nothing reached the upload handler: no request went out with a missing body. */
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 0);

  body_clear (&body);
}

/* A file that changes size between the first send and the resend fails the task instead of
 * sending a body that disagrees with the first one. */
static void
test_body_changed (gconstpointer data)
{
  const AuthCase *c = data;   /* kind, and later = shrink instead of grow */
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/auth/upload");
  g_autoptr(LadleUploadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  Body body = { 0 };

  task = create_task (session, SOUP_METHOD_POST, uri, c->kind, &body);
  run = run_new (session, LADLE_TASK (task));
  run->authenticate = TRUE;
  run->grow_on_authenticate = g_object_ref (c->kind == KIND_FORM ? body.form->file : body.file);
  run->truncate_on_authenticate = c->later;

  run_start_and_wait (run);
  g_assert_error (run->error, LADLE_ERROR, LADLE_ERROR_BODY_CHANGED);
  g_assert_cmpuint (run->n_authenticate, ==, 1);
  g_assert_null (strchr (run->events->str, 'R'));

  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_unauthorized (server), ==, 1);
  /* A resend whose body went out cut short or too long never reached the handler. */
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 0);

  body_clear (&body);
}

/* A big file: many writes, progress in many steps, still monotonic and complete. */
static void
test_large_file_progress (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_PUT, uri);
  g_autoptr(GBytes) content = ladle_test_content_for_seed (9, 24 * 1024 * 1024 + 17);
  g_autoptr(GFile) file = make_file ("large.bin", content);
  g_autoptr(LadleUploadTask) task = ladle_session_create_upload_task_from_file (session, message, file);
  g_autoptr(Run) run = run_new (session, LADLE_TASK (task));

  run_start_and_wait (run);
  g_assert_no_error (run->error);
  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 1);
  assert_request_body (ladle_test_server_get_handled (server, 0), SOUP_METHOD_PUT, content, FALSE);
  assert_progress (run, (gint64) g_bytes_get_size (content));
  delete_file (file);
}


/* Tests: the direct body copy. Ladle writes a large body of known size to the HTTP/1 connection
 * itself; whenever it cannot know the connection's stream, libsoup writes the body as before. */

/* Uploads @content with @message (the caller sets it up) as the @index-th request the server
 * receives, checks the bytes and the progress, and returns how many body blocks libsoup wrote. */
static guint
upload_bytes_and_check (LadleTestServer *server,
                        LadleSession *session,
                        SoupMessage  *message,
                        GBytes       *content,
                        guint         index)
{
  g_autoptr(LadleUploadTask) task = ladle_session_create_upload_task_from_bytes (session, message, content);
  g_autoptr(Run) run = run_new (session, LADLE_TASK (task));
  guint n_soup_writes = 0;

  count_soup_writes (LADLE_TASK (task), &n_soup_writes);
  run_start_and_wait (run);
  g_assert_no_error (run->error);
  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, index + 1);
  assert_request_body (ladle_test_server_get_handled (server, index), soup_message_get_method (message),
                       content, FALSE);
  assert_progress (run, (gint64) g_bytes_get_size (content));
  g_signal_handlers_disconnect_by_data (message, &n_soup_writes);

  return n_soup_writes;
}

/* A small body is left to libsoup. */
static void
test_direct_small_body (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_POST, uri);
  g_autoptr(GBytes) content = ladle_test_content_for_seed (30, 1000);

  g_assert_cmpuint (upload_bytes_and_check (server, session, message, content, 0), >, 0);
}

/* A connection from the pool, made for another task: its stream is unknown to this task, so
 * libsoup writes the body; the bytes are the same. */
static void
test_direct_reused_connection (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  g_autoptr(SoupMessage) first_message = soup_message_new (SOUP_METHOD_GET, uri);
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_PUT, uri);
  g_autoptr(GBytes) content = ladle_test_content_for_seed (31, 3 * 1000 * 1000 + 1);
  g_autoptr(LadleDataTask) first = ladle_session_create_data_task (session, first_message);
  g_autoptr(Run) first_run = run_new (session, LADLE_TASK (first));

  run_start_and_wait (first_run);
  g_assert_no_error (first_run->error);

  g_assert_cmpuint (upload_bytes_and_check (server, session, message, content, 1), >, 0);
  /* The premise: the PUT went out on the GET's connection. */
  g_assert_cmpuint (soup_message_get_connection_id (message), !=, 0);
  g_assert_cmpuint (soup_message_get_connection_id (message), ==,
                    soup_message_get_connection_id (first_message));
}

/* Expect: 100-continue: the body waits for the server's answer, which libsoup reads: libsoup
 * writes the body. */
static void
test_direct_expect_continue (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_POST, uri);
  g_autoptr(GBytes) content = ladle_test_content_for_seed (32, 2 * 1000 * 1000 + 5);

  soup_message_headers_set_expectations (soup_message_get_request_headers (message),
                                         SOUP_EXPECTATION_CONTINUE);
  g_assert_cmpuint (upload_bytes_and_check (server, session, message, content, 0), >, 0);
}

/* A streamed body shorter than the Content-Length set on the request fails at once with
 * BODY_CHANGED, instead of leaving the server waiting for the missing bytes. */
static void
test_direct_short_stream (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_POST, uri);
  g_autoptr(LadleUploadTask) task = NULL;
  g_autoptr(Run) run = NULL;

  soup_message_headers_set_content_length (soup_message_get_request_headers (message), 1000 * 1000);
  task = ladle_session_create_upload_task_streamed (session, message);
  run = run_new (session, LADLE_TASK (task));
  run->stream_content = ladle_test_content_for_seed (33, 300 * 1000);

  run_start_and_wait (run);
  g_assert_error (run->error, LADLE_ERROR, LADLE_ERROR_BODY_CHANGED);
  g_assert_null (strchr (run->events->str, 'R'));
  ladle_test_server_wait_idle (server);
  g_assert_cmpuint (ladle_test_server_get_n_handled (server), ==, 0);
}

static gboolean
cancel_task_cb (gpointer data)
{
  ladle_task_cancel (data);

  return G_SOURCE_REMOVE;
}

static void
on_progress_cancel_later (LadleTask *task,
                          gint64     sent_now,
                          gint64     total_sent,
                          gint64     total_expected,
                          guint     *cancel_source)
{
  if (*cancel_source == 0)
    *cancel_source = g_timeout_add_full (G_PRIORITY_DEFAULT, 300, cancel_task_cb,
                                         g_object_ref (task), g_object_unref);
}

/* A server that stops reading: the copy waits for the connection, and a cancel ends the task
 * at once with CANCELLED. */
static void
test_direct_cancel (void)
{
  g_autoptr(LadleTestRawServer) server = ladle_test_raw_server_new_stall ();
  g_autoptr(LadleSession) session = new_session ();
  g_autofree char *uri = ladle_test_raw_server_dup_uri (server, "/upload");
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_PUT, uri);
  g_autoptr(GBytes) content = ladle_test_content_for_seed (34, 48 * 1024 * 1024);
  g_autoptr(LadleUploadTask) task = ladle_session_create_upload_task_from_bytes (session, message, content);
  g_autoptr(Run) run = run_new (session, LADLE_TASK (task));
  guint cancel_source = 0;
  gint64 started;

  g_signal_connect (task, "upload-progress", G_CALLBACK (on_progress_cancel_later), &cancel_source);
  started = g_get_monotonic_time ();
  run_start_and_wait (run);

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (cancel_source, !=, 0);
  /* Some of the body went out, not all of it: the server never read it. */
  g_assert_cmpint (ladle_task_get_bytes_sent (run->task), >, 0);
  g_assert_cmpint (ladle_task_get_bytes_sent (run->task), <, (gint64) g_bytes_get_size (content));
  g_assert_cmpuint (ladle_test_raw_server_get_n_requests (server), ==, 1);
  g_test_message ("cancelled after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  g_signal_handlers_disconnect_by_data (task, &cancel_source);
}

/* PUTs 48 MiB to @server (which never reads it all) and waits for the task to complete. */
static Run *
upload_to_raw_server (LadleSession *session,
                      LadleTestRawServer    *server,
                      guint32       seed)
{
  g_autofree char *uri = ladle_test_raw_server_dup_uri (server, "/upload");
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_PUT, uri);
  g_autoptr(GBytes) content = ladle_test_content_for_seed (seed, 48 * 1024 * 1024);
  g_autoptr(LadleUploadTask) task = ladle_session_create_upload_task_from_bytes (session, message, content);
  Run *run = run_new (session, LADLE_TASK (task));

  run_start_and_wait (run);
  g_assert_nonnull (run->error);
  g_test_message ("error: %s", run->error->message);
  g_assert_cmpint (ladle_task_get_bytes_sent (run->task), <, (gint64) g_bytes_get_size (content));

  return run;
}

/* The same server with the session's timeout: the copy fails with TIMED_OUT, as a body written
 * by libsoup would. */
static void
test_direct_timeout (void)
{
  g_autoptr(LadleTestRawServer) server = ladle_test_raw_server_new_stall ();
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(Run) run = NULL;

  ladle_session_configuration_set_timeout (configuration, 1);
  session = ladle_session_new (configuration);
  run = upload_to_raw_server (session, server, 35);
  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* A server that answers early and closes: the copy's write fails and the task fails with an
 * I/O error; nothing hangs. */
static void
test_direct_server_closes (void)
{
  g_autoptr(LadleTestRawServer) server = ladle_test_raw_server_new_reject ();
  g_autoptr(LadleSession) session = new_session ();
  g_autoptr(Run) run = upload_to_raw_server (session, server, 36);

  g_assert_true (run->error->domain == G_IO_ERROR);
  g_assert_cmpuint (ladle_test_raw_server_get_n_requests (server), ==, 1);
}

static const AuthCase auth_cases[] = {
  { KIND_BYTES, FALSE },
  { KIND_FILE, FALSE },
  { KIND_STREAMED, FALSE },
  { KIND_STREAMED_LENGTH, FALSE },
  { KIND_FORM, FALSE },
  { KIND_BYTES, TRUE },
  { KIND_STREAMED, TRUE },
  { KIND_FORM, TRUE },
};

static const AuthCase changed_cases[] = {
  { KIND_FILE, FALSE },
  { KIND_FILE, TRUE },
  { KIND_FORM, FALSE },
  { KIND_FORM, TRUE },
};

static const RedirectCase redirect_cases[] = {
  { 307, KIND_BYTES }, { 307, KIND_FILE }, { 307, KIND_STREAMED }, { 307, KIND_STREAMED_LENGTH }, { 307, KIND_FORM },
  { 308, KIND_BYTES }, { 308, KIND_FILE }, { 308, KIND_STREAMED }, { 308, KIND_STREAMED_LENGTH }, { 308, KIND_FORM },
};

static const RedirectCase get_cases[] = {
  { 303, KIND_BYTES }, { 303, KIND_FILE }, { 303, KIND_STREAMED }, { 303, KIND_FORM },
  { 302, KIND_BYTES }, { 301, KIND_FORM },
};

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("ladle-uploads-XXXXXX", &error);
  g_assert_no_error (error);

  for (Kind kind = KIND_BYTES; kind <= KIND_FORM; kind++)
    {
      g_autofree char *name = g_strdup_printf ("/Ladle/Upload/post/%s", kind_names[kind]);
      g_test_add_data_func (name, GINT_TO_POINTER (kind), test_upload);
    }
  g_test_add_func ("/Ladle/Upload/put-file", test_put_file);
  g_test_add_func ("/Ladle/Upload/empty-bytes", test_empty_bytes);
  g_test_add_func ("/Ladle/Upload/large-file-progress", test_large_file_progress);

  for (guint i = 0; i < G_N_ELEMENTS (auth_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/Ladle/Upload/auth-resend/%s%s",
                                               kind_names[auth_cases[i].kind],
                                               auth_cases[i].later ? "/authenticate-later" : "");
      g_test_add_data_func (name, &auth_cases[i], test_auth_resend);
    }
  g_test_add_func ("/Ladle/Upload/auth-refused", test_auth_refused);

  for (guint i = 0; i < G_N_ELEMENTS (redirect_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/Ladle/Upload/redirect/%u/%s", redirect_cases[i].status,
                                               kind_names[redirect_cases[i].kind]);
      g_test_add_data_func (name, &redirect_cases[i], test_redirect_resend);
    }
  for (guint i = 0; i < G_N_ELEMENTS (get_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/Ladle/Upload/redirect/%u/%s/becomes-get", get_cases[i].status,
                                               kind_names[get_cases[i].kind]);
      g_test_add_data_func (name, &get_cases[i], test_redirect_becomes_get);
    }

  g_test_add_func ("/Ladle/Upload/no-body-stream/no-handler", test_no_body_stream_no_handler);
  g_test_add_data_func ("/Ladle/Upload/no-body-stream/first-send", GUINT_TO_POINTER (1), test_no_body_stream);
  g_test_add_data_func ("/Ladle/Upload/no-body-stream/resend", GUINT_TO_POINTER (2), test_no_body_stream);

  for (guint i = 0; i < G_N_ELEMENTS (changed_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/Ladle/Upload/body-changed/%s/%s",
                                               kind_names[changed_cases[i].kind],
                                               changed_cases[i].later ? "shrinks" : "grows");
      g_test_add_data_func (name, &changed_cases[i], test_body_changed);
    }

  g_test_add_func ("/Ladle/Upload/direct/small-body", test_direct_small_body);
  g_test_add_func ("/Ladle/Upload/direct/reused-connection", test_direct_reused_connection);
  g_test_add_func ("/Ladle/Upload/direct/expect-continue", test_direct_expect_continue);
  /* Only Ladle's own copy stops a body that ends before its Content-Length. */
  if (direct_body_enabled ())
    g_test_add_func ("/Ladle/Upload/direct/short-stream", test_direct_short_stream);
  g_test_add_func ("/Ladle/Upload/direct/cancel", test_direct_cancel);
  g_test_add_func ("/Ladle/Upload/direct/timeout", test_direct_timeout);
  g_test_add_func ("/Ladle/Upload/direct/server-closes", test_direct_server_closes);

  /* Last: upload-progress across a redirect (a failure here aborts the program). */
  g_test_add_data_func ("/Ladle/Upload/redirect-progress/307", GUINT_TO_POINTER (307), test_redirect_progress);
  g_test_add_data_func ("/Ladle/Upload/redirect-progress/308", GUINT_TO_POINTER (308), test_redirect_progress);

  ret = g_test_run ();

  g_assert_cmpint (g_rmdir (tmp_dir), ==, 0);
  g_free (tmp_dir);

  return ret;
}
