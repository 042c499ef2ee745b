/* ladle-upload-task-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-upload-task.h"

G_BEGIN_DECLS

LadleUploadTask *_ladle_upload_task_new (SoupMessage         *request,
                                         LadleUploadBodyKind  kind,
                                         GBytes              *bytes,
                                         GFile               *file,
                                         LadleMultipartForm  *form);

LadleMultipartForm *_ladle_upload_task_get_form (LadleUploadTask *self);

G_END_DECLS
