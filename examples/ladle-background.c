/* ladle-background.c: a download that survives a kill of its program
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   ladle-background --state-directory DIR [URL DESTINATION]
 *   ladle-background --transfer-service [URL DESTINATION]
 *
 * Makes the background session "demo" of the application org.gnome.Ladle.Example. With URL and
 * DESTINATION it starts downloading URL to DESTINATION in that session. Without them it only
 * makes the session again: every task recorded by an earlier run of the program — even one that
 * was killed with SIGKILL in the middle of a transfer — is back in the session, and the running
 * ones continue where their partial file stops; completions that an earlier run could not
 * deliver any more are delivered now. It exits once the session has nothing left to do.
 *
 * Standard output gets one line per event:
 *
 *   restored: task 1 "demo-100MiB.bin", 31457280 of 104857600 bytes
 *   started: task 1 "demo-100MiB.bin"
 *   finished: task 1 /tmp/out/demo-100MiB.bin
 *   completed: task 1 ok
 *   background events finished
 *
 * With --transfer-service the session's downloads run in ladle-transfer-service (the
 * configuration's use-transfer-service, docs/transfer-service.md) instead of this process: kill
 * the program, and the download goes on and finishes while no program runs; the next run gets
 * its completion. Without a state directory: the service keeps the session.
 *
 * Exit status: 0 when every task completed without a GError, 1 otherwise, 2 on bad usage, 3 when
 * the transfer service cannot be reached.
 */

#include <stdio.h>

#include <ladle.h>

typedef struct
{
  GMainLoop *loop;
  gboolean   events_finished;
  gboolean   failed;
} Demo;

static void
quit_when_idle (LadleSession *session,
                Demo         *demo)
{
  if (demo->events_finished && g_list_model_get_n_items (G_LIST_MODEL (session)) == 0)
    g_main_loop_quit (demo->loop);
}

static void
on_download_finished (LadleSession      *session,
                      LadleDownloadTask *task,
                      GFile             *location,
                      Demo              *demo)
{
  g_autofree char *path = g_file_get_path (location);

  printf ("finished: task %" G_GUINT64_FORMAT " %s\n", ladle_task_get_identifier (LADLE_TASK (task)), path);
}

static void
on_task_completed (LadleSession *session,
                   LadleTask    *task,
                   const GError *error,
                   Demo         *demo)
{
  if (error != NULL)
    demo->failed = TRUE;
  printf ("completed: task %" G_GUINT64_FORMAT " %s\n", ladle_task_get_identifier (task),
          error != NULL ? error->message : "ok");
  fflush (stdout);
  quit_when_idle (session, demo);
}

static void
on_events_finished (LadleSession *session,
                    Demo         *demo)
{
  printf ("background events finished\n");
  fflush (stdout);
  demo->events_finished = TRUE;
  quit_when_idle (session, demo);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *state_directory = NULL;
  gboolean transfer_service = FALSE;
  GOptionEntry entries[] = {
    { "state-directory", 0, 0, G_OPTION_ARG_FILENAME, &state_directory, "Where the session keeps its files", "DIR" },
    { "transfer-service", 0, 0, G_OPTION_ARG_NONE, &transfer_service, "Run the downloads in ladle-transfer-service", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[URL DESTINATION]");
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleSessionConfiguration) configuration = NULL;
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Demo demo = { .loop = loop };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      (state_directory == NULL && !transfer_service) || (argc != 1 && argc != 3))
    {
      fprintf (stderr, "usage: %s --state-directory DIR | --transfer-service [URL DESTINATION]\n",
               g_get_prgname ());
      return 2;
    }

  configuration = ladle_session_configuration_new_background ("demo");
  ladle_session_configuration_set_application_id (configuration, "org.gnome.Ladle.Example");
  if (state_directory != NULL)
    ladle_session_configuration_set_state_directory (configuration, state_directory);
  ladle_session_configuration_set_use_transfer_service (configuration, transfer_service);

  /* Everything an earlier run recorded is back before new() returns. Connect the session's
   * handlers now: the undelivered completions come from the main loop. new_sync() says whether
   * the transfer service could be reached (the application could fall back to an in-process
   * background session). */
  session = ladle_session_new_sync (configuration, NULL, &error);
  if (session == NULL)
    {
      fprintf (stderr, "%s: %s\n", g_get_prgname (), error->message);
      return 3;
    }
  g_signal_connect (session, "download-finished", G_CALLBACK (on_download_finished), &demo);
  g_signal_connect (session, "task-completed", G_CALLBACK (on_task_completed), &demo);
  g_signal_connect (session, "background-events-finished", G_CALLBACK (on_events_finished), &demo);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (session)); i++)
    {
      g_autoptr(LadleTask) task = g_list_model_get_item (G_LIST_MODEL (session), i);

      printf ("restored: task %" G_GUINT64_FORMAT " \"%s\", %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes\n",
              ladle_task_get_identifier (task), ladle_task_get_description (task),
              ladle_task_get_bytes_received (task), ladle_task_get_bytes_expected_to_receive (task));
    }

  if (argc == 3)
    {
      g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_for_uri (session, argv[1]);
      g_autoptr(GFile) destination = g_file_new_for_commandline_arg (argv[2]);
      g_autofree char *name = g_file_get_basename (destination);

      ladle_task_set_description (LADLE_TASK (task), name);
      ladle_download_task_set_destination (task, destination,
                                           LADLE_DESTINATION_FLAGS_REPLACE | LADLE_DESTINATION_FLAGS_CREATE_PARENTS);
      ladle_task_resume (LADLE_TASK (task));
      printf ("started: task %" G_GUINT64_FORMAT " \"%s\"\n", ladle_task_get_identifier (LADLE_TASK (task)), name);
    }
  fflush (stdout);

  g_main_loop_run (loop);

  return demo.failed ? 1 : 0;
}
