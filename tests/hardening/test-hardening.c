/* test-hardening.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What a hostile server or a careless caller tries, and what Ladle must answer:
 *
 *   content-length/  a final response whose Content-Length is not a number, negative, too large
 *                    or repeated with other values fails with LADLE_ERROR_INVALID_RESPONSE and
 *                    delivers nothing; agreeing repeats are one length
 *   content-range/   a 206 is only the answer to a Range request, and exactly to that range
 *   resume/          a resumed download continues the partial file only with the same strong
 *                    validator and total; otherwise the file and the resume data stay usable
 *   request/         a method that is not an RFC 9110 token never reaches the network
 *   max-body-size/   an accumulating data task stops at LadleDataTask:max-body-size, counted
 *                    after decoding
 *   filename/        Unicode format characters (Cf) never survive ladle_sanitize_filename ()
 *
 * Byte-exact broken responses come from LadleTestRawServer, the rest from LadleTestServer.
 * Events are the recorder's letters (ladle-test-recorder.h): R response, D data-received,
 * P download-progress, S resumed, F finished, W download-finished, C completed,
 * T task-completed.
 */

#include <ladle.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ladle-test.h"

/* Files */

static void
write_file (const char *path,
            GBytes     *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents), &error);
  g_assert_no_error (error);
}

/* Fixture: a test server, a session whose state directory (and so its partial files) is the
 * test's own, and a directory for destinations. */

typedef struct
{
  LadleTestServer *server;
  LadleSession    *session;
  char            *state_dir;
  char            *downloads_dir;
  char            *outside_dir;
} Fixture;

static LadleSession *
session_new (const char *state_dir)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();

  ladle_session_configuration_set_state_directory (configuration, state_dir);

  return ladle_session_new (configuration);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = ladle_test_server_new ();
  fixture->state_dir = g_dir_make_tmp ("ladle-hardening-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->outside_dir = g_dir_make_tmp ("ladle-hardening-out-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->downloads_dir = g_build_filename (fixture->state_dir, "downloads", NULL);
  fixture->session = session_new (fixture->state_dir);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  ladle_session_invalidate_and_cancel (fixture->session);
  g_clear_object (&fixture->session);
  ladle_test_drain (100);
  g_clear_pointer (&fixture->server, ladle_test_server_free);
  ladle_test_remove_tree (fixture->state_dir);
  ladle_test_remove_tree (fixture->outside_dir);
  g_free (fixture->state_dir);
  g_free (fixture->downloads_dir);
  g_free (fixture->outside_dir);
}

static LadleTestRecorder *
run_task (gpointer task)
{
  LadleTestRecorder *recorder = ladle_test_recorder_new (task);

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  return recorder;
}

/* Raw responses */

/* @status_line, @headers (CRLF-terminated lines, or NULL), then @length bytes of the generic
 * content from @offset. */
static GByteArray *
raw_begin (const char *status_line,
           const char *headers,
           guint64     offset,
           gsize       length)
{
  GByteArray *response = ladle_test_raw_response_begin (status_line, headers);

  ladle_test_byte_array_append_content (response, offset, length);
  return response;
}

static GBytes *
raw_response (const char *status_line,
              const char *headers,
              guint64     offset,
              gsize       length)
{
  return g_byte_array_free_to_bytes (raw_begin (status_line, headers, offset, length));
}

/* Content from @offset, @length bytes in chunks of @chunk_size, and the last chunk when
 * @terminated (without it the connection just ends at a chunk boundary). */
static void
append_chunked (GByteArray *response,
                guint64     offset,
                gsize       length,
                gsize       chunk_size,
                gboolean    terminated)
{
  for (gsize done = 0; done < length; done += chunk_size)
    {
      gsize size = MIN (chunk_size, length - done);

      ladle_test_raw_response_append_chunk (response, offset + done, size, size, TRUE);
    }
  if (terminated)
    g_byte_array_append (response, (const guint8 *) "0\r\n\r\n", 5);
}

static void
append_bytes (GByteArray *response,
              GBytes     *bytes)
{
  g_byte_array_append (response, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
assert_data_is_content (GByteArray *data,
                        guint64     offset,
                        gsize       length)
{
  g_autoptr(GBytes) expected = ladle_test_content_new (offset, length);

  g_assert_cmpmem (data->data, data->len, g_bytes_get_data (expected, NULL), length);
}

/* Nothing of the body reached the application (libsoup 3.2 refuses some broken heads
 * itself, before any ::response). */
static void
assert_nothing_delivered (LadleTestRecorder *recorder)
{
  ladle_test_recorder_assert_events (recorder, "R?CT");
  g_assert_cmpuint (recorder->n_chunks, ==, 0);
  g_assert_cmpuint (recorder->data->len, ==, 0);
  for (guint i = 0; i < recorder->progress->len; i++)
    g_assert_cmpint (g_array_index (recorder->progress, LadleTestProgress, i).total_received, ==, 0);
  g_assert_cmpint (ladle_task_get_bytes_received (recorder->task), ==, 0);
}

/* content-length/ *********************************************************************/

/* libsoup 3.2 makes its body stream with g_object_new (..., "content-length", N) where N is
 * its own g_ascii_strtoull () of the header cast to goffset: for "-12" or an overflowing
 * number that is negative, and GObject warns that the value is out of range, before Ladle sees
 * the response. Counted here, not fatal (see the report: Ladle could drop such a header in
 * SoupMessage::got-headers, before libsoup reads it). */
static guint n_libsoup_length_warnings;

static gboolean
is_libsoup_length_warning (const char     *log_domain,
                           GLogLevelFlags  log_level,
                           const char     *message)
{
  return g_strcmp0 (log_domain, "GLib-GObject") == 0 && (log_level & G_LOG_LEVEL_WARNING) &&
         message != NULL && strstr (message, "for property 'content-length'") != NULL;
}

/* Keeps GLib's default handler (which prints "Bail out!" for a fatal message in TAP mode) from
 * seeing this one warning. */
static void
count_libsoup_length_warning (const char     *log_domain,
                              GLogLevelFlags  log_level,
                              const char     *message,
                              gpointer        user_data)
{
  if (is_libsoup_length_warning (log_domain, log_level, message))
    g_test_message ("tolerated: %s", message);
  else
    g_log_default_handler (log_domain, log_level, message, user_data);
}

static gboolean
tolerate_libsoup_length_warning (const char     *log_domain,
                                 GLogLevelFlags  log_level,
                                 const char     *message,
                                 gpointer        user_data)
{
  if (is_libsoup_length_warning (log_domain, log_level, message))
    {
      n_libsoup_length_warnings++;
      return FALSE;
    }

  return TRUE;
}

static void
tolerate_libsoup_length_warnings (void)
{
  static gsize handler_installed = 0;

  if (g_once_init_enter (&handler_installed))
    {
      g_log_set_handler ("GLib-GObject", G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL,
                         count_libsoup_length_warning, NULL);
      g_once_init_leave (&handler_installed, 1);
    }
  n_libsoup_length_warnings = 0;
  g_test_log_set_fatal_handler (tolerate_libsoup_length_warning, NULL);
}

typedef struct
{
  const char *status_line;    /* NULL: 200 OK */
  const char *headers;        /* the framing headers, CRLF-terminated lines */
  gsize       sent;           /* bytes of content after the head */
  gboolean    chunked;        /* sent as chunks of 1000, with the last chunk */
  int         code;           /* the LADLE_ERROR code, -1 for success */
  gsize       expected;       /* the body delivered on success */
} LengthCase;

#define LENGTH_INVALID(h)        { NULL, h, 10, FALSE, LADLE_ERROR_INVALID_RESPONSE, 0 }
#define LENGTH_INVALID_CHUNKED(h) { NULL, "Transfer-Encoding: chunked\r\n" h, 3000, TRUE, LADLE_ERROR_INVALID_RESPONSE, 0 }
#define LENGTH_OK(h, n)          { NULL, h, n, FALSE, -1, n }

static const LengthCase length_negative          = LENGTH_INVALID ("Content-Length: -12\r\n");
static const LengthCase length_negative_zero     = LENGTH_INVALID ("Content-Length: -0\r\n");
static const LengthCase length_trailing_letters  = LENGTH_INVALID ("Content-Length: 12abc\r\n");
static const LengthCase length_empty             = LENGTH_INVALID ("Content-Length: \r\n");
static const LengthCase length_hex               = LENGTH_INVALID ("Content-Length: 0x10\r\n");
static const LengthCase length_exponent          = LENGTH_INVALID ("Content-Length: 1e3\r\n");
static const LengthCase length_plus              = LENGTH_INVALID ("Content-Length: +12\r\n");
static const LengthCase length_decimal           = LENGTH_INVALID ("Content-Length: 10.0\r\n");
static const LengthCase length_inner_space       = LENGTH_INVALID ("Content-Length: 1 2\r\n");
/* an obsolete line folding: libsoup joins the lines as "1 2" */
static const LengthCase length_folded            = LENGTH_INVALID ("Content-Length: 1\r\n 2\r\n");
/* FULLWIDTH DIGIT ONE, FULLWIDTH DIGIT TWO */
static const LengthCase length_fullwidth         = LENGTH_INVALID ("Content-Length: \xef\xbc\x91\xef\xbc\x92\r\n");
static const LengthCase length_int64_overflow    = LENGTH_INVALID ("Content-Length: 9223372036854775808\r\n");
static const LengthCase length_uint64_overflow   = LENGTH_INVALID ("Content-Length: 18446744073709551616\r\n");
static const LengthCase length_twenty_digits     = LENGTH_INVALID ("Content-Length: 99999999999999999999\r\n");
static const LengthCase length_two_headers       = LENGTH_INVALID ("Content-Length: 10\r\nContent-Length: 20\r\n");
static const LengthCase length_two_headers_less  = LENGTH_INVALID ("Content-Length: 20\r\nContent-Length: 10\r\n");
static const LengthCase length_list              = LENGTH_INVALID ("Content-Length: 10, 20\r\n");
static const LengthCase length_list_of_three     = LENGTH_INVALID ("Content-Length: 10, 10, 11\r\n");
static const LengthCase length_list_then_other   = LENGTH_INVALID ("Content-Length: 10, 10\r\nContent-Length: 12\r\n");
static const LengthCase length_error_status      = { "HTTP/1.1 404 Not Found", "Content-Length: 12abc\r\n", 10, FALSE,
                                                     LADLE_ERROR_INVALID_RESPONSE, 0 };
static const LengthCase length_chunked_negative  = LENGTH_INVALID_CHUNKED ("Content-Length: -12\r\n");
static const LengthCase length_chunked_letters   = LENGTH_INVALID_CHUNKED ("Content-Length: 12abc\r\n");
static const LengthCase length_chunked_overflow  = LENGTH_INVALID_CHUNKED ("Content-Length: 99999999999999999999\r\n");
static const LengthCase length_chunked_disagree  = LENGTH_INVALID_CHUNKED ("Content-Length: 10\r\nContent-Length: 20\r\n");
/* accepted */
static const LengthCase length_repeated_agree    = LENGTH_OK ("Content-Length: 10\r\nContent-Length: 10\r\n", 10);
static const LengthCase length_list_agree        = LENGTH_OK ("Content-Length: 10, 10\r\n", 10);
static const LengthCase length_list_agree_tight  = LENGTH_OK ("Content-Length: 10,10,10\r\n", 10);
static const LengthCase length_whitespace        = LENGTH_OK ("Content-Length: \t 10 \t\r\n", 10);
static const LengthCase length_leading_zeros     = LENGTH_OK ("Content-Length: 0010\r\n", 10);
static const LengthCase length_zero              = LENGTH_OK ("Content-Length: 0\r\n", 0);
/* Transfer-Encoding wins over a valid Content-Length (RFC 9112 6.3) */
static const LengthCase length_chunked_valid     = { NULL, "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 3000, TRUE,
                                                     -1, 3000 };
/* the agreed length is the one the body is held to: 5 bytes of 10 are a truncated body */
static const LengthCase length_agree_truncated   = { NULL, "Content-Length: 10\r\nContent-Length: 10\r\n", 5, FALSE,
                                                     LADLE_ERROR_TRUNCATED_BODY, 5 };
/* the largest goffset is a length (the body then ends early) */
static const LengthCase length_int64_max         = { NULL, "Content-Length: 9223372036854775807\r\n", 10, FALSE,
                                                     LADLE_ERROR_TRUNCATED_BODY, 10 };

static GBytes *
length_case_response (const LengthCase *c)
{
  g_autofree char *headers = g_strconcat ("Content-Type: application/octet-stream\r\n", c->headers, NULL);
  GByteArray *response = ladle_test_raw_response_begin (c->status_line ? c->status_line : "HTTP/1.1 200 OK",
                                                        headers);

  if (c->chunked)
    append_chunked (response, 0, c->sent, 1000, TRUE);
  else
    ladle_test_byte_array_append_content (response, 0, c->sent);

  return g_byte_array_free_to_bytes (response);
}

static void
test_content_length_data (Fixture       *fixture,
                          gconstpointer  data)
{
  const LengthCase *c = data;
  g_autoptr(GBytes) response = length_case_response (c);
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/length");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (fixture->session, uri);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) body = NULL;

  tolerate_libsoup_length_warnings ();
  recorder = run_task (task);
  body = ladle_data_task_dup_body (task);
  g_test_message ("libsoup's GObject warnings about content-length: %u; events %s, error %s",
                  n_libsoup_length_warnings, recorder->events->str,
                  recorder->error ? recorder->error->message : "none");

  if (c->code == LADLE_ERROR_INVALID_RESPONSE)
    {
      g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE);
      /* libsoup 3.2 refuses some of these headers itself, before any ::response. */
      if (recorder->status_at_response != 0)
        g_assert_cmpuint (recorder->status_at_response, ==, c->status_line ? 404 : 200);
      assert_nothing_delivered (recorder);
      g_assert_null (body);
      return;
    }

  g_assert_cmpuint (recorder->status_at_response, ==, c->status_line ? 404 : 200);
  if (c->code < 0)
    {
      g_assert_no_error (recorder->error);
      ladle_test_recorder_assert_events (recorder, c->expected > 0 ? "R[DP]+CT" : "RP?CT");
    }
  else
    g_assert_error (recorder->error, LADLE_ERROR, c->code);

  g_assert_nonnull (body);
  g_assert_cmpuint (g_bytes_get_size (body), ==, c->expected);
  assert_data_is_content (recorder->data, 0, c->expected);
}

/* The same without tolerating libsoup's warning: a hostile header makes no warning at all. */
static void
test_content_length_no_warning (Fixture       *fixture,
                                gconstpointer  data)
{
  const LengthCase *c = data;
  g_autoptr(GBytes) response = length_case_response (c);
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/length");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (fixture->session, uri);
  g_autoptr(LadleTestRecorder) recorder = run_task (task);

  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE);
  assert_nothing_delivered (recorder);
}

/* The same responses to a download: no partial file, no destination, no resume data. */
static void
test_content_length_download (Fixture       *fixture,
                              gconstpointer  data)
{
  const LengthCase *c = data;
  g_autoptr(GBytes) response = length_case_response (c);
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/length");
  g_autofree char *destination_path = g_build_filename (fixture->outside_dir, "never.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_for_uri (fixture->session, uri);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) resume_data = NULL;

  g_assert_cmpint (c->code, ==, LADLE_ERROR_INVALID_RESPONSE);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  tolerate_libsoup_length_warnings ();
  recorder = run_task (task);
  g_test_message ("libsoup's GObject warnings about content-length: %u", n_libsoup_length_warnings);

  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE);
  assert_nothing_delivered (recorder);
  g_assert_cmpuint (recorder->n_finished, ==, 0);
  g_assert_false (g_file_test (destination_path, G_FILE_TEST_EXISTS));
  ladle_test_assert_listing (fixture->outside_dir, "");
  ladle_test_assert_listing (fixture->downloads_dir, "");
  resume_data = ladle_download_task_dup_resume_data (task);
  g_assert_null (resume_data);
}

/* content-range/ **********************************************************************/

typedef struct
{
  const char *range;          /* the Range the application sets, NULL: none */
  const char *status_line;    /* NULL: 206 Partial Content */
  const char *headers;        /* CRLF-terminated lines */
  guint64     offset;         /* of the content sent */
  gsize       sent;           /* bytes of content sent */
  guint       chunked;        /* 0: identity; else chunks of 1000, 1 with the last chunk, 2 without */
  GQuark    (*domain) (void);
  int         code;           /* -1 for success */
  gsize       expected;       /* the body on success */
} RangeCase;

#define RANGE_BAD(range, headers, offset, sent) \
  { range, NULL, headers, offset, sent, 0, ladle_error_quark, LADLE_ERROR_UNEXPECTED_RANGE, 0 }

static const RangeCase range_not_asked        = RANGE_BAD (NULL, "Content-Range: bytes 0-9/100\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_not_asked_chunked = { NULL, NULL, "Content-Range: bytes 0-9/100\r\nTransfer-Encoding: chunked\r\n", 0, 10, 1,
                                                  ladle_error_quark, LADLE_ERROR_UNEXPECTED_RANGE, 0 };
static const RangeCase range_missing          = RANGE_BAD ("bytes=0-9", "Content-Length: 10\r\n", 0, 10);
static const RangeCase range_end_before_start = RANGE_BAD ("bytes=5-", "Content-Range: bytes 5-2/10\r\nContent-Length: 0\r\n", 5, 0);
static const RangeCase range_end_past_total   = RANGE_BAD ("bytes=0-", "Content-Range: bytes 0-9/5\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_not_numbers      = RANGE_BAD ("bytes=0-9", "Content-Range: bytes a-b/c\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_no_unit          = RANGE_BAD ("bytes=0-9", "Content-Range: 0-9/10\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_equals_unit      = RANGE_BAD ("bytes=0-9", "Content-Range: bytes=0-9/10\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_other_unit       = RANGE_BAD ("bytes=0-9", "Content-Range: items 0-9/10\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_no_total         = RANGE_BAD ("bytes=0-9", "Content-Range: bytes 0-9\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_two_totals       = RANGE_BAD ("bytes=0-9", "Content-Range: bytes 0-9/10/10\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_negative_start   = RANGE_BAD ("bytes=0-9", "Content-Range: bytes -0-9/10\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_unsatisfied_form = RANGE_BAD ("bytes=0-9", "Content-Range: bytes */10\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_overflow_end     = RANGE_BAD ("bytes=0-", "Content-Range: bytes 0-99999999999999999999/100000000000000000000\r\n"
                                                           "Content-Length: 10\r\n", 0, 10);
static const RangeCase range_overflow_total   = RANGE_BAD ("bytes=0-9", "Content-Range: bytes 0-9/99999999999999999999\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_starts_elsewhere = RANGE_BAD ("bytes=100-199", "Content-Range: bytes 0-99/1000\r\nContent-Length: 100\r\n", 0, 100);
static const RangeCase range_starts_later     = RANGE_BAD ("bytes=100-199", "Content-Range: bytes 101-199/1000\r\nContent-Length: 99\r\n", 101, 99);
static const RangeCase range_ends_past_asked  = RANGE_BAD ("bytes=0-9", "Content-Range: bytes 0-19/100\r\nContent-Length: 20\r\n", 0, 20);
static const RangeCase range_several_single   = RANGE_BAD ("bytes=0-1,5-6", "Content-Range: bytes 0-1/10\r\nContent-Length: 2\r\n", 0, 2);
static const RangeCase range_multipart_for_one = RANGE_BAD ("bytes=0-9", "Content-Type: multipart/byteranges; boundary=B\r\nContent-Length: 10\r\n", 0, 10);
static const RangeCase range_length_more      = { "bytes=0-9", NULL, "Content-Range: bytes 0-9/100\r\nContent-Length: 11\r\n", 0, 11, 0,
                                                  ladle_error_quark, LADLE_ERROR_INVALID_RESPONSE, 0 };
static const RangeCase range_length_less      = { "bytes=0-9", NULL, "Content-Range: bytes 0-9/100\r\nContent-Length: 9\r\n", 0, 9, 0,
                                                  ladle_error_quark, LADLE_ERROR_INVALID_RESPONSE, 0 };
/* a chunked 206 must reach the end of its range, even when its last chunk says it is done */
static const RangeCase range_chunked_short    = { "bytes=0-9999", NULL, "Content-Range: bytes 0-9999/100000\r\nTransfer-Encoding: chunked\r\n",
                                                  0, 5000, 1, ladle_error_quark, LADLE_ERROR_TRUNCATED_BODY, 5000 };
static const RangeCase range_chunked_cut      = { "bytes=0-9999", NULL, "Content-Range: bytes 0-9999/100000\r\nTransfer-Encoding: chunked\r\n",
                                                  0, 5000, 2, ladle_error_quark, LADLE_ERROR_TRUNCATED_BODY, 5000 };
static const RangeCase range_identity_short   = { "bytes=0-9999", NULL, "Content-Range: bytes 0-9999/100000\r\nContent-Length: 10000\r\n",
                                                  0, 5000, 0, ladle_error_quark, LADLE_ERROR_TRUNCATED_BODY, 5000 };
/* accepted */
static const RangeCase range_exact            = { "bytes=0-9", NULL, "Content-Range: bytes 0-9/100\r\nContent-Length: 10\r\n", 0, 10, 0,
                                                  NULL, -1, 10 };
static const RangeCase range_ends_earlier     = { "bytes=0-99", NULL, "Content-Range: bytes 0-49/50\r\nContent-Length: 50\r\n", 0, 50, 0,
                                                  NULL, -1, 50 };
static const RangeCase range_open_ended       = { "bytes=100-", NULL, "Content-Range: bytes 100-999/1000\r\nContent-Length: 900\r\n", 100, 900, 0,
                                                  NULL, -1, 900 };
static const RangeCase range_unknown_total    = { "bytes=10-19", NULL, "Content-Range: bytes 10-19/*\r\nContent-Length: 10\r\n", 10, 10, 0,
                                                  NULL, -1, 10 };
static const RangeCase range_no_length        = { "bytes=0-9", NULL, "Content-Range: bytes 0-9/100\r\nConnection: close\r\n", 0, 10, 0,
                                                  NULL, -1, 10 };
static const RangeCase range_chunked_exact    = { "bytes=0-9999", NULL, "Content-Range: bytes 0-9999/100000\r\nTransfer-Encoding: chunked\r\n",
                                                  0, 10000, 1, NULL, -1, 10000 };
/* a server may ignore Range: the whole resource in a 200 is an answer */
static const RangeCase range_ignored_by_200   = { "bytes=0-9", "HTTP/1.1 200 OK", "Content-Length: 100\r\n", 0, 100, 0, NULL, -1, 100 };

static void
test_content_range (Fixture       *fixture,
                    gconstpointer  data)
{
  const RangeCase *c = data;
  g_autofree char *headers = g_strconcat (strstr (c->headers, "Content-Type") ? "" : "Content-Type: application/octet-stream\r\n",
                                          c->headers, NULL);
  GByteArray *bytes = ladle_test_raw_response_begin (c->status_line ? c->status_line : "HTTP/1.1 206 Partial Content",
                                                     headers);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(LadleTestRawServer) raw = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) body = NULL;

  if (c->chunked)
    append_chunked (bytes, c->offset, c->sent, 1000, c->chunked == 1);
  else
    ladle_test_byte_array_append_content (bytes, c->offset, c->sent);
  response = g_byte_array_free_to_bytes (bytes);
  raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  uri = ladle_test_raw_server_dup_uri (raw, "/range");
  message = soup_message_new ("GET", uri);
  if (c->range != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Range", c->range);
  task = ladle_session_create_data_task (fixture->session, message);
  recorder = run_task (task);
  body = ladle_data_task_dup_body (task);

  g_assert_cmpuint (ladle_test_raw_server_get_n_requests (raw), ==, 1);
  g_assert_cmpuint (recorder->status_at_response, ==, c->status_line ? 200 : 206);

  if (c->code == LADLE_ERROR_UNEXPECTED_RANGE || c->code == LADLE_ERROR_INVALID_RESPONSE)
    {
      g_assert_error (recorder->error, LADLE_ERROR, c->code);
      assert_nothing_delivered (recorder);
      g_assert_null (body);
      return;
    }

  if (c->code < 0)
    {
      g_assert_no_error (recorder->error);
      ladle_test_recorder_assert_events (recorder, "R[DP]+CT");
    }
  else
    g_assert_error (recorder->error, c->domain (), c->code);

  g_assert_nonnull (body);
  g_assert_cmpuint (g_bytes_get_size (body), ==, c->expected);
  assert_data_is_content (recorder->data, c->offset, c->expected);
}

/* A chunked 206 that sends more than its range: never more than the range is delivered. */
static void
test_content_range_chunked_long (Fixture       *fixture,
                                 gconstpointer  data)
{
  GByteArray *bytes = ladle_test_raw_response_begin ("HTTP/1.1 206 Partial Content",
                                                     "Content-Range: bytes 0-9999/100000\r\n"
                                                     "Transfer-Encoding: chunked\r\n");
  g_autoptr(GBytes) response = NULL;
  g_autoptr(LadleTestRawServer) raw = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;

  append_chunked (bytes, 0, 12000, 1000, TRUE);
  response = g_byte_array_free_to_bytes (bytes);
  raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  uri = ladle_test_raw_server_dup_uri (raw, "/range");
  message = soup_message_new ("GET", uri);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Range", "bytes=0-9999");
  task = ladle_session_create_data_task (fixture->session, message);
  recorder = run_task (task);

  g_test_message ("chunked-long: error %s, %u bytes delivered", recorder->error ? recorder->error->message : "none", recorder->data->len);
  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE);
  g_assert_cmpuint (recorder->data->len, <=, 10000);
  assert_data_is_content (recorder->data, 0, recorder->data->len);
}

/* Several ranges asked, a multipart/byteranges answer: the body is the application's, as sent. */
static void
test_content_range_multipart (Fixture       *fixture,
                              gconstpointer  data)
{
  static const char multipart[] =
    "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\nab\r\n"
    "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/10\r\n\r\nfg\r\n"
    "--B--\r\n";
  g_autofree char *headers = g_strdup_printf ("Content-Type: multipart/byteranges; boundary=B\r\n"
                                              "Content-Length: %" G_GSIZE_FORMAT "\r\n",
                                              strlen (multipart));
  GByteArray *bytes = ladle_test_raw_response_begin ("HTTP/1.1 206 Partial Content", headers);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(LadleTestRawServer) raw = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) body = NULL;

  g_byte_array_append (bytes, (const guint8 *) multipart, strlen (multipart));
  response = g_byte_array_free_to_bytes (bytes);
  raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  uri = ladle_test_raw_server_dup_uri (raw, "/multi");
  message = soup_message_new ("GET", uri);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Range", "bytes=0-1,5-6");
  task = ladle_session_create_data_task (fixture->session, message);
  recorder = run_task (task);
  body = ladle_data_task_dup_body (task);

  g_assert_no_error (recorder->error);
  ladle_test_recorder_assert_events (recorder, "R[DP]+CT");
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 206);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), multipart, strlen (multipart));
}

/* The test server honours an application's Range: the exact slice of the resource. */
static void
test_content_range_server_slice (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/1000");
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) content = ladle_test_variant_content_new (1, 1000);

  soup_message_headers_replace (soup_message_get_request_headers (message), "Range", "bytes=100-199");
  task = ladle_session_create_data_task (fixture->session, message);
  recorder = run_task (task);
  body = ladle_data_task_dup_body (task);

  g_assert_no_error (recorder->error);
  ladle_test_recorder_assert_events (recorder, "R[DP]+CT");
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 206);
  g_assert_cmpstr (ladle_test_server_get_last_request (fixture->server)->range, ==, "bytes=100-199");
  g_assert_cmpint (ladle_task_get_bytes_expected_to_receive (LADLE_TASK (task)), ==, 100);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                   (const guint8 *) g_bytes_get_data (content, NULL) + 100, 100);
}

/* ...and when it starts its answer elsewhere (range-start=0), nothing is delivered. */
static void
test_content_range_server_elsewhere (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/1000?range-start=0");
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (message), "Range", "bytes=100-199");
  task = ladle_session_create_data_task (fixture->session, message);
  recorder = run_task (task);

  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE);
  g_assert_cmpuint (ladle_test_server_get_last_request (fixture->server)->status, ==, 206);
  assert_nothing_delivered (recorder);
}

/* A new download asks for no range: a 206 is refused, and nothing is left on disk. */
static void
test_content_range_download_not_asked (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_autoptr(GBytes) response = raw_response ("HTTP/1.1 206 Partial Content",
                                             "Content-Range: bytes 0-999/5000\r\nContent-Length: 1000\r\n"
                                             "ETag: \"x\"\r\n",
                                             0, 1000);
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/partial");
  g_autofree char *destination_path = g_build_filename (fixture->outside_dir, "never.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) resume_data = NULL;

  /* even when the application sets one: a download asks for the whole resource */
  soup_message_headers_replace (soup_message_get_request_headers (message), "Range", "bytes=0-999");
  task = ladle_session_create_download_task (fixture->session, message);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_task (task);

  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE);
  assert_nothing_delivered (recorder);
  g_assert_false (g_file_test (destination_path, G_FILE_TEST_EXISTS));
  ladle_test_assert_listing (fixture->downloads_dir, "");
  resume_data = ladle_download_task_dup_resume_data (task);
  g_assert_null (resume_data);
}

/* resume/ *****************************************************************************/

#define RESUME_SIZE   5000
#define RESUME_OFFSET 1000
#define RESUME_DATE   "Mon, 01 Jan 2024 01:00:00 GMT"   /* variant 1 of the test server */
#define RESUME_ETAG   "\"v1-5000\""

static GBytes *
build_resume_data (const char *url,
                   const char *partial,
                   guint64     bytes_received,
                   gint64      expected_total,
                   const char *etag,
                   const char *last_modified)
{
  LadleTestResumeFields fields = {
    .url = url, .partial = partial, .bytes_received = bytes_received,
    .expected_total = expected_total, .etag = etag, .last_modified = last_modified,
  };

  return ladle_test_resume_data_build (&fields);
}

static GVariantDict *
parse_resume_data (GBytes *bytes)
{
  g_autoptr(GVariant) variant = NULL;

  g_assert_nonnull (bytes);
  variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (variant);

      g_variant_unref (variant);
      variant = swapped;
    }

  return g_variant_dict_new (variant);
}

static void
assert_dict_string (GVariantDict *dict,
                    const char   *key,
                    const char   *expected)
{
  const char *value = NULL;

  if (expected == NULL)
    {
      g_assert_false (g_variant_dict_contains (dict, key));
      return;
    }
  g_assert_true (g_variant_dict_lookup (dict, key, "&s", &value));
  g_assert_cmpstr (value, ==, expected);
}

static void
assert_dict_uint64 (GVariantDict *dict,
                    const char   *key,
                    guint64       expected)
{
  guint64 value = 0;

  g_assert_true (g_variant_dict_lookup (dict, key, "t", &value));
  g_assert_cmpuint (value, ==, expected);
}

/* A partial file of the first @offset bytes of variant 1, "held.part", in the downloads
 * directory. Returns its path. */
static char *
make_partial_file (Fixture *fixture,
                   gsize    offset)
{
  g_autoptr(GBytes) content = ladle_test_variant_content_new (1, RESUME_SIZE);
  g_autoptr(GBytes) head = g_bytes_new_from_bytes (content, 0, offset);
  char *path = g_build_filename (fixture->downloads_dir, "held.part", NULL);

  g_assert_cmpint (g_mkdir_with_parents (fixture->downloads_dir, 0700), ==, 0);
  write_file (path, head);

  return path;
}

/* A 206 from the raw server with @headers and the rest of variant 1 (from @offset). */
static GBytes *
resume_response (const char *status_line,
                 const char *headers,
                 gsize       offset)
{
  g_autoptr(GBytes) content = ladle_test_variant_content_new (1, RESUME_SIZE);
  g_autoptr(GBytes) rest = g_bytes_new_from_bytes (content, offset, RESUME_SIZE - offset);
  g_autofree char *all_headers = g_strdup_printf ("Content-Type: application/octet-stream\r\n"
                                                  "Content-Length: %" G_GSIZE_FORMAT "\r\n%s",
                                                  (gsize) (RESUME_SIZE - offset), headers);
  GByteArray *response = ladle_test_raw_response_begin (status_line, all_headers);

  append_bytes (response, rest);
  return g_byte_array_free_to_bytes (response);
}

/* Resumes from @resume_data with a GET of @path_and_query on the test server (a good server of
 * variant 1) and checks the result: the whole resource, by checksum, and nothing left behind. */
static void
resume_against_good_server (Fixture    *fixture,
                            GBytes     *resume_data,
                            const char *path_and_query,
                            gint64      expected_offset)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path_and_query);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  g_autofree char *destination_path = g_build_filename (fixture->outside_dir, "resumed.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autofree char *expected = ladle_test_variant_content_checksum (1, RESUME_SIZE);
  g_autofree char *actual = NULL;
  g_autofree char *range = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-", expected_offset);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;

  task = ladle_session_create_download_task_from_resume_data_with_request (fixture->session, resume_data,
                                                                           message, &error);
  g_assert_no_error (error);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_task (task);

  g_assert_no_error (recorder->error);
  ladle_test_recorder_assert_events (recorder, "RSP+FWCT");
  g_assert_cmpint (recorder->resumed_offset, ==, expected_offset);
  g_assert_cmpint (recorder->resumed_total, ==, RESUME_SIZE);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 206);
  g_assert_cmpstr (ladle_test_server_get_last_request (fixture->server)->range, ==, range);
  actual = ladle_test_checksum_file (destination_path);
  g_assert_cmpstr (actual, ==, expected);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

/* One row a validator case: resume data made with @etag / @last_modified, a raw 206 with
 * @headers. */
typedef struct
{
  const char *etag;             /* of the resume data */
  const char *last_modified;    /* of the resume data */
  const char *headers;          /* of the 206: validators, CRLF-terminated lines */
  gboolean    accepted;
  const char *good_path;        /* where the good server is asked afterwards */
} ValidatorCase;

static const ValidatorCase validator_etag_missing = {
  RESUME_ETAG, RESUME_DATE, "Content-Range: bytes 1000-4999/5000\r\nLast-Modified: " RESUME_DATE "\r\n",
  FALSE, "/resource/5000",
};
static const ValidatorCase validator_etag_other = {
  RESUME_ETAG, RESUME_DATE, "Content-Range: bytes 1000-4999/5000\r\nETag: \"v2-5000\"\r\nLast-Modified: " RESUME_DATE "\r\n",
  FALSE, "/resource/5000",
};
/* the same opaque tag, weak: a weak validator never validates a range */
static const ValidatorCase validator_etag_weakened = {
  RESUME_ETAG, RESUME_DATE, "Content-Range: bytes 1000-4999/5000\r\nETag: W/\"v1-5000\"\r\nLast-Modified: " RESUME_DATE "\r\n",
  FALSE, "/resource/5000",
};
/* entity tags compare byte for byte */
static const ValidatorCase validator_etag_case = {
  RESUME_ETAG, NULL, "Content-Range: bytes 1000-4999/5000\r\nETag: \"V1-5000\"\r\n",
  FALSE, "/resource/5000",
};
static const ValidatorCase validator_etag_unquoted = {
  RESUME_ETAG, NULL, "Content-Range: bytes 1000-4999/5000\r\nETag: v1-5000\r\n",
  FALSE, "/resource/5000",
};
static const ValidatorCase validator_date_missing = {
  NULL, RESUME_DATE, "Content-Range: bytes 1000-4999/5000\r\n",
  FALSE, "/resource/5000?etag=none",
};
static const ValidatorCase validator_date_other = {
  NULL, RESUME_DATE, "Content-Range: bytes 1000-4999/5000\r\nLast-Modified: Mon, 01 Jan 2024 02:00:00 GMT\r\n",
  FALSE, "/resource/5000?etag=none",
};
/* a strong ETag in the answer does not stand in for the date the partial file was made with */
static const ValidatorCase validator_date_replaced_by_etag = {
  NULL, RESUME_DATE, "Content-Range: bytes 1000-4999/5000\r\nETag: \"v1-5000\"\r\n",
  FALSE, "/resource/5000?etag=none",
};
/* the right validator, a Content-Range that is not one */
static const ValidatorCase validator_range_no_total = {
  RESUME_ETAG, NULL, "Content-Range: bytes 1000-4999\r\nETag: \"v1-5000\"\r\n",
  FALSE, "/resource/5000",
};
static const ValidatorCase validator_range_not_numbers = {
  RESUME_ETAG, NULL, "Content-Range: bytes 1000-49x9/5000\r\nETag: \"v1-5000\"\r\n",
  FALSE, "/resource/5000",
};
static const ValidatorCase validator_range_missing = {
  RESUME_ETAG, NULL, "ETag: \"v1-5000\"\r\n",
  FALSE, "/resource/5000",
};
/* accepted: the strong ETag matches (the date does not matter then) */
static const ValidatorCase validator_etag_match = {
  RESUME_ETAG, RESUME_DATE, "Content-Range: bytes 1000-4999/5000\r\nETag: \"v1-5000\"\r\nLast-Modified: Tue, 02 Jan 2024 00:00:00 GMT\r\n",
  TRUE, NULL,
};
static const ValidatorCase validator_date_match = {
  NULL, RESUME_DATE, "Content-Range: bytes 1000-4999/5000\r\nLast-Modified: " RESUME_DATE "\r\nETag: W/\"whatever\"\r\n",
  TRUE, NULL,
};

/* The checks after a refused resume: the partial file as it was, alone; no destination; resume
 * data that names the same file and validators, and that a good server completes. */
static void
assert_resume_refused (Fixture           *fixture,
                       LadleDownloadTask *task,
                       LadleTestRecorder *recorder,
                       const char        *partial_path,
                       const char        *sha256_before,
                       const char        *destination_path,
                       const char        *etag,
                       const char        *last_modified,
                       const char        *good_path)
{
  g_autofree char *sha256_after = ladle_test_checksum_file (partial_path);
  g_autoptr(GBytes) resume_data = NULL;
  g_autoptr(GVariantDict) dict = NULL;

  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE);
  assert_nothing_delivered (recorder);
  g_assert_cmpuint (recorder->n_resumed, ==, 0);
  g_assert_cmpuint (recorder->n_finished, ==, 0);
  g_assert_false (g_file_test (destination_path, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (sha256_after, ==, sha256_before);
  ladle_test_assert_listing (fixture->downloads_dir, "held.part");

  resume_data = ladle_download_task_dup_resume_data (task);
  g_assert_nonnull (resume_data);
  dict = parse_resume_data (resume_data);
  assert_dict_string (dict, "partial-file", "held.part");
  assert_dict_uint64 (dict, "bytes-received", RESUME_OFFSET);
  assert_dict_string (dict, "etag", etag);
  assert_dict_string (dict, "last-modified", last_modified);

  resume_against_good_server (fixture, resume_data, good_path, RESUME_OFFSET);
}

static void
test_resume_validator (Fixture       *fixture,
                       gconstpointer  data)
{
  const ValidatorCase *c = data;
  g_autofree char *partial_path = make_partial_file (fixture, RESUME_OFFSET);
  g_autofree char *sha256_before = ladle_test_checksum_file (partial_path);
  g_autoptr(GBytes) response = resume_response ("HTTP/1.1 206 Partial Content", c->headers, RESUME_OFFSET);
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/resource");
  g_autoptr(GBytes) resume_data = build_resume_data (uri, "held.part", RESUME_OFFSET, RESUME_SIZE,
                                                     c->etag, c->last_modified);
  g_autofree char *destination_path = g_build_filename (fixture->outside_dir, "file.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;

  task = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
  g_assert_no_error (error);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_task (task);
  g_assert_cmpuint (ladle_test_raw_server_get_n_requests (raw), ==, 1);

  if (c->accepted)
    {
      g_autofree char *expected = ladle_test_variant_content_checksum (1, RESUME_SIZE);
      g_autofree char *actual = ladle_test_checksum_file (destination_path);

      g_assert_no_error (recorder->error);
      ladle_test_recorder_assert_events (recorder, "RSP+FWCT");
      g_assert_cmpint (recorder->resumed_offset, ==, RESUME_OFFSET);
      g_assert_cmpint (recorder->resumed_total, ==, RESUME_SIZE);
      g_assert_cmpstr (actual, ==, expected);
      ladle_test_assert_listing (fixture->downloads_dir, "");
      return;
    }

  assert_resume_refused (fixture, task, recorder, partial_path, sha256_before, destination_path,
                         c->etag, c->last_modified, c->good_path);
}

/* A 206 that starts at the right byte with the right validator, but for a resource of another
 * size than the resume data recorded. */
typedef struct
{
  const char *content_range;
  gsize       sent;
} TotalCase;

static const TotalCase total_larger = { "bytes 1000-5999/6000", 5000 };
static const TotalCase total_smaller = { "bytes 1000-3999/4000", 3000 };

static void
test_resume_total_differs (Fixture       *fixture,
                           gconstpointer  data)
{
  const TotalCase *c = data;
  g_autofree char *partial_path = make_partial_file (fixture, RESUME_OFFSET);
  g_autofree char *sha256_before = ladle_test_checksum_file (partial_path);
  g_autofree char *headers = g_strdup_printf ("Content-Range: %s\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n"
                                              "ETag: " RESUME_ETAG "\r\n",
                                              c->content_range, c->sent);
  g_autoptr(GBytes) response = raw_response ("HTTP/1.1 206 Partial Content", headers, 0, c->sent);
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/resource");
  g_autoptr(GBytes) resume_data = build_resume_data (uri, "held.part", RESUME_OFFSET, RESUME_SIZE,
                                                     RESUME_ETAG, NULL);
  g_autofree char *destination_path = g_build_filename (fixture->outside_dir, "file.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;

  task = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
  g_assert_no_error (error);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_task (task);

  assert_resume_refused (fixture, task, recorder, partial_path, sha256_before, destination_path,
                         RESUME_ETAG, NULL, "/resource/5000");
}

/* A chunked 206 that goes on past the end of its range: the partial file never holds more
 * than the resource, and no file is finished from it. */
static void
test_resume_chunked_long (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *partial_path = make_partial_file (fixture, RESUME_OFFSET);
  g_autoptr(GBytes) content = ladle_test_variant_content_new (1, RESUME_SIZE);
  g_autoptr(GBytes) rest = g_bytes_new_from_bytes (content, RESUME_OFFSET, RESUME_SIZE - RESUME_OFFSET);
  GByteArray *bytes = ladle_test_raw_response_begin ("HTTP/1.1 206 Partial Content",
                                                     "Content-Range: bytes 1000-4999/5000\r\n"
                                                     "Transfer-Encoding: chunked\r\n"
                                                     "ETag: " RESUME_ETAG "\r\n");
  g_autofree char *size_line = g_strdup_printf ("%x\r\n", RESUME_SIZE - RESUME_OFFSET);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(LadleTestRawServer) raw = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(GBytes) resume_data = NULL;
  g_autofree char *destination_path = g_build_filename (fixture->outside_dir, "file.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *partial_name = NULL;
  g_autofree char *partial_now = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  /* the rest of the resource, then 500 bytes more, then the last chunk */
  g_byte_array_append (bytes, (const guint8 *) size_line, strlen (size_line));
  append_bytes (bytes, rest);
  g_byte_array_append (bytes, (const guint8 *) "\r\n", 2);
  append_chunked (bytes, 0, 500, 500, TRUE);
  response = g_byte_array_free_to_bytes (bytes);
  raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  uri = ladle_test_raw_server_dup_uri (raw, "/resource");
  resume_data = build_resume_data (uri, "held.part", RESUME_OFFSET, RESUME_SIZE, RESUME_ETAG, NULL);

  task = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
  g_assert_no_error (error);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_task (task);

  g_test_message ("resume/chunked-long: events %s, error %s", recorder->events->str,
                  recorder->error ? recorder->error->message : "none");
  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE);
  g_assert_cmpuint (recorder->n_finished, ==, 0);
  g_assert_false (g_file_test (destination_path, G_FILE_TEST_EXISTS));
  /* whatever is left is a prefix of the resource */
  partial_now = ladle_test_list_directory (fixture->downloads_dir);
  if (*partial_now != '\0')
    {
      partial_name = g_build_filename (fixture->downloads_dir, partial_now, NULL);
      g_assert_true (g_file_get_contents (partial_name, &contents, &length, NULL));
      g_assert_cmpuint (length, <=, RESUME_SIZE);
      g_assert_cmpmem (contents, length, g_bytes_get_data (content, NULL), length);
    }
}

/* Pauses a download of @path_and_query (a stall=N resource) after its N bytes; returns the
 * resume data and the partial file's name. */
static GBytes *
download_and_pause (Fixture     *fixture,
                    const char  *path_and_query,
                    gint64       stall,
                    char       **partial_name)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path_and_query);
  g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_for_uri (fixture->session, uri);
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autoptr(GVariantDict) dict = NULL;

  ladle_task_resume (LADLE_TASK (task));
  while (ladle_task_get_bytes_received (LADLE_TASK (task)) < stall)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, stall);
  ladle_test_recorder_pause (recorder);
  ladle_test_recorder_wait (recorder);

  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (recorder->resume_error);
  g_assert_nonnull (recorder->resume_data);
  dict = parse_resume_data (recorder->resume_data);
  g_assert_true (g_variant_dict_lookup (dict, "partial-file", "s", partial_name));
  ladle_test_assert_listing (fixture->downloads_dir, *partial_name);

  return g_bytes_ref (recorder->resume_data);
}

/* The old partial file of a resume that started over is deleted on its own worker, queued when
 * the new body begins; nothing in lib/ waits for it before ::completed (seen once under valgrind
 * with two test processes: both files were listed at completion, see the report). Waits for it,
 * with a failsafe, and says whether it was still there. */
static gboolean
file_is_gone (gpointer data)
{
  return !g_file_test (data, G_FILE_TEST_EXISTS);
}

static void
wait_until_gone (const char *path)
{
  if (!file_is_gone ((gpointer) path))
    g_test_message ("%s still existed at completion", path);
  ladle_test_wait_until (file_is_gone, (gpointer) path, 10, "the deletion of the old partial file");
}

/* The resource changed (a 200 to the If-Range request): the download starts over in a new
 * partial file, and the old one is deleted. */
static void
test_resume_changed_starts_over (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *old_name = NULL;
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, "/resource/600000?changing=1&stall=100000",
                                                      100000, &old_name);
  g_autofree char *old_path = g_build_filename (fixture->downloads_dir, old_name, NULL);
  g_autofree char *destination_path = g_build_filename (fixture->outside_dir, "file.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autofree char *expected = ladle_test_variant_content_checksum (2, 600000);
  g_autofree char *actual = NULL;
  g_autofree char *finished_name = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;

  task = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
  g_assert_no_error (error);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_task (task);

  g_assert_no_error (recorder->error);
  ladle_test_recorder_assert_events (recorder, "RSP+FWCT");
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
  g_assert_cmpint (recorder->resumed_offset, ==, 0);
  g_assert_cmpint (recorder->resumed_total, ==, 600000);
  /* the whole of the new version, written to another file than the old partial one */
  g_assert_nonnull (recorder->finished_location);
  finished_name = g_file_get_basename (recorder->finished_location);
  g_assert_cmpstr (finished_name, !=, old_name);
  g_assert_cmpstr (recorder->finished_sha256, ==, expected);
  actual = ladle_test_checksum_file (destination_path);
  g_assert_cmpstr (actual, ==, expected);
  wait_until_gone (old_path);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

/* The same, seen while the new body arrives: only the new partial file exists, with the new
 * bytes, and pausing then gives resume data for it. */
static void
test_resume_changed_midway (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *partial_path = make_partial_file (fixture, RESUME_OFFSET);
  g_autoptr(GBytes) response = raw_response ("HTTP/1.1 200 OK",
                                             "Content-Length: 8000\r\nETag: \"changed\"\r\n"
                                             "Accept-Ranges: bytes\r\n",
                                             0, 3000);
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_STALL);
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/resource");
  g_autoptr(GBytes) resume_data = build_resume_data (uri, "held.part", RESUME_OFFSET, RESUME_SIZE,
                                                     RESUME_ETAG, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GVariantDict) dict = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *new_path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) expected = ladle_test_content_new (0, 3000);
  gsize length = 0;

  task = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
  g_assert_no_error (error);
  recorder = ladle_test_recorder_new (task);
  ladle_task_resume (LADLE_TASK (task));
  while (ladle_task_get_bytes_received (LADLE_TASK (task)) < 3000 &&
         ladle_task_get_state (LADLE_TASK (task)) != LADLE_TASK_STATE_COMPLETED)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (task)), ==, LADLE_TASK_STATE_RUNNING);
  g_assert_cmpuint (recorder->n_resumed, ==, 1);
  g_assert_cmpint (recorder->resumed_offset, ==, 0);

  ladle_test_recorder_pause (recorder);
  ladle_test_recorder_wait (recorder);
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (recorder->resume_data);

  /* one partial file, not the old one, with exactly the new bytes */
  wait_until_gone (partial_path);
  listing = ladle_test_list_directory (fixture->downloads_dir);
  g_test_message ("changed-midway: downloads directory at completion: %s", listing);
  g_assert_cmpstr (listing, !=, "");
  g_assert_null (strchr (listing, ' '));
  g_assert_cmpstr (listing, !=, "held.part");
  new_path = g_build_filename (fixture->downloads_dir, listing, NULL);
  g_assert_true (g_file_get_contents (new_path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));

  dict = parse_resume_data (recorder->resume_data);
  assert_dict_string (dict, "partial-file", listing);
  assert_dict_uint64 (dict, "bytes-received", 3000);
  assert_dict_string (dict, "etag", "\"changed\"");
}

/* request/ ****************************************************************************/

typedef enum
{
  TASK_DATA,
  TASK_DOWNLOAD,
  TASK_UPLOAD,
} TaskKind;

typedef struct
{
  const char *method;
  TaskKind    kind;
} MethodCase;

static const MethodCase method_crlf_injection = { "GET /x HTTP/1.1\r\nX: y", TASK_DATA };
static const MethodCase method_lf = { "GET\nX", TASK_DATA };
static const MethodCase method_space = { "G ET", TASK_DATA };
static const MethodCase method_empty = { "", TASK_DATA };
static const MethodCase method_tab = { "GET\t", TASK_DATA };
static const MethodCase method_non_ascii = { "G\xc3\x89T", TASK_DATA };
static const MethodCase method_latin1 = { "G\xc9T", TASK_DATA };
static const MethodCase method_del = { "GET\x7f", TASK_DATA };
static const MethodCase method_paren = { "GET()", TASK_DATA };
static const MethodCase method_slash = { "GET/", TASK_DATA };
static const MethodCase method_colon = { "X:Y", TASK_DATA };
static const MethodCase method_quote = { "\"GET\"", TASK_DATA };
static const MethodCase method_brace = { "{GET}", TASK_DATA };
static const MethodCase method_download = { "GET /x HTTP/1.1\r\nX: y", TASK_DOWNLOAD };
static const MethodCase method_upload = { "PO ST", TASK_UPLOAD };

static LadleTask *
create_task_of_kind (LadleSession *session,
                     SoupMessage  *message,
                     TaskKind      kind)
{
  switch (kind)
    {
    case TASK_DATA:
      return LADLE_TASK (ladle_session_create_data_task (session, message));
    case TASK_DOWNLOAD:
      return LADLE_TASK (ladle_session_create_download_task (session, message));
    case TASK_UPLOAD:
      {
        g_autoptr(GBytes) body = ladle_test_content_new (0, 1000);

        return LADLE_TASK (ladle_session_create_upload_task_from_bytes (session, message, body));
      }
    default:
      g_assert_not_reached ();
    }
}

/* Nothing reached the network: no connection to the raw server. */
static void
assert_nothing_sent (LadleTestRawServer *raw)
{
  /* give a wrong implementation the time to connect */
  ladle_test_spin (200);
  g_assert_cmpuint (ladle_test_raw_server_get_n_connections (raw), ==, 0);
  g_assert_cmpuint (ladle_test_raw_server_get_n_requests (raw), ==, 0);
}

static void
test_request_method (Fixture       *fixture,
                     gconstpointer  data)
{
  const MethodCase *c = data;
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new_stall ();
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/method");
  g_autoptr(SoupMessage) message = soup_message_new (c->method, uri);
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;

  g_assert_nonnull (message);
  g_assert_cmpstr (soup_message_get_method (message), ==, c->method);
  task = create_task_of_kind (fixture->session, message, c->kind);
  recorder = run_task (task);

  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST);
  ladle_test_recorder_assert_events (recorder, "CT");
  g_assert_cmpuint (ladle_task_get_status_code (task), ==, 0);
  g_assert_cmpint (ladle_task_get_bytes_sent (task), ==, 0);
  assert_nothing_sent (raw);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

/* Tokens that look odd are methods all the same, and are sent as they are. */
static void
test_request_method_tokens (Fixture       *fixture,
                            gconstpointer  data)
{
  static const char *const methods[] = { "PATCH", "M-SEARCH", "x!#$%&'*+.^_`|~09", "get" };

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/echo");
      g_autoptr(SoupMessage) message = soup_message_new (methods[i], uri);
      g_autoptr(LadleDataTask) task = ladle_session_create_data_task (fixture->session, message);
      g_autoptr(LadleTestRecorder) recorder = run_task (task);
      g_autoptr(GBytes) body = ladle_data_task_dup_body (task);
      g_autofree char *line = g_strdup_printf ("method %s", methods[i]);

      g_assert_no_error (recorder->error);
      g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
      g_assert_cmpstr (ladle_test_server_get_last_request (fixture->server)->method, ==, methods[i]);
      g_assert_true (ladle_test_body_has_line (body, line));
    }
}

typedef struct
{
  const char *method;       /* set in ::redirect, NULL: none */
  const char *header_name;  /* appended in ::redirect, NULL: none */
} RedirectCase;

static const RedirectCase redirect_method_space = { "G ET", NULL };
static const RedirectCase redirect_method_crlf = { "GET / HTTP/1.1\r\nHost: evil", NULL };
static const RedirectCase redirect_method_empty = { "", NULL };
static const RedirectCase redirect_header_name = { NULL, "X(y)" };

static gboolean
edit_redirect_cb (LadleTask          *task,
                  SoupMessage        *new_request,
                  const RedirectCase *c)
{
  if (c->method != NULL)
    soup_message_set_method (new_request, c->method);
  if (c->header_name != NULL)
    soup_message_headers_append (soup_message_get_request_headers (new_request), c->header_name, "v");

  return TRUE;
}

static void
test_request_redirect (Fixture       *fixture,
                       gconstpointer  data)
{
  const RedirectCase *c = data;
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new_stall ();
  g_autofree char *target = ladle_test_raw_server_dup_uri (raw, "/next");
  g_autofree char *uri = ladle_test_server_dup_redirect_uri (fixture->server, 307, target);
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (fixture->session, uri);
  g_autoptr(LadleTestRecorder) recorder = NULL;

  g_signal_connect (task, "redirect", G_CALLBACK (edit_redirect_cb), (gpointer) c);
  recorder = run_task (task);

  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST);
  /* the redirect response is no final response: no ::response */
  ladle_test_recorder_assert_events (recorder, "CT");
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 1);
  g_assert_cmpuint (ladle_test_server_get_last_request (fixture->server)->status, ==, 307);
  assert_nothing_sent (raw);
}

/* libsoup itself refuses a header value with CR or LF (a critical warning, the header is not
 * added): the request goes out without it. */
static void
test_request_header_value_crlf (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/echo");
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) body = NULL;

  g_test_expect_message ("libsoup", G_LOG_LEVEL_CRITICAL, "*strpbrk (value*");
  soup_message_headers_append (soup_message_get_request_headers (message), "X-Injected", "a\r\nX-Evil: 1");
  g_test_assert_expected_messages ();
  task = ladle_session_create_data_task (fixture->session, message);
  recorder = run_task (task);
  body = ladle_data_task_dup_body (task);

  g_assert_no_error (recorder->error);
  g_assert_null (soup_message_headers_get_one (ladle_test_server_get_last_request (fixture->server)->headers,
                                               "X-Injected"));
  g_assert_null (soup_message_headers_get_one (ladle_test_server_get_last_request (fixture->server)->headers,
                                               "X-Evil"));
  g_assert_true (ladle_test_body_has_line (body, "method GET"));
}

/* max-body-size/ **********************************************************************/

static void
test_max_body_size_default (void)
{
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, "http://127.0.0.1:1/");
  guint64 value = 0;

  g_assert_cmpuint (ladle_data_task_get_max_body_size (task), ==, 268435456);
  g_object_get (task, "max-body-size", &value, NULL);
  g_assert_cmpuint (value, ==, 268435456);

  ladle_data_task_set_max_body_size (task, 0);
  g_assert_cmpuint (ladle_data_task_get_max_body_size (task), ==, 0);
  g_object_set (task, "max-body-size", (guint64) G_MAXUINT64, NULL);
  g_assert_cmpuint (ladle_data_task_get_max_body_size (task), ==, G_MAXUINT64);
  ladle_task_cancel (LADLE_TASK (task));
  ladle_test_drain (100);
}

typedef struct
{
  const char *path;         /* on the test server */
  gsize       size;         /* of the decoded body */
  guint64     max;
  gboolean    accumulate;
  gboolean    fails;
} MaxCase;

static const MaxCase max_exact = { "/bytes/100000", 100000, 100000, TRUE, FALSE };
static const MaxCase max_one_less = { "/bytes/100000", 100000, 99999, TRUE, TRUE };
static const MaxCase max_small = { "/bytes/100000", 100000, 1, TRUE, TRUE };
static const MaxCase max_chunked_exact = { "/chunked/100000?chunk=777", 100000, 100000, TRUE, FALSE };
static const MaxCase max_chunked_one_less = { "/chunked/100000?chunk=777", 100000, 99999, TRUE, TRUE };
static const MaxCase max_gzip_exact = { "/gzip/300000", 300000, 300000, TRUE, FALSE };
static const MaxCase max_gzip_one_less = { "/gzip/300000", 300000, 299999, TRUE, TRUE };
static const MaxCase max_unlimited = { "/bytes/1000000", 1000000, 0, TRUE, FALSE };
static const MaxCase max_not_accumulated = { "/bytes/1000000", 1000000, 1, FALSE, FALSE };
static const MaxCase max_empty_body = { "/bytes/0", 0, 1, TRUE, FALSE };

static void
test_max_body_size (Fixture       *fixture,
                    gconstpointer  data)
{
  const MaxCase *c = data;
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, c->path);
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (fixture->session, uri);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) body = NULL;

  ladle_data_task_set_max_body_size (task, c->max);
  ladle_data_task_set_accumulate (task, c->accumulate);
  recorder = run_task (task);
  body = ladle_data_task_dup_body (task);

  g_assert_cmpuint (recorder->status_at_response, ==, 200);
  if (c->fails)
    {
      g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_BODY_TOO_LARGE);
      g_assert_error (ladle_task_get_error (LADLE_TASK (task)), LADLE_ERROR, LADLE_ERROR_BODY_TOO_LARGE);
      /* what was kept, and what was signalled, stays within the limit and is the body's start */
      g_assert_nonnull (body);
      g_assert_cmpuint (g_bytes_get_size (body), <=, c->max);
      g_assert_cmpuint (recorder->data->len, <=, c->max);
      g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                       recorder->data->data, g_bytes_get_size (body));
      assert_data_is_content (recorder->data, 0, recorder->data->len);
      return;
    }

  g_assert_no_error (recorder->error);
  g_assert_cmpuint (recorder->data->len, ==, c->size);
  assert_data_is_content (recorder->data, 0, c->size);
  if (c->accumulate)
    {
      g_autofree char *expected = ladle_test_content_checksum (c->size);
      g_autofree char *actual = ladle_test_checksum_bytes (body);

      g_assert_cmpuint (g_bytes_get_size (body), ==, c->size);
      g_assert_cmpstr (actual, ==, expected);
    }
  else
    g_assert_null (body);
}

static GBytes *
gzip_zeros (gsize length)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) stream = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
  g_autofree guint8 *zeros = g_malloc0 (64 * 1024);
  g_autoptr(GError) error = NULL;

  for (gsize done = 0; done < length; done += 64 * 1024)
    {
      g_output_stream_write_all (stream, zeros, MIN (64 * 1024, length - done), NULL, NULL, &error);
      g_assert_no_error (error);
    }
  g_output_stream_close (stream, NULL, &error);
  g_assert_no_error (error);

  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

/* A gzip bomb: 8 MiB of zeros in a few kilobytes, under a 1 MiB limit. */
static void
test_max_body_size_gzip_bomb (Fixture       *fixture,
                              gconstpointer  data)
{
  gboolean accumulate = GPOINTER_TO_INT (data);
  g_autoptr(GBytes) compressed = gzip_zeros (8 * 1024 * 1024);
  g_autofree char *headers = g_strdup_printf ("Content-Type: application/octet-stream\r\n"
                                              "Content-Encoding: gzip\r\n"
                                              "Content-Length: %" G_GSIZE_FORMAT "\r\n",
                                              g_bytes_get_size (compressed));
  GByteArray *bytes = ladle_test_raw_response_begin ("HTTP/1.1 200 OK", headers);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(LadleTestRawServer) raw = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) body = NULL;

  g_assert_cmpuint (g_bytes_get_size (compressed), <, 64 * 1024);
  append_bytes (bytes, compressed);
  response = g_byte_array_free_to_bytes (bytes);
  raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  uri = ladle_test_raw_server_dup_uri (raw, "/bomb");
  task = ladle_session_create_data_task_for_uri (fixture->session, uri);
  ladle_data_task_set_max_body_size (task, 1024 * 1024);
  ladle_data_task_set_accumulate (task, accumulate);
  recorder = run_task (task);
  body = ladle_data_task_dup_body (task);

  if (accumulate)
    {
      g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_BODY_TOO_LARGE);
      g_assert_nonnull (body);
      g_assert_cmpuint (g_bytes_get_size (body), <=, 1024 * 1024);
      g_assert_cmpuint (recorder->data->len, <=, 1024 * 1024);
    }
  else
    {
      /* no limit without accumulation: every decoded byte goes to ::data-received */
      g_assert_no_error (recorder->error);
      g_assert_null (body);
      g_assert_cmpuint (recorder->data->len, ==, 8 * 1024 * 1024);
    }
  for (guint i = 0; i < recorder->data->len; i++)
    if (recorder->data->data[i] != 0)
      g_error ("byte %u of the decoded body is %u, not 0", i, recorder->data->data[i]);
}

/* filename/ ***************************************************************************/

static void
test_filename_format_characters (void)
{
  static const struct
  {
    const char *input;
    const char *expected;
  } cases[] = {
    /* U+202E RIGHT-TO-LEFT OVERRIDE: "invoice<RLO>gnp.exe" shows as "invoiceexe.png" */
    { "invoice\xe2\x80\xaegnp.exe", "invoicegnp.exe" },
    { "\xe2\x80\xae" "exe.txt", "exe.txt" },
    /* U+202A..U+202D embeddings and overrides, U+202C POP DIRECTIONAL FORMATTING */
    { "a\xe2\x80\xaa" "b\xe2\x80\xab" "c\xe2\x80\xac" "d\xe2\x80\xad" "e.txt", "abcde.txt" },
    /* U+2066..U+2069 isolates */
    { "\xe2\x81\xa6" "a\xe2\x81\xa7" "b\xe2\x81\xa8" "c\xe2\x81\xa9.pdf", "abc.pdf" },
    /* U+200B ZERO WIDTH SPACE, U+200C ZWNJ, U+200D ZERO WIDTH JOINER */
    { "zero\xe2\x80\x8bwidth.txt", "zerowidth.txt" },
    { "a\xe2\x80\x8c" "b\xe2\x80\x8d" "c", "abc" },
    /* U+200E LRM, U+200F RLM, U+061C ARABIC LETTER MARK */
    { "\xe2\x80\x8e" "l\xe2\x80\x8fr\xd8\x9c" "a.txt", "lra.txt" },
    /* U+FEFF BYTE ORDER MARK, U+2060 WORD JOINER */
    { "\xef\xbb\xbf" "bom\xe2\x81\xa0.txt", "bom.txt" },
    /* U+00AD SOFT HYPHEN */
    { "soft\xc2\xad" "hyphen.txt", "softhyphen.txt" },
    /* U+E0001 LANGUAGE TAG, U+E0041 TAG LATIN CAPITAL LETTER A */
    { "tag\xf3\xa0\x80\x81\xf3\xa0\x81\x81.txt", "tag.txt" },
    /* format characters hide no leading dot */
    { "\xe2\x80\x8b.bashrc", "bashrc" },
    { ".\xe2\x80\xae.\xe2\x80\x8b" "hidden", "hidden" },
    { "\xe2\x80\xae" "../..\xe2\x80\xae/x.sh", "x.sh" },
    /* nothing but format characters */
    { "\xe2\x80\xae", "download" },
    { "\xe2\x80\x8b\xe2\x80\x8d\xef\xbb\xbf", "download" },
    /* control characters still go */
    { "a\xc2\x85" "b\xc2\x9f" "c\x01.txt", "abc.txt" },
    /* what is not Cf stays: letters of right-to-left scripts, combining marks, variation
     * selectors, no-break space, emoji */
    { "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d.txt", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d.txt" },
    { "\xd9\x85\xd9\x84\xd9\x81.pdf", "\xd9\x85\xd9\x84\xd9\x81.pdf" },
    { "cafe\xcc\x81.txt", "cafe\xcc\x81.txt" },
    { "a\xc2\xa0" "b.txt", "a\xc2\xa0" "b.txt" },
    { "\xe2\x9d\xa4\xef\xb8\x8f.png", "\xe2\x9d\xa4\xef\xb8\x8f.png" },
    /* a ZWJ emoji sequence loses its joiner */
    { "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9.jpg", "\xf0\x9f\x91\xa8\xf0\x9f\x91\xa9.jpg" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = ladle_sanitize_filename (cases[i].input);
      g_autofree char *input = g_strescape (cases[i].input, NULL);
      g_autofree char *output = g_strescape (name, NULL);

      g_test_message ("sanitize %u: “%s” -> “%s”", i, input, output);
      g_assert_cmpstr (name, ==, cases[i].expected);
      g_assert_true (g_utf8_validate (name, -1, NULL));
      for (const char *p = name; *p; p = g_utf8_next_char (p))
        g_assert_cmpint (g_unichar_type (g_utf8_get_char (p)), !=, G_UNICODE_FORMAT);
    }
}

/* Every format character of the Basic Multilingual Plane, each between two letters. */
static void
test_filename_every_format_character (void)
{
  guint n_format = 0;

  for (gunichar c = 0x80; c < 0x10000; c++)
    {
      char encoded[8] = { 0 };
      g_autofree char *input = NULL;
      g_autofree char *name = NULL;

      if (g_unichar_type (c) != G_UNICODE_FORMAT)
        continue;
      n_format++;
      g_unichar_to_utf8 (c, encoded);
      input = g_strconcat ("a", encoded, "b", NULL);
      name = ladle_sanitize_filename (input);
      if (g_strcmp0 (name, "ab") != 0)
        g_error ("U+%04X survives: “%s”", c, name);
    }

  /* the table is GLib's: make sure it has the famous ones */
  g_assert_cmpuint (n_format, >=, 40);
  g_assert_cmpint (g_unichar_type (0x202E), ==, G_UNICODE_FORMAT);
  g_assert_cmpint (g_unichar_type (0x2066), ==, G_UNICODE_FORMAT);
  g_assert_cmpint (g_unichar_type (0x200B), ==, G_UNICODE_FORMAT);
  g_assert_cmpint (g_unichar_type (0xFEFF), ==, G_UNICODE_FORMAT);
  g_assert_cmpint (g_unichar_type (0x061C), ==, G_UNICODE_FORMAT);
  g_assert_cmpint (g_unichar_type (0x00AD), ==, G_UNICODE_FORMAT);
}

static void
check_suggested (Fixture    *fixture,
                 const char *cd_escaped,
                 const char *expected)
{
  g_autofree char *path = g_strconcat ("/resource/100?cd=", cd_escaped, NULL);
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path);
  g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_for_uri (fixture->session, uri);
  g_autoptr(LadleTestRecorder) recorder = run_task (task);
  g_autofree char *suggested = ladle_download_task_dup_suggested_filename (task);
  g_autofree char *property = NULL;
  g_autofree char *escaped = g_strescape (suggested, NULL);

  g_test_message ("%s -> “%s”", cd_escaped, escaped);
  g_assert_no_error (recorder->error);
  g_object_get (task, "suggested-filename", &property, NULL);
  g_assert_cmpstr (suggested, ==, expected);
  g_assert_cmpstr (property, ==, expected);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

/* Through a real download: the Content-Disposition of a response, quoted or RFC 8187. */
static void
test_filename_suggested (Fixture       *fixture,
                         gconstpointer  data)
{
  /* filename*=UTF-8''invoice%E2%80%AEgnp.exe */
  check_suggested (fixture, "attachment%3B%20filename%2A%3DUTF-8%27%27invoice%25E2%2580%25AEgnp.exe",
                   "invoicegnp.exe");
  /* filename="invoice<RLO>gnp.exe", the UTF-8 bytes in the quoted string */
  check_suggested (fixture, "attachment%3B%20filename%3D%22invoice%E2%80%AEgnp.exe%22", "invoicegnp.exe");
  /* isolates and a zero-width space around a leading dot */
  check_suggested (fixture, "attachment%3B%20filename%2A%3DUTF-8%27%27%25E2%2581%25A6%25E2%2580%258B.profile%25E2%2581%25A9",
                   "profile");
  /* a BOM and a soft hyphen */
  check_suggested (fixture, "attachment%3B%20filename%2A%3DUTF-8%27%27%25EF%25BB%25BFre%25C2%25ADport.pdf", "report.pdf");
}

/* The cases that show lib/ breaking the rules above are built into test-hardening-pending
 * (-DHARDENING_PENDING), which meson builds but does not register; every other case is in
 * test-hardening. Once lib/ is fixed, ADD_PENDING becomes ADD. */
#ifdef HARDENING_PENDING
static const gboolean pending_build = TRUE;
#else
static const gboolean pending_build = FALSE;
#endif

static void
add_case (gboolean              pending,
          const char           *path,
          gconstpointer         data,
          void                (*func) (Fixture *, gconstpointer))
{
  if (pending == pending_build)
    g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, data, func) add_case (FALSE, "/Ladle/Hardening/" path, data, func)
#define ADD_PENDING(path, data, func) add_case (TRUE, "/Ladle/Hardening/" path, data, func)

  ADD ("content-length/negative", &length_negative, test_content_length_data);
  ADD ("content-length/negative-zero", &length_negative_zero, test_content_length_data);
  ADD ("content-length/trailing-letters", &length_trailing_letters, test_content_length_data);
  ADD ("content-length/empty", &length_empty, test_content_length_data);
  ADD ("content-length/hex", &length_hex, test_content_length_data);
  ADD ("content-length/exponent", &length_exponent, test_content_length_data);
  ADD ("content-length/plus-sign", &length_plus, test_content_length_data);
  ADD ("content-length/decimal", &length_decimal, test_content_length_data);
  ADD ("content-length/inner-space", &length_inner_space, test_content_length_data);
  ADD ("content-length/folded", &length_folded, test_content_length_data);
  ADD ("content-length/fullwidth-digits", &length_fullwidth, test_content_length_data);
  ADD ("content-length/int64-overflow", &length_int64_overflow, test_content_length_data);
  ADD ("content-length/uint64-overflow", &length_uint64_overflow, test_content_length_data);
  ADD ("content-length/twenty-digits", &length_twenty_digits, test_content_length_data);
  ADD ("content-length/two-headers", &length_two_headers, test_content_length_data);
  ADD ("content-length/two-headers-smaller-last", &length_two_headers_less, test_content_length_data);
  ADD ("content-length/list", &length_list, test_content_length_data);
  ADD ("content-length/list-of-three", &length_list_of_three, test_content_length_data);
  ADD ("content-length/list-then-other", &length_list_then_other, test_content_length_data);
  ADD ("content-length/error-status", &length_error_status, test_content_length_data);
  ADD ("content-length/chunked-negative", &length_chunked_negative, test_content_length_data);
  ADD ("content-length/chunked-letters", &length_chunked_letters, test_content_length_data);
  ADD ("content-length/chunked-overflow", &length_chunked_overflow, test_content_length_data);
  ADD ("content-length/chunked-disagree", &length_chunked_disagree, test_content_length_data);
  ADD ("content-length/repeated-agree", &length_repeated_agree, test_content_length_data);
  ADD_PENDING ("content-length/list-agree", &length_list_agree, test_content_length_data);
  ADD_PENDING ("content-length/list-agree-tight", &length_list_agree_tight, test_content_length_data);
  ADD ("content-length/whitespace", &length_whitespace, test_content_length_data);
  ADD ("content-length/leading-zeros", &length_leading_zeros, test_content_length_data);
  ADD ("content-length/zero", &length_zero, test_content_length_data);
  ADD ("content-length/chunked-valid-ignored", &length_chunked_valid, test_content_length_data);
  ADD ("content-length/agree-truncated", &length_agree_truncated, test_content_length_data);
  ADD ("content-length/int64-max", &length_int64_max, test_content_length_data);
  ADD_PENDING ("content-length/negative-no-warning", &length_negative, test_content_length_no_warning);
  ADD_PENDING ("content-length/int64-overflow-no-warning", &length_int64_overflow, test_content_length_no_warning);
  ADD ("content-length/download-negative", &length_negative, test_content_length_download);
  ADD ("content-length/download-trailing-letters", &length_trailing_letters, test_content_length_download);
  ADD ("content-length/download-overflow", &length_twenty_digits, test_content_length_download);
  ADD ("content-length/download-two-headers", &length_two_headers, test_content_length_download);
  ADD ("content-length/download-list", &length_list, test_content_length_download);
  ADD ("content-length/download-chunked-negative", &length_chunked_negative, test_content_length_download);

  ADD ("content-range/not-asked", &range_not_asked, test_content_range);
  ADD ("content-range/not-asked-chunked", &range_not_asked_chunked, test_content_range);
  ADD ("content-range/missing", &range_missing, test_content_range);
  ADD ("content-range/end-before-start", &range_end_before_start, test_content_range);
  ADD ("content-range/end-past-total", &range_end_past_total, test_content_range);
  ADD ("content-range/not-numbers", &range_not_numbers, test_content_range);
  ADD ("content-range/no-unit", &range_no_unit, test_content_range);
  ADD ("content-range/equals-unit", &range_equals_unit, test_content_range);
  ADD ("content-range/other-unit", &range_other_unit, test_content_range);
  ADD ("content-range/no-total", &range_no_total, test_content_range);
  ADD ("content-range/two-totals", &range_two_totals, test_content_range);
  ADD ("content-range/negative-start", &range_negative_start, test_content_range);
  ADD ("content-range/unsatisfied-form", &range_unsatisfied_form, test_content_range);
  ADD ("content-range/overflow-end", &range_overflow_end, test_content_range);
  ADD ("content-range/overflow-total", &range_overflow_total, test_content_range);
  ADD ("content-range/starts-elsewhere", &range_starts_elsewhere, test_content_range);
  ADD ("content-range/starts-later", &range_starts_later, test_content_range);
  ADD ("content-range/ends-past-asked", &range_ends_past_asked, test_content_range);
  ADD ("content-range/several-single-answer", &range_several_single, test_content_range);
  ADD ("content-range/multipart-for-one", &range_multipart_for_one, test_content_range);
  ADD ("content-range/length-more", &range_length_more, test_content_range);
  ADD ("content-range/length-less", &range_length_less, test_content_range);
  ADD ("content-range/chunked-short", &range_chunked_short, test_content_range);
  ADD ("content-range/chunked-cut", &range_chunked_cut, test_content_range);
  ADD ("content-range/identity-short", &range_identity_short, test_content_range);
  ADD ("content-range/exact", &range_exact, test_content_range);
  ADD ("content-range/ends-earlier", &range_ends_earlier, test_content_range);
  ADD ("content-range/open-ended", &range_open_ended, test_content_range);
  ADD ("content-range/unknown-total", &range_unknown_total, test_content_range);
  ADD ("content-range/no-length", &range_no_length, test_content_range);
  ADD ("content-range/chunked-exact", &range_chunked_exact, test_content_range);
  ADD ("content-range/ignored-by-200", &range_ignored_by_200, test_content_range);
  ADD ("content-range/chunked-long", NULL, test_content_range_chunked_long);
  ADD ("content-range/multipart", NULL, test_content_range_multipart);
  ADD ("content-range/server-slice", NULL, test_content_range_server_slice);
  ADD ("content-range/server-elsewhere", NULL, test_content_range_server_elsewhere);
  ADD ("content-range/download-not-asked", NULL, test_content_range_download_not_asked);

  ADD ("resume/etag-missing", &validator_etag_missing, test_resume_validator);
  ADD ("resume/etag-other", &validator_etag_other, test_resume_validator);
  ADD ("resume/etag-weakened", &validator_etag_weakened, test_resume_validator);
  ADD ("resume/etag-case", &validator_etag_case, test_resume_validator);
  ADD ("resume/etag-unquoted", &validator_etag_unquoted, test_resume_validator);
  ADD ("resume/date-missing", &validator_date_missing, test_resume_validator);
  ADD ("resume/date-other", &validator_date_other, test_resume_validator);
  ADD ("resume/date-replaced-by-etag", &validator_date_replaced_by_etag, test_resume_validator);
  ADD ("resume/range-no-total", &validator_range_no_total, test_resume_validator);
  ADD ("resume/range-not-numbers", &validator_range_not_numbers, test_resume_validator);
  ADD ("resume/range-missing", &validator_range_missing, test_resume_validator);
  ADD ("resume/etag-match", &validator_etag_match, test_resume_validator);
  ADD ("resume/date-match", &validator_date_match, test_resume_validator);
  ADD ("resume/total-larger", &total_larger, test_resume_total_differs);
  ADD ("resume/total-smaller", &total_smaller, test_resume_total_differs);
  ADD ("resume/chunked-long", NULL, test_resume_chunked_long);
  ADD ("resume/changed-starts-over", NULL, test_resume_changed_starts_over);
  ADD ("resume/changed-midway", NULL, test_resume_changed_midway);

  ADD ("request/method-crlf-injection", &method_crlf_injection, test_request_method);
  ADD ("request/method-lf", &method_lf, test_request_method);
  ADD ("request/method-space", &method_space, test_request_method);
  ADD ("request/method-empty", &method_empty, test_request_method);
  ADD ("request/method-tab", &method_tab, test_request_method);
  ADD ("request/method-non-ascii", &method_non_ascii, test_request_method);
  ADD ("request/method-latin1", &method_latin1, test_request_method);
  ADD ("request/method-del", &method_del, test_request_method);
  ADD ("request/method-paren", &method_paren, test_request_method);
  ADD ("request/method-slash", &method_slash, test_request_method);
  ADD ("request/method-colon", &method_colon, test_request_method);
  ADD ("request/method-quote", &method_quote, test_request_method);
  ADD ("request/method-brace", &method_brace, test_request_method);
  ADD ("request/method-download", &method_download, test_request_method);
  ADD ("request/method-upload", &method_upload, test_request_method);
  ADD ("request/method-tokens", NULL, test_request_method_tokens);
  ADD ("request/redirect-method-space", &redirect_method_space, test_request_redirect);
  ADD ("request/redirect-method-crlf", &redirect_method_crlf, test_request_redirect);
  ADD ("request/redirect-method-empty", &redirect_method_empty, test_request_redirect);
  ADD ("request/redirect-header-name", &redirect_header_name, test_request_redirect);
  ADD ("request/header-value-crlf", NULL, test_request_header_value_crlf);

  if (!pending_build)
    g_test_add_func ("/Ladle/Hardening/max-body-size/default", test_max_body_size_default);
  ADD ("max-body-size/exact", &max_exact, test_max_body_size);
  ADD ("max-body-size/one-less", &max_one_less, test_max_body_size);
  ADD ("max-body-size/small", &max_small, test_max_body_size);
  ADD ("max-body-size/chunked-exact", &max_chunked_exact, test_max_body_size);
  ADD ("max-body-size/chunked-one-less", &max_chunked_one_less, test_max_body_size);
  ADD ("max-body-size/gzip-exact", &max_gzip_exact, test_max_body_size);
  ADD ("max-body-size/gzip-one-less", &max_gzip_one_less, test_max_body_size);
  ADD ("max-body-size/unlimited", &max_unlimited, test_max_body_size);
  ADD ("max-body-size/not-accumulated", &max_not_accumulated, test_max_body_size);
  ADD ("max-body-size/empty-body", &max_empty_body, test_max_body_size);
  ADD ("max-body-size/gzip-bomb", GINT_TO_POINTER (TRUE), test_max_body_size_gzip_bomb);
  ADD ("max-body-size/gzip-bomb-not-accumulated", GINT_TO_POINTER (FALSE), test_max_body_size_gzip_bomb);

  if (!pending_build)
    {
      g_test_add_func ("/Ladle/Hardening/filename/format-characters", test_filename_format_characters);
      g_test_add_func ("/Ladle/Hardening/filename/every-format-character", test_filename_every_format_character);
    }
  ADD ("filename/suggested", NULL, test_filename_suggested);

#undef ADD
#undef ADD_PENDING

  return g_test_run ();
}
