/* ladle-cli-format.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* JSON members, sizes, rates and the progress line of the `ladle` command. */

#include "ladle-cli-config.h"

#include <string.h>

#include "ladle-cli.h"

void
ladle_cli_json_add_string (JsonBuilder *builder,
                           const char  *member,
                           const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    {
      /* json-glib writes the bytes it is given: they must be UTF-8 */
      g_autofree char *valid = g_utf8_make_valid (value, -1);

      json_builder_add_string_value (builder, valid);
    }
}

char *
ladle_cli_json_to_line (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;
  GString *line;
  const char *p;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  /* json-glib 1.6 (Debian 12) writes U+001F as it is, which JSON forbids: control characters
   * can only be inside strings, where they are escaped here */
  line = g_string_sized_new (strlen (text) + 1);
  for (p = text; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20)
        g_string_append_printf (line, "\\u%04x", (guint) (guchar) *p);
      else
        g_string_append_c (line, *p);
    }
  g_string_append_c (line, '\n');
  return g_string_free (line, FALSE);
}

char *
ladle_cli_format_size (gint64 bytes)
{
  if (bytes < 0)
    return g_strdup ("?");
  if (bytes < 1024)
    return g_strdup_printf ("%" G_GINT64_FORMAT " B", bytes);
  {
    g_autofree char *text = g_format_size_full ((guint64) bytes, G_FORMAT_SIZE_IEC_UNITS);
    g_auto(GStrv) parts = g_strsplit (text, "\u00a0", -1);

    /* GLib puts a no-break space before the unit: a plain one is easier to read in logs */
    return g_strjoinv (" ", parts);
  }
}

char *
ladle_cli_format_rate (double bytes_per_second)
{
  g_autofree char *size = NULL;

  if (bytes_per_second < 0)
    return g_strdup ("--/s");
  size = ladle_cli_format_size ((gint64) (bytes_per_second + 0.5));
  return g_strconcat (size, "/s", NULL);
}

char *
ladle_cli_format_duration (gint64 seconds)
{
  if (seconds < 0)
    return g_strdup ("--:--");
  if (seconds >= 100 * 3600)
    return g_strdup (">99h");
  if (seconds >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", (int) (seconds / 3600), (int) (seconds / 60 % 60),
                            (int) (seconds % 60));
  return g_strdup_printf ("%d:%02d", (int) (seconds / 60), (int) (seconds % 60));
}

/* Columns a character takes on a terminal. */
static guint
char_columns (gunichar c)
{
  if (g_unichar_iszerowidth (c))
    return 0;
  return g_unichar_iswide (c) ? 2 : 1;
}

/* A name that is safe to print on a terminal: valid UTF-8 without control characters (a file
 * name holding an escape sequence must not drive the terminal). */
char *
ladle_cli_terminal_safe (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);
  GString *out = g_string_new (NULL);
  const char *p;

  for (p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        g_string_append_c (out, '?');
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  return g_string_free (out, FALSE);
}

static guint
columns_of (const char *text)
{
  guint columns = 0;
  const char *p;

  for (p = text; *p != '\0'; p = g_utf8_next_char (p))
    columns += char_columns (g_utf8_get_char (p));
  return columns;
}

/* Cuts @text (valid UTF-8) to at most @columns, with "…" at the end when something was cut. */
static void
truncate_columns (GString *text,
                  guint    columns)
{
  const char *p;
  guint used = 0;

  if (columns_of (text->str) <= columns)
    return;
  if (columns == 0)
    {
      g_string_truncate (text, 0);
      return;
    }
  for (p = text->str; *p != '\0'; p = g_utf8_next_char (p))
    {
      guint w = char_columns (g_utf8_get_char (p));

      if (used + w > columns - 1)
        break;
      used += w;
    }
  g_string_truncate (text, p - text->str);
  g_string_append (text, "…");
}

static void
pad_columns (GString *text,
             guint    columns)
{
  guint have = columns_of (text->str);

  for (; have < columns; have++)
    g_string_append_c (text, ' ');
}

static void
append_bar (GString            *out,
            const LadleCliLine *line,
            guint               width)
{
  guint i;

  g_string_append_c (out, '[');
  if (line->total > 0 || line->finished || line->total == 0)
    {
      guint filled = width;

      if (line->total > 0 && !line->finished)
        filled = (guint) ((double) width * MIN (line->done, line->total) / line->total);
      for (i = 0; i < width; i++)
        {
          if (i < filled)
            g_string_append_c (out, '=');
          else if (i == filled)
            g_string_append_c (out, '>');
          else
            g_string_append_c (out, ' ');
        }
    }
  else
    {
      /* Unknown total: a "<=>" that goes to and fro. */
      guint span = width > 3 ? width - 3 : 1;
      guint step = line->tick % (2 * span);
      guint at = step < span ? step : 2 * span - step;

      for (i = 0; i < width; i++)
        {
          if (i == at)
            g_string_append_c (out, '<');
          else if (i == at + 1)
            g_string_append_c (out, '=');
          else if (i == at + 2)
            g_string_append_c (out, '>');
          else
            g_string_append_c (out, ' ');
        }
    }
  g_string_append_c (out, ']');
}

guint
ladle_cli_name_columns (const char *name)
{
  g_autofree char *safe = ladle_cli_terminal_safe (name);

  return columns_of (safe);
}

char *
ladle_cli_render_line (const LadleCliLine *line,
                       guint               width)
{
  g_autofree char *name = ladle_cli_terminal_safe (line->name);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) head = g_string_new (name);
  g_autoptr(GString) tail = g_string_new (NULL);
  g_autofree char *done = ladle_cli_format_size (line->done);
  g_autofree char *total = line->total >= 0 ? ladle_cli_format_size (line->total) : NULL;
  g_autofree char *rate = ladle_cli_format_rate (line->rate);
  g_autofree char *when = NULL;
  g_autofree char *pct = NULL;
  guint name_columns = 0, tail_columns = 0;
  guint variant;
  int bar = 0;

  if (line->failure != NULL)
    {
      g_autofree char *failure = ladle_cli_terminal_safe (line->failure);

      g_string_append_printf (head, "  failed: %s", failure);
      truncate_columns (head, width);
      return g_strdup (head->str);
    }

  if (line->total > 0)
    pct = g_strdup_printf ("%3d%%", (int) (100.0 * MIN (line->done, line->total) / line->total));
  else if (line->total == 0 || line->finished)
    pct = g_strdup ("100%");
  else
    pct = g_strdup ("    ");

  if (line->finished)
    {
      g_autofree char *took = ladle_cli_format_duration ((gint64) (line->elapsed + 0.5));
      when = g_strdup_printf ("in %s", took);
    }
  else if (line->total >= 0 && line->rate > 0)
    {
      g_autofree char *eta = ladle_cli_format_duration ((gint64) ((line->total - line->done) / line->rate + 0.5));
      when = g_strdup_printf ("ETA %s", eta);
    }
  else if (line->total >= 0)
    when = g_strdup ("ETA --:--");
  else
    when = g_strdup ("");

  /* Narrow terminals lose the sizes first, then the rate and the ETA, and the bar last */
  for (variant = 0; variant < 3; variant++)
    {
      g_string_truncate (tail, 0);
      if (variant == 0 && total != NULL && !line->finished)
        g_string_append_printf (tail, " %s/%s  %s", done, total, rate);
      else if (variant == 0)
        g_string_append_printf (tail, " %s  %s", done, rate);
      else if (variant == 1)
        g_string_append_printf (tail, " %s", rate);
      if (variant < 2 && *when != '\0')
        g_string_append_printf (tail, "  %s", when);

      /* name, two spaces, "NNN% ", "[bar]", tail: the bar takes what is left, within limits;
       * it has the room for at least 12 columns before the name gets more than 10 */
      tail_columns = columns_of (tail->str) + 5 + 2;
      name_columns = MAX (columns_of (head->str), line->name_columns);
      if (width > tail_columns + 2 + 12 + 10)
        name_columns = MIN (name_columns, width - tail_columns - 2 - 12);
      else
        name_columns = MIN (name_columns, 10);
      bar = (int) width - (int) name_columns - 2 - (int) tail_columns;
      if (bar >= 10)
        break;
    }
  bar = MIN (bar, 50);
  truncate_columns (head, name_columns);
  pad_columns (head, name_columns);

  g_string_append (out, head->str);
  g_string_append (out, "  ");
  g_string_append (out, pct);
  g_string_append_c (out, ' ');
  if (bar >= 4)
    append_bar (out, line, (guint) bar);
  g_string_append (out, tail->str);
  truncate_columns (out, width);
  return g_strdup (out->str);
}
