/* ladle-resume-data-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LADLE_RESUME_DATA_FORMAT  "org.gnome.Ladle.ResumeData"
#define LADLE_RESUME_DATA_VERSION 1

typedef struct
{
  char      *url;
  char      *method;
  GPtrArray *headers;          /* name, value, name, value, ... */
  char      *partial_name;     /* a base name inside the session's partial directory */
  guint64    bytes_received;
  char      *etag;
  char      *last_modified;
  gint64     expected_total;   /* -1 when unknown */
} LadleResumeData;

LadleResumeData *_ladle_resume_data_new            (void);
void             _ladle_resume_data_free           (LadleResumeData  *data);
GBytes          *_ladle_resume_data_serialize      (LadleResumeData  *data);
LadleResumeData *_ladle_resume_data_parse          (GBytes           *bytes,
                                                    GError          **error);
gboolean         _ladle_resume_data_name_is_valid  (const char       *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleResumeData, _ladle_resume_data_free)

G_END_DECLS
