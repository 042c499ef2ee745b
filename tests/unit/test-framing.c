/* test-framing.c: Content-Length, Range and Content-Range, read strictly; requests checked.
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libsoup/soup.h>

#include "ladle-error.h"
#include "ladle-framing-private.h"

typedef struct
{
  const char *text;
  gboolean    valid;
  gint64      value;
} LengthCase;

static const LengthCase lengths[] = {
  { "0", TRUE, 0 },
  { "12", TRUE, 12 },
  { "007", TRUE, 7 },
  { "9223372036854775807", TRUE, G_MAXINT64 },
  { "9223372036854775808", FALSE, 0 },
  { "99999999999999999999", FALSE, 0 },
  { "18446744073709551615", FALSE, 0 },
  { "-12", FALSE, 0 },
  { "+12", FALSE, 0 },
  { "", FALSE, 0 },
  { " 12", FALSE, 0 },
  { "12 ", FALSE, 0 },
  { "12abc", FALSE, 0 },
  { "0x10", FALSE, 0 },
  { "1e3", FALSE, 0 },
  { "1.0", FALSE, 0 },
};

static void
test_parse_length (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      gint64 value = -42;

      g_test_message ("“%s”", lengths[i].text);
      g_assert_cmpint (_ladle_framing_parse_length (lengths[i].text, &value), ==, lengths[i].valid);
      if (lengths[i].valid)
        g_assert_cmpint (value, ==, lengths[i].value);
    }
  g_assert_false (_ladle_framing_parse_length (NULL, NULL));
}

typedef struct
{
  const char *headers[3];   /* Content-Length values, each appended as a header */
  int         code;         /* -1: valid */
  gint64      length;
} ContentLengthCase;

static const ContentLengthCase content_lengths[] = {
  { { NULL }, -1, -1 },
  { { "10" }, -1, 10 },
  { { "10", "10" }, -1, 10 },
  { { "10, 10" }, -1, 10 },
  { { "10", "20" }, LADLE_ERROR_INVALID_RESPONSE, 0 },
  { { "10, 20" }, LADLE_ERROR_INVALID_RESPONSE, 0 },
  { { "-1" }, LADLE_ERROR_INVALID_RESPONSE, 0 },
  { { "ten" }, LADLE_ERROR_INVALID_RESPONSE, 0 },
  { { "10", "" }, LADLE_ERROR_INVALID_RESPONSE, 0 },
  { { "99999999999999999999" }, LADLE_ERROR_INVALID_RESPONSE, 0 },
};

static void
test_content_length (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (content_lengths); i++)
    {
      g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      g_autoptr(GError) error = NULL;
      gint64 length = -42;
      gboolean ok;

      for (guint j = 0; j < G_N_ELEMENTS (content_lengths[i].headers) && content_lengths[i].headers[j]; j++)
        soup_message_headers_append (headers, "Content-Length", content_lengths[i].headers[j]);

      ok = _ladle_framing_content_length (headers, &length, &error);
      g_test_message ("case %u", i);
      if (content_lengths[i].code < 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpint (length, ==, content_lengths[i].length);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, LADLE_ERROR, content_lengths[i].code);
        }
    }
}

typedef struct
{
  const char *text;
  gboolean    valid;
  gint64      start, end, total;
} RangeCase;

static const RangeCase content_ranges[] = {
  { "bytes 0-9/10", TRUE, 0, 9, 10 },
  { "bytes 100-199/*", TRUE, 100, 199, -1 },
  { "bytes 5-5/6", TRUE, 5, 5, 6 },
  { "bytes 5-2/10", FALSE },
  { "bytes 0-9/5", FALSE },
  { "bytes 0-9/9", FALSE },
  { "bytes a-b/c", FALSE },
  { "0-9/10", FALSE },
  { "bytes 0-9", FALSE },
  { "bytes -9/10", FALSE },
  { "bytes 0-/10", FALSE },
  { "bytes 0-9/10/11", FALSE },
  { "bytes 0-99999999999999999999/*", FALSE },
  { "bytes */10", FALSE },
  { "items 0-9/10", FALSE },
  { "bytes  0-9/10", FALSE },
  { NULL, FALSE },
};

static void
test_content_range (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (content_ranges); i++)
    {
      gint64 start = -42, end = -42, total = -42;

      g_test_message ("“%s”", content_ranges[i].text ? content_ranges[i].text : "(none)");
      g_assert_cmpint (_ladle_framing_parse_content_range (content_ranges[i].text, &start, &end, &total),
                       ==, content_ranges[i].valid);
      if (content_ranges[i].valid)
        {
          g_assert_cmpint (start, ==, content_ranges[i].start);
          g_assert_cmpint (end, ==, content_ranges[i].end);
          g_assert_cmpint (total, ==, content_ranges[i].total);
        }
    }
}

static const RangeCase request_ranges[] = {
  { "bytes=100-", TRUE, 100, -1 },
  { "bytes=0-99", TRUE, 0, 99 },
  { "bytes=5-4", FALSE },
  { "bytes=-100", TRUE, -1, 100 },
  { "bytes=-0", FALSE },
  { "bytes=0-1,5-6", FALSE },
  { "bytes=a-", FALSE },
  { "items=0-1", FALSE },
  { NULL, FALSE },
};

static void
test_request_range (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (request_ranges); i++)
    {
      g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      gint64 start = -42, end = -42;

      if (request_ranges[i].text != NULL)
        soup_message_headers_append (headers, "Range", request_ranges[i].text);
      g_test_message ("“%s”", request_ranges[i].text ? request_ranges[i].text : "(none)");
      g_assert_cmpint (_ladle_framing_request_range (headers, &start, &end), ==, request_ranges[i].valid);
      if (request_ranges[i].valid)
        {
          g_assert_cmpint (start, ==, request_ranges[i].start);
          g_assert_cmpint (end, ==, request_ranges[i].end);
        }
    }
}

static void
test_request_checks (void)
{
  static const struct { const char *method; gboolean valid; } methods[] = {
    { "GET", TRUE }, { "PROPFIND", TRUE }, { "M-SEARCH", TRUE },
    { "G ET", FALSE }, { "GET\t", FALSE }, { "GET /x HTTP/1.1\r\nX: y", FALSE },
    { "GÉT", FALSE }, { "GET(", FALSE }, { "", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autoptr(SoupMessage) message = soup_message_new ("GET", "http://example.com/");
      g_autoptr(GError) error = NULL;

      g_object_set (message, "method", methods[i].method, NULL);
      g_test_message ("method “%s”", methods[i].method);
      g_assert_cmpint (_ladle_framing_check_request (message, &error), ==, methods[i].valid);
      if (!methods[i].valid)
        g_assert_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST);
    }

  {
    g_autoptr(SoupMessage) message = soup_message_new ("GET", "http://example.com/");
    g_autoptr(GError) error = NULL;

    soup_message_headers_append (soup_message_get_request_headers (message), "X-Good", "value");
    g_assert_true (_ladle_framing_check_request (message, &error));
    g_assert_no_error (error);
    soup_message_headers_append (soup_message_get_request_headers (message), "X(Bad)", "value");
    g_assert_false (_ladle_framing_check_request (message, &error));
    g_assert_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Unit/Framing/length", test_parse_length);
  g_test_add_func ("/Ladle/Unit/Framing/content-length", test_content_length);
  g_test_add_func ("/Ladle/Unit/Framing/content-range", test_content_range);
  g_test_add_func ("/Ladle/Unit/Framing/request-range", test_request_range);
  g_test_add_func ("/Ladle/Unit/Framing/request", test_request_checks);

  return g_test_run ();
}
