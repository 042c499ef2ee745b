/* requests-ladle.c: many small GETs with LadleDataTask, timed, for bench/requests
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   ladle-bench-requests [--ca FILE] [--count N] [--in-flight C] URL
 *   ladle-bench-requests [--ca FILE] --queue N URL
 *
 * The first form GETs URL N times (default 10000), one LadleDataTask per request
 * (ladle_session_create_data_task_for_uri, ladle_task_resume, wait for ::completed), keeping C
 * tasks in flight (default 1: sequential). It prints one JSON line:
 *
 *   {"requests": N, "failed": 0, "bytes": B, "seconds": S, "http_version": "1.1"}
 *
 * where seconds runs from the first resume to the last ::completed, and a request failed when
 * its task failed or its status was not 200.
 *
 * The second form measures what queuing costs: after one warm-up request (connection open, types
 * registered), it creates and resumes N tasks at once, then runs the main loop until all have
 * completed, and prints
 *
 *   {"n": N, "queue_seconds": Q, "total_seconds": T, "rss_before_kib": A, "rss_queued_kib": B,
 *    "hwm_kib": H, "failed": 0}
 *
 * queue_seconds is the time of the create + resume loop, total_seconds from its start to the
 * last ::completed, rss_* are VmRSS before the loop and right after it, hwm_kib is VmHWM at the
 * end. With --ca, the session trusts the CAs of FILE (PEM) only.
 *
 * Only the public API (ladle.h) is used, so that the program measures whatever engine the
 * library has.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ladle.h>

typedef struct
{
  GMainLoop    *loop;
  LadleSession *session;
  const char   *uri;
  guint         count;
  guint         started;
  guint         completed;
  guint         failed;
  gint64        bytes;
  SoupHTTPVersion http_version;
} Bench;

static void start_one (Bench *bench);

static gint64
proc_status_kib (const char *field)
{
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &contents, NULL, NULL))
    return -1;
  line = strstr (contents, field);
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen (field), NULL, 10);
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              gpointer      user_data)
{
  Bench *bench = user_data;
  SoupMessage *message;

  if (error != NULL || ladle_task_get_status_code (task) != 200)
    bench->failed++;
  bench->bytes += ladle_task_get_bytes_received (task);
  message = ladle_task_get_current_request (task);
  if (message != NULL)
    bench->http_version = soup_message_get_http_version (message);
  bench->completed++;
  g_signal_handlers_disconnect_by_data (task, bench);

  if (bench->started < bench->count)
    start_one (bench);
  else if (bench->completed == bench->count)
    g_main_loop_quit (bench->loop);
}

static void
start_one (Bench *bench)
{
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (bench->session, bench->uri);

  bench->started++;
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), bench);
  ladle_task_resume (LADLE_TASK (task));
  /* The session holds the task until it has completed. */
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(LadleSessionConfiguration) configuration = NULL;
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(GError) error = NULL;
  const char *ca = NULL;
  guint count = 10000, in_flight = 1, queue = 0;
  Bench bench = { 0, };
  gint64 start, end;
  int i;

  for (i = 1; i < argc - 1; i++)
    {
      if (g_str_equal (argv[i], "--ca"))
        ca = argv[++i];
      else if (g_str_equal (argv[i], "--count"))
        count = atoi (argv[++i]);
      else if (g_str_equal (argv[i], "--in-flight"))
        in_flight = atoi (argv[++i]);
      else if (g_str_equal (argv[i], "--queue"))
        queue = atoi (argv[++i]);
      else
        break;
    }
  if (i != argc - 1 || count == 0 || in_flight == 0)
    {
      g_printerr ("usage: %s [--ca FILE] [--count N] [--in-flight C] URL\n"
                  "       %s [--ca FILE] --queue N URL\n", argv[0], argv[0]);
      return 2;
    }

  configuration = ladle_session_configuration_new_ephemeral ();
  /* Like for like: the libsoup loop it is compared with has no HTTP cache (an ephemeral
   * session's 10 MiB cache would store every response on a worker thread, and may answer from
   * it). LADLE_BENCH_CACHE=1 keeps the default, to measure what the cache costs. */
  if (g_strcmp0 (g_getenv ("LADLE_BENCH_CACHE"), "1") != 0)
    ladle_session_configuration_set_cache_size (configuration, 0);
  if (ca != NULL)
    {
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca, &error);

      if (database == NULL)
        {
          g_printerr ("%s: %s\n", ca, error->message);
          return 1;
        }
      ladle_session_configuration_set_tls_database (configuration, database);
    }
  session = ladle_session_new (configuration);

  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.session = session;
  bench.uri = argv[argc - 1];

  if (queue > 0)
    {
      gint64 rss_before, rss_queued, queued;
      guint n;

      /* Warm-up: the connection (and the TLS handshake), the types, the first allocations. */
      bench.count = 1;
      start_one (&bench);
      g_main_loop_run (bench.loop);

      bench.count = 1 + queue;
      rss_before = proc_status_kib ("VmRSS:");
      start = g_get_monotonic_time ();
      for (n = 0; n < queue; n++)
        start_one (&bench);
      queued = g_get_monotonic_time ();
      rss_queued = proc_status_kib ("VmRSS:");
      g_main_loop_run (bench.loop);
      end = g_get_monotonic_time ();

      printf ("{\"n\": %u, \"queue_seconds\": %.6f, \"total_seconds\": %.6f, \"rss_before_kib\": %"
              G_GINT64_FORMAT ", \"rss_queued_kib\": %" G_GINT64_FORMAT ", \"hwm_kib\": %" G_GINT64_FORMAT
              ", \"failed\": %u}\n",
              queue, (queued - start) / 1e6, (end - start) / 1e6, rss_before, rss_queued,
              proc_status_kib ("VmHWM:"), bench.failed);
    }
  else
    {
      bench.count = count;
      start = g_get_monotonic_time ();
      for (guint n = 0; n < in_flight && n < count; n++)
        start_one (&bench);
      g_main_loop_run (bench.loop);
      end = g_get_monotonic_time ();

      printf ("{\"requests\": %u, \"failed\": %u, \"bytes\": %" G_GINT64_FORMAT ", \"seconds\": %.6f, "
              "\"http_version\": \"%s\"}\n",
              bench.completed, bench.failed, bench.bytes, (end - start) / 1e6,
              bench.http_version == SOUP_HTTP_2_0 ? "2" : bench.http_version == SOUP_HTTP_1_1 ? "1.1" : "1.0");
    }

  g_main_loop_unref (bench.loop);
  return bench.failed == 0 ? 0 : 1;
}
