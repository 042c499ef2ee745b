/* ladle-session-remote.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleRemote: a background session whose tasks run in the transfer service
 * (service/ladle-transfer-service.c, data/org.gnome.Ladle.TransferService.xml).
 *
 * The session attaches to the service while it is made (Attach, which starts the service when
 * it does not run): the reply lists the session's unfinished tasks, which become task objects
 * of the session's list model, and the completions the application has not seen, delivered from
 * the main context after ladle_session_new() returned, then ::background-events-finished.
 *
 * Each download or file or form upload the application makes is a task object here too: its
 * transfer engine never sends (it waits in ADMITTING), the service runs the task, and what the
 * service reports (TaskChanged, TaskEvent, TaskCompleted, unicast to this connection by the
 * service's unique name) drives the object's properties and signals in the order an in-process
 * task emits them. Resume, suspend, cancel and descriptions go the other way. A completion is
 * acknowledged once the session's ::task-completed handlers returned: until then the service
 * keeps it, and sends it again to the next client that attaches (exactly once: a completion
 * this process already delivered is only acknowledged again).
 *
 * When the service goes away (killed, or restarted), the session attaches again: the service is
 * activated by that call, restores its tasks, and the reply reconciles them.
 *
 * Data tasks and uploads of bytes run in this process, as in any background session.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-background-store-private.h"
#include "ladle-download-task-private.h"
#include "ladle-error.h"
#include "ladle-multipart-private.h"
#include "ladle-origin-private.h"
#include "ladle-service-wire-private.h"
#include "ladle-session-background-private.h"
#include "ladle-session-configuration.h"
#include "ladle-session-private.h"
#include "ladle-session-remote-private.h"
#include "ladle-task-private.h"
#include "ladle-upload-task-private.h"
#include "ladle-util-private.h"

/* Activation of the service included. */
#define ATTACH_TIMEOUT_MS  30000
#define CALL_TIMEOUT_MS    25000
/* After the service vanished, before attaching again (it may be restarting by itself). */
#define REATTACH_DELAY_MS  250
#define ATTACH_REPLY_TYPE  "(ota{sv}aa{sv}aa{sv})"

typedef struct
{
  LadleTask *task;        /* strong */
  gboolean   in_service;  /* the service has it (CreateTask sent, or listed by Attach) */
  gboolean   completing;  /* its completion from the service is being delivered */
} Entry;

struct _LadleRemote
{
  LadleSession    *session;          /* owns this */
  char            *application_id;
  char            *identifier;
  GVariant        *configuration;    /* the wire form, secrets included */
  GError          *error;            /* the session could not attach */

  GDBusConnection *connection;
  char            *owner;            /* unique name of the service attached to */
  char            *path;
  guint            subscription;
  guint            name_watch;
  GCancellable    *cancellable;      /* of the calls in flight */
  GSource         *reattach_source;
  gboolean         attaching;

  guint64          next_identifier;
  GHashTable      *entries;          /* guint64 * -> Entry */
  GHashTable      *acknowledged;     /* guint64 * set: completions this process delivered */
  GPtrArray       *deliveries;       /* LadleStoredCompletion of tasks this process never had */
  GSource         *delivery_source;
  gboolean         events_finished;  /* ::background-events-finished was scheduled */
  guint            applying;         /* > 0: a change made by the service, not to send back */
};

static void attach_async (LadleRemote *self);

static void
entry_free (Entry *entry)
{
  g_clear_object (&entry->task);
  g_free (entry);
}

static guint64 *
identifier_key (guint64 identifier)
{
  return g_memdup2 (&identifier, sizeof identifier);
}

static Entry *
lookup (LadleRemote *self,
        guint64      identifier)
{
  return g_hash_table_lookup (self->entries, &identifier);
}

LadleRemote *
_ladle_remote_new (LadleSession              *session,
                   LadleSessionConfiguration *configuration)
{
  LadleRemote *self = g_new0 (LadleRemote, 1);

  _ladle_service_register_errors ();
  self->session = session;
  self->application_id = ladle_session_configuration_dup_application_id (configuration);
  self->identifier = g_strdup (ladle_session_configuration_get_identifier (configuration));
  self->configuration = g_variant_ref_sink (_ladle_session_configuration_to_wire (configuration, TRUE));
  self->cancellable = g_cancellable_new ();
  self->next_identifier = 1;
  self->entries = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) entry_free);
  self->acknowledged = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) _ladle_stored_completion_free);

  return self;
}

void
_ladle_remote_free (LadleRemote *self)
{
  GHashTableIter iter;
  Entry *entry;

  if (self == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  _ladle_clear_source (&self->reattach_source);
  _ladle_clear_source (&self->delivery_source);
  if (self->subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->subscription);
  if (self->name_watch != 0)
    g_bus_unwatch_name (self->name_watch);
  /* The tasks go on in the service; a connection that closes detaches too, this is quicker. */
  if (self->connection != NULL && self->owner != NULL && !g_dbus_connection_is_closed (self->connection))
    g_dbus_connection_call (self->connection, self->owner, self->path, LADLE_SERVICE_SESSION_INTERFACE,
                            "Detach", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS,
                            NULL, NULL, NULL);

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    g_signal_handlers_disconnect_by_data (entry->task, self);

  g_clear_object (&self->connection);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->owner, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_pointer (&self->acknowledged, g_hash_table_unref);
  g_clear_pointer (&self->deliveries, g_ptr_array_unref);
  g_clear_pointer (&self->configuration, g_variant_unref);
  g_clear_error (&self->error);
  g_free (self->application_id);
  g_free (self->identifier);
  g_free (self);
}

const GError *
_ladle_remote_get_error (LadleRemote *self)
{
  return self->error;
}

guint64
_ladle_remote_take_identifier (LadleRemote *self)
{
  return self->next_identifier++;
}

/* Calls to the service */

static void
call (LadleRemote         *self,
      const char          *method,
      GVariant            *parameters,
      const GVariantType  *reply_type,
      GAsyncReadyCallback  callback,
      gpointer             user_data)
{
  if (self->connection == NULL || self->owner == NULL)
    {
      if (parameters != NULL)
        g_variant_unref (g_variant_ref_sink (parameters));
      return;
    }

  g_dbus_connection_call (self->connection, self->owner, self->path, LADLE_SERVICE_SESSION_INTERFACE,
                          method, parameters, reply_type, G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS,
                          self->cancellable, callback, user_data);
}

/* A call whose failure only matters to the log: the service went away (the session attaches
 * again and reconciles), or it refused a call for a task it no longer has. */
static void
call_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autofree char *method = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Transfer service: %s failed: %s", method, error->message);
}

static void
call_task (LadleRemote *self,
           const char  *method,
           guint64      identifier)
{
  call (self, method, g_variant_new ("(t)", identifier), NULL, call_done_cb, g_strdup (method));
}

/* The session's ::task-completed handlers returned: the service forgets the completion. The
 * call is written to the bus before this returns (no reply is awaited), so an application that
 * exits from its handler is not given the completion again at its next launch. */
static void
acknowledge (LadleRemote *self,
             guint64      identifier)
{
  g_hash_table_add (self->acknowledged, identifier_key (identifier));
  call_task (self, "Acknowledge", identifier);
  if (self->connection != NULL && self->owner != NULL)
    g_dbus_connection_flush_sync (self->connection, NULL, NULL);
}

/* The service's reports */

/* The byte counts the service reported (below -1: unchanged; -1 is an unknown expected
 * count), with the progress signals an in-process transfer emits for them. */
static void
apply_counts (LadleTask *task,
              gint64     received,
              gint64     expected_to_receive,
              gint64     sent,
              gint64     expected_to_send,
              gboolean   final)
{
                 LadleTaskRecord *record = _ladle_task_get_record (task);

  if (expected_to_receive >= -1 && expected_to_receive != record->bytes_expected_to_receive)
    {
      record->bytes_expected_to_receive = expected_to_receive;
      g_object_notify (G_OBJECT (task), "bytes-expected-to-receive");
    }
  if (expected_to_send >= -1 && expected_to_send != record->bytes_expected_to_send)
    {
      record->bytes_expected_to_send = expected_to_send;
      g_object_notify (G_OBJECT (task), "bytes-expected-to-send");
    }
  if (sent >= 0 && sent != record->bytes_sent)
    {
      record->bytes_sent = sent;
      _ladle_task_report_upload_progress (task, final);
    }
  if (received >= 0 && received != record->bytes_received)
    {
      record->bytes_received = received;
      _ladle_task_report_download_progress (task, final);
    }
}

static void
apply_changes (LadleRemote *self,
               Entry       *entry,
               GVariant    *changes,
               gboolean     final)
{
  gint64 received = -2, expected_to_receive = -2, sent = -2, expected_to_send = -2;
  guint32 wait_reason;
  guint32 status;

  g_variant_lookup (changes, "bytes-received", "x", &received);
  g_variant_lookup (changes, "bytes-expected-to-receive", "x", &expected_to_receive);
  g_variant_lookup (changes, "bytes-sent", "x", &sent);
  g_variant_lookup (changes, "bytes-expected-to-send", "x", &expected_to_send);

  self->applying++;
  if (g_variant_lookup (changes, "status", "u", &status) && status >= 100 && status <= 999)
    _ladle_task_set_restored_status (entry->task, status);
  if (g_variant_lookup (changes, "wait-reason", "u", &wait_reason) &&
      wait_reason <= LADLE_TASK_WAIT_REASON_RETRY &&
      ladle_task_get_state (entry->task) == LADLE_TASK_STATE_RUNNING)
    _ladle_task_set_wait_reason (entry->task, wait_reason);
  apply_counts (entry->task, received, expected_to_receive, sent, expected_to_send, final);
  self->applying--;
}

static GError *
error_of (GVariant *details,
          gboolean *found)
{
  const char *domain = NULL, *message = NULL;
  gint32 code = 0;

  *found = g_variant_lookup (details, "error-domain", "&s", &domain) &&
           g_variant_lookup (details, "error-code", "i", &code) &&
           g_variant_lookup (details, "error-message", "&s", &message) &&
           *domain != '\0' && g_utf8_validate (message, -1, NULL);

  return *found ? g_error_new_literal (g_quark_from_string (domain), code, message) : NULL;
}

static void
apply_event (LadleRemote *self,
             Entry       *entry,
             const char  *event,
             GVariant    *details)
{
  if (g_str_equal (event, "resumed") && LADLE_IS_DOWNLOAD_TASK (entry->task))
    {
      gint64 offset = 0, total = -1;

      if (g_variant_lookup (details, "offset", "x", &offset) && offset >= 0)
        {
          g_variant_lookup (details, "expected-total", "x", &total);
          _ladle_download_task_emit_resumed (LADLE_DOWNLOAD_TASK (entry->task), offset, MAX (total, -1));
        }
    }
  else if (g_str_equal (event, "will-retry"))
    {
      guint32 attempt = 0, delay = 0;
      gboolean found;
      g_autoptr(GError) why = error_of (details, &found);

      g_variant_lookup (details, "attempt", "u", &attempt);
      g_variant_lookup (details, "delay", "u", &delay);
      /* The service decides: what a handler returns does not stop the retry. */
      _ladle_task_emit_will_retry (entry->task, attempt, delay, why);
    }
  else if (g_str_equal (event, "waiting-for-connectivity"))
    _ladle_task_emit_waiting_for_connectivity (entry->task);
}

/* A completion of a task this process does not have (made by an earlier run of the
 * application, or completed while it was away): the session-level signals only. */
static gboolean
deliver_cb (gpointer user_data)
{
  LadleRemote *self = user_data;
  G_GNUC_UNUSED g_autoptr(LadleSession) hold = g_object_ref (self->session);
  g_autoptr(GPtrArray) deliveries = g_steal_pointer (&self->deliveries);
  gboolean announce = !self->events_finished;

  g_clear_pointer (&self->delivery_source, g_source_unref);
  self->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) _ladle_stored_completion_free);
  self->events_finished = TRUE;

  for (guint i = 0; i < deliveries->len; i++)
    {
      LadleStoredCompletion *completion = g_ptr_array_index (deliveries, i);
      guint64 identifier = completion->record->identifier;
      g_autoptr(LadleTask) task = NULL;
      g_autoptr(GFile) location = NULL;

      if (ladle_session_is_invalidated (self->session) ||
          g_hash_table_contains (self->acknowledged, &identifier))
        continue;

      task = _ladle_background_completed_task (self->session, completion);
      location = completion->location != NULL ? g_file_new_for_uri (completion->location) : NULL;
      _ladle_session_deliver_restored (self->session, task, location, completion->error);
      acknowledge (self, identifier);
    }

  if (announce)
    _ladle_session_emit_background_events_finished (self->session);

  return G_SOURCE_REMOVE;
}

static void
schedule_deliveries (LadleRemote *self)
{
  if (self->delivery_source != NULL)
    return;

  self->delivery_source = g_idle_source_new ();
  g_source_set_priority (self->delivery_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->delivery_source, deliver_cb, self, NULL);
  g_source_set_static_name (self->delivery_source, "[ladle] transfer service completions");
  g_source_attach (self->delivery_source, _ladle_session_get_context (self->session));
}

/* The service reported that @entry's task completed: it completes here, with the service's
 * byte counts, status and outcome. */
static void
complete_entry (LadleRemote           *self,
                Entry                 *entry,
                LadleStoredCompletion *completion,
                GBytes                *resume_data)
{
  LadleTask *task = entry->task;
  LadleTaskRecord *local = _ladle_task_get_record (task);
  LadleTaskRecord *remote = completion->record;
  G_GNUC_UNUSED g_autoptr(LadleTask) hold = g_object_ref (task);

  if (entry->completing || ladle_task_get_state (task) == LADLE_TASK_STATE_COMPLETED)
    return;
  entry->completing = TRUE;

  /* What resume data is made from. */
  _ladle_set_str (&local->etag, remote->etag);
  _ladle_set_str (&local->last_modified, remote->last_modified);
  _ladle_set_str (&local->partial_name, remote->partial_name);
  local->bytes_on_disk = remote->bytes_on_disk;
  local->expected_total = remote->expected_total;
  if (remote->status != 0)
    _ladle_task_set_restored_status (task, remote->status);

  self->applying++;
  apply_counts (task, remote->bytes_received, remote->bytes_expected_to_receive,
                remote->bytes_sent, remote->bytes_expected_to_send, TRUE);
  if (LADLE_IS_DOWNLOAD_TASK (task))
    {
      _ladle_download_task_set_resume_data (LADLE_DOWNLOAD_TASK (task), resume_data);
      if (completion->error == NULL && completion->location != NULL)
        {
          g_autoptr(GFile) location = g_file_new_for_uri (completion->location);

          _ladle_download_task_emit_finished (LADLE_DOWNLOAD_TASK (task), location);
        }
    }
  _ladle_task_complete_remote (task, completion->error != NULL ? g_error_copy (completion->error) : NULL);
  self->applying--;
}

static void
take_completion (LadleRemote *self,
                 guint64      identifier,
                 GVariant    *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleStoredCompletion) completion = _ladle_stored_completion_parse (identifier, value, &error);
  g_autoptr(GVariant) resume_data = NULL;
  g_autoptr(GBytes) bytes = NULL;
  Entry *entry;

  if (completion == NULL)
    {
      g_warning ("Transfer service: ignoring the completion of task %llu: %s",
                 (unsigned long long) identifier, error->message);
      return;
    }

  /* Delivered by this process already: the acknowledgement was lost with the service. */
  if (g_hash_table_contains (self->acknowledged, &identifier))
    {
      call_task (self, "Acknowledge", identifier);
      return;
    }

  resume_data = g_variant_lookup_value (value, "resume-data", G_VARIANT_TYPE_BYTESTRING);
  if (resume_data != NULL)
    bytes = g_variant_get_data_as_bytes (resume_data);

  entry = lookup (self, identifier);
  if (entry != NULL)
    {
      complete_entry (self, entry, completion, bytes);
      return;
    }

  /* A task this process cancelled, completed here already: nothing to tell. */
  if (g_error_matches (completion->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      call_task (self, "Acknowledge", identifier);
      return;
    }

  g_ptr_array_add (self->deliveries, g_steal_pointer (&completion));
  schedule_deliveries (self);
}

static void
signal_cb (GDBusConnection *connection,
           const char      *sender,
           const char      *path,
           const char      *interface,
           const char      *name,
           GVariant        *parameters,
           gpointer         user_data)
{
  LadleRemote *self = user_data;
  guint64 identifier = 0;
  Entry *entry;

  /* Only the service attached to, on this session's object. */
  if (g_strcmp0 (sender, self->owner) != 0 || g_strcmp0 (path, self->path) != 0)
    return;

  if (g_str_equal (name, "TaskChanged") && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ta{sv})")))
    {
      g_autoptr(GVariant) changes = NULL;

      g_variant_get (parameters, "(t@a{sv})", &identifier, &changes);
      if ((entry = lookup (self, identifier)) != NULL && !entry->completing)
        apply_changes (self, entry, changes, FALSE);
    }
  else if (g_str_equal (name, "TaskEvent") && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(tsa{sv})")))
    {
      g_autoptr(GVariant) details = NULL;
      const char *event;

      g_variant_get (parameters, "(t&s@a{sv})", &identifier, &event, &details);
      if ((entry = lookup (self, identifier)) != NULL && !entry->completing)
        apply_event (self, entry, event, details);
    }
  else if (g_str_equal (name, "TaskCompleted") && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ta{sv})")))
    {
      g_autoptr(GVariant) completion = NULL;

      g_variant_get (parameters, "(t@a{sv})", &identifier, &completion);
      take_completion (self, identifier, completion);
    }
}

/* Tasks */

static void
on_state_changed (LadleTask   *task,
                  GParamSpec  *pspec,
                  LadleRemote *self)
{
  Entry *entry = lookup (self, ladle_task_get_identifier (task));
  LadleTaskState state = ladle_task_get_state (task);

  if (entry == NULL || !entry->in_service || entry->completing || self->applying > 0)
    return;

  if (state == LADLE_TASK_STATE_SUSPENDED)
    call_task (self, "Suspend", ladle_task_get_identifier (task));
  else if (state == LADLE_TASK_STATE_CANCELING)
    call_task (self, "Cancel", ladle_task_get_identifier (task));
}

static void
on_description_changed (LadleTask   *task,
                        GParamSpec  *pspec,
                        LadleRemote *self)
{
  Entry *entry = lookup (self, ladle_task_get_identifier (task));
  const char *description = ladle_task_get_description (task);

  if (entry == NULL || !entry->in_service || self->applying > 0)
    return;

  call (self, "SetDescription", g_variant_new ("(ts)", ladle_task_get_identifier (task), description ? description : ""),
        NULL, call_done_cb, g_strdup ("SetDescription"));
}

/* Downloads and uploads of files and forms run in the service; the others here. */
void
_ladle_remote_track (LadleRemote *self,
                     LadleTask   *task)
{
  Entry *entry;

  if (!_ladle_background_is_recorded_kind (task))
    return;

  entry = g_new0 (Entry, 1);
  entry->task = g_object_ref (task);
  _ladle_task_set_remote (task);
  g_hash_table_replace (self->entries, identifier_key (ladle_task_get_identifier (task)), entry);
  g_signal_connect (task, "notify::state", G_CALLBACK (on_state_changed), self);
  g_signal_connect (task, "notify::description", G_CALLBACK (on_description_changed), self);
}

typedef struct
{
  LadleRemote *remote;   /* valid while the task is in the session (cancellable) */
  LadleTask   *task;
} CreateData;

static void
create_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  CreateData *data = user_data;
  g_autoptr(LadleTask) task = data->task;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      LadleRemote *self = data->remote;
      Entry *entry = lookup (self, ladle_task_get_identifier (task));

      if (entry != NULL)
        entry->in_service = FALSE;
      g_dbus_error_strip_remote_error (error);
      g_debug ("Transfer service: task %llu refused: %s",
               (unsigned long long) ladle_task_get_identifier (task), error->message);
      /* Not what the service said of a task it runs, but why it runs nowhere. */
      _ladle_task_start (task, g_steal_pointer (&error));
    }
  g_free (data);
}

/* The request's headers that may not be written to the service's store: they are sent apart,
 * and kept in its memory only. */
static GVariant *
sensitive_headers_of (LadleRemote *self,
                      LadleTask   *task)
{
  SoupMessage *request = ladle_task_get_original_request (task);
  g_auto(GStrv) sensitive = _ladle_session_dup_sensitive_headers (self->session);
  GVariantBuilder builder;
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  if (request == NULL)
    return g_variant_builder_end (&builder);

  soup_message_headers_iter_init (&iter, soup_message_get_request_headers (request));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (_ladle_header_is_credential (name) ||
        (sensitive != NULL && g_strv_contains ((const char * const *) sensitive, name)))
      g_variant_builder_add (&builder, "{ss}", name, value);

  return g_variant_builder_end (&builder);
}

static void
create_in_service (LadleRemote *self,
                   Entry       *entry)
{
  LadleTask *task = entry->task;
  LadleTaskRecord *record = _ladle_task_sync_record (task);
  g_autoptr(GVariant) serialized = NULL;
  GVariantBuilder options;
  CreateData *data;

  record->identifier = ladle_task_get_identifier (task);
  _ladle_set_str (&record->description, ladle_task_get_description (task));
  record->state = LADLE_TASK_STATE_RUNNING;
  serialized = _ladle_task_record_serialize (record);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "priority", g_variant_new_int32 (ladle_task_get_priority (task)));
  g_variant_builder_add (&options, "{sv}", "max-redirects", g_variant_new_uint32 (ladle_task_get_max_redirects (task)));
  g_variant_builder_add (&options, "{sv}", "total-timeout", g_variant_new_uint32 (ladle_task_get_total_timeout (task)));

  entry->in_service = TRUE;
  data = g_new0 (CreateData, 1);
  data->remote = self;
  data->task = g_object_ref (task);
  call (self, "CreateTask",
        g_variant_new ("(@a{sv}@a{ss}@a{sv})", serialized, sensitive_headers_of (self, task),
                       g_variant_builder_end (&options)),
        NULL, create_done_cb, data);
}

/* The session admits @task: a task of the service starts there (TRUE); the others run here. */
gboolean
_ladle_remote_admit (LadleRemote *self,
                     LadleTask   *task)
{
  Entry *entry = lookup (self, ladle_task_get_identifier (task));

  if (entry == NULL || entry->task != task)
    return FALSE;

  if (self->error != NULL)
    {
      _ladle_task_start (task, g_error_copy (self->error));
      return TRUE;
    }
  /* Not attached at the moment (the service is being started again): the reply of the next
   * attachment sends what the service does not have. */
  if (self->owner == NULL)
    return TRUE;

  if (!entry->in_service)
    create_in_service (self, entry);
  else
    call_task (self, "Resume", ladle_task_get_identifier (task));

  return TRUE;
}

/* ladle_task_resume() of a task the service does not have yet: it gets it at once, written to
 * the bus before resume() returns. The session's admission, from the main loop, then finds it
 * in the service (a Resume the service ignores). */
void
_ladle_remote_resumed (LadleRemote *self,
                       LadleTask   *task)
{
  Entry *entry = lookup (self, ladle_task_get_identifier (task));

  if (entry == NULL || entry->task != task || entry->in_service || self->error != NULL ||
      self->owner == NULL || _ladle_task_get_record (task)->phase != LADLE_TASK_PHASE_IDLE)
    return;

  create_in_service (self, entry);
  g_dbus_connection_flush_sync (self->connection, NULL, NULL);
}

/* The session's ::task-completed handlers returned. */
void
_ladle_remote_delivered (LadleRemote *self,
                         LadleTask   *task)
{
  guint64 identifier = ladle_task_get_identifier (task);
  Entry *entry = lookup (self, identifier);

  if (entry == NULL || entry->task != task)
    return;

  if (entry->completing)
    acknowledge (self, identifier);
  g_signal_handlers_disconnect_by_data (task, self);
  g_hash_table_remove (self->entries, &identifier);
}

void
_ladle_remote_invalidate (LadleRemote *self,
                          gboolean     cancel)
{
  call (self, cancel ? "InvalidateAndCancel" : "FinishTasksAndInvalidate", NULL, NULL,
        call_done_cb, g_strdup (cancel ? "InvalidateAndCancel" : "FinishTasksAndInvalidate"));
}

typedef struct
{
  LadleRemote       *remote;
  LadleDownloadTask *task;
} ResumeDataCall;

static void
resume_data_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ResumeDataCall *data = user_data;
  g_autoptr(LadleDownloadTask) task = data->task;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_free (data);
  if (reply == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (reply != NULL)
    {
      g_autoptr(GVariant) bytes_value = g_variant_get_child_value (reply, 0);
      g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (bytes_value);

      _ladle_download_task_set_resume_data (task, bytes);
    }
  else
    g_debug ("Transfer service: no resume data: %s", error->message);

  /* The service cancelled its task: this one completes with G_IO_ERROR_CANCELLED and gives the
   * resume data to the caller. */
  ladle_task_cancel (LADLE_TASK (task));
}

gboolean
_ladle_remote_cancel_producing_resume_data (LadleRemote       *self,
                                            LadleDownloadTask *task)
{
  Entry *entry = lookup (self, ladle_task_get_identifier (LADLE_TASK (task)));
  ResumeDataCall *data;

  if (entry == NULL || !entry->in_service || self->owner == NULL)
    return FALSE;

  data = g_new0 (ResumeDataCall, 1);
  data->remote = self;
  data->task = g_object_ref (task);
  /* Its cancellation is the service's: no Cancel call follows. */
  entry->in_service = FALSE;
  call (self, "CancelProducingResumeData", g_variant_new ("(t)", ladle_task_get_identifier (LADLE_TASK (task))),
        G_VARIANT_TYPE ("(ay)"), resume_data_cb, data);

  return TRUE;
}

/* Attaching */

static LadleTask *
task_of_record (LadleRemote     *self,
                LadleTaskRecord *record,
                GError         **error)
{
  g_autoptr(SoupMessage) request = _ladle_background_request_of (record);
  g_autoptr(LadleTask) task = NULL;

  if (request == NULL)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
                   _("The task's URI cannot be requested: %s"), record->uri);
      return NULL;
    }

  if (record->kind == LADLE_TASK_KIND_DOWNLOAD)
    {
      task = g_object_new (LADLE_TYPE_DOWNLOAD_TASK, NULL);
      if (record->destination != NULL)
        {
          g_autoptr(GFile) destination = g_file_new_for_uri (record->destination);

          ladle_download_task_set_destination (LADLE_DOWNLOAD_TASK (task), destination, record->destination_flags);
        }
    }
  else if (record->kind == LADLE_TASK_KIND_UPLOAD && record->body_kind == LADLE_UPLOAD_BODY_KIND_FILE &&
           record->body_file != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_uri (record->body_file);

      task = LADLE_TASK (_ladle_upload_task_new (request, LADLE_UPLOAD_BODY_KIND_FILE, NULL, file, NULL));
    }
  else if (record->kind == LADLE_TASK_KIND_UPLOAD && record->body_kind == LADLE_UPLOAD_BODY_KIND_FORM &&
           record->body_form != NULL)
    {
      g_autoptr(LadleMultipartForm) form = _ladle_multipart_form_new_from_variant (record->body_form, error);

      if (form == NULL)
        return NULL;
      task = LADLE_TASK (_ladle_upload_task_new (request, LADLE_UPLOAD_BODY_KIND_FORM, NULL, NULL, form));
    }
  else
    {
      g_set_error_literal (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
                           _("The transfer service listed a task that is neither a download nor an upload of a file or form"));
      return NULL;
    }

  /* Described before the session tracks it: nothing goes back to the service. */
  ladle_task_set_description (task, record->description);
  _ladle_session_add_restored_task (self->session, task, request, record->identifier);

  return g_steal_pointer (&task);
}

static void
take_task (LadleRemote *self,
           GVariant    *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleTaskRecord) record = _ladle_task_record_deserialize (value, &error);
  Entry *entry;

  if (record == NULL || record->identifier == 0)
    {
      g_warning ("Transfer service: ignoring a task record: %s",
                 error != NULL ? error->message : "no identifier");
      return;
    }
  if (record->identifier >= self->next_identifier)
    self->next_identifier = record->identifier + 1;

  entry = lookup (self, record->identifier);
  if (entry == NULL)
    {
      g_autoptr(LadleTask) task = task_of_record (self, record, &error);

      if (task == NULL)
        {
          g_warning ("Transfer service: ignoring task %llu: %s",
                     (unsigned long long) record->identifier, error->message);
          return;
        }
      entry = lookup (self, record->identifier);
      g_assert (entry != NULL);
      entry->in_service = TRUE;

      self->applying++;
      if (record->kind == LADLE_TASK_KIND_DOWNLOAD)
        _ladle_task_set_receive_offset (task, MAX (record->bytes_received, 0), record->bytes_expected_to_receive);
      apply_counts (task, -2, -2, record->bytes_sent, record->bytes_expected_to_send, FALSE);
      self->applying--;
      /* A running task runs on: the session admits it, which the service answers at once. */
      if (record->state == LADLE_TASK_STATE_RUNNING)
        ladle_task_resume (task);
      return;
    }

  /* Attached again: the service's view of a task this process has. */
  entry->in_service = TRUE;
  self->applying++;
  apply_counts (entry->task, record->bytes_received, record->bytes_expected_to_receive,
                record->bytes_sent, record->bytes_expected_to_send, FALSE);
  self->applying--;
  if (ladle_task_get_state (entry->task) == LADLE_TASK_STATE_RUNNING && record->state != LADLE_TASK_STATE_RUNNING)
    call_task (self, "Resume", record->identifier);
  else if (ladle_task_get_state (entry->task) == LADLE_TASK_STATE_SUSPENDED && record->state == LADLE_TASK_STATE_RUNNING)
    call_task (self, "Suspend", record->identifier);
  else if (ladle_task_get_state (entry->task) == LADLE_TASK_STATE_CANCELING)
    call_task (self, "Cancel", record->identifier);
}

static void
on_name_vanished (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data);

static gboolean
reattach_cb (gpointer user_data)
{
  LadleRemote *self = user_data;

  g_clear_pointer (&self->reattach_source, g_source_unref);
  attach_async (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_reattach (LadleRemote *self,
                   guint        delay_ms)
{
  if (self->reattach_source != NULL || self->attaching)
    return;

  self->reattach_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (self->reattach_source, reattach_cb, self, NULL);
  g_source_set_static_name (self->reattach_source, "[ladle] transfer service attach");
  g_source_attach (self->reattach_source, _ladle_session_get_context (self->session));
}

/* The service attached to is gone: its tasks are restored by the next one, which the next
 * attachment starts. */
static void
on_name_vanished (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  LadleRemote *self = user_data;

  if (self->owner == NULL)
    return;

  g_debug ("Transfer service %s went away: attaching again", self->owner);
  g_clear_pointer (&self->owner, g_free);
  if (self->subscription != 0)
    {
      g_dbus_connection_signal_unsubscribe (self->connection, self->subscription);
      self->subscription = 0;
    }
  schedule_reattach (self, REATTACH_DELAY_MS);
}

/* The Attach reply: the tasks and completions of the session, as the service has them. */
static gboolean
take_reply (LadleRemote  *self,
            GDBusMessage *reply,
            GError      **error)
{
  GVariant *body;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GVariant) tasks = NULL;
  g_autoptr(GVariant) completions = NULL;
  const char *path = NULL;
  const char *partial_directory = NULL;
  guint64 next_identifier = 0;
  guint32 version = 0;
  GHashTableIter iter;
  gpointer key;
  Entry *entry;
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  GVariantIter items;
  GVariant *item;

  if (g_dbus_message_to_gerror (reply, error))
    return FALSE;

  body = g_dbus_message_get_body (reply);
  if (body == NULL || !g_variant_is_of_type (body, G_VARIANT_TYPE (ATTACH_REPLY_TYPE)))
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_SERVICE_UNAVAILABLE,
                   _("The transfer service answered with a reply of the wrong type"));
      return FALSE;
    }
  g_variant_get (body, "(&ot@a{sv}@aa{sv}@aa{sv})", &path, &next_identifier, &info, &tasks, &completions);
  if (g_variant_lookup (info, "version", "u", &version) && version < LADLE_SERVICE_VERSION)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_SERVICE_UNAVAILABLE,
                   _("The transfer service is too old (interface revision %u, this library needs %u)"),
                   version, LADLE_SERVICE_VERSION);
      return FALSE;
    }

  _ladle_set_str (&self->path, path);
  _ladle_set_str (&self->owner, g_dbus_message_get_sender (reply));
  self->next_identifier = MAX (self->next_identifier, next_identifier);
  if (g_variant_lookup (info, "partial-directory", "&s", &partial_directory) && g_path_is_absolute (partial_directory))
    {
      g_autoptr(GFile) directory = g_file_new_for_path (partial_directory);

      _ladle_session_set_partial_directory (self->session, directory);
    }

  if (self->subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->subscription);
  self->subscription = g_dbus_connection_signal_subscribe (self->connection, self->owner,
                                                           LADLE_SERVICE_SESSION_INTERFACE, NULL, self->path,
                                                           NULL, G_DBUS_SIGNAL_FLAGS_NONE, signal_cb, self, NULL);

  g_variant_iter_init (&items, tasks);
  while ((item = g_variant_iter_next_value (&items)) != NULL)
    {
      guint64 identifier;

      if (g_variant_lookup (item, "identifier", "t", &identifier))
        g_hash_table_add (listed, identifier_key (identifier));
      take_task (self, item);
      g_variant_unref (item);
    }

  g_variant_iter_init (&items, completions);
  while ((item = g_variant_iter_next_value (&items)) != NULL)
    {
      g_autoptr(GVariant) record = g_variant_lookup_value (item, "record", G_VARIANT_TYPE_VARDICT);
      guint64 identifier = 0;

      if (record != NULL && g_variant_lookup (record, "identifier", "t", &identifier) && identifier != 0)
        {
          g_hash_table_add (listed, identifier_key (identifier));
          take_completion (self, identifier, item);
        }
      g_variant_unref (item);
    }

  /* Tasks this process gave the service that it does not know (it was killed before it
   * recorded them): given again. */
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &key, (gpointer *) &entry))
    if (!g_hash_table_contains (listed, key) && entry->in_service && !entry->completing)
      {
        entry->in_service = FALSE;
        if (ladle_task_get_state (entry->task) == LADLE_TASK_STATE_RUNNING)
          g_ptr_array_add (keys, g_memdup2 (key, sizeof (guint64)));
      }
  for (guint i = 0; i < keys->len; i++)
    if ((entry = lookup (self, *(guint64 *) keys->pdata[i])) != NULL)
      create_in_service (self, entry);

  /* Waiting for the attachment: tasks resumed meanwhile. */
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &key, (gpointer *) &entry))
    if (!entry->in_service && !entry->completing &&
        ladle_task_get_state (entry->task) == LADLE_TASK_STATE_RUNNING &&
        _ladle_task_get_record (entry->task)->phase == LADLE_TASK_PHASE_ADMITTING)
      create_in_service (self, entry);

  if (self->name_watch == 0)
    self->name_watch = g_bus_watch_name_on_connection (self->connection, LADLE_SERVICE_NAME,
                                                       G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                       on_name_vanished, self, NULL);

  return TRUE;
}

static GDBusMessage *
attach_message (LadleRemote *self)
{
  GDBusMessage *message = g_dbus_message_new_method_call (LADLE_SERVICE_NAME, LADLE_SERVICE_PATH,
                                                          LADLE_SERVICE_INTERFACE, "Attach");

  g_dbus_message_set_body (message, g_variant_new ("(ss@a{sv})", self->application_id, self->identifier,
                                                   self->configuration));

  return message;
}

/* Why the service cannot be reached, as LADLE_ERROR_SERVICE_UNAVAILABLE, unless the service
 * itself answered with a LADLE_ERROR. */
static GError *
unavailable (GError *error)
{
  GError *result;

  if (error->domain == LADLE_ERROR || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;

  g_dbus_error_strip_remote_error (error);
  result = g_error_new (LADLE_ERROR, LADLE_ERROR_SERVICE_UNAVAILABLE,
                        _("Cannot reach the transfer service %s: %s"), LADLE_SERVICE_NAME, error->message);
  g_error_free (error);

  return result;
}

static void
attached_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  LadleRemote *self = user_data;
  g_autoptr(GDBusMessage) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_send_message_with_reply_finish (G_DBUS_CONNECTION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->attaching = FALSE;
  if (reply != NULL && take_reply (self, reply, &error))
    return;

  g_dbus_error_strip_remote_error (error);
  /* Another process attached meanwhile: this session lost the service. */
  g_warning ("Background session “%s” of %s cannot attach to the transfer service again: %s",
             self->identifier, self->application_id, error->message);
  if (!g_error_matches (error, LADLE_ERROR, LADLE_ERROR_SESSION_IN_USE) && !g_dbus_connection_is_closed (self->connection))
    schedule_reattach (self, 2000);
}

static void
attach_async (LadleRemote *self)
{
  g_autoptr(GDBusMessage) message = attach_message (self);

  if (self->connection == NULL || g_dbus_connection_is_closed (self->connection))
    return;

  self->attaching = TRUE;
  g_dbus_connection_send_message_with_reply (self->connection, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE,
                                             ATTACH_TIMEOUT_MS, NULL, self->cancellable, attached_cb, self);
}

/* While the session is made: its tasks are in its list model when ladle_session_new() returns,
 * and the completions of earlier runs follow from the main context. On failure the session's
 * tasks complete with the error (with a warning when @warn: ladle_session_new_sync() reports
 * it instead), and ::background-events-finished is still emitted. */
void
_ladle_remote_attach (LadleRemote  *self,
                      GCancellable *cancellable,
                      gboolean      warn)
{
  g_autoptr(GDBusMessage) message = NULL;
  g_autoptr(GDBusMessage) reply = NULL;
  GError *error = NULL;

  if (!_ladle_service_name_is_valid (self->application_id) || !_ladle_service_name_is_valid (self->identifier))
    error = g_error_new (LADLE_ERROR, LADLE_ERROR_SERVICE_UNAVAILABLE,
                         _("The transfer service cannot keep a session named “%s” for “%s”: names are 1 to 255 bytes of text"),
                         self->identifier, self->application_id);
  if (error == NULL)
    self->connection = g_bus_get_sync (G_BUS_TYPE_SESSION, cancellable, &error);
  if (error == NULL)
    {
      message = attach_message (self);
      reply = g_dbus_connection_send_message_with_reply_sync (self->connection, message,
                                                              G_DBUS_SEND_MESSAGE_FLAGS_NONE, ATTACH_TIMEOUT_MS,
                                                              NULL, cancellable, &error);
    }
  if (error == NULL)
    take_reply (self, reply, &error);

  if (error != NULL)
    {
      g_dbus_error_strip_remote_error (error);
      self->error = unavailable (error);
      g_clear_pointer (&self->owner, g_free);
      if (warn)
        g_warning ("Background session “%s” of %s runs no task: %s", self->identifier, self->application_id,
                   self->error->message);
    }

  schedule_deliveries (self);
}
