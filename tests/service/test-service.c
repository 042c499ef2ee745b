/* test-service.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The transfer service from C. Each case brings up a session bus of its own (GTestDBus) whose
 * only service directory is the build tree's (LADLE_SERVICE_SERVICEDIR), so that the first call
 * activates the built ladle-transfer-service, with this process's environment: XDG_STATE_HOME in
 * the case's temporary directory and a short idle timeout. The downloads come from the in-process
 * test server (its /slow route, served from this thread's main context while the case waits).
 * The application that queues downloads and quits is another process (this program with
 * --app); the relaunched application is this one. A session dropped in a process that goes on
 * is not an application that quit: a session lives on while its tasks run, and gets their
 * completions. (The kill -9 cases are in test_service.py.)
 *
 * Being an ordinary GTest program, it runs under valgrind and ASan like the other C tests; the
 * service it activates is not wrapped.
 */

#include <ladle.h>
#include <glib/gstdio.h>

#include "ladle-test.h"

#define APP_ID "org.gnome.Ladle.TestServiceC"
#define SERVICE_NAME "org.gnome.Ladle.TransferService"
/* 24 chunks of 32 KiB every 50 ms: 768 KiB in about 1.2 s */
#define SLOW_QUERY "chunks=24&size=32768&interval=50&length=1"
#define SLOW_SIZE (24 * 32768)
#define N_DOWNLOADS 3

typedef struct
{
  GTestDBus       *bus;
  LadleTestServer *server;
  char            *tmp_dir;
  char            *out_dir;
  char            *identifier;
} Fixture;

static guint session_counter;

static void
fixture_setup_with (Fixture  *fixture,
                    gboolean  with_service)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("ladle-service-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->out_dir = g_build_filename (fixture->tmp_dir, "downloads", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->out_dir, 0700), ==, 0);
  state = g_build_filename (fixture->tmp_dir, "service-state", NULL);
  g_assert_cmpint (g_mkdir_with_parents (state, 0700), ==, 0);
  fixture->identifier = g_strdup_printf ("c-session-%u", ++session_counter);

  /* The environment of the bus, and so of the service it activates */
  g_setenv ("XDG_STATE_HOME", state, TRUE);
  g_setenv ("LADLE_TRANSFER_SERVICE_IDLE_TIMEOUT", "2", TRUE);

  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  if (with_service)
    g_test_dbus_add_service_dir (fixture->bus, LADLE_SERVICE_SERVICEDIR);
  g_test_dbus_up (fixture->bus);

  fixture->server = ladle_test_server_new ();
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture_setup_with (fixture, TRUE);
}

static void
fixture_setup_no_service (Fixture       *fixture,
                          gconstpointer  data)
{
  fixture_setup_with (fixture, FALSE);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  ladle_test_drain (100);
  /* Ends the bus; the service it activated loses its connection and exits. */
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
  ladle_test_server_free (fixture->server);
  ladle_test_remove_tree (fixture->tmp_dir);
  g_free (fixture->tmp_dir);
  g_free (fixture->out_dir);
  g_free (fixture->identifier);
}

static LadleSessionConfiguration *
configuration_new (Fixture    *fixture,
                   const char *app_id)
{
  LadleSessionConfiguration *configuration =
    ladle_session_configuration_new_background (fixture->identifier);

  ladle_session_configuration_set_application_id (configuration, app_id);
  ladle_session_configuration_set_use_transfer_service (configuration, TRUE);
  return configuration;
}

static LadleSession *
session_new (Fixture *fixture)
{
  g_autoptr(LadleSessionConfiguration) configuration = configuration_new (fixture, APP_ID);
  g_autoptr(GError) error = NULL;
  LadleSession *session = ladle_session_new_sync (configuration, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (LADLE_IS_SESSION (session));
  return session;
}

/* What the session-level handlers saw, in order, by task description */
typedef struct
{
  GString  *events;
  guint     n_delivered;
  gboolean  events_finished;
} Record;

static void
download_finished_cb (LadleSession *session,
                      LadleTask    *task,
                      GFile        *location,
                      Record       *record)
{
  g_autofree char *path = g_file_get_path (location);
  g_autofree char *base = g_path_get_basename (path);

  g_string_append_printf (record->events, "finished:%s(%s) ", ladle_task_get_description (task), base);
}

static void
task_completed_cb (LadleSession *session,
                   LadleTask    *task,
                   const GError *error,
                   Record       *record)
{
  if (error == NULL)
    g_string_append_printf (record->events, "completed:%s:%u ", ladle_task_get_description (task),
                            ladle_task_get_status_code (task));
  else
    g_string_append_printf (record->events, "completed:%s:%s:%d ", ladle_task_get_description (task),
                            g_quark_to_string (error->domain), error->code);
  record->n_delivered++;
}

static void
events_finished_cb (LadleSession *session,
                    Record       *record)
{
  g_string_append (record->events, "events-finished ");
  record->events_finished = TRUE;
}

static void
record_connect (LadleSession *session,
                Record       *record)
{
  record->events = g_string_new (NULL);
  g_signal_connect (session, "download-finished", G_CALLBACK (download_finished_cb), record);
  g_signal_connect (session, "task-completed", G_CALLBACK (task_completed_cb), record);
  g_signal_connect (session, "background-events-finished", G_CALLBACK (events_finished_cb), record);
}

static void
record_clear (LadleSession *session,
              Record       *record)
{
  g_signal_handlers_disconnect_by_data (session, record);
  g_string_free (record->events, TRUE);
}

static LadleTask *
start_download (Fixture      *fixture,
                LadleSession *session,
                const char   *name)
{
  g_autofree char *path = g_strdup_printf ("/slow?" SLOW_QUERY "&name=%s", name);
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path);
  g_autofree char *destination = g_build_filename (fixture->out_dir, name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (destination);
  LadleTask *task = LADLE_TASK (ladle_session_create_download_task_for_uri (session, uri));

  ladle_task_set_description (task, name);
  ladle_download_task_set_destination (LADLE_DOWNLOAD_TASK (task), file,
                                       LADLE_DESTINATION_FLAGS_REPLACE |
                                       LADLE_DESTINATION_FLAGS_CREATE_PARENTS);
  ladle_task_resume (task);
  return task;
}

typedef struct
{
  Fixture *fixture;
  guint    n;
} FilesWait;

static gboolean
files_arrived (gpointer data)
{
  FilesWait *wait = data;

  for (guint i = 1; i <= wait->n; i++)
    {
      g_autofree char *name = g_strdup_printf ("episode-%u.bin", i);
      g_autofree char *path = g_build_filename (wait->fixture->out_dir, name, NULL);

      if (ladle_test_file_size (path) != SLOW_SIZE)
        return FALSE;
    }
  return TRUE;
}

static void
assert_files (Fixture *fixture)
{
  g_autofree char *expected = ladle_test_content_checksum (SLOW_SIZE);

  for (guint i = 1; i <= N_DOWNLOADS; i++)
    {
      g_autofree char *name = g_strdup_printf ("episode-%u.bin", i);
      g_autofree char *path = g_build_filename (fixture->out_dir, name, NULL);
      g_autofree char *checksum = ladle_test_checksum_file (path);

      g_assert_cmpstr (checksum, ==, expected);
    }
}

/* The application, as a child process (this program with --app): it queues the downloads
 * URI=DEST..., lets its main loop run for half a second, and quits. */
static int
run_app (int    argc,
         char **argv)
{
  g_autoptr(LadleSessionConfiguration) configuration = NULL;
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;

  if (argc < 4)
    return 2;
  configuration = ladle_session_configuration_new_background (argv[3]);
  ladle_session_configuration_set_application_id (configuration, argv[2]);
  ladle_session_configuration_set_use_transfer_service (configuration, TRUE);
  session = ladle_session_new_sync (configuration, NULL, &error);
  if (session == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 3;
    }

  for (int i = 4; i < argc; i++)
    {
      const char *equals = strrchr (argv[i], '=');
      g_autofree char *uri = equals != NULL ? g_strndup (argv[i], equals - argv[i]) : NULL;
      g_autoptr(GFile) destination = NULL;
      g_autoptr(LadleDownloadTask) task = NULL;
      g_autofree char *name = NULL;

      if (uri == NULL)
        return 2;
      destination = g_file_new_for_path (equals + 1);
      name = g_file_get_basename (destination);
      task = ladle_session_create_download_task_for_uri (session, uri);
      ladle_task_set_description (LADLE_TASK (task), name);
      ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
      ladle_task_resume (LADLE_TASK (task));
    }

  g_timeout_add_once (500, (GSourceOnceFunc) g_main_loop_quit, loop);
  g_main_loop_run (loop);
  return 0;
}

static void
app_exited_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* Runs the application (run_app()) with the downloads of @names and waits for it to quit,
 * serving the test server meanwhile. */
static void
launch_app (Fixture            *fixture,
            const char * const *names)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GError) error = NULL;
  gboolean exited = FALSE;

  g_ptr_array_add (argv, g_file_read_link ("/proc/self/exe", &error));
  g_assert_no_error (error);
  g_ptr_array_add (argv, g_strdup ("--app"));
  g_ptr_array_add (argv, g_strdup (APP_ID));
  g_ptr_array_add (argv, g_strdup (fixture->identifier));
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_strdup_printf ("/slow?" SLOW_QUERY "&name=%s", names[i]);
      g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path);
      g_autofree char *destination = g_build_filename (fixture->out_dir, names[i], NULL);

      g_ptr_array_add (argv, g_strconcat (uri, "=", destination, NULL));
    }
  g_ptr_array_add (argv, NULL);

  app = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check_async (app, NULL, app_exited_cb, &exited);
  ladle_test_wait_for_flag (&exited, 60, "the application's exit");
}

/* Attaches on this process's bus connection (which the session made next shares) until the
 * service lists no unfinished task and @n completions, detaching each time without
 * acknowledging anything. */
static void
wait_for_service_completions (Fixture *fixture,
                              guint    n)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_assert_nonnull (bus);
  for (;;)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariant) tasks = NULL;
      g_autoptr(GVariant) completions = NULL;
      g_autoptr(GVariant) detached = NULL;
      g_autoptr(GError) error = NULL;
      const char *path;
      gboolean settled;

      reply = g_dbus_connection_call_sync (bus, SERVICE_NAME, "/org/gnome/Ladle/TransferService",
                                           "org.gnome.Ladle.TransferService", "Attach",
                                           g_variant_new ("(ss@a{sv})", APP_ID, fixture->identifier,
                                                          g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                                           G_VARIANT_TYPE ("(ota{sv}aa{sv}aa{sv})"), G_DBUS_CALL_FLAGS_NONE,
                                           30000, NULL, &error);
      g_assert_no_error (error);
      g_variant_get_child (reply, 0, "&o", &path);
      tasks = g_variant_get_child_value (reply, 3);
      completions = g_variant_get_child_value (reply, 4);
      settled = g_variant_n_children (tasks) == 0 && g_variant_n_children (completions) == n;
      detached = g_dbus_connection_call_sync (bus, SERVICE_NAME, path,
                                              "org.gnome.Ladle.TransferService.Session", "Detach",
                                              NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
      g_assert_no_error (error);
      if (settled)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("The service still has %" G_GSIZE_FORMAT " unfinished tasks and %" G_GSIZE_FORMAT
                 " of %u completions", g_variant_n_children (tasks),
                 g_variant_n_children (completions), n);
      ladle_test_spin (50);
    }
}

/* The application (another process) queues three downloads and quits; they finish in the
 * service; the next launch (this process) gets each completion once, then
 * background-events-finished; the one after that nothing. */
static void
test_quit_and_relaunch (Fixture       *fixture,
                        gconstpointer  data)
{
  const char * const names[] = { "episode-1.bin", "episode-2.bin", "episode-3.bin", NULL };
  g_autoptr(LadleSession) second = NULL;
  g_autoptr(LadleSession) third = NULL;
  FilesWait wait = { fixture, N_DOWNLOADS };
  Record record = { 0 };

  launch_app (fixture, names);

  ladle_test_wait_until (files_arrived, &wait, 60, "the three downloads at their destinations");
  assert_files (fixture);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, N_DOWNLOADS);

  /* The file is in place before the service has recorded its completion (a slow ASan run
   * attached in between and found the task still running): ask the service itself */
  wait_for_service_completions (fixture, N_DOWNLOADS);

  /* Relaunched: no unfinished task, three completions */
  second = session_new (fixture);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 0);
  record_connect (second, &record);
  ladle_test_wait_for_flag (&record.events_finished, 30, "background-events-finished");
  ladle_test_spin (200);
  g_assert_cmpstr (record.events->str, ==,
                   "finished:episode-1.bin(episode-1.bin) completed:episode-1.bin:200 "
                   "finished:episode-2.bin(episode-2.bin) completed:episode-2.bin:200 "
                   "finished:episode-3.bin(episode-3.bin) completed:episode-3.bin:200 "
                   "events-finished ");
  record_clear (second, &record);
  g_clear_object (&second);

  third = session_new (fixture);
  record_connect (third, &record);
  ladle_test_wait_for_flag (&record.events_finished, 30, "background-events-finished");
  ladle_test_spin (200);
  g_assert_cmpstr (record.events->str, ==, "events-finished ");
  record_clear (third, &record);
  assert_files (fixture);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, N_DOWNLOADS);
}

/* Ladle's warnings that a test expects (structured logging: g_test_expect_message() does not
 * see them, as in test-background.c); every other message goes to GLib's writer, where warnings
 * are fatal. */
static const char *expected_warning;
static guint n_expected_warnings;

static GLogWriterOutput
expecting_writer (GLogLevelFlags   log_level,
                  const GLogField *fields,
                  gsize            n_fields,
                  gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }

  if ((log_level & G_LOG_LEVEL_WARNING) && expected_warning != NULL && g_strcmp0 (domain, "Ladle") == 0 &&
      message != NULL && g_pattern_match_simple (expected_warning, message))
    {
      n_expected_warnings++;
      return G_LOG_WRITER_HANDLED;
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* A bus without the service: new_sync() reports it; new() warns and its tasks complete with
 * the same error. */
static void
task_completed_signal_cb (LadleTask    *task,
                          const GError *error,
                          GError      **out)
{
  g_assert_null (*out);
  g_assert_nonnull (error);
  *out = g_error_copy (error);
}

static gboolean
error_set (gpointer data)
{
  return *(GError **) data != NULL;
}

static void
test_unavailable (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(LadleSessionConfiguration) configuration = configuration_new (fixture, APP_ID);
  g_autoptr(LadleSessionConfiguration) plain = ladle_session_configuration_new_default ();
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) completed = NULL;

  /* reported to the caller, who may fall back to an in-process session: no warning */
  expected_warning = "*";
  n_expected_warnings = 0;
  session = ladle_session_new_sync (configuration, NULL, &error);
  expected_warning = NULL;
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_SERVICE_UNAVAILABLE);
  g_assert_null (session);
  g_assert_cmpuint (n_expected_warnings, ==, 0);
  g_clear_error (&error);

  /* Other configurations do not need the service */
  session = ladle_session_new_sync (plain, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session);
  g_clear_object (&session);

  expected_warning = "*transfer service*";
  n_expected_warnings = 0;
  session = ladle_session_new (configuration);
  expected_warning = NULL;
  g_assert_cmpuint (n_expected_warnings, ==, 1);
  g_assert_nonnull (session);
  task = start_download (fixture, session, "episode-1.bin");
  g_signal_connect (task, "completed", G_CALLBACK (task_completed_signal_cb), &completed);
  ladle_test_wait_until (error_set, &completed, 30, "the task's completion");
  g_assert_error (completed, LADLE_ERROR, LADLE_ERROR_SERVICE_UNAVAILABLE);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 0);
}

/* Cancelled in the service: completes with G_IO_ERROR_CANCELLED, delivered once; suspended and
 * resumed: the download finishes in full. */
static void
test_suspend_cancel (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture);
  g_autoptr(LadleSession) again = NULL;
  g_autoptr(LadleTask) kept = NULL;
  g_autoptr(LadleTask) cancelled = NULL;
  g_autoptr(GError) cancel_error = NULL;
  FilesWait wait = { fixture, 1 };
  Record record = { 0 };

  record_connect (session, &record);
  ladle_test_wait_for_flag (&record.events_finished, 30, "background-events-finished");
  kept = start_download (fixture, session, "episode-1.bin");
  cancelled = start_download (fixture, session, "episode-2.bin");
  g_signal_connect (cancelled, "completed", G_CALLBACK (task_completed_signal_cb), &cancel_error);

  ladle_task_suspend (kept);
  g_assert_cmpint (ladle_task_get_state (kept), ==, LADLE_TASK_STATE_SUSPENDED);
  ladle_task_cancel (cancelled);
  ladle_test_wait_until (error_set, &cancel_error, 30, "the cancelled task's completion");
  g_assert_error (cancel_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (ladle_task_get_state (cancelled), ==, LADLE_TASK_STATE_COMPLETED);

  ladle_test_spin (300);
  g_assert_cmpint (ladle_task_get_state (kept), ==, LADLE_TASK_STATE_SUSPENDED);
  ladle_task_resume (kept);
  ladle_test_wait_until (files_arrived, &wait, 60, "the resumed download");
  while (record.n_delivered < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (ladle_task_get_state (kept), ==, LADLE_TASK_STATE_COMPLETED);
  g_assert_null (ladle_task_get_error (kept));
  g_assert_cmpstr (record.events->str, ==,
                   "events-finished completed:episode-2.bin:g-io-error-quark:19 "
                   "finished:episode-1.bin(episode-1.bin) completed:episode-1.bin:200 ");
  record_clear (session, &record);
  g_clear_object (&session);

  /* delivered once: a relaunch gets nothing */
  again = session_new (fixture);
  record_connect (again, &record);
  ladle_test_wait_for_flag (&record.events_finished, 30, "background-events-finished");
  ladle_test_spin (200);
  g_assert_cmpstr (record.events->str, ==, "events-finished ");
  record_clear (again, &record);
}

/* A connection bound to another application id gets AccessDenied for this one's sessions. */
static void
test_isolation (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture);
  g_autoptr(LadleTask) task = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GDBusConnection) other = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) tasks = NULL;
  FilesWait wait = { fixture, 1 };
  Record record = { 0 };

  other = g_dbus_connection_new_for_address_sync (address,
                                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                  NULL, NULL, &error);
  g_assert_no_error (error);
  record_connect (session, &record);
  task = start_download (fixture, session, "episode-1.bin");

  reply = g_dbus_connection_call_sync (other, SERVICE_NAME, "/org/gnome/Ladle/TransferService",
                                       "org.gnome.Ladle.TransferService", "Attach",
                                       g_variant_new ("(ss@a{sv})", "org.gnome.Ladle.TestOther",
                                                      fixture->identifier,
                                                      g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                                       G_VARIANT_TYPE ("(ota{sv}aa{sv}aa{sv})"), G_DBUS_CALL_FLAGS_NONE,
                                       30000, NULL, &error);
  g_assert_no_error (error);
  /* its own session, empty: nothing of this application's */
  tasks = g_variant_get_child_value (reply, 3);
  g_assert_cmpuint (g_variant_n_children (tasks), ==, 0);
  g_clear_pointer (&reply, g_variant_unref);

  reply = g_dbus_connection_call_sync (other, SERVICE_NAME, "/org/gnome/Ladle/TransferService",
                                       "org.gnome.Ladle.TransferService", "ListSessions",
                                       g_variant_new ("(s)", APP_ID), G_VARIANT_TYPE ("(as)"),
                                       G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  g_assert_null (reply);
  g_clear_error (&error);

  reply = g_dbus_connection_call_sync (other, SERVICE_NAME, "/org/gnome/Ladle/TransferService",
                                       "org.gnome.Ladle.TransferService", "Attach",
                                       g_variant_new ("(ss@a{sv})", APP_ID, fixture->identifier,
                                                      g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                                       G_VARIANT_TYPE ("(ota{sv}aa{sv}aa{sv})"), G_DBUS_CALL_FLAGS_NONE,
                                       30000, NULL, &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  g_clear_error (&error);
  g_dbus_connection_close_sync (other, NULL, NULL);

  /* untouched: it finishes */
  ladle_test_wait_until (files_arrived, &wait, 60, "the download");
  while (record.n_delivered < 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (record.events->str, ==,
                   "events-finished finished:episode-1.bin(episode-1.bin) completed:episode-1.bin:200 ");
  record_clear (session, &record);
}

int
main (int   argc,
      char *argv[])
{
  if (argc > 1 && g_str_equal (argv[1], "--app"))
    return run_app (argc, argv);

  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (expecting_writer, NULL, NULL);

  g_test_add ("/Ladle/Service/quit-and-relaunch", Fixture, NULL, fixture_setup, test_quit_and_relaunch,
              fixture_teardown);
  g_test_add ("/Ladle/Service/unavailable", Fixture, NULL, fixture_setup_no_service, test_unavailable,
              fixture_teardown);
  g_test_add ("/Ladle/Service/suspend-cancel", Fixture, NULL, fixture_setup, test_suspend_cancel,
              fixture_teardown);
  g_test_add ("/Ladle/Service/isolation", Fixture, NULL, fixture_setup, test_isolation, fixture_teardown);

  return g_test_run ();
}
