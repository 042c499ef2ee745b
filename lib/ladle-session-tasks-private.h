/* ladle-session-tasks-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-session.h"

G_BEGIN_DECLS

/* For the task factories (ladle-session-tasks.c), from ladle-session.c. */
GFile *_ladle_session_dup_partial_directory (LadleSession *self);

G_END_DECLS
