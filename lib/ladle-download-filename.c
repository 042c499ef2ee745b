/* ladle-download-filename.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The names of downloaded files: ladle_sanitize_filename() makes a name proposed by a server or
 * a URL safe to create in a directory, and the suggested file name of a download task comes
 * from its response here.
 */

#include "config.h"

#include "ladle-download-filename-private.h"
#include "ladle-download-task.h"

static char *
base_name_of (const char *name)
{
  const char *start = name;

  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == '\\')
      start = p + 1;

  return g_strdup (start);
}

/**
 * ladle_sanitize_filename:
 * @name: a file name proposed by a server or a URL
 *
 * Reduces @name to a base name that is safe to create in a directory: everything up to the last
 * `/` or `\` is dropped, control characters and Unicode format characters (category Cf: bidi
 * overrides and isolates, zero-width spaces and joiners) are removed, leading dots and spaces
 * are stripped,
 * invalid UTF-8 is replaced and the length is limited to 200 bytes. The result is never empty,
 * never `.` or `..`: it falls back to `download`.
 *
 * Returns: (transfer full): a safe base name
 */
char *
ladle_sanitize_filename (const char *name)
{
  g_autofree char *valid = NULL;
  g_autofree char *base = NULL;
  GString *clean;
  const char *p;

  g_return_val_if_fail (name != NULL, NULL);

  valid = g_utf8_make_valid (name, -1);
  base = base_name_of (valid);

  clean = g_string_new (NULL);
  for (p = base; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* Control characters, and format characters (bidi overrides and isolates, zero-width
       * characters: Unicode category Cf), which could make a name display as another. */
      if (g_unichar_iscntrl (c) || c == 0x7f || g_unichar_type (c) == G_UNICODE_FORMAT)
        continue;
      if (clean->len == 0 && (c == '.' || g_unichar_isspace (c)))
        continue;
      if (clean->len + (g_utf8_next_char (p) - p) > 200)
        break;
      g_string_append_unichar (clean, c);
    }

  while (clean->len > 0 && g_ascii_isspace (clean->str[clean->len - 1]))
    g_string_truncate (clean, clean->len - 1);

  if (clean->len == 0)
    g_string_assign (clean, "download");

  return g_string_free (clean, FALSE);
}

/* A safe name for the file of @message's response: its Content-Disposition filename, else the
 * last segment of its URI's path, else its host. */
char *
_ladle_download_suggest_filename (SoupMessage *message)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  g_autoptr(GHashTable) params = NULL;
  const char *path;

  if (soup_message_headers_get_content_disposition (headers, NULL, &params))
    {
      const char *filename = g_hash_table_lookup (params, "filename");

      if (filename != NULL && *filename != '\0')
        return ladle_sanitize_filename (filename);
    }

  path = g_uri_get_path (soup_message_get_uri (message));
  if (path != NULL)
    {
      g_autofree char *unescaped = g_uri_unescape_string (path, NULL);
      g_autofree char *base = base_name_of (unescaped != NULL ? unescaped : path);

      if (*base != '\0')
        return ladle_sanitize_filename (base);
    }

  return ladle_sanitize_filename (g_uri_get_host (soup_message_get_uri (message)));
}
