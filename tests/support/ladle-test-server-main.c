/* ladle-test-server-main.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * ladle-test-server: the test server of ladle-test.h as a child process for the
 * Python and GJS tests. It prints its base URI ("http://127.0.0.1:PORT/") on a line of its own,
 * then serves until its standard input reaches end of file (the test closed the pipe, or died),
 * so it never outlives the test that started it.
 */

#include <glib-unix.h>
#include <stdio.h>
#include <unistd.h>

#define LADLE_TEST_NO_LADLE
#include "ladle-test.h"

static gboolean
stdin_cb (int           fd,
          GIOCondition  condition,
          gpointer      user_data)
{
  GMainLoop *loop = user_data;
  char buffer[256];
  gssize n;

  n = read (fd, buffer, sizeof buffer);
  if (n > 0)
    return G_SOURCE_CONTINUE;

  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(LadleTestServer) server = ladle_test_server_new ();
  g_autofree char *uri = ladle_test_server_dup_uri (server, "/");

  g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, stdin_cb, loop);
  g_unix_signal_add (SIGTERM, signal_cb, loop);
  g_unix_signal_add (SIGINT, signal_cb, loop);

  printf ("%s\n", uri);
  fflush (stdout);

  g_main_loop_run (loop);

  return 0;
}
