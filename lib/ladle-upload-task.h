/* ladle-upload-task.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include "ladle-data-task.h"

G_BEGIN_DECLS

/**
 * LadleUploadBodyKind:
 * @LADLE_UPLOAD_BODY_KIND_BYTES: the body is a #GBytes
 * @LADLE_UPLOAD_BODY_KIND_FILE: the body is streamed from a file
 * @LADLE_UPLOAD_BODY_KIND_STREAMED: the body comes from [signal@Ladle.UploadTask::need-body-stream]
 * @LADLE_UPLOAD_BODY_KIND_FORM: the body is a [class@Ladle.MultipartForm]
 *
 * Where the request body of a [class@Ladle.UploadTask] comes from.
 */
typedef enum
{
  LADLE_UPLOAD_BODY_KIND_BYTES,
  LADLE_UPLOAD_BODY_KIND_FILE,
  LADLE_UPLOAD_BODY_KIND_STREAMED,
  LADLE_UPLOAD_BODY_KIND_FORM,
} LadleUploadBodyKind;

#define LADLE_TYPE_UPLOAD_TASK (ladle_upload_task_get_type ())

LADLE_AVAILABLE_IN_ALL
LADLE_DECLARE_INTERNAL_TYPE (LadleUploadTask, ladle_upload_task, LADLE, UPLOAD_TASK, LadleDataTask)

LADLE_AVAILABLE_IN_ALL
LadleUploadBodyKind  ladle_upload_task_get_body_kind (LadleUploadTask *self);

G_END_DECLS
