/* fuzz-common.h: what every fuzz target shares.
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bad input is a GError, never a warning: any GLib warning or critical on the way is a crash
 * the fuzzer reports (g_log_set_always_fatal() does not reach structured logging, a writer
 * does). */
/* A target may tolerate a warning that is not Ladle's (one of libsoup's, say): it returns TRUE
 * for it. Each tolerated warning is documented where the target defines this. */
static gboolean (*fuzz_warning_is_known) (const char *domain,
                                          const char *message);

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  GLogWriterOutput output = g_log_writer_default (log_level, fields, n_fields, user_data);
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
        domain = fields[i].value;
      else if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
        message = fields[i].value;
    }

  if ((log_level & G_LOG_LEVEL_WARNING) && fuzz_warning_is_known != NULL &&
      fuzz_warning_is_known (domain, message))
    return output;
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
