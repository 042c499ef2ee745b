/* test-redirect.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Redirects are followed by Ladle itself so that ::redirect sees every hop: the method and body
 * rules of each status, the handler editing or refusing a hop, the limit, schemes other than
 * http(s), and credentials that must not cross origins. Two servers on two ports of 127.0.0.1
 * (and "localhost" for a change of host).
 */

#include "ladle-test.h"

#include <string.h>

static const guint redirect_codes[] = { 301, 302, 303, 307, 308 };

typedef struct
{
  guint               n_calls;
  char               *uri;         /* of the last new request */
  char               *method;
  SoupMessageHeaders *headers;     /* a copy of the last new request's headers */
  gboolean            answer;
  const char         *add_header;  /* "Name: value" added by the handler */
  const char         *set_uri;     /* the handler points the hop here */
  gboolean            cancel;      /* the handler cancels the task */
} RedirectHandler;

static gboolean
on_redirect (LadleTask       *task,
             SoupMessage     *new_request,
             RedirectHandler *handler)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (new_request);

  handler->n_calls++;
  g_free (handler->uri);
  handler->uri = g_uri_to_string (soup_message_get_uri (new_request));
  g_free (handler->method);
  handler->method = g_strdup (soup_message_get_method (new_request));
  g_clear_pointer (&handler->headers, soup_message_headers_unref);
  handler->headers = ladle_test_headers_copy (headers);

  /* The hop is not the task's current request yet. */
  g_assert_true (ladle_task_get_current_request (task) != new_request);

  if (handler->add_header != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (handler->add_header, ": ", 2);

      soup_message_headers_replace (headers, parts[0], parts[1]);
    }
  if (handler->set_uri != NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (handler->set_uri, SOUP_HTTP_URI_FLAGS, NULL);

      g_assert_nonnull (uri);
      soup_message_set_uri (new_request, uri);
    }
  if (handler->cancel)
    ladle_task_cancel (task);

  return handler->answer;
}

static void
redirect_handler_clear (RedirectHandler *handler)
{
  g_clear_pointer (&handler->uri, g_free);
  g_clear_pointer (&handler->method, g_free);
  g_clear_pointer (&handler->headers, soup_message_headers_unref);
}

static void
connect_handler (LadleTask       *task,
                 RedirectHandler *handler)
{
  g_signal_connect (task, "redirect", G_CALLBACK (on_redirect), handler);
}

static LadleTask *
new_task (LadleSession *session,
          const char   *method,
          const char   *uri)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);

  g_assert_nonnull (message);

  return LADLE_TASK (ladle_session_create_data_task (session, message));
}

static void
assert_body_equals (GBytes     *body,
                    const char *text)
{
  g_assert_nonnull (body);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), text, strlen (text));
}

/* Each status with each method: the hop's method, what the second server got, the current and
 * original requests. One row a case, /Ladle/Redirect/method/METHOD/CODE. */
typedef struct
{
  const char *method;
  guint       code;
  const char *expected;   /* the method of the hop */
} MethodCase;

static const MethodCase method_cases[] = {
  /* GET follows every redirect status to another port, as GET. */
  { "GET",    301, "GET" },
  { "GET",    302, "GET" },
  { "GET",    303, "GET" },
  { "GET",    307, "GET" },
  { "GET",    308, "GET" },
  /* 307/308 keep the method; a request without a body has nothing to resend and follows. */
  { "POST",   307, "POST" },
  { "PUT",    307, "PUT" },
  { "DELETE", 307, "DELETE" },
  { "POST",   308, "POST" },
  { "PUT",    308, "PUT" },
  { "DELETE", 308, "DELETE" },
  /* 303 turns everything but GET and HEAD into GET; 301/302 only turn POST into GET. */
  { "HEAD",   303, "HEAD" },
  { "PUT",    303, "GET" },
  { "DELETE", 303, "GET" },
  { "HEAD",   301, "HEAD" },
  { "HEAD",   302, "HEAD" },
  { "PUT",    301, "PUT" },
  { "PUT",    302, "PUT" },
  { "DELETE", 302, "DELETE" },
};

static void
test_method (gconstpointer data)
{
  const MethodCase *c = data;
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *target = ladle_test_server_dup_uri (b, "/echo");
  g_autofree char *start = ladle_test_server_dup_redirect_uri (a, c->code, target);
  g_autoptr(LadleTask) task = new_task (session, c->method, start);
  RedirectHandler handler = { .answer = TRUE };
  g_autoptr(LadleTestRun) run = NULL;
  g_autofree char *original = NULL;
  g_autofree char *current = NULL;
  LadleTestRequest *request;

  connect_handler (task, &handler);
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_cmpuint (handler.n_calls, ==, 1);
  g_assert_cmpstr (handler.uri, ==, target);
  g_assert_cmpstr (handler.method, ==, c->expected);
  g_assert_cmpuint (run->n_response, ==, 1);
  g_assert_cmpuint (run->n_redirect_notify, ==, 1);

  /* The current request followed the hop; the original one did not change. */
  original = g_uri_to_string (soup_message_get_uri (ladle_task_get_original_request (task)));
  current = g_uri_to_string (soup_message_get_uri (ladle_task_get_current_request (task)));
  g_assert_cmpstr (original, ==, start);
  g_assert_cmpstr (current, ==, target);

  g_assert_cmpuint (ladle_test_server_get_n_requests (a), ==, 1);
  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 1);
  request = ladle_test_server_get_request (b, 0);
  g_assert_cmpstr (request->method, ==, c->expected);
  g_assert_cmpstr (request->path, ==, "/echo");
  if (!g_str_equal (c->expected, "HEAD"))
    {
      g_autofree char *line = g_strdup_printf ("method %s", c->expected);

      g_assert_true (ladle_test_body_has_line (run->body, line));
    }

  redirect_handler_clear (&handler);
}

static SoupMessage *
new_post (const char *uri)
{
  SoupMessage *message = soup_message_new ("POST", uri);
  g_autoptr(GBytes) body = g_bytes_new_static ("name=value", 10);

  soup_message_set_request_body_from_bytes (message, "application/x-www-form-urlencoded", body);
  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Content-Language", "en");
  soup_message_headers_replace (soup_message_get_request_headers (message), "X-Custom", "kept");

  return message;
}

/* 301, 302 and 303 after POST: GET without the body and its headers. */
static void
test_post_becomes_get (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  static const guint codes[] = { 301, 302, 303 };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autofree char *target = ladle_test_server_dup_uri (b, "/echo");
      g_autofree char *start = ladle_test_server_dup_redirect_uri (a, codes[i], target);
      g_autoptr(SoupMessage) message = new_post (start);
      g_autoptr(LadleTask) task = LADLE_TASK (ladle_session_create_data_task (session, message));
      RedirectHandler handler = { .answer = TRUE };
      g_autoptr(LadleTestRun) run = NULL;
      guint n_before = ladle_test_server_get_n_requests (b);
      LadleTestRequest *request;

      g_test_message ("status %u", codes[i]);
      connect_handler (task, &handler);
      run = ladle_test_run (task);

      g_assert_no_error (run->error);
      g_assert_cmpuint (run->status, ==, 200);
      g_assert_cmpuint (handler.n_calls, ==, 1);
      g_assert_cmpstr (handler.method, ==, "GET");
      g_assert_null (soup_message_headers_get_one (handler.headers, "Content-Type"));
      g_assert_null (soup_message_headers_get_one (handler.headers, "Content-Length"));
      g_assert_null (soup_message_headers_get_one (handler.headers, "Content-Language"));
      g_assert_cmpstr (soup_message_headers_get_one (handler.headers, "X-Custom"), ==, "kept");

      /* A got the POST and its body, B a bodiless GET. */
      request = ladle_test_server_get_request (a, ladle_test_server_get_n_requests (a) - 1);
      g_assert_cmpstr (request->method, ==, "POST");
      g_assert_cmpuint (g_bytes_get_size (request->body), ==, 10);

      g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, n_before + 1);
      request = ladle_test_server_get_request (b, n_before);
      g_assert_cmpstr (request->method, ==, "GET");
      g_assert_cmpuint (g_bytes_get_size (request->body), ==, 0);
      g_assert_null (soup_message_headers_get_one (request->headers, "Content-Type"));
      g_assert_null (soup_message_headers_get_one (request->headers, "Content-Language"));
      g_assert_cmpstr (soup_message_headers_get_one (request->headers, "X-Custom"), ==, "kept");
      g_assert_true (ladle_test_body_has_line (run->body, "body-length 0"));

      redirect_handler_clear (&handler);
    }
}

/* A data task cannot produce the app's body again: a 307/308 after POST is its final response. */
static void
test_post_307_308_final (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  static const guint codes[] = { 307, 308 };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autofree char *target = ladle_test_server_dup_uri (b, "/echo");
      g_autofree char *start = ladle_test_server_dup_redirect_uri (a, codes[i], target);
      g_autoptr(SoupMessage) message = new_post (start);
      g_autoptr(LadleTask) task = LADLE_TASK (ladle_session_create_data_task (session, message));
      RedirectHandler handler = { .answer = TRUE };
      g_autoptr(LadleTestRun) run = NULL;

      g_test_message ("status %u", codes[i]);
      connect_handler (task, &handler);
      run = ladle_test_run (task);

      g_assert_no_error (run->error);
      g_assert_cmpuint (run->status, ==, codes[i]);
      g_assert_cmpuint (run->n_response, ==, 1);
      g_assert_cmpuint (handler.n_calls, ==, 0);
      assert_body_equals (run->body, "redirect body");
      g_assert_true (ladle_task_get_current_request (task) == message);
      redirect_handler_clear (&handler);
    }

  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 0);
}

/* An upload task can produce its bytes body again: 307/308 resend it, same method, same bytes;
 * 301/302/303 after POST become a bodiless GET. */
static GBytes *
upload_body_new (void)
{
  g_autoptr(GByteArray) data = g_byte_array_sized_new (100000);

  for (guint i = 0; i < 100000; i++)
    {
      guint8 byte = (i * 7 + i / 251) & 0xff;

      g_byte_array_append (data, &byte, 1);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static gboolean
on_authenticate_right (LadleTask *task,
                       SoupAuth  *auth,
                       gboolean   retrying,
                       guint     *n_calls)
{
  (*n_calls)++;
  soup_auth_authenticate (auth, LADLE_TEST_USER, LADLE_TEST_PASSWORD);

  return TRUE;
}

static void
test_upload_bytes (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(GBytes) body = upload_body_new ();
  static const struct {
    const char *method;
    guint       code;
    const char *expected;
    const char *path;
  } cases[] = {
    { "POST", 307, "POST", "/echo" },
    { "POST", 308, "POST", "/echo" },
    { "PUT",  307, "PUT",  "/echo" },
    { "PUT",  302, "PUT",  "/echo" },
    { "POST", 301, "GET",  "/echo" },
    { "POST", 302, "GET",  "/echo" },
    { "POST", 303, "GET",  "/echo" },
    { "PUT",  303, "GET",  "/echo" },
    /* After the redirect, B asks for credentials: the body goes out once more. */
    { "POST", 307, "POST", "/basic/upload" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *target = ladle_test_server_dup_uri (b, cases[i].path);
      g_autofree char *start = ladle_test_server_dup_redirect_uri (a, cases[i].code, target);
      g_autoptr(SoupMessage) message = soup_message_new (cases[i].method, start);
      g_autoptr(LadleTask) task = NULL;
      RedirectHandler handler = { .answer = TRUE };
      g_autoptr(LadleTestRun) run = NULL;
      gboolean resent = g_str_equal (cases[i].expected, cases[i].method);
      guint n_before = ladle_test_server_get_n_requests (b);
      guint n_auth = 0;
      LadleTestRequest *request;

      g_test_message ("%s, status %u, to %s", cases[i].method, cases[i].code, cases[i].path);
      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Content-Type", "application/octet-stream");
      task = LADLE_TASK (ladle_session_create_upload_task_from_bytes (session, message, body));
      connect_handler (task, &handler);
      g_signal_connect (task, "authenticate", G_CALLBACK (on_authenticate_right), &n_auth);
      run = ladle_test_run (task);

      g_assert_no_error (run->error);
      g_assert_cmpuint (run->status, ==, 200);
      g_assert_cmpuint (handler.n_calls, ==, 1);
      g_assert_cmpstr (handler.method, ==, cases[i].expected);

      request = ladle_test_server_get_request (a, ladle_test_server_get_n_requests (a) - 1);
      g_assert_cmpstr (request->method, ==, cases[i].method);
      g_assert_true (g_bytes_equal (request->body, body));

      g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, n_before + (n_auth ? 2 : 1));
      for (guint j = n_before; j < ladle_test_server_get_n_requests (b); j++)
        {
          request = ladle_test_server_get_request (b, j);
          g_assert_cmpstr (request->method, ==, cases[i].expected);
          if (resent)
            {
              g_autofree char *length = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (body));

              g_assert_true (g_bytes_equal (request->body, body));
              g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Content-Length"), ==, length);
              g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Content-Type"), ==,
                               "application/octet-stream");
            }
          else
            {
              g_assert_cmpuint (g_bytes_get_size (request->body), ==, 0);
              g_assert_null (soup_message_headers_get_one (request->headers, "Content-Type"));
            }
        }
      g_assert_cmpuint (n_auth, ==, g_str_has_prefix (cases[i].path, "/basic/") ? 1 : 0);
      redirect_handler_clear (&handler);
    }
}

/* The handler edits the hop: a header that the second server echoes, and a different URI. */
static void
test_handler_edits_request (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *target = ladle_test_server_dup_uri (b, "/ok");
  g_autofree char *edited = ladle_test_server_dup_uri (b, "/echo");
  g_autofree char *start = ladle_test_server_dup_redirect_uri (a, 302, target);
  g_autoptr(LadleTask) task = new_task (session, "GET", start);
  RedirectHandler handler = { .answer = TRUE, .add_header = "X-Added: yes", .set_uri = edited };
  g_autoptr(LadleTestRun) run = NULL;
  g_autofree char *current = NULL;
  LadleTestRequest *request;

  connect_handler (task, &handler);
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_cmpstr (handler.uri, ==, target);
  g_assert_true (ladle_test_body_has_line (run->body, "path /echo"));
  g_assert_true (ladle_test_body_has_line (run->body, "header X-Added: yes"));

  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 1);
  request = ladle_test_server_get_request (b, 0);
  g_assert_cmpstr (request->path, ==, "/echo");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "X-Added"), ==, "yes");

  current = g_uri_to_string (soup_message_get_uri (ladle_task_get_current_request (task)));
  g_assert_cmpstr (current, ==, edited);
  redirect_handler_clear (&handler);
}

/* A refused hop: the task completes with the 3xx response, its body, and no error. */
static void
test_handler_refuses (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();

  for (guint i = 0; i < G_N_ELEMENTS (redirect_codes); i++)
    {
      g_autofree char *target = ladle_test_server_dup_uri (b, "/echo");
      g_autofree char *start = ladle_test_server_dup_redirect_uri (a, redirect_codes[i], target);
      g_autoptr(LadleTask) task = new_task (session, "GET", start);
      RedirectHandler handler = { .answer = FALSE };
      g_autoptr(LadleTestRun) run = NULL;
      SoupMessageHeaders *headers;

      g_test_message ("status %u", redirect_codes[i]);
      connect_handler (task, &handler);
      run = ladle_test_run (task);

      g_assert_no_error (run->error);
      g_assert_cmpuint (handler.n_calls, ==, 1);
      g_assert_cmpuint (run->status, ==, redirect_codes[i]);
      g_assert_cmpuint (run->n_response, ==, 1);
      g_assert_cmpuint (run->n_redirect_notify, ==, 0);
      assert_body_equals (run->body, "redirect body");
      headers = ladle_task_get_response_headers (task);
      g_assert_nonnull (headers);
      g_assert_cmpstr (soup_message_headers_get_one (headers, "Location"), ==, target);
      g_assert_true (ladle_task_get_current_request (task) == ladle_task_get_original_request (task));
      redirect_handler_clear (&handler);
    }

  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 0);
}

/* Every handler must accept: one refusal among several wins, whatever the order. */
static void
test_one_refusal_wins (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();

  for (guint order = 0; order < 2; order++)
    {
      g_autofree char *target = ladle_test_server_dup_uri (b, "/echo");
      g_autofree char *start = ladle_test_server_dup_redirect_uri (a, 302, target);
      g_autoptr(LadleTask) task = new_task (session, "GET", start);
      RedirectHandler accept = { .answer = TRUE };
      RedirectHandler refuse = { .answer = FALSE };
      g_autoptr(LadleTestRun) run = NULL;

      connect_handler (task, order == 0 ? &accept : &refuse);
      connect_handler (task, order == 0 ? &refuse : &accept);
      run = ladle_test_run (task);

      g_assert_no_error (run->error);
      g_assert_cmpuint (run->status, ==, 302);
      g_assert_cmpuint (refuse.n_calls, ==, 1);
      redirect_handler_clear (&accept);
      redirect_handler_clear (&refuse);
    }

  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 0);
}

/* A redirect loop ends with LADLE_ERROR_TOO_MANY_REDIRECTS after max-redirects hops. */
static void
test_loop (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *start = ladle_test_server_dup_uri (a, "/loop");
  static const int limits[] = { -1, 3, 0 };
  guint n_requests = 0;

  for (guint i = 0; i < G_N_ELEMENTS (limits); i++)
    {
      g_autoptr(LadleTask) task = new_task (session, "GET", start);
      RedirectHandler handler = { .answer = TRUE };
      g_autoptr(LadleTestRun) run = NULL;
      guint limit;

      if (limits[i] >= 0)
        ladle_task_set_max_redirects (task, limits[i]);
      limit = ladle_task_get_max_redirects (task);
      if (limits[i] < 0)
        g_assert_cmpuint (limit, ==, 20);

      g_test_message ("limit %u", limit);
      connect_handler (task, &handler);
      run = ladle_test_run (task);

      g_assert_error (run->error, LADLE_ERROR, LADLE_ERROR_TOO_MANY_REDIRECTS);
      g_assert_cmpuint (handler.n_calls, ==, limit);
      g_assert_cmpuint (run->n_redirect_notify, ==, limit);
      g_assert_cmpuint (run->n_response, ==, 0);
      n_requests += limit + 1;
      g_assert_cmpuint (ladle_test_server_get_n_requests (a), ==, n_requests);
      redirect_handler_clear (&handler);
    }
}

/* Only http and https: file:// (and others) fail with LADLE_ERROR_UNSUPPORTED_REDIRECT before
 * the handler runs. */
static void
test_unsupported_scheme (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  static const char * const targets[] = {
    "file:///etc/passwd",
    "ftp://127.0.0.1/file",
    "data:text/plain,hello",
    "javascript:alert(1)",
  };

  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      g_autofree char *start = ladle_test_server_dup_redirect_uri (a, 302, targets[i]);
      g_autoptr(LadleTask) task = new_task (session, "GET", start);
      RedirectHandler handler = { .answer = TRUE };
      g_autoptr(LadleTestRun) run = NULL;

      g_test_message ("%s", targets[i]);
      connect_handler (task, &handler);
      run = ladle_test_run (task);

      g_assert_error (run->error, LADLE_ERROR, LADLE_ERROR_UNSUPPORTED_REDIRECT);
      g_assert_cmpuint (handler.n_calls, ==, 0);
      g_assert_cmpuint (run->n_response, ==, 0);
      redirect_handler_clear (&handler);
    }
}

/* What the handler does to a 302 hop that makes the task fail, before the hop is sent. */
typedef struct
{
  const char *set_uri;    /* the handler points the hop here */
  gboolean    cancel;     /* the handler cancels the task */
  GQuark    (*domain) (void);
  int         code;
} HandlerFails;

/* A handler that points the hop to a URI that is not http(s) fails the task the same way. */
static const HandlerFails handler_sets_unsupported_scheme = {
  "ftp://127.0.0.1/file", FALSE, ladle_error_quark, LADLE_ERROR_UNSUPPORTED_REDIRECT,
};
/* Cancelling from inside the handler completes the task once, cancelled. */
static const HandlerFails cancel_in_handler = { NULL, TRUE, g_io_error_quark, G_IO_ERROR_CANCELLED };

static void
test_handler_fails (gconstpointer data)
{
  const HandlerFails *c = data;
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *target = ladle_test_server_dup_uri (b, "/echo");
  g_autofree char *start = ladle_test_server_dup_redirect_uri (a, 302, target);
  g_autoptr(LadleTask) task = new_task (session, "GET", start);
  RedirectHandler handler = { .answer = TRUE, .set_uri = c->set_uri, .cancel = c->cancel };
  g_autoptr(LadleTestRun) run = NULL;

  connect_handler (task, &handler);
  run = ladle_test_run (task);

  g_assert_error (run->error, c->domain (), c->code);
  g_assert_cmpuint (handler.n_calls, ==, 1);
  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 0);
  redirect_handler_clear (&handler);
}

/* A 3xx without Location is a final response. */
static void
test_no_location (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *start = ladle_test_server_dup_uri (a, "/redirect/302");
  g_autoptr(LadleTask) task = new_task (session, "GET", start);
  RedirectHandler handler = { .answer = TRUE };
  g_autoptr(LadleTestRun) run = NULL;

  connect_handler (task, &handler);
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 302);
  g_assert_cmpuint (handler.n_calls, ==, 0);
  assert_body_equals (run->body, "redirect body");
  redirect_handler_clear (&handler);
}

/* A Location with user:password@ never carries those credentials to the next hop. */
static void
test_location_credentials_dropped (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *target = NULL;
  g_autofree char *start = NULL;
  g_autoptr(LadleTask) task = NULL;
  RedirectHandler handler = { .answer = TRUE };
  g_autoptr(LadleTestRun) run = NULL;
  g_autoptr(GUri) uri = NULL;

  target = g_strdup_printf ("http://" LADLE_TEST_USER ":" LADLE_TEST_PASSWORD "@127.0.0.1:%u/basic/echo",
                            ladle_test_server_get_port (b));
  start = ladle_test_server_dup_redirect_uri (a, 302, target);
  task = new_task (session, "GET", start);
  connect_handler (task, &handler);
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 401);
  uri = g_uri_parse (handler.uri, SOUP_HTTP_URI_FLAGS, NULL);
  g_assert_null (g_uri_get_user (uri));
  g_assert_null (g_uri_get_password (uri));
  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 1);
  g_assert_null (soup_message_headers_get_one (ladle_test_server_get_request (b, 0)->headers,
                                               "Authorization"));
  redirect_handler_clear (&handler);
}

/* Credentials across origins */

typedef enum
{
  ORIGIN_PORT,          /* http://127.0.0.1:A -> http://127.0.0.1:B */
  ORIGIN_HOST,          /* http://127.0.0.1:A -> http://localhost:A */
  ORIGIN_SCHEME,        /* https://127.0.0.1:A -> http://127.0.0.1:A (refused by the handler) */
  ORIGIN_DOWNGRADE,     /* https://127.0.0.1:A -> http://127.0.0.1:B */
  ORIGIN_SAME,          /* http://127.0.0.1:A/redirect -> http://127.0.0.1:A/echo */
  ORIGIN_SAME_RELATIVE, /* ... -> Location: /echo */
} OriginChange;

typedef struct
{
  OriginChange  change;
  const char   *header;
  const char   *value;
} CredentialCase;

static gboolean
accept_any_certificate (LadleTask            *task,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors,
                        gpointer              user_data)
{
  return TRUE;
}

static void
test_credentials (gconstpointer data)
{
  const CredentialCase *c = data;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(LadleTestServer) a = NULL;
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTestRun) run = NULL;
  g_autofree char *target = NULL;
  g_autofree char *start = NULL;
  LadleTestServer *second;
  RedirectHandler handler = { .answer = TRUE };
  gboolean kept = c->change == ORIGIN_SAME || c->change == ORIGIN_SAME_RELATIVE;
  LadleTestRequest *request;

  if (c->change == ORIGIN_SCHEME || c->change == ORIGIN_DOWNGRADE)
    certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  a = ladle_test_server_new_tls (certificate);

  switch (c->change)
    {
    case ORIGIN_PORT:
    case ORIGIN_DOWNGRADE:
      target = ladle_test_server_dup_uri (b, "/echo");
      second = b;
      break;
    case ORIGIN_HOST:
      ladle_test_assert_localhost_is_loopback ();
      target = ladle_test_server_dup_uri_for_host (a, "localhost", "/echo");
      second = a;
      break;
    case ORIGIN_SCHEME:
      /* Nothing listens in plain http on A's port: the handler looks at the hop and refuses it. */
      target = g_strdup_printf ("http://127.0.0.1:%u/echo", ladle_test_server_get_port (a));
      handler.answer = FALSE;
      second = NULL;
      break;
    case ORIGIN_SAME:
      target = ladle_test_server_dup_uri (a, "/echo");
      second = a;
      break;
    case ORIGIN_SAME_RELATIVE:
      target = g_strdup ("/echo");
      second = a;
      break;
    default:
      g_assert_not_reached ();
    }

  start = ladle_test_server_dup_redirect_uri (a, 302, target);
  message = soup_message_new ("GET", start);
  soup_message_headers_replace (soup_message_get_request_headers (message), c->header, c->value);
  soup_message_headers_replace (soup_message_get_request_headers (message), "X-Custom", "kept");
  /* The session's cookie jar replaces a Cookie header set by the application: libsoup's own
   * way to send one's own Cookie header is to disable the jar for the request. */
  soup_message_disable_feature (message, SOUP_TYPE_COOKIE_JAR);

  task = LADLE_TASK (ladle_session_create_data_task (session, message));
  connect_handler (task, &handler);
  if (certificate != NULL)
    g_signal_connect (task, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  run = ladle_test_run (task);

  g_assert_no_error (run->error);

  /* A got the header. */
  request = ladle_test_server_get_request (a, 0);
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, c->header), ==, c->value);

  /* The handler saw the hop already cleaned up (or not, on the same origin). */
  g_assert_cmpuint (handler.n_calls, ==, 1);
  if (kept)
    g_assert_cmpstr (soup_message_headers_get_one (handler.headers, c->header), ==, c->value);
  else
    g_assert_null (soup_message_headers_get_one (handler.headers, c->header));
  g_assert_cmpstr (soup_message_headers_get_one (handler.headers, "X-Custom"), ==, "kept");

  if (second == NULL)
    {
      g_assert_cmpuint (run->status, ==, 302);
      redirect_handler_clear (&handler);
      return;
    }

  /* And so did the server of the hop. */
  g_assert_cmpuint (run->status, ==, 200);
  request = ladle_test_server_get_request (second, ladle_test_server_get_n_requests (second) - 1);
  g_assert_cmpstr (request->path, ==, "/echo");
  if (kept)
    g_assert_cmpstr (soup_message_headers_get_one (request->headers, c->header), ==, c->value);
  else
    g_assert_null (soup_message_headers_get_one (request->headers, c->header));
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "X-Custom"), ==, "kept");
  if (c->change == ORIGIN_HOST)
    g_assert_true (g_str_has_prefix (request->host, "localhost:"));

  redirect_handler_clear (&handler);
}

/* The handler may add credentials of its choosing to a cross-origin hop. */
static void
test_handler_adds_credentials (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *target = ladle_test_server_dup_uri (b, "/echo");
  g_autofree char *start = ladle_test_server_dup_redirect_uri (a, 307, target);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", start);
  g_autoptr(LadleTask) task = NULL;
  RedirectHandler handler = { .answer = TRUE, .add_header = "Authorization: Bearer for-b" };
  g_autoptr(LadleTestRun) run = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Authorization", "Bearer for-a");
  task = LADLE_TASK (ladle_session_create_data_task (session, message));
  connect_handler (task, &handler);
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_null (soup_message_headers_get_one (handler.headers, "Authorization"));
  g_assert_cmpstr (soup_message_headers_get_one (ladle_test_server_get_request (b, 0)->headers,
                                                 "Authorization"), ==, "Bearer for-b");
  g_assert_true (ladle_test_body_has_line (run->body, "header Authorization: Bearer for-b"));
  redirect_handler_clear (&handler);
}

/* Several hops: current-request follows each, notified each time. */
static void
test_chain (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleTestServer) b = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *last = ladle_test_server_dup_uri (a, "/echo");
  g_autofree char *third = ladle_test_server_dup_redirect_uri (b, 308, last);
  g_autofree char *second = ladle_test_server_dup_redirect_uri (a, 303, third);
  g_autofree char *start = ladle_test_server_dup_redirect_uri (b, 301, second);
  g_autoptr(LadleTask) task = new_task (session, "GET", start);
  RedirectHandler handler = { .answer = TRUE };
  g_autoptr(LadleTestRun) run = NULL;
  g_autofree char *current = NULL;

  connect_handler (task, &handler);
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_cmpuint (handler.n_calls, ==, 3);
  g_assert_cmpuint (run->n_redirect_notify, ==, 3);
  current = g_uri_to_string (soup_message_get_uri (ladle_task_get_current_request (task)));
  g_assert_cmpstr (current, ==, last);
  g_assert_cmpuint (ladle_test_server_get_n_requests (a), ==, 2);
  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 2);
  redirect_handler_clear (&handler);
}

/* A request that disabled a libsoup feature keeps it disabled on every hop. */
static void
test_disabled_features_follow (void)
{
  g_autoptr(LadleTestServer) a = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *start = ladle_test_server_dup_redirect_uri (a, 302, "/echo");
  g_autoptr(SoupMessage) message = soup_message_new ("GET", start);
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTestRun) run = NULL;

  soup_message_disable_feature (message, SOUP_TYPE_COOKIE_JAR);
  soup_message_disable_feature (message, SOUP_TYPE_CONTENT_DECODER);
  task = LADLE_TASK (ladle_session_create_data_task (session, message));
  run = ladle_test_run (task);

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_true (ladle_task_get_current_request (task) != message);
  g_assert_true (soup_message_is_feature_disabled (ladle_task_get_current_request (task),
                                                   SOUP_TYPE_CONTENT_DECODER));
  g_assert_true (soup_message_is_feature_disabled (ladle_task_get_current_request (task),
                                                   SOUP_TYPE_COOKIE_JAR));
}

static void
add_credential_tests (void)
{
  static const struct {
    OriginChange  change;
    const char   *name;
  } changes[] = {
    { ORIGIN_PORT, "port-change" },
    { ORIGIN_HOST, "host-change" },
    { ORIGIN_SCHEME, "scheme-change" },
    { ORIGIN_DOWNGRADE, "https-to-http" },
    { ORIGIN_SAME, "same-origin" },
    { ORIGIN_SAME_RELATIVE, "same-origin-relative" },
  };
  static const struct {
    const char *header;
    const char *value;
  } headers[] = {
    { "Authorization", "Bearer secret-token" },
    { "Cookie", "session=secret-cookie" },
    { "Proxy-Authorization", "Basic cHJveHk6c2VjcmV0" },
  };

  static CredentialCase cases[G_N_ELEMENTS (changes) * G_N_ELEMENTS (headers)];

  for (guint i = 0; i < G_N_ELEMENTS (changes); i++)
    for (guint j = 0; j < G_N_ELEMENTS (headers); j++)
      {
        CredentialCase *c = &cases[i * G_N_ELEMENTS (headers) + j];
        g_autofree char *path = NULL;

        c->change = changes[i].change;
        c->header = headers[j].header;
        c->value = headers[j].value;
        path = g_strdup_printf ("/Ladle/Redirect/credentials/%s/%s", changes[i].name, c->header);
        g_test_add_data_func (path, c, test_credentials);
      }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (method_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Ladle/Redirect/method/%s/%u", method_cases[i].method,
                                               method_cases[i].code);

      g_test_add_data_func (path, &method_cases[i], test_method);
    }
  g_test_add_func ("/Ladle/Redirect/post-becomes-get", test_post_becomes_get);
  g_test_add_func ("/Ladle/Redirect/post-307-308-final", test_post_307_308_final);
  g_test_add_func ("/Ladle/Redirect/upload-bytes", test_upload_bytes);
  g_test_add_func ("/Ladle/Redirect/handler-edits-request", test_handler_edits_request);
  g_test_add_func ("/Ladle/Redirect/handler-refuses", test_handler_refuses);
  g_test_add_func ("/Ladle/Redirect/one-refusal-wins", test_one_refusal_wins);
  g_test_add_func ("/Ladle/Redirect/loop", test_loop);
  g_test_add_func ("/Ladle/Redirect/unsupported-scheme", test_unsupported_scheme);
  g_test_add_data_func ("/Ladle/Redirect/handler-sets-unsupported-scheme", &handler_sets_unsupported_scheme,
                        test_handler_fails);
  g_test_add_func ("/Ladle/Redirect/no-location", test_no_location);
  g_test_add_data_func ("/Ladle/Redirect/cancel-in-handler", &cancel_in_handler, test_handler_fails);
  g_test_add_func ("/Ladle/Redirect/location-credentials-dropped", test_location_credentials_dropped);
  g_test_add_func ("/Ladle/Redirect/handler-adds-credentials", test_handler_adds_credentials);
  g_test_add_func ("/Ladle/Redirect/chain", test_chain);
  g_test_add_func ("/Ladle/Redirect/disabled-features-follow", test_disabled_features_follow);
  add_credential_tests ();

  status = g_test_run ();
  ladle_test_certs_cleanup ();

  return status;
}
