/* upload-ladle.c: one multipart upload with Ladle, timed, for bench/upload
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   ladle-bench-upload [--progress] [--response OUT] URL FILE
 *
 * POSTs FILE as the part "file" of a LadleMultipartForm with a LadleUploadTask (what `curl -F
 * file=@FILE URL` sends) and prints one JSON line:
 *
 *   {"status": 204, "bytes": 1073742000, "seconds": 0.61, "progress_events": 0}
 *
 * where "bytes" is the body size (the form's Content-Length, all of it sent) and "seconds" runs
 * from ladle_task_resume() to ::completed. With --progress, an ::upload-progress handler is
 * connected (it only counts). With --response, the response body is written to OUT (the
 * benchmark checks what a parsing server received this way). Exit status: 0 when the task
 * succeeded with a 2xx status, else 1.
 */

#include <stdio.h>
#include <string.h>

#include <ladle.h>

typedef struct
{
  GMainLoop *loop;
  gint64     started;
  gint64     finished;
  guint      progress_events;
  gboolean   failed;
} Bench;

static void
on_upload_progress (LadleTask *task,
                    gint64     sent_now,
                    gint64     total_sent,
                    gint64     total_expected,
                    gpointer   user_data)
{
  Bench *bench = user_data;

  bench->progress_events++;
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              gpointer      user_data)
{
  Bench *bench = user_data;

  bench->finished = g_get_monotonic_time ();
  if (error != NULL)
    {
      g_printerr ("ladle-bench-upload: %s\n", error->message);
      bench->failed = TRUE;
    }
  g_main_loop_quit (bench->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (LadleSessionConfiguration) configuration = NULL;
  g_autoptr (LadleSession) session = NULL;
  g_autoptr (LadleMultipartForm) form = NULL;
  g_autoptr (LadleUploadTask) task = NULL;
  g_autoptr (SoupMessage) request = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *response_path = NULL;
  gboolean progress = FALSE;
  GOptionEntry entries[] = {
    { "progress", 0, 0, G_OPTION_ARG_NONE, &progress, "Connect an upload-progress handler", NULL },
    { "response", 0, 0, G_OPTION_ARG_FILENAME, &response_path, "Write the response body to OUT", "OUT" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("URL FILE");
  Bench bench = { 0 };
  guint status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 3)
    {
      g_printerr ("Usage: ladle-bench-upload [--progress] [--response OUT] URL FILE\n");
      return 2;
    }

  request = soup_message_new (SOUP_METHOD_POST, argv[1]);
  if (request == NULL)
    {
      g_printerr ("ladle-bench-upload: invalid URL %s\n", argv[1]);
      return 2;
    }

  file = g_file_new_for_commandline_arg (argv[2]);
  form = ladle_multipart_form_new ();
  if (!ladle_multipart_form_append_file (form, "file", file, NULL, "application/octet-stream", NULL, &error))
    {
      g_printerr ("ladle-bench-upload: %s\n", error->message);
      return 1;
    }

  configuration = ladle_session_configuration_new_ephemeral ();
  session = ladle_session_new (configuration);
  task = ladle_session_create_upload_task_from_form (session, request, form);
  /* The sink answers 204 without a body; a parsing server's JSON is kept for --response. */

  loop = g_main_loop_new (NULL, FALSE);
  bench.loop = loop;
  if (progress)
    g_signal_connect (task, "upload-progress", G_CALLBACK (on_upload_progress), &bench);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), &bench);

  bench.started = g_get_monotonic_time ();
  ladle_task_resume (LADLE_TASK (task));
  g_main_loop_run (loop);
  g_signal_handlers_disconnect_by_data (task, &bench);

  status = ladle_task_get_status_code (LADLE_TASK (task));
  if (response_path != NULL)
    {
      g_autoptr (GBytes) body = ladle_data_task_dup_body (LADLE_DATA_TASK (task));

      if (!g_file_set_contents (response_path, body ? g_bytes_get_data (body, NULL) : "",
                                body ? (gssize) g_bytes_get_size (body) : 0, &error))
        {
          g_printerr ("ladle-bench-upload: %s\n", error->message);
          return 1;
        }
    }
  g_print ("{\"status\": %u, \"bytes\": %" G_GINT64_FORMAT ", \"sent\": %" G_GINT64_FORMAT
           ", \"seconds\": %.6f, \"progress_events\": %u}\n",
           status, ladle_multipart_form_get_content_length (form),
           ladle_task_get_bytes_sent (LADLE_TASK (task)),
           (bench.finished - bench.started) / (double) G_USEC_PER_SEC, bench.progress_events);

  return !bench.failed && status >= 200 && status < 300 ? 0 : 1;
}
