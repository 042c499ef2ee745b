/* ladle-download-resume-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ladle-partial-file-private.h"
#include "ladle-task-record-private.h"

G_BEGIN_DECLS

/* How a resumed download goes on (ladle-download-resume.c). */
typedef struct
{
  LadlePartialFileMode mode;            /* append to the partial file, or start a new one */
  gint64               offset;          /* the bytes already there, for ::resumed */
  gint64               total;           /* the size of the whole, -1 unknown */
  gboolean             discard_body;    /* a 416: the partial file was complete already */
  gboolean             ranges_refused;  /* in and out: Accept-Ranges: none */
} LadleResumedBody;

gboolean _ladle_download_is_strong_etag          (const char         *etag);
gint64   _ladle_download_response_total          (SoupMessage        *message);
gboolean _ladle_download_record_validators       (LadleTaskRecord    *record,
                                                  SoupMessageHeaders *headers);
gboolean _ladle_download_check_resumed_response  (SoupMessage        *message,
                                                  LadleTaskRecord    *resuming,
                                                  LadleTaskRecord    *record,
                                                  LadleResumedBody   *resumed,
                                                  GError            **error);

G_END_DECLS
