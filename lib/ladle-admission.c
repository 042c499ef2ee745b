/* ladle-admission.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleAdmission: when the session lets a task start (private).
 *
 * Every start goes through here: the first one after ladle_task_resume(), each retry
 * (ladle-transfer.c) and each continuation of a download paused by a metered network. The
 * network monitor (the configuration's, else GLib's default) decides:
 *
 * - no usable network (network-available false): with waits-for-connectivity the task waits,
 *   emits ::waiting-for-connectivity once, and fails with G_IO_ERROR_TIMED_OUT if the
 *   connectivity-timeout passes first; without it, the task fails at once with
 *   G_IO_ERROR_NETWORK_UNREACHABLE;
 * - a metered network with allow-metered false: the task waits for an unmetered one, and a
 *   download running when the network becomes metered is paused (it continues with Range);
 * - else it starts.
 *
 * A waiting task that is suspended leaves the queue; resuming it asks again. GLib's default
 * monitor knows nothing of the loopback interface (a machine without a default route reports
 * no network), so requests to a loopback address are never held for connectivity by it; a
 * monitor the application set is believed for every host.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-admission-private.h"
#include "ladle-download-task.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"
#include "ladle-util-private.h"

typedef struct
{
  LadleTask      *task;       /* strong */
  GSource        *deadline;   /* connectivity-timeout */
  LadleAdmission *admission;
} Waiter;

struct _LadleAdmission
{
  GNetworkMonitor *monitor;
  gboolean         default_monitor;
  gboolean         allow_metered;
  gboolean         waits_for_connectivity;
  guint            connectivity_timeout;
  GPtrArray       *waiting;   /* Waiter, in arrival order */
  GPtrArray       *tasks;     /* the session's, borrowed */
  GMainContext    *context;
};

static void
waiter_free (gpointer data)
{
  Waiter *waiter = data;

  _ladle_clear_source (&waiter->deadline);
  g_clear_object (&waiter->task);
  g_free (waiter);
}

static gboolean
is_loopback_request (LadleTask *task)
{
  SoupMessage *request = ladle_task_get_current_request (task);
  const char *host = request ? g_uri_get_host (soup_message_get_uri (request)) : NULL;
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gboolean
network_available_for (LadleAdmission *self,
                       LadleTask      *task)
{
  if (g_network_monitor_get_network_available (self->monitor))
    return TRUE;

  return self->default_monitor && is_loopback_request (task);
}

static gboolean
metered_blocks (LadleAdmission *self)
{
  return !self->allow_metered && g_network_monitor_get_network_metered (self->monitor);
}

static guint
find_waiter (LadleAdmission *self,
             LadleTask      *task)
{
  for (guint i = 0; i < self->waiting->len; i++)
    if (((Waiter *)g_ptr_array_index (self->waiting, i))->task == task)
      return i;

  return G_MAXUINT;
}

static gboolean
deadline_cb (gpointer user_data)
{
  Waiter *waiter = user_data;
  LadleAdmission *self = waiter->admission;
  g_autoptr(LadleTask) task = g_object_ref (waiter->task);
  guint index = find_waiter (self, task);

  g_clear_pointer (&waiter->deadline, g_source_unref);
  if (index != G_MAXUINT)
    g_ptr_array_remove_index (self->waiting, index);

  g_debug ("Task %" G_GUINT64_FORMAT ": no network within %u s", ladle_task_get_identifier (task),
           self->connectivity_timeout);
  _ladle_task_start (task, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                        _("No network became available within %u seconds"),
                                        self->connectivity_timeout));

  return G_SOURCE_REMOVE;
}

static Waiter *
add_waiter (LadleAdmission *self,
            LadleTask      *task)
{
  guint index = find_waiter (self, task);
  Waiter *waiter;

  if (index != G_MAXUINT)
    return g_ptr_array_index (self->waiting, index);

  waiter = g_new0 (Waiter, 1);
  waiter->task = g_object_ref (task);
  waiter->admission = self;
  g_ptr_array_add (self->waiting, waiter);

  return waiter;
}

void
_ladle_admission_admit (LadleAdmission *self,
                        LadleTask      *task)
{
  if (!network_available_for (self, task))
    {
      Waiter *waiter;

      if (!self->waits_for_connectivity)
        {
          g_debug ("Task %" G_GUINT64_FORMAT ": no network: failing", ladle_task_get_identifier (task));
          _ladle_task_start (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
                                                        _("No network is available")));
          return;
        }

      g_debug ("Task %" G_GUINT64_FORMAT ": waiting for connectivity", ladle_task_get_identifier (task));
      waiter = add_waiter (self, task);
      _ladle_task_set_wait_reason (task, LADLE_TASK_WAIT_REASON_CONNECTIVITY);
      if (waiter->deadline == NULL && self->connectivity_timeout > 0)
        {
          /* Milliseconds: a seconds source may fire up to a second early. */
          GSource *source = self->connectivity_timeout <= G_MAXUINT / 1000
                              ? g_timeout_source_new (self->connectivity_timeout * 1000)
                              : g_timeout_source_new_seconds (self->connectivity_timeout);

          g_source_set_callback (source, deadline_cb, waiter, NULL);
          g_source_set_static_name (source, "[ladle] connectivity timeout");
          g_source_attach (source, self->context);
          waiter->deadline = source;
        }
      _ladle_task_emit_waiting_for_connectivity (task);
      return;
    }

  if (metered_blocks (self))
    {
      g_debug ("Task %" G_GUINT64_FORMAT ": waiting for an unmetered network",
               ladle_task_get_identifier (task));
      add_waiter (self, task);
      _ladle_task_set_wait_reason (task, LADLE_TASK_WAIT_REASON_UNMETERED_NETWORK);
      return;
    }

  _ladle_admission_forget (self, task);
  _ladle_task_start (task, NULL);
}

/* The network changed: waiting tasks that may start now start, in the order they came;
 * suspended ones leave the queue (resuming them asks again). */
static void
reconsider (LadleAdmission *self)
{
  g_autoptr(GPtrArray) ready = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->waiting->len; )
    {
      Waiter *waiter = g_ptr_array_index (self->waiting, i);
      LadleTask *task = waiter->task;

      if (ladle_task_get_state (task) != LADLE_TASK_STATE_RUNNING)
        g_ptr_array_remove_index (self->waiting, i);
      else if (network_available_for (self, task) && !metered_blocks (self))
        {
          g_ptr_array_add (ready, g_object_ref (task));
          g_ptr_array_remove_index (self->waiting, i);
        }
      else
        {
          /* Still waiting, maybe for the other reason now. */
          _ladle_task_set_wait_reason (task, network_available_for (self, task)
                                               ? LADLE_TASK_WAIT_REASON_UNMETERED_NETWORK
                                               : LADLE_TASK_WAIT_REASON_CONNECTIVITY);
          i++;
        }
    }

  if (ready->len > 0)
    g_debug ("The network allows %u waiting tasks to start", ready->len);
  for (guint i = 0; i < ready->len; i++)
    _ladle_task_start (g_ptr_array_index (ready, i), NULL);
}

static void
on_network_available_changed (GNetworkMonitor *monitor,
                              GParamSpec      *pspec,
                              LadleAdmission  *self)
{
  reconsider (self);
}

/* With allow-metered false, downloads running when the network becomes metered pause; data
 * and upload tasks that are sending finish. */
static void
on_network_metered_changed (GNetworkMonitor *monitor,
                            GParamSpec      *pspec,
                            LadleAdmission  *self)
{
  if (metered_blocks (self))
    {
      g_autoptr(GPtrArray) running = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < self->tasks->len; i++)
        {
          LadleTask *task = g_ptr_array_index (self->tasks, i);

          if (LADLE_IS_DOWNLOAD_TASK (task) && ladle_task_get_state (task) == LADLE_TASK_STATE_RUNNING)
            g_ptr_array_add (running, g_object_ref (task));
        }
      for (guint i = 0; i < running->len; i++)
        _ladle_task_pause_for_network (g_ptr_array_index (running, i));
      return;
    }

  reconsider (self);
}

LadleAdmission *
_ladle_admission_new (LadleSessionConfiguration *configuration,
                      GPtrArray                 *tasks,
                      GMainContext              *context)
{
  LadleAdmission *self = g_new0 (LadleAdmission, 1);

  self->tasks = tasks;
  self->context = context ? g_main_context_ref (context) : NULL;
  self->waiting = g_ptr_array_new_with_free_func (waiter_free);
  self->allow_metered = ladle_session_configuration_get_allow_metered (configuration);
  self->waits_for_connectivity = ladle_session_configuration_get_waits_for_connectivity (configuration);
  self->connectivity_timeout = ladle_session_configuration_get_connectivity_timeout (configuration);
  self->monitor = ladle_session_configuration_get_network_monitor (configuration);
  if (self->monitor == NULL)
    {
      self->monitor = g_network_monitor_get_default ();
      self->default_monitor = TRUE;
    }
  g_object_ref (self->monitor);

  g_signal_connect (self->monitor, "notify::network-available",
                    G_CALLBACK (on_network_available_changed), self);
  g_signal_connect (self->monitor, "notify::network-metered",
                    G_CALLBACK (on_network_metered_changed), self);

  return self;
}

void
_ladle_admission_forget (LadleAdmission *self,
                         LadleTask      *task)
{
  guint index = find_waiter (self, task);

  if (index != G_MAXUINT)
    g_ptr_array_remove_index (self->waiting, index);
}

void
_ladle_admission_clear (LadleAdmission *self)
{
  if (self != NULL)
    g_ptr_array_set_size (self->waiting, 0);
}

void
_ladle_admission_free (LadleAdmission *self)
{
  if (self == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self);
}
