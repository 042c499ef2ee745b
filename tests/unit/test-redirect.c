/* test-redirect.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The redirect rules without a server: each redirect response comes from a canned peer that
 * writes fixed bytes on an abstract Unix socket (libsoup offers no other way to put a response
 * into a SoupMessage), so the URIs can name any host and nothing touches the network. */

#include <string.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <libsoup/soup.h>

#include "ladle-error.h"
#include "ladle-redirect-private.h"

/* The canned peer */

typedef struct
{
  GSocket    *listener;
  const char *response;
  gsize       response_length;
  GString    *request;
} Peer;

/* Whether @request holds a whole request: its head and the body the head announces. */
static gboolean
request_complete (GString *request)
{
  const char *end = strstr (request->str, "\r\n\r\n");
  g_autofree char *head = NULL;
  const char *length;
  gsize body_length;

  if (end == NULL)
    return FALSE;

  head = g_ascii_strdown (request->str, end + 2 - request->str);
  body_length = request->len - (end + 4 - request->str);
  length = strstr (head, "\r\ncontent-length:");
  if (length != NULL)
    return body_length >= g_ascii_strtoull (length + strlen ("\r\ncontent-length:"), NULL, 10);
  if (strstr (head, "\r\ntransfer-encoding: chunked") != NULL)
    return g_str_has_suffix (request->str, "\r\n0\r\n\r\n");

  return TRUE;
}

static gpointer
peer_run (gpointer data)
{
  Peer *peer = data;
  g_autoptr(GSocket) connection = NULL;
  g_autoptr(GError) error = NULL;
  gsize written = 0;

  connection = g_socket_accept (peer->listener, NULL, &error);
  g_assert_no_error (error);

  while (!request_complete (peer->request))
    {
      char buffer[4096];
      gssize n = g_socket_receive (connection, buffer, sizeof buffer, NULL, &error);

      g_assert_no_error (error);
      if (n == 0)
        break;
      g_string_append_len (peer->request, buffer, n);
    }

  while (written < peer->response_length)
    {
      gssize n = g_socket_send (connection, peer->response + written,
                                peer->response_length - written, NULL, &error);

      g_assert_no_error (error);
      written += n;
    }

  g_socket_close (connection, &error);
  g_assert_no_error (error);

  return NULL;
}

/* Sends @message to a peer that answers @response (a whole HTTP response) whatever the request
 * was; @message then holds the response, as when Ladle's send_cb() looks at it. Returns the
 * request the peer received. */
static char *
exchange (SoupMessage *message,
          const char  *response)
{
  static guint counter;
  g_autofree char *name = g_strdup_printf ("ladle-unit-redirect-%d-%u", (int) getpid (), counter++);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) rest = NULL;
  GThread *thread;
  Peer peer;

  address = g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                           &error);
  g_assert_no_error (error);
  g_socket_bind (listener, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);

  peer.listener = listener;
  peer.response = response;
  peer.response_length = strlen (response);
  peer.request = g_string_new (NULL);
  thread = g_thread_new ("canned-peer", peer_run, &peer);

  /* Ladle sends every message with NO_REDIRECT and follows the redirects itself. */
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  session = soup_session_new_with_options ("remote-connectable", address,
                                           "proxy-resolver", NULL,
                                           "timeout", 30,
                                           NULL);
  stream = soup_session_send (session, message, NULL, &error);
  g_assert_no_error (error);
  rest = g_input_stream_read_bytes (stream, 4096, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_close (stream, NULL, &error);
  g_assert_no_error (error);

  g_thread_join (thread);

  return g_string_free (peer.request, FALSE);
}

static char *
redirect_response (guint       status,
                   const char *location)
{
  return g_strdup_printf ("HTTP/1.1 %u Redirect\r\n"
                          "%s%s%s"
                          "Content-Length: 0\r\n"
                          "Connection: close\r\n"
                          "\r\n",
                          status,
                          location != NULL ? "Location: " : "",
                          location != NULL ? location : "",
                          location != NULL ? "\r\n" : "");
}

/* A message to @uri that got a @status redirect to @location. */
static SoupMessage *
redirected_message (const char *method,
                    const char *uri,
                    guint       status,
                    const char *location)
{
  g_autofree char *response = redirect_response (status, location);
  g_autofree char *request = NULL;
  SoupMessage *message = soup_message_new (method, uri);

  g_assert_nonnull (message);
  request = exchange (message, response);
  g_assert_cmpuint (soup_message_get_status (message), ==, status);

  return message;
}

static char *
message_uri (SoupMessage *message)
{
  return g_uri_to_string (soup_message_get_uri (message));
}

/* Status */

static void
test_redirect_status (void)
{
  static const struct
  {
    guint    status;
    gboolean redirect;
  } cases[] = {
    { 301, TRUE }, { 302, TRUE }, { 303, TRUE }, { 307, TRUE }, { 308, TRUE },
    /* 300 has no single target, 304 is a cache answer, 305 and 306 are not to be followed. */
    { 300, FALSE }, { 304, FALSE }, { 305, FALSE }, { 306, FALSE }, { 309, FALSE },
    { 0, FALSE }, { 200, FALSE }, { 201, FALSE }, { 299, FALSE }, { 399, FALSE },
    { 401, FALSE }, { 1301, FALSE }, { 301 + 256, FALSE }, { G_MAXUINT, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (_ladle_redirect_is_redirect_status (cases[i].status), ==, cases[i].redirect);
}

/* Methods and bodies */

typedef enum
{
  BODY_NONE,
  BODY_LENGTH,    /* Content-Length: 3 */
  BODY_CHUNKED,   /* a stream of unknown length */
} BodyKind;

typedef struct
{
  const char *method;
  guint       status;
  BodyKind    body;
  gboolean    can_resend_body;
  const char *next_method;    /* NULL: the response is delivered as it is */
  gboolean    body_headers;   /* the next hop keeps Content-Type and the framing headers */
} MethodCase;

static const MethodCase method_cases[] = {
  /* method    status body          resend next       body headers */
  { "GET",     301, BODY_NONE,    FALSE, "GET",     FALSE },
  { "GET",     302, BODY_NONE,    FALSE, "GET",     FALSE },
  { "GET",     303, BODY_NONE,    FALSE, "GET",     FALSE },
  { "GET",     307, BODY_NONE,    FALSE, "GET",     FALSE },
  { "GET",     308, BODY_NONE,    FALSE, "GET",     FALSE },
  { "HEAD",    301, BODY_NONE,    FALSE, "HEAD",    FALSE },
  { "HEAD",    303, BODY_NONE,    FALSE, "HEAD",    FALSE },
  { "HEAD",    307, BODY_NONE,    FALSE, "HEAD",    FALSE },

  /* 301 and 302 after POST, and 303 after anything but GET and HEAD, become GET. */
  { "POST",    301, BODY_LENGTH,  FALSE, "GET",     FALSE },
  { "POST",    302, BODY_LENGTH,  FALSE, "GET",     FALSE },
  { "POST",    303, BODY_LENGTH,  FALSE, "GET",     FALSE },
  { "POST",    302, BODY_CHUNKED, FALSE, "GET",     FALSE },
  { "PUT",     303, BODY_LENGTH,  FALSE, "GET",     FALSE },
  { "PATCH",   303, BODY_LENGTH,  TRUE,  "GET",     FALSE },
  { "DELETE",  303, BODY_NONE,    FALSE, "GET",     FALSE },
  { "OPTIONS", 303, BODY_NONE,    FALSE, "GET",     FALSE },

  /* 307 and 308 keep the method and the body, if the body can be sent again. */
  { "POST",    307, BODY_LENGTH,  TRUE,  "POST",    TRUE },
  { "POST",    308, BODY_LENGTH,  TRUE,  "POST",    TRUE },
  { "PUT",     307, BODY_LENGTH,  TRUE,  "PUT",     TRUE },
  { "POST",    307, BODY_LENGTH,  FALSE, NULL,      FALSE },
  { "POST",    308, BODY_LENGTH,  FALSE, NULL,      FALSE },
  { "PUT",     308, BODY_LENGTH,  FALSE, NULL,      FALSE },
  { "POST",    307, BODY_CHUNKED, TRUE,  "POST",    TRUE },
  /* The rule (as ladle-task.c had it) asks for a Content-Length other than 0, which a chunked
   * body does not have: such a body is followed even when it cannot be resent. Pinned here so
   * that a change of the rule is a deliberate one. */
  { "POST",    307, BODY_CHUNKED, FALSE, "POST",    TRUE },
  /* No body, nothing to resend. */
  { "POST",    307, BODY_NONE,    FALSE, "POST",    FALSE },
  { "DELETE",  308, BODY_NONE,    FALSE, "DELETE",  FALSE },

  /* 301 and 302 keep other methods, and so their body. */
  { "PUT",     301, BODY_LENGTH,  TRUE,  "PUT",     TRUE },
  { "PUT",     302, BODY_LENGTH,  TRUE,  "PUT",     TRUE },
  { "PUT",     301, BODY_LENGTH,  FALSE, NULL,      FALSE },
  { "DELETE",  302, BODY_NONE,    FALSE, "DELETE",  FALSE },
};

static void
test_method (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (method_cases); i++)
    {
      const MethodCase *test = &method_cases[i];
      g_autoptr(SoupMessage) message = soup_message_new (test->method, "http://example.com/form");
      g_autofree char *response = redirect_response (test->status, "/next");
      g_autofree char *request = NULL;
      g_autoptr(SoupMessage) next = NULL;
      g_autoptr(GError) error = NULL;
      SoupMessageHeaders *headers;

      g_test_message ("%s %u body %d resend %d", test->method, test->status, test->body,
                      test->can_resend_body);

      soup_message_headers_append (soup_message_get_request_headers (message),
                                   "Content-Language", "en");
      soup_message_headers_append (soup_message_get_request_headers (message), "X-Kept", "1");
      if (test->body == BODY_LENGTH)
        {
          g_autoptr(GBytes) body = g_bytes_new_static ("abc", 3);

          soup_message_set_request_body_from_bytes (message, "text/plain", body);
        }
      else if (test->body == BODY_CHUNKED)
        {
          g_autoptr(GInputStream) body = g_memory_input_stream_new_from_data ("abc", 3, NULL);

          soup_message_set_request_body (message, "text/plain", body, -1);
        }

      request = exchange (message, response);
      /* The body went out, as the test means it. */
      if (test->body == BODY_LENGTH)
        g_assert_true (g_str_has_suffix (request, "\r\n\r\nabc"));
      else if (test->body == BODY_CHUNKED)
        g_assert_true (g_str_has_suffix (request, "\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));

      next = _ladle_redirect_build_next (message, 0, 20, test->can_resend_body, &error);
      g_assert_no_error (error);
      if (test->next_method == NULL)
        {
          g_assert_null (next);
          continue;
        }

      g_assert_nonnull (next);
      g_assert_cmpstr (soup_message_get_method (next), ==, test->next_method);
      headers = soup_message_get_request_headers (next);
      g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Kept"), ==, "1");
      if (test->body_headers)
        {
          g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Type"), ==, "text/plain");
          g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Language"), ==, "en");
          if (test->body == BODY_LENGTH)
            g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Length"), ==, "3");
          else
            g_assert_cmpstr (soup_message_headers_get_one (headers, "Transfer-Encoding"), ==, "chunked");
        }
      else
        {
          g_assert_null (soup_message_headers_get_one (headers, "Content-Type"));
          g_assert_null (soup_message_headers_get_one (headers, "Transfer-Encoding"));
          /* A GET that lost its body keeps no trace of it; a bodiless request had none. */
          if (test->body != BODY_NONE)
            {
              g_assert_null (soup_message_headers_get_one (headers, "Content-Language"));
              g_assert_null (soup_message_headers_get_one (headers, "Content-Length"));
            }
        }
    }
}

/* Locations */

typedef struct
{
  const char *location;    /* NULL: no Location header */
  const char *next;        /* the next hop's URI, or NULL */
  int         error_code;  /* -1: no error */
} LocationCase;

/* From http://example.com/dir/page?old */
static const LocationCase location_cases[] = {
  { "/next", "http://example.com/next", -1 },
  { "next", "http://example.com/dir/next", -1 },
  { "../up", "http://example.com/up", -1 },
  { "?q=1", "http://example.com/dir/page?q=1", -1 },
  { "http://example.com:8080/x", "http://example.com:8080/x", -1 },
  { "https://example.com/", "https://example.com/", -1 },
  { "HTTPS://Other.Example/", "https://Other.Example/", -1 },
  /* Scheme-relative: another host, the same scheme. */
  { "//evil.example/x", "http://evil.example/x", -1 },
  { "//evil.example:81", "http://evil.example:81/", -1 },
  /* Credentials are dropped from the target, wherever it is. */
  { "http://user:secret@evil.example/x", "http://evil.example/x", -1 },
  { "http://user@example.com/x", "http://example.com/x", -1 },
  { "//user:secret@evil.example/", "http://evil.example/", -1 },
  { "https://:secret@example.com/", "https://example.com/", -1 },
  /* "@" in the path or query is not userinfo. */
  { "/a@b", "http://example.com/a@b", -1 },
  /* Encoded bytes are kept as the server wrote them. */
  { "/a%20b?c=%2F", "http://example.com/a%20b?c=%2F", -1 },
  { "http://[::1]:8080/v6", "http://[::1]:8080/v6", -1 },
  /* The Location's own fragment is kept (it is never sent). */
  { "/next#part", "http://example.com/next#part", -1 },
  { "#part", "http://example.com/dir/page?old#part", -1 },

  /* No target: the response is the application's. */
  { NULL, NULL, -1 },
  { "", NULL, -1 },
  { "   ", NULL, -1 },

  /* Not http or https. */
  { "javascript:alert(1)", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "JavaScript:alert(document.cookie)", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "file:///etc/passwd", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "ftp://example.com/file", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "data:text/html,<script>alert(1)</script>", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "ws://example.com/socket", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "about:blank", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "mailto:someone@example.com", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "http:///no-host", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "https://", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },

  /* Not a URI. */
  { "http://[::1/", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "http://example.com:99999/", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "http://example.com:port/", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },
  { "http://ex\xffmple.com/", NULL, LADLE_ERROR_UNSUPPORTED_REDIRECT },

  /* What GLib repairs: spaces and bytes in a path are percent-encoded, and stay on the host. */
  { "/a b", "http://example.com/a%20b", -1 },
  { "/caf\xc3\xa9", "http://example.com/caf%C3%A9", -1 },
  /* libsoup hands invalid UTF-8 in a header over as U+FFFD. */
  { "/caf\xff", "http://example.com/caf%EF%BF%BD", -1 },
  { "\\\\evil.example/x", "http://example.com/dir/\\\\evil.example/x", -1 },
  /* A host with a space is taken as it is: nothing checks it before its lookup fails. */
  { "http://exa mple.com/", "http://exa%20mple.com/", -1 },
};

static void
test_location (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (location_cases); i++)
    {
      const LocationCase *test = &location_cases[i];
      g_autoptr(SoupMessage) message = NULL;
      g_autoptr(SoupMessage) next = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *escaped = test->location != NULL ? g_strescape (test->location, NULL) : NULL;

      g_test_message ("Location: %s", escaped != NULL ? escaped : "(none)");
      message = redirected_message ("GET", "http://example.com/dir/page?old", 302, test->location);
      next = _ladle_redirect_build_next (message, 0, 20, FALSE, &error);

      if (test->error_code != -1)
        {
          g_assert_error (error, LADLE_ERROR, test->error_code);
          g_assert_null (next);
          continue;
        }

      g_assert_no_error (error);
      if (test->next == NULL)
        {
          g_assert_null (next);
        }
      else
        {
          g_autofree char *uri = NULL;

          g_assert_nonnull (next);
          uri = message_uri (next);
          g_assert_cmpstr (uri, ==, test->next);
          g_assert_null (g_uri_get_user (soup_message_get_uri (next)));
          g_assert_null (g_uri_get_password (soup_message_get_uri (next)));
        }
    }
}

static void
test_error_messages (void)
{
  g_autoptr(SoupMessage) javascript = redirected_message ("GET", "http://example.com/", 301,
                                                          "javascript:alert(1)");
  g_autoptr(SoupMessage) invalid = redirected_message ("GET", "http://example.com/", 301,
                                                       "http://[::1/");
  g_autoptr(SoupMessage) valid = redirected_message ("GET", "http://example.com/", 301, "/next");
  g_autoptr(GError) error = NULL;

  g_assert_null (_ladle_redirect_build_next (javascript, 0, 20, TRUE, &error));
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_UNSUPPORTED_REDIRECT);
  g_assert_cmpstr (error->message, ==,
                   "Refusing to follow a redirect to “javascript:alert(1)”: only http and https "
                   "are allowed");
  g_clear_error (&error);

  g_assert_null (_ladle_redirect_build_next (invalid, 0, 20, TRUE, &error));
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_UNSUPPORTED_REDIRECT);
  g_assert_true (g_str_has_prefix (error->message, "Invalid redirect location “http://[::1/”: "));
  g_clear_error (&error);

  g_assert_null (_ladle_redirect_build_next (valid, 7, 7, TRUE, &error));
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_TOO_MANY_REDIRECTS);
  g_assert_cmpstr (error->message, ==, "Too many redirects (the limit is 7)");
}

/* Limits */

static void
test_limit (void)
{
  static const struct
  {
    guint    n_redirects;
    guint    max_redirects;
    gboolean follow;
  } cases[] = {
    { 0, 20, TRUE }, { 19, 20, TRUE }, { 20, 20, FALSE }, { 21, 20, FALSE },
    { 0, 1, TRUE }, { 1, 1, FALSE }, { 0, 0, FALSE }, { G_MAXUINT, G_MAXUINT, FALSE },
    { G_MAXUINT - 1, G_MAXUINT, TRUE },
  };
  g_autoptr(SoupMessage) message = redirected_message ("GET", "http://example.com/", 302, "/next");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SoupMessage) next = NULL;
      g_autoptr(GError) error = NULL;

      next = _ladle_redirect_build_next (message, cases[i].n_redirects, cases[i].max_redirects,
                                         FALSE, &error);
      if (cases[i].follow)
        {
          g_assert_no_error (error);
          g_assert_nonnull (next);
        }
      else
        {
          g_assert_error (error, LADLE_ERROR, LADLE_ERROR_TOO_MANY_REDIRECTS);
          g_assert_null (next);
        }
    }
}

/* What the limit check comes after, and before. */
static void
test_limit_order (void)
{
  g_autoptr(SoupMessage) no_location = redirected_message ("GET", "http://example.com/", 302, NULL);
  g_autoptr(SoupMessage) ftp = redirected_message ("GET", "http://example.com/", 302, "ftp://example.com/");
  g_autoptr(SoupMessage) post = soup_message_new ("POST", "http://example.com/");
  g_autoptr(GBytes) body = g_bytes_new_static ("abc", 3);
  g_autofree char *response = redirect_response (307, "/next");
  g_autofree char *request = NULL;
  g_autoptr(GError) error = NULL;

  /* Without a target the response is delivered, even at the limit. */
  g_assert_null (_ladle_redirect_build_next (no_location, 5, 5, FALSE, &error));
  g_assert_no_error (error);

  /* A target that is refused is refused for what it is. */
  g_assert_null (_ladle_redirect_build_next (ftp, 5, 5, FALSE, &error));
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_UNSUPPORTED_REDIRECT);
  g_clear_error (&error);

  /* At the limit a 307 whose body cannot be resent is an error, not a delivered response. */
  soup_message_set_request_body_from_bytes (post, "text/plain", body);
  request = exchange (post, response);
  g_assert_null (_ladle_redirect_build_next (post, 0, 5, FALSE, &error));
  g_assert_no_error (error);
  g_assert_null (_ladle_redirect_build_next (post, 5, 5, FALSE, &error));
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_TOO_MANY_REDIRECTS);
}

/* A server that never stops redirecting: hop after hop, each answered as the task would, until
 * the limit ends the chain. */
static void
test_chain (void)
{
  const guint max_redirects = 20;
  g_autoptr(SoupMessage) message = soup_message_new ("GET", "http://example.com/hop/0");
  guint n_redirects = 0;

  soup_message_headers_append (soup_message_get_request_headers (message), "Authorization", "Bearer t");
  for (;;)
    {
      g_autofree char *location = g_strdup_printf ("/hop/%u", n_redirects + 1);
      g_autofree char *response = redirect_response (302, location);
      g_autofree char *request = exchange (message, response);
      g_autoptr(SoupMessage) next = NULL;
      g_autoptr(GError) error = NULL;

      next = _ladle_redirect_build_next (message, n_redirects, max_redirects, FALSE, &error);
      if (next == NULL)
        {
          g_assert_error (error, LADLE_ERROR, LADLE_ERROR_TOO_MANY_REDIRECTS);
          break;
        }
      g_assert_no_error (error);
      /* Same origin all along: the credentials stay. */
      g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_request_headers (next),
                                                     "Authorization"), ==, "Bearer t");
      g_set_object (&message, next);
      n_redirects++;
    }

  g_assert_cmpuint (n_redirects, ==, max_redirects);
  g_assert_true (g_str_has_suffix (g_uri_get_path (soup_message_get_uri (message)), "/hop/20"));
}

/* Headers across origins */

typedef struct
{
  const char *location;
  gboolean    same_origin;
} OriginCase;

/* From http://example.com/start */
static const OriginCase origin_cases[] = {
  { "/next", TRUE },
  { "http://example.com:80/next", TRUE },
  { "http://EXAMPLE.COM/next", TRUE },
  { "http://user:pw@example.com/next", TRUE },
  { "http://example.com:8080/", FALSE },
  { "https://example.com/", FALSE },
  { "https://example.com:80/", FALSE },
  { "http://other.example/", FALSE },
  { "//other.example/", FALSE },
  { "http://example.com.evil.example/", FALSE },
  { "http://example.com@evil.example/", FALSE },
  { "http://sub.example.com/", FALSE },
  { "http://[::1]/", FALSE },
};

static const char * const credential_spellings[] = {
  "Authorization", "Basic dXNlcjpwYXNz",
  "COOKIE", "session=secret",
  "proxy-authorization", "Basic cHJveHk6cGFzcw==",
};

static void
test_credential_headers (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (origin_cases); i++)
    for (guint spelling = 0; spelling < 2; spelling++)
      {
        const OriginCase *test = &origin_cases[i];
        g_autoptr(SoupMessage) message = soup_message_new ("GET", "http://example.com/start");
        SoupMessageHeaders *headers = soup_message_get_request_headers (message);
        g_autofree char *response = redirect_response (301, test->location);
        g_autofree char *request = NULL;
        g_autoptr(SoupMessage) next = NULL;
        g_autoptr(GError) error = NULL;
        SoupMessageHeaders *next_headers;

        g_test_message ("Location: %s", test->location);
        for (gsize h = 0; h < G_N_ELEMENTS (credential_spellings); h += 2)
          {
            g_autofree char *name = spelling == 0 ? g_strdup (credential_spellings[h])
                                                  : g_ascii_strdown (credential_spellings[h], -1);

            soup_message_headers_append (headers, name, credential_spellings[h + 1]);
          }
        soup_message_headers_append (headers, "Accept", "text/html");
        soup_message_headers_append (headers, "X-Request-Id", "42");
        soup_message_headers_append (headers, "Referer", "http://example.com/");

        request = exchange (message, response);
        next = _ladle_redirect_build_next (message, 0, 20, FALSE, &error);
        g_assert_no_error (error);
        g_assert_nonnull (next);
        next_headers = soup_message_get_request_headers (next);

        for (gsize h = 0; h < G_N_ELEMENTS (credential_spellings); h += 2)
          {
            const char *value = soup_message_headers_get_one (next_headers, credential_spellings[h]);

            if (test->same_origin)
              g_assert_cmpstr (value, ==, credential_spellings[h + 1]);
            else
              g_assert_null (value);
          }
        /* Whatever the origin, the other headers go on. */
        g_assert_cmpstr (soup_message_headers_get_one (next_headers, "Accept"), ==, "text/html");
        g_assert_cmpstr (soup_message_headers_get_one (next_headers, "X-Request-Id"), ==, "42");
        g_assert_cmpstr (soup_message_headers_get_one (next_headers, "Referer"), ==,
                         "http://example.com/");
        g_assert_null (soup_message_headers_get_one (next_headers, "Host"));
      }
}

/* What the next message inherits */

/* The features libsoup ships, whose disabling a hop must carry over. GTypes are not constants,
 * hence a function. */
#define N_FEATURES 7

static void
get_features (GType features[N_FEATURES])
{
  features[0] = SOUP_TYPE_CONTENT_DECODER;
  features[1] = SOUP_TYPE_COOKIE_JAR;
  features[2] = SOUP_TYPE_CACHE;
  features[3] = SOUP_TYPE_AUTH_MANAGER;
  features[4] = SOUP_TYPE_LOGGER;
  features[5] = SOUP_TYPE_CONTENT_SNIFFER;
  features[6] = SOUP_TYPE_HSTS_ENFORCER;
}

static void
test_carried_over (void)
{
  const SoupMessageFlags flags = SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_DO_NOT_USE_AUTH_CACHE |
                                 SOUP_MESSAGE_IDEMPOTENT | SOUP_MESSAGE_COLLECT_METRICS;
  GType features[N_FEATURES];

  get_features (features);

  /* Every feature disabled, none, and each one alone. */
  for (int which = -2; which < (int) G_N_ELEMENTS (features); which++)
    {
      g_autoptr(SoupMessage) message = soup_message_new ("GET", "http://example.com/");
      g_autoptr(GUri) first_party = g_uri_parse ("https://first.example/", SOUP_HTTP_URI_FLAGS, NULL);
      g_autofree char *response = redirect_response (302, "https://cdn.example/x");
      g_autofree char *request = NULL;
      g_autoptr(SoupMessage) next = NULL;
      g_autoptr(GError) error = NULL;

      soup_message_set_flags (message, flags);
      soup_message_set_priority (message, SOUP_MESSAGE_PRIORITY_VERY_HIGH);
      soup_message_set_is_top_level_navigation (message, TRUE);
      soup_message_set_first_party (message, first_party);
      for (gsize f = 0; f < G_N_ELEMENTS (features); f++)
        if (which == -1 || which == (int) f)
          soup_message_disable_feature (message, features[f]);

      request = exchange (message, response);
      next = _ladle_redirect_build_next (message, 0, 20, FALSE, &error);
      g_assert_no_error (error);
      g_assert_nonnull (next);

      g_assert_cmpint (soup_message_get_flags (next), ==, flags);
      g_assert_cmpint (soup_message_get_priority (next), ==, SOUP_MESSAGE_PRIORITY_VERY_HIGH);
      g_assert_true (soup_message_get_is_top_level_navigation (next));
      g_assert_true (soup_uri_equal (soup_message_get_first_party (next), first_party));
      for (gsize f = 0; f < G_N_ELEMENTS (features); f++)
        g_assert_cmpint (soup_message_is_feature_disabled (next, features[f]), ==,
                         which == -1 || which == (int) f);
    }
}

static void
test_defaults_carried_over (void)
{
  g_autoptr(SoupMessage) message = redirected_message ("GET", "http://example.com/", 302, "/next");
  g_autoptr(SoupMessage) next = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_priority (message, SOUP_MESSAGE_PRIORITY_VERY_LOW);
  next = _ladle_redirect_build_next (message, 0, 20, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (soup_message_get_flags (next), ==, SOUP_MESSAGE_NO_REDIRECT);
  g_assert_cmpint (soup_message_get_priority (next), ==, SOUP_MESSAGE_PRIORITY_VERY_LOW);
  g_assert_false (soup_message_get_is_top_level_navigation (next));
  g_assert_null (soup_message_get_first_party (next));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Unit/Redirect/status", test_redirect_status);
  g_test_add_func ("/Ladle/Unit/Redirect/method", test_method);
  g_test_add_func ("/Ladle/Unit/Redirect/location", test_location);
  g_test_add_func ("/Ladle/Unit/Redirect/error-messages", test_error_messages);
  g_test_add_func ("/Ladle/Unit/Redirect/limit", test_limit);
  g_test_add_func ("/Ladle/Unit/Redirect/limit-order", test_limit_order);
  g_test_add_func ("/Ladle/Unit/Redirect/chain", test_chain);
  g_test_add_func ("/Ladle/Unit/Redirect/credential-headers", test_credential_headers);
  g_test_add_func ("/Ladle/Unit/Redirect/carried-over", test_carried_over);
  g_test_add_func ("/Ladle/Unit/Redirect/defaults-carried-over", test_defaults_carried_over);

  return g_test_run ();
}
