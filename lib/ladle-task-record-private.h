/* ladle-task-record-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "ladle-download-task.h"
#include "ladle-enums.h"
#include "ladle-upload-task.h"

G_BEGIN_DECLS

typedef enum
{
  LADLE_TASK_KIND_DATA,
  LADLE_TASK_KIND_UPLOAD,
  LADLE_TASK_KIND_DOWNLOAD,
} LadleTaskKind;

/*
 * Where the transfer engine is (ladle-transfer.c). Legal changes go through
 * _ladle_transfer_set_phase(), which checks and logs them.
 */
typedef enum
{
  LADLE_TASK_PHASE_IDLE,       /* never resumed */
  LADLE_TASK_PHASE_ADMITTING,  /* waiting for the session to start it (network, metered) */
  LADLE_TASK_PHASE_PREPARING,  /* the task kind prepares the first send (e.g. checks a partial file) */
  LADLE_TASK_PHASE_SENDING,    /* a request (the original or a redirect hop) is in flight */
  LADLE_TASK_PHASE_RESPONSE,   /* the final response is in; ::response was not emitted yet */
  LADLE_TASK_PHASE_BODY,       /* the body is being received */
  LADLE_TASK_PHASE_FINISHING,  /* the body is complete; the task kind delivers it */
  LADLE_TASK_PHASE_DONE,       /* ::completed was emitted, or is being emitted */
} LadleTaskPhase;

/*
 * The lasting state of a task: everything needed to describe it, or to make it again in another
 * process (resume data, the background store). Live objects (messages, streams, the session)
 * are not in it. Strings are owned; unknown numbers are -1.
 */
typedef struct
{
  LadleTaskKind          kind;
  guint64                identifier;
  char                  *description;
  LadleTaskState         state;
  LadleTaskPhase         phase;

  /* The request, as it was last sent (after redirects): only headers that may be stored (no
   * credentials, no hop-by-hop headers, see _ladle_header_is_storable()). */
  char                  *method;
  char                  *uri;
  GPtrArray             *headers;         /* name, value, name, value, ... */
  guint                  n_redirects;

  /* Uploads: where the body comes from. */
  LadleUploadBodyKind    body_kind;
  char                  *body_file;       /* a file upload's file, as a URI */
  GVariant              *body_form;       /* a form upload's form, for a background store
                                           * (_ladle_multipart_form_to_variant), or NULL */

  /* Downloads */
  char                  *destination;     /* a URI, NULL when none */
  LadleDestinationFlags  destination_flags;
  char                  *partial_name;    /* a base name in the session's partial directory */
  char                  *etag;            /* validators of the response being stored */
  char                  *last_modified;
  gint64                 bytes_on_disk;   /* bytes of the partial file written (downloads) */
  gint64                 expected_total;  /* size of the whole resource, -1 unknown */

  /* Byte counts as the task reports them */
  gint64                 bytes_received;
  gint64                 bytes_expected_to_receive;
  gint64                 bytes_sent;
  gint64                 bytes_expected_to_send;

  /* Background sessions: how many times the task was started, across runs of the app, and the
   * status of its last response (0 before one), for a completion delivered after a restart. */
  guint                  attempts;
  guint                  status;
} LadleTaskRecord;

LadleTaskRecord *_ladle_task_record_new            (LadleTaskKind          kind);
void             _ladle_task_record_free           (LadleTaskRecord       *record);
void             _ladle_task_record_set_request    (LadleTaskRecord       *record,
                                                    SoupMessage           *message,
                                                    const char * const    *sensitive);
GVariant        *_ladle_task_record_serialize      (const LadleTaskRecord *record);
LadleTaskRecord *_ladle_task_record_deserialize    (GVariant              *variant,
                                                    GError               **error);
const char      *_ladle_task_phase_to_string       (LadleTaskPhase         phase);
gboolean         _ladle_text_is_valid              (const char            *text);
gboolean         _ladle_token_is_valid             (const char            *text);
gboolean         _ladle_partial_name_is_valid      (const char            *name);
gboolean         _ladle_http_uri_text_is_valid     (const char            *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleTaskRecord, _ladle_task_record_free)

G_END_DECLS
