/* ladle-debug.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ladle-debug-private.h"

/* Read once: the flags switch workarounds off for a whole process. */
LadleDebugFlags
_ladle_debug_flags (void)
{
  static gsize flags = 0;

  if (g_once_init_enter (&flags))
    {
      static const GDebugKey keys[] = {
        { "no-direct-body", LADLE_DEBUG_NO_DIRECT_BODY },
        { "no-h2-body-workaround", LADLE_DEBUG_NO_H2_BODY_WORKAROUND },
      };
      guint value = g_parse_debug_string (g_getenv ("LADLE_DEBUG"), keys, G_N_ELEMENTS (keys));

      /* 0 means "not read yet" to g_once_init_enter(): keep a bit that no flag uses. */
      g_once_init_leave (&flags, value | (1u << 31));
    }

  return flags & ~(1u << 31);
}
