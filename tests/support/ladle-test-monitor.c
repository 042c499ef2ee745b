/* ladle-test-monitor.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* LadleTestMonitor: a GNetworkMonitor (and GInitable) whose network-available and
 * network-metered are what the test says; set it as a configuration's network-monitor. */

#include "ladle-test.h"

struct _LadleTestMonitor
{
  GObject  parent_instance;
  gboolean available;
  gboolean metered;
};

enum { PROP_0, PROP_AVAILABLE, PROP_METERED, PROP_CONNECTIVITY };

static void ladle_test_monitor_iface_init (GNetworkMonitorInterface *iface);
static void ladle_test_monitor_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LadleTestMonitor, ladle_test_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, ladle_test_monitor_initable_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR, ladle_test_monitor_iface_init))

static void
ladle_test_monitor_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  LadleTestMonitor *self = LADLE_TEST_MONITOR (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case PROP_METERED:
      g_value_set_boolean (value, self->metered);
      break;
    case PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_test_monitor_class_init (LadleTestMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ladle_test_monitor_get_property;
  g_object_class_override_property (object_class, PROP_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, PROP_METERED, "network-metered");
  g_object_class_override_property (object_class, PROP_CONNECTIVITY, "connectivity");
}

static void
ladle_test_monitor_init (LadleTestMonitor *self)
{
  self->available = TRUE;
}

static gboolean
ladle_test_monitor_initable_init_fn (GInitable     *initable,
                                     GCancellable  *cancellable,
                                     GError       **error)
{
  return TRUE;
}

static void
ladle_test_monitor_initable_init (GInitableIface *iface)
{
  iface->init = ladle_test_monitor_initable_init_fn;
}

static void
ladle_test_monitor_iface_init (GNetworkMonitorInterface *iface)
{
}

LadleTestMonitor *
ladle_test_monitor_new (gboolean available,
                        gboolean metered)
{
  LadleTestMonitor *self = g_object_new (LADLE_TEST_TYPE_MONITOR, NULL);

  self->available = available;
  self->metered = metered;

  return self;
}

void
ladle_test_monitor_set_available (LadleTestMonitor *self,
                                  gboolean          available)
{
  self->available = available;
  g_object_notify (G_OBJECT (self), "network-available");
  g_object_notify (G_OBJECT (self), "connectivity");
}

void
ladle_test_monitor_set_metered (LadleTestMonitor *self,
                                gboolean          metered)
{
  self->metered = metered;
  g_object_notify (G_OBJECT (self), "network-metered");
}
