/* ladle-session-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-session.h"
#include "ladle-task.h"

G_BEGIN_DECLS

GMainContext *_ladle_session_get_context               (LadleSession         *self);
gboolean      _ladle_session_may_run_task              (LadleSession         *self,
                                                        LadleTask            *task);
void          _ladle_session_prepare_message           (LadleSession         *self,
                                                        SoupMessage          *message);
gboolean      _ladle_session_emit_authenticate         (LadleSession         *self,
                                                        LadleTask            *task,
                                                        SoupAuth             *auth,
                                                        gboolean              retrying);
gboolean      _ladle_session_emit_accept_certificate   (LadleSession         *self,
                                                        LadleTask            *task,
                                                        GTlsCertificate      *certificate,
                                                        GTlsCertificateFlags  errors);
void          _ladle_session_remember_accepted_certificate (LadleSession     *self,
                                                            GUri             *uri);
void          _ladle_session_task_completed            (LadleSession         *self,
                                                        LadleTask            *task,
                                                        const GError         *error);
gboolean      _ladle_session_may_start                 (LadleSession         *self);
void          _ladle_session_wait_for_network          (LadleSession         *self,
                                                        LadleTask            *task);
void          _ladle_session_add_task                  (LadleSession         *self,
                                                        LadleTask            *task,
                                                        SoupMessage          *request,
                                                        GError               *error);
void          _ladle_session_emit_download_finished    (LadleSession         *self,
                                                        LadleDownloadTask    *task,
                                                        GFile                *location);
LadleDownloadTask *_ladle_session_adopt_download       (LadleSession         *self,
                                                        SoupMessage          *message);
SoupMessage  *_ladle_session_parse_uri                 (const char           *uri,
                                                        GError              **error);

G_END_DECLS
