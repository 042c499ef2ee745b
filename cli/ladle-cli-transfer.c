/* ladle-cli-transfer.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One transfer of the `ladle` command: its task, the body writer (stdout or a file), the resume
 * data of -c beside the output, signals, and its outcome and exit status. */

#include "ladle-cli-config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixoutputstream.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ladle-cli-private.h"

static void transfer_finish (LadleCliTransfer *t);

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

int
ladle_cli_exit_code_for_error (LadleCliApp  *app,
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
save_resume_data (LadleCliTransfer *t,
                  GBytes           *bytes)
{
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  /* g_file_set_contents writes a temporary file and renames it: never half a resume file */
  if (!g_file_set_contents_full (t->resume_path, data, size, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      ladle_cli_message (t->app, _("%s: cannot save the resume data: %s"), t->resume_path, error->message);
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
remove_resume_file (LadleCliTransfer *t)
{
  if (t->resume_path != NULL && g_unlink (t->resume_path) != 0 && errno != ENOENT)
    ladle_cli_message (t->app, _("%s: cannot remove: %s"), t->resume_path, g_strerror (errno));
}

/* The body writer of data and upload tasks: chunks are queued and written asynchronously; a
 * slow reader (a pipe) suspends the task instead of growing the queue. */

static void sink_pump (LadleCliTransfer *t);

static void
sink_written_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LadleCliTransfer *t = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  t->queued -= g_bytes_get_size (t->writing);
  g_clear_pointer (&t->writing, g_bytes_unref);
  if (error != NULL)
    {
      /* cancelled: interrupted (the exit status says so), not a write error */
      if (t->sink_error == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
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
sink_pump (LadleCliTransfer *t)
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
                                   G_PRIORITY_DEFAULT, t->sink_cancellable, sink_written_cb, t);
}

static void
data_received_cb (LadleDataTask    *task,
                  GBytes           *chunk,
                  LadleCliTransfer *t)
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
download_progress_cb (LadleTask        *task,
                      gint64            now,
                      gint64            total,
                      gint64            expected,
                      LadleCliTransfer *t)
{
  t->received = total;
  t->expected = expected;
}

static void
upload_progress_cb (LadleTask        *task,
                    gint64            now,
                    gint64            total,
                    gint64            expected,
                    LadleCliTransfer *t)
{
  t->sent = total;
  t->send_total = expected;
}

static void
resumed_cb (LadleDownloadTask *task,
            gint64             offset,
            gint64             expected_total,
            LadleCliTransfer  *t)
{
  g_autofree char *at = ladle_cli_format_size (offset);

  t->resumed_from = offset;
  t->received = offset;
  t->expected = expected_total;
  t->n_samples = 0;
  if (offset > 0)
    ladle_cli_message (t->app, _("%s: resuming at %s"), t->name, at);
  else
    ladle_cli_message (t->app, _("%s: the file changed on the server (or cannot be resumed): starting over"), t->name);
}

/* -O: the name comes with the response (Content-Disposition, else the URL), reduced by Ladle to
 * a safe base name; a name another transfer of this run took gets a ".1", ".2"... suffix. */
static void
finished_cb (LadleDownloadTask *task,
             GFile             *location,
             LadleCliTransfer  *t)
{
  LadleCliApp *app = t->app;
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
authenticate_cb (LadleTask        *task,
                 SoupAuth         *auth,
                 gboolean          retrying,
                 LadleCliTransfer *t)
{
  LadleCliApp *app = t->app;
  g_autofree char *authority = authority_of (t->uri);

  if (t->user == NULL || soup_auth_is_for_proxy (auth))
    return FALSE;
  if (g_strcmp0 (soup_auth_get_authority (auth), authority) != 0)
    {
      ladle_cli_message (app, _("%s: %s asks for credentials: not sending those meant for %s"), t->name,
               soup_auth_get_authority (auth), authority);
      return FALSE;
    }
  if (retrying)
    {
      ladle_cli_message (app, _("%s: the server refused the credentials of %s"), t->name, t->user);
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
                       LadleCliTransfer     *t)
{
  g_autofree char *why = describe_tls_errors (errors);

  if (!t->app->insecure)
    {
      ladle_cli_message (t->app, _("%s: the server's certificate is not trusted (%s); use --cacert FILE to trust its "
                         "issuer"), t->name, why);
      return FALSE;
    }
  ladle_cli_message (t->app, _("WARNING: %s: accepting an UNTRUSTED certificate for %s (%s) because of --insecure: "
                     "the connection is NOT secure"), t->name, g_uri_get_host (t->uri), why);
  return TRUE;
}

static void
resume_data_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  LadleCliTransfer *t = user_data;
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
completed_cb (LadleTask        *task,
              const GError     *error,
              LadleCliTransfer *t)
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

void
ladle_cli_transfer_free (LadleCliTransfer *t)
{
  if (t->task != NULL)
    g_signal_handlers_disconnect_by_data (t->task, t);
  g_clear_object (&t->task);
  g_clear_object (&t->sink);
  g_clear_object (&t->sink_cancellable);
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
char *
ladle_cli_url_file_name (GUri *uri)
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

gboolean
ladle_cli_add_headers (LadleCliApp  *app,
                       SoupMessage  *ladle_cli_message,
                       GError      **error)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (ladle_cli_message);
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

gboolean
ladle_cli_append_form_field (LadleMultipartForm  *form,
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
open_sink (LadleCliTransfer  *t,
           GError           **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) stream = NULL;

  if (t->output == NULL)
    {
      t->sink = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
      t->sink_cancellable = g_cancellable_new ();
      return TRUE;
    }
  file = g_file_new_for_path (t->output);
  t->output_existed = g_file_query_exists (file, NULL);
  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (stream == NULL)
    return FALSE;
  t->sink = G_OUTPUT_STREAM (g_steal_pointer (&stream));
  t->sink_cancellable = g_cancellable_new ();
  return TRUE;
}

static LadleTask *
create_task (LadleCliTransfer  *t,
             GError           **error)
{
  LadleCliApp *app = t->app;
  const char *method = app->command == COMMAND_GET ? "GET" : app->command == COMMAND_PUT ? "PUT" : "POST";
  g_autoptr(SoupMessage) request = soup_message_new_from_uri (method, t->uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (request);

  if (!ladle_cli_add_headers (app, request, error))
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
              ladle_cli_message (app, _("%s: cannot resume (%s): starting over"), t->resume_path, local_error->message);
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
transfer_start (LadleCliTransfer *t)
{
  LadleCliApp *app = t->app;
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
        ladle_cli_message (app, _("%s %s → %s"), app->command_name, t->url, t->output);
      else
        ladle_cli_message (app, _("%s %s"), app->command_name, t->url);
    }
  ladle_task_resume (t->task);
  ladle_cli_redraw (app);
}

static void
transfer_finish (LadleCliTransfer *t)
{
  LadleCliApp *app = t->app;
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
      t->exit_code = ladle_cli_exit_code_for_error (app, t->error);
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
                ladle_cli_message (app, _("%s: the download can go on: run the same command with -c (%s)"), t->name,
                         t->resume_path);
            }
          else
            {
              remove_resume_file (t);
              if (t->received > 0)
                ladle_cli_message (app, _("%s: this download cannot be resumed (no ETag or Last-Modified, or no ranges)"),
                         t->name);
            }
        }
    }

  if (app->bar)
    {
      LadleCliLine line;

      ladle_cli_fill_line (t, &line);
      g_ptr_array_add (app->pending_lines, ladle_cli_render_line (&line, MAX (ladle_cli_terminal_width (), 2) - 1));
      ladle_cli_redraw (app);
    }
  else if (app->plain || t->exit_code != EXIT_OK)
    {
      double elapsed = (t->end_us - t->start_us) / 1e6;
      gint64 bytes = app->command == COMMAND_GET ? t->received : t->sent;
      g_autofree char *rate = ladle_cli_format_rate (elapsed > 0 ? (bytes - MAX (t->resumed_from, 0)) / elapsed : -1);

      size = ladle_cli_format_size (bytes);
      took = ladle_cli_format_duration ((gint64) (elapsed + 0.5));
      if (t->failure != NULL)
        ladle_cli_message (app, _("%s: failed: %s"), t->url, t->failure);
      else
        ladle_cli_message (app, "%s: %u %s, %s in %s (%s)%s%s", t->url, t->status,
                 soup_status_get_phrase (t->status), size, took, rate,
                 t->output != NULL ? " → " : "", t->output != NULL ? t->output : "");
    }

  if (app->json)
    ladle_cli_print_json (t);

  app->running--;
  ladle_cli_start_more (app);
}

void
ladle_cli_start_more (LadleCliApp *app)
{
  while (app->signal_number == 0 && app->running < (guint) app->parallel && app->next < app->transfers->len)
    transfer_start (g_ptr_array_index (app->transfers, app->next++));
  if (app->running == 0 && (app->next == app->transfers->len || app->signal_number != 0))
    g_main_loop_quit (app->loop);
}

/* SIGINT, SIGTERM: running transfers stop; with -c their resume data is written first. A second
 * signal exits at once. */
static gboolean
interrupt (LadleCliApp *app,
           int          signal_number)
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
      LadleCliTransfer *t = g_ptr_array_index (app->transfers, i);

      /* a reader that stopped reading (a stalled pipe) must not keep the command alive */
      if (t->sink_cancellable != NULL)
        g_cancellable_cancel (t->sink_cancellable);
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
  ladle_cli_start_more (app);
  return G_SOURCE_CONTINUE;
}

gboolean
ladle_cli_sigint_cb (gpointer user_data)
{
  return interrupt (user_data, SIGINT);
}

gboolean
ladle_cli_sigterm_cb (gpointer user_data)
{
  return interrupt (user_data, SIGTERM);
}
