/* ladle-session-background.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleBackground: what makes a background session survive its application.
 *
 * The session keeps the record of each download and file or form upload in a store
 * (ladle-background-store.c) from the moment it is resumed, writes it again at state changes
 * and checkpoints (never per chunk), and replaces it with a completion before ::completed is
 * emitted. A completion leaves the store once the session's ::task-completed handlers have
 * returned. Every write is durable before the signal that announces it.
 *
 * When a session with the same application id and identifier is made again, in this process
 * or a later one, ladle_session_new() restores each recorded task into the session's list
 * model (same identifier, description, state, and the bytes its partial file holds); those that
 * were running resume by themselves, with Range from the partial file. Completions recorded
 * but not delivered are emitted from the main context after ladle_session_new() returned, then
 * ::background-events-finished, once.
 *
 * Data tasks and uploads of bytes run in background sessions but are not recorded: they do not
 * survive the application. Streamed uploads and forms with a stream part cannot be made again
 * in another process: they fail.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ladle-background-store-private.h"
#include "ladle-download-task-private.h"
#include "ladle-error.h"
#include "ladle-i18n-private.h"
#include "ladle-multipart-private.h"
#include "ladle-partial-file-private.h"
#include "ladle-session-background-private.h"
#include "ladle-session-configuration.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"
#include "ladle-upload-task-private.h"
#include "ladle-util-private.h"

struct _LadleBackground
{
  LadleSession         *session;           /* owns this */
  LadleBackgroundStore *store;
  GFile                *partial_directory;
  GPtrArray            *deliveries;        /* LadleStoredCompletion, restored, not yet emitted */
  int                   lock_fd;           /* flock()ed while the session runs */
  GSource              *delivery_source;
  /* The transfer service's sessions: a completion stays in the store until the service's client
   * acknowledged it (_ladle_background_acknowledge()), not when ::task-completed returned. */
  gboolean              hold_deliveries;
};

LadleBackground *
_ladle_background_new (LadleSession              *session,
                       LadleSessionConfiguration *configuration)
{
  LadleBackground *self;
  g_autofree char *application_id = ladle_session_configuration_dup_application_id (configuration);
  const char *identifier = ladle_session_configuration_get_identifier (configuration);
  const char *state_directory = ladle_session_configuration_get_state_directory (configuration);
  g_autofree char *app = _ladle_background_store_escape_name (application_id);
  g_autofree char *name = _ladle_background_store_escape_name (identifier);
  g_autofree char *downloads = g_strconcat (name, ".downloads", NULL);
  g_autofree char *lock_name = g_strconcat (name, ".lock", NULL);
  g_autofree char *directory = g_build_filename (state_directory, "background", app, NULL);
  g_autofree char *lock_path = g_build_filename (directory, lock_name, NULL);
  int lock_fd;

  /* One session per background session at a time: two would restore the same tasks and write
   * over each other's store. The lock is the file's, held until the session goes. */
  if (g_mkdir_with_parents (directory, 0700) != 0 ||
      (lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
    {
      int saved_errno = errno;

      g_warning ("Background session “%s” keeps nothing: cannot open %s: %s",
                 identifier, lock_path, g_strerror (saved_errno));
      return NULL;
    }
  if (flock (lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_warning ("Background session “%s” of %s is already running (in this process or another): "
                 "this session keeps nothing and restores nothing", identifier, application_id);
      close (lock_fd);
      return NULL;
    }

  self = g_new0 (LadleBackground, 1);
  self->lock_fd = lock_fd;
  self->session = session;
  self->store = _ladle_background_store_new (application_id, identifier, state_directory);
  /* Its own partial directory: files that no record refers to are removed at restoration,
   * which no other session's files may be. */
  self->partial_directory = g_file_new_build_filename (state_directory, "background", app, downloads, NULL);
  self->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) _ladle_stored_completion_free);

  return self;
}

void
_ladle_background_free (LadleBackground *self)
{
  if (self == NULL)
    return;

  if (self->delivery_source != NULL)
    {
      g_source_destroy (self->delivery_source);
      g_clear_pointer (&self->delivery_source, g_source_unref);
    }
  /* A delivery recorded just before the application lets the session go and exits is still on
   * its way to dconf: make it arrive, or the next launch delivers that completion again. */
  if (_ladle_background_store_uses_settings (self->store))
    g_settings_sync ();
  g_clear_object (&self->store);
  g_clear_object (&self->partial_directory);
  g_clear_pointer (&self->deliveries, g_ptr_array_unref);
  /* Closing the file releases its lock. */
  close (self->lock_fd);
  g_free (self);
}

GFile *
_ladle_background_get_partial_directory (LadleBackground *self)
{
  return self->partial_directory;
}

guint64
_ladle_background_take_identifier (LadleBackground *self)
{
  return _ladle_background_store_take_identifier (self->store);
}

/* Whether the store keeps @task: downloads, and uploads of a file or a form. */
gboolean
_ladle_background_is_recorded_kind (LadleTask *task)
{
  if (LADLE_IS_DOWNLOAD_TASK (task))
    return TRUE;
  if (LADLE_IS_UPLOAD_TASK (task))
    {
      LadleUploadBodyKind kind = _ladle_task_get_record (task)->body_kind;

      return kind == LADLE_UPLOAD_BODY_KIND_FILE || kind == LADLE_UPLOAD_BODY_KIND_FORM;
    }

  return FALSE;
}

/* A task a background session cannot make again in another process fails when it is made. */
GError *
_ladle_background_check_task (LadleBackground *self,
                              LadleTask       *task)
{
  LadleTaskRecord *record = _ladle_task_get_record (task);

  if (!LADLE_IS_UPLOAD_TASK (task))
    return NULL;

  if (record->body_kind == LADLE_UPLOAD_BODY_KIND_STREAMED)
    return g_error_new_literal (LADLE_ERROR, LADLE_ERROR_NOT_IN_BACKGROUND,
                                _("A background session cannot run a streamed upload: upload from a file or a form"));

  if (record->body_kind == LADLE_UPLOAD_BODY_KIND_FORM)
    {
      LadleMultipartForm *form = _ladle_upload_task_get_form (LADLE_UPLOAD_TASK (task));

      g_clear_pointer (&record->body_form, g_variant_unref);
      record->body_form = _ladle_multipart_form_to_variant (form);
      if (record->body_form == NULL)
        return g_error_new (LADLE_ERROR, LADLE_ERROR_NOT_IN_BACKGROUND,
                            _("A background session cannot run this form upload: its parts must be text, "
                              "files, or bytes of at most %u KiB in all, not streams"),
                            LADLE_MULTIPART_RECORD_MAX_MEMORY / 1024);
    }

  return NULL;
}

/* Writes the task's record as it is now into the store (not yet durable). */
static void
put_record (LadleBackground *self,
            LadleTask       *task)
{
  LadleTaskRecord *record = _ladle_task_sync_record (task);

  record->identifier = ladle_task_get_identifier (task);
  _ladle_set_str (&record->description, ladle_task_get_description (task));
  record->state = ladle_task_get_state (task);
  record->status = ladle_task_get_status_code (task);
  _ladle_background_store_put_record (self->store, record);
}

static void
commit_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) gtask = user_data;
  g_autoptr(GError) error = NULL;

  if (!_ladle_background_store_commit_finish (LADLE_BACKGROUND_STORE (source), result, &error))
    g_warning ("Cannot write the background session store: %s", error->message);
  g_task_return_boolean (gtask, TRUE);
}

static void
commit (LadleBackground     *self,
        gpointer             source_tag,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  GTask *gtask = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (gtask, source_tag);
  g_task_set_name (gtask, "[ladle] background store commit");
  _ladle_background_store_commit_async (self->store, NULL, commit_done, gtask);
}

/* A write that nothing waits for (a suspension, a delivery). */
static void
commit_quietly (LadleBackground *self)
{
  _ladle_background_store_commit_async (self->store, NULL, NULL, NULL);
}

/* Nothing to write for this task: @callback runs from the main loop all the same. */
static void
done_at_once (gpointer             source_tag,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) gtask = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (gtask, source_tag);
  g_task_return_boolean (gtask, TRUE);
}

void
_ladle_background_finish (GAsyncResult *result)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
}

/* notify::state and notify::description of a recorded task. A task that starts is recorded
 * when the session admits it (it waits for the store there), a completed one when its
 * completion is; suspension is recorded here, and so is a resume that lets a suspended transfer
 * go on without a new admission: a kill from then on finds the task running, not suspended. */
static void
on_recorded_property_changed (LadleTask       *task,
                              GParamSpec      *pspec,
                              LadleBackground *self)
{
  LadleTaskState state = ladle_task_get_state (task);

  if ((state == LADLE_TASK_STATE_SUSPENDED || state == LADLE_TASK_STATE_RUNNING) &&
      _ladle_background_store_has_record (self->store, ladle_task_get_identifier (task)))
    {
      put_record (self, task);
      commit_quietly (self);
    }
}

void
_ladle_background_track (LadleBackground *self,
                         LadleTask       *task)
{
  if (!_ladle_background_is_recorded_kind (task))
    return;

  g_signal_connect (task, "notify::state", G_CALLBACK (on_recorded_property_changed), self);
  g_signal_connect (task, "notify::description", G_CALLBACK (on_recorded_property_changed), self);
}

/* The task starts only once the store knows it runs: a kill from then on finds it again. */
void
_ladle_background_admit_async (LadleBackground     *self,
                               LadleTask           *task,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  if (!_ladle_background_is_recorded_kind (task))
    {
      done_at_once (_ladle_background_admit_async, callback, user_data);
      return;
    }

  _ladle_task_get_record (task)->attempts++;
  put_record (self, task);
  commit (self, _ladle_background_admit_async, callback, user_data);
}

/* The partial file, its validators or the phase changed: a kill from now on resumes from
 * there. */
void
_ladle_background_checkpoint_async (LadleBackground     *self,
                                    LadleTask           *task,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  put_record (self, task);
  commit (self, _ladle_background_checkpoint_async, callback, user_data);
}

/* Before ::completed: a cancelled task is forgotten; any other completion replaces the record
 * until the session's ::task-completed handlers have returned. A download that succeeded
 * records its completion itself, with its location, before ::finished. */
void
_ladle_background_record_completion_async (LadleBackground     *self,
                                           LadleTask           *task,
                                           const GError        *error,
                                           GFile               *location,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  guint64 identifier = ladle_task_get_identifier (task);
  g_autofree char *uri = location != NULL ? g_file_get_uri (location) : NULL;
  LadleTaskRecord *record;

  if (!_ladle_background_store_has_record (self->store, identifier))
    {
      /* Not recorded (a data task), or its completion is already. */
      done_at_once (_ladle_background_record_completion_async, callback, user_data);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _ladle_background_store_remove_record (self->store, identifier);
  else
    {
      record = _ladle_task_sync_record (task);
      record->identifier = identifier;
      _ladle_set_str (&record->description, ladle_task_get_description (task));
      record->state = LADLE_TASK_STATE_COMPLETED;
      record->status = ladle_task_get_status_code (task);
      _ladle_background_store_put_completion (self->store, record, error, uri);
    }
  commit (self, _ladle_background_record_completion_async, callback, user_data);
}

static void
delete_unclaimed (GFile *file)
{
  g_file_delete_async (file, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

/* The session's ::task-completed handlers returned: the completion is delivered. */
void
_ladle_background_delivered (LadleBackground *self,
                             LadleTask       *task)
{
  guint64 identifier = ladle_task_get_identifier (task);

  g_signal_handlers_disconnect_by_data (task, self);
  if (self->hold_deliveries)
    return;
  _ladle_background_acknowledge (self, identifier);
}

/* The completion of @identifier reached the application: the store forgets it. */
void
_ladle_background_acknowledge (LadleBackground *self,
                               guint64          identifier)
{
  g_autofree char *uri = NULL;
  g_autoptr(GFile) location = NULL;

  /* Data tasks, cancelled tasks: nothing was recorded. */
  if (!_ladle_background_store_has_completion (self->store, identifier))
    return;

  uri = _ladle_background_store_dup_completion_location (self->store, identifier);
  location = uri != NULL ? g_file_new_for_uri (uri) : NULL;
  _ladle_background_store_remove_completion (self->store, identifier);
  commit_quietly (self);

  /* A download without a destination: its file was the handlers' to take. */
  if (location != NULL && g_file_has_parent (location, self->partial_directory))
    delete_unclaimed (location);
}

void
_ladle_background_hold_deliveries (LadleBackground *self)
{
  self->hold_deliveries = TRUE;
}

GVariant *
_ladle_background_dup_completion (LadleBackground *self,
                                  guint64          identifier)
{
  return _ladle_background_store_dup_completion (self->store, identifier);
}

guint64
_ladle_background_peek_identifier (LadleBackground *self)
{
  return _ladle_background_store_peek_identifier (self->store);
}

gboolean
_ladle_background_reserve_identifier (LadleBackground *self,
                                      guint64          identifier)
{
  return _ladle_background_store_reserve_identifier (self->store, identifier);
}

/* invalidate_and_cancel(): nothing of the session is kept. */
void
_ladle_background_forget_all (LadleBackground *self)
{
  _ladle_background_store_clear (self->store);
  g_ptr_array_set_size (self->deliveries, 0);
  commit_quietly (self);
}

/* Restoration */

SoupMessage *
_ladle_background_request_of (LadleTaskRecord *record)
{
  SoupMessage *request = soup_message_new (record->method, record->uri);
  SoupMessageHeaders *headers;

  if (request == NULL)
    return NULL;

  headers = soup_message_get_request_headers (request);
  for (guint i = 0; i + 1 < record->headers->len; i += 2)
    soup_message_headers_append (headers,
                                 g_ptr_array_index (record->headers, i),
                                 g_ptr_array_index (record->headers, i + 1));

  return request;
}

static goffset
partial_file_size (LadleBackground *self,
                   const char      *name)
{
  g_autoptr(GFile) file = g_file_get_child (self->partial_directory, name);
  g_autofree char *path = g_file_get_path (file);
  GStatBuf info;

  if (g_lstat (path, &info) != 0 || !S_ISREG (info.st_mode))
    return -1;

  return info.st_size;
}

static gboolean
file_has_size (GFile  *file,
               gint64  size)
{
  g_autofree char *path = g_file_get_path (file);
  GStatBuf info;

  return path != NULL && g_stat (path, &info) == 0 && S_ISREG (info.st_mode) &&
         (size < 0 || info.st_size == size);
}

static LadleTask *
restore_download (LadleBackground  *self,
                  LadleTaskRecord  *record,
                  gint64           *on_disk,
                  gboolean         *completed)
{
  LadleDownloadTask *task = g_object_new (LADLE_TYPE_DOWNLOAD_TASK, NULL);
  g_autoptr(GFile) destination = record->destination ? g_file_new_for_uri (record->destination) : NULL;

  _ladle_download_task_set_partial_directory (task, self->partial_directory);
  if (destination != NULL)
    ladle_download_task_set_destination (task, destination, record->destination_flags);

  if (record->partial_name != NULL)
    {
      goffset size = partial_file_size (self, record->partial_name);

      /* Killed after the file was moved, before the completion was recorded: it is there. */
      if (size < 0 && record->phase == LADLE_TASK_PHASE_FINISHING && destination != NULL &&
          file_has_size (destination, record->expected_total))
        {
          *completed = TRUE;
          return LADLE_TASK (task);
        }

      if (size >= 0)
        {
          /* The partial file is a prefix of the body (written in order): continue after its
           * last byte, whatever the last checkpoint counted. */
          g_autoptr(GVariant) copy = _ladle_task_record_serialize (record);
          g_autoptr(LadleTaskRecord) resume = _ladle_task_record_deserialize (copy, NULL);
          g_autoptr(GError) error = NULL;

          resume->bytes_on_disk = size;
          if (_ladle_download_task_prepare_resume (task, resume, &error))
            {
              g_steal_pointer (&resume);
              *on_disk = size;
            }
          else
            g_debug ("Task %" G_GUINT64_FORMAT ": starting over: %s", record->identifier, error->message);
        }
    }

  return LADLE_TASK (task);
}

static LadleTask *
restore_upload (LadleBackground  *self,
                LadleTaskRecord  *record,
                SoupMessage      *request,
                GError          **error)
{
  if (record->body_kind == LADLE_UPLOAD_BODY_KIND_FILE && record->body_file != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_uri (record->body_file);

      return LADLE_TASK (_ladle_upload_task_new (request, LADLE_UPLOAD_BODY_KIND_FILE, NULL, file, NULL));
    }

  if (record->body_kind == LADLE_UPLOAD_BODY_KIND_FORM && record->body_form != NULL)
    {
      g_autoptr(LadleMultipartForm) form = _ladle_multipart_form_new_from_variant (record->body_form, error);

      if (form == NULL)
        return NULL;
      return LADLE_TASK (_ladle_upload_task_new (request, LADLE_UPLOAD_BODY_KIND_FORM, NULL, NULL, form));
    }

  g_set_error_literal (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
                       _("The recorded upload has no file or form"));
  return NULL;
}

static void
restore_record (LadleBackground *self,
                LadleTaskRecord *record,
                GPtrArray       *keep)
{
  g_autoptr(SoupMessage) request = _ladle_background_request_of (record);
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(GError) error = NULL;
  gboolean completed = FALSE;
  gint64 on_disk = -1;

  if (request == NULL)
    {
      g_warning ("Dropping the stored record of task %" G_GUINT64_FORMAT ": cannot make a request for %s",
                 record->identifier, record->uri);
      _ladle_background_store_remove_record (self->store, record->identifier);
      return;
    }

  if (record->kind == LADLE_TASK_KIND_DOWNLOAD)
    task = restore_download (self, record, &on_disk, &completed);
  else if (record->kind == LADLE_TASK_KIND_UPLOAD)
    task = restore_upload (self, record, request, &error);
  else
    g_set_error_literal (&error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA, _("Data tasks are not recorded"));

  if (task == NULL)
    {
      g_warning ("Dropping the stored record of task %" G_GUINT64_FORMAT ": %s", record->identifier, error->message);
      _ladle_background_store_remove_record (self->store, record->identifier);
      return;
    }

  if (completed)
    {
      /* Delivered below with the other completions. */
      _ladle_background_store_put_completion (self->store, record, NULL, record->destination);
      return;
    }

  if (record->partial_name != NULL)
    g_ptr_array_add (keep, g_strdup (record->partial_name));

  /* Before the session tracks it: a change it sees now would write the record with the
   * state a restored task has until it is resumed (suspended), and a kill before admission
   * would then leave a running task suspended for good. */
  ladle_task_set_description (task, record->description);
  _ladle_session_add_restored_task (self->session, task, request, record->identifier);
  _ladle_task_get_record (task)->attempts = record->attempts;
  /* The byte counts are those of the partial file. */
  if (on_disk >= 0)
    _ladle_task_set_receive_offset (task, on_disk, record->expected_total);
  if (record->state == LADLE_TASK_STATE_RUNNING)
    ladle_task_resume (task);
}

/* A task object for a completion of an earlier run, or of the transfer service. */
LadleTask *
_ladle_background_completed_task (LadleSession          *session,
                                  LadleStoredCompletion *completion)
{
  LadleTaskRecord *record = completion->record;
  g_autoptr(SoupMessage) request = _ladle_background_request_of (record);
  LadleTask *task;

  if (record->kind == LADLE_TASK_KIND_DOWNLOAD)
    task = g_object_new (LADLE_TYPE_DOWNLOAD_TASK, NULL);
  else
    task = g_object_new (LADLE_TYPE_UPLOAD_TASK, NULL);

  _ladle_task_setup (task, session, request, record->identifier);
  ladle_task_set_description (task, record->description);
  _ladle_task_set_error (task, completion->error != NULL ? g_error_copy (completion->error) : NULL);
  _ladle_task_set_restored_status (task, record->status);
  _ladle_task_set_state (task, LADLE_TASK_STATE_COMPLETED);

  return task;
}

static gboolean
deliver_cb (gpointer user_data)
{
  LadleBackground *self = user_data;
  G_GNUC_UNUSED g_autoptr(LadleSession) hold = g_object_ref (self->session);
  g_autoptr(GPtrArray) deliveries = g_steal_pointer (&self->deliveries);

  g_clear_pointer (&self->delivery_source, g_source_unref);
  self->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) _ladle_stored_completion_free);

  for (guint i = 0; i < deliveries->len; i++)
    {
      LadleStoredCompletion *completion = g_ptr_array_index (deliveries, i);
      g_autoptr(LadleTask) task = _ladle_background_completed_task (self->session, completion);
      g_autoptr(GFile) location = completion->location ? g_file_new_for_uri (completion->location) : NULL;

      /* Forgotten meanwhile by invalidate_and_cancel() from a handler. */
      if (ladle_session_is_invalidated (self->session))
        break;

      _ladle_session_deliver_restored (self->session, task, location, completion->error);
      _ladle_background_delivered (self, task);
    }

  _ladle_session_emit_background_events_finished (self->session);

  return G_SOURCE_REMOVE;
}

void
_ladle_background_restore (LadleBackground *self)
{
  g_autoptr(GPtrArray) records = _ladle_background_store_dup_records (self->store);
  g_autoptr(GPtrArray) completions = NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < records->len; i++)
    restore_record (self, g_ptr_array_index (records, i), keep);

  completions = _ladle_background_store_dup_completions (self->store);
  for (guint i = 0; i < completions->len; i++)
    {
      LadleStoredCompletion *completion = g_ptr_array_index (completions, i);
      g_autoptr(GFile) location = completion->location ? g_file_new_for_uri (completion->location) : NULL;

      if (location != NULL && g_file_has_parent (location, self->partial_directory))
        {
          g_autofree char *name = g_file_get_basename (location);
          g_ptr_array_add (keep, g_steal_pointer (&name));
        }
    }
  g_ptr_array_extend_and_steal (self->deliveries, g_steal_pointer (&completions));

  g_ptr_array_add (keep, NULL);
  _ladle_partial_file_sweep_unreferenced (self->partial_directory, (const char * const *) keep->pdata);

  /* Dropped records, and tasks that turned out complete, are written back. */
  commit_quietly (self);

  self->delivery_source = g_idle_source_new ();
  /* At the priority of the transfers, not below: the restored tasks' network events, which
   * keep a busy main loop busy, would otherwise hold back the earlier runs' completions and
   * ::background-events-finished until the transfers end. */
  g_source_set_priority (self->delivery_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->delivery_source, deliver_cb, self, NULL);
  g_source_set_static_name (self->delivery_source, "[ladle] background completions");
  g_source_attach (self->delivery_source, _ladle_session_get_context (self->session));
}
