/* ladle-test-content.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Deterministic content: the generic stream (byte N computed from N alone, so any slice can be
 * produced without the rest) and the versioned content of /resource (SHA-256 blocks, which the
 * Python and GJS tests compute as well).
 */

#include "ladle-test.h"

#include <string.h>

#define VARIANT_BLOCK_SIZE 32

static guint64
content_block (guint64 index)
{
  /* splitmix64 of the 8-byte block index */
  guint64 x = index + G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);

  x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return x ^ (x >> 31);
}

guint8
ladle_test_content_byte (guint64 offset)
{
  return (content_block (offset / 8) >> ((offset % 8) * 8)) & 0xff;
}

void
ladle_test_content_fill (guint8  *buffer,
                         guint64  offset,
                         gsize    length)
{
  gsize i = 0;

  while (i < length)
    {
      guint64 block = content_block ((offset + i) / 8);
      guint shift = (offset + i) % 8;

      for (; shift < 8 && i < length; shift++, i++)
        buffer[i] = (block >> (shift * 8)) & 0xff;
    }
}

void
ladle_test_byte_array_append_content (GByteArray *array,
                                      guint64     offset,
                                      gsize       length)
{
  guint old_len = array->len;

  g_byte_array_set_size (array, old_len + length);
  ladle_test_content_fill (array->data + old_len, offset, length);
}

GBytes *
ladle_test_content_new (guint64 offset,
                        gsize   length)
{
  guint8 *data = g_malloc (length ? length : 1);

  ladle_test_content_fill (data, offset, length);
  return g_bytes_new_take (data, length);
}

GBytes *
ladle_test_content_for_seed (guint32 seed,
                             gsize   length)
{
  return ladle_test_content_new ((guint64) seed << 40, length);
}

char *
ladle_test_checksum_data (const guint8 *data,
                          gsize         length)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, length);
}

char *
ladle_test_checksum_bytes (GBytes *bytes)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

char *
ladle_test_content_checksum (gsize length)
{
  g_autoptr(GBytes) bytes = ladle_test_content_new (0, length);

  return ladle_test_checksum_bytes (bytes);
}

char *
ladle_test_checksum_file (const char *path)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;

  mapped = g_mapped_file_new (path, FALSE, NULL);
  if (mapped == NULL)
    return NULL;
  bytes = g_mapped_file_get_bytes (mapped);

  return ladle_test_checksum_bytes (bytes);
}

GBytes *
ladle_test_variant_content_new (guint variant,
                                gsize size)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 *data = g_malloc (MAX (size, 1));

  for (gsize offset = 0, block = 0; offset < size; offset += VARIANT_BLOCK_SIZE, block++)
    {
      char text[64];
      guint8 digest[VARIANT_BLOCK_SIZE];
      gsize digest_len = sizeof digest;

      g_snprintf (text, sizeof text, "ladle:%u:%" G_GSIZE_FORMAT, variant, block);
      g_checksum_reset (checksum);
      g_checksum_update (checksum, (const guchar *) text, -1);
      g_checksum_get_digest (checksum, digest, &digest_len);
      memcpy (data + offset, digest, MIN (VARIANT_BLOCK_SIZE, size - offset));
    }

  return g_bytes_new_take (data, size);
}

char *
ladle_test_variant_content_checksum (guint variant,
                                     gsize size)
{
  g_autoptr(GBytes) content = ladle_test_variant_content_new (variant, size);

  return ladle_test_checksum_bytes (content);
}
