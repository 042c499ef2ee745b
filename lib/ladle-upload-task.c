/* ladle-upload-task.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleUploadTask:
 *
 * A data task that sends a request body: bytes, a file, a stream, or a multipart form.
 *
 * The body is produced afresh for every send: the first one, each resend after an
 * authentication challenge, and each 307 or 308 redirect. Bytes, files and forms are produced
 * by Ladle itself (a resend carries the same bytes with the same Content-Length; a file whose
 * size changed in between fails the task with %LADLE_ERROR_BODY_CHANGED); a streamed upload asks
 * [signal@Ladle.UploadTask::need-body-stream] each time. libsoup 3.2 clears the body of a
 * message it restarts, which without this would resend a POST with an empty body.
 *
 * Files and forms are streamed from disk, never read whole into memory. The request carries an
 * exact Content-Length whenever the size is known; a streamed upload uses the Content-Length
 * set on its request, or else chunked encoding.
 *
 * [signal@Ladle.Task::upload-progress] reports the bytes written; the response body is
 * delivered and accumulated as for any [class@Ladle.DataTask].
 *
 * A body of known size of 64 KiB or more sent over HTTP/1.x is written to the connection by Ladle
 * itself, in 1 MiB blocks, rather than by libsoup 3.2's 8 KiB copy loop (see
 * [Ladle and libsoup 3.2](libsoup-3.2.html)): libsoup's `wrote-body-data` signal on the request, and a
 * `SoupLogger`'s body logging, do not see such a body; upload-progress does. A streamed upload
 * whose stream ends before the Content-Length set on its request fails with
 * %LADLE_ERROR_BODY_CHANGED.
 */

#include "config.h"

#include "ladle-data-task-private.h"
#include "ladle-direct-body-private.h"
#include "ladle-enum-types.h"
#include "ladle-error.h"
#include "ladle-multipart-form.h"
#include "ladle-multipart-private.h"
#include "ladle-request-body-private.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"
#include "ladle-upload-task.h"
#include "ladle-upload-task-private.h"

struct _LadleUploadTask
{
  LadleDataTask        parent_instance;

  LadleUploadBodyKind  kind;
  GBytes              *bytes;
  GFile               *file;
  goffset              file_size;        /* size at the first send, -1 before */
  LadleMultipartForm  *file_body;        /* the file as a frameless form, made at the first send */
  LadleMultipartForm  *form;
  gint64               declared_length;  /* a streamed body's Content-Length, -1 for chunked */
  char                *content_type;
  char                *original_method;

  LadleDirectBody     *direct_body;      /* the direct HTTP/1 body copy (ladle-direct-body.c) */
};

struct _LadleUploadTaskClass
{
  LadleDataTaskClass parent_class;
};

G_DEFINE_FINAL_TYPE (LadleUploadTask, ladle_upload_task, LADLE_TYPE_DATA_TASK)

enum {
  PROP_0,
  PROP_BODY_KIND,
  N_PROPS
};

enum {
  NEED_BODY_STREAM,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
method_has_no_body (const char *method)
{
  return g_strcmp0 (method, SOUP_METHOD_GET) == 0 || g_strcmp0 (method, SOUP_METHOD_HEAD) == 0;
}

static void
on_direct_body_progress (gsize    n_written,
                         gpointer user_data)
{
  g_autoptr(LadleTask) task = g_weak_ref_get (user_data);

  if (task == NULL)
    return;
  /* libsoup's metrics do not see these bytes. */
  _ladle_transfer_note_direct_body_sent (_ladle_task_get_transfer (task), n_written);
  _ladle_task_add_bytes_sent (task, n_written);
}

static void
free_weak_ref (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* Sets the body of the send about to start: a large body may be copied to an HTTP/1
 * connection by Ladle itself (ladle-direct-body.c), and libsoup 3.2's HTTP/2 writer needs a
 * body that is always ready (ladle-request-body.c). */
static void
set_body (LadleUploadTask *self,
          SoupMessage     *message,
          const char      *content_type,
          GInputStream    *stream,
          gint64           length)
{
  g_autoptr(GInputStream) gated = NULL;
  g_autoptr(GInputStream) body = NULL;

  if (self->direct_body == NULL)
    {
      GWeakRef *task_ref = g_new0 (GWeakRef, 1);

      g_weak_ref_init (task_ref, self);
      self->direct_body = _ladle_direct_body_new (_ladle_task_get_cancellable (LADLE_TASK (self)),
                                                  on_direct_body_progress, task_ref, free_weak_ref);
    }

  gated = _ladle_direct_body_wrap (self->direct_body, message, stream, length);
  body = _ladle_request_body_wrap (gated);
  soup_message_set_request_body (message, content_type, body, length);
}

static gboolean
produce_body (LadleUploadTask  *self,
              SoupMessage      *message,
              GError          **error)
{
  g_autoptr(GInputStream) stream = NULL;
  const char *content_type = self->content_type;
  gint64 length = -1;

  switch (self->kind)
    {
    case LADLE_UPLOAD_BODY_KIND_BYTES:
      stream = g_memory_input_stream_new_from_bytes (self->bytes);
      length = g_bytes_get_size (self->bytes);
      break;

    case LADLE_UPLOAD_BODY_KIND_FILE:
      {
        g_autoptr(GFileInfo) info = NULL;

        info = g_file_query_info (self->file,
                                  G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                  G_FILE_QUERY_INFO_NONE, NULL, error);
        if (info == NULL)
          return FALSE;
        if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
          {
            g_autofree char *name = g_file_get_parse_name (self->file);

            g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                         "Cannot upload %s: not a regular file", name);
            return FALSE;
          }
        if (self->file_size >= 0 && g_file_info_get_size (info) != self->file_size)
          {
            g_autofree char *name = g_file_get_parse_name (self->file);

            g_set_error (error, LADLE_ERROR, LADLE_ERROR_BODY_CHANGED,
                         "%s changed size between two sends of the request (%" G_GOFFSET_FORMAT
                         " bytes, then %" G_GOFFSET_FORMAT ")",
                         name, self->file_size, g_file_info_get_size (info));
            return FALSE;
          }
        self->file_size = g_file_info_get_size (info);

        /* The file is read as it is sent, with read-ahead, and a file that changes size while
         * it is sent fails the read instead of disagreeing with the Content-Length. */
        if (self->file_body == NULL)
          self->file_body = _ladle_multipart_form_new_raw_file (self->file, self->file_size);
        stream = ladle_multipart_form_new_stream (self->file_body);
        length = self->file_size;
      }
      break;

    case LADLE_UPLOAD_BODY_KIND_STREAMED:
      g_signal_emit (self, signals[NEED_BODY_STREAM], 0, &stream);
      if (stream == NULL)
        {
          g_set_error_literal (error, LADLE_ERROR, LADLE_ERROR_NO_BODY_STREAM,
                               "No need-body-stream handler returned a stream for the request body");
          return FALSE;
        }
      length = self->declared_length;
      break;

    case LADLE_UPLOAD_BODY_KIND_FORM:
      stream = ladle_multipart_form_new_stream (self->form);
      length = ladle_multipart_form_get_content_length (self->form);
      content_type = ladle_multipart_form_get_content_type (self->form);
      break;

    default:
      g_assert_not_reached ();
    }

  set_body (self, message, content_type, stream, length);
  _ladle_task_set_bytes_expected_to_send (LADLE_TASK (self), length);

  return TRUE;
}

static gboolean
upload_prepare_message (LadleTask    *task,
                        SoupMessage  *message,
                        GError      **error)
{
  LadleUploadTask *self = LADLE_UPLOAD_TASK (task);

  /* A redirect that turned the request into a GET carries no body. */
  if (method_has_no_body (soup_message_get_method (message)) &&
      !method_has_no_body (self->original_method))
    {
      _ladle_task_set_bytes_expected_to_send (task, 0);
      return TRUE;
    }

  return produce_body (self, message, error);
}

static gboolean
upload_can_resend_body (LadleTask *task)
{
  return TRUE;
}

static void
upload_message_restarted (LadleTask   *task,
                          SoupMessage *message)
{
  LadleUploadTask *self = LADLE_UPLOAD_TASK (task);
  GError *error = NULL;

  if (method_has_no_body (soup_message_get_method (message)) &&
      !method_has_no_body (self->original_method))
    return;

  if (!produce_body (self, message, &error))
    _ladle_task_abort (task, error);
}

static void
ladle_upload_task_finalize (GObject *object)
{
  LadleUploadTask *self = (LadleUploadTask *)object;

  g_clear_object (&self->direct_body);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_clear_object (&self->file);
  g_clear_object (&self->file_body);
  g_clear_object (&self->form);
  g_clear_pointer (&self->content_type, g_free);
  g_clear_pointer (&self->original_method, g_free);

  G_OBJECT_CLASS (ladle_upload_task_parent_class)->finalize (object);
}

static void
ladle_upload_task_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  LadleUploadTask *self = LADLE_UPLOAD_TASK (object);

  switch (prop_id)
    {
    case PROP_BODY_KIND:
      g_value_set_enum (value, self->kind);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The first handler that returns a stream provides the body. */
static gboolean
first_stream_accumulator (GSignalInvocationHint *ihint,
                          GValue                *return_accu,
                          const GValue          *handler_return,
                          gpointer               data)
{
  GObject *stream = g_value_get_object (handler_return);

  g_value_set_object (return_accu, stream);

  return stream == NULL;
}

/* Another attempt has a new cancellable: the direct body copy is made again for it. */
static void
ladle_upload_task_prepare_retry (LadleTask *task)
{
  LadleUploadTask *self = LADLE_UPLOAD_TASK (task);

  g_clear_object (&self->direct_body);
}

static void
ladle_upload_task_class_init (LadleUploadTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ladle_upload_task_finalize;
  object_class->get_property = ladle_upload_task_get_property;

  LADLE_TASK_CLASS (klass)->kind = LADLE_TASK_KIND_UPLOAD;
  LADLE_TASK_CLASS (klass)->prepare_message = upload_prepare_message;
  LADLE_TASK_CLASS (klass)->can_resend_body = upload_can_resend_body;
  LADLE_TASK_CLASS (klass)->message_restarted = upload_message_restarted;
  LADLE_TASK_CLASS (klass)->prepare_retry = ladle_upload_task_prepare_retry;

  /**
   * LadleUploadTask:body-kind:
   *
   * Where the request body comes from.
   */
  properties[PROP_BODY_KIND] =
    g_param_spec_enum ("body-kind", NULL, NULL,
                       LADLE_TYPE_UPLOAD_BODY_KIND,
                       LADLE_UPLOAD_BODY_KIND_BYTES,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LadleUploadTask::need-body-stream:
   * @self: the task
   *
   * Emitted by a streamed upload each time the request body is sent: the first time, and again
   * for each resend after an authentication challenge or a 307/308 redirect. The handler returns
   * a fresh stream positioned at the start of the body, with the same bytes every time. When no
   * handler returns a stream, the task fails with %LADLE_ERROR_NO_BODY_STREAM.
   *
   * The size of the body is the Content-Length header of the task's request, when the
   * application set one; otherwise the body is sent with chunked encoding.
   *
   * Over HTTP/1 the stream is read asynchronously. Over HTTP/2 it is read with blocking reads on
   * the session's main context, because libsoup 3.2's HTTP/2 writer mishandles a body that is
   * not always ready (see [Ladle and libsoup 3.2](libsoup-3.2.html)): there, return a stream
   * whose reads do not block for long, such as a file or memory stream.
   *
   * Returns: (transfer full) (nullable): a new stream for the body
   */
  signals[NEED_BODY_STREAM] =
    g_signal_new ("need-body-stream",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  first_stream_accumulator, NULL,
                  NULL,
                  G_TYPE_INPUT_STREAM, 0);
}

static void
ladle_upload_task_init (LadleUploadTask *self)
{
  self->file_size = -1;
  self->declared_length = -1;
}

LadleUploadTask *
_ladle_upload_task_new (SoupMessage         *request,
                        LadleUploadBodyKind  kind,
                        GBytes              *bytes,
                        GFile               *file,
                        LadleMultipartForm  *form)
{
  LadleUploadTask *self = g_object_new (LADLE_TYPE_UPLOAD_TASK, NULL);
  SoupMessageHeaders *headers = soup_message_get_request_headers (request);
  const char *content_type = soup_message_headers_get_one (headers, "Content-Type");

  self->kind = kind;
  self->bytes = bytes ? g_bytes_ref (bytes) : NULL;
  self->file = file ? g_object_ref (file) : NULL;
  self->form = form ? g_object_ref (form) : NULL;
  self->original_method = g_strdup (soup_message_get_method (request));
  _ladle_task_get_record (LADLE_TASK (self))->body_kind = kind;
  if (file != NULL)
    _ladle_task_get_record (LADLE_TASK (self))->body_file = g_file_get_uri (file);

  if (content_type == NULL && kind == LADLE_UPLOAD_BODY_KIND_FILE)
    content_type = "application/octet-stream";
  self->content_type = g_strdup (content_type);

  if (kind == LADLE_UPLOAD_BODY_KIND_STREAMED &&
      soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    self->declared_length = soup_message_headers_get_content_length (headers);

  return self;
}

/**
 * ladle_upload_task_get_body_kind:
 * @self: an upload task
 *
 * Returns: where the request body comes from
 */
LadleUploadBodyKind
ladle_upload_task_get_body_kind (LadleUploadTask *self)
{
  g_return_val_if_fail (LADLE_IS_UPLOAD_TASK (self), LADLE_UPLOAD_BODY_KIND_BYTES);

  return self->kind;
}

/* The form of a form upload (borrowed), NULL for the other kinds. */
LadleMultipartForm *
_ladle_upload_task_get_form (LadleUploadTask *self)
{
  return self->form;
}
