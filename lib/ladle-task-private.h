/* ladle-task-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-task.h"

G_BEGIN_DECLS

/*
 * What a task kind adds to the shared state machine of LadleTask. Every hook is optional.
 * The state machine owns the request/redirect/response/body loop; the hooks only shape the
 * message and consume the body.
 */
typedef struct
{
  /* Size of each body read. */
  gsize      read_size;

  /* Called before each send of @message (the first one and every redirect hop): set the
   * request body and any headers the kind needs. */
  gboolean (*prepare_message)   (LadleTask    *task,
                                 SoupMessage  *message,
                                 GError      **error);

  /* Whether the request body can be produced again for a 307/308 redirect. */
  gboolean (*can_resend_body)   (LadleTask    *task);

  /* libsoup restarted @message (an authentication retry) and cleared its body stream. */
  void     (*message_restarted) (LadleTask    *task,
                                 SoupMessage  *message);

  /* The final response was accepted, the body follows. */
  gboolean (*body_begin)        (LadleTask    *task,
                                 SoupMessage  *message,
                                 GError      **error);

  gboolean (*body_chunk)        (LadleTask    *task,
                                 const guint8 *data,
                                 gsize         length,
                                 GError      **error);

  /* The body is complete and checked. When set, it must end with
   * _ladle_task_finish_body(), at once or later. */
  void     (*body_end)          (LadleTask    *task);

  /* ::response returned BECOME_DOWNLOAD; return FALSE to treat it as ALLOW. Takes @stream. */
  gboolean (*become_download)   (LadleTask    *task,
                                 SoupMessage  *message,
                                 GInputStream *stream);

  /* Last chance before ::completed is emitted. */
  void     (*will_complete)     (LadleTask    *task,
                                 const GError *error);

  /* After ::completed and the session's ::task-completed. */
  void     (*did_complete)      (LadleTask    *task);
} LadleTaskOps;

void          _ladle_task_set_ops                 (LadleTask          *self,
                                                   const LadleTaskOps *ops);
void          _ladle_task_setup                   (LadleTask          *self,
                                                   LadleSession       *session,
                                                   SoupMessage        *request,
                                                   guint64             identifier);
void          _ladle_task_fail_on_start           (LadleTask          *self,
                                                   GError             *error);
GCancellable *_ladle_task_get_cancellable         (LadleTask          *self);
void          _ladle_task_set_receive_offset      (LadleTask          *self,
                                                   gint64              offset,
                                                   gint64              expected_total);
void          _ladle_task_set_bytes_expected_to_send (LadleTask       *self,
                                                      gint64           expected);
void          _ladle_task_add_bytes_sent          (LadleTask          *self,
                                                   gsize               n_bytes);
void          _ladle_task_finish_body             (LadleTask          *self,
                                                   GError             *error);
void          _ladle_task_start_with_response     (LadleTask          *self,
                                                   SoupMessage        *message,
                                                   GInputStream       *stream);
void          _ladle_task_abort                   (LadleTask          *self,
                                                   GError             *error);
void          _ladle_task_network_available       (LadleTask          *self);

G_END_DECLS
