/* ladle-resume-data.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Resume data is a serialized GVariant of type a{sv}, always little-endian, documented in
 * docs/resume-data.md. Everything read from it is checked: resume data comes from files and
 * other processes, so bad data is a GError, never a crash. */

#include "config.h"

#include "ladle-i18n-private.h"

#include <string.h>

#include <libsoup/soup.h>

#include "ladle-error.h"
#include "ladle-origin-private.h"
#include "ladle-resume-data-private.h"

#define MAX_HEADERS     64

GBytes *
_ladle_resume_data_serialize (const LadleTaskRecord *data)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_auto(GVariantBuilder) headers = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ss)"));
  g_autoptr(GVariant) variant = NULL;

  for (guint i = 0; i + 1 < data->headers->len; i += 2)
    g_variant_builder_add (&headers, "(ss)",
                           g_ptr_array_index (data->headers, i),
                           g_ptr_array_index (data->headers, i + 1));

  g_variant_builder_add (&builder, "{sv}", "format", g_variant_new_string (LADLE_RESUME_DATA_FORMAT));
  g_variant_builder_add (&builder, "{sv}", "version", g_variant_new_uint32 (LADLE_RESUME_DATA_VERSION));
  g_variant_builder_add (&builder, "{sv}", "url", g_variant_new_string (data->uri));
  g_variant_builder_add (&builder, "{sv}", "method", g_variant_new_string (data->method));
  g_variant_builder_add (&builder, "{sv}", "headers", g_variant_builder_end (&headers));
  g_variant_builder_add (&builder, "{sv}", "partial-file", g_variant_new_string (data->partial_name));
  g_variant_builder_add (&builder, "{sv}", "bytes-received", g_variant_new_uint64 (data->bytes_on_disk));
  g_variant_builder_add (&builder, "{sv}", "expected-total", g_variant_new_int64 (data->expected_total));
  /* If-Range needs a strong validator: a weak ETag is never recorded. */
  if (data->etag != NULL && data->etag[0] == '"')
    g_variant_builder_add (&builder, "{sv}", "etag", g_variant_new_string (data->etag));
  if (data->last_modified != NULL)
    g_variant_builder_add (&builder, "{sv}", "last-modified", g_variant_new_string (data->last_modified));

  variant = g_variant_ref_sink (g_variant_builder_end (&builder));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (variant);
      g_variant_unref (variant);
      variant = swapped;
    }

  return g_variant_get_data_as_bytes (variant);
}

static gboolean
invalid (GError    **error,
         const char *what)
{
  g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
               _("Invalid resume data: %s"), what);
  return FALSE;
}

static const char *
lookup_string (GVariantDict *dict,
               const char   *key)
{
  const char *value = NULL;

  if (!g_variant_dict_lookup (dict, key, "&s", &value))
    return NULL;

  return value;
}

LadleTaskRecord *
_ladle_resume_data_parse (GBytes  *bytes,
                          GError **error)
{
  g_autoptr(LadleTaskRecord) data = NULL;
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GVariant) normal = NULL;
  g_autoptr(GVariant) headers = NULL;
  g_auto(GVariantDict) dict = { { { 0, } } };
  const char *format;
  const char *text;
  guint32 version;
  guint64 bytes_on_disk;
  GVariantIter iter;
  const char *name;
  const char *value;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      invalid (error, "it is empty");
      return NULL;
    }

  variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (variant);
      g_variant_unref (variant);
      variant = swapped;
    }
  /* Untrusted serialized data is read through its normal form. */
  normal = g_variant_get_normal_form (variant);
  g_variant_dict_init (&dict, normal);

  format = lookup_string (&dict, "format");
  if (format == NULL || strcmp (format, LADLE_RESUME_DATA_FORMAT) != 0)
    {
      invalid (error, "this is not Ladle resume data");
      return NULL;
    }
  if (!g_variant_dict_lookup (&dict, "version", "u", &version) || version == 0)
    {
      invalid (error, "no format version");
      return NULL;
    }
  if (version > LADLE_RESUME_DATA_VERSION)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_RESUME_DATA_VERSION,
                   _("The resume data has format version %u; this version of Ladle reads up to %u"),
                   version, LADLE_RESUME_DATA_VERSION);
      return NULL;
    }

  data = _ladle_task_record_new (LADLE_TASK_KIND_DOWNLOAD);

  text = lookup_string (&dict, "url");
  if (text == NULL || !_ladle_text_is_valid (text))
    {
      invalid (error, "no URL");
      return NULL;
    }
  if (!_ladle_http_uri_text_is_valid (text))
    {
      invalid (error, "the URL is not an http or https URL");
      return NULL;
    }
  data->uri = g_strdup (text);

  /* Only a GET can be resumed with a Range request. */
  text = lookup_string (&dict, "method");
  if (text == NULL || strcmp (text, "GET") != 0)
    {
      invalid (error, "the request method is not GET");
      return NULL;
    }
  data->method = g_strdup (text);

  headers = g_variant_dict_lookup_value (&dict, "headers", G_VARIANT_TYPE ("a(ss)"));
  if (headers != NULL)
    {
      if (g_variant_n_children (headers) > MAX_HEADERS)
        {
          invalid (error, "too many headers");
          return NULL;
        }
      g_variant_iter_init (&iter, headers);
      while (g_variant_iter_next (&iter, "(&s&s)", &name, &value))
        {
          if (!_ladle_token_is_valid (name) || !_ladle_text_is_valid (value))
            {
              invalid (error, "a request header is malformed");
              return NULL;
            }
          /* Resume data never carries credentials, nor headers that belong to one
           * connection or one transfer (Host, Range, Content-Length, ...). */
          if (!_ladle_header_is_storable (name))
            {
              invalid (error, "it carries a credential or hop-by-hop header");
              return NULL;
            }
          g_ptr_array_add (data->headers, g_strdup (name));
          g_ptr_array_add (data->headers, g_strdup (value));
        }
    }

  text = lookup_string (&dict, "partial-file");
  if (text == NULL || !_ladle_partial_name_is_valid (text))
    {
      invalid (error, "the partial file name is missing or not a plain file name");
      return NULL;
    }
  data->partial_name = g_strdup (text);

  if (!g_variant_dict_lookup (&dict, "bytes-received", "t", &bytes_on_disk) ||
      bytes_on_disk > G_MAXINT64)
    {
      invalid (error, "no byte count");
      return NULL;
    }
  data->bytes_on_disk = bytes_on_disk;
  if (!g_variant_dict_lookup (&dict, "expected-total", "x", &data->expected_total) ||
      data->expected_total < -1 ||
      (data->expected_total >= 0 && data->expected_total < data->bytes_on_disk))
    {
      invalid (error, "the expected total is missing or smaller than the bytes received");
      return NULL;
    }

  text = lookup_string (&dict, "etag");
  if (text != NULL)
    {
      if (!_ladle_text_is_valid (text) || *text == '\0')
        {
          invalid (error, "the ETag is malformed");
          return NULL;
        }
      /* If-Range needs a strong validator: a weak or unquoted ETag cannot guard a resume. */
      if (text[0] == '"')
        data->etag = g_strdup (text);
    }
  text = lookup_string (&dict, "last-modified");
  if (text != NULL)
    {
      if (!_ladle_text_is_valid (text) || *text == '\0')
        {
          invalid (error, "the Last-Modified date is malformed");
          return NULL;
        }
      data->last_modified = g_strdup (text);
    }
  if (data->etag == NULL && data->last_modified == NULL)
    {
      invalid (error, "there is no validator (a strong ETag or a Last-Modified date)");
      return NULL;
    }

  return g_steal_pointer (&data);
}
