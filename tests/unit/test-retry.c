/* test-retry.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The retry decision without a server, a clock or a random source: each case gives the
 * attempt, the method, the status or error, the headers, the time and the jitter's draw. */

#include "ladle-error.h"
#include "ladle-retry-rules-private.h"

#define NOW 1767225600   /* 2026-01-01T00:00:00Z */

static const guint default_statuses[] = { 408, 429, 500, 502, 503, 504 };

static LadleRetryRules
default_rules (void)
{
  return (LadleRetryRules) {
    .max_attempts = 4,
    .initial_delay = 1000,
    .multiplier = 2.0,
    .max_delay = 30000,
    .jitter = 0.0,
    .statuses = default_statuses,
    .n_statuses = G_N_ELEMENTS (default_statuses),
    .errors = LADLE_RETRY_ERRORS_CONNECTION_LOST | LADLE_RETRY_ERRORS_TIMEOUT,
    .retry_non_idempotent = FALSE,
  };
}

typedef struct
{
  const char *name;
  guint       attempt;
  const char *method;
  guint       status;
  GQuark    (*error_domain) (void);
  int         error_code;
  const char *retry_after;
  double      random01;
  gboolean    retried;
  guint       delay;
} Case;

static GQuark io_error (void) { return G_IO_ERROR; }
static GQuark ladle (void) { return LADLE_ERROR; }
static GQuark resolver (void) { return G_RESOLVER_ERROR; }

static const Case cases[] = {
  /* name                      att  method    status  domain     code                                  Retry-After                       rand  retried delay */
  { "first retry",              1, "GET",     503,   NULL,      0,                                    NULL,                             0.5,  TRUE,   1000 },
  { "backoff doubles",          2, "GET",     503,   NULL,      0,                                    NULL,                             0.5,  TRUE,   2000 },
  { "backoff doubles again",    3, "GET",     500,   NULL,      0,                                    NULL,                             0.5,  TRUE,   4000 },
  { "last attempt",             4, "GET",     503,   NULL,      0,                                    NULL,                             0.5,  FALSE,  0 },
  { "attempt 0 is nonsense",    0, "GET",     503,   NULL,      0,                                    NULL,                             0.5,  FALSE,  0 },
  { "every default status 408", 1, "GET",     408,   NULL,      0,                                    NULL,                             0.5,  TRUE,   1000 },
  { "429",                      1, "GET",     429,   NULL,      0,                                    NULL,                             0.5,  TRUE,   1000 },
  { "502",                      1, "GET",     502,   NULL,      0,                                    NULL,                             0.5,  TRUE,   1000 },
  { "504",                      1, "GET",     504,   NULL,      0,                                    NULL,                             0.5,  TRUE,   1000 },
  { "501 is not retried",       1, "GET",     501,   NULL,      0,                                    NULL,                             0.5,  FALSE,  0 },
  { "404 is not retried",       1, "GET",     404,   NULL,      0,                                    NULL,                             0.5,  FALSE,  0 },
  { "200 is not retried",       1, "GET",     200,   NULL,      0,                                    NULL,                             0.5,  FALSE,  0 },
  { "POST is not idempotent",   1, "POST",    503,   NULL,      0,                                    NULL,                             0.5,  FALSE,  0 },
  { "PATCH is not idempotent",  1, "PATCH",   503,   NULL,      0,                                    NULL,                             0.5,  FALSE,  0 },
  { "PUT is idempotent",        1, "PUT",     503,   NULL,      0,                                    NULL,                             0.5,  TRUE,   1000 },
  { "DELETE is idempotent",     1, "DELETE",  503,   NULL,      0,                                    NULL,                             0.5,  TRUE,   1000 },
  { "HEAD",                     1, "HEAD",    503,   NULL,      0,                                    NULL,                             0.5,  TRUE,   1000 },
  { "OPTIONS",                  1, "OPTIONS", 503,   NULL,      0,                                    NULL,                             0.5,  TRUE,   1000 },
  { "reset",                    1, "GET",     0,     io_error,  G_IO_ERROR_CONNECTION_CLOSED,         NULL,                             0.5,  TRUE,   1000 },
  { "closed before response",   1, "GET",     0,     io_error,  G_IO_ERROR_PARTIAL_INPUT,             NULL,                             0.5,  TRUE,   1000 },
  { "truncated body",           2, "GET",     0,     ladle,     LADLE_ERROR_TRUNCATED_BODY,           NULL,                             0.5,  TRUE,   2000 },
  { "timeout",                  1, "GET",     0,     io_error,  G_IO_ERROR_TIMED_OUT,                 NULL,                             0.5,  TRUE,   1000 },
  { "refused: not by default",  1, "GET",     0,     io_error,  G_IO_ERROR_CONNECTION_REFUSED,        NULL,                             0.5,  FALSE,  0 },
  { "resolver: not by default", 1, "GET",     0,     resolver,  G_RESOLVER_ERROR_TEMPORARY_FAILURE,   NULL,                             0.5,  FALSE,  0 },
  { "cancelled never",          1, "GET",     0,     io_error,  G_IO_ERROR_CANCELLED,                 NULL,                             0.5,  FALSE,  0 },
  { "bad range never",          1, "GET",     0,     ladle,     LADLE_ERROR_UNEXPECTED_RANGE,         NULL,                             0.5,  FALSE,  0 },
  { "error on POST",            1, "POST",    0,     io_error,  G_IO_ERROR_TIMED_OUT,                 NULL,                             0.5,  FALSE,  0 },
  { "Retry-After seconds",      1, "GET",     503,   NULL,      0,                                    "5",                              0.5,  TRUE,   5000 },
  { "Retry-After 0",            2, "GET",     429,   NULL,      0,                                    "0",                              0.5,  TRUE,   0 },
  { "Retry-After blanks",       1, "GET",     503,   NULL,      0,                                    " 3 ",                            0.5,  TRUE,   3000 },
  { "Retry-After capped",       1, "GET",     503,   NULL,      0,                                    "3600",                           0.5,  TRUE,   30000 },
  { "Retry-After huge",         1, "GET",     503,   NULL,      0,                                    "99999999999999999999999",        0.5,  TRUE,   30000 },
  { "Retry-After IMF date",     1, "GET",     503,   NULL,      0,                                    "Thu, 01 Jan 2026 00:00:12 GMT",  0.5,  TRUE,   12000 },
  { "Retry-After RFC 850 date", 1, "GET",     503,   NULL,      0,                                    "Thursday, 01-Jan-26 00:00:07 GMT", 0.5, TRUE,  7000 },
  { "Retry-After asctime date", 1, "GET",     503,   NULL,      0,                                    "Thu Jan  1 00:00:09 2026",       0.5,  TRUE,   9000 },
  { "Retry-After in the past",  1, "GET",     503,   NULL,      0,                                    "Wed, 31 Dec 2025 23:59:00 GMT",  0.5,  TRUE,   0 },
  { "Retry-After garbage",      1, "GET",     503,   NULL,      0,                                    "soon",                           0.5,  TRUE,   1000 },
  { "Retry-After negative",     1, "GET",     503,   NULL,      0,                                    "-5",                             0.5,  TRUE,   1000 },
  { "Retry-After 5s",           1, "GET",     503,   NULL,      0,                                    "5s",                             0.5,  TRUE,   1000 },
  { "Retry-After ignored for errors", 1, "GET", 0,     io_error,  G_IO_ERROR_TIMED_OUT,                 "9",                              0.5,  TRUE,   1000 },
};

static void
test_cases (void)
{
  LadleRetryRules rules = default_rules ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      g_autoptr(GError) error = NULL;
      guint delay = 12345;
      gboolean retried;

      g_test_message ("case %s", c->name);
      if (c->error_domain != NULL)
        error = g_error_new_literal (c->error_domain (), c->error_code, "failed");
      if (c->retry_after != NULL)
        soup_message_headers_replace (headers, "Retry-After", c->retry_after);
      retried = _ladle_retry_rules_next_delay (&rules, c->attempt, c->method, c->status, error, headers,
                                               NOW, c->random01, &delay);
      g_assert_cmpint (retried, ==, c->retried);
      g_assert_cmpuint (delay, ==, c->delay);
    }
}

/* The backoff stops growing at the maximum delay; the multiplier and jitter do what they say. */
static void
test_backoff (void)
{
  LadleRetryRules rules = default_rules ();
  guint delay = 0;

  rules.max_attempts = 100;
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 6, "GET", 503, NULL, NULL, NOW, 0.5, &delay));
  g_assert_cmpuint (delay, ==, 30000);
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 99, "GET", 503, NULL, NULL, NOW, 0.5, &delay));
  g_assert_cmpuint (delay, ==, 30000);

  rules.multiplier = 1.0;
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 50, "GET", 503, NULL, NULL, NOW, 0.5, &delay));
  g_assert_cmpuint (delay, ==, 1000);

  /* jitter 0.2: 1000 ± 200, the draw picks where */
  rules.jitter = 0.2;
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 1, "GET", 503, NULL, NULL, NOW, 0.0, &delay));
  g_assert_cmpuint (delay, ==, 800);
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 1, "GET", 503, NULL, NULL, NOW, 0.5, &delay));
  g_assert_cmpuint (delay, ==, 1000);
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 1, "GET", 503, NULL, NULL, NOW, 0.75, &delay));
  g_assert_cmpuint (delay, ==, 1100);
  /* never past the maximum, even with jitter */
  rules.multiplier = 2.0;
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 20, "GET", 503, NULL, NULL, NOW, 0.99, &delay));
  g_assert_cmpuint (delay, <=, 30000);

  /* the maximum caps the initial delay too */
  rules.jitter = 0.0;
  rules.initial_delay = 50000;
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 1, "GET", 503, NULL, NULL, NOW, 0.5, &delay));
  g_assert_cmpuint (delay, ==, 30000);
}

/* What the settings switch on and off. */
static void
test_settings (void)
{
  LadleRetryRules rules = default_rules ();
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "refused");
  g_autoptr(GError) timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timeout");
  const guint only_404[] = { 404 };

  g_assert_false (_ladle_retry_rules_next_delay (&rules, 1, "GET", 0, refused, NULL, NOW, 0.5, NULL));
  rules.errors |= LADLE_RETRY_ERRORS_UNREACHABLE;
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 1, "GET", 0, refused, NULL, NOW, 0.5, NULL));
  rules.errors = LADLE_RETRY_ERRORS_NONE;
  g_assert_false (_ladle_retry_rules_next_delay (&rules, 1, "GET", 0, timeout, NULL, NOW, 0.5, NULL));

  rules.retry_non_idempotent = TRUE;
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 1, "POST", 503, NULL, NULL, NOW, 0.5, NULL));

  rules.statuses = only_404;
  rules.n_statuses = 1;
  g_assert_false (_ladle_retry_rules_next_delay (&rules, 1, "GET", 503, NULL, NULL, NOW, 0.5, NULL));
  g_assert_true (_ladle_retry_rules_next_delay (&rules, 1, "GET", 404, NULL, NULL, NOW, 0.5, NULL));

  rules.max_attempts = 1;
  g_assert_false (_ladle_retry_rules_next_delay (&rules, 1, "GET", 404, NULL, NULL, NOW, 0.5, NULL));
}

static void
test_idempotent (void)
{
  g_assert_true (_ladle_retry_method_is_idempotent ("GET"));
  g_assert_true (_ladle_retry_method_is_idempotent ("TRACE"));
  g_assert_false (_ladle_retry_method_is_idempotent ("get"));
  g_assert_false (_ladle_retry_method_is_idempotent ("CONNECT"));
  g_assert_false (_ladle_retry_method_is_idempotent (""));
  g_assert_false (_ladle_retry_method_is_idempotent (NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Unit/Retry/cases", test_cases);
  g_test_add_func ("/Ladle/Unit/Retry/backoff", test_backoff);
  g_test_add_func ("/Ladle/Unit/Retry/settings", test_settings);
  g_test_add_func ("/Ladle/Unit/Retry/idempotent", test_idempotent);

  return g_test_run ();
}
