/* soup-bench-download.c: the same download with plain libsoup, timed
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   soup-bench-download URL OUTPUT
 *
 * What an application would write without Ladle, with Ladle's choices: content decoder disabled,
 * 256 KiB asynchronous reads, each chunk written to OUTPUT with g_output_stream_write_all().
 * Prints one JSON line {"bytes": N, "seconds": S}; seconds runs from soup_session_send_async()
 * to the file being closed.
 */

#include <libsoup/soup.h>
#include <stdio.h>

#define READ_SIZE (256 * 1024)

typedef struct
{
  GMainLoop     *loop;
  GInputStream  *input;
  GOutputStream *output;
  guint8        *buffer;
  gint64         bytes;
  GError        *error;
} Bench;

static void read_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data);

static void
read_next (Bench *bench)
{
  g_input_stream_read_async (bench->input, bench->buffer, READ_SIZE, G_PRIORITY_DEFAULT, NULL,
                             read_cb, bench);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Bench *bench = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &bench->error);

  if (n > 0 && g_output_stream_write_all (bench->output, bench->buffer, n, NULL, NULL, &bench->error))
    {
      bench->bytes += n;
      read_next (bench);
      return;
    }

  g_main_loop_quit (bench->loop);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Bench *bench = user_data;

  bench->input = soup_session_send_finish (SOUP_SESSION (object), result, &bench->error);
  if (bench->input == NULL)
    {
      g_main_loop_quit (bench->loop);
      return;
    }
  read_next (bench);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GFile) file = NULL;
  Bench bench = { 0, };
  gint64 start, end;

  if (argc != 3)
    {
      g_printerr ("usage: %s URL OUTPUT\n", argv[0]);
      return 2;
    }

  session = soup_session_new ();
  message = soup_message_new ("GET", argv[1]);
  if (message == NULL)
    {
      g_printerr ("bad URL %s\n", argv[1]);
      return 2;
    }
  soup_message_disable_feature (message, SOUP_TYPE_CONTENT_DECODER);
  file = g_file_new_for_commandline_arg (argv[2]);
  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.buffer = g_malloc (READ_SIZE);

  start = g_get_monotonic_time ();
  bench.output = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &bench.error));
  if (bench.output != NULL)
    {
      soup_session_send_async (session, message, G_PRIORITY_DEFAULT, NULL, send_cb, &bench);
      g_main_loop_run (bench.loop);
      if (bench.input != NULL)
        g_input_stream_close (bench.input, NULL, NULL);
      if (bench.error == NULL)
        g_output_stream_close (bench.output, NULL, &bench.error);
    }
  end = g_get_monotonic_time ();

  g_clear_object (&bench.input);
  g_clear_object (&bench.output);
  g_free (bench.buffer);
  g_main_loop_unref (bench.loop);

  if (bench.error != NULL)
    {
      g_printerr ("download failed: %s\n", bench.error->message);
      g_error_free (bench.error);
      return 1;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message)))
    {
      g_printerr ("HTTP status %u\n", soup_message_get_status (message));
      return 1;
    }

  printf ("{\"bytes\": %" G_GINT64_FORMAT ", \"seconds\": %.6f}\n", bench.bytes, (end - start) / 1e6);
  return 0;
}
