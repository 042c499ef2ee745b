/* ladle-redirect.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Redirect rules (private): whether a response redirects, and the request of the next hop.
 *
 * Ladle follows redirects itself (every message is sent with SOUP_MESSAGE_NO_REDIRECT) so that
 * the application sees and may edit each hop, and so that a hostile Location cannot take
 * credentials, a body or a non-HTTP scheme where they do not belong.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include "ladle-error.h"
#include "ladle-origin-private.h"
#include "ladle-redirect-private.h"

gboolean
_ladle_redirect_is_redirect_status (guint status)
{
  return status == SOUP_STATUS_MOVED_PERMANENTLY ||
         status == SOUP_STATUS_FOUND ||
         status == SOUP_STATUS_SEE_OTHER ||
         status == SOUP_STATUS_TEMPORARY_REDIRECT ||
         status == SOUP_STATUS_PERMANENT_REDIRECT;
}

/* Unlike _ladle_uri_strip_credentials(), keeps the Location's fragment: it names a part of the
 * new resource (and is never sent). */
static GUri *
location_without_credentials (GUri *uri)
{
  return g_uri_build (g_uri_get_flags (uri),
                      g_uri_get_scheme (uri),
                      NULL,
                      g_uri_get_host (uri),
                      g_uri_get_port (uri),
                      g_uri_get_path (uri),
                      g_uri_get_query (uri),
                      g_uri_get_fragment (uri));
}

static void
copy_disabled_features (SoupMessage *from,
                        SoupMessage *to)
{
  /* libsoup cannot list a message's disabled features: ask for each kind it ships. */
  const GType features[] = {
    SOUP_TYPE_CONTENT_DECODER, SOUP_TYPE_COOKIE_JAR, SOUP_TYPE_CACHE, SOUP_TYPE_AUTH_MANAGER,
    SOUP_TYPE_LOGGER, SOUP_TYPE_CONTENT_SNIFFER, SOUP_TYPE_HSTS_ENFORCER,
  };

  for (guint i = 0; i < G_N_ELEMENTS (features); i++)
    if (soup_message_is_feature_disabled (from, features[i]))
      soup_message_disable_feature (to, features[i]);
}

SoupMessage *
_ladle_redirect_build_next (SoupMessage  *message,
                            guint         n_redirects,
                            guint         max_redirects,
                            gboolean      can_resend_body,
                            GError      **error)
{
  SoupMessageHeaders *request_headers;
  SoupMessageHeaders *response_headers;
  GUri *base;
  const char *location;
  const char *method;
  guint status;
  g_autoptr(GUri) target = NULL;
  g_autoptr(GUri) clean_target = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(SoupMessage) next = NULL;
  gboolean becomes_get = FALSE;

  g_return_val_if_fail (SOUP_IS_MESSAGE (message), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  request_headers = soup_message_get_request_headers (message);
  response_headers = soup_message_get_response_headers (message);
  base = soup_message_get_uri (message);
  method = soup_message_get_method (message);
  status = soup_message_get_status (message);

  location = soup_message_headers_get_one (response_headers, "Location");
  if (location == NULL || *location == '\0')
    return NULL;

  target = g_uri_parse_relative (base, location, SOUP_HTTP_URI_FLAGS, &local_error);
  if (target == NULL)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNSUPPORTED_REDIRECT,
                   _("Invalid redirect location “%s”: %s"), location, local_error->message);
      return NULL;
    }
  if (!_ladle_uri_is_http (target))
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_UNSUPPORTED_REDIRECT,
                   _("Refusing to follow a redirect to “%s”: only http and https are allowed"),
                   location);
      return NULL;
    }
  if (n_redirects >= max_redirects)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_TOO_MANY_REDIRECTS,
                   _("Too many redirects (the limit is %u)"), max_redirects);
      return NULL;
    }

  /* libsoup interns every message's method, so the SOUP_METHOD_* pointers compare. */
  if (status == SOUP_STATUS_SEE_OTHER)
    becomes_get = method != SOUP_METHOD_HEAD && method != SOUP_METHOD_GET;
  else if (status == SOUP_STATUS_MOVED_PERMANENTLY || status == SOUP_STATUS_FOUND)
    becomes_get = method == SOUP_METHOD_POST;

  /* 307 and 308 resend the body; only bodies that Ladle can produce again may be resent. */
  if (!becomes_get && method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD &&
      soup_message_headers_get_encoding (request_headers) != SOUP_ENCODING_NONE &&
      soup_message_headers_get_content_length (request_headers) != 0 &&
      !can_resend_body)
    return NULL;

  /* Credentials in a Location are never followed blindly. */
  clean_target = location_without_credentials (target);
  next = soup_message_new_from_uri (becomes_get ? SOUP_METHOD_GET : method, clean_target);

  _ladle_headers_copy_for_hop (request_headers,
                               soup_message_get_request_headers (next),
                               becomes_get,
                               _ladle_origin_same (base, clean_target));

  soup_message_set_flags (next, soup_message_get_flags (message));
  soup_message_set_priority (next, soup_message_get_priority (message));
  soup_message_set_is_top_level_navigation (next, soup_message_get_is_top_level_navigation (message));
  if (soup_message_get_first_party (message) != NULL)
    soup_message_set_first_party (next, soup_message_get_first_party (message));
  copy_disabled_features (message, next);

  return g_steal_pointer (&next);
}
