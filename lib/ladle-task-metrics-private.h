/* ladle-task-metrics-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-task-metrics.h"

G_BEGIN_DECLS

/* Takes @transactions (a store of LadleTransactionMetrics). @end_time -1: in progress. */
LadleTaskMetrics *_ladle_task_metrics_new (gint64      start_time,
                                           GDateTime  *start_date_time,
                                           gint64      end_time,
                                           guint       redirect_count,
                                           GListStore *transactions);

G_END_DECLS
