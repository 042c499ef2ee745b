/* test-await.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Awaiting tasks: ladle_task_wait_async() (several waiters, an already completed task, errors,
 * cancellation, the task kept alive) and the session conveniences send_and_read and download,
 * against the in-process test server.
 */

#include <ladle.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ladle-test.h"

typedef struct
{
  LadleTestServer *server;
  LadleSession    *session;
  guint            n_task_completed;
} Fixture;

static void
on_task_completed (LadleSession *session,
                   LadleTask    *task,
                   GError       *error,
                   gpointer      user_data)
{
  Fixture *fixture = user_data;

  fixture->n_task_completed++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->server = ladle_test_server_new ();
  fixture->session = ladle_test_session_new ();
  g_signal_connect (fixture->session, "task-completed", G_CALLBACK (on_task_completed), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_object (&fixture->session);
  g_clear_pointer (&fixture->server, ladle_test_server_free);
}

/* One waiter's outcome. */
typedef struct
{
  Fixture  *fixture;
  gboolean  done;
  guint     n_calls;
  guint     n_task_completed;   /* the session's task-completed count when the callback ran */
  gboolean  result;
  GError   *error;
  GBytes   *bytes;
  GFile    *file;
} Waiter;

static void
waiter_clear (Waiter *waiter)
{
  g_clear_error (&waiter->error);
  g_clear_pointer (&waiter->bytes, g_bytes_unref);
  g_clear_object (&waiter->file);
}

static void
waited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Waiter *waiter = user_data;

  waiter->n_calls++;
  waiter->done = TRUE;
  waiter->n_task_completed = waiter->fixture->n_task_completed;
  waiter->result = ladle_task_wait_finish (LADLE_TASK (source), result, &waiter->error);
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (source)), ==, LADLE_TASK_STATE_COMPLETED);
}

static LadleTask *
create_task (Fixture    *fixture,
             const char *path)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path);

  return LADLE_TASK (ladle_session_create_data_task_for_uri (fixture->session, uri));
}

static SoupMessage *
new_request (Fixture    *fixture,
             const char *path)
{
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path);

  return soup_message_new (SOUP_METHOD_GET, uri);
}

static void
test_wait_success (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(LadleTask) task = create_task (fixture, "/bytes/100000");
  Waiter first = { fixture }, second = { fixture };
  g_autoptr(GBytes) body = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *expected = ladle_test_content_checksum (100000);

  ladle_task_wait_async (task, NULL, waited_cb, &first);
  ladle_task_resume (task);
  ladle_task_wait_async (task, NULL, waited_cb, &second);
  /* never from inside the calls */
  g_assert_false (first.done);
  g_assert_false (second.done);

  ladle_test_wait_for_flag (&first.done, 30, "the first wait");
  ladle_test_wait_for_flag (&second.done, 30, "the second wait");
  ladle_test_drain (0);

  g_assert_cmpuint (first.n_calls, ==, 1);
  g_assert_cmpuint (second.n_calls, ==, 1);
  g_assert_true (first.result);
  g_assert_true (second.result);
  g_assert_no_error (first.error);
  g_assert_no_error (second.error);
  /* after the whole completion, the session's task-completed included */
  g_assert_cmpuint (first.n_task_completed, ==, 1);
  g_assert_cmpuint (second.n_task_completed, ==, 1);

  body = ladle_data_task_dup_body (LADLE_DATA_TASK (task));
  checksum = ladle_test_checksum_bytes (body);
  g_assert_cmpstr (checksum, ==, expected);
}

static void
test_wait_http_error_is_success (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(LadleTask) task = create_task (fixture, "/status/404");
  Waiter waiter = { fixture };

  ladle_task_wait_async (task, NULL, waited_cb, &waiter);
  ladle_task_resume (task);
  ladle_test_wait_for_flag (&waiter.done, 30, "the wait");

  g_assert_true (waiter.result);
  g_assert_no_error (waiter.error);
  g_assert_cmpuint (ladle_task_get_status_code (task), ==, 404);
}

static void
test_wait_error (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(LadleTask) task = create_task (fixture, "/truncate");
  Waiter waiter = { fixture };

  ladle_task_resume (task);
  ladle_task_wait_async (task, NULL, waited_cb, &waiter);
  ladle_test_wait_for_flag (&waiter.done, 30, "the wait");

  g_assert_false (waiter.result);
  g_assert_error (waiter.error, LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY);
  g_assert_error ((GError *)ladle_task_get_error (task), LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY);
  waiter_clear (&waiter);
}

static void
test_wait_already_completed (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(LadleTask) ok = create_task (fixture, "/ok");
  g_autoptr(LadleTask) failed = create_task (fixture, "/truncate");
  Waiter first = { fixture }, late_ok = { fixture }, late_failed = { fixture };
  Waiter failed_first = { fixture };

  ladle_task_wait_async (ok, NULL, waited_cb, &first);
  ladle_task_wait_async (failed, NULL, waited_cb, &failed_first);
  ladle_task_resume (ok);
  ladle_task_resume (failed);
  ladle_test_wait_for_flag (&first.done, 30, "the wait");
  ladle_test_wait_for_flag (&failed_first.done, 30, "the wait");

  /* Completed tasks: the waits complete from the main loop with the stored outcome. */
  ladle_task_wait_async (ok, NULL, waited_cb, &late_ok);
  ladle_task_wait_async (failed, NULL, waited_cb, &late_failed);
  g_assert_false (late_ok.done);
  g_assert_false (late_failed.done);
  ladle_test_wait_for_flag (&late_ok.done, 30, "the late wait");
  ladle_test_wait_for_flag (&late_failed.done, 30, "the late wait");

  g_assert_true (late_ok.result);
  g_assert_no_error (late_ok.error);
  g_assert_false (late_failed.result);
  g_assert_error (late_failed.error, LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 2);
  waiter_clear (&failed_first);
  waiter_clear (&late_failed);
}

static void
test_wait_cancel (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(LadleTask) task = create_task (fixture, "/hold");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Waiter cancelling = { fixture }, other = { fixture };

  ladle_task_wait_async (task, cancellable, waited_cb, &cancelling);
  ladle_task_wait_async (task, NULL, waited_cb, &other);
  ladle_task_resume (task);
  ladle_test_server_wait_for_held (fixture->server);

  g_cancellable_cancel (cancellable);
  /* the task is cancelled from the main loop, not inside g_cancellable_cancel() */
  g_assert_cmpint (ladle_task_get_state (task), ==, LADLE_TASK_STATE_RUNNING);
  ladle_test_wait_for_flag (&cancelling.done, 30, "the cancelled wait");
  ladle_test_wait_for_flag (&other.done, 30, "the other wait");

  g_assert_error (cancelling.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (other.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error ((GError *)ladle_task_get_error (task), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  ladle_test_server_release (fixture->server);
  waiter_clear (&cancelling);
  waiter_clear (&other);
}

static void
test_wait_cancelled_before (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(LadleTask) task = create_task (fixture, "/ok");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Waiter waiter = { fixture };

  g_cancellable_cancel (cancellable);
  ladle_task_wait_async (task, cancellable, waited_cb, &waiter);
  g_assert_cmpint (ladle_task_get_state (task), ==, LADLE_TASK_STATE_SUSPENDED);
  ladle_test_wait_for_flag (&waiter.done, 30, "the wait");

  g_assert_error (waiter.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (ladle_task_get_state (task), ==, LADLE_TASK_STATE_COMPLETED);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 0);
  waiter_clear (&waiter);
}

static void
test_wait_keeps_task_alive (Fixture       *fixture,
                            gconstpointer  user_data)
{
  LadleTask *task;
  Waiter waiter = { fixture };

  /* A task made after invalidation is in no list: only the wait holds it. */
  ladle_session_finish_tasks_and_invalidate (fixture->session);
  task = create_task (fixture, "/ok");
  g_object_add_weak_pointer (G_OBJECT (task), (gpointer *)&task);
  ladle_task_wait_async (task, NULL, waited_cb, &waiter);
  ladle_task_resume (task);
  g_object_unref (task);
  g_assert_nonnull (task);

  ladle_test_wait_for_flag (&waiter.done, 30, "the wait");
  g_assert_error (waiter.error, LADLE_ERROR, LADLE_ERROR_SESSION_INVALIDATED);
  ladle_test_drain (0);
  g_assert_null (task);
  waiter_clear (&waiter);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Waiter *waiter = user_data;

  waiter->n_calls++;
  waiter->done = TRUE;
  waiter->n_task_completed = waiter->fixture->n_task_completed;
  waiter->bytes = ladle_session_send_and_read_finish (LADLE_SESSION (source), result, &waiter->error);
}

static void
on_download_progress (LadleTask *task,
                      gint64     now,
                      gint64     total,
                      gint64     expected,
                      gpointer   user_data)
{
  gint64 *last = user_data;

  g_assert_cmpint (total, >=, *last);
  *last = total;
}

static void
test_send_and_read (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(SoupMessage) request = new_request (fixture, "/bytes/300000");
  g_autoptr(LadleTask) task = NULL;
  g_autofree char *expected = ladle_test_content_checksum (300000);
  g_autofree char *checksum = NULL;
  Waiter waiter = { fixture };
  gint64 last_progress = 0;

  ladle_session_send_and_read_async (fixture->session, request, G_PRIORITY_DEFAULT, NULL,
                                     read_cb, &waiter);
  g_assert_false (waiter.done);

  /* The task is in the session's model like any other. */
  task = ladle_session_dup_task_for_request (fixture->session, request);
  g_assert_nonnull (task);
  g_assert_true (LADLE_IS_DATA_TASK (task));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->session)), ==, 1);
  g_signal_connect (task, "download-progress", G_CALLBACK (on_download_progress), &last_progress);

  ladle_test_wait_for_flag (&waiter.done, 30, "send and read");
  g_assert_no_error (waiter.error);
  checksum = ladle_test_checksum_bytes (waiter.bytes);
  g_assert_cmpstr (checksum, ==, expected);
  g_assert_cmpint (last_progress, ==, 300000);
  g_assert_cmpuint (waiter.n_task_completed, ==, 1);
  g_assert_cmpuint (soup_message_get_status (request), ==, 200);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->session)), ==, 0);
  g_assert_null (ladle_session_dup_task_for_request (fixture->session, request));
  waiter_clear (&waiter);
}

static void
test_send_and_read_http_error (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(SoupMessage) request = new_request (fixture, "/status/404");
  g_autoptr(SoupMessage) empty = new_request (fixture, "/bytes/0");
  Waiter waiter = { fixture }, empty_waiter = { fixture };

  ladle_session_send_and_read_async (fixture->session, request, G_PRIORITY_LOW, NULL,
                                     read_cb, &waiter);
  ladle_session_send_and_read_async (fixture->session, empty, G_PRIORITY_HIGH, NULL,
                                     read_cb, &empty_waiter);
  ladle_test_wait_for_flag (&waiter.done, 30, "send and read");
  ladle_test_wait_for_flag (&empty_waiter.done, 30, "send and read");

  g_assert_no_error (waiter.error);
  g_assert_nonnull (waiter.bytes);
  g_assert_cmpuint (soup_message_get_status (request), ==, 404);
  g_assert_no_error (empty_waiter.error);
  g_assert_nonnull (empty_waiter.bytes);
  g_assert_cmpuint (g_bytes_get_size (empty_waiter.bytes), ==, 0);
  waiter_clear (&waiter);
  waiter_clear (&empty_waiter);
}

static void
test_send_and_read_redirect (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *target = ladle_test_server_dup_uri (fixture->server, "/bytes/10");
  g_autofree char *escaped = g_uri_escape_string (target, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/redirect?to=%s", escaped);
  g_autoptr(SoupMessage) request = new_request (fixture, path);
  g_autoptr(LadleTask) task = NULL;
  Waiter waiter = { fixture };

  ladle_session_send_and_read_async (fixture->session, request, G_PRIORITY_DEFAULT, NULL,
                                     read_cb, &waiter);
  task = ladle_session_dup_task_for_request (fixture->session, request);
  ladle_test_wait_for_flag (&waiter.done, 30, "send and read");

  g_assert_no_error (waiter.error);
  g_assert_cmpuint (g_bytes_get_size (waiter.bytes), ==, 10);
  /* the final response is on the task's current request */
  g_assert_cmpuint (ladle_task_get_status_code (task), ==, 200);
  g_assert_cmpuint (soup_message_get_status (ladle_task_get_current_request (task)), ==, 200);
  waiter_clear (&waiter);
}

static void
test_send_and_read_errors (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(SoupMessage) truncated = new_request (fixture, "/truncate");
  g_autoptr(SoupMessage) held = new_request (fixture, "/hold");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Waiter truncated_waiter = { fixture }, held_waiter = { fixture };

  ladle_session_send_and_read_async (fixture->session, truncated, G_PRIORITY_DEFAULT, NULL,
                                     read_cb, &truncated_waiter);
  ladle_session_send_and_read_async (fixture->session, held, G_PRIORITY_DEFAULT, cancellable,
                                     read_cb, &held_waiter);
  ladle_test_wait_for_flag (&truncated_waiter.done, 30, "the truncated read");
  g_assert_error (truncated_waiter.error, LADLE_ERROR, LADLE_ERROR_TRUNCATED_BODY);
  g_assert_null (truncated_waiter.bytes);

  ladle_test_server_wait_for_held (fixture->server);
  g_cancellable_cancel (cancellable);
  ladle_test_wait_for_flag (&held_waiter.done, 30, "the cancelled read");
  g_assert_error (held_waiter.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  ladle_test_server_release (fixture->server);
  waiter_clear (&truncated_waiter);
  waiter_clear (&held_waiter);
}

static void
download_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Waiter *waiter = user_data;

  waiter->n_calls++;
  waiter->done = TRUE;
  waiter->file = ladle_session_download_finish (LADLE_SESSION (source), result, &waiter->error);
}

static char *
temporary_directory (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("ladle-await-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
test_download (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autofree char *dir = temporary_directory ();
  g_autofree char *path = g_build_filename (dir, "sub", "file.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (path);
  g_autoptr(SoupMessage) request = new_request (fixture, "/bytes/1000003");
  g_autoptr(LadleTask) task = NULL;
  g_autofree char *expected = ladle_test_content_checksum (1000003);
  g_autofree char *checksum = NULL;
  Waiter waiter = { fixture };
  gint64 last_progress = 0;

  ladle_session_download_async (fixture->session, request, destination,
                                LADLE_DESTINATION_FLAGS_CREATE_PARENTS, G_PRIORITY_DEFAULT, NULL,
                                download_cb, &waiter);
  task = ladle_session_dup_task_for_request (fixture->session, request);
  g_assert_true (LADLE_IS_DOWNLOAD_TASK (task));
  g_assert_true (ladle_download_task_get_destination (LADLE_DOWNLOAD_TASK (task)) == destination);
  g_signal_connect (task, "download-progress", G_CALLBACK (on_download_progress), &last_progress);
  ladle_test_wait_for_flag (&waiter.done, 30, "the download");

  g_assert_no_error (waiter.error);
  g_assert_true (g_file_equal (waiter.file, destination));
  checksum = ladle_test_checksum_file (path);
  g_assert_cmpstr (checksum, ==, expected);
  g_assert_cmpint (last_progress, ==, 1000003);
  waiter_clear (&waiter);
  ladle_test_remove_tree (dir);
}

static void
test_download_replace (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *dir = temporary_directory ();
  g_autofree char *path = g_build_filename (dir, "file.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (path);
  g_autoptr(SoupMessage) request = new_request (fixture, "/bytes/1000");
  g_autoptr(SoupMessage) again = new_request (fixture, "/bytes/1000");
  g_autoptr(GError) error = NULL;
  Waiter refused = { fixture }, replaced = { fixture };

  g_file_set_contents (path, "old", -1, &error);
  g_assert_no_error (error);

  /* without REPLACE the existing file is kept and the download fails */
  ladle_session_download_async (fixture->session, request, destination,
                                LADLE_DESTINATION_FLAGS_NONE, G_PRIORITY_DEFAULT, NULL,
                                download_cb, &refused);
  ladle_test_wait_for_flag (&refused.done, 30, "the download");
  g_assert_nonnull (refused.error);
  g_assert_null (refused.file);
  g_assert_cmpint (ladle_test_file_size (path), ==, 3);

  ladle_session_download_async (fixture->session, again, destination,
                                LADLE_DESTINATION_FLAGS_REPLACE, G_PRIORITY_DEFAULT, NULL,
                                download_cb, &replaced);
  ladle_test_wait_for_flag (&replaced.done, 30, "the download");
  g_assert_no_error (replaced.error);
  g_assert_cmpint (ladle_test_file_size (path), ==, 1000);
  waiter_clear (&refused);
  waiter_clear (&replaced);
  ladle_test_remove_tree (dir);
}

static void
test_download_http_error (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *dir = temporary_directory ();
  g_autofree char *path = g_build_filename (dir, "file.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (path);
  g_autoptr(SoupMessage) request = new_request (fixture, "/status/404");
  g_autoptr(LadleTask) task = NULL;
  Waiter waiter = { fixture };

  ladle_session_download_async (fixture->session, request, destination,
                                LADLE_DESTINATION_FLAGS_NONE, G_PRIORITY_DEFAULT, NULL,
                                download_cb, &waiter);
  task = ladle_session_dup_task_for_request (fixture->session, request);
  ladle_test_wait_for_flag (&waiter.done, 30, "the download");

  g_assert_error (waiter.error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS);
  g_assert_null (waiter.file);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* the task itself completed without an error */
  g_assert_null (ladle_task_get_error (task));
  g_assert_cmpuint (ladle_task_get_status_code (task), ==, 404);
  waiter_clear (&waiter);
  ladle_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/Ladle/Await/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("wait/success", test_wait_success);
  ADD ("wait/http-error-is-success", test_wait_http_error_is_success);
  ADD ("wait/error", test_wait_error);
  ADD ("wait/already-completed", test_wait_already_completed);
  ADD ("wait/cancel", test_wait_cancel);
  ADD ("wait/cancelled-before", test_wait_cancelled_before);
  ADD ("wait/keeps-task-alive", test_wait_keeps_task_alive);
  ADD ("send-and-read/success", test_send_and_read);
  ADD ("send-and-read/http-error", test_send_and_read_http_error);
  ADD ("send-and-read/redirect", test_send_and_read_redirect);
  ADD ("send-and-read/errors", test_send_and_read_errors);
  ADD ("download/success", test_download);
  ADD ("download/replace", test_download_replace);
  ADD ("download/http-error", test_download_http_error);

  return g_test_run ();
}
