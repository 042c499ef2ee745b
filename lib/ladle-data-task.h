/* ladle-data-task.h
 *
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
G_DECLARE_DERIVABLE_TYPE (LadleDataTask, ladle_data_task, LADLE, DATA_TASK, LadleTask)

/**
 * LadleDataTaskClass:
 * @parent_class: the parent class
 * @data_received: class handler of [signal@Ladle.DataTask::data-received]
 *
 * The class of [class@Ladle.DataTask].
 */
struct _LadleDataTaskClass
{
  LadleTaskClass parent_class;

  void (*data_received) (LadleDataTask *self,
                         GBytes        *chunk);

  /*< private >*/
  gpointer _reserved[8];
};

LADLE_AVAILABLE_IN_ALL
gboolean  ladle_data_task_get_accumulate (LadleDataTask *self);
LADLE_AVAILABLE_IN_ALL
void      ladle_data_task_set_accumulate (LadleDataTask *self,
                                          gboolean       accumulate);
LADLE_AVAILABLE_IN_ALL
GBytes   *ladle_data_task_dup_body       (LadleDataTask *self);

G_END_DECLS
