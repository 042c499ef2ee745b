/* ladle-debug.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ladle-debug-private.h"
#include "ladle-origin-private.h"

static const GDebugKey debug_keys[] = {
  { "no-direct-body", LADLE_DEBUG_NO_DIRECT_BODY },
  { "no-h2-body-workaround", LADLE_DEBUG_NO_H2_BODY_WORKAROUND },
  { "http", LADLE_DEBUG_HTTP },
  { "no-splice-body", LADLE_DEBUG_NO_SPLICE_BODY },
};

/* What `LADLE_DEBUG=help` says of each flag, in the order of debug_keys. */
static const char * const debug_help[] = {
  "libsoup writes every request body (no direct HTTP/1 copy of large bodies)",
  "request bodies go to libsoup unwrapped (no HTTP/2 body workaround)",
  "log request and response headers to stderr, credentials redacted, no bodies",
  "libsoup reads every download body (no splice() from the socket to the partial file)",
};

G_STATIC_ASSERT (G_N_ELEMENTS (debug_keys) == G_N_ELEMENTS (debug_help));

static gboolean
has_token (const char *value,
           const char *token)
{
  g_auto(GStrv) tokens = g_strsplit_set (value, ",:; \t", -1);

  for (guint i = 0; tokens[i] != NULL; i++)
    if (g_ascii_strcasecmp (tokens[i], token) == 0)
      return TRUE;
  return FALSE;
}

static void
print_help (void)
{
  GString *help = g_string_new ("Supported LADLE_DEBUG values (comma-separated):\n");

  for (guint i = 0; i < G_N_ELEMENTS (debug_keys); i++)
    g_string_append_printf (help, "  %-22s %s\n", debug_keys[i].key, debug_help[i]);
  g_string_append_printf (help, "  %-22s %s\n", "all", "every flag above");
  g_string_append_printf (help, "  %-22s %s\n", "help", "this list");
  g_printerr ("%s", help->str);
  g_string_free (help, TRUE);
}

/* Read once: the flags apply to the whole process. */
LadleDebugFlags
_ladle_debug_flags (void)
{
  static gsize flags = 0;

  if (g_once_init_enter (&flags))
    {
      const char *value = g_getenv ("LADLE_DEBUG");
      guint parsed = 0;

      if (value != NULL && has_token (value, "help"))
        {
          /* Ours, with what each flag does, instead of g_parse_debug_string()'s list of names. */
          g_auto(GStrv) tokens = g_strsplit_set (value, ",:; \t", -1);
          g_autofree char *rest = NULL;
          GStrvBuilder *builder = g_strv_builder_new ();
          g_auto(GStrv) kept = NULL;

          print_help ();
          for (guint i = 0; tokens[i] != NULL; i++)
            if (g_ascii_strcasecmp (tokens[i], "help") != 0)
              g_strv_builder_add (builder, tokens[i]);
          kept = g_strv_builder_end (builder);
          g_strv_builder_unref (builder);
          rest = g_strjoinv (",", kept);
          parsed = g_parse_debug_string (rest, debug_keys, G_N_ELEMENTS (debug_keys));
        }
      else
        parsed = g_parse_debug_string (value, debug_keys, G_N_ELEMENTS (debug_keys));

      /* 0 means "not read yet" to g_once_init_enter(): keep a bit that no flag uses. */
      g_once_init_leave (&flags, parsed | (1u << 31));
    }

  return flags & ~(1u << 31);
}

static gboolean
is_token (const char *text,
          gsize       length)
{
  if (length == 0)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!(g_ascii_isalnum (text[i]) || strchr ("!#$%&'*+-.^_`|~", text[i]) != NULL))
      return FALSE;
  return TRUE;
}

static gboolean
header_is_secret (LadleSessionConfiguration *configuration,
                  const char                *name)
{
  return _ladle_header_is_credential (name) ||
         g_ascii_strcasecmp (name, "Set-Cookie") == 0 ||
         g_ascii_strcasecmp (name, "Set-Cookie2") == 0 ||
         (configuration != NULL && ladle_session_configuration_get_header_sensitive (configuration, name));
}

char *
_ladle_debug_http_line (LadleSessionConfiguration *configuration,
                        char                       direction,
                        const char                *data)
{
  const char *colon = strchr (data, ':');

  if (*data == '\0')
    return NULL;   /* the blank line after each message's headers */

  if ((direction == '>' || direction == '<') && colon != NULL && colon[1] == ' ' &&
      is_token (data, colon - data))
    {
      g_autofree char *name = g_strndup (data, colon - data);

      /* libsoup decodes Basic credentials into its line ("Basic [user:password]"): the
       * value never goes out, whatever its form. */
      if (header_is_secret (configuration, name))
        return g_strdup_printf ("%c %s: [redacted]", direction, name);
      return g_strdup_printf ("%c %s", direction, data);
    }

  if (direction == '>')
    {
      /* The request line, "GET /path?query HTTP/1.1": the query may carry secrets. */
      const char *target = strchr (data, ' ');
      const char *query = target != NULL ? strchr (target + 1, '?') : NULL;
      const char *version = target != NULL ? strchr (target + 1, ' ') : NULL;

      if (query != NULL && version != NULL && query < version)
        return g_strdup_printf ("%c %.*s?[query hidden]%s", direction, (int) (query - data), data, version);
    }

  return g_strdup_printf ("%c %s", direction, data);
}

static void
http_printer (SoupLogger         *logger,
              SoupLoggerLogLevel  level,
              char                direction,
              const char         *data,
              gpointer            user_data)
{
  g_autofree char *line = _ladle_debug_http_line (user_data, direction, data);

  if (line != NULL)
    g_printerr ("Ladle-HTTP: %s\n", line);
}

void
_ladle_debug_setup_session (SoupSession               *session,
                            LadleSessionConfiguration *configuration)
{
  g_autoptr(SoupLogger) logger = NULL;

  /* Read here too, so that LADLE_DEBUG=help answers as soon as a session exists. */
  if (!(_ladle_debug_flags () & LADLE_DEBUG_HTTP))
    return;

  /* Headers only: bodies stay out of the log. */
  logger = soup_logger_new (SOUP_LOGGER_LOG_HEADERS);
  soup_logger_set_printer (logger, http_printer, g_object_ref (configuration), g_object_unref);
  soup_session_add_feature (session, SOUP_SESSION_FEATURE (logger));
}
