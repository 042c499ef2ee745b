/* ladle-checked-input-stream-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LADLE_TYPE_CHECKED_INPUT_STREAM (_ladle_checked_input_stream_get_type ())

G_DECLARE_FINAL_TYPE (LadleCheckedInputStream, _ladle_checked_input_stream, LADLE, CHECKED_INPUT_STREAM, GFilterInputStream)

GInputStream *_ladle_checked_input_stream_new (GInputStream *base_stream,
                                               goffset       expected_length,
                                               const char   *description);

G_END_DECLS
