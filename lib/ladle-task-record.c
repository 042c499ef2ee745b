/* ladle-task-record.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleTaskRecord: the lasting state of a task, and its a{sv} form.
 *
 * The serialized form is what the background store keeps and what resume data is made from
 * (ladle-resume-data.c). It is read back from files and other processes: everything is checked,
 * and bad data is a GError (LADLE_ERROR_INVALID_RESUME_DATA), never a crash.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include <string.h>

#include "ladle-error.h"
#include "ladle-origin-private.h"
#include "ladle-task-record-private.h"

#define RECORD_VERSION  1
#define MAX_TEXT_LENGTH 8192
#define MAX_HEADERS     64

static const char * const kind_names[] = { "data", "upload", "download" };
static const char * const phase_names[] = {
  "idle", "admitting", "preparing", "sending", "response", "body", "finishing", "done",
};

LadleTaskRecord *
_ladle_task_record_new (LadleTaskKind kind)
{
  LadleTaskRecord *record = g_new0 (LadleTaskRecord, 1);

  record->kind = kind;
  record->state = LADLE_TASK_STATE_SUSPENDED;
  record->phase = LADLE_TASK_PHASE_IDLE;
  record->headers = g_ptr_array_new_with_free_func (g_free);
  record->expected_total = -1;
  record->bytes_expected_to_receive = -1;

  return record;
}

void
_ladle_task_record_free (LadleTaskRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->description);
  g_free (record->method);
  g_free (record->uri);
  g_ptr_array_unref (record->headers);
  g_free (record->body_file);
  g_clear_pointer (&record->body_form, g_variant_unref);
  g_free (record->destination);
  g_free (record->partial_name);
  g_free (record->etag);
  g_free (record->last_modified);
  g_free (record);
}

const char *
_ladle_task_phase_to_string (LadleTaskPhase phase)
{
  if ((guint)phase < G_N_ELEMENTS (phase_names))
    return phase_names[phase];

  return "invalid";
}

typedef struct
{
  GPtrArray          *headers;
  const char * const *sensitive;
} StorableHeaders;

static void
add_storable_header (const char *name,
                     const char *value,
                     gpointer    user_data)
{
  StorableHeaders *storable = user_data;

  if (!_ladle_header_is_storable (name))
    return;
  for (guint i = 0; storable->sensitive != NULL && storable->sensitive[i] != NULL; i++)
    if (g_ascii_strcasecmp (name, storable->sensitive[i]) == 0)
      return;

  g_ptr_array_add (storable->headers, g_strdup (name));
  g_ptr_array_add (storable->headers, g_strdup (value));
}

/* Records @message as the request of the task: its method, its URI without credentials or
 * fragment, and the headers that may be stored (neither credentials nor the names in
 * @sensitive). */
void
_ladle_task_record_set_request (LadleTaskRecord    *record,
                                SoupMessage        *message,
                                const char * const *sensitive)
{
  g_autoptr(GUri) uri = _ladle_uri_strip_credentials (soup_message_get_uri (message));
  StorableHeaders storable = { record->headers, sensitive };

  g_free (record->method);
  record->method = g_strdup (soup_message_get_method (message));
  g_free (record->uri);
  record->uri = g_uri_to_string (uri);
  g_ptr_array_set_size (record->headers, 0);
  soup_message_headers_foreach (soup_message_get_request_headers (message),
                                add_storable_header, &storable);
}

static void
add_string (GVariantBuilder *builder,
            const char      *key,
            const char      *value)
{
  if (value != NULL)
    g_variant_builder_add (builder, "{sv}", key, g_variant_new_string (value));
}

GVariant *
_ladle_task_record_serialize (const LadleTaskRecord *record)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_auto(GVariantBuilder) headers = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ss)"));

  for (guint i = 0; i + 1 < record->headers->len; i += 2)
    g_variant_builder_add (&headers, "(ss)",
                           g_ptr_array_index (record->headers, i),
                           g_ptr_array_index (record->headers, i + 1));

  g_variant_builder_add (&builder, "{sv}", "record-version", g_variant_new_uint32 (RECORD_VERSION));
  add_string (&builder, "kind", kind_names[record->kind]);
  g_variant_builder_add (&builder, "{sv}", "identifier", g_variant_new_uint64 (record->identifier));
  add_string (&builder, "description", record->description);
  g_variant_builder_add (&builder, "{sv}", "state", g_variant_new_uint32 (record->state));
  add_string (&builder, "phase", phase_names[record->phase]);
  add_string (&builder, "method", record->method);
  add_string (&builder, "uri", record->uri);
  g_variant_builder_add (&builder, "{sv}", "headers", g_variant_builder_end (&headers));
  g_variant_builder_add (&builder, "{sv}", "n-redirects", g_variant_new_uint32 (record->n_redirects));
  if (record->attempts > 0)
    g_variant_builder_add (&builder, "{sv}", "attempts", g_variant_new_uint32 (record->attempts));
  if (record->status > 0)
    g_variant_builder_add (&builder, "{sv}", "status", g_variant_new_uint32 (record->status));
  if (record->kind == LADLE_TASK_KIND_UPLOAD)
    {
      g_variant_builder_add (&builder, "{sv}", "body-kind", g_variant_new_uint32 (record->body_kind));
      add_string (&builder, "body-file", record->body_file);
      if (record->body_form != NULL)
        g_variant_builder_add (&builder, "{sv}", "body-form", record->body_form);
    }
  if (record->kind == LADLE_TASK_KIND_DOWNLOAD)
    {
      add_string (&builder, "destination", record->destination);
      g_variant_builder_add (&builder, "{sv}", "destination-flags",
                             g_variant_new_uint32 (record->destination_flags));
      add_string (&builder, "partial-file", record->partial_name);
      add_string (&builder, "etag", record->etag);
      add_string (&builder, "last-modified", record->last_modified);
      g_variant_builder_add (&builder, "{sv}", "bytes-on-disk", g_variant_new_int64 (record->bytes_on_disk));
      g_variant_builder_add (&builder, "{sv}", "expected-total", g_variant_new_int64 (record->expected_total));
    }
  g_variant_builder_add (&builder, "{sv}", "bytes-received", g_variant_new_int64 (record->bytes_received));
  g_variant_builder_add (&builder, "{sv}", "bytes-expected-to-receive",
                         g_variant_new_int64 (record->bytes_expected_to_receive));
  g_variant_builder_add (&builder, "{sv}", "bytes-sent", g_variant_new_int64 (record->bytes_sent));
  g_variant_builder_add (&builder, "{sv}", "bytes-expected-to-send",
                         g_variant_new_int64 (record->bytes_expected_to_send));

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* Validation, shared with ladle-resume-data.c */

/* Printable UTF-8 of a sane length: no control characters (CR, LF and NUL above all). */
gboolean
_ladle_text_is_valid (const char *text)
{
  gsize length = strlen (text);

  if (length > MAX_TEXT_LENGTH || !g_utf8_validate (text, length, NULL))
    return FALSE;
  for (const char *p = text; *p; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      return FALSE;

  return TRUE;
}

/* An RFC 9110 token (method, header name) of a sane length. */
gboolean
_ladle_token_is_valid (const char *text)
{
  static const char separators[] = "()<>@,;:\\\"/[]?={} \t";

  if (*text == '\0' || strlen (text) > 64)
    return FALSE;
  for (const char *p = text; *p; p++)
    if ((guchar)*p <= 0x20 || (guchar)*p >= 0x7f || strchr (separators, *p) != NULL)
      return FALSE;

  return TRUE;
}

gboolean
_ladle_partial_name_is_valid (const char *name)
{
  gsize length = strlen (name);

  if (length == 0 || length > 200 || name[0] == '.')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;

  return TRUE;
}

static gboolean
invalid (GError    **error,
         const char *what)
{
  g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
               _("Invalid task record: %s"), what);
  return FALSE;
}

/* A string entry: absent is fine unless @required; present must be valid text. */
static gboolean
take_text (GVariantDict  *dict,
           const char    *key,
           gboolean       required,
           char         **out,
           GError       **error)
{
  const char *value = NULL;

  if (!g_variant_dict_lookup (dict, key, "&s", &value))
    {
      if (required)
        return invalid (error, key);
      return TRUE;
    }
  if (!_ladle_text_is_valid (value))
    return invalid (error, key);

  *out = g_strdup (value);
  return TRUE;
}

static gboolean
take_count (GVariantDict  *dict,
            const char    *key,
            gint64         minimum,
            gint64        *out,
            GError       **error)
{
  gint64 value;

  if (!g_variant_dict_lookup (dict, key, "x", &value))
    return TRUE;
  if (value < minimum)
    return invalid (error, key);

  *out = value;
  return TRUE;
}

static int
lookup_name (GVariantDict      *dict,
             const char        *key,
             const char * const *names,
             guint              n_names)
{
  const char *value = NULL;

  if (!g_variant_dict_lookup (dict, key, "&s", &value))
    return -1;
  for (guint i = 0; i < n_names; i++)
    if (strcmp (value, names[i]) == 0)
      return i;

  return -1;
}

/* An absolute http or https URI. */
gboolean
_ladle_http_uri_text_is_valid (const char *text)
{
  g_autoptr(GUri) uri = NULL;

  if (!_ladle_text_is_valid (text))
    return FALSE;
  uri = g_uri_parse (text, SOUP_HTTP_URI_FLAGS, NULL);

  return uri != NULL && _ladle_uri_is_http (uri);
}

LadleTaskRecord *
_ladle_task_record_deserialize (GVariant  *variant,
                                GError   **error)
{
  g_autoptr(LadleTaskRecord) record = NULL;
  g_autoptr(GVariant) normal = NULL;
  g_autoptr(GVariant) headers = NULL;
  g_auto(GVariantDict) dict = { { { 0, } } };
  guint32 version = 0;
  guint32 number;
  int kind;
  int phase;

  if (variant == NULL || !g_variant_is_of_type (variant, G_VARIANT_TYPE_VARDICT))
    {
      invalid (error, "not a dictionary");
      return NULL;
    }

  /* Untrusted serialized data is read through its normal form. */
  normal = g_variant_get_normal_form (variant);
  g_variant_dict_init (&dict, normal);

  if (!g_variant_dict_lookup (&dict, "record-version", "u", &version) || version == 0)
    {
      invalid (error, "no record version");
      return NULL;
    }
  if (version > RECORD_VERSION)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_RESUME_DATA_VERSION,
                   _("The task record has version %u; this version of Ladle reads up to %u"),
                   version, RECORD_VERSION);
      return NULL;
    }

  kind = lookup_name (&dict, "kind", kind_names, G_N_ELEMENTS (kind_names));
  if (kind < 0)
    {
      invalid (error, "kind");
      return NULL;
    }
  record = _ladle_task_record_new (kind);

  g_variant_dict_lookup (&dict, "identifier", "t", &record->identifier);
  if (!take_text (&dict, "description", FALSE, &record->description, error))
    return NULL;
  if (g_variant_dict_lookup (&dict, "state", "u", &number))
    {
      if (number > LADLE_TASK_STATE_COMPLETED)
        {
          invalid (error, "state");
          return NULL;
        }
      record->state = number;
    }
  phase = lookup_name (&dict, "phase", phase_names, G_N_ELEMENTS (phase_names));
  if (phase < 0)
    {
      invalid (error, "phase");
      return NULL;
    }
  record->phase = phase;

  if (!take_text (&dict, "method", TRUE, &record->method, error))
    return NULL;
  if (!_ladle_token_is_valid (record->method))
    {
      invalid (error, "method");
      return NULL;
    }
  if (!take_text (&dict, "uri", TRUE, &record->uri, error))
    return NULL;
  if (!_ladle_http_uri_text_is_valid (record->uri))
    {
      invalid (error, "uri");
      return NULL;
    }

  headers = g_variant_dict_lookup_value (&dict, "headers", G_VARIANT_TYPE ("a(ss)"));
  if (headers != NULL)
    {
      GVariantIter iter;
      const char *name;
      const char *value;

      if (g_variant_n_children (headers) > MAX_HEADERS)
        {
          invalid (error, "too many headers");
          return NULL;
        }
      g_variant_iter_init (&iter, headers);
      while (g_variant_iter_next (&iter, "(&s&s)", &name, &value))
        {
          if (!_ladle_token_is_valid (name) || !_ladle_text_is_valid (value) ||
              !_ladle_header_is_storable (name))
            {
              invalid (error, "a request header is malformed or may not be stored");
              return NULL;
            }
          g_ptr_array_add (record->headers, g_strdup (name));
          g_ptr_array_add (record->headers, g_strdup (value));
        }
    }
  g_variant_dict_lookup (&dict, "n-redirects", "u", &record->n_redirects);

  if (g_variant_dict_lookup (&dict, "body-kind", "u", &number))
    {
      if (number > LADLE_UPLOAD_BODY_KIND_FORM)
        {
          invalid (error, "body-kind");
          return NULL;
        }
      record->body_kind = number;
    }
  if (!take_text (&dict, "body-file", FALSE, &record->body_file, error))
    return NULL;
  /* Checked where it is used (_ladle_multipart_form_new_from_variant); only its type here. */
  record->body_form = g_variant_dict_lookup_value (&dict, "body-form", G_VARIANT_TYPE ("(sa(ysayaysx))"));
  if (record->body_form == NULL && g_variant_dict_contains (&dict, "body-form"))
    {
      invalid (error, "body-form");
      return NULL;
    }
  if (record->body_file != NULL && !g_uri_is_valid (record->body_file, G_URI_FLAGS_NONE, NULL))
    {
      invalid (error, "body-file");
      return NULL;
    }
  g_variant_dict_lookup (&dict, "attempts", "u", &record->attempts);
  if (g_variant_dict_lookup (&dict, "status", "u", &number))
    {
      if (number < 100 || number > 999)
        {
          invalid (error, "status");
          return NULL;
        }
      record->status = number;
    }

  if (!take_text (&dict, "destination", FALSE, &record->destination, error))
    return NULL;
  if (g_variant_dict_lookup (&dict, "destination-flags", "u", &number))
    {
      if (number & ~(guint32)(LADLE_DESTINATION_FLAGS_REPLACE | LADLE_DESTINATION_FLAGS_CREATE_PARENTS))
        {
          invalid (error, "destination-flags");
          return NULL;
        }
      record->destination_flags = number;
    }
  if (!take_text (&dict, "partial-file", FALSE, &record->partial_name, error))
    return NULL;
  if (record->partial_name != NULL && !_ladle_partial_name_is_valid (record->partial_name))
    {
      invalid (error, "partial-file");
      return NULL;
    }
  if (!take_text (&dict, "etag", FALSE, &record->etag, error) ||
      !take_text (&dict, "last-modified", FALSE, &record->last_modified, error))
    return NULL;

  if (!take_count (&dict, "bytes-on-disk", 0, &record->bytes_on_disk, error) ||
      !take_count (&dict, "expected-total", -1, &record->expected_total, error) ||
      !take_count (&dict, "bytes-received", 0, &record->bytes_received, error) ||
      !take_count (&dict, "bytes-expected-to-receive", -1, &record->bytes_expected_to_receive, error) ||
      !take_count (&dict, "bytes-sent", 0, &record->bytes_sent, error) ||
      !take_count (&dict, "bytes-expected-to-send", -1, &record->bytes_expected_to_send, error))
    return NULL;
  if (record->expected_total >= 0 && record->expected_total < record->bytes_on_disk)
    {
      invalid (error, "the expected total is smaller than the bytes on disk");
      return NULL;
    }

  return g_steal_pointer (&record);
}
