/* ladle-download-task.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleDownloadTask:
 *
 * A task whose response body goes to a file.
 *
 * The body streams into a partial file in a directory the session owns (the `downloads`
 * directory of its [property@Ladle.SessionConfiguration:state-directory], or, for an ephemeral
 * session without a state directory set by the application, a private temporary directory
 * removed with the session), with large reads and constant memory
 * whatever the size. The file is written, checked and moved on a worker thread, never on the
 * application's main context, while the next block of the body is read. Content decoding is disabled, so that byte counts and ranges refer to the
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
 *
 * The partial file is deleted, before [signal@Ladle.Task::completed], when the download
 * succeeds (once it was moved, or when it was not moved), when the move fails, when the task is
 * cancelled with [method@Ladle.Task.cancel] (a task made from resume data included), and when it
 * fails without resume data. It is kept, closed, when the task fails or is cancelled with
 * [method@Ladle.DownloadTask.cancel_producing_resume_data_async] and resume data could be made;
 * a task made from resume data that fails before it wrote anything also leaves its partial file
 * as it found it. A kept partial file may still be removed later by the session: see
 * [property@Ladle.SessionConfiguration:partial-file-max-age].
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-download-task.h"
#include "ladle-download-filename-private.h"
#include "ladle-download-resume-private.h"
#include "ladle-download-task-private.h"
#include "ladle-enum-types.h"
#include "ladle-error.h"
#include "ladle-partial-file-private.h"
#include "ladle-resume-data-private.h"
#include "ladle-session-private.h"
#include "ladle-session-background-private.h"
#include "ladle-task-private.h"
#include "ladle-util-private.h"

/* Large reads keep throughput high; three blocks let the network read the next block while
 * the previous ones are written to disk by the partial file's worker. */
#define DOWNLOAD_READ_SIZE (256 * 1024)
#define DOWNLOAD_BUFFERS   3
/* Reads are gathered into 1 MiB blocks: a quarter of the disk writes and worker hand-offs. */
#define DOWNLOAD_BLOCK_SIZE (1024 * 1024)

struct _LadleDownloadTask
{
  LadleTask              parent_instance;

  GFile                 *destination;
  GFile                 *partial_directory;
  LadlePartialFile      *partial;
  GQueue                 writing;        /* blocks queued for the disk, in order */
  gint64                 resumed_offset; /* ::resumed waits for the partial file to open */
  gint64                 resumed_total;
  gboolean               announce_resumed;
  char                  *suggested_filename;

  /* The record of the resume data this task was made with. */
  LadleTaskRecord       *resuming;

  gboolean               ranges_refused;
  gboolean               owns_partial;   /* this task wrote to the partial file */
  gboolean               discard_body;   /* a 416 body: the partial file is already complete */

  GBytes                *resume_data;
  gboolean               produce_resume_data;
  GTask                 *resume_data_task;
};

struct _LadleDownloadTaskClass
{
  LadleTaskClass parent_class;
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

/* The record holds the validators and counts of the response being stored. */
static LadleTaskRecord *
record_of (LadleDownloadTask *self)
{
  return _ladle_task_get_record (LADLE_TASK (self));
}

/* Partial file: every operation runs on the partial file's worker (ladle-partial-file.c) */

static void
forget_partial (LadleDownloadTask *self)
{
  g_clear_object (&self->partial);
  g_clear_pointer (&record_of (self)->partial_name, g_free);
}

/* A task deletes only a partial file it wrote to: a resume that failed before its response
 * leaves the file it was given as it was. */
static void
delete_partial_file (LadleDownloadTask        *self,
                     LadlePartialFileCallback  callback,
                     gpointer                  user_data)
{
  if (self->owns_partial)
    _ladle_partial_file_delete (self->partial, callback, user_data);
  else
    _ladle_partial_file_close (self->partial, -1, callback, user_data);
  forget_partial (self);
}

/* Resume data */

/* @check_status: the partial file holds the body of the task's response, which must be the
 * resource itself (200 or 206), not an error page. Without it, the partial file is the one the
 * task was resumed from and still stands as it was. */
static GBytes *
build_resume_data (LadleDownloadTask *self,
                   gboolean           check_status)
{
  LadleTask *task = LADLE_TASK (self);
  LadleTaskRecord *record = _ladle_task_sync_record (task);
  guint status = ladle_task_get_status_code (task);

  if (self->partial == NULL || record->bytes_on_disk <= 0 || self->ranges_refused ||
      record->uri == NULL)
    return NULL;
  if (check_status && status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    return NULL;
  if (!_ladle_download_is_strong_etag (record->etag) && record->last_modified == NULL)
    return NULL;

  g_free (record->partial_name);
  record->partial_name = _ladle_partial_file_dup_name (self->partial);

  return _ladle_resume_data_serialize (record);
}

/* Task vfuncs */

static void
check_cb (LadlePartialFile *file,
          const GError     *error,
          gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;

  if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_boolean (task, TRUE);
}

/* A resumed download checks its partial file, on the worker, before the request goes out. */
static void
ladle_download_task_prepare_async (LadleTask           *task,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  g_autoptr(GTask) gtask = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (gtask, ladle_download_task_prepare_async);
  if (self->resuming == NULL)
    {
      g_task_return_boolean (gtask, TRUE);
      return;
    }

  _ladle_partial_file_check (self->partial, self->resuming->bytes_on_disk, check_cb,
                             g_steal_pointer (&gtask));
}

static gboolean
ladle_download_task_prepare_finish (LadleTask     *task,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
ladle_download_task_prepare_message (LadleTask    *task,
                                     SoupMessage  *message,
                                     GError      **error)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);

  /* Byte counts and ranges must refer to the stored bytes. */
  soup_message_disable_feature (message, SOUP_TYPE_CONTENT_DECODER);
  /* Never stored in the HTTP cache (nor answered from it: ladle-cache.c). */
  soup_message_disable_feature (message, SOUP_TYPE_CACHE);
  soup_message_headers_remove (headers, "Accept-Encoding");
  soup_message_headers_remove (headers, "Range");
  soup_message_headers_remove (headers, "If-Range");

  if (self->resuming != NULL)
    {
      soup_message_headers_set_range (headers, self->resuming->bytes_on_disk, -1);
      if (_ladle_download_is_strong_etag (self->resuming->etag))
        soup_message_headers_replace (headers, "If-Range", self->resuming->etag);
      else if (self->resuming->last_modified != NULL)
        soup_message_headers_replace (headers, "If-Range", self->resuming->last_modified);
    }

  return TRUE;
}

static LadleBackground *
background_of (LadleDownloadTask *self)
{
  g_autoptr(LadleSession) session = ladle_task_dup_session (LADLE_TASK (self));

  /* The session outlives the call: the task holds it while it runs. */
  return session != NULL ? _ladle_session_get_background (session) : NULL;
}

static void
body_ready (LadleDownloadTask *self,
            GTask             *gtask)
{
  if (self->announce_resumed)
    {
      _ladle_task_set_receive_offset (LADLE_TASK (self), self->resumed_offset, self->resumed_total);
      g_signal_emit (self, signals[RESUMED], 0, self->resumed_offset, self->resumed_total);
    }
  g_task_return_boolean (gtask, TRUE);
}

static void
body_checkpointed_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) gtask = user_data;

  _ladle_background_finish (result);
  body_ready (g_task_get_source_object (gtask), gtask);
}

static void
opened_cb (LadlePartialFile *file,
           const GError     *error,
           gpointer          user_data)
{
  g_autoptr(GTask) gtask = user_data;
  LadleDownloadTask *self = g_task_get_source_object (gtask);

  if (error != NULL)
    {
      /* A resumed task keeps its partial file and the resume data it was made with. */
      if (self->resuming != NULL && self->resume_data == NULL)
        {
          self->owns_partial = FALSE;
          self->resume_data = build_resume_data (self, FALSE);
        }
      g_task_return_error (gtask, g_error_copy (error));
      return;
    }

  /* A background session records the partial file and its validators before a byte is
   * written to it: a kill from now on continues from there. */
  if (background_of (self) != NULL)
    {
      g_free (record_of (self)->partial_name);
      record_of (self)->partial_name = _ladle_partial_file_dup_name (self->partial);
      _ladle_background_checkpoint_async (background_of (self), LADLE_TASK (self),
                                          body_checkpointed_cb, g_steal_pointer (&gtask));
      return;
    }

  body_ready (self, gtask);
}

static void
old_deleted_cb (LadlePartialFile *file,
                const GError     *error,
                gpointer          user_data)
{
  g_autoptr(GTask) gtask = user_data;
  LadleDownloadTask *self = g_task_get_source_object (gtask);

  self->partial = _ladle_partial_file_new (self->partial_directory, NULL);
  _ladle_partial_file_open (self->partial, LADLE_PARTIAL_FILE_CREATE, 0, opened_cb, g_steal_pointer (&gtask));
}

/* The body goes to the partial file, which is opened on its worker first. */
static void
ladle_download_task_body_begin_async (LadleTask           *task,
                                      SoupMessage         *message,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  LadleTaskRecord *record = record_of (self);
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  g_autoptr(GTask) gtask = g_task_new (self, NULL, callback, user_data);
  LadlePartialFileMode mode = LADLE_PARTIAL_FILE_CREATE;
  GError *error = NULL;

  g_task_set_source_tag (gtask, ladle_download_task_body_begin_async);

  g_free (self->suggested_filename);
  self->suggested_filename = _ladle_download_suggest_filename (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUGGESTED_FILENAME]);

  if (self->resuming != NULL)
    {
      LadleResumedBody resumed = { .ranges_refused = self->ranges_refused };

      if (!_ladle_download_check_resumed_response (message, self->resuming, record, &resumed, &error))
        {
          /* Whatever happened, the resume data has been used: a failure keeps the partial
           * file and the resume data this task was made with. */
          self->resume_data = build_resume_data (self, FALSE);
          g_task_return_error (gtask, error);
          return;
        }
      mode = resumed.mode;
      self->resumed_offset = resumed.offset;
      self->resumed_total = resumed.total;
      self->ranges_refused = resumed.ranges_refused;
      if (resumed.discard_body)
        self->discard_body = TRUE;
      self->announce_resumed = TRUE;
      if (mode == LADLE_PARTIAL_FILE_CREATE)
        {
          /* The old partial file holds another version of the resource: it is deleted first
           * (the new one is opened once it is gone, so nothing outlives the task). */
          self->owns_partial = TRUE;
          delete_partial_file (self, old_deleted_cb, g_steal_pointer (&gtask));
          return;
        }
    }
  else
    {
      if (self->partial != NULL)
        delete_partial_file (self, NULL, NULL);
      self->partial = _ladle_partial_file_new (self->partial_directory, NULL);
      record->bytes_on_disk = 0;
      record->expected_total = _ladle_download_response_total (message);
      self->ranges_refused = _ladle_download_record_validators (record, headers);
    }

  self->owns_partial = TRUE;
  _ladle_partial_file_open (self->partial, mode, record->bytes_on_disk, opened_cb, g_steal_pointer (&gtask));
}

static gboolean
ladle_download_task_body_begin_finish (LadleTask     *task,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
write_cb (LadlePartialFile *file,
          const GError     *error,
          gpointer          user_data)
{
  g_autoptr(LadleDownloadTask) self = user_data;
  LadleBodyBuffer *buffer = g_queue_pop_head (&self->writing);

  record_of (self)->bytes_on_disk = _ladle_partial_file_get_size (file);
  _ladle_task_buffer_consumed (LADLE_TASK (self), buffer, error ? g_error_copy (error) : NULL);
}

static void
ladle_download_task_body_chunk (LadleTask       *task,
                                LadleBodyBuffer *buffer)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);

  if (self->discard_body)
    {
      _ladle_task_buffer_consumed (task, buffer, NULL);
      return;
    }

  g_queue_push_tail (&self->writing, buffer);
  _ladle_partial_file_write (self->partial, buffer->data, buffer->length, write_cb, g_object_ref (self));
}

static void
spliced_cb (LadlePartialFile *file,
            const GError     *error,
            gpointer          user_data)
{
  g_autoptr(LadleDownloadTask) self = user_data;

  record_of (self)->bytes_on_disk = _ladle_partial_file_get_size (file);
  _ladle_task_body_spliced (LADLE_TASK (self), error ? g_error_copy (error) : NULL);
}

/* The rest of the body goes from the socket to the partial file on its worker, after the
 * blocks queued before (ladle-splice-body.c). */
static gboolean
ladle_download_task_body_splice (LadleTask        *task,
                                 GSocket          *socket,
                                 gint64            length,
                                 GCancellable     *cancellable,
                                 GCancellable     *stop,
                                 LadleSpliceCount *count)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);

  if (self->discard_body || self->partial == NULL)
    return FALSE;

  _ladle_partial_file_splice (self->partial, socket, length, cancellable, stop, count,
                              spliced_cb, g_object_ref (self));
  return TRUE;
}

static void
move_failed_cb (LadlePartialFile *file,
                const GError     *error,
                gpointer          user_data)
{
  g_autoptr(GTask) gtask = user_data;

  g_task_return_error (gtask, g_error_copy (g_task_get_task_data (gtask)));
}

static void
delivered_cb (LadlePartialFile *file,
              const GError     *error,
              gpointer          user_data)
{
  g_autoptr(GTask) gtask = user_data;
  LadleDownloadTask *self = g_task_get_source_object (gtask);

  if (error != NULL)
    {
      /* A failed move deletes the download (the destination is left as it was); the task
       * fails with the move's error once the file is gone. */
      g_task_set_task_data (gtask, g_error_copy (error), (GDestroyNotify)g_error_free);
      delete_partial_file (self, move_failed_cb, g_steal_pointer (&gtask));
      return;
    }

  forget_partial (self);
  g_task_return_boolean (gtask, TRUE);
}

/* Background sessions: the file is at its final location (the destination, else the partial
 * file, kept until the completion is delivered) and the completion is recorded before
 * ::finished and the session's ::download-finished announce it, with that location. */
static void
background_recorded_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) gtask = user_data;
  LadleDownloadTask *self = g_task_get_source_object (gtask);
  GFile *location = g_task_get_task_data (gtask);
  g_autoptr(LadleSession) session = ladle_task_dup_session (LADLE_TASK (self));

  _ladle_background_finish (result);
  g_signal_emit (self, signals[FINISHED], 0, location);
  if (session != NULL)
    _ladle_session_delegate_download_finished (session, self, location);

  if (self->partial != NULL)
    {
      /* No destination: the file stays where it is for the handlers, and for a delivery
       * after a restart. */
      _ladle_partial_file_release (self->partial);
      self->owns_partial = FALSE;
    }
  forget_partial (self);
  g_task_return_boolean (gtask, TRUE);
}

static void
record_background_success (LadleDownloadTask *self,
                           GTask             *gtask,
                           GFile             *location)
{
  g_task_set_task_data (gtask, g_object_ref (location), g_object_unref);
  _ladle_background_record_completion_async (background_of (self), LADLE_TASK (self), NULL, location,
                                             background_recorded_cb, gtask);
}

static void
background_moved_cb (LadlePartialFile *file,
                     const GError     *error,
                     gpointer          user_data)
{
  GTask *gtask = user_data;
  LadleDownloadTask *self = g_task_get_source_object (gtask);

  if (error != NULL)
    {
      delivered_cb (file, error, gtask);
      return;
    }

  /* The move released the partial file. */
  forget_partial (self);
  record_background_success (self, gtask, self->destination);
}

static void
background_checkpointed_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  GTask *gtask = user_data;
  LadleDownloadTask *self = g_task_get_source_object (gtask);

  _ladle_background_finish (result);
  if (self->destination == NULL)
    {
      record_background_success (self, gtask, _ladle_partial_file_get_file (self->partial));
      return;
    }

  _ladle_partial_file_move (self->partial, self->destination,
                            record_of (self)->destination_flags & LADLE_DESTINATION_FLAGS_CREATE_PARENTS,
                            record_of (self)->destination_flags & LADLE_DESTINATION_FLAGS_REPLACE,
                            background_moved_cb, gtask);
}

static void
closed_cb (LadlePartialFile *file,
           const GError     *error,
           gpointer          user_data)
{
  g_autoptr(GTask) gtask = user_data;
  LadleDownloadTask *self = g_task_get_source_object (gtask);
  g_autoptr(LadleSession) session = NULL;
  guint status;

  if (error != NULL)
    {
      g_task_return_error (gtask, g_error_copy (error));
      return;
    }

  status = ladle_task_get_status_code (LADLE_TASK (self));
  if (background_of (self) != NULL && (SOUP_STATUS_IS_SUCCESSFUL (status) || self->discard_body))
    {
      /* Killed from here on, the next run finds the body complete (FINISHING, full size). */
      _ladle_background_checkpoint_async (background_of (self), LADLE_TASK (self),
                                          background_checkpointed_cb, g_steal_pointer (&gtask));
      return;
    }

  g_signal_emit (self, signals[FINISHED], 0, _ladle_partial_file_get_file (self->partial));
  session = ladle_task_dup_session (LADLE_TASK (self));
  if (session != NULL)
    _ladle_session_delegate_download_finished (session, self, _ladle_partial_file_get_file (self->partial));

  /* Handlers may have taken the file already: the worker then finds nothing to move. A 416
   * that proved the partial file complete delivers it like a 2xx. */
  status = ladle_task_get_status_code (LADLE_TASK (self));
  if (self->destination == NULL || !(SOUP_STATUS_IS_SUCCESSFUL (status) || self->discard_body))
    {
      _ladle_partial_file_delete (self->partial, delivered_cb, g_steal_pointer (&gtask));
      return;
    }

  _ladle_partial_file_move (self->partial, self->destination,
                            record_of (self)->destination_flags & LADLE_DESTINATION_FLAGS_CREATE_PARENTS,
                            record_of (self)->destination_flags & LADLE_DESTINATION_FLAGS_REPLACE,
                            delivered_cb, g_steal_pointer (&gtask));
}

static void
ladle_download_task_body_end_async (LadleTask           *task,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  LadleTaskRecord *record = record_of (self);
  g_autoptr(GTask) gtask = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (gtask, ladle_download_task_body_end_async);

  /* A body that stops short of the announced total is never a finished download. */
  if (record->expected_total >= 0 && record->bytes_on_disk != record->expected_total)
    {
      g_task_return_new_error (gtask, LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY,
                               _("The download ended after %lld of %lld bytes"),
                               (long long) record->bytes_on_disk, (long long) record->expected_total);
      return;
    }

  _ladle_partial_file_close (self->partial, record->bytes_on_disk, closed_cb, g_steal_pointer (&gtask));
}

static gboolean
ladle_download_task_body_end_finish (LadleTask     *task,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
cleaned_cb (LadlePartialFile *file,
            const GError     *error,
            gpointer          user_data)
{
  g_autoptr(GTask) gtask = user_data;

  /* Another task may take the partial file from now on (its resume data). */
  _ladle_partial_file_release (file);
  g_task_return_boolean (gtask, TRUE);
}

/* Before ::completed: the partial file is deleted, or closed and kept for the resume data. */
static void
ladle_download_task_will_complete_async (LadleTask           *task,
                                         const GError        *error,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  g_autoptr(GTask) gtask = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (gtask, ladle_download_task_will_complete_async);
  if (self->partial == NULL)
    {
      g_task_return_boolean (gtask, TRUE);
      return;
    }

  if (error == NULL)
    {
      delete_partial_file (self, cleaned_cb, g_steal_pointer (&gtask));
      return;
    }

  /* A plain cancel gives the download up, the partial file of a task made from resume data
   * included. */
  if (!self->produce_resume_data && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->owns_partial = TRUE;
      delete_partial_file (self, cleaned_cb, g_steal_pointer (&gtask));
      return;
    }

  /* A resumed task that failed before writing (the server was unreachable, say) leaves its
   * partial file untouched: its resume data is still good. */
  if (self->resume_data == NULL)
    self->resume_data = build_resume_data (self, self->owns_partial);

  if (self->resume_data == NULL)
    delete_partial_file (self, cleaned_cb, g_steal_pointer (&gtask));
  else
    {
      LadlePartialFile *partial = self->partial;
      goffset kept = record_of (self)->bytes_on_disk;

      /* A spliced body's worker may have put bytes in the file after cancel() that the task
       * never reported (ladle-transfer-body.c, settle()): the file keeps what the resume data
       * records. */
      if (kept >= 0 && _ladle_partial_file_get_size (partial) > kept)
        _ladle_partial_file_close_trimmed (partial, kept, cleaned_cb, g_steal_pointer (&gtask));
      else
        _ladle_partial_file_close (partial, -1, cleaned_cb, g_steal_pointer (&gtask));
    }
}

static void
ladle_download_task_will_complete_finish (LadleTask    *task,
                                          GAsyncResult *result)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
}

static void
ladle_download_task_did_complete (LadleTask *task)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  g_autoptr(GTask) pending = g_steal_pointer (&self->resume_data_task);

  if (pending != NULL)
    g_task_return_pointer (pending,
                           self->resume_data ? g_bytes_ref (self->resume_data) : NULL,
                           (GDestroyNotify)g_bytes_unref);
}

/* Another attempt follows (a retry, a pause for a metered network): with a validator, it
 * continues the partial file with Range and If-Range, as a task made from resume data does;
 * without one, the partial file is deleted and the download starts again from zero. */
static void
ladle_download_task_prepare_retry (LadleTask *task)
{
  LadleDownloadTask *self = LADLE_DOWNLOAD_TASK (task);
  LadleTaskRecord *record = record_of (self);

  g_clear_pointer (&self->resume_data, g_bytes_unref);
  self->announce_resumed = FALSE;
  self->discard_body = FALSE;

  /* No body was written by this task: the next attempt starts as this one did. */
  if (self->partial == NULL || !self->owns_partial)
    return;

  if (record->bytes_on_disk > 0 && !self->ranges_refused &&
      (_ladle_download_is_strong_etag (record->etag) || record->last_modified != NULL))
    {
      if (self->resuming == NULL)
        self->resuming = _ladle_task_record_new (LADLE_TASK_KIND_DOWNLOAD);
      self->resuming->bytes_on_disk = record->bytes_on_disk;
      self->resuming->expected_total = record->expected_total;
      _ladle_set_str (&self->resuming->etag, _ladle_download_is_strong_etag (record->etag) ? record->etag : NULL);
      _ladle_set_str (&self->resuming->last_modified, record->last_modified);
      /* Until the next attempt writes, the file stands as resume data would leave it: a task
       * that fails (or is cancelled producing resume data) before that keeps it. */
      self->owns_partial = FALSE;
      g_debug ("Task %" G_GUINT64_FORMAT ": the next attempt continues from byte %" G_GINT64_FORMAT,
               record->identifier, record->bytes_on_disk);
      return;
    }

  g_debug ("Task %" G_GUINT64_FORMAT ": no validator to resume with: the next attempt starts from zero",
           record->identifier);
  delete_partial_file (self, NULL, NULL);
  g_clear_pointer (&self->resuming, _ladle_task_record_free);
  record->bytes_on_disk = 0;
}

static void
ladle_download_task_dispose (GObject *object)
{
  LadleDownloadTask *self = (LadleDownloadTask *)object;

  if (self->partial != NULL)
    _ladle_partial_file_close (self->partial, -1, NULL, NULL);
  g_clear_object (&self->partial);

  G_OBJECT_CLASS (ladle_download_task_parent_class)->dispose (object);
}

static void
ladle_download_task_finalize (GObject *object)
{
  LadleDownloadTask *self = (LadleDownloadTask *)object;

  g_clear_object (&self->destination);
  g_clear_object (&self->partial_directory);
  g_clear_pointer (&self->suggested_filename, g_free);
  g_clear_pointer (&self->resuming, _ladle_task_record_free);
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
      g_value_set_flags (value, record_of (self)->destination_flags);
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
  LadleTaskClass *task_class = LADLE_TASK_CLASS (klass);

  object_class->dispose = ladle_download_task_dispose;
  object_class->finalize = ladle_download_task_finalize;
  object_class->get_property = ladle_download_task_get_property;

  task_class->kind = LADLE_TASK_KIND_DOWNLOAD;
  task_class->read_size = DOWNLOAD_READ_SIZE;
  task_class->n_buffers = DOWNLOAD_BUFFERS;
  task_class->block_size = DOWNLOAD_BLOCK_SIZE;
  task_class->prepare_async = ladle_download_task_prepare_async;
  task_class->prepare_finish = ladle_download_task_prepare_finish;
  task_class->prepare_message = ladle_download_task_prepare_message;
  task_class->prepare_retry = ladle_download_task_prepare_retry;
  task_class->body_begin_async = ladle_download_task_body_begin_async;
  task_class->body_begin_finish = ladle_download_task_body_begin_finish;
  task_class->body_chunk = ladle_download_task_body_chunk;
  task_class->body_splice = ladle_download_task_body_splice;
  task_class->body_end_async = ladle_download_task_body_end_async;
  task_class->body_end_finish = ladle_download_task_body_end_finish;
  task_class->will_complete_async = ladle_download_task_will_complete_async;
  task_class->will_complete_finish = ladle_download_task_will_complete_finish;
  task_class->did_complete = ladle_download_task_did_complete;

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
   * Emitted once by a task made from resume data, after [signal@Ladle.Task::response], when the
   * server's answer shows how the download continues and the partial file is open: checked and
   * cut back to @offset for a 206 (or a 416 that proves the file complete), or a new partial
   * file for a 200. It comes before any [signal@Ladle.Task::download-progress]. It is not
   * emitted when the answer fails the task.
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
  g_queue_init (&self->writing);
}

/* Internal API for the session */

void
_ladle_download_task_set_partial_directory (LadleDownloadTask *self,
                                            GFile             *directory)
{
  g_set_object (&self->partial_directory, directory);
}

/* The partial file is checked at once, on the caller's thread: the API answers a missing or
 * changed file with an error. It is checked again on the worker before the request is sent. */
gboolean
_ladle_download_task_prepare_resume (LadleDownloadTask  *self,
                                     LadleTaskRecord    *data,
                                     GError            **error)
{
  LadleTaskRecord *record = record_of (self);
  g_autoptr(LadlePartialFile) partial = _ladle_partial_file_new (self->partial_directory, data->partial_name);

  if (!_ladle_partial_file_check_now (partial, data->bytes_on_disk, error))
    return FALSE;

  self->partial = g_steal_pointer (&partial);
  self->resuming = data;
  _ladle_set_str (&record->partial_name, data->partial_name);
  record->bytes_on_disk = data->bytes_on_disk;
  record->expected_total = data->expected_total;
  _ladle_set_str (&record->etag, data->etag);
  _ladle_set_str (&record->last_modified, data->last_modified);

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

  return record_of (self)->destination_flags;
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
    {
      LadleTaskRecord *record = record_of (self);

      g_free (record->destination);
      record->destination = destination ? g_file_get_uri (destination) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESTINATION]);
    }
  if (record_of (self)->destination_flags != flags)
    {
      record_of (self)->destination_flags = flags;
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
 * with [method@Ladle.DownloadTask.cancel_producing_resume_data_async]. It exists only when at
 * least one byte of the body is in the partial file, the response was a 200 or 206 with a
 * validator (a strong ETag or a Last-Modified date), and the server did not refuse ranges
 * (`Accept-Ranges: none`); the partial file then stays on disk for it. A task made from resume
 * data that fails before writing gives resume data for the partial file it was given.
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
                               _("Resume data is already being produced"));
      return;
    }

  self->produce_resume_data = TRUE;
  self->resume_data_task = g_steal_pointer (&task);
  /* In the transfer service, the service cancels it and makes the resume data; the task then
   * completes here (ladle-session-remote.c). */
  if (_ladle_task_is_remote (LADLE_TASK (self)))
    {
      g_autoptr(LadleSession) session = ladle_task_dup_session (LADLE_TASK (self));

      if (session != NULL && _ladle_session_remote_cancel_producing_resume_data (session, self))
        return;
    }
  ladle_task_cancel (LADLE_TASK (self));
}

/* Tasks of the transfer service */

void
_ladle_download_task_emit_finished (LadleDownloadTask *self,
                                    GFile             *location)
{
  g_autoptr(LadleSession) session = ladle_task_dup_session (LADLE_TASK (self));

  g_signal_emit (self, signals[FINISHED], 0, location);
  if (session != NULL)
    _ladle_session_delegate_download_finished (session, self, location);
}

void
_ladle_download_task_emit_resumed (LadleDownloadTask *self,
                                   gint64             offset,
                                   gint64             expected_total)
{
  _ladle_task_set_receive_offset (LADLE_TASK (self), offset, expected_total);
  g_signal_emit (self, signals[RESUMED], 0, offset, expected_total);
}

void
_ladle_download_task_set_resume_data (LadleDownloadTask *self,
                                      GBytes            *resume_data)
{
  g_clear_pointer (&self->resume_data, g_bytes_unref);
  if (resume_data != NULL && g_bytes_get_size (resume_data) > 0)
    self->resume_data = g_bytes_ref (resume_data);
}

/**
 * ladle_download_task_cancel_producing_resume_data_finish:
 * @self: a download task
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the resume data, or %NULL without error when the download
 *   cannot be resumed (no validator, ranges refused, a status other than 200 or 206, or nothing
 *   received yet); the partial file is then deleted
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
