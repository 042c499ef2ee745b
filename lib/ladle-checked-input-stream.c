/* ladle-checked-input-stream.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A stream that yields exactly the length a request announced in its Content-Length, or fails
 * with LADLE_ERROR_BODY_CHANGED: a file that shrinks or grows while it is being uploaded must not
 * become a body that disagrees with its headers. Reads run in GIO's worker threads (the default
 * read_async of a stream that is not pollable), like reads of the file stream it wraps. */

#include "config.h"

#include "ladle-checked-input-stream-private.h"
#include "ladle-error.h"

struct _LadleCheckedInputStream
{
  GFilterInputStream  parent_instance;

  goffset             expected;
  goffset             count;
  char               *description;
};

G_DEFINE_FINAL_TYPE (LadleCheckedInputStream, _ladle_checked_input_stream, G_TYPE_FILTER_INPUT_STREAM)

static void
changed_error (LadleCheckedInputStream  *self,
               const char               *how,
               GError                  **error)
{
  g_set_error (error, LADLE_ERROR, LADLE_ERROR_BODY_CHANGED,
               "%s %s while it was being sent (%" G_GOFFSET_FORMAT " bytes were announced)",
               self->description, how, self->expected);
}

static gssize
checked_read (GInputStream  *stream,
              void          *buffer,
              gsize          count,
              GCancellable  *cancellable,
              GError       **error)
{
  LadleCheckedInputStream *self = LADLE_CHECKED_INPUT_STREAM (stream);
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  goffset remaining = self->expected - self->count;
  gssize n;

  if (remaining == 0)
    {
      guint8 extra;

      /* One byte past the announced end tells a grown file from a finished one. */
      n = g_input_stream_read (base, &extra, 1, cancellable, error);
      if (n < 0)
        return -1;
      if (n > 0)
        {
          changed_error (self, "grew", error);
          return -1;
        }
      return 0;
    }

  n = g_input_stream_read (base, buffer, MIN ((goffset)count, remaining), cancellable, error);
  if (n < 0)
    return -1;
  if (n == 0)
    {
      changed_error (self, "shrank", error);
      return -1;
    }

  self->count += n;

  return n;
}

static void
ladle_checked_input_stream_finalize (GObject *object)
{
  LadleCheckedInputStream *self = (LadleCheckedInputStream *)object;

  g_clear_pointer (&self->description, g_free);

  G_OBJECT_CLASS (_ladle_checked_input_stream_parent_class)->finalize (object);
}

static void
_ladle_checked_input_stream_class_init (LadleCheckedInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = ladle_checked_input_stream_finalize;
  stream_class->read_fn = checked_read;
}

static void
_ladle_checked_input_stream_init (LadleCheckedInputStream *self)
{
}

GInputStream *
_ladle_checked_input_stream_new (GInputStream *base_stream,
                                 goffset       expected_length,
                                 const char   *description)
{
  LadleCheckedInputStream *self;

  self = g_object_new (LADLE_TYPE_CHECKED_INPUT_STREAM,
                       "base-stream", base_stream,
                       "close-base-stream", TRUE,
                       NULL);
  self->expected = expected_length;
  self->description = g_strdup (description);

  return G_INPUT_STREAM (self);
}
