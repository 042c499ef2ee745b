/* ladle-download.c: download a URL to a file, pause it, resume it, check it
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   ladle-download [OPTIONS] URL DESTINATION
 *
 *   --pause-at PERCENT    when PERCENT % of the file has arrived, cancel the download producing
 *                         resume data, save the resume data to a file, read it back and go on
 *                         from it in a NEW task (as an application does after a restart)
 *   --new-session         resume in a new session (with the same state directory) rather than
 *                         in the same one
 *   --resume-data FILE    where the resume data is saved (default: DESTINATION.resume-data; it is
 *                         deleted once the download succeeded)
 *   --sha256 HEX          verify the SHA-256 of the downloaded file
 *   --state-directory DIR where the session keeps partial files (default: Ladle's, under
 *                         $XDG_STATE_HOME)
 *
 * A LadleDownloadTask streams the body into a partial file, then moves it atomically to
 * DESTINATION. A progress bar from ::download-progress is drawn on standard error; standard
 * output gets what happened, one "key: value" line per event:
 *
 *   status: 200 OK
 *   paused: 52494336 of 104857600 bytes
 *   resume-data: /tmp/file.resume-data (412 bytes)
 *   resumed: 52494336 of 104857600 bytes
 *   status: 206 Partial Content
 *   bytes: 104857600
 *   sha256: 6c4b...
 *   verified: yes
 *
 * The SHA-256 is computed by reading DESTINATION back from disk once the task completed.
 *
 * Exit status: 0 on success, 1 when a task failed with a GError, 2 on bad usage, 3 when the server
 * answered with an HTTP status of 400 or more, 4 when the SHA-256 differs from --sha256, 5 when
 * the download could not be paused (the server gave no validator or refused ranges). Ctrl-C
 * cancels.
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <ladle.h>

#define BAR_WIDTH 30

typedef struct
{
  GMainLoop                 *loop;
  LadleSessionConfiguration *configuration;
  LadleSession              *session;
  LadleDownloadTask         *task;
  GFile                     *destination;
  char                      *resume_data_path;
  const char                *expected_sha256;
  int                        pause_at;           /* percent, 0: never */
  gboolean                   new_session;
  gboolean                   pausing;
  gboolean                   paused;
  gboolean                   interactive;        /* stderr is a terminal: redraw one line */
  int                        last_tenth;         /* not a terminal: one line per 10 % */
  gboolean                   bar_drawn;
  char                      *last_line;          /* not a terminal: never print a line twice */
  int                        exit_status;
} Download;

static void start_task (Download *download, LadleDownloadTask *task);

static void
draw_progress (Download *download,
               gint64    received,
               gint64    expected,
               gboolean  last)
{
  g_autofree char *received_text = g_format_size ((guint64) received);
  g_autoptr (GString) line = g_string_new (NULL);

  if (expected > 0)
    {
      g_autofree char *expected_text = g_format_size ((guint64) expected);
      int percent = (int) (received * 100 / expected);
      int filled = (int) (received * BAR_WIDTH / expected);

      if (!download->interactive && !last)
        {
          if (percent / 10 == download->last_tenth)
            return;
          download->last_tenth = percent / 10;
        }

      g_string_append_c (line, '[');
      for (int i = 0; i < BAR_WIDTH; i++)
        g_string_append_c (line, i < filled ? '#' : '-');
      g_string_append_printf (line, "] %3d%%  %s / %s", percent, received_text, expected_text);
    }
  else
    {
      /* No Content-Length: only the count is known. */
      if (!download->interactive && !last)
        return;
      g_string_append_printf (line, "[%*s]  %s", BAR_WIDTH, "", received_text);
    }

  if (download->interactive)
    fprintf (stderr, "\r%s\033[K%s", line->str, last ? "\n" : "");
  else if (g_strcmp0 (line->str, download->last_line) != 0)
    fprintf (stderr, "%s\n", line->str);
  g_free (download->last_line);
  download->last_line = g_strdup (line->str);
  fflush (stderr);
  download->bar_drawn = TRUE;
}

static char *
file_sha256 (GFile   *file,
             gint64  *size,
             GError **error)
{
  g_autoptr (GFileInputStream) stream = g_file_read (file, NULL, error);
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = NULL;
  gssize n;

  if (stream == NULL)
    return NULL;

  buffer = g_malloc (1024 * 1024);
  *size = 0;
  while ((n = g_input_stream_read (G_INPUT_STREAM (stream), buffer, 1024 * 1024, NULL, error)) > 0)
    {
      g_checksum_update (checksum, buffer, n);
      *size += n;
    }
  if (n < 0)
    return NULL;

  return g_strdup (g_checksum_get_string (checksum));
}

/* The second half: the resume data, saved and read back from disk, makes a new task. */
static void
resume_from_saved_data (Download *download)
{
  g_autoptr (LadleDownloadTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GBytes) resume_data = NULL;
  gsize length = 0;

  if (!g_file_get_contents (download->resume_data_path, &contents, &length, &error))
    {
      g_printerr ("ladle-download: cannot read the resume data: %s\n", error->message);
      download->exit_status = 1;
      g_main_loop_quit (download->loop);
      return;
    }
  resume_data = g_bytes_new_take (g_steal_pointer (&contents), length);

  if (download->new_session)
    {
      /* Another session finds the partial file through the same state directory. */
      ladle_session_finish_tasks_and_invalidate (download->session);
      g_clear_object (&download->session);
      download->session = ladle_session_new (download->configuration);
    }

  task = ladle_session_create_download_task_from_resume_data (download->session, resume_data, &error);
  if (task == NULL)
    {
      g_printerr ("ladle-download: cannot resume: %s\n", error->message);
      download->exit_status = 1;
      g_main_loop_quit (download->loop);
      return;
    }

  start_task (download, task);
}

static void
on_resume_data (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Download *download = user_data;
  LadleDownloadTask *task = LADLE_DOWNLOAD_TASK (object);
  g_autoptr (GBytes) resume_data = NULL;
  g_autoptr (GError) error = NULL;

  /* The paused task has completed (cancelled) before this callback runs. */
  resume_data = ladle_download_task_cancel_producing_resume_data_finish (task, result, &error);
  if (resume_data == NULL)
    {
      if (error != NULL)
        g_printerr ("ladle-download: %s\n", error->message);
      else
        g_printerr ("ladle-download: the server does not let this download be resumed "
                    "(no ETag or Last-Modified, or no ranges)\n");
      download->exit_status = error != NULL ? 1 : 5;
      g_main_loop_quit (download->loop);
      return;
    }

  /* An application would keep this across a restart: on disk. */
  if (!g_file_set_contents (download->resume_data_path, g_bytes_get_data (resume_data, NULL),
                            (gssize) g_bytes_get_size (resume_data), &error))
    {
      g_printerr ("ladle-download: cannot save the resume data: %s\n", error->message);
      download->exit_status = 1;
      g_main_loop_quit (download->loop);
      return;
    }
  g_print ("resume-data: %s (%" G_GSIZE_FORMAT " bytes)\n",
           download->resume_data_path, g_bytes_get_size (resume_data));

  resume_from_saved_data (download);
}

static LadleResponseDisposition
on_response (LadleTask   *task,
             SoupMessage *message,
             gpointer     user_data)
{
  g_print ("status: %u %s\n",
           soup_message_get_status (message),
           soup_message_get_reason_phrase (message));

  return LADLE_RESPONSE_DISPOSITION_ALLOW;
}

static void
on_resumed (LadleDownloadTask *task,
            gint64             offset,
            gint64             expected_total,
            gpointer           user_data)
{
  if (offset == 0)
    g_print ("resumed: from the start (the server sent the whole file again)\n");
  else
    g_print ("resumed: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes\n", offset, expected_total);
}

static void
on_download_progress (LadleTask *task,
                      gint64     received_now,
                      gint64     total_received,
                      gint64     total_expected,
                      gpointer   user_data)
{
  Download *download = user_data;

  draw_progress (download, total_received, total_expected, FALSE);

  if (download->pause_at > 0 && !download->pausing && total_expected > 0 &&
      total_received < total_expected &&
      total_received * 100 >= total_expected * download->pause_at)
    {
      download->pausing = TRUE;
      if (download->interactive)
        fputc ('\n', stderr);
      /* Completes the task with G_IO_ERROR_CANCELLED, then gives the resume data. */
      ladle_download_task_cancel_producing_resume_data_async (LADLE_DOWNLOAD_TASK (task),
                                                              G_PRIORITY_DEFAULT, NULL,
                                                              on_resume_data, download);
    }
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              gpointer      user_data)
{
  Download *download = user_data;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *sha256 = NULL;
  gint64 size = 0;
  guint status;

  if (download->pausing && !download->paused)
    {
      /* The pause: what the task counted when it was cancelled is what its resume data holds
       * (a few bytes more than the last progress report, maybe). on_resume_data goes on. */
      download->paused = TRUE;
      g_print ("paused: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes\n",
               ladle_task_get_bytes_received (task), ladle_task_get_bytes_expected_to_receive (task));
      return;
    }

  if (download->bar_drawn)
    draw_progress (download, ladle_task_get_bytes_received (task),
                   ladle_task_get_bytes_expected_to_receive (task), TRUE);

  if (error != NULL)
    {
      g_printerr ("ladle-download: %s (%s, %d)\n",
                  error->message, g_quark_to_string (error->domain), error->code);
      download->exit_status = 1;
      g_main_loop_quit (download->loop);
      return;
    }

  status = ladle_task_get_status_code (task);
  if (status >= 400)
    {
      g_printerr ("ladle-download: the server answered %u %s\n", status, soup_status_get_phrase (status));
      download->exit_status = 3;
      g_main_loop_quit (download->loop);
      return;
    }

  /* Read back what is on disk: the check does not trust the transfer. */
  sha256 = file_sha256 (download->destination, &size, &local_error);
  if (sha256 == NULL)
    {
      g_printerr ("ladle-download: cannot read the downloaded file: %s\n", local_error->message);
      download->exit_status = 1;
      g_main_loop_quit (download->loop);
      return;
    }

  g_print ("bytes: %" G_GINT64_FORMAT "\n", size);
  g_print ("sha256: %s\n", sha256);
  download->exit_status = 0;
  if (download->expected_sha256 != NULL)
    {
      if (g_ascii_strcasecmp (sha256, download->expected_sha256) == 0)
        g_print ("verified: yes\n");
      else
        {
          g_print ("verified: NO (expected %s)\n", download->expected_sha256);
          download->exit_status = 4;
        }
    }
  if (download->paused)
    g_unlink (download->resume_data_path);

  g_main_loop_quit (download->loop);
}

static void
start_task (Download          *download,
            LadleDownloadTask *task)
{
  if (download->task != NULL)
    g_signal_handlers_disconnect_by_data (download->task, download);
  g_set_object (&download->task, task);
  ladle_download_task_set_destination (task, download->destination,
                                       LADLE_DESTINATION_FLAGS_REPLACE |
                                       LADLE_DESTINATION_FLAGS_CREATE_PARENTS);

  g_signal_connect (task, "response", G_CALLBACK (on_response), download);
  g_signal_connect (task, "resumed", G_CALLBACK (on_resumed), download);
  g_signal_connect (task, "download-progress", G_CALLBACK (on_download_progress), download);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), download);

  /* Every task starts suspended. */
  ladle_task_resume (LADLE_TASK (task));
}

static gboolean
on_interrupt (gpointer user_data)
{
  Download *download = user_data;

  /* ::completed follows with G_IO_ERROR_CANCELLED and quits the loop. */
  download->pause_at = 0;
  if (download->task != NULL)
    ladle_task_cancel (LADLE_TASK (download->task));

  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  int pause_at = 0;
  gboolean new_session = FALSE;
  g_autofree char *resume_data_path = NULL;
  g_autofree char *expected_sha256 = NULL;
  g_autofree char *state_directory = NULL;
  GOptionEntry entries[] = {
    { "pause-at", 0, 0, G_OPTION_ARG_INT, &pause_at, "Pause at PERCENT % and resume from resume data", "PERCENT" },
    { "new-session", 0, 0, G_OPTION_ARG_NONE, &new_session, "Resume in a new session", NULL },
    { "resume-data", 0, 0, G_OPTION_ARG_FILENAME, &resume_data_path, "Where to save the resume data", "FILE" },
    { "sha256", 0, 0, G_OPTION_ARG_STRING, &expected_sha256, "Verify the file's SHA-256", "HEX" },
    { "state-directory", 0, 0, G_OPTION_ARG_FILENAME, &state_directory, "Where partial files are kept", "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LadleSessionConfiguration) configuration = NULL;
  g_autoptr (LadleSession) session = NULL;
  g_autoptr (LadleDownloadTask) task = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GFile) destination = NULL;
  Download download = { 0 };
  guint interrupt_id;

  context = g_option_context_new ("URL DESTINATION - download a URL to a file");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ladle-download: %s\n", error->message);
      return 2;
    }
  if (argc != 3 || pause_at < 0 || pause_at > 99 ||
      (expected_sha256 != NULL && strlen (expected_sha256) != 64))
    {
      g_printerr ("Usage: ladle-download [--pause-at PERCENT (1-99)] [--new-session] [--resume-data FILE]\n"
                  "                      [--sha256 HEX] [--state-directory DIR] URL DESTINATION\n");
      return 2;
    }

  destination = g_file_new_for_commandline_arg (argv[2]);
  if (resume_data_path == NULL)
    resume_data_path = g_strconcat (g_file_peek_path (destination), ".resume-data", NULL);

  /* A default session: partial files live in its state directory, which a new session (or a
   * new run of the program) finds again. An ephemeral session would keep them in a private
   * directory removed with the session. */
  configuration = ladle_session_configuration_new_default ();
  if (state_directory != NULL)
    ladle_session_configuration_set_state_directory (configuration, state_directory);
  session = ladle_session_new (configuration);
  /* A URL that is not http or https still makes a task: it completes with an error. */
  task = ladle_session_create_download_task_for_uri (session, argv[1]);

  loop = g_main_loop_new (NULL, FALSE);
  download.loop = loop;
  download.configuration = configuration;
  download.session = g_object_ref (session);
  download.destination = destination;
  download.resume_data_path = resume_data_path;
  download.expected_sha256 = expected_sha256;
  download.pause_at = pause_at;
  download.new_session = new_session;
  download.interactive = isatty (STDERR_FILENO);
  download.last_tenth = -1;
  download.exit_status = 1;

  interrupt_id = g_unix_signal_add (SIGINT, on_interrupt, &download);
  start_task (&download, task);
  g_main_loop_run (loop);

  g_source_remove (interrupt_id);
  if (download.task != NULL)
    g_signal_handlers_disconnect_by_data (download.task, &download);
  g_clear_object (&download.task);
  g_clear_object (&download.session);
  g_free (download.last_line);

  return download.exit_status;
}
