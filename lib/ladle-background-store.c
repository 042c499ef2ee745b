/* ladle-background-store.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleBackgroundStore: what a background session keeps between runs of its application.
 *
 * The state is one GVariant `(uta{ta{sv}}a{ta{sv}})`: format version, next task identifier, the
 * record of every unfinished task and every completion not yet delivered, by task identifier.
 * It is one value so that every change lands at once, whatever the backend: the GSettings key
 * `state` of the relocatable schema org.gnome.Ladle.BackgroundSession (dconf for GNOME
 * applications), or, when that schema is not installed, a key file in the state directory
 * written atomically and durably.
 *
 * The session changes the in-memory copy on the main context and commits at state changes;
 * a commit takes a snapshot, sets it (GSettings, in order, from the main context: for dconf a
 * message on the bus) and makes it durable on a worker thread (g_settings_sync(); the key file
 * is written there with fsync and rename), then reports on the main context. A newer snapshot makes older pending ones needless: the
 * worker skips them, and their callers are told when the newer one is written.
 *
 * Everything read back is checked: a corrupt or foreign record or completion is dropped with a
 * warning, never trusted and never a crash.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include "ladle-background-store-private.h"
#include "ladle-error.h"
#include "ladle-i18n-private.h"

#define STORE_FORMAT_VERSION 1
#define STATE_TYPE           "(uta{ta{sv}}a{ta{sv}})"
#define STATE_KEY            "state"
#define KEYFILE_GROUP        LADLE_BACKGROUND_SCHEMA_ID
#define MAX_ERROR_TEXT       4096

struct _LadleBackgroundStore
{
  GObject     parent_instance;

  GSettings  *settings;        /* NULL: the key file */
  char       *keyfile_path;
  char       *location;        /* for messages: a settings path or a file name */

  guint64     next_identifier;
  GHashTable *records;         /* guint64 * -> GVariant a{sv} */
  GHashTable *completions;     /* guint64 * -> GVariant a{sv} */

  /* Commits: snapshots are numbered; the worker writes a snapshot only when no newer one has
   * been written. Shared with worker threads under write_lock. */
  GMutex      write_lock;
  guint64     generation;      /* main context only */
  guint64     written_generation;
};

G_DEFINE_FINAL_TYPE (LadleBackgroundStore, _ladle_background_store, G_TYPE_OBJECT)

/* The transfer service keeps its sessions in key files of its own state directory, whatever
 * schemas are installed. */
static gboolean prefer_keyfile;

void
_ladle_background_store_prefer_keyfile (void)
{
  prefer_keyfile = TRUE;
}

void
_ladle_stored_completion_free (LadleStoredCompletion *completion)
{
  if (completion == NULL)
    return;

  _ladle_task_record_free (completion->record);
  g_clear_error (&completion->error);
  g_free (completion->location);
  g_free (completion);
}

static GHashTable *
new_table (void)
{
  return g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) g_variant_unref);
}

static void
table_insert (GHashTable *table,
              guint64     identifier,
              GVariant   *value)
{
  guint64 *key = g_new (guint64, 1);

  *key = identifier;
  g_hash_table_replace (table, key, g_variant_take_ref (value));  /* floating or a full reference */
}

/*
 * Escaping names into one path element or file name: ASCII letters, digits, '.' and '-' stay,
 * every other byte becomes _XX (lower-case hex). Injective, so two sessions never share a store.
 */
char *
_ladle_background_store_escape_name (const char *name)
{
  GString *escaped = g_string_new (NULL);

  for (const guchar *p = (const guchar *) name; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '.' || *p == '-')
        g_string_append_c (escaped, *p);
      else
        g_string_append_printf (escaped, "_%02x", *p);
    }

  /* "." and ".." are not names dconf or a file system should see. */
  if (strcmp (escaped->str, ".") == 0 || strcmp (escaped->str, "..") == 0 || escaped->len == 0)
    g_string_prepend (escaped, "_");

  return g_string_free (escaped, FALSE);
}

/* Checking what was read */

static LadleTaskRecord *
parse_record (guint64    identifier,
              GVariant  *value,
              GError   **error)
{
  g_autoptr(LadleTaskRecord) record = _ladle_task_record_deserialize (value, error);

  if (record == NULL)
    return NULL;

  if (record->identifier != identifier)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
                   _("The record is filed under identifier %llu but is for task %llu"),
                   (unsigned long long) identifier, (unsigned long long) record->identifier);
      return NULL;
    }

  return g_steal_pointer (&record);
}

static gboolean
short_text_is_valid (const char *text)
{
  return text != NULL && strlen (text) <= MAX_ERROR_TEXT && g_utf8_validate (text, -1, NULL);
}

static LadleStoredCompletion *
parse_completion (guint64    identifier,
                  GVariant  *value,
                  GError   **error);

/* A completion as the store keeps it (and as the transfer service sends it): record, error,
 * location. */
LadleStoredCompletion *
_ladle_stored_completion_parse (guint64    identifier,
                                GVariant  *value,
                                GError   **error)
{
  return parse_completion (identifier, value, error);
}

static LadleStoredCompletion *
parse_completion (guint64    identifier,
                  GVariant  *value,
                  GError   **error)
{
  g_autoptr(LadleStoredCompletion) completion = g_new0 (LadleStoredCompletion, 1);
  g_autoptr(GVariantDict) dict = g_variant_dict_new (value);
  g_autoptr(GVariant) record = NULL;
  const char *domain = NULL;
  const char *message = NULL;
  const char *location = NULL;
  gint32 code = 0;

  record = g_variant_dict_lookup_value (dict, "record", G_VARIANT_TYPE_VARDICT);
  if (record == NULL)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
                   _("The completion of task %llu has no task record"), (unsigned long long) identifier);
      return NULL;
    }

  completion->record = parse_record (identifier, record, error);
  if (completion->record == NULL)
    return NULL;

  if (g_variant_dict_lookup (dict, "error", "(&si&s)", &domain, &code, &message))
    {
      if (!short_text_is_valid (domain) || *domain == '\0' || !short_text_is_valid (message))
        {
          g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
                       _("The completion of task %llu has an invalid error"), (unsigned long long) identifier);
          return NULL;
        }
      completion->error = g_error_new_literal (g_quark_from_string (domain), code, message);
    }
  else if (g_variant_dict_contains (dict, "error"))
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
                   _("The completion of task %llu has an invalid error"), (unsigned long long) identifier);
      return NULL;
    }

  if (g_variant_dict_lookup (dict, "location", "&s", &location))
    {
      if (!_ladle_text_is_valid (location) || !g_uri_is_valid (location, G_URI_FLAGS_NONE, NULL))
        {
          g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
                       _("The completion of task %llu has an invalid location"), (unsigned long long) identifier);
          return NULL;
        }
      completion->location = g_strdup (location);
    }
  else if (g_variant_dict_contains (dict, "location"))
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_RESUME_DATA,
                   _("The completion of task %llu has an invalid location"), (unsigned long long) identifier);
      return NULL;
    }

  return g_steal_pointer (&completion);
}

/*
 * Reads @state into @records and @completions (guint64 * -> GVariant), keeping only entries that
 * parse, and warning about the others. Returns FALSE (and fills nothing) when @state is not a
 * store of this format at all.
 */
gboolean
_ladle_background_store_parse_state (GVariant   *state,
                                     guint64    *next_identifier,
                                     GHashTable *records,
                                     GHashTable *completions)
{
  g_autoptr(GVariant) tasks = NULL;
  g_autoptr(GVariant) done = NULL;
  GVariantIter iter;
  GVariant *value;
  guint64 identifier;
  guint32 version;
  guint64 next;

  if (state == NULL || !g_variant_is_of_type (state, G_VARIANT_TYPE (STATE_TYPE)))
    return FALSE;

  g_variant_get (state, "(ut@a{ta{sv}}@a{ta{sv}})", &version, &next, &tasks, &done);
  if (version != STORE_FORMAT_VERSION)
    {
      g_warning ("Ignoring a background session store of format version %u (this Ladle reads version %u)",
                 version, STORE_FORMAT_VERSION);
      return FALSE;
    }

  if (next == 0)
    next = 1;

  g_variant_iter_init (&iter, tasks);
  while (g_variant_iter_next (&iter, "{t@a{sv}}", &identifier, &value))
    {
      g_autoptr(GVariant) owned = value;
      g_autoptr(LadleTaskRecord) record = NULL;
      g_autoptr(GError) error = NULL;

      record = parse_record (identifier, value, &error);
      if (record == NULL)
        {
          g_warning ("Dropping the stored record of task %" G_GUINT64_FORMAT ": %s", identifier, error->message);
          continue;
        }
      table_insert (records, identifier, g_steal_pointer (&owned));
      if (identifier >= next)
        next = identifier + 1;
    }

  g_variant_iter_init (&iter, done);
  while (g_variant_iter_next (&iter, "{t@a{sv}}", &identifier, &value))
    {
      g_autoptr(GVariant) owned = value;
      g_autoptr(LadleStoredCompletion) completion = NULL;
      g_autoptr(GError) error = NULL;

      completion = parse_completion (identifier, value, &error);
      if (completion == NULL)
        {
          g_warning ("Dropping the stored completion of task %" G_GUINT64_FORMAT ": %s", identifier, error->message);
          continue;
        }
      /* A task is either unfinished or completed: a completion wins over a stale record. */
      g_hash_table_remove (records, &identifier);
      table_insert (completions, identifier, g_steal_pointer (&owned));
      if (identifier >= next)
        next = identifier + 1;
    }

  *next_identifier = next;
  return TRUE;
}

/* Loading */

/* The key-file store's text: GLib's parser asserts on strings that are not UTF-8, which a file
 * may hold, so they are refused first. */
GVariant *
_ladle_background_store_parse_text (const char  *text,
                                    GError     **error)
{
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error_literal (error, G_VARIANT_PARSE_ERROR, G_VARIANT_PARSE_ERROR_FAILED,
                           _("The store is not valid UTF-8"));
      return NULL;
    }

  return g_variant_parse (G_VARIANT_TYPE (STATE_TYPE), text, NULL, NULL, error);
}

static GVariant *
read_keyfile_state (const char *path)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GVariant) state = NULL;

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Cannot read the background session store %s: %s", path, error->message);
      return NULL;
    }

  text = g_key_file_get_value (keyfile, KEYFILE_GROUP, STATE_KEY, &error);
  if (text != NULL)
    state = _ladle_background_store_parse_text (text, &error);
  if (state == NULL)
    {
      g_warning ("Ignoring the background session store %s: %s", path, error->message);
      return NULL;
    }

  return g_steal_pointer (&state);
}

static void
load (LadleBackgroundStore *self)
{
  g_autoptr(GVariant) state = NULL;

  if (self->settings != NULL)
    state = g_settings_get_value (self->settings, STATE_KEY);
  else
    state = read_keyfile_state (self->keyfile_path);

  if (state != NULL &&
      !_ladle_background_store_parse_state (state, &self->next_identifier, self->records, self->completions))
    g_warning ("Ignoring the background session store at %s: it is not a store this Ladle can read",
               self->location);
}

static void
_ladle_background_store_finalize (GObject *object)
{
  LadleBackgroundStore *self = (LadleBackgroundStore *) object;

  g_clear_object (&self->settings);
  g_free (self->keyfile_path);
  g_free (self->location);
  g_hash_table_unref (self->records);
  g_hash_table_unref (self->completions);
  g_mutex_clear (&self->write_lock);

  G_OBJECT_CLASS (_ladle_background_store_parent_class)->finalize (object);
}

static void
_ladle_background_store_class_init (LadleBackgroundStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = _ladle_background_store_finalize;
}

static void
_ladle_background_store_init (LadleBackgroundStore *self)
{
  self->next_identifier = 1;
  self->records = new_table ();
  self->completions = new_table ();
  g_mutex_init (&self->write_lock);
}

/*
 * Opens the store of background session @identifier of @application_id, and reads it (small,
 * and ladle_session_new() must restore before it returns). The GSettings schema is looked up,
 * never assumed: without it, the store is a key file under @state_directory.
 */
LadleBackgroundStore *
_ladle_background_store_new (const char *application_id,
                             const char *identifier,
                             const char *state_directory)
{
  g_autoptr(LadleBackgroundStore) self = g_object_new (LADLE_TYPE_BACKGROUND_STORE, NULL);
  g_autofree char *app = _ladle_background_store_escape_name (application_id);
  g_autofree char *name = _ladle_background_store_escape_name (identifier);
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  g_return_val_if_fail (application_id != NULL, NULL);
  g_return_val_if_fail (identifier != NULL, NULL);
  g_return_val_if_fail (state_directory != NULL, NULL);

  if (source != NULL && !prefer_keyfile)
    schema = g_settings_schema_source_lookup (source, LADLE_BACKGROUND_SCHEMA_ID, TRUE);

  if (schema != NULL && g_settings_schema_has_key (schema, STATE_KEY))
    {
      g_autofree char *path = g_strdup_printf ("/org/gnome/ladle/sessions/%s/%s/", app, name);

      self->settings = g_settings_new_full (schema, NULL, path);
      self->location = g_steal_pointer (&path);
    }
  else
    {
      g_autofree char *file_name = g_strconcat (name, ".store", NULL);

      self->keyfile_path = g_build_filename (state_directory, "background", app, file_name, NULL);
      self->location = g_strdup (self->keyfile_path);
      if (!prefer_keyfile)
        g_warning ("The GSettings schema %s is not installed: background session “%s” keeps its state in %s",
                   LADLE_BACKGROUND_SCHEMA_ID, identifier, self->keyfile_path);
    }

  load (self);

  return g_steal_pointer (&self);
}

gboolean
_ladle_background_store_uses_settings (LadleBackgroundStore *self)
{
  return self->settings != NULL;
}

char *
_ladle_background_store_dup_location (LadleBackgroundStore *self)
{
  return g_strdup (self->location);
}

/* The in-memory state (main context) */

guint64
_ladle_background_store_take_identifier (LadleBackgroundStore *self)
{
  return self->next_identifier++;
}

guint64
_ladle_background_store_peek_identifier (LadleBackgroundStore *self)
{
  return self->next_identifier;
}

/* The next task gets @identifier (the transfer service makes the tasks its clients numbered):
 * FALSE when that would give out an identifier again. */
gboolean
_ladle_background_store_reserve_identifier (LadleBackgroundStore *self,
                                            guint64               identifier)
{
  if (identifier < self->next_identifier)
    return FALSE;

  self->next_identifier = identifier;
  return TRUE;
}

static int
compare_identifiers (gconstpointer a,
                     gconstpointer b)
{
  guint64 x = **(const guint64 * const *) a;
  guint64 y = **(const guint64 * const *) b;

  return x < y ? -1 : x > y;
}

static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_identifiers);

  return keys;
}

/* Returns: (element-type LadleTaskRecord): the unfinished tasks' records, by identifier. */
GPtrArray *
_ladle_background_store_dup_records (LadleBackgroundStore *self)
{
  g_autoptr(GPtrArray) keys = sorted_keys (self->records);
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) _ladle_task_record_free);

  for (guint i = 0; i < keys->len; i++)
    {
      GVariant *value = g_hash_table_lookup (self->records, keys->pdata[i]);
      LadleTaskRecord *record = _ladle_task_record_deserialize (value, NULL);

      /* Checked when loaded or put. */
      g_assert (record != NULL);
      g_ptr_array_add (records, record);
    }

  return records;
}

/* Returns: (element-type LadleStoredCompletion): the undelivered completions, by identifier. */
GPtrArray *
_ladle_background_store_dup_completions (LadleBackgroundStore *self)
{
  g_autoptr(GPtrArray) keys = sorted_keys (self->completions);
  GPtrArray *completions = g_ptr_array_new_with_free_func ((GDestroyNotify) _ladle_stored_completion_free);

  for (guint i = 0; i < keys->len; i++)
    {
      guint64 identifier = *(guint64 *) keys->pdata[i];
      GVariant *value = g_hash_table_lookup (self->completions, keys->pdata[i]);
      LadleStoredCompletion *completion = parse_completion (identifier, value, NULL);

      g_assert (completion != NULL);
      g_ptr_array_add (completions, completion);
    }

  return completions;
}

/* The completion of @identifier as stored (a{sv}), or NULL. */
GVariant *
_ladle_background_store_dup_completion (LadleBackgroundStore *self,
                                        guint64               identifier)
{
  GVariant *value = g_hash_table_lookup (self->completions, &identifier);

  return value != NULL ? g_variant_ref (value) : NULL;
}

gboolean
_ladle_background_store_has_record (LadleBackgroundStore *self,
                                    guint64               identifier)
{
  return g_hash_table_contains (self->records, &identifier);
}

gboolean
_ladle_background_store_has_completion (LadleBackgroundStore *self,
                                        guint64               identifier)
{
  return g_hash_table_contains (self->completions, &identifier);
}

void
_ladle_background_store_put_record (LadleBackgroundStore  *self,
                                    const LadleTaskRecord *record)
{
  g_return_if_fail (record->identifier != 0);

  table_insert (self->records, record->identifier, _ladle_task_record_serialize (record));
  if (record->identifier >= self->next_identifier)
    self->next_identifier = record->identifier + 1;
}

void
_ladle_background_store_remove_record (LadleBackgroundStore *self,
                                       guint64               identifier)
{
  g_hash_table_remove (self->records, &identifier);
}

/* A floating a{sv}: @record's task completed with @error (NULL: success), at @location. */
GVariant *
_ladle_stored_completion_serialize (const LadleTaskRecord *record,
                                    const GError          *error,
                                    const char            *location)
{
  g_autoptr(GVariant) serialized = NULL;
  GVariantBuilder builder;

  serialized = _ladle_task_record_serialize (record);
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "record", serialized);
  if (error != NULL)
    {
      g_autofree char *message = g_utf8_make_valid (error->message, -1);

      if (strlen (message) > MAX_ERROR_TEXT)
        {
          char *end = message + MAX_ERROR_TEXT;

          while (end > message && (*end & 0xC0) == 0x80)
            end--;
          *end = '\0';
        }
      g_variant_builder_add (&builder, "{sv}", "error",
                             g_variant_new ("(sis)", g_quark_to_string (error->domain), error->code, message));
    }
  if (location != NULL)
    g_variant_builder_add (&builder, "{sv}", "location", g_variant_new_string (location));

  return g_variant_builder_end (&builder);
}

/* Records that @record's task completed (with @error, and @location for a download) in place of
 * its unfinished record. */
void
_ladle_background_store_put_completion (LadleBackgroundStore  *self,
                                        const LadleTaskRecord *record,
                                        const GError          *error,
                                        const char            *location)
{
  g_return_if_fail (record->identifier != 0);

  g_hash_table_remove (self->records, &record->identifier);
  table_insert (self->completions, record->identifier, _ladle_stored_completion_serialize (record, error, location));
  if (record->identifier >= self->next_identifier)
    self->next_identifier = record->identifier + 1;
}

/* The location a completion records, or NULL. */
char *
_ladle_background_store_dup_completion_location (LadleBackgroundStore *self,
                                                 guint64               identifier)
{
  GVariant *value = g_hash_table_lookup (self->completions, &identifier);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (value);
  char *location = NULL;

  if (value == NULL)
    return NULL;

  g_variant_dict_lookup (&dict, "location", "s", &location);
  return location;
}

void
_ladle_background_store_remove_completion (LadleBackgroundStore *self,
                                           guint64               identifier)
{
  g_hash_table_remove (self->completions, &identifier);
}

void
_ladle_background_store_clear (LadleBackgroundStore *self)
{
  g_hash_table_remove_all (self->records);
  g_hash_table_remove_all (self->completions);
}

/* Commits */

static GVariant *
table_to_variant (GHashTable *table)
{
  g_autoptr(GPtrArray) keys = sorted_keys (table);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ta{sv}}"));
  for (guint i = 0; i < keys->len; i++)
    g_variant_builder_add (&builder, "{t@a{sv}}", *(guint64 *) keys->pdata[i],
                           g_hash_table_lookup (table, keys->pdata[i]));

  return g_variant_builder_end (&builder);
}

typedef struct
{
  GVariant *state;
  guint64   generation;
} Snapshot;

static void
snapshot_free (Snapshot *snapshot)
{
  g_variant_unref (snapshot->state);
  g_free (snapshot);
}

static Snapshot *
take_snapshot (LadleBackgroundStore *self)
{
  Snapshot *snapshot = g_new0 (Snapshot, 1);

  snapshot->state = g_variant_ref_sink (g_variant_new ("(ut@a{ta{sv}}@a{ta{sv}})",
                                                       STORE_FORMAT_VERSION,
                                                       self->next_identifier,
                                                       table_to_variant (self->records),
                                                       table_to_variant (self->completions)));
  snapshot->generation = ++self->generation;

  return snapshot;
}

/*
 * GSettings is written from the main context, in order (for dconf that is a message on the bus,
 * not a disk write); only the wait for it to be durable goes to the worker.
 */
static gboolean
set_settings (LadleBackgroundStore  *self,
              Snapshot              *snapshot,
              GError               **error)
{
  if (self->settings == NULL || g_settings_set_value (self->settings, STATE_KEY, snapshot->state))
    return TRUE;

  /* The key is not writable: locked down by the administrator, say. */
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY,
               _("The settings backend refused the background session store at %s"), self->location);
  return FALSE;
}

static gboolean
write_keyfile (const char  *path,
               GVariant    *state,
               GError     **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *directory = g_path_get_dirname (path);
  g_autofree char *text = g_variant_print (state, TRUE);
  g_autofree char *data = NULL;
  gsize length;

  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create the directory %s: %s"), directory, g_strerror (saved_errno));
      return FALSE;
    }

  g_key_file_set_comment (keyfile, NULL, NULL,
                          " The state of a Ladle background session. Written by Ladle; do not edit.", NULL);
  g_key_file_set_value (keyfile, KEYFILE_GROUP, STATE_KEY, text);
  data = g_key_file_to_data (keyfile, &length, NULL);

  return g_file_set_contents_full (path, data, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

/* Worker thread: writes @snapshot unless a newer one is already written. */
static gboolean
write_snapshot (LadleBackgroundStore  *self,
                Snapshot              *snapshot,
                GError               **error)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->write_lock);

  if (snapshot->generation <= self->written_generation)
    return TRUE;

  if (self->settings != NULL)
    {
      /* Set on the main context already (commit_async): make it durable. dconf's engine waits
       * here, on this thread, for its writes in flight. */
      g_settings_sync ();
    }
  else if (!write_keyfile (self->keyfile_path, snapshot->state, error))
    {
      return FALSE;
    }

  self->written_generation = snapshot->generation;
  return TRUE;
}

static void
commit_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (write_snapshot (source_object, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/*
 * Makes what the store holds now durable, on a worker thread; @callback runs on the main context
 * once it is (or once a newer commit that includes it is). Writes are never cancelled halfway:
 * @cancellable only stops the callback from reporting success.
 */
void
_ladle_background_store_commit_async (LadleBackgroundStore *self,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Snapshot *snapshot = take_snapshot (self);
  GError *error = NULL;

  g_task_set_source_tag (task, _ladle_background_store_commit_async);
  g_task_set_task_data (task, snapshot, (GDestroyNotify) snapshot_free);
  if (!set_settings (self, snapshot, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_run_in_thread (task, commit_thread);
}

gboolean
_ladle_background_store_commit_finish (LadleBackgroundStore  *self,
                                       GAsyncResult          *result,
                                       GError               **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _ladle_background_store_commit_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* For the last write of a session that is going away (finalize, invalidation): blocks. */
gboolean
_ladle_background_store_commit_sync (LadleBackgroundStore  *self,
                                     GError               **error)
{
  Snapshot *snapshot = take_snapshot (self);
  gboolean written = set_settings (self, snapshot, error) && write_snapshot (self, snapshot, error);

  snapshot_free (snapshot);
  return written;
}
