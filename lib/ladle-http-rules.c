/* ladle-http-rules.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The rules of LadleHttpClient that need no server: how parameters become form fields (for the
 * query and the urlencoded body, encoded by libsoup afterwards), how a response's media type
 * is matched against the acceptable ones, and how a final response is checked and decoded.
 */

#include "config.h"

#include <string.h>

#include "ladle-error.h"
#include "ladle-http-response.h"
#include "ladle-http-rules-private.h"
#include "ladle-i18n-private.h"

GHashTable *
_ladle_http_form_fields (JsonNode  *parameters,
                         GError   **error)
{
  g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GList) members = NULL;
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (parameters))
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST,
                   _("Query and form parameters must be a JSON object"));
      return NULL;
    }

  object = json_node_get_object (parameters);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *member = json_object_get_member (object, name);
      char *value;

      if (!JSON_NODE_HOLDS_VALUE (member))
        {
          g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST,
                       _("The parameter “%s” cannot be encoded in a query or form: "
                         "only strings, numbers and booleans can"), name);
          return NULL;
        }

      switch (json_node_get_value_type (member))
        {
        case G_TYPE_STRING:
          value = g_strdup (json_node_get_string (member));
          break;
        case G_TYPE_INT64:
          value = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (member));
          break;
        case G_TYPE_DOUBLE:
          {
            char buffer[G_ASCII_DTOSTR_BUF_SIZE];

            value = g_strdup (g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (member)));
          }
          break;
        case G_TYPE_BOOLEAN:
          value = g_strdup (json_node_get_boolean (member) ? "true" : "false");
          break;
        default:
          g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_REQUEST,
                       _("The parameter “%s” cannot be encoded in a query or form"), name);
          return NULL;
        }

      g_hash_table_replace (fields, g_strdup (name), value);
    }

  return g_steal_pointer (&fields);
}

/* @media_type (lowercase, no parameters) against one pattern (see the property). */
static gboolean
media_type_matches (const char *pattern,
                    const char *media_type)
{
  const char *pattern_slash = strchr (pattern, '/');
  const char *slash = strchr (media_type, '/');
  const char *pattern_subtype, *subtype;

  if (pattern_slash == NULL || slash == NULL)
    return FALSE;

  pattern_subtype = pattern_slash + 1;
  subtype = slash + 1;

  if (!(pattern_slash - pattern == 1 && pattern[0] == '*') &&
      !(pattern_slash - pattern == slash - media_type &&
        strncmp (pattern, media_type, slash - media_type) == 0))
    return FALSE;

  if (g_str_equal (pattern_subtype, "*"))
    return TRUE;
  if (g_str_has_prefix (pattern_subtype, "*+"))
    {
      const char *suffix = pattern_subtype + 1;   /* "+json" */

      return strlen (subtype) > strlen (suffix) && g_str_has_suffix (subtype, suffix);
    }

  return g_str_equal (pattern_subtype, subtype);
}

gboolean
_ladle_http_content_type_in (const char * const *types,
                             const char         *content_type)
{
  g_autofree char *media_type = NULL;
  const char *semicolon;

  if (types == NULL)
    return TRUE;
  if (content_type == NULL)
    return FALSE;

  /* Parameters are ignored; case does not matter. */
  semicolon = strchr (content_type, ';');
  media_type = g_ascii_strdown (content_type,
                                semicolon != NULL ? semicolon - content_type : -1);
  g_strstrip (media_type);

  for (gsize i = 0; types[i] != NULL; i++)
    if (media_type_matches (types[i], media_type))
      return TRUE;

  return FALSE;
}

/*
 * json-glib 1.6 (Debian 12) escapes the control characters of strings except U+001F, which JSON
 * forbids unescaped (a strict parser, PHP's json_decode() among them, refuses the whole body).
 * Control characters can only stand inside strings in JSON text: every one left is escaped here.
 */
GBytes *
_ladle_http_json_encode (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  GString *escaped;
  gsize length;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &length);

  escaped = g_string_sized_new (length);
  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar) text[i];

      if (c < 0x20)
        g_string_append_printf (escaped, "\\u%04x", (guint) c);
      else
        g_string_append_c (escaped, (char) c);
    }

  return g_string_free_to_bytes (escaped);
}

gboolean
_ladle_http_status_in (GArray *statuses,
                       guint   status)
{
  if (statuses == NULL)
    return TRUE;

  for (guint i = 0; i < statuses->len; i++)
    if (g_array_index (statuses, guint, i) == status)
      return TRUE;

  return FALSE;
}

JsonNode *
_ladle_http_parse_response (GArray              *statuses,
                            const char * const  *content_types,
                            LadleHttpResponse   *response,
                            GError             **error)
{
  GBytes *body = ladle_http_response_get_body (response);
  guint status = ladle_http_response_get_status (response);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *content_type;
  JsonNode *root;
  gsize length;
  const char *data;

  if (!_ladle_http_status_in (statuses, status))
    {
      const char *reason = ladle_http_response_get_reason_phrase (response);

      g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_STATUS,
                   _("Request failed: unacceptable status %u %s"), status,
                   reason != NULL ? reason : "");
      return NULL;
    }

  data = g_bytes_get_data (body, &length);
  if (length == 0)
    return json_node_new (JSON_NODE_NULL);

  content_type = soup_message_headers_get_one (ladle_http_response_get_headers (response),
                                               "Content-Type");
  if (!_ladle_http_content_type_in (content_types, ladle_http_response_get_content_type (response)))
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNACCEPTABLE_CONTENT_TYPE,
                   _("Request failed: unacceptable content type “%s”"),
                   content_type != NULL ? content_type : _("none"));
      return NULL;
    }

  if (length > G_MAXSSIZE)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_JSON, _("The JSON body is too large"));
      return NULL;
    }

  parser = json_parser_new_immutable ();
#if JSON_CHECK_VERSION (1, 10, 0)
  /* RFC 8259 only; older json-glib also accepts single-quoted strings. */
  json_parser_set_strict (parser, TRUE);
#endif
  if (!json_parser_load_from_data (parser, data, (gssize)length, &local_error))
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_JSON,
                   _("The response is not valid JSON: %s"), local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_INVALID_JSON,
                   _("The response is not valid JSON: no value"));
      return NULL;
    }

  return json_node_ref (root);
}
