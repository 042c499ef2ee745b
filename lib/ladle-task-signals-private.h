/* ladle-task-signals-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-task.h"

G_BEGIN_DECLS

/* The signals of LadleTask (ladle-task-signals.c), for ladle-task.c. The emitters the engine
 * and the task kinds use are declared in ladle-task-private.h. */
void _ladle_task_class_install_signals  (LadleTaskClass *klass);
void _ladle_task_emit_download_progress (LadleTask      *self,
                                         gint64          received_now,
                                         gint64          received,
                                         gint64          expected);
void _ladle_task_emit_upload_progress   (LadleTask      *self,
                                         gint64          sent_now,
                                         gint64          sent,
                                         gint64          expected);
/* ::waiting-for-connectivity; the task emits it once (_ladle_task_emit_waiting_for_connectivity()). */
void _ladle_task_emit_waiting_signal    (LadleTask      *self);

G_END_DECLS
