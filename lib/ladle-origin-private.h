/* ladle-origin-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Same origin (RFC 6454): scheme and host compared case-insensitively, ports compared after
 * resolving the scheme's default (http 80, https 443) when a URI has none (-1). */
gboolean  _ladle_origin_same               (GUri               *a,
                                            GUri               *b);
/* "scheme://host:port", scheme and host lowercased, the port always explicit (default resolved). */
char     *_ladle_origin_to_string          (GUri               *uri);
/* @uri without user, password (auth params) and fragment; everything else kept. Transfer full. */
GUri     *_ladle_uri_strip_credentials     (GUri               *uri);
/* http or https with a non-empty host. */
gboolean  _ladle_uri_is_http               (GUri               *uri);
/* Authorization, Proxy-Authorization, Cookie (case-insensitive). */
gboolean  _ladle_header_is_credential      (const char         *name);
/* Content-Type, -Length, -Encoding, -Language, -Location, -MD5, -Range, Transfer-Encoding, Expect. */
gboolean  _ladle_header_is_body            (const char         *name);
/* Copies @from into @to for the next request of a redirect: never Host; not the body headers
 * when @drop_body; not the credential headers when !@same_origin. */
void      _ladle_headers_copy_for_hop      (SoupMessageHeaders *from,
                                            SoupMessageHeaders *to,
                                            gboolean            drop_body,
                                            gboolean            same_origin);
/* Whether a request header may be written into resume data: not the credentials, not Host,
 * Range, If-Range, Accept-Encoding, Connection, Content-Length, Transfer-Encoding, User-Agent
 * (exactly the skip list of copy_request_header() in ladle-download-task.c). */
gboolean  _ladle_header_is_storable        (const char         *name);

G_END_DECLS
