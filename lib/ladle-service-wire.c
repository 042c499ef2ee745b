/* ladle-service-wire.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The shared vocabulary of the transfer service and the sessions that use it: the session
 * configuration as an a{sv} (what can cross a process boundary: numbers, strings, headers, a
 * file TLS database's anchors, the retry policy's properties), object paths, and D-Bus error
 * names for LADLE_ERROR so that a GError comes back from a call with its domain and code.
 */

#include "config.h"

#include <string.h>

#include "ladle-enum-types.h"
#include "ladle-error.h"
#include "ladle-origin-private.h"
#include "ladle-retry-policy.h"
#include "ladle-service-wire-private.h"

/* org.gnome.Ladle.Error.SessionInvalidated for LADLE_ERROR_SESSION_INVALIDATED: the enum's
 * nick in CamelCase. */
static char *
error_name_of (const char *nick)
{
  GString *name = g_string_new ("org.gnome.Ladle.Error.");
  gboolean upper = TRUE;

  for (const char *c = nick; *c != '\0'; c++)
    {
      if (*c == '-')
        {
          upper = TRUE;
          continue;
        }
      g_string_append_c (name, upper ? g_ascii_toupper (*c) : *c);
      upper = FALSE;
    }

  return g_string_free (name, FALSE);
}

void
_ladle_service_register_errors (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (LADLE_TYPE_ERROR);

      for (guint i = 0; i < klass->n_values; i++)
        {
          g_autofree char *name = error_name_of (klass->values[i].value_nick);

          g_dbus_error_register_error (LADLE_ERROR, klass->values[i].value, name);
        }
      g_once_init_leave (&registered, 1);
    }
}

/* Application ids and identifiers: non-empty UTF-8 without control characters, at most 255
 * bytes (a D-Bus name's limit), so that they fit an object path once escaped and a file name. */
gboolean
_ladle_service_name_is_valid (const char *text)
{
  if (text == NULL || *text == '\0' || strlen (text) > 255 || !g_utf8_validate (text, -1, NULL))
    return FALSE;

  for (const char *c = text; *c != '\0'; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      return FALSE;

  return TRUE;
}

char *
_ladle_service_session_path (const char *application_id,
                             const char *identifier)
{
  g_autofree char *app = g_dbus_escape_object_path (application_id);
  g_autofree char *name = g_dbus_escape_object_path (identifier);

  return g_strconcat (LADLE_SERVICE_PATH "/sessions/", app, "/", name, NULL);
}

/* The configuration */

static GVariant *
retry_policy_to_wire (LadleRetryPolicy *policy)
{
  g_autofree GParamSpec **pspecs = NULL;
  g_autofree guint *statuses = NULL;
  GVariantBuilder builder;
  guint n_pspecs = 0;
  gsize n_statuses = 0;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (policy), &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec *pspec = pspecs[i];
      g_auto(GValue) value = G_VALUE_INIT;

      if (!(pspec->flags & G_PARAM_READABLE) || !(pspec->flags & G_PARAM_WRITABLE))
        continue;
      g_value_init (&value, pspec->value_type);
      g_object_get_property (G_OBJECT (policy), pspec->name, &value);
      if (G_VALUE_HOLDS_UINT (&value))
        g_variant_builder_add (&builder, "{sv}", pspec->name, g_variant_new_uint32 (g_value_get_uint (&value)));
      else if (G_VALUE_HOLDS_DOUBLE (&value))
        g_variant_builder_add (&builder, "{sv}", pspec->name, g_variant_new_double (g_value_get_double (&value)));
      else if (G_VALUE_HOLDS_BOOLEAN (&value))
        g_variant_builder_add (&builder, "{sv}", pspec->name, g_variant_new_boolean (g_value_get_boolean (&value)));
      else if (G_VALUE_HOLDS_FLAGS (&value))
        g_variant_builder_add (&builder, "{sv}", pspec->name, g_variant_new_uint32 (g_value_get_flags (&value)));
    }

  statuses = ladle_retry_policy_dup_retried_statuses (policy, &n_statuses);
  g_variant_builder_add (&builder, "{sv}", "retried-statuses",
                         g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, statuses, n_statuses, sizeof (guint)));

  return g_variant_builder_end (&builder);
}

static LadleRetryPolicy *
retry_policy_from_wire (GVariant *wire)
{
  g_autoptr(LadleRetryPolicy) policy = ladle_retry_policy_new ();
  g_autoptr(GVariant) statuses = NULL;
  GVariantIter iter;
  const char *name;
  GVariant *value;

  g_variant_iter_init (&iter, wire);
  while (g_variant_iter_loop (&iter, "{&sv}", &name, &value))
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (policy), name);

      if (pspec == NULL || !(pspec->flags & G_PARAM_WRITABLE))
        continue;
      /* Values out of a property's range are refused by GLib with a warning: check first. */
      if (G_IS_PARAM_SPEC_UINT (pspec) && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        {
          GParamSpecUInt *uint_spec = G_PARAM_SPEC_UINT (pspec);
          guint32 number = g_variant_get_uint32 (value);

          if (number >= uint_spec->minimum && number <= uint_spec->maximum)
            g_object_set (policy, name, (guint) number, NULL);
        }
      else if (G_IS_PARAM_SPEC_DOUBLE (pspec) && g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
        {
          GParamSpecDouble *double_spec = G_PARAM_SPEC_DOUBLE (pspec);
          double number = g_variant_get_double (value);

          if (number >= double_spec->minimum && number <= double_spec->maximum)
            g_object_set (policy, name, number, NULL);
        }
      else if (G_IS_PARAM_SPEC_BOOLEAN (pspec) && g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        g_object_set (policy, name, g_variant_get_boolean (value), NULL);
      else if (G_IS_PARAM_SPEC_FLAGS (pspec) && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        {
          GFlagsClass *flags_class = G_PARAM_SPEC_FLAGS (pspec)->flags_class;
          guint32 flags = g_variant_get_uint32 (value);

          if ((flags & ~flags_class->mask) == 0)
            g_object_set (policy, name, (guint) flags, NULL);
        }
    }

  statuses = g_variant_lookup_value (wire, "retried-statuses", G_VARIANT_TYPE ("au"));
  if (statuses != NULL)
    {
      gsize n_statuses = 0;
      const guint32 *values = g_variant_get_fixed_array (statuses, &n_statuses, sizeof (guint32));
      g_autofree guint *checked = g_new0 (guint, MAX (n_statuses, 1));
      gsize n_checked = 0;

      for (gsize i = 0; i < n_statuses; i++)
        if (values[i] >= 100 && values[i] <= 999)
          checked[n_checked++] = values[i];
      ladle_retry_policy_set_retried_statuses (policy, checked, n_checked);
    }

  return g_steal_pointer (&policy);
}

/*
 * The configuration as the service gets it. @with_secrets FALSE leaves out the values of
 * sensitive and credential headers (what the service writes to its disk).
 */
GVariant *
_ladle_session_configuration_to_wire (LadleSessionConfiguration *configuration,
                                      gboolean                   with_secrets)
{
  g_auto(GStrv) names = ladle_session_configuration_dup_header_names (configuration);
  g_autoptr(LadleRetryPolicy) policy = ladle_session_configuration_dup_retry_policy (configuration);
  GTlsDatabase *database = ladle_session_configuration_get_tls_database (configuration);
  GVariantBuilder builder;
  GVariantBuilder headers;
  GVariantBuilder sensitive;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "timeout",
                         g_variant_new_uint32 (ladle_session_configuration_get_timeout (configuration)));
  g_variant_builder_add (&builder, "{sv}", "low-speed-limit",
                         g_variant_new_uint32 (ladle_session_configuration_get_low_speed_limit (configuration)));
  g_variant_builder_add (&builder, "{sv}", "low-speed-time",
                         g_variant_new_uint32 (ladle_session_configuration_get_low_speed_time (configuration)));
  g_variant_builder_add (&builder, "{sv}", "max-connections-per-host",
                         g_variant_new_uint32 (ladle_session_configuration_get_max_connections_per_host (configuration)));
  if (ladle_session_configuration_get_user_agent (configuration) != NULL)
    g_variant_builder_add (&builder, "{sv}", "user-agent",
                           g_variant_new_string (ladle_session_configuration_get_user_agent (configuration)));
  g_variant_builder_add (&builder, "{sv}", "allow-metered",
                         g_variant_new_boolean (ladle_session_configuration_get_allow_metered (configuration)));
  g_variant_builder_add (&builder, "{sv}", "waits-for-connectivity",
                         g_variant_new_boolean (ladle_session_configuration_get_waits_for_connectivity (configuration)));
  g_variant_builder_add (&builder, "{sv}", "connectivity-timeout",
                         g_variant_new_uint32 (ladle_session_configuration_get_connectivity_timeout (configuration)));
  g_variant_builder_add (&builder, "{sv}", "partial-file-max-age",
                         g_variant_new_uint64 (ladle_session_configuration_get_partial_file_max_age (configuration)));

  g_variant_builder_init (&headers, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_init (&sensitive, G_VARIANT_TYPE_STRING_ARRAY);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      gboolean secret = ladle_session_configuration_get_header_sensitive (configuration, names[i]) ||
                        _ladle_header_is_credential (names[i]);
      const char *value = ladle_session_configuration_get_header (configuration, names[i]);

      if (ladle_session_configuration_get_header_sensitive (configuration, names[i]))
        g_variant_builder_add (&sensitive, "s", names[i]);
      if (value != NULL && (with_secrets || !secret))
        g_variant_builder_add (&headers, "{ss}", names[i], value);
    }
  g_variant_builder_add (&builder, "{sv}", "headers", g_variant_builder_end (&headers));
  g_variant_builder_add (&builder, "{sv}", "sensitive-headers", g_variant_builder_end (&sensitive));

  /* A file database is its anchors' file; any other kind of database stays in the process. */
  if (G_IS_TLS_FILE_DATABASE (database))
    {
      g_autofree char *anchors = NULL;

      g_object_get (database, "anchors", &anchors, NULL);
      if (anchors != NULL)
        g_variant_builder_add (&builder, "{sv}", "tls-anchors", g_variant_new_string (anchors));
    }
  if (policy != NULL)
    g_variant_builder_add (&builder, "{sv}", "retry-policy", retry_policy_to_wire (policy));

  return g_variant_builder_end (&builder);
}

/*
 * A background configuration for @application_id and @identifier with what @wire says; unknown
 * keys and values of the wrong type are ignored, numbers out of range are clamped by the
 * setters' own checks being skipped: they are refused here.
 */
LadleSessionConfiguration *
_ladle_session_configuration_from_wire (GVariant   *wire,
                                        const char *application_id,
                                        const char *identifier,
                                        const char *state_directory)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_background (identifier);
  g_autoptr(GVariant) headers = NULL;
  g_autoptr(GVariant) sensitive = NULL;
  g_autoptr(GVariant) policy = NULL;
  const char *text = NULL;
  guint32 number;
  guint64 age;
  gboolean flag;

  ladle_session_configuration_set_application_id (configuration, application_id);
  if (state_directory != NULL)
    ladle_session_configuration_set_state_directory (configuration, state_directory);

  if (g_variant_lookup (wire, "timeout", "u", &number))
    ladle_session_configuration_set_timeout (configuration, number);
  if (g_variant_lookup (wire, "low-speed-limit", "u", &number))
    ladle_session_configuration_set_low_speed_limit (configuration, number);
  if (g_variant_lookup (wire, "low-speed-time", "u", &number))
    ladle_session_configuration_set_low_speed_time (configuration, number);
  if (g_variant_lookup (wire, "max-connections-per-host", "u", &number) && number >= 1 && number <= 1024)
    ladle_session_configuration_set_max_connections_per_host (configuration, number);
  if (g_variant_lookup (wire, "user-agent", "&s", &text) && *text != '\0' && strlen (text) <= 1024 &&
      strpbrk (text, "\r\n") == NULL)
    ladle_session_configuration_set_user_agent (configuration, text);
  if (g_variant_lookup (wire, "allow-metered", "b", &flag))
    ladle_session_configuration_set_allow_metered (configuration, flag);
  if (g_variant_lookup (wire, "waits-for-connectivity", "b", &flag))
    ladle_session_configuration_set_waits_for_connectivity (configuration, flag);
  if (g_variant_lookup (wire, "connectivity-timeout", "u", &number))
    ladle_session_configuration_set_connectivity_timeout (configuration, number);
  if (g_variant_lookup (wire, "partial-file-max-age", "t", &age))
    ladle_session_configuration_set_partial_file_max_age (configuration, age);

  headers = g_variant_lookup_value (wire, "headers", G_VARIANT_TYPE ("a{ss}"));
  if (headers != NULL)
    {
      GVariantIter iter;
      const char *name, *value;

      g_variant_iter_init (&iter, headers);
      while (g_variant_iter_next (&iter, "{&s&s}", &name, &value))
        if (*name != '\0' && strpbrk (name, "\r\n: \t") == NULL && strpbrk (value, "\r\n") == NULL)
          ladle_session_configuration_set_header (configuration, name, value);
    }
  sensitive = g_variant_lookup_value (wire, "sensitive-headers", G_VARIANT_TYPE_STRING_ARRAY);
  if (sensitive != NULL)
    {
      GVariantIter iter;
      const char *name;

      g_variant_iter_init (&iter, sensitive);
      while (g_variant_iter_next (&iter, "&s", &name))
        if (*name != '\0' && strpbrk (name, "\r\n: \t") == NULL)
          ladle_session_configuration_set_header_sensitive (configuration, name, TRUE);
    }

  if (g_variant_lookup (wire, "tls-anchors", "&s", &text) && g_path_is_absolute (text))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (text, &error);

      if (database != NULL)
        ladle_session_configuration_set_tls_database (configuration, database);
      else
        g_warning ("Background session “%s” of %s: cannot use the TLS anchors %s: %s",
                   identifier, application_id, text, error->message);
    }

  policy = g_variant_lookup_value (wire, "retry-policy", G_VARIANT_TYPE_VARDICT);
  if (policy != NULL)
    {
      g_autoptr(LadleRetryPolicy) retry_policy = retry_policy_from_wire (policy);

      ladle_session_configuration_set_retry_policy (configuration, retry_policy);
    }

  return g_steal_pointer (&configuration);
}
