/* test-downloads.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleDownloadTask against the in-process server of dl-server.h: bytes on disk and their
 * SHA-256, the exact order of the signals, error domains and codes, resume data and what the
 * server saw (Range, If-Range, status), and the downloads directory left clean.
 *
 * Signals are written down one letter each (the recorder of tests/support, and this file's
 * become-download test for B):
 *
 *   R  LadleTask::response              S  LadleDownloadTask::resumed
 *   P  LadleTask::download-progress     F  LadleDownloadTask::finished
 *   W  LadleSession::download-finished  C  LadleTask::completed
 *   T  LadleSession::task-completed     B  LadleDataTask::became-download-task
 *   D  LadleDataTask::data-received
 *
 * Runs of P are squeezed to one P before comparing (how many progress events there are depends
 * on timing; that there is at least one, in the right place, does not).
 */

#include <ladle.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ladle-test.h"

#define MiB (1024 * 1024)

/* Files */

static void
write_file (const char *path,
            GBytes     *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents), &error);
  g_assert_no_error (error);
}

/* Fixture */

typedef struct
{
  LadleTestServer     *server;
  char         *state_dir;
  char         *downloads_dir;
  char         *outside_dir;    /* destinations, sentinels */
  LadleSession *session;
} Fixture;

static LadleSession *
session_new (const char *state_dir,
             guint       timeout)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();

  ladle_session_configuration_set_state_directory (configuration, state_dir);
  if (timeout > 0)
    ladle_session_configuration_set_timeout (configuration, timeout);

  return ladle_session_new (configuration);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = ladle_test_server_new ();
  fixture->state_dir = g_dir_make_tmp ("ladle-downloads-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->outside_dir = g_dir_make_tmp ("ladle-downloads-out-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->downloads_dir = g_build_filename (fixture->state_dir, "downloads", NULL);
  fixture->session = session_new (fixture->state_dir, 0);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  ladle_session_invalidate_and_cancel (fixture->session);
  g_clear_object (&fixture->session);
  /* let cancelled tasks and closing connections finish */
  for (guint i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++)
    ;
  g_clear_pointer (&fixture->server, ladle_test_server_free);
  ladle_test_remove_tree (fixture->state_dir);
  ladle_test_remove_tree (fixture->outside_dir);
  g_free (fixture->state_dir);
  g_free (fixture->downloads_dir);
  g_free (fixture->outside_dir);
}

static char *
fixture_path (Fixture    *fixture,
              const char *name)
{
  return g_build_filename (fixture->outside_dir, name, NULL);
}

static LadleDownloadTask *
create_download (Fixture    *fixture,
                 LadleSession *session,
                 const char *path_and_query)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path_and_query);
  LadleDownloadTask *task = ladle_session_create_download_task_for_uri (session, uri);

  g_assert_true (LADLE_IS_DOWNLOAD_TASK (task));
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (task)), ==, LADLE_TASK_STATE_SUSPENDED);

  return task;
}

static LadleTestRequest *
last_request (Fixture *fixture)
{
  GPtrArray *requests = ladle_test_server_get_requests (fixture->server);

  g_assert_cmpuint (requests->len, >, 0);
  return g_ptr_array_index (requests, requests->len - 1);
}

/* The recorder of tests/support, with the download signals' letters; its wait checks the
 * signal contract. */

static void
recorder_assert_events (LadleTestRecorder   *self,
                        const char *expected)
{
  g_autofree char *events = ladle_test_recorder_dup_squeezed_events (self);

  g_assert_cmpstr (events, ==, expected);
}

/* LadleTestProgress never goes back, reports what arrived, and ends with the total when it is known. */
static void
recorder_assert_progress (LadleTestRecorder *self,
                          gint64    first_at_least,
                          gint64    final_received,
                          gint64    expected_total)
{
  gint64 previous = -1;
  gint64 sum = 0;

  g_assert_cmpuint (self->progress->len, >, 0);
  for (guint i = 0; i < self->progress->len; i++)
    {
      LadleTestProgress *progress = &g_array_index (self->progress, LadleTestProgress, i);

      /* Only a lone final report may carry nothing new: a resume that found the file complete. */
      if (self->progress->len == 1)
        g_assert_cmpint (progress->received_now, >=, 0);
      else
        g_assert_cmpint (progress->received_now, >, 0);
      g_assert_cmpint (progress->total_received, >, previous);
      g_assert_cmpint (progress->total_expected, ==, expected_total);
      if (expected_total >= 0)
        g_assert_cmpint (progress->total_received, <=, expected_total);
      previous = progress->total_received;
      sum += progress->received_now;
    }
  g_assert_cmpint (g_array_index (self->progress, LadleTestProgress, 0).total_received, >=, first_at_least);
  g_assert_cmpint (previous, ==, final_received);
  /* received_now adds up to the bytes received (resumed tasks: see resume/progress-deltas) */
  if (first_at_least == 0)
    g_assert_cmpint (sum, ==, final_received);
}

/* Resume data, read the way a foreign program would: a little-endian a{sv}. */

static GVariantDict *
parse_resume_data (GBytes *bytes)
{
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GVariant) normal = NULL;

  g_assert_nonnull (bytes);
  variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (variant);

      g_variant_unref (variant);
      variant = swapped;
    }
  normal = g_variant_get_normal_form (variant);
  g_assert_true (g_variant_is_normal_form (variant));

  return g_variant_dict_new (normal);
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

static char *
dict_dup_string (GVariantDict *dict,
                 const char   *key)
{
  char *value = NULL;

  g_assert_true (g_variant_dict_lookup (dict, key, "s", &value));
  return value;
}

static gboolean
dict_has_header (GVariantDict *dict,
                 const char   *name,
                 const char   *value)
{
  g_autoptr(GVariant) headers = g_variant_dict_lookup_value (dict, "headers", G_VARIANT_TYPE ("a(ss)"));
  GVariantIter iter;
  const char *n, *v;

  g_assert_nonnull (headers);
  g_variant_iter_init (&iter, headers);
  while (g_variant_iter_next (&iter, "(&s&s)", &n, &v))
    if (g_ascii_strcasecmp (n, name) == 0 && (value == NULL || g_str_equal (v, value)))
      return TRUE;

  return FALSE;
}

typedef LadleTestResumeFields ResumeFields;

/* Runs @task to completion with a recorder. */
static LadleTestRecorder *
run_task (gpointer task)
{
  LadleTestRecorder *recorder = ladle_test_recorder_new (task);

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  return recorder;
}

static gboolean
task_has_bytes (gpointer data)
{
  LadleTask *task = data;

  return ladle_task_get_state (task) == LADLE_TASK_STATE_COMPLETED ||
         (guint64)ladle_task_get_bytes_received (task) >= GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (task), "wanted"));
}

static void
wait_for_at_least (gpointer task,
                   gint64   bytes)
{
  g_object_set_data (G_OBJECT (task), "wanted", GSIZE_TO_POINTER (bytes));
  ladle_test_wait_until (task_has_bytes, task, 60, "the first bytes of the body");
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (task)), ==, LADLE_TASK_STATE_RUNNING);
}

/* With a stall=N resource: exactly the N bytes the server sends before it stops. */
static void
wait_for_bytes (gpointer task,
                gint64   bytes)
{
  wait_for_at_least (task, bytes);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, bytes);
}

/* Starts a download of @path_and_query (a stall=N resource), waits for its N bytes and pauses it.
 * Returns the recorder of the paused task, with the resume data checked against the partial
 * file. */
static LadleTestRecorder *
download_and_pause (Fixture    *fixture,
                    const char *path_and_query,
                    gint64      stall,
                    guint       variant)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, path_and_query);
  LadleTestRecorder *recorder = ladle_test_recorder_new (task);
  g_autoptr(GVariantDict) dict = NULL;
  g_autofree char *partial_name = NULL;
  g_autofree char *partial_path = NULL;
  g_autoptr(GBytes) expected = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  guint64 bytes_received = 0;

  ladle_task_resume (LADLE_TASK (task));
  wait_for_bytes (task, stall);
  ladle_test_recorder_pause (recorder);
  ladle_test_recorder_wait (recorder);

  /* completed(CANCELLED), then the session's task-completed, then the callback */
  recorder_assert_events (recorder, "RPCT");
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (recorder->resume_cb_called);
  g_assert_no_error (recorder->resume_error);
  g_assert_cmpstr (recorder->events_at_resume_cb, ==, recorder->events->str);
  g_assert_cmpint (recorder->state_at_resume_cb, ==, LADLE_TASK_STATE_COMPLETED);
  g_assert_nonnull (recorder->resume_data);
  g_assert_cmpuint (recorder->n_finished, ==, 0);

  dict = parse_resume_data (recorder->resume_data);
  assert_dict_string (dict, "format", "org.gnome.Ladle.ResumeData");
  g_assert_true (g_variant_dict_lookup (dict, "bytes-received", "t", &bytes_received));
  g_assert_cmpuint (bytes_received, ==, stall);
  partial_name = dict_dup_string (dict, "partial-file");
  g_assert_null (strchr (partial_name, '/'));

  /* the partial file is kept, alone, with exactly the bytes received */
  ladle_test_assert_listing (fixture->downloads_dir, partial_name);
  partial_path = g_build_filename (fixture->downloads_dir, partial_name, NULL);
  g_assert_true (g_file_get_contents (partial_path, &contents, &length, NULL));
  expected = ladle_test_variant_content_new (variant, stall);
  g_assert_cmpmem (contents, length, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));

  return recorder;
}

/* Tests: whole downloads */

static void
test_download_to_destination (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/3000000");
  g_autofree char *destination_path = fixture_path (fixture, "file.bin");
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 3000000);
  g_autofree char *actual = NULL;
  g_autofree char *suggested = NULL;
  g_autofree char *finished_dir = NULL;
  LadleTestRequest *request;

  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_NONE);
  g_assert_true (ladle_download_task_get_destination (task) == destination);
  g_assert_null (ladle_download_task_dup_suggested_filename (task));

  recorder = run_task (task);

  recorder_assert_events (recorder, "RPFWCT");
  g_assert_no_error (recorder->error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
  recorder_assert_progress (recorder, 0, 3000000, 3000000);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, 3000000);

  /* ::finished saw the complete file in the session's downloads directory */
  g_assert_nonnull (recorder->finished_location);
  g_assert_cmpstr (recorder->finished_sha256, ==, expected);
  finished_dir = g_path_get_dirname (g_file_peek_path (recorder->finished_location));
  g_assert_cmpstr (finished_dir, ==, fixture->downloads_dir);
  g_assert_true (g_str_has_suffix (g_file_peek_path (recorder->finished_location), ".part"));
  /* private to the user */
  g_assert_cmpuint (recorder->finished_mode, ==, 0600);
  g_assert_cmpuint (recorder->finished_dir_mode, ==, 0700);
  g_assert_true (recorder->session_location_matches);

  actual = ladle_test_checksum_file (destination_path);
  g_assert_cmpstr (actual, ==, expected);
  g_assert_false (g_file_query_exists (recorder->finished_location, NULL));
  ladle_test_assert_listing (fixture->downloads_dir, "");
  g_assert_null (ladle_download_task_dup_resume_data (task));

  suggested = ladle_download_task_dup_suggested_filename (task);
  g_assert_cmpstr (suggested, ==, "3000000");

  /* downloads never ask for content coding */
  request = last_request (fixture);
  g_assert_null (soup_message_headers_get_one (request->headers, "Accept-Encoding"));
  g_assert_null (request->range);
}

static void
test_download_without_destination (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/500000");
  g_autoptr(LadleTestRecorder) recorder = run_task (task);
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 500000);

  recorder_assert_events (recorder, "RPFWCT");
  g_assert_no_error (recorder->error);
  g_assert_cmpstr (recorder->finished_sha256, ==, expected);
  /* nobody wanted the file: it is deleted after the signals */
  g_assert_false (g_file_query_exists (recorder->finished_location, NULL));
  ladle_test_assert_listing (fixture->downloads_dir, "");
  ladle_test_assert_listing (fixture->outside_dir, "");
}

/* The ::finished handler takes the file: it moves it away itself, or sets the destination then. */
typedef struct
{
  const char *path_and_query;
  gsize       size;
  const char *name;             /* where the file ends, in the fixture's outside directory */
  gboolean    move;             /* move it there (else: set it as destination) */
  gboolean    downloads_empty;  /* check that the downloads directory is left empty */
} FinishedHandlerCase;

static const FinishedHandlerCase handler_moves_file = { "/resource/400000", 400000, "moved.bin", TRUE, TRUE };
static const FinishedHandlerCase destination_set_in_finished = { "/resource/100000", 100000, "late.bin", FALSE, FALSE };

static void
test_download_finished_handler (Fixture       *fixture,
                                gconstpointer  data)
{
  const FinishedHandlerCase *c = data;
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, c->path_and_query);
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autofree char *path = fixture_path (fixture, c->name);
  g_autofree char *expected = ladle_test_variant_content_checksum (1, c->size);
  g_autofree char *actual = NULL;

  if (c->move)
    recorder->move_to = g_file_new_for_path (path);
  else
    recorder->destination = g_file_new_for_path (path);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  recorder_assert_events (recorder, "RPFWCT");
  g_assert_no_error (recorder->error);
  actual = ladle_test_checksum_file (path);
  g_assert_cmpstr (actual, ==, expected);
  if (c->downloads_empty)
    ladle_test_assert_listing (fixture->downloads_dir, "");
}

static void
test_download_destination_exists (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/200000");
  g_autofree char *destination_path = fixture_path (fixture, "exists.txt");
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (g_file_set_contents (destination_path, "keep me", -1, NULL));
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_CREATE_PARENTS);
  recorder = run_task (task);

  recorder_assert_events (recorder, "RPFWCT");
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_error (ladle_task_get_error (LADLE_TASK (task)), G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_true (g_file_get_contents (destination_path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep me");
  ladle_test_assert_listing (fixture->downloads_dir, "");
  ladle_test_assert_listing (fixture->outside_dir, "exists.txt");
}

static void
test_download_destination_replace (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/200000");
  g_autofree char *destination_path = fixture_path (fixture, "exists.txt");
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 200000);
  g_autofree char *actual = NULL;

  g_assert_true (g_file_set_contents (destination_path, "replace me", -1, NULL));
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  g_assert_cmpint (ladle_download_task_get_destination_flags (task), ==, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_task (task);

  recorder_assert_events (recorder, "RPFWCT");
  g_assert_no_error (recorder->error);
  actual = ladle_test_checksum_file (destination_path);
  g_assert_cmpstr (actual, ==, expected);
  ladle_test_assert_listing (fixture->downloads_dir, "");
  /* no backup or temporary file left next to it */
  ladle_test_assert_listing (fixture->outside_dir, "exists.txt");
}

static void
test_download_create_parents (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *nested = fixture_path (fixture, "a/b/c/file.bin");
  g_autofree char *missing = fixture_path (fixture, "missing/file.bin");
  g_autoptr(GFile) nested_file = g_file_new_for_path (nested);
  g_autoptr(GFile) missing_file = g_file_new_for_path (missing);
  g_autoptr(LadleDownloadTask) first = create_download (fixture, fixture->session, "/resource/70000");
  g_autoptr(LadleDownloadTask) second = create_download (fixture, fixture->session, "/resource/70000");
  g_autoptr(LadleTestRecorder) first_recorder = NULL;
  g_autoptr(LadleTestRecorder) second_recorder = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 70000);
  g_autofree char *actual = NULL;

  ladle_download_task_set_destination (first, nested_file,
                                       LADLE_DESTINATION_FLAGS_CREATE_PARENTS | LADLE_DESTINATION_FLAGS_REPLACE);
  first_recorder = run_task (first);
  recorder_assert_events (first_recorder, "RPFWCT");
  g_assert_no_error (first_recorder->error);
  actual = ladle_test_checksum_file (nested);
  g_assert_cmpstr (actual, ==, expected);

  /* without CREATE_PARENTS a missing directory is the task's error */
  ladle_download_task_set_destination (second, missing_file, LADLE_DESTINATION_FLAGS_NONE);
  second_recorder = run_task (second);
  recorder_assert_events (second_recorder, "RPFWCT");
  g_assert_error (second_recorder->error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (g_file_query_exists (missing_file, NULL));

  ladle_test_assert_listing (fixture->downloads_dir, "");
  ladle_test_assert_listing (fixture->outside_dir, "a");
}

static void
test_download_chunked (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session,
                                                       "/resource/1000000?chunked=1");
  g_autofree char *destination_path = fixture_path (fixture, "chunked.bin");
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 1000000);
  g_autofree char *actual = NULL;

  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_NONE);
  recorder = run_task (task);

  recorder_assert_events (recorder, "RPFWCT");
  g_assert_no_error (recorder->error);
  /* no Content-Length: the total stays unknown */
  recorder_assert_progress (recorder, 0, 1000000, -1);
  g_assert_cmpint (ladle_task_get_bytes_expected_to_receive (LADLE_TASK (task)), ==, -1);
  actual = ladle_test_checksum_file (destination_path);
  g_assert_cmpstr (actual, ==, expected);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

static void
test_download_http_error (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session,
                                                       "/resource/5000?status=404");
  g_autofree char *destination_path = fixture_path (fixture, "never.bin");
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleTestRecorder) recorder = NULL;

  ladle_download_task_set_destination (task, destination,
                                       LADLE_DESTINATION_FLAGS_REPLACE | LADLE_DESTINATION_FLAGS_CREATE_PARENTS);
  recorder = run_task (task);

  /* an HTTP error status is no GError; the error page is never moved to the destination */
  recorder_assert_events (recorder, "RPFWCT");
  g_assert_no_error (recorder->error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 404);
  g_assert_false (g_file_test (destination_path, G_FILE_TEST_EXISTS));
  ladle_test_assert_listing (fixture->downloads_dir, "");
  ladle_test_assert_listing (fixture->outside_dir, "");
}

/* Tests: pause and resume */

static void
resume_and_check (Fixture      *fixture,
                  LadleSession *session,
                  GBytes       *resume_data,
                  gint64        offset,
                  guint         final_variant,
                  gint64        size,
                  const char   *expected_events,
                  gint64        expected_resumed_offset,
                  guint         expected_status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_from_resume_data (session, resume_data, &error);
  g_autofree char *destination_path = fixture_path (fixture, "resumed.bin");
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (final_variant, size);
  g_autofree char *actual = NULL;
  g_autofree char *range = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-", offset);
  LadleTestRequest *request;

  g_assert_no_error (error);
  g_assert_true (LADLE_IS_DOWNLOAD_TASK (task));
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (task)), ==, LADLE_TASK_STATE_SUSPENDED);

  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_task (task);

  recorder_assert_events (recorder, expected_events);
  g_assert_no_error (recorder->error);
  g_assert_cmpuint (recorder->n_resumed, ==, 1);
  g_assert_cmpint (recorder->resumed_offset, ==, expected_resumed_offset);
  g_assert_cmpint (recorder->resumed_total, ==, size);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, expected_status);
  recorder_assert_progress (recorder, expected_resumed_offset, size, size);

  request = last_request (fixture);
  g_assert_cmpstr (request->range, ==, range);
  g_assert_nonnull (request->if_range);
  g_assert_cmpuint (request->status, ==, expected_status);

  actual = ladle_test_checksum_file (destination_path);
  g_assert_cmpstr (actual, ==, expected);
  ladle_test_assert_listing (fixture->downloads_dir, "");
  g_assert_null (ladle_download_task_dup_resume_data (task));
}

static void
test_resume_range (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(LadleTestRecorder) paused = download_and_pause (fixture, "/resource/2000000?stall=300000", 300000, 1);
  g_autoptr(GVariantDict) dict = parse_resume_data (paused->resume_data);
  g_autofree char *url = ladle_test_server_dup_uri (fixture->server, "/resource/2000000?stall=300000");
  g_autoptr(LadleSession) second_session = NULL;
  guint32 version = 0;
  gint64 expected_total = 0;
  LadleTestRequest *request;

  /* every documented field */
  g_assert_true (g_variant_dict_lookup (dict, "version", "u", &version));
  g_assert_cmpuint (version, ==, 1);
  assert_dict_string (dict, "url", url);
  assert_dict_string (dict, "method", "GET");
  assert_dict_string (dict, "etag", "\"v1-2000000\"");
  assert_dict_string (dict, "last-modified", "Mon, 01 Jan 2024 01:00:00 GMT");
  g_assert_true (g_variant_dict_lookup (dict, "expected-total", "x", &expected_total));
  g_assert_cmpint (expected_total, ==, 2000000);
  g_assert_false (dict_has_header (dict, "Range", NULL));
  g_assert_false (dict_has_header (dict, "If-Range", NULL));

  /* a new session on the same state directory continues it; ETag preferred for If-Range */
  second_session = session_new (fixture->state_dir, 0);
  resume_and_check (fixture, second_session, paused->resume_data, 300000, 1, 2000000,
                    "RSPFWCT", 300000, 206);
  request = last_request (fixture);
  g_assert_cmpstr (request->if_range, ==, "\"v1-2000000\"");
  ladle_session_invalidate_and_cancel (second_session);
}

/* Pause, then resume from the resume data: one row a case (/Ladle/Download/resume/NAME). */
typedef struct
{
  const char *path_and_query;   /* a stall=N resource */
  gint64      stall;
  gboolean    check_validators; /* the resume data has no ETag, and the date when set below */
  const char *last_modified;    /* the resume data's last-modified, NULL: not checked */
  const char *if_range;         /* the If-Range of the resumed request, NULL: not checked */
  guint       final_variant;    /* the content on disk at the end */
  gint64      size;
  gint64      resumed_offset;
  guint       status;
} ResumeCase;

static const ResumeCase resume_last_modified = {
  "/resource/1000000?etag=none&stall=100000", 100000, TRUE,
  "Mon, 01 Jan 2024 01:00:00 GMT", "Mon, 01 Jan 2024 01:00:00 GMT", 1, 1000000, 100000, 206,
};
/* a weak ETag can't validate a range: it is not stored, the date is used */
static const ResumeCase resume_weak_etag_uses_date = {
  "/resource/1000000?etag=weak&stall=100000", 100000, TRUE,
  NULL, "Mon, 01 Jan 2024 01:00:00 GMT", 1, 1000000, 100000, 206,
};
/* the server's ETag changed: If-Range fails, a 200 starts the file over with the new content */
static const ResumeCase resume_changed_resource = {
  "/resource/1500000?changing=1&stall=200000", 200000, FALSE, NULL, NULL, 2, 1500000, 0, 200,
};
static const ResumeCase resume_server_ignores_range = {
  "/resource/1200000?ranges=ignore&stall=200000", 200000, FALSE, NULL, NULL, 1, 1200000, 0, 200,
};

static void
test_resume_case (Fixture       *fixture,
                  gconstpointer  data)
{
  const ResumeCase *c = data;
  g_autoptr(LadleTestRecorder) paused = download_and_pause (fixture, c->path_and_query, c->stall, 1);
  g_autoptr(GVariantDict) dict = parse_resume_data (paused->resume_data);

  if (c->check_validators)
    assert_dict_string (dict, "etag", NULL);
  if (c->last_modified != NULL)
    assert_dict_string (dict, "last-modified", c->last_modified);

  resume_and_check (fixture, fixture->session, paused->resume_data, c->stall, c->final_variant,
                    c->size, "RSPFWCT", c->resumed_offset, c->status);
  if (c->if_range != NULL)
    g_assert_cmpstr (last_request (fixture)->if_range, ==, c->if_range);
}

static void
test_resume_from_progress_handler (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/4000000");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autoptr(GVariantDict) dict = NULL;
  g_autofree char *partial_name = NULL;
  g_autofree char *partial_path = NULL;
  guint64 bytes_received = 0;

  /* pausing from inside a progress handler, as a download manager's "pause" button might */
  recorder->pause_at = 1;
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (recorder->resume_cb_called);
  g_assert_nonnull (recorder->resume_data);
  recorder_assert_events (recorder, "RPCT");

  dict = parse_resume_data (recorder->resume_data);
  g_assert_true (g_variant_dict_lookup (dict, "bytes-received", "t", &bytes_received));
  g_assert_cmpuint (bytes_received, >, 0);
  g_assert_cmpuint (bytes_received, <, 4000000);
  partial_name = dict_dup_string (dict, "partial-file");
  partial_path = g_build_filename (fixture->downloads_dir, partial_name, NULL);
  g_assert_cmpint (ladle_test_file_size (partial_path), ==, bytes_received);

  resume_and_check (fixture, fixture->session, recorder->resume_data, bytes_received, 1, 4000000,
                    "RSPFWCT", bytes_received, 206);
}

static void
test_resume_twice (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(LadleTestRecorder) paused = download_and_pause (fixture, "/resource/900000?stall=100000", 100000, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GVariantDict) dict = NULL;
  guint64 bytes_received = 0;

  /* pause the resumed task again: its resume data covers both parts */
  task = ladle_session_create_download_task_from_resume_data (fixture->session, paused->resume_data, &error);
  g_assert_no_error (error);
  recorder = ladle_test_recorder_new (task);
  recorder->pause_at = 100001;
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  recorder_assert_events (recorder, "RSPCT");
  g_assert_nonnull (recorder->resume_data);
  dict = parse_resume_data (recorder->resume_data);
  g_assert_true (g_variant_dict_lookup (dict, "bytes-received", "t", &bytes_received));
  g_assert_cmpuint (bytes_received, >, 100000);

  resume_and_check (fixture, fixture->session, recorder->resume_data, bytes_received, 1, 900000,
                    "RSPFWCT", bytes_received, 206);
}

static void
test_resume_progress_deltas (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(LadleTestRecorder) paused = download_and_pause (fixture, "/resource/1000000?stall=250000", 250000, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  gint64 sum = 0;

  task = ladle_session_create_download_task_from_resume_data (fixture->session, paused->resume_data, &error);
  g_assert_no_error (error);
  recorder = run_task (task);
  g_assert_no_error (recorder->error);
  recorder_assert_progress (recorder, 250000, 1000000, 1000000);

  /* received_now counts what arrived since the previous event: the 250000 bytes of the partial
   * file were not received by this task, and were announced by ::resumed */
  for (guint i = 0; i < recorder->progress->len; i++)
    sum += g_array_index (recorder->progress, LadleTestProgress, i).received_now;
  g_assert_cmpint (sum, ==, 1000000 - 250000);
}

static void
test_resume_after_suspend (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/1000000?stall=90000");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autoptr(GVariantDict) dict = NULL;
  guint64 bytes_received = 0;

  /* suspended first, then paused for good */
  ladle_task_resume (LADLE_TASK (task));
  wait_for_bytes (task, 90000);
  ladle_task_suspend (LADLE_TASK (task));
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (task)), ==, LADLE_TASK_STATE_SUSPENDED);
  ladle_test_recorder_pause (recorder);
  ladle_test_recorder_wait (recorder);

  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (recorder->resume_data);
  dict = parse_resume_data (recorder->resume_data);
  g_assert_true (g_variant_dict_lookup (dict, "bytes-received", "t", &bytes_received));
  g_assert_cmpuint (bytes_received, ==, 90000);

  resume_and_check (fixture, fixture->session, recorder->resume_data, 90000, 1, 1000000,
                    "RSPFWCT", 90000, 206);
}

typedef struct
{
  gboolean  called;
  GBytes   *bytes;
  GError   *error;
} SecondPause;

static void
second_pause_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SecondPause *second = user_data;

  second->bytes = ladle_download_task_cancel_producing_resume_data_finish (LADLE_DOWNLOAD_TASK (object),
                                                                           result, &second->error);
  second->called = TRUE;
}

static void
test_pause_twice (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/1000000?stall=50000");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  SecondPause second = { 0, };

  ladle_task_resume (LADLE_TASK (task));
  wait_for_bytes (task, 50000);
  ladle_test_recorder_pause (recorder);
  ladle_download_task_cancel_producing_resume_data_async (task, G_PRIORITY_DEFAULT, NULL,
                                                          second_pause_cb, &second);
  ladle_test_recorder_wait (recorder);
  ladle_test_wait_for_flag (&second.called, 60, "the second callback");

  /* one answer with the data, one refusal; one completion */
  g_assert_nonnull (recorder->resume_data);
  g_assert_null (second.bytes);
  g_assert_error (second.error, G_IO_ERROR, G_IO_ERROR_PENDING);
  recorder_assert_events (recorder, "RPCT");
  g_clear_error (&second.error);
}

static void
test_resume_truncated_again (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(LadleTestRecorder) paused = download_and_pause (fixture, "/resource/1000000?stall=100000&drop-range=200000",
                                                   100000, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) resume_data = NULL;
  g_autoptr(GVariantDict) dict = NULL;
  g_autofree char *partial_name = NULL;
  g_autofree char *partial_path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) expected = ladle_test_variant_content_new (1, 300000);
  guint64 bytes_received = 0;
  gsize length = 0;

  /* the resumed body stops 200000 bytes into its Content-Range: an error, with resume data that
   * covers both parts */
  task = ladle_session_create_download_task_from_resume_data (fixture->session, paused->resume_data, &error);
  g_assert_no_error (error);
  recorder = run_task (task);
  recorder_assert_events (recorder, "RSPCT");
  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY);
  g_assert_cmpuint (recorder->n_finished, ==, 0);

  resume_data = ladle_download_task_dup_resume_data (task);
  g_assert_nonnull (resume_data);
  dict = parse_resume_data (resume_data);
  g_assert_true (g_variant_dict_lookup (dict, "bytes-received", "t", &bytes_received));
  g_assert_cmpuint (bytes_received, ==, 300000);
  partial_name = dict_dup_string (dict, "partial-file");
  partial_path = g_build_filename (fixture->downloads_dir, partial_name, NULL);
  g_assert_true (g_file_get_contents (partial_path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));

  resume_and_check (fixture, fixture->session, resume_data, 300000, 1, 1000000,
                    "RSPFWCT", 300000, 206);
}

static void
test_resume_discard_by_cancel (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(LadleTestRecorder) paused = download_and_pause (fixture, "/resource/500000?stall=50000", 50000, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;

  /* giving up a paused download: a plain cancel of a task made from its resume data */
  task = ladle_session_create_download_task_from_resume_data (fixture->session, paused->resume_data, &error);
  g_assert_no_error (error);
  recorder = ladle_test_recorder_new (task);
  ladle_task_cancel (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  recorder_assert_events (recorder, "CT");
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (ladle_download_task_dup_resume_data (task));
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

static void
test_resume_after_redirect (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(LadleTestRecorder) paused = download_and_pause (fixture, "/redirect?to=%2Fresource%2F700000%3Fstall%3D70000",
                                                   70000, 1);
  g_autoptr(GVariantDict) dict = parse_resume_data (paused->resume_data);
  g_autofree char *final_url = ladle_test_server_dup_uri (fixture->server, "/resource/700000?stall=70000");

  /* the resume data names the last hop, so that the resumed request needs no redirect */
  assert_dict_string (dict, "url", final_url);
  ladle_test_server_clear_log (fixture->server);
  resume_and_check (fixture, fixture->session, paused->resume_data, 70000, 1, 700000,
                    "RSPFWCT", 70000, 206);
  g_assert_cmpuint (ladle_test_server_get_requests (fixture->server)->len, ==, 1);
}

typedef struct
{
  LadleDownloadTask *download;
  LadleTestRecorder          *recorder;
} Adopted;

static LadleResponseDisposition
adopt_response_cb (LadleTask   *task,
                   SoupMessage *message,
                   gpointer     data)
{
  return LADLE_RESPONSE_DISPOSITION_BECOME_DOWNLOAD;
}

static void
adopt_became_cb (LadleDataTask     *task,
                 LadleDownloadTask *download,
                 Adopted           *adopted)
{
  adopted->download = g_object_ref (download);
  adopted->recorder = ladle_test_recorder_new (download);
}

static gboolean
adopted_has_bytes (gpointer data)
{
  Adopted *adopted = data;

  return adopted->download != NULL && ladle_task_get_bytes_received (LADLE_TASK (adopted->download)) >= 60000;
}

static void
test_resume_became_download (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/600000?stall=60000");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (fixture->session, uri);
  Adopted adopted = { 0, };

  /* a data task turned download can be paused and resumed like any download */
  g_signal_connect (task, "response", G_CALLBACK (adopt_response_cb), NULL);
  g_signal_connect (task, "became-download-task", G_CALLBACK (adopt_became_cb), &adopted);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_until (adopted_has_bytes, &adopted, 60, "the adopted download's bytes");
  ladle_test_recorder_pause (adopted.recorder);
  ladle_test_recorder_wait (adopted.recorder);

  recorder_assert_events (adopted.recorder, "PCT");
  g_assert_nonnull (adopted.recorder->resume_data);
  resume_and_check (fixture, fixture->session, adopted.recorder->resume_data, 60000, 1, 600000,
                    "RSPFWCT", 60000, 206);

  ladle_test_recorder_free (adopted.recorder);
  g_clear_object (&adopted.download);
}

static void
test_resume_twice_concurrently (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(LadleTestRecorder) paused = download_and_pause (fixture, "/resource/2000000?stall=100000", 100000, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) first = NULL;
  g_autoptr(LadleDownloadTask) second = NULL;
  g_autoptr(LadleTestRecorder) first_recorder = NULL;
  g_autoptr(LadleTestRecorder) second_recorder = NULL;
  g_autofree char *first_path = fixture_path (fixture, "first.bin");
  g_autofree char *second_path = fixture_path (fixture, "second.bin");
  g_autoptr(GFile) first_destination = g_file_new_for_path (first_path);
  g_autoptr(GFile) second_destination = g_file_new_for_path (second_path);
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 2000000);
  guint n_succeeded = 0;

  /* the same resume data used twice at once (a double click on "resume"): the two tasks share
   * one partial file, so at most one may write it; whatever succeeds is byte-exact */
  first = ladle_session_create_download_task_from_resume_data (fixture->session, paused->resume_data, &error);
  g_assert_no_error (error);
  second = ladle_session_create_download_task_from_resume_data (fixture->session, paused->resume_data, &error);
  if (second == NULL)
    {
      g_assert_error (error, LADLE_ERROR, LADLE_ERROR_PARTIAL_FILE);
      return;
    }
  ladle_download_task_set_destination (first, first_destination, LADLE_DESTINATION_FLAGS_NONE);
  ladle_download_task_set_destination (second, second_destination, LADLE_DESTINATION_FLAGS_NONE);
  first_recorder = ladle_test_recorder_new (first);
  second_recorder = ladle_test_recorder_new (second);
  ladle_task_resume (LADLE_TASK (first));
  ladle_task_resume (LADLE_TASK (second));
  ladle_test_recorder_wait (first_recorder);
  ladle_test_recorder_wait (second_recorder);

  if (first_recorder->error == NULL)
    {
      g_autofree char *actual = ladle_test_checksum_file (first_path);

      g_assert_cmpstr (actual, ==, expected);
      n_succeeded++;
    }
  if (second_recorder->error == NULL)
    {
      g_autofree char *actual = ladle_test_checksum_file (second_path);

      g_assert_cmpstr (actual, ==, expected);
      n_succeeded++;
    }
  g_assert_cmpuint (n_succeeded, <=, 1);
}

static void
test_error_status_not_resumable (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session,
                                                       "/resource/100000?status=404&drop=5000");
  g_autoptr(LadleTestRecorder) recorder = run_task (task);
  g_autoptr(GBytes) resume_data = ladle_download_task_dup_resume_data (task);

  /* an error page cut short is not a download to continue: no resume data, no partial file */
  recorder_assert_events (recorder, "RPCT");
  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 404);
  g_assert_null (resume_data);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

static void
check_not_resumable (Fixture    *fixture,
                     const char *path_and_query)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, path_and_query);
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);

  ladle_task_resume (LADLE_TASK (task));
  wait_for_bytes (task, 50000);
  ladle_test_recorder_pause (recorder);
  ladle_test_wait_for_flag (&recorder->resume_cb_called, 60, "the resume data callback");
  ladle_test_recorder_wait (recorder);

  recorder_assert_events (recorder, "RPCT");
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (recorder->resume_error);
  g_assert_null (recorder->resume_data);
  g_assert_null (ladle_download_task_dup_resume_data (task));
  /* nothing to resume with: the partial file is gone */
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

static const char *const not_resumable_no_validator = "/resource/500000?etag=none&lm=0&stall=50000";
static const char *const not_resumable_weak_etag_only = "/resource/500000?etag=weak&lm=0&stall=50000";
static const char *const not_resumable_ranges_none = "/resource/500000?ranges=none&stall=50000";

static void
test_not_resumable_case (Fixture       *fixture,
                         gconstpointer  data)
{
  check_not_resumable (fixture, data);
}

static void
test_not_resumable_before_body (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/500000");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);

  /* nothing written yet: no resume data, and no error */
  ladle_test_recorder_pause (recorder);
  ladle_test_wait_for_flag (&recorder->resume_cb_called, 60, "the resume data callback");
  ladle_test_recorder_wait (recorder);

  recorder_assert_events (recorder, "CT");
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (recorder->resume_error);
  g_assert_null (recorder->resume_data);
  ladle_test_assert_listing (fixture->downloads_dir, "");
  g_assert_cmpuint (ladle_test_server_get_requests (fixture->server)->len, ==, 0);
}

static void
test_plain_cancel_discards (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/500000?stall=60000");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);

  ladle_task_resume (LADLE_TASK (task));
  wait_for_bytes (task, 60000);
  ladle_task_cancel (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  recorder_assert_events (recorder, "RPCT");
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (ladle_download_task_dup_resume_data (task));
  ladle_test_assert_listing (fixture->downloads_dir, "");

  /* asking for resume data after completion answers at once, with nothing */
  ladle_test_recorder_pause (recorder);
  ladle_test_wait_for_flag (&recorder->resume_cb_called, 60, "the resume data callback");
  g_assert_no_error (recorder->resume_error);
  g_assert_null (recorder->resume_data);
  g_assert_cmpuint (recorder->n_completed, ==, 1);
}

static void
test_dropped_connection (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session,
                                                       "/resource/1000000?drop=250000");
  g_autoptr(LadleTestRecorder) recorder = run_task (task);
  g_autoptr(GBytes) resume_data = ladle_download_task_dup_resume_data (task);
  g_autoptr(GVariantDict) dict = NULL;
  g_autofree char *partial_name = NULL;
  g_autofree char *partial_path = NULL;
  guint64 bytes_received = 0;

  /* a body shorter than its Content-Length is an error, never a finished download */
  recorder_assert_events (recorder, "RPCT");
  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY);
  g_assert_cmpuint (recorder->n_finished, ==, 0);

  g_assert_nonnull (resume_data);
  dict = parse_resume_data (resume_data);
  g_assert_true (g_variant_dict_lookup (dict, "bytes-received", "t", &bytes_received));
  g_assert_cmpuint (bytes_received, ==, 250000);
  partial_name = dict_dup_string (dict, "partial-file");
  partial_path = g_build_filename (fixture->downloads_dir, partial_name, NULL);
  g_assert_cmpint (ladle_test_file_size (partial_path), ==, 250000);
  ladle_test_assert_listing (fixture->downloads_dir, partial_name);

  resume_and_check (fixture, fixture->session, resume_data, 250000, 1, 1000000,
                    "RSPFWCT", 250000, 206);
}

static void
test_timeout_keeps_resume_data (Fixture       *fixture,
                                gconstpointer  data)
{
  /* the response must arrive before the timeout: scaled, since under valgrind it can take 1 s */
  g_autoptr(LadleSession) session = session_new (fixture->state_dir, ladle_test_failsafe_seconds (1));
  g_autoptr(LadleDownloadTask) task = create_download (fixture, session, "/resource/800000?stall=120000");
  g_autoptr(LadleTestRecorder) recorder = run_task (task);
  g_autoptr(GBytes) resume_data = ladle_download_task_dup_resume_data (task);
  g_autoptr(GVariantDict) dict = NULL;
  guint64 bytes_received = 0;

  /* the server stops sending: the session's timeout fails the task, resume data stays */
  recorder_assert_events (recorder, "RPCT");
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (resume_data);
  dict = parse_resume_data (resume_data);
  g_assert_true (g_variant_dict_lookup (dict, "bytes-received", "t", &bytes_received));
  g_assert_cmpuint (bytes_received, ==, 120000);

  resume_and_check (fixture, fixture->session, resume_data, 120000, 1, 800000,
                    "RSPFWCT", 120000, 206);
  ladle_session_invalidate_and_cancel (session);
}

/* Resumes that must fail: the partial file stays as it was, with resume data. */
static void
check_resume_fails (Fixture    *fixture,
                    const char *path_and_query,
                    gint64      stall,
                    guint       variant,
                    GQuark      domain,
                    int         code,
                    guint       expected_status)
{
  g_autoptr(LadleTestRecorder) paused = download_and_pause (fixture, path_and_query, stall, variant);
  g_autoptr(GVariantDict) dict = parse_resume_data (paused->resume_data);
  g_autofree char *partial_name = dict_dup_string (dict, "partial-file");
  g_autofree char *partial_path = g_build_filename (fixture->downloads_dir, partial_name, NULL);
  g_autofree char *before = ladle_test_checksum_file (partial_path);
  g_autofree char *after = NULL;
  g_autofree char *destination_path = fixture_path (fixture, "never.bin");
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) resume_data = NULL;

  task = ladle_session_create_download_task_from_resume_data (fixture->session, paused->resume_data, &error);
  g_assert_no_error (error);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_task (task);

  recorder_assert_events (recorder, "RCT");
  g_assert_error (recorder->error, domain, code);
  g_assert_cmpuint (recorder->n_resumed, ==, 0);
  g_assert_cmpuint (last_request (fixture)->status, ==, expected_status);
  g_assert_false (g_file_test (destination_path, G_FILE_TEST_EXISTS));

  after = ladle_test_checksum_file (partial_path);
  g_assert_cmpstr (after, ==, before);
  ladle_test_assert_listing (fixture->downloads_dir, partial_name);

  /* and it can be tried again later */
  resume_data = ladle_download_task_dup_resume_data (task);
  g_assert_nonnull (resume_data);
  g_clear_pointer (&dict, g_variant_dict_unref);
  dict = parse_resume_data (resume_data);
  assert_dict_string (dict, "partial-file", partial_name);
}

typedef struct
{
  const char *path_and_query;   /* a stall=N resource */
  gint64      stall;
  GQuark    (*domain) (void);
  int         code;
  guint       status;           /* of the failed resume's response */
} ResumeFailsCase;

/* a server that ignores If-Range answers 206 for the new version: never spliced */
static const ResumeFailsCase resume_etag_mismatch_206 = {
  "/resource/700000?changing=1&lie=1&stall=70000", 70000, ladle_error_quark, LADLE_ERROR_UNEXPECTED_RANGE, 206,
};
static const ResumeFailsCase resume_wrong_content_range = {
  "/resource/700000?range-start=0&stall=70000", 70000, ladle_error_quark, LADLE_ERROR_UNEXPECTED_RANGE, 206,
};
static const ResumeFailsCase resume_other_status = {
  "/resource/700000?range-status=500&stall=70000", 70000, ladle_error_quark, LADLE_ERROR_UNEXPECTED_RANGE, 500,
};
/* 416 while the partial file is not complete is no success */
static const ResumeFailsCase resume_416_incomplete = {
  "/resource/700000?range-status=416&stall=70000", 70000, ladle_error_quark, LADLE_ERROR_UNEXPECTED_RANGE, 416,
};

static void
test_resume_fails_case (Fixture       *fixture,
                        gconstpointer  data)
{
  const ResumeFailsCase *c = data;

  check_resume_fails (fixture, c->path_and_query, c->stall, 1, c->domain (), c->code, c->status);
}

static void
test_resume_416_complete (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *url = ladle_test_server_dup_uri (fixture->server, "/resource/300000");
  g_autofree char *partial_path = g_build_filename (fixture->downloads_dir, "complete.part", NULL);
  g_autoptr(GBytes) content = ladle_test_variant_content_new (1, 300000);
  ResumeFields fields = {
    .url = url, .partial = "complete.part", .bytes_received = 300000, .expected_total = 300000,
    .etag = "\"v1-300000\"",
  };
  g_autoptr(GBytes) resume_data = ladle_test_resume_data_build (&fields);

  /* the partial file already holds everything: the server says 416 bytes * /300000 */
  g_assert_cmpint (g_mkdir_with_parents (fixture->downloads_dir, 0700), ==, 0);
  write_file (partial_path, content);

  resume_and_check (fixture, fixture->session, resume_data, 300000, 1, 300000,
                    "RSPFWCT", 300000, 416);
}

static void
test_resume_partial_changed_before_start (Fixture       *fixture,
                                          gconstpointer  data)
{
  g_autoptr(LadleTestRecorder) paused = download_and_pause (fixture, "/resource/600000?stall=60000", 60000, 1);
  g_autoptr(GVariantDict) dict = parse_resume_data (paused->resume_data);
  g_autofree char *partial_name = dict_dup_string (dict, "partial-file");
  g_autofree char *partial_path = g_build_filename (fixture->downloads_dir, partial_name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  guint n_requests;

  task = ladle_session_create_download_task_from_resume_data (fixture->session, paused->resume_data, &error);
  g_assert_no_error (error);

  /* something truncated the partial file between creation and start */
  g_assert_cmpint (truncate (partial_path, 1000), ==, 0);
  n_requests = ladle_test_server_get_requests (fixture->server)->len;
  recorder = run_task (task);

  recorder_assert_events (recorder, "CT");
  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_PARTIAL_FILE);
  g_assert_cmpuint (ladle_test_server_get_requests (fixture->server)->len, ==, n_requests);
  g_assert_cmpint (ladle_test_file_size (partial_path), ==, 1000);
}

static void
test_resume_data_without_secrets (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/800000?stall=80000");
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GVariantDict) dict = NULL;
  LadleTestRequest *request;

  soup_message_headers_append (headers, "Authorization", "Bearer secret-token");
  soup_message_headers_append (headers, "Cookie", "session=secret-cookie");
  soup_message_headers_append (headers, "Proxy-Authorization", "Basic c2VjcmV0");
  soup_message_headers_append (headers, "X-Ladle-Custom", "kept");
  task = ladle_session_create_download_task (fixture->session, message);
  recorder = ladle_test_recorder_new (task);
  ladle_task_resume (LADLE_TASK (task));
  wait_for_bytes (task, 80000);
  ladle_test_recorder_pause (recorder);
  ladle_test_recorder_wait (recorder);
  g_assert_nonnull (recorder->resume_data);

  dict = parse_resume_data (recorder->resume_data);
  g_assert_true (dict_has_header (dict, "X-Ladle-Custom", "kept"));
  g_assert_false (dict_has_header (dict, "Authorization", NULL));
  g_assert_false (dict_has_header (dict, "Cookie", NULL));
  g_assert_false (dict_has_header (dict, "Proxy-Authorization", NULL));
  /* nowhere in the bytes either */
  g_assert_null (g_strstr_len (g_bytes_get_data (recorder->resume_data, NULL),
                               g_bytes_get_size (recorder->resume_data), "secret"));

  resume_and_check (fixture, fixture->session, recorder->resume_data, 80000, 1, 800000,
                    "RSPFWCT", 80000, 206);
  request = last_request (fixture);
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "X-Ladle-Custom"), ==, "kept");
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));
  g_assert_null (soup_message_headers_get_one (request->headers, "Cookie"));
}

/* Tests: bad resume data */

typedef struct
{
  const char *name;
  GBytes     *data;
  int         code;
} BadCase;

static void
bad_case_clear (BadCase *bad)
{
  g_clear_pointer (&bad->data, g_bytes_unref);
}

static GBytes *
variant_bytes (GVariant *variant)
{
  g_autoptr(GVariant) sunk = g_variant_ref_sink (variant);

  return g_variant_get_data_as_bytes (sunk);
}

/* Valid resume data with one key replaced (or removed when @value is NULL). */
static GBytes *
resume_data_with (GBytes     *valid,
                  const char *key,
                  GVariant   *value)
{
  g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, valid, FALSE));
  g_autoptr(GVariantDict) dict = g_variant_dict_new (variant);

  if (value != NULL)
    g_variant_dict_insert_value (dict, key, value);
  else
    g_variant_dict_remove (dict, key);

  return variant_bytes (g_variant_dict_end (dict));
}

static void
assert_bad (LadleSession *session,
            GBytes       *data,
            int           code,
            const char   *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;

  g_test_message ("bad resume data: %s", name);
  task = ladle_session_create_download_task_from_resume_data (session, data, &error);
  g_assert_null (task);
  if (code < 0)
    g_assert_true (g_error_matches (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA) ||
                   g_error_matches (error, LADLE_ERROR, LADLE_ERROR_RESUME_DATA_VERSION));
  else
    g_assert_error (error, LADLE_ERROR, code);
  g_assert_nonnull (error->message);
}

static void
test_bad_resume_data (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *url = ladle_test_server_dup_uri (fixture->server, "/resource/5000");
  g_autofree char *partial_path = g_build_filename (fixture->downloads_dir, "good.part", NULL);
  g_autofree char *other_path = g_build_filename (fixture->downloads_dir, "other.part", NULL);
  g_autofree char *outside_path = fixture_path (fixture, "outside.part");
  g_autofree char *link_path = g_build_filename (fixture->downloads_dir, "link.part", NULL);
  g_autofree char *dir_path = g_build_filename (fixture->downloads_dir, "dir.part", NULL);
  g_autofree char *state_file = g_build_filename (fixture->state_dir, "state-file", NULL);
  g_autoptr(GBytes) partial = ladle_test_variant_content_new (1, 1000);
  /* shorter than recorded: a longer one would be cut back when the task starts */
  g_autoptr(GBytes) other = ladle_test_variant_content_new (2, 567);
  ResumeFields fields = {
    .url = url, .partial = "good.part", .bytes_received = 1000, .expected_total = 5000,
    .etag = "\"v1-5000\"",
  };
  g_autoptr(GBytes) valid = ladle_test_resume_data_build (&fields);
  g_autoptr(GArray) cases = g_array_new (FALSE, TRUE, sizeof (BadCase));
  g_autofree char *listing_before = NULL;
  g_autofree char *sha_partial = NULL, *sha_other = NULL, *sha_outside = NULL, *sha_state = NULL;
  g_autofree char *sha = NULL;
  gsize valid_size = g_bytes_get_size (valid);
  const guint8 *valid_data = g_bytes_get_data (valid, NULL);
  GRand *rand;


  g_array_set_clear_func (cases, (GDestroyNotify)bad_case_clear);

  g_assert_cmpint (g_mkdir_with_parents (fixture->downloads_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (dir_path, 0700), ==, 0);
  write_file (partial_path, partial);
  write_file (other_path, other);
  write_file (outside_path, partial);
  write_file (state_file, other);
  g_assert_cmpint (symlink (outside_path, link_path), ==, 0);
  listing_before = ladle_test_list_directory (fixture->downloads_dir);
  sha_partial = ladle_test_checksum_file (partial_path);
  sha_other = ladle_test_checksum_file (other_path);
  sha_outside = ladle_test_checksum_file (outside_path);
  sha_state = ladle_test_checksum_file (state_file);

#define ADD_CASE(n, d, c) G_STMT_START { BadCase bad = { n, d, c }; g_array_append_val (cases, bad); } G_STMT_END
#define INVALID LADLE_ERROR_INVALID_RESUME_DATA

  ADD_CASE ("empty", g_bytes_new (NULL, 0), INVALID);
  ADD_CASE ("one byte", g_bytes_new ("\x01", 1), INVALID);
  ADD_CASE ("text", g_bytes_new_static ("hello, world", 12), INVALID);
  ADD_CASE ("string variant", variant_bytes (g_variant_new_string ("org.gnome.Ladle.ResumeData")), INVALID);
  ADD_CASE ("tuple variant", variant_bytes (g_variant_new ("(sut)", "org.gnome.Ladle.ResumeData", 1, 1000)), INVALID);
  ADD_CASE ("string array", variant_bytes (g_variant_new_strv ((const char *[]){ "format", "version", "url" }, 3)), INVALID);
  ADD_CASE ("a{ss}", variant_bytes (g_variant_new_parsed ("{'format': 'org.gnome.Ladle.ResumeData', 'version': '1'}")), INVALID);
  ADD_CASE ("empty a{sv}", variant_bytes (g_variant_new_parsed ("@a{sv} {}")), INVALID);
  ADD_CASE ("no format", resume_data_with (valid, "format", NULL), INVALID);
  ADD_CASE ("foreign format", resume_data_with (valid, "format", g_variant_new_string ("com.example.Resume")), INVALID);
  ADD_CASE ("format of wrong type", resume_data_with (valid, "format", g_variant_new_uint32 (1)), INVALID);
  ADD_CASE ("no version", resume_data_with (valid, "version", NULL), INVALID);
  ADD_CASE ("version 0", resume_data_with (valid, "version", g_variant_new_uint32 (0)), INVALID);
  ADD_CASE ("version as string", resume_data_with (valid, "version", g_variant_new_string ("1")), INVALID);
  ADD_CASE ("version 2", resume_data_with (valid, "version", g_variant_new_uint32 (2)), LADLE_ERROR_RESUME_DATA_VERSION);
  ADD_CASE ("version 4000000000", resume_data_with (valid, "version", g_variant_new_uint32 (4000000000u)), LADLE_ERROR_RESUME_DATA_VERSION);
  ADD_CASE ("no url", resume_data_with (valid, "url", NULL), INVALID);
  ADD_CASE ("file url", resume_data_with (valid, "url", g_variant_new_string ("file:///etc/passwd")), INVALID);
  ADD_CASE ("ftp url", resume_data_with (valid, "url", g_variant_new_string ("ftp://127.0.0.1/file")), INVALID);
  ADD_CASE ("javascript url", resume_data_with (valid, "url", g_variant_new_string ("javascript:alert(1)")), INVALID);
  ADD_CASE ("url without host", resume_data_with (valid, "url", g_variant_new_string ("http:///path")), INVALID);
  ADD_CASE ("relative url", resume_data_with (valid, "url", g_variant_new_string ("/resource/5000")), INVALID);
  ADD_CASE ("url with newline", resume_data_with (valid, "url", g_variant_new_string ("http://127.0.0.1/a\r\nX: y")), INVALID);
  ADD_CASE ("no method", resume_data_with (valid, "method", NULL), INVALID);
  ADD_CASE ("method with space", resume_data_with (valid, "method", g_variant_new_string ("GET /x")), INVALID);
  ADD_CASE ("header with newline",
            resume_data_with (valid, "headers", g_variant_new_parsed ("[('X-A', 'b\\r\\nX-Injected: 1')]")), INVALID);
  ADD_CASE ("header name with colon",
            resume_data_with (valid, "headers", g_variant_new_parsed ("[('X-A: b', 'c')]")), INVALID);
  ADD_CASE ("no partial-file", resume_data_with (valid, "partial-file", NULL), INVALID);
  ADD_CASE ("partial-file empty", resume_data_with (valid, "partial-file", g_variant_new_string ("")), INVALID);
  ADD_CASE ("partial-file ..", resume_data_with (valid, "partial-file", g_variant_new_string ("..")), INVALID);
  ADD_CASE ("partial-file ../outside.part",
            resume_data_with (valid, "partial-file", g_variant_new_string ("../outside.part")), INVALID);
  ADD_CASE ("partial-file absolute",
            resume_data_with (valid, "partial-file", g_variant_new_string (outside_path)), INVALID);
  ADD_CASE ("partial-file sub/x", resume_data_with (valid, "partial-file", g_variant_new_string ("sub/x.part")), INVALID);
  ADD_CASE ("partial-file backslash",
            resume_data_with (valid, "partial-file", g_variant_new_string ("..\\outside.part")), INVALID);
  ADD_CASE ("partial-file hidden", resume_data_with (valid, "partial-file", g_variant_new_string (".good.part")), INVALID);
  ADD_CASE ("no bytes-received", resume_data_with (valid, "bytes-received", NULL), INVALID);
  ADD_CASE ("bytes-received of wrong type", resume_data_with (valid, "bytes-received", g_variant_new_uint32 (1000)), INVALID);
  ADD_CASE ("bytes-received huge", resume_data_with (valid, "bytes-received", g_variant_new_uint64 (G_MAXUINT64)), INVALID);
  ADD_CASE ("no expected-total", resume_data_with (valid, "expected-total", NULL), INVALID);
  ADD_CASE ("expected-total below bytes-received",
            resume_data_with (valid, "expected-total", g_variant_new_int64 (999)), INVALID);
  ADD_CASE ("expected-total -2", resume_data_with (valid, "expected-total", g_variant_new_int64 (-2)), INVALID);
  {
    g_autoptr(GBytes) no_etag = resume_data_with (valid, "etag", NULL);

    ADD_CASE ("no validator", g_bytes_ref (no_etag), INVALID);
    ADD_CASE ("empty last-modified", resume_data_with (no_etag, "last-modified", g_variant_new_string ("")), INVALID);
  }
  ADD_CASE ("etag with newline", resume_data_with (valid, "etag", g_variant_new_string ("\"a\"\r\nX: y")), INVALID);
  ADD_CASE ("empty etag", resume_data_with (valid, "etag", g_variant_new_string ("")), INVALID);
  {
    /* big-endian encoding of otherwise valid data */
    g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, valid, FALSE));
    g_autoptr(GVariant) swapped = g_variant_byteswap (variant);

    /* its version reads as 0x01000000: either code is fine */
    ADD_CASE ("byte-swapped", g_variant_get_data_as_bytes (swapped), -1);
  }
  ADD_CASE ("truncated to half", g_bytes_new_from_bytes (valid, 0, valid_size / 2), INVALID);
  ADD_CASE ("partial file missing", resume_data_with (valid, "partial-file", g_variant_new_string ("missing.part")),
            LADLE_ERROR_PARTIAL_FILE);
  ADD_CASE ("partial file of another size", resume_data_with (valid, "partial-file", g_variant_new_string ("other.part")),
            LADLE_ERROR_PARTIAL_FILE);
  /* (A partial file longer than recorded is cut back when the task starts: not an error.) */
  ADD_CASE ("partial file shorter than recorded", resume_data_with (valid, "bytes-received", g_variant_new_uint64 (1001)),
            LADLE_ERROR_PARTIAL_FILE);
  ADD_CASE ("partial file is a symlink", resume_data_with (valid, "partial-file", g_variant_new_string ("link.part")),
            LADLE_ERROR_PARTIAL_FILE);
  ADD_CASE ("partial file is a directory", resume_data_with (valid, "partial-file", g_variant_new_string ("dir.part")),
            LADLE_ERROR_PARTIAL_FILE);

  rand = g_rand_new_with_seed (20240601);
  for (guint i = 0; i < 20; i++)
    {
      gsize size = g_rand_int_range (rand, 1, 600);
      guint8 *random = g_malloc (size);

      for (gsize j = 0; j < size; j++)
        random[j] = g_rand_int_range (rand, 0, 256);
      ADD_CASE ("random bytes", g_bytes_new_take (random, size), INVALID);
    }
  g_rand_free (rand);

  for (guint i = 0; i < cases->len; i++)
    {
      BadCase *bad = &g_array_index (cases, BadCase, i);

      assert_bad (fixture->session, bad->data, bad->code, bad->name);
    }

  /* every prefix of valid data is rejected */
  for (gsize length = 0; length < valid_size; length++)
    {
      g_autoptr(GBytes) prefix = g_bytes_new (valid_data, length);
      g_autoptr(GError) error = NULL;
      g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_from_resume_data (fixture->session, prefix, &error);

      g_assert_null (task);
      g_assert_true (error != NULL && error->domain == LADLE_ERROR);
    }

  /* the valid data itself loads: the cases above failed for their one defect */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_from_resume_data (fixture->session, valid, &error);
    g_autoptr(LadleTestRecorder) recorder = NULL;

    g_assert_no_error (error);
    g_assert_nonnull (task);
    recorder = ladle_test_recorder_new (task);
    ladle_test_recorder_pause (recorder);
    ladle_test_recorder_wait (recorder);
  }

  /* nothing was created, removed or changed */
  ladle_test_assert_listing (fixture->downloads_dir, listing_before);
  sha = ladle_test_checksum_file (partial_path);
  g_assert_cmpstr (sha, ==, sha_partial);
  g_clear_pointer (&sha, g_free);
  sha = ladle_test_checksum_file (other_path);
  g_assert_cmpstr (sha, ==, sha_other);
  g_clear_pointer (&sha, g_free);
  sha = ladle_test_checksum_file (outside_path);
  g_assert_cmpstr (sha, ==, sha_outside);
  g_clear_pointer (&sha, g_free);
  sha = ladle_test_checksum_file (state_file);
  g_assert_cmpstr (sha, ==, sha_state);
  g_assert_true (g_file_test (link_path, G_FILE_TEST_IS_SYMLINK));
  g_assert_cmpuint (ladle_test_server_get_requests (fixture->server)->len, ==, 0);

#undef ADD_CASE
#undef INVALID
}


/* Every single-byte corruption of valid resume data either loads or fails cleanly, never
 * crashes, and never costs the partial file. */
static void
test_bad_resume_data_corruptions (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autofree char *url = ladle_test_server_dup_uri (fixture->server, "/resource/5000");
  g_autofree char *partial_path = g_build_filename (fixture->downloads_dir, "good.part", NULL);
  g_autoptr(GBytes) partial = ladle_test_variant_content_new (1, 1000);
  ResumeFields fields = {
    .url = url, .partial = "good.part", .bytes_received = 1000, .expected_total = 5000,
    .etag = "\"v1-5000\"",
  };
  g_autoptr(GBytes) valid = ladle_test_resume_data_build (&fields);
  gsize valid_size = g_bytes_get_size (valid);
  const guint8 *valid_data = g_bytes_get_data (valid, NULL);

  g_assert_cmpint (g_mkdir_with_parents (fixture->downloads_dir, 0700), ==, 0);
  write_file (partial_path, partial);

  for (gsize offset = 0; offset < valid_size; offset++)
    {
      guint8 *copy = g_memdup2 (valid_data, valid_size);
      g_autoptr(GBytes) corrupt = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(LadleDownloadTask) task = NULL;

      copy[offset] ^= 0x5a;
      corrupt = g_bytes_new_take (copy, valid_size);
      task = ladle_session_create_download_task_from_resume_data (fixture->session, corrupt, &error);
      if (task == NULL)
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == LADLE_ERROR);
          g_assert_true (error->code == LADLE_ERROR_INVALID_RESUME_DATA ||
                         error->code == LADLE_ERROR_RESUME_DATA_VERSION ||
                         error->code == LADLE_ERROR_PARTIAL_FILE);
        }
      else
        {
          g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
          g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, corrupt, FALSE));
          g_autofree char *text = g_variant_print (variant, TRUE);

          /* loaded: pausing it must keep the partial file and give resume data back */
          g_test_message ("corruption at %" G_GSIZE_FORMAT " loads: %s", offset, text);
          g_assert_no_error (error);
          ladle_test_recorder_pause (recorder);
          ladle_test_recorder_wait (recorder);
          g_assert_true (g_file_test (partial_path, G_FILE_TEST_IS_REGULAR));
          g_assert_nonnull (recorder->resume_data);
        }
    }

  ladle_test_assert_listing (fixture->downloads_dir, "good.part");
  g_assert_cmpuint (ladle_test_server_get_requests (fixture->server)->len, ==, 0);
}

/* An ETag that is not strong cannot validate a range (RFC 9110 13.1.5): resume data whose only
 * validator is such an ETag would resume without If-Range and splice two versions. */
static void
test_bad_resume_data_weak_validator (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autofree char *url = ladle_test_server_dup_uri (fixture->server, "/resource/5000");
  g_autofree char *partial_path = g_build_filename (fixture->downloads_dir, "good.part", NULL);
  g_autoptr(GBytes) partial = ladle_test_variant_content_new (1, 1000);
  const char *etags[] = { "W/\"v1-5000\"", "v1-5000", "xv1-5000\"" };

  g_assert_cmpint (g_mkdir_with_parents (fixture->downloads_dir, 0700), ==, 0);
  write_file (partial_path, partial);

  for (guint i = 0; i < G_N_ELEMENTS (etags); i++)
    {
      ResumeFields fields = {
        .url = url, .partial = "good.part", .bytes_received = 1000, .expected_total = 5000,
        .etag = etags[i],
      };
      g_autoptr(GBytes) resume_data = ladle_test_resume_data_build (&fields);

      assert_bad (fixture->session, resume_data, LADLE_ERROR_INVALID_RESUME_DATA, etags[i]);
      g_assert_true (g_file_test (partial_path, G_FILE_TEST_IS_REGULAR));
    }
}

/* Tests: file names */

static void
assert_safe_name (const char *name)
{
  g_assert_nonnull (name);
  g_assert_cmpstr (name, !=, "");
  g_assert_cmpstr (name, !=, "..");
  g_assert_cmpstr (name, !=, ".");
  g_assert_cmpint (name[0], !=, '.');
  g_assert_null (strchr (name, '/'));
  g_assert_null (strchr (name, '\\'));
  g_assert_true (g_utf8_validate (name, -1, NULL));
  for (const char *p = name; *p; p = g_utf8_next_char (p))
    g_assert_false (g_unichar_iscntrl (g_utf8_get_char (p)));
  g_assert_cmpuint (strlen (name), <=, 255);
}

static void
test_sanitize_filename (void)
{
  static const struct {
    const char *input;
    const char *expected;
  } cases[] = {
    { "report.pdf", "report.pdf" },
    { "../../evil.txt", "evil.txt" },
    { "..\\..\\evil.txt", "evil.txt" },
    { "C:\\Windows\\system32\\cmd.exe", "cmd.exe" },
    { "/etc/passwd", "passwd" },
    { ".bashrc", "bashrc" },
    { "...hidden", "hidden" },
    { "a\r\nb\x01\x1f\x7f.txt", "ab.txt" },
    { "\xe2\x82\xac rates.txt", "\xe2\x82\xac rates.txt" },
    { "", NULL },
    { ".", NULL },
    { "..", NULL },
    { "...", NULL },
    { "/", NULL },
    { "dir/", NULL },
    { "\\", NULL },
    { "   ", NULL },
    { "\x01\x02\x03", NULL },
    { ". .", NULL },
    { "\xff\xfe.txt", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = ladle_sanitize_filename (cases[i].input);

      {
        /* Inputs may be invalid UTF-8: escape them, TAP output must stay text. */
        g_autofree char *input = g_strescape (cases[i].input, NULL);
        g_autofree char *output = g_strescape (name, NULL);

        g_test_message ("sanitize %u: “%s” -> “%s”", i, input, output);
      }
      assert_safe_name (name);
      if (cases[i].expected != NULL)
        g_assert_cmpstr (name, ==, cases[i].expected);
    }

  /* long names are cut, on a character boundary */
  {
    g_autoptr(GString) longer = g_string_new (NULL);
    g_autofree char *name = NULL;

    for (guint i = 0; i < 300; i++)
      g_string_append (longer, "\xc3\xa9");
    name = ladle_sanitize_filename (longer->str);
    assert_safe_name (name);
    g_assert_cmpuint (strlen (name), >, 0);
  }
}

static void
check_suggested (Fixture    *fixture,
                 const char *path_and_query,
                 const char *expected)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, path_and_query);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *suggested = NULL;
  g_autofree char *property = NULL;

  recorder = run_task (task);
  g_assert_no_error (recorder->error);
  suggested = ladle_download_task_dup_suggested_filename (task);
  g_object_get (task, "suggested-filename", &property, NULL);
  g_test_message ("%s -> “%s”", path_and_query, suggested);
  g_assert_cmpstr (suggested, ==, property);
  assert_safe_name (suggested);
  if (expected != NULL)
    g_assert_cmpstr (suggested, ==, expected);

  /* a name is only a suggestion: nothing is written under it */
  ladle_test_assert_listing (fixture->downloads_dir, "");
  ladle_test_assert_listing (fixture->state_dir, "downloads");
}

static void
test_suggested_filename (Fixture       *fixture,
                         gconstpointer  data)
{
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%3D%22report.pdf%22", "report.pdf");
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%3D%22..%2F..%2Fevil.txt%22", "evil.txt");
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%3D%22..%5C%5C..%5C%5Cevil.txt%22", "evil.txt");
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%3D%22.bashrc%22", "bashrc");
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%3D%22%2Fetc%2Fpasswd%22", "passwd");
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%3D%22..%22", NULL);
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%3D%22%20%20%20%22", NULL);
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%2A%3DUTF-8%27%27%2501evil%250Aname%257F.txt",
                   "evilname.txt");
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%2A%3DUTF-8%27%27%25E2%2582%25AC%2520rates.txt",
                   "\xe2\x82\xac rates.txt");
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%2A%3DUTF-8%27%27..%252F..%252Fx.sh", "x.sh");
  check_suggested (fixture, "/resource/100?cd=attachment%3B%20filename%2A%3DUTF-8%27%27%252E%252E", NULL);
  /* from the URL */
  check_suggested (fixture, "/resource/100", "100");
  check_suggested (fixture, "/named/report%20final.pdf", "report final.pdf");
  check_suggested (fixture, "/named/..%2F..%2Fsecret", "secret");
  check_suggested (fixture, "/named/%2E%2Ebashrc", "bashrc");
  check_suggested (fixture, "/named/a%5Cb%5Cc.txt", "c.txt");
  check_suggested (fixture, "/named/%0D%0Abad%01.txt", "bad.txt");
  check_suggested (fixture, "/named/", NULL);
  check_suggested (fixture, "/named/..", NULL);
}

/* Tests: more ends of a download */

static void
test_download_empty_body (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/0");
  g_autofree char *destination_path = fixture_path (fixture, "empty.bin");
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  LadleTestProgress *last;

  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_NONE);
  recorder = run_task (task);

  /* an empty body is a complete download: one final progress event reports 0 of 0 */
  recorder_assert_events (recorder, "RPFWCT");
  g_assert_no_error (recorder->error);
  last = &g_array_index (recorder->progress, LadleTestProgress, recorder->progress->len - 1);
  g_assert_cmpint (last->total_received, ==, 0);
  g_assert_cmpint (last->total_expected, ==, 0);
  g_assert_cmpint (ladle_test_file_size (destination_path), ==, 0);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

static void
test_download_destination_is_directory (Fixture       *fixture,
                                        gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/10000");
  g_autofree char *directory = fixture_path (fixture, "a-directory");
  g_autofree char *inside = fixture_path (fixture, "a-directory/keep.txt");
  g_autoptr(GFile) destination = g_file_new_for_path (directory);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *contents = NULL;

  g_assert_cmpint (g_mkdir (directory, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inside, "keep", -1, NULL));
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_task (task);

  /* a failed move is the task's error; the directory is left alone, nothing is left behind */
  recorder_assert_events (recorder, "RPFWCT");
  g_assert_nonnull (recorder->error);
  g_assert_true (recorder->error->domain == G_IO_ERROR);
  g_assert_true (g_file_test (directory, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_get_contents (inside, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep");
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

static void
test_download_state_directory_unusable (Fixture       *fixture,
                                        gconstpointer  data)
{
  g_autofree char *file = fixture_path (fixture, "not-a-directory");
  g_autofree char *state_dir = g_build_filename (file, "state", NULL);
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;

  /* the partial file cannot be created: the task fails cleanly */
  g_assert_true (g_file_set_contents (file, "x", -1, NULL));
  session = session_new (state_dir, 0);
  task = create_download (fixture, session, "/resource/10000");
  recorder = run_task (task);

  recorder_assert_events (recorder, "RCT");
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
  g_assert_null (ladle_download_task_dup_resume_data (task));
  ladle_session_invalidate_and_cancel (session);
}

static void
test_download_suspend_resume (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/3000000");
  g_autofree char *destination_path = fixture_path (fixture, "suspended.bin");
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 3000000);
  g_autofree char *actual = NULL;
  gint64 received;
  guint n_events;

  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_NONE);
  ladle_task_resume (LADLE_TASK (task));
  wait_for_at_least (task, 1);
  ladle_task_suspend (LADLE_TASK (task));
  received = ladle_task_get_bytes_received (LADLE_TASK (task));
  n_events = recorder->events->len;

  /* suspended: no signal, no byte, however long the main loop runs */
  for (guint i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (recorder->events->len, ==, n_events);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, received);

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);
  recorder_assert_events (recorder, "RPFWCT");
  g_assert_no_error (recorder->error);
  recorder_assert_progress (recorder, 0, 3000000, 3000000);
  actual = ladle_test_checksum_file (destination_path);
  g_assert_cmpstr (actual, ==, expected);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

static void
test_download_parallel (Fixture       *fixture,
                        gconstpointer  data)
{
  LadleDownloadTask *tasks[6];
  LadleTestRecorder *recorders[6];

  /* more downloads than connections per host: each gets its own partial file */
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      g_autofree char *path = g_strdup_printf ("/resource/%u", 400000 + i * 1000);
      g_autofree char *name = g_strdup_printf ("parallel-%u.bin", i);
      g_autofree char *destination_path = fixture_path (fixture, name);
      g_autoptr(GFile) destination = g_file_new_for_path (destination_path);

      tasks[i] = create_download (fixture, fixture->session, path);
      ladle_download_task_set_destination (tasks[i], destination, LADLE_DESTINATION_FLAGS_NONE);
      recorders[i] = ladle_test_recorder_new (tasks[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    ladle_task_resume (LADLE_TASK (tasks[i]));
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      g_autofree char *name = g_strdup_printf ("parallel-%u.bin", i);
      g_autofree char *destination_path = fixture_path (fixture, name);
      g_autofree char *expected = ladle_test_variant_content_checksum (1, 400000 + i * 1000);
      g_autofree char *actual = NULL;

      ladle_test_recorder_wait (recorders[i]);
      recorder_assert_events (recorders[i], "RPFWCT");
      g_assert_no_error (recorders[i]->error);
      actual = ladle_test_checksum_file (destination_path);
      g_assert_cmpstr (actual, ==, expected);
      ladle_test_recorder_free (recorders[i]);
      g_object_unref (tasks[i]);
    }
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

/* Tests: a data task becomes a download */

typedef struct
{
  GString           *events;
  LadleDownloadTask *download;
  LadleTestRecorder          *download_recorder;
  GFile             *destination;
  gboolean           done;
} BecomeData;

static LadleResponseDisposition
become_response_cb (LadleTask   *task,
                    SoupMessage *message,
                    BecomeData  *data)
{
  g_string_append_c (data->events, 'R');
  return LADLE_RESPONSE_DISPOSITION_BECOME_DOWNLOAD;
}

static void
become_became_cb (LadleDataTask     *task,
                  LadleDownloadTask *download,
                  BecomeData        *data)
{
  g_string_append_c (data->events, 'B');
  g_assert_true (LADLE_IS_DOWNLOAD_TASK (download));
  g_assert_null (data->download);
  data->download = g_object_ref (download);
  data->download_recorder = ladle_test_recorder_new (download);
  ladle_download_task_set_destination (download, data->destination, LADLE_DESTINATION_FLAGS_NONE);
}

static void
become_data_received_cb (LadleDataTask *task,
                         GBytes        *chunk,
                         BecomeData    *data)
{
  g_string_append_c (data->events, 'D');
}

static void
become_completed_cb (LadleTask    *task,
                     const GError *error,
                     BecomeData   *data)
{
  g_string_append_c (data->events, 'C');
  g_assert_no_error (error);
  data->done = TRUE;
}

static void
test_download_become_download (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/2500000");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (fixture->session, uri);
  g_autofree char *destination_path = fixture_path (fixture, "became.bin");
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 2500000);
  g_autofree char *actual = NULL;
  g_autoptr(GBytes) body = NULL;
  BecomeData data = { 0, };

  data.events = g_string_new (NULL);
  data.destination = g_file_new_for_path (destination_path);
  g_signal_connect (task, "response", G_CALLBACK (become_response_cb), &data);
  g_signal_connect (task, "became-download-task", G_CALLBACK (become_became_cb), &data);
  g_signal_connect (task, "data-received", G_CALLBACK (become_data_received_cb), &data);
  g_signal_connect (task, "completed", G_CALLBACK (become_completed_cb), &data);

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_for_flag (&data.done, 60, "the data task's completion");
  g_assert_nonnull (data.download_recorder);
  ladle_test_recorder_wait (data.download_recorder);

  /* the data task hands over and completes without error or body */
  g_assert_cmpstr (data.events->str, ==, "RBC");
  body = ladle_data_task_dup_body (task);
  g_assert_true (body == NULL || g_bytes_get_size (body) == 0);

  /* the download task gets the whole body */
  recorder_assert_events (data.download_recorder, "PFWCT");
  g_assert_no_error (data.download_recorder->error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (data.download)), ==, 200);
  recorder_assert_progress (data.download_recorder, 0, 2500000, 2500000);
  actual = ladle_test_checksum_file (destination_path);
  g_assert_cmpstr (actual, ==, expected);
  ladle_test_assert_listing (fixture->downloads_dir, "");
  g_assert_cmpuint (ladle_test_server_get_requests (fixture->server)->len, ==, 1);

  ladle_test_recorder_free (data.download_recorder);
  g_clear_object (&data.download);
  g_clear_object (&data.destination);
  g_string_free (data.events, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD_CASE(path, func, data) \
  g_test_add ("/Ladle/Download/" path, Fixture, data, fixture_setup, func, fixture_teardown)
#define ADD(path, func) ADD_CASE (path, func, NULL)

  ADD ("to-destination", test_download_to_destination);
  ADD ("without-destination", test_download_without_destination);
  ADD_CASE ("handler-moves-file", test_download_finished_handler, &handler_moves_file);
  ADD_CASE ("destination-set-in-finished", test_download_finished_handler, &destination_set_in_finished);
  ADD ("destination-exists", test_download_destination_exists);
  ADD ("destination-replace", test_download_destination_replace);
  ADD ("create-parents", test_download_create_parents);
  ADD ("chunked", test_download_chunked);
  ADD ("http-error", test_download_http_error);
  ADD ("become-download", test_download_become_download);
  ADD ("empty-body", test_download_empty_body);
  ADD ("destination-is-directory", test_download_destination_is_directory);
  ADD ("state-directory-unusable", test_download_state_directory_unusable);
  ADD ("suspend-resume", test_download_suspend_resume);
  ADD ("parallel", test_download_parallel);
  ADD ("resume/range", test_resume_range);
  ADD_CASE ("resume/last-modified", test_resume_case, &resume_last_modified);
  ADD_CASE ("resume/weak-etag-uses-date", test_resume_case, &resume_weak_etag_uses_date);
  ADD_CASE ("resume/changed-resource", test_resume_case, &resume_changed_resource);
  ADD_CASE ("resume/server-ignores-range", test_resume_case, &resume_server_ignores_range);
  ADD ("resume/from-progress-handler", test_resume_from_progress_handler);
  ADD ("resume/twice", test_resume_twice);
  ADD ("resume/after-suspend", test_resume_after_suspend);
  ADD ("resume/truncated-again", test_resume_truncated_again);
  ADD ("resume/discard-by-cancel", test_resume_discard_by_cancel);
  ADD ("resume/after-redirect", test_resume_after_redirect);
  ADD ("resume/became-download", test_resume_became_download);
  ADD ("resume/twice-concurrently", test_resume_twice_concurrently);
  ADD ("not-resumable/error-status", test_error_status_not_resumable);
  ADD ("pause-twice", test_pause_twice);
  ADD ("resume/progress-deltas", test_resume_progress_deltas);
  ADD_CASE ("resume/etag-mismatch-206", test_resume_fails_case, &resume_etag_mismatch_206);
  ADD_CASE ("resume/wrong-content-range", test_resume_fails_case, &resume_wrong_content_range);
  ADD_CASE ("resume/other-status", test_resume_fails_case, &resume_other_status);
  ADD_CASE ("resume/416-incomplete", test_resume_fails_case, &resume_416_incomplete);
  ADD ("resume/416-complete", test_resume_416_complete);
  ADD ("resume/partial-changed-before-start", test_resume_partial_changed_before_start);
  ADD ("resume/no-secrets", test_resume_data_without_secrets);
  ADD_CASE ("not-resumable/no-validator", test_not_resumable_case, not_resumable_no_validator);
  ADD_CASE ("not-resumable/weak-etag-only", test_not_resumable_case, not_resumable_weak_etag_only);
  ADD_CASE ("not-resumable/ranges-none", test_not_resumable_case, not_resumable_ranges_none);
  ADD ("not-resumable/before-body", test_not_resumable_before_body);
  ADD ("cancel-discards", test_plain_cancel_discards);
  ADD ("dropped-connection", test_dropped_connection);
  ADD ("timeout-keeps-resume-data", test_timeout_keeps_resume_data);
  ADD ("bad-resume-data/cases", test_bad_resume_data);
  ADD ("bad-resume-data/corruptions", test_bad_resume_data_corruptions);
  ADD ("bad-resume-data/weak-validator", test_bad_resume_data_weak_validator);
  ADD ("suggested-filename", test_suggested_filename);
  g_test_add_func ("/Ladle/Download/sanitize-filename", test_sanitize_filename);

#undef ADD
#undef ADD_CASE

  return g_test_run ();
}
