/* ladle-test-recorder.h: included by ladle-test.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ladle.h>

#include "ladle-test.h"

G_BEGIN_DECLS

/*
 * LadleTestRecorder: connects to every signal of one task (and to the session's signals for that
 * task) and writes down what happened, in order, as one letter per event:
 *
 *   R  LadleTask::response                S  LadleDownloadTask::resumed
 *   D  LadleDataTask::data-received       F  LadleDownloadTask::finished
 *   P  LadleTask::download-progress       W  LadleSession::download-finished for this task
 *   C  LadleTask::completed               T  LadleSession::task-completed for this task
 *
 * and the state trail from notify::state: S suspended, R running, X canceling, C completed.
 */

typedef struct
{
  gint64 received_now;
  gint64 total_received;
  gint64 total_expected;
} LadleTestProgress;

typedef struct
{
  LadleSession             *session;
  LadleTask                *task;

  GString                  *events;
  GString                  *states;
  GByteArray               *data;              /* every data-received chunk, concatenated */
  guint                     n_chunks;
  GArray                   *progress;          /* LadleTestProgress */

  guint                     n_completed;
  guint                     n_task_completed;
  GError                   *error;             /* the error of ::completed */
  GError                   *session_error;     /* the error of ::task-completed */
  LadleTaskState            state_at_completed;
  gboolean                  in_model_at_task_completed;
  gboolean                  completed;          /* ::completed was seen */
  gboolean                  done;               /* ::task-completed was seen */
  gboolean                  signal_on_wrong_thread;
  GThread                  *thread;             /* the thread that must emit every signal */

  /* What to do, set by the test before resuming. */
  LadleResponseDisposition  disposition;        /* returned by the response handler */
  guint                     cancel_on_chunk;    /* cancel inside the N-th data-received, 0 never */
  guint                     suspend_on_chunk;   /* suspend inside the N-th data-received, 0 never */

  /* What was seen inside the response handler. */
  guint                     status_at_response;
  LadleTaskState            state_at_response;
  gboolean                  headers_at_response;
  gboolean                  suspended;          /* suspend_on_chunk fired */

  /* Download tasks */
  guint                     n_resumed;
  gint64                    resumed_offset;
  gint64                    resumed_total;
  guint                     n_finished;
  GFile                    *finished_location;
  char                     *finished_sha256;    /* of the file when ::finished was emitted */
  guint                     finished_mode;      /* its permissions then */
  guint                     finished_dir_mode;  /* and its directory's */
  gboolean                  session_location_matches; /* ::download-finished had that location */
  gint64                    pause_at;           /* > 0: ladle_test_recorder_pause in the
                                                 * download-progress that reaches it */
  GFile                    *move_to;            /* move the file there in ::finished */
  GFile                    *destination;        /* set as destination in ::finished */

  /* ladle_test_recorder_pause: cancel_producing_resume_data */
  gboolean                  pause_requested;
  gboolean                  resume_cb_called;
  GBytes                   *resume_data;
  GError                   *resume_error;
  char                     *events_at_resume_cb;
  LadleTaskState            state_at_resume_cb;

  gulong                    handler_ids[9];
} LadleTestRecorder;

/* @task: a LadleTask */
LadleTestRecorder *ladle_test_recorder_new          (gpointer           task);
void               ladle_test_recorder_free         (LadleTestRecorder *self);
/* Waits for ::task-completed (and for the resume data callback after a pause), then checks the
 * contract: nothing after it, one ::completed, the right thread and state, the errors agree. */
void               ladle_test_recorder_wait         (LadleTestRecorder *self);
/* ladle_download_task_cancel_producing_resume_data_async, recorded in the resume_* fields */
void               ladle_test_recorder_pause        (LadleTestRecorder *self);
void               ladle_test_recorder_wait_for_chunks (LadleTestRecorder *self,
                                                       guint              n_chunks);
/* The events with runs of P squeezed to one P (how many progress events there are depends on
 * timing; that there is at least one, in the right place, does not). */
char              *ladle_test_recorder_dup_squeezed_events (LadleTestRecorder *self);
void               ladle_test_recorder_assert_events (LadleTestRecorder *self,
                                                     const char        *pattern);
void               ladle_test_recorder_assert_progress (LadleTestRecorder *self,
                                                       gint64             expected_total,
                                                       gint64             final_received);
void               ladle_test_recorder_assert_data  (LadleTestRecorder *self,
                                                     gsize              expected_length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleTestRecorder, ladle_test_recorder_free)

/*
 * LadleTestRun: a lighter recorder that runs one task to its completion and writes down what it
 * signalled (every ::response is checked to be that of the task's current request).
 */
typedef struct
{
  LadleTask    *task;
  gboolean      done;
  guint         n_completed;
  guint         n_response;
  guint         n_redirect_notify;  /* notify::current-request */
  GError       *error;
  GBytes       *body;               /* of a data task */
  guint         status;
} LadleTestRun;

LadleTestRun *ladle_test_run_new  (LadleTask    *task);
void          ladle_test_run_wait (LadleTestRun *self);
void          ladle_test_run_free (LadleTestRun *self);
/* new + resume + wait */
LadleTestRun *ladle_test_run      (LadleTask    *task);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleTestRun, ladle_test_run_free)

/* An ephemeral session (nothing written to disk) with the default settings. */
LadleSession *ladle_test_session_new                   (void);
/* ...trusting @database */
LadleSession *ladle_test_session_new_with_tls_database (GTlsDatabase *database);

G_END_DECLS
