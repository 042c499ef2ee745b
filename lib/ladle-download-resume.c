/* ladle-download-resume.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Resuming a download: the validators a download records from its response, and the check of
 * the answer to a resumed request (a 206 that continues the partial file with the same
 * validator, a 200 that starts over, a 416 that says the partial file was complete).
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-download-resume-private.h"
#include "ladle-error.h"
#include "ladle-util-private.h"

/* A strong validator: If-Range may use it, and a 206 must carry it unchanged. */
gboolean
_ladle_download_is_strong_etag (const char *etag)
{
  return etag != NULL && etag[0] == '"';
}

/* The size of the body the response carries: none for a HEAD, a 204 or a 304, whatever their
 * Content-Length says. */
gint64
_ladle_download_response_total (SoupMessage *message)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  guint status = soup_message_get_status (message);

  if (soup_message_get_method (message) == SOUP_METHOD_HEAD ||
      status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_NOT_MODIFIED)
    return 0;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    return soup_message_headers_get_content_length (headers);

  return -1;
}

/* Records the validators of a response in @record; returns whether the server refuses ranges. */
gboolean
_ladle_download_record_validators (LadleTaskRecord    *record,
                                   SoupMessageHeaders *headers)
{
  const char *accept_ranges = soup_message_headers_get_one (headers, "Accept-Ranges");

  _ladle_set_str (&record->etag, soup_message_headers_get_one (headers, "ETag"));
  _ladle_set_str (&record->last_modified, soup_message_headers_get_one (headers, "Last-Modified"));
  return accept_ranges != NULL && g_ascii_strcasecmp (accept_ranges, "none") == 0;
}

/* Checks the answer to a resumed download and says how the partial file continues: on success,
 * @record holds the validators and sizes of the response and @resumed how to go on
 * (@resumed->ranges_refused is updated only when the response's validators are read). */
gboolean
_ladle_download_check_resumed_response (SoupMessage      *message,
                                        LadleTaskRecord  *resuming,
                                        LadleTaskRecord  *record,
                                        LadleResumedBody *resumed,
                                        GError          **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  guint status = soup_message_get_status (message);
  gint64 offset = resuming->bytes_on_disk;

  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      goffset start, end, total;
      const char *etag = soup_message_headers_get_one (headers, "ETag");

      if (!soup_message_headers_get_content_range (headers, &start, &end, &total) || start != offset)
        {
          g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE,
                       _("The server answered the resumed download with a range that does not start at byte %lld"),
                       (long long) offset);
          return FALSE;
        }
      /* Like a strong-validator client: the partial response must carry the validator the
       * partial file was made with, unchanged. A server that ignores If-Range, or drops the
       * validator, would otherwise splice two versions of the resource. */
      if (_ladle_download_is_strong_etag (resuming->etag))
        {
          if (g_strcmp0 (etag, resuming->etag) != 0)
            {
              g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE,
                           _("The server's partial response has the ETag %s, not %s as the partial file"),
                           etag ? etag : "(none)", resuming->etag);
              return FALSE;
            }
        }
      else
        {
          const char *last_modified = soup_message_headers_get_one (headers, "Last-Modified");

          if (g_strcmp0 (last_modified, resuming->last_modified) != 0)
            {
              g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE,
                           _("The server's partial response has the Last-Modified date %s, not %s as the partial file"),
                           last_modified ? last_modified : "(none)", resuming->last_modified);
              return FALSE;
            }
        }

      /* The worker checks the size again as it opens the file. */
      resumed->mode = LADLE_PARTIAL_FILE_APPEND;
      record->bytes_on_disk = offset;
      record->expected_total = total >= 0 ? total : -1;
      if (record->expected_total < 0 && soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        record->expected_total = offset + soup_message_headers_get_content_length (headers);
      resumed->ranges_refused = _ladle_download_record_validators (record, headers);
      if (record->etag == NULL)
        _ladle_set_str (&record->etag, resuming->etag);
      if (record->last_modified == NULL)
        _ladle_set_str (&record->last_modified, resuming->last_modified);
      resumed->offset = offset;
      resumed->total = record->expected_total;
      return TRUE;
    }

  if (status == SOUP_STATUS_OK)
    {
      /* The resource changed, or the server ignores ranges: start over, in a new partial file,
       * so that the old resume data can never splice these bytes into its own. */
      resumed->mode = LADLE_PARTIAL_FILE_CREATE;
      record->bytes_on_disk = 0;
      record->expected_total = _ladle_download_response_total (message);
      resumed->ranges_refused = _ladle_download_record_validators (record, headers);
      resumed->offset = 0;
      resumed->total = record->expected_total;
      return TRUE;
    }

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE &&
      resuming->expected_total == offset)
    {
      gint64 total = -1;
      const char *range = soup_message_headers_get_one (headers, "Content-Range");

      /* A Content-Range of "bytes *\/N" with N the recorded total: the partial file was
       * complete already. */
      if (range != NULL && g_str_has_prefix (range, "bytes */") &&
          g_ascii_string_to_signed (range + strlen ("bytes */"), 10, 0, G_MAXINT64, &total, NULL) &&
          total == offset)
        {
          resumed->mode = LADLE_PARTIAL_FILE_APPEND;
          record->bytes_on_disk = offset;
          record->expected_total = offset;
          resumed->discard_body = TRUE;
          resumed->offset = offset;
          resumed->total = offset;
          return TRUE;
        }
    }

  g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNEXPECTED_RANGE,
               _("The server answered the resumed download with status %u %s"),
               status, soup_message_get_reason_phrase (message) ? soup_message_get_reason_phrase (message) : "");
  return FALSE;
}
