/* ladle-cli-output.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the `ladle` command shows: progress lines redrawn in place on a terminal, messages, and
 * one JSON object per transfer. */

#include "ladle-cli-config.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "ladle-cli-private.h"

/* Terminal output */

guint
ladle_cli_terminal_width (void)
{
  struct winsize ws;
  const char *columns;

  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  columns = g_getenv ("COLUMNS");
  if (columns != NULL && g_ascii_strtoull (columns, NULL, 10) > 0)
    return (guint) g_ascii_strtoull (columns, NULL, 10);
  return 80;
}

void
ladle_cli_fill_line (LadleCliTransfer *t,
                     LadleCliLine     *line)
{
  gboolean upload = t->app->command != COMMAND_GET;

  memset (line, 0, sizeof *line);
  line->name = t->name;
  line->done = upload ? t->sent : t->received;
  line->total = upload ? t->send_total : t->expected;
  line->rate = t->rate;
  line->elapsed = ((t->completed ? t->end_us : g_get_monotonic_time ()) - t->start_us) / 1e6;
  line->finished = t->finished && t->failure == NULL;
  line->failure = t->finished ? t->failure : NULL;
  line->tick = t->app->tick;
  line->name_columns = t->app->name_columns;
  if (line->finished)
    {
      line->total = line->done;
      line->rate = line->elapsed > 0 ? (line->done - MAX (t->resumed_from, 0)) / line->elapsed : -1;
    }
}

/* The live lines (one per running transfer) are the last lines on the terminal, the cursor at
 * the end of the last one: a redraw goes back to the first, clears to the end of the screen,
 * prints the lines that stay (finished transfers, messages), then the live lines again. */
void
ladle_cli_redraw (LadleCliApp *app)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint width = ladle_cli_terminal_width ();
  guint i, live = 0;

  if (!app->bar)
    return;
  if (width > 1)
    width--;   /* never the last column: some terminals wrap there */

  app->name_columns = 0;
  for (i = 0; i < app->transfers->len; i++)
    {
      LadleCliTransfer *t = g_ptr_array_index (app->transfers, i);

      if (t->started && !t->finished)
        app->name_columns = MAX (app->name_columns, ladle_cli_name_columns (t->name));
    }

  if (app->live_lines > 0)
    {
      g_string_append_c (out, '\r');
      if (app->live_lines > 1)
        g_string_append_printf (out, "\033[%uA", app->live_lines - 1);
      g_string_append (out, "\033[J");
    }
  for (i = 0; i < app->pending_lines->len; i++)
    {
      g_string_append (out, g_ptr_array_index (app->pending_lines, i));
      g_string_append_c (out, '\n');
    }
  g_ptr_array_set_size (app->pending_lines, 0);

  for (i = 0; i < app->transfers->len; i++)
    {
      LadleCliTransfer *t = g_ptr_array_index (app->transfers, i);
      LadleCliLine line;
      g_autofree char *text = NULL;

      if (!t->started || t->finished)
        continue;
      ladle_cli_fill_line (t, &line);
      text = ladle_cli_render_line (&line, width);
      if (live > 0)
        g_string_append_c (out, '\n');
      g_string_append (out, text);
      live++;
    }
  app->live_lines = live;
  fputs (out->str, stderr);
  fflush (stderr);
}

/* A message for stderr: above the progress lines when there are some. */
void G_GNUC_PRINTF (2, 3)
ladle_cli_message (LadleCliApp        *app,
         const char *format,
         ...)
{
  va_list args;
  g_autofree char *raw = NULL;
  g_autofree char *text = NULL;

  va_start (args, format);
  raw = g_strdup_vprintf (format, args);
  va_end (args);
  /* names and paths come from the network and the command line: no control characters */
  text = ladle_cli_terminal_safe (raw);

  if (app->bar)
    {
      g_ptr_array_add (app->pending_lines, g_strdup_printf ("ladle: %s", text));
      ladle_cli_redraw (app);
    }
  else
    {
      fprintf (stderr, "ladle: %s\n", text);
      fflush (stderr);
    }
}

gboolean
ladle_cli_redraw_cb (gpointer user_data)
{
  LadleCliApp *app = user_data;
  gint64 now = g_get_monotonic_time ();
  guint i;

  app->tick++;
  for (i = 0; i < app->transfers->len; i++)
    {
      LadleCliTransfer *t = g_ptr_array_index (app->transfers, i);
      gint64 bytes = t->app->command == COMMAND_GET ? t->received : t->sent;
      guint last;

      if (!t->started || t->completed)
        continue;
      last = t->n_samples % RATE_SAMPLES;
      t->sample_us[last] = now;
      t->sample_bytes[last] = bytes;
      t->n_samples++;
      if (t->n_samples >= 2)
        {
          guint oldest = t->n_samples > RATE_SAMPLES ? t->n_samples % RATE_SAMPLES : 0;
          gint64 dt = now - t->sample_us[oldest];

          t->rate = dt > 0 ? (bytes - t->sample_bytes[oldest]) * 1e6 / dt : -1;
        }
    }
  ladle_cli_redraw (app);
  return G_SOURCE_CONTINUE;
}

/* JSON: one object per transfer on stdout, a line each, made with json-glib */

static void
json_member_int (JsonBuilder *builder,
                 const char  *name,
                 gint64       value,
                 gboolean     known)
{
  json_builder_set_member_name (builder, name);
  if (known)
    json_builder_add_int_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
ladle_cli_print_json (LadleCliTransfer *t)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *line = NULL;
  SoupMessage *request = t->task != NULL ? ladle_task_get_current_request (t->task) : NULL;
  SoupMessageHeaders *response = t->task != NULL ? ladle_task_get_response_headers (t->task) : NULL;
  double elapsed = t->start_us > 0 ? (t->end_us - t->start_us) / 1e6 : 0;
  g_autofree char *final_url = request != NULL ?
    g_uri_to_string_partial (soup_message_get_uri (request), G_URI_HIDE_USERINFO) : NULL;
  const char *method = request != NULL ? soup_message_get_method (request) :
                       t->app->command == COMMAND_GET ? "GET" : t->app->command == COMMAND_PUT ? "PUT" : "POST";

  json_builder_begin_object (builder);
  ladle_cli_json_add_string (builder, "url", t->url);
  ladle_cli_json_add_string (builder, "final_url", final_url);
  ladle_cli_json_add_string (builder, "method", method);
  ladle_cli_json_add_string (builder, "output", t->output);
  json_member_int (builder, "status", t->status, t->status != 0);
  ladle_cli_json_add_string (builder, "reason", t->status != 0 ? soup_status_get_phrase (t->status) : NULL);
  ladle_cli_json_add_string (builder, "content_type",
                             response != NULL ? soup_message_headers_get_one (response, "Content-Type") : NULL);
  ladle_cli_json_add_string (builder, "etag", response != NULL ? soup_message_headers_get_one (response, "ETag") : NULL);
  json_member_int (builder, "bytes_received", t->received, TRUE);
  json_member_int (builder, "bytes_expected", t->expected, t->expected >= 0);
  json_member_int (builder, "bytes_sent", t->sent, TRUE);
  json_member_int (builder, "resumed_from", t->resumed_from, t->resumed_from >= 0);
  /* whole numbers: json-glib writes doubles with all their digits (1.4790000000000001) */
  json_member_int (builder, "elapsed_ms", (gint64) (elapsed * 1000 + 0.5), TRUE);
  json_member_int (builder, "bytes_per_second",
                   elapsed > 0 ? (gint64) ((t->received + t->sent - MAX (t->resumed_from, 0)) / elapsed + 0.5) : 0, TRUE);
  ladle_cli_json_add_string (builder, "resume_file", t->resume_bytes != NULL ? t->resume_path : NULL);
  json_builder_set_member_name (builder, "error");
  if (t->error != NULL)
    {
      json_builder_begin_object (builder);
      ladle_cli_json_add_string (builder, "domain", g_quark_to_string (t->error->domain));
      json_member_int (builder, "code", t->error->code, TRUE);
      ladle_cli_json_add_string (builder, "message", t->error->message);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_member_int (builder, "exit_code", t->exit_code, TRUE);
  json_builder_end_object (builder);

  line = ladle_cli_json_to_line (builder);
  fputs (line, stdout);
  fflush (stdout);
}
