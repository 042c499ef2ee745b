/* ladle-multipart-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-multipart-form.h"

G_BEGIN_DECLS

/* A frozen form is a sequence of segments: for each part its header (which begins with the CRLF
 * that ends the previous part), then its content; last the closing delimiter. Memory segments
 * are the headers and the text and bytes contents; file and stream segments are opened when a
 * stream reaches them. */
typedef enum
{
  LADLE_MULTIPART_SEGMENT_MEMORY,
  LADLE_MULTIPART_SEGMENT_FILE,
  LADLE_MULTIPART_SEGMENT_STREAM,
} LadleMultipartSegmentKind;

void                       _ladle_multipart_form_freeze             (LadleMultipartForm  *self);
guint                      _ladle_multipart_form_get_n_segments     (LadleMultipartForm  *self);
LadleMultipartSegmentKind  _ladle_multipart_form_get_segment        (LadleMultipartForm  *self,
                                                                     guint                index,
                                                                     GBytes             **bytes,
                                                                     GFile              **file,
                                                                     goffset             *length);
char                      *_ladle_multipart_form_describe_segment   (LadleMultipartForm  *self,
                                                                     guint                index);
LadleMultipartForm        *_ladle_multipart_form_new_raw_file        (GFile              *file,
                                                                      goffset             length);
GInputStream              *_ladle_multipart_form_make_segment_stream (LadleMultipartForm  *self,
                                                                      guint                index,
                                                                      GError             **error);

/* Forms a background session's record may hold: their memory parts together stay under this. */
#define LADLE_MULTIPART_RECORD_MAX_MEMORY (256 * 1024)

GVariant                  *_ladle_multipart_form_to_variant          (LadleMultipartForm  *self);
LadleMultipartForm        *_ladle_multipart_form_new_from_variant    (GVariant            *variant,
                                                                      GError             **error);

G_END_DECLS
