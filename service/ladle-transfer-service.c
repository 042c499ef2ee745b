/* ladle-transfer-service.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * ladle-transfer-service: runs the tasks of background sessions whose applications set
 * LadleSessionConfiguration:use-transfer-service, so that they go on when the application has
 * quit or was killed (docs/transfer-service.md, data/org.gnome.Ladle.TransferService.xml).
 *
 * Each session of a client (application id, identifier) is a background LadleSession of this
 * process, whose store and partial files live in the service's state directory
 * ($XDG_STATE_HOME/ladle-transfer-service). Its completions are held in that store until the
 * client acknowledges them, so an application that was away gets each one once, and a service
 * that was killed restores its sessions from the store when it starts again (the sessions it
 * keeps are listed in sessions.ini there) and resumes their downloads with Range.
 *
 * Security: a D-Bus connection is bound to the first application id it uses and can reach only
 * that application's sessions. A client in a Flatpak sandbox is refused: the paths of its files
 * are its sandbox's, which this service cannot resolve. Signals go to the attached client alone. Credentials (the request headers a
 * client marks sensitive, Authorization, Cookie) stay in memory: the store never has them.
 * Authentication challenges and certificate decisions are refused.
 *
 * The service exits after --idle-timeout seconds (default 30) without a client and without a
 * task that runs or waits for the network.
 */

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ladle.h"
#include "ladle-i18n-private.h"
#include "ladle-background-store-private.h"
#include "ladle-cookie-jar-private.h"
#include "ladle-resume-data-private.h"
#include "ladle-multipart-private.h"
#include "ladle-service-wire-private.h"
#include "ladle-session-background-private.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"
#include "ladle-util-private.h"

#include "ladle-transfer-service-generated.h"

#define DEFAULT_IDLE_TIMEOUT   30
/* Byte counts go out at most this often per task; state changes at once. */
#define PROGRESS_INTERVAL_MS   250
#define INDEX_GROUP_PREFIX     "session "
#define MAX_SESSIONS_PER_APP   64
#define MAX_TASKS_PER_SESSION  10000

typedef struct _Service Service;

typedef struct
{
  Service                         *service;
  char                            *application_id;
  char                            *identifier;
  char                            *path;
  GVariant                        *configuration;  /* the client's, secrets included: memory only */
  LadleSession                    *session;
  LadleBackground                 *background;
  LadleDBusTransferServiceSession *skeleton;
  char                            *client;         /* unique name of the attached client */
  gboolean                         events_finished;
  GPtrArray                       *pending_attach; /* GDBusMethodInvocation */
  GHashTable                      *outbox;         /* guint64 * -> GVariant completion */
  GHashTable                      *watched;        /* guint64 * -> Watched */
  gboolean                         ending;         /* invalidated by the client */
} ServiceSession;

typedef struct
{
  ServiceSession *owner;
  LadleTask      *task;       /* strong */
  GVariantDict   *pending;    /* changes not sent yet */
  guint           timer;
} Watched;

struct _Service
{
  GMainLoop                *loop;
  GDBusConnection          *connection;
  LadleDBusTransferService *skeleton;
  char                     *state_directory;
  GHashTable               *sessions;   /* "app\nidentifier" -> ServiceSession */
  GHashTable               *bindings;   /* unique name -> application id */
  guint                     idle_timeout;
  guint                     idle_source;
  guint                     owner_changed;
  guint                     name_id;
  gboolean                  name_acquired;
  int                       exit_status;
};

static void check_idle          (Service        *service);
static void save_index          (Service        *service);
static void session_free        (ServiceSession *session);
static void watch_task          (ServiceSession *session,
                                 LadleTask      *task);

static char *
session_key (const char *application_id,
             const char *identifier)
{
  return g_strconcat (application_id, "\n", identifier, NULL);
}

static guint64 *
identifier_key (guint64 identifier)
{
  return g_memdup2 (&identifier, sizeof identifier);
}

static void
emit_to_client (ServiceSession *session,
                const char     *name,
                GVariant       *parameters)
{
  g_autoptr(GError) error = NULL;

  g_variant_ref_sink (parameters);
  if (session->client != NULL &&
      !g_dbus_connection_emit_signal (session->service->connection, session->client, session->path,
                                      LADLE_SERVICE_SESSION_INTERFACE, name, parameters, &error))
    g_debug ("Cannot send %s to %s: %s", name, session->client, error->message);
  g_variant_unref (parameters);
}

/* Progress and events of the session's tasks */

static void
watched_free (Watched *watched)
{
  g_clear_handle_id (&watched->timer, g_source_remove);
  g_signal_handlers_disconnect_by_data (watched->task, watched);
  g_clear_object (&watched->task);
  g_clear_pointer (&watched->pending, g_variant_dict_unref);
  g_free (watched);
}

static void
flush (Watched *watched)
{
  g_autoptr(GVariant) changes = NULL;

  g_clear_handle_id (&watched->timer, g_source_remove);
  changes = g_variant_ref_sink (g_variant_dict_end (watched->pending));
  g_variant_dict_unref (watched->pending);
  watched->pending = g_variant_dict_new (NULL);
  if (g_variant_n_children (changes) > 0)
    emit_to_client (watched->owner, "TaskChanged",
                    g_variant_new ("(t@a{sv})", ladle_task_get_identifier (watched->task), changes));
}

static gboolean
flush_cb (gpointer user_data)
{
  Watched *watched = user_data;

  watched->timer = 0;
  flush (watched);

  return G_SOURCE_REMOVE;
}

static void
on_task_notify (LadleTask  *task,
                GParamSpec *pspec,
                Watched    *watched)
{
  const char *name = pspec->name;
  gboolean at_once = FALSE;

  if (g_str_equal (name, "state"))
    {
      LadleTaskState state = ladle_task_get_state (task);

      /* The completion says it all. */
      if (state == LADLE_TASK_STATE_COMPLETED || state == LADLE_TASK_STATE_CANCELING)
        return;
      g_variant_dict_insert (watched->pending, "state", "u", (guint32) state);
      at_once = TRUE;
      check_idle (watched->owner->service);
    }
  else if (g_str_equal (name, "wait-reason"))
    {
      g_variant_dict_insert (watched->pending, "wait-reason", "u", (guint32) ladle_task_get_wait_reason (task));
      at_once = TRUE;
    }
  else if (g_str_equal (name, "description"))
    {
      const char *description = ladle_task_get_description (task);

      g_variant_dict_insert (watched->pending, "description", "s", description ? description : "");
      at_once = TRUE;
    }
  else if (g_str_equal (name, "status-code"))
    g_variant_dict_insert (watched->pending, "status", "u", (guint32) ladle_task_get_status_code (task));
  else if (g_str_equal (name, "bytes-received") || g_str_equal (name, "bytes-expected-to-receive"))
    {
      g_variant_dict_insert (watched->pending, "bytes-received", "x", ladle_task_get_bytes_received (task));
      g_variant_dict_insert (watched->pending, "bytes-expected-to-receive", "x",
                             ladle_task_get_bytes_expected_to_receive (task));
    }
  else if (g_str_equal (name, "bytes-sent") || g_str_equal (name, "bytes-expected-to-send"))
    {
      g_variant_dict_insert (watched->pending, "bytes-sent", "x", ladle_task_get_bytes_sent (task));
      g_variant_dict_insert (watched->pending, "bytes-expected-to-send", "x", ladle_task_get_bytes_expected_to_send (task));
    }
  else
    return;

  if (at_once)
    flush (watched);
  else if (watched->timer == 0)
    watched->timer = g_timeout_add (PROGRESS_INTERVAL_MS, flush_cb, watched);
}

static void
add_error (GVariantBuilder *builder,
           const GError    *error)
{
  if (error == NULL)
    return;
  g_variant_builder_add (builder, "{sv}", "error-domain", g_variant_new_string (g_quark_to_string (error->domain)));
  g_variant_builder_add (builder, "{sv}", "error-code", g_variant_new_int32 (error->code));
  g_variant_builder_add (builder, "{sv}", "error-message", g_variant_new_string (error->message));
}

static void
on_resumed (LadleDownloadTask *task,
            gint64             offset,
            gint64             expected_total,
            Watched           *watched)
{
  GVariantBuilder details;

  flush (watched);
  g_variant_builder_init (&details, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&details, "{sv}", "offset", g_variant_new_int64 (offset));
  g_variant_builder_add (&details, "{sv}", "expected-total", g_variant_new_int64 (expected_total));
  emit_to_client (watched->owner, "TaskEvent",
                  g_variant_new ("(tsa{sv})", ladle_task_get_identifier (LADLE_TASK (task)), "resumed", &details));
}

static gboolean
on_will_retry (LadleTask    *task,
               guint         attempt,
               guint         delay_ms,
               const GError *why,
               Watched      *watched)
{
  GVariantBuilder details;

  flush (watched);
  g_variant_builder_init (&details, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&details, "{sv}", "attempt", g_variant_new_uint32 (attempt));
  g_variant_builder_add (&details, "{sv}", "delay", g_variant_new_uint32 (delay_ms));
  add_error (&details, why);
  emit_to_client (watched->owner, "TaskEvent",
                  g_variant_new ("(tsa{sv})", ladle_task_get_identifier (task), "will-retry", &details));

  return TRUE;
}

static void
on_waiting (LadleTask *task,
            Watched   *watched)
{
  flush (watched);
  emit_to_client (watched->owner, "TaskEvent",
                  g_variant_new ("(ts@a{sv})", ladle_task_get_identifier (task), "waiting-for-connectivity",
                                 g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)));
}

static void
watch_task (ServiceSession *session,
            LadleTask      *task)
{
  guint64 identifier = ladle_task_get_identifier (task);
  Watched *watched;

  if (g_hash_table_contains (session->watched, &identifier))
    return;

  watched = g_new0 (Watched, 1);
  watched->owner = session;
  watched->task = g_object_ref (task);
  watched->pending = g_variant_dict_new (NULL);
  g_hash_table_insert (session->watched, identifier_key (identifier), watched);
  g_signal_connect (task, "notify", G_CALLBACK (on_task_notify), watched);
  g_signal_connect (task, "will-retry", G_CALLBACK (on_will_retry), watched);
  g_signal_connect (task, "waiting-for-connectivity", G_CALLBACK (on_waiting), watched);
  if (LADLE_IS_DOWNLOAD_TASK (task))
    g_signal_connect (task, "resumed", G_CALLBACK (on_resumed), watched);
}

static void
on_items_changed (GListModel     *model,
                  guint           position,
                  guint           removed,
                  guint           added,
                  ServiceSession *session)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(LadleTask) task = g_list_model_get_item (model, i);

      watch_task (session, task);
    }
}

/* The inner session */

static void
on_task_completed (LadleSession   *inner,
                   LadleTask      *task,
                   const GError   *error,
                   ServiceSession *session)
{
  guint64 identifier = ladle_task_get_identifier (task);
  g_autoptr(GVariant) stored = _ladle_background_dup_completion (session->background, identifier);
  Watched *watched = g_hash_table_lookup (session->watched, &identifier);
  gboolean kept = stored != NULL;
  GVariantBuilder builder;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (watched != NULL)
    flush (watched);

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (stored == NULL)
    {
      /* Not kept (a cancelled task): told once, nothing to acknowledge. */
      LadleTaskRecord *record = _ladle_task_sync_record (task);

      record->identifier = identifier;
      record->status = ladle_task_get_status_code (task);
      stored = g_variant_ref_sink (_ladle_stored_completion_serialize (record, error, NULL));
    }
  g_variant_iter_init (&iter, stored);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_variant_builder_add (&builder, "{sv}", key, value);
      g_variant_unref (value);
    }
  if (LADLE_IS_DOWNLOAD_TASK (task) && error != NULL)
    {
      g_autoptr(GBytes) resume_data = ladle_download_task_dup_resume_data (LADLE_DOWNLOAD_TASK (task));

      if (resume_data != NULL)
        g_variant_builder_add (&builder, "{sv}", "resume-data",
                               g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, resume_data, TRUE));
    }

  value = g_variant_ref_sink (g_variant_builder_end (&builder));
  if (kept)
    g_hash_table_replace (session->outbox, identifier_key (identifier), g_variant_ref (value));
  emit_to_client (session, "TaskCompleted", g_variant_new ("(t@a{sv})", identifier, value));
  g_variant_unref (value);

  g_hash_table_remove (session->watched, &identifier);
  check_idle (session->service);
}

static int
compare_identifiers (gconstpointer a,
                     gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

static void
reply_attach (ServiceSession        *session,
              GDBusMethodInvocation *invocation)
{
  GVariantBuilder info, tasks, completions;
  GListModel *model = G_LIST_MODEL (session->session);
  g_autoptr(GFile) partial_directory = g_object_ref (_ladle_background_get_partial_directory (session->background));
  g_autofree char *partial_path = g_file_get_path (partial_directory);
  g_autoptr(GList) identifiers = NULL;

  g_variant_builder_init (&info, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&info, "{sv}", "version", g_variant_new_uint32 (LADLE_SERVICE_VERSION));
  g_variant_builder_add (&info, "{sv}", "partial-directory", g_variant_new_string (partial_path));

  g_variant_builder_init (&tasks, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(LadleTask) task = g_list_model_get_item (model, i);
      LadleTaskRecord *record;
      g_autoptr(GVariant) serialized = NULL;

      if (!_ladle_background_is_recorded_kind (task))
        continue;
      record = _ladle_task_sync_record (task);
      record->identifier = ladle_task_get_identifier (task);
      _ladle_set_str (&record->description, ladle_task_get_description (task));
      record->state = ladle_task_get_state (task);
      record->status = ladle_task_get_status_code (task);
      serialized = _ladle_task_record_serialize (record);
      g_variant_builder_add_value (&tasks, serialized);
    }

  g_variant_builder_init (&completions, G_VARIANT_TYPE ("aa{sv}"));
  identifiers = g_list_sort (g_hash_table_get_keys (session->outbox), compare_identifiers);
  for (GList *l = identifiers; l != NULL; l = l->next)
    g_variant_builder_add_value (&completions, g_hash_table_lookup (session->outbox, l->data));

  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(ot@a{sv}aa{sv}aa{sv})", session->path,
                                                        _ladle_background_peek_identifier (session->background),
                                                        g_variant_builder_end (&info), &tasks, &completions));
}

static void
on_events_finished (LadleSession   *inner,
                    ServiceSession *session)
{
  /* Each holds the reference its handler was given, which the reply takes. */
  g_autoptr(GPtrArray) pending = g_steal_pointer (&session->pending_attach);

  session->pending_attach = g_ptr_array_new ();
  session->events_finished = TRUE;
  for (guint i = 0; i < pending->len; i++)
    reply_attach (session, g_ptr_array_index (pending, i));
}

static gboolean
on_authenticate (LadleSession *inner,
                 LadleTask    *task,
                 SoupAuth     *auth,
                 gboolean      retrying,
                 gpointer      user_data)
{
  g_debug ("Task %llu: refusing the %s challenge of %s", (unsigned long long) ladle_task_get_identifier (task),
           soup_auth_get_scheme_name (auth), soup_auth_get_authority (auth));
  return FALSE;
}

static gboolean
on_accept_certificate (LadleSession         *inner,
                       LadleTask            *task,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  return FALSE;
}

static void remove_session (ServiceSession *session);

static gboolean
remove_session_cb (gpointer user_data)
{
  remove_session (user_data);

  return G_SOURCE_REMOVE;
}

/* The client ended the session: it goes, from the main loop (not from inside the inner
 * session's own signal). */
static void
on_invalidated (LadleSession   *inner,
                ServiceSession *session)
{
  if (!session->ending)
    return;

  emit_to_client (session, "Invalidated", g_variant_new ("()"));
  g_idle_add (remove_session_cb, session);
}

static gboolean
start_session (ServiceSession  *session,
               GError         **error)
{
  Service *service = session->service;
  /* One state directory per application: its cookies, cache and stores are its own. */
  g_autofree char *escaped = _ladle_background_store_escape_name (session->application_id);
  g_autofree char *directory = g_build_filename (service->state_directory, "applications", escaped, NULL);
  g_autoptr(LadleSessionConfiguration) configuration =
    _ladle_session_configuration_from_wire (session->configuration, session->application_id,
                                            session->identifier, directory);

  /* Data tasks run in the application: no HTTP cache here. */
  ladle_session_configuration_set_cache_size (configuration, 0);

  session->events_finished = FALSE;
  session->session = ladle_session_new (configuration);
  session->background = _ladle_session_get_background (session->session);
  if (session->background == NULL)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_SESSION_IN_USE,
                   _("The background session “%s” of %s is in use by another process"),
                   session->identifier, session->application_id);
      g_clear_object (&session->session);
      return FALSE;
    }
  /* Before the restored completions are delivered (from the main loop): they stay in the store
   * until the client acknowledges them. */
  _ladle_background_hold_deliveries (session->background);

  g_signal_connect (session->session, "task-completed", G_CALLBACK (on_task_completed), session);
  g_signal_connect (session->session, "background-events-finished", G_CALLBACK (on_events_finished), session);
  g_signal_connect (session->session, "authenticate", G_CALLBACK (on_authenticate), session);
  g_signal_connect (session->session, "accept-certificate", G_CALLBACK (on_accept_certificate), session);
  g_signal_connect (session->session, "invalidated", G_CALLBACK (on_invalidated), session);
  g_signal_connect (session->session, "items-changed", G_CALLBACK (on_items_changed), session);
  on_items_changed (G_LIST_MODEL (session->session), 0, 0,
                    g_list_model_get_n_items (G_LIST_MODEL (session->session)), session);

  return TRUE;
}

static void
stop_session (ServiceSession *session)
{
  if (session->session == NULL)
    return;

  g_signal_handlers_disconnect_by_data (session->session, session);
  g_hash_table_remove_all (session->watched);
  g_hash_table_remove_all (session->outbox);
  g_clear_object (&session->session);
  session->background = NULL;
}

/* Method calls */

static ServiceSession *
session_of_caller (ServiceSession        *session,
                   GDBusMethodInvocation *invocation)
{
  if (session->client == NULL || g_strcmp0 (session->client, g_dbus_method_invocation_get_sender (invocation)) != 0)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                  "Only the client attached to this session may call it");
      return NULL;
    }
  if (session->session == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, LADLE_ERROR, LADLE_ERROR_SESSION_INVALIDATED,
                                             "The session is not running");
      return NULL;
    }

  return session;
}

static LadleTask *
task_of_call (ServiceSession        *session,
              GDBusMethodInvocation *invocation,
              guint64                identifier)
{
  LadleTask *task = ladle_session_get_task_by_identifier (session->session, identifier);

  if (task == NULL)
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                           "The session has no unfinished task %llu",
                                           (unsigned long long) identifier);

  return task;
}

static gboolean
header_is_valid (const char *name,
                 const char *value)
{
  if (*name == '\0' || strlen (name) > 256 || strlen (value) > 16384)
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr ("!#$%&'*+-.^_`|~", *c) == NULL)
      return FALSE;

  return strpbrk (value, "\r\n") == NULL && g_utf8_validate (value, -1, NULL);
}

static LadleTask *
create_task (ServiceSession   *session,
             LadleTaskRecord  *record,
             SoupMessage      *request,
             GError          **error)
{
  if (record->kind == LADLE_TASK_KIND_DOWNLOAD && record->partial_name != NULL && record->bytes_on_disk > 0)
    {
      g_autoptr(GBytes) resume_data = _ladle_resume_data_serialize (record);

      return LADLE_TASK (ladle_session_create_download_task_from_resume_data_with_request (session->session,
                                                                                          resume_data, request,
                                                                                          error));
    }
  if (record->kind == LADLE_TASK_KIND_DOWNLOAD)
    {
      LadleDownloadTask *task = ladle_session_create_download_task (session->session, request);

      if (record->destination != NULL)
        {
          g_autoptr(GFile) destination = g_file_new_for_uri (record->destination);

          ladle_download_task_set_destination (task, destination, record->destination_flags);
        }
      return LADLE_TASK (task);
    }
  if (record->kind == LADLE_TASK_KIND_UPLOAD && record->body_kind == LADLE_UPLOAD_BODY_KIND_FILE &&
      record->body_file != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_uri (record->body_file);

      return LADLE_TASK (ladle_session_create_upload_task_from_file (session->session, request, file));
    }
  if (record->kind == LADLE_TASK_KIND_UPLOAD && record->body_kind == LADLE_UPLOAD_BODY_KIND_FORM &&
      record->body_form != NULL)
    {
      g_autoptr(LadleMultipartForm) form = _ladle_multipart_form_new_from_variant (record->body_form, error);

      if (form == NULL)
        return NULL;
      return LADLE_TASK (ladle_session_create_upload_task_from_form (session->session, request, form));
    }

  g_set_error_literal (error, LADLE_ERROR, LADLE_ERROR_NOT_IN_BACKGROUND,
                       _("The transfer service runs downloads and uploads of files and forms only"));
  return NULL;
}

static gboolean
handle_create_task (LadleDBusTransferServiceSession *skeleton,
                    GDBusMethodInvocation           *invocation,
                    GVariant                        *record_variant,
                    GVariant                        *sensitive,
                    GVariant                        *options,
                    ServiceSession                  *session)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleTaskRecord) record = NULL;
  g_autoptr(SoupMessage) request = NULL;
  g_autoptr(LadleTask) task = NULL;
  GVariantIter iter;
  const char *name, *value;
  gint32 priority;
  guint32 number;

  if (session_of_caller (session, invocation) == NULL)
    return TRUE;

  record = _ladle_task_record_deserialize (record_variant, &error);
  if (record == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }
  if (g_list_model_get_n_items (G_LIST_MODEL (session->session)) >= MAX_TASKS_PER_SESSION)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_LIMITS_EXCEEDED,
                                             "A session of the transfer service has at most %u tasks",
                                             MAX_TASKS_PER_SESSION);
      return TRUE;
    }
  if (record->identifier == 0 || !_ladle_background_reserve_identifier (session->background, record->identifier))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "Task identifier %llu is already used (the next free one is %llu)",
                                             (unsigned long long) record->identifier,
                                             (unsigned long long) _ladle_background_peek_identifier (session->background));
      return TRUE;
    }

  request = _ladle_background_request_of (record);
  if (request == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST,
                                             "Cannot make a request for %s", record->uri);
      return TRUE;
    }
  /* In memory only: the store writes storable headers alone. */
  g_variant_iter_init (&iter, sensitive);
  while (g_variant_iter_next (&iter, "{&s&s}", &name, &value))
    if (header_is_valid (name, value))
      soup_message_headers_replace (soup_message_get_request_headers (request), name, value);

  task = create_task (session, record, request, &error);
  if (task == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }
  g_assert (ladle_task_get_identifier (task) == record->identifier);

  if (record->description != NULL)
    ladle_task_set_description (task, record->description);
  if (g_variant_lookup (options, "priority", "i", &priority))
    ladle_task_set_priority (task, CLAMP (priority, SOUP_MESSAGE_PRIORITY_VERY_LOW, SOUP_MESSAGE_PRIORITY_VERY_HIGH));
  if (g_variant_lookup (options, "max-redirects", "u", &number) && number <= 100)
    ladle_task_set_max_redirects (task, number);
  if (g_variant_lookup (options, "total-timeout", "u", &number))
    ladle_task_set_total_timeout (task, number);
  watch_task (session, task);
  ladle_task_resume (task);

  g_dbus_method_invocation_return_value (invocation, NULL);
  return TRUE;
}

static gboolean
handle_resume (LadleDBusTransferServiceSession *skeleton,
               GDBusMethodInvocation           *invocation,
               guint64                          identifier,
               ServiceSession                  *session)
{
  LadleTask *task;

  if (session_of_caller (session, invocation) == NULL || (task = task_of_call (session, invocation, identifier)) == NULL)
    return TRUE;

  ladle_task_resume (task);
  g_dbus_method_invocation_return_value (invocation, NULL);
  return TRUE;
}

static gboolean
handle_suspend (LadleDBusTransferServiceSession *skeleton,
                GDBusMethodInvocation           *invocation,
                guint64                          identifier,
                ServiceSession                  *session)
{
  LadleTask *task;

  if (session_of_caller (session, invocation) == NULL || (task = task_of_call (session, invocation, identifier)) == NULL)
    return TRUE;

  ladle_task_suspend (task);
  g_dbus_method_invocation_return_value (invocation, NULL);
  check_idle (session->service);
  return TRUE;
}

static gboolean
handle_cancel (LadleDBusTransferServiceSession *skeleton,
               GDBusMethodInvocation           *invocation,
               guint64                          identifier,
               ServiceSession                  *session)
{
  LadleTask *task;

  if (session_of_caller (session, invocation) == NULL || (task = task_of_call (session, invocation, identifier)) == NULL)
    return TRUE;

  ladle_task_cancel (task);
  g_dbus_method_invocation_return_value (invocation, NULL);
  return TRUE;
}

static void
resume_data_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = ladle_download_task_cancel_producing_resume_data_finish (LADLE_DOWNLOAD_TASK (source),
                                                                                      result, &error);

  if (error != NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  if (bytes == NULL)
    bytes = g_bytes_new (NULL, 0);
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(@ay)", g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                                                          bytes, TRUE)));
}

static gboolean
handle_cancel_producing_resume_data (LadleDBusTransferServiceSession *skeleton,
                                     GDBusMethodInvocation           *invocation,
                                     guint64                          identifier,
                                     ServiceSession                  *session)
{
  LadleTask *task;

  if (session_of_caller (session, invocation) == NULL || (task = task_of_call (session, invocation, identifier)) == NULL)
    return TRUE;
  if (!LADLE_IS_DOWNLOAD_TASK (task))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "Task %llu is not a download", (unsigned long long) identifier);
      return TRUE;
    }

  ladle_download_task_cancel_producing_resume_data_async (LADLE_DOWNLOAD_TASK (task), G_PRIORITY_DEFAULT, NULL,
                                                          resume_data_cb, g_object_ref (invocation));
  return TRUE;
}

static gboolean
handle_set_description (LadleDBusTransferServiceSession *skeleton,
                        GDBusMethodInvocation           *invocation,
                        guint64                          identifier,
                        const char                      *description,
                        ServiceSession                  *session)
{
  LadleTask *task;

  if (session_of_caller (session, invocation) == NULL || (task = task_of_call (session, invocation, identifier)) == NULL)
    return TRUE;

  ladle_task_set_description (task, *description != '\0' ? description : NULL);
  g_dbus_method_invocation_return_value (invocation, NULL);
  return TRUE;
}

static gboolean
handle_acknowledge (LadleDBusTransferServiceSession *skeleton,
                    GDBusMethodInvocation           *invocation,
                    guint64                          identifier,
                    ServiceSession                  *session)
{
  if (session_of_caller (session, invocation) == NULL)
    return TRUE;

  _ladle_background_acknowledge (session->background, identifier);
  g_hash_table_remove (session->outbox, &identifier);
  g_dbus_method_invocation_return_value (invocation, NULL);
  check_idle (session->service);
  return TRUE;
}

static gboolean
handle_detach (LadleDBusTransferServiceSession *skeleton,
               GDBusMethodInvocation           *invocation,
               ServiceSession                  *session)
{
  if (session->client == NULL || g_strcmp0 (session->client, g_dbus_method_invocation_get_sender (invocation)) != 0)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                  "Only the client attached to this session may detach it");
      return TRUE;
    }

  g_clear_pointer (&session->client, g_free);
  g_dbus_method_invocation_return_value (invocation, NULL);
  check_idle (session->service);
  return TRUE;
}

static gboolean
handle_finish_tasks_and_invalidate (LadleDBusTransferServiceSession *skeleton,
                                    GDBusMethodInvocation           *invocation,
                                    ServiceSession                  *session)
{
  if (session_of_caller (session, invocation) == NULL)
    return TRUE;

  session->ending = TRUE;
  g_dbus_method_invocation_return_value (invocation, NULL);
  ladle_session_finish_tasks_and_invalidate (session->session);
  return TRUE;
}

static gboolean
handle_invalidate_and_cancel (LadleDBusTransferServiceSession *skeleton,
                              GDBusMethodInvocation           *invocation,
                              ServiceSession                  *session)
{
  if (session_of_caller (session, invocation) == NULL)
    return TRUE;

  session->ending = TRUE;
  g_dbus_method_invocation_return_value (invocation, NULL);
  ladle_session_invalidate_and_cancel (session->session);
  return TRUE;
}

/* Sessions */

static ServiceSession *
session_new (Service    *service,
             const char *application_id,
             const char *identifier,
             GVariant   *configuration)
{
  ServiceSession *session = g_new0 (ServiceSession, 1);
  g_autoptr(GError) error = NULL;

  session->service = service;
  session->application_id = g_strdup (application_id);
  session->identifier = g_strdup (identifier);
  session->path = _ladle_service_session_path (application_id, identifier);
  session->configuration = g_variant_ref_sink (configuration);
  session->pending_attach = g_ptr_array_new ();
  session->outbox = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) g_variant_unref);
  session->watched = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) watched_free);

  session->skeleton = ladle_dbus_transfer_service_session_skeleton_new ();
  g_signal_connect (session->skeleton, "handle-create-task", G_CALLBACK (handle_create_task), session);
  g_signal_connect (session->skeleton, "handle-resume", G_CALLBACK (handle_resume), session);
  g_signal_connect (session->skeleton, "handle-suspend", G_CALLBACK (handle_suspend), session);
  g_signal_connect (session->skeleton, "handle-cancel", G_CALLBACK (handle_cancel), session);
  g_signal_connect (session->skeleton, "handle-cancel-producing-resume-data",
                    G_CALLBACK (handle_cancel_producing_resume_data), session);
  g_signal_connect (session->skeleton, "handle-set-description", G_CALLBACK (handle_set_description), session);
  g_signal_connect (session->skeleton, "handle-acknowledge", G_CALLBACK (handle_acknowledge), session);
  g_signal_connect (session->skeleton, "handle-detach", G_CALLBACK (handle_detach), session);
  g_signal_connect (session->skeleton, "handle-finish-tasks-and-invalidate",
                    G_CALLBACK (handle_finish_tasks_and_invalidate), session);
  g_signal_connect (session->skeleton, "handle-invalidate-and-cancel",
                    G_CALLBACK (handle_invalidate_and_cancel), session);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (session->skeleton), service->connection,
                                         session->path, &error))
    g_warning ("Cannot export %s: %s", session->path, error->message);

  g_hash_table_insert (service->sessions, session_key (application_id, identifier), session);

  return session;
}

static void
session_free (ServiceSession *session)
{
  for (guint i = 0; i < session->pending_attach->len; i++)
    g_dbus_method_invocation_return_error (g_ptr_array_index (session->pending_attach, i),
                                           LADLE_ERROR, LADLE_ERROR_SESSION_INVALIDATED, "The session ended");
  stop_session (session);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (session->skeleton));
  g_clear_object (&session->skeleton);
  g_clear_pointer (&session->pending_attach, g_ptr_array_unref);
  g_clear_pointer (&session->outbox, g_hash_table_unref);
  g_clear_pointer (&session->watched, g_hash_table_unref);
  g_clear_pointer (&session->configuration, g_variant_unref);
  g_free (session->application_id);
  g_free (session->identifier);
  g_free (session->path);
  g_free (session->client);
  g_free (session);
}

static void
remove_session (ServiceSession *session)
{
  Service *service = session->service;
  g_autofree char *key = session_key (session->application_id, session->identifier);

  g_hash_table_remove (service->sessions, key);
  save_index (service);
  check_idle (service);
}

/* A session worth keeping across a restart of the service: unfinished tasks, or completions
 * not acknowledged. */
static gboolean
session_has_work (ServiceSession *session)
{
  return session->session != NULL &&
         (g_list_model_get_n_items (G_LIST_MODEL (session->session)) > 0 || g_hash_table_size (session->outbox) > 0);
}

/* The index: which sessions to restore when the service starts. Their configurations without
 * secrets; written with fsync. */

static char *
index_path (Service *service)
{
  return g_build_filename (service->state_directory, "sessions.ini", NULL);
}

static void
save_index (Service *service)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *path = index_path (service);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  ServiceSession *session;
  guint n = 0;
  gsize length;

  g_hash_table_iter_init (&iter, service->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    {
      g_autofree char *group = g_strdup_printf (INDEX_GROUP_PREFIX "%u", n++);
      g_autoptr(LadleSessionConfiguration) configuration =
        _ladle_session_configuration_from_wire (session->configuration, session->application_id,
                                                session->identifier, NULL);
      g_autoptr(GVariant) stored = g_variant_ref_sink (_ladle_session_configuration_to_wire (configuration, FALSE));
      g_autofree char *text = g_variant_print (stored, TRUE);

      g_key_file_set_string (keyfile, group, "application-id", session->application_id);
      g_key_file_set_string (keyfile, group, "identifier", session->identifier);
      g_key_file_set_string (keyfile, group, "configuration", text);
    }

  data = g_key_file_to_data (keyfile, &length, NULL);
  if (g_mkdir_with_parents (service->state_directory, 0700) != 0 ||
      !g_file_set_contents_full (path, data, length, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &error))
    g_warning ("Cannot write %s: %s", path, error != NULL ? error->message : g_strerror (errno));
}

static void
load_index (Service *service)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *path = index_path (service);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Cannot read %s: %s", path, error->message);
      return;
    }

  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *application_id = g_key_file_get_string (keyfile, groups[i], "application-id", NULL);
      g_autofree char *identifier = g_key_file_get_string (keyfile, groups[i], "identifier", NULL);
      g_autofree char *text = g_key_file_get_string (keyfile, groups[i], "configuration", NULL);
      g_autofree char *key = NULL;
      g_autoptr(GVariant) configuration = NULL;
      g_autoptr(GError) start_error = NULL;
      ServiceSession *session;

      if (!_ladle_service_name_is_valid (application_id) || !_ladle_service_name_is_valid (identifier) ||
          text == NULL || !g_utf8_validate (text, -1, NULL))
        {
          g_warning ("%s: dropping the invalid entry %s", path, groups[i]);
          continue;
        }
      configuration = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, NULL);
      if (configuration == NULL)
        {
          g_warning ("%s: dropping %s: its configuration cannot be read", path, groups[i]);
          continue;
        }
      key = session_key (application_id, identifier);
      if (g_hash_table_contains (service->sessions, key))
        continue;

      session = session_new (service, application_id, identifier, g_steal_pointer (&configuration));
      if (!start_session (session, &start_error))
        {
          g_warning ("Cannot restore session “%s” of %s: %s", identifier, application_id, start_error->message);
          g_hash_table_remove (service->sessions, key);
        }
    }
}

/* Clients */

/* The application id of a caller in a Flatpak sandbox (NULL outside one), from the sandbox's
 * /.flatpak-info, read through /proc of the caller's process. */
static gboolean
sandbox_application_id (Service     *service,
                        const char  *sender,
                        char       **application_id,
                        GError     **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GKeyFile) info = g_key_file_new ();
  g_autofree char *path = NULL;
  guint32 pid;

  *application_id = NULL;
  reply = g_dbus_connection_call_sync (service->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(u)", &pid);

  path = g_strdup_printf ("/proc/%u/root/.flatpak-info", pid);
  if (!g_key_file_load_from_file (info, path, G_KEY_FILE_NONE, NULL))
    return TRUE;

  *application_id = g_key_file_get_string (info, "Application", "name", NULL);
  if (*application_id == NULL)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED, "The caller's sandbox has no application id");
      return FALSE;
    }

  return TRUE;
}

/* Binds @sender to @application_id on its first call; FALSE (and the invocation answered)
 * when it may not use it. */
static gboolean
bind_caller (Service               *service,
             GDBusMethodInvocation *invocation,
             const char            *application_id)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  const char *bound = g_hash_table_lookup (service->bindings, sender);
  g_autofree char *sandboxed = NULL;
  g_autoptr(GError) error = NULL;

  if (!_ladle_service_name_is_valid (application_id))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "Invalid application id");
      return FALSE;
    }
  if (bound != NULL)
    {
      if (g_str_equal (bound, application_id))
        return TRUE;
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                  "This connection belongs to another application id");
      return FALSE;
    }

  if (!sandbox_application_id (service, sender, &sandboxed, &error))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                  error->message);
      return FALSE;
    }
  if (sandboxed != NULL && !g_str_equal (sandboxed, application_id))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                  "A sandboxed application may only use its own application id");
      return FALSE;
    }
  /* The files of a sandboxed application's tasks (destinations, uploads) are paths of its
   * sandbox, which this service would resolve outside it: refused until paths go through the
   * document portal. */
  if (sandboxed != NULL)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                  "The transfer service does not serve sandboxed applications: "
                                                  "the paths of their files cannot be resolved outside the sandbox");
      return FALSE;
    }

  g_hash_table_insert (service->bindings, g_strdup (sender), g_strdup (application_id));
  return TRUE;
}

static guint
count_sessions_of (Service    *service,
                   const char *application_id)
{
  GHashTableIter iter;
  ServiceSession *session;
  guint n = 0;

  g_hash_table_iter_init (&iter, service->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (g_str_equal (session->application_id, application_id))
      n++;

  return n;
}

static gboolean
handle_attach (LadleDBusTransferService *skeleton,
               GDBusMethodInvocation    *invocation,
               const char               *application_id,
               const char               *identifier,
               GVariant                 *configuration,
               Service                  *service)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autofree char *key = NULL;
  g_autoptr(GError) error = NULL;
  ServiceSession *session;

  if (!bind_caller (service, invocation, application_id))
    return TRUE;
  if (!_ladle_service_name_is_valid (identifier))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "Invalid session identifier");
      return TRUE;
    }

  key = session_key (application_id, identifier);
  session = g_hash_table_lookup (service->sessions, key);
  if (session != NULL && session->client != NULL && !g_str_equal (session->client, sender))
    {
      g_dbus_method_invocation_return_error (invocation, LADLE_ERROR, LADLE_ERROR_SESSION_IN_USE,
                                             "Another process is attached to the background session “%s” of %s",
                                             identifier, application_id);
      return TRUE;
    }
  if (session == NULL && count_sessions_of (service, application_id) >= MAX_SESSIONS_PER_APP)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_LIMITS_EXCEEDED,
                                             "An application may keep at most %u sessions in the transfer service",
                                             MAX_SESSIONS_PER_APP);
      return TRUE;
    }

  if (session == NULL)
    session = session_new (service, application_id, identifier, g_variant_ref (configuration));
  else if (!session_has_work (session) && !g_variant_equal (session->configuration, configuration))
    {
      /* Nothing runs: the configuration of this attachment applies. */
      stop_session (session);
      g_clear_pointer (&session->configuration, g_variant_unref);
      session->configuration = g_variant_ref (configuration);
    }
  else if (session_has_work (session))
    {
      /* The running session keeps its configuration; its secrets are the client's newest. */
      g_clear_pointer (&session->configuration, g_variant_unref);
      session->configuration = g_variant_ref (configuration);
    }

  if (session->session == NULL && !start_session (session, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      remove_session (session);
      return TRUE;
    }

  _ladle_set_str (&session->client, sender);
  save_index (service);
  check_idle (service);

  if (session->events_finished)
    reply_attach (session, invocation);
  else
    g_ptr_array_add (session->pending_attach, invocation);

  return TRUE;
}

static gboolean
handle_list_sessions (LadleDBusTransferService *skeleton,
                      GDBusMethodInvocation    *invocation,
                      const char               *application_id,
                      Service                  *service)
{
  g_autoptr(GPtrArray) identifiers = g_ptr_array_new ();
  GHashTableIter iter;
  ServiceSession *session;

  if (!bind_caller (service, invocation, application_id))
    return TRUE;

  g_hash_table_iter_init (&iter, service->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (g_str_equal (session->application_id, application_id) && session_has_work (session))
      g_ptr_array_add (identifiers, session->identifier);
  g_ptr_array_add (identifiers, NULL);

  ladle_dbus_transfer_service_complete_list_sessions (skeleton, invocation,
                                                      (const char * const *) identifiers->pdata);
  return TRUE;
}

/* A client's connection closed: it is detached from its sessions. */
static void
on_name_owner_changed (GDBusConnection *connection,
                       const char      *sender,
                       const char      *path,
                       const char      *interface,
                       const char      *signal,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  Service *service = user_data;
  const char *name, *old_owner, *new_owner;
  GHashTableIter iter;
  ServiceSession *session;

  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (*name != ':' || *new_owner != '\0')
    return;

  g_hash_table_remove (service->bindings, name);
  g_hash_table_iter_init (&iter, service->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (g_strcmp0 (session->client, name) == 0)
      g_clear_pointer (&session->client, g_free);
  check_idle (service);
}

/* Idle exit */

static gboolean
is_busy (Service *service)
{
  GHashTableIter iter;
  ServiceSession *session;

  g_hash_table_iter_init (&iter, service->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    {
      GListModel *model;

      if (session->client != NULL || session->pending_attach->len > 0)
        return TRUE;
      if (session->session == NULL)
        continue;
      model = G_LIST_MODEL (session->session);
      for (guint i = 0; i < g_list_model_get_n_items (model); i++)
        {
          g_autoptr(LadleTask) task = g_list_model_get_item (model, i);
          LadleTaskState state = ladle_task_get_state (task);

          if (state == LADLE_TASK_STATE_RUNNING || state == LADLE_TASK_STATE_CANCELING)
            return TRUE;
        }
    }

  return FALSE;
}

static gboolean
idle_cb (gpointer user_data)
{
  Service *service = user_data;

  service->idle_source = 0;
  if (is_busy (service))
    return G_SOURCE_REMOVE;

  g_debug ("Idle for %u s: exiting", service->idle_timeout);
  g_main_loop_quit (service->loop);

  return G_SOURCE_REMOVE;
}

static void
check_idle (Service *service)
{
  if (!service->name_acquired)
    return;

  if (is_busy (service))
    g_clear_handle_id (&service->idle_source, g_source_remove);
  else if (service->idle_source == 0)
    service->idle_source = g_timeout_add_seconds (service->idle_timeout, idle_cb, service);
}

/* The bus */

static void
on_bus_acquired (GDBusConnection *connection,
                 const char      *name,
                 gpointer         user_data)
{
  Service *service = user_data;
  g_autoptr(GError) error = NULL;

  service->connection = g_object_ref (connection);
  service->skeleton = ladle_dbus_transfer_service_skeleton_new ();
  ladle_dbus_transfer_service_set_version (service->skeleton, LADLE_SERVICE_VERSION);
  g_signal_connect (service->skeleton, "handle-attach", G_CALLBACK (handle_attach), service);
  g_signal_connect (service->skeleton, "handle-list-sessions", G_CALLBACK (handle_list_sessions), service);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (service->skeleton), connection,
                                         LADLE_SERVICE_PATH, &error))
    {
      g_printerr ("Cannot export %s: %s\n", LADLE_SERVICE_PATH, error->message);
      service->exit_status = 1;
      g_main_loop_quit (service->loop);
      return;
    }

  service->owner_changed = g_dbus_connection_signal_subscribe (connection, "org.freedesktop.DBus",
                                                               "org.freedesktop.DBus", "NameOwnerChanged",
                                                               "/org/freedesktop/DBus", NULL,
                                                               G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed,
                                                               service, NULL);
}

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  Service *service = user_data;

  /* Only the owner of the name runs the stored sessions. */
  service->name_acquired = TRUE;
  load_index (service);
  check_idle (service);
}

static void
on_name_lost (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  Service *service = user_data;

  if (!service->name_acquired)
    {
      g_printerr ("Cannot own %s on the session bus (is another ladle-transfer-service running?)\n", name);
      service->exit_status = 1;
    }
  g_main_loop_quit (service->loop);
}

int
main (int   argc,
      char *argv[])
{
  Service service = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  gboolean version = FALSE;
  int idle_timeout = -1;
  const char *idle_env = g_getenv ("LADLE_TRANSFER_SERVICE_IDLE_TIMEOUT");
  GOptionEntry entries[] = {
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
      "Exit after SECONDS without a client and without a running task (default 30)", "SECONDS" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Show the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  g_set_prgname ("ladle-transfer-service");

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "Runs the transfers of Ladle background sessions that use the transfer service.\n"
                                "It is started by D-Bus activation; it exits by itself when idle.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("ladle-transfer-service %s (interface revision %u)\n", PACKAGE_VERSION, LADLE_SERVICE_VERSION);
      return 0;
    }

  if (idle_timeout < 0 && idle_env != NULL)
    idle_timeout = atoi (idle_env);
  service.idle_timeout = idle_timeout > 0 ? (guint) idle_timeout : DEFAULT_IDLE_TIMEOUT;
  service.state_directory = g_build_filename (g_get_user_state_dir (), "ladle-transfer-service", NULL);
  service.sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) session_free);
  service.bindings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  service.loop = g_main_loop_new (NULL, FALSE);

  _ladle_service_register_errors ();
  _ladle_background_store_prefer_keyfile ();
  _ladle_cookie_jar_keep_in_memory ();
  if (g_mkdir_with_parents (service.state_directory, 0700) != 0)
    {
      g_printerr ("Cannot make %s: %s\n", service.state_directory, g_strerror (errno));
      return 1;
    }

  service.name_id = g_bus_own_name (G_BUS_TYPE_SESSION, LADLE_SERVICE_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                    on_bus_acquired, on_name_acquired, on_name_lost, &service, NULL);
  g_main_loop_run (service.loop);

  /* The name goes first: a client calling from now on starts a new service, which restores
   * what this one stored. */
  g_bus_unown_name (service.name_id);
  g_clear_handle_id (&service.idle_source, g_source_remove);
  if (service.connection != NULL)
    {
      if (service.owner_changed != 0)
        g_dbus_connection_signal_unsubscribe (service.connection, service.owner_changed);
      g_dbus_connection_flush_sync (service.connection, NULL, NULL);
    }
  /* Messages that arrived meanwhile are answered (or dropped) before the objects go. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_hash_table_remove_all (service.sessions);
  g_clear_pointer (&service.sessions, g_hash_table_unref);
  g_clear_pointer (&service.bindings, g_hash_table_unref);
  if (service.skeleton != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (service.skeleton));
  g_clear_object (&service.skeleton);
  g_clear_object (&service.connection);
  g_clear_pointer (&service.loop, g_main_loop_unref);
  g_free (service.state_directory);

  return service.exit_status;
}
