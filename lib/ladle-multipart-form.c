/* ladle-multipart-form.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleMultipartForm:
 *
 * A multipart/form-data request body, built the way a web browser builds the body of a form
 * with file inputs.
 *
 * Parts are appended in order: text fields with [method@Ladle.MultipartForm.append_text],
 * in-memory contents with [method@Ladle.MultipartForm.append_bytes], files with
 * [method@Ladle.MultipartForm.append_file] and contents made by a stream factory with
 * [method@Ladle.MultipartForm.append_stream]. The form records the size of each part as it is
 * appended, so [method@Ladle.MultipartForm.get_content_length] gives the exact length of the
 * body without reading anything, and a form with files of any size uses the same small amount
 * of memory: files are opened only when a stream reaches them.
 *
 * A form is sent with [method@Ladle.Session.create_upload_task_from_form], which sets the
 * Content-Type ([method@Ladle.MultipartForm.get_content_type], with the form's random
 * boundary) and the Content-Length, and makes a new stream with
 * [method@Ladle.MultipartForm.new_stream] for every send of the request: the first one and each
 * resend after an authentication challenge or a 307 or 308 redirect carry the same bytes. The
 * first stream freezes the form: appending to a frozen form is a programming error.
 *
 * A file or stream part whose content no longer has the length recorded when it was appended
 * makes reading the body fail with %LADLE_ERROR_BODY_CHANGED, rather than send a body that
 * disagrees with its Content-Length.
 *
 * Field names and file names are encoded as the HTML standard encodes them: UTF-8, inside
 * double quotes, with `"` written as `%22`; a backslash is sent as it is. A name, file name or
 * content type that contains a carriage return or a line feed is refused with
 * %LADLE_ERROR_INVALID_FIELD. Text fields have no Content-Type header; the other parts have one,
 * given by the caller or guessed from the file name.
 *
 * Appending is not thread-safe. Once the form is frozen, its streams may be read on any thread.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include <string.h>

#include "ladle-error.h"
#include "ladle-i18n-private.h"
#include "ladle-multipart-form.h"
#include "ladle-multipart-input-stream.h"
#include "ladle-multipart-private.h"

#define BOUNDARY_PREFIX       "ladle-"
#define BOUNDARY_RANDOM_CHARS 32
#define DEFAULT_CONTENT_TYPE  "application/octet-stream"

typedef enum
{
  PART_TEXT,
  PART_BYTES,
  PART_FILE,
  PART_STREAM,
} PartKind;

typedef struct
{
  PartKind            kind;
  char               *name;
  GBytes             *header;          /* begins with the CRLF that ends the previous part */
  GBytes             *data;            /* PART_TEXT, PART_BYTES */
  GFile              *file;            /* PART_FILE */
  goffset             length;          /* of the content */
  LadleStreamFactory  factory;         /* PART_STREAM */
  gpointer            factory_data;
  GDestroyNotify      factory_destroy;
} Part;

struct _LadleMultipartForm
{
  GObject     parent_instance;

  char       *boundary;
  char       *content_type;
  GPtrArray  *parts;
  gint64      parts_length;            /* headers and contents, without the closing delimiter */
  GBytes     *closing;                 /* made when the form is frozen */
  gboolean    frozen;
  gboolean    raw;                     /* a single file body without multipart framing */
};

G_DEFINE_FINAL_TYPE (LadleMultipartForm, ladle_multipart_form, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BOUNDARY,
  PROP_CONTENT_TYPE,
  PROP_CONTENT_LENGTH,
  PROP_N_PARTS,
  PROP_FROZEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
part_free (Part *part)
{
  if (part->factory_destroy != NULL)
    part->factory_destroy (part->factory_data);
  g_clear_pointer (&part->name, g_free);
  g_clear_pointer (&part->header, g_bytes_unref);
  g_clear_pointer (&part->data, g_bytes_unref);
  g_clear_object (&part->file);
  g_free (part);
}

static void
ladle_multipart_form_finalize (GObject *object)
{
  LadleMultipartForm *self = (LadleMultipartForm *)object;

  g_clear_pointer (&self->parts, g_ptr_array_unref);
  g_clear_pointer (&self->closing, g_bytes_unref);
  g_clear_pointer (&self->boundary, g_free);
  g_clear_pointer (&self->content_type, g_free);

  G_OBJECT_CLASS (ladle_multipart_form_parent_class)->finalize (object);
}

static void
ladle_multipart_form_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  LadleMultipartForm *self = LADLE_MULTIPART_FORM (object);

  switch (prop_id)
    {
    case PROP_BOUNDARY:
      g_value_set_string (value, ladle_multipart_form_get_boundary (self));
      break;

    case PROP_CONTENT_TYPE:
      g_value_set_string (value, ladle_multipart_form_get_content_type (self));
      break;

    case PROP_CONTENT_LENGTH:
      g_value_set_int64 (value, ladle_multipart_form_get_content_length (self));
      break;

    case PROP_N_PARTS:
      g_value_set_uint (value, ladle_multipart_form_get_n_parts (self));
      break;

    case PROP_FROZEN:
      g_value_set_boolean (value, ladle_multipart_form_is_frozen (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_multipart_form_class_init (LadleMultipartFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ladle_multipart_form_finalize;
  object_class->get_property = ladle_multipart_form_get_property;

  /**
   * LadleMultipartForm:boundary: (getter get_boundary)
   *
   * The boundary that separates the parts: `ladle-` followed by 32 random letters and digits,
   * chosen when the form is made.
   */
  properties[PROP_BOUNDARY] =
    g_param_spec_string ("boundary", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * LadleMultipartForm:content-type: (getter get_content_type)
   *
   * The value of the request's Content-Type header: `multipart/form-data; boundary=` and the
   * form's [property@Ladle.MultipartForm:boundary].
   */
  properties[PROP_CONTENT_TYPE] =
    g_param_spec_string ("content-type", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * LadleMultipartForm:content-length: (getter get_content_length)
   *
   * The exact length in bytes of the body, computed from the sizes recorded when the parts were
   * appended. It changes with each appended part.
   */
  properties[PROP_CONTENT_LENGTH] =
    g_param_spec_int64 ("content-length", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleMultipartForm:n-parts: (getter get_n_parts)
   *
   * The number of parts appended so far.
   */
  properties[PROP_N_PARTS] =
    g_param_spec_uint ("n-parts", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LadleMultipartForm:frozen: (getter is_frozen)
   *
   * Whether a stream was made from the form, after which no part can be appended.
   */
  properties[PROP_FROZEN] =
    g_param_spec_boolean ("frozen", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ladle_multipart_form_init (LadleMultipartForm *self)
{
  static const char alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  GString *boundary = g_string_new (BOUNDARY_PREFIX);

  /* GLib's global generator is seeded from /dev/urandom: a boundary cannot be predicted, so a
   * file's content cannot be crafted to contain it. */
  for (guint i = 0; i < BOUNDARY_RANDOM_CHARS; i++)
    g_string_append_c (boundary, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);

  self->boundary = g_string_free (boundary, FALSE);
  self->content_type = g_strconcat ("multipart/form-data; boundary=", self->boundary, NULL);
  self->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) part_free);
}

/**
 * ladle_multipart_form_new:
 *
 * Makes an empty form with a new random boundary.
 *
 * Returns: (transfer full): a new form
 */
LadleMultipartForm *
ladle_multipart_form_new (void)
{
  return g_object_new (LADLE_TYPE_MULTIPART_FORM, NULL);
}

/**
 * ladle_multipart_form_get_boundary: (get-property boundary)
 * @self: a form
 *
 * Returns: the boundary that separates the parts of @self
 */
const char *
ladle_multipart_form_get_boundary (LadleMultipartForm *self)
{
  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), NULL);

  return self->boundary;
}

/**
 * ladle_multipart_form_get_content_type: (get-property content-type)
 * @self: a form
 *
 * Gets the value of the Content-Type header of a request whose body is @self.
 *
 * Returns: `multipart/form-data; boundary=` followed by the boundary of @self
 */
const char *
ladle_multipart_form_get_content_type (LadleMultipartForm *self)
{
  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), NULL);

  return self->content_type;
}

static gsize
closing_length (LadleMultipartForm *self)
{
  if (self->raw)
    return 0;

  /* [CRLF] "--" boundary "--" CRLF; the CRLF ends the last part's content. */
  return (self->parts->len > 0 ? 2 : 0) + 2 + strlen (self->boundary) + 4;
}

/**
 * ladle_multipart_form_get_content_length: (get-property content-length)
 * @self: a form
 *
 * Gets the exact length of the body, computed from the sizes recorded when the parts were
 * appended: no file is read or even opened.
 *
 * Returns: the length of the body in bytes
 */
gint64
ladle_multipart_form_get_content_length (LadleMultipartForm *self)
{
  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), -1);

  return self->parts_length + closing_length (self);
}

/**
 * ladle_multipart_form_get_n_parts: (get-property n-parts)
 * @self: a form
 *
 * Returns: the number of parts appended to @self
 */
guint
ladle_multipart_form_get_n_parts (LadleMultipartForm *self)
{
  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), 0);

  return self->parts->len;
}

/**
 * ladle_multipart_form_is_frozen: (get-property frozen)
 * @self: a form
 *
 * Tells whether a stream was made from @self: a frozen form accepts no more parts.
 *
 * Returns: true when @self is frozen
 */
gboolean
ladle_multipart_form_is_frozen (LadleMultipartForm *self)
{
  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), FALSE);

  return self->frozen;
}

static gboolean
check_field (gboolean     is_file_name,
             const char  *value,
             GError     **error)
{
  g_autofree char *escaped = NULL;

  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error_literal (error, LADLE_ERROR, LADLE_ERROR_INVALID_FIELD,
                           is_file_name ? _("The file name of a form part is not valid UTF-8")
                                        : _("The name of a form part is not valid UTF-8"));
      return FALSE;
    }

  if (strpbrk (value, "\r\n") == NULL)
    return TRUE;

  escaped = g_strescape (value, NULL);
  if (is_file_name)
    g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_FIELD,
                 _("The file name “%s” of a form part contains a line break"), escaped);
  else
    g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_FIELD,
                 _("The name “%s” of a form part contains a line break"), escaped);
  return FALSE;
}

static gboolean
check_content_type (const char  *content_type,
                    GError     **error)
{
  g_autofree char *escaped = NULL;

  if (*content_type != '\0')
    {
      const char *p;

      /* A header value: printable ASCII and tabs, nothing that could end the header. */
      for (p = content_type; *p != '\0'; p++)
        if (!((*p >= 0x20 && *p < 0x7f) || *p == '\t'))
          break;
      if (*p == '\0')
        return TRUE;
    }

  escaped = g_strescape (content_type, NULL);
  g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_FIELD,
               _("“%s” is not a valid content type for a form part"), escaped);
  return FALSE;
}

static gboolean
check_common_fields (LadleMultipartForm  *self,
                     const char          *name,
                     const char          *filename,
                     const char          *content_type,
                     GError             **error)
{
  if (!check_field (FALSE, name, error))
    return FALSE;
  if (filename != NULL && !check_field (TRUE, filename, error))
    return FALSE;
  if (content_type != NULL && !check_content_type (content_type, error))
    return FALSE;

  return TRUE;
}

/* The HTML standard's encoding of names in multipart/form-data: quotes and line breaks are
 * percent-encoded, everything else (a backslash, UTF-8) is sent as it is. Line breaks are only
 * left in names taken from files on disk; names given by the caller were refused. */
static void
append_quoted (GString    *string,
               const char *value)
{
  g_string_append_c (string, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"':
          g_string_append (string, "%22");
          break;
        case '\r':
          g_string_append (string, "%0D");
          break;
        case '\n':
          g_string_append (string, "%0A");
          break;
        default:
          g_string_append_c (string, *p);
        }
    }
  g_string_append_c (string, '"');
}

static char *
guess_content_type (const char *filename)
{
  g_autofree char *guessed = NULL;
  g_autofree char *mime_type = NULL;

  if (filename == NULL || *filename == '\0')
    return g_strdup (DEFAULT_CONTENT_TYPE);

  /* From the name only: the content is not read to guess its type. */
  guessed = g_content_type_guess (filename, NULL, 0, NULL);
  mime_type = g_content_type_get_mime_type (guessed);
  if (mime_type == NULL || !check_content_type (mime_type, NULL))
    return g_strdup (DEFAULT_CONTENT_TYPE);

  return g_steal_pointer (&mime_type);
}

static void
append_part (LadleMultipartForm *self,
             Part               *part,
             const char         *filename,
             const char         *content_type)
{
  GString *header = g_string_new (NULL);

  if (self->parts->len > 0)
    g_string_append (header, "\r\n");
  g_string_append_printf (header, "--%s\r\n", self->boundary);
  g_string_append (header, "Content-Disposition: form-data; name=");
  append_quoted (header, part->name);
  if (filename != NULL)
    {
      g_string_append (header, "; filename=");
      append_quoted (header, filename);
    }
  g_string_append (header, "\r\n");
  if (content_type != NULL)
    g_string_append_printf (header, "Content-Type: %s\r\n", content_type);
  g_string_append (header, "\r\n");

  part->header = g_string_free_to_bytes (header);
  g_ptr_array_add (self->parts, part);
  self->parts_length += g_bytes_get_size (part->header) + part->length;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PARTS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENT_LENGTH]);
}

/**
 * ladle_multipart_form_append_text:
 * @self: a form that is not frozen
 * @name: the field name
 * @value: the field value
 * @error: return location for a #GError
 *
 * Appends a text field, like an `<input type="text">` of an HTML form. The part has no
 * Content-Type header and @value is sent as it is, in UTF-8.
 *
 * Returns: true when the part was appended; false with %LADLE_ERROR_INVALID_FIELD when @name
 *   contains a line break or @name or @value is not valid UTF-8
 */
gboolean
ladle_multipart_form_append_text (LadleMultipartForm  *self,
                                  const char          *name,
                                  const char          *value,
                                  GError             **error)
{
  Part *part;

  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), FALSE);
  g_return_val_if_fail (!self->frozen, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_field (FALSE, name, error))
    return FALSE;
  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_FIELD,
                   _("The value of the form field “%s” is not valid UTF-8"), name);
      return FALSE;
    }

  part = g_new0 (Part, 1);
  part->kind = PART_TEXT;
  part->name = g_strdup (name);
  part->data = g_bytes_new (value, strlen (value));
  part->length = g_bytes_get_size (part->data);
  append_part (self, part, NULL, NULL);

  return TRUE;
}

/**
 * ladle_multipart_form_append_bytes:
 * @self: a form that is not frozen
 * @name: the field name
 * @filename: (nullable): the file name sent with the part, or %NULL for none
 * @content_type: (nullable): the part's content type, or %NULL to guess it from @filename
 * @data: the part's content
 * @error: return location for a #GError
 *
 * Appends a part whose content is in memory: with a @filename it is sent like a file chosen in
 * an `<input type="file">`.
 *
 * When @content_type is %NULL, it is guessed from the extension of @filename, and is
 * `application/octet-stream` when there is no @filename or its extension is unknown.
 *
 * Returns: true when the part was appended; false with %LADLE_ERROR_INVALID_FIELD when @name or
 *   @filename contains a line break or is not valid UTF-8, or when @content_type is not a valid
 *   header value
 */
gboolean
ladle_multipart_form_append_bytes (LadleMultipartForm  *self,
                                   const char          *name,
                                   const char          *filename,
                                   const char          *content_type,
                                   GBytes              *data,
                                   GError             **error)
{
  g_autofree char *guessed = NULL;
  Part *part;

  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), FALSE);
  g_return_val_if_fail (!self->frozen, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_common_fields (self, name, filename, content_type, error))
    return FALSE;
  if (content_type == NULL)
    content_type = guessed = guess_content_type (filename);

  part = g_new0 (Part, 1);
  part->kind = PART_BYTES;
  part->name = g_strdup (name);
  part->data = g_bytes_ref (data);
  part->length = g_bytes_get_size (data);
  append_part (self, part, filename, content_type);

  return TRUE;
}

/**
 * ladle_multipart_form_append_file:
 * @self: a form that is not frozen
 * @name: the field name
 * @file: a regular file
 * @filename: (nullable): the file name sent with the part, or %NULL for the display name of
 *   @file
 * @content_type: (nullable): the part's content type, or %NULL to guess it from the file name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Appends a file part, like a file chosen in an `<input type="file">`.
 *
 * The size of @file is queried now and recorded: the file is neither read nor kept open. It is
 * opened when a stream of the form reaches the part, and must still have the recorded size:
 * otherwise reading the stream fails with %LADLE_ERROR_BODY_CHANGED.
 *
 * When @content_type is %NULL it is guessed from the extension of the file name that is sent
 * (the file is not read to guess it), and is `application/octet-stream` when the extension is
 * unknown. A file name taken from @file is sent as the HTML standard says: line breaks and
 * quotes are percent-encoded.
 *
 * This function does blocking I/O (it queries the file's information).
 *
 * Returns: true when the part was appended; false with %G_IO_ERROR_NOT_REGULAR_FILE when @file
 *   is not a regular file, another %G_IO_ERROR when its information cannot be read, or
 *   %LADLE_ERROR_INVALID_FIELD when @name or @filename contains a line break or is not valid
 *   UTF-8, or when @content_type is not a valid header value
 */
gboolean
ladle_multipart_form_append_file (LadleMultipartForm  *self,
                                  const char          *name,
                                  GFile               *file,
                                  const char          *filename,
                                  const char          *content_type,
                                  GCancellable        *cancellable,
                                  GError             **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *guessed = NULL;
  Part *part;

  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), FALSE);
  g_return_val_if_fail (!self->frozen, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_common_fields (self, name, filename, content_type, error))
    return FALSE;

  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                            G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME,
                            G_FILE_QUERY_INFO_NONE, cancellable, error);
  if (info == NULL)
    return FALSE;

  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_autofree char *parse_name = g_file_get_parse_name (file);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   _("Cannot add %s to a form: not a regular file"), parse_name);
      return FALSE;
    }

  if (filename == NULL)
    {
      /* The display name is UTF-8 even when the name on disk is not. */
      if (g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME))
        display_name = g_strdup (g_file_info_get_display_name (info));
      else
        {
          g_autofree char *basename = g_file_get_basename (file);

          display_name = g_filename_display_name (basename);
        }
      filename = display_name;
    }

  if (content_type == NULL)
    content_type = guessed = guess_content_type (filename);

  part = g_new0 (Part, 1);
  part->kind = PART_FILE;
  part->name = g_strdup (name);
  part->file = g_object_ref (file);
  part->length = g_file_info_get_size (info);
  append_part (self, part, filename, content_type);

  return TRUE;
}

/**
 * ladle_multipart_form_append_stream:
 * @self: a form that is not frozen
 * @name: the field name
 * @filename: (nullable): the file name sent with the part, or %NULL for none
 * @content_type: (nullable): the part's content type, or %NULL to guess it from @filename
 * @length: the exact length of the part's content
 * @factory: (scope notified) (closure user_data) (destroy destroy): makes the part's content
 * @user_data: data for @factory
 * @destroy: (nullable): frees @user_data when the form is finalized or the part is refused
 * @error: return location for a #GError
 *
 * Appends a part whose content comes from a stream of a known length.
 *
 * Because a form can be sent more than once, the part's content is not a stream but a factory
 * of streams: @factory is called each time a stream of the form reaches the part, and must
 * return a new stream, at the start of the content, that yields exactly @length bytes. A
 * content of another length makes reading the form fail with %LADLE_ERROR_BODY_CHANGED, and a
 * factory that returns %NULL makes it fail with %LADLE_ERROR_NO_BODY_STREAM.
 *
 * When @content_type is %NULL, it is guessed from the extension of @filename, and is
 * `application/octet-stream` when there is no @filename or its extension is unknown.
 *
 * The form owns @user_data from now on, even when the part is refused: @destroy is called when
 * it is no longer needed.
 *
 * Returns: true when the part was appended; false with %LADLE_ERROR_INVALID_FIELD when @name or
 *   @filename contains a line break or is not valid UTF-8, or when @content_type is not a valid
 *   header value
 */
gboolean
ladle_multipart_form_append_stream (LadleMultipartForm  *self,
                                    const char          *name,
                                    const char          *filename,
                                    const char          *content_type,
                                    goffset              length,
                                    LadleStreamFactory   factory,
                                    gpointer             user_data,
                                    GDestroyNotify       destroy,
                                    GError             **error)
{
  g_autofree char *guessed = NULL;
  Part *part;

  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), FALSE);
  g_return_val_if_fail (!self->frozen, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (length >= 0, FALSE);
  g_return_val_if_fail (factory != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_common_fields (self, name, filename, content_type, error))
    {
      if (destroy != NULL)
        destroy (user_data);
      return FALSE;
    }
  if (content_type == NULL)
    content_type = guessed = guess_content_type (filename);

  part = g_new0 (Part, 1);
  part->kind = PART_STREAM;
  part->name = g_strdup (name);
  part->length = length;
  part->factory = factory;
  part->factory_data = user_data;
  part->factory_destroy = destroy;
  append_part (self, part, filename, content_type);

  return TRUE;
}

/**
 * ladle_multipart_form_new_stream:
 * @self: a form
 *
 * Makes a new stream that reads the body of @self from its start, and freezes @self.
 *
 * Each call gives an independent [class@Ladle.MultipartInputStream] with the same bytes, of
 * the length given by [method@Ladle.MultipartForm.get_content_length]. This is what a request
 * body factory calls for each send of a request.
 *
 * Returns: (transfer full): a new [class@Ladle.MultipartInputStream]
 */
GInputStream *
ladle_multipart_form_new_stream (LadleMultipartForm *self)
{
  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), NULL);

  return ladle_multipart_input_stream_new (self);
}

void
_ladle_multipart_form_freeze (LadleMultipartForm *self)
{
  g_autofree char *closing = NULL;

  g_return_if_fail (LADLE_IS_MULTIPART_FORM (self));

  if (self->frozen)
    return;

  if (self->raw)
    self->closing = g_bytes_new_static ("", 0);
  else
    {
      closing = g_strdup_printf ("%s--%s--\r\n", self->parts->len > 0 ? "\r\n" : "", self->boundary);
      g_assert (strlen (closing) == closing_length (self));
      self->closing = g_bytes_new_take (closing, strlen (closing));
      closing = NULL;
    }
  self->frozen = TRUE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FROZEN]);
}

guint
_ladle_multipart_form_get_n_segments (LadleMultipartForm *self)
{
  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), 0);
  g_return_val_if_fail (self->frozen, 0);

  return 2 * self->parts->len + 1;
}

/* Segment 2i is the header of part i, 2i+1 its content; the last one is the closing
 * delimiter. @bytes and @file are borrowed; either may be NULL. */
LadleMultipartSegmentKind
_ladle_multipart_form_get_segment (LadleMultipartForm  *self,
                                   guint                index,
                                   GBytes             **bytes,
                                   GFile              **file,
                                   goffset             *length)
{
  Part *part;

  g_assert (LADLE_IS_MULTIPART_FORM (self));
  g_assert (self->frozen);
  g_assert (index < 2 * self->parts->len + 1);

  if (bytes != NULL)
    *bytes = NULL;
  if (file != NULL)
    *file = NULL;

  if (index == 2 * self->parts->len)
    {
      if (bytes != NULL)
        *bytes = self->closing;
      if (length != NULL)
        *length = g_bytes_get_size (self->closing);
      return LADLE_MULTIPART_SEGMENT_MEMORY;
    }

  part = g_ptr_array_index (self->parts, index / 2);

  if (index % 2 == 0)
    {
      if (bytes != NULL)
        *bytes = part->header;
      if (length != NULL)
        *length = g_bytes_get_size (part->header);
      return LADLE_MULTIPART_SEGMENT_MEMORY;
    }

  if (length != NULL)
    *length = part->length;

  switch (part->kind)
    {
    case PART_TEXT:
    case PART_BYTES:
      if (bytes != NULL)
        *bytes = part->data;
      return LADLE_MULTIPART_SEGMENT_MEMORY;

    case PART_FILE:
      if (file != NULL)
        *file = part->file;
      return LADLE_MULTIPART_SEGMENT_FILE;

    case PART_STREAM:
      return LADLE_MULTIPART_SEGMENT_STREAM;

    default:
      g_assert_not_reached ();
    }
}

/* For error messages. */
char *
_ladle_multipart_form_describe_segment (LadleMultipartForm *self,
                                        guint               index)
{
  Part *part;

  g_assert (LADLE_IS_MULTIPART_FORM (self));

  if (index >= 2 * self->parts->len)
    /* Translators: the subject of "%s grew after it was added to the form ..." */
    return g_strdup (_("The end of the form"));

  part = g_ptr_array_index (self->parts, index / 2);
  if (part->kind == PART_FILE)
    {
      g_autofree char *parse_name = g_file_get_parse_name (part->file);

      /* Translators: the subject of "%s grew after it was added to the form ..." */
      return g_strdup_printf (_("The file %s of the form field “%s”"), parse_name, part->name);
    }

  /* Translators: the subject of "%s grew after it was added to the form ..." */
  return g_strdup_printf (_("The content of the form field “%s”"), part->name);
}

/* Calls a stream part's factory. */
GInputStream *
_ladle_multipart_form_make_segment_stream (LadleMultipartForm  *self,
                                           guint                index,
                                           GError             **error)
{
  GInputStream *stream;
  Part *part;

  g_assert (LADLE_IS_MULTIPART_FORM (self));
  g_assert (index < 2 * self->parts->len && index % 2 == 1);

  part = g_ptr_array_index (self->parts, index / 2);
  g_assert (part->kind == PART_STREAM);

  stream = part->factory (part->factory_data);
  if (stream == NULL)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_NO_BODY_STREAM,
                   _("The stream factory of the form field “%s” returned no stream"), part->name);
      return NULL;
    }

  return stream;
}

/* The body of a plain file upload: the file's bytes alone, read by the same stream as forms
 * (files opened when reached, read ahead, size checked against @length on open and at the end). */
LadleMultipartForm *
_ladle_multipart_form_new_raw_file (GFile   *file,
                                    goffset  length)
{
  LadleMultipartForm *self = ladle_multipart_form_new ();
  Part *part = g_new0 (Part, 1);

  part->kind = PART_FILE;
  part->name = g_strdup ("");
  part->header = g_bytes_new_static ("", 0);
  part->file = g_object_ref (file);
  part->length = length;

  self->raw = TRUE;
  g_ptr_array_add (self->parts, part);
  self->parts_length = length;
  _ladle_multipart_form_freeze (self);

  return self;
}

/*
 * A form as a background session's record keeps it: `(sa(ysayays x))` — the boundary, then per
 * part its kind, name, header bytes, content bytes (text and bytes parts), file URI (file parts)
 * and content length. Forms with a stream part, or with more than
 * LADLE_MULTIPART_RECORD_MAX_MEMORY bytes held in memory, have no such form: NULL.
 */
#define FORM_RECORD_TYPE "(sa(ysayaysx))"

GVariant *
_ladle_multipart_form_to_variant (LadleMultipartForm *self)
{
  GVariantBuilder parts;
  gsize in_memory = 0;

  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (self), NULL);

  if (self->raw)
    return NULL;

  g_variant_builder_init (&parts, G_VARIANT_TYPE ("a(ysayaysx)"));
  for (guint i = 0; i < self->parts->len; i++)
    {
      Part *part = g_ptr_array_index (self->parts, i);
      g_autofree char *uri = part->file != NULL ? g_file_get_uri (part->file) : NULL;
      GBytes *empty = g_bytes_new_static ("", 0);
      GBytes *data = part->data != NULL ? part->data : empty;

      if (part->kind == PART_STREAM)
        {
          g_variant_builder_clear (&parts);
          g_bytes_unref (empty);
          return NULL;
        }

      in_memory += g_bytes_get_size (part->header) + g_bytes_get_size (data);
      g_variant_builder_add (&parts, "(ys@ay@aysx)",
                             (guchar) part->kind,
                             part->name,
                             g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, part->header, TRUE),
                             g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, data, TRUE),
                             uri != NULL ? uri : "",
                             (gint64) part->length);
      g_bytes_unref (empty);
    }

  if (in_memory > LADLE_MULTIPART_RECORD_MAX_MEMORY)
    {
      g_variant_builder_clear (&parts);
      return NULL;
    }

  return g_variant_ref_sink (g_variant_new ("(sa(ysayaysx))", self->boundary, &parts));
}

static gboolean
boundary_is_valid (const char *boundary)
{
  gsize length = strlen (boundary);

  /* RFC 2046: 1 to 70 characters; Ladle's own are letters, digits and '-'. */
  if (length == 0 || length > 70)
    return FALSE;
  for (const char *p = boundary; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;

  return TRUE;
}

/* The form of a record, read back: checked as untrusted data (a store on disk). */
LadleMultipartForm *
_ladle_multipart_form_new_from_variant (GVariant  *variant,
                                        GError   **error)
{
  g_autoptr(LadleMultipartForm) self = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  const char *boundary;
  gsize in_memory = 0;
  guchar kind;
  const char *name;
  GVariant *header;
  GVariant *data;
  const char *uri;
  gint64 length;

  if (variant == NULL || !g_variant_is_of_type (variant, G_VARIANT_TYPE (FORM_RECORD_TYPE)))
    goto invalid;

  g_variant_get (variant, "(&sa(ysayaysx))", &boundary, &iter);
  if (!boundary_is_valid (boundary))
    goto invalid;

  self = ladle_multipart_form_new ();
  g_free (self->boundary);
  g_free (self->content_type);
  self->boundary = g_strdup (boundary);
  self->content_type = g_strconcat ("multipart/form-data; boundary=", self->boundary, NULL);

  while (g_variant_iter_next (iter, "(y&s@ay@ay&sx)", &kind, &name, &header, &data, &uri, &length))
    {
      g_autoptr(GVariant) header_owned = header;
      g_autoptr(GVariant) data_owned = data;
      Part *part;

      in_memory += g_variant_get_size (header) + g_variant_get_size (data);
      if (in_memory > LADLE_MULTIPART_RECORD_MAX_MEMORY || length < 0 || !g_utf8_validate (name, -1, NULL) ||
          (kind != PART_TEXT && kind != PART_BYTES && kind != PART_FILE))
        goto invalid;
      if (kind == PART_FILE
          ? (g_variant_get_size (data) != 0 || !g_uri_is_valid (uri, G_URI_FLAGS_NONE, NULL))
          : ((gint64) g_variant_get_size (data) != length || *uri != '\0'))
        goto invalid;

      part = g_new0 (Part, 1);
      part->kind = kind;
      part->name = g_strdup (name);
      part->header = g_variant_get_data_as_bytes (header);
      part->length = length;
      if (kind == PART_FILE)
        part->file = g_file_new_for_uri (uri);
      else
        part->data = g_variant_get_data_as_bytes (data);
      g_ptr_array_add (self->parts, part);

      if (self->parts_length > G_MAXINT64 - length - (gint64) g_bytes_get_size (part->header))
        goto invalid;
      self->parts_length += g_bytes_get_size (part->header) + length;
    }

  return g_steal_pointer (&self);

invalid:
  g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
               _("The recorded multipart form is malformed"));
  return NULL;
}
