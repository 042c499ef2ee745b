/* ladle-session-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-download-task.h"
#include "ladle-session.h"
#include "ladle-task.h"
#include "ladle-tls-trust-private.h"

G_BEGIN_DECLS

/*
 * The one interface tasks use to talk to their session. The session owns admission (it
 * starts tasks with _ladle_task_start() when they may run), the delegate signals and the
 * list of unfinished tasks; tasks never reach into each other.
 */
GMainContext      *_ladle_session_get_context                  (LadleSession         *self);
LadleTlsTrust     *_ladle_session_get_tls_trust                (LadleSession         *self);
LadleSessionConfiguration *_ladle_session_get_configuration   (LadleSession         *self);
void               _ladle_session_admit                        (LadleSession         *self,
                                                                LadleTask            *task);
void               _ladle_session_prepare_message              (LadleSession         *self,
                                                                SoupMessage          *message,
                                                                GUri                 *first_uri);
void               _ladle_session_send_message                 (LadleSession         *self,
                                                                LadleTask            *task,
                                                                SoupMessage          *message,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
void               _ladle_session_remove_sensitive_headers     (LadleSession         *self,
                                                                SoupMessage          *message);
char             **_ladle_session_dup_sensitive_headers        (LadleSession         *self);
gboolean           _ladle_session_delegate_authenticate        (LadleSession         *self,
                                                                LadleTask            *task,
                                                                SoupAuth             *auth,
                                                                gboolean              retrying);
gboolean           _ladle_session_delegate_accept_certificate  (LadleSession         *self,
                                                                LadleTask            *task,
                                                                GTlsCertificate      *certificate,
                                                                GTlsCertificateFlags  errors);
void               _ladle_session_delegate_download_finished   (LadleSession         *self,
                                                                LadleDownloadTask    *task,
                                                                GFile                *location);
LadleDownloadTask *_ladle_session_adopt_download               (LadleSession         *self,
                                                                SoupMessage          *message);
void               _ladle_session_task_completed               (LadleSession         *self,
                                                                LadleTask            *task,
                                                                const GError         *error);

/* For the task factories */
void               _ladle_session_add_task                     (LadleSession         *self,
                                                                LadleTask            *task,
                                                                SoupMessage          *request,
                                                                GError               *error);
SoupMessage       *_ladle_session_parse_uri                    (const char           *uri,
                                                                GError              **error);

/* Background sessions (ladle-session-background.c) */
typedef struct _LadleBackground LadleBackground;

LadleBackground   *_ladle_session_get_background               (LadleSession         *self);
void               _ladle_session_add_restored_task            (LadleSession         *self,
                                                                LadleTask            *task,
                                                                SoupMessage          *request,
                                                                guint64               identifier);
void               _ladle_session_deliver_restored             (LadleSession         *self,
                                                                LadleTask            *task,
                                                                GFile                *location,
                                                                const GError         *error);
void               _ladle_session_emit_background_events_finished (LadleSession      *self);

/* The transfer service (ladle-session-remote.c) */
void               _ladle_session_set_partial_directory        (LadleSession         *self,
                                                                GFile                *directory);
gboolean           _ladle_session_remote_cancel_producing_resume_data (LadleSession  *self,
                                                                LadleDownloadTask    *task);
void               _ladle_session_remote_resumed               (LadleSession         *self,
                                                                LadleTask            *task);

G_END_DECLS
