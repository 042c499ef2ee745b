/* ladle-retry-rules-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ladle-retry-policy.h"

G_BEGIN_DECLS

/* The settings of a LadleRetryPolicy as plain data: the decision below needs no object, no
 * clock and no random source of its own, so that the unit tests can give it all three. */
typedef struct
{
  guint                max_attempts;
  guint                initial_delay;    /* ms */
  double               multiplier;
  guint                max_delay;        /* ms */
  double               jitter;           /* 0 … 1: the delay varies by ± this fraction */
  const guint         *statuses;
  gsize                n_statuses;
  LadleRetryErrors     errors;
  gboolean             retry_non_idempotent;
} LadleRetryRules;

gboolean _ladle_retry_method_is_idempotent (const char            *method);
LadleRetryErrors _ladle_retry_classify_error (const GError        *error);
/* Milliseconds from @now_unix (seconds since the epoch) that a Retry-After value asks for;
 * -1 when it is absent or cannot be parsed. */
gint64   _ladle_retry_parse_retry_after   (const char            *value,
                                           gint64                 now_unix);
/* Whether attempt @attempt (1 for the first send), which failed with @error or, when @error is
 * NULL, answered @status with @headers, is tried again, and after how long (@random01: a
 * number in [0, 1) that picks the jitter). */
gboolean _ladle_retry_rules_next_delay    (const LadleRetryRules *rules,
                                           guint                  attempt,
                                           const char            *method,
                                           guint                  status,
                                           const GError          *error,
                                           SoupMessageHeaders    *headers,
                                           gint64                 now_unix,
                                           double                 random01,
                                           guint                 *delay_ms);

G_END_DECLS
