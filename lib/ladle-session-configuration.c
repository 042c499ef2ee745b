/* ladle-session-configuration.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleSessionConfiguration:
 *
 * The settings a [class@Ladle.Session] is made with.
 *
 * A session copies its configuration when it is created: changing a configuration afterwards does
 * not affect sessions that already use it.
 *
 * Unlike libsoup, whose sessions have no I/O timeout by default, every configuration starts with a
 * non-zero [property@Ladle.SessionConfiguration:timeout], so that a stalled server cannot hang a
 * task forever.
 */

#include "config.h"

#include "ladle-session-configuration.h"
#include "ladle-origin-private.h"
#include "ladle-session-configuration-headers-private.h"
#include "ladle-session-configuration-private.h"
#include "ladle-session-configuration-struct-private.h"
#include "ladle-enum-types.h"
#include "ladle-retry-policy.h"

#define DEFAULT_TIMEOUT                  60
#define DEFAULT_MAX_CONNECTIONS_PER_HOST 6

/* A server that drips a byte a second is stalled; 60 s is the default idle timeout. */
#define DEFAULT_LOW_SPEED_LIMIT 16
#define DEFAULT_LOW_SPEED_TIME  60
/* A partial file nobody resumed for a week is swept away. */
#define DEFAULT_PARTIAL_FILE_MAX_AGE (7 * 24 * 60 * 60)
/* HTTP cache sizes: libsoup's default on disk; less for an ephemeral session's temporary one. */
#define DEFAULT_CACHE_SIZE           (50 * 1024 * 1024)
#define DEFAULT_EPHEMERAL_CACHE_SIZE (10 * 1024 * 1024)

G_DEFINE_FINAL_TYPE (LadleSessionConfiguration, ladle_session_configuration, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
ladle_session_configuration_finalize (GObject *object)
{
  LadleSessionConfiguration *self = (LadleSessionConfiguration *)object;

  g_clear_pointer (&self->identifier, g_free);
  g_clear_pointer (&self->user_agent, g_free);
  g_clear_pointer (&self->extra_headers, _ladle_extra_headers_free);
  g_clear_object (&self->tls_database);
  g_clear_object (&self->proxy_resolver);
  g_clear_object (&self->network_monitor);
  g_clear_pointer (&self->state_directory, g_free);
  g_clear_object (&self->retry_policy);
  g_clear_pointer (&self->application_id, g_free);

  G_OBJECT_CLASS (ladle_session_configuration_parent_class)->finalize (object);
}

static void
ladle_session_configuration_get_property (GObject    *object,
                                          guint       prop_id,
                                          GValue     *value,
                                          GParamSpec *pspec)
{
  LadleSessionConfiguration *self = LADLE_SESSION_CONFIGURATION (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_IDENTIFIER:
      g_value_set_string (value, self->identifier);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_LOW_SPEED_LIMIT:
      g_value_set_uint (value, self->low_speed_limit);
      break;
    case PROP_LOW_SPEED_TIME:
      g_value_set_uint (value, self->low_speed_time);
      break;
    case PROP_MAX_CONNECTIONS_PER_HOST:
      g_value_set_uint (value, self->max_connections_per_host);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    case PROP_ALLOW_METERED:
      g_value_set_boolean (value, self->allow_metered);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    case PROP_PROXY_RESOLVER:
      g_value_set_object (value, self->proxy_resolver);
      break;
    case PROP_NETWORK_MONITOR:
      g_value_set_object (value, self->network_monitor);
      break;
    case PROP_RETRY_POLICY:
      g_value_take_object (value, ladle_session_configuration_dup_retry_policy (self));
      break;
    case PROP_WAITS_FOR_CONNECTIVITY:
      g_value_set_boolean (value, self->waits_for_connectivity);
      break;
    case PROP_CONNECTIVITY_TIMEOUT:
      g_value_set_uint (value, self->connectivity_timeout);
      break;
    case PROP_STATE_DIRECTORY:
      g_value_set_string (value, ladle_session_configuration_get_state_directory (self));
      break;
    case PROP_APPLICATION_ID:
      g_value_take_string (value, ladle_session_configuration_dup_application_id (self));
      break;
    case PROP_USE_TRANSFER_SERVICE:
      g_value_set_boolean (value, self->use_transfer_service);
      break;
    case PROP_PARTIAL_FILE_MAX_AGE:
      g_value_set_uint64 (value, self->partial_file_max_age);
      break;
    case PROP_CACHE_SIZE:
      g_value_set_uint64 (value, self->cache_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_session_configuration_set_property (GObject      *object,
                                          guint         prop_id,
                                          const GValue *value,
                                          GParamSpec   *pspec)
{
  LadleSessionConfiguration *self = LADLE_SESSION_CONFIGURATION (object);

  switch (prop_id)
    {
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      self->cache_size = self->kind == LADLE_SESSION_KIND_EPHEMERAL ? DEFAULT_EPHEMERAL_CACHE_SIZE
                                                                    : DEFAULT_CACHE_SIZE;
      break;
    case PROP_IDENTIFIER:
      self->identifier = g_value_dup_string (value);
      break;
    case PROP_TIMEOUT:
      ladle_session_configuration_set_timeout (self, g_value_get_uint (value));
      break;
    case PROP_LOW_SPEED_LIMIT:
      ladle_session_configuration_set_low_speed_limit (self, g_value_get_uint (value));
      break;
    case PROP_LOW_SPEED_TIME:
      ladle_session_configuration_set_low_speed_time (self, g_value_get_uint (value));
      break;
    case PROP_MAX_CONNECTIONS_PER_HOST:
      ladle_session_configuration_set_max_connections_per_host (self, g_value_get_uint (value));
      break;
    case PROP_USER_AGENT:
      ladle_session_configuration_set_user_agent (self, g_value_get_string (value));
      break;
    case PROP_ALLOW_METERED:
      ladle_session_configuration_set_allow_metered (self, g_value_get_boolean (value));
      break;
    case PROP_TLS_DATABASE:
      ladle_session_configuration_set_tls_database (self, g_value_get_object (value));
      break;
    case PROP_PROXY_RESOLVER:
      ladle_session_configuration_set_proxy_resolver (self, g_value_get_object (value));
      break;
    case PROP_NETWORK_MONITOR:
      ladle_session_configuration_set_network_monitor (self, g_value_get_object (value));
      break;
    case PROP_RETRY_POLICY:
      ladle_session_configuration_set_retry_policy (self, g_value_get_object (value));
      break;
    case PROP_WAITS_FOR_CONNECTIVITY:
      ladle_session_configuration_set_waits_for_connectivity (self, g_value_get_boolean (value));
      break;
    case PROP_CONNECTIVITY_TIMEOUT:
      ladle_session_configuration_set_connectivity_timeout (self, g_value_get_uint (value));
      break;
    case PROP_STATE_DIRECTORY:
      ladle_session_configuration_set_state_directory (self, g_value_get_string (value));
      break;
    case PROP_APPLICATION_ID:
      ladle_session_configuration_set_application_id (self, g_value_get_string (value));
      break;
    case PROP_USE_TRANSFER_SERVICE:
      ladle_session_configuration_set_use_transfer_service (self, g_value_get_boolean (value));
      break;
    case PROP_PARTIAL_FILE_MAX_AGE:
      ladle_session_configuration_set_partial_file_max_age (self, g_value_get_uint64 (value));
      break;
    case PROP_CACHE_SIZE:
      ladle_session_configuration_set_cache_size (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_session_configuration_class_init (LadleSessionConfigurationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ladle_session_configuration_finalize;
  object_class->get_property = ladle_session_configuration_get_property;
  object_class->set_property = ladle_session_configuration_set_property;

  /**
   * LadleSessionConfiguration:kind:
   *
   * What the session keeps on disk: see [enum@Ladle.SessionKind].
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       LADLE_TYPE_SESSION_KIND,
                       LADLE_SESSION_KIND_DEFAULT,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:identifier:
   *
   * The identifier of a background configuration, %NULL for the other kinds.
   */
  properties[PROP_IDENTIFIER] =
    g_param_spec_string ("identifier", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:timeout:
   *
   * How many seconds a request may wait for the network (connecting, sending, or waiting for the
   * next bytes of the response) before it fails with %G_IO_ERROR_TIMED_OUT. Zero means no timeout,
   * which lets a stalled server hang a task forever; the default is 60.
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_TIMEOUT,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:low-speed-limit:
   *
   * Bytes per second below which a transfer counts as stalled: when fewer than this many bytes
   * per second were sent or received over [property@Ladle.SessionConfiguration:low-speed-time]
   * seconds, the task fails with %G_IO_ERROR_TIMED_OUT (curl's `--speed-limit`). Waiting for
   * the response headers counts as receiving nothing, so a server that drips its headers (or
   * its body) a byte at a time is timed out even though the idle
   * [property@Ladle.SessionConfiguration:timeout] never fires. Time spent suspended, waiting
   * for the network, or delivering a download's file does not count. 0 turns the check off;
   * the default is 16.
   */
  properties[PROP_LOW_SPEED_LIMIT] =
    g_param_spec_uint ("low-speed-limit", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_LOW_SPEED_LIMIT,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:low-speed-time:
   *
   * The seconds over which [property@Ladle.SessionConfiguration:low-speed-limit] is measured
   * (curl's `--speed-time`). 0 turns the check off; the default is 60, the default idle
   * timeout.
   */
  properties[PROP_LOW_SPEED_TIME] =
    g_param_spec_uint ("low-speed-time", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_LOW_SPEED_TIME,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:max-connections-per-host:
   *
   * How many connections the session opens at most to one host. The default is 6.
   */
  properties[PROP_MAX_CONNECTIONS_PER_HOST] =
    g_param_spec_uint ("max-connections-per-host", NULL, NULL,
                       1, G_MAXUINT16, DEFAULT_MAX_CONNECTIONS_PER_HOST,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:user-agent:
   *
   * The User-Agent header sent with each request, or %NULL for Ladle's default. A value ending in
   * a space gets Ladle's and libsoup's product tokens appended.
   */
  properties[PROP_USER_AGENT] =
    g_param_spec_string ("user-agent", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:allow-metered:
   *
   * Whether tasks may start while the network monitor reports a metered network. When false,
   * a task resumed for the first time while [property@Gio.NetworkMonitor:network-metered] is
   * true waits, before anything is sent and without any signal, until the monitor reports an
   * unmetered network; then it starts. Retries wait the same way. A download that is running
   * when the network becomes metered pauses: it stops reading, keeps its partial file, waits,
   * and continues with a Range request once the network is unmetered (see the "Retries and
   * connectivity" page); data and upload tasks that are already sending finish. Its
   * [property@Ladle.Task:total-timeout] counts the time spent waiting. The default is true.
   */
  properties[PROP_ALLOW_METERED] =
    g_param_spec_boolean ("allow-metered", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:tls-database:
   *
   * The database used to verify server certificates, or %NULL for the system's default.
   */
  properties[PROP_TLS_DATABASE] =
    g_param_spec_object ("tls-database", NULL, NULL,
                         G_TYPE_TLS_DATABASE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:proxy-resolver:
   *
   * The proxy resolver, or %NULL for the system's default.
   */
  properties[PROP_PROXY_RESOLVER] =
    g_param_spec_object ("proxy-resolver", NULL, NULL,
                         G_TYPE_PROXY_RESOLVER,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:network-monitor:
   *
   * The network monitor consulted for [property@Ladle.SessionConfiguration:allow-metered] and
   * [property@Ladle.SessionConfiguration:waits-for-connectivity], or %NULL for the system's
   * default (which is not consulted about connectivity for requests to loopback addresses: it
   * knows nothing of them).
   */
  properties[PROP_NETWORK_MONITOR] =
    g_param_spec_object ("network-monitor", NULL, NULL,
                         G_TYPE_NETWORK_MONITOR,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:state-directory:
   *
   * The directory where a default or background session keeps what it writes to disk (cookies,
   * partial downloads in its `downloads` subdirectory). Ephemeral sessions write nothing to the
   * default one, and only partial downloads to one set by the application.
   * Reading it never returns %NULL: the default is `$XDG_STATE_HOME/ladle/<program name>`.
   */
  properties[PROP_STATE_DIRECTORY] =
    g_param_spec_string ("state-directory", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:application-id: (getter dup_application_id)
   *
   * The application a background session belongs to: with
   * [property@Ladle.SessionConfiguration:identifier] it names the session's store
   * (`/org/gnome/ladle/sessions/<application-id>/<identifier>/` in GSettings), so that a
   * relaunched application finds its tasks. Reading it never returns %NULL: the default is the
   * id of the default [class@Gio.Application] when the session is made, else the program name.
   *
   * Since: 0.2
   */
  properties[PROP_APPLICATION_ID] =
    g_param_spec_string ("application-id", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:use-transfer-service:
   *
   * Whether the tasks of a background session run in the transfer service,
   * `ladle-transfer-service`, a D-Bus-activated daemon of the user's session, instead of the
   * application's process: they go on after the application quits or is killed, and a session
   * made again with the same application id and identifier gets their state and the
   * completions that happened meanwhile (see the transfer-service page of the documentation).
   * Downloads and uploads of files and forms run there; data tasks and uploads of bytes, whose
   * bodies live in the application's memory, run in the application as in any background
   * session.
   *
   * Only background configurations can use the service; the default is %FALSE. Use
   * [ctor@Ladle.Session.new_sync] to learn whether the service could be reached.
   *
   * Since: 0.2
   */
  properties[PROP_USE_TRANSFER_SERVICE] =
    g_param_spec_boolean ("use-transfer-service", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:partial-file-max-age:
   *
   * How old, in seconds since it was last written, a partial download may grow before the
   * session removes it: when a session starts, partial files that no task (of this process or
   * another) holds and that are older than this are deleted from its partial directory, so that
   * a download that was killed and never resumed does not keep its gigabytes forever. Resume
   * data older than this may therefore find its partial file gone. 0 keeps partial files until
   * they are used; the default is 7 days. An ephemeral session whose application set no
   * [property@Ladle.SessionConfiguration:state-directory] does not sweep: it removes all of its
   * partial files when it is finalized.
   */
  properties[PROP_PARTIAL_FILE_MAX_AGE] =
    g_param_spec_uint64 ("partial-file-max-age", NULL, NULL,
                         0, G_MAXUINT64, DEFAULT_PARTIAL_FILE_MAX_AGE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:retry-policy:
   *
   * How the tasks of the session retry a failed attempt (a copy of the policy that was set), or
   * %NULL, the default of default and ephemeral configurations: nothing is retried. Background
   * configurations start with a backoff policy (5 attempts, 1 s doubling up to 60 s). A task's
   * own [property@Ladle.Task:retry-policy] overrides it.
   *
   * Since: 0.2
   */
  properties[PROP_RETRY_POLICY] =
    g_param_spec_object ("retry-policy", NULL, NULL,
                         LADLE_TYPE_RETRY_POLICY,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:waits-for-connectivity:
   *
   * Whether a task resumed while the [property@Ladle.SessionConfiguration:network-monitor]
   * reports no usable network (#GNetworkMonitor:network-available false) waits for one, emitting
   * [signal@Ladle.Task::waiting-for-connectivity] once, instead of failing at once with
   * %G_IO_ERROR_NETWORK_UNREACHABLE. The default is false, true for background configurations.
   * The session's timeouts do not run while a task waits; the
   * [property@Ladle.SessionConfiguration:connectivity-timeout] does.
   *
   * Since: 0.2
   */
  properties[PROP_WAITS_FOR_CONNECTIVITY] =
    g_param_spec_boolean ("waits-for-connectivity", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:connectivity-timeout:
   *
   * The seconds a task may wait for a usable network (with
   * [property@Ladle.SessionConfiguration:waits-for-connectivity]) before it fails with
   * %G_IO_ERROR_TIMED_OUT; 0, the default, waits as long as it takes.
   *
   * Since: 0.2
   */
  properties[PROP_CONNECTIVITY_TIMEOUT] =
    g_param_spec_uint ("connectivity-timeout", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleSessionConfiguration:cache-size:
   *
   * The size of the session's HTTP cache in bytes; 0 turns caching off. A default or
   * background session caches on disk, in the `cache` subdirectory of its
   * [property@Ladle.SessionConfiguration:state-directory], and finds it again in a later
   * session (or process) with the same state directory; an ephemeral session caches in a
   * private temporary directory removed when the session is finalized. The default is 50 MiB
   * (52428800) for default and background configurations and 10 MiB (10485760) for ephemeral
   * ones. libsoup sizes caches with 32 bits: sizes above 4 GiB count as 4 GiB, and a single
   * response is stored only when it is at most a tenth of the size. Download tasks are never
   * cached. See [Caching](caching.html).
   *
   * Since: 0.2
   */
  properties[PROP_CACHE_SIZE] =
    g_param_spec_uint64 ("cache-size", NULL, NULL,
                         0, G_MAXUINT64, DEFAULT_CACHE_SIZE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ladle_session_configuration_init (LadleSessionConfiguration *self)
{
  self->timeout = DEFAULT_TIMEOUT;
  self->low_speed_limit = DEFAULT_LOW_SPEED_LIMIT;
  self->low_speed_time = DEFAULT_LOW_SPEED_TIME;
  self->partial_file_max_age = DEFAULT_PARTIAL_FILE_MAX_AGE;
  self->cache_size = DEFAULT_CACHE_SIZE;
  self->max_connections_per_host = DEFAULT_MAX_CONNECTIONS_PER_HOST;
  self->allow_metered = TRUE;
  self->extra_headers = _ladle_extra_headers_new ();
}

/**
 * ladle_session_configuration_new_default:
 *
 * Creates a configuration whose sessions keep cookies, and the partial files of downloads, on
 * disk in the [property@Ladle.SessionConfiguration:state-directory].
 *
 * Returns: (transfer full): a new configuration
 */
LadleSessionConfiguration *
ladle_session_configuration_new_default (void)
{
  return g_object_new (LADLE_TYPE_SESSION_CONFIGURATION,
                       "kind", LADLE_SESSION_KIND_DEFAULT,
                       NULL);
}

/**
 * ladle_session_configuration_new_ephemeral:
 *
 * Creates a configuration whose sessions keep nothing: cookies live in memory, and the partial
 * files of downloads in a private temporary directory, removed when the session is finalized
 * (resume data of an ephemeral session is good only while the session lives). Nothing is written
 * under the default [property@Ladle.SessionConfiguration:state-directory]; when the
 * application sets one itself, partial files go to its `downloads` subdirectory as for a
 * default session, and stay there.
 *
 * Returns: (transfer full): a new configuration
 */
LadleSessionConfiguration *
ladle_session_configuration_new_ephemeral (void)
{
  return g_object_new (LADLE_TYPE_SESSION_CONFIGURATION,
                       "kind", LADLE_SESSION_KIND_EPHEMERAL,
                       NULL);
}

/**
 * ladle_session_configuration_new_background:
 * @identifier: a name for the session, unique within the application
 *
 * Creates a configuration of the background kind, named @identifier.
 *
 * A session made from it keeps its download tasks, and its uploads of a file or a form, in a
 * store (GSettings, schema `org.gnome.Ladle.BackgroundSession`, at
 * `/org/gnome/ladle/sessions/<application-id>/<identifier>/`; a key file in the state directory
 * when the schema is not installed) from the moment each is resumed. When the application is
 * killed, crashes or quits while they run, the next session made with the same
 * [property@Ladle.SessionConfiguration:application-id] and @identifier restores them before
 * [ctor@Ladle.Session.new] returns: running tasks continue from their partial files with Range
 * requests, suspended ones stay suspended, and completions that were recorded but never
 * delivered are emitted ([signal@Ladle.Session::download-finished],
 * [signal@Ladle.Session::task-completed]) before
 * [signal@Ladle.Session::background-events-finished]. Data tasks and uploads of bytes run but
 * are not kept; streamed uploads, and forms with a stream part, fail with
 * %LADLE_ERROR_NOT_IN_BACKGROUND. Its tasks wait for connectivity
 * ([property@Ladle.SessionConfiguration:waits-for-connectivity]) and retry with a backoff
 * policy ([property@Ladle.SessionConfiguration:retry-policy]), restored ones too. See the
 * background-sessions page of the documentation.
 *
 * Returns: (transfer full): a new configuration
 */
LadleSessionConfiguration *
ladle_session_configuration_new_background (const char *identifier)
{
  LadleSessionConfiguration *self;

  g_return_val_if_fail (identifier != NULL && *identifier != '\0', NULL);

  self = g_object_new (LADLE_TYPE_SESSION_CONFIGURATION,
                       "kind", LADLE_SESSION_KIND_BACKGROUND,
                       "identifier", identifier,
                       "waits-for-connectivity", TRUE,
                       NULL);
  self->retry_policy = ladle_retry_policy_new_backoff (5, 1000, 60000);

  return self;
}

/**
 * ladle_session_configuration_copy:
 * @self: a configuration
 *
 * Copies every setting of @self into a new configuration.
 *
 * Returns: (transfer full): a new configuration equal to @self
 */
LadleSessionConfiguration *
ladle_session_configuration_copy (LadleSessionConfiguration *self)
{
  LadleSessionConfiguration *copy;

  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);

  copy = g_object_new (LADLE_TYPE_SESSION_CONFIGURATION,
                       "kind", self->kind,
                       "identifier", self->identifier,
                       "timeout", self->timeout,
                       "low-speed-limit", self->low_speed_limit,
                       "low-speed-time", self->low_speed_time,
                       "max-connections-per-host", self->max_connections_per_host,
                       "user-agent", self->user_agent,
                       "allow-metered", self->allow_metered,
                       "tls-database", self->tls_database,
                       "proxy-resolver", self->proxy_resolver,
                       "network-monitor", self->network_monitor,
                       "retry-policy", self->retry_policy,
                       "waits-for-connectivity", self->waits_for_connectivity,
                       "connectivity-timeout", self->connectivity_timeout,
                       NULL);
  copy->state_directory = g_strdup (self->state_directory);
  copy->state_directory_set = self->state_directory_set;
  copy->partial_file_max_age = self->partial_file_max_age;
  copy->cache_size = self->cache_size;
  copy->application_id = g_strdup (self->application_id);
  copy->use_transfer_service = self->use_transfer_service;

  _ladle_extra_headers_copy_into (self->extra_headers, copy->extra_headers);

  return copy;
}

/**
 * ladle_session_configuration_get_kind:
 * @self: a configuration
 *
 * Returns: the kind of @self
 */
LadleSessionKind
ladle_session_configuration_get_kind (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), LADLE_SESSION_KIND_DEFAULT);

  return self->kind;
}

/**
 * ladle_session_configuration_get_identifier:
 * @self: a configuration
 *
 * Returns: (nullable): the identifier of a background configuration, or %NULL
 */
const char *
ladle_session_configuration_get_identifier (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);

  return self->identifier;
}

/**
 * ladle_session_configuration_get_timeout:
 * @self: a configuration
 *
 * Returns: the timeout in seconds, 0 for none
 */
guint
ladle_session_configuration_get_timeout (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), 0);

  return self->timeout;
}

/**
 * ladle_session_configuration_set_timeout:
 * @self: a configuration
 * @timeout: seconds, 0 for none
 *
 * Sets [property@Ladle.SessionConfiguration:timeout].
 */
void
ladle_session_configuration_set_timeout (LadleSessionConfiguration *self,
                                         guint                      timeout)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));

  if (self->timeout == timeout)
    return;

  self->timeout = timeout;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

/**
 * ladle_session_configuration_get_low_speed_limit:
 * @self: a configuration
 *
 * Returns: the bytes per second below which a transfer counts as stalled, 0 for no check
 */
guint
ladle_session_configuration_get_low_speed_limit (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), 0);

  return self->low_speed_limit;
}

/**
 * ladle_session_configuration_set_low_speed_limit:
 * @self: a configuration
 * @limit: bytes per second, 0 for no check
 *
 * Sets [property@Ladle.SessionConfiguration:low-speed-limit].
 */
void
ladle_session_configuration_set_low_speed_limit (LadleSessionConfiguration *self,
                                                 guint                      limit)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));

  if (self->low_speed_limit == limit)
    return;

  self->low_speed_limit = limit;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOW_SPEED_LIMIT]);
}

/**
 * ladle_session_configuration_get_low_speed_time:
 * @self: a configuration
 *
 * Returns: the seconds over which the low-speed limit is measured, 0 for no check
 */
guint
ladle_session_configuration_get_low_speed_time (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), 0);

  return self->low_speed_time;
}

/**
 * ladle_session_configuration_set_low_speed_time:
 * @self: a configuration
 * @seconds: seconds, 0 for no check
 *
 * Sets [property@Ladle.SessionConfiguration:low-speed-time].
 */
void
ladle_session_configuration_set_low_speed_time (LadleSessionConfiguration *self,
                                                guint                      seconds)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));

  if (self->low_speed_time == seconds)
    return;

  self->low_speed_time = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOW_SPEED_TIME]);
}

/**
 * ladle_session_configuration_get_max_connections_per_host:
 * @self: a configuration
 *
 * Returns: the maximum number of connections to one host
 */
guint
ladle_session_configuration_get_max_connections_per_host (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), 0);

  return self->max_connections_per_host;
}

/**
 * ladle_session_configuration_set_max_connections_per_host:
 * @self: a configuration
 * @max_connections: at least 1
 *
 * Sets [property@Ladle.SessionConfiguration:max-connections-per-host].
 */
void
ladle_session_configuration_set_max_connections_per_host (LadleSessionConfiguration *self,
                                                          guint                      max_connections)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));
  g_return_if_fail (max_connections > 0 && max_connections <= G_MAXUINT16);

  if (self->max_connections_per_host == max_connections)
    return;

  self->max_connections_per_host = max_connections;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CONNECTIONS_PER_HOST]);
}

/**
 * ladle_session_configuration_get_user_agent:
 * @self: a configuration
 *
 * Returns: (nullable): the user agent set on @self, or %NULL for the default
 */
const char *
ladle_session_configuration_get_user_agent (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);

  return self->user_agent;
}

/**
 * ladle_session_configuration_set_user_agent:
 * @self: a configuration
 * @user_agent: (nullable): the User-Agent, or %NULL for the default
 *
 * Sets [property@Ladle.SessionConfiguration:user-agent].
 */
void
ladle_session_configuration_set_user_agent (LadleSessionConfiguration *self,
                                            const char                *user_agent)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));

  if (_ladle_set_str (&self->user_agent, user_agent))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_AGENT]);
}

/**
 * ladle_session_configuration_get_allow_metered:
 * @self: a configuration
 *
 * Returns: whether tasks may run on a metered network
 */
gboolean
ladle_session_configuration_get_allow_metered (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), TRUE);

  return self->allow_metered;
}

/**
 * ladle_session_configuration_set_allow_metered:
 * @self: a configuration
 * @allow_metered: whether tasks may run on a metered network
 *
 * Sets [property@Ladle.SessionConfiguration:allow-metered].
 */
void
ladle_session_configuration_set_allow_metered (LadleSessionConfiguration *self,
                                               gboolean                   allow_metered)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));

  allow_metered = !!allow_metered;
  if (self->allow_metered == allow_metered)
    return;

  self->allow_metered = allow_metered;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALLOW_METERED]);
}

/**
 * ladle_session_configuration_get_tls_database:
 * @self: a configuration
 *
 * Returns: (transfer none) (nullable): the TLS database, or %NULL for the default
 */
GTlsDatabase *
ladle_session_configuration_get_tls_database (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);

  return self->tls_database;
}

/**
 * ladle_session_configuration_set_tls_database:
 * @self: a configuration
 * @database: (nullable): a TLS database, or %NULL for the default
 *
 * Sets [property@Ladle.SessionConfiguration:tls-database].
 */
void
ladle_session_configuration_set_tls_database (LadleSessionConfiguration *self,
                                              GTlsDatabase              *database)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));
  g_return_if_fail (database == NULL || G_IS_TLS_DATABASE (database));

  if (g_set_object (&self->tls_database, database))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_DATABASE]);
}

/**
 * ladle_session_configuration_get_proxy_resolver:
 * @self: a configuration
 *
 * Returns: (transfer none) (nullable): the proxy resolver, or %NULL for the default
 */
GProxyResolver *
ladle_session_configuration_get_proxy_resolver (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);

  return self->proxy_resolver;
}

/**
 * ladle_session_configuration_set_proxy_resolver:
 * @self: a configuration
 * @resolver: (nullable): a proxy resolver, or %NULL for the default
 *
 * Sets [property@Ladle.SessionConfiguration:proxy-resolver].
 */
void
ladle_session_configuration_set_proxy_resolver (LadleSessionConfiguration *self,
                                                GProxyResolver            *resolver)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));
  g_return_if_fail (resolver == NULL || G_IS_PROXY_RESOLVER (resolver));

  if (g_set_object (&self->proxy_resolver, resolver))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY_RESOLVER]);
}

/**
 * ladle_session_configuration_get_network_monitor:
 * @self: a configuration
 *
 * Returns: (transfer none) (nullable): the network monitor, or %NULL for the default
 */
GNetworkMonitor *
ladle_session_configuration_get_network_monitor (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);

  return self->network_monitor;
}

/**
 * ladle_session_configuration_set_network_monitor:
 * @self: a configuration
 * @monitor: (nullable): a network monitor, or %NULL for the default
 *
 * Sets [property@Ladle.SessionConfiguration:network-monitor].
 */
void
ladle_session_configuration_set_network_monitor (LadleSessionConfiguration *self,
                                                 GNetworkMonitor           *monitor)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));
  g_return_if_fail (monitor == NULL || G_IS_NETWORK_MONITOR (monitor));

  if (g_set_object (&self->network_monitor, monitor))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_MONITOR]);
}

/**
 * ladle_session_configuration_get_state_directory:
 * @self: a configuration
 *
 * Returns: (type filename): the directory where sessions keep their files
 */
const char *
ladle_session_configuration_get_state_directory (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);

  if (self->state_directory == NULL)
    {
      const char *name = g_get_prgname ();

      if (name == NULL || *name == '\0' || strchr (name, '/') != NULL || name[0] == '.')
        name = "default";
      self->state_directory = g_build_filename (g_get_user_state_dir (), "ladle", name, NULL);
    }

  return self->state_directory;
}

/**
 * ladle_session_configuration_set_state_directory:
 * @self: a configuration
 * @directory: (type filename) (nullable): a directory, or %NULL for the default
 *
 * Sets [property@Ladle.SessionConfiguration:state-directory].
 */
void
ladle_session_configuration_set_state_directory (LadleSessionConfiguration *self,
                                                 const char                *directory)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));

  self->state_directory_set = directory != NULL;
  if (_ladle_set_str (&self->state_directory, directory))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE_DIRECTORY]);
}

/**
 * ladle_session_configuration_dup_application_id: (get-property application-id)
 * @self: a configuration
 *
 * Returns: (transfer full): the application id, as
 *   [property@Ladle.SessionConfiguration:application-id] says
 *
 * Since: 0.2
 */
char *
ladle_session_configuration_dup_application_id (LadleSessionConfiguration *self)
{
  GApplication *application;
  const char *name;

  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);

  if (self->application_id != NULL)
    return g_strdup (self->application_id);

  application = g_application_get_default ();
  if (application != NULL && g_application_get_application_id (application) != NULL)
    return g_strdup (g_application_get_application_id (application));

  name = g_get_prgname ();
  return g_strdup (name != NULL && *name != '\0' ? name : "default");
}

/**
 * ladle_session_configuration_set_application_id: (set-property application-id)
 * @self: a configuration
 * @application_id: (nullable): an application id, or %NULL for the default
 *
 * Sets [property@Ladle.SessionConfiguration:application-id].
 *
 * Since: 0.2
 */
void
ladle_session_configuration_set_application_id (LadleSessionConfiguration *self,
                                                const char                *application_id)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));
  g_return_if_fail (application_id == NULL || *application_id != '\0');

  if (_ladle_set_str (&self->application_id, application_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_APPLICATION_ID]);
}

/**
 * ladle_session_configuration_get_use_transfer_service: (get-property use-transfer-service)
 * @self: a configuration
 *
 * Returns: whether the session's tasks run in the transfer service
 *
 * Since: 0.2
 */
gboolean
ladle_session_configuration_get_use_transfer_service (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), FALSE);

  return self->use_transfer_service;
}

/**
 * ladle_session_configuration_set_use_transfer_service: (set-property use-transfer-service)
 * @self: a background configuration
 * @use_transfer_service: whether the session's tasks run in the transfer service
 *
 * Sets [property@Ladle.SessionConfiguration:use-transfer-service]. Only a background
 * configuration can use the service.
 *
 * Since: 0.2
 */
void
ladle_session_configuration_set_use_transfer_service (LadleSessionConfiguration *self,
                                                      gboolean                   use_transfer_service)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));
  g_return_if_fail (!use_transfer_service || self->kind == LADLE_SESSION_KIND_BACKGROUND);

  use_transfer_service = !!use_transfer_service;
  if (self->use_transfer_service == use_transfer_service)
    return;

  self->use_transfer_service = use_transfer_service;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USE_TRANSFER_SERVICE]);
}

/**
 * ladle_session_configuration_get_partial_file_max_age:
 * @self: a configuration
 *
 * Returns: the age in seconds past which unused partial files are removed, 0 for never
 */
guint64
ladle_session_configuration_get_partial_file_max_age (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), 0);

  return self->partial_file_max_age;
}

/**
 * ladle_session_configuration_set_partial_file_max_age:
 * @self: a configuration
 * @seconds: an age in seconds, 0 for never
 *
 * Sets [property@Ladle.SessionConfiguration:partial-file-max-age].
 */
void
ladle_session_configuration_set_partial_file_max_age (LadleSessionConfiguration *self,
                                                      guint64                    seconds)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));

  if (self->partial_file_max_age == seconds)
    return;

  self->partial_file_max_age = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTIAL_FILE_MAX_AGE]);
}

gboolean
_ladle_session_configuration_has_state_directory (LadleSessionConfiguration *self)
{
  return self->state_directory_set;
}

/* The extra headers and the sensitive marks (ladle-session-configuration-headers.c). */
LadleExtraHeaders *
_ladle_session_configuration_get_extra_headers (LadleSessionConfiguration *self)
{
  return self->extra_headers;
}

/* For ladle-session-configuration-network.c */
void
_ladle_session_configuration_notify (LadleSessionConfiguration *self,
                                     guint                      prop_id)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}
