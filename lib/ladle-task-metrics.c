/* ladle-task-metrics.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleTaskMetrics:
 *
 * What a task measured: its interval, its redirects, and one [class@Ladle.TransactionMetrics]
 * per request it sent.
 *
 * It is Apple's `URLSessionTaskMetrics`. A task hands it over with
 * [signal@Ladle.Task::metrics-collected], emitted once just before
 * [signal@Ladle.Task::completed] (also for tasks that failed or were cancelled), and
 * [method@Ladle.Task.dup_metrics] gives it at any time: the final metrics once the task
 * completed, a snapshot of what was measured so far before (with
 * [property@Ladle.TaskMetrics:complete] false and [property@Ladle.TaskMetrics:end-time] -1).
 *
 * The task interval starts when the task is created, as Apple's `taskInterval` does, and ends
 * when it completes. The transactions are in the order the requests were sent: the first
 * request, each redirect hop, each resend after a 401 or 407 challenge (libsoup restarts the
 * same message), each retry. A metrics object never changes once made.
 *
 * Since: 0.2
 */

#include "config.h"

#include "ladle-task-metrics-private.h"

struct _LadleTaskMetrics
{
  GObject     parent_instance;

  gint64      start_time;
  gint64      end_time;
  GDateTime  *start_date_time;
  guint       redirect_count;
  GListStore *transactions;
};

G_DEFINE_FINAL_TYPE (LadleTaskMetrics, ladle_task_metrics, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_START_TIME,
  PROP_END_TIME,
  PROP_DURATION,
  PROP_START_DATE_TIME,
  PROP_COMPLETE,
  PROP_REDIRECT_COUNT,
  PROP_TRANSACTIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

LadleTaskMetrics *
_ladle_task_metrics_new (gint64      start_time,
                         GDateTime  *start_date_time,
                         gint64      end_time,
                         guint       redirect_count,
                         GListStore *transactions)
{
  LadleTaskMetrics *self = g_object_new (LADLE_TYPE_TASK_METRICS, NULL);

  self->start_time = start_time;
  self->start_date_time = g_date_time_ref (start_date_time);
  self->end_time = end_time;
  self->redirect_count = redirect_count;
  g_set_object (&self->transactions, transactions);

  return self;
}

static void
ladle_task_metrics_finalize (GObject *object)
{
  LadleTaskMetrics *self = (LadleTaskMetrics *)object;

  g_clear_pointer (&self->start_date_time, g_date_time_unref);
  g_clear_object (&self->transactions);

  G_OBJECT_CLASS (ladle_task_metrics_parent_class)->finalize (object);
}

static void
ladle_task_metrics_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  LadleTaskMetrics *self = LADLE_TASK_METRICS (object);

  switch (prop_id)
    {
    case PROP_START_TIME:
      g_value_set_int64 (value, self->start_time);
      break;

    case PROP_END_TIME:
      g_value_set_int64 (value, self->end_time);
      break;

    case PROP_DURATION:
      g_value_set_int64 (value, ladle_task_metrics_get_duration (self));
      break;

    case PROP_START_DATE_TIME:
      g_value_set_boxed (value, self->start_date_time);
      break;

    case PROP_COMPLETE:
      g_value_set_boolean (value, ladle_task_metrics_get_complete (self));
      break;

    case PROP_REDIRECT_COUNT:
      g_value_set_uint (value, self->redirect_count);
      break;

    case PROP_TRANSACTIONS:
      g_value_set_object (value, self->transactions);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_task_metrics_class_init (LadleTaskMetricsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ladle_task_metrics_finalize;
  object_class->get_property = ladle_task_metrics_get_property;

  /**
   * LadleTaskMetrics:start-time: (getter get_start_time)
   *
   * When the task was created, in monotonic microseconds (g_get_monotonic_time()). Apple:
   * `taskInterval.start`.
   *
   * Since: 0.2
   */
  properties[PROP_START_TIME] =
    g_param_spec_int64 ("start-time", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTaskMetrics:end-time: (getter get_end_time)
   *
   * When the task completed, in monotonic microseconds, or -1 for the snapshot of a task that
   * has not completed. Apple: `taskInterval.end`; OkHttp: `callEnd` or `callFailed`.
   *
   * Since: 0.2
   */
  properties[PROP_END_TIME] =
    g_param_spec_int64 ("end-time", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTaskMetrics:duration: (getter get_duration)
   *
   * The task interval in microseconds, or -1 while the task runs. Apple:
   * `taskInterval.duration`.
   *
   * Since: 0.2
   */
  properties[PROP_DURATION] =
    g_param_spec_int64 ("duration", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTaskMetrics:start-date-time: (getter get_start_date_time)
   *
   * When the task was created, on the wall clock (local time zone).
   *
   * Since: 0.2
   */
  properties[PROP_START_DATE_TIME] =
    g_param_spec_boxed ("start-date-time", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTaskMetrics:complete: (getter get_complete)
   *
   * Whether these are the final metrics of a completed task (true), or a snapshot taken while
   * it runs (false).
   *
   * Since: 0.2
   */
  properties[PROP_COMPLETE] =
    g_param_spec_boolean ("complete", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTaskMetrics:redirect-count: (getter get_redirect_count)
   *
   * How many redirects the task followed. Apple: `redirectCount`.
   *
   * Since: 0.2
   */
  properties[PROP_REDIRECT_COUNT] =
    g_param_spec_uint ("redirect-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTaskMetrics:transactions: (getter get_transactions)
   *
   * One [class@Ladle.TransactionMetrics] per request sent, in order. Apple:
   * `transactionMetrics`.
   *
   * Since: 0.2
   */
  properties[PROP_TRANSACTIONS] =
    g_param_spec_object ("transactions", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ladle_task_metrics_init (LadleTaskMetrics *self)
{
  self->start_time = -1;
  self->end_time = -1;
  self->transactions = g_list_store_new (LADLE_TYPE_TRANSACTION_METRICS);
}

/**
 * ladle_task_metrics_get_start_time:
 * @self: a task's metrics
 *
 * Gets [property@Ladle.TaskMetrics:start-time].
 *
 * Returns: when the task was created, in monotonic microseconds
 *
 * Since: 0.2
 */
gint64
ladle_task_metrics_get_start_time (LadleTaskMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), -1);

  return self->start_time;
}

/**
 * ladle_task_metrics_get_end_time:
 * @self: a task's metrics
 *
 * Gets [property@Ladle.TaskMetrics:end-time].
 *
 * Returns: when the task completed, in monotonic microseconds, or -1
 *
 * Since: 0.2
 */
gint64
ladle_task_metrics_get_end_time (LadleTaskMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), -1);

  return self->end_time;
}

/**
 * ladle_task_metrics_get_duration:
 * @self: a task's metrics
 *
 * Gets [property@Ladle.TaskMetrics:duration].
 *
 * Returns: the task interval in microseconds, or -1 while the task runs
 *
 * Since: 0.2
 */
gint64
ladle_task_metrics_get_duration (LadleTaskMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), -1);

  if (self->end_time < 0 || self->start_time < 0)
    return -1;

  return self->end_time - self->start_time;
}

/**
 * ladle_task_metrics_get_start_date_time:
 * @self: a task's metrics
 *
 * Gets [property@Ladle.TaskMetrics:start-date-time].
 *
 * Returns: (transfer none): when the task was created, on the wall clock
 *
 * Since: 0.2
 */
GDateTime *
ladle_task_metrics_get_start_date_time (LadleTaskMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), NULL);

  return self->start_date_time;
}

/**
 * ladle_task_metrics_to_date_time:
 * @self: a task's metrics
 * @monotonic_time: a time of these metrics or of their transactions, in monotonic microseconds
 *
 * Converts a monotonic time of the metrics (such as
 * [property@Ladle.TransactionMetrics:request-start]) into a wall-clock date, as Apple's metrics
 * give them. The conversion uses the offset between the two clocks when the task was created:
 * a change of the system clock since then does not move the result.
 *
 * Returns: (transfer full) (nullable): the date, or %NULL when @monotonic_time is -1
 *
 * Since: 0.2
 */
GDateTime *
ladle_task_metrics_to_date_time (LadleTaskMetrics *self,
                                 gint64            monotonic_time)
{
  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), NULL);

  if (monotonic_time < 0 || self->start_time < 0)
    return NULL;

  return g_date_time_add (self->start_date_time, monotonic_time - self->start_time);
}

/**
 * ladle_task_metrics_get_complete:
 * @self: a task's metrics
 *
 * Gets [property@Ladle.TaskMetrics:complete].
 *
 * Returns: true for the final metrics of a completed task
 *
 * Since: 0.2
 */
gboolean
ladle_task_metrics_get_complete (LadleTaskMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), FALSE);

  return self->end_time >= 0;
}

/**
 * ladle_task_metrics_get_redirect_count:
 * @self: a task's metrics
 *
 * Gets [property@Ladle.TaskMetrics:redirect-count].
 *
 * Returns: how many redirects the task followed
 *
 * Since: 0.2
 */
guint
ladle_task_metrics_get_redirect_count (LadleTaskMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), 0);

  return self->redirect_count;
}

/**
 * ladle_task_metrics_get_transactions:
 * @self: a task's metrics
 *
 * Gets [property@Ladle.TaskMetrics:transactions].
 *
 * Returns: (transfer none): a list model of [class@Ladle.TransactionMetrics], one per request
 *   sent, in order
 *
 * Since: 0.2
 */
GListModel *
ladle_task_metrics_get_transactions (LadleTaskMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), NULL);

  return G_LIST_MODEL (self->transactions);
}

/**
 * ladle_task_metrics_get_n_transactions:
 * @self: a task's metrics
 *
 * Gets how many requests the task sent.
 *
 * Returns: the number of transactions
 *
 * Since: 0.2
 */
guint
ladle_task_metrics_get_n_transactions (LadleTaskMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->transactions));
}

/**
 * ladle_task_metrics_get_transaction:
 * @self: a task's metrics
 * @index: the position of the transaction, from 0
 *
 * Gets the metrics of the @index-th request the task sent.
 *
 * Returns: (transfer none) (nullable): the transaction, or %NULL when @index is past the last
 *
 * Since: 0.2
 */
LadleTransactionMetrics *
ladle_task_metrics_get_transaction (LadleTaskMetrics *self,
                                    guint             index)
{
  g_autoptr(LadleTransactionMetrics) transaction = NULL;

  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), NULL);

  transaction = g_list_model_get_item (G_LIST_MODEL (self->transactions), index);

  /* The store holds it. */
  return transaction;
}

/**
 * ladle_task_metrics_dup_transaction_list:
 * @self: a task's metrics
 *
 * Gets the transactions as an array: a list in Python, an array in JavaScript.
 *
 * Returns: (transfer container) (element-type Ladle.TransactionMetrics): the metrics of each
 *   request the task sent, in order
 *
 * Since: 0.2
 */
GPtrArray *
ladle_task_metrics_dup_transaction_list (LadleTaskMetrics *self)
{
  GListModel *model;
  GPtrArray *list;
  guint n;

  g_return_val_if_fail (LADLE_IS_TASK_METRICS (self), NULL);

  model = G_LIST_MODEL (self->transactions);
  n = g_list_model_get_n_items (model);
  list = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (list, g_list_model_get_item (model, i));

  return list;
}
