/* test-progress.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The progress meter without a clock: each step passes its time, so nothing sleeps. */

#include "ladle-progress-private.h"

#define INTERVAL (50 * G_TIME_SPAN_MILLISECOND)
#define T0       (1000 * G_TIME_SPAN_SECOND)   /* any monotonic time well past the interval */

typedef struct
{
  gint64   total;
  gint64   now;
  gboolean final;
  gboolean reported;
  gint64   delta;
} Step;

typedef struct
{
  const char *name;
  gint64      base;
  gboolean    final_always;
  const Step *steps;
  gsize       n_steps;
} Scenario;

/* Downloads: base -1, the final report always goes out once. */

static const Step download_steps[] = {
  /* total  now                 final  reported delta */
  { 100,    T0,                 FALSE, TRUE,    100 },
  { 200,    T0 + 10000,         FALSE, FALSE,   0 },   /* within the interval */
  { 300,    T0 + INTERVAL - 1,  FALSE, FALSE,   0 },
  { 400,    T0 + INTERVAL,      FALSE, TRUE,    300 }, /* one interval later, since the last report */
  { 400,    T0 + INTERVAL + 5,  FALSE, FALSE,   0 },   /* nothing new */
  { 450,    T0 + INTERVAL + 10, FALSE, FALSE,   0 },   /* within the interval of the last report */
  { 450,    T0 + INTERVAL + 20, TRUE,  TRUE,    50 },  /* final: no rate limit */
  { 450,    T0 + 3 * INTERVAL,  TRUE,  FALSE,   0 },   /* a second final has no news */
};

static const Step empty_download_steps[] = {
  /* An empty body is news: 0 bytes of 0. */
  { 0,      T0,                 TRUE,  TRUE,    0 },
  { 0,      T0 + INTERVAL,      TRUE,  FALSE,   0 },
};

static const Step final_only_download_steps[] = {
  /* A fast body whose chunks all fall within the first interval: only the final report. */
  { 10,     INTERVAL - 3,       FALSE, FALSE,   0 },   /* last_time starts at 0 */
  { 20,     INTERVAL - 2,       FALSE, FALSE,   0 },
  { 30,     INTERVAL - 1,       TRUE,  TRUE,    30 },
};

static const Step first_report_steps[] = {
  { 10,     INTERVAL - 1,       FALSE, FALSE,   0 },
  { 20,     INTERVAL,           FALSE, TRUE,    20 },
};

/* Resumed downloads: the base is the bytes on disk, which this task never received. */

static const Step resumed_download_steps[] = {
  { 1000,   T0,                 FALSE, FALSE,   0 },   /* nothing past the base yet */
  { 1500,   T0 + 1,             FALSE, TRUE,    500 },
  { 2000,   T0 + 2,             TRUE,  TRUE,    500 },
};

static const Step resumed_nothing_new_steps[] = {
  /* A resumed download whose rest is empty still reports its end once. */
  { 1000,   T0,                 TRUE,  TRUE,    0 },
  { 1000,   T0 + INTERVAL,      TRUE,  FALSE,   0 },
};

/* Uploads: base 0, the final report only with news. */

static const Step upload_steps[] = {
  { 0,      T0,                 TRUE,  FALSE,   0 },   /* an empty body: nothing to report */
  { 100,    T0 + 1,             FALSE, TRUE,    100 },
  { 150,    T0 + 2,             FALSE, FALSE,   0 },
  { 150,    T0 + 3,             TRUE,  TRUE,    50 },
  { 150,    T0 + 4,             TRUE,  FALSE,   0 },
};

static const Step resent_upload_steps[] = {
  { 300,    T0,                 FALSE, TRUE,    300 },
  /* libsoup sends the body again from its start: nothing goes back, nothing is reported twice. */
  { 0,      T0 + INTERVAL,      FALSE, FALSE,   0 },
  { 100,    T0 + 2 * INTERVAL,  FALSE, FALSE,   0 },
  { 300,    T0 + 3 * INTERVAL,  FALSE, FALSE,   0 },
  { 300,    T0 + 3 * INTERVAL,  TRUE,  FALSE,   0 },
  { 350,    T0 + 4 * INTERVAL,  FALSE, TRUE,    50 },
  { 500,    T0 + 4 * INTERVAL,  TRUE,  TRUE,    150 },
};

static const Step empty_upload_steps[] = {
  { 0,      T0,                 TRUE,  FALSE,   0 },
  { 0,      T0 + INTERVAL,      FALSE, FALSE,   0 },
};

#define SCENARIO(name, base, final_always, steps) { name, base, final_always, steps, G_N_ELEMENTS (steps) }

static const Scenario scenarios[] = {
  SCENARIO ("download", -1, TRUE, download_steps),
  SCENARIO ("empty download", -1, TRUE, empty_download_steps),
  SCENARIO ("final only", -1, TRUE, final_only_download_steps),
  SCENARIO ("first report", -1, TRUE, first_report_steps),
  SCENARIO ("resumed download", 1000, TRUE, resumed_download_steps),
  SCENARIO ("resumed, nothing new", 1000, TRUE, resumed_nothing_new_steps),
  SCENARIO ("upload", 0, FALSE, upload_steps),
  SCENARIO ("resent upload", 0, FALSE, resent_upload_steps),
  SCENARIO ("empty upload", 0, FALSE, empty_upload_steps),
};

static void
test_scenarios (void)
{
  for (gsize s = 0; s < G_N_ELEMENTS (scenarios); s++)
    {
      const Scenario *scenario = &scenarios[s];
      LadleProgressMeter meter;

      _ladle_progress_meter_init (&meter, INTERVAL, scenario->base);
      g_assert_cmpint (meter.interval, ==, INTERVAL);
      g_assert_cmpint (meter.reported, ==, scenario->base);
      g_assert_cmpint (meter.last_time, ==, 0);
      g_assert_false (meter.any_report);

      for (gsize i = 0; i < scenario->n_steps; i++)
        {
          const Step *step = &scenario->steps[i];
          LadleProgressMeter before = meter;
          gint64 delta = -12345;
          gboolean reported;

          g_test_message ("%s, step %" G_GSIZE_FORMAT, scenario->name, i);
          reported = _ladle_progress_meter_check (&meter, step->total, step->now, step->final,
                                                  scenario->final_always, &delta);
          g_assert_cmpint (reported, ==, step->reported);
          if (reported)
            {
              g_assert_cmpint (delta, ==, step->delta);
              g_assert_cmpint (meter.reported, ==, step->total);
              g_assert_cmpint (meter.last_time, ==, step->now);
              g_assert_true (meter.any_report);
            }
          else
            {
              /* A step that is not reported changes nothing. */
              g_assert_cmpint (delta, ==, 0);
              g_assert_cmpint (meter.reported, ==, before.reported);
              g_assert_cmpint (meter.last_time, ==, before.last_time);
              g_assert_cmpint (meter.any_report, ==, before.any_report);
            }
        }
    }
}

static void
test_null_delta (void)
{
  LadleProgressMeter meter;

  _ladle_progress_meter_init (&meter, INTERVAL, -1);
  g_assert_true (_ladle_progress_meter_check (&meter, 10, T0, FALSE, TRUE, NULL));
  g_assert_cmpint (meter.reported, ==, 10);
  g_assert_false (_ladle_progress_meter_check (&meter, 20, T0 + 1, FALSE, TRUE, NULL));
}

/* emit_download_progress() and emit_upload_progress() as ladle-task.c had them, with the task's
 * fields and clock made parameters: the meter must answer exactly as they did. */
typedef struct
{
  gint64   reported;
  gint64   last;
  gboolean sent;
} Reference;

static gboolean
reference_download (Reference *ref,
                    gint64     received,
                    gint64     now,
                    gboolean   final,
                    gint64    *received_now)
{
  if (received <= ref->reported && (!final || ref->sent))
    return FALSE;
  if (!final && now - ref->last < INTERVAL)
    return FALSE;

  *received_now = received - MAX (ref->reported, 0);
  ref->last = now;
  ref->reported = received;
  ref->sent = TRUE;
  return TRUE;
}

static gboolean
reference_upload (Reference *ref,
                  gint64     sent,
                  gint64     now,
                  gboolean   final,
                  gint64    *sent_now)
{
  if (sent <= ref->reported)
    return FALSE;
  if (!final && now - ref->last < INTERVAL)
    return FALSE;

  *sent_now = sent - ref->reported;
  ref->last = now;
  ref->reported = sent;
  return TRUE;
}

static void
test_matches_task (void)
{
  for (guint run = 0; run < 200; run++)
    {
      gboolean upload = run % 2 == 1;
      /* Downloads begin at -1 or at a resume offset, uploads at 0. */
      gint64 base = upload ? 0 : (run % 4 == 0 ? -1 : g_test_rand_int_range (0, 5000));
      Reference ref = { base, 0, FALSE };
      LadleProgressMeter meter;
      gint64 total = MAX (base, 0);
      gint64 now = g_test_rand_int_range (0, 2 * INTERVAL);
      gint64 last_reported = G_MININT64;
      gint64 sum = 0;

      _ladle_progress_meter_init (&meter, INTERVAL, base);

      for (guint i = 0; i < 100; i++)
        {
          gboolean final = g_test_rand_int_range (0, 10) == 0;
          gint64 expected_delta = 0, delta = 0;
          gboolean expected, reported;

          if (upload && g_test_rand_int_range (0, 20) == 0)
            total = 0;  /* a resend from the start */
          else
            total += g_test_rand_int_range (0, 3) == 0 ? 0 : g_test_rand_int_range (1, 4096);
          now += g_test_rand_int_range (0, INTERVAL);

          if (upload)
            expected = reference_upload (&ref, total, now, final, &expected_delta);
          else
            expected = reference_download (&ref, total, now, final, &expected_delta);
          reported = _ladle_progress_meter_check (&meter, total, now, final, !upload, &delta);

          g_assert_cmpint (reported, ==, expected);
          g_assert_cmpint (meter.reported, ==, ref.reported);
          g_assert_cmpint (meter.last_time, ==, ref.last);
          if (!reported)
            continue;

          g_assert_cmpint (delta, ==, expected_delta);
          /* Reports never go back and their deltas add up to the last total. */
          g_assert_cmpint (delta, >=, 0);
          g_assert_cmpint (total, >=, last_reported);
          last_reported = total;
          sum += delta;
          g_assert_cmpint (sum, ==, total - MAX (base, 0));
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Unit/Progress/scenarios", test_scenarios);
  g_test_add_func ("/Ladle/Unit/Progress/null-delta", test_null_delta);
  g_test_add_func ("/Ladle/Unit/Progress/matches-task", test_matches_task);

  return g_test_run ();
}
