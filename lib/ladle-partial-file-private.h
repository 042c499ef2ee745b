/* ladle-partial-file-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ladle-splice-body-private.h"

G_BEGIN_DECLS

#define LADLE_TYPE_PARTIAL_FILE (_ladle_partial_file_get_type ())

G_DECLARE_FINAL_TYPE (LadlePartialFile, _ladle_partial_file, LADLE, PARTIAL_FILE, GObject)

typedef enum
{
  LADLE_PARTIAL_FILE_CREATE,  /* a new file with a fresh name in the directory */
  LADLE_PARTIAL_FILE_APPEND,  /* the existing file, which must have the expected size */
  LADLE_PARTIAL_FILE_REPLACE, /* the existing file, emptied */
} LadlePartialFileMode;

/* Called on the context that queued the operation, once it is done; @error is NULL on
 * success and belongs to the caller of the callback. */
typedef void (*LadlePartialFileCallback) (LadlePartialFile *file,
                                          const GError     *error,
                                          gpointer          user_data);

LadlePartialFile *_ladle_partial_file_new           (GFile                    *directory,
                                                     const char               *name);
GFile            *_ladle_partial_file_get_file      (LadlePartialFile         *self);
char             *_ladle_partial_file_dup_name      (LadlePartialFile         *self);
goffset           _ladle_partial_file_get_size      (LadlePartialFile         *self);
void              _ladle_partial_file_release       (LadlePartialFile         *self);
gboolean          _ladle_partial_file_check_now     (LadlePartialFile         *self,
                                                     goffset                   expected_size,
                                                     GError                  **error);

void              _ladle_partial_file_check         (LadlePartialFile         *self,
                                                     goffset                   expected_size,
                                                     LadlePartialFileCallback  callback,
                                                     gpointer                  user_data);
void              _ladle_partial_file_open          (LadlePartialFile         *self,
                                                     LadlePartialFileMode      mode,
                                                     goffset                   expected_size,
                                                     LadlePartialFileCallback  callback,
                                                     gpointer                  user_data);
void              _ladle_partial_file_write         (LadlePartialFile         *self,
                                                     const guint8             *data,
                                                     gsize                     length,
                                                     LadlePartialFileCallback  callback,
                                                     gpointer                  user_data);
void              _ladle_partial_file_splice        (LadlePartialFile         *self,
                                                     GSocket                  *socket,
                                                     gint64                    length,
                                                     GCancellable             *cancellable,
                                                     GCancellable             *stop,
                                                     LadleSpliceCount         *count,
                                                     LadlePartialFileCallback  callback,
                                                     gpointer                  user_data);
void              _ladle_partial_file_close         (LadlePartialFile         *self,
                                                     goffset                   expected_size,
                                                     LadlePartialFileCallback  callback,
                                                     gpointer                  user_data);
void              _ladle_partial_file_close_trimmed (LadlePartialFile         *self,
                                                     goffset                   size,
                                                     LadlePartialFileCallback  callback,
                                                     gpointer                  user_data);
void              _ladle_partial_file_delete        (LadlePartialFile         *self,
                                                     LadlePartialFileCallback  callback,
                                                     gpointer                  user_data);
void              _ladle_partial_file_move          (LadlePartialFile         *self,
                                                     GFile                    *destination,
                                                     gboolean                  create_parents,
                                                     gboolean                  replace,
                                                     LadlePartialFileCallback  callback,
                                                     gpointer                  user_data);

void              _ladle_partial_file_sweep         (GFile                    *directory,
                                                     guint64                   max_age);
void              _ladle_partial_file_sweep_unreferenced (GFile               *directory,
                                                          const char * const  *keep);

G_END_DECLS
