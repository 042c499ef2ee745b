/* ladle-download-task.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleDownloadTask:
 *
 * A task whose response body goes to a file.
 *
 * The body streams into a partial file in a directory the session owns (under its
 * [property@Ladle.SessionConfiguration:state-directory]), with large reads and constant memory
 * whatever the size. Content decoding is disabled, so that byte counts and ranges refer to the
 * stored bytes.
 *
 * When the body is complete (and as long as it is: a body shorter than its Content-Length or
 * Content-Range is an error), [signal@Ladle.DownloadTask::finished] is emitted with the file,
 * then the session's [signal@Ladle.Session::download-finished]. A handler may move the file
 * away; otherwise, when a destination was set with [method@Ladle.DownloadTask.set_destination]
 * and the status is 2xx, the file is moved there atomically, and else it is deleted. A failed
 * move is the task's error.
 *
 * A download can be paused for a long time, or across a restart of the application, with
 * [method@Ladle.DownloadTask.cancel_producing_resume_data_async]: the resume data it gives is
 * passed to [method@Ladle.Session.create_download_task_from_resume_data] later. A download that
 * fails in the middle of the body (a dropped connection, a timeout) keeps its resume data too:
 * read it with [method@Ladle.DownloadTask.dup_resume_data] after
 * [signal@Ladle.Task::completed]. The format is documented in the resume-data page of the
 * documentation.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "ladle-download-task.h"
#include "ladle-download-task-private.h"
#include "ladle-enum-types.h"
#include "ladle-error.h"
#include "ladle-resume-data-private.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"
#include "ladle-util-private.h"

#define DOWNLOAD_READ_SIZE (256 * 1024)

struct _LadleDownloadTask
{
  LadleTask              parent_instance;

  GFile                 *destination;
  LadleDestinationFlags  destination_flags;
  GFile                 *partial_directory;
  GFile                 *partial_file;
  GOutputStream         *output;
  char                  *suggested_filename;

  /* From the resume data this task was made with. */
  LadleResumeData       *resuming;

  /* Validators and totals of the response being written. */
  char                  *etag;
  char                  *last_modified;
  gboolean               ranges_refused;
  gint64                 expected_total;
  gint64                 written;
  gboolean               owns_partial;   /* this task wrote to the partial file */
  gboolean               discard_body;   /* a 416 body: the partial file is already complete */

  GBytes                *resume_data;
  gboolean               produce_resume_data;
  GTask                 *resume_data_task;
};

G_DEFINE_FINAL_TYPE (LadleDownloadTask, ladle_download_task, LADLE_TYPE_TASK)

enum {
  PROP_0,
  PROP_DESTINATION,
  PROP_DESTINATION_FLAGS,
  PROP_SUGGESTED_FILENAME,
  N_PROPS
};

enum {
  RESUMED,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* File names */

static char *
base_name_of (const char *name)
{
  const char *start = name;

  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == '\\')
      start = p + 1;

  return g_strdup (start);
}

/**
 * ladle_sanitize_filename:
 * @name: a file name proposed by a server or a URL
 *
 * Reduces @name to a base name that is safe to create in a directory: everything up to the last
 * `/` or `\` is dropped, control characters are removed, leading dots and spaces are stripped,
 * invalid UTF-8 is replaced and the length is limited to 200 bytes. The result is never empty,
 * never `.` or `..`: it falls back to `download`.
 *
 * Returns: (transfer full): a safe base name
 */
char *
ladle_sanitize_filename (const char *name)
{
  g_autofree char *valid = NULL;
  g_autofree char *base = NULL;
  GString *clean;
  const char *p;

  g_return_val_if_fail (name != NULL, NULL);

  valid = g_utf8_make_valid (name, -1);
  base = base_name_of (valid);

  clean = g_string_new (NULL);
  for (p = base; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || c == 0x7f)
        continue;
      if (clean->len == 0 && (c == '.' || g_unichar_isspace (c)))
        continue;
      if (clean->len + (g_utf8_next_char (p) - p) > 200)
        break;
      g_string_append_unichar (clean, c);
    }

  while (clean->len > 0 && g_ascii_isspace (clean->str[clean->len - 1]))
    g_string_truncate (clean, clean->len - 1);

  if (clean->len == 0)
    g_string_assign (clean, "download");

  return g_string_free (clean, FALSE);
}

static char *
suggest_filename (SoupMessage *message)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  g_autoptr(GHashTable) params = NULL;
  const char *path;

  if (soup_message_headers_get_content_disposition (headers, NULL, &params))
    {
      const char *filename = g_hash_table_lookup (params, "filename");

      if (filename != NULL && *filename != '\0')
        return ladle_sanitize_filename (filename);
    }

  path = g_uri_get_path (soup_message_get_uri (message));
  if (path != NULL)
    {
      g_autofree char *unescaped = g_uri_unescape_string (path, NULL);
      g_autofree char *base = base_name_of (unescaped != NULL ? unescaped : path);

      if (*base != '\0')
        return ladle_sanitize_filename (base);
    }

  return ladle_sanitize_filename (g_uri_get_host (soup_message_get_uri (message)));
}

/* Partial file */

static GError *
partial_file_error (const char *format,
                    ...) G_GNUC_PRINTF (1, 2);

static GError *
partial_file_error (const char *format,
                    ...)
{
  va_list args;
  GError *error;

  va_start (args, format);
  error = g_error_new_valist (LADLE_ERROR, LADLE_ERROR_PARTIAL_FILE, format, args);
  va_end (args);

  return error;
}

/* The partial file must be a regular file (not a link) of exactly the recorded size. */
static gboolean
check_partial_file (GFile    *file,
                    guint64   expected_size,
                    GError  **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) local_error = NULL;

  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &local_error);
  if (info == NULL)
    {
      g_autofree char *path = g_file_get_path (file);

      g_propagate_error (error, partial_file_error ("The partial file %s cannot be read: %s",
                                                    path, local_error->message));
      return FALSE;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_autofree char *path = g_file_get_path (file);

      g_propagate_error (error, partial_file_error ("The partial file %s is not a regular file", path));
      return FALSE;
    }
  if ((guint64)g_file_info_get_size (info) != expected_size)
    {
      g_autofree char *path = g_file_get_path (file);

      g_propagate_error (error, partial_file_error ("The partial file %s has %" G_GOFFSET_FORMAT
                                                    " bytes; the resume data records %" G_GUINT64_FORMAT,
                                                    path, g_file_info_get_size (info), expected_size));
      return FALSE;
    }

  return TRUE;
}

static gboolean
create_partial_file (LadleDownloadTask  *self,
                     GError            **error)
{
  g_autofree char *directory = g_file_get_path (self->partial_directory);

  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create the download directory %s: %s",
                   directory, g_strerror (saved_errno));
      return FALSE;
    }

  for (guint attempt = 0; attempt < 8; attempt++)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      g_autofree char *name = g_strconcat (uuid, ".part", NULL);
      g_autoptr(GFile) file = g_file_get_child (self->partial_directory, name);
      g_autoptr(GFileOutputStream) output = NULL;
      g_autoptr(GError) local_error = NULL;

      output = g_file_create (file, G_FILE_CREATE_PRIVATE, NULL, &local_error);
      if (output != NULL)
        {
          g_set_object (&self->partial_file, file);
          self->output = G_OUTPUT_STREAM (g_steal_pointer (&output));
          self->owns_partial = TRUE;
          return TRUE;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Cannot name a new partial file");
  return FALSE;
}

static void
close_output (LadleDownloadTask *self)
{
  if (self->output != NULL)
    {
      g_output_stream_close (self->output, NULL, NULL);
      g_clear_object (&self->output);
    }
}

/* A task deletes only a partial file it wrote to: a resume that failed before its response
 * leaves the file it was given as it was. */
static void
delete_partial_file (LadleDownloadTask *self)
{
  close_output (self);
  if (self->partial_file != NULL)
    {
      if (self->owns_partial)
        g_file_delete (self->partial_file, NULL, NULL);
      g_clear_object (&self->partial_file);
    }
}

/* Resume data */

static gboolean
is_strong_etag (const char *etag)
{
  return etag != NULL && etag[0] == '"';
}

static void
copy_request_header (const char *name,
                     const char *value,
                     gpointer    user_data)
{
  GPtrArray *headers = user_data;
  static const char * const skipped[] = {
    "Host", "Range", "If-Range", "Authorization", "Proxy-Authorization", "Cookie",
    "Accept-Encoding", "Connection", "Content-Length", "Transfer-Encoding", "User-Agent",
  };

  /* Secrets are never written to resume data: the session's authentication handlers answer
   * again when the resumed request needs credentials. */
  for (guint i = 0; i < G_N_ELEMENTS (skipped); i++)
    if (g_ascii_strcasecmp (name, skipped[i]) == 0)
      return;

  g_ptr_array_add (headers, g_strdup (name));
  g_ptr_array_add (headers, g_strdup (value));
}

/* @check_status: the partial file holds the body of the task's response, which must be the
 * resource itself (200 or 206), not an error page. Without it, the partial file is the one the
 * task was resumed from and still stands as it was. */
static GBytes *
build_resume_data (LadleDownloadTask *self,
                   gboolean           check_status)
{
  LadleTask *task = LADLE_TASK (self);
  SoupMessage *request = ladle_task_get_current_request (task);
  g_autoptr(LadleResumeData) data = NULL;
  g_autoptr(GUri) uri = NULL;
  guint status = ladle_task_get_status_code (task);

  if (self->partial_file == NULL || self->written <= 0 || self->ranges_refused || request == NULL)
    return NULL;
  if (check_status && status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    return NULL;
  if (!is_strong_etag (self->etag) && self->last_modified == NULL)
    return NULL;

  data = _ladle_resume_data_new ();
  uri = g_uri_build (G_URI_FLAGS_NONE,
                     g_uri_get_scheme (soup_message_get_uri (request)), NULL,
                     g_uri_get_host (soup_message_get_uri (request)),
                     g_uri_get_port (soup_message_get_uri (request)),
                     g_uri_get_path (soup_message_get_uri (request)),
                     g_uri_get_query (soup_message_get_uri (request)),
                     NULL);
  data->url = g_uri_to_string (uri);
  data->method = g_strdup (soup_message_get_method (request));
  soup_message_headers_foreach (soup_message_get_request_headers (request),
                                copy_request_header, data->headers);
  data->partial_name = g_file_get_basename (self->partial_file);
  data->bytes_received = self->written;
  data->etag = is_strong_etag (self->etag) ? g_strdup (self->etag) : NULL;
  data->last_modified = g_strdup (self->last_modified);
  data->expected_total = self->expected_total;

  return _ladle_resume_data_serialize (data);
}

/* Task hooks */

static gboolean
download_prepare_message (LadleTask    *task,
                          SoupMessage  *message,
                          GError      **error)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);

  /* Byte counts and ranges must refer to the stored bytes. */
  soup_message_disable_feature (message, SOUP_TYPE_CONTENT_DECODER);
  soup_message_headers_remove (headers, "Accept-Encoding");
  soup_message_headers_remove (headers, "Range");
  soup_message_headers_remove (headers, "If-Range");

  if (self->resuming != NULL)
    {
      if (!check_partial_file (self->partial_file, self->resuming->bytes_received, error))
        return FALSE;

      soup_message_headers_set_range (headers, self->resuming->bytes_received, -1);
      if (is_strong_etag (self->resuming->etag))
        soup_message_headers_replace (headers, "If-Range", self->resuming->etag);
      else if (self->resuming->last_modified != NULL)
        soup_message_headers_replace (headers, "If-Range", self->resuming->last_modified);
    }

  return TRUE;
}

static gint64
response_total (SoupMessageHeaders *headers)
{
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    return soup_message_headers_get_content_length (headers);

  return -1;
}

static void
record_validators (LadleDownloadTask  *self,
                   SoupMessageHeaders *headers)
{
  const char *accept_ranges = soup_message_headers_get_one (headers, "Accept-Ranges");

  _ladle_set_str (&self->etag, soup_message_headers_get_one (headers, "ETag"));
  _ladle_set_str (&self->last_modified, soup_message_headers_get_one (headers, "Last-Modified"));
  self->ranges_refused = accept_ranges != NULL && g_ascii_strcasecmp (accept_ranges, "none") == 0;
}

static gboolean
begin_resumed_body (LadleDownloadTask  *self,
                    SoupMessage        *message,
                    GError            **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  guint status = soup_message_get_status (message);
  gint64 offset = self->resuming->bytes_received;
  g_autoptr(GFileOutputStream) output = NULL;

  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      goffset start, end, total;
      const char *etag = soup_message_headers_get_one (headers, "ETag");

      if (!soup_message_headers_get_content_range (headers, &start, &end, &total) || start != offset)
        {
          g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE,
                       "The server answered the resumed download with a range that does not start at byte %"
                       G_GINT64_FORMAT, offset);
          return FALSE;
        }
      /* A server that ignores If-Range would splice two versions of the resource. */
      if (etag != NULL && is_strong_etag (self->resuming->etag) && strcmp (etag, self->resuming->etag) != 0)
        {
          g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE,
                       "The resource changed (ETag %s, was %s) but the server sent a partial response",
                       etag, self->resuming->etag);
          return FALSE;
        }
      if (!check_partial_file (self->partial_file, offset, error))
        return FALSE;

      output = g_file_append_to (self->partial_file, G_FILE_CREATE_PRIVATE, NULL, error);
      if (output == NULL)
        return FALSE;

      self->output = G_OUTPUT_STREAM (g_steal_pointer (&output));
      self->owns_partial = TRUE;
      self->written = offset;
      self->expected_total = total >= 0 ? total : -1;
      if (self->expected_total < 0 && soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        self->expected_total = offset + soup_message_headers_get_content_length (headers);
      record_validators (self, headers);
      if (self->etag == NULL)
        _ladle_set_str (&self->etag, self->resuming->etag);
      if (self->last_modified == NULL)
        _ladle_set_str (&self->last_modified, self->resuming->last_modified);

      _ladle_task_set_receive_offset (LADLE_TASK (self), offset, self->expected_total);
      g_signal_emit (self, signals[RESUMED], 0, offset, self->expected_total);
      return TRUE;
    }

  if (status == SOUP_STATUS_OK)
    {
      /* The resource changed, or the server ignores ranges: start over. */
      output = g_file_replace (self->partial_file, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, error);
      if (output == NULL)
        return FALSE;

      self->output = G_OUTPUT_STREAM (g_steal_pointer (&output));
      self->owns_partial = TRUE;
      self->written = 0;
      self->expected_total = response_total (headers);
      record_validators (self, headers);

      _ladle_task_set_receive_offset (LADLE_TASK (self), 0, self->expected_total);
      g_signal_emit (self, signals[RESUMED], 0, (gint64)0, self->expected_total);
      return TRUE;
    }

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE &&
      self->resuming->expected_total == offset)
    {
      gint64 total = -1;
      const char *range = soup_message_headers_get_one (headers, "Content-Range");

      /* A Content-Range of "bytes *\/N" with N the recorded total: the partial file was
       * complete already. */
      if (range != NULL && g_str_has_prefix (range, "bytes */") &&
          g_ascii_string_to_signed (range + strlen ("bytes */"), 10, 0, G_MAXINT64, &total, NULL) &&
          total == offset)
        {
          output = g_file_append_to (self->partial_file, G_FILE_CREATE_PRIVATE, NULL, error);
          if (output == NULL)
            return FALSE;
          self->output = G_OUTPUT_STREAM (g_steal_pointer (&output));
          self->owns_partial = TRUE;
          self->written = offset;
          self->expected_total = offset;
          self->discard_body = TRUE;
          _ladle_task_set_receive_offset (LADLE_TASK (self), offset, offset);
          g_signal_emit (self, signals[RESUMED], 0, offset, offset);
          return TRUE;
        }
    }

  g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE,
               "The server answered the resumed download with status %u %s",
               status, soup_message_get_reason_phrase (message) ? soup_message_get_reason_phrase (message) : "");
  return FALSE;
}

static gboolean
download_body_begin (LadleTask    *task,
                     SoupMessage  *message,
                     GError      **error)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);

  g_free (self->suggested_filename);
  self->suggested_filename = suggest_filename (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUGGESTED_FILENAME]);

  if (self->resuming != NULL)
    {
      gboolean ok = begin_resumed_body (self, message, error);

      /* Whatever happened, the resume data has been used: a failure keeps the partial file
       * and the resume data this task was made with. */
      if (!ok)
        self->resume_data = build_resume_data (self, FALSE);
      return ok;
    }

  delete_partial_file (self);
  if (!create_partial_file (self, error))
    return FALSE;

  self->written = 0;
  self->expected_total = response_total (headers);
  record_validators (self, headers);

  return TRUE;
}

static gboolean
download_body_chunk (LadleTask     *task,
                     const guint8  *data,
                     gsize          length,
                     GError       **error)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  gsize written = 0;

  if (self->discard_body)
    return TRUE;

  if (!g_output_stream_write_all (self->output, data, length, &written,
                                  _ladle_task_get_cancellable (task), error))
    {
      self->written += written;
      return FALSE;
    }

  self->written += written;

  return TRUE;
}

static void
move_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LadleDownloadTask) self = user_data;
  GError *error = NULL;

  if (!g_file_move_finish (G_FILE (object), result, &error))
    {
      g_prefix_error (&error, "Cannot move the download to its destination: ");
      delete_partial_file (self);
    }
  else
    g_clear_object (&self->partial_file);

  _ladle_task_finish_body (LADLE_TASK (self), error);
}

static void
download_body_end (LadleTask *task)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(GError) error = NULL;
  guint status;
  GFileCopyFlags flags = G_FILE_COPY_NOFOLLOW_SYMLINKS;

  /* A body that stops short of the announced total is never a finished download. */
  if (self->expected_total >= 0 && self->written != self->expected_total)
    {
      _ladle_task_finish_body (task, g_error_new (LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY,
                                                  "The download ended after %" G_GINT64_FORMAT
                                                  " of %" G_GINT64_FORMAT " bytes",
                                                  self->written, self->expected_total));
      return;
    }

  if (!g_output_stream_close (self->output, NULL, &error))
    {
      g_clear_object (&self->output);
      _ladle_task_finish_body (task, g_steal_pointer (&error));
      return;
    }
  g_clear_object (&self->output);

  g_signal_emit (self, signals[FINISHED], 0, self->partial_file);
  session = ladle_task_dup_session (task);
  if (session != NULL)
    _ladle_session_emit_download_finished (session, self, self->partial_file);

  /* Handlers may have taken the file already. */
  /* A 416 that proved the partial file complete delivers it like a 2xx. */
  status = ladle_task_get_status_code (task);
  if (self->destination == NULL || !(SOUP_STATUS_IS_SUCCESSFUL (status) || self->discard_body) ||
      !g_file_query_exists (self->partial_file, NULL))
    {
      delete_partial_file (self);
      _ladle_task_finish_body (task, NULL);
      return;
    }

  if (self->destination_flags & LADLE_DESTINATION_FLAGS_CREATE_PARENTS)
    {
      g_autoptr(GFile) parent = g_file_get_parent (self->destination);

      if (parent != NULL &&
          !g_file_make_directory_with_parents (parent, NULL, &error) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_prefix_error (&error, "Cannot create the destination's directory: ");
          delete_partial_file (self);
          _ladle_task_finish_body (task, g_steal_pointer (&error));
          return;
        }
    }
  if (self->destination_flags & LADLE_DESTINATION_FLAGS_REPLACE)
    flags |= G_FILE_COPY_OVERWRITE;

  g_file_move_async (self->partial_file, self->destination, flags, G_PRIORITY_DEFAULT,
                     NULL, NULL, NULL, move_cb, g_object_ref (self));
}

static void
download_will_complete (LadleTask    *task,
                        const GError *error)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);

  close_output (self);

  if (error == NULL)
    {
      delete_partial_file (self);
      return;
    }

  /* A plain cancel gives the download up, the partial file of a task made from resume data
   * included. */
  if (!self->produce_resume_data && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->owns_partial = TRUE;
      delete_partial_file (self);
      return;
    }

  /* A resumed task that failed before writing (the server was unreachable, say) leaves its
   * partial file untouched: its resume data is still good. */
  if (self->resume_data == NULL)
    self->resume_data = build_resume_data (self, self->owns_partial);

  if (self->resume_data == NULL)
    delete_partial_file (self);
}

static void
download_did_complete (LadleTask *task)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  g_autoptr(GTask) pending = g_steal_pointer (&self->resume_data_task);

  if (pending != NULL)
    g_task_return_pointer (pending,
                           self->resume_data ? g_bytes_ref (self->resume_data) : NULL,
                           (GDestroyNotify)g_bytes_unref);
}

static const LadleTaskOps download_task_ops = {
  .read_size = DOWNLOAD_READ_SIZE,
  .prepare_message = download_prepare_message,
  .body_begin = download_body_begin,
  .body_chunk = download_body_chunk,
  .body_end = download_body_end,
  .will_complete = download_will_complete,
  .did_complete = download_did_complete,
};

static void
ladle_download_task_dispose (GObject *object)
{
  LadleDownloadTask *self = (LadleDownloadTask *)object;

  close_output (self);

  G_OBJECT_CLASS (ladle_download_task_parent_class)->dispose (object);
}

static void
ladle_download_task_finalize (GObject *object)
{
  LadleDownloadTask *self = (LadleDownloadTask *)object;

  g_clear_object (&self->destination);
  g_clear_object (&self->partial_directory);
  g_clear_object (&self->partial_file);
  g_clear_pointer (&self->suggested_filename, g_free);
  g_clear_pointer (&self->resuming, _ladle_resume_data_free);
  g_clear_pointer (&self->etag, g_free);
  g_clear_pointer (&self->last_modified, g_free);
  g_clear_pointer (&self->resume_data, g_bytes_unref);
  g_clear_object (&self->resume_data_task);

  G_OBJECT_CLASS (ladle_download_task_parent_class)->finalize (object);
}

static void
ladle_download_task_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (object);

  switch (prop_id)
    {
    case PROP_DESTINATION:
      g_value_set_object (value, self->destination);
      break;
    case PROP_DESTINATION_FLAGS:
      g_value_set_flags (value, self->destination_flags);
      break;
    case PROP_SUGGESTED_FILENAME:
      g_value_set_string (value, self->suggested_filename);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_download_task_class_init (LadleDownloadTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ladle_download_task_dispose;
  object_class->finalize = ladle_download_task_finalize;
  object_class->get_property = ladle_download_task_get_property;

  /**
   * LadleDownloadTask:destination:
   *
   * Where the downloaded file is moved once complete, or %NULL. Set it with
   * [method@Ladle.DownloadTask.set_destination].
   */
  properties[PROP_DESTINATION] =
    g_param_spec_object ("destination", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleDownloadTask:destination-flags:
   *
   * How the file is put at [property@Ladle.DownloadTask:destination].
   */
  properties[PROP_DESTINATION_FLAGS] =
    g_param_spec_flags ("destination-flags", NULL, NULL,
                        LADLE_TYPE_DESTINATION_FLAGS,
                        LADLE_DESTINATION_FLAGS_NONE,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleDownloadTask:suggested-filename:
   *
   * A safe base name for the file, from the response's Content-Disposition or else the URL;
   * %NULL until the response is in. See [func@Ladle.sanitize_filename].
   */
  properties[PROP_SUGGESTED_FILENAME] =
    g_param_spec_string ("suggested-filename", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LadleDownloadTask::resumed:
   * @self: the task
   * @offset: the byte the download continues from; 0 when the server sent the whole resource
   *   again (it changed, or it ignores ranges) and the partial file was started over
   * @expected_total: the size of the whole resource, -1 when unknown
   *
   * Emitted, after [signal@Ladle.Task::response], by a task made from resume data, once the
   * server's answer shows how the download continues.
   */
  signals[RESUMED] =
    g_signal_new ("resumed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);

  /**
   * LadleDownloadTask::finished:
   * @self: the task
   * @location: the complete downloaded file
   *
   * Emitted when the whole body is in @location, before the file is moved to the destination
   * (or deleted when there is none). A handler may move the file elsewhere itself. The session's
   * [signal@Ladle.Session::download-finished] follows, then [signal@Ladle.Task::completed].
   */
  signals[FINISHED] =
    g_signal_new ("finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, G_TYPE_FILE);
}

static void
ladle_download_task_init (LadleDownloadTask *self)
{
  self->expected_total = -1;
  _ladle_task_set_ops (LADLE_TASK (self), &download_task_ops);
}

/* Internal API for the session */

void
_ladle_download_task_set_partial_directory (LadleDownloadTask *self,
                                            GFile             *directory)
{
  g_set_object (&self->partial_directory, directory);
}

gboolean
_ladle_download_task_prepare_resume (LadleDownloadTask  *self,
                                     LadleResumeData    *data,
                                     GError            **error)
{
  g_autoptr(GFile) partial = g_file_get_child (self->partial_directory, data->partial_name);

  if (!check_partial_file (partial, data->bytes_received, error))
    return FALSE;

  g_set_object (&self->partial_file, partial);
  self->resuming = data;
  self->written = data->bytes_received;
  self->expected_total = data->expected_total;
  _ladle_set_str (&self->etag, data->etag);
  _ladle_set_str (&self->last_modified, data->last_modified);

  return TRUE;
}

/* Public API */

/**
 * ladle_download_task_get_destination:
 * @self: a download task
 *
 * Returns: (transfer none) (nullable): the destination, or %NULL
 */
GFile *
ladle_download_task_get_destination (LadleDownloadTask *self)
{
  g_return_val_if_fail (LADLE_IS_DOWNLOAD_TASK (self), NULL);

  return self->destination;
}

/**
 * ladle_download_task_get_destination_flags:
 * @self: a download task
 *
 * Returns: how the file is put at the destination
 */
LadleDestinationFlags
ladle_download_task_get_destination_flags (LadleDownloadTask *self)
{
  g_return_val_if_fail (LADLE_IS_DOWNLOAD_TASK (self), LADLE_DESTINATION_FLAGS_NONE);

  return self->destination_flags;
}

/**
 * ladle_download_task_set_destination:
 * @self: a download task
 * @destination: (nullable): where to move the complete file, or %NULL
 * @flags: how to move it
 *
 * Sets where the file goes once the whole body arrived with a 2xx status. The move is a rename
 * when the destination is on the same file system, atomic in any case with
 * %LADLE_DESTINATION_FLAGS_REPLACE. Without that flag an existing destination is left untouched
 * and the task fails with %G_IO_ERROR_EXISTS. A failed move is the task's error.
 *
 * It may be called until [signal@Ladle.DownloadTask::finished] is emitted, from its handlers
 * included.
 */
void
ladle_download_task_set_destination (LadleDownloadTask     *self,
                                     GFile                 *destination,
                                     LadleDestinationFlags  flags)
{
  g_return_if_fail (LADLE_IS_DOWNLOAD_TASK (self));
  g_return_if_fail (destination == NULL || G_IS_FILE (destination));

  if (g_set_object (&self->destination, destination))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESTINATION]);
  if (self->destination_flags != flags)
    {
      self->destination_flags = flags;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESTINATION_FLAGS]);
    }
}

/**
 * ladle_download_task_dup_suggested_filename:
 * @self: a download task
 *
 * Returns: (transfer full) (nullable): a safe base name for the file, %NULL until the response
 *   is in
 */
char *
ladle_download_task_dup_suggested_filename (LadleDownloadTask *self)
{
  g_return_val_if_fail (LADLE_IS_DOWNLOAD_TASK (self), NULL);

  return g_strdup (self->suggested_filename);
}

/**
 * ladle_download_task_dup_resume_data:
 * @self: a download task
 *
 * Gets the resume data of a download that failed in the middle of the body or was cancelled
 * with [method@Ladle.DownloadTask.cancel_producing_resume_data_async]. It exists only when the
 * response had a validator (a strong ETag or a Last-Modified date) and the server did not refuse
 * ranges; the partial file then stays on disk for it.
 *
 * Returns: (transfer full) (nullable): the resume data, or %NULL
 */
GBytes *
ladle_download_task_dup_resume_data (LadleDownloadTask *self)
{
  g_return_val_if_fail (LADLE_IS_DOWNLOAD_TASK (self), NULL);

  return self->resume_data ? g_bytes_ref (self->resume_data) : NULL;
}

/**
 * ladle_download_task_cancel_producing_resume_data_async:
 * @self: a download task
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the resume data
 * @user_data: data for @callback
 *
 * Cancels the download and keeps its partial file, to continue later with
 * [method@Ladle.Session.create_download_task_from_resume_data], in this process or another.
 * The task completes with %G_IO_ERROR_CANCELLED first; then @callback is called.
 */
void
ladle_download_task_cancel_producing_resume_data_async (LadleDownloadTask   *self,
                                                        int                  io_priority,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LADLE_IS_DOWNLOAD_TASK (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ladle_download_task_cancel_producing_resume_data_async);
  g_task_set_priority (task, io_priority);

  if (ladle_task_get_state (LADLE_TASK (self)) == LADLE_TASK_STATE_COMPLETED)
    {
      g_task_return_pointer (task,
                             self->resume_data ? g_bytes_ref (self->resume_data) : NULL,
                             (GDestroyNotify)g_bytes_unref);
      return;
    }
  if (self->resume_data_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "Resume data is already being produced");
      return;
    }

  self->produce_resume_data = TRUE;
  self->resume_data_task = g_steal_pointer (&task);
  ladle_task_cancel (LADLE_TASK (self));
}

/**
 * ladle_download_task_cancel_producing_resume_data_finish:
 * @self: a download task
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the resume data, or %NULL without error when the download
 *   cannot be resumed (no validator, ranges refused, or nothing received yet)
 */
GBytes *
ladle_download_task_cancel_producing_resume_data_finish (LadleDownloadTask  *self,
                                                         GAsyncResult       *result,
                                                         GError            **error)
{
  g_return_val_if_fail (LADLE_IS_DOWNLOAD_TASK (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        ladle_download_task_cancel_producing_resume_data_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
