/* ladle-multipart-input-stream.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>

#include "ladle-multipart-form.h"
#include "ladle-version-macros.h"

G_BEGIN_DECLS

#define LADLE_TYPE_MULTIPART_INPUT_STREAM (ladle_multipart_input_stream_get_type ())

LADLE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (LadleMultipartInputStream, ladle_multipart_input_stream, LADLE, MULTIPART_INPUT_STREAM, GInputStream)

LADLE_AVAILABLE_IN_ALL
GInputStream       *ladle_multipart_input_stream_new      (LadleMultipartForm        *form);
LADLE_AVAILABLE_IN_ALL
LadleMultipartForm *ladle_multipart_input_stream_get_form (LadleMultipartInputStream *self);

G_END_DECLS
