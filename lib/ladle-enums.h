/* ladle-enums.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * LadleTaskState:
 * @LADLE_TASK_STATE_SUSPENDED: the task is not transferring; every task starts here
 * @LADLE_TASK_STATE_RUNNING: the task is sending its request or receiving its response
 * @LADLE_TASK_STATE_CANCELING: the task was cancelled and is about to complete
 * @LADLE_TASK_STATE_COMPLETED: the task emitted [signal@Ladle.Task::completed]; it never changes again
 *
 * The life cycle of a [class@Ladle.Task].
 */
typedef enum
{
  LADLE_TASK_STATE_SUSPENDED,
  LADLE_TASK_STATE_RUNNING,
  LADLE_TASK_STATE_CANCELING,
  LADLE_TASK_STATE_COMPLETED,
} LadleTaskState;

/**
 * LadleTaskWaitReason:
 * @LADLE_TASK_WAIT_REASON_NONE: the task is not waiting for the network: it is suspended,
 *   transferring, or completed
 * @LADLE_TASK_WAIT_REASON_CONNECTIVITY: no usable network, and the session waits for one
 *   ([property@Ladle.SessionConfiguration:waits-for-connectivity])
 * @LADLE_TASK_WAIT_REASON_UNMETERED_NETWORK: the network is metered and the session may not use
 *   it ([property@Ladle.SessionConfiguration:allow-metered] is false); a download paused for it
 *   waits here too
 * @LADLE_TASK_WAIT_REASON_RETRY: the delay before the next attempt of a retry
 *   ([signal@Ladle.Task::will-retry])
 *
 * Why a running task is not transferring, as [property@Ladle.Task:wait-reason] says.
 *
 * Since: 0.2
 */
typedef enum
{
  LADLE_TASK_WAIT_REASON_NONE,
  LADLE_TASK_WAIT_REASON_CONNECTIVITY,
  LADLE_TASK_WAIT_REASON_UNMETERED_NETWORK,
  LADLE_TASK_WAIT_REASON_RETRY,
} LadleTaskWaitReason;

/**
 * LadleResponseDisposition:
 * @LADLE_RESPONSE_DISPOSITION_ALLOW: go on and receive the body
 * @LADLE_RESPONSE_DISPOSITION_CANCEL: cancel the task; it completes with %G_IO_ERROR_CANCELLED
 * @LADLE_RESPONSE_DISPOSITION_BECOME_DOWNLOAD: for a [class@Ladle.DataTask]: the body goes to a new
 *   [class@Ladle.DownloadTask] instead, announced by [signal@Ladle.DataTask::became-download-task]
 *
 * What a [signal@Ladle.Task::response] handler decides to do with a response.
 */
typedef enum
{
  LADLE_RESPONSE_DISPOSITION_ALLOW,
  LADLE_RESPONSE_DISPOSITION_CANCEL,
  LADLE_RESPONSE_DISPOSITION_BECOME_DOWNLOAD,
} LadleResponseDisposition;

/**
 * LadleSessionKind:
 * @LADLE_SESSION_KIND_DEFAULT: cookies and partial downloads are kept on disk in the state directory
 * @LADLE_SESSION_KIND_EPHEMERAL: cookies live in memory only; partial downloads go to a private
 *   temporary directory removed with the session (or to the state directory, when the
 *   application set one)
 * @LADLE_SESSION_KIND_BACKGROUND: transfers that survive a kill, a crash or a restart of the
 *   application: downloads and file or form uploads are recorded in a store and restored by the
 *   next session with the same application id and identifier (see
 *   [ctor@Ladle.SessionConfiguration.new_background])
 *
 * The kind of a [class@Ladle.SessionConfiguration].
 */
typedef enum
{
  LADLE_SESSION_KIND_DEFAULT,
  LADLE_SESSION_KIND_EPHEMERAL,
  LADLE_SESSION_KIND_BACKGROUND,
} LadleSessionKind;

G_END_DECLS
