/* test-net.c: retries, waiting for connectivity, metered networks mid-transfer (area 'net')
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <ladle.h>

#include "ladle-test.h"

/* Debug messages of the Ladle domain, captured (the retry and wait lines are checked) */

static GPtrArray *debug_lines;

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
      if (debug_lines != NULL && message != NULL)
        g_ptr_array_add (debug_lines, g_strdup (message));
      return G_LOG_WRITER_HANDLED;
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static guint
count_debug_lines (const char *needle)
{
  guint n = 0;

  for (guint i = 0; i < debug_lines->len; i++)
    if (strstr (g_ptr_array_index (debug_lines, i), needle) != NULL)
      n++;

  return n;
}

/* One task and what it signalled */

typedef struct
{
  LadleTask *task;
  gboolean   done;
  GError    *error;
  GString   *events;          /* W will-retry, C connectivity wait, R resumed, T completed */
  guint      attempts[8];
  guint      delays[8];
  GError    *whys[8];
  guint      n_retries;
  gint64     retry_times[8];  /* monotonic µs of each will-retry */
  gint64     resumed[8];
  guint      n_resumed;
  guint      n_waiting;
  gboolean   veto;
  gint64     started;
  gint64     finished;
  GBytes    *body;
  GString   *order;           /* also S response and P progress (runs of P squeezed) */
  gint64     last_total;      /* download-progress: the total so far, last reported */
  gboolean   went_back;       /* …and it decreased */
  /* Called from will-retry (after recording) */
  void     (*on_retry) (gpointer run);
  gpointer   data;
} Run;

static gboolean
on_will_retry (LadleTask    *task,
               guint         attempt,
               guint         delay_ms,
               const GError *why,
               Run          *run)
{
  g_assert_false (run->done);
  g_assert_nonnull (why);
  if (run->n_retries < G_N_ELEMENTS (run->attempts))
    {
      run->attempts[run->n_retries] = attempt;
      run->delays[run->n_retries] = delay_ms;
      run->whys[run->n_retries] = g_error_copy (why);
      run->retry_times[run->n_retries] = g_get_monotonic_time ();
    }
  run->n_retries++;
  g_string_append_c (run->events, 'W');
  g_string_append_c (run->order, 'W');
  if (run->on_retry != NULL)
    run->on_retry (run);

  return !run->veto;
}

static void
on_waiting (LadleTask *task,
            Run       *run)
{
  g_assert_false (run->done);
  run->n_waiting++;
  g_string_append_c (run->events, 'C');
}

static void
on_resumed (LadleDownloadTask *task,
            gint64             offset,
            gint64             total,
            Run               *run)
{
  if (run->n_resumed < G_N_ELEMENTS (run->resumed))
    run->resumed[run->n_resumed] = offset;
  run->n_resumed++;
  g_string_append_c (run->events, 'R');
  g_string_append_c (run->order, 'R');
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              Run          *run)
{
  g_assert_false (run->done);
  run->error = error ? g_error_copy (error) : NULL;
  run->done = TRUE;
  run->finished = g_get_monotonic_time ();
  g_string_append_c (run->events, 'T');
  g_string_append_c (run->order, 'T');
  if (LADLE_IS_DATA_TASK (task))
    run->body = ladle_data_task_dup_body (LADLE_DATA_TASK (task));
}

static LadleResponseDisposition
on_response (LadleTask   *task,
             SoupMessage *message,
             Run         *run)
{
  g_string_append_c (run->order, 'S');
  return LADLE_RESPONSE_DISPOSITION_ALLOW;
}

static void
on_download_progress (LadleTask *task,
                      gint64     received_now,
                      gint64     total_received,
                      gint64     total_expected,
                      Run       *run)
{
  if (total_received < run->last_total)
    run->went_back = TRUE;
  run->last_total = total_received;
  if (run->order->len == 0 || run->order->str[run->order->len - 1] != 'P')
    g_string_append_c (run->order, 'P');
}

static Run *
run_new (gpointer task)
{
  Run *run = g_new0 (Run, 1);

  run->task = g_object_ref (task);
  run->events = g_string_new (NULL);
  run->order = g_string_new (NULL);
  g_signal_connect (task, "response", G_CALLBACK (on_response), run);
  g_signal_connect (task, "download-progress", G_CALLBACK (on_download_progress), run);
  g_signal_connect (task, "will-retry", G_CALLBACK (on_will_retry), run);
  g_signal_connect (task, "waiting-for-connectivity", G_CALLBACK (on_waiting), run);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), run);
  if (LADLE_IS_DOWNLOAD_TASK (task))
    g_signal_connect (task, "resumed", G_CALLBACK (on_resumed), run);

  return run;
}

static void
run_free (Run *run)
{
  g_signal_handlers_disconnect_by_data (run->task, run);
  g_clear_object (&run->task);
  g_clear_error (&run->error);
  for (guint i = 0; i < G_N_ELEMENTS (run->whys); i++)
    g_clear_error (&run->whys[i]);
  g_clear_pointer (&run->body, g_bytes_unref);
  g_string_free (run->events, TRUE);
  g_string_free (run->order, TRUE);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static void
run_start (Run *run)
{
  run->started = g_get_monotonic_time ();
  ladle_task_resume (run->task);
}

static void
run_wait (Run *run)
{
  ladle_test_wait_for_flag (&run->done, 60, "the task completes");
  /* nothing follows ::completed */
  ladle_test_spin (50);
}

static LadleRetryPolicy *
fast_policy (guint max_attempts)
{
  LadleRetryPolicy *policy = ladle_retry_policy_new_backoff (max_attempts, 20, 5000);

  ladle_retry_policy_set_jitter (policy, 0.0);

  return policy;
}

static LadleSession *
session_with (LadleRetryPolicy *policy,
              GNetworkMonitor  *monitor,
              const char       *state_directory)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();

  if (policy != NULL)
    ladle_session_configuration_set_retry_policy (configuration, policy);
  if (monitor != NULL)
    ladle_session_configuration_set_network_monitor (configuration, monitor);
  if (state_directory != NULL)
    ladle_session_configuration_set_state_directory (configuration, state_directory);

  return ladle_session_new (configuration);
}

static LadleDataTask *
data_task (LadleSession    *session,
           LadleTestServer *server,
           const char      *path)
{
  g_autofree char *uri = ladle_test_server_dup_uri (server, path);
  LadleDataTask *task = ladle_session_create_data_task_for_uri (session, uri);

  ladle_data_task_set_accumulate (task, TRUE);

  return task;
}

/* One transaction per attempt, with these statuses. */
static void
assert_transactions (LadleTask   *task,
                     const guint *statuses,
                     guint        n_statuses)
{
  g_autoptr(LadleTaskMetrics) metrics = ladle_task_dup_metrics (task);

  g_assert_nonnull (metrics);
  g_assert_cmpuint (ladle_task_metrics_get_n_transactions (metrics), ==, n_statuses);
  for (guint i = 0; i < n_statuses; i++)
    {
      LadleTransactionMetrics *transaction = ladle_task_metrics_get_transaction (metrics, i);

      g_assert_cmpuint (ladle_transaction_metrics_get_status_code (transaction), ==, statuses[i]);
      g_assert_cmpint (ladle_transaction_metrics_get_fetch_start (transaction), >, 0);
      if (i > 0)
        g_assert_cmpint (ladle_transaction_metrics_get_fetch_start (transaction), >=,
                         ladle_transaction_metrics_get_fetch_start (ladle_task_metrics_get_transaction (metrics, i - 1)));
    }
}

static gboolean
body_is (GBytes     *body,
         const char *text)
{
  gsize size = 0;
  const char *data = body ? g_bytes_get_data (body, &size) : NULL;

  return body != NULL && size == strlen (text) && memcmp (data, text, size) == 0;
}

/* The policy */

static void
test_policy_defaults (void)
{
  g_autoptr(LadleRetryPolicy) policy = ladle_retry_policy_new ();
  g_autoptr(LadleRetryPolicy) copy = NULL;
  g_autoptr(LadleSessionConfiguration) background = ladle_session_configuration_new_background ("net-test");
  g_autoptr(LadleSessionConfiguration) plain = ladle_session_configuration_new_default ();
  g_autoptr(LadleSessionConfiguration) copied = NULL;
  g_autoptr(LadleRetryPolicy) background_policy = NULL;
  g_autoptr(LadleRetryPolicy) plain_policy = NULL;
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(GError) reset = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "reset");
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "refused");
  g_autofree guint *statuses = NULL;
  const guint only[] = { 503, 42, 503 };
  gsize n_statuses = 0;
  guint delay = 0;

  g_assert_cmpuint (ladle_retry_policy_get_max_attempts (policy), ==, 4);
  statuses = ladle_retry_policy_dup_retried_statuses (policy, &n_statuses);
  g_assert_cmpuint (n_statuses, ==, 6);
  for (guint status = 100; status < 600; status++)
    g_assert_cmpint (ladle_retry_policy_retries_status (policy, status), ==,
                     status == 408 || status == 429 || status == 500 || status == 502 ||
                     status == 503 || status == 504);

  ladle_retry_policy_set_jitter (policy, 0.0);
  g_assert_true (ladle_retry_policy_next_delay_for_status (policy, 1, "GET", 503, headers, &delay));
  g_assert_cmpuint (delay, ==, 1000);
  g_assert_true (ladle_retry_policy_next_delay_for_error (policy, 3, "GET", reset, &delay));
  g_assert_cmpuint (delay, ==, 4000);
  g_assert_false (ladle_retry_policy_next_delay_for_status (policy, 4, "GET", 503, headers, &delay));
  g_assert_false (ladle_retry_policy_next_delay_for_status (policy, 1, "POST", 503, headers, &delay));
  g_assert_false (ladle_retry_policy_next_delay_for_status (policy, 1, "GET", 404, headers, &delay));
  g_assert_false (ladle_retry_policy_next_delay_for_error (policy, 1, "GET", refused, &delay));
  soup_message_headers_replace (headers, "Retry-After", "7");
  g_assert_true (ladle_retry_policy_next_delay_for_status (policy, 1, "GET", 503, headers, &delay));
  g_assert_cmpuint (delay, ==, 7000);

  ladle_retry_policy_set_retried_statuses (policy, only, G_N_ELEMENTS (only));
  g_clear_pointer (&statuses, g_free);
  statuses = ladle_retry_policy_dup_retried_statuses (policy, &n_statuses);
  g_assert_cmpuint (n_statuses, ==, 1);
  g_assert_cmpuint (statuses[0], ==, 503);
  ladle_retry_policy_set_retry_non_idempotent (policy, TRUE);
  copy = ladle_retry_policy_copy (policy);
  g_assert_true (ladle_retry_policy_get_retry_non_idempotent (copy));
  g_assert_false (ladle_retry_policy_retries_status (copy, 500));
  g_assert_true (ladle_retry_policy_next_delay_for_status (copy, 1, "POST", 503, NULL, &delay));

  /* no retries for default sessions; a backoff, and waiting, for background ones */
  plain_policy = ladle_session_configuration_dup_retry_policy (plain);
  g_assert_null (plain_policy);
  g_assert_false (ladle_session_configuration_get_waits_for_connectivity (plain));
  background_policy = ladle_session_configuration_dup_retry_policy (background);
  g_assert_nonnull (background_policy);
  g_assert_cmpuint (ladle_retry_policy_get_max_attempts (background_policy), ==, 5);
  g_assert_true (ladle_session_configuration_get_waits_for_connectivity (background));
  g_assert_cmpuint (ladle_session_configuration_get_connectivity_timeout (background), ==, 0);

  /* the configuration keeps a copy, and copies it along */
  ladle_session_configuration_set_retry_policy (plain, policy);
  ladle_session_configuration_set_connectivity_timeout (plain, 12);
  ladle_retry_policy_set_max_attempts (policy, 9);
  copied = ladle_session_configuration_copy (plain);
  g_clear_object (&plain_policy);
  plain_policy = ladle_session_configuration_dup_retry_policy (copied);
  g_assert_cmpuint (ladle_retry_policy_get_max_attempts (plain_policy), ==, 4);
  g_assert_cmpuint (ladle_session_configuration_get_connectivity_timeout (copied), ==, 12);
}

/* Retries of statuses */

/* 503 with Retry-After: 1, twice, then 200: three requests, the delays the server asked for. */
static void
test_retry_after_seconds (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (4);
  g_autoptr(LadleSession) session = session_with (policy, NULL, NULL);
  g_autoptr(LadleDataTask) task = data_task (session, server, "/flaky?fail=2&retry-after=1");
  g_autoptr(Run) run = run_new (task);

  debug_lines = g_ptr_array_new_with_free_func (g_free);
  run_start (run);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "WWT");
  /* retried statuses are never announced as the response */
  g_assert_cmpstr (run->order->str, ==, "WWSPT");
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
  g_assert_true (body_is (run->body, "ok"));
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 3);
  g_assert_cmpuint (run->attempts[0], ==, 2);
  g_assert_cmpuint (run->attempts[1], ==, 3);
  g_assert_cmpuint (run->delays[0], ==, 1000);
  g_assert_cmpuint (run->delays[1], ==, 1000);
  g_assert_error (run->whys[0], LADLE_ERROR, LADLE_ERROR_RETRIED_STATUS);
  g_assert_nonnull (strstr (run->whys[0]->message, "503"));
  /* the delays were honoured: each request came a second after the retry was announced */
  g_assert_cmpint (run->retry_times[1] - run->retry_times[0], >=, 990 * 1000);
  g_assert_cmpint (run->finished - run->retry_times[1], >=, 990 * 1000);
  /* one debug line per retry */
  g_assert_cmpuint (count_debug_lines ("answered 503: retry in 1000 ms"), ==, 2);
  /* each attempt is one transaction of the metrics */
  {
    const guint statuses[] = { 503, 503, 200 };

    assert_transactions (LADLE_TASK (task), statuses, G_N_ELEMENTS (statuses));
  }
  g_clear_pointer (&debug_lines, g_ptr_array_unref);
}

/* Retry-After as an HTTP-date, three seconds ahead (whole seconds: 2 to 3 s from now; at least 1 s even when the client is slow to read it). */
static void
test_retry_after_date (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (3);
  g_autoptr(LadleSession) session = session_with (policy, NULL, NULL);
  g_autoptr(LadleDataTask) task = data_task (session, server, "/flaky?fail=1&retry-after=date%2B3");
  g_autoptr(Run) run = run_new (task);

  run_start (run);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "WT");
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 2);
  g_assert_cmpuint (run->delays[0], >=, 900);
  g_assert_cmpuint (run->delays[0], <=, 3000);
  g_assert_cmpint (run->finished - run->retry_times[0], >=, (gint64)run->delays[0] * 1000 - 10000);
}

/* A Retry-After longer than the maximum delay waits the maximum. */
static void
test_retry_after_capped (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (3);
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(Run) run = NULL;

  ladle_retry_policy_set_max_delay (policy, 300);
  session = session_with (policy, NULL, NULL);
  task = data_task (session, server, "/flaky?fail=1&retry-after=3600");
  run = run_new (task);
  run_start (run);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->delays[0], ==, 300);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
}

/* A handler that returns false vetoes: the 503 is the response, no GError, one request. */
static void
test_veto (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (4);
  g_autoptr(LadleSession) session = session_with (policy, NULL, NULL);
  g_autoptr(LadleDataTask) task = data_task (session, server, "/flaky?fail=2");
  g_autoptr(Run) run = run_new (task);

  run->veto = TRUE;
  run_start (run);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "WT");
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 503);
  g_assert_true (body_is (run->body, "flaky"));
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 1);
}

/* The last attempt's status is delivered as the response. */
static void
test_exhausted (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (3);
  g_autoptr(LadleSession) session = session_with (policy, NULL, NULL);
  g_autoptr(LadleDataTask) task = data_task (session, server, "/flaky?fail=10&status=502");
  g_autoptr(Run) run = run_new (task);

  run_start (run);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "WWT");
  /* exponential: 20 ms, then 40 ms */
  g_assert_cmpuint (run->delays[0], ==, 20);
  g_assert_cmpuint (run->delays[1], ==, 40);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 502);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 3);
}

/* POST is not idempotent: not retried unless the policy says so; then each attempt sends the
 * same body again (the body factory). */
static void
test_post (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (3);
  g_autoptr(LadleSession) session = session_with (policy, NULL, NULL);
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/flaky?fail=1");
  g_autofree char *other_uri = ladle_test_server_dup_uri (server, "/flaky?fail=1&key=allowed");
  g_autoptr(GBytes) body = ladle_test_content_new (0, 100000);
  g_autofree char *checksum = ladle_test_checksum_bytes (body);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", uri);
  g_autoptr(SoupMessage) again = soup_message_new ("POST", other_uri);
  g_autoptr(LadleUploadTask) task = ladle_session_create_upload_task_from_bytes (session, message, body);
  g_autoptr(LadleUploadTask) allowed = NULL;
  g_autoptr(Run) run = run_new (task);
  g_autoptr(Run) allowed_run = NULL;

  run_start (run);
  run_wait (run);
  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "T");
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 503);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 1);

  ladle_test_server_clear_log (server);
  allowed = ladle_session_create_upload_task_from_bytes (session, again, body);
  ladle_retry_policy_set_retry_non_idempotent (policy, TRUE);
  ladle_task_set_retry_policy (LADLE_TASK (allowed), policy);
  allowed_run = run_new (allowed);
  run_start (allowed_run);
  run_wait (allowed_run);
  g_assert_no_error (allowed_run->error);
  g_assert_cmpstr (allowed_run->events->str, ==, "WT");
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (allowed)), ==, 200);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      LadleTestRequest *request = ladle_test_server_get_request (server, i);

      g_assert_cmpstr (request->method, ==, "POST");
      g_assert_cmpstr (request->sha256, ==, checksum);
    }
}

static GInputStream *
on_need_body_stream (LadleUploadTask *task,
                     guint           *n_calls)
{
  g_autoptr(GBytes) body = ladle_test_content_new (0, 50000);

  (*n_calls)++;

  return g_memory_input_stream_new_from_bytes (body);
}

/* A streamed PUT (idempotent) is retried with a body asked for again: the same bytes, twice. */
static void
test_streamed_put (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (3);
  g_autoptr(LadleSession) session = session_with (policy, NULL, NULL);
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/flaky?fail=1&key=put");
  g_autoptr(SoupMessage) message = soup_message_new ("PUT", uri);
  g_autoptr(GBytes) expected_body = ladle_test_content_new (0, 50000);
  g_autofree char *checksum = ladle_test_checksum_bytes (expected_body);
  g_autoptr(LadleUploadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  guint n_calls = 0;

  soup_message_headers_set_content_length (soup_message_get_request_headers (message), 50000);
  task = ladle_session_create_upload_task_streamed (session, message);
  g_signal_connect (task, "need-body-stream", G_CALLBACK (on_need_body_stream), &n_calls);
  run = run_new (task);
  run_start (run);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "WT");
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
  g_assert_cmpuint (n_calls, ==, 2);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      LadleTestRequest *request = ladle_test_server_get_request (server, i);

      g_assert_cmpstr (request->method, ==, "PUT");
      g_assert_cmpint (request->content_length, ==, 50000);
      g_assert_cmpstr (request->sha256, ==, checksum);
    }
}

/* The task's policy overrides the session's, both ways. */
static void
test_task_policy (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (3);
  g_autoptr(LadleRetryPolicy) never = fast_policy (1);
  g_autoptr(LadleSession) plain = session_with (NULL, NULL, NULL);
  g_autoptr(LadleSession) retrying = session_with (policy, NULL, NULL);
  g_autoptr(LadleDataTask) plain_task = data_task (plain, server, "/flaky?fail=1&key=a");
  g_autoptr(LadleDataTask) own = data_task (plain, server, "/flaky?fail=1&key=b");
  g_autoptr(LadleDataTask) off = data_task (retrying, server, "/flaky?fail=1&key=c");
  g_autoptr(LadleRetryPolicy) read_back = NULL;
  g_autoptr(Run) plain_run = run_new (plain_task);
  g_autoptr(Run) own_run = run_new (own);
  g_autoptr(Run) off_run = run_new (off);

  ladle_task_set_retry_policy (LADLE_TASK (own), policy);
  ladle_task_set_retry_policy (LADLE_TASK (off), never);
  read_back = ladle_task_dup_retry_policy (LADLE_TASK (off));
  g_assert_cmpuint (ladle_retry_policy_get_max_attempts (read_back), ==, 1);
  run_start (plain_run);
  run_start (own_run);
  run_start (off_run);
  run_wait (plain_run);
  run_wait (own_run);
  run_wait (off_run);

  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (plain_task)), ==, 503);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (own)), ==, 200);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (off)), ==, 503);
  g_assert_cmpstr (own_run->events->str, ==, "WT");
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 4);
}

static gboolean
has_retried (gpointer data)
{
  return ((Run *)data)->n_retries > 0;
}

/* Cancel ends the delay: the task completes cancelled at once, with no second request. */
static void
test_cancel_during_delay (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (3);
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(Run) run = NULL;
  gint64 cancelled;

  ladle_retry_policy_set_max_delay (policy, 60000);
  session = session_with (policy, NULL, NULL);
  task = data_task (session, server, "/flaky?fail=1&retry-after=30");
  run = run_new (task);
  run_start (run);
  ladle_test_wait_until (has_retried, run, 30, "the task announces a retry");
  g_assert_cmpuint (run->delays[0], ==, 30000);
  ladle_test_spin (100);
  g_assert_cmpint (ladle_task_get_wait_reason (LADLE_TASK (task)), ==, LADLE_TASK_WAIT_REASON_RETRY);
  cancelled = g_get_monotonic_time ();
  ladle_task_cancel (LADLE_TASK (task));
  run_wait (run);
  g_assert_cmpint (ladle_task_get_wait_reason (LADLE_TASK (task)), ==, LADLE_TASK_WAIT_REASON_NONE);

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (run->events->str, ==, "WT");
  g_assert_cmpint (run->finished - cancelled, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 1);
}

/* Suspend holds the delay: no request while suspended; resumed, the task retries. */
static void
test_suspend_during_delay (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (3);
  g_autoptr(LadleSession) session = session_with (policy, NULL, NULL);
  g_autoptr(LadleDataTask) task = data_task (session, server, "/flaky?fail=1&retry-after=1");
  g_autoptr(Run) run = run_new (task);

  run_start (run);
  ladle_test_wait_until (has_retried, run, 30, "the task announces a retry");
  ladle_task_suspend (LADLE_TASK (task));
  ladle_test_spin (1500);
  g_assert_false (run->done);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 1);

  ladle_task_resume (LADLE_TASK (task));
  run_wait (run);
  g_assert_no_error (run->error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 2);
}

/* Retries of downloads cut mid-body */

typedef struct
{
  char *tmp;
  char *state;
  char *destination;
} Dirs;

static void
dirs_init (Dirs *dirs)
{
  dirs->tmp = g_dir_make_tmp ("ladle-net-XXXXXX", NULL);
  dirs->state = g_build_filename (dirs->tmp, "state", NULL);
  dirs->destination = g_build_filename (dirs->tmp, "file", NULL);
}

static void
dirs_clear (Dirs *dirs)
{
  ladle_test_remove_tree (dirs->tmp);
  g_free (dirs->tmp);
  g_free (dirs->state);
  g_free (dirs->destination);
}

static LadleDownloadTask *
download_task (LadleSession    *session,
               LadleTestServer *server,
               const char      *path,
               const char      *destination)
{
  g_autofree char *uri = ladle_test_server_dup_uri (server, path);
  g_autoptr(GFile) file = g_file_new_for_path (destination);
  LadleDownloadTask *task = ladle_session_create_download_task_for_uri (session, uri);

  ladle_download_task_set_destination (task, file, LADLE_DESTINATION_FLAGS_NONE);

  return task;
}

/* Cut twice: the retries ask for the rest with Range and If-Range, from the right offsets, and
 * the file is whole. */
static void
test_download_range (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (4);
  Dirs dirs;
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 1000000);

  dirs_init (&dirs);
  debug_lines = g_ptr_array_new_with_free_func (g_free);
  session = session_with (policy, NULL, dirs.state);
  task = download_task (session, server, "/resource/1000000?drop=250000&drop-range=300000", dirs.destination);
  run = run_new (task);
  run_start (run);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "WRWRT");
  /* the order docs/events.md gives: each attempt has its response; resumed before progress;
   * progress never goes back when the partial file is continued */
  g_assert_cmpstr (run->order->str, ==, "SPWSRPWSRPT");
  g_assert_false (run->went_back);
  g_assert_error (run->whys[0], LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY);
  g_assert_cmpint (run->resumed[0], ==, 250000);
  g_assert_cmpint (run->resumed[1], ==, 550000);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 3);
  g_assert_null (ladle_test_server_get_request (server, 0)->range);
  g_assert_cmpstr (ladle_test_server_get_request (server, 1)->range, ==, "bytes=250000-");
  g_assert_cmpstr (ladle_test_server_get_request (server, 1)->if_range, ==, "\"v1-1000000\"");
  g_assert_cmpstr (ladle_test_server_get_request (server, 2)->range, ==, "bytes=550000-");
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, 1000000);
  checksum = ladle_test_checksum_file (dirs.destination);
  g_assert_cmpstr (checksum, ==, expected);
  g_assert_cmpuint (count_debug_lines ("continues from byte 250000"), ==, 1);
  {
    const guint statuses[] = { 200, 206, 206 };
    g_autoptr(LadleTaskMetrics) metrics = ladle_task_dup_metrics (LADLE_TASK (task));

    assert_transactions (LADLE_TASK (task), statuses, G_N_ELEMENTS (statuses));
    g_assert_cmpuint (ladle_transaction_metrics_get_response_body_bytes_received (ladle_task_metrics_get_transaction (metrics, 2)),
                      ==, 450000);
  }
  g_assert_cmpuint (count_debug_lines ("continues from byte 550000"), ==, 1);
  g_clear_pointer (&debug_lines, g_ptr_array_unref);
  dirs_clear (&dirs);
}

/* Ladle's own low-speed limit (G_IO_ERROR_TIMED_OUT) is retried too: a response that stalls
 * after 100000 bytes continues from there. */
static void
test_download_low_speed (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (3);
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  Dirs dirs;
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 400000);

  dirs_init (&dirs);
  ladle_session_configuration_set_retry_policy (configuration, policy);
  ladle_session_configuration_set_state_directory (configuration, dirs.state);
  ladle_session_configuration_set_low_speed_limit (configuration, 1000);
  ladle_session_configuration_set_low_speed_time (configuration, 1);
  session = ladle_session_new (configuration);
  task = download_task (session, server, "/resource/400000?stall=100000", dirs.destination);
  run = run_new (task);
  run_start (run);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "WRT");
  g_assert_error (run->whys[0], G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (run->resumed[0], ==, 100000);
  g_assert_cmpstr (ladle_test_server_get_request (server, 1)->range, ==, "bytes=100000-");
  checksum = ladle_test_checksum_file (dirs.destination);
  g_assert_cmpstr (checksum, ==, expected);
  dirs_clear (&dirs);
}

/* The resource changed between the attempts (another ETag): the 200 starts over from zero. */
static void
test_download_changed (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (4);
  Dirs dirs;
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(Run) run = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (2, 500000);

  dirs_init (&dirs);
  session = session_with (policy, NULL, dirs.state);
  task = download_task (session, server, "/resource/500000?drop=100000&changing=1", dirs.destination);
  run = run_new (task);
  run_start (run);
  run_wait (run);

  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "WRT");
  g_assert_cmpint (run->resumed[0], ==, 0);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 2);
  g_assert_cmpstr (ladle_test_server_get_request (server, 1)->range, ==, "bytes=100000-");
  g_assert_cmpstr (ladle_test_server_get_request (server, 1)->if_range, ==, "\"v1-500000\"");
  checksum = ladle_test_checksum_file (dirs.destination);
  g_assert_cmpstr (checksum, ==, expected);
  /* the old partial file went away: only the destination is left */
  ladle_test_assert_listing (dirs.tmp, "file state");
  {
    g_autofree char *downloads = g_build_filename (dirs.state, "downloads", NULL);

    ladle_test_assert_listing (downloads, "");
  }
  dirs_clear (&dirs);
}

/* Without a validator, the retry starts again from zero (no Range). */
static void
test_download_no_validator (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleRetryPolicy) policy = fast_policy (4);
  Dirs dirs;
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(Run) run = NULL;

  dirs_init (&dirs);
  session = session_with (policy, NULL, dirs.state);
  task = download_task (session, server, "/resource/300000?drop=100000&etag=none&lm=0", dirs.destination);
  run = run_new (task);
  run_start (run);
  ladle_test_wait_until (has_retried, run, 30, "the task retries");
  run_wait (run);

  g_assert_cmpuint (ladle_test_server_get_n_requests (server), >=, 2);
  g_assert_null (ladle_test_server_get_request (server, 1)->range);
  g_assert_null (ladle_test_server_get_request (server, 1)->if_range);
  /* every attempt is cut the same way: each starts from zero, and the last one fails */
  g_assert_error (run->error, LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 4);
  g_assert_cmpstr (run->events->str, ==, "WWWT");
  g_assert_false (g_file_test (dirs.destination, G_FILE_TEST_EXISTS));
  dirs_clear (&dirs);
}

/* Waiting for connectivity */

/* Without waits-for-connectivity, no network fails the task at once. */
static void
test_no_network_fails (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleTestMonitor) monitor = ladle_test_monitor_new (FALSE, FALSE);
  g_autoptr(LadleSession) session = session_with (NULL, G_NETWORK_MONITOR (monitor), NULL);
  g_autoptr(LadleDataTask) task = data_task (session, server, "/ok");
  g_autoptr(Run) run = run_new (task);

  run_start (run);
  run_wait (run);

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE);
  g_assert_cmpstr (run->events->str, ==, "T");
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 0);
}

/* With it, the task waits (announcing it once), sends nothing, and starts when the network
 * returns; the session's timeout does not run meanwhile. */
static void
test_waits_for_connectivity (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleTestMonitor) monitor = ladle_test_monitor_new (FALSE, FALSE);
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(Run) run = NULL;

  ladle_session_configuration_set_network_monitor (configuration, G_NETWORK_MONITOR (monitor));
  ladle_session_configuration_set_waits_for_connectivity (configuration, TRUE);
  ladle_session_configuration_set_timeout (configuration, 1);
  session = ladle_session_new (configuration);
  task = data_task (session, server, "/ok");
  run = run_new (task);

  debug_lines = g_ptr_array_new_with_free_func (g_free);
  run_start (run);
  ladle_test_spin (1500);
  g_assert_false (run->done);
  g_assert_cmpstr (run->events->str, ==, "C");
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 0);
  g_assert_cmpuint (count_debug_lines ("waiting for connectivity"), ==, 1);
  g_assert_cmpint (ladle_task_get_wait_reason (LADLE_TASK (task)), ==, LADLE_TASK_WAIT_REASON_CONNECTIVITY);

  /* suspended, it waits for the application, not the network; resumed, for the network again */
  ladle_task_suspend (LADLE_TASK (task));
  g_assert_cmpint (ladle_task_get_wait_reason (LADLE_TASK (task)), ==, LADLE_TASK_WAIT_REASON_NONE);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_spin (100);
  g_assert_cmpint (ladle_task_get_wait_reason (LADLE_TASK (task)), ==, LADLE_TASK_WAIT_REASON_CONNECTIVITY);

  /* still down (another notification): no second announcement */
  ladle_test_monitor_set_available (monitor, FALSE);
  ladle_test_spin (100);
  ladle_test_monitor_set_available (monitor, TRUE);
  run_wait (run);
  g_assert_cmpint (ladle_task_get_wait_reason (LADLE_TASK (task)), ==, LADLE_TASK_WAIT_REASON_NONE);

  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "CT");
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 1);
  g_clear_pointer (&debug_lines, g_ptr_array_unref);
}

/* The wait deadline: G_IO_ERROR_TIMED_OUT once it passes, with nothing sent. */
static void
test_connectivity_timeout (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleTestMonitor) monitor = ladle_test_monitor_new (FALSE, FALSE);
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(Run) run = NULL;

  ladle_session_configuration_set_network_monitor (configuration, G_NETWORK_MONITOR (monitor));
  ladle_session_configuration_set_waits_for_connectivity (configuration, TRUE);
  ladle_session_configuration_set_connectivity_timeout (configuration, 1);
  session = ladle_session_new (configuration);
  task = data_task (session, server, "/ok");
  run = run_new (task);
  run_start (run);
  run_wait (run);

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpstr (run->events->str, ==, "CT");
  g_assert_cmpint (run->finished - run->started, >=, 990 * 1000);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 0);
}

static void
network_goes_down (gpointer data)
{
  Run *run = data;

  ladle_test_monitor_set_available (run->data, FALSE);
}

/* A retry that comes while the network is down waits for it too. */
static void
test_retry_waits_for_connectivity (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleTestMonitor) monitor = ladle_test_monitor_new (TRUE, FALSE);
  g_autoptr(LadleRetryPolicy) policy = fast_policy (3);
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(Run) run = NULL;

  ladle_session_configuration_set_network_monitor (configuration, G_NETWORK_MONITOR (monitor));
  ladle_session_configuration_set_waits_for_connectivity (configuration, TRUE);
  ladle_session_configuration_set_retry_policy (configuration, policy);
  session = ladle_session_new (configuration);
  task = data_task (session, server, "/flaky?fail=1");
  run = run_new (task);
  run->on_retry = network_goes_down;
  run->data = monitor;
  run_start (run);
  ladle_test_wait_until (has_retried, run, 30, "the task retries");
  ladle_test_spin (300);
  g_assert_false (run->done);
  g_assert_cmpstr (run->events->str, ==, "WC");
  g_assert_cmpint (ladle_task_get_wait_reason (LADLE_TASK (task)), ==, LADLE_TASK_WAIT_REASON_CONNECTIVITY);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 1);

  ladle_test_monitor_set_available (monitor, TRUE);
  run_wait (run);
  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "WCT");
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 2);
}

/* Metered networks mid-transfer */

static gboolean
received_at_least (gpointer data)
{
  Run *run = data;

  return ladle_task_get_bytes_received (run->task) >= (gint64)GPOINTER_TO_SIZE (run->data);
}

/* A download running when the network becomes metered pauses (nothing more is asked for), and
 * continues with a Range request once it is unmetered; a data task that is receiving finishes. */
static void
test_metered_pauses_download (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleTestMonitor) monitor = ladle_test_monitor_new (TRUE, FALSE);
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleDataTask) data = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) data_run = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 1000000);
  Dirs dirs;

  dirs_init (&dirs);
  ladle_session_configuration_set_network_monitor (configuration, G_NETWORK_MONITOR (monitor));
  ladle_session_configuration_set_allow_metered (configuration, FALSE);
  ladle_session_configuration_set_state_directory (configuration, dirs.state);
  session = ladle_session_new (configuration);
  /* the first response stalls after 200000 bytes: the download is running, mid-body */
  task = download_task (session, server, "/resource/1000000?stall=200000", dirs.destination);
  data = data_task (session, server, "/slow?chunks=10&size=1000&interval=50");
  run = run_new (task);
  data_run = run_new (data);
  run->data = GSIZE_TO_POINTER (200000);
  data_run->data = GSIZE_TO_POINTER (1000);
  run_start (run);
  run_start (data_run);
  ladle_test_wait_until (received_at_least, run, 30, "the download has its first bytes");
  ladle_test_wait_until (received_at_least, data_run, 30, "the data task receives");

  debug_lines = g_ptr_array_new_with_free_func (g_free);
  ladle_test_monitor_set_metered (monitor, TRUE);
  run_wait (data_run);
  g_assert_no_error (data_run->error);
  g_assert_cmpuint (g_bytes_get_size (data_run->body), ==, 10000);
  ladle_test_spin (300);
  g_assert_false (run->done);
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (task)), ==, LADLE_TASK_STATE_RUNNING);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 2);
  g_assert_cmpuint (count_debug_lines ("the network became metered"), ==, 1);
  g_assert_cmpuint (count_debug_lines ("waiting for an unmetered network"), ==, 1);
  g_assert_cmpint (ladle_task_get_wait_reason (LADLE_TASK (task)), ==, LADLE_TASK_WAIT_REASON_UNMETERED_NETWORK);
  g_assert_cmpint (ladle_task_get_wait_reason (LADLE_TASK (data)), ==, LADLE_TASK_WAIT_REASON_NONE);

  ladle_test_monitor_set_metered (monitor, FALSE);
  run_wait (run);
  g_assert_cmpint (ladle_task_get_wait_reason (LADLE_TASK (task)), ==, LADLE_TASK_WAIT_REASON_NONE);
  g_assert_no_error (run->error);
  g_assert_cmpstr (run->events->str, ==, "RT");
  g_assert_cmpint (run->resumed[0], ==, 200000);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 3);
  g_assert_cmpstr (ladle_test_server_get_request (server, 2)->range, ==, "bytes=200000-");
  g_assert_cmpstr (ladle_test_server_get_request (server, 2)->if_range, ==, "\"v1-1000000\"");
  checksum = ladle_test_checksum_file (dirs.destination);
  g_assert_cmpstr (checksum, ==, expected);
  g_clear_pointer (&debug_lines, g_ptr_array_unref);
  dirs_clear (&dirs);
}

static void
resume_data_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GBytes **data = user_data;
  g_autoptr(GError) error = NULL;

  *data = ladle_download_task_cancel_producing_resume_data_finish (LADLE_DOWNLOAD_TASK (object), result, &error);
  g_assert_no_error (error);
  if (*data == NULL)
    *data = g_bytes_new (NULL, 0);
}

static gboolean
has_bytes (gpointer data)
{
  return *(GBytes **)data != NULL;
}

/* Cancelled with resume data while paused (or waiting for a retry): the partial file and the
 * resume data stay, and a new task continues from them. */
static void
test_metered_pause_keeps_resume_data (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleTestMonitor) monitor = ladle_test_monitor_new (TRUE, FALSE);
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleDownloadTask) resumed = NULL;
  g_autoptr(GBytes) resume_data = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) resumed_run = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 600000);
  Dirs dirs;

  dirs_init (&dirs);
  file = g_file_new_for_path (dirs.destination);
  ladle_session_configuration_set_network_monitor (configuration, G_NETWORK_MONITOR (monitor));
  ladle_session_configuration_set_allow_metered (configuration, FALSE);
  ladle_session_configuration_set_state_directory (configuration, dirs.state);
  session = ladle_session_new (configuration);
  task = download_task (session, server, "/resource/600000?stall=150000", dirs.destination);
  run = run_new (task);
  run->data = GSIZE_TO_POINTER (150000);
  run_start (run);
  ladle_test_wait_until (received_at_least, run, 30, "the download has its first bytes");
  ladle_test_monitor_set_metered (monitor, TRUE);
  ladle_test_spin (300);
  g_assert_false (run->done);

  ladle_download_task_cancel_producing_resume_data_async (task, G_PRIORITY_DEFAULT, NULL, resume_data_cb, &resume_data);
  ladle_test_wait_until (has_bytes, &resume_data, 30, "the resume data");
  run_wait (run);
  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (g_bytes_get_size (resume_data), >, 0);

  ladle_test_monitor_set_metered (monitor, FALSE);
  resumed = ladle_session_create_download_task_from_resume_data (session, resume_data, &error);
  g_assert_no_error (error);
  ladle_download_task_set_destination (resumed, file, LADLE_DESTINATION_FLAGS_NONE);
  resumed_run = run_new (resumed);
  run_start (resumed_run);
  run_wait (resumed_run);
  g_assert_no_error (resumed_run->error);
  g_assert_cmpint (resumed_run->resumed[0], ==, 150000);
  g_assert_cmpstr (ladle_test_server_get_last_request (server)->range, ==, "bytes=150000-");
  checksum = ladle_test_checksum_file (dirs.destination);
  g_assert_cmpstr (checksum, ==, expected);
  dirs_clear (&dirs);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("G_MESSAGES_DEBUG", "Ladle", TRUE);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add_func ("/Ladle/Net/policy/defaults", test_policy_defaults);
  g_test_add_func ("/Ladle/Net/retry/retry-after-seconds", test_retry_after_seconds);
  g_test_add_func ("/Ladle/Net/retry/retry-after-date", test_retry_after_date);
  g_test_add_func ("/Ladle/Net/retry/retry-after-capped", test_retry_after_capped);
  g_test_add_func ("/Ladle/Net/retry/veto", test_veto);
  g_test_add_func ("/Ladle/Net/retry/exhausted", test_exhausted);
  g_test_add_func ("/Ladle/Net/retry/post", test_post);
  g_test_add_func ("/Ladle/Net/retry/task-policy", test_task_policy);
  g_test_add_func ("/Ladle/Net/retry/streamed-put", test_streamed_put);
  g_test_add_func ("/Ladle/Net/retry/cancel-during-delay", test_cancel_during_delay);
  g_test_add_func ("/Ladle/Net/retry/suspend-during-delay", test_suspend_during_delay);
  g_test_add_func ("/Ladle/Net/download/range", test_download_range);
  g_test_add_func ("/Ladle/Net/download/changed", test_download_changed);
  g_test_add_func ("/Ladle/Net/download/low-speed", test_download_low_speed);
  g_test_add_func ("/Ladle/Net/download/no-validator", test_download_no_validator);
  g_test_add_func ("/Ladle/Net/connectivity/fails-at-once", test_no_network_fails);
  g_test_add_func ("/Ladle/Net/connectivity/waits", test_waits_for_connectivity);
  g_test_add_func ("/Ladle/Net/connectivity/timeout", test_connectivity_timeout);
  g_test_add_func ("/Ladle/Net/connectivity/retry-waits", test_retry_waits_for_connectivity);
  g_test_add_func ("/Ladle/Net/metered/pauses-download", test_metered_pauses_download);
  g_test_add_func ("/Ladle/Net/metered/pause-keeps-resume-data", test_metered_pause_keeps_resume_data);

  return g_test_run ();
}
