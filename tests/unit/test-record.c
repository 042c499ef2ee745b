/* test-record.c: the task record, its a{sv} form, and the resume data made from it.
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libsoup/soup.h>

#include "ladle-error.h"
#include "ladle-resume-data-private.h"
#include "ladle-task-record-private.h"

static LadleTaskRecord *
full_record (LadleTaskKind kind)
{
  LadleTaskRecord *record = _ladle_task_record_new (kind);

  record->identifier = 42;
  record->description = g_strdup ("photo 7 of message 1234");
  record->state = LADLE_TASK_STATE_RUNNING;
  record->phase = LADLE_TASK_PHASE_BODY;
  record->method = g_strdup ("GET");
  record->uri = g_strdup ("https://example.com:8443/photos/7.jpg?size=large");
  g_ptr_array_add (record->headers, g_strdup ("Accept"));
  g_ptr_array_add (record->headers, g_strdup ("image/*"));
  g_ptr_array_add (record->headers, g_strdup ("X-Client"));
  g_ptr_array_add (record->headers, g_strdup ("photo-sync 1.0"));
  record->n_redirects = 2;
  record->bytes_received = 5000;
  record->bytes_expected_to_receive = 9000;
  record->bytes_sent = 0;
  record->bytes_expected_to_send = 0;
  if (kind == LADLE_TASK_KIND_UPLOAD)
    {
      record->body_kind = LADLE_UPLOAD_BODY_KIND_FILE;
      record->body_file = g_strdup ("file:///home/user/photo.jpg");
      record->bytes_sent = 100;
      record->bytes_expected_to_send = 2000;
    }
  if (kind == LADLE_TASK_KIND_DOWNLOAD)
    {
      record->destination = g_strdup ("file:///home/user/Pictures/7.jpg");
      record->destination_flags = LADLE_DESTINATION_FLAGS_REPLACE | LADLE_DESTINATION_FLAGS_CREATE_PARENTS;
      record->partial_name = g_strdup ("0b7e2f36-5c5e-4b8e-9a43-0d7a1c6b7f10.part");
      record->etag = g_strdup ("\"v7-9000\"");
      record->last_modified = g_strdup ("Tue, 01 Dec 2026 10:00:00 GMT");
      record->bytes_on_disk = 5000;
      record->expected_total = 9000;
    }

  return record;
}

static void
assert_records_equal (const LadleTaskRecord *a,
                      const LadleTaskRecord *b)
{
  g_assert_cmpint (a->kind, ==, b->kind);
  g_assert_cmpuint (a->identifier, ==, b->identifier);
  g_assert_cmpstr (a->description, ==, b->description);
  g_assert_cmpint (a->state, ==, b->state);
  g_assert_cmpint (a->phase, ==, b->phase);
  g_assert_cmpstr (a->method, ==, b->method);
  g_assert_cmpstr (a->uri, ==, b->uri);
  g_assert_cmpuint (a->headers->len, ==, b->headers->len);
  for (guint i = 0; i < a->headers->len; i++)
    g_assert_cmpstr (g_ptr_array_index (a->headers, i), ==, g_ptr_array_index (b->headers, i));
  g_assert_cmpuint (a->n_redirects, ==, b->n_redirects);
  g_assert_cmpint (a->body_kind, ==, b->body_kind);
  g_assert_cmpstr (a->body_file, ==, b->body_file);
  g_assert_cmpstr (a->destination, ==, b->destination);
  g_assert_cmpint (a->destination_flags, ==, b->destination_flags);
  g_assert_cmpstr (a->partial_name, ==, b->partial_name);
  g_assert_cmpstr (a->etag, ==, b->etag);
  g_assert_cmpstr (a->last_modified, ==, b->last_modified);
  g_assert_cmpint (a->bytes_on_disk, ==, b->bytes_on_disk);
  g_assert_cmpint (a->expected_total, ==, b->expected_total);
  g_assert_cmpint (a->bytes_received, ==, b->bytes_received);
  g_assert_cmpint (a->bytes_expected_to_receive, ==, b->bytes_expected_to_receive);
  g_assert_cmpint (a->bytes_sent, ==, b->bytes_sent);
  g_assert_cmpint (a->bytes_expected_to_send, ==, b->bytes_expected_to_send);
}

/* Every kind survives serialization field by field, and serializes again to the same bytes. */
static void
test_record_round_trip (void)
{
  for (LadleTaskKind kind = LADLE_TASK_KIND_DATA; kind <= LADLE_TASK_KIND_DOWNLOAD; kind++)
    {
      g_autoptr(LadleTaskRecord) record = full_record (kind);
      g_autoptr(GVariant) variant = _ladle_task_record_serialize (record);
      g_autoptr(LadleTaskRecord) copy = NULL;
      g_autoptr(GVariant) again = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_true (g_variant_is_of_type (variant, G_VARIANT_TYPE_VARDICT));
      copy = _ladle_task_record_deserialize (variant, &error);
      g_assert_no_error (error);
      assert_records_equal (record, copy);
      again = _ladle_task_record_serialize (copy);
      g_assert_true (g_variant_equal (variant, again));
    }
}

/* The record keeps what a request is, never its secrets: no credentials, no userinfo, no
 * fragment, no hop-by-hop or transfer headers. */
static void
test_record_request (void)
{
  g_autoptr(LadleTaskRecord) record = _ladle_task_record_new (LADLE_TASK_KIND_DOWNLOAD);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", "https://user:secret@example.com/a/b?x=1#frag");
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);

  soup_message_headers_append (headers, "Authorization", "Bearer token");
  soup_message_headers_append (headers, "proxy-authorization", "Basic eA==");
  soup_message_headers_append (headers, "COOKIE", "session=1");
  soup_message_headers_append (headers, "Range", "bytes=10-");
  soup_message_headers_append (headers, "If-Range", "\"e\"");
  soup_message_headers_append (headers, "Accept", "text/plain");
  soup_message_headers_append (headers, "X-Trace", "abc");
  soup_message_headers_append (headers, "X-Api-Key", "secret");

  _ladle_task_record_set_request (record, message, (const char * const []) { "x-api-key", NULL });

  g_assert_cmpstr (record->method, ==, "GET");
  g_assert_cmpstr (record->uri, ==, "https://example.com/a/b?x=1");
  g_assert_cmpuint (record->headers->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (record->headers, 0), ==, "Accept");
  g_assert_cmpstr (g_ptr_array_index (record->headers, 1), ==, "text/plain");
  g_assert_cmpstr (g_ptr_array_index (record->headers, 2), ==, "X-Trace");
  g_assert_cmpstr (g_ptr_array_index (record->headers, 3), ==, "abc");
}

typedef struct
{
  const char *what;
  const char *key;
  const char *value;   /* GVariant text; NULL removes the key */
  int         code;
} Corruption;

static const Corruption corruptions[] = {
  { "no version", "record-version", NULL, LADLE_ERROR_INVALID_RESUME_DATA },
  { "version 0", "record-version", "uint32 0", LADLE_ERROR_INVALID_RESUME_DATA },
  { "a future version", "record-version", "uint32 99", LADLE_ERROR_RESUME_DATA_VERSION },
  { "version of another type", "record-version", "'1'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "unknown kind", "kind", "'stream'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "no kind", "kind", NULL, LADLE_ERROR_INVALID_RESUME_DATA },
  { "unknown phase", "phase", "'flying'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "state out of range", "state", "uint32 9", LADLE_ERROR_INVALID_RESUME_DATA },
  { "no method", "method", NULL, LADLE_ERROR_INVALID_RESUME_DATA },
  { "method with a space", "method", "'GE T'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "method with CRLF", "method", "'GET\\r\\nX: y'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "no URI", "uri", NULL, LADLE_ERROR_INVALID_RESUME_DATA },
  { "file URI", "uri", "'file:///etc/passwd'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "URI without host", "uri", "'http:///x'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "URI with a newline", "uri", "'http://a.example/\\nx'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "URI of another type", "uri", "int64 5", LADLE_ERROR_INVALID_RESUME_DATA },
  { "a credential header", "headers", "[('Authorization', 'Basic eA==')]", LADLE_ERROR_INVALID_RESUME_DATA },
  { "a cookie header", "headers", "[('cookie', 'a=b')]", LADLE_ERROR_INVALID_RESUME_DATA },
  { "a Host header", "headers", "[('Host', 'evil.example')]", LADLE_ERROR_INVALID_RESUME_DATA },
  { "a header name with a space", "headers", "[('X Bad', 'v')]", LADLE_ERROR_INVALID_RESUME_DATA },
  { "a header value with CRLF", "headers", "[('X-A', 'v\\r\\nX-B: w')]", LADLE_ERROR_INVALID_RESUME_DATA },
  { "a partial file path", "partial-file", "'../escape.part'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "a hidden partial file", "partial-file", "'.part'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "unknown destination flags", "destination-flags", "uint32 128", LADLE_ERROR_INVALID_RESUME_DATA },
  { "negative bytes on disk", "bytes-on-disk", "int64 -5", LADLE_ERROR_INVALID_RESUME_DATA },
  { "total below the bytes on disk", "expected-total", "int64 10", LADLE_ERROR_INVALID_RESUME_DATA },
  { "total below -1", "expected-total", "int64 -2", LADLE_ERROR_INVALID_RESUME_DATA },
  { "negative bytes received", "bytes-received", "int64 -1", LADLE_ERROR_INVALID_RESUME_DATA },
  { "a description with a control character", "description", "'a\\u0007b'", LADLE_ERROR_INVALID_RESUME_DATA },
  { "body kind out of range", "body-kind", "uint32 9", LADLE_ERROR_INVALID_RESUME_DATA },
};

static GVariant *
corrupt (GVariant         *good,
         const Corruption *corruption)
{
  g_auto(GVariantDict) dict = { { { 0, } } };

  g_variant_dict_init (&dict, good);
  if (corruption->value == NULL)
    g_variant_dict_remove (&dict, corruption->key);
  else
    {
      g_autoptr(GError) error = NULL;
      /* g_variant_parse() gives a full reference; the dictionary takes one of its own. */
      g_autoptr(GVariant) value = g_variant_parse (NULL, corruption->value, NULL, NULL, &error);

      g_assert_no_error (error);
      g_variant_dict_insert_value (&dict, corruption->key, value);
    }

  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/* A record comes from a store other processes write: each corruption is a clear error. */
static void
test_record_corruptions (void)
{
  g_autoptr(LadleTaskRecord) record = full_record (LADLE_TASK_KIND_DOWNLOAD);
  g_autoptr(GVariant) good = _ladle_task_record_serialize (record);
  g_autoptr(GVariant) not_a_dict = g_variant_ref_sink (g_variant_new_string ("record"));
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (corruptions); i++)
    {
      g_autoptr(GVariant) bad = corrupt (good, &corruptions[i]);
      g_autoptr(LadleTaskRecord) loaded = NULL;

      g_test_message ("%s", corruptions[i].what);
      loaded = _ladle_task_record_deserialize (bad, &error);
      g_assert_null (loaded);
      g_assert_error (error, LADLE_ERROR, corruptions[i].code);
      g_clear_error (&error);
    }

  g_assert_null (_ladle_task_record_deserialize (not_a_dict, &error));
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA);
  g_clear_error (&error);
  g_assert_null (_ladle_task_record_deserialize (NULL, &error));
  g_assert_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA);
}

/* Resume data is made from a download's record: the format of docs/resume-data.md, with a
 * strong validator only (a weak ETag cannot guard If-Range). */
static void
test_record_resume_data (void)
{
  g_autoptr(LadleTaskRecord) record = full_record (LADLE_TASK_KIND_DOWNLOAD);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(LadleTaskRecord) loaded = NULL;
  g_autoptr(GError) error = NULL;
  const char *format = NULL;
  guint32 version = 0;
  guint64 received = 0;

  bytes = _ladle_resume_data_serialize (record);
  variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  g_assert_true (g_variant_lookup (variant, "format", "&s", &format));
  g_assert_cmpstr (format, ==, LADLE_RESUME_DATA_FORMAT);
  g_assert_true (g_variant_lookup (variant, "version", "u", &version));
  g_assert_cmpuint (version, ==, LADLE_RESUME_DATA_VERSION);
  g_assert_true (g_variant_lookup (variant, "bytes-received", "t", &received));
  g_assert_cmpuint (received, ==, 5000);
  /* Nothing else of the record leaks into resume data. */
  g_assert_false (g_variant_lookup (variant, "description", "&s", NULL));
  g_assert_false (g_variant_lookup (variant, "destination", "&s", NULL));

  loaded = _ladle_resume_data_parse (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->kind, ==, LADLE_TASK_KIND_DOWNLOAD);
  g_assert_cmpstr (loaded->uri, ==, record->uri);
  g_assert_cmpstr (loaded->method, ==, "GET");
  g_assert_cmpstr (loaded->partial_name, ==, record->partial_name);
  g_assert_cmpint (loaded->bytes_on_disk, ==, 5000);
  g_assert_cmpint (loaded->expected_total, ==, 9000);
  g_assert_cmpstr (loaded->etag, ==, "\"v7-9000\"");
  g_assert_cmpstr (loaded->last_modified, ==, record->last_modified);
  g_assert_cmpuint (loaded->headers->len, ==, 4);

  /* A weak ETag is never written; the date still guards the resume. */
  g_free (record->etag);
  record->etag = g_strdup ("W/\"v7\"");
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_pointer (&loaded, _ladle_task_record_free);
  bytes = _ladle_resume_data_serialize (record);
  loaded = _ladle_resume_data_parse (bytes, &error);
  g_assert_no_error (error);
  g_assert_null (loaded->etag);
  g_assert_cmpstr (loaded->last_modified, ==, record->last_modified);
}

static void
test_record_phase_names (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (LadleTaskPhase phase = LADLE_TASK_PHASE_IDLE; phase <= LADLE_TASK_PHASE_DONE; phase++)
    {
      const char *name = _ladle_task_phase_to_string (phase);

      g_assert_cmpstr (name, !=, "invalid");
      g_assert_false (g_hash_table_contains (seen, name));
      g_hash_table_add (seen, (gpointer)name);
    }
  g_assert_cmpstr (_ladle_task_phase_to_string (LADLE_TASK_PHASE_DONE + 1), ==, "invalid");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Ladle/Unit/Record/round-trip", test_record_round_trip);
  g_test_add_func ("/Ladle/Unit/Record/request", test_record_request);
  g_test_add_func ("/Ladle/Unit/Record/corruptions", test_record_corruptions);
  g_test_add_func ("/Ladle/Unit/Record/resume-data", test_record_resume_data);
  g_test_add_func ("/Ladle/Unit/Record/phase-names", test_record_phase_names);

  return g_test_run ();
}
