/* ladle-retry-policy.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleRetryPolicy:
 *
 * When and how soon a failed attempt of a task is tried again.
 *
 * A policy is set on a [class@Ladle.SessionConfiguration] (for every task of its sessions) or
 * on one task ([property@Ladle.Task:retry-policy], which overrides the session's). Without a
 * policy nothing is retried; background configurations come with an exponential backoff.
 *
 * An attempt is retried when it failed with one of [property@Ladle.RetryPolicy:retried-errors]
 * (a lost connection, a timeout, by default) or answered one of the retried statuses (408, 429,
 * 500, 502, 503 and 504 by default), the request's method is idempotent (GET, HEAD, OPTIONS,
 * TRACE, PUT, DELETE; others only with [property@Ladle.RetryPolicy:retry-non-idempotent]), and
 * fewer than [property@Ladle.RetryPolicy:max-attempts] attempts were made. The delay before
 * attempt N + 1 is [property@Ladle.RetryPolicy:initial-delay] ×
 * [property@Ladle.RetryPolicy:multiplier]^(N - 1), varied by ± [property@Ladle.RetryPolicy:jitter]
 * and never more than [property@Ladle.RetryPolicy:max-delay]. A `Retry-After` header
 * (delta-seconds or an HTTP-date) on a retried status replaces that delay, capped by the
 * maximum delay too. [method@Ladle.RetryPolicy.next_delay_for_status] and
 * [method@Ladle.RetryPolicy.next_delay_for_error] are the decision itself.
 *
 * [signal@Ladle.Task::will-retry] announces each retry and may veto it. A download that fails
 * in the middle of its body continues from its partial file with a Range request (see the
 * "Retries and connectivity" page). An HTTP status that is still retried after the last attempt
 * is delivered as the response, as any other status is.
 *
 * A policy is copied when it is set on a configuration or a task: later changes do not reach
 * them.
 *
 * Since: 0.2
 */

#include "config.h"

#include "ladle-enum-types.h"
#include "ladle-retry-policy.h"
#include "ladle-retry-rules-private.h"

#define DEFAULT_MAX_ATTEMPTS  4
#define DEFAULT_INITIAL_DELAY 1000
#define DEFAULT_MULTIPLIER    2.0
#define DEFAULT_MAX_DELAY     30000
#define DEFAULT_JITTER        0.1
#define DEFAULT_ERRORS        (LADLE_RETRY_ERRORS_CONNECTION_LOST | LADLE_RETRY_ERRORS_TIMEOUT)

static const guint default_statuses[] = { 408, 429, 500, 502, 503, 504 };

struct _LadleRetryPolicy
{
  GObject           parent_instance;

  guint             max_attempts;
  guint             initial_delay;
  double            multiplier;
  guint             max_delay;
  double            jitter;
  LadleRetryErrors  errors;
  gboolean          retry_non_idempotent;
  GArray           *statuses;   /* guint */
};

G_DEFINE_FINAL_TYPE (LadleRetryPolicy, ladle_retry_policy, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAX_ATTEMPTS,
  PROP_INITIAL_DELAY,
  PROP_MULTIPLIER,
  PROP_MAX_DELAY,
  PROP_JITTER,
  PROP_RETRIED_ERRORS,
  PROP_RETRY_NON_IDEMPOTENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ladle_retry_policy_finalize (GObject *object)
{
  LadleRetryPolicy *self = (LadleRetryPolicy *)object;

  g_clear_pointer (&self->statuses, g_array_unref);

  G_OBJECT_CLASS (ladle_retry_policy_parent_class)->finalize (object);
}

static void
ladle_retry_policy_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  LadleRetryPolicy *self = LADLE_RETRY_POLICY (object);

  switch (prop_id)
    {
    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;
    case PROP_INITIAL_DELAY:
      g_value_set_uint (value, self->initial_delay);
      break;
    case PROP_MULTIPLIER:
      g_value_set_double (value, self->multiplier);
      break;
    case PROP_MAX_DELAY:
      g_value_set_uint (value, self->max_delay);
      break;
    case PROP_JITTER:
      g_value_set_double (value, self->jitter);
      break;
    case PROP_RETRIED_ERRORS:
      g_value_set_flags (value, self->errors);
      break;
    case PROP_RETRY_NON_IDEMPOTENT:
      g_value_set_boolean (value, self->retry_non_idempotent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_retry_policy_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  LadleRetryPolicy *self = LADLE_RETRY_POLICY (object);

  switch (prop_id)
    {
    case PROP_MAX_ATTEMPTS:
      ladle_retry_policy_set_max_attempts (self, g_value_get_uint (value));
      break;
    case PROP_INITIAL_DELAY:
      ladle_retry_policy_set_initial_delay (self, g_value_get_uint (value));
      break;
    case PROP_MULTIPLIER:
      ladle_retry_policy_set_multiplier (self, g_value_get_double (value));
      break;
    case PROP_MAX_DELAY:
      ladle_retry_policy_set_max_delay (self, g_value_get_uint (value));
      break;
    case PROP_JITTER:
      ladle_retry_policy_set_jitter (self, g_value_get_double (value));
      break;
    case PROP_RETRIED_ERRORS:
      ladle_retry_policy_set_retried_errors (self, g_value_get_flags (value));
      break;
    case PROP_RETRY_NON_IDEMPOTENT:
      ladle_retry_policy_set_retry_non_idempotent (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_retry_policy_class_init (LadleRetryPolicyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ladle_retry_policy_finalize;
  object_class->get_property = ladle_retry_policy_get_property;
  object_class->set_property = ladle_retry_policy_set_property;

  /**
   * LadleRetryPolicy:max-attempts:
   *
   * How many attempts a task makes at most, the first included: 1 never retries. The default
   * is 4.
   *
   * Since: 0.2
   */
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL,
                       1, 1000, DEFAULT_MAX_ATTEMPTS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleRetryPolicy:initial-delay:
   *
   * The milliseconds before the first retry. The default is 1000.
   *
   * Since: 0.2
   */
  properties[PROP_INITIAL_DELAY] =
    g_param_spec_uint ("initial-delay", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_INITIAL_DELAY,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleRetryPolicy:multiplier:
   *
   * What each further retry multiplies the delay by (1 keeps it constant). The default is 2.
   *
   * Since: 0.2
   */
  properties[PROP_MULTIPLIER] =
    g_param_spec_double ("multiplier", NULL, NULL,
                         1.0, 100.0, DEFAULT_MULTIPLIER,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleRetryPolicy:max-delay:
   *
   * The longest delay in milliseconds, a server's `Retry-After` included. The default is 30000.
   *
   * Since: 0.2
   */
  properties[PROP_MAX_DELAY] =
    g_param_spec_uint ("max-delay", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_MAX_DELAY,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleRetryPolicy:jitter:
   *
   * The fraction (0 to 1) by which each computed delay varies at random, up or down, so that
   * clients that failed together do not retry together. The default is 0.1. A `Retry-After`
   * delay is kept as the server asked.
   *
   * Since: 0.2
   */
  properties[PROP_JITTER] =
    g_param_spec_double ("jitter", NULL, NULL,
                         0.0, 1.0, DEFAULT_JITTER,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleRetryPolicy:retried-errors:
   *
   * The failures that are retried. The default is a lost connection and a timeout.
   *
   * Since: 0.2
   */
  properties[PROP_RETRIED_ERRORS] =
    g_param_spec_flags ("retried-errors", NULL, NULL,
                        LADLE_TYPE_RETRY_ERRORS, DEFAULT_ERRORS,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleRetryPolicy:retry-non-idempotent:
   *
   * Whether requests whose method is not idempotent (POST, PATCH, …) are retried too. The
   * default is false: the server may have acted on the first attempt.
   *
   * Since: 0.2
   */
  properties[PROP_RETRY_NON_IDEMPOTENT] =
    g_param_spec_boolean ("retry-non-idempotent", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ladle_retry_policy_init (LadleRetryPolicy *self)
{
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->initial_delay = DEFAULT_INITIAL_DELAY;
  self->multiplier = DEFAULT_MULTIPLIER;
  self->max_delay = DEFAULT_MAX_DELAY;
  self->jitter = DEFAULT_JITTER;
  self->errors = DEFAULT_ERRORS;
  self->statuses = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_vals (self->statuses, default_statuses, G_N_ELEMENTS (default_statuses));
}

/**
 * ladle_retry_policy_new:
 *
 * A policy with the defaults: 4 attempts, 1 s then doubling up to 30 s, 10 % jitter; 408, 429,
 * 500, 502, 503, 504, lost connections and timeouts; idempotent methods only.
 *
 * Returns: (transfer full): a new retry policy
 *
 * Since: 0.2
 */
LadleRetryPolicy *
ladle_retry_policy_new (void)
{
  return g_object_new (LADLE_TYPE_RETRY_POLICY, NULL);
}

/**
 * ladle_retry_policy_new_backoff:
 * @max_attempts: the attempts at most, the first included (at least 1)
 * @initial_delay: milliseconds before the first retry
 * @max_delay: the longest delay, in milliseconds
 *
 * A policy with the defaults but these three settings.
 *
 * Returns: (transfer full): a new retry policy
 *
 * Since: 0.2
 */
LadleRetryPolicy *
ladle_retry_policy_new_backoff (guint max_attempts,
                                guint initial_delay,
                                guint max_delay)
{
  g_return_val_if_fail (max_attempts >= 1, NULL);

  return g_object_new (LADLE_TYPE_RETRY_POLICY,
                       "max-attempts", max_attempts,
                       "initial-delay", initial_delay,
                       "max-delay", max_delay,
                       NULL);
}

/**
 * ladle_retry_policy_copy:
 * @self: a retry policy
 *
 * Returns: (transfer full): a new policy with the settings of @self
 *
 * Since: 0.2
 */
LadleRetryPolicy *
ladle_retry_policy_copy (LadleRetryPolicy *self)
{
  LadleRetryPolicy *copy;

  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), NULL);

  copy = g_object_new (LADLE_TYPE_RETRY_POLICY,
                       "max-attempts", self->max_attempts,
                       "initial-delay", self->initial_delay,
                       "multiplier", self->multiplier,
                       "max-delay", self->max_delay,
                       "jitter", self->jitter,
                       "retried-errors", self->errors,
                       "retry-non-idempotent", self->retry_non_idempotent,
                       NULL);
  ladle_retry_policy_set_retried_statuses (copy, (const guint *)(gpointer)self->statuses->data,
                                           self->statuses->len);

  return copy;
}

/**
 * ladle_retry_policy_get_max_attempts:
 * @self: a retry policy
 *
 * Returns: [property@Ladle.RetryPolicy:max-attempts]
 *
 * Since: 0.2
 */
guint
ladle_retry_policy_get_max_attempts (LadleRetryPolicy *self)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), 0);

  return self->max_attempts;
}

/**
 * ladle_retry_policy_set_max_attempts:
 * @self: a retry policy
 * @max_attempts: the new value
 *
 * Sets [property@Ladle.RetryPolicy:max-attempts].
 *
 * Since: 0.2
 */
void
ladle_retry_policy_set_max_attempts (LadleRetryPolicy *self,
                                     guint             max_attempts)
{
  g_return_if_fail (LADLE_IS_RETRY_POLICY (self));
  g_return_if_fail (max_attempts >= 1);

  if (self->max_attempts == max_attempts)
    return;
  self->max_attempts = max_attempts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_ATTEMPTS]);
}

/**
 * ladle_retry_policy_get_initial_delay:
 * @self: a retry policy
 *
 * Returns: [property@Ladle.RetryPolicy:initial-delay]
 *
 * Since: 0.2
 */
guint
ladle_retry_policy_get_initial_delay (LadleRetryPolicy *self)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), 0);

  return self->initial_delay;
}

/**
 * ladle_retry_policy_set_initial_delay:
 * @self: a retry policy
 * @initial_delay: the new value
 *
 * Sets [property@Ladle.RetryPolicy:initial-delay].
 *
 * Since: 0.2
 */
void
ladle_retry_policy_set_initial_delay (LadleRetryPolicy *self,
                                      guint             initial_delay)
{
  g_return_if_fail (LADLE_IS_RETRY_POLICY (self));

  if (self->initial_delay == initial_delay)
    return;
  self->initial_delay = initial_delay;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INITIAL_DELAY]);
}

/**
 * ladle_retry_policy_get_multiplier:
 * @self: a retry policy
 *
 * Returns: [property@Ladle.RetryPolicy:multiplier]
 *
 * Since: 0.2
 */
double
ladle_retry_policy_get_multiplier (LadleRetryPolicy *self)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), 1.0);

  return self->multiplier;
}

/**
 * ladle_retry_policy_set_multiplier:
 * @self: a retry policy
 * @multiplier: the new value
 *
 * Sets [property@Ladle.RetryPolicy:multiplier].
 *
 * Since: 0.2
 */
void
ladle_retry_policy_set_multiplier (LadleRetryPolicy *self,
                                   double            multiplier)
{
  g_return_if_fail (LADLE_IS_RETRY_POLICY (self));
  g_return_if_fail (multiplier >= 1.0 && multiplier <= 100.0);

  if (self->multiplier == multiplier)
    return;
  self->multiplier = multiplier;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MULTIPLIER]);
}

/**
 * ladle_retry_policy_get_max_delay:
 * @self: a retry policy
 *
 * Returns: [property@Ladle.RetryPolicy:max-delay]
 *
 * Since: 0.2
 */
guint
ladle_retry_policy_get_max_delay (LadleRetryPolicy *self)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), 0);

  return self->max_delay;
}

/**
 * ladle_retry_policy_set_max_delay:
 * @self: a retry policy
 * @max_delay: the new value
 *
 * Sets [property@Ladle.RetryPolicy:max-delay].
 *
 * Since: 0.2
 */
void
ladle_retry_policy_set_max_delay (LadleRetryPolicy *self,
                                  guint             max_delay)
{
  g_return_if_fail (LADLE_IS_RETRY_POLICY (self));

  if (self->max_delay == max_delay)
    return;
  self->max_delay = max_delay;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_DELAY]);
}

/**
 * ladle_retry_policy_get_jitter:
 * @self: a retry policy
 *
 * Returns: [property@Ladle.RetryPolicy:jitter]
 *
 * Since: 0.2
 */
double
ladle_retry_policy_get_jitter (LadleRetryPolicy *self)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), 0.0);

  return self->jitter;
}

/**
 * ladle_retry_policy_set_jitter:
 * @self: a retry policy
 * @jitter: the new value
 *
 * Sets [property@Ladle.RetryPolicy:jitter].
 *
 * Since: 0.2
 */
void
ladle_retry_policy_set_jitter (LadleRetryPolicy *self,
                               double            jitter)
{
  g_return_if_fail (LADLE_IS_RETRY_POLICY (self));
  g_return_if_fail (jitter >= 0.0 && jitter <= 1.0);

  if (self->jitter == jitter)
    return;
  self->jitter = jitter;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JITTER]);
}

/**
 * ladle_retry_policy_get_retried_errors:
 * @self: a retry policy
 *
 * Returns: [property@Ladle.RetryPolicy:retried-errors]
 *
 * Since: 0.2
 */
LadleRetryErrors
ladle_retry_policy_get_retried_errors (LadleRetryPolicy *self)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), 0);

  return self->errors;
}

/**
 * ladle_retry_policy_set_retried_errors:
 * @self: a retry policy
 * @errors: the new value
 *
 * Sets [property@Ladle.RetryPolicy:retried-errors].
 *
 * Since: 0.2
 */
void
ladle_retry_policy_set_retried_errors (LadleRetryPolicy *self,
                                       LadleRetryErrors  errors)
{
  g_return_if_fail (LADLE_IS_RETRY_POLICY (self));

  if (self->errors == errors)
    return;
  self->errors = errors;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRIED_ERRORS]);
}

/**
 * ladle_retry_policy_get_retry_non_idempotent:
 * @self: a retry policy
 *
 * Returns: [property@Ladle.RetryPolicy:retry-non-idempotent]
 *
 * Since: 0.2
 */
gboolean
ladle_retry_policy_get_retry_non_idempotent (LadleRetryPolicy *self)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), FALSE);

  return self->retry_non_idempotent;
}

/**
 * ladle_retry_policy_set_retry_non_idempotent:
 * @self: a retry policy
 * @retry: the new value
 *
 * Sets [property@Ladle.RetryPolicy:retry-non-idempotent].
 *
 * Since: 0.2
 */
void
ladle_retry_policy_set_retry_non_idempotent (LadleRetryPolicy *self,
                                             gboolean          retry)
{
  g_return_if_fail (LADLE_IS_RETRY_POLICY (self));

  retry = !!retry;
  if (self->retry_non_idempotent == retry)
    return;
  self->retry_non_idempotent = retry;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_NON_IDEMPOTENT]);
}

/**
 * ladle_retry_policy_dup_retried_statuses:
 * @self: a retry policy
 * @n_statuses: (out): where to store the number of statuses
 *
 * Returns: (transfer full) (array length=n_statuses): the HTTP statuses that are retried
 *
 * Since: 0.2
 */
guint *
ladle_retry_policy_dup_retried_statuses (LadleRetryPolicy *self,
                                         gsize            *n_statuses)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), NULL);
  g_return_val_if_fail (n_statuses != NULL, NULL);

  *n_statuses = self->statuses->len;

  return g_memdup2 (self->statuses->data, MAX (1u, self->statuses->len) * sizeof (guint));
}

/**
 * ladle_retry_policy_set_retried_statuses:
 * @self: a retry policy
 * @statuses: (array length=n_statuses) (nullable): the HTTP statuses to retry
 * @n_statuses: how many
 *
 * Replaces the statuses that are retried (none when @n_statuses is 0). Only final statuses
 * (200 to 599) make sense; others are ignored.
 *
 * Since: 0.2
 */
void
ladle_retry_policy_set_retried_statuses (LadleRetryPolicy *self,
                                         const guint      *statuses,
                                         gsize             n_statuses)
{
  g_return_if_fail (LADLE_IS_RETRY_POLICY (self));
  g_return_if_fail (statuses != NULL || n_statuses == 0);

  g_array_set_size (self->statuses, 0);
  for (gsize i = 0; i < n_statuses; i++)
    if (statuses[i] >= 200 && statuses[i] <= 599 && !ladle_retry_policy_retries_status (self, statuses[i]))
      g_array_append_val (self->statuses, statuses[i]);
}

/**
 * ladle_retry_policy_retries_status:
 * @self: a retry policy
 * @status: an HTTP status
 *
 * Returns: whether @status is one of the retried statuses
 *
 * Since: 0.2
 */
gboolean
ladle_retry_policy_retries_status (LadleRetryPolicy *self,
                                   guint             status)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), FALSE);

  for (guint i = 0; i < self->statuses->len; i++)
    if (g_array_index (self->statuses, guint, i) == status)
      return TRUE;

  return FALSE;
}

static gboolean
next_delay (LadleRetryPolicy   *self,
            guint               attempt,
            const char         *method,
            guint               status,
            const GError       *error,
            SoupMessageHeaders *response_headers,
            guint              *delay_ms)
{
  LadleRetryRules rules = {
    .max_attempts = self->max_attempts,
    .initial_delay = self->initial_delay,
    .multiplier = self->multiplier,
    .max_delay = self->max_delay,
    .jitter = self->jitter,
    .statuses = (const guint *)(gpointer)self->statuses->data,
    .n_statuses = self->statuses->len,
    .errors = self->errors,
    .retry_non_idempotent = self->retry_non_idempotent,
  };

  return _ladle_retry_rules_next_delay (&rules, attempt, method, status, error, response_headers,
                                        g_get_real_time () / G_USEC_PER_SEC, g_random_double (),
                                        delay_ms);
}

/**
 * ladle_retry_policy_next_delay_for_status:
 * @self: a retry policy
 * @attempt: the attempt that answered, 1 for the first
 * @method: the request's method
 * @status: the response's status
 * @response_headers: (nullable): the response's headers, for `Retry-After`
 * @delay_ms: (out) (optional): where to store the delay before the next attempt, in milliseconds
 *
 * The decision the policy makes after an attempt that answered @status, with no side effect:
 * whether attempt @attempt + 1 is made, and after how long. The jitter makes the delay vary from
 * call to call; a `Retry-After` delay does not.
 *
 * Returns: whether the attempt is retried
 *
 * Since: 0.2
 */
gboolean
ladle_retry_policy_next_delay_for_status (LadleRetryPolicy   *self,
                                          guint               attempt,
                                          const char         *method,
                                          guint               status,
                                          SoupMessageHeaders *response_headers,
                                          guint              *delay_ms)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), FALSE);
  g_return_val_if_fail (method != NULL, FALSE);

  return next_delay (self, attempt, method, status, NULL, response_headers, delay_ms);
}

/**
 * ladle_retry_policy_next_delay_for_error:
 * @self: a retry policy
 * @attempt: the attempt that failed, 1 for the first
 * @method: the request's method
 * @failure: how the attempt failed
 * @delay_ms: (out) (optional): where to store the delay before the next attempt, in milliseconds
 *
 * The decision the policy makes after an attempt that failed with @failure, with no side
 * effect: whether attempt @attempt + 1 is made, and after how long.
 *
 * Returns: whether the attempt is retried
 *
 * Since: 0.2
 */
gboolean
ladle_retry_policy_next_delay_for_error (LadleRetryPolicy *self,
                                         guint             attempt,
                                         const char       *method,
                                         const GError     *failure,
                                         guint            *delay_ms)
{
  g_return_val_if_fail (LADLE_IS_RETRY_POLICY (self), FALSE);
  g_return_val_if_fail (method != NULL, FALSE);
  g_return_val_if_fail (failure != NULL, FALSE);

  return next_delay (self, attempt, method, 0, failure, NULL, delay_ms);
}
