/* ladle-retry-rules.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The retry decision (private): whether a failed attempt is tried again and after how long.
 * Plain code over plain data (LadleRetryRules), tested without a server in
 * tests/unit/test-retry.c; LadleRetryPolicy (ladle-retry-policy.c) holds the settings and the
 * transfer engine asks it after every attempt.
 */

#include "config.h"

#include <string.h>

#include "ladle-error.h"
#include "ladle-retry-rules-private.h"

/* RFC 9110, 9.2.2: the methods whose repetition has the effect of one request. */
gboolean
_ladle_retry_method_is_idempotent (const char *method)
{
  static const char * const idempotent[] = { "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" };

  if (method == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (idempotent); i++)
    if (strcmp (method, idempotent[i]) == 0)
      return TRUE;

  return FALSE;
}

/* Which of the retried kinds of failure @error is (0: none, it is never retried). */
LadleRetryErrors
_ladle_retry_classify_error (const GError *error)
{
  if (error == NULL)
    return 0;

  if (error->domain == G_IO_ERROR)
    switch (error->code)
      {
      case G_IO_ERROR_TIMED_OUT:
        return LADLE_RETRY_ERRORS_TIMEOUT;
      case G_IO_ERROR_CONNECTION_CLOSED:
      case G_IO_ERROR_PARTIAL_INPUT:
        return LADLE_RETRY_ERRORS_CONNECTION_LOST;
      case G_IO_ERROR_CONNECTION_REFUSED:
      case G_IO_ERROR_HOST_UNREACHABLE:
      case G_IO_ERROR_NETWORK_UNREACHABLE:
        return LADLE_RETRY_ERRORS_UNREACHABLE;
      default:
        return 0;
      }

  if (error->domain == G_RESOLVER_ERROR && error->code == G_RESOLVER_ERROR_TEMPORARY_FAILURE)
    return LADLE_RETRY_ERRORS_UNREACHABLE;

  /* A body that stopped before its framing's end: the connection was lost mid-body. */
  if (error->domain == LADLE_ERROR && error->code == LADLE_ERROR_TRUNCATED_BODY)
    return LADLE_RETRY_ERRORS_CONNECTION_LOST;

  return 0;
}

gint64
_ladle_retry_parse_retry_after (const char *value,
                                gint64      now_unix)
{
  guint64 seconds;
  g_autoptr(GDateTime) date = NULL;
  gint64 when;

  if (value == NULL)
    return -1;
  while (*value == ' ' || *value == '\t')
    value++;
  if (*value == '\0')
    return -1;

  /* delta-seconds: 1*DIGIT; a huge number is simply a long delay. */
  if (g_ascii_isdigit (*value))
    {
      gsize n_digits = strspn (value, "0123456789");
      g_autofree char *digits = g_strndup (value, n_digits);

      for (const char *rest = value + n_digits; *rest != '\0'; rest++)
        if (*rest != ' ' && *rest != '\t')
          return -1;
      if (!g_ascii_string_to_unsigned (digits, 10, 0, G_MAXUINT64, &seconds, NULL))
        seconds = G_MAXUINT64;

      return seconds > (guint64)(G_MAXINT64 / 1000) ? G_MAXINT64 : (gint64)seconds * 1000;
    }

  /* HTTP-date, in any of the three formats RFC 9110 lets a recipient accept. */
  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return -1;
  when = g_date_time_to_unix (date);

  return when <= now_unix ? 0 : (when - now_unix) * 1000;
}

static gboolean
status_is_retried (const LadleRetryRules *rules,
                   guint                  status)
{
  for (gsize i = 0; i < rules->n_statuses; i++)
    if (rules->statuses[i] == status)
      return TRUE;

  return FALSE;
}

gboolean
_ladle_retry_rules_next_delay (const LadleRetryRules *rules,
                               guint                  attempt,
                               const char            *method,
                               guint                  status,
                               const GError          *error,
                               SoupMessageHeaders    *headers,
                               gint64                 now_unix,
                               double                 random01,
                               guint                 *delay_ms)
{
  double delay;
  gint64 retry_after = -1;

  g_return_val_if_fail (rules != NULL, FALSE);

  if (delay_ms != NULL)
    *delay_ms = 0;

  if (attempt == 0 || attempt >= rules->max_attempts)
    return FALSE;
  if (!rules->retry_non_idempotent && !_ladle_retry_method_is_idempotent (method))
    return FALSE;

  if (error != NULL)
    {
      if ((_ladle_retry_classify_error (error) & rules->errors) == 0)
        return FALSE;
    }
  else if (!status_is_retried (rules, status))
    return FALSE;

  /* Exponential backoff: initial × multiplier^(attempt - 1), within the maximum. */
  delay = rules->initial_delay;
  for (guint i = 1; i < attempt && delay < rules->max_delay; i++)
    delay *= MAX (rules->multiplier, 1.0);
  if (delay > rules->max_delay)
    delay = rules->max_delay;
  if (rules->jitter > 0)
    {
      double jitter = CLAMP (rules->jitter, 0.0, 1.0);

      delay *= 1.0 + jitter * (2.0 * CLAMP (random01, 0.0, 1.0) - 1.0);
    }

  /* A server's Retry-After is the delay it asked for (no jitter), capped by the maximum. */
  if (error == NULL && headers != NULL)
    retry_after = _ladle_retry_parse_retry_after (soup_message_headers_get_one (headers, "Retry-After"),
                                                  now_unix);
  if (retry_after >= 0)
    delay = (double)MIN (retry_after, (gint64)rules->max_delay);

  delay = CLAMP (delay, 0.0, (double)rules->max_delay);
  if (delay_ms != NULL)
    *delay_ms = (guint)(delay + 0.5);

  return TRUE;
}
