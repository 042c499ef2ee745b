/* ladle-session-configuration-struct-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The instance struct of LadleSessionConfiguration, shared by exactly two files: the type
 * (ladle-session-configuration.c) and its network settings (ladle-session-configuration-network.c).
 * Nothing else includes this header; the rest of the library goes through the accessors.
 */

#pragma once

#include "ladle-retry-policy.h"
#include "ladle-session-configuration.h"
#include "ladle-session-configuration-headers-private.h"

G_BEGIN_DECLS

struct _LadleSessionConfiguration
{
  GObject           parent_instance;

  LadleSessionKind  kind;
  char             *identifier;
  guint             timeout;
  guint             low_speed_limit;
  guint             low_speed_time;
  guint             max_connections_per_host;
  char             *user_agent;
  LadleExtraHeaders *extra_headers; /* ladle-session-configuration-headers.c */
  gboolean          allow_metered;
  GTlsDatabase     *tls_database;
  GProxyResolver   *proxy_resolver;
  GNetworkMonitor  *network_monitor;
  char             *state_directory;
  gboolean          state_directory_set;   /* by the application, not the default */
  guint64           partial_file_max_age;
  /* Retries and connectivity (ladle-retry-policy.c, ladle-admission.c) */
  LadleRetryPolicy *retry_policy;
  gboolean          waits_for_connectivity;
  guint             connectivity_timeout;
  guint64           cache_size;
  char             *application_id;        /* NULL: the default, resolved when read */
  gboolean          use_transfer_service;  /* background sessions: tasks run in the service */
};

enum {
  PROP_0,
  PROP_KIND,
  PROP_IDENTIFIER,
  PROP_TIMEOUT,
  PROP_LOW_SPEED_LIMIT,
  PROP_LOW_SPEED_TIME,
  PROP_MAX_CONNECTIONS_PER_HOST,
  PROP_USER_AGENT,
  PROP_ALLOW_METERED,
  PROP_TLS_DATABASE,
  PROP_PROXY_RESOLVER,
  PROP_NETWORK_MONITOR,
  PROP_STATE_DIRECTORY,
  PROP_PARTIAL_FILE_MAX_AGE,
  PROP_RETRY_POLICY,
  PROP_WAITS_FOR_CONNECTIVITY,
  PROP_CONNECTIVITY_TIMEOUT,
  PROP_CACHE_SIZE,
  PROP_APPLICATION_ID,
  PROP_USE_TRANSFER_SERVICE,
  N_PROPS
};

/* Emits ::notify for @prop_id (ladle-session-configuration.c). */
void _ladle_session_configuration_notify (LadleSessionConfiguration *self,
                                          guint                      prop_id);

G_END_DECLS
