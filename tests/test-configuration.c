/* test-configuration.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <ladle.h>

#include "ladle-test.h"

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_configuration_defaults (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_default ();
  g_auto(GStrv) names = NULL;
  g_autofree char *expected_state = NULL;

  g_assert_true (LADLE_IS_SESSION_CONFIGURATION (configuration));
  g_assert_cmpint (ladle_session_configuration_get_kind (configuration), ==, LADLE_SESSION_KIND_DEFAULT);
  g_assert_null (ladle_session_configuration_get_identifier (configuration));

  /* unlike libsoup's sessions, a configuration never starts without a timeout */
  g_assert_cmpuint (ladle_session_configuration_get_timeout (configuration), >, 0);
  g_assert_cmpuint (ladle_session_configuration_get_max_connections_per_host (configuration), >, 0);
  g_assert_null (ladle_session_configuration_get_user_agent (configuration));
  g_assert_true (ladle_session_configuration_get_allow_metered (configuration));
  g_assert_null (ladle_session_configuration_get_tls_database (configuration));
  g_assert_null (ladle_session_configuration_get_proxy_resolver (configuration));
  g_assert_null (ladle_session_configuration_get_network_monitor (configuration));
  g_assert_null (ladle_session_configuration_get_header (configuration, "X-Anything"));

  names = ladle_session_configuration_dup_header_names (configuration);
  g_assert_nonnull (names);
  g_assert_cmpuint (g_strv_length (names), ==, 0);

  /* documented: never NULL, $XDG_STATE_HOME/ladle/<program name> by default */
  expected_state = g_build_filename (g_get_user_state_dir (), "ladle", g_get_prgname (), NULL);
  g_assert_cmpstr (ladle_session_configuration_get_state_directory (configuration), ==, expected_state);
}

static void
test_configuration_kinds (void)
{
  g_autoptr(LadleSessionConfiguration) ephemeral = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSessionConfiguration) background = ladle_session_configuration_new_background ("org.example.Test.downloads");
  g_autofree char *identifier = NULL;
  LadleSessionKind kind = LADLE_SESSION_KIND_DEFAULT;

  g_assert_cmpint (ladle_session_configuration_get_kind (ephemeral), ==, LADLE_SESSION_KIND_EPHEMERAL);
  g_assert_null (ladle_session_configuration_get_identifier (ephemeral));
  g_assert_cmpuint (ladle_session_configuration_get_timeout (ephemeral), >, 0);

  g_assert_cmpint (ladle_session_configuration_get_kind (background), ==, LADLE_SESSION_KIND_BACKGROUND);
  g_assert_cmpstr (ladle_session_configuration_get_identifier (background), ==, "org.example.Test.downloads");
  g_assert_cmpuint (ladle_session_configuration_get_timeout (background), >, 0);

  g_object_get (background, "kind", &kind, "identifier", &identifier, NULL);
  g_assert_cmpint (kind, ==, LADLE_SESSION_KIND_BACKGROUND);
  g_assert_cmpstr (identifier, ==, "org.example.Test.downloads");
}

static void
test_configuration_background_needs_identifier (void)
{
  LadleSessionConfiguration *configuration;

  g_test_expect_message ("Ladle", G_LOG_LEVEL_CRITICAL, "*identifier*");
  configuration = ladle_session_configuration_new_background ("");
  g_test_assert_expected_messages ();
  g_assert_null (configuration);
}

static void
test_configuration_setters (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_default ();
  g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (NULL, NULL);
  g_autofree char *user_agent = NULL;
  guint timeout = 0, max_connections = 0;
  gboolean allow_metered = TRUE;
  guint n_notify = 0;

  g_signal_connect (configuration, "notify", G_CALLBACK (count_notify_cb), &n_notify);

  ladle_session_configuration_set_timeout (configuration, 7);
  g_assert_cmpuint (ladle_session_configuration_get_timeout (configuration), ==, 7);
  g_assert_cmpuint (n_notify, ==, 1);
  /* setting the same value again notifies nothing */
  ladle_session_configuration_set_timeout (configuration, 7);
  g_assert_cmpuint (n_notify, ==, 1);

  ladle_session_configuration_set_timeout (configuration, 0);
  g_assert_cmpuint (ladle_session_configuration_get_timeout (configuration), ==, 0);
  g_assert_cmpuint (n_notify, ==, 2);

  ladle_session_configuration_set_max_connections_per_host (configuration, 1);
  g_assert_cmpuint (ladle_session_configuration_get_max_connections_per_host (configuration), ==, 1);
  g_assert_cmpuint (n_notify, ==, 3);

  ladle_session_configuration_set_user_agent (configuration, "LadleTest/1.0");
  g_assert_cmpstr (ladle_session_configuration_get_user_agent (configuration), ==, "LadleTest/1.0");
  g_assert_cmpuint (n_notify, ==, 4);
  ladle_session_configuration_set_user_agent (configuration, "LadleTest/1.0");
  g_assert_cmpuint (n_notify, ==, 4);

  ladle_session_configuration_set_allow_metered (configuration, FALSE);
  g_assert_false (ladle_session_configuration_get_allow_metered (configuration));
  g_assert_cmpuint (n_notify, ==, 5);

  ladle_session_configuration_set_proxy_resolver (configuration, resolver);
  g_assert_true (ladle_session_configuration_get_proxy_resolver (configuration) == resolver);
  g_assert_cmpuint (n_notify, ==, 6);

  ladle_session_configuration_set_state_directory (configuration, "/nonexistent/ladle-state");
  g_assert_cmpstr (ladle_session_configuration_get_state_directory (configuration), ==, "/nonexistent/ladle-state");
  g_assert_cmpuint (n_notify, ==, 7);

  /* the properties read the same values */
  g_object_get (configuration,
                "timeout", &timeout,
                "max-connections-per-host", &max_connections,
                "user-agent", &user_agent,
                "allow-metered", &allow_metered,
                NULL);
  g_assert_cmpuint (timeout, ==, 0);
  g_assert_cmpuint (max_connections, ==, 1);
  g_assert_cmpstr (user_agent, ==, "LadleTest/1.0");
  g_assert_false (allow_metered);

  g_object_set (configuration, "timeout", 3, NULL);
  g_assert_cmpuint (ladle_session_configuration_get_timeout (configuration), ==, 3);

  ladle_session_configuration_set_user_agent (configuration, NULL);
  g_assert_null (ladle_session_configuration_get_user_agent (configuration));
}

static void
test_configuration_headers (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_default ();
  g_auto(GStrv) names = NULL;
  g_auto(GStrv) names_after_remove = NULL;

  ladle_session_configuration_set_header (configuration, "X-Ladle-B", "two");
  ladle_session_configuration_set_header (configuration, "X-Ladle-A", "one");
  ladle_session_configuration_set_header (configuration, "Accept-Language", "fr");

  /* names compare without regard to case */
  g_assert_cmpstr (ladle_session_configuration_get_header (configuration, "x-ladle-a"), ==, "one");
  g_assert_cmpstr (ladle_session_configuration_get_header (configuration, "X-LADLE-B"), ==, "two");

  /* replacing keeps one header */
  ladle_session_configuration_set_header (configuration, "x-ladle-b", "three");
  g_assert_cmpstr (ladle_session_configuration_get_header (configuration, "X-Ladle-B"), ==, "three");

  names = ladle_session_configuration_dup_header_names (configuration);
  g_assert_cmpuint (g_strv_length (names), ==, 3);
  /* sorted, without regard to case */
  g_assert_cmpstr (names[0], ==, "Accept-Language");
  g_assert_cmpint (g_ascii_strcasecmp (names[1], "X-Ladle-A"), ==, 0);
  g_assert_cmpint (g_ascii_strcasecmp (names[2], "X-Ladle-B"), ==, 0);

  /* NULL removes */
  ladle_session_configuration_set_header (configuration, "X-Ladle-A", NULL);
  g_assert_null (ladle_session_configuration_get_header (configuration, "X-Ladle-A"));
  names_after_remove = ladle_session_configuration_dup_header_names (configuration);
  g_assert_cmpuint (g_strv_length (names_after_remove), ==, 2);
}

static void
test_configuration_header_injection (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_default ();
  g_auto(GStrv) names = NULL;

  /* CR and LF would let a value smuggle extra headers: refused */
  g_test_expect_message ("Ladle", G_LOG_LEVEL_CRITICAL, "*");
  ladle_session_configuration_set_header (configuration, "X-Evil", "a\r\nInjected: yes");
  g_test_assert_expected_messages ();

  g_test_expect_message ("Ladle", G_LOG_LEVEL_CRITICAL, "*");
  ladle_session_configuration_set_header (configuration, "X-Evil\nInjected", "a");
  g_test_assert_expected_messages ();

  g_assert_null (ladle_session_configuration_get_header (configuration, "X-Evil"));
  names = ladle_session_configuration_dup_header_names (configuration);
  g_assert_cmpuint (g_strv_length (names), ==, 0);
}

static void
assert_configurations_equal (LadleSessionConfiguration *a,
                             LadleSessionConfiguration *b)
{
  g_auto(GStrv) names_a = ladle_session_configuration_dup_header_names (a);
  g_auto(GStrv) names_b = ladle_session_configuration_dup_header_names (b);

  g_assert_cmpint (ladle_session_configuration_get_kind (a), ==, ladle_session_configuration_get_kind (b));
  g_assert_cmpstr (ladle_session_configuration_get_identifier (a), ==, ladle_session_configuration_get_identifier (b));
  g_assert_cmpuint (ladle_session_configuration_get_timeout (a), ==, ladle_session_configuration_get_timeout (b));
  g_assert_cmpuint (ladle_session_configuration_get_max_connections_per_host (a), ==,
                    ladle_session_configuration_get_max_connections_per_host (b));
  g_assert_cmpstr (ladle_session_configuration_get_user_agent (a), ==, ladle_session_configuration_get_user_agent (b));
  g_assert_cmpint (ladle_session_configuration_get_allow_metered (a), ==, ladle_session_configuration_get_allow_metered (b));
  g_assert_true (ladle_session_configuration_get_tls_database (a) == ladle_session_configuration_get_tls_database (b));
  g_assert_true (ladle_session_configuration_get_proxy_resolver (a) == ladle_session_configuration_get_proxy_resolver (b));
  g_assert_true (ladle_session_configuration_get_network_monitor (a) == ladle_session_configuration_get_network_monitor (b));
  g_assert_cmpstr (ladle_session_configuration_get_state_directory (a), ==,
                   ladle_session_configuration_get_state_directory (b));

  g_assert_true (g_strv_equal ((const char * const *) names_a, (const char * const *) names_b));
  for (guint i = 0; names_a[i] != NULL; i++)
    g_assert_cmpstr (ladle_session_configuration_get_header (a, names_a[i]), ==,
                     ladle_session_configuration_get_header (b, names_a[i]));
}

static LadleSessionConfiguration *
new_customized_configuration (void)
{
  LadleSessionConfiguration *configuration = ladle_session_configuration_new_background ("copy-test");
  g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (NULL, NULL);

  ladle_session_configuration_set_timeout (configuration, 11);
  ladle_session_configuration_set_max_connections_per_host (configuration, 3);
  ladle_session_configuration_set_user_agent (configuration, "CopyTest/2");
  ladle_session_configuration_set_header (configuration, "X-One", "1");
  ladle_session_configuration_set_header (configuration, "X-Two", "2");
  ladle_session_configuration_set_allow_metered (configuration, FALSE);
  ladle_session_configuration_set_proxy_resolver (configuration, resolver);
  ladle_session_configuration_set_state_directory (configuration, "/nonexistent/copy-test");

  return configuration;
}

static void
test_configuration_copy (void)
{
  g_autoptr(LadleSessionConfiguration) original = new_customized_configuration ();
  g_autoptr(LadleSessionConfiguration) copy = ladle_session_configuration_copy (original);

  g_assert_true (copy != original);
  assert_configurations_equal (original, copy);

  /* independent afterwards, both ways */
  ladle_session_configuration_set_timeout (copy, 99);
  ladle_session_configuration_set_header (copy, "X-One", NULL);
  ladle_session_configuration_set_header (original, "X-Three", "3");
  g_assert_cmpuint (ladle_session_configuration_get_timeout (original), ==, 11);
  g_assert_cmpstr (ladle_session_configuration_get_header (original, "X-One"), ==, "1");
  g_assert_null (ladle_session_configuration_get_header (copy, "X-Three"));
}

static void
test_configuration_session_copies (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSessionConfiguration) before = NULL;
  g_autoptr(LadleSessionConfiguration) seen = NULL;
  g_autoptr(LadleSessionConfiguration) seen_again = NULL;
  g_autoptr(LadleSessionConfiguration) seen_by_property = NULL;
  g_autoptr(LadleSession) session = NULL;

  ladle_session_configuration_set_timeout (configuration, 11);
  ladle_session_configuration_set_max_connections_per_host (configuration, 3);
  ladle_session_configuration_set_user_agent (configuration, "CopyTest/2");
  ladle_session_configuration_set_header (configuration, "X-One", "1");
  ladle_session_configuration_set_state_directory (configuration, "/nonexistent/copy-test");
  before = ladle_session_configuration_copy (configuration);

  session = ladle_session_new (configuration);

  /* later changes to the configuration do not reach the session */
  ladle_session_configuration_set_timeout (configuration, 1);
  ladle_session_configuration_set_max_connections_per_host (configuration, 9);
  ladle_session_configuration_set_user_agent (configuration, "Changed/1");
  ladle_session_configuration_set_header (configuration, "X-One", "changed");
  ladle_session_configuration_set_header (configuration, "X-New", "new");

  seen = ladle_session_dup_configuration (session);
  g_assert_true (seen != configuration);
  assert_configurations_equal (seen, before);

  /* nor do changes to what dup_configuration returned */
  ladle_session_configuration_set_timeout (seen, 2);
  ladle_session_configuration_set_header (seen, "X-Seen", "seen");
  seen_again = ladle_session_dup_configuration (session);
  assert_configurations_equal (seen_again, before);

  g_object_get (session, "configuration", &seen_by_property, NULL);
  assert_configurations_equal (seen_by_property, before);
}

static void
test_configuration_session_applies (void)
{
  /* The values a session was made with reach the SoupSession it owns. */
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  SoupSession *soup_session;

  ladle_session_configuration_set_max_connections_per_host (configuration, 1);
  session = ladle_session_new (configuration);
  soup_session = ladle_session_get_soup_session (session);

  /* max-conns-per-host is construct-only in libsoup: the session must have been made with it */
  g_assert_true (SOUP_IS_SESSION (soup_session));
  g_assert_cmpuint (soup_session_get_max_conns_per_host (soup_session), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* g_test_init () sets the program name to argv[0], a path; the default state directory is
   * named after a plain program name */
  g_set_prgname ("ladle-test-configuration");

  g_test_add_func ("/Ladle/Configuration/defaults", test_configuration_defaults);
  g_test_add_func ("/Ladle/Configuration/kinds", test_configuration_kinds);
  g_test_add_func ("/Ladle/Configuration/background-needs-identifier", test_configuration_background_needs_identifier);
  g_test_add_func ("/Ladle/Configuration/setters", test_configuration_setters);
  g_test_add_func ("/Ladle/Configuration/headers", test_configuration_headers);
  g_test_add_func ("/Ladle/Configuration/header-injection", test_configuration_header_injection);
  g_test_add_func ("/Ladle/Configuration/copy", test_configuration_copy);
  g_test_add_func ("/Ladle/Configuration/session-copies", test_configuration_session_copies);
  g_test_add_func ("/Ladle/Configuration/session-applies", test_configuration_session_applies);

  return g_test_run ();
}
