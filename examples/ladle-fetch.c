/* ladle-fetch.c: fetch a URL with a LadleDataTask and show its progress
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   ladle-fetch URL
 *
 * The body is not kept: each chunk from ::data-received goes into a SHA-256 checksum. A progress bar
 * from ::download-progress is drawn on standard error; standard output gets three lines:
 *
 *   status: 200 OK
 *   bytes: 1048576
 *   sha256: 6c4b...
 *
 * Exit status: 0 on success, 1 when the task failed with a GError, 2 on bad usage, 3 when the
 * server answered with an HTTP status of 400 or more (which is not a GError: the body is still
 * received and counted). Ctrl-C cancels the task.
 */

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <glib-unix.h>
#include <ladle.h>

#define BAR_WIDTH 30

typedef struct
{
  GMainLoop *loop;
  LadleTask *task;
  GChecksum *checksum;
  gint64     bytes;
  gboolean   interactive;     /* stderr is a terminal: redraw one line */
  int        last_tenth;      /* not a terminal: one line per 10 % */
  gboolean   bar_drawn;
  char      *last_line;       /* not a terminal: never print the same line twice */
  int        exit_status;
} Fetch;

static void
draw_progress (Fetch    *fetch,
               gint64    received,
               gint64    expected,
               gboolean  last)
{
  g_autofree char *received_text = g_format_size ((guint64) received);
  g_autoptr (GString) line = g_string_new (NULL);

  if (expected >= 0)
    {
      g_autofree char *expected_text = g_format_size ((guint64) expected);
      int percent = expected > 0 ? (int) (received * 100 / expected) : 100;
      int filled = expected > 0 ? (int) (received * BAR_WIDTH / expected) : BAR_WIDTH;

      if (!fetch->interactive && !last)
        {
          if (percent / 10 == fetch->last_tenth)
            return;
          fetch->last_tenth = percent / 10;
        }

      g_string_append_c (line, '[');
      for (int i = 0; i < BAR_WIDTH; i++)
        g_string_append_c (line, i < filled ? '#' : '-');
      g_string_append_printf (line, "] %3d%%  %s / %s", percent, received_text, expected_text);
    }
  else
    {
      /* No Content-Length: only the count is known. */
      if (!fetch->interactive && !last)
        return;
      g_string_append_printf (line, "[%*s]  %s", BAR_WIDTH, "", received_text);
    }

  if (fetch->interactive)
    fprintf (stderr, "\r%s\033[K", line->str);
  else if (g_strcmp0 (line->str, fetch->last_line) != 0)
    fprintf (stderr, "%s\n", line->str);
  g_free (fetch->last_line);
  fetch->last_line = g_strdup (line->str);
  fflush (stderr);
  fetch->bar_drawn = TRUE;
}

static LadleResponseDisposition
on_response (LadleTask   *task,
             SoupMessage *message,
             gpointer     user_data)
{
  /* Headers are in, the body follows; a handler could refuse it here. */
  g_print ("status: %u %s\n",
           soup_message_get_status (message),
           soup_message_get_reason_phrase (message));

  return LADLE_RESPONSE_DISPOSITION_ALLOW;
}

static void
on_data_received (LadleDataTask *task,
                  GBytes        *chunk,
                  gpointer       user_data)
{
  Fetch *fetch = user_data;
  gsize size;
  const guint8 *data = g_bytes_get_data (chunk, &size);

  g_checksum_update (fetch->checksum, data, (gssize) size);
  fetch->bytes += (gint64) size;
}

static void
on_download_progress (LadleTask *task,
                      gint64     received_now,
                      gint64     total_received,
                      gint64     total_expected,
                      gpointer   user_data)
{
  draw_progress (user_data, total_received, total_expected, FALSE);
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              gpointer      user_data)
{
  Fetch *fetch = user_data;
  guint status;

  if (fetch->bar_drawn || error == NULL)
    {
      draw_progress (fetch, fetch->bytes, ladle_task_get_bytes_expected_to_receive (task), TRUE);
      if (fetch->interactive)
        fputc ('\n', stderr);
    }

  if (error != NULL)
    {
      g_printerr ("ladle-fetch: %s (%s, %d)\n",
                  error->message, g_quark_to_string (error->domain), error->code);
      fetch->exit_status = 1;
    }
  else
    {
      status = ladle_task_get_status_code (task);
      g_print ("bytes: %" G_GINT64_FORMAT "\n", fetch->bytes);
      g_print ("sha256: %s\n", g_checksum_get_string (fetch->checksum));

      if (status >= 400)
        {
          g_printerr ("ladle-fetch: the server answered %u %s\n", status, soup_status_get_phrase (status));
          fetch->exit_status = 3;
        }
      else
        fetch->exit_status = 0;
    }

  g_main_loop_quit (fetch->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  Fetch *fetch = user_data;

  /* ::completed follows with G_IO_ERROR_CANCELLED and quits the loop. */
  ladle_task_cancel (fetch->task);

  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (LadleSessionConfiguration) configuration = NULL;
  g_autoptr (LadleSession) session = NULL;
  g_autoptr (LadleDataTask) task = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GChecksum) checksum = NULL;
  Fetch fetch = { 0 };
  guint interrupt_id;

  if (argc != 2)
    {
      g_printerr ("Usage: ladle-fetch URL\n");
      return 2;
    }

  configuration = ladle_session_configuration_new_ephemeral ();
  session = ladle_session_new (configuration);
  /* A URL that is not http or https still makes a task: it completes with a G_IO_ERROR. */
  task = ladle_session_create_data_task_for_uri (session, argv[1]);

  /* Chunks are hashed as they arrive instead of being kept. */
  ladle_data_task_set_accumulate (task, FALSE);

  loop = g_main_loop_new (NULL, FALSE);
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  fetch.loop = loop;
  fetch.task = LADLE_TASK (task);
  fetch.checksum = checksum;
  fetch.interactive = isatty (STDERR_FILENO);
  fetch.last_tenth = -1;
  fetch.exit_status = 1;

  g_signal_connect (task, "response", G_CALLBACK (on_response), &fetch);
  g_signal_connect (task, "data-received", G_CALLBACK (on_data_received), &fetch);
  g_signal_connect (task, "download-progress", G_CALLBACK (on_download_progress), &fetch);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), &fetch);
  interrupt_id = g_unix_signal_add (SIGINT, on_interrupt, &fetch);

  /* Every task starts suspended. */
  ladle_task_resume (LADLE_TASK (task));
  g_main_loop_run (loop);

  g_source_remove (interrupt_id);
  g_free (fetch.last_line);

  return fetch.exit_status;
}
