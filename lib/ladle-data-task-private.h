/* ladle-data-task-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-data-task.h"
#include "ladle-task-private.h"

G_BEGIN_DECLS

const LadleTaskOps *_ladle_data_task_get_ops    (void);
gboolean            _ladle_data_task_body_chunk (LadleTask     *task,
                                                 const guint8  *data,
                                                 gsize          length,
                                                 GError       **error);

G_END_DECLS
