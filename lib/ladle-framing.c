/* ladle-framing.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * How long a response body must be (private): Content-Length and Content-Range, read strictly.
 *
 * libsoup 3.2 reads these headers with g_ascii_strtoull(), which takes "-5" for a huge number
 * and ignores overflow, keeps the last of two disagreeing Content-Lengths, and accepts a
 * Content-Range whose end comes before its start. A body framed by any of those would be
 * counted against the wrong length, and a partial file spliced at the wrong place. So every
 * final response is checked here first (RFC 9112 §6.3, RFC 9110 §14.4): a bad length is a
 * protocol error, and a 206 must answer exactly the range that was asked for.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include <string.h>

#include "ladle-error.h"
#include "ladle-framing-private.h"

gboolean
_ladle_framing_parse_length (const char *text,
                             gint64     *length)
{
  guint64 value = 0;

  if (text == NULL || *text == '\0')
    return FALSE;

  for (const char *p = text; *p; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      if (value > ((guint64)G_MAXINT64 - (guint64)(*p - '0')) / 10)
        return FALSE;
      value = value * 10 + (*p - '0');
    }

  *length = value;
  return TRUE;
}

gboolean
_ladle_framing_content_length (SoupMessageHeaders  *headers,
                               gint64              *length,
                               GError             **error)
{
  const char *list = soup_message_headers_get_list (headers, "Content-Length");
  g_auto(GStrv) values = NULL;
  gint64 agreed = -1;

  *length = -1;
  if (list == NULL)
    return TRUE;

  /* Repeated headers come joined with commas; a list within one header is the same thing. */
  values = g_strsplit (list, ",", -1);
  if (values[0] == NULL)
    {
      g_set_error_literal (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE,
                           _("The response has an empty Content-Length"));
      return FALSE;
    }
  for (guint i = 0; values[i] != NULL; i++)
    {
      g_autofree char *value = g_strstrip (g_strdup (values[i]));
      gint64 parsed;

      if (!_ladle_framing_parse_length (value, &parsed))
        {
          g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE,
                       _("The response has an invalid Content-Length “%s”"), list);
          return FALSE;
        }
      if (agreed >= 0 && parsed != agreed)
        {
          g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE,
                       _("The response has Content-Lengths that disagree (%s)"), list);
          return FALSE;
        }
      agreed = parsed;
    }

  *length = agreed;
  return TRUE;
}

gboolean
_ladle_framing_request_range (SoupMessageHeaders *headers,
                              gint64             *start,
                              gint64             *end)
{
  const char *range = soup_message_headers_get_one (headers, "Range");
  g_autofree char *first = NULL;
  const char *dash;

  if (range == NULL || !g_str_has_prefix (range, "bytes=") || strchr (range, ',') != NULL)
    return FALSE;

  range += strlen ("bytes=");
  dash = strchr (range, '-');
  if (dash == NULL)
    return FALSE;
  /* A suffix range, "bytes=-N": the last N bytes (@start is -1, @end is N). */
  if (dash == range)
    {
      *start = -1;
      return _ladle_framing_parse_length (dash + 1, end) && *end > 0;
    }

  first = g_strndup (range, dash - range);
  if (!_ladle_framing_parse_length (g_strstrip (first), start))
    return FALSE;
  if (dash[1] == '\0')
    {
      *end = -1;
      return TRUE;
    }

  return _ladle_framing_parse_length (dash + 1, end) && *end >= *start;
}

gboolean
_ladle_framing_parse_content_range (const char *text,
                                    gint64     *start,
                                    gint64     *end,
                                    gint64     *total)
{
  g_auto(GStrv) parts = NULL;
  g_auto(GStrv) bounds = NULL;

  if (text == NULL || !g_str_has_prefix (text, "bytes "))
    return FALSE;

  parts = g_strsplit (text + strlen ("bytes "), "/", -1);
  if (g_strv_length (parts) != 2)
    return FALSE;
  bounds = g_strsplit (parts[0], "-", -1);
  if (g_strv_length (bounds) != 2 ||
      !_ladle_framing_parse_length (bounds[0], start) ||
      !_ladle_framing_parse_length (bounds[1], end) ||
      *end < *start)
    return FALSE;

  if (strcmp (parts[1], "*") == 0)
    *total = -1;
  else if (!_ladle_framing_parse_length (parts[1], total) || *end >= *total)
    return FALSE;

  return TRUE;
}

static gboolean
unexpected_range (GError     **error,
                  const char  *message)
{
  g_set_error_literal (error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE, message);
  return FALSE;
}

gboolean
_ladle_framing_check_response (SoupMessage  *message,
                               gint64        expected_total,
                               gint64       *body_length,
                               GError      **error)
{
  SoupMessageHeaders *response = soup_message_get_response_headers (message);
  SoupMessageHeaders *request = soup_message_get_request_headers (message);
  gint64 length;
  gint64 asked_start, asked_end;
  gint64 start, end, total;
  const char *content_type;

  if (!_ladle_framing_content_length (response, &length, error))
    return FALSE;
  /* Transfer-Encoding overrides Content-Length (RFC 9112 §6.3); libsoup reads it so. */
  if (soup_message_headers_get_encoding (response) == SOUP_ENCODING_CHUNKED)
    length = -1;

  *body_length = length;
  if (soup_message_get_status (message) != SOUP_STATUS_PARTIAL_CONTENT)
    return TRUE;

  if (soup_message_headers_get_one (request, "Range") == NULL)
    return unexpected_range (error, _("The server's 206 Partial Content answers a request that asked for no range"));

  if (!_ladle_framing_request_range (request, &asked_start, &asked_end))
    {
      /* Several ranges: the answer is a multipart/byteranges body, for the application. */
      content_type = soup_message_headers_get_content_type (response, NULL);
      if (content_type != NULL && g_ascii_strcasecmp (content_type, "multipart/byteranges") == 0)
        return TRUE;
      return unexpected_range (error, _("The server's 206 Partial Content does not answer the ranges that were asked for"));
    }

  if (!_ladle_framing_parse_content_range (soup_message_headers_get_one (response, "Content-Range"),
                                           &start, &end, &total))
    return unexpected_range (error, _("The server's 206 Partial Content has no valid Content-Range"));
  if (asked_start < 0)
    {
      /* The last asked_end bytes: the range must end the resource and be that long (or the
       * whole resource when it is shorter). */
      if (total < 0 || end != total - 1 || end - start + 1 != MIN (asked_end, total))
        return unexpected_range (error, _("The server's 206 Partial Content does not hold the last bytes that were asked for"));
      asked_start = start;
      asked_end = end;
    }
  if (start != asked_start)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE,
                   _("The server's 206 Partial Content starts at byte %lld, not at byte %lld as asked"),
                   (long long) start, (long long) asked_start);
      return FALSE;
    }
  if (asked_end >= 0 && end > asked_end)
    return unexpected_range (error, _("The server's 206 Partial Content goes past the end of the range that was asked for"));
  if (expected_total >= 0 && total >= 0 && total != expected_total)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE,
                   _("The server's 206 Partial Content gives the resource %lld bytes, not %lld as recorded"),
                   (long long) total, (long long) expected_total);
      return FALSE;
    }
  if (length >= 0 && length != end - start + 1)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESPONSE,
                   _("The response's Content-Length %lld disagrees with its Content-Range (%lld bytes)"),
                   (long long) length, (long long) (end - start + 1));
      return FALSE;
    }

  /* Even a chunked 206 must reach the end of its range. */
  *body_length = end - start + 1;
  return TRUE;
}

typedef struct
{
  const char *bad_name;
  const char *bad_value;
} HeaderCheck;

static void
check_header (const char *name,
              const char *value,
              gpointer    user_data)
{
  HeaderCheck *check = user_data;
  static const char separators[] = "()<>@,;:\\\"/[]?={} \t";

  if (check->bad_name != NULL)
    return;

  for (const char *p = name; *p; p++)
    if ((guchar)*p <= 0x20 || (guchar)*p >= 0x7f || strchr (separators, *p) != NULL)
      {
        check->bad_name = name;
        return;
      }
  if (*name == '\0' || strpbrk (value, "\r\n") != NULL)
    {
      check->bad_name = name;
      check->bad_value = value;
    }
}

gboolean
_ladle_framing_check_request (SoupMessage  *message,
                              GError      **error)
{
  const char *method = soup_message_get_method (message);
  HeaderCheck check = { NULL, NULL };

  /* A method is a token (RFC 9110 §9.1): libsoup writes it into the request line as it is. */
  if (method == NULL || *method == '\0')
    {
      g_set_error_literal (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST,
                           _("The request has no method"));
      return FALSE;
    }
  for (const char *p = method; *p; p++)
    if ((guchar)*p <= 0x20 || (guchar)*p >= 0x7f || strchr ("()<>@,;:\\\"/[]?={} \t", *p) != NULL)
      {
        g_autofree char *shown = g_strescape (method, NULL);

        g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST,
                     _("The request method “%s” is not a token"), shown);
        return FALSE;
      }

  soup_message_headers_foreach (soup_message_get_request_headers (message), check_header, &check);
  if (check.bad_name != NULL)
    {
      g_autofree char *shown = g_strescape (check.bad_name, NULL);

      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST,
                   check.bad_value != NULL ? _("The request header “%s” has a value with CR or LF")
                                           : _("The request header name “%s” is not a token"),
                   shown);
      return FALSE;
    }

  return TRUE;
}
