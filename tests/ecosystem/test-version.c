/* test-version.c: the run-time version functions against the headers' version
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <ladle.h>

static void
test_runtime_matches_headers (void)
{
  g_autofree char *version = NULL;

  g_assert_cmpuint (ladle_get_major_version (), ==, LADLE_MAJOR_VERSION);
  g_assert_cmpuint (ladle_get_minor_version (), ==, LADLE_MINOR_VERSION);
  g_assert_cmpuint (ladle_get_micro_version (), ==, LADLE_MICRO_VERSION);

  version = g_strdup_printf ("%u.%u.%u", ladle_get_major_version (), ladle_get_minor_version (),
                             ladle_get_micro_version ());
  g_assert_cmpstr (version, ==, LADLE_VERSION_S);
  g_assert_cmpstr (version, ==, g_getenv ("LADLE_PROJECT_VERSION"));
}

static void
test_check_version (void)
{
  guint major = ladle_get_major_version ();
  guint minor = ladle_get_minor_version ();
  guint micro = ladle_get_micro_version ();

  g_assert_null (ladle_check_version (major, minor, micro));
  g_assert_null (ladle_check_version (major, 0, 0));
  if (minor > 0)
    g_assert_null (ladle_check_version (major, minor - 1, micro + 100));

  g_assert_cmpstr (ladle_check_version (major + 1, 0, 0), ==, "Ladle version too old (major mismatch)");
  g_assert_cmpstr (ladle_check_version (major, minor + 1, 0), ==, "Ladle version too old (minor mismatch)");
  g_assert_cmpstr (ladle_check_version (major, minor, micro + 1), ==, "Ladle version too old (micro mismatch)");
  if (major > 0)
    g_assert_cmpstr (ladle_check_version (major - 1, 0, 0), ==, "Ladle version too new (major mismatch)");
}

static void
test_version_constants (void)
{
  /* The defaults: a program may use everything its headers have and is warned about
   * everything they deprecate. */
  g_assert_cmpint (LADLE_VERSION_CUR_STABLE, ==, LADLE_ENCODE_VERSION (LADLE_MAJOR_VERSION, LADLE_MINOR_VERSION));
  g_assert_cmpint (LADLE_VERSION_MIN_REQUIRED, ==, LADLE_VERSION_CUR_STABLE);
  g_assert_cmpint (LADLE_VERSION_MAX_ALLOWED, ==, LADLE_VERSION_CUR_STABLE);
  g_assert_cmpint (LADLE_VERSION_0_1, <, LADLE_VERSION_0_2);
  g_assert_cmpint (LADLE_VERSION_0_2, ==, 0x000200);
  g_assert_true (LADLE_CHECK_VERSION (0, 2, 0));
  g_assert_false (LADLE_CHECK_VERSION (0, LADLE_MINOR_VERSION + 1, 0));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Version/runtime", test_runtime_matches_headers);
  g_test_add_func ("/Ladle/Version/check-version", test_check_version);
  g_test_add_func ("/Ladle/Version/constants", test_version_constants);

  return g_test_run ();
}
