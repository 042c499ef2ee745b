/* ladle-transfer-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-task.h"
#include "ladle-task-record-private.h"

G_BEGIN_DECLS

typedef struct _LadleTransfer LadleTransfer;
typedef struct _LadleBodyBuffer LadleBodyBuffer;


LadleTransfer *_ladle_transfer_new                 (LadleTask       *task,
                                                    LadleTaskRecord *record);
void           _ladle_transfer_free                (LadleTransfer   *self);

void           _ladle_transfer_set_request         (LadleTransfer   *self,
                                                    SoupMessage     *request);
void           _ladle_transfer_sync_record         (LadleTransfer   *self);
SoupMessage   *_ladle_transfer_get_current_request (LadleTransfer   *self);
gboolean       _ladle_transfer_has_response        (LadleTransfer   *self);
GCancellable  *_ladle_transfer_get_cancellable     (LadleTransfer   *self);

/* The application's calls, on the session's context. */
void           _ladle_transfer_resume              (LadleTransfer   *self);
void           _ladle_transfer_cancel              (LadleTransfer   *self);
gboolean       _ladle_transfer_is_finishing        (LadleTransfer   *self);

/* The session admitted the task (or refused it with @refusal, taken). */
void           _ladle_transfer_start               (LadleTransfer   *self,
                                                    GError          *refusal);
void           _ladle_transfer_start_with_response (LadleTransfer   *self,
                                                    SoupMessage     *message,
                                                    GInputStream    *stream);
void           _ladle_transfer_set_remote          (LadleTransfer   *self);
gboolean       _ladle_transfer_is_remote           (LadleTransfer   *self);
void           _ladle_transfer_complete_remote     (LadleTransfer   *self,
                                                    GError          *error);
void           _ladle_transfer_fail_on_start       (LadleTransfer   *self,
                                                    GError          *error);
void           _ladle_transfer_abort               (LadleTransfer   *self,
                                                    GError          *error);
void           _ladle_transfer_set_receive_offset  (LadleTransfer   *self,
                                                    gint64           offset,
                                                    gint64           expected_total);
void           _ladle_transfer_note_sent           (LadleTransfer   *self,
                                                    gsize            n_bytes);
void           _ladle_transfer_pause_for_network   (LadleTransfer   *self);
void           _ladle_transfer_buffer_consumed     (LadleTransfer   *self,
                                                    LadleBodyBuffer *buffer,
                                                    GError          *error);
void           _ladle_transfer_body_spliced        (LadleTransfer   *self,
                                                    GError          *error);
/* Metrics (ladle-metrics-collector.c) */
LadleTaskMetrics *_ladle_transfer_dup_metrics           (LadleTransfer   *self);
void              _ladle_transfer_note_direct_body_sent (LadleTransfer   *self,
                                                         gsize            n_bytes);

G_END_DECLS
