/* consumer.c: a program of a project that builds Ladle as a subproject
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <ladle.h>

int
main (int   argc,
      char *argv[])
{
  g_autoptr (LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();
  g_autoptr (LadleSession) session = ladle_session_new (configuration);
  g_autoptr (LadleDataTask) task = ladle_session_create_data_task_for_uri (session, "http://127.0.0.1/");
  g_autofree char *version = g_strdup_printf ("%u.%u.%u", ladle_get_major_version (),
                                              ladle_get_minor_version (), ladle_get_micro_version ());

  if (argc != 2 || g_strcmp0 (version, argv[1]) != 0 || g_strcmp0 (LADLE_VERSION_S, argv[1]) != 0)
    {
      g_printerr ("consumer: Ladle %s (headers %s), expected %s\n", version, LADLE_VERSION_S,
                  argc == 2 ? argv[1] : "(none)");
      return 1;
    }
  if (ladle_check_version (0, 2, 0) != NULL || !LADLE_IS_TASK (task) ||
      ladle_task_get_state (LADLE_TASK (task)) != LADLE_TASK_STATE_SUSPENDED)
    {
      g_printerr ("consumer: unexpected library state\n");
      return 1;
    }
  g_print ("consumer: Ladle %s as a subproject\n", version);
  return 0;
}
