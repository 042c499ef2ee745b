/* ladle-retry.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What the transfer engine asks before it retries an attempt (private): which policy applies,
 * what it decides, and the message the next attempt sends. The decision itself is
 * ladle-retry-rules.c; the engine's side (the interruption, the timer, the restart) is in
 * ladle-transfer.c.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-error.h"
#include "ladle-retry-policy.h"
#include "ladle-retry-private.h"
#include "ladle-session-configuration-private.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"

LadleRetryPolicy *
_ladle_retry_policy_for_task (LadleTask    *task,
                              LadleSession *session)
{
  LadleRetryPolicy *policy = _ladle_task_get_retry_policy (task);

  if (policy == NULL && session != NULL)
    policy = _ladle_session_configuration_get_retry_policy (_ladle_session_get_configuration (session));

  return policy;
}

gboolean
_ladle_retry_decide (LadleTask    *task,
                     LadleSession *session,
                     guint         attempt,
                     SoupMessage  *message,
                     const GError *error,
                     guint        *delay_ms)
{
  LadleRetryPolicy *policy = _ladle_retry_policy_for_task (task, session);

  if (policy == NULL || message == NULL)
    return FALSE;

  if (error != NULL)
    return ladle_retry_policy_next_delay_for_error (policy, attempt, soup_message_get_method (message),
                                                    error, delay_ms);

  return ladle_retry_policy_next_delay_for_status (policy, attempt, soup_message_get_method (message),
                                                   soup_message_get_status (message),
                                                   soup_message_get_response_headers (message), delay_ms);
}

GError *
_ladle_retry_status_error (LadleTask    *task,
                           LadleSession *session,
                           SoupMessage  *message)
{
  LadleRetryPolicy *policy = _ladle_retry_policy_for_task (task, session);
  guint status = soup_message_get_status (message);
  const char *reason = soup_message_get_reason_phrase (message);

  if (policy == NULL || !ladle_retry_policy_retries_status (policy, status))
    return NULL;

  return g_error_new (LADLE_ERROR, LADLE_ERROR_RETRIED_STATUS,
                      _("The server answered %u %s"), status,
                      reason != NULL && *reason != '\0' ? reason : soup_status_get_phrase (status));
}

SoupMessage *
_ladle_retry_copy_message (SoupMessage *message)
{
  GType feature_types[3];
  SoupMessage *copy;
  SoupMessageHeadersIter iter;
  const char *name, *value;

  copy = soup_message_new_from_uri (soup_message_get_method (message), soup_message_get_uri (message));
  soup_message_headers_iter_init (&iter, soup_message_get_request_headers (message));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    soup_message_headers_append (soup_message_get_request_headers (copy), name, value);

  soup_message_set_flags (copy, soup_message_get_flags (message));
  soup_message_set_priority (copy, soup_message_get_priority (message));
  soup_message_set_is_top_level_navigation (copy, soup_message_get_is_top_level_navigation (message));
  if (soup_message_get_first_party (message) != NULL)
    soup_message_set_first_party (copy, soup_message_get_first_party (message));
  if (soup_message_get_site_for_cookies (message) != NULL)
    soup_message_set_site_for_cookies (copy, soup_message_get_site_for_cookies (message));

  feature_types[0] = SOUP_TYPE_CONTENT_DECODER;
  feature_types[1] = SOUP_TYPE_CACHE;
  feature_types[2] = SOUP_TYPE_COOKIE_JAR;
  for (gsize i = 0; i < G_N_ELEMENTS (feature_types); i++)
    if (soup_message_is_feature_disabled (message, feature_types[i]))
      soup_message_disable_feature (copy, feature_types[i]);

  return copy;
}

/* After attempt *@attempt failed with @error (NULL: it answered @message's status): whether the
 * task's policy retries it and no ::will-retry handler vetoes. On TRUE *@attempt is the next
 * attempt and *@delay_ms the delay before it. One debug line says what was decided. */
gboolean
_ladle_retry_ask (LadleTask    *task,
                  guint        *attempt,
                  SoupMessage  *message,
                  const GError *error,
                  guint        *delay_ms)
{
  g_autoptr(LadleSession) session = _ladle_task_dup_session (task);
  g_autoptr(GError) status_error = NULL;
  guint64 identifier = ladle_task_get_identifier (task);

  if (session == NULL || message == NULL)
    return FALSE;
  if (error == NULL)
    {
      status_error = _ladle_retry_status_error (task, session, message);
      if (status_error == NULL)
        return FALSE;
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;

  if (!_ladle_retry_decide (task, session, *attempt, message, error, delay_ms))
    return FALSE;

  if (error != NULL)
    g_debug ("Task %" G_GUINT64_FORMAT ": attempt %u failed (%s): retry in %u ms",
             identifier, *attempt, error->message, *delay_ms);
  else
    g_debug ("Task %" G_GUINT64_FORMAT ": attempt %u answered %u: retry in %u ms",
             identifier, *attempt, soup_message_get_status (message), *delay_ms);
  (*attempt)++;
  if (!_ladle_task_emit_will_retry (task, *attempt, *delay_ms, error ? error : status_error))
    {
      g_debug ("Task %" G_GUINT64_FORMAT ": the retry was vetoed", identifier);
      return FALSE;
    }

  return TRUE;
}

/* The delay before the next attempt, @delay_us from now, on @context; @callback gets @task
 * (a reference is held while the source exists). */
GSource *
_ladle_retry_timer_new (GMainContext *context,
                        gint64        delay_us,
                        GSourceFunc   callback,
                        LadleTask    *task)
{
  GSource *source = g_timeout_source_new ((guint)MIN ((delay_us + 999) / 1000, (gint64)G_MAXUINT));

  g_source_set_callback (source, callback, g_object_ref (task), g_object_unref);
  g_source_set_static_name (source, "[ladle] retry delay");
  g_source_attach (source, context);

  return source;
}
