/* ladle-metrics-collector-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ladle-task-metrics.h"

G_BEGIN_DECLS

/* The metrics of one task (see ladle-metrics-collector.c). */
typedef struct _LadleMetricsCollector LadleMetricsCollector;

LadleMetricsCollector *_ladle_metrics_collector_new              (void);
void                   _ladle_metrics_collector_free             (LadleMetricsCollector *self);
/* The engine is about to send @message (the first send, a redirect hop, a retry). */
void                   _ladle_metrics_collector_will_send        (LadleMetricsCollector *self,
                                                                  SoupMessage           *message);
/* @message was sent by another task (become-download): this task reads its response. */
void                   _ladle_metrics_collector_adopt            (LadleMetricsCollector *self,
                                                                  SoupMessage           *message);
/* Ladle wrote @n_bytes of the current request's body to the connection itself. */
void                   _ladle_metrics_collector_note_body_sent   (LadleMetricsCollector *self,
                                                                  gsize                  n_bytes);
/* Ladle spliced @n_bytes of the current response's body from the connection itself; @end: the
 * body ended with them. */
void                   _ladle_metrics_collector_note_body_received (LadleMetricsCollector *self,
                                                                    gsize                  n_bytes,
                                                                    gboolean               end);
/* The task completes: what was measured is final. */
void                   _ladle_metrics_collector_finish           (LadleMetricsCollector *self,
                                                                  guint                  redirect_count);
/* The final metrics, or a snapshot of the task in progress (transfer full). */
LadleTaskMetrics      *_ladle_metrics_collector_dup              (LadleMetricsCollector *self,
                                                                  guint                  redirect_count);

G_END_DECLS
