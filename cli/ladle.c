/* ladle.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* ladle: fetch, upload and post from the command line, the way one checks a server with curl
 * or wget, over Ladle's public API only. See cli/ladle.1 and `ladle --help`. */

#include "ladle-cli-config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include <ladle.h>

#include "ladle-cli.h"

/* Exit status, documented in --help, the man page and the README. */
enum
{
  EXIT_OK      = 0,
  EXIT_FAILED  = 1,   /* anything not listed below */
  EXIT_USAGE   = 2,   /* bad command line */
  EXIT_FILE    = 3,   /* a local file could not be read or written */
  EXIT_NETWORK = 4,   /* resolve, connect, connection lost, timeout, protocol error, short body */
  EXIT_TLS     = 5,   /* TLS failure: an untrusted certificate above all */
  EXIT_HTTP    = 22,  /* the server answered with an error status (curl --fail's code) */
};

#define RESUME_SUFFIX ".ladle-resume"
#define RATE_SAMPLES 16           /* of REDRAW_MS each: the rate is that of the last ~3 s */
#define REDRAW_MS 200
#define SINK_HIGH_WATER (4 << 20) /* queued bytes for stdout before the task is suspended */
#define SINK_LOW_WATER (1 << 20)

typedef enum
{
  COMMAND_GET,
  COMMAND_PUT,
  COMMAND_POST,
} Command;

typedef struct _App App;

typedef struct
{
  App            *app;
  guint           index;
  char           *url;            /* as sent, without user information */
  GUri           *uri;
  char           *name;           /* shown in progress lines */
  LadleTask      *task;

  char           *output;         /* a file path, NULL for stdout (or not known yet, -O) */
  gboolean        remote_name;    /* -O: the output's name comes with the response */
  char           *resume_path;    /* -c: FILE.ladle-resume */
  GBytes         *resume_bytes;   /* resume data produced when interrupted */
  gboolean        output_existed; /* put/post -o: the file was there before */
  gboolean        discard_body;   /* put/post --json without -o: stdout is the JSON's */
  char           *user;           /* credentials for this URL's origin only */
  char           *password;

  /* Response bodies of data and upload tasks (get -o -, put, post) */
  GOutputStream  *sink;
  GQueue          chunks;
  gsize           queued;
  GBytes         *writing;
  gboolean        paused_for_sink;
  GError         *sink_error;
  gboolean        finish_pending;

  gboolean        started;
  gboolean        completed;
  gboolean        finished;
  gboolean        producing_resume_data;
  gboolean        warned_insecure;
  gint64          start_us;
  gint64          end_us;
  gint64          received;
  gint64          expected;
  gint64          sent;
  gint64          send_total;
  gint64          resumed_from;   /* -1 unless a resume was tried; 0 when it started over */

  gint64          sample_us[RATE_SAMPLES];
  gint64          sample_bytes[RATE_SAMPLES];
  guint           n_samples;
  double          rate;

  guint           status;
  GError         *error;
  int             exit_code;
  char           *failure;       /* the reason shown for a failed transfer */
} Transfer;

struct _App
{
  Command         command;
  const char     *command_name;

  /* options */
  char          **headers;
  char           *user_option;
  char           *user;
  char           *password;
  char           *user_agent;
  char           *cacert;
  char           *output;
  char           *output_dir;
  char           *content_type;
  char          **form;
  LadleMultipartForm *form_object;
  char           *data;
  int             timeout;
  int             max_redirects;
  int             parallel;
  gboolean        remote_name;
  gboolean        resume;
  gboolean        insecure;
  gboolean        json;
  gboolean        quiet;
  char           *upload_path;

  LadleSession   *session;
  GPtrArray      *transfers;
  guint           next;
  guint           running;
  GMainLoop      *loop;
  GHashTable     *claimed;        /* output paths taken by this run (-O) */

  /* the terminal */
  gboolean        bar;            /* redrawn progress lines on stderr */
  gboolean        plain;          /* a line per event on stderr */
  guint           live_lines;
  GPtrArray      *pending_lines;  /* to print above the live lines */
  guint           redraw_id;
  guint           tick;
  guint           name_columns;   /* the widest name of the live lines, to align them */

  mode_t          umask;
  int             signal_number;
  guint           sigint_id;
  guint           sigterm_id;
};

static void transfer_finish (Transfer *t);
static void start_more (App *app);

/* Terminal output */

static guint
terminal_width (void)
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

static void
fill_line (Transfer     *t,
           LadleCliLine *line)
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
static void
redraw (App *app)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint width = terminal_width ();
  guint i, live = 0;

  if (!app->bar)
    return;
  if (width > 1)
    width--;   /* never the last column: some terminals wrap there */

  app->name_columns = 0;
  for (i = 0; i < app->transfers->len; i++)
    {
      Transfer *t = g_ptr_array_index (app->transfers, i);

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
      Transfer *t = g_ptr_array_index (app->transfers, i);
      LadleCliLine line;
      g_autofree char *text = NULL;

      if (!t->started || t->finished)
        continue;
      fill_line (t, &line);
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
static void G_GNUC_PRINTF (2, 3)
message (App        *app,
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
      redraw (app);
    }
  else
    {
      fprintf (stderr, "ladle: %s\n", text);
      fflush (stderr);
    }
}

static gboolean
redraw_cb (gpointer user_data)
{
  App *app = user_data;
  gint64 now = g_get_monotonic_time ();
  guint i;

  app->tick++;
  for (i = 0; i < app->transfers->len; i++)
    {
      Transfer *t = g_ptr_array_index (app->transfers, i);
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
  redraw (app);
  return G_SOURCE_CONTINUE;
}

/* JSON: one object per transfer on stdout, a line each */

static void
json_member_string (GString    *out,
                    const char *name,
                    const char *value)
{
  g_string_append_printf (out, ",\"%s\":", name);
  ladle_cli_json_append_string (out, value);
}

static void
json_member_int (GString    *out,
                 const char *name,
                 gint64      value,
                 gboolean    known)
{
  if (known)
    g_string_append_printf (out, ",\"%s\":%" G_GINT64_FORMAT, name, value);
  else
    g_string_append_printf (out, ",\"%s\":null", name);
}

static void
json_member_double (GString    *out,
                    const char *name,
                    double      value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, ",\"%s\":%s", name, g_ascii_formatd (buffer, sizeof buffer, "%.3f", value));
}

static void
print_json (Transfer *t)
{
  g_autoptr(GString) out = g_string_new ("{\"url\":");
  SoupMessage *request = t->task != NULL ? ladle_task_get_current_request (t->task) : NULL;
  SoupMessageHeaders *response = t->task != NULL ? ladle_task_get_response_headers (t->task) : NULL;
  double elapsed = t->start_us > 0 ? (t->end_us - t->start_us) / 1e6 : 0;

  g_autofree char *final_url = request != NULL ?
    g_uri_to_string_partial (soup_message_get_uri (request), G_URI_HIDE_USERINFO) : NULL;

  ladle_cli_json_append_string (out, t->url);
  json_member_string (out, "final_url", final_url);
  json_member_string (out, "method", request != NULL ? soup_message_get_method (request) :
                      (t->app->command == COMMAND_GET ? "GET" : t->app->command == COMMAND_PUT ? "PUT" : "POST"));
  json_member_string (out, "output", t->output);
  json_member_int (out, "status", t->status, t->status != 0);
  json_member_string (out, "reason", t->status != 0 ? soup_status_get_phrase (t->status) : NULL);
  json_member_string (out, "content_type", response != NULL ? soup_message_headers_get_one (response, "Content-Type") : NULL);
  json_member_string (out, "etag", response != NULL ? soup_message_headers_get_one (response, "ETag") : NULL);
  json_member_int (out, "bytes_received", t->received, TRUE);
  json_member_int (out, "bytes_expected", t->expected, t->expected >= 0);
  json_member_int (out, "bytes_sent", t->sent, TRUE);
  json_member_int (out, "resumed_from", t->resumed_from, t->resumed_from >= 0);
  json_member_double (out, "elapsed_seconds", elapsed);
  json_member_double (out, "bytes_per_second",
                      elapsed > 0 ? (t->received + t->sent - MAX (t->resumed_from, 0)) / elapsed : 0);
  json_member_string (out, "resume_file", t->resume_bytes != NULL ? t->resume_path : NULL);
  if (t->error != NULL)
    {
      g_string_append (out, ",\"error\":{\"domain\":");
      ladle_cli_json_append_string (out, g_quark_to_string (t->error->domain));
      g_string_append_printf (out, ",\"code\":%d,\"message\":", t->error->code);
      ladle_cli_json_append_string (out, t->error->message);
      g_string_append_c (out, '}');
    }
  else
    g_string_append (out, ",\"error\":null");
  json_member_int (out, "exit_code", t->exit_code, TRUE);
  g_string_append (out, "}\n");
  fputs (out->str, stdout);
  fflush (stdout);
}

/* Errors and exit status */

static gboolean
is_file_error (const GError *error)
{
  if (error->domain == G_FILE_ERROR)
    return TRUE;
  if (error->domain == LADLE_ERROR)
    return error->code == LADLE_ERROR_PARTIAL_FILE || error->code == LADLE_ERROR_BODY_CHANGED ||
           error->code == LADLE_ERROR_INVALID_RESUME_DATA || error->code == LADLE_ERROR_RESUME_DATA_VERSION;
  if (error->domain != G_IO_ERROR)
    return FALSE;
  switch (error->code)
    {
    case G_IO_ERROR_NOT_FOUND:
    case G_IO_ERROR_EXISTS:
    case G_IO_ERROR_IS_DIRECTORY:
    case G_IO_ERROR_NOT_DIRECTORY:
    case G_IO_ERROR_NOT_EMPTY:
    case G_IO_ERROR_NOT_REGULAR_FILE:
    case G_IO_ERROR_FILENAME_TOO_LONG:
    case G_IO_ERROR_INVALID_FILENAME:
    case G_IO_ERROR_TOO_MANY_LINKS:
    case G_IO_ERROR_NO_SPACE:
    case G_IO_ERROR_PERMISSION_DENIED:
    case G_IO_ERROR_READ_ONLY:
    case G_IO_ERROR_CANT_CREATE_BACKUP:
    case G_IO_ERROR_TOO_MANY_OPEN_FILES:
      return TRUE;
    default:
      return FALSE;
    }
}

static int
exit_code_for_error (App          *app,
                     const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return app->signal_number != 0 ? 128 + app->signal_number : EXIT_FAILED;
  if (error->domain == G_TLS_ERROR)
    return EXIT_TLS;
  if (is_file_error (error))
    return EXIT_FILE;
  if (g_error_matches (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST) ||
      g_error_matches (error, LADLE_ERROR, LADLE_ERROR_INVALID_FIELD))
    return EXIT_USAGE;
  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR || error->domain == LADLE_ERROR)
    return EXIT_NETWORK;
  return EXIT_FAILED;
}

/* Resume data beside the output file (-c) */

static void
save_resume_data (Transfer *t,
                  GBytes   *bytes)
{
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  /* g_file_set_contents writes a temporary file and renames it: never half a resume file */
  if (!g_file_set_contents_full (t->resume_path, data, size, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      message (t->app, _("%s: cannot save the resume data: %s"), t->resume_path, error->message);
      g_clear_pointer (&t->resume_bytes, g_bytes_unref);
      return;
    }
  if (t->resume_bytes != bytes)
    {
      g_clear_pointer (&t->resume_bytes, g_bytes_unref);
      t->resume_bytes = g_bytes_ref (bytes);
    }
}

static void
remove_resume_file (Transfer *t)
{
  if (t->resume_path != NULL && g_unlink (t->resume_path) != 0 && errno != ENOENT)
    message (t->app, _("%s: cannot remove: %s"), t->resume_path, g_strerror (errno));
}

/* The body writer of data and upload tasks: chunks are queued and written asynchronously; a
 * slow reader (a pipe) suspends the task instead of growing the queue. */

static void sink_pump (Transfer *t);

static void
sink_written_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Transfer *t = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  t->queued -= g_bytes_get_size (t->writing);
  g_clear_pointer (&t->writing, g_bytes_unref);
  if (error != NULL)
    {
      if (t->sink_error == NULL)
        t->sink_error = g_steal_pointer (&error);
      g_queue_clear_full (&t->chunks, (GDestroyNotify) g_bytes_unref);
      t->queued = 0;
      if (!t->completed)
        ladle_task_cancel (t->task);
    }
  if (t->paused_for_sink && t->queued < SINK_LOW_WATER)
    {
      t->paused_for_sink = FALSE;
      ladle_task_resume (t->task);
    }
  sink_pump (t);
}

static void
sink_pump (Transfer *t)
{
  if (t->writing != NULL)
    return;
  t->writing = g_queue_pop_head (&t->chunks);
  if (t->writing == NULL)
    {
      if (t->finish_pending)
        {
          t->finish_pending = FALSE;
          transfer_finish (t);
        }
      return;
    }
  g_output_stream_write_all_async (t->sink, g_bytes_get_data (t->writing, NULL), g_bytes_get_size (t->writing),
                                   G_PRIORITY_DEFAULT, NULL, sink_written_cb, t);
}

static void
data_received_cb (LadleDataTask *task,
                  GBytes        *chunk,
                  Transfer      *t)
{
  /* An error page is not what `get` was asked for: it is not written (the exit status says) */
  if (t->app->command == COMMAND_GET && !SOUP_STATUS_IS_SUCCESSFUL (ladle_task_get_status_code (t->task)))
    return;
  if (t->sink == NULL || t->sink_error != NULL)
    return;
  g_queue_push_tail (&t->chunks, g_bytes_ref (chunk));
  t->queued += g_bytes_get_size (chunk);
  if (t->queued > SINK_HIGH_WATER && !t->paused_for_sink &&
      ladle_task_get_state (t->task) == LADLE_TASK_STATE_RUNNING)
    {
      t->paused_for_sink = TRUE;
      ladle_task_suspend (t->task);
    }
  sink_pump (t);
}

/* Task signals */

static void
download_progress_cb (LadleTask *task,
                      gint64     now,
                      gint64     total,
                      gint64     expected,
                      Transfer  *t)
{
  t->received = total;
  t->expected = expected;
}

static void
upload_progress_cb (LadleTask *task,
                    gint64     now,
                    gint64     total,
                    gint64     expected,
                    Transfer  *t)
{
  t->sent = total;
  t->send_total = expected;
}

static void
resumed_cb (LadleDownloadTask *task,
            gint64             offset,
            gint64             expected_total,
            Transfer          *t)
{
  g_autofree char *at = ladle_cli_format_size (offset);

  t->resumed_from = offset;
  t->received = offset;
  t->expected = expected_total;
  t->n_samples = 0;
  if (offset > 0)
    message (t->app, _("%s: resuming at %s"), t->name, at);
  else
    message (t->app, _("%s: the file changed on the server (or cannot be resumed): starting over"), t->name);
}

/* -O: the name comes with the response (Content-Disposition, else the URL), reduced by Ladle to
 * a safe base name; a name another transfer of this run took gets a ".1", ".2"... suffix. */
static void
finished_cb (LadleDownloadTask *task,
             GFile             *location,
             Transfer          *t)
{
  App *app = t->app;
  g_autofree char *suggested = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) destination = NULL;
  guint n;

  if (!t->remote_name)
    return;
  suggested = ladle_download_task_dup_suggested_filename (task);
  if (suggested == NULL || *suggested == '\0')
    {
      g_free (suggested);
      suggested = g_strdup ("index.html");
    }
  path = app->output_dir != NULL ? g_build_filename (app->output_dir, suggested, NULL) : g_strdup (suggested);
  for (n = 1; g_hash_table_contains (app->claimed, path); n++)
    {
      g_autofree char *numbered = g_strdup_printf ("%s.%u", suggested, n);

      g_free (path);
      path = app->output_dir != NULL ? g_build_filename (app->output_dir, numbered, NULL) : g_strdup (numbered);
    }
  g_hash_table_add (app->claimed, g_strdup (path));
  g_free (t->output);
  t->output = g_steal_pointer (&path);
  g_free (t->name);
  t->name = g_path_get_basename (t->output);
  destination = g_file_new_for_path (t->output);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
}

static char *
authority_of (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port < 0)
    port = g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
  return g_strdup_printf ("%s:%d", g_uri_get_host (uri), port);
}

/* --user: answered only for the origin of the URL on the command line (a redirect to another
 * host gets no credentials), and only once: refused credentials end with the 401. */
static gboolean
authenticate_cb (LadleTask *task,
                 SoupAuth  *auth,
                 gboolean   retrying,
                 Transfer  *t)
{
  App *app = t->app;
  g_autofree char *authority = authority_of (t->uri);

  if (t->user == NULL || soup_auth_is_for_proxy (auth))
    return FALSE;
  if (g_strcmp0 (soup_auth_get_authority (auth), authority) != 0)
    {
      message (app, _("%s: %s asks for credentials: not sending those meant for %s"), t->name,
               soup_auth_get_authority (auth), authority);
      return FALSE;
    }
  if (retrying)
    {
      message (app, _("%s: the server refused the credentials of %s"), t->name, t->user);
      return FALSE;
    }
  soup_auth_authenticate (auth, t->user, t->password != NULL ? t->password : "");
  return TRUE;
}

static char *
describe_tls_errors (GTlsCertificateFlags errors)
{
  GString *out = g_string_new (NULL);
  static const struct { GTlsCertificateFlags flag; const char *text; } names[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, N_("unknown issuer") },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, N_("name does not match") },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, N_("not yet valid") },
    { G_TLS_CERTIFICATE_EXPIRED, N_("expired") },
    { G_TLS_CERTIFICATE_REVOKED, N_("revoked") },
    { G_TLS_CERTIFICATE_INSECURE, N_("insecure algorithm") },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, N_("invalid") },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    if (errors & names[i].flag)
      g_string_append_printf (out, "%s%s", out->len > 0 ? ", " : "", _(names[i].text));
  return g_string_free (out, FALSE);
}

/* --insecure: accepted, and said loudly, every time */
static gboolean
accept_certificate_cb (LadleTask            *task,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       Transfer             *t)
{
  g_autofree char *why = describe_tls_errors (errors);

  if (!t->app->insecure)
    {
      message (t->app, _("%s: the server's certificate is not trusted (%s); use --cacert FILE to trust its "
                         "issuer"), t->name, why);
      return FALSE;
    }
  message (t->app, _("WARNING: %s: accepting an UNTRUSTED certificate for %s (%s) because of --insecure: "
                     "the connection is NOT secure"), t->name, g_uri_get_host (t->uri), why);
  return TRUE;
}

static void
resume_data_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Transfer *t = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  bytes = ladle_download_task_cancel_producing_resume_data_finish (LADLE_DOWNLOAD_TASK (source), result, &error);
  t->producing_resume_data = FALSE;
  if (bytes != NULL)
    t->resume_bytes = g_steal_pointer (&bytes);
  if (t->completed)
    transfer_finish (t);
}

static void
completed_cb (LadleTask    *task,
              const GError *error,
              Transfer     *t)
{
  t->completed = TRUE;
  t->end_us = g_get_monotonic_time ();
  t->status = ladle_task_get_status_code (task);
  if (error != NULL)
    t->error = g_error_copy (error);
  if (t->producing_resume_data)
    return;   /* resume_data_cb finishes */
  if (t->writing != NULL || !g_queue_is_empty (&t->chunks))
    {
      t->finish_pending = TRUE;   /* the writer finishes once the queue is written */
      return;
    }
  transfer_finish (t);
}

/* Transfers */

static void
transfer_free (Transfer *t)
{
  if (t->task != NULL)
    g_signal_handlers_disconnect_by_data (t->task, t);
  g_clear_object (&t->task);
  g_clear_object (&t->sink);
  g_queue_clear_full (&t->chunks, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&t->writing, g_bytes_unref);
  g_clear_pointer (&t->resume_bytes, g_bytes_unref);
  g_clear_pointer (&t->uri, g_uri_unref);
  g_clear_error (&t->error);
  g_clear_error (&t->sink_error);
  g_free (t->url);
  g_free (t->name);
  g_free (t->output);
  g_free (t->resume_path);
  g_free (t->failure);
  g_free (t->user);
  if (t->password != NULL)
    explicit_bzero (t->password, strlen (t->password));
  g_free (t->password);
  g_free (t);
}

/* The name of the file -O gives a URL before its response is known (for -c's resume file):
 * the last segment of its path, reduced to a safe name, else its host, as Ladle names it. */
static char *
url_file_name (GUri *uri)
{
  g_autofree char *unescaped = g_uri_unescape_string (g_uri_get_path (uri), NULL);
  const char *path = unescaped != NULL ? unescaped : g_uri_get_path (uri);
  const char *slash = strrchr (path, '/');
  const char *base = slash != NULL ? slash + 1 : path;
  char *name;

  name = ladle_sanitize_filename (*base != '\0' ? base : g_uri_get_host (uri));
  if (name == NULL || *name == '\0')
    {
      g_free (name);
      name = g_strdup ("index.html");
    }
  return name;
}

static gboolean
add_headers (App          *app,
             SoupMessage  *message,
             GError      **error)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  guint i;

  for (i = 0; app->headers != NULL && app->headers[i] != NULL; i++)
    {
      const char *colon = strchr (app->headers[i], ':');
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (colon == NULL || colon == app->headers[i])
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("-H wants NAME: VALUE, not “%s”"), app->headers[i]);
          return FALSE;
        }
      name = g_strstrip (g_strndup (app->headers[i], colon - app->headers[i]));
      value = g_strstrip (g_strdup (colon + 1));
      if (strpbrk (name, " \t\r\n") != NULL || strpbrk (value, "\r\n") != NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("-H “%s”: a header name has no spaces, and no header has a line break"), name);
          return FALSE;
        }
      soup_message_headers_append (headers, name, value);
    }
  return TRUE;
}

static gboolean
append_form_field (LadleMultipartForm  *form,
                   const char          *spec,
                   GError             **error)
{
  const char *equals = strchr (spec, '=');
  g_autofree char *name = NULL;
  g_autofree char *type = NULL;
  g_autofree char *filename = NULL;
  g_autoptr(GString) value = NULL;
  g_auto(GStrv) segments = NULL;
  guint i;

  if (equals == NULL || equals == spec)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("-F wants NAME=VALUE or NAME=@FILE, not “%s”"), spec);
      return FALSE;
    }
  name = g_strndup (spec, equals - spec);

  /* ";type=TYPE" and (for files) ";filename=NAME" at the end, as curl reads them */
  segments = g_strsplit (equals + 1, ";", -1);
  value = g_string_new (segments[0]);
  for (i = 1; segments[i] != NULL; i++)
    {
      if (g_str_has_prefix (segments[i], "type="))
        {
          g_free (type);
          type = g_strdup (segments[i] + 5);
        }
      else if (g_str_has_prefix (segments[i], "filename=") && value->str[0] == '@')
        {
          g_free (filename);
          filename = g_strdup (segments[i] + 9);
        }
      else if (type == NULL && filename == NULL)
        g_string_append_printf (value, ";%s", segments[i]);
      else
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("-F “%s”: unknown parameter “%s”"), name, segments[i]);
          return FALSE;
        }
    }

  if (value->str[0] == '@')
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (value->str + 1);
      g_autofree char *base = NULL;

      if (filename == NULL)
        {
          base = g_path_get_basename (value->str + 1);
          filename = ladle_sanitize_filename (base);
        }
      if (type == NULL)
        {
          g_autofree char *guessed = g_content_type_guess (value->str + 1, NULL, 0, NULL);
          type = g_content_type_get_mime_type (guessed);
        }
      return ladle_multipart_form_append_file (form, name, file, filename,
                                               type != NULL ? type : "application/octet-stream", NULL, error);
    }
  if (type != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (value->str, value->len);
      return ladle_multipart_form_append_bytes (form, name, NULL, type, bytes, error);
    }
  return ladle_multipart_form_append_text (form, name, value->str, error);
}

static gboolean
open_sink (Transfer  *t,
           GError   **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) stream = NULL;

  if (t->output == NULL)
    {
      t->sink = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
      return TRUE;
    }
  file = g_file_new_for_path (t->output);
  t->output_existed = g_file_query_exists (file, NULL);
  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (stream == NULL)
    return FALSE;
  t->sink = G_OUTPUT_STREAM (g_steal_pointer (&stream));
  return TRUE;
}

static LadleTask *
create_task (Transfer  *t,
             GError   **error)
{
  App *app = t->app;
  const char *method = app->command == COMMAND_GET ? "GET" : app->command == COMMAND_PUT ? "PUT" : "POST";
  g_autoptr(SoupMessage) request = soup_message_new_from_uri (method, t->uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (request);

  if (!add_headers (app, request, error))
    return NULL;

  if (app->command == COMMAND_GET && (t->output != NULL || t->remote_name))
    {
      LadleDownloadTask *task = NULL;
      g_autofree char *contents = NULL;
      gsize length;

      if (t->resume_path != NULL && g_file_get_contents (t->resume_path, &contents, &length, NULL))
        {
          g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
          g_autoptr(GError) local_error = NULL;

          /* The request is the one of this command line (its headers, its URL); the resume
           * data gives the partial file and the validators for If-Range. */
          task = ladle_session_create_download_task_from_resume_data_with_request (app->session, bytes, request,
                                                                                    &local_error);
          if (task == NULL)
            {
              message (app, _("%s: cannot resume (%s): starting over"), t->resume_path, local_error->message);
              remove_resume_file (t);
            }
          else
            t->resumed_from = 0;
        }
      if (task == NULL)
        task = ladle_session_create_download_task (app->session, request);
      if (t->output != NULL)
        {
          g_autoptr(GFile) destination = g_file_new_for_path (t->output);
          ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
        }
      g_signal_connect (task, "resumed", G_CALLBACK (resumed_cb), t);
      g_signal_connect (task, "finished", G_CALLBACK (finished_cb), t);
      return LADLE_TASK (task);
    }

  if (app->command == COMMAND_GET)
    {
      LadleDataTask *task = ladle_session_create_data_task (app->session, request);

      ladle_data_task_set_accumulate (task, FALSE);
      g_signal_connect (task, "data-received", G_CALLBACK (data_received_cb), t);
      return LADLE_TASK (task);
    }

  {
    LadleUploadTask *task = NULL;

    if (app->command == COMMAND_PUT || (app->data != NULL && app->data[0] == '@'))
      {
        const char *path = app->command == COMMAND_PUT ? app->upload_path : app->data + 1;
        g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
        g_autoptr(GFileInfo) info = NULL;

        info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE,
                                  G_FILE_QUERY_INFO_NONE, NULL, error);
        if (info == NULL)
          return NULL;
        if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, _("%s is not a regular file"), path);
            return NULL;
          }
        if (app->content_type != NULL)
          soup_message_headers_replace (headers, "Content-Type", app->content_type);
        else if (app->command == COMMAND_POST)
          soup_message_headers_replace (headers, "Content-Type", "application/x-www-form-urlencoded");
        else
          {
            g_autofree char *mime = g_content_type_get_mime_type (g_file_info_get_content_type (info));
            soup_message_headers_replace (headers, "Content-Type", mime != NULL ? mime : "application/octet-stream");
          }
        task = ladle_session_create_upload_task_from_file (app->session, request, file);
      }
    else if (app->form_object != NULL)
      task = ladle_session_create_upload_task_from_form (app->session, request, app->form_object);
    else
      {
        g_autoptr(GBytes) body = g_bytes_new (app->data != NULL ? app->data : "",
                                              app->data != NULL ? strlen (app->data) : 0);

        soup_message_headers_replace (headers, "Content-Type",
                                      app->content_type != NULL ? app->content_type : "application/x-www-form-urlencoded");
        task = ladle_session_create_upload_task_from_bytes (app->session, request, body);
      }
    ladle_data_task_set_accumulate (LADLE_DATA_TASK (task), FALSE);
    g_signal_connect (task, "data-received", G_CALLBACK (data_received_cb), t);
    return LADLE_TASK (task);
  }
}

static void
transfer_start (Transfer *t)
{
  App *app = t->app;
  g_autoptr(GError) error = NULL;

  t->started = TRUE;
  t->start_us = g_get_monotonic_time ();
  app->running++;

  if ((app->command != COMMAND_GET || t->output == NULL) && !t->remote_name && !t->discard_body &&
      !open_sink (t, &error))
    {
      t->error = g_steal_pointer (&error);
      t->completed = TRUE;
      t->end_us = g_get_monotonic_time ();
      transfer_finish (t);
      return;
    }
  t->task = create_task (t, &error);
  if (t->task == NULL)
    {
      t->error = g_steal_pointer (&error);
      t->completed = TRUE;
      t->end_us = g_get_monotonic_time ();
      transfer_finish (t);
      return;
    }
  g_signal_connect (t->task, "download-progress", G_CALLBACK (download_progress_cb), t);
  g_signal_connect (t->task, "upload-progress", G_CALLBACK (upload_progress_cb), t);
  g_signal_connect (t->task, "authenticate", G_CALLBACK (authenticate_cb), t);
  g_signal_connect (t->task, "accept-certificate", G_CALLBACK (accept_certificate_cb), t);
  g_signal_connect (t->task, "completed", G_CALLBACK (completed_cb), t);
  if (app->max_redirects >= 0)
    ladle_task_set_max_redirects (t->task, (guint) app->max_redirects);
  ladle_task_set_description (t->task, t->url);

  if (app->plain)
    {
      if (t->output != NULL)
        message (app, _("%s %s → %s"), app->command_name, t->url, t->output);
      else
        message (app, _("%s %s"), app->command_name, t->url);
    }
  ladle_task_resume (t->task);
  redraw (app);
}

static void
transfer_finish (Transfer *t)
{
  App *app = t->app;
  gboolean download = t->task != NULL && LADLE_IS_DOWNLOAD_TASK (t->task);
  g_autofree char *size = NULL;
  g_autofree char *took = NULL;

  if (t->finished)
    return;
  t->finished = TRUE;

  if (t->sink_error != NULL)
    {
      /* the output could not be written (a closed pipe, a full disk): that is the error, not
       * the cancellation it caused */
      g_clear_error (&t->error);
      t->error = g_error_copy (t->sink_error);
      t->exit_code = EXIT_FILE;
      t->failure = g_strdup (t->sink_error->message);
    }
  else if (t->error != NULL)
    {
      t->exit_code = exit_code_for_error (app, t->error);
      if (g_error_matches (t->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        t->failure = g_strdup (_("interrupted"));
      else
        t->failure = g_strdup (t->error->message);
    }
  else if (app->command == COMMAND_GET ? !SOUP_STATUS_IS_SUCCESSFUL (t->status) : t->status >= 400)
    {
      t->exit_code = EXIT_HTTP;
      t->failure = g_strdup_printf ("HTTP %u %s", t->status, soup_status_get_phrase (t->status));
    }
  else
    t->exit_code = EXIT_OK;

  /* The body writer: closed; a file of a failed upload's response is not left behind */
  if (t->sink != NULL && t->output != NULL)
    {
      g_autoptr(GCancellable) abort = g_cancellable_new ();

      if (t->exit_code != EXIT_OK && t->exit_code != EXIT_HTTP)
        g_cancellable_cancel (abort);
      g_output_stream_close (t->sink, abort, NULL);
      if (t->exit_code != EXIT_OK && t->exit_code != EXIT_HTTP && !t->output_existed)
        g_unlink (t->output);
    }

  /* Ladle keeps partial files private (0600); the file delivered gets the mode any new file of
   * the user gets, as with curl and wget */
  if (download && t->exit_code == EXIT_OK && t->output != NULL)
    g_chmod (t->output, 0666 & ~app->umask);

  /* -c: the resume data stays beside the output until the download succeeds */
  if (download && t->resume_path != NULL)
    {
      if (t->exit_code == EXIT_OK)
        remove_resume_file (t);
      else
        {
          g_autoptr(GBytes) bytes = t->resume_bytes != NULL ? g_bytes_ref (t->resume_bytes)
                                                            : ladle_download_task_dup_resume_data (LADLE_DOWNLOAD_TASK (t->task));

          if (bytes != NULL)
            {
              save_resume_data (t, bytes);
              if (t->resume_bytes != NULL)
                message (app, _("%s: the download can go on: run the same command with -c (%s)"), t->name,
                         t->resume_path);
            }
          else
            {
              remove_resume_file (t);
              if (t->received > 0)
                message (app, _("%s: this download cannot be resumed (no ETag or Last-Modified, or no ranges)"),
                         t->name);
            }
        }
    }

  if (app->bar)
    {
      LadleCliLine line;

      fill_line (t, &line);
      g_ptr_array_add (app->pending_lines, ladle_cli_render_line (&line, MAX (terminal_width (), 2) - 1));
      redraw (app);
    }
  else if (app->plain || t->exit_code != EXIT_OK)
    {
      double elapsed = (t->end_us - t->start_us) / 1e6;
      gint64 bytes = app->command == COMMAND_GET ? t->received : t->sent;
      g_autofree char *rate = ladle_cli_format_rate (elapsed > 0 ? (bytes - MAX (t->resumed_from, 0)) / elapsed : -1);

      size = ladle_cli_format_size (bytes);
      took = ladle_cli_format_duration ((gint64) (elapsed + 0.5));
      if (t->failure != NULL)
        message (app, _("%s: failed: %s"), t->url, t->failure);
      else
        message (app, "%s: %u %s, %s in %s (%s)%s%s", t->url, t->status,
                 soup_status_get_phrase (t->status), size, took, rate,
                 t->output != NULL ? " → " : "", t->output != NULL ? t->output : "");
    }

  if (app->json)
    print_json (t);

  app->running--;
  start_more (app);
}

static void
start_more (App *app)
{
  while (app->signal_number == 0 && app->running < (guint) app->parallel && app->next < app->transfers->len)
    transfer_start (g_ptr_array_index (app->transfers, app->next++));
  if (app->running == 0 && (app->next == app->transfers->len || app->signal_number != 0))
    g_main_loop_quit (app->loop);
}

/* SIGINT, SIGTERM: running transfers stop; with -c their resume data is written first. A second
 * signal exits at once. */
static gboolean
interrupt (App *app,
           int  signal_number)
{
  guint i;

  if (app->signal_number != 0)
    {
      if (app->bar && app->live_lines > 0)
        fputc ('\n', stderr);
      _exit (128 + signal_number);
    }
  app->signal_number = signal_number;
  for (i = 0; i < app->transfers->len; i++)
    {
      Transfer *t = g_ptr_array_index (app->transfers, i);

      if (!t->started || t->completed || t->task == NULL)
        continue;
      if (app->resume && LADLE_IS_DOWNLOAD_TASK (t->task))
        {
          t->producing_resume_data = TRUE;
          ladle_download_task_cancel_producing_resume_data_async (LADLE_DOWNLOAD_TASK (t->task), G_PRIORITY_DEFAULT,
                                                                  NULL, resume_data_cb, t);
        }
      else
        ladle_task_cancel (t->task);
    }
  start_more (app);
  return G_SOURCE_CONTINUE;
}

static gboolean
sigint_cb (gpointer user_data)
{
  return interrupt (user_data, SIGINT);
}

static gboolean
sigterm_cb (gpointer user_data)
{
  return interrupt (user_data, SIGTERM);
}

/* Credentials */

/* Ctrl-C at the password prompt must not leave the terminal without echo */
static int prompt_fd = -1;
static struct termios prompt_saved;

static void
prompt_interrupted (int signal_number)
{
  if (prompt_fd >= 0)
    {
      tcsetattr (prompt_fd, TCSAFLUSH, &prompt_saved);
      if (write (prompt_fd, "\n", 1) < 0)
        _exit (128 + signal_number);
    }
  _exit (128 + signal_number);
}

static char *
read_password (const char *user)
{
  struct sigaction on_signal = { .sa_handler = prompt_interrupted }, old_int, old_term;
  struct termios saved, quiet;
  char buffer[1024];
  int fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  FILE *tty;
  char *password = NULL;

  if (fd < 0)
    return NULL;
  tty = fdopen (fd, "r+");
  if (tty == NULL)
    {
      close (fd);
      return NULL;
    }
  fprintf (tty, _("Password for %s: "), user);
  fflush (tty);
  sigemptyset (&on_signal.sa_mask);
  sigaction (SIGINT, &on_signal, &old_int);
  sigaction (SIGTERM, &on_signal, &old_term);
  if (tcgetattr (fd, &saved) == 0)
    {
      prompt_saved = saved;
      prompt_fd = fd;
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (fd, TCSAFLUSH, &quiet);
    }
  if (fgets (buffer, sizeof buffer, tty) != NULL)
    {
      buffer[strcspn (buffer, "\r\n")] = '\0';
      password = g_strdup (buffer);
    }
  if (prompt_fd >= 0)
    tcsetattr (fd, TCSAFLUSH, &saved);
  prompt_fd = -1;
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  fputc ('\n', tty);
  explicit_bzero (buffer, sizeof buffer);
  fclose (tty);
  return password;
}

/* The password of --user USER:PASSWORD is blanked in the process's own argv, so that ps and
 * /proc/PID/cmdline show stars (as curl does); LADLE_PASSWORD or the prompt keep it out of argv
 * altogether. */
static void
hide_password (char       **argv_copy,
               const char  *option_value)
{
  const char *colon = strchr (option_value, ':');
  gsize tail;
  int i;

  if (colon == NULL)
    return;
  tail = strlen (colon + 1);
  for (i = 1; argv_copy[i] != NULL; i++)
    {
      gsize length = strlen (argv_copy[i]);

      if (length >= strlen (option_value) && strcmp (argv_copy[i] + length - strlen (option_value), option_value) == 0)
        memset (argv_copy[i] + length - tail, '*', tail);
    }
}

/* The same for a URL's user information: http://USER:PASSWORD@host/ shows http://USER:****@host/ */
static void
hide_url_passwords (char **argv_copy)
{
  int i;

  for (i = 1; argv_copy[i] != NULL; i++)
    {
      char *authority = strstr (argv_copy[i], "://");
      char *end, *at, *colon;

      if (authority == NULL)
        continue;
      authority += 3;
      end = authority + strcspn (authority, "/?#");
      for (at = end; at > authority && at[-1] != '@'; at--)
        ;
      if (at == authority)
        continue;
      at--;
      colon = memchr (authority, ':', at - authority);
      if (colon != NULL)
        memset (colon + 1, '*', at - colon - 1);
    }
}

static gboolean
setup_credentials (App   *app,
                   char **argv_copy,
                   GError **error)
{
  const char *colon;

  if (app->user_option == NULL)
    return TRUE;
  colon = strchr (app->user_option, ':');
  if (colon != NULL)
    {
      app->user = g_strndup (app->user_option, colon - app->user_option);
      app->password = g_strdup (colon + 1);
      hide_password (argv_copy, app->user_option);
      explicit_bzero (app->user_option + (colon - app->user_option) + 1, strlen (colon + 1));
    }
  else
    {
      app->user = g_strdup (app->user_option);
      if (g_getenv ("LADLE_PASSWORD") != NULL)
        app->password = g_strdup (g_getenv ("LADLE_PASSWORD"));
      else
        app->password = read_password (app->user);
      if (app->password == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--user %s: no password (give USER:PASSWORD, set LADLE_PASSWORD, or run on a terminal)"),
                       app->user);
          return FALSE;
        }
    }
  return TRUE;
}

/* The command line */

static const char *exit_status_text =
  N_("Exit status:\n"
     "  0    every transfer succeeded\n"
     "  1    another failure\n"
     "  2    usage: a bad option, URL, header or form field\n"
     "  3    a local file could not be read or written\n"
     "  4    network: cannot resolve or connect, connection lost, timeout, a short or invalid response\n"
     "  5    TLS: the server's certificate is not trusted, or the handshake failed\n"
     "  22   the server answered with an error status (get: anything but 2xx; put, post: 400 or above)\n"
     "  130  interrupted by SIGINT (143: SIGTERM); with -c the resume data was saved\n"
     "With several URLs, the status is that of the first one that failed.\n");

static GOptionContext *
make_context (App        *app,
              Command     command,
              const char *parameters,
              const char *summary)
{
  GOptionEntry common[] = {
    { "header", 'H', 0, G_OPTION_ARG_STRING_ARRAY, &app->headers, N_("Add a request header"), N_("NAME: VALUE") },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &app->user_option,
      N_("Credentials for the URL's server (asked for the password, or LADLE_PASSWORD, when none is given)"),
      N_("USER[:PASSWORD]") },
    { "user-agent", 'A', 0, G_OPTION_ARG_STRING, &app->user_agent, N_("User-Agent to send"), N_("TEXT") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &app->timeout, N_("Fail when the server is silent this long (default 60)"),
      N_("SECONDS") },
    { "max-redirs", 0, 0, G_OPTION_ARG_INT, &app->max_redirects, N_("Follow at most N redirects"), N_("N") },
    { "cacert", 0, 0, G_OPTION_ARG_FILENAME, &app->cacert, N_("Trust the certificates in FILE (PEM) instead of the system's"),
      N_("FILE") },
    { "insecure", 'k', 0, G_OPTION_ARG_NONE, &app->insecure,
      N_("Accept any TLS certificate (each one is reported on stderr): the connection is not secure"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &app->json, N_("Print one JSON object per transfer on stdout"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &app->quiet, N_("No progress; only errors on stderr"), NULL },
    { NULL }
  };
  GOptionEntry get_entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &app->output, N_("Write to FILE (“-”: stdout); one URL only"), N_("FILE") },
    { "remote-name", 'O', 0, G_OPTION_ARG_NONE, &app->remote_name,
      N_("Name the file from the response (Content-Disposition, else the URL): the default"), NULL },
    { "output-dir", 'P', 0, G_OPTION_ARG_FILENAME, &app->output_dir, N_("Directory of the files named with -O"), N_("DIR") },
    { "continue", 'c', 0, G_OPTION_ARG_NONE, &app->resume,
      N_("Resume from FILE.ladle-resume (written when interrupted or failed); a changed file is fetched again"), NULL },
    { "parallel", 'Z', 0, G_OPTION_ARG_INT, &app->parallel, N_("Run N transfers at once (default 1)"), N_("N") },
    { NULL }
  };
  GOptionEntry put_entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &app->output, N_("Write the response body to FILE (default: stdout)"),
      N_("FILE") },
    { "content-type", 0, 0, G_OPTION_ARG_STRING, &app->content_type, N_("Content-Type of the body"), N_("TYPE") },
    { NULL }
  };
  GOptionEntry post_entries[] = {
    { "form", 'F', 0, G_OPTION_ARG_STRING_ARRAY, &app->form,
      N_("A multipart/form-data field: NAME=VALUE, or NAME=@FILE (read when sent); ;type=TYPE and ;filename=NAME "
         "may follow"), N_("NAME=VALUE") },
    { "data", 'd', 0, G_OPTION_ARG_STRING, &app->data, N_("The body: TEXT, or @FILE"), N_("DATA") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &app->output, N_("Write the response body to FILE (default: stdout)"),
      N_("FILE") },
    { "content-type", 0, 0, G_OPTION_ARG_STRING, &app->content_type,
      N_("Content-Type of -d's body (default application/x-www-form-urlencoded)"), N_("TYPE") },
    { NULL }
  };
  GOptionContext *context = g_option_context_new (parameters);

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, _(exit_status_text));
  g_option_context_set_strict_posix (context, FALSE);
  g_option_context_add_main_entries (context,
                                     command == COMMAND_GET ? get_entries : command == COMMAND_PUT ? put_entries : post_entries,
                                     GETTEXT_PACKAGE);
  /* in the main group too: `ladle get --help` shows every option */
  g_option_context_add_main_entries (context, common, GETTEXT_PACKAGE);
  return context;
}

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n%s\n%s", _("Usage:\n"
                                  "  ladle get URL… [-o FILE | -O] [-c] [--parallel N] [OPTION…]\n"
                                  "  ladle put URL FILE [OPTION…]\n"
                                  "  ladle post URL [-F NAME=VALUE | -F NAME=@FILE]… [-d DATA] [OPTION…]\n"
                                  "  ladle COMMAND --help      the options of COMMAND\n"
                                  "  ladle --version"),
           _("Transfers over HTTP and HTTPS with Ladle: a progress bar per transfer on a terminal, plain lines\n"
             "otherwise, --json for scripts. See ladle(1)."),
           _(exit_status_text));
}

/* A URL of the command line: http or https; user information becomes --user's credentials
 * (and is never shown or sent as part of the URL). */
static Transfer *
transfer_new (App         *app,
              const char  *text,
              GError     **error)
{
  g_autoptr(GUri) parsed = g_uri_parse (text, SOUP_HTTP_URI_FLAGS, error);
  Transfer *t;

  if (parsed == NULL)
    return NULL;
  if ((g_ascii_strcasecmp (g_uri_get_scheme (parsed), "http") != 0 &&
       g_ascii_strcasecmp (g_uri_get_scheme (parsed), "https") != 0) ||
      g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("%s: not an http or https URL"), text);
      return NULL;
    }
  t = g_new0 (Transfer, 1);
  if (g_uri_get_user (parsed) != NULL && app->user_option == NULL)
    {
      /* SOUP_HTTP_URI_FLAGS does not keep the user information encoded: these are decoded */
      t->user = g_strdup (g_uri_get_user (parsed));
      t->password = g_strdup (g_uri_get_password (parsed) != NULL ? g_uri_get_password (parsed) : "");
    }
  else
    {
      t->user = g_strdup (app->user);
      t->password = g_strdup (app->password);
    }
  t->app = app;
  t->expected = -1;
  t->resumed_from = -1;
  t->rate = -1;
  t->uri = g_uri_build (SOUP_HTTP_URI_FLAGS, g_uri_get_scheme (parsed), NULL, g_uri_get_host (parsed),
                        g_uri_get_port (parsed), g_uri_get_path (parsed), g_uri_get_query (parsed), NULL);
  t->url = g_uri_to_string (t->uri);
  g_queue_init (&t->chunks);
  return t;
}

static gboolean
check_output_directory (const char  *path,
                        GError     **error)
{
  g_autofree char *directory = g_path_get_dirname (path);

  if (!g_file_test (directory, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s: no such directory"), directory);
      return FALSE;
    }
  if (access (directory, W_OK) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, _("%s: cannot write there: %s"), directory,
                   g_strerror (errno));
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, _("%s is a directory"), path);
      return FALSE;
    }
  return TRUE;
}

static int
usage_error (const char *text)
{
  fprintf (stderr, "ladle: %s\n", text);
  fprintf (stderr, _("Try “ladle --help”.\n"));
  return EXIT_USAGE;
}

static int
run (App    *app,
     int     argc,
     char  **argv,
     char  **argv_copy)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(LadleSessionConfiguration) configuration = NULL;
  g_autoptr(GError) error = NULL;
  const char *command = argv[1];
  g_autofree char *prgname = NULL;
  guint n_urls, i;
  int status = EXIT_OK;

  if (g_strcmp0 (command, "get") == 0)
    {
      app->command = COMMAND_GET;
      context = make_context (app, COMMAND_GET, _("URL…"), _("Downloads each URL to a file (or stdout with -o -)."));
    }
  else if (g_strcmp0 (command, "put") == 0)
    {
      app->command = COMMAND_PUT;
      context = make_context (app, COMMAND_PUT, _("URL FILE"), _("Uploads FILE to URL with PUT."));
    }
  else if (g_strcmp0 (command, "post") == 0)
    {
      app->command = COMMAND_POST;
      context = make_context (app, COMMAND_POST, _("URL"),
                              _("Posts a multipart form (-F, files read as they are sent) or a body (-d) to URL."));
    }
  else
    {
      g_autofree char *text = g_strdup_printf (_("unknown command “%s”"), command);
      return usage_error (text);
    }
  app->command_name = command;

  /* argv[1] is the command: the options parser sees "ladle COMMAND ARGS" as "ladle-COMMAND ARGS" */
  prgname = g_strdup_printf ("ladle %s", command);
  argv[1] = prgname;
  argc--;
  argv++;
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (error->message);
  g_set_prgname ("ladle");
  for (i = 1; i < (guint) argc; i++)
    if (strcmp (argv[i], "--") != 0 && argv[i][0] == '-' && argv[i][1] != '\0')
      {
        g_autofree char *text = g_strdup_printf (_("unknown option %s"), argv[i]);
        return usage_error (text);
      }

  if (!setup_credentials (app, argv_copy, &error))
    return usage_error (error->message);

  n_urls = 0;
  for (i = 1; i < (guint) argc; i++)
    if (strcmp (argv[i], "--") != 0)
      argv[++n_urls] = argv[i];
  argc = n_urls + 1;

  if (app->command == COMMAND_PUT)
    {
      if (argc != 3)
        return usage_error (_("put wants a URL and a FILE"));
      app->upload_path = g_strdup (argv[2]);
      n_urls = 1;
    }
  else if (app->command == COMMAND_POST && argc != 2)
    return usage_error (_("post wants one URL"));
  else if (argc < 2)
    return usage_error (_("get wants at least one URL"));

  if (app->parallel < 1 || app->parallel > 64)
    return usage_error (_("--parallel wants a number from 1 to 64"));
  if (app->command == COMMAND_GET && app->output != NULL && app->remote_name)
    return usage_error (_("-o and -O do not go together"));
  if (app->command == COMMAND_GET && app->output != NULL && n_urls > 1)
    return usage_error (_("-o names the file of one URL: use -O (the default) for several"));
  if (app->output_dir != NULL && app->output != NULL)
    return usage_error (_("-P is for the files named by -O"));
  if (app->resume && g_strcmp0 (app->output, "-") == 0)
    return usage_error (_("-c needs a file: it cannot resume stdout"));
  if (app->json && g_strcmp0 (app->output, "-") == 0)
    return usage_error (_("--json prints on stdout: -o - does not go with it"));
  if (app->form != NULL && app->data != NULL)
    return usage_error (_("-F and -d do not go together"));
  if (app->command == COMMAND_GET && app->output == NULL)
    app->remote_name = TRUE;
  if (g_strcmp0 (app->output, "-") == 0)
    g_clear_pointer (&app->output, g_free);
  if (app->command == COMMAND_GET && app->remote_name)
    {
      g_autofree char *probe = g_build_filename (app->output_dir != NULL ? app->output_dir : ".", "x", NULL);

      /* -O writes into that directory: checked before anything is downloaded */
      if (!check_output_directory (probe, &error))
        {
          fprintf (stderr, "ladle: %s\n", error->message);
          return EXIT_FILE;
        }
    }
  /* -H and -F are checked before anything is sent; the form is built once (its files are
   * looked at now, read only while the request is sent) */
  {
    g_autoptr(SoupMessage) probe = soup_message_new ("GET", "http://localhost/");

    if (!add_headers (app, probe, &error))
      return usage_error (error->message);
  }
  if (app->form != NULL)
    {
      app->form_object = ladle_multipart_form_new ();
      for (i = 0; app->form[i] != NULL; i++)
        if (!append_form_field (app->form_object, app->form[i], &error))
          {
            if (error->domain == G_OPTION_ERROR)
              return usage_error (error->message);
            fprintf (stderr, "ladle: %s\n", error->message);
            return exit_code_for_error (app, error);
          }
    }

  for (i = 0; i < n_urls; i++)
    {
      Transfer *t = transfer_new (app, argv[i + 1], &error);

      if (t == NULL)
        return usage_error (error->message);
      if (t->user != NULL && app->user_option == NULL)
        hide_url_passwords (argv_copy);
      t->index = i;
      g_ptr_array_add (app->transfers, t);
      if (app->command == COMMAND_GET && app->remote_name)
        {
          g_autofree char *name = url_file_name (t->uri);

          t->remote_name = TRUE;
          t->name = g_strdup (name);
          if (app->resume)
            {
              g_autofree char *path = app->output_dir != NULL ? g_build_filename (app->output_dir, name, NULL)
                                                              : g_strdup (name);
              t->resume_path = g_strconcat (path, RESUME_SUFFIX, NULL);
            }
        }
      else
        {
          t->output = g_strdup (app->output);
          if (app->command == COMMAND_GET && t->output != NULL)
            {
              t->name = g_path_get_basename (t->output);
              if (app->resume)
                t->resume_path = g_strconcat (t->output, RESUME_SUFFIX, NULL);
              if (!check_output_directory (t->output, &error))
                {
                  fprintf (stderr, "ladle: %s\n", error->message);
                  return EXIT_FILE;
                }
            }
          else if (app->command == COMMAND_PUT)
            t->name = g_path_get_basename (app->upload_path);
          else
            t->name = url_file_name (t->uri);
        }
      if (app->command != COMMAND_GET && app->json && app->output == NULL)
        t->discard_body = TRUE;   /* the body has nowhere to go: stdout is the JSON's */
    }

  /* The terminal: a progress bar on stderr when it is one, unless the body itself goes there */
  if (!app->quiet)
    {
      gboolean body_on_terminal = isatty (STDOUT_FILENO) &&
                                  ((app->command == COMMAND_GET && app->output == NULL && !app->remote_name) ||
                                   (app->command != COMMAND_GET && app->output == NULL && !app->json));
      const char *term = g_getenv ("TERM");

      if (isatty (STDERR_FILENO) && g_strcmp0 (term, "dumb") != 0 && !body_on_terminal)
        app->bar = TRUE;
      else if (!body_on_terminal)
        app->plain = TRUE;
    }

  /* One session for every transfer. Partial downloads live in Ladle's state directory when -c
   * may need them again (XDG_STATE_HOME/ladle/cli), else in a private directory that goes with
   * the session: partial output never sits under the destination's name. */
  configuration = ladle_session_configuration_new_ephemeral ();
  if (app->resume)
    {
      g_autofree char *state = g_build_filename (g_get_user_state_dir (), "ladle", "cli", NULL);
      ladle_session_configuration_set_state_directory (configuration, state);
    }
  if (app->timeout > 0)
    ladle_session_configuration_set_timeout (configuration, (guint) app->timeout);
  if ((guint) app->parallel > ladle_session_configuration_get_max_connections_per_host (configuration))
    ladle_session_configuration_set_max_connections_per_host (configuration, (guint) app->parallel);
  ladle_session_configuration_set_user_agent (configuration,
                                              app->user_agent != NULL ? app->user_agent : "ladle/" PACKAGE_VERSION);
  if (app->cacert != NULL)
    {
      g_autoptr(GTlsDatabase) database = NULL;

      if (!g_file_test (app->cacert, G_FILE_TEST_IS_REGULAR))
        {
          fprintf (stderr, _("ladle: %s: no such file\n"), app->cacert);
          return EXIT_FILE;
        }
      database = g_tls_file_database_new (app->cacert, &error);
      if (database == NULL)
        {
          fprintf (stderr, "ladle: %s: %s\n", app->cacert, error->message);
          return EXIT_FILE;
        }
      ladle_session_configuration_set_tls_database (configuration, database);
    }
  app->session = ladle_session_new (configuration);

  app->loop = g_main_loop_new (NULL, FALSE);
  app->sigint_id = g_unix_signal_add (SIGINT, sigint_cb, app);
  app->sigterm_id = g_unix_signal_add (SIGTERM, sigterm_cb, app);
  if (app->bar)
    app->redraw_id = g_timeout_add (REDRAW_MS, redraw_cb, app);

  start_more (app);
  if (app->running > 0 || app->next < app->transfers->len)
    g_main_loop_run (app->loop);

  if (app->bar)
    {
      redraw (app);
      if (app->live_lines > 0)
        fputc ('\n', stderr);
      fflush (stderr);
    }
  g_clear_handle_id (&app->redraw_id, g_source_remove);
  g_clear_handle_id (&app->sigint_id, g_source_remove);
  g_clear_handle_id (&app->sigterm_id, g_source_remove);

  if (app->signal_number != 0)
    status = 128 + app->signal_number;
  else
    for (i = 0; i < app->transfers->len; i++)
      {
        Transfer *t = g_ptr_array_index (app->transfers, i);

        if (t->exit_code != EXIT_OK)
          {
            status = t->exit_code;
            break;
          }
      }

  ladle_session_invalidate_and_cancel (app->session);
  /* what the invalidation queued (a bounded number of idle callbacks) */
  for (i = 0; i < 100 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
  return status;
}

int
main (int    argc,
      char **argv)
{
  App app = { 0 };
  g_autofree char **argv_copy = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* A closed pipe is a write error of the transfer, not a silent death */
  signal (SIGPIPE, SIG_IGN);

  if (argc < 2)
    {
      fprintf (stderr, _("ladle: no command\n"));
      print_usage (stderr);
      return EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("ladle %s (libladle %u.%u.%u)\n", PACKAGE_VERSION, LADLE_MAJOR_VERSION, LADLE_MINOR_VERSION,
              LADLE_MICRO_VERSION);
      return EXIT_OK;
    }

  /* the strings themselves, for hide_password(): the parser reorders argv's pointers */
  argv_copy = g_memdup2 (argv, sizeof (char *) * (argc + 1));
  app.parallel = 1;
  app.umask = umask (022);
  umask (app.umask);
  app.max_redirects = -1;
  app.transfers = g_ptr_array_new_with_free_func ((GDestroyNotify) transfer_free);
  app.pending_lines = g_ptr_array_new_with_free_func (g_free);
  app.claimed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  status = run (&app, argc, argv, argv_copy);

  g_ptr_array_unref (app.transfers);
  g_ptr_array_unref (app.pending_lines);
  g_hash_table_unref (app.claimed);
  g_clear_object (&app.session);
  g_clear_pointer (&app.loop, g_main_loop_unref);
  g_strfreev (app.headers);
  g_strfreev (app.form);
  g_clear_object (&app.form_object);
  if (app.password != NULL)
    explicit_bzero (app.password, strlen (app.password));
  g_free (app.password);
  g_free (app.user);
  g_free (app.user_option);
  g_free (app.user_agent);
  g_free (app.cacert);
  g_free (app.output);
  g_free (app.output_dir);
  g_free (app.content_type);
  g_free (app.data);
  g_free (app.upload_path);
  return status;
}
