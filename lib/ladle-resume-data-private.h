/* ladle-resume-data-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ladle-task-record-private.h"

G_BEGIN_DECLS

#define LADLE_RESUME_DATA_FORMAT  "org.gnome.Ladle.ResumeData"
#define LADLE_RESUME_DATA_VERSION 1

/* Resume data is made from a download's record (method, URI, storable headers, partial file,
 * bytes on disk, validators, expected total) and read back into a new record. */
GBytes          *_ladle_resume_data_serialize      (const LadleTaskRecord  *record);
LadleTaskRecord *_ladle_resume_data_parse          (GBytes                 *bytes,
                                                    GError                **error);

G_END_DECLS
