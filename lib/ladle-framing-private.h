/* ladle-framing-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A decimal number of bytes, strictly: digits only, no sign, no space, fits in a goffset. */
gboolean _ladle_framing_parse_length        (const char          *text,
                                             gint64              *length);

/* The Content-Length of @headers: -1 when there is none, else every value (a repeated header,
 * or a list) must be a valid length and all must agree (RFC 9112 §6.3). */
gboolean _ladle_framing_content_length      (SoupMessageHeaders  *headers,
                                             gint64              *length,
                                             GError             **error);

/* A request's Range header when it asks for one range of bytes ("bytes=N-" or "bytes=N-M"):
 * @end is -1 for an open range; for a suffix range ("bytes=-N") @start is -1 and @end is N.
 * FALSE for none, several ranges or a malformed one. */
gboolean _ladle_framing_request_range       (SoupMessageHeaders  *headers,
                                             gint64              *start,
                                             gint64              *end);

/* "bytes START-END/TOTAL" (TOTAL may be "*": -1), strictly: START <= END, END < TOTAL. */
gboolean _ladle_framing_parse_content_range (const char          *text,
                                             gint64              *start,
                                             gint64              *end,
                                             gint64              *total);

/* Checks the final response of @message and gives the number of body bytes that must arrive
 * (-1 when the framing does not say: chunked, or until the connection closes). A 206 is
 * accepted only as the answer to the one range the request asked for, starting where it asked,
 * within what it asked, with the total @expected_total when that is known (>= 0). */
gboolean _ladle_framing_check_response      (SoupMessage         *message,
                                             gint64               expected_total,
                                             gint64              *body_length,
                                             GError             **error);

/* The request can go on the wire as it is: its method is a token, its header names are
 * tokens and no header value holds CR or LF. Else LADLE_ERROR_INVALID_REQUEST. */
gboolean _ladle_framing_check_request       (SoupMessage         *message,
                                             GError             **error);

G_END_DECLS
