/* ladle-debug-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Flags of the LADLE_DEBUG environment variable (comma-separated, "help" lists them). */
typedef enum
{
  LADLE_DEBUG_NO_DIRECT_BODY         = 1 << 0, /* libsoup writes every request body itself */
  LADLE_DEBUG_NO_H2_BODY_WORKAROUND  = 1 << 1, /* request bodies go to libsoup unwrapped */
} LadleDebugFlags;

LadleDebugFlags _ladle_debug_flags (void);

G_END_DECLS
