/* ladle-debug-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ladle-session-configuration.h"

G_BEGIN_DECLS

/* Flags of the LADLE_DEBUG environment variable (comma-separated, "help" lists them). */
typedef enum
{
  LADLE_DEBUG_NO_DIRECT_BODY         = 1 << 0, /* libsoup writes every request body itself */
  LADLE_DEBUG_NO_H2_BODY_WORKAROUND  = 1 << 1, /* request bodies go to libsoup unwrapped */
  LADLE_DEBUG_HTTP                   = 1 << 2, /* request and response headers on stderr */
  LADLE_DEBUG_NO_SPLICE_BODY         = 1 << 3, /* download bodies are read by libsoup, never spliced */
} LadleDebugFlags;

LadleDebugFlags _ladle_debug_flags (void);

/* With LADLE_DEBUG=http, adds a SoupLogger to @session that prints request and response headers
 * (never bodies) to stderr, credentials and the headers @configuration marks sensitive redacted. */
void _ladle_debug_setup_session (SoupSession               *session,
                                 LadleSessionConfiguration *configuration);

/* The line the SoupLogger printer writes for one line of libsoup's log (redacted), without
 * the end of line; NULL for none. */
char *_ladle_debug_http_line (LadleSessionConfiguration *configuration,
                              char                       direction,
                              const char                *data);

G_END_DECLS
