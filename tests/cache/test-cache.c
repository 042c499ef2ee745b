/* test-cache.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The HTTP cache against an in-process SoupServer whose handlers say exactly which headers go
 * out and count the requests that reach them (the same rules are tested against nginx in
 * tests/integration/test-integration-cache.c). These run under valgrind too.
 */

#include <ladle.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ladle-test.h"

static char *private_tmp;

typedef struct
{
  SoupServer *server;
  GUri       *base;
  GHashTable *hits;        /* path → number of requests */
  GHashTable *conditional; /* path → number of conditional requests */
  char       *state;
} Fixture;

static guint
hits (Fixture    *fixture,
      const char *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fixture->hits, path));
}

static guint
conditional_hits (Fixture    *fixture,
                  const char *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fixture->conditional, path));
}

#define BODY "cached body, 32 bytes long.....\n"
#define ETAG "\"v1\""

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  Fixture *fixture = user_data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (message);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (message);
  const char *if_none_match = soup_message_headers_get_one (request, "If-None-Match");

  g_hash_table_insert (fixture->hits, g_strdup (path), GUINT_TO_POINTER (hits (fixture, path) + 1));
  if (if_none_match != NULL)
    g_hash_table_insert (fixture->conditional, g_strdup (path),
                         GUINT_TO_POINTER (conditional_hits (fixture, path) + 1));

  if (g_str_has_prefix (path, "/fresh"))
    soup_message_headers_replace (response, "Cache-Control", "max-age=600");
  else if (g_str_has_prefix (path, "/bad-date"))
    {
      soup_message_headers_replace (response, "Cache-Control", "max-age=600");
      soup_message_headers_replace (response, "Date", "not a date at all");
    }
  else if (g_str_has_prefix (path, "/bad-last-modified"))
    soup_message_headers_replace (response, "Last-Modified", "yesterday, more or less");
  else if (g_str_has_prefix (path, "/etag"))
    {
      soup_message_headers_replace (response, "ETag", ETAG);
      if (g_strcmp0 (if_none_match, ETAG) == 0)
        {
          /* A 304 whose Date libsoup 3.2 cannot parse. */
          if (g_str_has_prefix (path, "/etag-bad-date"))
            soup_message_headers_replace (response, "Date", "garbage");
          soup_server_message_set_status (message, SOUP_STATUS_NOT_MODIFIED, NULL);
          return;
        }
    }

  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, BODY, strlen (BODY));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  fixture->hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fixture->conditional = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fixture->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fixture->server, NULL, server_callback, fixture, NULL);
  soup_server_listen_local (fixture->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fixture->server);
  fixture->base = g_uri_ref (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  fixture->state = g_dir_make_tmp ("cache-state-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  ladle_test_remove_tree (fixture->state);
  g_free (fixture->state);
  soup_server_disconnect (fixture->server);
  g_clear_object (&fixture->server);
  g_uri_unref (fixture->base);
  g_hash_table_unref (fixture->hits);
  g_hash_table_unref (fixture->conditional);
}

static char *
uri_for (Fixture    *fixture,
         const char *path)
{
  g_autoptr(GUri) uri = g_uri_parse_relative (fixture->base, path, G_URI_FLAGS_NONE, NULL);

  return g_uri_to_string (uri);
}

static LadleSession *
session_new (Fixture *fixture,
             gboolean ephemeral,
             guint64  cache_size)
{
  g_autoptr(LadleSessionConfiguration) configuration =
    ephemeral ? ladle_session_configuration_new_ephemeral () : ladle_session_configuration_new_default ();

  if (!ephemeral)
    ladle_session_configuration_set_state_directory (configuration, fixture->state);
  if (cache_size != G_MAXUINT64)
    ladle_session_configuration_set_cache_size (configuration, cache_size);

  return ladle_session_new (configuration);
}

typedef struct
{
  gboolean  done;
  GError   *error;
  guint     status;
  GBytes   *body;
  guint     n_asked;
  gboolean  refuse;
} Run;

static void
run_clear (Run *run)
{
  g_clear_error (&run->error);
  g_clear_pointer (&run->body, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static gboolean
on_will_cache_response (LadleDataTask *task,
                        SoupMessage   *message,
                        Run           *run)
{
  run->n_asked++;

  return !run->refuse;
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              Run          *run)
{
  run->error = error != NULL ? g_error_copy (error) : NULL;
  run->status = ladle_task_get_status_code (task);
  if (LADLE_IS_DATA_TASK (task) && error == NULL)
    run->body = ladle_data_task_dup_body (LADLE_DATA_TASK (task));
  run->done = TRUE;
}

static void ask_range (SoupMessage *message);

/* GETs @path; @setup may change the message first. */
static void
run_message (Fixture      *fixture,
             LadleSession *session,
             const char   *path,
             void        (*setup) (SoupMessage *message),
             gboolean      refuse,
             Run          *run)
{
  g_autofree char *uri = uri_for (fixture, path);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  g_autoptr(LadleDataTask) task = NULL;

  if (setup != NULL)
    setup (message);
  run->refuse = refuse;
  task = ladle_session_create_data_task (session, message);
  g_signal_connect (task, "will-cache-response", G_CALLBACK (on_will_cache_response), run);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), run);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_for_flag (&run->done, 30, "the data task completes");
  g_assert_no_error (run->error);
  /* A Range request is answered by the server (206), never with the stored 200. */
  g_assert_cmpuint (run->status, ==, setup == ask_range ? 206 : 200);
  g_assert_cmpmem (g_bytes_get_data (run->body, NULL), g_bytes_get_size (run->body), BODY, strlen (BODY));
  /* The entry becomes usable a few main-loop turns after its last write (GIO's workers). */
  ladle_test_spin (100 * ladle_test_failsafe_seconds (1));
}

static void
run_get (Fixture      *fixture,
         LadleSession *session,
         const char   *path,
         Run          *run)
{
  run_message (fixture, session, path, NULL, FALSE, run);
}

static void
disable_cache (SoupMessage *message)
{
  soup_message_disable_feature (message, SOUP_TYPE_CACHE);
}

static void
ask_range (SoupMessage *message)
{
  soup_message_headers_set_range (soup_message_get_request_headers (message), 0, -1);
}

/* Cases */

static void
test_fresh_hit (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture, FALSE, G_MAXUINT64);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };

  run_get (fixture, session, "/fresh", &first);
  run_get (fixture, session, "/fresh", &second);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 1);
  g_assert_cmpuint (first.n_asked, ==, 1);
  g_assert_cmpuint (second.n_asked, ==, 0);
}

static void
test_revalidated (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture, FALSE, G_MAXUINT64);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };

  run_get (fixture, session, "/etag", &first);
  run_get (fixture, session, "/etag", &second);
  g_assert_cmpuint (hits (fixture, "/etag"), ==, 2);
  g_assert_cmpuint (conditional_hits (fixture, "/etag"), ==, 1);
}

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture, FALSE, G_MAXUINT64);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) third = { 0 };

  run_message (fixture, session, "/fresh", NULL, TRUE, &first);
  run_get (fixture, session, "/fresh", &second);
  run_get (fixture, session, "/fresh", &third);
  g_assert_cmpuint (first.n_asked, ==, 1);
  g_assert_cmpuint (second.n_asked, ==, 1);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 2);
}

static void
test_disabled_feature (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture, FALSE, G_MAXUINT64);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) third = { 0 };
  g_auto(Run) fourth = { 0 };

  run_get (fixture, session, "/fresh", &first);
  run_message (fixture, session, "/fresh", disable_cache, FALSE, &second);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 2);
  /* Stale entries are not revalidated for it either. */
  run_get (fixture, session, "/etag", &third);
  run_message (fixture, session, "/etag", disable_cache, FALSE, &fourth);
  g_assert_cmpuint (conditional_hits (fixture, "/etag"), ==, 0);
}

/* SoupCache would answer a Range request with the whole stored body. */
static void
test_range_not_answered (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture, FALSE, G_MAXUINT64);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };

  run_get (fixture, session, "/fresh", &first);
  run_message (fixture, session, "/fresh", ask_range, FALSE, &second);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 2);
}

static void
test_download_not_cached (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture, FALSE, G_MAXUINT64);
  g_auto(Run) first = { 0 };

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *uri = uri_for (fixture, "/fresh");
      g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_for_uri (session, uri);
      g_auto(Run) run = { 0 };

      g_signal_connect (task, "completed", G_CALLBACK (on_completed), &run);
      ladle_task_resume (LADLE_TASK (task));
      ladle_test_wait_for_flag (&run.done, 30, "the download completes");
      g_assert_no_error (run.error);
      ladle_test_spin (100);
    }
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 2);
  run_get (fixture, session, "/fresh", &first);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 3);
}

/* libsoup 3.2 computes ages from Date and Last-Modified without checking that they parse (a
 * critical, and garbage freshness): such responses are not stored, and a 304 with a bad Date
 * still validates. Criticals are fatal here. */
static void
test_bad_dates (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture, FALSE, G_MAXUINT64);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) third = { 0 };
  g_auto(Run) fourth = { 0 };
  g_auto(Run) fifth = { 0 };
  g_auto(Run) sixth = { 0 };

  run_get (fixture, session, "/bad-date", &first);
  run_get (fixture, session, "/bad-date", &second);
  g_assert_cmpuint (hits (fixture, "/bad-date"), ==, 2);
  g_assert_cmpuint (first.n_asked + second.n_asked, ==, 0);

  run_get (fixture, session, "/bad-last-modified", &third);
  run_get (fixture, session, "/bad-last-modified", &fourth);
  g_assert_cmpuint (hits (fixture, "/bad-last-modified"), ==, 2);

  run_get (fixture, session, "/etag-bad-date", &fifth);
  run_get (fixture, session, "/etag-bad-date", &sixth);
  g_assert_cmpuint (conditional_hits (fixture, "/etag-bad-date"), ==, 1);
}

static void
test_size (Fixture       *fixture,
           gconstpointer  data)
{
  /* An entry is stored when it is at most a tenth of the cache: 32 bytes need 320. */
  g_autoptr(LadleSession) small = session_new (fixture, TRUE, 100);
  g_autoptr(LadleSession) off = session_new (fixture, FALSE, 0);
  g_autofree char *cache_dir = g_build_filename (fixture->state, "cache", NULL);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) third = { 0 };
  g_auto(Run) fourth = { 0 };

  run_get (fixture, small, "/fresh", &first);
  run_get (fixture, small, "/fresh", &second);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 2);
  run_get (fixture, off, "/fresh", &third);
  run_get (fixture, off, "/fresh", &fourth);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 4);
  g_assert_cmpuint (third.n_asked + fourth.n_asked, ==, 0);
  g_assert_false (g_file_test (cache_dir, G_FILE_TEST_EXISTS));
}

static char *
find_private_directory (void)
{
  g_autoptr(GDir) dir = g_dir_open (private_tmp, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "ladle-"))
      return g_build_filename (private_tmp, name, NULL);

  return NULL;
}

static void
test_ephemeral (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture, TRUE, G_MAXUINT64);
  g_autofree char *private = NULL;
  g_autofree char *cache_dir = NULL;
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  gpointer weak = session;

  run_get (fixture, session, "/fresh", &first);
  run_get (fixture, session, "/fresh", &second);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 1);
  private = find_private_directory ();
  g_assert_nonnull (private);
  cache_dir = g_build_filename (private, "cache", NULL);
  g_assert_true (g_file_test (cache_dir, G_FILE_TEST_IS_DIR));

  g_object_add_weak_pointer (G_OBJECT (session), &weak);
  g_clear_object (&session);
  g_assert_null (weak);
  g_assert_false (g_file_test (private, G_FILE_TEST_EXISTS));
}

/* The next session with the state directory finds the entries the index lists, once checked
 * against their files. */
static void
test_persistent (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture, FALSE, G_MAXUINT64);
  g_autofree char *index = g_build_filename (fixture->state, "cache", "soup.cache2", NULL);
  g_autofree char *uri = uri_for (fixture, "/fresh-cut");
  g_autofree char *name = g_strdup_printf ("%u", g_str_hash (uri));
  g_autofree char *entry = g_build_filename (fixture->state, "cache", name, NULL);
  g_auto(Run) run0 = { 0 };
  g_auto(Run) run1 = { 0 };
  g_auto(Run) run2 = { 0 };
  g_auto(Run) run3 = { 0 };
  g_auto(Run) run4 = { 0 };

  run_get (fixture, session, "/fresh", &run0);
  run_get (fixture, session, "/fresh-cut", &run1);
  g_clear_object (&session);
  g_assert_true (g_file_test (index, G_FILE_TEST_IS_REGULAR));

  session = session_new (fixture, FALSE, G_MAXUINT64);
  run_get (fixture, session, "/fresh", &run2);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 1);
  g_clear_object (&session);

  /* Cut short behind the cache's back: dropped, not answered with 5 bytes. */
  g_assert_true (g_file_test (entry, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_set_contents (entry, "cache", 5, NULL));
  session = session_new (fixture, FALSE, G_MAXUINT64);
  run_get (fixture, session, "/fresh-cut", &run3);
  g_assert_cmpuint (hits (fixture, "/fresh-cut"), ==, 2);
  run_get (fixture, session, "/fresh", &run4);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 1);
}

/* A corrupt index is no entry at all, and no crash. */
static void
test_corrupt_index (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *cache_dir = g_build_filename (fixture->state, "cache", NULL);
  g_autofree char *index = g_build_filename (cache_dir, "soup.cache2", NULL);
  g_autoptr(LadleSession) session = NULL;
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  static const char garbage[] = "\x00\x05not a variant at all, \xff\xfe truncated";

  g_assert_cmpint (g_mkdir_with_parents (cache_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (index, garbage, sizeof garbage, NULL));
  session = session_new (fixture, FALSE, G_MAXUINT64);
  run_get (fixture, session, "/fresh", &first);
  run_get (fixture, session, "/fresh", &second);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 1);
}

static gboolean
cancel_in_handler (LadleDataTask *task,
                   SoupMessage   *message,
                   Run           *run)
{
  run->n_asked++;
  ladle_task_cancel (LADLE_TASK (task));

  return TRUE;
}

static void
count_completed (LadleTask    *task,
                 const GError *error,
                 guint        *n_completed)
{
  (*n_completed)++;
}

/* A handler may cancel the task: it completes once, cancelled, and nothing is stored. */
static void
test_cancel_in_handler (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(LadleSession) session = session_new (fixture, FALSE, G_MAXUINT64);
  g_autofree char *uri = uri_for (fixture, "/fresh");
  g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, uri);
  g_auto(Run) run = { 0 };
  g_auto(Run) second = { 0 };
  guint n_completed = 0;

  g_signal_connect (task, "will-cache-response", G_CALLBACK (cancel_in_handler), &run);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), &run);
  g_signal_connect (task, "completed", G_CALLBACK (count_completed), &n_completed);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_for_flag (&run.done, 30, "the data task completes");
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (run.n_asked, ==, 1);
  ladle_test_spin (200);
  g_assert_cmpuint (n_completed, ==, 1);

  run_get (fixture, session, "/fresh", &second);
  g_assert_cmpuint (second.n_asked, ==, 1);
  g_assert_cmpuint (hits (fixture, "/fresh"), ==, 2);
}

static void
test_configuration (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_default ();
  g_autoptr(LadleSessionConfiguration) ephemeral = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSessionConfiguration) background = ladle_session_configuration_new_background ("cache");
  g_autoptr(LadleSessionConfiguration) copy = NULL;
  guint64 size = 0;

  g_assert_cmpuint (ladle_session_configuration_get_cache_size (configuration), ==, 50 * 1024 * 1024);
  g_assert_cmpuint (ladle_session_configuration_get_cache_size (ephemeral), ==, 10 * 1024 * 1024);
  g_assert_cmpuint (ladle_session_configuration_get_cache_size (background), ==, 50 * 1024 * 1024);
  ladle_session_configuration_set_cache_size (configuration, 12345);
  copy = ladle_session_configuration_copy (configuration);
  g_object_get (copy, "cache-size", &size, NULL);
  g_assert_cmpuint (size, ==, 12345);
  g_object_set (copy, "cache-size", (guint64) 0, NULL);
  g_assert_cmpuint (ladle_session_configuration_get_cache_size (copy), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  const char *base = g_getenv ("TMPDIR") != NULL ? g_getenv ("TMPDIR") : "/tmp";
  int status;

  /* Before anything asks GLib for the temporary directory: ephemeral sessions' private
   * directories are then the only ladle-* entries there. */
  private_tmp = g_build_filename (base, "test-cache-XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp (private_tmp));
  g_setenv ("TMPDIR", private_tmp, TRUE);

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/Ladle/Cache/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("fresh-hit", test_fresh_hit);
  ADD ("revalidated", test_revalidated);
  ADD ("refused", test_refused);
  ADD ("disabled-feature", test_disabled_feature);
  ADD ("range-not-answered", test_range_not_answered);
  ADD ("download-not-cached", test_download_not_cached);
  ADD ("bad-dates", test_bad_dates);
  ADD ("size", test_size);
  ADD ("ephemeral", test_ephemeral);
  ADD ("persistent", test_persistent);
  ADD ("corrupt-index", test_corrupt_index);
  ADD ("cancel-in-handler", test_cancel_in_handler);
#undef ADD
  g_test_add_func ("/Ladle/Cache/configuration", test_configuration);

  status = g_test_run ();
  ladle_test_remove_tree (private_tmp);
  g_free (private_tmp);

  return status;
}
