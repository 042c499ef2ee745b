/* ladle-error.h
 *
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
 * @LADLE_ERROR_FAILED: a failure with no more precise code
 * @LADLE_ERROR_SESSION_INVALIDATED: the task's session was invalidated before the task could run
 * @LADLE_ERROR_TRUNCATED_BODY: the connection ended before the body announced by Content-Length or
 *   Content-Range was complete
 * @LADLE_ERROR_TOO_MANY_REDIRECTS: the task met more redirects than the limit allows
 * @LADLE_ERROR_UNSUPPORTED_REDIRECT: a redirect pointed to a scheme other than http or https, or had
 *   an invalid Location
 * @LADLE_ERROR_INVALID_RESUME_DATA: resume data could not be parsed or is inconsistent
 * @LADLE_ERROR_RESUME_DATA_VERSION: resume data was written by a newer format version
 * @LADLE_ERROR_PARTIAL_FILE: the partial file named by resume data is missing or has the wrong size
 * @LADLE_ERROR_UNEXPECTED_RANGE: a resumed download received a status or Content-Range that does not
 *   continue the partial file
 * @LADLE_ERROR_NO_BODY_STREAM: a streamed upload had no [signal@Ladle.UploadTask::need-body-stream]
 *   handler that returned a stream
 * @LADLE_ERROR_BODY_CHANGED: a request body file changed size after its length was computed
 * @LADLE_ERROR_INVALID_FIELD: a multipart form field name, file name or content type contains
 *   characters that cannot be sent
 * @LADLE_ERROR_INVALID_RESPONSE: the server's response breaks the protocol: a Content-Length that
 *   is not a number, is negative, too large, or repeated with different values, or a
 *   Content-Length that disagrees with the Content-Range; nothing of its body is delivered
 * @LADLE_ERROR_INVALID_REQUEST: the request cannot be sent as it is: its method is not an
 *   RFC 9110 token, or a header name or value holds CR, LF or NUL; nothing was sent
 * @LADLE_ERROR_BODY_TOO_LARGE: the body of an accumulating [class@Ladle.DataTask] grew past its
 *   [property@Ladle.DataTask:max-body-size]
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
} LadleError;

LADLE_AVAILABLE_IN_ALL
GQuark ladle_error_quark (void);

G_END_DECLS
