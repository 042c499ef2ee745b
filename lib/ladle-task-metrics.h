/* ladle-task-metrics.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>

#include "ladle-transaction-metrics.h"
#include "ladle-version-macros.h"

G_BEGIN_DECLS

#define LADLE_TYPE_TASK_METRICS (ladle_task_metrics_get_type ())

LADLE_AVAILABLE_IN_0_2
G_DECLARE_FINAL_TYPE (LadleTaskMetrics, ladle_task_metrics, LADLE, TASK_METRICS, GObject)

LADLE_AVAILABLE_IN_0_2
gint64                   ladle_task_metrics_get_start_time      (LadleTaskMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64                   ladle_task_metrics_get_end_time        (LadleTaskMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64                   ladle_task_metrics_get_duration        (LadleTaskMetrics *self);
LADLE_AVAILABLE_IN_0_2
GDateTime               *ladle_task_metrics_get_start_date_time (LadleTaskMetrics *self);
LADLE_AVAILABLE_IN_0_2
GDateTime               *ladle_task_metrics_to_date_time        (LadleTaskMetrics *self,
                                                                 gint64            monotonic_time);
LADLE_AVAILABLE_IN_0_2
gboolean                 ladle_task_metrics_get_complete        (LadleTaskMetrics *self);
LADLE_AVAILABLE_IN_0_2
guint                    ladle_task_metrics_get_redirect_count  (LadleTaskMetrics *self);
LADLE_AVAILABLE_IN_0_2
GListModel              *ladle_task_metrics_get_transactions    (LadleTaskMetrics *self);
LADLE_AVAILABLE_IN_0_2
guint                    ladle_task_metrics_get_n_transactions  (LadleTaskMetrics *self);
LADLE_AVAILABLE_IN_0_2
LadleTransactionMetrics *ladle_task_metrics_get_transaction     (LadleTaskMetrics *self,
                                                                 guint             index);
LADLE_AVAILABLE_IN_0_2
GPtrArray               *ladle_task_metrics_dup_transaction_list (LadleTaskMetrics *self);

G_END_DECLS
