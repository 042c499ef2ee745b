/* fuzz-multipart.c: multipart forms built from arbitrary field names, file names and types.
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: up to 16 parts, each a kind byte then NUL-terminated strings:
 *   kind & 3     0 text (name, value), 1 bytes, 2 stream, 3 file (name, [filename],
 *                [content type], content)
 *   kind & 4     a file name is given (else NULL)
 *   kind & 8     a content type is given (else NULL: guessed)
 * A missing terminator ends the string at the end of the input.
 *
 * Each append either succeeds or fails with LADLE_ERROR_INVALID_FIELD, exactly when the
 * documentation says (a line break or invalid UTF-8 in a name or file name, invalid UTF-8 in a
 * text value, a content type that is empty or not printable ASCII). The form's stream then
 * gives exactly get_content_length() bytes, the same bytes for a second stream, and libsoup's
 * multipart parser reads back the accepted parts: their names and file names as the HTML
 * standard encodes them, their content types and their contents.
 */

#include <glib/gstdio.h>
#include <ladle.h>
#include <stdint.h>
#include <string.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_PARTS 16

typedef struct
{
  char   *name;
  char   *filename;      /* as sent: NULL for none */
  char   *content_type;  /* as sent: NULL for none (text fields) */
  GBytes *content;
} Expected;

static char *temp_dir;

static void
expected_clear (Expected *expected)
{
  g_free (expected->name);
  g_free (expected->filename);
  g_free (expected->content_type);
  g_clear_pointer (&expected->content, g_bytes_unref);
}

/* Reads one NUL-terminated string; NULL at the end of the input. */
static char *
take_string (const uint8_t **data,
             const uint8_t  *end)
{
  const uint8_t *start = *data;
  const uint8_t *nul;

  if (start >= end)
    return NULL;
  nul = memchr (start, '\0', end - start);
  if (nul == NULL)
    nul = end;
  *data = nul < end ? nul + 1 : end;

  return g_strndup ((const char *)start, nul - start);
}

static gboolean
field_is_valid (const char *value)
{
  return g_utf8_validate (value, -1, NULL) && strpbrk (value, "\r\n") == NULL;
}

static gboolean
content_type_is_valid (const char *value)
{
  if (*value == '\0')
    return FALSE;
  for (const char *p = value; *p; p++)
    if (!((*p >= 0x20 && *p < 0x7f) || *p == '\t'))
      return FALSE;

  return TRUE;
}

static char *
html_encode (const char *value)
{
  GString *encoded = g_string_new (NULL);

  for (const char *p = value; *p; p++)
    {
      if (*p == '"')
        g_string_append (encoded, "%22");
      else if (*p == '\r')
        g_string_append (encoded, "%0D");
      else if (*p == '\n')
        g_string_append (encoded, "%0A");
      else
        g_string_append_c (encoded, *p);
    }

  return g_string_free (encoded, FALSE);
}

static GInputStream *
stream_factory (gpointer user_data)
{
  return g_memory_input_stream_new_from_bytes (user_data);
}

/* Reads @stream to its end in reads of changing sizes. */
static GBytes *
read_all (GInputStream *stream)
{
  static const gsize sizes[] = { 1, 13, 4096, 7, 65536 };
  GByteArray *all = g_byte_array_new ();
  guint8 buffer[65536];
  guint i = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_input_stream_read (stream, buffer, sizes[i++ % G_N_ELEMENTS (sizes)], NULL, &error);

      if (n < 0)
        {
          fprintf (stderr, "fuzz: reading the form failed: %s\n", error->message);
          abort ();
        }
      if (n == 0)
        break;
      g_byte_array_append (all, buffer, n);
    }
  fuzz_check (g_input_stream_close (stream, NULL, NULL));

  return g_byte_array_free_to_bytes (all);
}

/* The value of @param ("name" or "filename") in a raw Content-Disposition, as sent: HTML
 * encoding leaves no quote inside the quotes, so the value ends at the next one. */
static char *
raw_param (const char *disposition,
           const char *param)
{
  g_autofree char *needle = g_strdup_printf ("; %s=\"", param);
  const char *start = strstr (disposition, needle);
  const char *end;

  if (start == NULL)
    return NULL;
  start += strlen (needle);
  end = strchr (start, '"');
  fuzz_check (end != NULL);

  return g_strndup (start, end - start);
}

static void
check_parts (LadleMultipartForm *form,
             GBytes             *body,
             Expected           *expected,
             guint               n_expected)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_MULTIPART);
  g_autoptr(SoupMultipart) multipart = NULL;

  soup_message_headers_replace (headers, "Content-Type", ladle_multipart_form_get_content_type (form));
  multipart = soup_multipart_new_from_message (headers, body);
  fuzz_check (multipart != NULL);
  fuzz_check ((guint)soup_multipart_get_length (multipart) == n_expected);

  for (guint i = 0; i < n_expected; i++)
    {
      SoupMessageHeaders *part_headers = NULL;
      GBytes *part_body = NULL;
      const char *disposition;
      const char *content_type;
      g_autofree char *name = NULL;
      g_autofree char *filename = NULL;
      g_autofree char *encoded_name = html_encode (expected[i].name);

      fuzz_check (soup_multipart_get_part (multipart, i, &part_headers, &part_body));
      fuzz_check (g_bytes_equal (part_body, expected[i].content));

      disposition = soup_message_headers_get_one (part_headers, "Content-Disposition");
      fuzz_check (disposition != NULL);
      fuzz_check (g_str_has_prefix (disposition, "form-data; name=\""));
      name = raw_param (disposition, "name");
      fuzz_check (g_strcmp0 (name, encoded_name) == 0);
      filename = raw_param (disposition, "filename");
      if (expected[i].filename == NULL)
        fuzz_check (filename == NULL);
      else
        {
          g_autofree char *encoded_filename = html_encode (expected[i].filename);

          /* A name may contain "; filename=\"" itself: look after the name. */
          g_free (filename);
          filename = raw_param (disposition + strlen ("form-data; name=\"") + strlen (encoded_name), "filename");
          fuzz_check (g_strcmp0 (filename, encoded_filename) == 0);
        }

      content_type = soup_message_headers_get_one (part_headers, "Content-Type");
      if (expected[i].content_type == NULL)
        fuzz_check (content_type == NULL);
      else
        {
          g_autofree char *stripped = g_strstrip (g_strdup (expected[i].content_type));
          g_autofree char *received = NULL;

          fuzz_check (content_type != NULL);
          /* libsoup strips the white space around a header value. */
          received = g_strstrip (g_strdup (content_type));
          fuzz_check (strcmp (received, stripped) == 0);
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(LadleMultipartForm) form = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GInputStream) second = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) body_again = NULL;
  const uint8_t *end = data + size;
  Expected expected[MAX_PARTS] = { { 0, }, };
  guint n_expected = 0;
  guint n_files = 0;

  fuzz_install_log_writer ();
  if (temp_dir == NULL)
    {
      temp_dir = g_dir_make_tmp ("ladle-fuzz-multipart-XXXXXX", NULL);
      fuzz_check (temp_dir != NULL);
    }
  if (size > 65536)
    return 0;

  form = ladle_multipart_form_new ();
  for (guint i = 0; i < MAX_PARTS && data < end; i++)
    {
      g_autoptr(GError) error = NULL;
      guint8 kind = *data++;
      g_autofree char *name = take_string (&data, end);
      g_autofree char *filename = NULL;
      g_autofree char *content_type = NULL;
      g_autofree char *content = NULL;
      g_autofree char *guessed = NULL;
      g_autoptr(GBytes) bytes = NULL;
      gboolean valid;
      gboolean appended;

      if (name == NULL)
        name = g_strdup ("");
      if ((kind & 3) != 0 && (kind & 4))
        filename = take_string (&data, end);
      if ((kind & 3) != 0 && (kind & 8))
        content_type = take_string (&data, end);
      content = take_string (&data, end);
      if (content == NULL)
        content = g_strdup ("");
      bytes = g_bytes_new (content, strlen (content));

      valid = field_is_valid (name) &&
              (filename == NULL || field_is_valid (filename)) &&
              (content_type == NULL || content_type_is_valid (content_type));

      switch (kind & 3)
        {
        case 0:
          valid = field_is_valid (name) && g_utf8_validate (content, -1, NULL);
          appended = ladle_multipart_form_append_text (form, name, content, &error);
          break;
        case 1:
          appended = ladle_multipart_form_append_bytes (form, name, filename, content_type, bytes, &error);
          break;
        case 2:
          appended = ladle_multipart_form_append_stream (form, name, filename, content_type,
                                                         g_bytes_get_size (bytes), stream_factory,
                                                         g_bytes_ref (bytes),
                                                         (GDestroyNotify)g_bytes_unref, &error);
          break;
        default:
          {
            g_autofree char *base = g_strdup_printf ("part-%u.dat", n_files++);
            g_autofree char *path = g_build_filename (temp_dir, base, NULL);
            g_autoptr(GFile) file = g_file_new_for_path (path);

            fuzz_check (g_file_set_contents (path, content, strlen (content), NULL));
            appended = ladle_multipart_form_append_file (form, name, file, filename, content_type,
                                                         NULL, &error);
            /* Without a file name, the file's display name is sent. */
            if (filename == NULL)
              filename = g_steal_pointer (&base);
          }
          break;
        }

      fuzz_check (appended == (error == NULL));
      if (!valid)
        {
          fuzz_check (!appended);
          fuzz_check (g_error_matches (error, LADLE_ERROR, LADLE_ERROR_INVALID_FIELD));
          continue;
        }
      if (!appended)
        {
          fprintf (stderr, "fuzz: a valid part was refused: %s\n", error->message);
          abort ();
        }

      expected[n_expected].name = g_strdup (name);
      if ((kind & 3) != 0)
        {
          expected[n_expected].filename = g_strdup (filename);
          if (content_type == NULL)
            {
              /* Guessed from the file name, as the documentation says. */
              g_autofree char *type = NULL;
              g_autofree char *mime = NULL;

              if (filename != NULL && *filename != '\0')
                {
                  type = g_content_type_guess (filename, NULL, 0, NULL);
                  mime = g_content_type_get_mime_type (type);
                }
              guessed = mime != NULL && content_type_is_valid (mime) ? g_strdup (mime)
                                                                     : g_strdup ("application/octet-stream");
              expected[n_expected].content_type = g_steal_pointer (&guessed);
            }
          else
            expected[n_expected].content_type = g_strdup (content_type);
        }
      expected[n_expected].content = g_bytes_ref (bytes);
      n_expected++;
    }

  fuzz_check (ladle_multipart_form_get_n_parts (form) == n_expected);
  fuzz_check (!ladle_multipart_form_is_frozen (form));
  stream = ladle_multipart_form_new_stream (form);
  fuzz_check (ladle_multipart_form_is_frozen (form));
  body = read_all (stream);
  fuzz_check ((gint64)g_bytes_get_size (body) == ladle_multipart_form_get_content_length (form));

  /* Every send of the request carries the same bytes. */
  second = ladle_multipart_form_new_stream (form);
  body_again = read_all (second);
  fuzz_check (g_bytes_equal (body, body_again));

  if (n_expected > 0)
    check_parts (form, body, expected, n_expected);

  for (guint i = 0; i < n_expected; i++)
    expected_clear (&expected[i]);
  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *base = g_strdup_printf ("part-%u.dat", i);
      g_autofree char *path = g_build_filename (temp_dir, base, NULL);

      g_unlink (path);
    }

  return 0;
}
