/* test-integration-cache.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The HTTP cache and the cookie jar against nginx, from C. Run through the harness, which starts
 * nginx and sets LADLE_NGINX_URL, LADLE_NGINX_ROOT and LADLE_NGINX_ACCESS_LOG:
 *
 *   servers.py run --nginx -- test-integration-cache --tap
 *
 * nginx's access log tells which requests reached it and with which status: a response served
 * from the cache leaves no line, a revalidated one a 304.
 */

#include <ladle.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ladle-test.h"

static const char *nginx_url;
static const char *nginx_tls_url;
static const char *nginx_root;
static const char *nginx_access_log;
static char *private_tmp;   /* this process's TMPDIR: ephemeral sessions' directories land here */

/* nginx's log */

static guint
count_log (const char *uri,
           guint       status)
{
  g_autofree char *contents = NULL;
  g_autofree char *uri_field = g_strdup_printf ("\"uri\":\"%s\"", uri);
  g_autofree char *status_field = g_strdup_printf ("\"status\":%u,", status);
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  if (!g_file_get_contents (nginx_access_log, &contents, NULL, NULL))
    return 0;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], uri_field) != NULL && (status == 0 || strstr (lines[i], status_field) != NULL))
      n++;

  return n;
}

/* The last log line of @uri, for its request headers. */
static char *
last_log_line (const char *uri)
{
  g_autofree char *contents = NULL;
  g_autofree char *uri_field = g_strdup_printf ("\"uri\":\"%s\"", uri);
  g_auto(GStrv) lines = NULL;
  char *found = NULL;

  if (!g_file_get_contents (nginx_access_log, &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], uri_field) != NULL)
      {
        g_free (found);
        found = g_strdup (lines[i]);
      }

  return found;
}

typedef struct
{
  const char *uri;
  guint       status;
  guint       expected;
} LogCount;

static gboolean
log_count_reached (gpointer data)
{
  LogCount *count = data;

  return count_log (count->uri, count->status) >= count->expected;
}

/* nginx writes a line when a request ends, which may be just after the client saw the
 * response: wait for @expected lines, give stragglers a moment, and check there are no more. */
static void
assert_log (const char *uri,
            guint       status,
            guint       expected)
{
  LogCount count = { uri, status, expected };

  if (expected > 0)
    ladle_test_wait_until (log_count_reached, &count, 30, "nginx's log lines");
  ladle_test_spin (100);
  g_assert_cmpuint (count_log (uri, status), ==, expected);
}

/* Tasks */

typedef struct
{
  gboolean  done;
  GError   *error;
  guint     status;
  GBytes   *body;
  GString  *order;          /* W will-cache-response, R response, C completed */
  guint     n_will_cache;
  gboolean  refuse;         /* what ::will-cache-response answers */
  guint     will_cache_status;
} Run;

static void
run_clear (Run *run)
{
  g_clear_error (&run->error);
  g_clear_pointer (&run->body, g_bytes_unref);
  if (run->order != NULL)
    g_string_free (run->order, TRUE);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static gboolean
on_will_cache_response (LadleDataTask *task,
                        SoupMessage   *message,
                        Run           *run)
{
  run->n_will_cache++;
  run->will_cache_status = soup_message_get_status (message);
  g_string_append_c (run->order, 'W');

  return !run->refuse;
}

static LadleResponseDisposition
on_response (LadleTask   *task,
             SoupMessage *message,
             Run         *run)
{
  g_string_append_c (run->order, 'R');

  return LADLE_RESPONSE_DISPOSITION_ALLOW;
}

static void
on_completed (LadleTask    *task,
              const GError *error,
              Run          *run)
{
  g_string_append_c (run->order, 'C');
  run->error = error != NULL ? g_error_copy (error) : NULL;
  run->status = ladle_task_get_status_code (task);
  if (LADLE_IS_DATA_TASK (task) && error == NULL)
    run->body = ladle_data_task_dup_body (LADLE_DATA_TASK (task));
  run->done = TRUE;
}

static char *
url_for (const char *path)
{
  return g_strconcat (nginx_url, path, NULL);
}

/* GETs @path with a data task; @disable_cache disables SOUP_TYPE_CACHE on its message,
 * @cookie sets its Cookie header. */
static void
run_get_full (LadleSession *session,
              const char   *path,
              gboolean      disable_cache,
              const char   *cookie,
              gboolean      refuse,
              Run          *run)
{
  g_autofree char *url = url_for (path);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(LadleDataTask) task = NULL;

  run->order = g_string_new (NULL);
  run->refuse = refuse;
  if (disable_cache)
    soup_message_disable_feature (message, SOUP_TYPE_CACHE);
  if (cookie != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Cookie", cookie);

  task = ladle_session_create_data_task (session, message);
  g_signal_connect (task, "will-cache-response", G_CALLBACK (on_will_cache_response), run);
  g_signal_connect (task, "response", G_CALLBACK (on_response), run);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), run);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_for_flag (&run->done, 30, "the data task completes");
  g_assert_no_error (run->error);
}

static void
run_get (LadleSession *session,
         const char   *path,
         Run          *run)
{
  run_get_full (session, path, FALSE, NULL, FALSE, run);
}

static void
run_download (LadleSession *session,
              const char   *path)
{
  g_autofree char *url = url_for (path);
  g_autoptr(LadleDownloadTask) task = ladle_session_create_download_task_for_uri (session, url);
  g_auto(Run) run = { 0 };

  run.order = g_string_new (NULL);
  g_signal_connect (task, "completed", G_CALLBACK (on_completed), &run);
  ladle_task_resume (LADLE_TASK (task));
  ladle_test_wait_for_flag (&run.done, 30, "the download completes");
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.status, ==, 200);
}

static void
assert_body (Run        *run,
             const char *expected)
{
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_nonnull (run->body);
  g_assert_cmpmem (g_bytes_get_data (run->body, NULL), g_bytes_get_size (run->body),
                   expected, strlen (expected));
}

/* Files and sessions */

static char *new_file (const char *content);
static LadleSession *default_session (const char *state,
                                      guint64     cache_size);
static char *new_state_directory (void);
static void settle (const char *state,
                    guint       expected);

static gboolean
accept_certificate (LadleTask            *task,
                    GTlsCertificate      *certificate,
                    GTlsCertificateFlags  errors,
                    guint                *n_asked)
{
  (*n_asked)++;

  return TRUE;
}

/* Over TLS with nginx's self-signed certificate, accepted by each task's handler: libsoup's
 * own conditional request asks the task too (Ladle forwards it), and gets its 304. */
static void
test_revalidation_tls (void)
{
  g_autofree char *state = new_state_directory ();
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("tls body\n");
  g_autofree char *path = g_strconcat ("/cache/etag/", name, NULL);
  g_autofree char *url = g_strconcat (nginx_tls_url, path, NULL);
  guint n_asked[2] = { 0, 0 };

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(LadleDataTask) task = ladle_session_create_data_task_for_uri (session, url);
      g_auto(Run) run = { 0 };

      run.order = g_string_new (NULL);
      g_signal_connect (task, "accept-certificate", G_CALLBACK (accept_certificate), &n_asked[i]);
      g_signal_connect (task, "completed", G_CALLBACK (on_completed), &run);
      ladle_task_resume (LADLE_TASK (task));
      ladle_test_wait_for_flag (&run.done, 30, "the data task completes");
      g_assert_no_error (run.error);
      assert_body (&run, "tls body\n");
      if (i == 0)
        settle (state, 1);
    }
  g_assert_cmpuint (n_asked[0], >=, 1);
  g_assert_cmpuint (n_asked[1], >=, 1);
  assert_log (path, 200, 1);
  assert_log (path, 304, 1);

  ladle_test_remove_tree (state);
}

/* A file of its own for each test: nothing cached by another test gets in the way. */
static char *
new_file (const char *content)
{
  static guint counter;
  g_autofree char *name = g_strdup_printf ("cache-%u-%u.txt", (guint) getpid (), ++counter);
  g_autofree char *path = g_build_filename (nginx_root, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&name);
}

static LadleSession *
default_session (const char *state,
                 guint64     cache_size)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_default ();

  ladle_session_configuration_set_state_directory (configuration, state);
  if (cache_size != G_MAXUINT64)
    ladle_session_configuration_set_cache_size (configuration, cache_size);

  return ladle_session_new (configuration);
}

static char *
new_state_directory (void)
{
  g_autoptr(GError) error = NULL;
  char *tmp = g_dir_make_tmp ("ladle-cache-state-XXXXXX", &error);

  g_assert_no_error (error);

  return tmp;
}

/* The files of a cache directory that hold entries (libsoup names them by number). */
static guint
count_entries (const char *directory)
{
  g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_ascii_isdigit (name[0]))
      n++;

  return n;
}

typedef struct
{
  const char *directory;
  guint       expected;
} EntryCount;

static gboolean
entries_reached (gpointer data)
{
  EntryCount *count = data;

  return count_entries (count->directory) >= count->expected;
}

/* The body is written to the cache (on GIO's workers) as it is read: the entry's file appears
 * at once, and the entry can answer requests a few main-loop turns after its last write, which
 * is after the task completed. Until then a request goes to the network, as libsoup's cache
 * does for an entry still being written. */
static void
wait_for_entries (const char *directory,
                  guint       expected)
{
  EntryCount count = { directory, expected };

  ladle_test_wait_until (entries_reached, &count, 30, "the cache entry is written");
  ladle_test_spin (200 * ladle_test_failsafe_seconds (1));
}

/* The entries of a default session's cache (in @state/cache). */
static void
settle (const char *state,
        guint       expected)
{
  g_autofree char *cache_dir = g_build_filename (state, "cache", NULL);

  wait_for_entries (cache_dir, expected);
}

static void
finalize_session (LadleSession **session)
{
  GWeakRef ref;

  g_weak_ref_init (&ref, *session);
  g_clear_object (session);
  ladle_test_drain (100);
  g_assert_null (g_weak_ref_get (&ref));
  g_weak_ref_clear (&ref);
}

/* Cases */

typedef struct
{
  const char *name;
  const char *prefix;
} FreshCase;

static const FreshCase fresh_cases[] = {
  { "max-age", "/cache/max-age/" },
  { "expires", "/cache/expires/" },
};

/* A fresh response is stored and the second GET never reaches nginx. */
static void
test_fresh_hit (gconstpointer data)
{
  const FreshCase *fresh = data;
  g_autofree char *state = new_state_directory ();
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("fresh body\n");
  g_autofree char *path = g_strconcat (fresh->prefix, name, NULL);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };

  run_get (session, path, &first);
  assert_body (&first, "fresh body\n");
  /* Asked once, with the response's headers, before ::response. */
  g_assert_cmpstr (first.order->str, ==, "WRC");
  g_assert_cmpuint (first.will_cache_status, ==, 200);
  settle (state, 1);

  run_get (session, path, &second);
  assert_body (&second, "fresh body\n");
  /* From the cache: not asked again. */
  g_assert_cmpstr (second.order->str, ==, "RC");
  assert_log (path, 0, 1);

  ladle_test_remove_tree (state);
}

/* An ETag-only response is revalidated: nginx answers the second GET with a 304 and the task
 * gets the stored 200 and its body. */
static void
test_etag_revalidated (void)
{
  g_autofree char *state = new_state_directory ();
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("validated body\n");
  g_autofree char *path = g_strconcat ("/cache/etag/", name, NULL);
  g_autofree char *line = NULL;
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };

  run_get (session, path, &first);
  assert_body (&first, "validated body\n");
  g_assert_cmpuint (first.n_will_cache, ==, 1);
  settle (state, 1);
  run_get (session, path, &second);
  assert_body (&second, "validated body\n");

  assert_log (path, 200, 1);
  assert_log (path, 304, 1);
  line = last_log_line (path);
  g_assert_nonnull (strstr (line, "\"if_none_match\":\"\\\""));

  ladle_test_remove_tree (state);
}

/* ::will-cache-response returning false: nothing is stored, the second GET reaches nginx. */
static void
test_refused (void)
{
  g_autofree char *state = new_state_directory ();
  g_autofree char *cache_dir = g_build_filename (state, "cache", NULL);
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("refused body\n");
  g_autofree char *path = g_strconcat ("/cache/max-age/", name, NULL);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) third = { 0 };

  run_get_full (session, path, FALSE, NULL, TRUE, &first);
  assert_body (&first, "refused body\n");
  g_assert_cmpuint (first.n_will_cache, ==, 1);
  ladle_test_spin (200);
  g_assert_cmpuint (count_entries (cache_dir), ==, 0);

  /* Asked again, allowed this time: stored, and the third GET comes from the cache. */
  run_get (session, path, &second);
  assert_body (&second, "refused body\n");
  g_assert_cmpuint (second.n_will_cache, ==, 1);
  assert_log (path, 200, 2);
  settle (state, 1);
  run_get (session, path, &third);
  assert_body (&third, "refused body\n");
  assert_log (path, 200, 2);

  ladle_test_remove_tree (state);
}

/* Refusing also drops what was stored earlier for the URI. */
static void
test_refused_drops_entry (void)
{
  g_autofree char *state = new_state_directory ();
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("etag body\n");
  g_autofree char *path = g_strconcat ("/cache/etag/", name, NULL);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) third = { 0 };

  run_get (session, path, &first);                       /* stored */
  settle (state, 1);
  /* A request that asks for a fresh copy goes to nginx with a 200; refused. */
  {
    g_autofree char *url = url_for (path);
    g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
    g_autoptr(LadleDataTask) task = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (message), "Cache-Control", "no-cache");
    task = ladle_session_create_data_task (session, message);
    second.order = g_string_new (NULL);
    second.refuse = TRUE;
    g_signal_connect (task, "will-cache-response", G_CALLBACK (on_will_cache_response), &second);
    g_signal_connect (task, "completed", G_CALLBACK (on_completed), &second);
    ladle_task_resume (LADLE_TASK (task));
    ladle_test_wait_for_flag (&second.done, 30, "the data task completes");
    g_assert_no_error (second.error);
    g_assert_cmpuint (second.n_will_cache, ==, 1);
  }
  /* Nothing left to revalidate: a plain GET and a 200. */
  run_get (session, path, &third);
  assert_body (&third, "etag body\n");
  assert_log (path, 200, 3);
  assert_log (path, 304, 0);

  ladle_test_remove_tree (state);
}

/* Cache-Control: no-store is never stored, and nobody is asked. */
static void
test_no_store (void)
{
  g_autofree char *state = new_state_directory ();
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("secret body\n");
  g_autofree char *path = g_strconcat ("/cache/no-store/", name, NULL);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };

  run_get (session, path, &first);
  run_get (session, path, &second);
  assert_body (&second, "secret body\n");
  g_assert_cmpuint (first.n_will_cache + second.n_will_cache, ==, 0);
  assert_log (path, 200, 2);

  ladle_test_remove_tree (state);
}

/* A message that disables SOUP_TYPE_CACHE is neither stored nor answered from the cache (which
 * libsoup 3.2 would do), and the request goes out unchanged. */
static void
test_disabled_feature (void)
{
  g_autofree char *state = new_state_directory ();
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("bypass body\n");
  g_autofree char *path = g_strconcat ("/cache/max-age/", name, NULL);
  g_autofree char *line = NULL;
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) third = { 0 };
  g_auto(Run) fourth = { 0 };

  run_get_full (session, path, TRUE, NULL, FALSE, &first);     /* not stored */
  assert_body (&first, "bypass body\n");
  g_assert_cmpuint (first.n_will_cache, ==, 0);
  assert_log (path, 200, 1);
  run_get (session, path, &second);                             /* nginx, then stored */
  assert_log (path, 200, 2);
  settle (state, 1);
  run_get_full (session, path, TRUE, NULL, FALSE, &third);      /* nginx again */
  assert_body (&third, "bypass body\n");
  assert_log (path, 200, 3);
  line = last_log_line (path);
  g_assert_nonnull (strstr (line, "\"cache_control\":\"\""));
  run_get (session, path, &fourth);                             /* the cache */
  assert_body (&fourth, "bypass body\n");
  assert_log (path, 200, 3);

  ladle_test_remove_tree (state);
}

/* Downloads are never stored and never answered from the cache. */
static void
test_downloads_not_cached (void)
{
  g_autofree char *state = new_state_directory ();
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("download body\n");
  g_autofree char *path = g_strconcat ("/cache/max-age/", name, NULL);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };

  run_download (session, path);
  run_download (session, path);
  assert_log (path, 200, 2);
  run_get (session, path, &first);     /* nothing was stored by the downloads */
  assert_log (path, 200, 3);
  settle (state, 1);
  run_download (session, path);        /* stored now, but not for downloads */
  assert_log (path, 200, 4);
  run_get (session, path, &second);    /* the data task's entry */
  assert_body (&second, "download body\n");
  assert_log (path, 200, 4);

  ladle_test_remove_tree (state);
}

/* cache-size 0: no cache at all, no cache directory. */
static void
test_size_zero (void)
{
  g_autofree char *state = new_state_directory ();
  g_autofree char *cache_dir = g_build_filename (state, "cache", NULL);
  g_autoptr(LadleSession) session = default_session (state, 0);
  g_autofree char *name = new_file ("uncached body\n");
  g_autofree char *path = g_strconcat ("/cache/max-age/", name, NULL);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };

  run_get (session, path, &first);
  run_get (session, path, &second);
  assert_body (&second, "uncached body\n");
  g_assert_cmpuint (first.n_will_cache + second.n_will_cache, ==, 0);
  assert_log (path, 200, 2);
  g_assert_false (g_file_test (cache_dir, G_FILE_TEST_EXISTS));

  ladle_test_remove_tree (state);
}

static char *
find_private_directory (void)
{
  g_autoptr(GDir) dir = g_dir_open (private_tmp, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "ladle-") && !g_str_has_prefix (name, "ladle-cache-state-"))
      return g_build_filename (private_tmp, name, NULL);

  return NULL;
}

/* An ephemeral session caches in its private temporary directory, gone with the session; its
 * cookies stay in memory. */
static void
test_ephemeral (void)
{
  g_autofree char *state = new_state_directory ();
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr(LadleSession) session = NULL;
  g_autofree char *name = new_file ("ephemeral body\n");
  g_autofree char *path = g_strconcat ("/cache/max-age/", name, NULL);
  g_autofree char *private = NULL;
  g_autofree char *cache_dir = NULL;
  g_autofree char *listing = NULL;
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) cookie_set = { 0 };
  g_auto(Run) cookie_echo = { 0 };

  g_assert_cmpuint (ladle_session_configuration_get_cache_size (configuration), ==, 10 * 1024 * 1024);
  /* Even with a state directory, nothing of the cache or the cookies goes there. */
  ladle_session_configuration_set_state_directory (configuration, state);
  session = ladle_session_new (configuration);

  run_get (session, path, &first);
  private = find_private_directory ();
  g_assert_nonnull (private);
  cache_dir = g_build_filename (private, "cache", NULL);
  wait_for_entries (cache_dir, 1);
  run_get (session, path, &second);
  assert_body (&second, "ephemeral body\n");
  assert_log (path, 200, 1);

  run_get (session, "/cookies/set?name=ephemeral&value=1", &cookie_set);
  run_get (session, "/headers", &cookie_echo);
  g_assert_true (ladle_test_body_has_line (cookie_echo.body, "Cookie: ephemeral=1"));

  finalize_session (&session);
  g_assert_false (g_file_test (private, G_FILE_TEST_EXISTS));
  listing = ladle_test_list_directory (state);
  g_assert_cmpstr (listing, ==, "");

  ladle_test_remove_tree (state);
}

/* A default session's cache is found again by the next session with the same state
 * directory, and its index is checked against the entry files first. */
static void
test_persistent (void)
{
  g_autofree char *state = new_state_directory ();
  g_autofree char *cache_dir = g_build_filename (state, "cache", NULL);
  g_autofree char *index = g_build_filename (cache_dir, "soup.cache2", NULL);
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("persistent body\n");
  g_autofree char *path = g_strconcat ("/cache/max-age/", name, NULL);
  g_autofree char *other_name = new_file ("other body\n");
  g_autofree char *other_path = g_strconcat ("/cache/max-age/", other_name, NULL);
  g_auto(Run) first = { 0 };
  g_auto(Run) other = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) third = { 0 };
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_dup_configuration (session);

  g_assert_cmpuint (ladle_session_configuration_get_cache_size (configuration), ==, 50 * 1024 * 1024);
  run_get (session, path, &first);
  run_get (session, other_path, &other);
  wait_for_entries (cache_dir, 2);
  finalize_session (&session);
  g_assert_true (g_file_test (index, G_FILE_TEST_IS_REGULAR));

  session = default_session (state, G_MAXUINT64);
  run_get (session, path, &second);
  assert_body (&second, "persistent body\n");
  assert_log (path, 200, 1);
  finalize_session (&session);

  /* The other entry's file is cut short behind the cache's back: the next session drops the
   * entry instead of answering with a short body. */
  {
    g_autofree char *entry_name = NULL;
    g_autofree char *entry_path = NULL;
    g_autofree char *other_url = url_for (other_path);

    entry_name = g_strdup_printf ("%u", g_str_hash (other_url));
    entry_path = g_build_filename (cache_dir, entry_name, NULL);
    g_assert_true (g_file_test (entry_path, G_FILE_TEST_IS_REGULAR));
    g_assert_true (g_file_set_contents (entry_path, "oth", 3, NULL));
  }
  session = default_session (state, G_MAXUINT64);
  run_get (session, other_path, &third);
  assert_body (&third, "other body\n");
  assert_log (other_path, 200, 2);

  ladle_test_remove_tree (state);
}

/* Two sessions on one state directory: the second runs without a cache rather than letting two
 * caches overwrite each other's entries. */
static void
test_directory_in_use (void)
{
  g_autofree char *state = new_state_directory ();
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autoptr(LadleSession) other = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("shared body\n");
  g_autofree char *path = g_strconcat ("/cache/max-age/", name, NULL);
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) third = { 0 };

  run_get (session, path, &first);
  settle (state, 1);
  run_get (other, path, &second);
  assert_log (path, 200, 2);
  g_assert_cmpuint (second.n_will_cache, ==, 0);
  run_get (session, path, &third);
  assert_log (path, 200, 2);

  g_clear_object (&other);
  ladle_test_remove_tree (state);
}

/* Cookies: a SQLite jar in the state directory, found again by the next session; the
 * application's Cookie header goes with the jar's, also when libsoup revalidates an entry. */
static void
test_cookies_persistent (void)
{
  g_autofree char *state = new_state_directory ();
  g_autofree char *db = g_build_filename (state, "cookies.sqlite", NULL);
  g_autofree char *text = g_build_filename (state, "cookies.txt", NULL);
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_auto(Run) set = { 0 };
  g_auto(Run) echo = { 0 };
  g_auto(Run) merged = { 0 };

  run_get (session, "/cookies/set?name=jar&value=1", &set);
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (text, G_FILE_TEST_EXISTS));
  finalize_session (&session);

  session = default_session (state, G_MAXUINT64);
  run_get (session, "/headers", &echo);
  g_assert_true (ladle_test_body_has_line (echo.body, "Cookie: jar=1"));
  run_get_full (session, "/headers", FALSE, "app=2", FALSE, &merged);
  g_assert_true (ladle_test_body_has_line (merged.body, "Cookie: app=2; jar=1"));

  ladle_test_remove_tree (state);
}

static void
test_cookies_revalidation (void)
{
  g_autofree char *state = new_state_directory ();
  g_autoptr(LadleSession) session = default_session (state, G_MAXUINT64);
  g_autofree char *name = new_file ("cookie body\n");
  g_autofree char *path = g_strconcat ("/cache/etag/", name, NULL);
  g_autofree char *line = NULL;
  g_auto(Run) set = { 0 };
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };

  run_get (session, "/cookies/set?name=jar&value=3", &set);
  run_get_full (session, path, FALSE, "app=4", FALSE, &first);
  settle (state, 1);
  run_get_full (session, path, FALSE, "app=4", FALSE, &second);
  assert_body (&second, "cookie body\n");
  assert_log (path, 304, 1);
  line = last_log_line (path);
  g_assert_nonnull (strstr (line, "\"status\":304"));
  g_assert_nonnull (strstr (line, "\"cookie\":\"app=4; jar=3\""));

  ladle_test_remove_tree (state);
}

/* A cookies.txt left by Ladle 0.1 is imported into the database once, then removed. */
static void
test_cookies_imported (void)
{
  g_autofree char *state = new_state_directory ();
  g_autofree char *text = g_build_filename (state, "cookies.txt", NULL);
  g_autofree char *line = g_strdup_printf ("127.0.0.1\tFALSE\t/\tFALSE\t%" G_GINT64_FORMAT "\told\t5\n",
                                           g_get_real_time () / G_USEC_PER_SEC + 3600);
  g_autoptr(LadleSession) session = NULL;
  g_auto(Run) echo = { 0 };
  g_auto(Run) again = { 0 };

  g_assert_true (g_file_set_contents (text, line, -1, NULL));
  session = default_session (state, G_MAXUINT64);
  g_assert_false (g_file_test (text, G_FILE_TEST_EXISTS));
  run_get (session, "/headers", &echo);
  g_assert_true (ladle_test_body_has_line (echo.body, "Cookie: old=5"));
  finalize_session (&session);

  session = default_session (state, G_MAXUINT64);
  run_get (session, "/headers", &again);
  g_assert_true (ladle_test_body_has_line (again.body, "Cookie: old=5"));

  ladle_test_remove_tree (state);
}

int
main (int   argc,
      char *argv[])
{
  const char *base = g_getenv ("TMPDIR") != NULL ? g_getenv ("TMPDIR") : "/tmp";

  /* Before anything asks GLib for the temporary directory: ephemeral sessions' private
   * directories are then the only ladle-* entries there. */
  private_tmp = g_build_filename (base, "ladle-cache-test-XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp (private_tmp));
  g_setenv ("TMPDIR", private_tmp, TRUE);

  g_test_init (&argc, &argv, NULL);

  nginx_url = g_getenv ("LADLE_NGINX_URL");
  nginx_tls_url = g_getenv ("LADLE_NGINX_TLS_URL");
  nginx_root = g_getenv ("LADLE_NGINX_ROOT");
  nginx_access_log = g_getenv ("LADLE_NGINX_ACCESS_LOG");
  if (nginx_url == NULL || nginx_root == NULL || nginx_access_log == NULL)
    {
      g_test_skip ("run through tests/integration/servers.py run --nginx");
      return g_test_run ();
    }

  for (guint i = 0; i < G_N_ELEMENTS (fresh_cases); i++)
    {
      g_autofree char *test_path = g_strdup_printf ("/Ladle/Integration/Cache/fresh-hit/%s", fresh_cases[i].name);

      g_test_add_data_func (test_path, &fresh_cases[i], test_fresh_hit);
    }
  g_test_add_func ("/Ladle/Integration/Cache/etag-revalidated", test_etag_revalidated);
  g_test_add_func ("/Ladle/Integration/Cache/refused", test_refused);
  g_test_add_func ("/Ladle/Integration/Cache/refused-drops-entry", test_refused_drops_entry);
  g_test_add_func ("/Ladle/Integration/Cache/no-store", test_no_store);
  g_test_add_func ("/Ladle/Integration/Cache/disabled-feature", test_disabled_feature);
  g_test_add_func ("/Ladle/Integration/Cache/downloads-not-cached", test_downloads_not_cached);
  g_test_add_func ("/Ladle/Integration/Cache/size-zero", test_size_zero);
  g_test_add_func ("/Ladle/Integration/Cache/ephemeral", test_ephemeral);
  g_test_add_func ("/Ladle/Integration/Cache/persistent", test_persistent);
  g_test_add_func ("/Ladle/Integration/Cache/directory-in-use", test_directory_in_use);
  g_test_add_func ("/Ladle/Integration/Cache/revalidation-tls", test_revalidation_tls);
  g_test_add_func ("/Ladle/Integration/Cookies/persistent", test_cookies_persistent);
  g_test_add_func ("/Ladle/Integration/Cookies/revalidation", test_cookies_revalidation);
  g_test_add_func ("/Ladle/Integration/Cookies/imported", test_cookies_imported);

  {
    int status = g_test_run ();

    ladle_test_remove_tree (private_tmp);
    g_free (private_tmp);

    return status;
  }
}
