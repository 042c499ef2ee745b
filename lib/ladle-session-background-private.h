/* ladle-session-background-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ladle-session.h"
#include "ladle-background-store-private.h"
#include "ladle-task.h"

G_BEGIN_DECLS

/* What a background session adds to a session: its store, its restored tasks and their
 * undelivered completions (ladle-session-background.c). Owned by the session. */
#include "ladle-session-private.h"

LadleBackground *_ladle_background_new                     (LadleSession               *session,
                                                            LadleSessionConfiguration  *configuration);
void             _ladle_background_free                    (LadleBackground            *self);
GFile           *_ladle_background_get_partial_directory   (LadleBackground            *self);
guint64          _ladle_background_take_identifier         (LadleBackground            *self);
GError          *_ladle_background_check_task              (LadleBackground            *self,
                                                            LadleTask                  *task);
void             _ladle_background_track                   (LadleBackground            *self,
                                                            LadleTask                  *task);
void             _ladle_background_restore                 (LadleBackground            *self);
void             _ladle_background_forget_all              (LadleBackground            *self);

/* Each makes the store say what it records durable, then calls back on the main context. */
void             _ladle_background_admit_async             (LadleBackground            *self,
                                                            LadleTask                  *task,
                                                            GAsyncReadyCallback         callback,
                                                            gpointer                    user_data);
void             _ladle_background_checkpoint_async        (LadleBackground            *self,
                                                            LadleTask                  *task,
                                                            GAsyncReadyCallback         callback,
                                                            gpointer                    user_data);
void             _ladle_background_record_completion_async (LadleBackground            *self,
                                                            LadleTask                  *task,
                                                            const GError               *error,
                                                            GFile                      *location,
                                                            GAsyncReadyCallback         callback,
                                                            gpointer                    user_data);
void             _ladle_background_finish                  (GAsyncResult               *result);
gboolean         _ladle_background_is_recorded_kind        (LadleTask                  *task);
SoupMessage     *_ladle_background_request_of              (LadleTaskRecord            *record);
LadleTask       *_ladle_background_completed_task          (LadleSession               *session,
                                                            LadleStoredCompletion      *completion);
void             _ladle_background_hold_deliveries         (LadleBackground            *self);
void             _ladle_background_acknowledge             (LadleBackground            *self,
                                                            guint64                     identifier);
GVariant        *_ladle_background_dup_completion          (LadleBackground            *self,
                                                            guint64                     identifier);
guint64          _ladle_background_peek_identifier         (LadleBackground            *self);
gboolean         _ladle_background_reserve_identifier      (LadleBackground            *self,
                                                            guint64                     identifier);
void             _ladle_background_delivered               (LadleBackground            *self,
                                                            LadleTask                  *task);

G_END_DECLS
