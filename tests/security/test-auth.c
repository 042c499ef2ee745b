/* test-auth.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Authentication challenges: ::authenticate on the task, then on the session; answers at once
 * or later; Basic and Digest; wrong then right credentials; no handler means the 401 is the
 * final response and no error; credentials in the URL; a proxy asking with 407.
 */

#include "ladle-test.h"

#include <string.h>

typedef struct
{
  guint         n_calls;
  guint         n_retrying;
  char         *scheme;
  char         *realm;
  gboolean      for_proxy;
  GString      *order;           /* "t" task handler, "s" session handler */
  LadleTask    *task_seen;       /* the session handler's task argument */

  /* What to answer: on call N (1-based), answers[N-1]; past the end, do not handle. */
  const char  **answers;         /* a password, "" to decline, "cancel" to cancel */
  const char   *user;
  gboolean      later;           /* answer from a timeout */
  gboolean      handled_when_declined;
} AuthHandler;

typedef struct
{
  SoupAuth    *auth;
  const char  *user;
  const char  *answer;
} LaterAnswer;

static void
answer_auth (SoupAuth   *auth,
             const char *user,
             const char *answer)
{
  if (g_str_equal (answer, "cancel"))
    soup_auth_cancel (auth);
  else
    soup_auth_authenticate (auth, user, answer);
}

static gboolean
answer_later_cb (gpointer user_data)
{
  LaterAnswer *later = user_data;

  answer_auth (later->auth, later->user, later->answer);
  g_object_unref (later->auth);
  g_free (later);

  return G_SOURCE_REMOVE;
}

static gboolean
handle_auth (AuthHandler *handler,
             SoupAuth    *auth,
             gboolean     retrying)
{
  const char *answer = NULL;

  handler->n_calls++;
  if (retrying)
    handler->n_retrying++;
  g_free (handler->scheme);
  handler->scheme = g_strdup (soup_auth_get_scheme_name (auth));
  g_free (handler->realm);
  handler->realm = g_strdup (soup_auth_get_realm (auth));
  handler->for_proxy = soup_auth_is_for_proxy (auth);

  if (handler->answers != NULL)
    for (guint i = 0; handler->answers[i] != NULL; i++)
      if (i + 1 == handler->n_calls)
        answer = handler->answers[i];

  if (answer == NULL || *answer == '\0')
    return handler->handled_when_declined;

  if (handler->later)
    {
      LaterAnswer *later = g_new0 (LaterAnswer, 1);

      /* A dialog would do this: keep the auth, say it is handled, answer when the user did. */
      later->auth = g_object_ref (auth);
      later->user = handler->user ? handler->user : LADLE_TEST_USER;
      later->answer = answer;
      g_timeout_add (20, answer_later_cb, later);
      return TRUE;
    }

  answer_auth (auth, handler->user ? handler->user : LADLE_TEST_USER, answer);

  return TRUE;
}

static gboolean
on_task_authenticate (LadleTask   *task,
                      SoupAuth    *auth,
                      gboolean     retrying,
                      AuthHandler *handler)
{
  if (handler->order != NULL)
    g_string_append_c (handler->order, 't');

  return handle_auth (handler, auth, retrying);
}

static gboolean
on_session_authenticate (LadleSession *session,
                         LadleTask    *task,
                         SoupAuth     *auth,
                         gboolean      retrying,
                         AuthHandler  *handler)
{
  if (handler->order != NULL)
    g_string_append_c (handler->order, 's');
  handler->task_seen = task;

  return handle_auth (handler, auth, retrying);
}

static void
auth_handler_clear (AuthHandler *handler)
{
  g_clear_pointer (&handler->scheme, g_free);
  g_clear_pointer (&handler->realm, g_free);
}

static LadleTask *
new_task (LadleSession *session,
          const char   *uri)
{
  return LADLE_TASK (ladle_session_create_data_task_for_uri (session, uri));
}

static void
assert_authorization_sequence (LadleTestServer *server,
                               guint           n_requests)
{
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, n_requests);
  /* The first request goes without credentials; every later one carries them. */
  g_assert_null (soup_message_headers_get_one (ladle_test_server_get_request (server, 0)->headers,
                                               "Authorization"));
  for (guint i = 1; i < n_requests; i++)
    g_assert_nonnull (soup_message_headers_get_one (ladle_test_server_get_request (server, i)->headers,
                                                    "Authorization"));
}

/* The challenge cases: one row each, run by test_auth_case. Answers are given on call N
 * (1-based) as answers[N-1]: a password, "cancel", or nothing (decline). */

/* A count that is checked: N (0) is "checked to be 0"; a count left out is not checked. */
#define N(count) ((count) + 1)

typedef struct
{
  const char *path;                 /* below /Ladle/Auth */
  const char *kind;                 /* "basic" or "digest": the server path /KIND/resource */
  const char *url_password;         /* LADLE_TEST_USER:url_password@ in the URL; NULL: none */
  gboolean    task_handler;         /* connect the task's ::authenticate */
  const char *task_answers[4];
  gboolean    session_handler;      /* connect the session's ::authenticate */
  const char *session_answers[4];
  gboolean    later;                /* answer from a timeout, as a dialog would */

  /* What must happen (counts as N (count); what is left out is not checked). */
  guint       status;               /* always checked, with no error */
  int         n_response;
  int         task_calls;
  int         task_retrying;
  int         session_calls;
  int         session_retrying;
  const char *order;                /* "t" task handler, "s" session handler */
  gboolean    session_sees_task;    /* the session handler was told the task */
  gboolean    challenge;            /* the scheme and realm of KIND, not for a proxy, and the body */
  guint       authorization_sequence; /* n requests, the first without Authorization, the others with */
  guint       n_requests;
  gboolean    then_cached;          /* a second task of the session is answered by the auth cache */
} AuthCase;

static const AuthCase auth_cases[] = {
  /* Wrong credentials first: the second call says retrying; right ones then get the resource. */
  { "basic/wrong-then-right", "basic", .task_handler = TRUE, .task_answers = { "wrong", LADLE_TEST_PASSWORD },
    .status = 200, .n_response = N (1), .task_calls = N (2), .task_retrying = N (1), .challenge = TRUE,
    .authorization_sequence = 3 },
  { "digest/wrong-then-right", "digest", .task_handler = TRUE, .task_answers = { "wrong", LADLE_TEST_PASSWORD },
    .status = 200, .n_response = N (1), .task_calls = N (2), .task_retrying = N (1), .challenge = TRUE,
    .authorization_sequence = 3 },
  /* The first call is not a retry; libsoup's auth cache answers the next request of the session
   * to the same space. */
  { "basic/right-at-once", "basic", .task_handler = TRUE, .task_answers = { LADLE_TEST_PASSWORD },
    .status = 200, .task_calls = N (1), .task_retrying = N (0), .authorization_sequence = 2,
    .then_cached = TRUE },
  { "digest/right-at-once", "digest", .task_handler = TRUE, .task_answers = { LADLE_TEST_PASSWORD },
    .status = 200, .task_calls = N (1), .task_retrying = N (0), .authorization_sequence = 2,
    .then_cached = TRUE },
  /* Wrong every time: each call after the first is a retry, and when the handler gives up the
   * task completes with the 401 and no error. */
  { "basic/always-wrong", "basic", .task_handler = TRUE, .task_answers = { "wrong", "wrong again" },
    .status = 401, .n_response = N (1), .task_calls = N (3), .task_retrying = N (2),
    .authorization_sequence = 3 },
  /* Answered later, from a timeout, as a dialog would. */
  { "basic/answer-later", "basic", .task_handler = TRUE, .task_answers = { "wrong", LADLE_TEST_PASSWORD },
    .later = TRUE, .status = 200, .task_calls = N (2), .task_retrying = N (1),
    .authorization_sequence = 3 },
  { "digest/answer-later", "digest", .task_handler = TRUE, .task_answers = { "wrong", LADLE_TEST_PASSWORD },
    .later = TRUE, .status = 200, .task_calls = N (2), .task_retrying = N (1),
    .authorization_sequence = 3 },
  /* Cancelled later: the 401 is the final response, no error. */
  { "basic/cancel-later", "basic", .task_handler = TRUE, .task_answers = { "cancel" }, .later = TRUE,
    .status = 401, .n_response = N (1), .task_calls = N (1), .n_requests = 1 },
  /* Cancelled at once, from inside the handler. */
  { "digest/cancel-at-once", "digest", .task_handler = TRUE, .task_answers = { "cancel" },
    .status = 401, .task_calls = N (1) },
  /* A task handler that does not handle the auth hands it to the session's handler, which is
   * told the task. */
  { "session-handler", "basic", .task_handler = TRUE, .session_handler = TRUE,
    .session_answers = { "wrong", LADLE_TEST_PASSWORD }, .status = 200,
    .order = "tsts", .session_sees_task = TRUE, .session_retrying = N (1), .task_retrying = N (1) },
  /* The session handler alone, answering later. */
  { "session-handler-later", "digest", .session_handler = TRUE, .session_answers = { LADLE_TEST_PASSWORD },
    .later = TRUE, .status = 200, .session_calls = N (1), .session_sees_task = TRUE },
  /* When the task's handler handles the auth, the session is not asked. */
  { "task-handler-wins", "basic", .task_handler = TRUE, .task_answers = { LADLE_TEST_PASSWORD },
    .session_handler = TRUE, .session_answers = { "wrong", "wrong", "wrong" },
    .status = 200, .task_calls = N (1), .session_calls = N (0) },
  /* user:password@ in the URL is used, without asking any handler. */
  { "basic/url-credentials", "basic", .url_password = LADLE_TEST_PASSWORD, .task_handler = TRUE,
    .session_handler = TRUE, .status = 200, .task_calls = N (0), .session_calls = N (0),
    .authorization_sequence = 2 },
  { "digest/url-credentials", "digest", .url_password = LADLE_TEST_PASSWORD, .task_handler = TRUE,
    .session_handler = TRUE, .status = 200, .task_calls = N (0), .session_calls = N (0),
    .authorization_sequence = 2 },
  /* Wrong credentials in the URL: the handler is asked next, as a retry. */
  { "basic/url-credentials-wrong", "basic", .url_password = "wrong", .task_handler = TRUE,
    .task_answers = { LADLE_TEST_PASSWORD }, .status = 200, .task_calls = N (1),
    .task_retrying = N (1), .authorization_sequence = 3 },
};

static void
assert_calls (const AuthHandler *handler,
              int                calls,
              int                retrying)
{
  if (calls != 0)
    g_assert_cmpuint (handler->n_calls, ==, calls - 1);
  if (retrying != 0)
    g_assert_cmpuint (handler->n_retrying, ==, retrying - 1);
}

static void
test_auth_case (gconstpointer data)
{
  const AuthCase *c = data;
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *path = g_strdup_printf ("/%s/resource", c->kind);
  g_autofree char *uri = NULL;
  g_autoptr(GString) order = g_string_new (NULL);
  AuthHandler task_handler = { .answers = (const char **) c->task_answers, .later = c->later, .order = order };
  AuthHandler session_handler = { .answers = (const char **) c->session_answers, .later = c->later, .order = order };
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTestRun) run = NULL;

  if (c->url_password != NULL)
    uri = g_strdup_printf ("http://" LADLE_TEST_USER ":%s@127.0.0.1:%u%s", c->url_password,
                           ladle_test_server_get_port (server), path);
  else
    uri = ladle_test_server_dup_uri (server, path);
  task = new_task (session, uri);

  if (c->task_handler)
    g_signal_connect (task, "authenticate", G_CALLBACK (on_task_authenticate), &task_handler);
  if (c->session_handler)
    g_signal_connect (session, "authenticate", G_CALLBACK (on_session_authenticate), &session_handler);
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, c->status);
  if (c->n_response != 0)
    g_assert_cmpuint (run->n_response, ==, c->n_response - 1);
  assert_calls (&task_handler, c->task_calls, c->task_retrying);
  assert_calls (&session_handler, c->session_calls, c->session_retrying);
  if (c->order != NULL)
    g_assert_cmpstr (order->str, ==, c->order);
  if (c->session_sees_task)
    g_assert_true (session_handler.task_seen == task);
  if (c->challenge)
    {
      g_autofree char *expected_path = g_strdup_printf ("path %s", path);
      const AuthHandler *handler = c->task_handler ? &task_handler : &session_handler;

      g_assert_cmpstr (handler->scheme, ==, g_str_equal (c->kind, "basic") ? "Basic" : "Digest");
      g_assert_cmpstr (handler->realm, ==, g_str_equal (c->kind, "basic") ? "ladle-basic" : "ladle-digest");
      g_assert_false (handler->for_proxy);
      g_assert_true (ladle_test_body_has_line (run->body, expected_path));
    }
  if (c->authorization_sequence > 0)
    assert_authorization_sequence (server, c->authorization_sequence);
  if (c->n_requests > 0)
    g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, c->n_requests);

  if (c->then_cached)
    {
      g_autoptr(LadleTask) second = new_task (session, uri);
      g_autoptr(LadleTestRun) second_run = ladle_test_run (second);
      const AuthHandler *handler = c->task_handler ? &task_handler : &session_handler;
      guint n_calls = handler->n_calls;

      g_assert_no_error (second_run->error);
      g_assert_cmpuint (second_run->status, ==, 200);
      g_assert_cmpuint (handler->n_calls, ==, n_calls);
    }

  if (c->session_handler)
    g_signal_handlers_disconnect_by_data (session, &session_handler);
  auth_handler_clear (&task_handler);
  auth_handler_clear (&session_handler);
}

/* No handler at all: the 401 with its headers is the task's response, and no error. */
static void
test_no_handler (gconstpointer data)
{
  const char *kind = data;
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *path = g_strdup_printf ("/%s/resource", kind);
  g_autofree char *uri = ladle_test_server_dup_uri (server, path);
  g_autoptr(LadleTask) task = new_task (session, uri);
  g_autoptr(LadleTestRun) run = NULL;
  SoupMessageHeaders *headers;
  const char *challenge;

  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 401);
  g_assert_cmpuint (ladle_task_get_status_code (task), ==, 401);
  g_assert_cmpuint (run->n_response, ==, 1);
  headers = ladle_task_get_response_headers (task);
  g_assert_nonnull (headers);
  challenge = soup_message_headers_get_one (headers, "WWW-Authenticate");
  g_assert_nonnull (challenge);
  g_assert_true (g_str_has_prefix (challenge, g_str_equal (kind, "basic") ? "Basic" : "Digest"));
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 1);
}

/* Credentials in the URL belong to its origin: they answer a challenge after a same-origin
 * redirect, and are never offered to another origin (whose challenge goes to the handler). */
static void
test_url_credentials_after_redirect (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *other = ladle_test_server_dup_uri (b, "/basic/echo");
  g_autofree char *other_escaped = g_uri_escape_string (other, NULL, FALSE);
  g_autofree char *same_uri = NULL;
  g_autofree char *other_uri = NULL;
  g_autoptr(LadleTask) same = NULL;
  g_autoptr(LadleTask) cross = NULL;
  g_autoptr(LadleTestRun) same_run = NULL;
  g_autoptr(LadleTestRun) cross_run = NULL;
  AuthHandler same_handler = { 0 };
  AuthHandler cross_handler = { 0 };

  same_uri = g_strdup_printf ("http://" LADLE_TEST_USER ":" LADLE_TEST_PASSWORD "@127.0.0.1:%u/redirect/302?to=%%2Fbasic%%2Fecho",
                              ladle_test_server_get_port (a));
  same = new_task (session, same_uri);
  g_signal_connect (same, "authenticate", G_CALLBACK (on_task_authenticate), &same_handler);
  same_run = ladle_test_run (same);

  g_assert_no_error (same_run->error);
  g_assert_cmpuint (same_run->status, ==, 200);
  g_assert_cmpuint (same_handler.n_calls, ==, 0);
  g_assert_true (ladle_test_body_has_line (same_run->body, "path /basic/echo"));

  other_uri = g_strdup_printf ("http://" LADLE_TEST_USER ":" LADLE_TEST_PASSWORD "@127.0.0.1:%u/redirect/302?to=%s",
                               ladle_test_server_get_port (a), other_escaped);
  cross = new_task (session, other_uri);
  g_signal_connect (cross, "authenticate", G_CALLBACK (on_task_authenticate), &cross_handler);
  cross_run = ladle_test_run (cross);

  g_assert_no_error (cross_run->error);
  g_assert_cmpuint (cross_run->status, ==, 401);
  g_assert_cmpuint (cross_handler.n_calls, ==, 1);
  g_assert_cmpuint (cross_handler.n_retrying, ==, 0);
  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 1);
  g_assert_null (soup_message_headers_get_one (ladle_test_server_get_request (b, 0)->headers,
                                               "Authorization"));
  auth_handler_clear (&same_handler);
  auth_handler_clear (&cross_handler);
}

/* Credentials obtained on one origin are not sent to another one after a redirect, and the
 * handler is asked once on the same origin. */
static void
test_auth_then_redirect (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *same_target = g_strdup ("/basic/after");
  g_autofree char *other_target = ladle_test_server_dup_uri (b, "/echo");
  g_autofree char *same_escaped = g_uri_escape_string (same_target, NULL, FALSE);
  g_autofree char *other_escaped = g_uri_escape_string (other_target, NULL, FALSE);
  g_autofree char *same = NULL;
  g_autofree char *other = NULL;
  const char *answers[] = { LADLE_TEST_PASSWORD, NULL };
  AuthHandler handler = { .answers = answers };
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTask) task2 = NULL;
  g_autoptr(LadleTestRun) run = NULL;
  g_autoptr(LadleTestRun) run2 = NULL;
  LadleTestRequest *request;

  same = g_strdup_printf ("http://127.0.0.1:%u/basic/redirect/302?to=%s",
                          ladle_test_server_get_port (a), same_escaped);
  task = new_task (session, same);
  g_signal_connect (task, "authenticate", G_CALLBACK (on_task_authenticate), &handler);
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_cmpuint (handler.n_calls, ==, 1);
  g_assert_true (ladle_test_body_has_line (run->body, "path /basic/after"));

  other = g_strdup_printf ("http://127.0.0.1:%u/basic/redirect/302?to=%s",
                           ladle_test_server_get_port (a), other_escaped);
  task2 = new_task (session, other);
  g_signal_connect (task2, "authenticate", G_CALLBACK (on_task_authenticate), &handler);
  run2 = ladle_test_run (task2);

  g_assert_no_error (run2->error);
  g_assert_cmpuint (run2->status, ==, 200);
  g_assert_cmpuint (handler.n_calls, ==, 1);
  request = ladle_test_server_get_request (a, ladle_test_server_get_n_requests (a) - 1);
  g_assert_nonnull (soup_message_headers_get_one (request->headers, "Authorization"));
  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 1);
  g_assert_null (soup_message_headers_get_one (ladle_test_server_get_request (b, 0)->headers,
                                               "Authorization"));
  auth_handler_clear (&handler);
}

/* The task is cancelled while the application is still asking: it completes cancelled, and the
 * late answer is harmless. */

typedef struct
{
  SoupAuth *auth;
  gboolean  answered;
} HeldAuth;

static gboolean
hold_auth (LadleTask *task,
           SoupAuth  *auth,
           gboolean   retrying,
           HeldAuth  *held)
{
  g_set_object (&held->auth, auth);
  ladle_task_cancel (task);

  return TRUE;
}

static gboolean
answer_held_cb (gpointer user_data)
{
  HeldAuth *held = user_data;

  soup_auth_authenticate (held->auth, LADLE_TEST_USER, LADLE_TEST_PASSWORD);
  held->answered = TRUE;

  return G_SOURCE_REMOVE;
}

static void
test_cancel_task_while_asking (void)
{
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/basic/resource");
  g_autoptr(LadleTask) task = new_task (session, uri);
  g_autoptr(LadleTestRun) run = NULL;
  HeldAuth held = { 0 };

  g_signal_connect (task, "authenticate", G_CALLBACK (hold_auth), &held);
  run = ladle_test_run (task);

  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (held.auth);

  g_idle_add (answer_held_cb, &held);
  ladle_test_wait_for_flag (&held.answered, 30, "the late answer");
  g_assert_cmpuint (run->n_completed, ==, 1);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 1);
  g_clear_object (&held.auth);
}

/* A proxy asking for credentials with 407: the same signal, for a proxy. */

typedef struct
{
  SoupServer *server;
  guint       port;
  GPtrArray  *proxy_authorizations;  /* the Proxy-Authorization of each request, or "" */
  GPtrArray  *users;                 /* the user in each request line's URI, or "" */
} Proxy;

static gboolean
proxy_auth_cb (SoupAuthDomain    *domain,
               SoupServerMessage *msg,
               const char        *username,
               const char        *password,
               gpointer           user_data)
{
  return g_strcmp0 (username, "proxy-user") == 0 && g_strcmp0 (password, "proxy-secret") == 0;
}

static void
proxy_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  g_autofree char *text = g_strdup_printf ("proxied %s", path);

  if (g_str_equal (path, "/elsewhere"))
    {
      /* Another origin, still reached through this proxy. */
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, "http://127.0.0.1:10/after");
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
proxy_request_read_cb (SoupServer        *server,
                       SoupServerMessage *msg,
                       Proxy             *proxy)
{
  const char *value = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                    "Proxy-Authorization");

  const char *user = g_uri_get_user (soup_server_message_get_uri (msg));

  g_ptr_array_add (proxy->proxy_authorizations, g_strdup (value ? value : ""));
  g_ptr_array_add (proxy->users, g_strdup (user ? user : ""));
}

static void
proxy_init (Proxy *proxy)
{
  g_autoptr(SoupAuthDomain) domain = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  proxy->proxy_authorizations = g_ptr_array_new_with_free_func (g_free);
  proxy->users = g_ptr_array_new_with_free_func (g_free);
  proxy->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (proxy->server, NULL, proxy_cb, proxy, NULL);
  g_signal_connect (proxy->server, "request-read", G_CALLBACK (proxy_request_read_cb), proxy);
  domain = soup_auth_domain_basic_new ("realm", "ladle-proxy", "proxy", TRUE, NULL);
  soup_auth_domain_basic_set_auth_callback (domain, proxy_auth_cb, NULL, NULL);
  soup_server_add_auth_domain (proxy->server, domain);
  soup_server_listen_local (proxy->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (proxy->server);
  proxy->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
proxy_clear (Proxy *proxy)
{
  soup_server_disconnect (proxy->server);
  g_clear_object (&proxy->server);
  g_clear_pointer (&proxy->proxy_authorizations, g_ptr_array_unref);
  g_clear_pointer (&proxy->users, g_ptr_array_unref);
}

static LadleSession *
proxied_session_new (Proxy *proxy)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autofree char *proxy_uri = g_strdup_printf ("http://127.0.0.1:%u", proxy->port);
  g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (proxy_uri, NULL);

  ladle_session_configuration_set_proxy_resolver (configuration, resolver);

  return ladle_session_new (configuration);
}

static void
test_proxy (void)
{
  Proxy proxy = { 0 };
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleTask) refused = NULL;
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTestRun) run = NULL;
  g_autoptr(LadleTestRun) refused_run = NULL;
  const char *answers[] = { "wrong", "proxy-secret", NULL };
  AuthHandler handler = { .answers = answers, .user = "proxy-user", .later = TRUE };

  proxy_init (&proxy);
  session = proxied_session_new (&proxy);

  /* Nobody answers: the 407 is the final response, no error. Port 9 is never contacted: the
   * proxy answers for it. */
  refused = new_task (session, "http://127.0.0.1:9/refused");
  refused_run = ladle_test_run (refused);
  g_assert_no_error (refused_run->error);
  g_assert_cmpuint (refused_run->status, ==, 407);

  task = new_task (session, "http://127.0.0.1:9/resource");
  g_signal_connect (task, "authenticate", G_CALLBACK (on_task_authenticate), &handler);
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_cmpuint (handler.n_calls, ==, 2);
  g_assert_cmpuint (handler.n_retrying, ==, 1);
  g_assert_true (handler.for_proxy);
  g_assert_cmpstr (handler.realm, ==, "ladle-proxy");
  g_assert_cmpmem (g_bytes_get_data (run->body, NULL), g_bytes_get_size (run->body),
                   "proxied /resource", strlen ("proxied /resource"));

  /* A cross-origin redirect through the same proxy: Ladle drops the copied Proxy-Authorization
   * from the hop, and libsoup's auth cache puts the proxy's credentials back without asking. */
  {
    g_autoptr(LadleTask) hop_task = new_task (session, "http://127.0.0.1:9/elsewhere");
    g_autoptr(LadleTestRun) hop_run = NULL;
    g_autofree char *basic = g_base64_encode ((const guchar *) "proxy-user:proxy-secret",
                                              strlen ("proxy-user:proxy-secret"));
    g_autofree char *expected = g_strconcat ("Basic ", basic, NULL);
    guint n_before = proxy.proxy_authorizations->len;

    g_signal_connect (hop_task, "authenticate", G_CALLBACK (on_task_authenticate), &handler);
    hop_run = ladle_test_run (hop_task);

    g_assert_no_error (hop_run->error);
    g_assert_cmpuint (hop_run->status, ==, 200);
    g_assert_cmpmem (g_bytes_get_data (hop_run->body, NULL), g_bytes_get_size (hop_run->body),
                     "proxied /after", strlen ("proxied /after"));
    g_assert_cmpuint (handler.n_calls, ==, 2);
    g_assert_cmpuint (proxy.proxy_authorizations->len, ==, n_before + 2);
    for (guint i = n_before; i < proxy.proxy_authorizations->len; i++)
      g_assert_cmpstr (g_ptr_array_index (proxy.proxy_authorizations, i), ==, expected);
  }

  auth_handler_clear (&handler);
  g_clear_object (&session);
  proxy_clear (&proxy);
}

/* Credentials written in the URL are for the origin: they must never reach a proxy, neither in
 * the request line nor as Proxy-Authorization. */
static void
test_url_credentials_not_sent_to_proxy (void)
{
  Proxy proxy = { 0 };
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleTask) first = NULL;
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTestRun) first_run = NULL;
  g_autoptr(LadleTestRun) run = NULL;
  const char *answers[] = { "proxy-secret", NULL };
  AuthHandler handler = { .answers = answers, .user = "proxy-user" };
  guint first_n;
  g_autofree char *proxy_basic = NULL;
  g_autofree char *expected = NULL;

  proxy_init (&proxy);
  session = proxied_session_new (&proxy);
  proxy_basic = g_base64_encode ((const guchar *) "proxy-user:proxy-secret", strlen ("proxy-user:proxy-secret"));

  /* The proxy's credentials are in the session's cache... */
  first = new_task (session, "http://127.0.0.1:9/first");
  g_signal_connect (first, "authenticate", G_CALLBACK (on_task_authenticate), &handler);
  first_run = ladle_test_run (first);
  g_assert_cmpuint (first_run->status, ==, 200);
  first_n = proxy.users->len;

  /* ...and a URL carries the origin's. */
  task = new_task (session, "http://origin-user:origin-secret@127.0.0.1:9/second");
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_cmpuint (handler.n_calls, ==, 1);
  expected = g_strconcat ("Basic ", proxy_basic, NULL);
  for (guint i = first_n; i < proxy.users->len; i++)
    {
      g_assert_cmpstr (g_ptr_array_index (proxy.users, i), ==, "");
      g_assert_cmpstr (g_ptr_array_index (proxy.proxy_authorizations, i), ==, expected);
    }

  auth_handler_clear (&handler);
  g_clear_object (&session);
  proxy_clear (&proxy);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (auth_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/Ladle/Auth/", auth_cases[i].path, NULL);

      g_test_add_data_func (path, &auth_cases[i], test_auth_case);
    }
  g_test_add_data_func ("/Ladle/Auth/basic/no-handler", "basic", test_no_handler);
  g_test_add_data_func ("/Ladle/Auth/digest/no-handler", "digest", test_no_handler);
  g_test_add_func ("/Ladle/Auth/basic/url-credentials-after-redirect", test_url_credentials_after_redirect);
  g_test_add_func ("/Ladle/Auth/redirect", test_auth_then_redirect);
  g_test_add_func ("/Ladle/Auth/cancel-task-while-asking", test_cancel_task_while_asking);
  g_test_add_func ("/Ladle/Auth/proxy", test_proxy);
  g_test_add_func ("/Ladle/Auth/url-credentials-not-sent-to-proxy", test_url_credentials_not_sent_to_proxy);

  status = g_test_run ();
  ladle_test_certs_cleanup ();

  return status;
}
