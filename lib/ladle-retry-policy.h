/* ladle-retry-policy.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "ladle-version-macros.h"

G_BEGIN_DECLS

/**
 * LadleRetryErrors:
 * @LADLE_RETRY_ERRORS_NONE: no failure is retried (only statuses are)
 * @LADLE_RETRY_ERRORS_CONNECTION_LOST: the connection was reset or closed early: before the
 *   response (%G_IO_ERROR_CONNECTION_CLOSED, %G_IO_ERROR_BROKEN_PIPE, %G_IO_ERROR_PARTIAL_INPUT)
 *   or in the middle of the body (%LADLE_ERROR_TRUNCATED_BODY)
 * @LADLE_RETRY_ERRORS_TIMEOUT: %G_IO_ERROR_TIMED_OUT: the session's idle timeout and Ladle's
 *   low-speed limit ([property@Ladle.SessionConfiguration:low-speed-limit])
 * @LADLE_RETRY_ERRORS_UNREACHABLE: the server could not be reached: %G_IO_ERROR_CONNECTION_REFUSED,
 *   %G_IO_ERROR_HOST_UNREACHABLE, %G_IO_ERROR_NETWORK_UNREACHABLE, a temporary resolver failure
 *
 * The kinds of failure a [class@Ladle.RetryPolicy] tries again.
 *
 * Since: 0.2
 */
typedef enum /*< flags >*/
{
  LADLE_RETRY_ERRORS_NONE            = 0,
  LADLE_RETRY_ERRORS_CONNECTION_LOST = 1 << 0,
  LADLE_RETRY_ERRORS_TIMEOUT         = 1 << 1,
  LADLE_RETRY_ERRORS_UNREACHABLE     = 1 << 2,
} LadleRetryErrors;

#define LADLE_TYPE_RETRY_POLICY (ladle_retry_policy_get_type ())

LADLE_AVAILABLE_IN_0_2
G_DECLARE_FINAL_TYPE (LadleRetryPolicy, ladle_retry_policy, LADLE, RETRY_POLICY, GObject)

LADLE_AVAILABLE_IN_0_2
LadleRetryPolicy *ladle_retry_policy_new                      (void);
LADLE_AVAILABLE_IN_0_2
LadleRetryPolicy *ladle_retry_policy_new_backoff              (guint              max_attempts,
                                                               guint              initial_delay,
                                                               guint              max_delay);
LADLE_AVAILABLE_IN_0_2
LadleRetryPolicy *ladle_retry_policy_copy                     (LadleRetryPolicy  *self);

LADLE_AVAILABLE_IN_0_2
guint             ladle_retry_policy_get_max_attempts         (LadleRetryPolicy  *self);
LADLE_AVAILABLE_IN_0_2
void              ladle_retry_policy_set_max_attempts         (LadleRetryPolicy  *self,
                                                               guint              max_attempts);
LADLE_AVAILABLE_IN_0_2
guint             ladle_retry_policy_get_initial_delay        (LadleRetryPolicy  *self);
LADLE_AVAILABLE_IN_0_2
void              ladle_retry_policy_set_initial_delay        (LadleRetryPolicy  *self,
                                                               guint              initial_delay);
LADLE_AVAILABLE_IN_0_2
double            ladle_retry_policy_get_multiplier           (LadleRetryPolicy  *self);
LADLE_AVAILABLE_IN_0_2
void              ladle_retry_policy_set_multiplier           (LadleRetryPolicy  *self,
                                                               double             multiplier);
LADLE_AVAILABLE_IN_0_2
guint             ladle_retry_policy_get_max_delay            (LadleRetryPolicy  *self);
LADLE_AVAILABLE_IN_0_2
void              ladle_retry_policy_set_max_delay            (LadleRetryPolicy  *self,
                                                               guint              max_delay);
LADLE_AVAILABLE_IN_0_2
double            ladle_retry_policy_get_jitter               (LadleRetryPolicy  *self);
LADLE_AVAILABLE_IN_0_2
void              ladle_retry_policy_set_jitter               (LadleRetryPolicy  *self,
                                                               double             jitter);
LADLE_AVAILABLE_IN_0_2
LadleRetryErrors  ladle_retry_policy_get_retried_errors       (LadleRetryPolicy  *self);
LADLE_AVAILABLE_IN_0_2
void              ladle_retry_policy_set_retried_errors       (LadleRetryPolicy  *self,
                                                               LadleRetryErrors   errors);
LADLE_AVAILABLE_IN_0_2
gboolean          ladle_retry_policy_get_retry_non_idempotent (LadleRetryPolicy  *self);
LADLE_AVAILABLE_IN_0_2
void              ladle_retry_policy_set_retry_non_idempotent (LadleRetryPolicy  *self,
                                                               gboolean           retry);
LADLE_AVAILABLE_IN_0_2
guint            *ladle_retry_policy_dup_retried_statuses     (LadleRetryPolicy  *self,
                                                               gsize             *n_statuses);
LADLE_AVAILABLE_IN_0_2
void              ladle_retry_policy_set_retried_statuses     (LadleRetryPolicy  *self,
                                                               const guint       *statuses,
                                                               gsize              n_statuses);
LADLE_AVAILABLE_IN_0_2
gboolean          ladle_retry_policy_retries_status           (LadleRetryPolicy  *self,
                                                               guint              status);
LADLE_AVAILABLE_IN_0_2
gboolean          ladle_retry_policy_next_delay_for_status    (LadleRetryPolicy  *self,
                                                               guint              attempt,
                                                               const char        *method,
                                                               guint              status,
                                                               SoupMessageHeaders *response_headers,
                                                               guint             *delay_ms);
LADLE_AVAILABLE_IN_0_2
gboolean          ladle_retry_policy_next_delay_for_error     (LadleRetryPolicy  *self,
                                                               guint              attempt,
                                                               const char        *method,
                                                               const GError      *failure,
                                                               guint             *delay_ms);

G_END_DECLS
