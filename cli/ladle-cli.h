/* ladle-cli.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The pieces of the `ladle` command that are plain code, tested without a server
 * (tests/cli/test-cli-format.c): JSON members, sizes, rates, and the progress line. */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Sets @member of the object being built to @value, or to null for NULL. Invalid UTF-8 (a
 * file name in another encoding) becomes U+FFFD, so that the output is always valid JSON. */
void   ladle_cli_json_add_string    (JsonBuilder *builder,
                                     const char  *member,
                                     const char  *value);

/* The builder's value as compact JSON on one line, with its newline. */
char  *ladle_cli_json_to_line       (JsonBuilder *builder);

/* @text as valid UTF-8 with every control character (C0, DEL, C1) replaced by "?": a name from
 * the network or the command line must not drive the terminal. */
char  *ladle_cli_terminal_safe      (const char *text);

/* "1.5 MiB", "512 B": IEC units, as wget and curl show them. */
char  *ladle_cli_format_size        (gint64      bytes);

/* "1.5 MiB/s"; "--" when @bytes_per_second is negative (not known yet). */
char  *ladle_cli_format_rate        (double      bytes_per_second);

/* "0:05", "1:02:03"; "--:--" when @seconds is negative (not known). */
char  *ladle_cli_format_duration    (gint64      seconds);

typedef struct
{
  const char *name;         /* what is transferred: a file name, or the URL's */
  gint64      done;         /* bytes so far */
  gint64      total;        /* -1 when unknown */
  double      rate;         /* bytes per second, -1 when unknown */
  double      elapsed;      /* seconds since the transfer started */
  gboolean    finished;     /* the final line: elapsed time instead of the ETA */
  const char *failure;      /* the final line of a failed transfer, or NULL */
  guint       tick;         /* animation step of a transfer without a known total */
  guint       name_columns; /* pad the name to this many columns (to align lines), or 0 */
} LadleCliLine;

/* The columns @name takes in a progress line. */
guint  ladle_cli_name_columns       (const char *name);

/* One progress line of exactly @width columns at most (counted in characters, not bytes),
 * without a newline: "name  45% [=====>      ] 1.2 MiB/2.7 MiB  3.2 MiB/s  ETA 0:05". */
char  *ladle_cli_render_line        (const LadleCliLine *line,
                                     guint               width);

G_END_DECLS
