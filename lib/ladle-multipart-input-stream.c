/* ladle-multipart-input-stream.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleMultipartInputStream:
 *
 * A stream that reads the body of a [class@Ladle.MultipartForm].
 *
 * The stream yields each part's header and content in order, then the closing delimiter: the
 * number of bytes it yields is the form's [property@Ladle.MultipartForm:content-length]. A file
 * part is opened when the stream reaches it and closed when its content has been read; a stream
 * part calls its [callback@Ladle.StreamFactory] at that moment. Memory use does not depend on the
 * number or the size of the files.
 *
 * Asynchronous reads ([method@Gio.InputStream.read_async], used by libsoup to send a request
 * body) open and read the files with asynchronous calls and never block the thread that runs
 * the main context; synchronous reads block as file reads do. Files and streams are read in
 * blocks of 64 KiB whatever the size of the reads asked of this stream (libsoup asks for 8 KiB
 * at a time), so each stream holds at most one such block.
 *
 * A file or stream part whose content is shorter or longer than the length recorded when it was
 * appended makes the read that meets the difference fail with %LADLE_ERROR_BODY_CHANGED: a
 * longer content is detected by reading one byte past the recorded end. After such a failure,
 * or a factory that returns no stream (%LADLE_ERROR_NO_BODY_STREAM), every further read fails in
 * the same way. A cancelled read can be retried; as with most streams, a read that can be served
 * from memory (headers, bytes already read ahead) succeeds even when its cancellable is
 * cancelled.
 *
 * Closing the stream closes the part being read.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include <string.h>

#include "ladle-error.h"
#include "ladle-multipart-input-stream.h"
#include "ladle-multipart-private.h"

/* Each asynchronous read of a local file costs a round trip to a worker thread: reading ahead
 * in large blocks keeps libsoup's 8 KiB reads from bounding the upload rate. */
#define READ_AHEAD_SIZE (64 * 1024)

struct _LadleMultipartInputStream
{
  GInputStream        parent_instance;

  LadleMultipartForm *form;
  guint               n_segments;
  guint               segment;       /* the segment being read */
  goffset             offset;        /* how much of it was produced */
  GInputStream       *part_stream;   /* the open content of a file or stream segment */
  goffset             fetched;       /* how much of it was read from part_stream */
  guint8             *ahead;         /* READ_AHEAD_SIZE bytes, allocated when first needed */
  gsize               ahead_pos;     /* ahead[ahead_pos..ahead_len) is fetched, not produced */
  gsize               ahead_len;
  GError             *error;         /* a failure other than cancellation is final */
};

G_DEFINE_FINAL_TYPE (LadleMultipartInputStream, ladle_multipart_input_stream, G_TYPE_INPUT_STREAM)

enum {
  PROP_0,
  PROP_FORM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  guint8 *buffer;
  gsize   count;
  gsize   produced;
  guint8 *target;      /* where the part stream read in flight goes: buffer or ahead */
} ReadData;

static void read_step (GTask *task);

/* Records @error (set) as the stream's final error, unless it is a cancellation. */
static void
remember_error (LadleMultipartInputStream *self,
                const GError              *error)
{
  if (self->error == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    self->error = g_error_copy (error);
}

static void
set_changed_error (LadleMultipartInputStream  *self,
                   gboolean                    grew,
                   GError                    **error)
{
  g_autofree char *what = _ladle_multipart_form_describe_segment (self->form, self->segment);
  goffset length;

  _ladle_multipart_form_get_segment (self->form, self->segment, NULL, NULL, &length);
  /* Translators: the first %s is the part, "The file NAME of the form field “FIELD”" */
  if (grew)
    g_set_error (error, LADLE_ERROR, LADLE_ERROR_BODY_CHANGED,
                 _("%s grew after it was added to the form (%lld bytes were announced)"),
                 what, (long long) length);
  else
    g_set_error (error, LADLE_ERROR, LADLE_ERROR_BODY_CHANGED,
                 _("%s shrank after it was added to the form (%lld bytes were announced)"),
                 what, (long long) length);
}

static gboolean
check_file_size (LadleMultipartInputStream  *self,
                 GFileInfo                  *info,
                 GError                    **error)
{
  goffset length;

  _ladle_multipart_form_get_segment (self->form, self->segment, NULL, NULL, &length);
  if (!g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_SIZE) ||
      g_file_info_get_size (info) == length)
    return TRUE;

  set_changed_error (self, g_file_info_get_size (info) > length, error);
  return FALSE;
}

static void
next_segment (LadleMultipartInputStream *self)
{
  self->segment++;
  self->offset = 0;
  self->fetched = 0;
  self->ahead_pos = self->ahead_len = 0;
}

/* Produces bytes fetched ahead from the part stream. */
static gsize
copy_ahead (LadleMultipartInputStream *self,
            guint8                    *buffer,
            gsize                      count)
{
  gsize n = MIN (count, self->ahead_len - self->ahead_pos);

  memcpy (buffer, self->ahead + self->ahead_pos, n);
  self->ahead_pos += n;
  self->offset += n;

  return n;
}

/* Where the next read of the part stream goes, and its size: straight into the caller's buffer
 * when that is large, else into the read-ahead block. */
static guint8 *
fetch_target (LadleMultipartInputStream *self,
              guint8                    *buffer,
              gsize                      count,
              goffset                    length,
              gsize                     *size)
{
  goffset wanted = length - self->fetched;

  if (count >= READ_AHEAD_SIZE)
    {
      *size = MIN ((goffset) count, wanted);
      return buffer;
    }

  if (self->ahead == NULL)
    self->ahead = g_malloc (READ_AHEAD_SIZE);
  *size = MIN (READ_AHEAD_SIZE, wanted);
  return self->ahead;
}

/* Accounts for @n bytes read into @target; returns how many of them @buffer got. */
static gsize
fetched (LadleMultipartInputStream *self,
         guint8                    *target,
         gsize                      n,
         guint8                    *buffer,
         gsize                      count)
{
  self->fetched += n;
  if (target == buffer)
    {
      self->offset += n;
      return n;
    }

  self->ahead_pos = 0;
  self->ahead_len = n;
  return copy_ahead (self, buffer, count);
}

/* Copies what fits of the memory segment being read; moves to the next segment at its end. */
static gsize
copy_memory (LadleMultipartInputStream *self,
             GBytes                    *bytes,
             guint8                    *buffer,
             gsize                      count)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gsize n = MIN (count, size - (gsize) self->offset);

  if (n > 0)
    memcpy (buffer, data + self->offset, n);
  self->offset += n;
  if ((gsize) self->offset == size)
    next_segment (self);

  return n;
}

static gboolean
open_part_sync (LadleMultipartInputStream  *self,
                LadleMultipartSegmentKind   kind,
                GFile                      *file,
                GCancellable               *cancellable,
                GError                    **error)
{
  g_autoptr(GFileInputStream) file_stream = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) local_error = NULL;

  if (kind == LADLE_MULTIPART_SEGMENT_STREAM)
    {
      self->part_stream = _ladle_multipart_form_make_segment_stream (self->form, self->segment, error);
      return self->part_stream != NULL;
    }

  file_stream = g_file_read (file, cancellable, error);
  if (file_stream == NULL)
    return FALSE;

  /* The size now tells a changed file before any of it is sent; the count of the bytes read
   * still catches a file that changes while it is read. */
  info = g_file_input_stream_query_info (file_stream, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                         cancellable, &local_error);
  if (info == NULL && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (info != NULL && !check_file_size (self, info, error))
    return FALSE;

  self->part_stream = G_INPUT_STREAM (g_steal_pointer (&file_stream));
  return TRUE;
}

static gssize
read_failed (LadleMultipartInputStream  *self,
             GError                     *local_error,
             GError                    **error)
{
  remember_error (self, local_error);
  g_propagate_error (error, local_error);
  return -1;
}

static gssize
ladle_multipart_input_stream_read (GInputStream  *stream,
                                   void          *buffer,
                                   gsize          count,
                                   GCancellable  *cancellable,
                                   GError       **error)
{
  LadleMultipartInputStream *self = LADLE_MULTIPART_INPUT_STREAM (stream);
  GError *local_error = NULL;
  gsize produced = 0;

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return -1;
    }

  while (produced < count && self->segment < self->n_segments)
    {
      LadleMultipartSegmentKind kind;
      GBytes *bytes;
      GFile *file;
      goffset length;
      gssize n;

      kind = _ladle_multipart_form_get_segment (self->form, self->segment, &bytes, &file, &length);
      if (kind == LADLE_MULTIPART_SEGMENT_MEMORY)
        {
          produced += copy_memory (self, bytes, (guint8 *) buffer + produced, count - produced);
          continue;
        }

      /* A file or stream read never follows bytes already produced, so that its failure
       * cannot take them away. */
      if (produced > 0)
        break;

      if (self->part_stream == NULL &&
          !open_part_sync (self, kind, file, cancellable, &local_error))
        return read_failed (self, local_error, error);

      if (self->ahead_pos < self->ahead_len)
        return copy_ahead (self, buffer, count);

      if (self->fetched < length)
        {
          gsize size;
          guint8 *target = fetch_target (self, buffer, count, length, &size);

          n = g_input_stream_read (self->part_stream, target, size, cancellable, &local_error);
          if (n < 0)
            return read_failed (self, local_error, error);
          if (n == 0)
            {
              set_changed_error (self, FALSE, &local_error);
              return read_failed (self, local_error, error);
            }
          return fetched (self, target, n, buffer, count);
        }

      /* One byte past the recorded end tells a longer content from a complete one. */
      n = g_input_stream_read (self->part_stream, buffer, 1, cancellable, &local_error);
      if (n < 0)
        return read_failed (self, local_error, error);
      if (n > 0)
        {
          set_changed_error (self, TRUE, &local_error);
          return read_failed (self, local_error, error);
        }

      /* Not cancellable: a cancelled close leaves the part closed, with no way to go on. */
      if (!g_input_stream_close (self->part_stream, NULL, &local_error))
        return read_failed (self, local_error, error);
      g_clear_object (&self->part_stream);
      next_segment (self);
    }

  return produced;
}

/* Async reads: the same walk as the synchronous read, with each file or stream operation
 * asynchronous. The GTask is owned by whichever step runs. */

static void
read_task_failed (GTask  *task,
                  GError *error)
{
  LadleMultipartInputStream *self = g_task_get_source_object (task);

  remember_error (self, error);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
part_closed_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  LadleMultipartInputStream *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!g_input_stream_close_finish (G_INPUT_STREAM (object), result, &error))
    {
      read_task_failed (task, error);
      return;
    }

  g_clear_object (&self->part_stream);
  next_segment (self);
  read_step (task);
}

static void
end_checked_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  LadleMultipartInputStream *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n < 0)
    {
      read_task_failed (task, error);
      return;
    }
  if (n > 0)
    {
      set_changed_error (self, TRUE, &error);
      read_task_failed (task, error);
      return;
    }

  /* See ladle_multipart_input_stream_read(). */
  g_input_stream_close_async (self->part_stream, g_task_get_priority (task), NULL,
                              part_closed_cb, task);
}

static void
part_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  LadleMultipartInputStream *self = g_task_get_source_object (task);
  ReadData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n < 0)
    {
      read_task_failed (task, error);
      return;
    }
  if (n == 0)
    {
      set_changed_error (self, FALSE, &error);
      read_task_failed (task, error);
      return;
    }

  g_task_return_int (task, fetched (self, data->target, n, data->buffer, data->count));
  g_object_unref (task);
}

static void
file_size_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  LadleMultipartInputStream *self = g_task_get_source_object (task);
  g_autoptr(GFileInfo) info = NULL;
  GError *error = NULL;

  info = g_file_input_stream_query_info_finish (G_FILE_INPUT_STREAM (object), result, &error);
  if (info == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      read_task_failed (task, error);
      return;
    }
  g_clear_error (&error);

  if (info != NULL && !check_file_size (self, info, &error))
    {
      read_task_failed (task, error);
      return;
    }

  self->part_stream = G_INPUT_STREAM (g_object_ref (object));
  read_step (task);
}

static void
file_opened_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GFileInputStream) file_stream = NULL;
  GError *error = NULL;

  file_stream = g_file_read_finish (G_FILE (object), result, &error);
  if (file_stream == NULL)
    {
      read_task_failed (task, error);
      return;
    }

  /* See open_part_sync(). */
  g_file_input_stream_query_info_async (file_stream, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                        g_task_get_priority (task), g_task_get_cancellable (task),
                                        file_size_cb, task);
}

static void
read_step (GTask *task)
{
  LadleMultipartInputStream *self = g_task_get_source_object (task);
  ReadData *data = g_task_get_task_data (task);
  int io_priority = g_task_get_priority (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  while (data->produced < data->count && self->segment < self->n_segments)
    {
      LadleMultipartSegmentKind kind;
      GBytes *bytes;
      GFile *file;
      goffset length;

      kind = _ladle_multipart_form_get_segment (self->form, self->segment, &bytes, &file, &length);
      if (kind == LADLE_MULTIPART_SEGMENT_MEMORY)
        {
          data->produced += copy_memory (self, bytes, data->buffer + data->produced,
                                         data->count - data->produced);
          continue;
        }

      if (data->produced > 0)
        break;

      if (self->part_stream == NULL)
        {
          if (kind == LADLE_MULTIPART_SEGMENT_FILE)
            {
              g_file_read_async (file, io_priority, cancellable, file_opened_cb, task);
              return;
            }

          self->part_stream = _ladle_multipart_form_make_segment_stream (self->form, self->segment,
                                                                         &error);
          if (self->part_stream == NULL)
            {
              read_task_failed (task, error);
              return;
            }
        }

      if (self->ahead_pos < self->ahead_len)
        {
          data->produced = copy_ahead (self, data->buffer, data->count);
          break;
        }

      if (self->fetched < length)
        {
          gsize size;

          data->target = fetch_target (self, data->buffer, data->count, length, &size);
          g_input_stream_read_async (self->part_stream, data->target, size,
                                     io_priority, cancellable, part_read_cb, task);
        }
      else
        g_input_stream_read_async (self->part_stream, data->buffer, 1,
                                   io_priority, cancellable, end_checked_cb, task);
      return;
    }

  g_task_return_int (task, data->produced);
  g_object_unref (task);
}

static void
ladle_multipart_input_stream_read_async (GInputStream        *stream,
                                         void                *buffer,
                                         gsize                count,
                                         int                  io_priority,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  LadleMultipartInputStream *self = LADLE_MULTIPART_INPUT_STREAM (stream);
  GTask *task;
  ReadData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ladle_multipart_input_stream_read_async);
  g_task_set_priority (task, io_priority);
  /* Bytes produced are consumed: a cancellation that comes later must not hide them. */
  g_task_set_check_cancellable (task, FALSE);

  if (self->error != NULL)
    {
      g_task_return_error (task, g_error_copy (self->error));
      g_object_unref (task);
      return;
    }

  data = g_new0 (ReadData, 1);
  data->buffer = buffer;
  data->count = count;
  g_task_set_task_data (task, data, g_free);

  read_step (task);
}

static gssize
ladle_multipart_input_stream_read_finish (GInputStream  *stream,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_multipart_input_stream_read_async, -1);

  return g_task_propagate_int (G_TASK (result), error);
}

static gboolean
ladle_multipart_input_stream_close (GInputStream  *stream,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  LadleMultipartInputStream *self = LADLE_MULTIPART_INPUT_STREAM (stream);
  g_autoptr(GInputStream) part_stream = g_steal_pointer (&self->part_stream);

  if (part_stream == NULL)
    return TRUE;

  return g_input_stream_close (part_stream, cancellable, error);
}

static void
part_closed_for_close_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_input_stream_close_finish (G_INPUT_STREAM (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
ladle_multipart_input_stream_close_async (GInputStream        *stream,
                                          int                  io_priority,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  LadleMultipartInputStream *self = LADLE_MULTIPART_INPUT_STREAM (stream);
  g_autoptr(GInputStream) part_stream = g_steal_pointer (&self->part_stream);
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ladle_multipart_input_stream_close_async);
  g_task_set_priority (task, io_priority);

  if (part_stream == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_input_stream_close_async (part_stream, io_priority, cancellable,
                              part_closed_for_close_cb, g_steal_pointer (&task));
}

static gboolean
ladle_multipart_input_stream_close_finish (GInputStream  *stream,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ladle_multipart_input_stream_close_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
ladle_multipart_input_stream_constructed (GObject *object)
{
  LadleMultipartInputStream *self = (LadleMultipartInputStream *)object;

  G_OBJECT_CLASS (ladle_multipart_input_stream_parent_class)->constructed (object);

  if (self->form == NULL)
    {
      g_critical ("A LadleMultipartInputStream needs a form");
      return;
    }

  _ladle_multipart_form_freeze (self->form);
  self->n_segments = _ladle_multipart_form_get_n_segments (self->form);
}

static void
ladle_multipart_input_stream_finalize (GObject *object)
{
  LadleMultipartInputStream *self = (LadleMultipartInputStream *)object;

  g_clear_object (&self->part_stream);
  g_clear_object (&self->form);
  g_clear_error (&self->error);
  g_clear_pointer (&self->ahead, g_free);

  G_OBJECT_CLASS (ladle_multipart_input_stream_parent_class)->finalize (object);
}

static void
ladle_multipart_input_stream_get_property (GObject    *object,
                                           guint       prop_id,
                                           GValue     *value,
                                           GParamSpec *pspec)
{
  LadleMultipartInputStream *self = LADLE_MULTIPART_INPUT_STREAM (object);

  switch (prop_id)
    {
    case PROP_FORM:
      g_value_set_object (value, self->form);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_multipart_input_stream_set_property (GObject      *object,
                                           guint         prop_id,
                                           const GValue *value,
                                           GParamSpec   *pspec)
{
  LadleMultipartInputStream *self = LADLE_MULTIPART_INPUT_STREAM (object);

  switch (prop_id)
    {
    case PROP_FORM:
      self->form = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_multipart_input_stream_class_init (LadleMultipartInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->constructed = ladle_multipart_input_stream_constructed;
  object_class->finalize = ladle_multipart_input_stream_finalize;
  object_class->get_property = ladle_multipart_input_stream_get_property;
  object_class->set_property = ladle_multipart_input_stream_set_property;

  stream_class->read_fn = ladle_multipart_input_stream_read;
  stream_class->read_async = ladle_multipart_input_stream_read_async;
  stream_class->read_finish = ladle_multipart_input_stream_read_finish;
  stream_class->close_fn = ladle_multipart_input_stream_close;
  stream_class->close_async = ladle_multipart_input_stream_close_async;
  stream_class->close_finish = ladle_multipart_input_stream_close_finish;

  /**
   * LadleMultipartInputStream:form: (getter get_form)
   *
   * The form whose body the stream reads. Making the stream froze it.
   */
  properties[PROP_FORM] =
    g_param_spec_object ("form", NULL, NULL,
                         LADLE_TYPE_MULTIPART_FORM,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ladle_multipart_input_stream_init (LadleMultipartInputStream *self)
{
}

/**
 * ladle_multipart_input_stream_new:
 * @form: a form
 *
 * Makes a stream that reads the body of @form from its start, and freezes @form.
 * [method@Ladle.MultipartForm.new_stream] does the same.
 *
 * Returns: (transfer full): a new [class@Ladle.MultipartInputStream]
 */
GInputStream *
ladle_multipart_input_stream_new (LadleMultipartForm *form)
{
  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (form), NULL);

  return g_object_new (LADLE_TYPE_MULTIPART_INPUT_STREAM,
                       "form", form,
                       NULL);
}

/**
 * ladle_multipart_input_stream_get_form: (get-property form)
 * @self: a stream
 *
 * Returns: (transfer none): the form whose body @self reads
 */
LadleMultipartForm *
ladle_multipart_input_stream_get_form (LadleMultipartInputStream *self)
{
  g_return_val_if_fail (LADLE_IS_MULTIPART_INPUT_STREAM (self), NULL);

  return self->form;
}
