/* ladle-test-wait.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Waiting on the test's own main context: client and servers share one thread, so a test never
 * blocks; it iterates until what it waits for happened, and a failsafe turns a hang into a
 * failure that says what did not happen.
 */

#include "ladle-test.h"

guint
ladle_test_failsafe_seconds (guint seconds)
{
  const char *multiplier = g_getenv ("LADLE_TEST_TIMEOUT_MULTIPLIER");
  guint64 factor = 1;

  if (multiplier != NULL)
    factor = MAX (1, g_ascii_strtoull (multiplier, NULL, 10));

  return seconds * factor;
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
ladle_test_wait_until (LadleTestPredicate  predicate,
                       gpointer            data,
                       guint               seconds,
                       const char         *what)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) failsafe = g_timeout_source_new_seconds (ladle_test_failsafe_seconds (seconds));
  g_autoptr(GSource) tick = g_timeout_source_new (10);
  gboolean timed_out = FALSE;

  g_source_set_callback (failsafe, set_flag_cb, &timed_out, NULL);
  g_source_attach (failsafe, context);
  g_source_set_callback (tick, tick_cb, NULL, NULL);
  g_source_attach (tick, context);

  while (!predicate (data) && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (failsafe);
  g_source_destroy (tick);

  if (!predicate (data))
    g_error ("failsafe: %s did not happen within %u s", what, ladle_test_failsafe_seconds (seconds));
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

void
ladle_test_wait_for_flag (gboolean   *flag,
                          guint       seconds,
                          const char *what)
{
  ladle_test_wait_until (flag_is_set, flag, seconds, what);
}

void
ladle_test_spin (guint milliseconds)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) source = NULL;
  gboolean done = FALSE;

  source = g_timeout_source_new (milliseconds);
  g_source_set_callback (source, set_flag_cb, &done, NULL);
  g_source_attach (source, context);

  while (!done)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (source);
}

void
ladle_test_drain (guint max_iterations)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  for (guint i = 0; (max_iterations == 0 || i < max_iterations) &&
                    g_main_context_iteration (context, FALSE); i++)
    ;
}
