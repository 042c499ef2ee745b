/* ladle.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* ladle: fetch, upload and post from the command line, the way one checks a server with curl
 * or wget, over Ladle's public API only. See cli/ladle.1 and `ladle --help`. */

#include "ladle-cli-config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include <ladle.h>

#include "ladle-cli-private.h"

/* Credentials */

/* Ctrl-C at the password prompt must not leave the terminal without echo */
static int prompt_fd = -1;
static struct termios prompt_saved;

static void
prompt_interrupted (int signal_number)
{
  if (prompt_fd >= 0)
    {
      tcsetattr (prompt_fd, TCSAFLUSH, &prompt_saved);
      if (write (prompt_fd, "\n", 1) < 0)
        _exit (128 + signal_number);
    }
  _exit (128 + signal_number);
}

static char *
read_password (const char *user)
{
  struct sigaction on_signal = { .sa_handler = prompt_interrupted }, old_int, old_term;
  struct termios saved, quiet;
  char buffer[1024];
  int fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  FILE *tty;
  char *password = NULL;

  if (fd < 0)
    return NULL;
  tty = fdopen (fd, "r+");
  if (tty == NULL)
    {
      close (fd);
      return NULL;
    }
  sigemptyset (&on_signal.sa_mask);
  sigaction (SIGINT, &on_signal, &old_int);
  sigaction (SIGTERM, &on_signal, &old_term);
  if (tcgetattr (fd, &saved) == 0)
    {
      prompt_saved = saved;
      prompt_fd = fd;
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (fd, TCSAFLUSH, &quiet);
    }
  /* The prompt only once echo is off: TCSAFLUSH drops what was typed before it, so a password
   * typed as soon as the prompt shows must not arrive in that window (as getpass does it) */
  fprintf (tty, _("Password for %s: "), user);
  fflush (tty);
  if (fgets (buffer, sizeof buffer, tty) != NULL)
    {
      buffer[strcspn (buffer, "\r\n")] = '\0';
      password = g_strdup (buffer);
    }
  if (prompt_fd >= 0)
    tcsetattr (fd, TCSAFLUSH, &saved);
  prompt_fd = -1;
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  fputc ('\n', tty);
  explicit_bzero (buffer, sizeof buffer);
  fclose (tty);
  return password;
}

/* The password of --user USER:PASSWORD is blanked in the process's own argv, so that ps and
 * /proc/PID/cmdline show stars (as curl does); LADLE_PASSWORD or the prompt keep it out of argv
 * altogether. */
static void
hide_password (char       **argv_copy,
               const char  *option_value)
{
  const char *colon = strchr (option_value, ':');
  gsize tail;
  int i;

  if (colon == NULL)
    return;
  tail = strlen (colon + 1);
  for (i = 1; argv_copy[i] != NULL; i++)
    {
      gsize length = strlen (argv_copy[i]);

      if (length >= strlen (option_value) && strcmp (argv_copy[i] + length - strlen (option_value), option_value) == 0)
        memset (argv_copy[i] + length - tail, '*', tail);
    }
}

/* The same for a URL's user information: http://USER:PASSWORD@host/ shows http://USER:****@host/ */
static void
hide_url_passwords (char **argv_copy)
{
  int i;

  for (i = 1; argv_copy[i] != NULL; i++)
    {
      char *authority = strstr (argv_copy[i], "://");
      char *end, *at, *colon;

      if (authority == NULL)
        continue;
      authority += 3;
      end = authority + strcspn (authority, "/?#");
      for (at = end; at > authority && at[-1] != '@'; at--)
        ;
      if (at == authority)
        continue;
      at--;
      colon = memchr (authority, ':', at - authority);
      if (colon != NULL)
        memset (colon + 1, '*', at - colon - 1);
    }
}

static gboolean
setup_credentials (LadleCliApp  *app,
                   char        **argv_copy,
                   GError      **error)
{
  const char *colon;

  if (app->user_option == NULL)
    return TRUE;
  colon = strchr (app->user_option, ':');
  if (colon != NULL)
    {
      app->user = g_strndup (app->user_option, colon - app->user_option);
      app->password = g_strdup (colon + 1);
      hide_password (argv_copy, app->user_option);
      explicit_bzero (app->user_option + (colon - app->user_option) + 1, strlen (colon + 1));
    }
  else
    {
      app->user = g_strdup (app->user_option);
      if (g_getenv ("LADLE_PASSWORD") != NULL)
        app->password = g_strdup (g_getenv ("LADLE_PASSWORD"));
      else
        app->password = read_password (app->user);
      if (app->password == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--user %s: no password (give USER:PASSWORD, set LADLE_PASSWORD, or run on a terminal)"),
                       app->user);
          return FALSE;
        }
    }
  return TRUE;
}

/* The command line */

static const char *exit_status_text =
  N_("Exit status:\n"
     "  0    every transfer succeeded\n"
     "  1    another failure\n"
     "  2    usage: a bad option, URL, header or form field\n"
     "  3    a local file could not be read or written\n"
     "  4    network: cannot resolve or connect, connection lost, timeout, a short or invalid response\n"
     "  5    TLS: the server's certificate is not trusted, or the handshake failed\n"
     "  22   the server answered with an error status (get: anything but 2xx; put, post: 400 or above)\n"
     "  130  interrupted by SIGINT (143: SIGTERM); with -c the resume data was saved\n"
     "With several URLs, the status is that of the first one that failed.\n");

static GOptionContext *
make_context (LadleCliApp *app,
              LadleCliCommand      command,
              const char  *parameters,
              const char  *summary)
{
  GOptionEntry common[] = {
    { "header", 'H', 0, G_OPTION_ARG_STRING_ARRAY, &app->headers, N_("Add a request header"), N_("NAME: VALUE") },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &app->user_option,
      N_("Credentials for the URL's server (asked for the password, or LADLE_PASSWORD, when none is given)"),
      N_("USER[:PASSWORD]") },
    { "user-agent", 'A', 0, G_OPTION_ARG_STRING, &app->user_agent, N_("User-Agent to send"), N_("TEXT") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &app->timeout, N_("Fail when the server is silent this long (default 60)"),
      N_("SECONDS") },
    { "max-redirs", 0, 0, G_OPTION_ARG_INT, &app->max_redirects, N_("Follow at most N redirects"), N_("N") },
    { "cacert", 0, 0, G_OPTION_ARG_FILENAME, &app->cacert, N_("Trust the certificates in FILE (PEM) instead of the system's"),
      N_("FILE") },
    { "insecure", 'k', 0, G_OPTION_ARG_NONE, &app->insecure,
      N_("Accept any TLS certificate (each one is reported on stderr): the connection is not secure"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &app->json, N_("Print one JSON object per transfer on stdout"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &app->quiet, N_("No progress; only errors on stderr"), NULL },
    { NULL }
  };
  GOptionEntry get_entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &app->output, N_("Write to FILE (“-”: stdout); one URL only"), N_("FILE") },
    { "remote-name", 'O', 0, G_OPTION_ARG_NONE, &app->remote_name,
      N_("Name the file from the response (Content-Disposition, else the URL): the default"), NULL },
    { "output-dir", 'P', 0, G_OPTION_ARG_FILENAME, &app->output_dir, N_("Directory of the files named with -O"), N_("DIR") },
    { "continue", 'c', 0, G_OPTION_ARG_NONE, &app->resume,
      N_("Resume from FILE.ladle-resume (written when interrupted or failed); a changed file is fetched again"), NULL },
    { "parallel", 'Z', 0, G_OPTION_ARG_INT, &app->parallel, N_("Run N transfers at once (default 1)"), N_("N") },
    { NULL }
  };
  GOptionEntry put_entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &app->output, N_("Write the response body to FILE (default: stdout)"),
      N_("FILE") },
    { "content-type", 0, 0, G_OPTION_ARG_STRING, &app->content_type, N_("Content-Type of the body"), N_("TYPE") },
    { NULL }
  };
  GOptionEntry post_entries[] = {
    { "form", 'F', 0, G_OPTION_ARG_STRING_ARRAY, &app->form,
      N_("A multipart/form-data field: NAME=VALUE, or NAME=@FILE (read when sent); ;type=TYPE and ;filename=NAME "
         "may follow"), N_("NAME=VALUE") },
    { "data", 'd', 0, G_OPTION_ARG_STRING, &app->data, N_("The body: TEXT, or @FILE"), N_("DATA") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &app->output, N_("Write the response body to FILE (default: stdout)"),
      N_("FILE") },
    { "content-type", 0, 0, G_OPTION_ARG_STRING, &app->content_type,
      N_("Content-Type of -d's body (default application/x-www-form-urlencoded)"), N_("TYPE") },
    { NULL }
  };
  GOptionContext *context = g_option_context_new (parameters);

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, _(exit_status_text));
  g_option_context_set_strict_posix (context, FALSE);
  g_option_context_add_main_entries (context,
                                     command == COMMAND_GET ? get_entries : command == COMMAND_PUT ? put_entries : post_entries,
                                     GETTEXT_PACKAGE);
  /* in the main group too: `ladle get --help` shows every option */
  g_option_context_add_main_entries (context, common, GETTEXT_PACKAGE);
  return context;
}

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n%s\n%s", _("Usage:\n"
                                  "  ladle get URL… [-o FILE | -O] [-c] [--parallel N] [OPTION…]\n"
                                  "  ladle put URL FILE [OPTION…]\n"
                                  "  ladle post URL [-F NAME=VALUE | -F NAME=@FILE]… [-d DATA] [OPTION…]\n"
                                  "  ladle COMMAND --help      the options of COMMAND\n"
                                  "  ladle --version"),
           _("Transfers over HTTP and HTTPS with Ladle: a progress bar per transfer on a terminal, plain lines\n"
             "otherwise, --json for scripts. See ladle(1)."),
           _(exit_status_text));
}

/* A URL of the command line: http or https; user information becomes --user's credentials
 * (and is never shown or sent as part of the URL). */
static LadleCliTransfer *
transfer_new (LadleCliApp  *app,
              const char   *text,
              GError      **error)
{
  g_autoptr(GUri) parsed = g_uri_parse (text, SOUP_HTTP_URI_FLAGS, error);
  LadleCliTransfer *t;

  if (parsed == NULL)
    return NULL;
  if ((g_ascii_strcasecmp (g_uri_get_scheme (parsed), "http") != 0 &&
       g_ascii_strcasecmp (g_uri_get_scheme (parsed), "https") != 0) ||
      g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("%s: not an http or https URL"), text);
      return NULL;
    }
  t = g_new0 (LadleCliTransfer, 1);
  if (g_uri_get_user (parsed) != NULL && app->user_option == NULL)
    {
      /* SOUP_HTTP_URI_FLAGS does not keep the user information encoded: these are decoded */
      t->user = g_strdup (g_uri_get_user (parsed));
      t->password = g_strdup (g_uri_get_password (parsed) != NULL ? g_uri_get_password (parsed) : "");
    }
  else
    {
      t->user = g_strdup (app->user);
      t->password = g_strdup (app->password);
    }
  t->app = app;
  t->expected = -1;
  t->resumed_from = -1;
  t->rate = -1;
  t->uri = g_uri_build (SOUP_HTTP_URI_FLAGS, g_uri_get_scheme (parsed), NULL, g_uri_get_host (parsed),
                        g_uri_get_port (parsed), g_uri_get_path (parsed), g_uri_get_query (parsed), NULL);
  t->url = g_uri_to_string (t->uri);
  g_queue_init (&t->chunks);
  return t;
}

/* The directory files are written to exists and is writable: checked before anything is sent */
static gboolean
check_directory (const char  *directory,
                 GError     **error)
{
  if (!g_file_test (directory, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s: no such directory"), directory);
      return FALSE;
    }
  if (access (directory, W_OK) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, _("%s: cannot write there: %s"), directory,
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_output_file (const char  *path,
                   GError     **error)
{
  g_autofree char *directory = g_path_get_dirname (path);

  if (!check_directory (directory, error))
    return FALSE;
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, _("%s is a directory"), path);
      return FALSE;
    }
  return TRUE;
}

static int
usage_error (const char *text)
{
  fprintf (stderr, "ladle: %s\n", text);
  fprintf (stderr, _("Try “ladle --help”.\n"));
  return EXIT_USAGE;
}

static int
run (LadleCliApp  *app,
     int           argc,
     char        **argv,
     char        **argv_copy)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(LadleSessionConfiguration) configuration = NULL;
  g_autoptr(GError) error = NULL;
  const char *command = argv[1];
  g_autofree char *prgname = NULL;
  guint n_urls, i;
  int status = EXIT_OK;

  if (g_strcmp0 (command, "get") == 0)
    {
      app->command = COMMAND_GET;
      context = make_context (app, COMMAND_GET, _("URL…"), _("Downloads each URL to a file (or stdout with -o -)."));
    }
  else if (g_strcmp0 (command, "put") == 0)
    {
      app->command = COMMAND_PUT;
      context = make_context (app, COMMAND_PUT, _("URL FILE"), _("Uploads FILE to URL with PUT."));
    }
  else if (g_strcmp0 (command, "post") == 0)
    {
      app->command = COMMAND_POST;
      context = make_context (app, COMMAND_POST, _("URL"),
                              _("Posts a multipart form (-F, files read as they are sent) or a body (-d) to URL."));
    }
  else
    {
      g_autofree char *text = g_strdup_printf (_("unknown command “%s”"), command);
      return usage_error (text);
    }
  app->command_name = command;

  /* argv[1] is the command: the options parser sees "ladle COMMAND ARGS" as "ladle-COMMAND ARGS" */
  prgname = g_strdup_printf ("ladle %s", command);
  argv[1] = prgname;
  argc--;
  argv++;
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (error->message);
  g_set_prgname ("ladle");
  for (i = 1; i < (guint) argc; i++)
    if (strcmp (argv[i], "--") != 0 && argv[i][0] == '-' && argv[i][1] != '\0')
      {
        g_autofree char *text = g_strdup_printf (_("unknown option %s"), argv[i]);
        return usage_error (text);
      }

  if (!setup_credentials (app, argv_copy, &error))
    return usage_error (error->message);

  n_urls = 0;
  for (i = 1; i < (guint) argc; i++)
    if (strcmp (argv[i], "--") != 0)
      argv[++n_urls] = argv[i];
  argc = n_urls + 1;

  if (app->command == COMMAND_PUT)
    {
      if (argc != 3)
        return usage_error (_("put wants a URL and a FILE"));
      app->upload_path = g_strdup (argv[2]);
      n_urls = 1;
    }
  else if (app->command == COMMAND_POST && argc != 2)
    return usage_error (_("post wants one URL"));
  else if (argc < 2)
    return usage_error (_("get wants at least one URL"));

  if (app->parallel < 1 || app->parallel > 64)
    return usage_error (_("--parallel wants a number from 1 to 64"));
  if (app->command == COMMAND_GET && app->output != NULL && app->remote_name)
    return usage_error (_("-o and -O do not go together"));
  if (app->command == COMMAND_GET && app->output != NULL && n_urls > 1)
    return usage_error (_("-o names the file of one URL: use -O (the default) for several"));
  if (app->output_dir != NULL && app->output != NULL)
    return usage_error (_("-P is for the files named by -O"));
  if (app->resume && g_strcmp0 (app->output, "-") == 0)
    return usage_error (_("-c needs a file: it cannot resume stdout"));
  if (app->json && g_strcmp0 (app->output, "-") == 0)
    return usage_error (_("--json prints on stdout: -o - does not go with it"));
  if (app->form != NULL && app->data != NULL)
    return usage_error (_("-F and -d do not go together"));
  if (app->command == COMMAND_GET && app->output == NULL)
    app->remote_name = TRUE;
  if (g_strcmp0 (app->output, "-") == 0)
    g_clear_pointer (&app->output, g_free);
  if (app->command == COMMAND_GET && app->remote_name)
    {
      if (!check_directory (app->output_dir != NULL ? app->output_dir : ".", &error))
        {
          fprintf (stderr, "ladle: %s\n", error->message);
          return EXIT_FILE;
        }
    }
  /* -H and -F are checked before anything is sent; the form is built once (its files are
   * looked at now, read only while the request is sent) */
  {
    g_autoptr(SoupMessage) probe = soup_message_new ("GET", "http://localhost/");

    if (!ladle_cli_add_headers (app, probe, &error))
      return usage_error (error->message);
  }
  if (app->form != NULL)
    {
      app->form_object = ladle_multipart_form_new ();
      for (i = 0; app->form[i] != NULL; i++)
        if (!ladle_cli_append_form_field (app->form_object, app->form[i], &error))
          {
            if (error->domain == G_OPTION_ERROR)
              return usage_error (error->message);
            fprintf (stderr, "ladle: %s\n", error->message);
            return ladle_cli_exit_code_for_error (app, error);
          }
    }

  for (i = 0; i < n_urls; i++)
    {
      LadleCliTransfer *t = transfer_new (app, argv[i + 1], &error);

      if (t == NULL)
        return usage_error (error->message);
      if (t->user != NULL && app->user_option == NULL)
        hide_url_passwords (argv_copy);
      t->index = i;
      g_ptr_array_add (app->transfers, t);
      if (app->command == COMMAND_GET && app->remote_name)
        {
          g_autofree char *name = ladle_cli_url_file_name (t->uri);

          t->remote_name = TRUE;
          t->name = g_strdup (name);
          if (app->resume)
            {
              g_autofree char *path = app->output_dir != NULL ? g_build_filename (app->output_dir, name, NULL)
                                                              : g_strdup (name);
              t->resume_path = g_strconcat (path, RESUME_SUFFIX, NULL);
            }
        }
      else
        {
          t->output = g_strdup (app->output);
          if (app->command == COMMAND_GET && t->output != NULL)
            {
              t->name = g_path_get_basename (t->output);
              if (app->resume)
                t->resume_path = g_strconcat (t->output, RESUME_SUFFIX, NULL);
              if (!check_output_file (t->output, &error))
                {
                  fprintf (stderr, "ladle: %s\n", error->message);
                  return EXIT_FILE;
                }
            }
          else if (app->command == COMMAND_PUT)
            t->name = g_path_get_basename (app->upload_path);
          else
            t->name = ladle_cli_url_file_name (t->uri);
        }
      if (app->command != COMMAND_GET && app->json && app->output == NULL)
        t->discard_body = TRUE;   /* the body has nowhere to go: stdout is the JSON's */
    }

  /* The terminal: a progress bar on stderr when it is one, unless the body itself goes there */
  if (!app->quiet)
    {
      gboolean body_on_terminal = isatty (STDOUT_FILENO) &&
                                  ((app->command == COMMAND_GET && app->output == NULL && !app->remote_name) ||
                                   (app->command != COMMAND_GET && app->output == NULL && !app->json));
      const char *term = g_getenv ("TERM");

      if (isatty (STDERR_FILENO) && g_strcmp0 (term, "dumb") != 0 && !body_on_terminal)
        app->bar = TRUE;
      else if (!body_on_terminal)
        app->plain = TRUE;
    }

  /* One session for every transfer. Partial downloads live in Ladle's state directory when -c
   * may need them again (XDG_STATE_HOME/ladle/cli), else in a private directory that goes with
   * the session: partial output never sits under the destination's name. */
  configuration = ladle_session_configuration_new_ephemeral ();
  /* a command that checks servers shows their answers, never a cached one (as curl does) */
  ladle_session_configuration_set_cache_size (configuration, 0);
  if (app->resume)
    {
      g_autofree char *state = g_build_filename (g_get_user_state_dir (), "ladle", "cli", NULL);
      ladle_session_configuration_set_state_directory (configuration, state);
    }
  if (app->timeout > 0)
    ladle_session_configuration_set_timeout (configuration, (guint) app->timeout);
  if ((guint) app->parallel > ladle_session_configuration_get_max_connections_per_host (configuration))
    ladle_session_configuration_set_max_connections_per_host (configuration, (guint) app->parallel);
  ladle_session_configuration_set_user_agent (configuration,
                                              app->user_agent != NULL ? app->user_agent : "ladle/" PACKAGE_VERSION);
  if (app->cacert != NULL)
    {
      g_autoptr(GTlsDatabase) database = NULL;

      if (!g_file_test (app->cacert, G_FILE_TEST_IS_REGULAR))
        {
          fprintf (stderr, _("ladle: %s: no such file\n"), app->cacert);
          return EXIT_FILE;
        }
      database = g_tls_file_database_new (app->cacert, &error);
      if (database == NULL)
        {
          fprintf (stderr, "ladle: %s: %s\n", app->cacert, error->message);
          return EXIT_FILE;
        }
      ladle_session_configuration_set_tls_database (configuration, database);
    }
  app->session = ladle_session_new (configuration);

  app->loop = g_main_loop_new (NULL, FALSE);
  app->sigint_id = g_unix_signal_add (SIGINT, ladle_cli_sigint_cb, app);
  app->sigterm_id = g_unix_signal_add (SIGTERM, ladle_cli_sigterm_cb, app);
  if (app->bar)
    app->redraw_id = g_timeout_add (REDRAW_MS, ladle_cli_redraw_cb, app);

  ladle_cli_start_more (app);
  if (app->running > 0 || app->next < app->transfers->len)
    g_main_loop_run (app->loop);

  if (app->bar)
    {
      ladle_cli_redraw (app);
      if (app->live_lines > 0)
        fputc ('\n', stderr);
      fflush (stderr);
    }
  g_clear_handle_id (&app->redraw_id, g_source_remove);
  g_clear_handle_id (&app->sigint_id, g_source_remove);
  g_clear_handle_id (&app->sigterm_id, g_source_remove);

  if (app->signal_number != 0)
    status = 128 + app->signal_number;
  else
    for (i = 0; i < app->transfers->len; i++)
      {
        LadleCliTransfer *t = g_ptr_array_index (app->transfers, i);

        if (t->exit_code != EXIT_OK)
          {
            status = t->exit_code;
            break;
          }
      }

  ladle_session_invalidate_and_cancel (app->session);
  /* what the invalidation queued (a bounded number of idle callbacks) */
  for (i = 0; i < 100 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
  return status;
}

int
main (int    argc,
      char **argv)
{
  LadleCliApp app = { 0 };
  g_autofree char **argv_copy = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* A closed pipe is a write error of the transfer, not a silent death */
  signal (SIGPIPE, SIG_IGN);

  if (argc < 2)
    {
      fprintf (stderr, _("ladle: no command\n"));
      print_usage (stderr);
      return EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("ladle %s (libladle %u.%u.%u)\n", PACKAGE_VERSION, LADLE_MAJOR_VERSION, LADLE_MINOR_VERSION,
              LADLE_MICRO_VERSION);
      return EXIT_OK;
    }

  /* the strings themselves, for hide_password(): the parser reorders argv's pointers */
  argv_copy = g_memdup2 (argv, sizeof (char *) * (argc + 1));
  app.parallel = 1;
  app.umask = umask (022);
  umask (app.umask);
  app.max_redirects = -1;
  app.transfers = g_ptr_array_new_with_free_func ((GDestroyNotify) ladle_cli_transfer_free);
  app.pending_lines = g_ptr_array_new_with_free_func (g_free);
  app.claimed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  status = run (&app, argc, argv, argv_copy);

  g_ptr_array_unref (app.transfers);
  g_ptr_array_unref (app.pending_lines);
  g_hash_table_unref (app.claimed);
  g_clear_object (&app.session);
  g_clear_pointer (&app.loop, g_main_loop_unref);
  g_strfreev (app.headers);
  g_strfreev (app.form);
  g_clear_object (&app.form_object);
  if (app.password != NULL)
    explicit_bzero (app.password, strlen (app.password));
  g_free (app.password);
  g_free (app.user);
  g_free (app.user_option);
  g_free (app.user_agent);
  g_free (app.cacert);
  g_free (app.output);
  g_free (app.output_dir);
  g_free (app.content_type);
  g_free (app.data);
  g_free (app.upload_path);
  return status;
}
