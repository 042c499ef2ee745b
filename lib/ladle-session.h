/* ladle-session.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "ladle-session-configuration.h"
#include "ladle-version-macros.h"

G_BEGIN_DECLS

typedef struct _LadleTask         LadleTask;
typedef struct _LadleDataTask     LadleDataTask;
typedef struct _LadleDownloadTask LadleDownloadTask;
typedef struct _LadleUploadTask   LadleUploadTask;
typedef struct _LadleMultipartForm LadleMultipartForm;

#define LADLE_TYPE_SESSION (ladle_session_get_type ())

LADLE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (LadleSession, ladle_session, LADLE, SESSION, GObject)

LADLE_AVAILABLE_IN_ALL
LadleSession              *ladle_session_new                          (LadleSessionConfiguration *configuration);
LADLE_AVAILABLE_IN_0_2
LadleSession              *ladle_session_new_sync                     (LadleSessionConfiguration *configuration,
                                                                       GCancellable              *cancellable,
                                                                       GError                   **error);
LADLE_AVAILABLE_IN_ALL
LadleSessionConfiguration *ladle_session_dup_configuration            (LadleSession              *self);
LADLE_AVAILABLE_IN_ALL
SoupSession               *ladle_session_get_soup_session             (LadleSession              *self);
LADLE_AVAILABLE_IN_ALL
gboolean                   ladle_session_is_invalidated               (LadleSession              *self);
LADLE_AVAILABLE_IN_ALL
LadleDataTask             *ladle_session_create_data_task             (LadleSession              *self,
                                                                       SoupMessage               *request);
LADLE_AVAILABLE_IN_ALL
LadleDataTask             *ladle_session_create_data_task_for_uri     (LadleSession              *self,
                                                                       const char                *uri);
LADLE_AVAILABLE_IN_ALL
LadleUploadTask           *ladle_session_create_upload_task_from_bytes (LadleSession             *self,
                                                                        SoupMessage              *request,
                                                                        GBytes                   *body);
LADLE_AVAILABLE_IN_ALL
LadleUploadTask           *ladle_session_create_upload_task_from_file  (LadleSession             *self,
                                                                        SoupMessage              *request,
                                                                        GFile                    *file);
LADLE_AVAILABLE_IN_ALL
LadleUploadTask           *ladle_session_create_upload_task_streamed   (LadleSession             *self,
                                                                        SoupMessage              *request);
LADLE_AVAILABLE_IN_ALL
LadleUploadTask           *ladle_session_create_upload_task_from_form  (LadleSession             *self,
                                                                        SoupMessage              *request,
                                                                        LadleMultipartForm       *form);
LADLE_AVAILABLE_IN_ALL
LadleDownloadTask         *ladle_session_create_download_task         (LadleSession              *self,
                                                                       SoupMessage               *request);
LADLE_AVAILABLE_IN_ALL
LadleDownloadTask         *ladle_session_create_download_task_for_uri (LadleSession              *self,
                                                                       const char                *uri);
LADLE_AVAILABLE_IN_ALL
LadleDownloadTask         *ladle_session_create_download_task_from_resume_data (LadleSession     *self,
                                                                                GBytes           *resume_data,
                                                                                GError          **error);
LADLE_AVAILABLE_IN_ALL
LadleDownloadTask *ladle_session_create_download_task_from_resume_data_with_request (LadleSession  *self,
                                                                                      GBytes        *resume_data,
                                                                                      SoupMessage   *request,
                                                                                      GError       **error);
LADLE_AVAILABLE_IN_ALL
LadleTask                 *ladle_session_get_task_by_identifier       (LadleSession              *self,
                                                                       guint64                    identifier);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_finish_tasks_and_invalidate  (LadleSession              *self);
LADLE_AVAILABLE_IN_ALL
void                       ladle_session_invalidate_and_cancel        (LadleSession              *self);

G_END_DECLS
