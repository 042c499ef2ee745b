/* requests-soup.c: the same small GETs with plain libsoup, timed, for bench/requests
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   soup-bench-requests [--ca FILE] [--count N] [--in-flight C] URL
 *   soup-bench-requests [--ca FILE] --queue N URL
 *
 * What an application would write without Ladle: one SoupMessage per request, content decoder
 * disabled, soup_session_send_and_read_async(), C requests in flight. The session has the
 * connection limits Ladle's session sets (lib/ladle-session.c, constructed(): max-conns-per-host
 * 6 by default, max-conns MAX (10, 2 × that) = 12, timeout 60 s); with --ca its tls-database is a
 * GTlsFileDatabase of FILE. The output is that of requests-ladle.c (see there), so that
 * bench/requests can compare them line by line.
 */

#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONNS_PER_HOST 6

typedef struct
{
  GMainLoop       *loop;
  SoupSession     *session;
  const char      *uri;
  guint            count;
  guint            started;
  guint            completed;
  guint            failed;
  gint64           bytes;
  SoupHTTPVersion  http_version;
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
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Bench *bench = user_data;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (body == NULL || soup_message_get_status (message) != SOUP_STATUS_OK)
    bench->failed++;
  if (body != NULL)
    bench->bytes += g_bytes_get_size (body);
  bench->http_version = soup_message_get_http_version (message);
  bench->completed++;

  if (bench->started < bench->count)
    start_one (bench);
  else if (bench->completed == bench->count)
    g_main_loop_quit (bench->loop);
}

static void
start_one (Bench *bench)
{
  g_autoptr(SoupMessage) message = soup_message_new ("GET", bench->uri);

  bench->started++;
  soup_message_disable_feature (message, SOUP_TYPE_CONTENT_DECODER);
  soup_session_send_and_read_async (bench->session, message, G_PRIORITY_DEFAULT, NULL, read_cb, bench);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SoupSession) session = NULL;
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

  session = g_object_new (SOUP_TYPE_SESSION,
                          "timeout", 60,
                          "max-conns-per-host", MAX_CONNS_PER_HOST,
                          "max-conns", MAX (10, 2 * MAX_CONNS_PER_HOST),
                          NULL);
  if (ca != NULL)
    {
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca, &error);

      if (database == NULL)
        {
          g_printerr ("%s: %s\n", ca, error->message);
          return 1;
        }
      g_object_set (session, "tls-database", database, NULL);
    }

  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.session = session;
  bench.uri = argv[argc - 1];

  if (queue > 0)
    {
      gint64 rss_before, rss_queued, queued;
      guint n;

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
