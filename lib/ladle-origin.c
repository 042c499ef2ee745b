/* ladle-origin.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Origin rules (private): which URIs share an origin, which headers carry credentials or
 * describe a body, and what a redirect hop or resume data may copy from a request.
 *
 * Everything here is pure: no session, no task, no I/O, so that the rules can be tested
 * without a server and used by every task kind alike.
 */

#include "config.h"

#include <string.h>

#include "ladle-origin-private.h"

/* The port a URI reaches: its own, or its scheme's default. GLib fills the default in only
 * for URIs parsed with G_URI_FLAGS_SCHEME_NORMALIZE (libsoup's flags do), so both spellings
 * of a default port must meet here. */
static int
effective_port (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);
  int port = g_uri_get_port (uri);

  if (port != -1 || scheme == NULL)
    return port;
  if (g_ascii_strcasecmp (scheme, "http") == 0)
    return 80;
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return 443;

  return -1;
}

gboolean
_ladle_origin_same (GUri *a,
                    GUri *b)
{
  const char *scheme_a, *scheme_b, *host_a, *host_b;

  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  scheme_a = g_uri_get_scheme (a);
  scheme_b = g_uri_get_scheme (b);
  host_a = g_uri_get_host (a);
  host_b = g_uri_get_host (b);

  /* A URI without a host (file:///) has an opaque origin (RFC 6454, 4): it shares it with nothing. */
  if (scheme_a == NULL || scheme_b == NULL ||
      host_a == NULL || *host_a == '\0' || host_b == NULL || *host_b == '\0')
    return FALSE;

  return g_ascii_strcasecmp (scheme_a, scheme_b) == 0 &&
         g_ascii_strcasecmp (host_a, host_b) == 0 &&
         effective_port (a) == effective_port (b);
}

char *
_ladle_origin_to_string (GUri *uri)
{
  const char *host;
  g_autofree char *scheme = NULL;
  g_autofree char *lower_host = NULL;
  gboolean ipv6;

  g_return_val_if_fail (uri != NULL, NULL);

  host = g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : "";
  scheme = g_ascii_strdown (g_uri_get_scheme (uri) != NULL ? g_uri_get_scheme (uri) : "", -1);
  lower_host = g_ascii_strdown (host, -1);
  /* GLib hands IPv6 literals out without their brackets; without them the key's port would
   * not be told apart from the address. */
  ipv6 = strchr (host, ':') != NULL;

  return g_strdup_printf ("%s://%s%s%s:%d",
                          scheme,
                          ipv6 ? "[" : "",
                          lower_host,
                          ipv6 ? "]" : "",
                          effective_port (uri));
}

GUri *
_ladle_uri_strip_credentials (GUri *uri)
{
  g_return_val_if_fail (uri != NULL, NULL);

  /* g_uri_build() with no userinfo leaves user, password and auth params unset too. */
  return g_uri_build (g_uri_get_flags (uri),
                      g_uri_get_scheme (uri),
                      NULL,
                      g_uri_get_host (uri),
                      g_uri_get_port (uri),
                      g_uri_get_path (uri),
                      g_uri_get_query (uri),
                      NULL);
}

gboolean
_ladle_uri_is_http (GUri *uri)
{
  const char *scheme;
  const char *host;

  g_return_val_if_fail (uri != NULL, FALSE);

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);

  return scheme != NULL &&
         (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0) &&
         host != NULL && *host != '\0';
}

static gboolean
name_in (const char         *name,
         const char * const *names,
         gsize               n_names)
{
  for (gsize i = 0; i < n_names; i++)
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      return TRUE;

  return FALSE;
}

gboolean
_ladle_header_is_credential (const char *name)
{
  static const char * const credential_headers[] = {
    "Authorization", "Proxy-Authorization", "Cookie",
  };

  g_return_val_if_fail (name != NULL, FALSE);

  return name_in (name, credential_headers, G_N_ELEMENTS (credential_headers));
}

gboolean
_ladle_header_is_body (const char *name)
{
  static const char * const body_headers[] = {
    "Content-Type", "Content-Length", "Content-Encoding", "Content-Language",
    "Content-Location", "Content-MD5", "Content-Range", "Transfer-Encoding", "Expect",
  };

  g_return_val_if_fail (name != NULL, FALSE);

  return name_in (name, body_headers, G_N_ELEMENTS (body_headers));
}

typedef struct
{
  SoupMessageHeaders *to;
  gboolean            drop_body;
  gboolean            drop_credentials;
} CopyForHop;

static void
copy_for_hop (const char *name,
              const char *value,
              gpointer    user_data)
{
  CopyForHop *copy = user_data;

  /* libsoup writes the next hop's Host from its URI. */
  if (g_ascii_strcasecmp (name, "Host") == 0)
    return;
  if (copy->drop_body && _ladle_header_is_body (name))
    return;
  if (copy->drop_credentials && _ladle_header_is_credential (name))
    return;

  soup_message_headers_append (copy->to, name, value);
}

void
_ladle_headers_copy_for_hop (SoupMessageHeaders *from,
                             SoupMessageHeaders *to,
                             gboolean            drop_body,
                             gboolean            same_origin)
{
  CopyForHop copy = { to, drop_body, !same_origin };

  g_return_if_fail (from != NULL);
  g_return_if_fail (to != NULL);

  soup_message_headers_foreach (from, copy_for_hop, &copy);
}

gboolean
_ladle_header_is_storable (const char *name)
{
  /* Secrets are never written to resume data: the session's authentication handlers answer
   * again when the resumed request needs credentials. The others are remade for each request
   * (Host, framing, the ranges of the resume itself, the session's own User-Agent). */
  static const char * const skipped[] = {
    "Host", "Range", "If-Range", "Authorization", "Proxy-Authorization", "Cookie",
    "Accept-Encoding", "Connection", "Content-Length", "Transfer-Encoding", "User-Agent",
  };

  g_return_val_if_fail (name != NULL, FALSE);

  return !name_in (name, skipped, G_N_ELEMENTS (skipped));
}
