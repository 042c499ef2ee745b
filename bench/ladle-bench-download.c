/* ladle-bench-download.c: one download with LadleDownloadTask, timed
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   ladle-bench-download [--progress] URL OUTPUT
 *
 * Downloads URL to OUTPUT (moved there with REPLACE from the session's partial directory, a
 * temporary state directory next to OUTPUT) and prints one JSON line:
 *
 *   {"bytes": N, "seconds": S, "progress_events": E}
 *
 * seconds runs from ladle_task_resume() to ::completed. With --progress a download-progress
 * handler is connected (it only counts). Exit status 1 when the task fails.
 */

#include <glib/gstdio.h>
#include <ladle.h>
#include <stdio.h>

typedef struct
{
  GMainLoop *loop;
  GError    *error;
  guint      progress_events;
  gint64     received;
} Bench;

static void
progress_cb (LadleTask *task,
             gint64     received_now,
             gint64     total_received,
             gint64     total_expected,
             Bench     *bench)
{
  bench->progress_events++;
  bench->received = total_received;
}

static void
completed_cb (LadleTask    *task,
              const GError *error,
              Bench        *bench)
{
  if (error != NULL)
    bench->error = g_error_copy (error);
  g_main_loop_quit (bench->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(LadleSessionConfiguration) configuration = NULL;
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(GFile) output = NULL;
  g_autoptr(GFile) parent = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *downloads_dir = NULL;
  gboolean with_progress = FALSE;
  Bench bench = { 0, };
  gint64 start, end;
  int first = 1;

  if (argc > 1 && g_str_equal (argv[1], "--progress"))
    {
      with_progress = TRUE;
      first = 2;
    }
  if (argc - first != 2)
    {
      g_printerr ("usage: %s [--progress] URL OUTPUT\n", argv[0]);
      return 2;
    }

  output = g_file_new_for_commandline_arg (argv[first + 1]);
  parent = g_file_get_parent (output);
  state_dir = g_build_filename (g_file_peek_path (parent), ".ladle-bench-XXXXXX", NULL);
  if (g_mkdtemp (state_dir) == NULL)
    {
      g_printerr ("cannot create a state directory next to %s\n", argv[first + 1]);
      return 1;
    }
  downloads_dir = g_build_filename (state_dir, "downloads", NULL);

  configuration = ladle_session_configuration_new_ephemeral ();
  ladle_session_configuration_set_state_directory (configuration, state_dir);
  session = ladle_session_new (configuration);
  task = ladle_session_create_download_task_for_uri (session, argv[first]);
  ladle_download_task_set_destination (task, output, LADLE_DESTINATION_FLAGS_REPLACE);

  bench.loop = g_main_loop_new (NULL, FALSE);
  if (with_progress)
    g_signal_connect (task, "download-progress", G_CALLBACK (progress_cb), &bench);
  g_signal_connect (task, "completed", G_CALLBACK (completed_cb), &bench);

  start = g_get_monotonic_time ();
  ladle_task_resume (LADLE_TASK (task));
  g_main_loop_run (bench.loop);
  end = g_get_monotonic_time ();

  g_rmdir (downloads_dir);
  g_rmdir (state_dir);
  g_main_loop_unref (bench.loop);

  if (bench.error != NULL)
    {
      g_printerr ("download failed: %s\n", bench.error->message);
      g_error_free (bench.error);
      return 1;
    }

  printf ("{\"bytes\": %" G_GINT64_FORMAT ", \"seconds\": %.6f, \"progress_events\": %u}\n",
          ladle_task_get_bytes_received (LADLE_TASK (task)), (end - start) / 1e6, bench.progress_events);
  return 0;
}
