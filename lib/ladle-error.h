/* ladle-error.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <glib.h>

#include "ladle-version-macros.h"

G_BEGIN_DECLS

/**
 * LADLE_ERROR:
 *
 * The error domain of the failures Ladle itself detects. Errors in this domain use the codes of
 * [error@Ladle.Error]. Cancellation is reported as %G_IO_ERROR_CANCELLED, transport failures in
 * the %G_IO_ERROR, %G_RESOLVER_ERROR or %G_TLS_ERROR domains.
 */
#define LADLE_ERROR (ladle_error_quark ())

/**
 * LadleError:
 * @LADLE_ERROR_FAILED: a failure with no more precise code; this version of Ladle never reports it
 * @LADLE_ERROR_SESSION_INVALIDATED: the task's session was invalidated, or no longer exists, before
 *   the task could run
 * @LADLE_ERROR_TRUNCATED_BODY: the connection ended before the body announced by Content-Length or
 *   by a 206's Content-Range was complete, or a download ended with fewer bytes than that total;
 *   also when libsoup reports %G_IO_ERROR_PARTIAL_INPUT in the middle of a body (a connection
 *   closed inside a chunk of a chunked body, for one)
 * @LADLE_ERROR_TOO_MANY_REDIRECTS: the task met more redirects than
 *   [property@Ladle.Task:max-redirects] allows
 * @LADLE_ERROR_UNSUPPORTED_REDIRECT: a redirect pointed to a scheme other than http or https, or had
 *   an invalid Location, or a [signal@Ladle.Task::redirect] handler set a URI that is not http or
 *   https
 * @LADLE_ERROR_INVALID_RESUME_DATA: resume data could not be parsed, is inconsistent, or carries
 *   what resume data may not hold (a method other than GET, a credential or per-request header)
 * @LADLE_ERROR_RESUME_DATA_VERSION: resume data was written by a newer format version
 * @LADLE_ERROR_PARTIAL_FILE: a download's partial file is missing, is not a regular file, is
 *   shorter than its resume data records, or is used by another task; or, when a download ends,
 *   its size on disk is not the number of bytes written to it
 * @LADLE_ERROR_UNEXPECTED_RANGE: a 206 response does not answer the range the request asked for
 *   (no Range was asked, another start, past the end, no valid Content-Range, another total than
 *   the one recorded), for any task; or a resumed download received a status, or a 206 without
 *   the recorded validator, that does not continue the partial file
 * @LADLE_ERROR_NO_BODY_STREAM: a streamed upload had no [signal@Ladle.UploadTask::need-body-stream]
 *   handler that returned a stream, or the factory of a form's stream part returned no stream
 * @LADLE_ERROR_BODY_CHANGED: a request body (a file, a form's part, a streamed body with a
 *   Content-Length) did not have the length computed or declared before it was sent
 * @LADLE_ERROR_INVALID_FIELD: a multipart form field name, file name or content type contains
 *   characters that cannot be sent
 * @LADLE_ERROR_INVALID_RESPONSE: the server's response breaks the protocol: a Content-Length that
 *   is not a number, is negative, too large, or repeated with different values, or a
 *   Content-Length that disagrees with the Content-Range; [signal@Ladle.Task::response] was
 *   emitted, but nothing of its body is delivered
 * @LADLE_ERROR_INVALID_REQUEST: the request cannot be sent as it is: its method is not an
 *   RFC 9110 token, or a header name is not a token, or a header value holds CR or LF; nothing
 *   was sent. Also returned by
 *   [method@Ladle.Session.create_download_task_from_resume_data_with_request] for a request
 *   that is not a GET; and by [class@Ladle.HttpClient] for a path that does not resolve to an
 *   http or https URI, or parameters its request serializer cannot encode (Since: 0.2 for the
 *   client)
 * @LADLE_ERROR_BODY_TOO_LARGE: the body of an accumulating [class@Ladle.DataTask] grew past its
 *   [property@Ladle.DataTask:max-body-size]
 * @LADLE_ERROR_UNACCEPTABLE_STATUS: the response's status is not one the
 *   [class@Ladle.HttpClient] accepts (see
 *   [method@Ladle.HttpClient.set_acceptable_status_codes]); also
 *   [method@Ladle.Session.download_async] for a final status other than 2xx, when nothing was
 *   saved. Since: 0.2
 * @LADLE_ERROR_UNACCEPTABLE_CONTENT_TYPE: the response's media type is not one the
 *   [class@Ladle.HttpClient] accepts (see
 *   [property@Ladle.HttpClient:acceptable-content-types]). Since: 0.2
 * @LADLE_ERROR_INVALID_JSON: the response body of a [class@Ladle.HttpClient] request is not
 *   valid JSON. Since: 0.2
 * @LADLE_ERROR_RETRIED_STATUS: the server answered with an HTTP status that the task's
 *   [class@Ladle.RetryPolicy] retries (the @why of [signal@Ladle.Task::will-retry]; a task never
 *   completes with it). Since: 0.2
 * @LADLE_ERROR_NOT_IN_BACKGROUND: a background session cannot run the task, because it could not
 *   make it again after a restart of the application: a streamed upload, or a form with a
 *   stream part or too many bytes in memory. Since: 0.2
 * @LADLE_ERROR_SERVICE_UNAVAILABLE: a session whose configuration has
 *   [property@Ladle.SessionConfiguration:use-transfer-service] set cannot reach the transfer
 *   service (no session bus, the service is not installed, or it failed); its tasks cannot run.
 *   Since: 0.2
 * @LADLE_ERROR_SESSION_IN_USE: another process is attached to the same background session of
 *   the transfer service (same application id and identifier). Since: 0.2
 *
 * Error codes in the %LADLE_ERROR domain.
 */
typedef enum
{
  LADLE_ERROR_FAILED,
  LADLE_ERROR_SESSION_INVALIDATED,
  LADLE_ERROR_TRUNCATED_BODY,
  LADLE_ERROR_TOO_MANY_REDIRECTS,
  LADLE_ERROR_UNSUPPORTED_REDIRECT,
  LADLE_ERROR_INVALID_RESUME_DATA,
  LADLE_ERROR_RESUME_DATA_VERSION,
  LADLE_ERROR_PARTIAL_FILE,
  LADLE_ERROR_UNEXPECTED_RANGE,
  LADLE_ERROR_NO_BODY_STREAM,
  LADLE_ERROR_BODY_CHANGED,
  LADLE_ERROR_INVALID_FIELD,
  LADLE_ERROR_INVALID_RESPONSE,
  LADLE_ERROR_INVALID_REQUEST,
  LADLE_ERROR_BODY_TOO_LARGE,
  LADLE_ERROR_UNACCEPTABLE_STATUS,
  LADLE_ERROR_UNACCEPTABLE_CONTENT_TYPE,
  LADLE_ERROR_INVALID_JSON,
  LADLE_ERROR_RETRIED_STATUS,
  LADLE_ERROR_NOT_IN_BACKGROUND,
  LADLE_ERROR_SERVICE_UNAVAILABLE,
  LADLE_ERROR_SESSION_IN_USE,
} LadleError;

LADLE_AVAILABLE_IN_ALL
GQuark ladle_error_quark (void);

G_END_DECLS
