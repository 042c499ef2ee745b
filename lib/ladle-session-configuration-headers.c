/* ladle-session-configuration-headers.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The extra headers of a session configuration and its sensitive marks (private store, public
 * accessors of LadleSessionConfiguration).
 *
 * An extra header is sent with every request of the session that does not set it itself. A
 * sensitive header (the credential headers always are) goes only to the origin of the task's
 * original request and never into resume data; the session applies and strips them through
 * the calls of ladle-session-configuration-private.h.
 */

#include "config.h"

#include "ladle-origin-private.h"
#include "ladle-session-configuration.h"
#include "ladle-session-configuration-headers-private.h"
#include "ladle-session-configuration-private.h"

typedef struct
{
  char *name;
  char *value;
} Header;

static void
header_free (gpointer data)
{
  Header *header = data;

  g_free (header->name);
  g_free (header->value);
  g_free (header);
}

static Header *
header_new (const char *name,
            const char *value)
{
  Header *header = g_new0 (Header, 1);

  header->name = g_strdup (name);
  header->value = g_strdup (value);

  return header;
}

struct _LadleExtraHeaders
{
  GHashTable *headers;    /* case-folded name → (name, value) pair */
  GHashTable *sensitive;  /* case-folded names of headers marked sensitive */
};

LadleExtraHeaders *
_ladle_extra_headers_new (void)
{
  LadleExtraHeaders *self = g_new0 (LadleExtraHeaders, 1);

  self->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, header_free);
  self->sensitive = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  return self;
}

void
_ladle_extra_headers_free (LadleExtraHeaders *self)
{
  g_hash_table_unref (self->headers);
  g_hash_table_unref (self->sensitive);
  g_free (self);
}

/* Adds every header and sensitive mark of @self to @into. */
void
_ladle_extra_headers_copy_into (LadleExtraHeaders *self,
                                LadleExtraHeaders *into)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->headers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Header *header = value;

      g_hash_table_replace (into->headers, g_ascii_strdown (header->name, -1),
                            header_new (header->name, header->value));
    }
  g_hash_table_iter_init (&iter, self->sensitive);
  while (g_hash_table_iter_next (&iter, &value, NULL))
    g_hash_table_add (into->sensitive, g_strdup (value));
}

static inline LadleExtraHeaders *
extra_headers (LadleSessionConfiguration *self)
{
  return _ladle_session_configuration_get_extra_headers (self);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_ascii_strcasecmp (*(const char * const *)a, *(const char * const *)b);
}

static gboolean
header_text_is_valid (const char *text)
{
  for (const char *p = text; *p; p++)
    if (*p == '\r' || *p == '\n')
      return FALSE;
  return TRUE;
}

/**
 * ladle_session_configuration_get_header:
 * @self: a configuration
 * @name: a header name, compared without regard to case
 *
 * Returns: (nullable): the value of the extra header @name, or %NULL
 */
const char *
ladle_session_configuration_get_header (LadleSessionConfiguration *self,
                                        const char                *name)
{
  g_autofree char *key = NULL;
  Header *header;

  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  key = g_ascii_strdown (name, -1);
  header = g_hash_table_lookup (extra_headers (self)->headers, key);

  return header ? header->value : NULL;
}

/**
 * ladle_session_configuration_set_header:
 * @self: a configuration
 * @name: a header name
 * @value: (nullable): the value, or %NULL to remove the header
 *
 * Sets an extra header sent with every request of the session, unless the request sets the same
 * header itself. Names and values with CR or LF characters are refused.
 */
void
ladle_session_configuration_set_header (LadleSessionConfiguration *self,
                                        const char                *name,
                                        const char                *value)
{
  Header *header;
  char *key;

  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));
  g_return_if_fail (name != NULL && *name != '\0' && header_text_is_valid (name));
  g_return_if_fail (value == NULL || header_text_is_valid (value));

  key = g_ascii_strdown (name, -1);
  if (value == NULL)
    {
      g_hash_table_remove (extra_headers (self)->headers, key);
      g_free (key);
      return;
    }

  header = header_new (name, value);
  g_hash_table_replace (extra_headers (self)->headers, key, header);
}

/**
 * ladle_session_configuration_set_header_sensitive:
 * @self: a configuration
 * @name: a header name, compared without regard to case
 * @sensitive: whether the header carries a secret
 *
 * Marks a header as a credential, like `Authorization`, `Proxy-Authorization` and `Cookie`,
 * which always are: an API key header such as `X-Api-Key`, for instance. A sensitive header,
 * whether set on a request or with [method@Ladle.SessionConfiguration.set_header], is sent
 * only to the origin (scheme, host and port) of the task's original request: it is removed
 * from a redirect that leaves that origin, and never written into resume data.
 */
void
ladle_session_configuration_set_header_sensitive (LadleSessionConfiguration *self,
                                                  const char                *name,
                                                  gboolean                   sensitive)
{
  g_return_if_fail (LADLE_IS_SESSION_CONFIGURATION (self));
  g_return_if_fail (name != NULL && *name != '\0' && header_text_is_valid (name));

  if (sensitive)
    g_hash_table_add (extra_headers (self)->sensitive, g_ascii_strdown (name, -1));
  else
    {
      g_autofree char *key = g_ascii_strdown (name, -1);

      g_hash_table_remove (extra_headers (self)->sensitive, key);
    }
}

/**
 * ladle_session_configuration_get_header_sensitive:
 * @self: a configuration
 * @name: a header name, compared without regard to case
 *
 * Returns: whether @name is sent only to the origin of a task's original request: the
 *   credential headers always are, others when marked with
 *   [method@Ladle.SessionConfiguration.set_header_sensitive]
 */
gboolean
ladle_session_configuration_get_header_sensitive (LadleSessionConfiguration *self,
                                                  const char                *name)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (_ladle_header_is_credential (name))
    return TRUE;

  key = g_ascii_strdown (name, -1);
  return g_hash_table_contains (extra_headers (self)->sensitive, key);
}

/**
 * ladle_session_configuration_dup_header_names:
 * @self: a configuration
 *
 * Returns: (transfer full) (array zero-terminated=1): the names of the extra headers, sorted
 */
char **
ladle_session_configuration_dup_header_names (LadleSessionConfiguration *self)
{
  GPtrArray *names;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (LADLE_IS_SESSION_CONFIGURATION (self), NULL);

  names = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, extra_headers (self)->headers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (names, g_strdup (((Header *)value)->name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);

  return (char **)g_ptr_array_free (names, FALSE);
}

/* Adds the extra headers the request does not set itself; the sensitive ones only when
 * @same_origin (the request goes to the origin of the task's original request). */
void
_ladle_session_configuration_apply_headers (LadleSessionConfiguration *self,
                                            SoupMessageHeaders        *headers,
                                            gboolean                   same_origin)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, extra_headers (self)->headers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Header *header = value;

      if (!same_origin && ladle_session_configuration_get_header_sensitive (self, header->name))
        continue;
      if (soup_message_headers_get_one (headers, header->name) == NULL)
        soup_message_headers_append (headers, header->name, header->value);
    }
}

typedef struct
{
  LadleSessionConfiguration *self;
  GPtrArray                 *names;
} SensitiveNames;

static void
collect_sensitive (const char *name,
                   const char *value,
                   gpointer    user_data)
{
  SensitiveNames *found = user_data;

  if (ladle_session_configuration_get_header_sensitive (found->self, name))
    g_ptr_array_add (found->names, g_strdup (name));
}

/* Removes the sensitive headers (credentials and marked ones) from @headers. */
void
_ladle_session_configuration_remove_sensitive (LadleSessionConfiguration *self,
                                               SoupMessageHeaders        *headers)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  SensitiveNames found = { self, names };

  soup_message_headers_foreach (headers, collect_sensitive, &found);
  for (guint i = 0; i < names->len; i++)
    soup_message_headers_remove (headers, g_ptr_array_index (names, i));
}

/* The names marked sensitive (the credential headers are always), NULL-terminated. */
char **
_ladle_session_configuration_dup_sensitive (LadleSessionConfiguration *self)
{
  GPtrArray *names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, extra_headers (self)->sensitive);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  g_ptr_array_add (names, NULL);

  return (char **)g_ptr_array_free (names, FALSE);
}
