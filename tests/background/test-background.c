/* test-background.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Background sessions in one process: a "kill" is simulated by taking a copy of what a killed
 * process leaves behind (the store's GSettings value and the partial files) at the chosen
 * moment, letting the session end, and putting the copy back before the next session is made.
 * The kill -9 tests with real processes are in test_kill.py.
 */

#include <ladle.h>
#include <glib/gstdio.h>

#include "ladle-test.h"

#define MiB (1024 * 1024)
#define APP_ID "org.gnome.Ladle.TestBackground"

typedef struct
{
  LadleTestServer *server;
  char            *state_dir;
  char            *out_dir;
  char            *identifier;
  char            *partial_dir;
  GSettings       *store;
} Fixture;

static guint session_counter;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autofree char *path = NULL;
  g_autofree char *downloads = NULL;

  fixture->server = ladle_test_server_new ();
  fixture->state_dir = g_dir_make_tmp ("ladle-background-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->out_dir = g_dir_make_tmp ("ladle-background-out-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->identifier = g_strdup_printf ("session-%u-%d", ++session_counter, (int) getpid ());
  downloads = g_strconcat (fixture->identifier, ".downloads", NULL);
  fixture->partial_dir = g_build_filename (fixture->state_dir, "background", APP_ID, downloads, NULL);

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            "org.gnome.Ladle.BackgroundSession", TRUE);
  g_assert_nonnull (schema);
  path = g_strdup_printf ("/org/gnome/ladle/sessions/%s/%s/", APP_ID, fixture->identifier);
  fixture->store = g_settings_new_full (schema, NULL, path);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  ladle_test_drain (100);
  g_clear_object (&fixture->store);
  ladle_test_remove_tree (fixture->state_dir);
  ladle_test_remove_tree (fixture->out_dir);
  g_free (fixture->state_dir);
  g_free (fixture->out_dir);
  g_free (fixture->identifier);
  g_free (fixture->partial_dir);
  ladle_test_server_free (fixture->server);
}

static LadleSession *
background_session_new (Fixture *fixture)
{
  g_autoptr(LadleSessionConfiguration) configuration =
    ladle_session_configuration_new_background (fixture->identifier);

  ladle_session_configuration_set_state_directory (configuration, fixture->state_dir);
  ladle_session_configuration_set_application_id (configuration, APP_ID);

  return ladle_session_new (configuration);
}

/* What a killed process leaves: the store and the partial files, as they are now. */
typedef struct
{
  GVariant   *state;
  GHashTable *files;   /* name -> GBytes */
} Snapshot;

static void
snapshot_free (Snapshot *snapshot)
{
  g_variant_unref (snapshot->state);
  g_hash_table_unref (snapshot->files);
  g_free (snapshot);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Snapshot, snapshot_free)

static Snapshot *
take_snapshot (Fixture *fixture)
{
  Snapshot *snapshot = g_new0 (Snapshot, 1);
  g_autoptr(GDir) dir = g_dir_open (fixture->partial_dir, 0, NULL);
  const char *name;

  snapshot->state = g_settings_get_value (fixture->store, "state");
  snapshot->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->partial_dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      g_hash_table_insert (snapshot->files, g_strdup (name), g_bytes_new_take (g_steal_pointer (&contents), length));
    }

  return snapshot;
}

/* The size of the one partial file the snapshot holds: what the killed task had on disk (a
 * MiB, one block, when libsoup reads the body; all the bytes sent when it is spliced). */
static gint64
snapshot_partial_size (Snapshot *snapshot)
{
  GHashTableIter iter;
  gpointer contents;

  g_assert_cmpuint (g_hash_table_size (snapshot->files), ==, 1);
  g_hash_table_iter_init (&iter, snapshot->files);
  g_assert_true (g_hash_table_iter_next (&iter, NULL, &contents));

  return (gint64) g_bytes_get_size (contents);
}

static void
put_back (Fixture  *fixture,
          Snapshot *snapshot)
{
  GHashTableIter iter;
  gpointer name, contents;

  ladle_test_remove_tree (fixture->partial_dir);
  g_assert_cmpint (g_mkdir_with_parents (fixture->partial_dir, 0700), ==, 0);
  g_hash_table_iter_init (&iter, snapshot->files);
  while (g_hash_table_iter_next (&iter, &name, &contents))
    {
      g_autofree char *path = g_build_filename (fixture->partial_dir, name, NULL);
      g_autoptr(GError) error = NULL;

      g_file_set_contents (path, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents), &error);
      g_assert_no_error (error);
    }
  g_assert_true (g_settings_set_value (fixture->store, "state", snapshot->state));
  g_settings_sync ();
}

static guint
n_records (Fixture *fixture)
{
  g_autoptr(GVariant) state = g_settings_get_value (fixture->store, "state");
  g_autoptr(GVariant) tasks = g_variant_get_child_value (state, 2);

  return g_variant_n_children (tasks);
}

static guint
n_completions (Fixture *fixture)
{
  g_autoptr(GVariant) state = g_settings_get_value (fixture->store, "state");
  g_autoptr(GVariant) completions = g_variant_get_child_value (state, 3);

  return g_variant_n_children (completions);
}

typedef struct
{
  GString *events;        /* W download-finished, T task-completed, E background-events-finished */
  guint64  identifier;
  char    *description;
  GFile   *location;
  GError  *error;
  gboolean events_finished;
  gboolean in_store_during_handler;
  Fixture *fixture;
  Snapshot *during_handler;  /* the store as the handler sees it */
} Delegate;

static void
on_download_finished (LadleSession      *session,
                      LadleDownloadTask *task,
                      GFile             *location,
                      Delegate          *delegate)
{
  g_string_append_c (delegate->events, 'W');
  g_set_object (&delegate->location, location);
}

static void
on_task_completed (LadleSession *session,
                   LadleTask    *task,
                   const GError *error,
                   Delegate     *delegate)
{
  g_string_append_c (delegate->events, 'T');
  delegate->identifier = ladle_task_get_identifier (task);
  g_free (delegate->description);
  delegate->description = g_strdup (ladle_task_get_description (task));
  g_clear_error (&delegate->error);
  delegate->error = error != NULL ? g_error_copy (error) : NULL;
  if (delegate->fixture != NULL && delegate->during_handler == NULL)
    delegate->during_handler = take_snapshot (delegate->fixture);
}

static void
on_events_finished (LadleSession *session,
                    Delegate     *delegate)
{
  g_string_append_c (delegate->events, 'E');
  delegate->events_finished = TRUE;
}

static void
delegate_connect (Delegate     *delegate,
                  LadleSession *session)
{
  if (delegate->events == NULL)
    delegate->events = g_string_new (NULL);
  g_signal_connect (session, "download-finished", G_CALLBACK (on_download_finished), delegate);
  g_signal_connect (session, "task-completed", G_CALLBACK (on_task_completed), delegate);
  g_signal_connect (session, "background-events-finished", G_CALLBACK (on_events_finished), delegate);
}

static void
delegate_clear (Delegate *delegate)
{
  if (delegate->events != NULL)
    g_string_free (delegate->events, TRUE);
  g_free (delegate->description);
  g_clear_object (&delegate->location);
  g_clear_error (&delegate->error);
  g_clear_pointer (&delegate->during_handler, snapshot_free);
}

static gboolean
partial_file_reaches (gpointer data)
{
  Fixture *fixture = data;
  g_autoptr(GDir) dir = g_dir_open (fixture->partial_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->partial_dir, name, NULL);

      if (ladle_test_file_size (path) >= MiB)
        return TRUE;
    }

  return FALSE;
}

static gboolean
delegate_has_events_finished (gpointer data)
{
  return ((Delegate *) data)->events_finished;
}

static gboolean
session_is_idle (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (data)) == 0;
}

static void
on_invalidated (LadleSession *session,
                gboolean     *invalidated)
{
  *invalidated = TRUE;
}

/* Cancels and forgets everything, and waits until it is done. */
static void
end_session (LadleSession *session)
{
  gboolean invalidated = FALSE;

  g_signal_connect (session, "invalidated", G_CALLBACK (on_invalidated), &invalidated);
  ladle_session_invalidate_and_cancel (session);
  ladle_test_wait_for_flag (&invalidated, 30, "the session is invalidated");
  ladle_test_drain (100);
}

static LadleDownloadTask *
start_download (Fixture      *fixture,
                LadleSession *session,
                const char   *query,
                const char   *name)
{
  g_autofree char *path = g_strdup_printf ("/resource/%d?%s", 3 * MiB, query);
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, path);
  g_autofree char *destination_path = g_build_filename (fixture->out_dir, name, NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  LadleDownloadTask *task = ladle_session_create_download_task_for_uri (session, uri);

  ladle_task_set_description (LADLE_TASK (task), name);
  ladle_download_task_set_destination (task, destination, LADLE_DESTINATION_FLAGS_REPLACE);
  ladle_task_resume (LADLE_TASK (task));

  return task;
}

/* Killed with a MiB or more on disk: the next session lists the task as it was and asks for the rest. */
static void
test_restore_running (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(LadleSession) session = background_session_new (fixture);
  g_autoptr(LadleDownloadTask) task = start_download (fixture, session, "stall=2000000", "photo-1.jpg");
  g_autoptr(Snapshot) killed = NULL;
  g_autoptr(LadleSession) relaunched = NULL;
  g_autofree char *destination = g_build_filename (fixture->out_dir, "photo-1.jpg", NULL);
  g_autofree char *sha = NULL;
  g_autofree char *expected_sha = NULL;
  Delegate delegate = { 0 };
  LadleTask *restored;
  LadleTestRequest *request;
  guint64 identifier = ladle_task_get_identifier (LADLE_TASK (task));
  g_autofree char *range = NULL;
  gint64 on_disk;

  ladle_test_wait_until (partial_file_reaches, fixture, 60, "a MiB in the partial file");
  killed = take_snapshot (fixture);
  g_assert_cmpuint (n_records (fixture), ==, 1);

  end_session (session);
  g_clear_object (&task);
  g_clear_object (&session);
  put_back (fixture, killed);
  ladle_test_server_clear_log (fixture->server);

  relaunched = background_session_new (fixture);
  delegate_connect (&delegate, relaunched);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (relaunched)), ==, 1);
  restored = ladle_session_get_task_by_identifier (relaunched, identifier);
  g_assert_nonnull (restored);
  g_assert_true (LADLE_IS_DOWNLOAD_TASK (restored));
  g_assert_cmpstr (ladle_task_get_description (restored), ==, "photo-1.jpg");
  g_assert_cmpint (ladle_task_get_state (restored), ==, LADLE_TASK_STATE_RUNNING);
  on_disk = snapshot_partial_size (killed);
  g_assert_cmpint (on_disk, >=, MiB);
  g_assert_cmpint (ladle_task_get_bytes_received (restored), ==, on_disk);

  ladle_test_wait_until (session_is_idle, relaunched, 60, "the restored task completes");

  g_assert_cmpstr (delegate.events->str, ==, "EWT");
  g_assert_no_error (delegate.error);
  g_assert_cmpuint (delegate.identifier, ==, identifier);
  request = ladle_test_server_get_request (fixture->server, 0);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 1);
  range = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-", on_disk);
  g_assert_cmpstr (request->range, ==, range);
  g_assert_nonnull (request->if_range);

  sha = ladle_test_checksum_file (destination);
  expected_sha = ladle_test_variant_content_checksum (1, 3 * MiB);
  g_assert_cmpstr (sha, ==, expected_sha);
  g_assert_cmpuint (n_records (fixture) + n_completions (fixture), ==, 0);
  ladle_test_assert_listing (fixture->partial_dir, "");
  delegate_clear (&delegate);
}

/* Killed inside the application's task-completed handler: the completion comes again, once,
 * after the relaunch, with the file at its destination; then never again. */
static void
test_completion_redelivered (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(LadleSession) session = background_session_new (fixture);
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(LadleSession) relaunched = NULL;
  g_autoptr(LadleSession) third = NULL;
  g_autofree char *destination = g_build_filename (fixture->out_dir, "photo-2.jpg", NULL);
  g_autofree char *expected_sha = ladle_test_variant_content_checksum (1, 3 * MiB);
  g_autofree char *sha = NULL;
  g_autofree char *location = NULL;
  Delegate first = { .fixture = fixture };
  Delegate second = { 0 };
  Delegate last = { 0 };
  guint64 identifier;

  delegate_connect (&first, session);
  task = start_download (fixture, session, "etag=strong", "photo-2.jpg");
  identifier = ladle_task_get_identifier (LADLE_TASK (task));
  ladle_test_wait_until (session_is_idle, session, 60, "the download completes");
  /* Every launch says once that nothing (here) was left to deliver. */
  g_assert_cmpstr (first.events->str, ==, "EWT");
  /* While the handler ran, the completion was in the store, the record gone. */
  g_assert_nonnull (first.during_handler);
  {
    g_autoptr(GVariant) records = g_variant_get_child_value (first.during_handler->state, 2);
    g_autoptr(GVariant) completions = g_variant_get_child_value (first.during_handler->state, 3);

    g_assert_cmpuint (g_variant_n_children (records), ==, 0);
    g_assert_cmpuint (g_variant_n_children (completions), ==, 1);
  }
  ladle_test_drain (100);
  g_assert_cmpuint (n_completions (fixture), ==, 0);
  g_clear_object (&task);
  g_clear_object (&session);

  put_back (fixture, first.during_handler);
  relaunched = background_session_new (fixture);
  delegate_connect (&second, relaunched);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (relaunched)), ==, 0);
  ladle_test_wait_until (delegate_has_events_finished, &second, 30, "background-events-finished");
  g_assert_cmpstr (second.events->str, ==, "WTE");
  g_assert_cmpuint (second.identifier, ==, identifier);
  g_assert_cmpstr (second.description, ==, "photo-2.jpg");
  g_assert_no_error (second.error);
  location = g_file_get_path (second.location);
  g_assert_cmpstr (location, ==, destination);
  sha = ladle_test_checksum_file (destination);
  g_assert_cmpstr (sha, ==, expected_sha);
  ladle_test_drain (100);
  g_assert_cmpuint (n_completions (fixture), ==, 0);
  g_clear_object (&relaunched);

  /* Delivered: the next launch has nothing, and says so once. */
  third = background_session_new (fixture);
  delegate_connect (&last, third);
  ladle_test_wait_until (delegate_has_events_finished, &last, 30, "background-events-finished");
  ladle_test_drain (50);
  g_assert_cmpstr (last.events->str, ==, "E");

  delegate_clear (&first);
  delegate_clear (&second);
  delegate_clear (&last);
}

typedef struct
{
  gboolean done;
  GError  *error;
} Completion;

static void
on_completed (LadleTask    *task,
              const GError *error,
              Completion   *completion)
{
  completion->done = TRUE;
  completion->error = error != NULL ? g_error_copy (error) : NULL;
}

/* A body that cannot be made again in another process is refused, with nothing sent. */
static void
test_streamed_upload_refused (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(LadleSession) session = background_session_new (fixture);
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/upload");
  g_autoptr(SoupMessage) request = soup_message_new ("PUT", uri);
  g_autoptr(SoupMessage) form_request = soup_message_new ("POST", uri);
  g_autoptr(LadleUploadTask) streamed = ladle_session_create_upload_task_streamed (session, request);
  g_autoptr(LadleMultipartForm) form = ladle_multipart_form_new ();
  g_autoptr(LadleUploadTask) with_stream = NULL;
  Completion a = { 0 }, b = { 0 };
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data ("abc", 3, NULL);

  ladle_multipart_form_append_text (form, "caption", "hello", NULL);
  ladle_multipart_form_append_stream (form, "blob", "blob.bin", NULL, 3,
                                      (LadleStreamFactory) g_object_ref, g_object_ref (stream), g_object_unref, NULL);
  with_stream = ladle_session_create_upload_task_from_form (session, form_request, form);

  g_signal_connect (streamed, "completed", G_CALLBACK (on_completed), &a);
  g_signal_connect (with_stream, "completed", G_CALLBACK (on_completed), &b);
  ladle_task_resume (LADLE_TASK (streamed));
  ladle_task_resume (LADLE_TASK (with_stream));
  ladle_test_wait_for_flag (&a.done, 30, "the streamed upload completes");
  ladle_test_wait_for_flag (&b.done, 30, "the form upload completes");
  g_assert_error (a.error, LADLE_ERROR, LADLE_ERROR_NOT_IN_BACKGROUND);
  g_assert_error (b.error, LADLE_ERROR, LADLE_ERROR_NOT_IN_BACKGROUND);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 0);
  ladle_test_drain (50);
  g_assert_cmpuint (n_records (fixture) + n_completions (fixture), ==, 0);
  g_clear_error (&a.error);
  g_clear_error (&b.error);
}

/* Suspended before the kill: restored suspended, nothing sent until resumed. */
static void
test_suspended_stays (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(LadleSession) session = background_session_new (fixture);
  g_autoptr(LadleDownloadTask) task = start_download (fixture, session, "stall=2000000", "photo-3.jpg");
  g_autoptr(Snapshot) killed = NULL;
  g_autoptr(LadleSession) relaunched = NULL;
  LadleTask *restored;
  guint64 identifier = ladle_task_get_identifier (LADLE_TASK (task));
  g_autofree char *range = NULL;
  gint64 on_disk;

  ladle_test_wait_until (partial_file_reaches, fixture, 60, "a MiB in the partial file");
  ladle_task_suspend (LADLE_TASK (task));
  ladle_test_drain (100);
  killed = take_snapshot (fixture);
  end_session (session);
  g_clear_object (&task);
  g_clear_object (&session);
  put_back (fixture, killed);
  ladle_test_server_clear_log (fixture->server);

  relaunched = background_session_new (fixture);
  restored = ladle_session_get_task_by_identifier (relaunched, identifier);
  g_assert_nonnull (restored);
  g_assert_cmpint (ladle_task_get_state (restored), ==, LADLE_TASK_STATE_SUSPENDED);
  on_disk = snapshot_partial_size (killed);
  g_assert_cmpint (on_disk, >=, MiB);
  g_assert_cmpint (ladle_task_get_bytes_received (restored), ==, on_disk);
  ladle_test_spin (300);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 0);

  ladle_task_resume (restored);
  ladle_test_wait_until (session_is_idle, relaunched, 60, "the resumed task completes");
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 1);
  range = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-", on_disk);
  g_assert_cmpstr (ladle_test_server_get_request (fixture->server, 0)->range, ==, range);
}

/* Suspended, then resumed: it runs again, and a kill from then on finds it running (it goes on
 * by itself after the relaunch), not suspended as it was for a while. */
static void
test_resumed_runs_again (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(LadleSession) session = background_session_new (fixture);
  g_autoptr(LadleDownloadTask) task = start_download (fixture, session, "stall=2000000", "photo-5.jpg");
  g_autoptr(Snapshot) killed = NULL;
  g_autoptr(LadleSession) relaunched = NULL;
  g_autofree char *destination = g_build_filename (fixture->out_dir, "photo-5.jpg", NULL);
  g_autofree char *sha = NULL;
  g_autofree char *expected_sha = NULL;
  g_autofree char *range = NULL;
  Delegate delegate = { 0 };
  LadleTask *restored;
  guint64 identifier = ladle_task_get_identifier (LADLE_TASK (task));
  gint64 on_disk;

  ladle_test_wait_until (partial_file_reaches, fixture, 60, "a MiB in the partial file");
  ladle_task_suspend (LADLE_TASK (task));
  ladle_test_drain (100);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_drain (100);
  g_assert_cmpint (ladle_task_get_state (LADLE_TASK (task)), ==, LADLE_TASK_STATE_RUNNING);
  killed = take_snapshot (fixture);
  end_session (session);
  g_clear_object (&task);
  g_clear_object (&session);
  put_back (fixture, killed);
  ladle_test_server_clear_log (fixture->server);

  relaunched = background_session_new (fixture);
  delegate_connect (&delegate, relaunched);
  restored = ladle_session_get_task_by_identifier (relaunched, identifier);
  g_assert_nonnull (restored);
  g_assert_cmpint (ladle_task_get_state (restored), ==, LADLE_TASK_STATE_RUNNING);
  on_disk = ladle_task_get_bytes_received (restored);
  g_assert_cmpint (on_disk, >=, MiB);

  ladle_test_wait_until (session_is_idle, relaunched, 60, "the restored task completes");
  g_assert_cmpstr (delegate.events->str, ==, "EWT");
  g_assert_no_error (delegate.error);
  g_assert_cmpuint (ladle_test_server_get_n_requests (fixture->server), ==, 1);
  range = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-", on_disk);
  g_assert_cmpstr (ladle_test_server_get_request (fixture->server, 0)->range, ==, range);
  sha = ladle_test_checksum_file (destination);
  expected_sha = ladle_test_variant_content_checksum (1, 3 * MiB);
  g_assert_cmpstr (sha, ==, expected_sha);
  delegate_clear (&delegate);
}

/* Cancelling forgets the task: no record, no partial file; a relaunch has nothing. */
static void
test_cancel_forgets (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(LadleSession) session = background_session_new (fixture);
  g_autoptr(LadleDownloadTask) task = start_download (fixture, session, "stall=2000000", "photo-4.jpg");
  g_autoptr(LadleSession) relaunched = NULL;
  Completion completion = { 0 };

  g_signal_connect (task, "completed", G_CALLBACK (on_completed), &completion);
  ladle_test_wait_until (partial_file_reaches, fixture, 60, "a MiB in the partial file");
  g_assert_cmpuint (n_records (fixture), ==, 1);
  ladle_task_cancel (LADLE_TASK (task));
  ladle_test_wait_for_flag (&completion.done, 30, "the cancelled task completes");
  g_assert_error (completion.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Forgotten before ::completed said so. */
  g_assert_cmpuint (n_records (fixture) + n_completions (fixture), ==, 0);
  ladle_test_drain (100);
  ladle_test_assert_listing (fixture->partial_dir, "");
  g_clear_object (&task);
  g_clear_object (&session);

  relaunched = background_session_new (fixture);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (relaunched)), ==, 0);
  g_clear_error (&completion.error);
}

/* A data task runs in a background session but is not recorded. */
static void
test_data_task_not_recorded (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(LadleSession) session = background_session_new (fixture);
  g_autofree char *uri = ladle_test_server_dup_uri (fixture->server, "/stall");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_autoptr(LadleSession) relaunched = NULL;

  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_until ((LadleTestPredicate) ladle_test_server_get_n_requests, fixture->server, 30, "the request");
  ladle_test_drain (50);
  g_assert_cmpuint (n_records (fixture), ==, 0);
  /* The first session lets go of the background session before the next one is made (one at a
   * time: see second-session-keeps-nothing). */
  ladle_task_cancel (LADLE_TASK (task));
  ladle_test_drain (100);
  g_clear_object (&task);
  g_clear_object (&session);
  relaunched = background_session_new (fixture);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (relaunched)), ==, 0);
}

/* Ladle's warnings that a test expects (structured logging: g_test_expect_message() does not
 * see them); every other message goes to GLib's writer, where warnings are fatal. */
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

/* Two sessions for one background session at once would restore the same tasks and write over
 * each other's store: the second keeps nothing (a warning says so), and says so with
 * ::background-events-finished; once the first is gone, a new one restores as usual. */
static void
test_second_session_keeps_nothing (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(LadleSession) first = background_session_new (fixture);
  g_autoptr(LadleDownloadTask) task = start_download (fixture, first, "stall=2000000", "photo-5.jpg");
  g_autoptr(LadleSession) second = NULL;
  g_autoptr(LadleSession) third = NULL;
  g_autoptr(LadleDownloadTask) other = NULL;
  Delegate delegate = { 0 };
  guint64 identifier = ladle_task_get_identifier (LADLE_TASK (task));

  ladle_test_wait_until (partial_file_reaches, fixture, 60, "a MiB in the partial file");
  g_assert_cmpuint (n_records (fixture), ==, 1);

  expected_warning = "Background session*is already running*keeps nothing*";
  second = background_session_new (fixture);
  expected_warning = NULL;
  g_assert_cmpuint (n_expected_warnings, ==, 1);
  delegate_connect (&delegate, second);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 0);
  ladle_test_wait_until (delegate_has_events_finished, &delegate, 30, "background-events-finished");
  g_assert_cmpstr (delegate.events->str, ==, "E");

  /* What the second one runs is not recorded: the first's store is as it was. */
  other = start_download (fixture, second, "etag=strong", "photo-6.jpg");
  ladle_test_wait_until (session_is_idle, second, 60, "the second session's download");
  g_assert_cmpuint (n_records (fixture), ==, 1);
  g_assert_cmpuint (n_completions (fixture), ==, 0);
  g_clear_object (&other);
  g_clear_object (&second);

  end_session (first);
  g_clear_object (&task);
  g_clear_object (&first);
  third = background_session_new (fixture);
  g_assert_cmpuint (n_expected_warnings, ==, 1);
  g_assert_null (ladle_session_get_task_by_identifier (third, identifier));
  delegate_clear (&delegate);
}

int
main (int   argc,
      char *argv[])
{
  g_log_set_writer_func (expecting_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/Ladle/Background/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("restore-running", test_restore_running);
  ADD ("completion-redelivered", test_completion_redelivered);
  ADD ("streamed-upload-refused", test_streamed_upload_refused);
  ADD ("suspended-stays", test_suspended_stays);
  ADD ("resumed-runs-again", test_resumed_runs_again);
  ADD ("cancel-forgets", test_cancel_forgets);
  ADD ("data-task-not-recorded", test_data_task_not_recorded);
  ADD ("second-session-keeps-nothing", test_second_session_keeps_nothing);

  return g_test_run ();
}
