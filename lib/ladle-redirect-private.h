/* ladle-redirect-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* 301 302 303 307 308 */
gboolean     _ladle_redirect_is_redirect_status (guint         status);
/* The request of the next hop for @message, which holds a redirect response. Returns NULL
 * without error when the response is to be delivered as it is (no or empty Location; a 307/308
 * of a request with a body that cannot be resent, i.e. !@can_resend_body). NULL with
 * LADLE_ERROR_UNSUPPORTED_REDIRECT for an unparsable or non-http(s) Location, with
 * LADLE_ERROR_TOO_MANY_REDIRECTS when @n_redirects >= @max_redirects. 303 (non-GET/HEAD) and
 * 301/302 after POST become GET and drop the body headers; credentials in the Location are
 * removed; credential headers are dropped when the origin changes; flags, priority,
 * is-top-level-navigation, first-party and every disabled feature are carried over. */
SoupMessage *_ladle_redirect_build_next        (SoupMessage  *message,
                                                guint         n_redirects,
                                                guint         max_redirects,
                                                gboolean      can_resend_body,
                                                GError      **error);

G_END_DECLS
