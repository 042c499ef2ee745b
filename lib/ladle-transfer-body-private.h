/* ladle-transfer-body-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The state of a transfer, shared by exactly two files: the engine (ladle-transfer.c) and its
 * body reader (ladle-transfer-body.c). Nothing else includes this header; the rest of the
 * library sees LadleTransfer only through ladle-transfer-private.h.
 */

#pragma once

#include "ladle-metrics-collector-private.h"
#include "ladle-request-watch-private.h"
#include "ladle-task-private.h"
#include "ladle-transfer-private.h"
#include "ladle-watchdog-private.h"

G_BEGIN_DECLS

#define MAX_BUFFERS       4

typedef enum
{
  BUFFER_FREE,
  BUFFER_READING,    /* a read into it is in flight */
  BUFFER_FILLING,    /* holds some of a block that later reads complete */
  BUFFER_HELD,       /* a complete block, to be handed to the task kind */
  BUFFER_CONSUMING,  /* handed to the task kind */
} BufferState;

typedef struct
{
  LadleBodyBuffer public;
  BufferState     state;
  gsize           counted;   /* bytes of it already in the task's byte counts */
} Buffer;

struct _LadleTransfer
{
  LadleTask           *task;            /* owns this transfer */
  LadleTaskRecord     *record;          /* the task's */
  SoupMessage         *current_request;
  GCancellable        *cancellable;
  GInputStream        *body_stream;
  gboolean             pollable;        /* the body stream can be read without blocking */

  gboolean             sending;         /* soup_session_send_async() in flight */
  gboolean             preparing;       /* the kind's prepare_async() in flight */
  gboolean             beginning;       /* the kind's body_begin_async() in flight */
  gboolean             dispatching;     /* inside ::response or a block's signals */
  GSource             *continue_source;
  GSource             *completion_source;
  GError              *start_error;     /* delivered when the task starts */
  GError              *abort_error;     /* the task kind failed the request in flight */
  GError              *final_error;     /* completion waits for blocks in use */
  gboolean             completing;

  LadleRequestWatch   *watch;           /* libsoup's signals on the message being sent */
  GUri                *first_uri;       /* of the task's first request: the origin credentials go to */

  LadleWatchdog       *watchdog;        /* the low-speed limit and the total deadline */
  LadleMetricsCollector *metrics;       /* ladle-metrics-collector.c */

  /* The body */
  Buffer               buffers[MAX_BUFFERS];
  guint                n_buffers;
  gsize                read_size;
  gsize                block_size;      /* reads are gathered into blocks of this size */
  guint                next_read;       /* the buffer the next read fills (blocks go in order) */
  guint                next_delivery;
  guint                n_busy;          /* buffers READING or CONSUMING */
  Buffer              *reading;         /* the buffer of the read in flight */
  gsize                read_request;    /* the size that read asked for */
  gboolean             eof;
  gint64               body_received;   /* bytes of this response's body */
  gint64               body_length;     /* the bytes it must have, -1 unknown */
  gint64               framed_length;   /* what the response's framing says (ladle-framing.c) */
  gint64               receive_offset;

  /* The zero-copy body (ladle-splice-body.c): once the kind splices, the body stream is never
   * read again (libsoup's framing would not know where the body ends). */
  GSocket             *splice_socket;   /* the rest of the body may be spliced from it */
  gboolean             splice_ready;    /* libsoup holds none of the body: the rest may be spliced */
  gboolean             spliced;         /* a splice started: the rest goes that way */
  gboolean             splicing;        /* the kind's splice is in flight */
  GCancellable        *splice_stop;     /* stops it when the task is suspended */
  LadleSpliceCount    *splice_count;    /* bytes it moved, as the worker publishes them */
  gint64               splice_counted;  /* of those, the bytes in the task's counts */
  gint64               splice_uncounted; /* moved while suspended: counted when the task goes on */
  GSource             *splice_tick;     /* reports the count on the session's context */

  /* Another attempt (ladle-retry.c): a retry, or a download paused by a metered network */
  guint                attempt;         /* 1 for the first send */
  gboolean             restarting;      /* the interruption in progress ends in restart() */
  gboolean             network_pause;   /* …for a metered network, not a retry */
  gboolean             remote;          /* the task runs in the transfer service: this engine
                                         * only completes it (no send, retry or watchdog) */
  guint                retry_delay;     /* ms */
  GSource             *retry_source;    /* the delay before the next attempt */
  gint64               retry_due;       /* monotonic µs; 0 when no delay is pending */
};

/* The engine (ladle-transfer.c), for the body reader */
gboolean        _ladle_transfer_set_phase         (LadleTransfer  *self,
                                                   LadleTaskPhase  phase);
void            _ladle_transfer_complete          (LadleTransfer  *self,
                                                   GError         *error);
gboolean        _ladle_transfer_check_interrupted (LadleTransfer  *self);
void            _ladle_transfer_finish_completion (LadleTransfer  *self);
GError         *_ladle_transfer_cancelled_error   (void);

/* The body reader (ladle-transfer-body.c), for the engine */
void            _ladle_transfer_begin_body        (LadleTransfer  *self);
void            _ladle_transfer_pump_body         (LadleTransfer  *self);
void            _ladle_transfer_settle            (LadleTransfer  *self);
void            _ladle_transfer_free_idle_buffers (LadleTransfer  *self);
void            _ladle_transfer_clear_splice      (LadleTransfer  *self);
void            _ladle_transfer_count_splice      (LadleTransfer  *self);

/* Short helpers of both files */

static inline LadleTaskClass *
task_class (LadleTransfer *self)
{
  return LADLE_TASK_GET_CLASS (self->task);
}

static inline LadleTaskState
state (LadleTransfer *self)
{
  return self->record->state;
}

G_END_DECLS
