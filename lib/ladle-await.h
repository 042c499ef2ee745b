/* ladle-await.h
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

#include "ladle-download-task.h"
#include "ladle-session.h"
#include "ladle-task.h"
#include "ladle-version-macros.h"

G_BEGIN_DECLS

LADLE_AVAILABLE_IN_0_2
void          ladle_task_wait_async               (LadleTask              *self,
                                                   GCancellable           *cancellable,
                                                   GAsyncReadyCallback     callback,
                                                   gpointer                user_data);
LADLE_AVAILABLE_IN_0_2
gboolean      ladle_task_wait_finish              (LadleTask              *self,
                                                   GAsyncResult           *result,
                                                   GError                **error);

LADLE_AVAILABLE_IN_0_2
void          ladle_session_send_and_read_async   (LadleSession           *self,
                                                   SoupMessage            *request,
                                                   int                     io_priority,
                                                   GCancellable           *cancellable,
                                                   GAsyncReadyCallback     callback,
                                                   gpointer                user_data);
LADLE_AVAILABLE_IN_0_2
GBytes       *ladle_session_send_and_read_finish  (LadleSession           *self,
                                                   GAsyncResult           *result,
                                                   GError                **error);
LADLE_AVAILABLE_IN_0_2
void          ladle_session_download_async        (LadleSession           *self,
                                                   SoupMessage            *request,
                                                   GFile                  *destination,
                                                   LadleDestinationFlags   flags,
                                                   int                     io_priority,
                                                   GCancellable           *cancellable,
                                                   GAsyncReadyCallback     callback,
                                                   gpointer                user_data);
LADLE_AVAILABLE_IN_0_2
GFile        *ladle_session_download_finish       (LadleSession           *self,
                                                   GAsyncResult           *result,
                                                   GError                **error);
LADLE_AVAILABLE_IN_0_2
LadleTask    *ladle_session_dup_task_for_request  (LadleSession           *self,
                                                   SoupMessage            *request);

G_END_DECLS
