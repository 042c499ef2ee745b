/* test-background-store.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The background session store without a session: records and completions survive a new store
 * object (what a relaunched application makes), bad entries are dropped with a warning, commits
 * land in order. Run three ways by meson: GSettings with the memory backend, GSettings with the
 * keyfile backend (a real file under XDG_CONFIG_HOME), and with the schema missing (--no-schema:
 * the store's own key file in the state directory).
 */

#include <glib/gstdio.h>

#include "ladle-background-store-private.h"
#include "ladle-error.h"

static gboolean no_schema;
static char *state_directory;
static guint store_counter;
static char *run_id;  /* the keyfile backend keeps what earlier runs wrote */

/* Ladle logs structured messages, which g_test_expect_message() does not see: expected warnings
 * are matched here, in order; any other message goes to GLib's writer (fatal for warnings). */
static GQueue expected_warnings = G_QUEUE_INIT;

static void
expect_warning (const char *pattern)
{
  g_queue_push_tail (&expected_warnings, (gpointer) pattern);
}

static void
assert_expected_warnings (void)
{
  if (!g_queue_is_empty (&expected_warnings))
    g_error ("Expected warning not logged: %s", (const char *) g_queue_peek_head (&expected_warnings));
}

static GLogWriterOutput
expecting_writer (GLogLevelFlags   log_level,
                  const GLogField *fields,
                  gsize            n_fields,
                  gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }

  if ((log_level & G_LOG_LEVEL_WARNING) && g_strcmp0 (domain, "Ladle") == 0 && message != NULL &&
      !g_queue_is_empty (&expected_warnings) &&
      g_pattern_match_simple (g_queue_peek_head (&expected_warnings), message))
    {
      g_queue_pop_head (&expected_warnings);
      return G_LOG_WRITER_HANDLED;
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static char *
unique_identifier (void)
{
  return g_strdup_printf ("session/%u with spaces %s", ++store_counter, run_id);
}

static LadleBackgroundStore *
open_store (const char *identifier)
{
  LadleBackgroundStore *store;

  if (no_schema)
    expect_warning ("*schema org.gnome.Ladle.BackgroundSession is not installed*");
  store = _ladle_background_store_new ("org.example.Photos", identifier, state_directory);
  if (no_schema)
    assert_expected_warnings ();
  return store;
}

static void
commit_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  guint *pending = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (_ladle_background_store_commit_finish (LADLE_BACKGROUND_STORE (source), result, &error));
  g_assert_no_error (error);
  (*pending)--;
}

static void
commit_and_wait (LadleBackgroundStore *store)
{
  guint pending = 1;

  _ladle_background_store_commit_async (store, NULL, commit_done, &pending);
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);
}

static LadleTaskRecord *
make_record (guint64     identifier,
             const char *description)
{
  LadleTaskRecord *record = _ladle_task_record_new (LADLE_TASK_KIND_DOWNLOAD);

  record->identifier = identifier;
  record->description = g_strdup (description);
  record->state = LADLE_TASK_STATE_RUNNING;
  record->method = g_strdup ("GET");
  record->uri = g_strdup ("http://127.0.0.1:8080/photos/1.jpg");
  record->destination = g_strdup ("file:///tmp/photos/1.jpg");
  record->partial_name = g_strdup_printf ("ladle-%" G_GUINT64_FORMAT ".partial", identifier);
  record->etag = g_strdup ("\"abc\"");
  record->bytes_on_disk = 4096;
  record->expected_total = 1 << 20;

  return record;
}

static void
test_escape_name (void)
{
  struct { const char *name; const char *escaped; } cases[] = {
    { "org.example.App", "org.example.App" },
    { "photos", "photos" },
    { "a/b", "a_2fb" },
    { "a_2fb", "a_5f2fb" },
    { "..", "_.." },
    { ".", "_." },
    { "", "_" },
    { "sp ace", "sp_20ace" },
    { "é", "_c3_a9" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *escaped = _ladle_background_store_escape_name (cases[i].name);
      g_assert_cmpstr (escaped, ==, cases[i].escaped);
    }
}

static void
test_records_survive (void)
{
  g_autofree char *identifier = unique_identifier ();
  g_autoptr(LadleBackgroundStore) store = open_store (identifier);
  g_autoptr(LadleBackgroundStore) again = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) empty = NULL;
  guint64 first, second;

  empty = _ladle_background_store_dup_records (store);
  g_assert_cmpuint (empty->len, ==, 0);

  first = _ladle_background_store_take_identifier (store);
  second = _ladle_background_store_take_identifier (store);
  g_assert_cmpuint (first, ==, 1);
  g_assert_cmpuint (second, ==, 2);

  {
    g_autoptr(LadleTaskRecord) a = make_record (second, "photo for message 42");
    g_autoptr(LadleTaskRecord) b = make_record (first, "photo for message 41");

    _ladle_background_store_put_record (store, a);
    _ladle_background_store_put_record (store, b);
  }
  commit_and_wait (store);
  g_clear_object (&store);

  again = open_store (identifier);
  records = _ladle_background_store_dup_records (again);
  g_assert_cmpuint (records->len, ==, 2);
  /* By identifier, whatever order they were put in. */
  g_assert_cmpuint (((LadleTaskRecord *) records->pdata[0])->identifier, ==, first);
  g_assert_cmpstr (((LadleTaskRecord *) records->pdata[0])->description, ==, "photo for message 41");
  g_assert_cmpuint (((LadleTaskRecord *) records->pdata[1])->identifier, ==, second);
  g_assert_cmpstr (((LadleTaskRecord *) records->pdata[1])->etag, ==, "\"abc\"");
  g_assert_cmpint (((LadleTaskRecord *) records->pdata[1])->bytes_on_disk, ==, 4096);
  g_assert_true (_ladle_background_store_has_record (again, first));
  /* Identifiers are never given twice, even across runs. */
  g_assert_cmpuint (_ladle_background_store_take_identifier (again), ==, 3);
}

static void
test_identifiers_persist_without_records (void)
{
  g_autofree char *identifier = unique_identifier ();
  g_autoptr(LadleBackgroundStore) store = open_store (identifier);
  g_autoptr(LadleBackgroundStore) again = NULL;

  for (guint i = 0; i < 5; i++)
    _ladle_background_store_take_identifier (store);
  commit_and_wait (store);
  g_clear_object (&store);

  again = open_store (identifier);
  g_assert_cmpuint (_ladle_background_store_take_identifier (again), ==, 6);
}

static void
test_completions (void)
{
  g_autofree char *identifier = unique_identifier ();
  g_autoptr(LadleBackgroundStore) store = open_store (identifier);
  g_autoptr(LadleBackgroundStore) again = NULL;
  g_autoptr(GPtrArray) completions = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timed out ✓");
  LadleStoredCompletion *completion;

  for (guint64 id = 1; id <= 3; id++)
    {
      g_autoptr(LadleTaskRecord) record = make_record (id, "photo");
      _ladle_background_store_put_record (store, record);
    }
  commit_and_wait (store);

  {
    g_autoptr(LadleTaskRecord) one = make_record (1, "photo");
    g_autoptr(LadleTaskRecord) two = make_record (2, "photo");

    _ladle_background_store_put_completion (store, one, NULL, "file:///tmp/photos/1.jpg");
    _ladle_background_store_put_completion (store, two, failure, NULL);
  }
  commit_and_wait (store);
  g_clear_object (&store);

  again = open_store (identifier);
  records = _ladle_background_store_dup_records (again);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpuint (((LadleTaskRecord *) records->pdata[0])->identifier, ==, 3);

  completions = _ladle_background_store_dup_completions (again);
  g_assert_cmpuint (completions->len, ==, 2);
  completion = completions->pdata[0];
  g_assert_cmpuint (completion->record->identifier, ==, 1);
  g_assert_no_error (completion->error);
  g_assert_cmpstr (completion->location, ==, "file:///tmp/photos/1.jpg");
  completion = completions->pdata[1];
  g_assert_cmpuint (completion->record->identifier, ==, 2);
  g_assert_error (completion->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpstr (completion->error->message, ==, "Timed out ✓");
  g_assert_null (completion->location);

  /* Delivered: gone for good. */
  _ladle_background_store_remove_completion (again, 1);
  commit_and_wait (again);
  g_clear_object (&again);

  again = open_store (identifier);
  g_clear_pointer (&completions, g_ptr_array_unref);
  completions = _ladle_background_store_dup_completions (again);
  g_assert_cmpuint (completions->len, ==, 1);
  g_assert_cmpuint (((LadleStoredCompletion *) completions->pdata[0])->record->identifier, ==, 2);
}

static void
test_commits_in_order (void)
{
  g_autofree char *identifier = unique_identifier ();
  g_autoptr(LadleBackgroundStore) store = open_store (identifier);
  g_autoptr(LadleBackgroundStore) again = NULL;
  g_autoptr(GPtrArray) records = NULL;
  guint pending = 0;

  /* Many commits in flight at once, each after a change: the last state is what remains. */
  for (guint i = 1; i <= 50; i++)
    {
      g_autoptr(LadleTaskRecord) record = make_record (i, "photo");

      _ladle_background_store_put_record (store, record);
      if (i % 2 == 0)
        _ladle_background_store_remove_record (store, i - 1);
      pending++;
      _ladle_background_store_commit_async (store, NULL, commit_done, &pending);
    }
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&store);

  again = open_store (identifier);
  records = _ladle_background_store_dup_records (again);
  g_assert_cmpuint (records->len, ==, 25);
  for (guint i = 0; i < records->len; i++)
    g_assert_cmpuint (((LadleTaskRecord *) records->pdata[i])->identifier, ==, 2 * (i + 1));
}

static void
test_sessions_apart (void)
{
  g_autofree char *one = unique_identifier ();
  g_autofree char *two = unique_identifier ();
  g_autoptr(LadleBackgroundStore) a = open_store (one);
  g_autoptr(LadleBackgroundStore) b = open_store (two);
  g_autoptr(LadleTaskRecord) record = make_record (7, "only in one");
  g_autoptr(GPtrArray) records = NULL;

  _ladle_background_store_put_record (a, record);
  commit_and_wait (a);
  commit_and_wait (b);
  g_clear_object (&b);

  b = open_store (two);
  records = _ladle_background_store_dup_records (b);
  g_assert_cmpuint (records->len, ==, 0);
}

static void
test_clear (void)
{
  g_autofree char *identifier = unique_identifier ();
  g_autoptr(LadleBackgroundStore) store = open_store (identifier);
  g_autoptr(LadleTaskRecord) record = make_record (1, "photo");
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) completions = NULL;
  g_autoptr(GError) error = NULL;

  _ladle_background_store_put_record (store, record);
  _ladle_background_store_put_completion (store, record, NULL, NULL);
  g_assert_true (_ladle_background_store_commit_sync (store, &error));
  g_assert_no_error (error);
  _ladle_background_store_clear (store);
  g_assert_true (_ladle_background_store_commit_sync (store, &error));
  g_clear_object (&store);

  store = open_store (identifier);
  records = _ladle_background_store_dup_records (store);
  completions = _ladle_background_store_dup_completions (store);
  g_assert_cmpuint (records->len + completions->len, ==, 0);
}

/* Parsing a store value as the loader does: what another process, an older bug or a person with
 * dconf-editor may have left there. */
static GVariant *
state_with (GVariant *tasks,
            GVariant *completions)
{
  return g_variant_ref_sink (g_variant_new ("(ut@a{ta{sv}}@a{ta{sv}})", 1, (guint64) 1,
                                            tasks ? tasks : g_variant_new_parsed ("@a{ta{sv}} {}"),
                                            completions ? completions : g_variant_new_parsed ("@a{ta{sv}} {}")));
}

static void
test_parse_bad_entries (void)
{
  g_autoptr(LadleTaskRecord) good = make_record (5, "good");
  g_autoptr(LadleTaskRecord) other = make_record (6, "filed under the wrong number");
  GVariantBuilder tasks;
  GVariantBuilder done;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GHashTable) records = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                          (GDestroyNotify) g_variant_unref);
  g_autoptr(GHashTable) completions = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                              (GDestroyNotify) g_variant_unref);
  guint64 next = 0;
  guint64 key = 5;
  g_autoptr(GVariant) good_variant = _ladle_task_record_serialize (good);
  g_autoptr(GVariant) other_variant = _ladle_task_record_serialize (other);

  g_variant_builder_init (&tasks, G_VARIANT_TYPE ("a{ta{sv}}"));
  g_variant_builder_add (&tasks, "{t@a{sv}}", (guint64) 5, good_variant);
  g_variant_builder_add (&tasks, "{t@a{sv}}", (guint64) 9, other_variant);
  g_variant_builder_add (&tasks, "{t@a{sv}}", (guint64) 10, g_variant_new_parsed ("@a{sv} {'kind': <'rocket'>}"));

  g_variant_builder_init (&done, G_VARIANT_TYPE ("a{ta{sv}}"));
  g_variant_builder_add (&done, "{t@a{sv}}", (guint64) 11, g_variant_new_parsed ("@a{sv} {'location': <'file:///x'>}"));
  g_variant_builder_add (&done, "{t@a{sv}}", (guint64) 5,
                         g_variant_new_parsed ("@a{sv} {'record': <%@a{sv}>, 'error': <('', 1, 'x')>}",
                                               good_variant));
  g_variant_builder_add (&done, "{t@a{sv}}", (guint64) 6,
                         g_variant_new_parsed ("@a{sv} {'record': <%@a{sv}>, 'location': <'not a uri'>}",
                                               other_variant));
  g_variant_builder_add (&done, "{t@a{sv}}", (guint64) 6,
                         g_variant_new_parsed ("@a{sv} {'record': <%@a{sv}>, 'location': <42>}",
                                               other_variant));

  state = state_with (g_variant_builder_end (&tasks), g_variant_builder_end (&done));

  expect_warning ("*record of task 9*");
  expect_warning ("*record of task 10*");
  expect_warning ("*completion of task 11*");
  expect_warning ("*completion of task 5*");
  expect_warning ("*completion of task 6*");
  expect_warning ("*completion of task 6*");
  g_assert_true (_ladle_background_store_parse_state (state, &next, records, completions));
  assert_expected_warnings ();

  g_assert_cmpuint (g_hash_table_size (records), ==, 1);
  g_assert_true (g_hash_table_contains (records, &key));
  g_assert_cmpuint (g_hash_table_size (completions), ==, 0);
  g_assert_cmpuint (next, ==, 6);
}

static void
test_parse_foreign (void)
{
  g_autoptr(GHashTable) records = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                          (GDestroyNotify) g_variant_unref);
  g_autoptr(GHashTable) completions = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                              (GDestroyNotify) g_variant_unref);
  g_autoptr(GVariant) wrong_type = g_variant_ref_sink (g_variant_new_string ("hello"));
  g_autoptr(GVariant) newer = g_variant_ref_sink (g_variant_new_parsed ("(@u 2, @t 1, @a{ta{sv}} {}, @a{ta{sv}} {})"));
  guint64 next = 0;

  g_assert_false (_ladle_background_store_parse_state (wrong_type, &next, records, completions));
  expect_warning ("*format version 2*");
  g_assert_false (_ladle_background_store_parse_state (newer, &next, records, completions));
  assert_expected_warnings ();
  g_assert_cmpuint (g_hash_table_size (records), ==, 0);
}

/* The store's own key file (no schema): a file that is not one is set aside with a warning. */
static void
test_keyfile_garbage (void)
{
  g_autofree char *identifier = unique_identifier ();
  g_autofree char *escaped = _ladle_background_store_escape_name (identifier);
  g_autofree char *name = g_strconcat (escaped, ".store", NULL);
  g_autofree char *dir = g_build_filename (state_directory, "background", "org.example.Photos", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleBackgroundStore) store = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *location = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "[org.gnome.Ladle.BackgroundSession]\nstate=(1, 'x')\n", -1, &error));

  expect_warning ("*schema org.gnome.Ladle.BackgroundSession is not installed*");
  expect_warning ("*Ignoring the background session store*");
  store = _ladle_background_store_new ("org.example.Photos", identifier, state_directory);
  assert_expected_warnings ();

  location = _ladle_background_store_dup_location (store);
  g_assert_cmpstr (location, ==, path);
  g_assert_false (_ladle_background_store_uses_settings (store));
  records = _ladle_background_store_dup_records (store);
  g_assert_cmpuint (records->len, ==, 0);

  /* The next commit replaces it with a good one. */
  commit_and_wait (store);
  g_clear_object (&store);
  store = open_store (identifier);
  g_assert_false (_ladle_background_store_uses_settings (store));
}

static void
test_uses_settings (void)
{
  g_autoptr(LadleBackgroundStore) store = open_store ("plain");
  g_autofree char *location = _ladle_background_store_dup_location (store);

  g_assert_true (_ladle_background_store_uses_settings (store));
  g_assert_cmpstr (location, ==, "/org/gnome/ladle/sessions/org.example.Photos/plain/");
}

int
main (int   argc,
      char *argv[])
{
  for (int i = 1; i < argc; i++)
    if (g_strcmp0 (argv[i], "--no-schema") == 0)
      no_schema = TRUE;

  if (no_schema)
    {
      /* Before GIO reads them: no schema anywhere. */
      g_setenv ("GSETTINGS_SCHEMA_DIR", "/nonexistent", TRUE);
      g_setenv ("XDG_DATA_DIRS", "/nonexistent", TRUE);
      g_setenv ("XDG_DATA_HOME", "/nonexistent", TRUE);
    }

  g_log_set_writer_func (expecting_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);
  run_id = g_uuid_string_random ();

  state_directory = g_build_filename (g_get_user_state_dir (), "ladle-test", run_id, NULL);

  g_test_add_func ("/Ladle/BackgroundStore/escape-name", test_escape_name);
  g_test_add_func ("/Ladle/BackgroundStore/records-survive", test_records_survive);
  g_test_add_func ("/Ladle/BackgroundStore/identifiers-persist", test_identifiers_persist_without_records);
  g_test_add_func ("/Ladle/BackgroundStore/completions", test_completions);
  g_test_add_func ("/Ladle/BackgroundStore/commits-in-order", test_commits_in_order);
  g_test_add_func ("/Ladle/BackgroundStore/sessions-apart", test_sessions_apart);
  g_test_add_func ("/Ladle/BackgroundStore/clear", test_clear);
  g_test_add_func ("/Ladle/BackgroundStore/parse-bad-entries", test_parse_bad_entries);
  g_test_add_func ("/Ladle/BackgroundStore/parse-foreign", test_parse_foreign);
  if (no_schema)
    g_test_add_func ("/Ladle/BackgroundStore/keyfile-garbage", test_keyfile_garbage);
  else
    g_test_add_func ("/Ladle/BackgroundStore/uses-settings", test_uses_settings);

  return g_test_run ();
}
