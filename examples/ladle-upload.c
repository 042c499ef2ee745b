/* ladle-upload.c: upload files as a multipart form and show the upload progress
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   ladle-upload [OPTIONS] URL FILE...
 *
 *   --name NAME           the form field of the files (default: file)
 *   --field NAME=VALUE    a text field, sent before the files (may be repeated)
 *   --user USER           answer an authentication request (Basic or Digest) with USER
 *   --password PASSWORD   ... and PASSWORD
 *
 * The files go out as a multipart/form-data POST built by a LadleMultipartForm: each file is
 * opened only when its part is reached and streamed from disk, so memory stays small whatever the
 * size, and the exact Content-Length is known before sending. A progress bar from
 * ::upload-progress is drawn on standard error. Standard output gets
 *
 *   size: 20971713
 *   status: 200 OK
 *   sent: 20971713
 *
 * and then the response body as the server sent it.
 *
 * Exit status: 0 on success, 1 when the task failed with a GError, 2 on bad usage (or a file that
 * cannot be added), 3 when the server answered with an HTTP status of 400 or more. Ctrl-C cancels.
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <ladle.h>

#define BAR_WIDTH 30

typedef struct
{
  GMainLoop *loop;
  LadleTask *task;
  char      *user;
  char      *password;
  gboolean   interactive;     /* stderr is a terminal: redraw one line */
  int        last_tenth;      /* not a terminal: one line per 10 % */
  gboolean   bar_drawn;
  char      *last_line;       /* not a terminal: never print the same line twice */
  int        exit_status;
} Upload;

static void
draw_progress (Upload   *upload,
               gint64    sent,
               gint64    expected,
               gboolean  last)
{
  g_autofree char *sent_text = g_format_size ((guint64) sent);
  g_autoptr (GString) line = g_string_new (NULL);

  if (expected > 0)
    {
      g_autofree char *expected_text = g_format_size ((guint64) expected);
      int percent = (int) (sent * 100 / expected);
      int filled = (int) (sent * BAR_WIDTH / expected);

      if (!upload->interactive && !last)
        {
          if (percent / 10 == upload->last_tenth)
            return;
          upload->last_tenth = percent / 10;
        }

      g_string_append_c (line, '[');
      for (int i = 0; i < BAR_WIDTH; i++)
        g_string_append_c (line, i < filled ? '#' : '-');
      g_string_append_printf (line, "] %3d%%  %s / %s sent", percent, sent_text, expected_text);
    }
  else
    {
      if (!upload->interactive && !last)
        return;
      g_string_append_printf (line, "[%*s]  %s sent", BAR_WIDTH, "", sent_text);
    }

  if (upload->interactive)
    fprintf (stderr, "\r%s\033[K%s", line->str, last ? "\n" : "");
  else if (g_strcmp0 (line->str, upload->last_line) != 0)
    fprintf (stderr, "%s\n", line->str);
  g_free (upload->last_line);
  upload->last_line = g_strdup (line->str);
  fflush (stderr);
  upload->bar_drawn = TRUE;
}

static void
on_upload_progress (LadleTask *task,
                    gint64     sent_now,
                    gint64     total_sent,
                    gint64     total_expected,
                    gpointer   user_data)
{
  draw_progress (user_data, total_sent, total_expected, FALSE);
}

static gboolean
on_authenticate (LadleTask *task,
                 SoupAuth  *auth,
                 gboolean   retrying,
                 gpointer   user_data)
{
  Upload *upload = user_data;

  /* Credentials that were refused once are not offered again: the task then completes with the
   * 401 response. The form is sent again after the challenge, with the same bytes. */
  if (upload->user == NULL || retrying)
    return FALSE;

  soup_auth_authenticate (auth, upload->user, upload->password);
  return TRUE;
}

static LadleResponseDisposition
on_response (LadleTask   *task,
             SoupMessage *message,
             gpointer     user_data)
{
  Upload *upload = user_data;

  if (upload->bar_drawn)
    draw_progress (upload, ladle_task_get_bytes_sent (task),
                   ladle_task_get_bytes_expected_to_send (task), TRUE);

  g_print ("status: %u %s\n",
           soup_message_get_status (message),
           soup_message_get_reason_phrase (message));
  g_print ("sent: %" G_GINT64_FORMAT "\n", ladle_task_get_bytes_sent (task));

  return LADLE_RESPONSE_DISPOSITION_ALLOW;
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              gpointer      user_data)
{
  Upload *upload = user_data;
  g_autoptr (GBytes) body = NULL;
  guint status;

  if (error != NULL)
    {
      if (upload->interactive && upload->bar_drawn)
        fputc ('\n', stderr);
      g_printerr ("ladle-upload: %s (%s, %d)\n",
                  error->message, g_quark_to_string (error->domain), error->code);
      upload->exit_status = 1;
      g_main_loop_quit (upload->loop);
      return;
    }

  /* The response body was accumulated: a data task's default. */
  body = ladle_data_task_dup_body (LADLE_DATA_TASK (task));
  if (body != NULL)
    {
      fwrite (g_bytes_get_data (body, NULL), 1, g_bytes_get_size (body), stdout);
      fflush (stdout);
    }

  status = ladle_task_get_status_code (task);
  if (status >= 400)
    {
      g_printerr ("ladle-upload: the server answered %u %s\n", status, soup_status_get_phrase (status));
      upload->exit_status = 3;
    }
  else
    upload->exit_status = 0;

  g_main_loop_quit (upload->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  Upload *upload = user_data;

  /* ::completed follows with G_IO_ERROR_CANCELLED and quits the loop. */
  ladle_task_cancel (upload->task);

  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *name = NULL;
  g_auto (GStrv) fields = NULL;
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Form field of the files (default: file)", "NAME" },
    { "field", 0, 0, G_OPTION_ARG_STRING_ARRAY, &fields, "A text field", "NAME=VALUE" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "User name to authenticate with", "USER" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &password, "Password to authenticate with", "PASSWORD" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LadleMultipartForm) form = NULL;
  g_autoptr (LadleSessionConfiguration) configuration = NULL;
  g_autoptr (LadleSession) session = NULL;
  g_autoptr (SoupMessage) request = NULL;
  g_autoptr (LadleUploadTask) task = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  Upload upload = { 0 };
  guint interrupt_id;

  context = g_option_context_new ("URL FILE... - upload files as a multipart form");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ladle-upload: %s\n", error->message);
      return 2;
    }
  if (argc < 3 || (user == NULL) != (password == NULL))
    {
      g_printerr ("Usage: ladle-upload [--name NAME] [--field NAME=VALUE]... "
                  "[--user USER --password PASSWORD] URL FILE...\n");
      return 2;
    }

  request = soup_message_new (SOUP_METHOD_POST, argv[1]);
  if (request == NULL)
    {
      g_printerr ("ladle-upload: not a valid http or https URL: %s\n", argv[1]);
      return 2;
    }

  form = ladle_multipart_form_new ();
  for (guint i = 0; fields != NULL && fields[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (fields[i], "=", 2);

      if (pair[0] == NULL || pair[1] == NULL)
        {
          g_printerr ("ladle-upload: --field wants NAME=VALUE, not %s\n", fields[i]);
          return 2;
        }
      if (!ladle_multipart_form_append_text (form, pair[0], pair[1], &error))
        {
          g_printerr ("ladle-upload: %s\n", error->message);
          return 2;
        }
    }
  for (int i = 2; i < argc; i++)
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (argv[i]);

      /* The file name defaults to the base name and the content type is guessed; the size is
       * read now, the content only while sending. */
      if (!ladle_multipart_form_append_file (form, name ? name : "file", file, NULL, NULL, NULL, &error))
        {
          g_printerr ("ladle-upload: %s\n", error->message);
          return 2;
        }
    }
  g_print ("size: %" G_GINT64_FORMAT "\n", ladle_multipart_form_get_content_length (form));

  configuration = ladle_session_configuration_new_ephemeral ();
  session = ladle_session_new (configuration);
  task = ladle_session_create_upload_task_from_form (session, request, form);

  loop = g_main_loop_new (NULL, FALSE);
  upload.loop = loop;
  upload.task = LADLE_TASK (task);
  upload.user = user;
  upload.password = password;
  upload.interactive = isatty (STDERR_FILENO);
  upload.last_tenth = -1;
  upload.exit_status = 1;

  g_signal_connect (task, "upload-progress", G_CALLBACK (on_upload_progress), &upload);
  g_signal_connect (task, "authenticate", G_CALLBACK (on_authenticate), &upload);
  g_signal_connect (task, "response", G_CALLBACK (on_response), &upload);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), &upload);
  interrupt_id = g_unix_signal_add (SIGINT, on_interrupt, &upload);

  /* Every task starts suspended. */
  ladle_task_resume (LADLE_TASK (task));
  g_main_loop_run (loop);

  g_source_remove (interrupt_id);
  g_signal_handlers_disconnect_by_data (task, &upload);
  g_free (upload.last_line);

  return upload.exit_status;
}
