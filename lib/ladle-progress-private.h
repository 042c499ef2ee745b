/* ladle-progress-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* When a task reports download or upload progress. A plain struct with no clock inside: the
 * caller passes the time, so that tests need no sleeps. */
typedef struct
{
  gint64   interval;      /* µs between two reports that are not final */
  gint64   reported;      /* the total of the last report; the initial value is the base */
  gint64   last_time;     /* monotonic µs of the last report */
  gboolean any_report;    /* a report was made */
} LadleProgressMeter;

/* @base: the total already accounted for (bytes on disk of a resumed download, or -1 for
 * "nothing yet, even 0 is news" as downloads use it; uploads use 0). */
void     _ladle_progress_meter_init   (LadleProgressMeter *meter,
                                       gint64              interval,
                                       gint64              base);
/* Whether @total is reported now; then *@delta is the bytes since the previous report (counting
 * from MAX (base, 0)) and the meter records the report. A report needs @total > reported,
 * except a @final one with @final_always when no report was made yet; reports that are not
 * final come at most once per interval (a first report too: last_time starts at 0). */
gboolean _ladle_progress_meter_check  (LadleProgressMeter *meter,
                                       gint64              total,
                                       gint64              now,
                                       gboolean            final,
                                       gboolean            final_always,
                                       gint64             *delta);

G_END_DECLS
