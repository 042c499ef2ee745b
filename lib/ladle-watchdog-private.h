/* ladle-watchdog-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The unbounded waits of one task: the low-speed limit and the total deadline (see
 * ladle-watchdog.c). */
typedef struct _LadleWatchdog LadleWatchdog;

/* Whether the time now counts (the task is transferring: not suspended, not waiting). */
typedef gboolean (*LadleWatchdogCounts) (gpointer  owner);
/* The watchdog fired: fail the task with @error (taken). */
typedef void     (*LadleWatchdogFired)  (gpointer  owner,
                                         GError   *error);

LadleWatchdog *_ladle_watchdog_new            (GObject             *owner,
                                               LadleWatchdogCounts  counts,
                                               LadleWatchdogFired   fired);
void           _ladle_watchdog_free           (LadleWatchdog       *self);
void           _ladle_watchdog_start_speed    (LadleWatchdog       *self,
                                               GMainContext        *context,
                                               guint                limit,
                                               guint                seconds);
void           _ladle_watchdog_start_deadline (LadleWatchdog       *self,
                                               GMainContext        *context,
                                               guint                seconds);
void           _ladle_watchdog_note_progress  (LadleWatchdog       *self,
                                               guint64              n_bytes);
void           _ladle_watchdog_stop           (LadleWatchdog       *self);
void           _ladle_watchdog_stop_speed     (LadleWatchdog       *self);
gboolean       _ladle_watchdog_deadline_fired (LadleWatchdog       *self);

G_END_DECLS
