/* test-tls-trust.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The TLS trust rules without a server: which origins get fresh connections, and which peer
 * certificates need the application's answer. */

#include <libsoup/soup.h>

#include "ladle-tls-trust-private.h"

/* Self-signed test certificates, made once with
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
 *     -subj /CN=a.example -addext subjectAltName=DNS:a.example
 * CERT_A_REISSUED is another certificate for the same name and the same key as CERT_A
 * (openssl req -x509 -key a.key -subj /CN=a.example): what a server holding A's key could
 * present. Only the certificates are here, never the keys. */
static const char CERT_A[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBlDCCATugAwIBAgIURaFUA9ubIZHgR1/KDEAKOpZE5FgwCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJYS5leGFtcGxlMCAXDTI2MTIwMTIyMzkwMVoYDzIxMjYxMTA3\n"
  "MjIzOTAxWjAUMRIwEAYDVQQDDAlhLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAATXCXl+seCwhF2T9lslaiaqepiwj8B2/pil4wfsMNJ+XYih709yg87h\n"
  "gkowG2hXPmc2g7N0T7z9kC1MnlMYXC+Mo2kwZzAdBgNVHQ4EFgQUbVg+ptbMJh35\n"
  "NrAl9pCz6Kiq1qYwHwYDVR0jBBgwFoAUbVg+ptbMJh35NrAl9pCz6Kiq1qYwDwYD\n"
  "VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglhLmV4YW1wbGUwCgYIKoZIzj0EAwID\n"
  "RwAwRAIgDWfsUXcSGTzzx1KSPCQXGKy4r3HiHhQrQMJrJXgE1IMCIG8pw69Pxxpp\n"
  "0ojo6biFAZZMq9KQGenp2utUIEySwc9l\n"
  "-----END CERTIFICATE-----\n"
  ;

static const char CERT_A_REISSUED[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBfzCCASWgAwIBAgIUZUhnEt0jwZtv2rpknI2maSGqwpMwCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJYS5leGFtcGxlMCAXDTI2MTIwMTIyMzkwMVoYDzIxMjYxMTA3\n"
  "MjIzOTAxWjAUMRIwEAYDVQQDDAlhLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAATXCXl+seCwhF2T9lslaiaqepiwj8B2/pil4wfsMNJ+XYih709yg87h\n"
  "gkowG2hXPmc2g7N0T7z9kC1MnlMYXC+Mo1MwUTAdBgNVHQ4EFgQUbVg+ptbMJh35\n"
  "NrAl9pCz6Kiq1qYwHwYDVR0jBBgwFoAUbVg+ptbMJh35NrAl9pCz6Kiq1qYwDwYD\n"
  "VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBG4J7urxX9zreJS4iT6DX7\n"
  "vlTQhBXg3LTYQR5MChieuAIhANd2PzvdBYjuqmPsP6oKHJK9WdOqsnIEbjMbeECo\n"
  "upSv\n"
  "-----END CERTIFICATE-----\n"
  ;

static const char CERT_B[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBlDCCATugAwIBAgIUDF6IozopzEqZwHJg0aKPjy/sCFowCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJYi5leGFtcGxlMCAXDTI2MTIwMTIyMzkwMVoYDzIxMjYxMTA3\n"
  "MjIzOTAxWjAUMRIwEAYDVQQDDAliLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAAR5eperQEwA8/cFsW8q0U5xJ948VJNfC97QYi64Sf8Fb7yFh1K0YSuv\n"
  "3ZrZIPFqGZKiPyKedrYBo9BjVy+NOeUEo2kwZzAdBgNVHQ4EFgQU7rgCvCB/MRVn\n"
  "tHMiVJIYtcFQTgwwHwYDVR0jBBgwFoAU7rgCvCB/MRVntHMiVJIYtcFQTgwwDwYD\n"
  "VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALggliLmV4YW1wbGUwCgYIKoZIzj0EAwID\n"
  "RwAwRAIgTMPbzeDZfyO1foPEv52/ZAsh2D9Y3UfFYkzAbcRzdc8CIHJK2kCHTPda\n"
  "Nt4yUYdye0wsq5uHFn3bgRB3v0pD1LaC\n"
  "-----END CERTIFICATE-----\n"
  ;

static GTlsCertificate *
certificate_from_pem (const char *pem)
{
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate = g_tls_certificate_new_from_pem (pem, -1, &error);

  g_assert_no_error (error);
  g_assert_true (G_IS_TLS_CERTIFICATE (certificate));

  return certificate;
}

/* CERT_A with CRLF line ends: the same certificate written differently. */
static char *
crlf_variant (const char *pem)
{
  g_auto(GStrv) lines = g_strsplit (pem, "\n", -1);

  return g_strjoinv ("\r\n", lines);
}

typedef enum
{
  NONE,
  A,
  A_AGAIN,       /* CERT_A parsed again: another object, the same certificate */
  A_CRLF,        /* CERT_A from a PEM with other line ends */
  A_REISSUED,
  B,
  N_CERTS
} Cert;

typedef struct
{
  Cert                  accepted;
  Cert                  peer;
  GTlsCertificateFlags  errors;
  LadleTlsVerdict       verdict;
} VerdictCase;

static const VerdictCase verdict_cases[] = {
  /* Nothing wrong with the certificate, or no certificate at all: nothing to ask. */
  { NONE, NONE, 0, LADLE_TLS_VERDICT_TRUSTED },
  { NONE, A, 0, LADLE_TLS_VERDICT_TRUSTED },
  { A, A, 0, LADLE_TLS_VERDICT_TRUSTED },
  { A, B, 0, LADLE_TLS_VERDICT_TRUSTED },
  { NONE, NONE, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_TRUSTED },
  { A, NONE, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_TRUSTED },

  /* An untrusted certificate this task has not accepted. */
  { NONE, A, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ASK },
  { NONE, A, G_TLS_CERTIFICATE_BAD_IDENTITY, LADLE_TLS_VERDICT_ASK },
  { NONE, A, G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ASK },
  { NONE, A, G_TLS_CERTIFICATE_GENERIC_ERROR, LADLE_TLS_VERDICT_ASK },
  { A, B, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ASK },
  { B, A, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ASK },
  /* Same name, same key, another certificate: not the one accepted. */
  { A, A_REISSUED, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ASK },
  { A_REISSUED, A, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ASK },

  /* The certificate this task accepted, on whatever connection it comes. */
  { A, A, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ACCEPTED },
  { A, A_AGAIN, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ACCEPTED },
  { A_AGAIN, A, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ACCEPTED },
  { A, A_CRLF, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ACCEPTED },
  /* The acceptance covers the certificate, whatever its errors are now. */
  { A, A_AGAIN, G_TLS_CERTIFICATE_BAD_IDENTITY | G_TLS_CERTIFICATE_EXPIRED,
    LADLE_TLS_VERDICT_ACCEPTED },
  { B, B, G_TLS_CERTIFICATE_UNKNOWN_CA, LADLE_TLS_VERDICT_ACCEPTED },
};

static void
test_verdict (void)
{
  g_autofree char *crlf = crlf_variant (CERT_A);
  GTlsCertificate *certs[N_CERTS] = {
    NULL,
    certificate_from_pem (CERT_A),
    certificate_from_pem (CERT_A),
    certificate_from_pem (crlf),
    certificate_from_pem (CERT_A_REISSUED),
    certificate_from_pem (CERT_B),
  };

  /* The test certificates are what the table says they are. */
  g_assert_true (certs[A] != certs[A_AGAIN]);
  g_assert_true (g_tls_certificate_is_same (certs[A], certs[A_AGAIN]));
  g_assert_true (g_tls_certificate_is_same (certs[A], certs[A_CRLF]));
  g_assert_false (g_tls_certificate_is_same (certs[A], certs[A_REISSUED]));
  g_assert_false (g_tls_certificate_is_same (certs[A], certs[B]));

  for (gsize i = 0; i < G_N_ELEMENTS (verdict_cases); i++)
    {
      const VerdictCase *test = &verdict_cases[i];

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_cmpint (_ladle_tls_verdict (certs[test->accepted], certs[test->peer], test->errors),
                       ==, test->verdict);
    }

  for (gsize i = 0; i < N_CERTS; i++)
    g_clear_object (&certs[i]);
}

static GUri *
parse (const char *uri,
       GUriFlags   flags)
{
  g_autoptr(GError) error = NULL;
  GUri *parsed = g_uri_parse (uri, flags, &error);

  g_assert_no_error (error);

  return parsed;
}

typedef struct
{
  const char *uri;
  gboolean    needs_new_connection;
} ConnectionCase;

/* After a task accepted a certificate of https://a.example/ and one of https://[::1]:8443/. */
static const ConnectionCase connection_cases[] = {
  { "https://a.example/", TRUE },
  { "https://a.example:443/other?q#f", TRUE },
  { "HTTPS://A.EXAMPLE/", TRUE },
  { "https://user:pw@a.example/", TRUE },
  { "https://[::1]:8443/x", TRUE },
  /* Another scheme, port or host is another connection pool. */
  { "http://a.example/", FALSE },
  { "http://a.example:443/", FALSE },
  { "https://a.example:8443/", FALSE },
  { "https://b.example/", FALSE },
  { "https://sub.a.example/", FALSE },
  { "https://a.example.evil.example/", FALSE },
  { "https://[::1]/", FALSE },
  { "https://[::1]:8444/", FALSE },
  { "https://127.0.0.1:8443/", FALSE },
};

static void
test_new_connection (void)
{
  g_autoptr(LadleTlsTrust) trust = _ladle_tls_trust_new ();
  g_autoptr(LadleTlsTrust) other = _ladle_tls_trust_new ();
  g_autoptr(GUri) a = parse ("https://a.example/first", SOUP_HTTP_URI_FLAGS);
  g_autoptr(GUri) ipv6 = parse ("https://[::1]:8443/", G_URI_FLAGS_NONE);

  for (gsize i = 0; i < G_N_ELEMENTS (connection_cases); i++)
    {
      g_autoptr(GUri) uri = parse (connection_cases[i].uri, SOUP_HTTP_URI_FLAGS);

      g_assert_false (_ladle_tls_trust_needs_new_connection (trust, uri));
    }

  _ladle_tls_trust_remember_exception (trust, a);
  _ladle_tls_trust_remember_exception (trust, ipv6);
  /* Remembering an origin again changes nothing. */
  _ladle_tls_trust_remember_exception (trust, a);

  for (gsize i = 0; i < G_N_ELEMENTS (connection_cases); i++)
    for (guint f = 0; f < 2; f++)
      {
        g_autoptr(GUri) uri = parse (connection_cases[i].uri,
                                     f == 0 ? G_URI_FLAGS_NONE : SOUP_HTTP_URI_FLAGS);

        g_test_message ("%s", connection_cases[i].uri);
        g_assert_cmpint (_ladle_tls_trust_needs_new_connection (trust, uri), ==,
                         connection_cases[i].needs_new_connection);
        /* Each session has its own memory. */
        g_assert_false (_ladle_tls_trust_needs_new_connection (other, uri));
      }
}

static void
test_prepare_message (void)
{
  g_autoptr(LadleTlsTrust) trust = _ladle_tls_trust_new ();
  g_autoptr(GUri) a = parse ("https://a.example/", SOUP_HTTP_URI_FLAGS);
  g_autoptr(SoupMessage) to_a = soup_message_new ("GET", "https://a.example/page");
  g_autoptr(SoupMessage) to_a_http = soup_message_new ("GET", "http://a.example/page");
  g_autoptr(SoupMessage) to_b = soup_message_new ("POST", "https://b.example/");
  g_autoptr(SoupMessage) before = soup_message_new ("GET", "https://a.example/");

  soup_message_set_flags (to_a, SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_IDEMPOTENT);
  soup_message_set_flags (to_b, SOUP_MESSAGE_NO_REDIRECT);

  /* Nothing remembered yet. */
  _ladle_tls_trust_prepare_message (trust, before);
  g_assert_cmpint (soup_message_get_flags (before), ==, 0);

  _ladle_tls_trust_remember_exception (trust, a);

  _ladle_tls_trust_prepare_message (trust, to_a);
  _ladle_tls_trust_prepare_message (trust, to_a_http);
  _ladle_tls_trust_prepare_message (trust, to_b);
  g_assert_cmpint (soup_message_get_flags (to_a), ==,
                   SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_IDEMPOTENT | SOUP_MESSAGE_NEW_CONNECTION);
  g_assert_cmpint (soup_message_get_flags (to_a_http), ==, 0);
  g_assert_cmpint (soup_message_get_flags (to_b), ==, SOUP_MESSAGE_NO_REDIRECT);

  /* Preparing twice is harmless; a flag the caller set stays set. */
  _ladle_tls_trust_prepare_message (trust, to_a);
  g_assert_cmpint (soup_message_get_flags (to_a), ==,
                   SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_IDEMPOTENT | SOUP_MESSAGE_NEW_CONNECTION);
  soup_message_add_flags (to_b, SOUP_MESSAGE_NEW_CONNECTION);
  _ladle_tls_trust_prepare_message (trust, to_b);
  g_assert_cmpint (soup_message_get_flags (to_b), ==,
                   SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_NEW_CONNECTION);
}

static void
test_free_null (void)
{
  g_autoptr(LadleTlsTrust) trust = NULL;

  _ladle_tls_trust_free (NULL);
  g_assert_null (trust);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Unit/TlsTrust/verdict", test_verdict);
  g_test_add_func ("/Ladle/Unit/TlsTrust/new-connection", test_new_connection);
  g_test_add_func ("/Ladle/Unit/TlsTrust/prepare-message", test_prepare_message);
  g_test_add_func ("/Ladle/Unit/TlsTrust/free-null", test_free_null);

  return g_test_run ();
}
