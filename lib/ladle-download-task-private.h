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

G_END_DECLS
