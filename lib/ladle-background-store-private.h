/* ladle-background-store-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ladle-task-record-private.h"

G_BEGIN_DECLS

#define LADLE_BACKGROUND_SCHEMA_ID "org.gnome.Ladle.BackgroundSession"

#define LADLE_TYPE_BACKGROUND_STORE (_ladle_background_store_get_type ())
G_DECLARE_FINAL_TYPE (LadleBackgroundStore, _ladle_background_store, LADLE, BACKGROUND_STORE, GObject)

/* A completion recorded but not yet delivered to the application. */
typedef struct
{
  LadleTaskRecord *record;     /* the task as it completed */
  GError          *error;      /* NULL for success */
  char            *location;   /* a download's final location (a URI), or NULL */
} LadleStoredCompletion;

void                   _ladle_stored_completion_free              (LadleStoredCompletion *completion);
GVariant              *_ladle_stored_completion_serialize         (const LadleTaskRecord *record,
                                                                   const GError          *error,
                                                                   const char            *location);
LadleStoredCompletion *_ladle_stored_completion_parse             (guint64                identifier,
                                                                   GVariant              *value,
                                                                   GError               **error);
void                   _ladle_background_store_prefer_keyfile     (void);

LadleBackgroundStore  *_ladle_background_store_new                (const char            *application_id,
                                                                   const char            *identifier,
                                                                   const char            *state_directory);
gboolean               _ladle_background_store_uses_settings      (LadleBackgroundStore  *self);
char                  *_ladle_background_store_dup_location       (LadleBackgroundStore  *self);
char                  *_ladle_background_store_escape_name        (const char            *name);

guint64                _ladle_background_store_take_identifier    (LadleBackgroundStore  *self);
guint64                _ladle_background_store_peek_identifier    (LadleBackgroundStore  *self);
gboolean               _ladle_background_store_reserve_identifier (LadleBackgroundStore  *self,
                                                                   guint64                identifier);
GPtrArray             *_ladle_background_store_dup_records        (LadleBackgroundStore  *self);
GPtrArray             *_ladle_background_store_dup_completions    (LadleBackgroundStore  *self);
GVariant              *_ladle_background_store_dup_completion     (LadleBackgroundStore  *self,
                                                                   guint64                identifier);
gboolean               _ladle_background_store_has_record         (LadleBackgroundStore  *self,
                                                                   guint64                identifier);
gboolean               _ladle_background_store_has_completion     (LadleBackgroundStore  *self,
                                                                   guint64                identifier);
void                   _ladle_background_store_put_record         (LadleBackgroundStore  *self,
                                                                   const LadleTaskRecord *record);
void                   _ladle_background_store_remove_record      (LadleBackgroundStore  *self,
                                                                   guint64                identifier);
void                   _ladle_background_store_put_completion     (LadleBackgroundStore  *self,
                                                                   const LadleTaskRecord *record,
                                                                   const GError          *error,
                                                                   const char            *location);
char                  *_ladle_background_store_dup_completion_location (LadleBackgroundStore *self,
                                                                        guint64               identifier);
void                   _ladle_background_store_remove_completion  (LadleBackgroundStore  *self,
                                                                   guint64                identifier);
void                   _ladle_background_store_clear              (LadleBackgroundStore  *self);

void                   _ladle_background_store_commit_async       (LadleBackgroundStore  *self,
                                                                   GCancellable          *cancellable,
                                                                   GAsyncReadyCallback    callback,
                                                                   gpointer               user_data);
gboolean               _ladle_background_store_commit_finish      (LadleBackgroundStore  *self,
                                                                   GAsyncResult          *result,
                                                                   GError               **error);
gboolean               _ladle_background_store_commit_sync        (LadleBackgroundStore  *self,
                                                                   GError               **error);

/* For the fuzz target and the tests: reads a store's value as the loader does. */
GVariant              *_ladle_background_store_parse_text         (const char            *text,
                                                                   GError               **error);
gboolean               _ladle_background_store_parse_state        (GVariant              *state,
                                                                   guint64               *next_identifier,
                                                                   GHashTable            *records,
                                                                   GHashTable            *completions);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleStoredCompletion, _ladle_stored_completion_free)

G_END_DECLS
