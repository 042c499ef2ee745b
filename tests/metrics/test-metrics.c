/* test-metrics.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <ladle.h>
#include <string.h>

#include "ladle-test.h"

/* What a task's metrics-collected showed, and when. */
typedef struct
{
  LadleTaskMetrics *metrics;
  guint             n_collected;
  guint             n_completed;
  gboolean          collected_after_completed;
  LadleTaskState    state_at_collected;
} Seen;

static void
on_metrics_collected (LadleTask        *task,
                      LadleTaskMetrics *metrics,
                      Seen             *seen)
{
  seen->n_collected++;
  seen->collected_after_completed = seen->n_completed > 0;
  seen->state_at_collected = ladle_task_get_state (task);
  g_set_object (&seen->metrics, metrics);
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              Seen         *seen)
{
  seen->n_completed++;
}

static void
seen_connect (Seen      *seen,
              LadleTask *task)
{
  g_signal_connect (task, "metrics-collected", G_CALLBACK (on_metrics_collected), seen);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), seen);
}

static void
seen_check (Seen      *seen,
            LadleTask *task)
{
  g_autoptr(LadleTaskMetrics) again = ladle_task_dup_metrics (task);

  g_assert_cmpuint (seen->n_collected, ==, 1);
  g_assert_cmpuint (seen->n_completed, ==, 1);
  g_assert_false (seen->collected_after_completed);
  g_assert_cmpint (seen->state_at_collected, ==, LADLE_TASK_STATE_COMPLETED);
  g_assert_true (LADLE_IS_TASK_METRICS (seen->metrics));
  g_assert_true (again == seen->metrics);
  g_assert_true (ladle_task_metrics_get_complete (seen->metrics));
  g_assert_cmpint (ladle_task_metrics_get_start_time (seen->metrics), >, 0);
  g_assert_cmpint (ladle_task_metrics_get_end_time (seen->metrics), >=,
                   ladle_task_metrics_get_start_time (seen->metrics));
  g_assert_cmpint (ladle_task_metrics_get_duration (seen->metrics), ==,
                   ladle_task_metrics_get_end_time (seen->metrics) -
                   ladle_task_metrics_get_start_time (seen->metrics));
}

static void
seen_clear (Seen *seen)
{
  g_clear_object (&seen->metrics);
}

static void
assert_body_length (LadleDataTask *task,
                    gsize          length)
{
  g_autoptr(GBytes) body = ladle_data_task_dup_body (task);

  g_assert_nonnull (body);
  g_assert_cmpuint (g_bytes_get_size (body), ==, length);
}

static LadleTestRecorder *
run (LadleTask *task,
     Seen      *seen)
{
  LadleTestRecorder *recorder = ladle_test_recorder_new (task);

  seen_connect (seen, task);
  ladle_task_resume (task);
  ladle_test_recorder_wait (recorder);
  seen_check (seen, task);

  return recorder;
}

/* The steps that happened are in order, and every time lies in the task interval. */
static void
assert_ordered (LadleTaskMetrics        *task_metrics,
                LadleTransactionMetrics *t)
{
  gint64 times[] = {
    ladle_transaction_metrics_get_fetch_start (t),
    ladle_transaction_metrics_get_dns_start (t),
    ladle_transaction_metrics_get_dns_end (t),
    ladle_transaction_metrics_get_connect_start (t),
    ladle_transaction_metrics_get_tls_start (t),
    ladle_transaction_metrics_get_tls_end (t),
    ladle_transaction_metrics_get_connect_end (t),
    ladle_transaction_metrics_get_request_start (t),
    ladle_transaction_metrics_get_response_start (t),
    ladle_transaction_metrics_get_response_end (t),
  };
  gint64 last = ladle_task_metrics_get_start_time (task_metrics);
  gint64 end = ladle_task_metrics_get_end_time (task_metrics);

  g_assert_cmpint (times[0], >=, 0);
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      if (times[i] < 0)
        continue;
      g_assert_cmpint (times[i], >=, last);
      last = times[i];
    }
  if (end >= 0)
    g_assert_cmpint (last, <=, end);
  /* Ends come with their starts. */
  g_assert_true ((ladle_transaction_metrics_get_dns_start (t) < 0) == (ladle_transaction_metrics_get_dns_end (t) < 0));
  g_assert_true ((ladle_transaction_metrics_get_connect_start (t) < 0) == (ladle_transaction_metrics_get_connect_end (t) < 0));
  g_assert_true ((ladle_transaction_metrics_get_tls_start (t) < 0) == (ladle_transaction_metrics_get_tls_end (t) < 0));
  if (ladle_transaction_metrics_get_request_end (t) >= 0)
    g_assert_cmpint (ladle_transaction_metrics_get_request_end (t), >=, ladle_transaction_metrics_get_request_start (t));
}

static void
assert_loopback (GSocketAddress *address,
                 guint           port)
{
  g_autofree char *text = NULL;

  g_assert_true (G_IS_INET_SOCKET_ADDRESS (address));
  text = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  g_assert_cmpstr (text, ==, "127.0.0.1");
  if (port != 0)
    g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)), ==, port);
}

static void
test_plain_get (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/bytes/100000");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  LadleTransactionMetrics *t;
  Seen seen = { 0 };

  recorder = run (LADLE_TASK (task), &seen);
  g_assert_no_error (recorder->error);
  ladle_test_recorder_assert_events (recorder, "R[DP]*CT");

  g_assert_cmpuint (ladle_task_metrics_get_redirect_count (seen.metrics), ==, 0);
  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (seen.metrics), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (ladle_task_metrics_get_transactions (seen.metrics)), ==, 1);
  g_assert_null (ladle_task_metrics_get_transaction (seen.metrics, 1));
  t = ladle_task_metrics_get_transaction (seen.metrics, 0);
  {
    g_autoptr(GPtrArray) list = ladle_task_metrics_dup_transaction_list (seen.metrics);

    g_assert_cmpuint (list->len, ==, 1);
    g_assert_true (g_ptr_array_index (list, 0) == t);
  }
  g_assert_cmpstr (ladle_transaction_metrics_get_uri (t), ==, uri);
  g_assert_cmpstr (ladle_transaction_metrics_get_method (t), ==, "GET");
  g_assert_cmpuint (ladle_transaction_metrics_get_status_code (t), ==, 200);
  g_assert_cmpstr (ladle_transaction_metrics_get_reason_phrase (t), ==, "OK");
  g_assert_cmpint (ladle_transaction_metrics_get_http_version (t), ==, SOUP_HTTP_1_1);
  g_assert_cmpstr (ladle_transaction_metrics_get_network_protocol_name (t), ==, "http/1.1");
  g_assert_false (ladle_transaction_metrics_get_reused_connection (t));
  g_assert_false (ladle_transaction_metrics_get_served_from_cache (t));
  g_assert_cmpuint (ladle_transaction_metrics_get_connection_id (t), !=, 0);

  /* A new plain connection: connect, no TLS; the request was written and read to its end. */
  assert_ordered (seen.metrics, t);
  g_assert_cmpint (ladle_transaction_metrics_get_connect_start (t), >, 0);
  g_assert_cmpint (ladle_transaction_metrics_get_tls_start (t), ==, -1);
  g_assert_cmpint (ladle_transaction_metrics_get_tls_end (t), ==, -1);
  g_assert_cmpint (ladle_transaction_metrics_get_request_start (t), >, 0);
  g_assert_cmpint (ladle_transaction_metrics_get_request_end (t), >, 0);
  g_assert_cmpint (ladle_transaction_metrics_get_request_end (t), <=, ladle_transaction_metrics_get_response_start (t));
  g_assert_cmpint (ladle_transaction_metrics_get_response_end (t), >, 0);
  g_assert_cmpint (ladle_transaction_metrics_get_tls_protocol_version (t), ==, G_TLS_PROTOCOL_VERSION_UNKNOWN);
  g_assert_null (ladle_transaction_metrics_get_tls_ciphersuite_name (t));

  /* Bytes: the body as Content-Length said, headers of a plausible size, no request body. */
  g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_after_decoding (t), ==, 100000);
  g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_received (t), ==, 100000);
  g_assert_cmpuint (ladle_transaction_metrics_get_response_header_bytes_received (t), >, 40);
  g_assert_cmpuint (ladle_transaction_metrics_get_response_header_bytes_received (t), <, 2000);
  g_assert_cmpuint (ladle_transaction_metrics_get_request_header_bytes_sent (t), >, 20);
  g_assert_cmpuint (ladle_transaction_metrics_get_request_header_bytes_sent (t), <, 2000);
  g_assert_cmpuint (ladle_transaction_metrics_get_request_body_bytes_sent (t), ==, 0);
  g_assert_cmpuint (ladle_transaction_metrics_get_request_body_bytes_before_encoding (t), ==, 0);

  assert_loopback (ladle_transaction_metrics_get_remote_address (t), ladle_test_server_get_port (server));
  assert_loopback (ladle_transaction_metrics_get_local_address (t), 0);

  /* Wall-clock dates: the task was created a moment before `now`'s test started. */
  date = ladle_task_metrics_to_date_time (seen.metrics, ladle_transaction_metrics_get_request_start (t));
  g_assert_nonnull (date);
  g_assert_cmpint (g_date_time_difference (date, ladle_task_metrics_get_start_date_time (seen.metrics)), ==,
                   ladle_transaction_metrics_get_request_start (t) - ladle_task_metrics_get_start_time (seen.metrics));
  g_assert_cmpint (llabs (g_date_time_difference (date, now)), <, 60 * G_TIME_SPAN_SECOND);
  g_assert_null (ladle_task_metrics_to_date_time (seen.metrics, -1));

  seen_clear (&seen);
}

static void
test_reused_connection (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/bytes/1000");
  LadleTransactionMetrics *first, *second;
  Seen seen[2] = { { 0 } };
  LadleTaskMetrics *metrics[2];

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
      g_autoptr(LadleTestRecorder) recorder = run (LADLE_TASK (task), &seen[i]);

      g_assert_no_error (recorder->error);
      metrics[i] = seen[i].metrics;
      g_assert_cmpuint (ladle_task_metrics_get_n_transactions (metrics[i]), ==, 1);
    }

  first = ladle_task_metrics_get_transaction (metrics[0], 0);
  second = ladle_task_metrics_get_transaction (metrics[1], 0);
  g_assert_false (ladle_transaction_metrics_get_reused_connection (first));
  g_assert_true (ladle_transaction_metrics_get_reused_connection (second));
  g_assert_cmpuint (ladle_transaction_metrics_get_connection_id (second), ==,
                    ladle_transaction_metrics_get_connection_id (first));
  assert_ordered (metrics[1], second);
  g_assert_cmpint (ladle_transaction_metrics_get_dns_start (second), ==, -1);
  g_assert_cmpint (ladle_transaction_metrics_get_dns_end (second), ==, -1);
  g_assert_cmpint (ladle_transaction_metrics_get_connect_start (second), ==, -1);
  g_assert_cmpint (ladle_transaction_metrics_get_connect_end (second), ==, -1);
  g_assert_cmpint (ladle_transaction_metrics_get_tls_start (second), ==, -1);
  g_assert_cmpint (ladle_transaction_metrics_get_request_start (second), >,
                   ladle_transaction_metrics_get_response_end (first));
  g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_after_decoding (second), ==, 1000);
  assert_loopback (ladle_transaction_metrics_get_remote_address (second), ladle_test_server_get_port (server));

  seen_clear (&seen[0]);
  seen_clear (&seen[1]);
}

static gboolean
on_authenticate (LadleTask *task,
                 SoupAuth  *auth,
                 gboolean   retrying,
                 gpointer   user_data)
{
  if (retrying)
    return FALSE;
  soup_auth_authenticate (auth, LADLE_TEST_USER, LADLE_TEST_PASSWORD);
  return TRUE;
}

/* A redirect hop, then a 401 answered with credentials (libsoup restarts the same message):
 * three requests, three transactions. */
static void
test_redirect_and_auth (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *target = ladle_test_server_dup_uri (server, "/basic/ok");
  g_autofree char *uri = ladle_test_server_dup_redirect_uri (server, 302, target);
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  const guint statuses[] = { 302, 401, 200 };
  const char *uris[] = { uri, target, target };
  gint64 last_fetch = 0;
  guint64 ids[3];
  gboolean earlier;
  Seen seen = { 0 };

  g_signal_connect (task, "authenticate", G_CALLBACK (on_authenticate), NULL);
  recorder = run (LADLE_TASK (task), &seen);
  g_assert_no_error (recorder->error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 3);

  g_assert_cmpuint (ladle_task_metrics_get_redirect_count (seen.metrics), ==, 1);
  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (seen.metrics), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      LadleTransactionMetrics *t = ladle_task_metrics_get_transaction (seen.metrics, i);

      g_assert_cmpstr (ladle_transaction_metrics_get_uri (t), ==, uris[i]);
      g_assert_cmpstr (ladle_transaction_metrics_get_method (t), ==, "GET");
      g_assert_cmpuint (ladle_transaction_metrics_get_status_code (t), ==, statuses[i]);
      g_assert_cmpint (ladle_transaction_metrics_get_request_start (t), >, 0);
      g_assert_cmpint (ladle_transaction_metrics_get_response_start (t), >, 0);
      g_assert_cmpint (ladle_transaction_metrics_get_response_end (t), >, 0);
      g_assert_cmpint (ladle_transaction_metrics_get_fetch_start (t), >, last_fetch);
      last_fetch = ladle_transaction_metrics_get_fetch_start (t);
      assert_ordered (seen.metrics, t);
      ids[i] = ladle_transaction_metrics_get_connection_id (t);
      g_assert_cmpuint (ids[i], !=, 0);
      /* A connection is reused exactly when an earlier request of the task opened it. The
       * resend after the 401 goes over the 401's connection (the redirect hop may need a new
       * one while the 302's body is still being read). */
      earlier = FALSE;
      for (guint j = 0; j < i; j++)
        earlier |= ids[j] == ids[i];
      g_assert_true (ladle_transaction_metrics_get_reused_connection (t) == earlier);
    }
  g_assert_cmpuint (ids[2], ==, ids[1]);
  g_assert_true (ladle_transaction_metrics_get_reused_connection (ladle_task_metrics_get_transaction (seen.metrics, 2)));
  g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_after_decoding (
                      ladle_task_metrics_get_transaction (seen.metrics, 2)), ==, 2);
  /* The local address of the connection is known to the later requests of the task. */
  assert_loopback (ladle_transaction_metrics_get_local_address (ladle_task_metrics_get_transaction (seen.metrics, 2)), 0);

  seen_clear (&seen);
}

/* A body of 1 MiB: Ladle writes it to the connection itself (ladle-direct-body.c), or libsoup
 * does (LADLE_DEBUG=no-direct-body, the second registration of this case); the counts are the
 * same. */
static void
test_upload (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/upload");
  g_autoptr(SoupMessage) message = soup_message_new ("POST", uri);
  g_autoptr(GBytes) body = ladle_test_content_new (0, 1024 * 1024);
  g_autoptr(LadleUploadTask) task = ladle_session_create_upload_task_from_bytes (session, message, body);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  LadleTransactionMetrics *t;
  Seen seen = { 0 };

  recorder = run (LADLE_TASK (task), &seen);
  g_assert_no_error (recorder->error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
  g_assert_cmpuint (g_bytes_get_size (ladle_test_server_get_last_request (server)->body), ==, 1024 * 1024);

  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (seen.metrics), ==, 1);
  t = ladle_task_metrics_get_transaction (seen.metrics, 0);
  g_assert_cmpstr (ladle_transaction_metrics_get_method (t), ==, "POST");
  g_assert_cmpuint (ladle_transaction_metrics_get_request_body_bytes_before_encoding (t), ==, 1024 * 1024);
  g_assert_cmpuint (ladle_transaction_metrics_get_request_body_bytes_sent (t), ==, 1024 * 1024);
  g_assert_cmpint (ladle_transaction_metrics_get_request_end (t), >, ladle_transaction_metrics_get_request_start (t));
  assert_ordered (seen.metrics, t);

  seen_clear (&seen);
}

static gboolean
on_upload_authenticate (LadleTask *task,
                        SoupAuth  *auth,
                        gboolean   retrying,
                        gpointer   user_data)
{
  if (retrying)
    return FALSE;
  soup_auth_authenticate (auth, LADLE_TEST_UPLOAD_USER, LADLE_TEST_UPLOAD_PASSWORD);
  return TRUE;
}

/* An upload behind Basic auth: the 401 and the resend are two transactions, and the resend's
 * body bytes are the whole body (written by Ladle or by libsoup, see test_upload). */
static void
test_upload_auth_resend (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/auth/upload");
  g_autoptr(SoupMessage) message = soup_message_new ("PUT", uri);
  g_autoptr(GBytes) body = ladle_test_content_new (0, 200 * 1024);
  g_autoptr(LadleUploadTask) task = ladle_session_create_upload_task_from_bytes (session, message, body);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  LadleTransactionMetrics *first, *resend;
  Seen seen = { 0 };

  g_signal_connect (task, "authenticate", G_CALLBACK (on_upload_authenticate), NULL);
  recorder = run (LADLE_TASK (task), &seen);
  g_assert_no_error (recorder->error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
  g_assert_cmpuint (g_bytes_get_size (ladle_test_server_get_last_request (server)->body), ==, 200 * 1024);

  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (seen.metrics), ==, 2);
  first = ladle_task_metrics_get_transaction (seen.metrics, 0);
  resend = ladle_task_metrics_get_transaction (seen.metrics, 1);
  g_assert_cmpuint (ladle_transaction_metrics_get_status_code (first), ==, 401);
  g_assert_cmpuint (ladle_transaction_metrics_get_status_code (resend), ==, 200);
  g_assert_cmpstr (ladle_transaction_metrics_get_method (first), ==, "PUT");
  g_assert_cmpstr (ladle_transaction_metrics_get_method (resend), ==, "PUT");
  /* The first attempt wrote at most the body before the 401 came back. */
  g_assert_cmpuint (ladle_transaction_metrics_get_request_body_bytes_before_encoding (first), <=, 200 * 1024);
  g_assert_cmpuint (ladle_transaction_metrics_get_request_body_bytes_before_encoding (resend), ==, 200 * 1024);
  g_assert_cmpuint (ladle_transaction_metrics_get_request_body_bytes_sent (resend), ==, 200 * 1024);
  g_assert_cmpint (ladle_transaction_metrics_get_fetch_start (resend), >=,
                   ladle_transaction_metrics_get_response_start (first));
  assert_ordered (seen.metrics, first);
  assert_ordered (seen.metrics, resend);

  seen_clear (&seen);
}

static gboolean
server_started (gpointer data)
{
  return ladle_test_server_get_n_started (data) > 0;
}

/* Cancelled while waiting for the response, and before it was ever resumed: metrics-collected
 * once, before completed, with what was reached. */
static void
test_cancelled (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/stall");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleDataTask) never = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autoptr(LadleTestRecorder) never_recorder = ladle_test_recorder_new (never);
  g_autoptr(LadleTaskMetrics) snapshot = NULL;
  LadleTransactionMetrics *t;
  Seen seen = { 0 };
  Seen never_seen = { 0 };

  seen_connect (&seen, LADLE_TASK (task));
  seen_connect (&never_seen, LADLE_TASK (never));

  /* Before it runs: a snapshot without transactions. */
  snapshot = ladle_task_dup_metrics (LADLE_TASK (task));
  g_assert_false (ladle_task_metrics_get_complete (snapshot));
  g_assert_cmpint (ladle_task_metrics_get_end_time (snapshot), ==, -1);
  g_assert_cmpint (ladle_task_metrics_get_duration (snapshot), ==, -1);
  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (snapshot), ==, 0);
  g_clear_object (&snapshot);

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_until (server_started, server, 20, "the request reached the server");

  /* In flight: the request is there, no response yet. */
  snapshot = ladle_task_dup_metrics (LADLE_TASK (task));
  g_assert_false (ladle_task_metrics_get_complete (snapshot));
  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (snapshot), ==, 1);
  g_assert_cmpuint (ladle_transaction_metrics_get_status_code (ladle_task_metrics_get_transaction (snapshot, 0)), ==, 0);
  g_assert_cmpint (ladle_transaction_metrics_get_response_start (ladle_task_metrics_get_transaction (snapshot, 0)), ==, -1);

  ladle_task_cancel (LADLE_TASK (task));
  ladle_task_cancel (LADLE_TASK (never));
  g_assert_cmpuint (seen.n_collected, ==, 0);
  g_assert_cmpuint (never_seen.n_collected, ==, 0);
  ladle_test_recorder_wait (recorder);
  ladle_test_recorder_wait (never_recorder);
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  seen_check (&seen, LADLE_TASK (task));
  seen_check (&never_seen, LADLE_TASK (never));

  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (seen.metrics), ==, 1);
  t = ladle_task_metrics_get_transaction (seen.metrics, 0);
  g_assert_cmpuint (ladle_transaction_metrics_get_status_code (t), ==, 0);
  g_assert_cmpint (ladle_transaction_metrics_get_fetch_start (t), >, 0);
  g_assert_cmpint (ladle_transaction_metrics_get_request_start (t), >, 0);
  g_assert_cmpint (ladle_transaction_metrics_get_response_start (t), ==, -1);
  g_assert_cmpint (ladle_transaction_metrics_get_response_end (t), ==, -1);
  assert_ordered (seen.metrics, t);
  /* The snapshot did not change. */
  g_assert_false (ladle_task_metrics_get_complete (snapshot));

  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (never_seen.metrics), ==, 0);

  seen_clear (&seen);
  seen_clear (&never_seen);
}

static void
cacheable_handler (SoupServer        *server,
                   SoupServerMessage *message,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  g_autoptr(GBytes) body = ladle_test_content_new (0, 5000);

  soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                "Cache-Control", "max-age=600");
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "application/octet-stream", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

/* A response libsoup's cache answers without a request: served-from-cache, no connection, no
 * bytes on the wire, the body's size from the cache. */
static void
test_served_from_cache (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  SoupSession *soup = ladle_session_get_soup_session (session);
  g_autofree char *cache_dir = g_dir_make_tmp ("ladle-metrics-cache-XXXXXX", NULL);
  g_autofree char *uri = NULL;
  LadleTransactionMetrics *t = NULL;
  guint n_requests = 0;
  Seen first = { 0 };
  Seen later = { 0 };

  /* The session's own cache when it has one, else one for this test. */
  if (soup_session_get_feature (soup, SOUP_TYPE_CACHE) == NULL)
    {
      g_autoptr(SoupCache) cache = soup_cache_new (cache_dir, SOUP_CACHE_SINGLE_USER);

      soup_session_add_feature (soup, SOUP_SESSION_FEATURE (cache));
    }
  soup_server_add_handler (ladle_test_server_get_soup_server (server), "/metrics-cacheable",
                           cacheable_handler, NULL, NULL);
  uri = ladle_test_server_dup_uri (server, "/metrics-cacheable");

  {
    g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
    g_autoptr(LadleTestRecorder) recorder = run (LADLE_TASK (task), &first);

    g_assert_no_error (recorder->error);
    t = ladle_task_metrics_get_transaction (first.metrics, 0);
    g_assert_false (ladle_transaction_metrics_get_served_from_cache (t));
    g_assert_cmpint (ladle_transaction_metrics_get_request_start (t), >, 0);
    g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_received (t), ==, 5000);
  }

  /* The cache writes the entry to disk on its own: ask again until it answers. */
  for (guint attempt = 0; attempt < 50; attempt++)
    {
      g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
      g_autoptr(LadleTestRecorder) recorder = NULL;

      n_requests = ladle_test_server_get_n_requests (server);
      seen_clear (&later);
      memset (&later, 0, sizeof later);
      recorder = run (LADLE_TASK (task), &later);
      g_assert_no_error (recorder->error);
      g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
      assert_body_length (LADLE_DATA_TASK (task), 5000);
      t = ladle_task_metrics_get_transaction (later.metrics, 0);
      if (ladle_transaction_metrics_get_served_from_cache (t))
        break;
      ladle_test_spin (100);
    }

  g_assert_true (ladle_transaction_metrics_get_served_from_cache (t));
  g_assert_cmpuint (ladle_transaction_metrics_get_status_code (t), ==, 200);
  /* The server did not see it. */
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, n_requests);
  g_assert_cmpint (ladle_transaction_metrics_get_request_end (t), ==, -1);
  g_assert_cmpint (ladle_transaction_metrics_get_dns_start (t), ==, -1);
  g_assert_cmpint (ladle_transaction_metrics_get_connect_start (t), ==, -1);
  g_assert_cmpuint (ladle_transaction_metrics_get_response_header_bytes_received (t), ==, 0);
  g_assert_false (ladle_transaction_metrics_get_reused_connection (t));
  g_assert_cmpuint (ladle_transaction_metrics_get_request_header_bytes_sent (t), ==, 0);
  g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_after_decoding (t), ==, 5000);
  assert_ordered (later.metrics, t);

  seen_clear (&first);
  seen_clear (&later);
  {
    SoupSessionFeature *cache = soup_session_get_feature (soup, SOUP_TYPE_CACHE);

    soup_cache_clear (SOUP_CACHE (cache));
    soup_session_remove_feature (soup, cache);
  }
  ladle_test_remove_tree (cache_dir);
}

static LadleResponseDisposition
become_download_cb (LadleTask   *task,
                    SoupMessage *message,
                    gpointer     data)
{
  return LADLE_RESPONSE_DISPOSITION_BECOME_DOWNLOAD;
}

typedef struct
{
  LadleDownloadTask *download;
  LadleTestRecorder *recorder;
  Seen               seen;
} Became;

static void
became_download_cb (LadleDataTask     *task,
                    LadleDownloadTask *download,
                    Became            *became)
{
  became->download = g_object_ref (download);
  became->recorder = ladle_test_recorder_new (download);
  seen_connect (&became->seen, LADLE_TASK (download));
}

/* A data task whose response became a download: both tasks list the request; the download's
 * transaction has the body it read. */
static void
test_became_download (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/bytes/200000");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  LadleTransactionMetrics *data_t, *download_t;
  Became became = { 0 };
  Seen seen = { 0 };

  g_signal_connect (task, "response", G_CALLBACK (become_download_cb), NULL);
  g_signal_connect (task, "became-download-task", G_CALLBACK (became_download_cb), &became);
  recorder = run (LADLE_TASK (task), &seen);
  g_assert_no_error (recorder->error);
  g_assert_nonnull (became.download);
  ladle_test_recorder_wait (became.recorder);
  g_assert_no_error (became.recorder->error);
  seen_check (&became.seen, LADLE_TASK (became.download));

  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (seen.metrics), ==, 1);
  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (became.seen.metrics), ==, 1);
  data_t = ladle_task_metrics_get_transaction (seen.metrics, 0);
  download_t = ladle_task_metrics_get_transaction (became.seen.metrics, 0);
  g_assert_cmpuint (ladle_transaction_metrics_get_status_code (data_t), ==, 200);
  g_assert_cmpuint (ladle_transaction_metrics_get_status_code (download_t), ==, 200);
  g_assert_cmpstr (ladle_transaction_metrics_get_uri (download_t), ==, uri);
  g_assert_cmpint (ladle_transaction_metrics_get_fetch_start (download_t), ==,
                   ladle_transaction_metrics_get_fetch_start (data_t));
  g_assert_cmpint (ladle_transaction_metrics_get_request_start (download_t), ==,
                   ladle_transaction_metrics_get_request_start (data_t));
  g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_after_decoding (download_t), ==, 200000);
  g_assert_cmpint (ladle_transaction_metrics_get_response_end (download_t), >, 0);
  assert_ordered (seen.metrics, data_t);

  seen_clear (&seen);
  seen_clear (&became.seen);
  ladle_test_recorder_free (became.recorder);
  g_clear_object (&became.download);
}

/* Without a metrics-collected handler the metrics are made when asked for: the same values. */
static void
test_without_handler (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/bytes/3000");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autoptr(LadleTaskMetrics) metrics = NULL;
  g_autoptr(LadleTaskMetrics) again = NULL;
  LadleTransactionMetrics *t;

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);
  g_assert_no_error (recorder->error);

  metrics = ladle_task_dup_metrics (LADLE_TASK (task));
  again = ladle_task_dup_metrics (LADLE_TASK (task));
  g_assert_true (metrics == again);
  g_assert_true (ladle_task_metrics_get_complete (metrics));
  g_assert_cmpint (ladle_task_metrics_get_end_time (metrics), >=, ladle_task_metrics_get_start_time (metrics));
  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (metrics), ==, 1);
  t = ladle_task_metrics_get_transaction (metrics, 0);
  g_assert_cmpuint (ladle_transaction_metrics_get_status_code (t), ==, 200);
  g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_after_decoding (t), ==, 3000);
  g_assert_cmpint (ladle_transaction_metrics_get_response_end (t), <=, ladle_task_metrics_get_end_time (metrics));
  assert_ordered (metrics, t);
  assert_loopback (ladle_transaction_metrics_get_remote_address (t), ladle_test_server_get_port (server));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Metrics/plain-get", test_plain_get);
  g_test_add_func ("/Ladle/Metrics/reused-connection", test_reused_connection);
  g_test_add_func ("/Ladle/Metrics/redirect-and-auth", test_redirect_and_auth);
  g_test_add_func ("/Ladle/Metrics/upload", test_upload);
  g_test_add_func ("/Ladle/Metrics/upload-auth-resend", test_upload_auth_resend);
  g_test_add_func ("/Ladle/Metrics/cancelled", test_cancelled);
  g_test_add_func ("/Ladle/Metrics/served-from-cache", test_served_from_cache);
  g_test_add_func ("/Ladle/Metrics/without-handler", test_without_handler);
  g_test_add_func ("/Ladle/Metrics/became-download", test_became_download);

  return g_test_run ();
}
