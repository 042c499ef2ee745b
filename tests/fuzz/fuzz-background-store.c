/* fuzz-background-store.c: a background session's store from arbitrary bytes.
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The first byte chooses how the rest is read: as the serialized GVariant that GSettings keeps
 * (0, binary, little-endian) or as the GVariant text the key-file store keeps (1). The store's
 * loader (_ladle_background_store_parse_state) must keep only entries it can use and drop the
 * others with a warning: every record it keeps deserializes, is filed under its own identifier,
 * and is below the next identifier it returns.
 */

#include <stdint.h>
#include <string.h>

#include "ladle-background-store-private.h"
#include "ladle-error.h"

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define STATE_TYPE "(uta{ta{sv}}a{ta{sv}})"

/* The loader's own warnings about what it drops are what it is meant to do. */
static gboolean
store_warning_is_known (const char *domain,
                        const char *message)
{
  return g_strcmp0 (domain, "Ladle") == 0 && message != NULL &&
         (g_str_has_prefix (message, "Dropping the stored ") ||
          g_str_has_prefix (message, "Ignoring a background session store of format version"));
}

static void
check_table (GHashTable *table,
             guint64     next_identifier,
             gboolean    completions)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint64 identifier = *(guint64 *) key;
      g_autoptr(GVariant) record_variant = NULL;
      g_autoptr(LadleTaskRecord) record = NULL;
      g_autoptr(GError) error = NULL;

      fuzz_check (identifier < next_identifier);
      if (completions)
        {
          g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (value);

          record_variant = g_variant_dict_lookup_value (&dict, "record", G_VARIANT_TYPE_VARDICT);
          fuzz_check (record_variant != NULL);
        }
      else
        record_variant = g_variant_ref (value);

      record = _ladle_task_record_deserialize (record_variant, &error);
      fuzz_check (record != NULL);
      fuzz_check (record->identifier == identifier);
    }
}

static void
fuzz_state (GVariant *state)
{
  g_autoptr(GHashTable) records = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                          (GDestroyNotify) g_variant_unref);
  g_autoptr(GHashTable) completions = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                              (GDestroyNotify) g_variant_unref);
  guint64 next = 0;

  if (!_ladle_background_store_parse_state (state, &next, records, completions))
    {
      fuzz_check (g_hash_table_size (records) == 0 && g_hash_table_size (completions) == 0);
      return;
    }

  fuzz_check (next >= 1);
  check_table (records, next, FALSE);
  check_table (completions, next, TRUE);
  /* A task is unfinished or completed, never both. */
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, completions);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      fuzz_check (!g_hash_table_contains (records, key));
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  fuzz_warning_is_known = store_warning_is_known;
  fuzz_install_log_writer ();

  if (size < 1)
    return 0;

  if (data[0] == 0)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (data + 1, size - 1);
      g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (STATE_TYPE), bytes, FALSE));
      g_autoptr(GVariant) normal = NULL;

      if (G_BYTE_ORDER == G_BIG_ENDIAN)
        {
          GVariant *swapped = g_variant_byteswap (variant);

          g_variant_unref (variant);
          variant = swapped;
        }
      normal = g_variant_get_normal_form (variant);
      fuzz_state (normal);
    }
  else
    {
      g_autofree char *text = g_strndup ((const char *) data + 1, size - 1);
      g_autoptr(GVariant) state = _ladle_background_store_parse_text (text, NULL);

      if (state != NULL)
        fuzz_state (state);
    }

  return 0;
}
