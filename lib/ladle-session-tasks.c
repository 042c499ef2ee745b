/* ladle-session-tasks.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The task factories of LadleSession: data, upload and download tasks, from a request, a URI
 * or resume data. Each makes the task and hands it to the session (_ladle_session_add_task()),
 * which lists it and gives it its identifier; the session itself is in ladle-session.c.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-data-task.h"
#include "ladle-download-task-private.h"
#include "ladle-error.h"
#include "ladle-multipart-form.h"
#include "ladle-resume-data-private.h"
#include "ladle-session-private.h"
#include "ladle-session-tasks-private.h"
#include "ladle-upload-task-private.h"

static LadleDataTask *
new_data_task (LadleSession *self,
               SoupMessage  *request,
               GError       *error)
{
  LadleDataTask *task = g_object_new (LADLE_TYPE_DATA_TASK, NULL);

  _ladle_session_add_task (self, LADLE_TASK (task), request, error);

  return task;
}

/**
 * ladle_session_create_data_task:
 * @self: a session
 * @request: the request to send
 *
 * Creates a suspended task that sends @request and delivers the response body in memory.
 * The task owns @request from now on: do not send it elsewhere.
 *
 * Returns: (transfer full): a new data task
 */
LadleDataTask *
ladle_session_create_data_task (LadleSession *self,
                                SoupMessage  *request)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (request), NULL);

  return new_data_task (self, request, NULL);
}

SoupMessage *
_ladle_session_parse_uri (const char  *uri,
                          GError     **error)
{
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *scheme;

  parsed = g_uri_parse (uri, SOUP_HTTP_URI_FLAGS, &local_error);
  if (parsed == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Invalid URI “%s”: %s"), uri, local_error->message);
      return NULL;
    }

  scheme = g_uri_get_scheme (parsed);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Unsupported URI scheme “%s”: only http and https are supported"), scheme);
      return NULL;
    }
  if (g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Invalid URI “%s”: no host"), uri);
      return NULL;
    }

  return soup_message_new_from_uri (SOUP_METHOD_GET, parsed);
}

/**
 * ladle_session_create_data_task_for_uri:
 * @self: a session
 * @uri: an http or https URI
 *
 * Creates a suspended task that GETs @uri. When @uri cannot be parsed or is not http or https,
 * the task is made all the same and completes with a %G_IO_ERROR when it is resumed.
 *
 * Returns: (transfer full): a new data task
 */
LadleDataTask *
ladle_session_create_data_task_for_uri (LadleSession *self,
                                        const char   *uri)
{
  g_autoptr(SoupMessage) request = NULL;
  GError *error = NULL;

  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  request = _ladle_session_parse_uri (uri, &error);

  return new_data_task (self, request, error);
}

static LadleUploadTask *
new_upload_task (LadleSession        *self,
                 SoupMessage         *request,
                 LadleUploadBodyKind  kind,
                 GBytes              *bytes,
                 GFile               *file,
                 LadleMultipartForm  *form)
{
  LadleUploadTask *task = _ladle_upload_task_new (request, kind, bytes, file, form);

  _ladle_session_add_task (self, LADLE_TASK (task), request, NULL);

  return task;
}

/**
 * ladle_session_create_upload_task_from_bytes:
 * @self: a session
 * @request: the request to send, usually a POST or PUT
 * @body: the request body
 *
 * Creates a suspended task that sends @body with @request. The Content-Type header of @request,
 * if set, is kept.
 *
 * Returns: (transfer full): a new upload task
 */
LadleUploadTask *
ladle_session_create_upload_task_from_bytes (LadleSession *self,
                                             SoupMessage  *request,
                                             GBytes       *body)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (request), NULL);
  g_return_val_if_fail (body != NULL, NULL);

  return new_upload_task (self, request, LADLE_UPLOAD_BODY_KIND_BYTES, body, NULL, NULL);
}

/**
 * ladle_session_create_upload_task_from_file:
 * @self: a session
 * @request: the request to send, usually a POST or PUT
 * @file: the file to send as the body
 *
 * Creates a suspended task that streams @file from disk as the body of @request, with its size
 * as Content-Length. A file that cannot be read, or whose size changes between two sends of the
 * request, fails the task. The Content-Type header of @request is kept, else
 * `application/octet-stream` is sent.
 *
 * Returns: (transfer full): a new upload task
 */
LadleUploadTask *
ladle_session_create_upload_task_from_file (LadleSession *self,
                                            SoupMessage  *request,
                                            GFile        *file)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (request), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  return new_upload_task (self, request, LADLE_UPLOAD_BODY_KIND_FILE, NULL, file, NULL);
}

/**
 * ladle_session_create_upload_task_streamed:
 * @self: a session
 * @request: the request to send, usually a POST or PUT
 *
 * Creates a suspended task whose body comes from [signal@Ladle.UploadTask::need-body-stream],
 * asked again for every resend. Set a Content-Length header on @request when the size is known;
 * without one the body is sent with chunked encoding.
 *
 * Returns: (transfer full): a new upload task
 */
LadleUploadTask *
ladle_session_create_upload_task_streamed (LadleSession *self,
                                           SoupMessage  *request)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (request), NULL);

  return new_upload_task (self, request, LADLE_UPLOAD_BODY_KIND_STREAMED, NULL, NULL, NULL);
}

/**
 * ladle_session_create_upload_task_from_form:
 * @self: a session
 * @request: the request to send, usually a POST
 * @form: the multipart form to send
 *
 * Creates a suspended task that sends @form as a multipart/form-data body with its exact
 * Content-Length. Files of the form are opened one at a time as they are reached and never read
 * whole into memory.
 *
 * Returns: (transfer full): a new upload task
 */
LadleUploadTask *
ladle_session_create_upload_task_from_form (LadleSession       *self,
                                            SoupMessage        *request,
                                            LadleMultipartForm *form)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (request), NULL);
  g_return_val_if_fail (LADLE_IS_MULTIPART_FORM (form), NULL);

  return new_upload_task (self, request, LADLE_UPLOAD_BODY_KIND_FORM, NULL, NULL, form);
}

static LadleDownloadTask *
new_download_task (LadleSession *self,
                   SoupMessage  *request,
                   GError       *error)
{
  LadleDownloadTask *task = g_object_new (LADLE_TYPE_DOWNLOAD_TASK, NULL);
  g_autoptr(GFile) directory = _ladle_session_dup_partial_directory (self);

  _ladle_download_task_set_partial_directory (task, directory);
  _ladle_session_add_task (self, LADLE_TASK (task), request, error);

  return task;
}

/**
 * ladle_session_create_download_task:
 * @self: a session
 * @request: the request to send
 *
 * Creates a suspended task that sends @request and writes the response body to a file. The task
 * owns @request from now on: do not send it elsewhere.
 *
 * Returns: (transfer full): a new download task
 */
LadleDownloadTask *
ladle_session_create_download_task (LadleSession *self,
                                    SoupMessage  *request)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (request), NULL);

  return new_download_task (self, request, NULL);
}

/**
 * ladle_session_create_download_task_for_uri:
 * @self: a session
 * @uri: an http or https URI
 *
 * Creates a suspended task that GETs @uri into a file. When @uri cannot be parsed or is not
 * http or https, the task is made all the same and completes with a %G_IO_ERROR when resumed.
 *
 * Returns: (transfer full): a new download task
 */
LadleDownloadTask *
ladle_session_create_download_task_for_uri (LadleSession *self,
                                            const char   *uri)
{
  g_autoptr(SoupMessage) request = NULL;
  GError *error = NULL;

  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  request = _ladle_session_parse_uri (uri, &error);

  return new_download_task (self, request, error);
}

static LadleDownloadTask *
new_resumed_download_task (LadleSession  *self,
                           GBytes        *resume_data,
                           SoupMessage   *fresh_request,
                           GError       **error)
{
  g_autoptr(LadleTaskRecord) data = NULL;
  g_autoptr(LadleDownloadTask) task = NULL;
  g_autoptr(SoupMessage) request = NULL;
  g_autoptr(GFile) directory = NULL;

  data = _ladle_resume_data_parse (resume_data, error);
  if (data == NULL)
    return NULL;

  if (fresh_request != NULL)
    request = g_object_ref (fresh_request);
  else
    {
      SoupMessageHeaders *headers;

      request = soup_message_new (data->method, data->uri);
      if (request == NULL)
        {
          g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
                       _("Invalid resume data: cannot make a request for %s"), data->uri);
          return NULL;
        }
      headers = soup_message_get_request_headers (request);
      for (guint i = 0; i + 1 < data->headers->len; i += 2)
        soup_message_headers_append (headers,
                                     g_ptr_array_index (data->headers, i),
                                     g_ptr_array_index (data->headers, i + 1));
    }

  task = g_object_new (LADLE_TYPE_DOWNLOAD_TASK, NULL);
  directory = _ladle_session_dup_partial_directory (self);
  _ladle_download_task_set_partial_directory (task, directory);
  if (!_ladle_download_task_prepare_resume (task, data, error))
    return NULL;
  g_steal_pointer (&data);

  _ladle_session_add_task (self, LADLE_TASK (task), request, NULL);

  return g_steal_pointer (&task);
}

/**
 * ladle_session_create_download_task_from_resume_data:
 * @self: a session
 * @resume_data: resume data from [method@Ladle.DownloadTask.cancel_producing_resume_data_async]
 *   or [method@Ladle.DownloadTask.dup_resume_data]
 * @error: return location for an error
 *
 * Creates a suspended task that continues a download where it stopped, in this process or in a
 * later one. The session must use the same
 * [property@Ladle.SessionConfiguration:state-directory] as the one that produced @resume_data,
 * and the partial file must still be there, with at least the size recorded (a longer one,
 * left by a later transfer that was killed, is cut back to it when the task starts).
 *
 * Resume data holds the URL and the request headers that are neither credentials nor
 * hop-by-hop headers (see the resume-data page of the documentation): the session's
 * authentication handlers answer again when the resumed request needs credentials, or use
 * [method@Ladle.Session.create_download_task_from_resume_data_with_request] to resume with a
 * request of your own (a fresh token, a new signed URL). Resume data that carries a credential
 * or hop-by-hop header, or a method other than GET, is refused.
 *
 * When resumed, the task asks for the rest of the resource with `Range` and `If-Range`. A 206
 * response that continues the partial file, with the validator (ETag, else Last-Modified) the
 * resume data was made with, is appended to it; a 200 response (the resource changed, or the
 * server ignores ranges) starts over in a new partial file; both emit
 * [signal@Ladle.DownloadTask::resumed]. Any other answer fails with
 * %LADLE_ERROR_UNEXPECTED_RANGE and leaves the partial file and the resume data as they were.
 * Two tasks never write one partial file: while one uses it, another one made from the same
 * resume data (in this process or another) fails with %LADLE_ERROR_PARTIAL_FILE.
 *
 * Returns: (transfer full): a new download task, or %NULL with @error set to
 *   %LADLE_ERROR_INVALID_RESUME_DATA, %LADLE_ERROR_RESUME_DATA_VERSION or
 *   %LADLE_ERROR_PARTIAL_FILE
 */
LadleDownloadTask *
ladle_session_create_download_task_from_resume_data (LadleSession  *self,
                                                     GBytes        *resume_data,
                                                     GError       **error)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (resume_data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return new_resumed_download_task (self, resume_data, NULL, error);
}

/**
 * ladle_session_create_download_task_from_resume_data_with_request:
 * @self: a session
 * @resume_data: resume data from [method@Ladle.DownloadTask.cancel_producing_resume_data_async]
 *   or [method@Ladle.DownloadTask.dup_resume_data]
 * @request: the request to continue with, a GET
 * @error: return location for an error
 *
 * Like [method@Ladle.Session.create_download_task_from_resume_data], but the rest of the
 * resource is asked for with @request instead of the request recorded in @resume_data: a new
 * signed URL, or fresh credentials. Only the partial file and the validators come from the
 * resume data, and the partial file is continued only when the server's answer carries the same
 * validator, so a request for another resource starts over instead of splicing two.
 *
 * Returns: (transfer full): a new download task, or %NULL with @error set as for
 *   [method@Ladle.Session.create_download_task_from_resume_data]
 */
LadleDownloadTask *
ladle_session_create_download_task_from_resume_data_with_request (LadleSession  *self,
                                                                  GBytes        *resume_data,
                                                                  SoupMessage   *request,
                                                                  GError       **error)
{
  g_return_val_if_fail (LADLE_IS_SESSION (self), NULL);
  g_return_val_if_fail (resume_data != NULL, NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (request), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_strcmp0 (soup_message_get_method (request), SOUP_METHOD_GET) != 0)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST,
                   _("A download resumes with a GET request, not %s"), soup_message_get_method (request));
      return NULL;
    }

  return new_resumed_download_task (self, resume_data, request, error);
}

/* A data task's response becomes a download (LADLE_RESPONSE_DISPOSITION_BECOME_DOWNLOAD): the
 * new task is listed like any other and then started with the response by the data task. */
LadleDownloadTask *
_ladle_session_adopt_download (LadleSession *self,
                               SoupMessage  *message)
{
  return new_download_task (self, message, NULL);
}
