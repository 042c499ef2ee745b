/* ladle-watchdog.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleWatchdog: no unbounded waits (private).
 *
 * libsoup's timeout is an idle timeout: it starts again with every byte, so a server that drips
 * its headers or its body one byte a second holds a task for ever. The watchdog measures what
 * the task moved (body bytes sent and received) in windows of low-speed-time seconds, as
 * curl's --speed-limit/--speed-time do, and fires when fewer than low-speed-limit bytes per
 * second came; waiting for the response headers counts as nothing received. Only time that
 * counts (the owner says when: not suspended, not waiting for the network, not delivering)
 * is measured. The deadline fires once after a fixed time, whatever the task does.
 *
 * While a check is armed the watchdog holds a reference on its owner (the task), so that a
 * deadline still fires for a task the application dropped; stop() releases it.
 */

#include "config.h"

#include "ladle-util-private.h"

#include "ladle-watchdog-private.h"

struct _LadleWatchdog
{
  GObject             *owner;         /* not a reference; one is held while a check is armed */
  gboolean             holding;
  LadleWatchdogCounts  counts;
  LadleWatchdogFired   fired;

  GSource             *speed_source;
  guint                limit;
  guint                seconds;
  gint64               window_start;  /* monotonic µs */
  guint64              window_bytes;  /* progress at window_start */
  guint64              progress;      /* bytes moved, ever */

  GSource             *deadline_source;
  guint                deadline;
  gboolean             deadline_fired;
};

static void
hold (LadleWatchdog *self)
{
  if (!self->holding)
    {
      g_object_ref (self->owner);
      self->holding = TRUE;
    }
}

static void
release_if_idle (LadleWatchdog *self)
{
  if (self->holding && self->speed_source == NULL && self->deadline_source == NULL)
    {
      self->holding = FALSE;
      g_object_unref (self->owner);
    }
}

static void
fire (LadleWatchdog *self,
      gboolean       deadline,
      GError        *error)
{
  g_autoptr(GObject) owner = g_object_ref (self->owner);

  /* A low-speed failure may be retried: the task's deadline keeps running. */
  if (deadline)
    {
      self->deadline_fired = TRUE;
      _ladle_watchdog_stop (self);
    }
  else
    _ladle_watchdog_stop_speed (self);
  self->fired (owner, error);
}

static void
reset_window (LadleWatchdog *self,
              gint64         now)
{
  self->window_start = now;
  self->window_bytes = self->progress;
}

static gboolean
speed_tick_cb (gpointer user_data)
{
  LadleWatchdog *self = user_data;
  gint64 now = g_get_monotonic_time ();

  if (!self->counts (self->owner))
    {
      reset_window (self, now);
      return G_SOURCE_CONTINUE;
    }
  if (now - self->window_start < (gint64)self->seconds * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;

  if (self->progress - self->window_bytes < (guint64)self->limit * self->seconds)
    {
      g_debug ("%" G_GUINT64_FORMAT " bytes in %u s: stalled", self->progress - self->window_bytes, self->seconds);
      fire (self, FALSE, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               "The transfer was slower than %u bytes per second for %u seconds",
                               self->limit, self->seconds));
      return G_SOURCE_REMOVE;
    }

  reset_window (self, now);
  return G_SOURCE_CONTINUE;
}

static gboolean
deadline_cb (gpointer user_data)
{
  LadleWatchdog *self = user_data;

  fire (self, TRUE, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "The task did not complete within %u seconds", self->deadline));

  return G_SOURCE_REMOVE;
}

static GSource *
attach (GSource      *source,
        GMainContext *context,
        GSourceFunc   callback,
        gpointer      data,
        const char   *name)
{
  g_source_set_callback (source, callback, data, NULL);
  g_source_set_static_name (source, name);
  g_source_attach (source, context);

  return source;
}

LadleWatchdog *
_ladle_watchdog_new (GObject             *owner,
                     LadleWatchdogCounts  counts,
                     LadleWatchdogFired   fired)
{
  LadleWatchdog *self = g_new0 (LadleWatchdog, 1);

  self->owner = owner;
  self->counts = counts;
  self->fired = fired;

  return self;
}

void
_ladle_watchdog_free (LadleWatchdog *self)
{
  if (self == NULL)
    return;

  _ladle_watchdog_stop (self);
  g_free (self);
}

/* Checks, once a second, that at least @limit bytes per second moved over @seconds. */
void
_ladle_watchdog_start_speed (LadleWatchdog *self,
                             GMainContext  *context,
                             guint          limit,
                             guint          seconds)
{
  if (self->speed_source != NULL || limit == 0 || seconds == 0)
    return;

  self->limit = limit;
  self->seconds = seconds;
  reset_window (self, g_get_monotonic_time ());
  hold (self);
  self->speed_source = attach (g_timeout_source_new_seconds (1), context, speed_tick_cb, self,
                               "[ladle] low-speed watchdog");
}

void
_ladle_watchdog_start_deadline (LadleWatchdog *self,
                                GMainContext  *context,
                                guint          seconds)
{
  if (self->deadline_source != NULL || seconds == 0)
    return;

  self->deadline = seconds;
  hold (self);
  self->deadline_source = attach (g_timeout_source_new_seconds (seconds), context, deadline_cb, self,
                                  "[ladle] task deadline");
}

void
_ladle_watchdog_note_progress (LadleWatchdog *self,
                               guint64        n_bytes)
{
  self->progress += n_bytes;
}

void
_ladle_watchdog_stop (LadleWatchdog *self)
{
  _ladle_clear_source (&self->speed_source);
  _ladle_clear_source (&self->deadline_source);
  release_if_idle (self);
}

/* The low-speed check only: between two attempts of a task. */
void
_ladle_watchdog_stop_speed (LadleWatchdog *self)
{
  _ladle_clear_source (&self->speed_source);
  release_if_idle (self);
}

/* The task's total deadline passed: nothing is retried after it. */
gboolean
_ladle_watchdog_deadline_fired (LadleWatchdog *self)
{
  return self->deadline_fired;
}
