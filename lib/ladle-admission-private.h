/* ladle-admission-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-session-configuration.h"
#include "ladle-task.h"

G_BEGIN_DECLS

typedef struct _LadleAdmission LadleAdmission;

/* @tasks: the session's unfinished tasks (borrowed: it outlives the admission). */
LadleAdmission *_ladle_admission_new    (LadleSessionConfiguration *configuration,
                                         GPtrArray                 *tasks,
                                         GMainContext              *context);
void            _ladle_admission_free   (LadleAdmission            *self);
/* Starts @task, keeps it waiting for the network, or refuses it. */
void            _ladle_admission_admit  (LadleAdmission            *self,
                                         LadleTask                 *task);
void            _ladle_admission_forget (LadleAdmission            *self,
                                         LadleTask                 *task);
void            _ladle_admission_clear  (LadleAdmission            *self);

G_END_DECLS
