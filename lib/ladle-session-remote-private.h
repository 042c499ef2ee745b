/* ladle-session-remote-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-download-task.h"
#include "ladle-session.h"
#include "ladle-task.h"

G_BEGIN_DECLS

/* A session whose tasks run in the transfer service (ladle-session-remote.c). Owned by the
 * session. */
typedef struct _LadleRemote LadleRemote;

LadleRemote  *_ladle_remote_new                          (LadleSession              *session,
                                                          LadleSessionConfiguration *configuration);
void          _ladle_remote_free                         (LadleRemote               *self);
void          _ladle_remote_attach                       (LadleRemote               *self,
                                                          GCancellable              *cancellable,
                                                          gboolean                   warn);
const GError *_ladle_remote_get_error                    (LadleRemote               *self);
guint64       _ladle_remote_take_identifier              (LadleRemote               *self);
void          _ladle_remote_track                        (LadleRemote               *self,
                                                          LadleTask                 *task);
gboolean      _ladle_remote_admit                        (LadleRemote               *self,
                                                          LadleTask                 *task);
void          _ladle_remote_resumed                      (LadleRemote               *self,
                                                          LadleTask                 *task);
void          _ladle_remote_delivered                    (LadleRemote               *self,
                                                          LadleTask                 *task);
void          _ladle_remote_invalidate                   (LadleRemote               *self,
                                                          gboolean                   cancel);
gboolean      _ladle_remote_cancel_producing_resume_data (LadleRemote               *self,
                                                          LadleDownloadTask         *task);

G_END_DECLS
