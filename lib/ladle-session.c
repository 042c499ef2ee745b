/* ladle-session.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleSession:
 *
 * Makes and runs transfer tasks that share one configuration and one #SoupSession.
 *
 * A session is made from a [class@Ladle.SessionConfiguration], which it copies. It creates
 * [class@Ladle.DataTask]s (and the other task kinds), each of which starts suspended. Its
 * signals are the session-level delegate: [signal@Ladle.Session::task-completed] follows each
 * task's [signal@Ladle.Task::completed], and [signal@Ladle.Session::authenticate] and
 * [signal@Ladle.Session::accept-certificate] are asked when no task handler answered.
 *
 * A session is a [iface@Gio.ListModel] of its unfinished tasks, in the order they were created,
 * so that a download manager can bind it to a list view.
 *
 * Signals are emitted on the thread-default main context of the thread that created the
 * session.
 *
 * A session ends with [method@Ladle.Session.finish_tasks_and_invalidate] or
 * [method@Ladle.Session.invalidate_and_cancel]; [signal@Ladle.Session::invalidated] says when it
 * is done. Tasks created after that complete with %LADLE_ERROR_SESSION_INVALIDATED when resumed.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "ladle-admission-private.h"
#include "ladle-cache-private.h"
#include "ladle-cookie-jar-private.h"
#include "ladle-data-task.h"
#include "ladle-download-task-private.h"
#include "ladle-multipart-form.h"
#include "ladle-upload-task-private.h"
#include "ladle-error.h"
#include "ladle-origin-private.h"
#include "ladle-partial-file-private.h"
#include "ladle-session-configuration-private.h"
#include "ladle-session-private.h"
#include "ladle-session-tasks-private.h"
#include "ladle-debug-private.h"
#include "ladle-session-background-private.h"
#include "ladle-session-remote-private.h"
#include "ladle-task-private.h"
#include "ladle-tls-trust-private.h"

struct _LadleSession
{
  GObject                    parent_instance;

  LadleSessionConfiguration *configuration;
  SoupSession               *soup_session;
  GMainContext              *context;
  GPtrArray                 *tasks;           /* unfinished tasks, in creation order, strong */
  LadleAdmission            *admission;       /* when tasks may start (ladle-admission.c) */
  LadleTlsTrust             *tls_trust;
  GFile                     *partial_directory;  /* where downloads keep their partial files */
  gboolean                   private_partials;   /* an ephemeral session's own temporary directory */
  GFile                     *private_directory;  /* an ephemeral session's $TMPDIR/ladle-<uuid> */
  LadleCache                *cache;              /* NULL when cache-size is 0 */
  guint64                    next_identifier;
  LadleBackground           *background;         /* background sessions only */
  LadleRemote               *remote;             /* sessions of the transfer service only */
  guint                      invalidated_source;
  gboolean                   invalidating;
  gboolean                   invalidated;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LadleSession, ladle_session, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_CONFIGURATION,
  PROP_N_ITEMS,
  N_PROPS
};

enum {
  TASK_COMPLETED,
  INVALIDATED,
  AUTHENTICATE,
  ACCEPT_CERTIFICATE,
  DOWNLOAD_FINISHED,
  BACKGROUND_EVENTS_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static GType
list_model_get_item_type (GListModel *model)
{
  return LADLE_TYPE_TASK;
}

static guint
list_model_get_n_items (GListModel *model)
{
  return LADLE_SESSION (model)->tasks->len;
}

static gpointer
list_model_get_item (GListModel *model,
                     guint       position)
{
  LadleSession *self = LADLE_SESSION (model);

  if (position >= self->tasks->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->tasks, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = list_model_get_item_type;
  iface->get_n_items = list_model_get_n_items;
  iface->get_item = list_model_get_item;
}

static char *
default_user_agent (const char *configured)
{
  if (configured == NULL)
    return g_strdup ("Ladle/" PACKAGE_VERSION " ");
  if (g_str_has_suffix (configured, " "))
    return g_strconcat (configured, "Ladle/" PACKAGE_VERSION " ", NULL);

  return g_strdup (configured);
}

static LadleCache *
create_cache (LadleSession *self)
{
  g_autofree char *private = NULL;

  if (self->private_directory != NULL)
    private = g_file_get_path (self->private_directory);

  return _ladle_cache_new_for_configuration (self->soup_session, self->configuration, private);
}

static gboolean
emit_events_finished_cb (gpointer user_data)
{
  _ladle_session_emit_background_events_finished (user_data);

  return G_SOURCE_REMOVE;
}

/* ladle_session_new_sync()'s cancellable, for the attachment to the transfer service made while
 * the object is constructed on this thread. */
static GPrivate attach_cancellable_key;
/* Set while ladle_session_new_sync() makes the session: it reports the failure itself. */
static GPrivate attach_checked_key;

static GCancellable *
attach_cancellable (void)
{
  return g_private_get (&attach_cancellable_key);
}

static void
ladle_session_constructed (GObject *object)
{
  LadleSession *self = (LadleSession *)object;
  LadleSessionConfiguration *configuration = self->configuration;
  g_autoptr(SoupCookieJar) jar = NULL;
  g_autofree char *user_agent = NULL;
  GTlsDatabase *database;
  GProxyResolver *resolver;

  G_OBJECT_CLASS (ladle_session_parent_class)->constructed (object);

  if (configuration == NULL)
    self->configuration = configuration = ladle_session_configuration_new_default ();

  user_agent = default_user_agent (ladle_session_configuration_get_user_agent (configuration));
  self->soup_session = g_object_new (SOUP_TYPE_SESSION,
                                     "timeout", ladle_session_configuration_get_timeout (configuration),
                                     "max-conns-per-host", ladle_session_configuration_get_max_connections_per_host (configuration),
                                     "max-conns", MAX (10u, 2 * ladle_session_configuration_get_max_connections_per_host (configuration)),
                                     "user-agent", user_agent,
                                     NULL);

  /* NULL on these properties would disable verification or proxies: only set what is given. */
  database = ladle_session_configuration_get_tls_database (configuration);
  if (database != NULL)
    g_object_set (self->soup_session, "tls-database", database, NULL);
  resolver = ladle_session_configuration_get_proxy_resolver (configuration);
  if (resolver != NULL)
    g_object_set (self->soup_session, "proxy-resolver", resolver, NULL);

  /* Ephemeral sessions keep partial downloads in a private temporary directory (created, 0700,
   * by the first download) removed with the session, unless the application chose a state
   * directory; the others in the state directory, swept of what killed downloads left behind. */
  if (ladle_session_configuration_get_kind (configuration) == LADLE_SESSION_KIND_EPHEMERAL)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      g_autofree char *name = g_strconcat ("ladle-", uuid, NULL);

      /* Its HTTP cache lives here too, whatever the state directory. */
      self->private_directory = g_file_new_build_filename (g_get_tmp_dir (), name, NULL);
    }
  /* NULL when another session (of this process or another) runs the same background session:
   * this one then keeps nothing, as a default session. */
  if (ladle_session_configuration_get_kind (configuration) == LADLE_SESSION_KIND_BACKGROUND &&
      ladle_session_configuration_get_use_transfer_service (configuration))
    self->remote = _ladle_remote_new (self, configuration);
  else if (ladle_session_configuration_get_kind (configuration) == LADLE_SESSION_KIND_BACKGROUND)
    self->background = _ladle_background_new (self, configuration);
  if (self->background != NULL)
    self->partial_directory = g_object_ref (_ladle_background_get_partial_directory (self->background));
  else if (ladle_session_configuration_get_kind (configuration) == LADLE_SESSION_KIND_EPHEMERAL &&
           !_ladle_session_configuration_has_state_directory (configuration))
    {
      self->partial_directory = g_object_ref (self->private_directory);
      self->private_partials = TRUE;
    }
  else
    {
      guint64 max_age = ladle_session_configuration_get_partial_file_max_age (configuration);

      self->partial_directory =
        g_file_new_build_filename (ladle_session_configuration_get_state_directory (configuration),
                                   "downloads", NULL);
      if (max_age > 0)
        _ladle_partial_file_sweep (self->partial_directory, max_age);
    }

  soup_session_add_feature_by_type (self->soup_session, SOUP_TYPE_AUTH_NTLM);
  jar = _ladle_cookie_jar_new (configuration);
  soup_session_add_feature (self->soup_session, SOUP_SESSION_FEATURE (jar));
  self->cache = create_cache (self);
  /* LADLE_DEBUG=http: headers logged through a SoupLogger, credentials redacted. */
  _ladle_debug_setup_session (self->soup_session, configuration);

  self->admission = _ladle_admission_new (configuration, self->tasks, self->context);

  /* Last: restored tasks need all of the above. */
  if (self->remote != NULL)
    _ladle_remote_attach (self->remote, attach_cancellable (), g_private_get (&attach_checked_key) == NULL);
  else if (self->background != NULL)
    _ladle_background_restore (self->background);
  else if (ladle_session_configuration_get_kind (configuration) == LADLE_SESSION_KIND_BACKGROUND)
    {
      /* Nothing to deliver, but the application may wait for the signal. */
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, emit_events_finished_cb, g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[ladle] background events finished");
      g_source_attach (source, self->context);
      g_source_unref (source);
    }
}

static void
ladle_session_dispose (GObject *object)
{
  LadleSession *self = (LadleSession *)object;

  g_clear_handle_id (&self->invalidated_source, g_source_remove);
  /* Detached first: the tasks go on in the service. */
  g_clear_pointer (&self->remote, _ladle_remote_free);
  if (self->tasks != NULL)
    g_ptr_array_set_size (self->tasks, 0);
  _ladle_admission_clear (self->admission);
  if (self->soup_session != NULL)
    soup_session_abort (self->soup_session);
  /* Its index written: what the next session with this state directory finds. */
  g_clear_pointer (&self->cache, _ladle_cache_close);
  g_clear_object (&self->soup_session);
  g_clear_pointer (&self->admission, _ladle_admission_free);

  G_OBJECT_CLASS (ladle_session_parent_class)->dispose (object);
}

static void
ladle_session_finalize (GObject *object)
{
  LadleSession *self = (LadleSession *)object;

  /* An ephemeral session's partial files and cache go with it. Its tasks are gone (each held
   * the session), so no worker writes there any more. */
  if (self->private_directory != NULL)
    {
      g_autofree char *path = g_file_get_path (self->private_directory);

      _ladle_cache_remove_directory (path);
    }
  g_clear_object (&self->private_directory);
  g_clear_object (&self->partial_directory);
  g_clear_object (&self->configuration);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->tasks, g_ptr_array_unref);
  g_clear_pointer (&self->tls_trust, _ladle_tls_trust_free);
  g_clear_pointer (&self->background, _ladle_background_free);

  G_OBJECT_CLASS (ladle_session_parent_class)->finalize (object);
}

static void
ladle_session_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  LadleSession *self = LADLE_SESSION (object);

  switch (prop_id)
    {
    case PROP_CONFIGURATION:
      g_value_take_object (value, ladle_session_dup_configuration (self));
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->tasks->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_session_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  LadleSession *self = LADLE_SESSION (object);

  switch (prop_id)
    {
    case PROP_CONFIGURATION:
      {
        LadleSessionConfiguration *configuration = g_value_get_object (value);

        if (configuration != NULL)
          self->configuration = ladle_session_configuration_copy (configuration);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_session_class_init (LadleSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = ladle_session_constructed;
  object_class->dispose = ladle_session_dispose;
  object_class->finalize = ladle_session_finalize;
  object_class->get_property = ladle_session_get_property;
  object_class->set_property = ladle_session_set_property;

  /**
   * LadleSession:configuration:
   *
   * The session's configuration. The session keeps a copy of the one it is given; reading the
   * property returns another copy.
   */
  properties[PROP_CONFIGURATION] =
    g_param_spec_object ("configuration", NULL, NULL,
                         LADLE_TYPE_SESSION_CONFIGURATION,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSession:n-items:
   *
   * The number of unfinished tasks, as [method@Gio.ListModel.get_n_items] gives it.
   */
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LadleSession::task-completed:
   * @self: the session
   * @task: the task that completed
   * @error: (nullable): the error it completed with, or %NULL
   *
   * Emitted right after the task's own [signal@Ladle.Task::completed], for every task of the
   * session. The task has left the list model by then.
   */
  signals[TASK_COMPLETED] =
    g_signal_new ("task-completed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, LADLE_TYPE_TASK, G_TYPE_ERROR);

  /**
   * LadleSession::invalidated:
   * @self: the session
   *
   * Emitted once, when an invalidated session has no task left: after the last
   * [signal@Ladle.Session::task-completed]. The session then closes its connections.
   */
  signals[INVALIDATED] =
    g_signal_new ("invalidated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  /**
   * LadleSession::authenticate:
   * @self: the session
   * @task: the task whose request needs credentials
   * @auth: the authentication the server asks for
   * @retrying: %TRUE when earlier credentials were refused
   *
   * Emitted when no handler of the task's own [signal@Ladle.Task::authenticate] took care of
   * @auth. The same rules apply: answer at once, or keep a reference, return %TRUE and answer
   * later.
   *
   * Returns: %TRUE when the handler took care of @auth
   */
  signals[AUTHENTICATE] =
    g_signal_new ("authenticate",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  g_signal_accumulator_true_handled, NULL,
                  NULL,
                  G_TYPE_BOOLEAN, 3, LADLE_TYPE_TASK, SOUP_TYPE_AUTH, G_TYPE_BOOLEAN);

  /**
   * LadleSession::accept-certificate:
   * @self: the session
   * @task: the task that met the certificate
   * @certificate: the server's certificate
   * @errors: why it is not trusted
   *
   * Emitted when no handler of the task's own [signal@Ladle.Task::accept-certificate] accepted
   * an untrusted certificate.
   *
   * Returns: %TRUE to accept the certificate for @task
   */
  signals[ACCEPT_CERTIFICATE] =
    g_signal_new ("accept-certificate",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  g_signal_accumulator_true_handled, NULL,
                  NULL,
                  G_TYPE_BOOLEAN, 3, LADLE_TYPE_TASK, G_TYPE_TLS_CERTIFICATE, G_TYPE_TLS_CERTIFICATE_FLAGS);

  /**
   * LadleSession::download-finished:
   * @self: the session
   * @task: the download task
   * @location: the complete downloaded file
   *
   * Emitted right after the task's own [signal@Ladle.DownloadTask::finished], for every download
   * task of the session, before the file is moved to the task's destination (or deleted when it
   * has none). A handler may move the file elsewhere itself.
   */
  signals[DOWNLOAD_FINISHED] =
    g_signal_new ("download-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, LADLE_TYPE_DOWNLOAD_TASK, G_TYPE_FILE);

  /**
   * LadleSession::background-events-finished:
   * @self: the session
   *
   * Emitted once by a background session, after [ctor@Ladle.Session.new] returned: every
   * completion that was recorded but not delivered before the application stopped (a kill, a
   * crash, a quit while tasks ran) has been emitted, as
   * [signal@Ladle.Session::download-finished] and [signal@Ladle.Session::task-completed]. It is
   * emitted even when there was nothing to deliver. The counterpart of
   * `URLSessionDidFinishEvents(forBackgroundURLSession:)`.
   *
   * Since: 0.2
   */
  signals[BACKGROUND_EVENTS_FINISHED] =
    g_signal_new ("background-events-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);
}

static void
ladle_session_init (LadleSession *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->tls_trust = _ladle_tls_trust_new ();
  self->next_identifier = 1;
}

/**
 * ladle_session_new:
 * @configuration: (nullable): a configuration, or %NULL for a default one
 *
 * Creates a session. It copies @configuration: later changes to it do not affect the session.
 * Signals of the session and its tasks are emitted on the calling thread's thread-default main
 * context.
 *
 * Returns: (transfer full): a new session
 */
LadleSession *
ladle_session_new (LadleSessionConfiguration *configuration)
{
  g_return_val_if_fail (configuration == NULL || LADLE_IS_SESSION_CONFIGURATION (configuration), NULL);

  return g_object_new (LADLE_TYPE_SESSION,
                       "configuration", configuration,
                       NULL);
}

/**
 * ladle_session_new_sync:
 * @configuration: (nullable): a configuration, or %NULL for a default one
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Creates a session as [ctor@Ladle.Session.new] does, and says when it cannot work: for a
 * configuration with [property@Ladle.SessionConfiguration:use-transfer-service] set, it fails
 * with %LADLE_ERROR_SERVICE_UNAVAILABLE when the transfer service cannot be reached (the
 * application may then make an in-process background session instead), and with
 * %LADLE_ERROR_SESSION_IN_USE when another process is attached to the same session. It blocks
 * until the service answered (it is started first when it does not run), as
 * [ctor@Ladle.Session.new] does. For other configurations it never fails.
 *
 * Returns: (transfer full): a new session, or %NULL with @error set
 *
 * Since: 0.2
 */
LadleSession *
ladle_session_new_sync (LadleSessionConfiguration  *configuration,
                        GCancellable               *cancellable,
                        GError                    **error)
{
  g_autoptr(LadleSession) session = NULL;
  const GError *remote_error;

  g_return_val_if_fail (configuration == NULL || LADLE_IS_SESSION_CONFIGURATION (configuration), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_private_set (&attach_cancellable_key, cancellable);
  g_private_set (&attach_checked_key, GINT_TO_POINTER (1));
  session = g_object_new (LADLE_TYPE_SESSION, "configuration", configuration, NULL);
  g_private_set (&attach_checked_key, NULL);
  g_private_set (&attach_cancellable_key, NULL);

  remote_error = session->remote != NULL ? _ladle_remote_get_error (session->remote) : NULL;
  if (remote_error != NULL)
    {
      g_propagate_error (error, g_error_copy (remote_error));
      return NULL;
    }

  return g_steal_pointer (&session);
}

/**
 * ladle_session_dup_configuration:
 * @self: a session
 *
 * Returns: (transfer full): a copy of the session's configuration
 */
LadleSessionConfiguration *
ladle_session_dup_configuration (LadleSession *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);

  return ladle_session_configuration_copy (self->configuration);
}

/**
 * ladle_session_get_soup_session:
 * @self: a session
 *
 * Gets the #SoupSession the tasks run on, for what Ladle does not wrap (adding a #SoupLogger,
 * for instance). Do not change its timeouts or connection limits: set them in the configuration.
 *
 * Returns: (transfer none): the session's #SoupSession
 */
SoupSession *
ladle_session_get_soup_session (LadleSession *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);

  return self->soup_session;
}

/**
 * ladle_session_is_invalidated:
 * @self: a session
 *
 * Returns: whether [method@Ladle.Session.finish_tasks_and_invalidate] or
 *   [method@Ladle.Session.invalidate_and_cancel] was called
 */
gboolean
ladle_session_is_invalidated (LadleSession *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), TRUE);

  return self->invalidating;
}

void
_ladle_session_add_task (LadleSession *self,
                         LadleTask    *task,
                         SoupMessage  *request,
                         GError       *error)
{
  guint64 identifier;

  if (self->remote != NULL)
    identifier = _ladle_remote_take_identifier (self->remote);
  else if (self->background != NULL)
    identifier = _ladle_background_take_identifier (self->background);
  else
    identifier = self->next_identifier++;

  _ladle_task_setup (task, self, request, identifier);
  if (error == NULL && (self->background != NULL || self->remote != NULL))
    error = _ladle_background_check_task (self->background, task);
  if (error != NULL)
    _ladle_task_fail_on_start (task, error);
  else if (self->remote != NULL)
    _ladle_remote_track (self->remote, task);
  else if (self->background != NULL)
    _ladle_background_track (self->background, task);

  /* A task made after invalidation never runs: it stays out of the model, and resuming it
   * completes it with LADLE_ERROR_SESSION_INVALIDATED. */
  if (self->invalidating)
    return;

  g_ptr_array_add (self->tasks, g_object_ref (task));
  g_list_model_items_changed (G_LIST_MODEL (self), self->tasks->len - 1, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

void
_ladle_session_delegate_download_finished (LadleSession      *self,
                                           LadleDownloadTask *task,
                                           GFile             *location)
{
  g_signal_emit (self, signals[DOWNLOAD_FINISHED], 0, task, location);
}

/**
 * ladle_session_get_task_by_identifier:
 * @self: a session
 * @identifier: a task identifier
 *
 * Returns: (transfer none) (nullable): the unfinished task with @identifier, or %NULL
 */
LadleTask *
ladle_session_get_task_by_identifier (LadleSession *self,
                                      guint64       identifier)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);

  for (guint i = 0; i < self->tasks->len; i++)
    {
      LadleTask *task = g_ptr_array_index (self->tasks, i);

      if (ladle_task_get_identifier (task) == identifier)
        return task;
    }

  return NULL;
}

static void
emit_invalidated (LadleSession *self)
{
  if (self->invalidated)
    return;

  self->invalidated = TRUE;
  g_clear_handle_id (&self->invalidated_source, g_source_remove);
  soup_session_abort (self->soup_session);
  _ladle_cache_dump (self->cache);
  g_signal_emit (self, signals[INVALIDATED], 0);
}

static gboolean
invalidated_cb (gpointer user_data)
{
  LadleSession *self = user_data;

  self->invalidated_source = 0;
  emit_invalidated (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_invalidated (LadleSession *self)
{
  GSource *source;

  if (self->invalidated || self->invalidated_source != 0)
    return;

  source = g_idle_source_new ();
  g_source_set_callback (source, invalidated_cb, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[ladle] session invalidated");
  self->invalidated_source = g_source_attach (source, self->context);
  g_source_unref (source);
}

/**
 * ladle_session_finish_tasks_and_invalidate:
 * @self: a session
 *
 * Lets the tasks already made run to their end, refuses new ones, and emits
 * [signal@Ladle.Session::invalidated] when the last task completed. Suspended tasks count as
 * unfinished: cancel or resume them.
 */
void
ladle_session_finish_tasks_and_invalidate (LadleSession *self)
{
  g_return_if_fail (LADLE_IS_SESSION (self));

  if (self->invalidating)
    return;

  self->invalidating = TRUE;
  if (self->remote != NULL)
    _ladle_remote_invalidate (self->remote, FALSE);
  if (self->tasks->len == 0)
    schedule_invalidated (self);
}

/**
 * ladle_session_invalidate_and_cancel:
 * @self: a session
 *
 * Cancels every unfinished task, refuses new ones, and emits [signal@Ladle.Session::invalidated]
 * once every task completed (each with %G_IO_ERROR_CANCELLED).
 */
void
ladle_session_invalidate_and_cancel (LadleSession *self)
{
  g_autoptr(GPtrArray) tasks = NULL;

  g_return_if_fail (LADLE_IS_SESSION (self));

  self->invalidating = TRUE;
  if (self->remote != NULL)
    _ladle_remote_invalidate (self->remote, TRUE);
  if (self->background != NULL)
    _ladle_background_forget_all (self->background);
  if (self->tasks->len == 0)
    {
      schedule_invalidated (self);
      return;
    }

  tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->tasks->len; i++)
    g_ptr_array_add (tasks, g_object_ref (g_ptr_array_index (self->tasks, i)));
  for (guint i = 0; i < tasks->len; i++)
    ladle_task_cancel (g_ptr_array_index (tasks, i));
}

/* Internal API for tasks */

GMainContext *
_ladle_session_get_context (LadleSession *self)
{
  return self->context;
}

/* The session's own configuration (borrowed: it never changes once the session exists). */
LadleSessionConfiguration *
_ladle_session_get_configuration (LadleSession *self)
{
  return self->configuration;
}

LadleTlsTrust *
_ladle_session_get_tls_trust (LadleSession *self)
{
  return self->tls_trust;
}

static void admit_now (LadleSession *self,
                       LadleTask    *task);

static void
recorded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(LadleTask) task = user_data;
  g_autoptr(LadleSession) session = _ladle_task_dup_session (task);
  LadleTaskState state = ladle_task_get_state (task);

  _ladle_background_finish (result);
  /* Suspended while the store was written: the next resume admits it again. */
  if (session != NULL && (state == LADLE_TASK_STATE_RUNNING || state == LADLE_TASK_STATE_CANCELING))
    admit_now (session, task);
}

/* Starts @task now, or once the network allows it, or refuses it: once invalidation began,
 * only the tasks made before it may still start; none once the session is invalidated. A
 * background session records the task first. */
void
_ladle_session_admit (LadleSession *self,
                      LadleTask    *task)
{
  if (self->invalidated || self->admission == NULL ||
      (self->invalidating && !g_ptr_array_find (self->tasks, task, NULL)))
    {
      _ladle_task_start (task, g_error_new (LADLE_ERROR, LADLE_ERROR_SESSION_INVALIDATED,
                                            _("The session was invalidated")));
      return;
    }

  /* The tasks of the transfer service start there. */
  if (self->remote != NULL && _ladle_remote_admit (self->remote, task))
    return;

  if (self->background != NULL)
    {
      _ladle_background_admit_async (self->background, task, recorded_cb, g_object_ref (task));
      return;
    }

  admit_now (self, task);
}

static void
admit_now (LadleSession *self,
           LadleTask    *task)
{
  /* Disposed while a background session wrote its store. */
  if (self->admission == NULL)
    return;

  _ladle_admission_admit (self->admission, task);
}

/* The configuration's headers, its credentials only to the origin of @first_uri (the task's
 * original request), and the TLS trust's connection rule. */
void
_ladle_session_prepare_message (LadleSession *self,
                                SoupMessage  *message,
                                GUri         *first_uri)
{
  gboolean same_origin = first_uri == NULL || _ladle_origin_same (first_uri, soup_message_get_uri (message));

  _ladle_session_configuration_apply_headers (self->configuration,
                                              soup_message_get_request_headers (message),
                                              same_origin);
  _ladle_tls_trust_prepare_message (self->tls_trust, message);
}

/* A redirect left the original origin: no credential goes with it. */
/* Every send of the session's tasks: through its HTTP cache, when it has one. */
void
_ladle_session_send_message (LadleSession        *self,
                             LadleTask           *task,
                             SoupMessage         *message,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  _ladle_cache_send_async (self->cache, self->soup_session, task, message, G_PRIORITY_DEFAULT,
                           cancellable, callback, user_data);
}

void
_ladle_session_remove_sensitive_headers (LadleSession *self,
                                         SoupMessage  *message)
{
  _ladle_session_configuration_remove_sensitive (self->configuration,
                                                 soup_message_get_request_headers (message));
}

char **
_ladle_session_dup_sensitive_headers (LadleSession *self)
{
  return _ladle_session_configuration_dup_sensitive (self->configuration);
}

gboolean
_ladle_session_delegate_authenticate (LadleSession *self,
                                      LadleTask    *task,
                                      SoupAuth     *auth,
                                      gboolean      retrying)
{
  gboolean handled = FALSE;

  g_signal_emit (self, signals[AUTHENTICATE], 0, task, auth, retrying, &handled);

  return handled;
}

gboolean
_ladle_session_delegate_accept_certificate (LadleSession         *self,
                                            LadleTask            *task,
                                            GTlsCertificate      *certificate,
                                            GTlsCertificateFlags  errors)
{
  gboolean accepted = FALSE;

  g_signal_emit (self, signals[ACCEPT_CERTIFICATE], 0, task, certificate, errors, &accepted);

  return accepted;
}

void
_ladle_session_task_completed (LadleSession *self,
                               LadleTask    *task,
                               const GError *error)
{
  /* Kept alive through the handlers. */
  G_GNUC_UNUSED g_autoptr(LadleSession) hold = g_object_ref (self);
  guint position;

  G_GNUC_UNUSED g_autoptr(LadleTask) task_hold = g_object_ref (task);
  gboolean was_listed;

  if (self->admission != NULL)
    _ladle_admission_forget (self->admission, task);

  /* The task leaves the model first, so that task-completed handlers see the model as it is.
   * Tasks made after invalidation were never listed, but task-completed follows them too. */
  was_listed = g_ptr_array_find (self->tasks, task, &position);
  if (was_listed)
    {
      g_ptr_array_remove_index (self->tasks, position);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }

  g_signal_emit (self, signals[TASK_COMPLETED], 0, task, error);
  if (self->remote != NULL)
    _ladle_remote_delivered (self->remote, task);
  if (self->background != NULL)
    _ladle_background_delivered (self->background, task);

  if (was_listed && self->invalidating && self->tasks->len == 0)
    emit_invalidated (self);
}

/* Background sessions */

LadleBackground *
_ladle_session_get_background (LadleSession *self)
{
  return self->background;
}

/* A task of an earlier run, with its identifier, listed like a new one. */
void
_ladle_session_add_restored_task (LadleSession *self,
                                  LadleTask    *task,
                                  SoupMessage  *request,
                                  guint64       identifier)
{
  _ladle_task_setup (task, self, request, identifier);
  if (self->remote != NULL)
    _ladle_remote_track (self->remote, task);
  else
    _ladle_background_track (self->background, task);
  g_ptr_array_add (self->tasks, g_object_ref (task));
  g_list_model_items_changed (G_LIST_MODEL (self), self->tasks->len - 1, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* A completion of an earlier run: the session-level delegate only (nothing else can have been
 * connected to @task). */
void
_ladle_session_deliver_restored (LadleSession *self,
                                 LadleTask    *task,
                                 GFile        *location,
                                 const GError *error)
{
  if (LADLE_IS_DOWNLOAD_TASK (task) && location != NULL)
    g_signal_emit (self, signals[DOWNLOAD_FINISHED], 0, task, location);
  g_signal_emit (self, signals[TASK_COMPLETED], 0, task, error);
}

void
_ladle_session_emit_background_events_finished (LadleSession *self)
{
  g_signal_emit (self, signals[BACKGROUND_EVENTS_FINISHED], 0);
}

/* The transfer service keeps the session's partial files in a directory of its own. */
void
_ladle_session_set_partial_directory (LadleSession *self,
                                      GFile        *directory)
{
  g_set_object (&self->partial_directory, directory);
}

gboolean
_ladle_session_remote_cancel_producing_resume_data (LadleSession      *self,
                                                    LadleDownloadTask *task)
{
  return self->remote != NULL && _ladle_remote_cancel_producing_resume_data (self->remote, task);
}

void
_ladle_session_remote_resumed (LadleSession *self,
                               LadleTask    *task)
{
  if (self->remote != NULL && !self->invalidated)
    _ladle_remote_resumed (self->remote, task);
}

/* The directory of the session's partial files (ladle-session-tasks.c). */
GFile *
_ladle_session_dup_partial_directory (LadleSession *self)
{
  return g_object_ref (self->partial_directory);
}
