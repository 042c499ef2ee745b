/* test-origin.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The origin rules without a server: which URIs share an origin, what an origin key looks like,
 * and which headers a redirect hop or resume data may carry. */

#include <libsoup/soup.h>

#include "ladle-origin-private.h"

/* Every URI is tried as GLib parses it plainly (no default port filled in) and as libsoup
 * parses it (G_URI_FLAGS_SCHEME_NORMALIZE fills the default port in). */
static const GUriFlags parse_flags[] = { G_URI_FLAGS_NONE, SOUP_HTTP_URI_FLAGS };

static GUri *
parse (const char *uri,
       GUriFlags   flags)
{
  g_autoptr(GError) error = NULL;
  GUri *parsed = g_uri_parse (uri, flags, &error);

  g_assert_no_error (error);
  g_assert_nonnull (parsed);

  return parsed;
}

typedef struct
{
  const char *a;
  const char *b;
  gboolean    same;
} OriginPair;

static const OriginPair origin_pairs[] = {
  { "http://example.com/a", "http://example.com/b?q#f", TRUE },
  { "http://example.com/", "http://example.com:80/", TRUE },
  { "https://example.com/", "https://example.com:443/", TRUE },
  { "HTTP://EXAMPLE.com/", "http://example.COM/", TRUE },
  { "https://Example.Com:443/", "HTTPS://eXample.com/x", TRUE },
  { "http://[::1]/", "http://[::1]:80/", TRUE },
  { "http://[::1]:8080/", "http://[::1]:8080/x", TRUE },
  { "http://[2001:DB8::1]/", "http://[2001:db8::1]/", TRUE },
  { "http://127.0.0.1:8080/", "http://127.0.0.1:8080/", TRUE },
  /* Userinfo is not part of the origin. */
  { "http://user:secret@example.com/", "http://example.com/", TRUE },
  { "http://user@example.com/", "http://other@example.com/", TRUE },

  /* Same host, another port or scheme: another origin. */
  { "http://example.com/", "https://example.com/", FALSE },
  { "http://example.com:443/", "https://example.com/", FALSE },
  { "https://example.com:80/", "http://example.com/", FALSE },
  { "http://example.com/", "http://example.com:8080/", FALSE },
  { "https://example.com/", "https://example.com:8443/", FALSE },
  { "http://example.com:8080/", "http://example.com:8081/", FALSE },
  /* Hosts that only look alike. */
  { "http://example.com/", "http://example.com.evil.example/", FALSE },
  { "http://example.com@evil.example/", "http://example.com/", FALSE },
  { "http://sub.example.com/", "http://example.com/", FALSE },
  { "http://example.com/", "http://example.co/", FALSE },
  { "http://[::1]/", "http://127.0.0.1/", FALSE },
  { "http://[::1]:8080/", "http://[::1]:8081/", FALSE },
  { "http://[::1]/", "http://[::2]/", FALSE },
  /* No host: an opaque origin, the same as nothing, not even itself. */
  { "file:///etc/passwd", "file:///etc/passwd", FALSE },
  { "file:///etc/passwd", "http://example.com/", FALSE },
};

static void
test_same_origin (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (origin_pairs); i++)
    for (gsize fa = 0; fa < G_N_ELEMENTS (parse_flags); fa++)
      for (gsize fb = 0; fb < G_N_ELEMENTS (parse_flags); fb++)
        {
          const OriginPair *pair = &origin_pairs[i];
          g_autoptr(GUri) a = parse (pair->a, parse_flags[fa]);
          g_autoptr(GUri) b = parse (pair->b, parse_flags[fb]);

          g_test_message ("%s %s (flags %x, %x)", pair->a, pair->b, parse_flags[fa], parse_flags[fb]);
          g_assert_cmpint (_ladle_origin_same (a, b), ==, pair->same);
          g_assert_cmpint (_ladle_origin_same (b, a), ==, pair->same);
        }
}

typedef struct
{
  const char *uri;
  const char *origin;
} OriginString;

static const OriginString origin_strings[] = {
  { "http://example.com/", "http://example.com:80" },
  { "http://Example.COM/path?q=1#frag", "http://example.com:80" },
  { "HTTPS://example.com/", "https://example.com:443" },
  { "https://example.com:443/", "https://example.com:443" },
  { "https://example.com:8443/x", "https://example.com:8443" },
  { "http://example.com:443/", "http://example.com:443" },
  { "http://user:secret@example.com/", "http://example.com:80" },
  { "http://127.0.0.1:8080/", "http://127.0.0.1:8080" },
  /* The brackets keep an IPv6 literal apart from its port. */
  { "http://[::1]/", "http://[::1]:80" },
  { "https://[2001:DB8::1]:8443/", "https://[2001:db8::1]:8443" },
  /* GLib turns an IDN host into its ASCII form. */
  { "http://b\xc3\xbc" "cher.example/", "http://xn--bcher-kva.example:80" },
};

static void
test_origin_to_string (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (origin_strings); i++)
    for (gsize f = 0; f < G_N_ELEMENTS (parse_flags); f++)
      {
        g_autoptr(GUri) uri = parse (origin_strings[i].uri, parse_flags[f]);
        g_autofree char *origin = _ladle_origin_to_string (uri);

        g_assert_cmpstr (origin, ==, origin_strings[i].origin);
      }
}

/* Two URIs have one key exactly when they are the same origin: the key can stand for it. */
static void
test_origin_key_matches_same (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (origin_pairs); i++)
    {
      g_autoptr(GUri) a = parse (origin_pairs[i].a, G_URI_FLAGS_NONE);
      g_autoptr(GUri) b = parse (origin_pairs[i].b, SOUP_HTTP_URI_FLAGS);
      g_autofree char *key_a = _ladle_origin_to_string (a);
      g_autofree char *key_b = _ladle_origin_to_string (b);

      if (g_uri_get_host (a) == NULL || *g_uri_get_host (a) == '\0')
        continue;
      g_test_message ("%s %s", key_a, key_b);
      g_assert_cmpint (g_str_equal (key_a, key_b), ==, origin_pairs[i].same);
    }
}

typedef struct
{
  const char *uri;
  GUriFlags   flags;
  const char *stripped;
} StripCase;

static const StripCase strip_cases[] = {
  { "http://user:secret@example.com:8080/p/a?q=1#frag", SOUP_HTTP_URI_FLAGS,
    "http://example.com:8080/p/a?q=1" },
  { "http://user@example.com/x", SOUP_HTTP_URI_FLAGS, "http://example.com/x" },
  { "https://:secret@example.com/", SOUP_HTTP_URI_FLAGS, "https://example.com/" },
  { "http://user:pw;auth=ntlm@example.com/", G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_HAS_AUTH_PARAMS,
    "http://example.com/" },
  { "http://user:pw@example.com/", G_URI_FLAGS_NONE, "http://example.com/" },
  /* Encoded path and query stay encoded (GLib decodes only the unreserved %41 when parsing). */
  { "http://u:p@example.com/a%20b/%2F?x=%41&y=%2526", SOUP_HTTP_URI_FLAGS,
    "http://example.com/a%20b/%2F?x=A&y=%2526" },
  { "http://u:p@[::1]:8080/", SOUP_HTTP_URI_FLAGS, "http://[::1]:8080/" },
  { "http://example.com/plain?q", SOUP_HTTP_URI_FLAGS, "http://example.com/plain?q" },
  { "http://example.com/#only-a-fragment", SOUP_HTTP_URI_FLAGS, "http://example.com/" },
};

static void
test_strip_credentials (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (strip_cases); i++)
    {
      const StripCase *test = &strip_cases[i];
      g_autoptr(GUri) uri = parse (test->uri, test->flags);
      g_autofree char *before = g_uri_to_string (uri);
      g_autoptr(GUri) stripped = _ladle_uri_strip_credentials (uri);
      g_autofree char *after = NULL;
      g_autofree char *original_after = NULL;

      g_assert_nonnull (stripped);
      g_assert_true (stripped != uri);
      after = g_uri_to_string (stripped);
      g_assert_cmpstr (after, ==, test->stripped);
      g_assert_null (g_uri_get_userinfo (stripped));
      g_assert_null (g_uri_get_user (stripped));
      g_assert_null (g_uri_get_password (stripped));
      g_assert_null (g_uri_get_auth_params (stripped));
      g_assert_null (g_uri_get_fragment (stripped));
      g_assert_cmpstr (g_uri_get_host (stripped), ==, g_uri_get_host (uri));
      g_assert_cmpint (g_uri_get_port (stripped), ==, g_uri_get_port (uri));
      g_assert_cmpstr (g_uri_get_path (stripped), ==, g_uri_get_path (uri));
      g_assert_cmpstr (g_uri_get_query (stripped), ==, g_uri_get_query (uri));
      g_assert_true (_ladle_origin_same (uri, stripped));

      /* The URI given is left as it was. */
      original_after = g_uri_to_string (uri);
      g_assert_cmpstr (original_after, ==, before);
    }
}

typedef struct
{
  const char *uri;
  gboolean    is_http;
} HttpCase;

static const HttpCase http_cases[] = {
  { "http://example.com/", TRUE },
  { "https://example.com/", TRUE },
  { "HTTPS://example.com:8443/x", TRUE },
  { "http://[::1]/", TRUE },
  { "http://user:pw@example.com/", TRUE },
  { "http:///no-host", FALSE },
  { "http:no-host", FALSE },
  { "ftp://example.com/", FALSE },
  { "file:///etc/passwd", FALSE },
  { "javascript:alert(1)", FALSE },
  { "data:text/html,<script>", FALSE },
  { "ws://example.com/", FALSE },
  { "wss://example.com/", FALSE },
  { "httpx://example.com/", FALSE },
  { "about:blank", FALSE },
};

static void
test_is_http (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (http_cases); i++)
    {
      g_autoptr(GUri) uri = parse (http_cases[i].uri, G_URI_FLAGS_NONE);

      g_test_message ("%s", http_cases[i].uri);
      g_assert_cmpint (_ladle_uri_is_http (uri), ==, http_cases[i].is_http);
    }
}

typedef struct
{
  const char *name;
  gboolean    credential;
  gboolean    body;
  gboolean    storable;
} HeaderCase;

static const HeaderCase header_cases[] = {
  /* name                    credential body   storable */
  { "Authorization",         TRUE,      FALSE, FALSE },
  { "authorization",         TRUE,      FALSE, FALSE },
  { "AUTHORIZATION",         TRUE,      FALSE, FALSE },
  { "Proxy-Authorization",   TRUE,      FALSE, FALSE },
  { "proxy-AUTHORIZATION",   TRUE,      FALSE, FALSE },
  { "Cookie",                TRUE,      FALSE, FALSE },
  { "cOOKIE",                TRUE,      FALSE, FALSE },
  { "Content-Type",          FALSE,     TRUE,  TRUE },
  { "content-type",          FALSE,     TRUE,  TRUE },
  { "Content-Length",        FALSE,     TRUE,  FALSE },
  { "CONTENT-LENGTH",        FALSE,     TRUE,  FALSE },
  { "Content-Encoding",      FALSE,     TRUE,  TRUE },
  { "Content-Language",      FALSE,     TRUE,  TRUE },
  { "Content-Location",      FALSE,     TRUE,  TRUE },
  { "Content-MD5",           FALSE,     TRUE,  TRUE },
  { "Content-Range",         FALSE,     TRUE,  TRUE },
  { "Transfer-Encoding",     FALSE,     TRUE,  FALSE },
  { "transfer-encoding",     FALSE,     TRUE,  FALSE },
  { "Expect",                FALSE,     TRUE,  TRUE },
  { "Host",                  FALSE,     FALSE, FALSE },
  { "host",                  FALSE,     FALSE, FALSE },
  { "Range",                 FALSE,     FALSE, FALSE },
  { "If-Range",              FALSE,     FALSE, FALSE },
  { "Accept-Encoding",       FALSE,     FALSE, FALSE },
  { "Connection",            FALSE,     FALSE, FALSE },
  { "User-Agent",            FALSE,     FALSE, FALSE },
  { "user-agent",            FALSE,     FALSE, FALSE },
  /* Lookalikes are ordinary headers. */
  { "Authorization2",        FALSE,     FALSE, TRUE },
  { "X-Authorization",       FALSE,     FALSE, TRUE },
  { "Cookie2",               FALSE,     FALSE, TRUE },
  { "Set-Cookie",            FALSE,     FALSE, TRUE },
  { "WWW-Authenticate",      FALSE,     FALSE, TRUE },
  { "Content-Disposition",   FALSE,     FALSE, TRUE },
  { "Content-Security-Policy", FALSE,   FALSE, TRUE },
  { "Expect-CT",             FALSE,     FALSE, TRUE },
  { "TE",                    FALSE,     FALSE, TRUE },
  { "Accept",                FALSE,     FALSE, TRUE },
  { "Accept-Language",       FALSE,     FALSE, TRUE },
  { "If-None-Match",         FALSE,     FALSE, TRUE },
  { "If-Match",              FALSE,     FALSE, TRUE },
  { "Referer",               FALSE,     FALSE, TRUE },
  { "X-Custom",              FALSE,     FALSE, TRUE },
  { "",                      FALSE,     FALSE, TRUE },
};

static void
test_header_classes (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (header_cases); i++)
    {
      const HeaderCase *test = &header_cases[i];

      g_test_message ("%s", test->name);
      g_assert_cmpint (_ladle_header_is_credential (test->name), ==, test->credential);
      g_assert_cmpint (_ladle_header_is_body (test->name), ==, test->body);
      g_assert_cmpint (_ladle_header_is_storable (test->name), ==, test->storable);
    }
}

/* The request headers of a hop, in order: name, value. */
static const char * const hop_headers[] = {
  "Host", "example.com",
  "authorization", "Basic dXNlcjpwYXNz",
  "COOKIE", "session=1",
  "Proxy-authorization", "Basic cHJveHk6cGFzcw==",
  "Content-Type", "text/plain",
  "content-length", "3",
  "Expect", "100-continue",
  "X-Custom", "one",
  "Accept", "*/*",
  "X-Custom", "two",
};

typedef struct
{
  gboolean    drop_body;
  gboolean    same_origin;
  const char *copied;   /* the names expected in @to, in order */
} HopCase;

static const HopCase hop_cases[] = {
  { FALSE, TRUE,
    "authorization COOKIE Proxy-authorization Content-Type content-length Expect X-Custom Accept X-Custom" },
  { TRUE, TRUE,
    "authorization COOKIE Proxy-authorization X-Custom Accept X-Custom" },
  { FALSE, FALSE,
    "Content-Type content-length Expect X-Custom Accept X-Custom" },
  { TRUE, FALSE,
    "X-Custom Accept X-Custom" },
};

static void
collect_header (const char *name,
                const char *value,
                gpointer    user_data)
{
  GPtrArray *collected = user_data;

  g_ptr_array_add (collected, g_strdup (name));
  g_ptr_array_add (collected, g_strdup (value));
}

static void
test_copy_for_hop (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hop_cases); i++)
    {
      const HopCase *test = &hop_cases[i];
      g_autoptr(SoupMessageHeaders) from = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      g_autoptr(SoupMessageHeaders) to = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      g_autoptr(GPtrArray) collected = g_ptr_array_new_with_free_func (g_free);
      g_auto(GStrv) expected = g_strsplit (test->copied, " ", -1);
      gsize n = 0;

      for (gsize h = 0; h < G_N_ELEMENTS (hop_headers); h += 2)
        soup_message_headers_append (from, hop_headers[h], hop_headers[h + 1]);
      /* What the next hop already has stays. */
      soup_message_headers_append (to, "X-Already", "here");

      _ladle_headers_copy_for_hop (from, to, test->drop_body, test->same_origin);

      /* libsoup keeps its well-known headers apart and spells their names its own way, so
       * compare by name, not by position. */
      soup_message_headers_foreach (to, collect_header, collected);
      g_assert_cmpuint (collected->len, ==, 2 * (g_strv_length (expected) + 1));
      g_assert_cmpstr (soup_message_headers_get_one (to, "X-Already"), ==, "here");
      for (gsize h = 0; h < G_N_ELEMENTS (hop_headers); h += 2)
        {
          gboolean copied = g_strv_contains ((const char * const *) expected, hop_headers[h]);
          const char *value = soup_message_headers_get_list (to, hop_headers[h]);

          g_test_message ("%s copied: %d", hop_headers[h], copied);
          if (!copied)
            {
              g_assert_null (value);
              continue;
            }
          if (g_str_equal (hop_headers[h], "X-Custom"))
            g_assert_cmpstr (value, ==, "one, two");
          else
            g_assert_cmpstr (value, ==, hop_headers[h + 1]);
          n++;
        }
      g_assert_cmpuint (n, ==, g_strv_length (expected));
      g_assert_null (soup_message_headers_get_one (to, "Host"));
      g_assert_cmpstr (soup_message_headers_get_list (to, "X-Custom"), ==, "one, two");

      /* @from is left as it was. */
      g_ptr_array_set_size (collected, 0);
      soup_message_headers_foreach (from, collect_header, collected);
      g_assert_cmpuint (collected->len, ==, G_N_ELEMENTS (hop_headers));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Unit/Origin/same", test_same_origin);
  g_test_add_func ("/Ladle/Unit/Origin/to-string", test_origin_to_string);
  g_test_add_func ("/Ladle/Unit/Origin/key-matches-same", test_origin_key_matches_same);
  g_test_add_func ("/Ladle/Unit/Origin/strip-credentials", test_strip_credentials);
  g_test_add_func ("/Ladle/Unit/Origin/is-http", test_is_http);
  g_test_add_func ("/Ladle/Unit/Origin/header-classes", test_header_classes);
  g_test_add_func ("/Ladle/Unit/Origin/copy-for-hop", test_copy_for_hop);

  return g_test_run ();
}
