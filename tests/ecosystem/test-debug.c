/* test-debug.c: what a developer sees with LADLE_DEBUG and G_MESSAGES_DEBUG
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each case runs this program again as a child process (--child=NAME) with the environment
 * variable set, against the in-process test server, and reads what the child wrote to stderr:
 * LADLE_DEBUG=http logs request and response headers with every credential redacted and no
 * body; LADLE_DEBUG=help lists the flags; G_MESSAGES_DEBUG=Ladle logs a redirect and an error
 * one line each, with the task's phase changes.
 */

#include <string.h>

#include "ladle-test.h"

#define BASIC_SECRET  "user:basic-s3cret-1"
#define COOKIE_SECRET "cookie-s3cret-2"
#define KEY_SECRET    "key-s3cret-3"
#define SET_SECRET    "setcookie-s3cret-4"

typedef struct
{
  gboolean done;
  char    *error;
} Completion;

static void
on_completed (LadleTask    *task,
              const GError *error,
              gpointer      user_data)
{
  Completion *completion = user_data;

  completion->error = error != NULL ? g_strdup (error->message) : NULL;
  completion->done = TRUE;
}

static void
run_task (LadleTask  *task,
          Completion *completion)
{
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), completion);
  ladle_task_resume (task);
  ladle_test_wait_for_flag (&completion->done, 30, "the task completes");
}

/* The child processes */

static int
child_http (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autofree char *basic = g_base64_encode ((const guchar *) BASIC_SECRET, strlen (BASIC_SECRET));
  g_autofree char *authorization = g_strconcat ("Basic ", basic, NULL);
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/set-cookie?cookie=token%3D" SET_SECRET);
  g_autofree char *echo_uri = ladle_test_server_dup_uri (server, "/echo");
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleDataTask) echo = NULL;
  g_autoptr(GBytes) echo_body = NULL;
  Completion completion = { 0 }, echo_completion = { 0 };
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);

  ladle_session_configuration_set_header (configuration, "X-Api-Key", KEY_SECRET);
  ladle_session_configuration_set_header_sensitive (configuration, "X-Api-Key", TRUE);
  session = ladle_session_new (configuration);

  soup_message_headers_replace (headers, "Authorization", authorization);
  soup_message_headers_replace (headers, "Cookie", "session=" COOKIE_SECRET);
  soup_message_headers_replace (headers, "X-Visible", "shown-value");
  task = ladle_session_create_data_task (session, message);
  run_task (LADLE_TASK (task), &completion);
  g_assert_null (completion.error);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 200);

  /* A body that would show in the log if bodies were logged. */
  echo = ladle_session_create_data_task_for_uri (session, echo_uri);
  run_task (LADLE_TASK (echo), &echo_completion);
  g_assert_null (echo_completion.error);
  echo_body = ladle_data_task_dup_body (echo);
  g_assert_true (ladle_test_body_has_line (echo_body, "method GET"));

  g_free (completion.error);
  g_free (echo_completion.error);
  return 0;
}

static int
child_help (void)
{
  g_autoptr(LadleSession) session = ladle_session_new (NULL);

  return 0;
}

static int
child_messages (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_session_new (NULL);
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/redirect?to=/ok");
  g_autofree char *truncated_uri = ladle_test_server_dup_uri (server, "/truncate");
  g_autoptr(LadleDataTask) redirected = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleDataTask) truncated = ladle_session_create_data_task_for_uri (session, truncated_uri);
  Completion completion = { 0 }, truncated_completion = { 0 };

  run_task (LADLE_TASK (redirected), &completion);
  g_assert_null (completion.error);
  run_task (LADLE_TASK (truncated), &truncated_completion);
  g_assert_nonnull (truncated_completion.error);

  g_print ("redirected %" G_GUINT64_FORMAT "\n", ladle_task_get_identifier (LADLE_TASK (redirected)));
  g_print ("truncated %" G_GUINT64_FORMAT "\n", ladle_task_get_identifier (LADLE_TASK (truncated)));
  g_print ("port %u\n", ladle_test_server_get_port (server));
  g_print ("error %s\n", truncated_completion.error);
  g_free (truncated_completion.error);
  return 0;
}

/* The parent */

static char *self_path;

/* Runs the child NAME with VARIABLE=VALUE; returns its stderr lines, *out its stdout. */
static char **
run_child (const char  *name,
           const char  *variable,
           const char  *value,
           char       **out)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *child_arg = g_strconcat ("--child=", name, NULL);
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  g_subprocess_launcher_unsetenv (launcher, "LADLE_DEBUG");
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  g_subprocess_launcher_setenv (launcher, variable, value, TRUE);
  child = g_subprocess_launcher_spawn (launcher, &error, self_path, child_arg, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (child, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (child))
    g_error ("the child %s failed:\n%s", name, stderr_text);

  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return g_strsplit (stderr_text, "\n", -1);
}

static guint
count_lines (char       **lines,
             const char  *pattern)
{
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_pattern_match_simple (pattern, lines[i]))
      n++;
  return n;
}

static void
assert_line (char       **lines,
             const char  *pattern)
{
  if (count_lines (lines, pattern) != 1)
    {
      g_autofree char *all = g_strjoinv ("\n", lines);

      g_error ("expected exactly one line matching “%s” in:\n%s", pattern, all);
    }
}

static void
test_http_headers_redacted (void)
{
  g_auto(GStrv) lines = run_child ("http", "LADLE_DEBUG", "http", NULL);

  /* The request line, without its query (the Set-Cookie value is in it) */
  assert_line (lines, "Ladle-HTTP: > GET /set-cookie?[query hidden] HTTP/1.1");
  assert_line (lines, "Ladle-HTTP: > GET /echo HTTP/1.1");
  /* Headers that are not secret are shown whole */
  assert_line (lines, "Ladle-HTTP: > X-Visible: shown-value");
  g_assert_cmpuint (count_lines (lines, "Ladle-HTTP: > Host: 127.0.0.1:*"), ==, 2);
  g_assert_cmpuint (count_lines (lines, "Ladle-HTTP: < HTTP/1.1 200 OK"), ==, 2);
  g_assert_cmpuint (count_lines (lines, "Ladle-HTTP: < Content-Type: text/plain*"), ==, 2);
  /* Credentials: the name stays, the value never shows */
  assert_line (lines, "Ladle-HTTP: > Authorization: [redacted]");
  /* the application's, then the one the jar took from Set-Cookie */
  g_assert_cmpuint (count_lines (lines, "Ladle-HTTP: > Cookie: [redacted]"), ==, 2);
  g_assert_cmpuint (count_lines (lines, "Ladle-HTTP: > X-Api-Key: [redacted]"), ==, 2);
  assert_line (lines, "Ladle-HTTP: < Set-Cookie: [redacted]");
  g_assert_cmpuint (count_lines (lines, "*s3cret*"), ==, 0);
  g_assert_cmpuint (count_lines (lines, "*dXNlcjpiYXNpYy1zM2NyZXQtMQ*"), ==, 0);
  /* No body: /echo's lists the request */
  g_assert_cmpuint (count_lines (lines, "*method GET*"), ==, 0);
  g_assert_cmpuint (count_lines (lines, "*body-length*"), ==, 0);
  /* Only headers: no phase log without G_MESSAGES_DEBUG */
  g_assert_cmpuint (count_lines (lines, "*Task *"), ==, 0);
}

static void
test_help_lists_flags (void)
{
  g_auto(GStrv) lines = run_child ("help", "LADLE_DEBUG", "help", NULL);

  assert_line (lines, "Supported LADLE_DEBUG values (comma-separated):");
  assert_line (lines, "  http *log request and response headers*");
  assert_line (lines, "  no-direct-body *");
  assert_line (lines, "  no-h2-body-workaround *");
  assert_line (lines, "  no-splice-body *");
  assert_line (lines, "  all *");
  assert_line (lines, "  help *");
}

static void
test_messages_debug (void)
{
  g_autofree char *out = NULL;
  g_auto(GStrv) errors = run_child ("messages", "G_MESSAGES_DEBUG", "Ladle", &out);
  /* GLib writes debug messages to stdout */
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint64 redirected = 0, truncated = 0;
  guint port = 0;
  g_autofree char *error = NULL;
  g_autofree char *pattern = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "redirected "))
        redirected = g_ascii_strtoull (lines[i] + strlen ("redirected "), NULL, 10);
      else if (g_str_has_prefix (lines[i], "truncated "))
        truncated = g_ascii_strtoull (lines[i] + strlen ("truncated "), NULL, 10);
      else if (g_str_has_prefix (lines[i], "port "))
        port = g_ascii_strtoull (lines[i] + strlen ("port "), NULL, 10);
      else if (g_str_has_prefix (lines[i], "error "))
        error = g_strdup (lines[i] + strlen ("error "));
    }
  g_assert_cmpuint (count_lines (errors, "*Ladle*"), ==, 0);
  g_assert_cmpuint (redirected, >, 0);
  g_assert_cmpuint (truncated, >, 0);
  g_assert_nonnull (error);

  /* The redirect: one line, with where it goes (no query) */
  pattern = g_strdup_printf ("*Ladle-DEBUG: *Task %" G_GUINT64_FORMAT ": following redirect 1 (status 302) "
                             "to GET http://127.0.0.1:%u/ok", redirected, port);
  assert_line (lines, pattern);
  g_clear_pointer (&pattern, g_free);
  pattern = g_strdup_printf ("*Task %" G_GUINT64_FORMAT ": following redirect*", redirected);
  assert_line (lines, pattern);
  g_clear_pointer (&pattern, g_free);
  /* Its phases, each change once ("→" is "?" in an ASCII locale) */
  pattern = g_strdup_printf ("*Task %" G_GUINT64_FORMAT ": idle * admitting", redirected);
  assert_line (lines, pattern);
  g_clear_pointer (&pattern, g_free);
  pattern = g_strdup_printf ("*Task %" G_GUINT64_FORMAT ": sending * sending GET http://127.0.0.1:%u/ok",
                             redirected, port);
  assert_line (lines, pattern);
  g_clear_pointer (&pattern, g_free);
  pattern = g_strdup_printf ("*Task %" G_GUINT64_FORMAT ": finishing * done", redirected);
  assert_line (lines, pattern);
  g_clear_pointer (&pattern, g_free);
  pattern = g_strdup_printf ("*Task %" G_GUINT64_FORMAT ": failed:*", redirected);
  g_assert_cmpuint (count_lines (lines, pattern), ==, 0);
  g_clear_pointer (&pattern, g_free);

  /* The error: one line with the message the application got */
  pattern = g_strdup_printf ("*Ladle-DEBUG: *Task %" G_GUINT64_FORMAT ": failed: %s", truncated, error);
  assert_line (lines, pattern);
  g_clear_pointer (&pattern, g_free);
  pattern = g_strdup_printf ("*Task %" G_GUINT64_FORMAT ": failed:*", truncated);
  assert_line (lines, pattern);
  g_clear_pointer (&pattern, g_free);
  pattern = g_strdup_printf ("*Task %" G_GUINT64_FORMAT ": * * done", truncated);
  assert_line (lines, pattern);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 2 && g_str_has_prefix (argv[1], "--child="))
    {
      const char *name = argv[1] + strlen ("--child=");

      if (g_str_equal (name, "http"))
        return child_http ();
      if (g_str_equal (name, "help"))
        return child_help ();
      if (g_str_equal (name, "messages"))
        return child_messages ();
      return 2;
    }

  g_test_init (&argc, &argv, NULL);
  self_path = g_canonicalize_filename (argv[0], NULL);

  g_test_add_func ("/Ladle/Debug/http-headers-redacted", test_http_headers_redacted);
  g_test_add_func ("/Ladle/Debug/help", test_help_lists_flags);
  g_test_add_func ("/Ladle/Debug/messages", test_messages_debug);

  return g_test_run ();
}
