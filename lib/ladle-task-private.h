/* ladle-task-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-task.h"
#include "ladle-splice-body-private.h"
#include "ladle-task-record-private.h"
#include "ladle-transfer-private.h"

G_BEGIN_DECLS

struct _LadleTask
{
  GObject parent_instance;
};

/* A block of the response body, read by the transfer engine and handed to the task kind. */
struct _LadleBodyBuffer
{
  guint8 *data;
  gsize   length;   /* bytes of the body in data */
};

/*
 * The class of every task kind. The transfer engine (ladle-transfer.c) owns the send, redirect,
 * response, body, complete loop; a kind shapes the request and consumes the body through these
 * vfuncs. Every one is optional; a kind that overrides one of its parent's chains up where the
 * parent does work.
 */
struct _LadleTaskClass
{
  GObjectClass parent_class;

  /* Class handlers of the signals */
  LadleResponseDisposition (*response)           (LadleTask            *self,
                                                  SoupMessage          *message);
  gboolean                 (*redirect)           (LadleTask            *self,
                                                  SoupMessage          *new_request);
  gboolean                 (*authenticate)       (LadleTask            *self,
                                                  SoupAuth             *auth,
                                                  gboolean              retrying);
  gboolean                 (*accept_certificate) (LadleTask            *self,
                                                  GTlsCertificate      *certificate,
                                                  GTlsCertificateFlags  errors);
  void                     (*upload_progress)    (LadleTask            *self,
                                                  gint64                sent_now,
                                                  gint64                total_sent,
                                                  gint64                total_expected);
  void                     (*download_progress)  (LadleTask            *self,
                                                  gint64                received_now,
                                                  gint64                total_received,
                                                  gint64                total_expected);
  void                     (*completed)          (LadleTask            *self,
                                                  const GError         *error);

  /* What the task kind is, for its record. */
  LadleTaskKind            kind;
  /* Size of each body read, and how many blocks may be in use at once: more than one lets the
   * next read overlap the kind's consumption of the previous block (a download's disk write). */
  gsize                    read_size;
  guint                    n_buffers;
  /* Reads are gathered into blocks of this size before the kind gets them (0: each read is a
   * block): fewer, larger disk writes for a download. */
  gsize                    block_size;

  /* Once, before the first send; may do I/O off the main context (a resumed download checks
   * its partial file). NULL: nothing to prepare. */
  void                     (*prepare_async)      (LadleTask            *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
  gboolean                 (*prepare_finish)     (LadleTask            *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

  /* Before each send of @message (the first and every redirect hop): the body and the headers
   * the kind needs. */
  gboolean                 (*prepare_message)    (LadleTask            *self,
                                                  SoupMessage          *message,
                                                  GError              **error);
  /* Whether the request body can be produced again for a 307/308 redirect. */
  gboolean                 (*can_resend_body)    (LadleTask            *self);
  /* libsoup restarted @message (an authentication retry) and cleared its body stream. */
  void                     (*message_restarted)  (LadleTask            *self,
                                                  SoupMessage          *message);

  /* ::response returned BECOME_DOWNLOAD. Return TRUE when the body went to another task
   * (which took @stream); FALSE treats the disposition as ALLOW. */
  gboolean                 (*become_download)    (LadleTask            *self,
                                                  SoupMessage          *message,
                                                  GInputStream         *stream);

  /* The final response was accepted; its body follows. A kind that must do I/O first (a
   * download opens its partial file) implements the async pair instead. */
  gboolean                 (*body_begin)         (LadleTask            *self,
                                                  SoupMessage          *message,
                                                  GError              **error);
  void                     (*body_begin_async)   (LadleTask            *self,
                                                  SoupMessage          *message,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
  gboolean                 (*body_begin_finish)  (LadleTask            *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
  /* @buffer holds the next block of the body. The kind gives it back with
   * _ladle_task_buffer_consumed(), at once or later (after a disk write, say). */
  void                     (*body_chunk)         (LadleTask            *self,
                                                  LadleBodyBuffer      *buffer);
  /* The rest of the body, @length bytes, can go from @socket to where the kind keeps it without
   * a user-space copy (ladle-splice-body.c): the kind moves them on its own worker, publishing
   * the bytes moved in @count, stops when @cancellable or @stop is cancelled, then calls
   * _ladle_task_body_spliced(). FALSE: not now, the body is read as usual. NULL: never. */
  gboolean                 (*body_splice)        (LadleTask            *self,
                                                  GSocket              *socket,
                                                  gint64                length,
                                                  GCancellable         *cancellable,
                                                  GCancellable         *stop,
                                                  LadleSpliceCount     *count);
  /* The whole body arrived, was checked, and every block was consumed. NULL: the task
   * completes at once. */
  void                     (*body_end_async)     (LadleTask            *self,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
  gboolean                 (*body_end_finish)    (LadleTask            *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

  /* Last chance before ::completed, which waits for the async pair when it is set (a download
   * removes or closes its partial file); after ::completed and the session's ::task-completed. */
  void                     (*will_complete)      (LadleTask            *self,
                                                  const GError         *error);
  void                     (*will_complete_async)  (LadleTask          *self,
                                                    const GError       *error,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
  void                     (*will_complete_finish) (LadleTask          *self,
                                                    GAsyncResult       *result);
  void                     (*did_complete)       (LadleTask            *self);

  /* Before another attempt (a retry, or a download paused by a metered network): the kind
   * keeps what the next attempt continues from (a download's partial file and validators). */
  void                     (*prepare_retry)      (LadleTask            *self);
};

/* For the session */
void             _ladle_task_setup                      (LadleTask          *self,
                                                         LadleSession       *session,
                                                         SoupMessage        *request,
                                                         guint64             identifier);

/* For the task kinds */
LadleTaskRecord *_ladle_task_get_record                 (LadleTask          *self);
void             _ladle_task_set_receive_offset         (LadleTask          *self,
                                                         gint64              offset,
                                                         gint64              expected_total);
void             _ladle_task_set_bytes_expected_to_send (LadleTask          *self,
                                                         gint64              expected);
void             _ladle_task_add_bytes_sent             (LadleTask          *self,
                                                         gsize               n_bytes);

/* For the transfer engine (ladle-transfer.c) */
LadleTransfer   *_ladle_task_get_transfer               (LadleTask          *self);
LadleSession    *_ladle_task_dup_session                (LadleTask          *self);
LadleSession    *_ladle_task_steal_session_hold         (LadleTask          *self);
void             _ladle_task_set_state                  (LadleTask          *self,
                                                         LadleTaskState      state);
void             _ladle_task_set_wait_reason            (LadleTask          *self,
                                                         LadleTaskWaitReason reason);
/* A completion delivered after a restart has no response: only its recorded status. */
void             _ladle_task_set_restored_status        (LadleTask          *self,
                                                         guint               status);
void             _ladle_task_set_error                  (LadleTask          *self,
                                                         GError             *error);
void             _ladle_task_current_request_changed    (LadleTask          *self);
LadleResponseDisposition _ladle_task_emit_response      (LadleTask          *self,
                                                         SoupMessage        *message);
gboolean         _ladle_task_emit_redirect              (LadleTask          *self,
                                                         SoupMessage        *new_request);
gboolean         _ladle_task_emit_authenticate          (LadleTask          *self,
                                                         SoupAuth           *auth,
                                                         gboolean            retrying);
gboolean         _ladle_task_emit_accept_certificate    (LadleTask          *self,
                                                         GTlsCertificate    *certificate,
                                                         GTlsCertificateFlags errors);
void             _ladle_task_emit_completed             (LadleTask          *self);
void             _ladle_task_emit_metrics_collected     (LadleTask          *self);
void             _ladle_task_report_download_progress   (LadleTask          *self,
                                                         gboolean            final);
void             _ladle_task_report_upload_progress     (LadleTask          *self,
                                                         gboolean            final);
void             _ladle_task_reset_download_progress    (LadleTask          *self,
                                                         gint64              base);
void             _ladle_task_notify_expected_to_receive (LadleTask          *self);

/* Retries and connectivity */
LadleRetryPolicy *_ladle_task_get_retry_policy          (LadleTask          *self);
gboolean         _ladle_task_emit_will_retry            (LadleTask          *self,
                                                         guint               attempt,
                                                         guint               delay_ms,
                                                         const GError       *why);
void             _ladle_task_emit_waiting_for_connectivity (LadleTask       *self);

/* Calls that go straight to the task's transfer engine (ladle-transfer.c) */

/* The session admitted the task (@refusal NULL) or refused it. */
static inline void
_ladle_task_start (LadleTask *self,
                   GError    *refusal)
{
  _ladle_transfer_start (_ladle_task_get_transfer (self), refusal);
}

static inline void
_ladle_task_fail_on_start (LadleTask *self,
                           GError    *error)
{
  _ladle_transfer_fail_on_start (_ladle_task_get_transfer (self), error);
}

static inline void
_ladle_task_start_with_response (LadleTask    *self,
                                 SoupMessage  *message,
                                 GInputStream *stream)
{
  _ladle_transfer_start_with_response (_ladle_task_get_transfer (self), message, stream);
}

static inline GCancellable *
_ladle_task_get_cancellable (LadleTask *self)
{
  return _ladle_transfer_get_cancellable (_ladle_task_get_transfer (self));
}

/* The record with its request brought up to date (the request as it was last sent). */
static inline LadleTaskRecord *
_ladle_task_sync_record (LadleTask *self)
{
  _ladle_transfer_sync_record (_ladle_task_get_transfer (self));

  return _ladle_task_get_record (self);
}

static inline void
_ladle_task_buffer_consumed (LadleTask       *self,
                             LadleBodyBuffer *buffer,
                             GError          *error)
{
  _ladle_transfer_buffer_consumed (_ladle_task_get_transfer (self), buffer, error);
}

/* The kind's splice (body_splice) ended: @error (taken) NULL when it stopped at the peer's
 * close or after every byte asked for. */
static inline void
_ladle_task_body_spliced (LadleTask *self,
                          GError    *error)
{
  _ladle_transfer_body_spliced (_ladle_task_get_transfer (self), error);
}

static inline void
_ladle_task_pause_for_network (LadleTask *self)
{
  _ladle_transfer_pause_for_network (_ladle_task_get_transfer (self));
}

/* Tasks that run in the transfer service (ladle-session-remote.c) */
static inline void
_ladle_task_set_remote (LadleTask *self)
{
  _ladle_transfer_set_remote (_ladle_task_get_transfer (self));
}

static inline gboolean
_ladle_task_is_remote (LadleTask *self)
{
  return _ladle_transfer_is_remote (_ladle_task_get_transfer (self));
}

static inline void
_ladle_task_complete_remote (LadleTask *self,
                             GError    *error)
{
  _ladle_transfer_complete_remote (_ladle_task_get_transfer (self), error);
}

static inline void
_ladle_task_abort (LadleTask *self,
                   GError    *error)
{
  _ladle_transfer_abort (_ladle_task_get_transfer (self), error);
}

G_END_DECLS
