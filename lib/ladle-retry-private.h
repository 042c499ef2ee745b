/* ladle-retry-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ladle-task.h"

G_BEGIN_DECLS

/* The policy that applies to @task: its own, else its session's; NULL: no retries. */
LadleRetryPolicy *_ladle_retry_policy_for_task    (LadleTask     *task,
                                                   LadleSession  *session);
/* Whether attempt @attempt of @task, which sent @message and failed with @error (NULL: it
 * answered a status), is retried, and after how long. */
gboolean          _ladle_retry_decide             (LadleTask     *task,
                                                   LadleSession  *session,
                                                   guint          attempt,
                                                   SoupMessage   *message,
                                                   const GError  *error,
                                                   guint         *delay_ms);
/* Whether @message's status is one @task's policy retries: NULL when not; else the
 * LADLE_ERROR_RETRIED_STATUS error that describes it. */
GError           *_ladle_retry_status_error       (LadleTask     *task,
                                                   LadleSession  *session,
                                                   SoupMessage   *message);
gboolean          _ladle_retry_ask                (LadleTask     *task,
                                                   guint         *attempt,
                                                   SoupMessage   *message,
                                                   const GError  *error,
                                                   guint         *delay_ms);
GSource          *_ladle_retry_timer_new          (GMainContext  *context,
                                                   gint64         delay_us,
                                                   GSourceFunc    callback,
                                                   LadleTask     *task);
/* A new message for the next attempt: the method, URI, headers and flags of @message. */
SoupMessage      *_ladle_retry_copy_message       (SoupMessage   *message);

G_END_DECLS
