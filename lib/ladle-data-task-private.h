/* ladle-data-task-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-data-task.h"
#include "ladle-task-private.h"

G_BEGIN_DECLS

struct _LadleDataTask
{
  LadleTask parent_instance;
};

struct _LadleDataTaskClass
{
  LadleTaskClass parent_class;

  void (*data_received) (LadleDataTask *self,
                         GBytes        *chunk);
};

gboolean _ladle_data_task_emit_will_cache_response (LadleDataTask *self,
                                                    SoupMessage   *message);

G_END_DECLS
