/* ladle-cache.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleCache: a session's HTTP cache (private).
 *
 * libsoup's SoupCache does the HTTP caching (RFC 7234 freshness, ETag and Last-Modified
 * revalidation, its index and entry files). Around it, Ladle:
 *
 * - makes and loads it on a worker thread: soup_cache_load() reads the index and stats the
 *   directory synchronously; the cache is not shared until it is loaded, and sends wait for it;
 * - checks the index against the entry files before libsoup loads it: an entry whose file is
 *   missing, has another size, or was written after the index (a crash after an entry was
 *   replaced) is dropped, so that a body is never answered with another body's headers;
 * - asks data tasks with ::will-cache-response before a response is stored, and refuses what
 *   libsoup 3.2 cannot store safely (a response whose Date or Last-Modified it cannot parse:
 *   libsoup 3.2 passes the NULL date on) and what the request asked not to store (no-store);
 * - keeps downloads and messages that disable SOUP_TYPE_CACHE out of it: libsoup 3.2 answers
 *   fresh hits (and revalidates stale entries) for them all the same, because
 *   soup_session_send_async() asks the cache without looking at the message's disabled
 *   features. Such a request says Cache-Control: no-store for the length of that call;
 * - forwards the challenges and certificate questions of the conditional request libsoup makes
 *   to revalidate an entry (a message of its own) to the task's message, and puts the
 *   application's Cookie header back into it, as for every request.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <string.h>
#include <glib/gstdio.h>

#include "ladle-cache-private.h"
#include "ladle-data-task-private.h"
#include "ladle-download-task.h"
#include "ladle-session-configuration.h"

/* libsoup 3.2's index: soup.cache2, a GVariant of this type, version 5 */
#define INDEX_NAME    "soup.cache2"
#define INDEX_TYPE    "(qa(sbuuuuuqa{ss}))"
#define INDEX_VERSION 5

/* The SoupCache subclass */

#define LADLE_TYPE_SOUP_CACHE (_ladle_soup_cache_get_type ())
G_DECLARE_FINAL_TYPE (LadleSoupCache, _ladle_soup_cache, LADLE, SOUP_CACHE, SoupCache)

struct _LadleSoupCache
{
  SoupCache parent_instance;
};

G_DEFINE_FINAL_TYPE (LadleSoupCache, _ladle_soup_cache, SOUP_TYPE_CACHE)

/* On the messages: refused by ::will-cache-response, routed past the cache, watched. */
static GQuark
refused_quark (void)
{
  return g_quark_from_static_string ("ladle-cache-refused");
}

static GQuark
route_quark (void)
{
  return g_quark_from_static_string ("ladle-cache-route");
}

static GQuark
asked_quark (void)
{
  return g_quark_from_static_string ("ladle-cache-asked");
}

typedef enum
{
  ROUTE_CACHE = 1,
  ROUTE_BYPASS,
} Route;

static gboolean
date_is_bad (SoupMessageHeaders *headers,
             const char         *name)
{
  const char *value = soup_message_headers_get_one (headers, name);
  g_autoptr(GDateTime) date = NULL;

  if (value == NULL)
    return FALSE;
  date = soup_date_time_new_from_http_string (value);

  return date == NULL;
}

/* Headers of a 304 that describe its own (empty) body, not the stored one: libsoup 3.2 copies
 * them into the stored entry (a SoupServer's 304 says Content-Length: 0, and the stored body
 * would then be served with it). RFC 9111 section 3.2 keeps them out of the update. */
static const char * const body_framing_headers[] = {
  "Content-Length", "Content-Range", "Content-Encoding", "Transfer-Encoding",
};

static gboolean
has_body_framing (SoupMessageHeaders *headers)
{
  for (guint i = 0; i < G_N_ELEMENTS (body_framing_headers); i++)
    if (soup_message_headers_get_one (headers, body_framing_headers[i]) != NULL)
      return TRUE;

  return FALSE;
}

static SoupCacheability
ladle_soup_cache_get_cacheability (SoupCache   *cache,
                                   SoupMessage *message)
{
  SoupCacheability verdict = SOUP_CACHE_CLASS (_ladle_soup_cache_parent_class)->get_cacheability (cache, message);
  SoupMessageHeaders *response = soup_message_get_response_headers (message);

  if (!(verdict & (SOUP_CACHE_CACHEABLE | SOUP_CACHE_VALIDATES)))
    return verdict;
  /* libsoup 3.2 computes ages from these without checking that they parse. */
  if (date_is_bad (response, "Date") || date_is_bad (response, "Last-Modified"))
    return SOUP_CACHE_UNCACHEABLE;
  /* A 304 to the application's own conditional request: its response is the application's,
   * so the entry is left as it is rather than updated with the 304's framing. */
  if ((verdict & SOUP_CACHE_VALIDATES) && has_body_framing (response))
    return SOUP_CACHE_UNCACHEABLE;
  if (!(verdict & SOUP_CACHE_CACHEABLE))
    return verdict;
  if (soup_message_headers_header_contains (soup_message_get_request_headers (message),
                                            "Cache-Control", "no-store"))
    return SOUP_CACHE_UNCACHEABLE;
  /* Refused by ::will-cache-response: not stored, and an older stored response of the same
   * URI is dropped with it. */
  if (g_object_get_qdata (G_OBJECT (message), refused_quark ()) != NULL)
    return SOUP_CACHE_UNCACHEABLE | SOUP_CACHE_INVALIDATES;

  return verdict;
}

static void
_ladle_soup_cache_class_init (LadleSoupCacheClass *klass)
{
  SOUP_CACHE_CLASS (klass)->get_cacheability = ladle_soup_cache_get_cacheability;
}

static void
_ladle_soup_cache_init (LadleSoupCache *self)
{
}

/* The index check, on the worker thread before soup_cache_load() */

static void
check_index (const char *directory)
{
  g_autofree char *index_path = g_build_filename (directory, INDEX_NAME, NULL);
  g_autoptr(GVariant) index = NULL;
  g_autoptr(GVariant) entries = NULL;
  g_autoptr(GVariant) checked = NULL;
  GVariantBuilder builder;
  char *contents = NULL;
  gsize length;
  GStatBuf index_stat;
  guint16 version;
  gboolean changed = FALSE;

  if (g_stat (index_path, &index_stat) != 0 ||
      !g_file_get_contents (index_path, &contents, &length, NULL))
    return;

  index = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE (INDEX_TYPE), contents, length,
                                                       FALSE, g_free, contents));
  g_variant_get_child (index, 0, "q", &version);
  if (version != INDEX_VERSION)
    return;   /* libsoup clears the directory */

  entries = g_variant_get_child_value (index, 1);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sbuuuuuqa{ss})"));
  for (gsize i = 0; i < g_variant_n_children (entries); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (entries, i);
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;
      const char *uri;
      guint32 entry_length;
      GStatBuf entry_stat;

      g_variant_get_child (entry, 0, "&s", &uri);
      g_variant_get_child (entry, 6, "u", &entry_length);
      name = g_strdup_printf ("%u", (guint) g_str_hash (uri));
      path = g_build_filename (directory, name, NULL);

      if (g_stat (path, &entry_stat) != 0 || !S_ISREG (entry_stat.st_mode) ||
          (guint64) entry_stat.st_size != entry_length ||
          entry_stat.st_mtim.tv_sec > index_stat.st_mtim.tv_sec ||
          (entry_stat.st_mtim.tv_sec == index_stat.st_mtim.tv_sec &&
           entry_stat.st_mtim.tv_nsec > index_stat.st_mtim.tv_nsec))
        {
          g_debug ("Cache: dropping the entry of %s (its file does not match the index)", uri);
          g_unlink (path);
          changed = TRUE;
          continue;
        }
      g_variant_builder_add_value (&builder, entry);
    }

  if (!changed)
    {
      g_variant_builder_clear (&builder);
      return;
    }

  checked = g_variant_ref_sink (g_variant_new ("(qa(sbuuuuuqa{ss}))", (guint16) INDEX_VERSION, &builder));
  if (!g_file_set_contents (index_path, g_variant_get_data (checked), g_variant_get_size (checked), NULL))
    g_unlink (index_path);   /* libsoup then starts afresh */
}

/* The session's cache */

struct _LadleCache
{
  SoupSession *session;      /* not owned: the LadleSession closes this before it drops it */
  SoupCache   *cache;        /* NULL while loading */
  char        *directory;
  guint64      max_size;
  gboolean     persistent;
  gboolean     started;      /* the load began: at the first send that may use the cache */
  gboolean     loading;
  gboolean     closed;
  int          lock_fd;
  GQueue       waiting;      /* sends queued while the cache loads */
};

typedef struct
{
  LadleTask           *task;
  SoupMessage         *message;
  int                  io_priority;
  GCancellable        *cancellable;
  GAsyncReadyCallback  callback;
  gpointer             user_data;
} Send;

static void
send_free (Send *send)
{
  g_clear_object (&send->task);
  g_clear_object (&send->message);
  g_clear_object (&send->cancellable);
  g_free (send);
}

static void
cache_release (LadleCache *self)
{
  g_queue_clear_full (&self->waiting, (GDestroyNotify) send_free);
  g_clear_object (&self->cache);
  if (self->lock_fd >= 0)
    close (self->lock_fd);
  g_free (self->directory);
}

typedef struct
{
  char     *directory;
  guint64   max_size;
  gboolean  persistent;
  int       lock_fd;
} LoadData;

static void
load_data_free (LoadData *data)
{
  if (data->lock_fd >= 0)
    close (data->lock_fd);
  g_free (data->directory);
  g_free (data);
}

/* One SoupCache per directory: two would delete and overwrite each other's entries. The
 * directory itself is locked (flock), so that nothing is left behind. */
static gboolean
lock_directory (LoadData  *data,
                GError   **error)
{
  data->lock_fd = g_open (data->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (data->lock_fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "%s", g_strerror (saved_errno));
      return FALSE;
    }
  if (flock (data->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           "another session uses this cache directory");
      return FALSE;
    }

  return TRUE;
}

static void
load_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  LoadData *data = task_data;
  g_autoptr(GError) error = NULL;
  SoupCache *cache;
  gint64 begin = g_get_monotonic_time ();

  if (g_mkdir_with_parents (data->directory, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "%s", g_strerror (saved_errno));
      return;
    }
  if (!lock_directory (data, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (data->persistent)
    check_index (data->directory);

  cache = g_object_new (LADLE_TYPE_SOUP_CACHE,
                        "cache-dir", data->directory,
                        "cache-type", SOUP_CACHE_SINGLE_USER,
                        NULL);
  /* Before the load, which drops what no longer fits. SoupCache sizes are 32-bit. */
  soup_cache_set_max_size (cache, (guint) MIN (data->max_size, G_MAXUINT));
  if (data->persistent)
    soup_cache_load (cache);
  g_debug ("Cache: %s ready in %" G_GINT64_FORMAT " µs", data->directory,
           g_get_monotonic_time () - begin);

  g_task_return_pointer (task, cache, g_object_unref);
}

static void do_send (LadleCache *self,
                     Send       *send);
static gboolean bypasses_cache (LadleTask   *task,
                                SoupMessage *message);

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  LadleCache *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupCache) cache = g_task_propagate_pointer (G_TASK (result), &error);
  LoadData *data = g_task_get_task_data (G_TASK (result));
  Send *send;

  /* The lock goes with the cache (the load's data is freed after this). */
  self->lock_fd = data->lock_fd;
  data->lock_fd = -1;
  self->loading = FALSE;
  if (self->closed)
    {
      g_rc_box_release_full (self, (GDestroyNotify) cache_release);
      return;
    }

  if (cache == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
    g_message ("The HTTP cache in %s is in use by another session: this one caches nothing",
               self->directory);
  else if (cache == NULL)
    g_warning ("Cannot use the HTTP cache in %s (%s): responses are not cached",
               self->directory, error->message);
  else
    {
      self->cache = g_steal_pointer (&cache);
      soup_session_add_feature (self->session, SOUP_SESSION_FEATURE (self->cache));
    }

  /* Off the list before sending: a send may complete (and queue again) at once. */
  while ((send = g_queue_pop_head (&self->waiting)) != NULL)
    {
      do_send (self, send);
      send_free (send);
    }
  /* The load held this reference so that a session finalized meanwhile does not free it. */
  g_rc_box_release_full (self, (GDestroyNotify) cache_release);
}

/* Nothing is made on disk before a send may use the cache: a session that only downloads
 * leaves no cache directory behind. */
LadleCache *
_ladle_cache_new (SoupSession *session,
                  const char  *directory,
                  guint64      max_size,
                  gboolean     persistent)
{
  LadleCache *self = g_rc_box_new0 (LadleCache);

  self->session = session;
  self->directory = g_strdup (directory);
  self->max_size = max_size;
  self->persistent = persistent;
  self->lock_fd = -1;
  g_queue_init (&self->waiting);

  return self;
}

static void
start_load (LadleCache *self)
{
  g_autoptr(GTask) task = NULL;
  LoadData *data = g_new0 (LoadData, 1);

  self->started = TRUE;
  self->loading = TRUE;
  data->directory = g_strdup (self->directory);
  data->max_size = self->max_size;
  data->persistent = self->persistent;
  data->lock_fd = -1;
  task = g_task_new (NULL, NULL, loaded_cb, g_rc_box_acquire (self));
  g_task_set_source_tag (task, start_load);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  g_task_run_in_thread (task, load_in_thread);
}

/* ::will-cache-response, asked when the headers are in (the cache decides while libsoup reads
 * them, before the body), outside the cache's lock. */

static void
on_got_headers (SoupMessage *message,
                gpointer     user_data)
{
  LadleDataTask *task = user_data;
  SoupSession *session = g_object_get_data (G_OBJECT (message), "ladle-cache-session");
  SoupCache *cache;
  SoupCacheability verdict;

  g_object_set_qdata (G_OBJECT (message), refused_quark (), NULL);
  /* A response from the cache itself (libsoup disables the feature on the message then). */
  if (soup_message_is_feature_disabled (message, SOUP_TYPE_CACHE) || session == NULL)
    return;
  cache = (SoupCache *) soup_session_get_feature (session, SOUP_TYPE_CACHE);
  if (cache == NULL)
    return;

  verdict = ladle_soup_cache_get_cacheability (cache, message);
  if ((verdict & SOUP_CACHE_CACHEABLE) && !(verdict & SOUP_CACHE_INVALIDATES) &&
      !_ladle_data_task_emit_will_cache_response (task, message))
    {
      g_debug ("Cache: ::will-cache-response refused the response of task %" G_GUINT64_FORMAT,
               ladle_task_get_identifier (LADLE_TASK (task)));
      g_object_set_qdata (G_OBJECT (message), refused_quark (), GINT_TO_POINTER (TRUE));
    }
}

static void
ask_before_storing (SoupSession *session,
                    LadleTask   *task,
                    SoupMessage *message)
{
  if (g_object_get_qdata (G_OBJECT (message), asked_quark ()) != NULL)
    return;
  g_object_set_qdata (G_OBJECT (message), asked_quark (), GINT_TO_POINTER (TRUE));
  /* The session outlives every message its tasks send. */
  g_object_set_data (G_OBJECT (message), "ladle-cache-session", session);
  g_signal_connect_object (message, "got-headers", G_CALLBACK (on_got_headers), task, 0);
}

/* The conditional request libsoup sends to revalidate an entry */

typedef struct
{
  SoupMessage *original;
  char        *app_cookie;
} Revalidation;

static void
revalidation_free (gpointer data)
{
  Revalidation *revalidation = data;

  g_clear_object (&revalidation->original);
  g_free (revalidation->app_cookie);
  g_free (revalidation);
}

static gboolean
forward_authenticate (SoupMessage  *conditional,
                      SoupAuth     *auth,
                      gboolean      retrying,
                      Revalidation *revalidation)
{
  gboolean handled = FALSE;

  g_signal_emit_by_name (revalidation->original, "authenticate", auth, retrying, &handled);

  return handled;
}

static gboolean
forward_accept_certificate (SoupMessage          *conditional,
                            GTlsCertificate      *certificate,
                            GTlsCertificateFlags  errors,
                            Revalidation         *revalidation)
{
  gboolean accepted = FALSE;

  g_signal_emit_by_name (revalidation->original, "accept-certificate", certificate, errors, &accepted);

  return accepted;
}

/* After the cookie jar replaced the Cookie header with its own cookies. */
static void
restore_app_cookie (SoupMessage  *conditional,
                    Revalidation *revalidation)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (conditional);
  const char *current = soup_message_headers_get_one (headers, "Cookie");
  g_autofree char *merged = NULL;

  if (current == NULL)
    merged = g_strdup (revalidation->app_cookie);
  else if (strstr (current, revalidation->app_cookie) == NULL)
    merged = g_strconcat (revalidation->app_cookie, "; ", current, NULL);
  if (merged != NULL)
    soup_message_headers_replace (headers, "Cookie", merged);
}

/* The 304 updates the stored entry's headers: its own framing headers are left out (see
 * body_framing_headers), and so are dates that do not parse (libsoup 3.2 recomputes the
 * freshness from them without checking). This message is libsoup's own, never the
 * application's, and its framing was read before got-headers. */
static void
sanitize_validation (SoupMessage *conditional,
                     gpointer     user_data)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (conditional);

  if (soup_message_get_status (conditional) != SOUP_STATUS_NOT_MODIFIED)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (body_framing_headers); i++)
    soup_message_headers_remove (headers, body_framing_headers[i]);
  if (date_is_bad (headers, "Date"))
    soup_message_headers_remove (headers, "Date");
  if (date_is_bad (headers, "Last-Modified"))
    soup_message_headers_remove (headers, "Last-Modified");
}

static void
on_request_queued (SoupSession *session,
                   SoupMessage *queued,
                   SoupMessage *original)
{
  Revalidation *revalidation;
  const char *cookie;

  /* libsoup's conditional request: the same URI, the cache disabled on it. */
  if (queued == original || !soup_message_is_feature_disabled (queued, SOUP_TYPE_CACHE) ||
      !soup_uri_equal (soup_message_get_uri (queued), soup_message_get_uri (original)))
    return;

  revalidation = g_new0 (Revalidation, 1);
  revalidation->original = g_object_ref (original);
  g_object_set_data_full (G_OBJECT (queued), "ladle-cache-revalidation", revalidation, revalidation_free);
  g_signal_connect (queued, "authenticate", G_CALLBACK (forward_authenticate), revalidation);
  g_signal_connect (queued, "accept-certificate", G_CALLBACK (forward_accept_certificate), revalidation);
  g_signal_connect (queued, "got-headers", G_CALLBACK (sanitize_validation), NULL);
  cookie = soup_message_headers_get_one (soup_message_get_request_headers (queued), "Cookie");
  if (cookie != NULL)
    {
      revalidation->app_cookie = g_strdup (cookie);
      g_signal_connect_after (queued, "starting", G_CALLBACK (restore_app_cookie), revalidation);
    }
}

/* Sending */

static gboolean
bypasses_cache (LadleTask   *task,
                SoupMessage *message)
{
  gpointer route = g_object_get_qdata (G_OBJECT (message), route_quark ());

  /* Decided once per message: libsoup disables the feature on a message it answered from the
   * cache, which must not turn a later send of it into a bypass. A Range request is never
   * answered from the cache either: SoupCache would give it the whole stored body. */
  if (route == NULL)
    {
      gboolean bypass = LADLE_IS_DOWNLOAD_TASK (task) ||
                        soup_message_is_feature_disabled (message, SOUP_TYPE_CACHE) ||
                        soup_message_headers_get_one (soup_message_get_request_headers (message), "Range") != NULL;

      route = GINT_TO_POINTER (bypass ? ROUTE_BYPASS : ROUTE_CACHE);
      g_object_set_qdata (G_OBJECT (message), route_quark (), route);
    }

  return GPOINTER_TO_INT (route) == ROUTE_BYPASS;
}

static void
do_send (LadleCache *self,
         Send       *send)
{
  SoupSession *session = self->session;

  if (self->cache == NULL || self->closed)
    {
      soup_session_send_async (session, send->message, send->io_priority, send->cancellable,
                               send->callback, send->user_data);
      return;
    }

  if (bypasses_cache (send->task, send->message))
    {
      /* soup_session_send_async() asks the cache whatever the message says, and only there
       * (the message is queued, its request is written later from the main loop). A request
       * that says no-store is never answered from the cache: it says so for the length of the
       * call only, and goes out as the application made it. (Taking the cache out of the
       * session instead would unbalance libsoup's references on its features: a message
       * references the features present when it is queued, and releases those present when
       * it leaves the queue.) */
      SoupMessageHeaders *headers = soup_message_get_request_headers (send->message);
      g_autofree char *cache_control = g_strdup (soup_message_headers_get_list (headers, "Cache-Control"));

      soup_message_headers_replace (headers, "Cache-Control", "no-store");
      soup_session_send_async (session, send->message, send->io_priority, send->cancellable,
                               send->callback, send->user_data);
      if (cache_control != NULL)
        soup_message_headers_replace (headers, "Cache-Control", cache_control);
      else
        soup_message_headers_remove (headers, "Cache-Control");
      return;
    }

  if (LADLE_IS_DATA_TASK (send->task))
    ask_before_storing (session, send->task, send->message);

  {
    gulong queued = g_signal_connect (session, "request-queued", G_CALLBACK (on_request_queued), send->message);

    soup_session_send_async (session, send->message, send->io_priority, send->cancellable,
                             send->callback, send->user_data);
    g_signal_handler_disconnect (session, queued);
  }
}

void
_ladle_cache_send_async (LadleCache          *self,
                         SoupSession         *session,
                         LadleTask           *task,
                         SoupMessage         *message,
                         int                  io_priority,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  Send send = { task, message, io_priority, cancellable, callback, user_data };

  if (self == NULL || self->closed ||
      (!self->started && bypasses_cache (task, message)))
    {
      soup_session_send_async (session, message, io_priority, cancellable, callback, user_data);
      return;
    }
  if (!self->started)
    start_load (self);

  /* Loading: the send waits (a cancellation is seen by libsoup once it is sent). */
  if (self->loading)
    {
      Send *waiting = g_new0 (Send, 1);

      *waiting = send;
      waiting->task = g_object_ref (task);
      waiting->message = g_object_ref (message);
      waiting->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
      g_queue_push_tail (&self->waiting, waiting);
      return;
    }

  do_send (self, &send);
}

void
_ladle_cache_dump (LadleCache *self)
{
  gint64 begin;

  if (self == NULL || self->cache == NULL || !self->persistent)
    return;

  begin = g_get_monotonic_time ();
  soup_cache_dump (self->cache);
  g_debug ("Cache: index of %s written in %" G_GINT64_FORMAT " µs", self->directory,
           g_get_monotonic_time () - begin);
}

void
_ladle_cache_close (LadleCache *self)
{
  if (self == NULL)
    return;

  _ladle_cache_dump (self);
  self->closed = TRUE;
  /* The cache stays in the SoupSession, which releases it last: messages still leaving the
   * queue release the features present then (removing it would leak their references). */
  self->session = NULL;
  g_rc_box_release_full (self, (GDestroyNotify) cache_release);
}

void
_ladle_cache_remove_directory (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        {
          g_autoptr(GDir) subdir = g_dir_open (child, 0, NULL);
          const char *subname;

          while (subdir != NULL && (subname = g_dir_read_name (subdir)) != NULL)
            {
              g_autofree char *grandchild = g_build_filename (child, subname, NULL);

              g_unlink (grandchild);
            }
          g_rmdir (child);
        }
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

LadleCache *
_ladle_cache_new_for_configuration (SoupSession               *session,
                                    LadleSessionConfiguration *configuration,
                                    const char                *private_directory)
{
  guint64 size = ladle_session_configuration_get_cache_size (configuration);
  g_autofree char *directory = NULL;

  if (size == 0)
    return NULL;

  /* An ephemeral session's cache goes with its private directory, whatever the state
   * directory; the others' stays in the state directory for the next session. */
  if (private_directory != NULL)
    {
      directory = g_build_filename (private_directory, "cache", NULL);
      return _ladle_cache_new (session, directory, size, FALSE);
    }

  directory = g_build_filename (ladle_session_configuration_get_state_directory (configuration),
                                "cache", NULL);

  return _ladle_cache_new (session, directory, size, TRUE);
}
