/* test-hardening-files.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The hardening rules about files, credentials and waits, tried the way a hostile server, a
 * second process or a careless caller would:
 *
 *   lock/         one partial file, one task (same session, two sessions, two processes), and
 *                 the on-disk size checked when a download completes
 *   recovery/     a partial file longer than its resume data is cut back, a shorter one refused
 *   cleanup/      ephemeral sessions' private partial directory, the startup sweep
 *   credentials/  session and request credentials never cross origins; app Cookie + jar
 *   resume-data/  resume data holds no credentials, refuses them, and resumes with a new request
 *   speed/        the low-speed watchdog and Task:total-timeout
 *
 * The two-process cases run this same program as the helper child (see child_main): it resumes
 * a download from resume data written to a file and holds it suspended, or holds a flock().
 */

#include <ladle.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "ladle-test.h"

#define RESOURCE_SIZE 2000000
#define STALL         100000

static const char *self_path;  /* argv[0], for the child processes */

/* Files */

static void
write_file (const char   *path,
            const guint8 *data,
            gsize         length)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, (const char *) data, length, &error);
  g_assert_no_error (error);
}

static void
append_to_file (const char   *path,
                const guint8 *data,
                gsize         length)
{
  int fd = open (path, O_WRONLY | O_APPEND);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, data, length), ==, (gssize) length);
  close (fd);
}

static void
append_garbage (const char *path,
                gsize       length)
{
  g_autofree guint8 *garbage = g_malloc (length);

  memset (garbage, 0xa5, length);
  append_to_file (path, garbage, length);
}

/* Sets the modification time of @path (not following a link) to @age seconds ago. */
static void
set_age (const char *path,
         gint64      age)
{
  struct timeval times[2];
  gint64 when = g_get_real_time () / G_USEC_PER_SEC - age;

  times[0].tv_sec = times[1].tv_sec = when;
  times[0].tv_usec = times[1].tv_usec = 0;
  g_assert_cmpint (lutimes (path, times), ==, 0);
}

/* Resume data, read the way a foreign program would: a little-endian a{sv}. */

static GVariantDict *
parse_resume_data (GBytes *bytes)
{
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GVariant) normal = NULL;

  g_assert_nonnull (bytes);
  variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (variant);

      g_variant_unref (variant);
      variant = swapped;
    }
  normal = g_variant_get_normal_form (variant);

  return g_variant_dict_new (normal);
}

static char *
resume_partial_name (GBytes *resume_data)
{
  g_autoptr(GVariantDict) dict = parse_resume_data (resume_data);
  char *name = NULL;

  g_assert_true (g_variant_dict_lookup (dict, "partial-file", "s", &name));
  g_assert_null (strchr (name, '/'));

  return name;
}

static guint64
resume_bytes_received (GBytes *resume_data)
{
  g_autoptr(GVariantDict) dict = parse_resume_data (resume_data);
  guint64 bytes = 0;

  g_assert_true (g_variant_dict_lookup (dict, "bytes-received", "t", &bytes));

  return bytes;
}

/* The names of the recorded request headers, lower-case, each followed by "\n". */
static char *
resume_header_names (GBytes *resume_data)
{
  g_autoptr(GVariantDict) dict = parse_resume_data (resume_data);
  g_autoptr(GVariant) headers = g_variant_dict_lookup_value (dict, "headers", G_VARIANT_TYPE ("a(ss)"));
  GString *names = g_string_new (NULL);
  GVariantIter iter;
  const char *name, *value;

  g_assert_nonnull (headers);
  g_variant_iter_init (&iter, headers);
  while (g_variant_iter_next (&iter, "(&s&s)", &name, &value))
    {
      g_autofree char *lower = g_ascii_strdown (name, -1);

      g_string_append_printf (names, "%s\n", lower);
    }

  return g_string_free (names, FALSE);
}

typedef LadleTestResumeFields ResumeFields;

/* Sessions and tasks */

static LadleSessionConfiguration *
configuration_new (const char *state_dir)
{
  LadleSessionConfiguration *configuration = ladle_session_configuration_new_ephemeral ();

  if (state_dir != NULL)
    ladle_session_configuration_set_state_directory (configuration, state_dir);

  return configuration;
}

static LadleSession *
session_new (const char *state_dir)
{
  g_autoptr(LadleSessionConfiguration) configuration = configuration_new (state_dir);

  return ladle_session_new (configuration);
}

typedef struct
{
  LadleTestServer *server;
  char            *state_dir;
  char            *downloads_dir;
  char            *outside_dir;
  LadleSession    *session;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = ladle_test_server_new ();
  fixture->state_dir = g_dir_make_tmp ("ladle-hardening-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->outside_dir = g_dir_make_tmp ("ladle-hardening-out-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->downloads_dir = g_build_filename (fixture->state_dir, "downloads", NULL);
  fixture->session = session_new (fixture->state_dir);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  ladle_session_invalidate_and_cancel (fixture->session);
  g_clear_object (&fixture->session);
  ladle_test_spin (50);
  g_clear_pointer (&fixture->server, ladle_test_server_free);
  ladle_test_remove_tree (fixture->state_dir);
  ladle_test_remove_tree (fixture->outside_dir);
  g_free (fixture->state_dir);
  g_free (fixture->downloads_dir);
  g_free (fixture->outside_dir);
}

static char *
outside_path (Fixture    *fixture,
              const char *name)
{
  return g_build_filename (fixture->outside_dir, name, NULL);
}

static char *
partial_path (Fixture *fixture,
              GBytes  *resume_data)
{
  g_autofree char *name = resume_partial_name (resume_data);

  return g_build_filename (fixture->downloads_dir, name, NULL);
}

static LadleDownloadTask *
create_download (Fixture      *fixture,
                 LadleSession *session,
                 const char   *path_and_query)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path_and_query);
  LadleDownloadTask *task = ladle_session_create_download_task_for_uri (session, uri);

  g_assert_true (LADLE_IS_DOWNLOAD_TASK (task));

  return task;
}

static LadleTestRequest *
last_request (Fixture *fixture)
{
  return ladle_test_server_get_last_request (fixture->server);
}

static void
set_destination (LadleDownloadTask *task,
                 const char        *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  ladle_download_task_set_destination (task, file, LADLE_DESTINATION_FLAGS_REPLACE);
}

static gboolean
task_has_bytes (gpointer data)
{
  LadleTask *task = data;

  return ladle_task_get_state (task) == LADLE_TASK_STATE_COMPLETED ||
         (guint64) ladle_task_get_bytes_received (task) >= GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (task), "wanted"));
}

static void
wait_for_bytes (gpointer task,
                gint64   bytes)
{
  g_object_set_data (G_OBJECT (task), "wanted", GSIZE_TO_POINTER (bytes));
  ladle_test_wait_until (task_has_bytes, task, 30, "the first bytes of the body");
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (task)), ==, LADLE_TASK_STATE_RUNNING);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), ==, bytes);
}

/* Downloads /resource/RESOURCE_SIZE?stall=STALL in @session, pauses it after its STALL bytes and
 * returns the resume data. */
static GBytes *
download_and_pause (Fixture      *fixture,
                    LadleSession *session)
{
  g_autofree char *path = g_strdup_printf ("/resource/%d?stall=%d", RESOURCE_SIZE, STALL);
  g_autoptr(LadleDownloadTask) task = create_download (fixture, session, path);
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);

  ladle_task_resume (LADLE_TASK (task));
  wait_for_bytes (task, STALL);
  ladle_test_recorder_pause (recorder);
  ladle_test_recorder_wait (recorder);
  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (recorder->resume_error);
  g_assert_nonnull (recorder->resume_data);
  g_assert_cmpuint (resume_bytes_received (recorder->resume_data), ==, STALL);

  return g_bytes_ref (recorder->resume_data);
}

/* Suspends a task in its first ::download-progress: it then holds its partial file. */
typedef struct
{
  LadleTask *task;
  gulong     handler;
  gboolean   suspended;
} Holder;

static void
holder_progress_cb (LadleTask *task,
                    gint64     received_now,
                    gint64     total_received,
                    gint64     total_expected,
                    Holder    *holder)
{
  if (holder->suspended)
    return;
  holder->suspended = TRUE;
  ladle_task_suspend (task);
}

static void
holder_start (Holder    *holder,
              gpointer   task)
{
  holder->task = task;
  holder->suspended = FALSE;
  holder->handler = g_signal_connect (task, "download-progress", G_CALLBACK (holder_progress_cb), holder);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_for_flag (&holder->suspended, 30, "the first download-progress");
  g_assert_cmpint (ladle_task_get_state (holder->task), ==, LADLE_TASK_STATE_SUSPENDED);
  /* the writes queued before the suspension land */
  ladle_test_spin (200);
}

static void
holder_stop (Holder *holder)
{
  g_clear_signal_handler (&holder->handler, holder->task);
}

/* Resumes @resume_data in @session while another task holds its partial file: it must fail
 * with LADLE_ERROR_PARTIAL_FILE "in use by another task", at creation or at once when resumed,
 * without a request to the server. */
static void
assert_in_use (Fixture      *fixture,
               LadleSession *session,
               GBytes       *resume_data,
               const char   *partial)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *destination = outside_path (fixture, "second.bin");
  g_autofree char *before = ladle_test_checksum_file (partial);
  g_autofree char *after = NULL;
  guint n_requests = ladle_test_server_get_n_requests (fixture->server);
  const GError *failure;

  task = ladle_session_create_download_task_from_resume_data (session, resume_data, &error);
  if (task == NULL)
    failure = error;
  else
    {
      g_assert_no_error (error);
      set_destination (task, destination);
      recorder = ladle_test_recorder_new (task);
      ladle_task_resume (LADLE_TASK (task));
      ladle_test_recorder_wait (recorder);
      /* no response: it failed before anything was sent */
      ladle_test_recorder_assert_events (recorder, "CT");
      failure = recorder->error;
    }

  g_assert_error (failure, LADLE_ERROR, LADLE_ERROR_PARTIAL_FILE);
  g_assert_nonnull (strstr (failure->message, "in use by another task"));
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, n_requests);
  g_assert_false (g_file_test (destination, G_FILE_TEST_EXISTS));
  /* the holder's file is left alone */
  after = ladle_test_checksum_file (partial);
  g_assert_cmpstr (after, ==, before);
}

/* Resumes the held task and checks it completes with the whole resource. */
static void
finish_holder (Fixture           *fixture,
               Holder            *holder,
               LadleTestRecorder *recorder,
               const char        *destination)
{
  g_autofree char *expected = ladle_test_variant_content_checksum (1, RESOURCE_SIZE);
  g_autofree char *actual = NULL;

  holder_stop (holder);
  ladle_task_resume (holder->task);
  ladle_test_recorder_wait (recorder);
  g_assert_no_error (recorder->error);
  g_assert_cmpuint (ladle_task_get_status_code (holder->task), ==, 206);
  actual = ladle_test_checksum_file (destination);
  g_assert_cmpstr (actual, ==, expected);
}

/* Resumes @resume_data to the end and checks the file and the range asked for. */
static void
resume_to_end (Fixture      *fixture,
               LadleSession *session,
               GBytes       *resume_data,
               guint64       offset)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_from_resume_data (session, resume_data, &error);
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *destination = outside_path (fixture, "resumed.bin");
  g_autofree char *expected = ladle_test_variant_content_checksum (1, RESOURCE_SIZE);
  g_autofree char *actual = NULL;
  g_autofree char *range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", offset);

  g_assert_no_error (error);
  g_assert_nonnull (task);
  set_destination (task, destination);
  recorder = ladle_test_recorder_new (task);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  g_assert_no_error (recorder->error);
  g_assert_cmpuint (recorder->n_resumed, ==, 1);
  g_assert_cmpint (recorder->resumed_offset, ==, offset);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (task)), ==, 206);
  g_assert_cmpstr (last_request (fixture)->range, ==, range);
  actual = ladle_test_checksum_file (destination);
  g_assert_cmpstr (actual, ==, expected);
  g_unlink (destination);
}

/* The child process (this program with --child-...) */

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  GCancellable     *cancellable;
  char             *line;
  gboolean          got_line;
  gboolean          exited;
} Child;

static void
child_line_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Child *child = user_data;
  g_autoptr(GError) error = NULL;

  child->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  child->got_line = TRUE;
}

/* The next line the child prints, NULL at its end; the main context runs meanwhile (the child
 * may be talking to this process's server). */
static char *
child_read_line (Child *child)
{
  child->got_line = FALSE;
  g_clear_pointer (&child->line, g_free);
  g_data_input_stream_read_line_async (child->out, G_PRIORITY_DEFAULT, child->cancellable, child_line_cb, child);
  ladle_test_wait_for_flag (&child->got_line, 60, "a line from the child process");

  return g_steal_pointer (&child->line);
}

static void
child_write_line (Child      *child,
                  const char *line)
{
  GOutputStream *in = g_subprocess_get_stdin_pipe (child->process);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (in, line, strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (in, "\n", 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (in, NULL, &error);
  g_assert_no_error (error);
}

static Child *
child_spawn (const char * const *args)
{
  Child *child = g_new0 (Child, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, (gpointer) self_path);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  child->process = g_subprocess_newv ((const char * const *) argv->pdata,
                                      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                      &error);
  g_assert_no_error (error);
  child->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child->process));
  child->cancellable = g_cancellable_new ();

  return child;
}

static void
child_wait_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Child *child = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  child->exited = TRUE;
}

/* Closes its stdin (it exits) and reaps it. */
static void
child_free (Child *child)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (child->process), NULL, NULL);
  g_subprocess_wait_async (child->process, NULL, child_wait_cb, child);
  ladle_test_wait_for_flag (&child->exited, 30, "the child process exiting");
  g_cancellable_cancel (child->cancellable);
  ladle_test_drain (0);
  g_clear_object (&child->out);
  g_clear_object (&child->cancellable);
  g_clear_object (&child->process);
  g_free (child->line);
  g_free (child);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Child, child_free)

static char *
read_stdin_line (void)
{
  char buffer[256];

  if (fgets (buffer, sizeof buffer, stdin) == NULL)
    return NULL;
  g_strchomp (buffer);

  return g_strdup (buffer);
}

typedef struct
{
  gboolean done;
  gboolean suspended;
  GError  *error;
} ChildTask;

static void
child_progress_cb (LadleTask *task,
                   gint64     received_now,
                   gint64     total_received,
                   gint64     total_expected,
                   ChildTask *state)
{
  if (state->suspended)
    return;
  state->suspended = TRUE;
  ladle_task_suspend (task);
}

static void
child_completed_cb (LadleTask    *task,
                    const GError *error,
                    ChildTask    *state)
{
  state->error = error ? g_error_copy (error) : NULL;
  state->done = TRUE;
}

static void
print_line (const char *format,
            ...) G_GNUC_PRINTF (1, 2);

static void
print_line (const char *format,
            ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  printf ("\n");
  fflush (stdout);
}

static void
print_error (const char   *what,
             const GError *error)
{
  if (error == NULL)
    print_line ("%s ok", what);
  else
    print_line ("%s %s %d %s", what, g_quark_to_string (error->domain), error->code, error->message);
}

/*
 *   --child-resume STATE_DIR RESUME_FILE DESTINATION
 *       resumes the download, suspends it in its first download-progress and prints "holding",
 *       waits for a line on stdin, resumes and prints "done ok" or "done DOMAIN CODE MESSAGE"
 *       (a task that fails before it holds prints "done ..." at once; one that cannot be
 *       created prints "create ...")
 *   --child-flock PATH
 *       holds an exclusive flock() on PATH, prints "locked", and waits for stdin to close
 */
static int
child_main (int    argc,
            char **argv)
{
  if (argc == 5 && g_str_equal (argv[1], "--child-resume"))
    {
      g_autoptr(LadleSession) session = session_new (argv[2]);
      g_autoptr(LadleDownloadTask) task = NULL;
      g_autoptr(GBytes) resume_data = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *contents = NULL;
      g_autofree char *go = NULL;
      ChildTask state = { 0, };
      gsize length;

      if (!g_file_get_contents (argv[3], &contents, &length, &error))
        {
          print_error ("create", error);
          return 1;
        }
      resume_data = g_bytes_new_take (g_steal_pointer (&contents), length);
      task = ladle_session_create_download_task_from_resume_data (session, resume_data, &error);
      if (task == NULL)
        {
          print_error ("create", error);
          return 0;
        }
      set_destination (task, argv[4]);
      g_signal_connect (task, "download-progress", G_CALLBACK (child_progress_cb), &state);
      g_signal_connect (task, "completed", G_CALLBACK (child_completed_cb), &state);
      ladle_task_resume (LADLE_TASK (task));
      while (!state.done && !state.suspended)
        g_main_context_iteration (NULL, TRUE);
      if (!state.done)
        {
          gint64 settle = g_get_monotonic_time () + 200 * 1000;

          /* the writes queued before the suspension land */
          while (g_get_monotonic_time () < settle)
            g_main_context_iteration (NULL, FALSE);
          print_line ("holding");
          go = read_stdin_line ();
          ladle_task_resume (LADLE_TASK (task));
          while (!state.done)
            g_main_context_iteration (NULL, TRUE);
        }
      print_error ("done", state.error);
      g_clear_error (&state.error);
      g_signal_handlers_disconnect_by_data (task, &state);
      ladle_session_invalidate_and_cancel (session);
      return 0;
    }

  if (argc == 3 && g_str_equal (argv[1], "--child-flock"))
    {
      int fd = open (argv[2], O_RDONLY);
      char buffer[64];

      if (fd < 0 || flock (fd, LOCK_EX) != 0)
        {
          print_line ("failed %s", g_strerror (errno));
          return 1;
        }
      print_line ("locked");
      while (read (STDIN_FILENO, buffer, sizeof buffer) > 0)
        ;
      close (fd);
      return 0;
    }

  g_printerr ("unknown child mode\n");
  return 2;
}

/* Tests: lock/ (one partial file, one task) */

typedef enum
{
  SAME_SESSION,
  TWO_SESSIONS,
} LockCase;

static void
test_lock_in_process (Fixture       *fixture,
                      gconstpointer  data)
{
  LockCase lock_case = GPOINTER_TO_INT (data);
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, fixture->session);
  g_autofree char *partial = partial_path (fixture, resume_data);
  g_autofree char *destination = outside_path (fixture, "first.bin");
  g_autoptr(LadleSession) other = session_new (fixture->state_dir);
  LadleSession *second_session = lock_case == SAME_SESSION ? fixture->session : other;
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) first = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  Holder holder = { 0, };

  first = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
  g_assert_no_error (error);
  set_destination (first, destination);
  recorder = ladle_test_recorder_new (first);
  holder_start (&holder, first);

  /* a second task, and a third: the second's failure must not release the first's claim */
  assert_in_use (fixture, second_session, resume_data, partial);
  assert_in_use (fixture, second_session, resume_data, partial);
  assert_in_use (fixture, fixture->session, resume_data, partial);

  finish_holder (fixture, &holder, recorder, destination);
  g_assert_cmpstr (last_request (fixture)->range, ==, "bytes=100000-");
  ladle_test_assert_listing (fixture->downloads_dir, "");
  ladle_session_invalidate_and_cancel (other);
}

static char *
write_resume_file (Fixture *fixture,
                   GBytes  *resume_data)
{
  char *path = outside_path (fixture, "resume-data");

  write_file (path, g_bytes_get_data (resume_data, NULL), g_bytes_get_size (resume_data));

  return path;
}

static void
test_lock_other_process_holds (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, fixture->session);
  g_autofree char *partial = partial_path (fixture, resume_data);
  g_autofree char *resume_file = write_resume_file (fixture, resume_data);
  g_autofree char *destination = outside_path (fixture, "from-child.bin");
  g_autofree char *expected = ladle_test_variant_content_checksum (1, RESOURCE_SIZE);
  g_autofree char *actual = NULL;
  g_autofree char *line = NULL;
  const char *args[] = { "--child-resume", fixture->state_dir, resume_file, destination, NULL };
  g_autoptr(Child) child = child_spawn (args);

  line = child_read_line (child);
  g_assert_cmpstr (line, ==, "holding");

  /* another process holds the partial file: this one may not touch it */
  assert_in_use (fixture, fixture->session, resume_data, partial);
  assert_in_use (fixture, fixture->session, resume_data, partial);

  child_write_line (child, "go");
  g_clear_pointer (&line, g_free);
  line = child_read_line (child);
  g_assert_cmpstr (line, ==, "done ok");
  actual = ladle_test_checksum_file (destination);
  g_assert_cmpstr (actual, ==, expected);
  g_assert_cmpstr (last_request (fixture)->range, ==, "bytes=100000-");
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

static void
test_lock_this_process_holds (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, fixture->session);
  g_autofree char *partial = partial_path (fixture, resume_data);
  g_autofree char *resume_file = write_resume_file (fixture, resume_data);
  g_autofree char *child_destination = outside_path (fixture, "from-child.bin");
  g_autofree char *destination = outside_path (fixture, "first.bin");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *line = NULL;
  g_autofree char *created = g_strdup_printf ("create ladle-error-quark %d ", LADLE_ERROR_PARTIAL_FILE);
  g_autofree char *failed = g_strdup_printf ("done ladle-error-quark %d ", LADLE_ERROR_PARTIAL_FILE);
  const char *args[] = { "--child-resume", fixture->state_dir, resume_file, child_destination, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) first = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(Child) child = NULL;
  Holder holder = { 0, };
  guint n_requests;

  first = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
  g_assert_no_error (error);
  set_destination (first, destination);
  recorder = ladle_test_recorder_new (first);
  holder_start (&holder, first);
  before = ladle_test_checksum_file (partial);
  n_requests = ladle_test_server_get_n_requests (fixture->server);

  child = child_spawn (args);
  line = child_read_line (child);
  /* it fails at creation or at once when resumed, never holding the file */
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, created) || g_str_has_prefix (line, failed));
  g_assert_nonnull (strstr (line, "in use by another task"));
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, n_requests);
  g_assert_false (g_file_test (child_destination, G_FILE_TEST_EXISTS));
  after = ladle_test_checksum_file (partial);
  g_assert_cmpstr (after, ==, before);

  finish_holder (fixture, &holder, recorder, destination);
}

static void
test_lock_after_cancel (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, fixture->session);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) first = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  Holder holder = { 0, };
  guint64 offset;

  first = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
  g_assert_no_error (error);
  recorder = ladle_test_recorder_new (first);
  holder_start (&holder, first);
  holder_stop (&holder);

  /* cancelled while it holds the file, producing resume data: the file is free again */
  ladle_test_recorder_pause (recorder);
  ladle_test_recorder_wait (recorder);
  g_assert_nonnull (recorder->resume_data);
  offset = resume_bytes_received (recorder->resume_data);
  g_assert_cmpuint (offset, >, STALL);

  resume_to_end (fixture, fixture->session, recorder->resume_data, offset);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

static void
test_lock_after_failure (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, fixture->session);
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/2000000?stall=100000&drop-range=50000");
  g_autoptr(SoupMessage) request = soup_message_new ("GET", uri);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) first = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) kept = NULL;

  /* the first resume loses its connection after 50000 bytes of the range: it fails and
   * keeps resume data, and must let go of the file */
  first = ladle_session_create_download_task_from_resume_data_with_request (fixture->session, resume_data,
                                                                            request, &error);
  g_assert_no_error (error);
  recorder = ladle_test_recorder_new (first);
  ladle_task_resume (LADLE_TASK (first));
  ladle_test_recorder_wait (recorder);
  g_assert_nonnull (recorder->error);
  kept = ladle_download_task_dup_resume_data (first);
  g_assert_nonnull (kept);
  g_assert_cmpuint (resume_bytes_received (kept), ==, STALL + 50000);

  resume_to_end (fixture, fixture->session, kept, STALL + 50000);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

/* Another process changes the partial file while the task is suspended holding it. */
typedef enum
{
  CHANGE_APPEND,
  CHANGE_TRUNCATE,
} ChangeKind;

typedef struct
{
  gboolean   resumed;   /* a task made from resume data (the file is appended to), or a fresh one */
  ChangeKind change;
} SizeCase;

static void
test_lock_size_checked (Fixture       *fixture,
                        gconstpointer  data)
{
  const SizeCase *c = data;
  g_autofree char *destination = outside_path (fixture, "never.bin");
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(GBytes) resume_data = NULL;
  g_autofree char *partial = NULL;
  Holder holder = { 0, };

  if (c->resumed)
    {
      resume_data = download_and_pause (fixture, fixture->session);
      task = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
      g_assert_no_error (error);
      partial = partial_path (fixture, resume_data);
    }
  else
    task = create_download (fixture, fixture->session, "/resource/2000000");
  set_destination (task, destination);
  recorder = ladle_test_recorder_new (task);
  holder_start (&holder, task);
  holder_stop (&holder);

  if (partial == NULL)
    {
      g_autofree char *name = ladle_test_list_directory (fixture->downloads_dir);

      g_assert_true (g_str_has_suffix (name, ".part"));
      g_assert_null (strchr (name, ' '));
      partial = g_build_filename (fixture->downloads_dir, name, NULL);
    }

  /* let the writes queued so far land, then change the file behind the task's back */
  ladle_test_spin (100);
  if (c->change == CHANGE_APPEND)
    append_garbage (partial, 3 * RESOURCE_SIZE);
  else
    g_assert_cmpint (truncate (partial, 1000), ==, 0);

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);
  if (recorder->error == NULL)
    {
      g_autofree char *delivered = ladle_test_checksum_file (destination);
      g_autofree char *expected = ladle_test_variant_content_checksum (1, RESOURCE_SIZE);

      g_test_message ("completed without error; the destination has SHA-256 %s, the resource %s",
                      delivered, expected);
    }
  g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_PARTIAL_FILE);
  g_assert_cmpuint (recorder->n_finished, ==, 0);
  g_assert_false (g_file_test (destination, G_FILE_TEST_EXISTS));
}

static const SizeCase size_resumed_append = { TRUE, CHANGE_APPEND };
static const SizeCase size_resumed_truncate = { TRUE, CHANGE_TRUNCATE };
static const SizeCase size_fresh_append = { FALSE, CHANGE_APPEND };
static const SizeCase size_fresh_truncate = { FALSE, CHANGE_TRUNCATE };

/* Tests: recovery/ (a partial file that does not match its resume data) */

typedef enum
{
  LONGER_GARBAGE,
  LONGER_REAL_BYTES,
  LONGER_THAN_RESOURCE,
} LongerKind;

static void
test_recovery_longer (Fixture       *fixture,
                      gconstpointer  data)
{
  LongerKind kind = GPOINTER_TO_INT (data);
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, fixture->session);
  g_autofree char *partial = partial_path (fixture, resume_data);

  /* a later transfer of the same resume data wrote more, then was killed before it could
   * say so */
  switch (kind)
    {
    case LONGER_GARBAGE:
      append_garbage (partial, 5000);
      break;
    case LONGER_REAL_BYTES:
      {
        g_autoptr(GBytes) content = ladle_test_variant_content_new (1, RESOURCE_SIZE);

        append_to_file (partial, (const guint8 *) g_bytes_get_data (content, NULL) + STALL, 300000);
      }
      break;
    case LONGER_THAN_RESOURCE:
      append_garbage (partial, RESOURCE_SIZE + 1);
      break;
    default:
      g_assert_not_reached ();
    }
  g_assert_cmpint (ladle_test_file_size (partial), >, STALL);

  resume_to_end (fixture, fixture->session, resume_data, STALL);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

typedef enum
{
  BAD_SHORTER,
  BAD_EMPTY,
  BAD_MISSING,
  BAD_SYMLINK,
  BAD_DIRECTORY,
} BadPartialKind;

static void
test_recovery_refused (Fixture       *fixture,
                       gconstpointer  data)
{
  BadPartialKind kind = GPOINTER_TO_INT (data);
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, fixture->session);
  g_autofree char *partial = partial_path (fixture, resume_data);
  g_autofree char *target = outside_path (fixture, "target.bin");
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  switch (kind)
    {
    case BAD_SHORTER:
      g_assert_cmpint (truncate (partial, STALL - 1), ==, 0);
      break;
    case BAD_EMPTY:
      g_assert_cmpint (truncate (partial, 0), ==, 0);
      break;
    case BAD_MISSING:
      g_assert_cmpint (g_unlink (partial), ==, 0);
      break;
    case BAD_SYMLINK:
      /* a link to a longer file elsewhere: following it would cut that file back */
      g_assert_cmpint (g_rename (partial, target), ==, 0);
      append_garbage (target, 5000);
      g_assert_cmpint (symlink (target, partial), ==, 0);
      break;
    case BAD_DIRECTORY:
      g_assert_cmpint (g_unlink (partial), ==, 0);
      g_assert_cmpint (g_mkdir (partial, 0700), ==, 0);
      break;
    default:
      g_assert_not_reached ();
    }
  before = ladle_test_checksum_file (kind == BAD_SYMLINK ? target : partial);

  task = ladle_session_create_download_task_from_resume_data (fixture->session, resume_data, &error);
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_PARTIAL_FILE);
  g_assert_null (task);

  after = ladle_test_checksum_file (kind == BAD_SYMLINK ? target : partial);
  g_assert_cmpstr (after, ==, before);
  if (kind == BAD_SHORTER)
    g_assert_cmpint (ladle_test_file_size (partial), ==, STALL - 1);
  if (kind == BAD_SYMLINK)
    {
      g_assert_cmpint (ladle_test_file_size (target), ==, STALL + 5000);
      g_assert_true (g_file_test (partial, G_FILE_TEST_IS_SYMLINK));
    }
}

/* Tests: cleanup/ (where partial files live, and the sweep) */

static gboolean
is_private_name (const char *name)
{
  return g_str_has_prefix (name, "ladle-") && g_uuid_string_is_valid (name + strlen ("ladle-"));
}

/* The private partial directories (ladle-UUID) in $TMPDIR, sorted, joined by spaces (the other
 * entries belong to tests running in parallel). */
static char *
list_private_directories (void)
{
  g_autofree char *all = ladle_test_list_directory (g_get_tmp_dir ());
  g_auto(GStrv) names = g_strsplit (all, " ", -1);
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  for (guint i = 0; names[i] != NULL; i++)
    if (is_private_name (names[i]))
      g_ptr_array_add (found, names[i]);
  g_ptr_array_add (found, NULL);

  return g_strjoinv (" ", (char **) found->pdata);
}

static char *
new_private_directory (const char *before)
{
  g_autofree char *after = list_private_directories ();
  g_auto(GStrv) old_names = g_strsplit (before, " ", -1);
  g_auto(GStrv) new_names = g_strsplit (after, " ", -1);
  char *found = NULL;

  for (guint i = 0; new_names[i] != NULL; i++)
    {
      if (!is_private_name (new_names[i]) ||
          g_strv_contains ((const char * const *) old_names, new_names[i]))
        continue;
      g_assert_null (found);
      found = g_build_filename (g_get_tmp_dir (), new_names[i], NULL);
    }

  return found;
}

static gboolean
path_is_gone (gpointer data)
{
  return !g_file_test (data, G_FILE_TEST_EXISTS) && !g_file_test (data, G_FILE_TEST_IS_SYMLINK);
}

static void
test_cleanup_ephemeral_private (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *tmp_before = list_private_directories ();
  g_autoptr(LadleSession) session = session_new (NULL);
  g_autoptr(GBytes) resume_data = NULL;
  g_autoptr(LadleDownloadTask) done = create_download (fixture, session, "/resource/5000");
  g_autoptr(LadleDownloadTask) running = create_download (fixture, session, "/resource/800000?stall=30000");
  g_autoptr(LadleTestRecorder) done_recorder = NULL;
  g_autofree char *destination = outside_path (fixture, "done.bin");
  g_autofree char *private_dir = NULL;
  g_autofree char *name = NULL;
  g_autofree char *base = NULL;
  g_autofree char *in_private = NULL;
  g_autofree char *in_state = NULL;
  g_autofree char *expected = ladle_test_variant_content_checksum (1, 5000);
  g_autofree char *actual = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) elsewhere = NULL;
  g_autoptr(LadleSession) other = NULL;
  GStatBuf info;
  gpointer weak = session;

  /* a paused download, a finished one, and one still running when the session goes */
  resume_data = download_and_pause (fixture, session);
  set_destination (done, destination);
  done_recorder = ladle_test_recorder_new (done);
  ladle_task_resume (LADLE_TASK (done));
  ladle_test_recorder_wait (done_recorder);
  g_assert_no_error (done_recorder->error);
  actual = ladle_test_checksum_file (destination);
  g_assert_cmpstr (actual, ==, expected);
  ladle_task_resume (LADLE_TASK (running));
  wait_for_bytes (running, 30000);

  private_dir = new_private_directory (tmp_before);
  g_assert_nonnull (private_dir);
  base = g_path_get_basename (private_dir);
  g_assert_true (g_uuid_string_is_valid (base + strlen ("ladle-")));
  g_assert_cmpint (g_lstat (private_dir, &info), ==, 0);
  g_assert_true (S_ISDIR (info.st_mode));
  g_assert_cmpint (info.st_mode & 0777, ==, 0700);
  g_assert_cmpint (info.st_uid, ==, getuid ());

  name = resume_partial_name (resume_data);
  in_private = g_build_filename (private_dir, name, NULL);
  g_assert_cmpint (ladle_test_file_size (in_private), ==, STALL);
  /* never under the default state directory */
  in_state = g_build_filename (g_get_user_state_dir (), "ladle", g_get_prgname (), "downloads", name, NULL);
  g_assert_false (g_file_test (in_state, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (fixture->downloads_dir, G_FILE_TEST_EXISTS));

  /* the last references go, the running task is cancelled and completes */
  g_clear_pointer (&done_recorder, ladle_test_recorder_free);
  g_clear_object (&done);
  ladle_task_cancel (LADLE_TASK (running));
  g_clear_object (&running);
  g_object_add_weak_pointer (G_OBJECT (session), &weak);
  g_clear_object (&session);
  ladle_test_wait_until (path_is_gone, private_dir, 30, "the private partial directory being removed");
  g_assert_null (weak);
  g_clear_pointer (&base, g_free);
  base = list_private_directories ();
  g_assert_cmpstr (base, ==, tmp_before);

  /* the resume data is useless now: its file went with the session */
  other = session_new (NULL);
  elsewhere = ladle_session_create_download_task_from_resume_data (other, resume_data, &error);
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_PARTIAL_FILE);
  g_assert_null (elsewhere);
}

static void
test_cleanup_ephemeral_state_directory (Fixture       *fixture,
                                        gconstpointer  data)
{
  g_autofree char *tmp_before = list_private_directories ();
  g_autoptr(LadleSession) session = session_new (fixture->state_dir);
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, session);
  g_autofree char *partial = partial_path (fixture, resume_data);
  g_autofree char *name = resume_partial_name (resume_data);
  g_autofree char *tmp_after = NULL;
  g_autoptr(LadleSession) later = NULL;
  gpointer weak = session;

  g_assert_cmpint (ladle_test_file_size (partial), ==, STALL);
  ladle_test_assert_listing (fixture->downloads_dir, name);
  g_object_add_weak_pointer (G_OBJECT (session), &weak);
  g_clear_object (&session);
  ladle_test_spin (100);
  g_assert_null (weak);

  /* the application's directory keeps it, and no private directory was made */
  g_assert_cmpint (ladle_test_file_size (partial), ==, STALL);
  tmp_after = list_private_directories ();
  g_assert_cmpstr (tmp_after, ==, tmp_before);

  later = session_new (fixture->state_dir);
  resume_to_end (fixture, later, resume_data, STALL);
  ladle_session_invalidate_and_cancel (later);
}

static LadleSession *
default_session_new (const char *state_dir,
                     gboolean    set_max_age,
                     guint64     max_age)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_default ();

  ladle_session_configuration_set_state_directory (configuration, state_dir);
  if (set_max_age)
    ladle_session_configuration_set_partial_file_max_age (configuration, max_age);

  return ladle_session_new (configuration);
}

#define DAY (24 * 60 * 60)

/* A state directory of its own for the sweep cases: the fixture's session sweeps the fixture's
 * one (on a worker, at any time after its creation). Returns its downloads directory. */
static char *
sweep_state_dir (Fixture *fixture)
{
  char *state = g_build_filename (fixture->state_dir, "app", NULL);

  g_assert_cmpint (g_mkdir_with_parents (state, 0700), ==, 0);

  return state;
}

static char *
make_file (const char *dir,
           const char *name,
           gint64      age)
{
  char *path = g_build_filename (dir, name, NULL);
  static const guint8 bytes[] = "partial";

  write_file (path, bytes, sizeof bytes);
  set_age (path, age);

  return path;
}

static void
test_cleanup_sweep (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *state = sweep_state_dir (fixture);
  g_autofree char *downloads = g_build_filename (state, "downloads", NULL);
  g_autofree char *old = NULL, *older = NULL, *young = NULL, *text = NULL, *link = NULL, *target = NULL;
  g_autofree char *dir_part = NULL, *locked = NULL, *line = NULL;
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(Child) child = NULL;
  g_autoptr(LadleSessionConfiguration) defaults = ladle_session_configuration_new_default ();
  const char *args[3] = { "--child-flock", NULL, NULL };

  g_assert_cmpuint (ladle_session_configuration_get_partial_file_max_age (defaults), ==, 604800);

  g_assert_cmpint (g_mkdir_with_parents (downloads, 0700), ==, 0);
  old = make_file (downloads, "old.part", 8 * DAY);
  older = make_file (downloads, "older.part", 80 * DAY);
  young = make_file (downloads, "young.part", 6 * DAY);
  text = make_file (downloads, "notes.txt", 80 * DAY);
  target = make_file (fixture->outside_dir, "target.part", 80 * DAY);
  link = g_build_filename (downloads, "link.part", NULL);
  g_assert_cmpint (symlink (target, link), ==, 0);
  set_age (link, 80 * DAY);
  dir_part = g_build_filename (downloads, "dir.part", NULL);
  g_assert_cmpint (g_mkdir (dir_part, 0700), ==, 0);
  set_age (dir_part, 80 * DAY);
  locked = make_file (downloads, "locked.part", 80 * DAY);

  /* another process holds this one */
  args[1] = locked;
  child = child_spawn (args);
  line = child_read_line (child);
  g_assert_cmpstr (line, ==, "locked");

  session = default_session_new (state, FALSE, 0);
  ladle_test_wait_until (path_is_gone, old, 30, "the sweep removing old.part");
  ladle_test_wait_until (path_is_gone, older, 30, "the sweep removing older.part");
  /* give a wrong sweep the time to remove more */
  ladle_test_spin (300);

  g_assert_true (g_file_test (young, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (text, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (dir_part, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (locked, G_FILE_TEST_IS_REGULAR));
  ladle_test_assert_listing (downloads, "dir.part link.part locked.part notes.txt young.part");
}

static void
test_cleanup_sweep_max_age (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *state = sweep_state_dir (fixture);
  g_autofree char *downloads = g_build_filename (state, "downloads", NULL);
  g_autofree char *stale = NULL, *fresh = NULL, *ancient = NULL;
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleSession) disabled = NULL;

  g_assert_cmpint (g_mkdir_with_parents (downloads, 0700), ==, 0);
  ancient = make_file (downloads, "ancient.part", 800 * DAY);

  /* 0 disables the sweep */
  disabled = default_session_new (state, TRUE, 0);
  ladle_test_spin (500);
  g_assert_true (g_file_test (ancient, G_FILE_TEST_IS_REGULAR));
  ladle_session_invalidate_and_cancel (disabled);

  /* an hour: two hours old goes, half an hour old stays */
  stale = make_file (downloads, "stale.part", 2 * 3600);
  fresh = make_file (downloads, "fresh.part", 1800);
  session = default_session_new (state, TRUE, 3600);
  ladle_test_wait_until (path_is_gone, stale, 30, "the sweep removing stale.part");
  ladle_test_wait_until (path_is_gone, ancient, 30, "the sweep removing ancient.part");
  ladle_test_spin (300);
  ladle_test_assert_listing (downloads, "fresh.part");
}

static void
test_cleanup_sweep_live_task (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *state = sweep_state_dir (fixture);
  g_autofree char *downloads = g_build_filename (state, "downloads", NULL);
  g_autoptr(LadleSessionConfiguration) configuration = configuration_new (state);
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(GBytes) resume_data = NULL;
  g_autofree char *name = NULL;
  g_autofree char *partial = NULL;
  g_autofree char *destination = outside_path (fixture, "held.bin");
  g_autofree char *old = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autoptr(LadleSession) sweeping = NULL;
  Holder holder = { 0, };

  /* the session that downloads does not sweep */
  ladle_session_configuration_set_partial_file_max_age (configuration, 0);
  session = ladle_session_new (configuration);
  resume_data = download_and_pause (fixture, session);
  name = resume_partial_name (resume_data);
  partial = g_build_filename (downloads, name, NULL);
  g_assert_cmpint (ladle_test_file_size (partial), ==, STALL);

  task = ladle_session_create_download_task_from_resume_data (session, resume_data, &error);
  g_assert_no_error (error);
  set_destination (task, destination);
  recorder = ladle_test_recorder_new (task);
  holder_start (&holder, task);

  /* a live task's file looks stale, next to one that is */
  ladle_test_spin (100);
  set_age (partial, 80 * DAY);
  old = make_file (downloads, "old.part", 80 * DAY);
  sweeping = default_session_new (state, FALSE, 0);
  ladle_test_wait_until (path_is_gone, old, 30, "the sweep removing old.part");
  ladle_test_spin (300);
  g_assert_true (g_file_test (partial, G_FILE_TEST_IS_REGULAR));

  finish_holder (fixture, &holder, recorder, destination);
  ladle_session_invalidate_and_cancel (session);
}

/* Tests: credentials/ */

static char *
escape (const char *text)
{
  return g_uri_escape_string (text, NULL, FALSE);
}

/* http://127.0.0.1:PORT/redirect?to=@target */
static char *
redirect_to (LadleTestServer *server,
             const char      *host,
             const char      *target)
{
  g_autofree char *escaped = escape (target);
  g_autofree char *path = g_strconcat ("/redirect?to=", escaped, NULL);

  return ladle_test_server_dup_uri_for_host (server, host, path);
}

static const char *
request_header (LadleTestRequest *request,
                const char       *name)
{
  return soup_message_headers_get_one (request->headers, name);
}

static LadleSession *
credential_session_new (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = configuration_new (NULL);

  ladle_session_configuration_set_header (configuration, "Authorization", "Bearer session-token");
  ladle_session_configuration_set_header (configuration, "Proxy-Authorization", "Basic c2Vzc2lvbg==");
  ladle_session_configuration_set_header (configuration, "Cookie", "session=secret");
  ladle_session_configuration_set_header (configuration, "X-Api-Key", "session-key");
  ladle_session_configuration_set_header_sensitive (configuration, "x-api-KEY", TRUE);
  ladle_session_configuration_set_header (configuration, "X-Plain", "plain");
  ladle_session_configuration_set_header_sensitive (configuration, "X-Request-Key", TRUE);

  return ladle_session_new (configuration);
}

static void
assert_session_credentials (LadleTestRequest *request,
                            gboolean          present)
{
  g_assert_cmpstr (request_header (request, "X-Plain"), ==, "plain");
  if (present)
    {
      g_assert_cmpstr (request_header (request, "Authorization"), ==, "Bearer session-token");
      g_assert_cmpstr (request_header (request, "Proxy-Authorization"), ==, "Basic c2Vzc2lvbg==");
      g_assert_cmpstr (request_header (request, "Cookie"), ==, "session=secret");
      g_assert_cmpstr (request_header (request, "X-Api-Key"), ==, "session-key");
    }
  else
    {
      g_assert_null (request_header (request, "Authorization"));
      g_assert_null (request_header (request, "Proxy-Authorization"));
      g_assert_null (request_header (request, "Cookie"));
      g_assert_null (request_header (request, "X-Api-Key"));
    }
}

typedef enum
{
  HOP_OTHER_HOST,
  HOP_OTHER_PORT,
  HOP_SAME_ORIGIN,
  HOP_AWAY_AND_BACK,
} HopCase;

static void
test_credentials_session_headers (Fixture       *fixture,
                                  gconstpointer  data)
{
  HopCase hop = GPOINTER_TO_INT (data);
  g_autoptr(LadleSession) session = credential_session_new ();
  g_autoptr(LadleTestServer) other = ladle_test_server_new ();
  g_autofree char *final_uri = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRun) run = NULL;
  GPtrArray *requests;

  ladle_test_assert_localhost_is_loopback ();
  switch (hop)
    {
    case HOP_OTHER_HOST:
      final_uri = ladle_test_server_dup_uri_for_host (fixture->server, "localhost", "/headers");
      break;
    case HOP_OTHER_PORT:
      final_uri = ladle_test_server_dup_uri (other, "/headers");
      break;
    case HOP_SAME_ORIGIN:
      final_uri = ladle_test_server_dup_uri (fixture->server, "/headers");
      break;
    case HOP_AWAY_AND_BACK:
      {
        g_autofree char *back = ladle_test_server_dup_uri (fixture->server, "/headers");

        final_uri = redirect_to (fixture->server, "localhost", back);
      }
      break;
    default:
      g_assert_not_reached ();
    }
  uri = redirect_to (fixture->server, "127.0.0.1", final_uri);

  task = ladle_session_create_data_task_for_uri (session, uri);
  run = ladle_test_run (LADLE_TASK (task));
  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);

  /* the original origin got them */
  requests = ladle_test_server_get_requests (fixture->server);
  g_assert_cmpstr (((LadleTestRequest *) requests->pdata[0])->path, ==, "/redirect");
  assert_session_credentials (requests->pdata[0], TRUE);

  switch (hop)
    {
    case HOP_OTHER_HOST:
      g_assert_cmpuint (requests->len, ==, 2);
      g_assert_true (g_str_has_prefix (((LadleTestRequest *) requests->pdata[1])->host, "localhost:"));
      assert_session_credentials (requests->pdata[1], FALSE);
      g_assert_false (ladle_test_body_has_line (run->body, "Authorization: Bearer session-token"));
      break;
    case HOP_OTHER_PORT:
      g_assert_cmpuint (requests->len, ==, 1);
      g_assert_cmpuint (ladle_test_server_get_n_requests (other), ==, 1);
      assert_session_credentials (ladle_test_server_get_request (other, 0), FALSE);
      break;
    case HOP_SAME_ORIGIN:
      g_assert_cmpuint (requests->len, ==, 2);
      assert_session_credentials (requests->pdata[1], TRUE);
      g_assert_true (ladle_test_body_has_line (run->body, "Authorization: Bearer session-token"));
      break;
    case HOP_AWAY_AND_BACK:
      g_assert_cmpuint (requests->len, ==, 3);
      g_assert_true (g_str_has_prefix (((LadleTestRequest *) requests->pdata[1])->host, "localhost:"));
      assert_session_credentials (requests->pdata[1], FALSE);
      g_assert_true (g_str_has_prefix (((LadleTestRequest *) requests->pdata[2])->host, "127.0.0.1:"));
      assert_session_credentials (requests->pdata[2], TRUE);
      break;
    default:
      g_assert_not_reached ();
    }
  ladle_session_invalidate_and_cancel (session);
}

/* Headers set on the request itself: credentials and the names marked sensitive stay home. */
static void
test_credentials_request_headers (Fixture       *fixture,
                                  gconstpointer  data)
{
  gboolean download = GPOINTER_TO_INT (data);
  g_autoptr(LadleSession) session = credential_session_new ();
  g_autofree char *final_uri = ladle_test_server_dup_uri_for_host (fixture->server, "localhost",
                                                                   download ? "/resource/5000" : "/headers");
  g_autofree char *uri = redirect_to (fixture->server, "127.0.0.1", final_uri);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTestRun) run = NULL;
  LadleTestRequest *first, *second;

  soup_message_headers_append (headers, "authorization", "Bearer request-token");
  soup_message_headers_append (headers, "Cookie", "request=secret");
  soup_message_headers_append (headers, "X-REQUEST-KEY", "request-key");
  soup_message_headers_append (headers, "X-Request-Plain", "kept");
  if (download)
    task = LADLE_TASK (ladle_session_create_download_task (session, message));
  else
    task = LADLE_TASK (ladle_session_create_data_task (session, message));
  run = ladle_test_run (task);
  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);

  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 2);
  first = ladle_test_server_get_request (fixture->server, 0);
  second = ladle_test_server_get_request (fixture->server, 1);
  /* the request's own values win over the session's at home */
  g_assert_cmpstr (request_header (first, "Authorization"), ==, "Bearer request-token");
  g_assert_cmpstr (request_header (first, "X-Request-Key"), ==, "request-key");
  g_assert_cmpstr (request_header (first, "X-Request-Plain"), ==, "kept");
  g_assert_nonnull (strstr (request_header (first, "Cookie"), "request=secret"));

  g_assert_true (g_str_has_prefix (second->host, "localhost:"));
  g_assert_null (request_header (second, "Authorization"));
  g_assert_null (request_header (second, "Cookie"));
  g_assert_null (request_header (second, "X-Request-Key"));
  g_assert_null (request_header (second, "X-Api-Key"));
  g_assert_null (request_header (second, "Proxy-Authorization"));
  g_assert_cmpstr (request_header (second, "X-Request-Plain"), ==, "kept");
  g_assert_cmpstr (request_header (second, "X-Plain"), ==, "plain");
  ladle_session_invalidate_and_cancel (session);
}

static void
test_credentials_sensitive_names (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSessionConfiguration) copy = NULL;
  const char *credentials[] = { "Authorization", "authorization", "PROXY-AUTHORIZATION", "Cookie", "cOOKIE" };

  for (guint i = 0; i < G_N_ELEMENTS (credentials); i++)
    {
      g_assert_true (ladle_session_configuration_get_header_sensitive (configuration, credentials[i]));
      /* always: they cannot be unmarked */
      ladle_session_configuration_set_header_sensitive (configuration, credentials[i], FALSE);
      g_assert_true (ladle_session_configuration_get_header_sensitive (configuration, credentials[i]));
    }

  g_assert_false (ladle_session_configuration_get_header_sensitive (configuration, "X-Api-Key"));
  g_assert_false (ladle_session_configuration_get_header_sensitive (configuration, "Cookie2"));
  g_assert_false (ladle_session_configuration_get_header_sensitive (configuration, "Set-Cookie"));
  ladle_session_configuration_set_header_sensitive (configuration, "X-Api-Key", TRUE);
  g_assert_true (ladle_session_configuration_get_header_sensitive (configuration, "x-api-key"));
  g_assert_true (ladle_session_configuration_get_header_sensitive (configuration, "X-API-KEY"));
  g_assert_false (ladle_session_configuration_get_header_sensitive (configuration, "X-Api-Key2"));

  copy = ladle_session_configuration_copy (configuration);
  g_assert_true (ladle_session_configuration_get_header_sensitive (copy, "X-Api-Key"));

  ladle_session_configuration_set_header_sensitive (configuration, "x-api-key", FALSE);
  g_assert_false (ladle_session_configuration_get_header_sensitive (configuration, "X-Api-Key"));
  /* the copy is its own */
  g_assert_true (ladle_session_configuration_get_header_sensitive (copy, "X-Api-Key"));
}

/* A raw server on 127.0.0.1 (another port, the same host for cookies) sets jar=2. */
static void
set_jar_cookie (LadleSession *session)
{
  static const char response[] =
    "HTTP/1.1 200 OK\r\nSet-Cookie: jar=2; Path=/\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  g_autoptr(GBytes) bytes = g_bytes_new_static (response, sizeof response - 1);
  g_autoptr(LadleTestRawServer) raw = ladle_test_raw_server_new (bytes, LADLE_TEST_RAW_CLOSE);
  g_autofree char *uri = ladle_test_raw_server_dup_uri (raw, "/set-cookie");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleTestRun) run = ladle_test_run (LADLE_TASK (task));

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);
}

static void
test_credentials_cookie_merge (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (NULL);
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/headers");
  g_autofree char *away = ladle_test_server_dup_uri_for_host (fixture->server, "localhost", "/headers");
  g_autofree char *redirect = redirect_to (fixture->server, "127.0.0.1", away);
  g_autoptr(SoupMessage) plain = soup_message_new ("GET", uri);
  g_autoptr(SoupMessage) with_cookie = soup_message_new ("GET", uri);
  g_autoptr(SoupMessage) redirected = soup_message_new ("GET", redirect);
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRun) run = NULL;
  LadleTestRequest *request;

  set_jar_cookie (session);

  /* the jar alone */
  task = ladle_session_create_data_task (session, plain);
  run = ladle_test_run (LADLE_TASK (task));
  g_assert_no_error (run->error);
  g_assert_true (ladle_test_body_has_line (run->body, "Cookie: jar=2"));
  g_clear_pointer (&run, ladle_test_run_free);
  g_clear_object (&task);

  /* the application's cookie first, then the jar's */
  soup_message_headers_append (soup_message_get_request_headers (with_cookie), "Cookie", "app=1");
  task = ladle_session_create_data_task (session, with_cookie);
  run = ladle_test_run (LADLE_TASK (task));
  g_assert_no_error (run->error);
  g_assert_true (ladle_test_body_has_line (run->body, "Cookie: app=1; jar=2"));
  request = ladle_test_server_get_last_request (fixture->server);
  g_assert_cmpstr (request_header (request, "Cookie"), ==, "app=1; jar=2");
  g_clear_pointer (&run, ladle_test_run_free);
  g_clear_object (&task);

  /* neither goes to another host */
  ladle_test_server_clear_log (fixture->server);
  soup_message_headers_append (soup_message_get_request_headers (redirected), "Cookie", "app=1");
  task = ladle_session_create_data_task (session, redirected);
  run = ladle_test_run (LADLE_TASK (task));
  g_assert_no_error (run->error);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 2);
  g_assert_cmpstr (request_header (ladle_test_server_get_request (fixture->server, 0), "Cookie"), ==, "app=1; jar=2");
  request = ladle_test_server_get_request (fixture->server, 1);
  g_assert_true (g_str_has_prefix (request->host, "localhost:"));
  g_assert_null (request_header (request, "Cookie"));
  g_assert_false (ladle_test_body_has_line (run->body, "Cookie: app=1"));
  ladle_session_invalidate_and_cancel (session);
}

/* Tests: resume-data/ */

static void
test_resume_data_no_credentials (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(LadleSession) session = credential_session_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/800000?stall=80000");
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *names = NULL;
  LadleTestRequest *request;
  const char *text;
  gsize length;

  soup_message_headers_append (headers, "authorization", "Bearer request-secret");
  soup_message_headers_append (headers, "COOKIE", "c=cookie-secret");
  soup_message_headers_append (headers, "Proxy-Authorization", "Basic proxy-secret");
  soup_message_headers_append (headers, "x-request-key", "key-secret");
  soup_message_headers_append (headers, "X-Request-Plain", "kept");
  task = ladle_session_create_download_task (session, message);
  recorder = ladle_test_recorder_new (task);
  ladle_task_resume (LADLE_TASK (task));
  wait_for_bytes (task, 80000);

  /* they were sent... */
  request = ladle_test_server_get_last_request (fixture->server);
  g_assert_cmpstr (request_header (request, "Authorization"), ==, "Bearer request-secret");
  g_assert_cmpstr (request_header (request, "X-Api-Key"), ==, "session-key");
  g_assert_cmpstr (request_header (request, "X-Request-Key"), ==, "key-secret");

  ladle_test_recorder_pause (recorder);
  ladle_test_recorder_wait (recorder);
  g_assert_nonnull (recorder->resume_data);

  /* ...but are not kept: neither the request's nor the session's */
  names = resume_header_names (recorder->resume_data);
  g_assert_nonnull (strstr (names, "x-request-plain\n"));
  g_assert_null (strstr (names, "authorization\n"));
  g_assert_null (strstr (names, "cookie\n"));
  g_assert_null (strstr (names, "x-request-key\n"));
  g_assert_null (strstr (names, "x-api-key\n"));
  text = g_bytes_get_data (recorder->resume_data, &length);
  g_assert_null (g_strstr_len (text, length, "secret"));
  g_assert_null (g_strstr_len (text, length, "session-key"));
  g_assert_null (g_strstr_len (text, length, "session-token"));

  /* the same goes for dup_resume_data */
  {
    g_autoptr(GBytes) again = ladle_download_task_dup_resume_data (task);

    g_assert_nonnull (again);
    text = g_bytes_get_data (again, &length);
    g_assert_null (g_strstr_len (text, length, "secret"));
    g_assert_null (g_strstr_len (text, length, "session-key"));
  }
  ladle_session_invalidate_and_cancel (session);
}

static void
test_resume_data_refused (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *url = ladle_test_server_dup_uri (fixture->server, "/resource/5000");
  g_autofree char *partial = g_build_filename (fixture->downloads_dir, "good.part", NULL);
  g_autoptr(GBytes) content = ladle_test_variant_content_new (1, 1000);
  static const char * const headers[] = {
    "Host", "host", "Authorization", "AUTHORIZATION", "Cookie", "cookie", "Proxy-Authorization",
    "Connection", "Transfer-Encoding", "Content-Length", "Range", "If-Range",
  };
  static const char * const methods[] = { "POST", "PUT", "HEAD", "DELETE", "get", "", "GET " };
  ResumeFields fields = {
    .url = url, .partial = "good.part", .bytes_received = 1000, .expected_total = 5000,
    .etag = "\"v1-5000\"",
  };

  g_assert_cmpint (g_mkdir_with_parents (fixture->downloads_dir, 0700), ==, 0);
  write_file (partial, g_bytes_get_data (content, NULL), 1000);

  /* the control: the same resume data with an ordinary header loads */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(LadleDownloadTask) task = NULL;
    g_autoptr(GBytes) good = NULL;

    fields.header_name = "X-Ordinary";
    fields.header_value = "1";
    good = ladle_test_resume_data_build (&fields);
    task = ladle_session_create_download_task_from_resume_data (fixture->session, good, &error);
    g_assert_no_error (error);
    g_assert_nonnull (task);
  }

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LadleDownloadTask) task = NULL;
      g_autoptr(GBytes) bad = NULL;

      g_test_message ("resume data with the header %s", headers[i]);
      fields.header_name = headers[i];
      fields.header_value = "bytes=0-";
      bad = ladle_test_resume_data_build (&fields);
      task = ladle_session_create_download_task_from_resume_data (fixture->session, bad, &error);
      g_assert_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA);
      g_assert_null (task);
    }

  fields.header_name = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LadleDownloadTask) task = NULL;
      g_autoptr(GBytes) bad = NULL;

      g_test_message ("resume data with the method '%s'", methods[i]);
      fields.method = methods[i];
      bad = ladle_test_resume_data_build (&fields);
      task = ladle_session_create_download_task_from_resume_data (fixture->session, bad, &error);
      g_assert_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA);
      g_assert_null (task);
    }

  /* nothing touched the partial file, and nothing was sent */
  g_assert_cmpint (ladle_test_file_size (partial), ==, 1000);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 0);
}

typedef enum
{
  WITH_SAME_RESOURCE,
  WITH_OTHER_RESOURCE,
  WITH_LYING_SERVER,
} WithRequestCase;

static void
test_resume_data_with_request (Fixture       *fixture,
                               gconstpointer  data)
{
  WithRequestCase with = GPOINTER_TO_INT (data);
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, fixture->session);
  g_autofree char *partial = partial_path (fixture, resume_data);
  g_autofree char *before = ladle_test_checksum_file (partial);
  const char *path = with == WITH_SAME_RESOURCE ? "/resource/2000000?token=fresh"
                     : with == WITH_OTHER_RESOURCE ? "/resource/1500000?token=fresh"
                     : "/resource/1500000?token=fresh&lie=1";
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path);
  g_autoptr(SoupMessage) request = soup_message_new ("GET", uri);
  g_autofree char *destination = outside_path (fixture, "fresh.bin");
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *actual = NULL;
  g_autofree char *expected = NULL;
  LadleTestRequest *sent;

  soup_message_headers_append (soup_message_get_request_headers (request), "Authorization", "Bearer fresh-token");
  task = ladle_session_create_download_task_from_resume_data_with_request (fixture->session, resume_data,
                                                                           request, &error);
  g_assert_no_error (error);
  g_assert_true (ladle_task_get_original_request (LADLE_TASK (task)) == request);
  set_destination (task, destination);
  recorder = ladle_test_recorder_new (task);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  /* the fresh request went out as the application made it, with the resume's range */
  sent = last_request (fixture);
  g_assert_cmpstr (sent->query, ==, with == WITH_LYING_SERVER ? "token=fresh&lie=1" : "token=fresh");
  g_assert_cmpstr (request_header (sent, "Authorization"), ==, "Bearer fresh-token");
  g_assert_cmpstr (sent->range, ==, "bytes=100000-");
  g_assert_cmpstr (sent->if_range, ==, "\"v1-2000000\"");

  switch (with)
    {
    case WITH_SAME_RESOURCE:
      g_assert_no_error (recorder->error);
      g_assert_cmpuint (sent->status, ==, 206);
      g_assert_cmpint (recorder->resumed_offset, ==, STALL);
      expected = ladle_test_variant_content_checksum (1, RESOURCE_SIZE);
      break;
    case WITH_OTHER_RESOURCE:
      /* another ETag: the whole of it, in a new file */
      g_assert_no_error (recorder->error);
      g_assert_cmpuint (sent->status, ==, 200);
      g_assert_cmpint (recorder->resumed_offset, ==, 0);
      expected = ladle_test_variant_content_checksum (1, 1500000);
      break;
    case WITH_LYING_SERVER:
      /* a 206 of another resource is never spliced onto the partial file */
      g_assert_error (recorder->error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE);
      g_assert_cmpuint (sent->status, ==, 206);
      g_assert_false (g_file_test (destination, G_FILE_TEST_EXISTS));
      actual = ladle_test_checksum_file (partial);
      g_assert_cmpstr (actual, ==, before);
      return;
    default:
      g_assert_not_reached ();
    }

  actual = ladle_test_checksum_file (destination);
  g_assert_cmpstr (actual, ==, expected);
  ladle_test_assert_listing (fixture->downloads_dir, "");
}

static void
test_resume_data_with_request_not_get (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_autoptr(GBytes) resume_data = download_and_pause (fixture, fixture->session);
  g_autofree char *partial = partial_path (fixture, resume_data);
  g_autofree char *before = ladle_test_checksum_file (partial);
  g_autofree char *after = NULL;
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/resource/2000000");
  static const char * const methods[] = { "POST", "PUT", "HEAD", "DELETE" };
  guint n_requests = ladle_test_server_get_n_requests (fixture->server);

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autoptr(SoupMessage) request = soup_message_new (methods[i], uri);
      g_autoptr(GError) error = NULL;
      g_autoptr(LadleDownloadTask) task = NULL;

      task = ladle_session_create_download_task_from_resume_data_with_request (fixture->session, resume_data,
                                                                               request, &error);
      g_assert_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST);
      g_assert_null (task);
    }

  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, n_requests);
  after = ladle_test_checksum_file (partial);
  g_assert_cmpstr (after, ==, before);
  /* and the resume data still works */
  resume_to_end (fixture, fixture->session, resume_data, STALL);
}

/* Tests: speed/ */

static LadleSession *
slow_session_new (guint limit,
                  guint seconds)
{
  g_autoptr(LadleSessionConfiguration) configuration = configuration_new (NULL);

  ladle_session_configuration_set_low_speed_limit (configuration, limit);
  ladle_session_configuration_set_low_speed_time (configuration, seconds);
  /* libsoup's own idle timeout cannot be what fails these tasks */
  ladle_session_configuration_set_timeout (configuration, 600);

  return ladle_session_new (configuration);
}

static void
test_speed_defaults (void)
{
  g_autoptr(LadleSessionConfiguration) ephemeral = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSessionConfiguration) defaults = ladle_session_configuration_new_default ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, "http://127.0.0.1:1/");
  GParamSpec *pspec;

  g_assert_cmpuint (ladle_session_configuration_get_low_speed_limit (ephemeral), ==, 16);
  g_assert_cmpuint (ladle_session_configuration_get_low_speed_time (ephemeral), ==, 60);
  g_assert_cmpuint (ladle_session_configuration_get_low_speed_limit (defaults), ==, 16);
  g_assert_cmpuint (ladle_session_configuration_get_low_speed_time (defaults), ==, 60);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (ephemeral), "low-speed-limit");
  g_assert_cmpuint (G_PARAM_SPEC_UINT (pspec)->default_value, ==, 16);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (ephemeral), "low-speed-time");
  g_assert_cmpuint (G_PARAM_SPEC_UINT (pspec)->default_value, ==, 60);
  g_assert_cmpuint (ladle_task_get_total_timeout (LADLE_TASK (task)), ==, 0);
  ladle_task_set_total_timeout (LADLE_TASK (task), 5);
  g_assert_cmpuint (ladle_task_get_total_timeout (LADLE_TASK (task)), ==, 5);
  ladle_task_cancel (LADLE_TASK (task));
  ladle_session_invalidate_and_cancel (session);
  ladle_test_spin (50);
}

static void
assert_timed_out (LadleTestRun *run,
                  gint64        started,
                  gint64        at_least_ms)
{
  gint64 elapsed_ms = (g_get_monotonic_time () - started) / 1000;

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (elapsed_ms, >=, at_least_ms);
  /* well before anything else would have ended it */
  g_assert_cmpint (elapsed_ms, <, ladle_test_failsafe_seconds (10) * 1000);
}

static void
test_speed_slow_body (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(LadleSession) session = slow_session_new (1000, 1);
  /* 10 bytes every 200 ms: 50 B/s for 40 s */
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/slow?chunks=200&size=10&interval=200");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  gint64 started = g_get_monotonic_time ();
  g_autoptr(LadleTestRun) run = ladle_test_run (LADLE_TASK (task));

  assert_timed_out (run, started, 900);
  g_assert_cmpuint (run->status, ==, 200);
  ladle_session_invalidate_and_cancel (session);
}

/* A raw server that answers every connection one byte every 200 ms, headers first. */
typedef struct
{
  GSocketService *service;
  GPtrArray      *drips;
  guint16         port;
} DripServer;

typedef struct
{
  GSocketConnection *connection;
  guint              source;
  gsize              offset;
} Drip;

static const char drip_response[] =
  "HTTP/1.1 200 OK\r\n"
  "Content-Type: text/plain\r\n"
  "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
  "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
  "Content-Length: 2\r\n"
  "\r\n"
  "ok";

static void
drip_free (Drip *drip)
{
  g_clear_handle_id (&drip->source, g_source_remove);
  g_io_stream_close (G_IO_STREAM (drip->connection), NULL, NULL);
  g_clear_object (&drip->connection);
  g_free (drip);
}

static gboolean
drip_tick_cb (gpointer data)
{
  Drip *drip = data;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (drip->connection));

  if (drip->offset >= sizeof drip_response - 1 ||
      g_output_stream_write (out, drip_response + drip->offset, 1, NULL, NULL) != 1)
    {
      drip->source = 0;
      return G_SOURCE_REMOVE;
    }
  drip->offset++;

  return G_SOURCE_CONTINUE;
}

static gboolean
drip_incoming_cb (GSocketService    *service,
                  GSocketConnection *connection,
                  GObject           *source_object,
                  DripServer        *server)
{
  Drip *drip = g_new0 (Drip, 1);

  drip->connection = g_object_ref (connection);
  drip->source = g_timeout_add (200, drip_tick_cb, drip);
  g_ptr_array_add (server->drips, drip);

  return TRUE;
}

static void
test_speed_slow_headers (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(LadleSession) session = slow_session_new (1000, 1);
  DripServer server = { 0, };
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(LadleDataTask) task = NULL;
  g_autoptr(LadleTestRun) run = NULL;
  gint64 started;

  server.service = g_socket_service_new ();
  server.drips = g_ptr_array_new_with_free_func ((GDestroyNotify) drip_free);
  address = g_inet_socket_address_new (loopback, 0);
  g_socket_listener_add_address (G_SOCKET_LISTENER (server.service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  server.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (server.service, "incoming", G_CALLBACK (drip_incoming_cb), &server);
  g_socket_service_start (server.service);

  uri = g_strdup_printf ("http://127.0.0.1:%u/drip", server.port);
  task = ladle_session_create_data_task_for_uri (session, uri);
  started = g_get_monotonic_time ();
  run = ladle_test_run (LADLE_TASK (task));

  /* the headers never finished: no response at all */
  assert_timed_out (run, started, 900);
  g_assert_cmpuint (run->n_response, ==, 0);
  g_assert_cmpuint (server.drips->len, ==, 1);
  g_assert_cmpuint (((Drip *) server.drips->pdata[0])->offset, <, sizeof drip_response - 1);

  ladle_session_invalidate_and_cancel (session);
  g_socket_service_stop (server.service);
  g_socket_listener_close (G_SOCKET_LISTENER (server.service));
  g_signal_handlers_disconnect_by_data (server.service, &server);
  g_ptr_array_unref (server.drips);
  g_object_unref (server.service);
  ladle_test_spin (50);
}

static void
test_speed_fast_enough (Fixture       *fixture,
                        gconstpointer  data)
{
  guint limit = GPOINTER_TO_UINT (data);
  g_autoptr(LadleSession) session = slow_session_new (limit, 1);
  /* 1000 bytes every 100 ms (10 kB/s) for 2.5 s; with limit 0, 10 bytes every 100 ms */
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server,
                                                    limit > 0 ? "/slow?chunks=25&size=1000&interval=100"
                                                              : "/slow?chunks=25&size=10&interval=100");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleTestRun) run = ladle_test_run (LADLE_TASK (task));
  g_autofree char *expected = ladle_test_content_checksum (limit > 0 ? 25000 : 250);
  g_autofree char *actual = NULL;

  g_assert_no_error (run->error);
  actual = ladle_test_checksum_bytes (run->body);
  g_assert_cmpstr (actual, ==, expected);
  ladle_session_invalidate_and_cancel (session);
}

static void
test_speed_suspended (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(LadleSession) session = slow_session_new (1000, 1);
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/slow?chunks=20&size=8192&interval=20&length=1");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);

  /* suspended for 3 s with time = 1 s: no failure */
  recorder->suspend_on_chunk = 1;
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_for_flag (&recorder->suspended, 30, "the first chunk");
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (task)), ==, LADLE_TASK_STATE_SUSPENDED);
  ladle_test_spin (3000);
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (task)), ==, LADLE_TASK_STATE_SUSPENDED);
  g_assert_false (recorder->completed);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  g_assert_no_error (recorder->error);
  ladle_test_recorder_assert_data (recorder, 20 * 8192);
  ladle_session_invalidate_and_cancel (session);
}

static void
test_speed_total_timeout (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(LadleSession) session = slow_session_new (16, 60);
  /* 40 kB/s, 3 s in all: fast enough for the watchdog, too slow for 1 s */
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/slow?chunks=30&size=4096&interval=100");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleTestRun) run = NULL;
  gint64 started;

  ladle_task_set_total_timeout (LADLE_TASK (task), 1);
  started = g_get_monotonic_time ();
  run = ladle_test_run (LADLE_TASK (task));

  assert_timed_out (run, started, 900);
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_cmpint (ladle_task_get_bytes_received (LADLE_TASK (task)), <, 30 * 4096);
  ladle_session_invalidate_and_cancel (session);
}

static void
test_speed_total_timeout_download (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(LadleDownloadTask) task = create_download (fixture, fixture->session, "/resource/2000000?stall=100000");
  g_autoptr(LadleTestRecorder) recorder = ladle_test_recorder_new (task);
  g_autoptr(GBytes) resume_data = NULL;
  /* the stalled bytes must arrive first: scaled, as under valgrind they take a while */
  guint total_timeout = ladle_test_failsafe_seconds (1);
  gint64 started = g_get_monotonic_time ();

  ladle_task_set_total_timeout (LADLE_TASK (task), total_timeout);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_recorder_wait (recorder);

  g_assert_error (recorder->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint ((g_get_monotonic_time () - started) / 1000, >=, total_timeout * 1000 - 100);
  resume_data = ladle_download_task_dup_resume_data (task);
  g_assert_nonnull (resume_data);
  g_assert_cmpuint (resume_bytes_received (resume_data), ==, STALL);

  resume_to_end (fixture, fixture->session, resume_data, STALL);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *tmp_dir = NULL;
  int status;

  if (argc > 1 && g_str_has_prefix (argv[1], "--child-"))
    return child_main (argc, argv);

  self_path = argv[0];
  /* A $TMPDIR of this process's own: the cleanup cases count the private partial directories
   * there, which other tests of the area running in parallel must not add to. */
  tmp_dir = g_strdup_printf ("%s/hardening-files-%d", g_getenv ("TMPDIR") ? g_getenv ("TMPDIR") : "/tmp",
                             (int) getpid ());
  g_assert_cmpint (g_mkdir_with_parents (tmp_dir, 0700), ==, 0);
  g_setenv ("TMPDIR", tmp_dir, TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, data, func) \
  g_test_add ("/Ladle/HardeningFiles/" path, Fixture, data, fixture_setup, func, fixture_teardown)

  ADD ("lock/same-session", GINT_TO_POINTER (SAME_SESSION), test_lock_in_process);
  ADD ("lock/two-sessions", GINT_TO_POINTER (TWO_SESSIONS), test_lock_in_process);
  ADD ("lock/other-process-holds", NULL, test_lock_other_process_holds);
  ADD ("lock/this-process-holds", NULL, test_lock_this_process_holds);
  ADD ("lock/after-cancel", NULL, test_lock_after_cancel);
  ADD ("lock/after-failure", NULL, test_lock_after_failure);
  ADD ("lock/size-resumed-appended", &size_resumed_append, test_lock_size_checked);
  ADD ("lock/size-resumed-truncated", &size_resumed_truncate, test_lock_size_checked);
  ADD ("lock/size-fresh-appended", &size_fresh_append, test_lock_size_checked);
  /* lib/ does not pass these yet (see the report in the commit message): run with
   * LADLE_TEST_LIB_PENDING=1; register them once lib/ is fixed */
  ADD ("lock/size-fresh-truncated", &size_fresh_truncate, test_lock_size_checked);

  ADD ("recovery/longer-garbage", GINT_TO_POINTER (LONGER_GARBAGE), test_recovery_longer);
  ADD ("recovery/longer-real-bytes", GINT_TO_POINTER (LONGER_REAL_BYTES), test_recovery_longer);
  ADD ("recovery/longer-than-resource", GINT_TO_POINTER (LONGER_THAN_RESOURCE), test_recovery_longer);
  ADD ("recovery/shorter", GINT_TO_POINTER (BAD_SHORTER), test_recovery_refused);
  ADD ("recovery/empty", GINT_TO_POINTER (BAD_EMPTY), test_recovery_refused);
  ADD ("recovery/missing", GINT_TO_POINTER (BAD_MISSING), test_recovery_refused);
  ADD ("recovery/symlink", GINT_TO_POINTER (BAD_SYMLINK), test_recovery_refused);
  ADD ("recovery/directory", GINT_TO_POINTER (BAD_DIRECTORY), test_recovery_refused);

  ADD ("cleanup/ephemeral-private", NULL, test_cleanup_ephemeral_private);
  ADD ("cleanup/ephemeral-state-directory", NULL, test_cleanup_ephemeral_state_directory);
  ADD ("cleanup/sweep", NULL, test_cleanup_sweep);
  ADD ("cleanup/sweep-max-age", NULL, test_cleanup_sweep_max_age);
  ADD ("cleanup/sweep-live-task", NULL, test_cleanup_sweep_live_task);

  ADD ("credentials/session-other-host", GINT_TO_POINTER (HOP_OTHER_HOST), test_credentials_session_headers);
  ADD ("credentials/session-other-port", GINT_TO_POINTER (HOP_OTHER_PORT), test_credentials_session_headers);
  ADD ("credentials/session-same-origin", GINT_TO_POINTER (HOP_SAME_ORIGIN), test_credentials_session_headers);
  ADD ("credentials/session-away-and-back", GINT_TO_POINTER (HOP_AWAY_AND_BACK), test_credentials_session_headers);
  ADD ("credentials/request-data-task", GINT_TO_POINTER (FALSE), test_credentials_request_headers);
  ADD ("credentials/request-download-task", GINT_TO_POINTER (TRUE), test_credentials_request_headers);
  g_test_add_func ("/Ladle/HardeningFiles/credentials/sensitive-names", test_credentials_sensitive_names);
  ADD ("credentials/cookie-merge", NULL, test_credentials_cookie_merge);

  ADD ("resume-data/no-credentials", NULL, test_resume_data_no_credentials);
  ADD ("resume-data/refused", NULL, test_resume_data_refused);
  ADD ("resume-data/with-request-same-resource", GINT_TO_POINTER (WITH_SAME_RESOURCE), test_resume_data_with_request);
  ADD ("resume-data/with-request-other-resource", GINT_TO_POINTER (WITH_OTHER_RESOURCE), test_resume_data_with_request);
  ADD ("resume-data/with-request-lying-server", GINT_TO_POINTER (WITH_LYING_SERVER), test_resume_data_with_request);
  ADD ("resume-data/with-request-not-get", NULL, test_resume_data_with_request_not_get);

  g_test_add_func ("/Ladle/HardeningFiles/speed/defaults", test_speed_defaults);
  ADD ("speed/slow-body", NULL, test_speed_slow_body);
  ADD ("speed/slow-headers", NULL, test_speed_slow_headers);
  ADD ("speed/fast-enough", GUINT_TO_POINTER (1000), test_speed_fast_enough);
  ADD ("speed/limit-zero-disables", GUINT_TO_POINTER (0), test_speed_fast_enough);
  ADD ("speed/suspended-not-counted", NULL, test_speed_suspended);
  ADD ("speed/total-timeout", NULL, test_speed_total_timeout);
  ADD ("speed/total-timeout-download", NULL, test_speed_total_timeout_download);

  status = g_test_run ();
  ladle_test_remove_tree (tmp_dir);

  return status;
}
