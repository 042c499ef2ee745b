/* test-splice.c: download bodies spliced from the socket to the partial file
 * (lib/ladle-splice-body.c), and the same cases read by libsoup.
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The suite runs twice (tests/downloads/meson.build): as it is, where every eligible body is
 * spliced, and with LADLE_DEBUG=no-splice-body, where libsoup reads every body. Each case checks
 * what a user sees (the bytes on disk, the error, the resume data, the connection the next
 * request takes) and which path ran: the engine's debug line for a splice is counted.
 */

#include <string.h>
#include <glib/gstdio.h>
#include <ladle.h>

#include "ladle-test.h"

#define BODY_SIZE (4 * 1000 * 1000)

/* The engine's debug lines that say a body is being spliced */

static guint n_splice_lines;

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }

  if (log_level == G_LOG_LEVEL_DEBUG && g_strcmp0 (domain, "Ladle") == 0)
    {
      if (message != NULL && strstr (message, "from the socket to the partial file") != NULL)
        g_atomic_int_inc (&n_splice_lines);
      return G_LOG_WRITER_HANDLED;
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static gboolean
splice_enabled (void)
{
  const char *flags = g_getenv ("LADLE_DEBUG");

  return flags == NULL || (strstr (flags, "no-splice-body") == NULL && strstr (flags, "all") == NULL);
}

/* The path @n_bodies bodies took since the last call: spliced, or read by libsoup. */
static void
assert_spliced (guint n_bodies)
{
  guint n = g_atomic_int_exchange (&n_splice_lines, 0);

  if (splice_enabled ())
    g_assert_cmpuint (n, >=, n_bodies);
  else
    g_assert_cmpuint (n, ==, 0);
}

/* Fixture: a session with its own state directory */

typedef struct
{
  char            *dir;
  char            *state_dir;
  LadleTestServer *server;
  LadleSession    *session;
} Fixture;

static LadleSession *
session_new (const char *state_dir,
             guint       low_speed_time)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();

  ladle_session_configuration_set_state_directory (configuration, state_dir);
  if (low_speed_time > 0)
    {
      ladle_session_configuration_set_low_speed_limit (configuration, 1000);
      ladle_session_configuration_set_low_speed_time (configuration, low_speed_time);
    }

  return ladle_session_new (configuration);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ladle-splice-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->state_dir = g_build_filename (fixture->dir, "state", NULL);
  fixture->server = ladle_test_server_new ();
  fixture->session = session_new (fixture->state_dir, 0);
  g_atomic_int_set (&n_splice_lines, 0);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  ladle_session_invalidate_and_cancel (fixture->session);
  ladle_test_drain (100);
  g_clear_object (&fixture->session);
  g_clear_pointer (&fixture->server, ladle_test_server_free);
  ladle_test_remove_tree (fixture->dir);
  g_free (fixture->state_dir);
  g_free (fixture->dir);
}

static char *
fixture_path (Fixture    *fixture,
              const char *name)
{
  return g_build_filename (fixture->dir, name, NULL);
}

/* The partial files of the session's downloads. */
static char *
downloads_dir (Fixture *fixture)
{
  return g_build_filename (fixture->state_dir, "downloads", NULL);
}

static LadleDownloadTask *
create_download (Fixture      *fixture,
                 LadleSession *session,
                 const char   *uri,
                 const char   *name)
{
  g_autofree char *path = fixture_path (fixture, name);
  g_autoptr(GFile) destination = g_file_new_for_path (path);
  LadleDownloadTask *task = ladle_session_create_download_task_for_uri (session, uri);

  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  return task;
}

static LadleTestRecorder *
run_download (LadleDownloadTask *task)
{
  LadleTestRecorder *recorder = ladle_test_recorder_new (task);

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);
  return recorder;
}

static guint64
resume_data_bytes (GBytes *resume_data)
{
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GVariantDict) dict = NULL;
  guint64 bytes = 0;

  g_assert_nonnull (resume_data);
  variant = g_variant_new_from_bytes (G_VARIANT_TYPE ("a{sv}"), resume_data, FALSE);
  g_variant_ref_sink (variant);
  dict = g_variant_dict_new (variant);
  g_assert_true (g_variant_dict_lookup (dict, "bytes-received", "t", &bytes));

  return bytes;
}

/* Download progress: totals that never go back, each the last plus what it adds, within the
 * expected total; the last one is @final_total. */
static void
assert_progress (LadleTestRecorder *recorder,
                 gint64             expected_total,
                 gint64             final_total)
{
  gint64 last = -1;

  g_assert_cmpuint (recorder->progress->len, >, 0);
  for (guint i = 0; i < recorder->progress->len; i++)
    {
      LadleTestProgress *p = &g_array_index (recorder->progress, LadleTestProgress, i);

      g_assert_cmpint (p->received_now, >=, 0);
      if (last >= 0)
        g_assert_cmpint (p->total_received, ==, last + p->received_now);
      g_assert_cmpint (p->total_expected, ==, expected_total);
      g_assert_cmpint (p->total_received, <=, expected_total);
      last = p->total_received;
    }
  g_assert_cmpint (last, ==, final_total);
}

static void
assert_file (const char *path,
             const char *expected_sha)
{
  g_autofree char *sha = ladle_test_checksum_file (path);

  g_assert_cmpstr (sha, ==, expected_sha);
}

/* Resumes @resume_data to the end: the request asks for the rest with Range, and the file is
 * the whole resource. */
static void
resume_to_the_end (Fixture    *fixture,
                   GBytes     *resume_data,
                   guint64     offset,
                   gsize       size,
                   const char *expected_sha)
{
  g_autofree char *path = fixture_path (fixture, "resumed.bin");
  g_autoptr(GFile) destination = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", offset);
  g_autofree char *partials = downloads_dir (fixture);

  ladle_test_server_clear_log (fixture->server);
  task = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
  g_assert_no_error (error);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  recorder = run_download (task);

  g_assert_no_error (recorder->error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 206);
  g_assert_cmpint (recorder->resumed_offset, ==, (gint64) offset);
  g_assert_cmpstr (ladle_test_server_get_last_request (fixture->server)->range, ==, range);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, (gint64) size);
  assert_progress (recorder, size, size);
  assert_file (path, expected_sha);
  ladle_test_assert_listing (partials, "");
}

/* The whole body: the file, the counts, the progress and the metrics are the same either way. */
static void
test_complete (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/4000000");
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, uri, "complete.bin");
  g_autoptr(LadleTestRecorder) recorder = run_download (task);
  g_autofree char *path = fixture_path (fixture, "complete.bin");
  g_autofree char *expected = ladle_test_variant_content_checksum (1, BODY_SIZE);
  g_autoptr(LadleTaskMetrics) metrics = NULL;
  LadleTransactionMetrics *transaction;

  g_autoptr(LadleDownloadTask) again = NULL;
  g_autoptr(LadleTestRecorder) again_recorder = NULL;
  g_autoptr(LadleTaskMetrics) again_metrics = NULL;

  g_assert_no_error (recorder->error);
  ladle_test_recorder_assert_events (recorder, "RP+FWCT");
  assert_file (path, expected);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, BODY_SIZE);
  g_assert_cmpint (ladle_task_get_bytes_expected_to_receive (LADLE_TASK (task)), ==, BODY_SIZE);
  /* the final progress reports the whole body */
  assert_progress (recorder, BODY_SIZE, BODY_SIZE);

  metrics = ladle_task_dup_metrics (LADLE_TASK (task));
  transaction = ladle_task_metrics_get_transaction (metrics, 0);
  g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_received (transaction), ==, BODY_SIZE);
  g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_after_decoding (transaction), ==, BODY_SIZE);
  g_assert_cmpint (ladle_transaction_metrics_get_response_end (transaction), >=,
                   ladle_transaction_metrics_get_response_start (transaction));
  g_assert_cmpint (ladle_transaction_metrics_get_response_start (transaction), >, 0);
  assert_spliced (1);

  /* libsoup keeps a connection only when it read the body to its end itself: after a spliced
   * body, the next download goes on a fresh connection. */
  again = create_download (fixture, fixture->session, uri, "again.bin");
  again_recorder = run_download (again);
  g_assert_no_error (again_recorder->error);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (again)), ==, BODY_SIZE);
  g_free (path);
  path = fixture_path (fixture, "again.bin");
  assert_file (path, expected);
  again_metrics = ladle_task_dup_metrics (LADLE_TASK (again));
  g_assert_cmpint (ladle_transaction_metrics_get_reused_connection (ladle_task_metrics_get_transaction (again_metrics, 0)),
                   ==, !splice_enabled ());
  assert_spliced (1);
}

/* A raw response: @head, then @body_length bytes of the content, then @after. */
static GBytes *
raw_response (gsize       content_length,
              gsize       body_length,
              const char *after)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "ETag: \"raw\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                                           content_length);
  GByteArray *response = g_byte_array_new ();

  g_byte_array_append (response, (const guint8 *) head, strlen (head));
  ladle_test_byte_array_append_content (response, 0, body_length);
  if (after != NULL)
    g_byte_array_append (response, (const guint8 *) after, strlen (after));

  return g_byte_array_free_to_bytes (response);
}

/* The server closes the connection before Content-Length bytes: the same error, and resume data
 * with every byte that arrived, either way. */
static void
test_short_body (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GBytes) response = raw_response (BODY_SIZE, 1500000, NULL);
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_CLOSE);
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/short");
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, uri, "short.bin");
  g_autoptr(LadleTestRecorder) recorder = run_download (task);
  g_autoptr(GBytes) resume_data = ladle_download_task_dup_resume_data (task);
  g_autofree char *path = fixture_path (fixture, "short.bin");

  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY);
  g_assert_cmpstr (recorder->error->message, ==,
                   "The connection closed after 1500000 bytes of the response body: Connection terminated unexpectedly");
  ladle_test_recorder_assert_events (recorder, "RP+CT");
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, 1500000);
  g_assert_cmpuint (resume_data_bytes (resume_data), ==, 1500000);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  assert_spliced (1);
}

/* A keep-alive server sends the body, then the bytes of another response on the same
 * connection. They never reach the file, and the next request goes on a fresh connection: a
 * spliced body leaves libsoup unaware of its end, so libsoup drops the connection; when libsoup
 * read the body, it finds the idle connection readable and drops it too. */
static void
test_keep_alive_next_response (Fixture       *fixture,
                               gconstpointer  data)
{
  static const char next[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnext!";
  g_autoptr(GBytes) response = raw_response (BODY_SIZE, BODY_SIZE, next);
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new (response, LADLE_TEST_RAW_STALL);
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/keep-alive");
  g_autoptr(LadleDownloadTask) first = create_download (fixture, fixture->session, uri, "first.bin");
  g_autoptr(LadleTestRecorder) first_recorder = run_download (first);
  g_autoptr(LadleDownloadTask) second = NULL;
  g_autoptr(LadleTestRecorder) second_recorder = NULL;
  g_autofree char *first_path = fixture_path (fixture, "first.bin");
  g_autofree char *second_path = fixture_path (fixture, "second.bin");
  g_autofree char *expected = ladle_test_content_checksum (BODY_SIZE);

  g_assert_no_error (first_recorder->error);
  assert_file (first_path, expected);
  g_assert_cmpint (ladle_test_file_size (first_path), ==, BODY_SIZE);
  assert_spliced (1);

  second = create_download (fixture, fixture->session, uri, "second.bin");
  second_recorder = run_download (second);
  g_assert_no_error (second_recorder->error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (second)), ==, 200);
  g_assert_cmpuint (ladle_test_raw_server_get_n_connections (raw), ==, 2);
  g_assert_cmpuint (ladle_test_raw_server_get_n_requests (raw), ==, 2);
  assert_file (second_path, expected);
  assert_spliced (1);
}

/* The byte count, not the progress signal: progress is rate-limited, and a body read by
 * libsoup reports no more once the server stalls. */
static gboolean
received_at_least (gpointer data)
{
  LadleTestRecorder *recorder = data;

  return ladle_task_get_bytes_received (recorder->task) >= 1000000;
}

/* Cancelled while the body arrives: it completes with G_IO_ERROR_CANCELLED, the partial file is
 * gone, and the session goes on. */
static void
test_cancel_mid_body (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/4000000?stall=2000000");
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, uri, "cancelled.bin");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autofree char *partials = downloads_dir (fixture);
  g_autofree char *path = fixture_path (fixture, "cancelled.bin");
  gint64 start;

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_until (received_at_least, recorder, 30, "a MB of the body");
  start = g_get_monotonic_time ();
  ladle_task_cancel (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* the worker wakes up at once: no timeout ran out */
  g_assert_cmpint (g_get_monotonic_time () - start, <, ladle_test_failsafe_seconds (5) * G_USEC_PER_SEC);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  ladle_test_assert_listing (partials, "");
  assert_spliced (1);
}

static gboolean
is_done (gpointer data)
{
  LadleTestRecorder *recorder = data;

  return recorder->done;
}

/* Suspended while the body arrives (the server goes on sending): the counts do not move while
 * it is suspended; resumed, it completes with every byte in order. */
static void
test_suspend_resume (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server,
                                                    "/slow?length=1&chunks=40&size=100000&interval=10");
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, uri, "suspended.bin");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autofree char *path = fixture_path (fixture, "suspended.bin");
  g_autofree char *expected = ladle_test_content_checksum (BODY_SIZE);
  gint64 at_suspend;

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_until (received_at_least, recorder, 30, "a MB of the body");
  ladle_task_suspend (LADLE_TASK (task));
  ladle_test_spin (100);
  at_suspend = ladle_task_get_bytes_received (LADLE_TASK (task));
  ladle_test_spin (300);
  g_assert_false (recorder->done);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, at_suspend);
  g_assert_cmpint (at_suspend, <, BODY_SIZE);

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_until (is_done, recorder, 60, "the resumed download completes");
  ladle_test_recorder_wait (recorder);
  g_assert_no_error (recorder->error);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, BODY_SIZE);
  assert_progress (recorder, BODY_SIZE, BODY_SIZE);
  assert_file (path, expected);
  assert_spliced (1);
}

/* The server stops sending: the low-speed watchdog fails the task, whose resume data keeps every
 * byte that arrived; resumed with Range, the rest (spliced too) completes the file. */
static void
test_low_speed_then_resume (Fixture       *fixture,
                            gconstpointer  data)
{
  /* scaled: under valgrind the body's first bytes can take longer than a second */
  g_autoptr(LadleSession) session = session_new (fixture->state_dir, ladle_test_failsafe_seconds (1));
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/4000000?stall=2500000");
  g_autoptr(LadleDownloadTask) task = create_download (fixture, session, uri, "slow.bin");
  g_autoptr(LadleTestRecorder) recorder = run_download (task);
  g_autoptr(GBytes) resume_data = ladle_download_task_dup_resume_data (task);
  g_autofree char *expected = ladle_test_variant_content_checksum (1, BODY_SIZE);

  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpuint (resume_data_bytes (resume_data), ==, 2500000);
  assert_spliced (1);

  resume_to_the_end (fixture, resume_data, 2500000, BODY_SIZE, expected);
  assert_spliced (1);
  ladle_session_invalidate_and_cancel (session);
}

/* cancel_producing_resume_data mid-body: the resume data records what the partial file holds
 * (checked before the resumed task starts), and resuming completes the file. */
static void
test_pause_then_resume (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server,
                                                    "/resource/4000000?stall=3000000");
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, uri, "paused.bin");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autofree char *expected = ladle_test_variant_content_checksum (1, BODY_SIZE);
  g_autofree char *partials = downloads_dir (fixture);
  g_autofree char *listing = NULL;
  g_autofree char *partial_path = NULL;
  guint64 bytes;

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_until (received_at_least, recorder, 30, "a MB of the body");
  ladle_test_recorder_pause (recorder);
  ladle_test_recorder_wait (recorder);
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (recorder->resume_error);

  bytes = resume_data_bytes (recorder->resume_data);
  g_assert_cmpuint (bytes, >=, 1000000);
  g_assert_cmpuint (bytes, <=, 3000000);
  listing = ladle_test_list_directory (partials);
  partial_path = g_build_filename (partials, g_strstrip (listing), NULL);
  g_assert_cmpint (ladle_test_file_size (partial_path), ==, (gint64) bytes);
  assert_spliced (1);

  resume_to_the_end (fixture, recorder->resume_data, bytes, BODY_SIZE, expected);
  assert_spliced (1);
}

static gboolean
two_requests (gpointer data)
{
  return ladle_test_server_get_n_requests (data) >= 2;
}

/* The network becomes metered while the body arrives (allow-metered off): the download stops,
 * keeps its partial file, and continues with Range once the network is unmetered again. */
static void
test_metered_pause (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(LadleTestMonitor) monitor = ladle_test_monitor_new (TRUE, FALSE);
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/4000000?stall=2000000");
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *path = fixture_path (fixture, "metered.bin");
  g_autofree char *expected = ladle_test_variant_content_checksum (1, BODY_SIZE);
  const char *range;
  gint64 start;

  ladle_session_configuration_set_state_directory (configuration, fixture->state_dir);
  ladle_session_configuration_set_allow_metered (configuration, FALSE);
  ladle_session_configuration_set_network_monitor (configuration, G_NETWORK_MONITOR (monitor));
  session = ladle_session_new (configuration);
  task = create_download (fixture, session, uri, "metered.bin");
  recorder = ladle_test_recorder_new (task);

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_until (received_at_least, recorder, 30, "a MB of the body");
  ladle_test_monitor_set_metered (monitor, TRUE);
  ladle_test_spin (300);
  g_assert_false (recorder->done);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 1);

  ladle_test_monitor_set_metered (monitor, FALSE);
  ladle_test_wait_until (two_requests, fixture->server, 30, "the request after the pause");
  ladle_test_recorder_wait (recorder);
  g_assert_no_error (recorder->error);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 2);
  range = ladle_test_server_get_request (fixture->server, 1)->range;
  g_assert_true (g_str_has_prefix (range, "bytes="));
  start = g_ascii_strtoll (range + strlen ("bytes="), NULL, 10);
  /* Spliced, every byte taken from the socket is on disk: all that the server sent before it
   * stalled. Read, the bytes libsoup had read but the worker not written are asked again. */
  if (splice_enabled ())
    g_assert_cmpint (start, ==, 2000000);
  else
    g_assert_true (start > 0 && start <= 2000000);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, BODY_SIZE);
  assert_file (path, expected);
  /* both the first response and the 206 after the pause */
  assert_spliced (2);
  ladle_session_invalidate_and_cancel (session);
}

/* The connection drops mid-body and the retry policy retries: the next attempt continues from
 * the partial file with Range. */
static void
test_retry_from_partial (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleRetryPolicy) policy = ladle_retry_policy_new_backoff (3, 10, 100);
  g_autoptr(LadleSession) session = NULL;
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/4000000?drop=1500000");
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *path = fixture_path (fixture, "retried.bin");
  g_autofree char *expected = ladle_test_variant_content_checksum (1, BODY_SIZE);

  ladle_session_configuration_set_state_directory (configuration, fixture->state_dir);
  ladle_session_configuration_set_retry_policy (configuration, policy);
  session = ladle_session_new (configuration);
  task = create_download (fixture, session, uri, "retried.bin");
  recorder = run_download (task);

  g_assert_no_error (recorder->error);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 2);
  g_assert_null (ladle_test_server_get_request (fixture->server, 0)->range);
  g_assert_cmpstr (ladle_test_server_get_request (fixture->server, 1)->range, ==, "bytes=1500000-");
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, BODY_SIZE);
  assert_file (path, expected);
  assert_spliced (2);
  ladle_session_invalidate_and_cancel (session);
}

static gboolean
on_accept_certificate (LadleTask            *task,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  return TRUE;
}

/* Downloads a @uri that must not be spliced, whatever LADLE_DEBUG says; the file has
 * @expected_sha. */
static void
assert_read_by_libsoup (Fixture    *fixture,
                        const char *uri,
                        gboolean    tls,
                        const char *expected_sha)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, uri, "not-spliced.bin");
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *path = fixture_path (fixture, "not-spliced.bin");

  if (tls)
    g_signal_connect (task, "accept-certificate", G_CALLBACK (on_accept_certificate), NULL);
  recorder = run_download (task);
  g_assert_no_error (recorder->error);
  assert_file (path, expected_sha);
  g_assert_cmpuint (g_atomic_int_exchange (&n_splice_lines, 0), ==, 0);
}

/* Bodies that are not spliced: over TLS, chunked, with a Content-Encoding (stored as it came),
 * on a connection that is not kept alive (HTTP/1.0: its framing may end at the close). */
static void
test_not_eligible (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) tls_server = ladle_test_server_new_tls (certificate);
  g_autofree char *tls_uri = ladle_test_server_dup_uri (tls_server, "/resource/4000000");
  g_autofree char *chunked_uri = ladle_test_server_dup_uri (fixture->server, "/resource/4000000?chunked=1");
  g_autofree char *variant_sha = ladle_test_variant_content_checksum (1, BODY_SIZE);
  g_autofree char *content_sha = ladle_test_content_checksum (BODY_SIZE);
  static const char encoded_head[] = "HTTP/1.1 200 OK\r\nContent-Length: 4000000\r\nContent-Encoding: gzip\r\n\r\n";
  static const char http10_head[] = "HTTP/1.0 200 OK\r\nContent-Length: 4000000\r\n\r\n";
  const char *heads[] = { encoded_head, http10_head };

  g_assert_true (g_str_has_prefix (tls_uri, "https://"));
  assert_read_by_libsoup (fixture, tls_uri, TRUE, variant_sha);
  assert_read_by_libsoup (fixture, chunked_uri, FALSE, variant_sha);

  for (guint i = 0; i < G_N_ELEMENTS (heads); i++)
    {
      g_autoptr(GByteArray) response = g_byte_array_new ();
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(LadleTestRawServer) raw = NULL;
      g_autofree char *uri = NULL;

      g_byte_array_append (response, (const guint8 *) heads[i], strlen (heads[i]));
      ladle_test_byte_array_append_content (response, 0, BODY_SIZE);
      bytes = g_bytes_new (response->data, response->len);
      raw = ladle_test_raw_server_new (bytes, LADLE_TEST_RAW_CLOSE);
      uri = ladle_test_raw_server_dup_uri (raw, "/raw");
      assert_read_by_libsoup (fixture, uri, FALSE, content_sha);
    }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_log_set_writer_func (capture_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/Ladle/Splice/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("complete", test_complete);
  ADD ("short-body", test_short_body);
  ADD ("keep-alive-next-response", test_keep_alive_next_response);
  ADD ("cancel-mid-body", test_cancel_mid_body);
  ADD ("suspend-resume", test_suspend_resume);
  ADD ("low-speed-then-resume", test_low_speed_then_resume);
  ADD ("pause-then-resume", test_pause_then_resume);
  ADD ("metered-pause", test_metered_pause);
  ADD ("retry-from-partial", test_retry_from_partial);
  ADD ("not-eligible", test_not_eligible);

#undef ADD

  status = g_test_run ();
  ladle_test_certs_cleanup ();

  return status;
}
