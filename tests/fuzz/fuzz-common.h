/* fuzz-common.h: what every fuzz target shares.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

/* Bad input is a GError, never a warning: any GLib warning or critical on the way is a crash
 * the fuzzer reports (g_log_set_always_fatal() does not reach structured logging, a writer
 * does). */
static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  GLogWriterOutput output = g_log_writer_default (log_level, fields, n_fields, user_data);

  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      fprintf (stderr, "fuzz: a GLib warning or critical is fatal\n");
      abort ();
    }

  return output;
}

static inline void
fuzz_install_log_writer (void)
{
  static gsize once;

  if (g_once_init_enter (&once))
    {
      g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
      g_once_init_leave (&once, 1);
    }
}

/* Assertions that stay on in every build type (g_assert honours G_DISABLE_ASSERT). */
#define fuzz_check(expr)                                                                   \
  G_STMT_START {                                                                           \
    if (G_UNLIKELY (!(expr)))                                                              \
      {                                                                                    \
        fprintf (stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #expr); \
        abort ();                                                                          \
      }                                                                                    \
  } G_STMT_END
