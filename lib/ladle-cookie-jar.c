/* ladle-cookie-jar.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A session's cookie jar (private): in memory for ephemeral sessions, an SQLite database in the
 * state directory for the others (SoupCookieJarDB writes each change as it happens). The
 * application's own Cookie header is merged with the jar's cookies by ladle-request-watch.c.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "ladle-cookie-jar-private.h"

/* 0.1 kept cookies in cookies.txt: they move into the database once, and the text file goes. */
static void
import_text_cookies (SoupCookieJar *jar,
                     const char    *directory)
{
  g_autofree char *path = g_build_filename (directory, "cookies.txt", NULL);
  g_autoptr(SoupCookieJar) text = NULL;
  GSList *cookies;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return;

  text = soup_cookie_jar_text_new (path, TRUE);
  cookies = soup_cookie_jar_all_cookies (text);
  for (GSList *l = cookies; l != NULL; l = l->next)
    soup_cookie_jar_add_cookie (jar, l->data);   /* takes the cookie */
  g_debug ("Imported %u cookies from %s", g_slist_length (cookies), path);
  g_slist_free (cookies);
  g_unlink (path);
}

/* The transfer service keeps no cookie on disk: cookies are credentials. */
static gboolean memory_only;

void
_ladle_cookie_jar_keep_in_memory (void)
{
  memory_only = TRUE;
}

SoupCookieJar *
_ladle_cookie_jar_new (LadleSessionConfiguration *configuration)
{
  const char *directory;
  g_autofree char *path = NULL;
  SoupCookieJar *jar;

  if (ladle_session_configuration_get_kind (configuration) == LADLE_SESSION_KIND_EPHEMERAL || memory_only)
    return soup_cookie_jar_new ();

  directory = ladle_session_configuration_get_state_directory (configuration);
  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved_errno = errno;

      g_warning ("Cannot create the state directory %s (%s): cookies are kept in memory only",
                 directory, g_strerror (saved_errno));
      return soup_cookie_jar_new ();
    }

  /* SQLite: written cookie by cookie, safe against a crash and against another process. */
  path = g_build_filename (directory, "cookies.sqlite", NULL);
  jar = soup_cookie_jar_db_new (path, FALSE);
  import_text_cookies (jar, directory);

  return jar;
}
