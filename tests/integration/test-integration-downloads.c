/* test-integration-downloads.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Downloads against nginx, from C. Run through the harness, which starts nginx and sets
 * LADLE_NGINX_URL, LADLE_NGINX_ROOT and LADLE_NGINX_ACCESS_LOG:
 *
 *   servers.py run --nginx -- test-integration-downloads --tap
 *
 * Signals are written down as letters: R response, S resumed, P download-progress (runs
 * squeezed), F finished, W session download-finished, C completed, T session task-completed.
 */

#include <ladle.h>
#include <glib/gstdio.h>
#include <string.h>
#include <utime.h>

#include "ladle-test.h"

#define MiB (1024 * 1024)

static const char *nginx_url;
static const char *nginx_root;
static const char *nginx_access_log;

static gboolean
recorder_is_done (gpointer data)
{
  LadleTestRecorder *self = data;

  return self->done && (!self->pause_requested || self->resume_cb_called);
}

/* Runs @task with the recorder of tests/support, pausing it (resume data) once @pause_at bytes
 * arrived when @pause_at > 0. */
static LadleTestRecorder *
recorder_run (gpointer task,
              gint64   pause_at)
{
  LadleTestRecorder *self = ladle_test_recorder_new (task);
  gint64 last_received = 0;

  self->pause_at = pause_at;
  self->resumed_offset = -1;
  ladle_task_resume (LADLE_TASK (task));
  /* large files from nginx: a longer failsafe than the recorder's own */
  ladle_test_wait_until (recorder_is_done, self, 120, "the task's completion");
  ladle_test_recorder_wait (self);

  g_assert_no_error (self->resume_error);
  for (guint i = 0; i < self->progress->len; i++)
    {
      gint64 received = g_array_index (self->progress, LadleTestProgress, i).total_received;

      g_assert_cmpint (received, >, last_received);
      last_received = received;
    }

  return self;
}

static LadleSession *
session_new (const char *state_dir)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();

  ladle_session_configuration_set_state_directory (configuration, state_dir);
  return ladle_session_new (configuration);
}

static GBytes *
random_content (guint32 seed,
                gsize   size)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint32 *data = g_malloc (size);

  for (gsize i = 0; i < size / 4; i++)
    data[i] = g_rand_int (rand);

  return g_bytes_new_take (data, size);
}

static char *
sha256_of_path (const char *path)
{
  g_autoptr(GMappedFile) mapped = g_mapped_file_new (path, FALSE, NULL);
  g_autoptr(GBytes) bytes = NULL;

  if (mapped == NULL)
    return NULL;
  bytes = g_mapped_file_get_bytes (mapped);
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

static char *
publish (const char *name,
         GBytes     *content)
{
  g_autofree char *path = g_build_filename (nginx_root, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (content, NULL), g_bytes_get_size (content), &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

/* Waits for an access log line that contains every one of @needles. */
static gboolean
log_has (gpointer data)
{
  const char * const *needles = data;
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (nginx_access_log, &contents, NULL, NULL))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gboolean all = TRUE;

      for (guint j = 0; needles[j] != NULL && all; j++)
        all = strstr (lines[i], needles[j]) != NULL;
      if (all)
        return TRUE;
    }

  return FALSE;
}

static guint64
resume_data_offset (GBytes *resume_data,
                    char  **etag)
{
  g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, resume_data, FALSE));
  g_autoptr(GVariantDict) dict = g_variant_dict_new (variant);
  guint64 offset = 0;

  g_assert_true (g_variant_dict_lookup (dict, "bytes-received", "t", &offset));
  g_assert_true (g_variant_dict_lookup (dict, "etag", "s", etag));
  return offset;
}

static void
run_pause_resume (gboolean change_file)
{
  const gsize size = 8 * MiB;
  g_autoptr(GBytes) content = random_content (change_file ? 11 : 10, size);
  g_autoptr(GBytes) replacement = random_content (12, size);
  g_autofree char *name = g_strdup_printf ("c-%s.bin", change_file ? "changing" : "big");
  g_autofree char *path = publish (name, content);
  g_autofree char *url = g_strdup_printf ("%s/slow/%s", nginx_url, name);
  g_autofree char *state_dir = g_dir_make_tmp ("ladle-integration-XXXXXX", NULL);
  g_autofree char *downloads_dir = g_build_filename (state_dir, "downloads", NULL);
  g_autofree char *destination_path = g_build_filename (state_dir, "result.bin", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (destination_path);
  g_autoptr(LadleSession) session = session_new (state_dir);
  g_autoptr(LadleSession) second_session = session_new (state_dir);
  g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_for_uri (session, url);
  g_autoptr(LadleDownloadTask) resumed = NULL;
  g_autoptr(LadleTestRecorder) paused = NULL;
  g_autoptr(LadleTestRecorder) recorder = NULL;
  g_autofree char *paused_events = NULL;
  g_autofree char *events = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *range = NULL;
  g_autofree char *if_range = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *actual = NULL;
  g_autoptr(GDir) dir = NULL;
  guint64 offset;

  paused = recorder_run (task, MiB);
  paused_events = ladle_test_recorder_dup_squeezed_events (paused);
  g_assert_cmpstr (paused_events, ==, "RPCT");
  g_assert_error (paused->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (paused->resume_data);
  offset = resume_data_offset (paused->resume_data, &etag);
  g_assert_cmpuint (offset, >=, MiB);
  g_assert_cmpuint (offset, <, size);

  if (change_file)
    {
      struct utimbuf times = { .actime = time (NULL) + 3600, .modtime = time (NULL) + 3600 };
      g_autofree char *again = publish (name, replacement);

      g_assert_cmpint (utime (path, &times), ==, 0);
    }

  resumed = ladle_session_create_download_task_from_resume_data (second_session, paused->resume_data, &error);
  g_assert_no_error (error);
  ladle_download_task_set_destination (resumed, destination, LADLE_DESTINATION_FLAGS_NONE);
  recorder = recorder_run (resumed, 0);

  events = ladle_test_recorder_dup_squeezed_events (recorder);
  g_assert_cmpstr (events, ==, "RSPFWCT");
  g_assert_no_error (recorder->error);
  g_assert_cmpint (recorder->resumed_offset, ==, change_file ? 0 : (gint64)offset);
  g_assert_cmpint (recorder->resumed_total, ==, size);
  g_assert_cmpuint (ladle_task_get_status_code (LADLE_TASK (resumed)), ==, change_file ? 200 : 206);
  expected = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, change_file ? replacement : content);
  actual = sha256_of_path (destination_path);
  g_assert_cmpstr (actual, ==, expected);

  /* nginx logged the resumed request with its Range and If-Range */
  range = g_strdup_printf ("\"range\":\"bytes=%" G_GUINT64_FORMAT "-\"", offset);
  {
    g_autofree char *escaped = g_strescape (etag, NULL);

    if_range = g_strdup_printf ("\"if_range\":\"%s\"", escaped);
  }
  {
    const char *needles[] = { range, if_range, change_file ? "\"status\":200" : "\"status\":206", NULL };

    ladle_test_wait_until (log_has, needles, 120, "nginx's log of the resumed request");
  }

  /* no stray file */
  dir = g_dir_open (downloads_dir, 0, NULL);
  g_assert_nonnull (dir);
  g_assert_null (g_dir_read_name (dir));

  ladle_session_invalidate_and_cancel (session);
  ladle_session_invalidate_and_cancel (second_session);
  g_unlink (destination_path);
  g_rmdir (downloads_dir);
  g_rmdir (state_dir);
  g_unlink (path);
}

static void
test_pause_resume (void)
{
  run_pause_resume (FALSE);
}

static void
test_changed_file (void)
{
  run_pause_resume (TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  nginx_url = g_getenv ("LADLE_NGINX_URL");
  nginx_root = g_getenv ("LADLE_NGINX_ROOT");
  nginx_access_log = g_getenv ("LADLE_NGINX_ACCESS_LOG");
  if (nginx_url == NULL || nginx_root == NULL || nginx_access_log == NULL)
    g_error ("run this test through the harness: servers.py run --nginx -- %s", argv[0]);

  g_test_add_func ("/Ladle/Integration/Download/pause-resume", test_pause_resume);
  g_test_add_func ("/Ladle/Integration/Download/changed-file", test_changed_file);

  return g_test_run ();
}
