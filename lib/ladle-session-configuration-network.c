/* ladle-session-configuration-network.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * How the tasks of a session meet the network: the settings of LadleSessionConfiguration for
 * retries (ladle-retry-policy.c), waiting for connectivity (ladle-admission.c) and the HTTP
 * cache (ladle-cache.c). The properties themselves are installed in
 * ladle-session-configuration.c.
 */

#include "config.h"

#include "ladle-retry-policy.h"
#include "ladle-session-configuration.h"
#include "ladle-session-configuration-private.h"
#include "ladle-session-configuration-struct-private.h"

/**
 * ladle_session_configuration_dup_retry_policy:
 * @self: a configuration
 *
 * Returns: (transfer full) (nullable): a copy of the retry policy, or %NULL when nothing is
 *   retried
 *
 * Since: 0.2
 */
LadleRetryPolicy *
ladle_session_configuration_dup_retry_policy (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);

  return self->retry_policy ? ladle_retry_policy_copy (self->retry_policy) : NULL;
}

/* The configuration's own policy (a session's configuration never changes). */
LadleRetryPolicy *
_ladle_session_configuration_get_retry_policy (LadleSessionConfiguration *self)
{
  return self->retry_policy;
}

/**
 * ladle_session_configuration_set_retry_policy:
 * @self: a configuration
 * @policy: (nullable): a retry policy, copied; %NULL retries nothing
 *
 * Sets [property@Ladle.SessionConfiguration:retry-policy].
 *
 * Since: 0.2
 */
void
ladle_session_configuration_set_retry_policy (LadleSessionConfiguration *self,
                                              LadleRetryPolicy          *policy)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));
  g_return_if_fail (policy == NULL || LADLE_IS_RETRY_POLICY (policy));

  if (policy == NULL && self->retry_policy == NULL)
    return;
  g_clear_object (&self->retry_policy);
  if (policy != NULL)
    self->retry_policy = ladle_retry_policy_copy (policy);
  _ladle_session_configuration_notify (self, PROP_RETRY_POLICY);
}

/**
 * ladle_session_configuration_get_waits_for_connectivity:
 * @self: a configuration
 *
 * Returns: [property@Ladle.SessionConfiguration:waits-for-connectivity]
 *
 * Since: 0.2
 */
gboolean
ladle_session_configuration_get_waits_for_connectivity (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), FALSE);

  return self->waits_for_connectivity;
}

/**
 * ladle_session_configuration_set_waits_for_connectivity:
 * @self: a configuration
 * @waits: whether tasks wait for a usable network
 *
 * Sets [property@Ladle.SessionConfiguration:waits-for-connectivity].
 *
 * Since: 0.2
 */
void
ladle_session_configuration_set_waits_for_connectivity (LadleSessionConfiguration *self,
                                                        gboolean                   waits)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));

  waits = !!waits;
  if (self->waits_for_connectivity == waits)
    return;
  self->waits_for_connectivity = waits;
  _ladle_session_configuration_notify (self, PROP_WAITS_FOR_CONNECTIVITY);
}

/**
 * ladle_session_configuration_get_connectivity_timeout:
 * @self: a configuration
 *
 * Returns: [property@Ladle.SessionConfiguration:connectivity-timeout]
 *
 * Since: 0.2
 */
guint
ladle_session_configuration_get_connectivity_timeout (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), 0);

  return self->connectivity_timeout;
}

/**
 * ladle_session_configuration_set_connectivity_timeout:
 * @self: a configuration
 * @seconds: the longest wait for a usable network, 0 for no limit
 *
 * Sets [property@Ladle.SessionConfiguration:connectivity-timeout].
 *
 * Since: 0.2
 */
void
ladle_session_configuration_set_connectivity_timeout (LadleSessionConfiguration *self,
                                                      guint                      seconds)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));

  if (self->connectivity_timeout == seconds)
    return;
  self->connectivity_timeout = seconds;
  _ladle_session_configuration_notify (self, PROP_CONNECTIVITY_TIMEOUT);
}

/**
 * ladle_session_configuration_get_cache_size:
 * @self: a configuration
 *
 * Returns: the size of the HTTP cache in bytes, 0 when caching is off
 *
 * Since: 0.2
 */
guint64
ladle_session_configuration_get_cache_size (LadleSessionConfiguration *self)
{
  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), 0);

  return self->cache_size;
}

/**
 * ladle_session_configuration_set_cache_size:
 * @self: a configuration
 * @size: a size in bytes, 0 to turn caching off
 *
 * Sets [property@Ladle.SessionConfiguration:cache-size].
 *
 * Since: 0.2
 */
void
ladle_session_configuration_set_cache_size (LadleSessionConfiguration *self,
                                            guint64                    size)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));

  if (self->cache_size == size)
    return;

  self->cache_size = size;
  _ladle_session_configuration_notify (self, PROP_CACHE_SIZE);
}
