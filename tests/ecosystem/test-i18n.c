/* test-i18n.c: Ladle's gettext domain is bound before its first message, whatever the entry point
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each case runs in a fresh process (g_test_trap_subprocess), so that no earlier call bound the
 * domain: it checks the binding is the default one, reaches a message through one entry point,
 * then checks that "ladle-1" is bound to Ladle's LOCALEDIR in UTF-8.
 */

#include <libintl.h>
#include <ladle.h>

#define DOMAIN "ladle-1"

static void
assert_not_bound_yet (void)
{
  /* bindtextdomain (d, NULL) queries without changing anything. */
  g_assert_cmpstr (bindtextdomain (DOMAIN, NULL), !=, LADLE_TEST_LOCALEDIR);
  g_assert_null (bind_textdomain_codeset (DOMAIN, NULL));
}

static void
assert_bound (void)
{
  g_assert_cmpstr (bindtextdomain (DOMAIN, NULL), ==, LADLE_TEST_LOCALEDIR);
  g_assert_cmpstr (bind_textdomain_codeset (DOMAIN, NULL), ==, "UTF-8");
}

static void
entry_form_error (void)
{
  g_autoptr (LadleMultipartForm) form = NULL;
  g_autoptr (GError) error = NULL;

  assert_not_bound_yet ();
  form = ladle_multipart_form_new ();
  g_assert_false (ladle_multipart_form_append_text (form, "two\nlines", "value", &error));
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_FIELD);
  g_assert_cmpstr (error->message, ==, "The name “two\\nlines” of a form part contains a line break");
  assert_bound ();
}

static void
entry_check_version (void)
{
  assert_not_bound_yet ();
  g_assert_cmpstr (ladle_check_version (LADLE_MAJOR_VERSION + 1, 0, 0), ==,
                   "Ladle version too old (major mismatch)");
  assert_bound ();
}

static void
entry_resume_data (void)
{
  g_autoptr (LadleSession) session = NULL;
  g_autoptr (GBytes) garbage = g_bytes_new_static ("not resume data", 15);
  g_autoptr (GError) error = NULL;
  LadleDownloadTask *task;

  assert_not_bound_yet ();
  session = ladle_session_new (NULL);
  task = ladle_session_create_download_task_from_resume_data (session, garbage, &error);
  g_assert_null (task);
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA);
  assert_bound ();
  ladle_session_invalidate_and_cancel (session);
}

/* Runs the entry point in a child process of this very case (no earlier call bound the domain). */
static void
run_in_subprocess (gconstpointer data)
{
  void (*entry) (void) = data;

  if (g_test_subprocess ())
    {
      entry ();
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/Ladle/I18n/form-error", entry_form_error, run_in_subprocess);
  g_test_add_data_func ("/Ladle/I18n/check-version", entry_check_version, run_in_subprocess);
  g_test_add_data_func ("/Ladle/I18n/resume-data", entry_resume_data, run_in_subprocess);

  return g_test_run ();
}
