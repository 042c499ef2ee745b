/* fuzz-resume-data.c: resume data and task records from arbitrary bytes.
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input is read twice: as resume data (_ladle_resume_data_parse) and as a serialized a{sv}
 * task record (_ladle_task_record_deserialize). Either may refuse it with a LADLE_ERROR; what
 * is accepted must survive a round trip: serialized again and parsed again, it gives the same
 * record and the same bytes.
 */

#include <stdint.h>
#include <string.h>

#include "ladle-error.h"
#include "ladle-resume-data-private.h"
#include "ladle-task-record-private.h"

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_headers_equal (GPtrArray *a,
                     GPtrArray *b)
{
  fuzz_check (a->len == b->len);
  for (guint i = 0; i < a->len; i++)
    fuzz_check (g_strcmp0 (g_ptr_array_index (a, i), g_ptr_array_index (b, i)) == 0);
}

/* What resume data keeps of a record. */
static void
check_resume_records_equal (const LadleTaskRecord *a,
                            const LadleTaskRecord *b)
{
  fuzz_check (a->kind == LADLE_TASK_KIND_DOWNLOAD && b->kind == LADLE_TASK_KIND_DOWNLOAD);
  fuzz_check (g_strcmp0 (a->method, b->method) == 0);
  fuzz_check (g_strcmp0 (a->uri, b->uri) == 0);
  check_headers_equal (a->headers, b->headers);
  fuzz_check (g_strcmp0 (a->partial_name, b->partial_name) == 0);
  fuzz_check (a->bytes_on_disk == b->bytes_on_disk);
  fuzz_check (a->expected_total == b->expected_total);
  fuzz_check (g_strcmp0 (a->etag, b->etag) == 0);
  fuzz_check (g_strcmp0 (a->last_modified, b->last_modified) == 0);
}

/* What the task record keeps, by kind (uploads keep their body, downloads their file). */
static void
check_task_records_equal (const LadleTaskRecord *a,
                          const LadleTaskRecord *b)
{
  fuzz_check (a->kind == b->kind);
  fuzz_check (a->identifier == b->identifier);
  fuzz_check (g_strcmp0 (a->description, b->description) == 0);
  fuzz_check (a->state == b->state);
  fuzz_check (a->phase == b->phase);
  fuzz_check (g_strcmp0 (a->method, b->method) == 0);
  fuzz_check (g_strcmp0 (a->uri, b->uri) == 0);
  check_headers_equal (a->headers, b->headers);
  fuzz_check (a->n_redirects == b->n_redirects);
  fuzz_check (a->bytes_received == b->bytes_received);
  fuzz_check (a->bytes_expected_to_receive == b->bytes_expected_to_receive);
  fuzz_check (a->bytes_sent == b->bytes_sent);
  fuzz_check (a->bytes_expected_to_send == b->bytes_expected_to_send);
  fuzz_check (a->attempts == b->attempts);
  fuzz_check (a->status == b->status);
  if (a->kind == LADLE_TASK_KIND_UPLOAD)
    {
      fuzz_check (a->body_kind == b->body_kind);
      fuzz_check (g_strcmp0 (a->body_file, b->body_file) == 0);
    }
  if (a->kind == LADLE_TASK_KIND_DOWNLOAD)
    {
      fuzz_check (g_strcmp0 (a->destination, b->destination) == 0);
      fuzz_check (a->destination_flags == b->destination_flags);
      fuzz_check (g_strcmp0 (a->partial_name, b->partial_name) == 0);
      fuzz_check (g_strcmp0 (a->etag, b->etag) == 0);
      fuzz_check (g_strcmp0 (a->last_modified, b->last_modified) == 0);
      fuzz_check (a->bytes_on_disk == b->bytes_on_disk);
      fuzz_check (a->expected_total == b->expected_total);
    }
}

/* What every accepted record satisfies, as documented in docs/resume-data.md. */
static void
check_record_is_sane (const LadleTaskRecord *record)
{
  fuzz_check (record->method != NULL && _ladle_token_is_valid (record->method));
  fuzz_check (record->uri != NULL && _ladle_http_uri_text_is_valid (record->uri));
  fuzz_check (record->headers->len % 2 == 0);
  fuzz_check (record->headers->len <= 2 * 64);
  for (guint i = 0; i < record->headers->len; i += 2)
    {
      fuzz_check (_ladle_token_is_valid (g_ptr_array_index (record->headers, i)));
      fuzz_check (_ladle_text_is_valid (g_ptr_array_index (record->headers, i + 1)));
    }
  if (record->partial_name != NULL)
    {
      fuzz_check (_ladle_partial_name_is_valid (record->partial_name));
      fuzz_check (strchr (record->partial_name, '/') == NULL);
      fuzz_check (strcmp (record->partial_name, "..") != 0);
    }
  fuzz_check (record->bytes_on_disk >= 0);
  fuzz_check (record->expected_total >= -1);
  fuzz_check (record->expected_total < 0 || record->expected_total >= record->bytes_on_disk);
}

static void
fuzz_resume_data (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleTaskRecord) first = NULL;
  g_autoptr(LadleTaskRecord) second = NULL;
  g_autoptr(LadleTaskRecord) third = NULL;
  g_autoptr(GBytes) serialized = NULL;
  g_autoptr(GBytes) again = NULL;

  first = _ladle_resume_data_parse (bytes, &error);
  if (first == NULL)
    {
      fuzz_check (error != NULL);
      fuzz_check (error->domain == LADLE_ERROR);
      fuzz_check (error->code == LADLE_ERROR_INVALID_RESUME_DATA ||
                  error->code == LADLE_ERROR_RESUME_DATA_VERSION);
      return;
    }
  fuzz_check (error == NULL);
  check_record_is_sane (first);
  fuzz_check (first->partial_name != NULL);
  fuzz_check (first->etag != NULL || first->last_modified != NULL);
  fuzz_check (first->etag == NULL || first->etag[0] == '"');

  serialized = _ladle_resume_data_serialize (first);
  second = _ladle_resume_data_parse (serialized, &error);
  if (second == NULL)
    {
      fprintf (stderr, "fuzz: resume data does not parse again: %s\n", error->message);
      abort ();
    }
  check_resume_records_equal (first, second);

  again = _ladle_resume_data_serialize (second);
  fuzz_check (g_bytes_equal (serialized, again));
  third = _ladle_resume_data_parse (again, &error);
  fuzz_check (third != NULL);
  check_resume_records_equal (second, third);
}

static void
fuzz_task_record (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GVariant) normal = NULL;
  g_autoptr(LadleTaskRecord) first = NULL;
  g_autoptr(LadleTaskRecord) second = NULL;
  g_autoptr(LadleTaskRecord) third = NULL;
  g_autoptr(GVariant) serialized = NULL;
  g_autoptr(GVariant) again = NULL;
  g_autoptr(GBytes) serialized_bytes = NULL;
  g_autoptr(GBytes) again_bytes = NULL;

  variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (variant);

      g_variant_unref (variant);
      variant = swapped;
    }
  normal = g_variant_get_normal_form (variant);

  first = _ladle_task_record_deserialize (normal, &error);
  if (first == NULL)
    {
      fuzz_check (error != NULL);
      fuzz_check (error->domain == LADLE_ERROR);
      fuzz_check (error->code == LADLE_ERROR_INVALID_RESUME_DATA ||
                  error->code == LADLE_ERROR_RESUME_DATA_VERSION);
      return;
    }
  fuzz_check (error == NULL);
  check_record_is_sane (first);
  fuzz_check ((guint)first->kind <= LADLE_TASK_KIND_DOWNLOAD);
  fuzz_check ((guint)first->phase <= LADLE_TASK_PHASE_DONE);
  fuzz_check ((guint)first->state <= LADLE_TASK_STATE_COMPLETED);

  serialized = _ladle_task_record_serialize (first);
  fuzz_check (g_variant_is_normal_form (serialized));
  second = _ladle_task_record_deserialize (serialized, &error);
  if (second == NULL)
    {
      fprintf (stderr, "fuzz: a task record does not deserialize again: %s\n", error->message);
      abort ();
    }
  check_task_records_equal (first, second);

  again = _ladle_task_record_serialize (second);
  fuzz_check (g_variant_equal (serialized, again));
  serialized_bytes = g_variant_get_data_as_bytes (serialized);
  again_bytes = g_variant_get_data_as_bytes (again);
  fuzz_check (g_bytes_equal (serialized_bytes, again_bytes));
  third = _ladle_task_record_deserialize (again, &error);
  fuzz_check (third != NULL);
  check_task_records_equal (second, third);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);

  fuzz_install_log_writer ();
  fuzz_resume_data (bytes);
  fuzz_task_record (bytes);

  return 0;
}
