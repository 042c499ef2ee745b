/* ladle-test-files.c: files and directories as a test looks at them.
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <glib/gstdio.h>

#include "ladle-test.h"

/* Removes @path and, when it is a directory (not a link to one), everything in it. */
void
ladle_test_remove_tree (const char *path)
{
  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          ladle_test_remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **)a, *(const char **)b);
}

/* The names in @path, sorted, joined by spaces; "" when empty or missing. */
char *
ladle_test_list_directory (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);

  return g_strjoinv (" ", (char **)names->pdata);
}

/* The size of @path itself (a link is not followed), -1 when it does not exist. */
gint64
ladle_test_file_size (const char *path)
{
  GStatBuf buf;

  if (g_lstat (path, &buf) != 0)
    return -1;

  return buf.st_size;
}

/* Resume data written by hand (docs/resume-data.md): what another process or an old version
 * could hand the library. A request header "Accept: * / *" is always there. */
GBytes *
ladle_test_resume_data_build (const LadleTestResumeFields *fields)
{
  g_auto(GVariantBuilder) headers = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ss)"));
  g_autoptr(GVariantDict) dict = g_variant_dict_new (NULL);
  g_autoptr(GVariant) variant = NULL;

  g_variant_builder_add (&headers, "(ss)", "Accept", "*/*");
  if (fields->header_name != NULL)
    g_variant_builder_add (&headers, "(ss)", fields->header_name, fields->header_value);
  g_variant_dict_insert (dict, "format", "s", "org.gnome.Ladle.ResumeData");
  g_variant_dict_insert (dict, "version", "u", fields->version ? fields->version : 1);
  g_variant_dict_insert (dict, "url", "s", fields->url);
  g_variant_dict_insert (dict, "method", "s", fields->method ? fields->method : "GET");
  g_variant_dict_insert_value (dict, "headers", g_variant_builder_end (&headers));
  g_variant_dict_insert (dict, "partial-file", "s", fields->partial);
  g_variant_dict_insert (dict, "bytes-received", "t", fields->bytes_received);
  g_variant_dict_insert (dict, "expected-total", "x", fields->expected_total);
  if (fields->etag != NULL)
    g_variant_dict_insert (dict, "etag", "s", fields->etag);
  if (fields->last_modified != NULL)
    g_variant_dict_insert (dict, "last-modified", "s", fields->last_modified);

  variant = g_variant_ref_sink (g_variant_dict_end (dict));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (variant);

      g_variant_unref (variant);
      variant = swapped;
    }

  return g_variant_get_data_as_bytes (variant);
}
