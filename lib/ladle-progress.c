/* ladle-progress.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Progress reports (private): which totals become a download-progress or upload-progress
 * signal.
 *
 * Reports are monotonic: a total that does not pass the last report is not news. That keeps
 * upload progress from going back when libsoup sends a body again from its start (an
 * authentication retry, a 307/308 hop): the resent bytes are reported only once they pass what
 * was already reported. Reports that are not final are rate limited, so that a fast transfer
 * does not flood the main loop; the final one always goes out when it has news, and a download
 * reports its end even when it brought no bytes at all (an empty body is news).
 */

#include "config.h"

#include "ladle-progress-private.h"

void
_ladle_progress_meter_init (LadleProgressMeter *meter,
                            gint64              interval,
                            gint64              base)
{
  g_return_if_fail (meter != NULL);

  meter->interval = interval;
  meter->reported = base;
  meter->last_time = 0;
  meter->any_report = FALSE;
}

gboolean
_ladle_progress_meter_check (LadleProgressMeter *meter,
                             gint64              total,
                             gint64              now,
                             gboolean            final,
                             gboolean            final_always,
                             gint64             *delta)
{
  g_return_val_if_fail (meter != NULL, FALSE);

  if (delta != NULL)
    *delta = 0;

  if (total <= meter->reported && !(final && final_always && !meter->any_report))
    return FALSE;
  if (!final && now - meter->last_time < meter->interval)
    return FALSE;

  if (delta != NULL)
    *delta = total - MAX (meter->reported, 0);
  meter->last_time = now;
  meter->reported = total;
  meter->any_report = TRUE;

  return TRUE;
}
