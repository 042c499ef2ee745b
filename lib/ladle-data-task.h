/* ladle-data-task.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include "ladle-task.h"

G_BEGIN_DECLS

#define LADLE_TYPE_DATA_TASK (ladle_data_task_get_type ())

LADLE_AVAILABLE_IN_ALL
LADLE_DECLARE_INTERNAL_TYPE (LadleDataTask, ladle_data_task, LADLE, DATA_TASK, LadleTask)

LADLE_AVAILABLE_IN_ALL
gboolean  ladle_data_task_get_accumulate (LadleDataTask *self);
LADLE_AVAILABLE_IN_ALL
void      ladle_data_task_set_accumulate (LadleDataTask *self,
                                          gboolean       accumulate);
LADLE_AVAILABLE_IN_ALL
guint64   ladle_data_task_get_max_body_size (LadleDataTask *self);
LADLE_AVAILABLE_IN_ALL
void      ladle_data_task_set_max_body_size (LadleDataTask *self,
                                             guint64        max_body_size);
LADLE_AVAILABLE_IN_ALL
GBytes   *ladle_data_task_dup_body       (LadleDataTask *self);

G_END_DECLS
