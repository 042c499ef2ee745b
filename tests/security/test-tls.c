/* test-tls.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * TLS trust: ::accept-certificate on the task, then on the session; the default is to reject;
 * a certificate one task accepted is never trusted silently for another task; the
 * configuration's TLS database is honoured. Certificates are made by openssl at test time.
 *
 * The same program runs the tests over HTTP/1.1 and, when built as test-http2 (HTTP2 defined),
 * against servers that speak HTTP/2 (SOUP_SERVER_HTTP2=1, negotiated with ALPN), checking that
 * every response really came over HTTP/2.
 */

#include "ladle-test.h"

#include <string.h>

#ifdef HTTP2
# define PREFIX        "/Ladle/Tls/http2"
# define HTTP_VERSION  SOUP_HTTP_2_0
#else
# define PREFIX        "/Ladle/Tls"
# define HTTP_VERSION  SOUP_HTTP_1_1
#endif

typedef struct
{
  guint                 n_calls;
  GString              *order;
  GTlsCertificate      *pinned;      /* accept only this one; NULL: answer `answer` */
  gboolean              answer;
  GTlsCertificateFlags  errors;
  GTlsCertificate      *seen;
  LadleTask            *task_seen;
} CertHandler;

static gboolean
decide (CertHandler          *handler,
        GTlsCertificate      *certificate,
        GTlsCertificateFlags  errors)
{
  handler->n_calls++;
  handler->errors = errors;
  g_set_object (&handler->seen, certificate);

  if (handler->pinned != NULL)
    return g_tls_certificate_is_same (handler->pinned, certificate);

  return handler->answer;
}

static gboolean
on_task_accept_certificate (LadleTask            *task,
                            GTlsCertificate      *certificate,
                            GTlsCertificateFlags  errors,
                            CertHandler          *handler)
{
  if (handler->order != NULL)
    g_string_append_c (handler->order, 't');

  return decide (handler, certificate, errors);
}

static gboolean
on_session_accept_certificate (LadleSession         *session,
                               LadleTask            *task,
                               GTlsCertificate      *certificate,
                               GTlsCertificateFlags  errors,
                               CertHandler          *handler)
{
  if (handler->order != NULL)
    g_string_append_c (handler->order, 's');
  handler->task_seen = task;

  return decide (handler, certificate, errors);
}

static void
cert_handler_clear (CertHandler *handler)
{
  g_clear_object (&handler->seen);
  g_clear_object (&handler->pinned);
}

static LadleTask *
new_task (LadleSession   *session,
          LadleTestServer *server,
          const char     *host,
          const char     *path)
{
  g_autofree char *uri = ladle_test_server_dup_uri_for_host (server, host, path);

  return LADLE_TASK (ladle_session_create_data_task_for_uri (session, uri));
}

static LadleTask *
new_task_with_handler (LadleSession   *session,
                       LadleTestServer *server,
                       const char     *path,
                       CertHandler    *handler)
{
  LadleTask *task = new_task (session, server, "127.0.0.1", path);

  if (handler != NULL)
    g_signal_connect (task, "accept-certificate", G_CALLBACK (on_task_accept_certificate), handler);

  return task;
}

static void
assert_rejected (LadleTestRun *run)
{
  g_assert_error (run->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_cmpuint (run->status, ==, 0);
  g_assert_cmpuint (run->n_response, ==, 0);
}

static void
assert_ok (LadleTestRun *run)
{
  g_assert_no_error (run->error);
  g_assert_cmpuint (run->status, ==, 200);
  g_assert_cmpint (soup_message_get_http_version (ladle_task_get_current_request (run->task)), ==,
                   HTTP_VERSION);
}

/* No handler: an untrusted certificate fails the task with the TLS error. */
static void
test_no_handler (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(LadleTask) task = new_task (session, server, "127.0.0.1", "/ok");
  g_autoptr(LadleTestRun) run = ladle_test_run (task);

  assert_rejected (run);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 0);
}

/* A handler that accepts: it is given the server's certificate and why it is not trusted. */
static void
test_accept (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  CertHandler handler = { .answer = TRUE };
  g_autoptr(LadleTask) task = new_task_with_handler (session, server, "/echo", &handler);
  g_autoptr(LadleTestRun) run = ladle_test_run (task);

  assert_ok (run);
  g_assert_cmpuint (handler.n_calls, >=, 1);
  g_assert_true (g_tls_certificate_is_same (handler.seen, certificate));
  g_assert_true (handler.errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 1);
  g_assert_cmpint (ladle_test_server_get_request (server, 0)->http_version, ==, HTTP_VERSION);
  cert_handler_clear (&handler);
}

/* A handler that refuses. */
static void
test_reject (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  CertHandler handler = { .answer = FALSE };
  g_autoptr(LadleTask) task = new_task_with_handler (session, server, "/ok", &handler);
  g_autoptr(LadleTestRun) run = ladle_test_run (task);

  assert_rejected (run);
  g_assert_cmpuint (handler.n_calls, ==, 1);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 0);
  cert_handler_clear (&handler);
}

/* Task A accepts; task B to the same server, without a handler, still fails; task C with a
 * handler is asked again. */
static void
test_accepted_for_one_task_only (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  CertHandler handler_a = { .answer = TRUE };
  CertHandler handler_c = { .answer = TRUE };
  g_autoptr(LadleTask) a = new_task_with_handler (session, server, "/ok", &handler_a);
  g_autoptr(LadleTask) b = new_task_with_handler (session, server, "/ok", NULL);
  g_autoptr(LadleTask) c = new_task_with_handler (session, server, "/ok", &handler_c);
  g_autoptr(LadleTestRun) run_a = NULL;
  g_autoptr(LadleTestRun) run_b = NULL;
  g_autoptr(LadleTestRun) run_c = NULL;

  run_a = ladle_test_run (a);
  assert_ok (run_a);

  run_b = ladle_test_run (b);
  assert_rejected (run_b);

  run_c = ladle_test_run (c);
  assert_ok (run_c);
  g_assert_cmpuint (handler_c.n_calls, >=, 1);

  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 2);
  cert_handler_clear (&handler_a);
  cert_handler_clear (&handler_c);
}

/* The same while A is still in flight (held by the server), so that its connection is busy
 * (HTTP/1.1) or could carry B too (HTTP/2). */
static void
test_accepted_for_one_task_only_concurrent (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  CertHandler handler_a = { .answer = TRUE };
  g_autoptr(LadleTask) a = new_task_with_handler (session, server, "/hold", &handler_a);
  g_autoptr(LadleTask) b = new_task_with_handler (session, server, "/ok", NULL);
  g_autoptr(LadleTestRun) run_a = ladle_test_run_new (a);
  g_autoptr(LadleTestRun) run_b = NULL;

  ladle_task_resume (a);
  ladle_test_server_wait_for_held (server);

  run_b = ladle_test_run (b);
  assert_rejected (run_b);

  g_assert_false (run_a->done);
  ladle_test_server_release (server);
  ladle_test_run_wait (run_a);
  assert_ok (run_a);
  g_assert_cmpmem (g_bytes_get_data (run_a->body, NULL), g_bytes_get_size (run_a->body), "held", 4);
  cert_handler_clear (&handler_a);
}

/* A pinned certificate: accepted when it is the server's, refused otherwise. */
static void
test_pinned (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(GError) error = NULL;
  CertHandler right = { 0 };
  CertHandler wrong = { 0 };
  g_autoptr(LadleTask) task_right = NULL;
  g_autoptr(LadleTask) task_wrong = NULL;
  g_autoptr(LadleTestRun) run_right = NULL;
  g_autoptr(LadleTestRun) run_wrong = NULL;

  /* Pins are public certificates only, as an application ships them. */
  right.pinned = g_tls_certificate_new_from_file (ladle_test_cert_file (LADLE_TEST_CERT_SELF_SIGNED), &error);
  g_assert_no_error (error);
  wrong.pinned = g_tls_certificate_new_from_file (ladle_test_cert_file (LADLE_TEST_CERT_OTHER), &error);
  g_assert_no_error (error);

  task_wrong = new_task_with_handler (session, server, "/ok", &wrong);
  run_wrong = ladle_test_run (task_wrong);
  assert_rejected (run_wrong);
  g_assert_cmpuint (wrong.n_calls, ==, 1);

  task_right = new_task_with_handler (session, server, "/ok", &right);
  run_right = ladle_test_run (task_right);
  assert_ok (run_right);
  g_assert_cmpuint (right.n_calls, >=, 1);

  cert_handler_clear (&right);
  cert_handler_clear (&wrong);
}

/* The session's handler is asked when the task's does not accept; it is told the task. */
static void
test_session_handler (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autoptr(GString) order = g_string_new (NULL);
  CertHandler task_handler = { .answer = FALSE, .order = order };
  CertHandler session_handler = { .answer = TRUE, .order = order };
  g_autoptr(LadleTask) task = new_task_with_handler (session, server, "/ok", &task_handler);
  g_autoptr(LadleTestRun) run = NULL;

  g_signal_connect (session, "accept-certificate", G_CALLBACK (on_session_accept_certificate),
                    &session_handler);
  run = ladle_test_run (task);

  assert_ok (run);
  g_assert_true (g_str_has_prefix (order->str, "ts"));
  g_assert_true (session_handler.task_seen == task);
  g_assert_true (g_tls_certificate_is_same (session_handler.seen, certificate));
  cert_handler_clear (&task_handler);
  cert_handler_clear (&session_handler);
}

/* A session handler that refuses, with no task handler: rejected. */
static void
test_session_handler_rejects (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  CertHandler session_handler = { .answer = FALSE };
  g_autoptr(LadleTask) task = new_task_with_handler (session, server, "/ok", NULL);
  g_autoptr(LadleTestRun) run = NULL;

  g_signal_connect (session, "accept-certificate", G_CALLBACK (on_session_accept_certificate),
                    &session_handler);
  run = ladle_test_run (task);

  assert_rejected (run);
  g_assert_cmpuint (session_handler.n_calls, ==, 1);
  cert_handler_clear (&session_handler);
}

/* The configuration's TLS database trusts a test CA: its leaf is accepted without any handler,
 * by IP and by name; without that database the same server is rejected. */
static void
test_tls_database (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_LEAF);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ladle_test_ca_file (), &error);
  g_autoptr(LadleSession) trusting = NULL;
  g_autoptr(LadleSession) plain = ladle_test_session_new ();
  CertHandler task_handler = { .answer = FALSE };
  CertHandler session_handler = { .answer = FALSE };
  static const char * const hosts[] = { "127.0.0.1", "localhost" };

  g_assert_no_error (error);
  trusting = ladle_test_session_new_with_tls_database (database);
  g_signal_connect (trusting, "accept-certificate", G_CALLBACK (on_session_accept_certificate),
                    &session_handler);

  ladle_test_assert_localhost_is_loopback ();
  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autoptr(LadleTask) task = new_task (trusting, server, hosts[i], "/echo");
      g_autoptr(LadleTestRun) run = NULL;

      g_signal_connect (task, "accept-certificate", G_CALLBACK (on_task_accept_certificate), &task_handler);
      run = ladle_test_run (task);
      assert_ok (run);
    }
  g_assert_cmpuint (task_handler.n_calls, ==, 0);
  g_assert_cmpuint (session_handler.n_calls, ==, 0);

  {
    g_autoptr(LadleTask) task = new_task (plain, server, "127.0.0.1", "/ok");
    g_autoptr(LadleTestRun) run = ladle_test_run (task);

    assert_rejected (run);
  }

  cert_handler_clear (&task_handler);
  cert_handler_clear (&session_handler);
}

/* The database trusts its CA only: a self-signed certificate is still rejected. */
static void
test_tls_database_other_server (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ladle_test_ca_file (), &error);
  g_autoptr(LadleSession) session = NULL;
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTestRun) run = NULL;

  g_assert_no_error (error);
  session = ladle_test_session_new_with_tls_database (database);
  task = new_task (session, server, "127.0.0.1", "/ok");
  run = ladle_test_run (task);

  assert_rejected (run);
}

/* A redirect from plain http to an untrusted https server: the hop is checked like any request. */
static void
test_redirect_to_untrusted (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) secure = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleTestServer) plain = ladle_test_server_new ();
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *target = ladle_test_server_dup_uri (secure, "/echo");
  g_autofree char *start = ladle_test_server_dup_redirect_uri (plain, 302, target);
  CertHandler handler = { .answer = TRUE };
  g_autoptr(LadleTask) rejected = LADLE_TASK (ladle_session_create_data_task_for_uri (session, start));
  g_autoptr(LadleTask) accepted = LADLE_TASK (ladle_session_create_data_task_for_uri (session, start));
  g_autoptr(LadleTestRun) rejected_run = NULL;
  g_autoptr(LadleTestRun) accepted_run = NULL;

  rejected_run = ladle_test_run (rejected);
  assert_rejected (rejected_run);

  g_signal_connect (accepted, "accept-certificate", G_CALLBACK (on_task_accept_certificate), &handler);
  accepted_run = ladle_test_run (accepted);
  assert_ok (accepted_run);
  g_assert_cmpuint (handler.n_calls, >=, 1);
  cert_handler_clear (&handler);
}

/* A task that accepted the certificate follows a same-origin redirect on it; a later task
 * without a handler is still refused on that origin. */
static void
test_accept_then_redirect (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *start = ladle_test_server_dup_redirect_uri (server, 302, "/echo");
  CertHandler handler = { .answer = TRUE };
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTask) later = NULL;
  g_autoptr(LadleTestRun) run = NULL;
  g_autoptr(LadleTestRun) later_run = NULL;

  task = LADLE_TASK (ladle_session_create_data_task_for_uri (session, start));
  g_signal_connect (task, "accept-certificate", G_CALLBACK (on_task_accept_certificate), &handler);
  run = ladle_test_run (task);
  assert_ok (run);
  g_assert_true (ladle_test_body_has_line (run->body, "path /echo"));

  later = LADLE_TASK (ladle_session_create_data_task_for_uri (session, start));
  later_run = ladle_test_run (later);
  assert_rejected (later_run);
  cert_handler_clear (&handler);
}

/* Signals other than TLS still work over the connection: Basic auth, wrong then right. */

static gboolean
on_authenticate (LadleTask *task,
                 SoupAuth  *auth,
                 gboolean   retrying,
                 guint     *n_calls)
{
  (*n_calls)++;
  g_assert_true (retrying == (*n_calls > 1));
  soup_auth_authenticate (auth, LADLE_TEST_USER, retrying ? LADLE_TEST_PASSWORD : "wrong");

  return TRUE;
}

static void
test_auth_over_tls (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  CertHandler handler = { .answer = TRUE };
  g_autoptr(LadleTask) task = new_task_with_handler (session, server, "/basic/resource", &handler);
  g_autoptr(LadleTestRun) run = NULL;
  guint n_auth = 0;

  g_signal_connect (task, "authenticate", G_CALLBACK (on_authenticate), &n_auth);
  run = ladle_test_run (task);

  assert_ok (run);
  g_assert_cmpuint (n_auth, ==, 2);
  g_assert_true (ladle_test_body_has_line (run->body, "path /basic/resource"));
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (ladle_test_server_get_request (server, i)->http_version, ==, HTTP_VERSION);
  cert_handler_clear (&handler);
}

/* A task that accepted a certificate is not asked again about it: not for a redirect hop to the
 * same server, not for an authentication retry (each may run on a new connection). */
static void
test_asked_once_per_task (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) server = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *start = ladle_test_server_dup_redirect_uri (server, 302, "/basic/resource");
  CertHandler handler = { .answer = TRUE };
  g_autoptr(LadleTask) task = LADLE_TASK (ladle_session_create_data_task_for_uri (session, start));
  g_autoptr(LadleTestRun) run = NULL;
  guint n_auth = 0;

  g_signal_connect (task, "accept-certificate", G_CALLBACK (on_task_accept_certificate), &handler);
  g_signal_connect (task, "authenticate", G_CALLBACK (on_authenticate), &n_auth);
  run = ladle_test_run (task);

  assert_ok (run);
  g_assert_cmpuint (n_auth, ==, 2);
  g_assert_cmpuint (ladle_test_server_get_n_requests (server), ==, 4);
  g_assert_cmpuint (handler.n_calls, ==, 1);
  cert_handler_clear (&handler);
}

/* Redirects over TLS, with credentials: kept on the same origin, stripped toward another
 * server (a second port, also TLS). */
static gboolean
on_redirect_count (LadleTask   *task,
                   SoupMessage *new_request,
                   guint       *n_calls)
{
  (*n_calls)++;

  return TRUE;
}

static void
test_redirect_over_tls (void)
{
  g_autoptr(GTlsCertificate) certificate = ladle_test_cert_load (LADLE_TEST_CERT_SELF_SIGNED);
  g_autoptr(LadleTestServer) a = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleTestServer) b = ladle_test_server_new_tls (certificate);
  g_autoptr(LadleSession) session = ladle_test_session_new ();
  g_autofree char *target = ladle_test_server_dup_uri (b, "/echo");
  g_autofree char *escaped = g_uri_escape_string (target, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/redirect/307?to=%s", escaped);
  g_autofree char *start = ladle_test_server_dup_uri (a, path);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", start);
  CertHandler handler = { .answer = TRUE };
  g_autoptr(LadleTask) task = NULL;
  g_autoptr(LadleTestRun) run = NULL;
  guint n_redirects = 0;
  LadleTestRequest *request;

  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Authorization", "Bearer for-a");
  task = LADLE_TASK (ladle_session_create_data_task (session, message));
  g_signal_connect (task, "accept-certificate", G_CALLBACK (on_task_accept_certificate), &handler);
  g_signal_connect (task, "redirect", G_CALLBACK (on_redirect_count), &n_redirects);
  run = ladle_test_run (task);

  assert_ok (run);
  g_assert_cmpuint (n_redirects, ==, 1);
  g_assert_cmpuint (ladle_test_server_get_n_requests (b), ==, 1);
  request = ladle_test_server_get_request (b, 0);
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));
  g_assert_cmpint (request->http_version, ==, HTTP_VERSION);
  g_assert_cmpstr (soup_message_headers_get_one (ladle_test_server_get_request (a, 0)->headers,
                                                 "Authorization"), ==, "Bearer for-a");
  cert_handler_clear (&handler);
}

int
main (int   argc,
      char *argv[])
{
  int status;

#ifdef HTTP2
  /* Read by each SoupServer when it is created: every test server here speaks HTTP/2. */
  g_setenv ("SOUP_SERVER_HTTP2", "1", TRUE);
#endif

  g_test_init (&argc, &argv, NULL);

  g_test_add_func (PREFIX "/no-handler", test_no_handler);
  g_test_add_func (PREFIX "/accept", test_accept);
  g_test_add_func (PREFIX "/reject", test_reject);
  g_test_add_func (PREFIX "/accepted-for-one-task-only", test_accepted_for_one_task_only);
  g_test_add_func (PREFIX "/accepted-for-one-task-only-concurrent", test_accepted_for_one_task_only_concurrent);
  g_test_add_func (PREFIX "/pinned", test_pinned);
  g_test_add_func (PREFIX "/session-handler", test_session_handler);
  g_test_add_func (PREFIX "/session-handler-rejects", test_session_handler_rejects);
  g_test_add_func (PREFIX "/tls-database", test_tls_database);
  g_test_add_func (PREFIX "/tls-database-other-server", test_tls_database_other_server);
  g_test_add_func (PREFIX "/redirect-to-untrusted", test_redirect_to_untrusted);
  g_test_add_func (PREFIX "/accept-then-redirect", test_accept_then_redirect);
  g_test_add_func (PREFIX "/auth", test_auth_over_tls);
  g_test_add_func (PREFIX "/redirect", test_redirect_over_tls);
  g_test_add_func (PREFIX "/asked-once-per-task", test_asked_once_per_task);

  status = g_test_run ();
  ladle_test_certs_cleanup ();

  return status;
}
