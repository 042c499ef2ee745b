/* ladle-photo-sync.c: a photo-message application whose downloads survive a crash
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   ladle-photo-sync [--state-dir DIR] [--photos DIR] [--app-id ID] MESSAGES.ini
 *
 * The C twin of photo-sync.py. MESSAGES.ini is the application's model, one group per message:
 *
 *   [message m1]
 *   photo-url=http://example.org/photos/1.jpg
 *   state=new
 *
 * Each message's photo is downloaded in a background session. When a download completes, its
 * message gets state=downloaded, resource-path=PATH and updates=1 (or state=failed with an
 * error), and the file is saved again, durably.
 *
 * What makes it survive a crash (see photo-sync.py for the story):
 *   - the session's ::task-completed handler, connected right after ladle_session_new() on
 *     every launch, gets the completions of earlier runs too: no per-task callback is needed;
 *   - each task carries its message id as its description, stored with the task, so that any
 *     task, restored or new, maps back to its message;
 *   - the handler saves the message (g_file_set_contents_full(), durable) before returning:
 *     Ladle records the delivery after the handler returned, so a crash in between delivers it
 *     again, and the update is idempotent;
 *   - new downloads start after ::background-events-finished, once the session restored its
 *     tasks and delivered what it owed.
 *
 * Standard output gets "restored: N", "delivered: ID" for each completion delivered, and
 * "message: ID STATE PATH" for each message at the end. Exit status 0 when every photo was
 * downloaded, 1 when one failed, 2 on bad usage.
 */

#include <stdio.h>
#include <string.h>

#include <ladle.h>

#define SESSION_IDENTIFIER "photo-messages"
#define GROUP_PREFIX       "message "

typedef struct
{
  GMainLoop    *loop;
  LadleSession *session;
  GKeyFile     *messages;
  char         *path;
  char         *photos;
  gboolean      events_finished;
  /* message id -> where ::download-finished said its file is (it comes right before the
   * message's ::task-completed, for new and restored completions alike) */
  GHashTable   *finished;
} PhotoSync;

static gboolean
save_messages (PhotoSync *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize length;

  data = g_key_file_to_data (self->messages, &length, NULL);
  /* Written to a temporary file, synced, renamed over the old one: a crash leaves the old or
   * the new file, never half of one. */
  if (!g_file_set_contents_full (self->path, data, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644, &error))
    {
      g_printerr ("Cannot save %s: %s\n", self->path, error->message);
      return FALSE;
    }

  return TRUE;
}

static char *
group_of (const char *message_id)
{
  return g_strconcat (GROUP_PREFIX, message_id, NULL);
}

static gboolean
is_pending (PhotoSync  *self,
            const char *group)
{
  g_autofree char *state = g_key_file_get_string (self->messages, group, "state", NULL);

  return g_strcmp0 (state, "downloaded") != 0 && g_strcmp0 (state, "failed") != 0;
}

static char *
destination_of (PhotoSync  *self,
                const char *message_id)
{
  g_autofree char *name = g_strconcat (message_id, ".jpg", NULL);

  return g_build_filename (self->photos, name, NULL);
}

/* The message ids of the session's unfinished tasks. */
static GHashTable *
running_messages (PhotoSync *self)
{
  GHashTable *running = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->session));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LadleTask) task = g_list_model_get_item (G_LIST_MODEL (self->session), i);

      if (ladle_task_get_state (task) != LADLE_TASK_STATE_COMPLETED && ladle_task_get_description (task) != NULL)
        g_hash_table_add (running, g_strdup (ladle_task_get_description (task)));
    }

  return running;
}

static gboolean
check_done (gpointer user_data)
{
  PhotoSync *self = user_data;
  g_auto(GStrv) groups = g_key_file_get_groups (self->messages, NULL);
  g_autoptr(GHashTable) running = running_messages (self);

  if (!self->events_finished || g_hash_table_size (running) > 0)
    return G_SOURCE_REMOVE;
  for (guint i = 0; groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], GROUP_PREFIX) && is_pending (self, groups[i]))
      return G_SOURCE_REMOVE;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static void
on_download_finished (LadleSession      *session,
                      LadleDownloadTask *task,
                      GFile             *location,
                      gpointer           user_data)
{
  PhotoSync *self = user_data;
  const char *message_id = ladle_task_get_description (LADLE_TASK (task));

  if (message_id != NULL)
    g_hash_table_replace (self->finished, g_strdup (message_id), g_file_get_path (location));
}

static void
on_task_completed (LadleSession *session,
                   LadleTask    *task,
                   const GError *error,
                   gpointer      user_data)
{
  PhotoSync *self = user_data;
  const char *message_id = ladle_task_get_description (task);
  g_autofree char *group = NULL;
  g_autofree char *destination = NULL;
  const char *location;
  guint status;

  if (message_id == NULL)
    return;
  printf ("delivered: %s\n", message_id);
  fflush (stdout);

  group = group_of (message_id);
  /* A task of a message deleted meanwhile, or delivered again after a crash right after the
   * update: nothing to do. */
  if (!g_key_file_has_group (self->messages, group) || !is_pending (self, group))
    return;

  destination = destination_of (self, message_id);
  location = g_hash_table_lookup (self->finished, message_id);
  status = ladle_task_get_status_code (task);
  /* An HTTP error is not a GError: a 404 completes without one. A download that got its file
   * gave it to ::download-finished at its destination; an error page does not go there. (The
   * status alone does not tell: a completion restored from an earlier run has no response, and
   * a relaunch that finds the partial file complete ends with the server's 416.) */
  if (error == NULL && g_strcmp0 (location, destination) == 0 &&
      g_file_test (destination, G_FILE_TEST_IS_REGULAR))
    {
      g_key_file_set_string (self->messages, group, "state", "downloaded");
      g_key_file_set_string (self->messages, group, "resource-path", destination);
    }
  else
    {
      g_autofree char *why = error != NULL ? g_strdup (error->message) : g_strdup_printf ("HTTP %u", status);

      g_key_file_set_string (self->messages, group, "state", "failed");
      g_key_file_set_string (self->messages, group, "error", why);
    }
  g_key_file_set_integer (self->messages, group, "updates",
                          g_key_file_get_integer (self->messages, group, "updates", NULL) + 1);
  g_hash_table_remove (self->finished, message_id);
  save_messages (self);
  g_idle_add (check_done, self);
}

static void
on_events_finished (LadleSession *session,
                    gpointer      user_data)
{
  PhotoSync *self = user_data;
  g_auto(GStrv) groups = g_key_file_get_groups (self->messages, NULL);
  g_autoptr(GHashTable) running = running_messages (self);
  gboolean changed = FALSE;

  /* Everything owed from earlier runs was delivered: start what has no task. */
  self->events_finished = TRUE;
  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *message_id = groups[i] + strlen (GROUP_PREFIX);
      g_autofree char *url = NULL;
      g_autofree char *destination = NULL;
      g_autofree char *state = NULL;
      g_autoptr(LadleDownloadTask) task = NULL;
      g_autoptr(GFile) file = NULL;

      if (!g_str_has_prefix (groups[i], GROUP_PREFIX) || !is_pending (self, groups[i]) ||
          g_hash_table_contains (running, message_id))
        continue;

      url = g_key_file_get_string (self->messages, groups[i], "photo-url", NULL);
      if (url == NULL)
        continue;
      destination = destination_of (self, message_id);
      file = g_file_new_for_path (destination);
      task = ladle_session_create_download_task_for_uri (self->session, url);
      ladle_task_set_description (LADLE_TASK (task), message_id);
      ladle_download_task_set_destination (task, file,
                                           LADLE_DESTINATION_FLAGS_REPLACE | LADLE_DESTINATION_FLAGS_CREATE_PARENTS);
      ladle_task_resume (LADLE_TASK (task));

      state = g_key_file_get_string (self->messages, groups[i], "state", NULL);
      if (g_strcmp0 (state, "downloading") != 0)
        {
          g_key_file_set_string (self->messages, groups[i], "state", "downloading");
          changed = TRUE;
        }
    }
  if (changed)
    save_messages (self);
  check_done (self);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *state_dir = NULL;
  g_autofree char *photos = NULL;
  g_autofree char *app_id = NULL;
  const GOptionEntry entries[] = {
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir, "Where the session keeps its partial files", "DIR" },
    { "photos", 0, 0, G_OPTION_ARG_FILENAME, &photos, "Where photos go (default: photos/ next to MESSAGES)", "DIR" },
    { "app-id", 0, 0, G_OPTION_ARG_STRING, &app_id, "The application id the session is stored under", "ID" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("MESSAGES.ini");
  g_autoptr(GError) error = NULL;
  g_autoptr(LadleSessionConfiguration) configuration = NULL;
  g_auto(GStrv) groups = NULL;
  g_autofree char *directory = NULL;
  PhotoSync self = { 0 };
  gboolean failed = FALSE;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, "Download the photos of photo messages in a background session.");
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "Give one MESSAGES.ini file");
      return 2;
    }

  self.path = argv[1];
  self.messages = g_key_file_new ();
  if (!g_key_file_load_from_file (self.messages, self.path, G_KEY_FILE_KEEP_COMMENTS, &error))
    {
      g_printerr ("Cannot read %s: %s\n", self.path, error->message);
      g_key_file_unref (self.messages);
      return 2;
    }
  {
    g_autofree char *relative = g_path_get_dirname (self.path);

    directory = g_canonicalize_filename (relative, NULL);
  }
  self.photos = photos != NULL ? g_strdup (photos) : g_build_filename (directory, "photos", NULL);
  self.loop = g_main_loop_new (NULL, FALSE);
  self.finished = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  configuration = ladle_session_configuration_new_background (SESSION_IDENTIFIER);
  if (state_dir != NULL)
    ladle_session_configuration_set_state_directory (configuration, state_dir);
  if (app_id != NULL)
    ladle_session_configuration_set_application_id (configuration, app_id);
  self.session = ladle_session_new (configuration);
  /* Right after ladle_session_new(): restored completions come from the main loop, later. */
  g_signal_connect (self.session, "download-finished", G_CALLBACK (on_download_finished), &self);
  g_signal_connect (self.session, "task-completed", G_CALLBACK (on_task_completed), &self);
  g_signal_connect (self.session, "background-events-finished", G_CALLBACK (on_events_finished), &self);
  printf ("restored: %u\n", g_list_model_get_n_items (G_LIST_MODEL (self.session)));
  fflush (stdout);

  g_main_loop_run (self.loop);

  groups = g_key_file_get_groups (self.messages, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *state = NULL;
      g_autofree char *path = NULL;

      if (!g_str_has_prefix (groups[i], GROUP_PREFIX))
        continue;
      state = g_key_file_get_string (self.messages, groups[i], "state", NULL);
      path = g_key_file_get_string (self.messages, groups[i], "resource-path", NULL);
      printf ("message: %s %s %s\n", groups[i] + strlen (GROUP_PREFIX), state, path != NULL ? path : "-");
      failed = failed || g_strcmp0 (state, "failed") == 0;
    }

  g_signal_handlers_disconnect_by_data (self.session, &self);
  g_object_unref (self.session);
  g_main_loop_unref (self.loop);
  g_key_file_unref (self.messages);
  g_hash_table_unref (self.finished);
  g_free (self.photos);

  return failed ? 1 : 0;
}
