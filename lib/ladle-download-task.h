/* ladle-download-task.h
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

/**
 * LadleDestinationFlags:
 * @LADLE_DESTINATION_FLAGS_NONE: fail with %G_IO_ERROR_EXISTS when the destination exists, and
 *   with %G_IO_ERROR_NOT_FOUND when its directory does not
 * @LADLE_DESTINATION_FLAGS_REPLACE: replace an existing destination file, atomically
 * @LADLE_DESTINATION_FLAGS_CREATE_PARENTS: create the destination's missing parent directories
 *
 * How [class@Ladle.DownloadTask] puts the downloaded file at its destination.
 */
typedef enum
{
  LADLE_DESTINATION_FLAGS_NONE           = 0,
  LADLE_DESTINATION_FLAGS_REPLACE        = 1 << 0,
  LADLE_DESTINATION_FLAGS_CREATE_PARENTS = 1 << 1,
} LadleDestinationFlags;

#define LADLE_TYPE_DOWNLOAD_TASK (ladle_download_task_get_type ())

LADLE_AVAILABLE_IN_ALL
LADLE_DECLARE_INTERNAL_TYPE (LadleDownloadTask, ladle_download_task, LADLE, DOWNLOAD_TASK, LadleTask)

LADLE_AVAILABLE_IN_ALL
GFile                 *ladle_download_task_get_destination        (LadleDownloadTask      *self);
LADLE_AVAILABLE_IN_ALL
LadleDestinationFlags  ladle_download_task_get_destination_flags  (LadleDownloadTask      *self);
LADLE_AVAILABLE_IN_ALL
void                   ladle_download_task_set_destination        (LadleDownloadTask      *self,
                                                                   GFile                  *destination,
                                                                   LadleDestinationFlags   flags);
LADLE_AVAILABLE_IN_ALL
char                  *ladle_download_task_dup_suggested_filename (LadleDownloadTask      *self);
LADLE_AVAILABLE_IN_ALL
GBytes                *ladle_download_task_dup_resume_data        (LadleDownloadTask      *self);
LADLE_AVAILABLE_IN_ALL
void                   ladle_download_task_cancel_producing_resume_data_async  (LadleDownloadTask   *self,
                                                                                int                  io_priority,
                                                                                GCancellable        *cancellable,
                                                                                GAsyncReadyCallback  callback,
                                                                                gpointer             user_data);
LADLE_AVAILABLE_IN_ALL
GBytes                *ladle_download_task_cancel_producing_resume_data_finish (LadleDownloadTask   *self,
                                                                                GAsyncResult        *result,
                                                                                GError             **error);

LADLE_AVAILABLE_IN_ALL
char                  *ladle_sanitize_filename                    (const char             *name);

G_END_DECLS
