/* ladle-download-task-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-download-task.h"
#include "ladle-resume-data-private.h"

G_BEGIN_DECLS

void     _ladle_download_task_set_partial_directory (LadleDownloadTask  *self,
                                                     GFile              *directory);
/* Takes @data on success. */
gboolean _ladle_download_task_prepare_resume        (LadleDownloadTask  *self,
                                                     LadleTaskRecord    *data,
                                                     GError            **error);

/* Tasks of the transfer service (ladle-session-remote.c) */
void     _ladle_download_task_emit_finished         (LadleDownloadTask  *self,
                                                     GFile              *location);
void     _ladle_download_task_emit_resumed          (LadleDownloadTask  *self,
                                                     gint64              offset,
                                                     gint64              expected_total);
void     _ladle_download_task_set_resume_data       (LadleDownloadTask  *self,
                                                     GBytes             *resume_data);

G_END_DECLS
