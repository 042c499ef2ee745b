/* ladle-session-configuration.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>

#include "ladle-enums.h"
#include "ladle-retry-policy.h"
#include "ladle-version-macros.h"

G_BEGIN_DECLS

#define LADLE_TYPE_SESSION_CONFIGURATION (ladle_session_configuration_get_type ())

LADLE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (LadleSessionConfiguration, ladle_session_configuration, LADLE, SESSION_CONFIGURATION, GObject)

LADLE_AVAILABLE_IN_ALL
LadleSessionConfiguration *ladle_session_configuration_new_default        (void);
LADLE_AVAILABLE_IN_ALL
LadleSessionConfiguration *ladle_session_configuration_new_ephemeral      (void);
LADLE_AVAILABLE_IN_ALL
LadleSessionConfiguration *ladle_session_configuration_new_background     (const char                *identifier);
LADLE_AVAILABLE_IN_ALL
LadleSessionConfiguration *ladle_session_configuration_copy               (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
LadleSessionKind           ladle_session_configuration_get_kind           (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
const char                *ladle_session_configuration_get_identifier     (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
guint                      ladle_session_configuration_get_timeout        (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_timeout        (LadleSessionConfiguration *self,
                                                                           guint                      timeout);
LADLE_AVAILABLE_IN_ALL
guint                      ladle_session_configuration_get_low_speed_limit (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_low_speed_limit (LadleSessionConfiguration *self,
                                                                            guint                      limit);
LADLE_AVAILABLE_IN_ALL
guint                      ladle_session_configuration_get_low_speed_time (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_low_speed_time (LadleSessionConfiguration *self,
                                                                           guint                      seconds);
LADLE_AVAILABLE_IN_ALL
guint                      ladle_session_configuration_get_max_connections_per_host (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_max_connections_per_host (LadleSessionConfiguration *self,
                                                                                     guint                      max_connections);
LADLE_AVAILABLE_IN_ALL
const char                *ladle_session_configuration_get_user_agent     (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_user_agent     (LadleSessionConfiguration *self,
                                                                           const char                *user_agent);
LADLE_AVAILABLE_IN_ALL
const char                *ladle_session_configuration_get_header         (LadleSessionConfiguration *self,
                                                                           const char                *name);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_header         (LadleSessionConfiguration *self,
                                                                           const char                *name,
                                                                           const char                *value);
LADLE_AVAILABLE_IN_ALL
char                     **ladle_session_configuration_dup_header_names   (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_header_sensitive (LadleSessionConfiguration *self,
                                                                             const char                *name,
                                                                             gboolean                   sensitive);
LADLE_AVAILABLE_IN_ALL
gboolean                   ladle_session_configuration_get_header_sensitive (LadleSessionConfiguration *self,
                                                                             const char                *name);
LADLE_AVAILABLE_IN_ALL
gboolean                   ladle_session_configuration_get_allow_metered  (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_allow_metered  (LadleSessionConfiguration *self,
                                                                           gboolean                   allow_metered);
LADLE_AVAILABLE_IN_ALL
GTlsDatabase              *ladle_session_configuration_get_tls_database   (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_tls_database   (LadleSessionConfiguration *self,
                                                                           GTlsDatabase              *database);
LADLE_AVAILABLE_IN_ALL
GProxyResolver            *ladle_session_configuration_get_proxy_resolver (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_proxy_resolver (LadleSessionConfiguration *self,
                                                                           GProxyResolver            *resolver);
LADLE_AVAILABLE_IN_ALL
GNetworkMonitor           *ladle_session_configuration_get_network_monitor (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_network_monitor (LadleSessionConfiguration *self,
                                                                            GNetworkMonitor           *monitor);
LADLE_AVAILABLE_IN_ALL
const char                *ladle_session_configuration_get_state_directory (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_state_directory (LadleSessionConfiguration *self,
                                                                            const char                *directory);

LADLE_AVAILABLE_IN_ALL
guint64                    ladle_session_configuration_get_partial_file_max_age (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_configuration_set_partial_file_max_age (LadleSessionConfiguration *self,
                                                                                 guint64                    seconds);
LADLE_AVAILABLE_IN_0_2
guint64                    ladle_session_configuration_get_cache_size     (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_0_2
void                       ladle_session_configuration_set_cache_size     (LadleSessionConfiguration *self,
                                                                           guint64                    size);

LADLE_AVAILABLE_IN_0_2
LadleRetryPolicy          *ladle_session_configuration_dup_retry_policy   (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_0_2
void                       ladle_session_configuration_set_retry_policy   (LadleSessionConfiguration *self,
                                                                           LadleRetryPolicy          *policy);
LADLE_AVAILABLE_IN_0_2
gboolean                   ladle_session_configuration_get_waits_for_connectivity (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_0_2
void                       ladle_session_configuration_set_waits_for_connectivity (LadleSessionConfiguration *self,
                                                                                   gboolean                   waits);
LADLE_AVAILABLE_IN_0_2
guint                      ladle_session_configuration_get_connectivity_timeout (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_0_2
void                       ladle_session_configuration_set_connectivity_timeout (LadleSessionConfiguration *self,
                                                                                 guint                      seconds);

LADLE_AVAILABLE_IN_0_2
char                      *ladle_session_configuration_dup_application_id (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_0_2
void                       ladle_session_configuration_set_application_id (LadleSessionConfiguration *self,
                                                                           const char                *application_id);
LADLE_AVAILABLE_IN_0_2
gboolean                   ladle_session_configuration_get_use_transfer_service (LadleSessionConfiguration *self);
LADLE_AVAILABLE_IN_0_2
void                       ladle_session_configuration_set_use_transfer_service (LadleSessionConfiguration *self,
                                                                                 gboolean                   use_transfer_service);

G_END_DECLS
