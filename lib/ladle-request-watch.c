/* ladle-request-watch.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleRequestWatch: what libsoup reports on the message a task is sending (private).
 *
 * Authentication challenges (answered from the URL's own credentials for their origin, then by
 * the task's and the session's handlers), untrusted certificates (asked once per certificate
 * and task, with the session's TLS trust told when one is accepted), restarts and body writes
 * (upload progress). The transfer engine attaches it to each message it sends.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include <string.h>

#include "ladle-origin-private.h"
#include "ladle-request-watch-private.h"
#include "ladle-session-private.h"
#include "ladle-task-private.h"
#include "ladle-tls-trust-private.h"

struct _LadleRequestWatch
{
  LadleTask       *task;                  /* owns the transfer that owns this */
  SoupMessage     *watched;               /* the message the handlers below are on */
  char            *app_cookie;            /* the Cookie header the request carried itself */
  gulong           handlers[6];
  guint            n_handlers;
  GTlsCertificate *accepted_certificate;  /* what this task accepted */
  char            *url_user;              /* credentials of the request's URL, for its origin only */
  char            *url_password;
  GUri            *url_origin;
};

/* libsoup's signals on the message being sent */

static gboolean
on_message_authenticate (SoupMessage   *message,
                         SoupAuth      *auth,
                         gboolean       retrying,
                         LadleRequestWatch *self)
{
  /* Credentials from the URL answer the first challenge of their own origin, never a proxy's. */
  if (!retrying && !soup_auth_is_for_proxy (auth) && self->url_user != NULL &&
      _ladle_origin_same (self->url_origin, soup_message_get_uri (message)))
    {
      soup_auth_authenticate (auth, self->url_user, self->url_password);
      return TRUE;
    }

  return _ladle_task_emit_authenticate (self->task, auth, retrying);
}

static gboolean
ask_accept_certificate (LadleRequestWatch    *self,
                        SoupMessage          *message,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors)
{
  if (!_ladle_task_emit_accept_certificate (self->task, certificate, errors))
    return FALSE;

  g_set_object (&self->accepted_certificate, certificate);
  /* libsoup would reuse this connection for other tasks without asking them: the session
   * opens fresh connections to this origin from now on. */
  {
    g_autoptr(LadleSession) session = _ladle_task_dup_session (self->task);

    if (session != NULL)
      _ladle_tls_trust_remember_exception (_ladle_session_get_tls_trust (session),
                                           soup_message_get_uri (message));
  }

  return TRUE;
}

static gboolean
on_message_accept_certificate (SoupMessage          *message,
                               GTlsCertificate      *certificate,
                               GTlsCertificateFlags  errors,
                               LadleRequestWatch    *self)
{
  /* A new connection (redirect hop, auth retry) to the certificate this task accepted. */
  if (_ladle_tls_verdict (self->accepted_certificate, certificate, errors) == LADLE_TLS_VERDICT_ACCEPTED)
    return TRUE;

  return ask_accept_certificate (self, message, certificate, errors);
}

static void
on_message_restarted (SoupMessage   *message,
                      LadleRequestWatch *self)
{
  LadleTaskClass *klass = LADLE_TASK_GET_CLASS (self->task);

  /* The body goes out again from its start; progress stays monotonic (ladle-progress.c). */
  _ladle_task_get_record (self->task)->bytes_sent = 0;
  if (klass->message_restarted != NULL)
    klass->message_restarted (self->task, message);
}

static void
on_message_wrote_body_data (SoupMessage   *message,
                            guint          chunk_size,
                            LadleRequestWatch *self)
{
  _ladle_task_add_bytes_sent (self->task, chunk_size);
}

static void
on_message_wrote_body (SoupMessage   *message,
                       LadleRequestWatch *self)
{
  _ladle_task_report_upload_progress (self->task, TRUE);
}

typedef enum
{
  MESSAGE_AUTHENTICATE,
  MESSAGE_ACCEPT_CERTIFICATE,
  MESSAGE_RESTARTED,
  MESSAGE_WROTE_BODY_DATA,
  MESSAGE_WROTE_BODY,
  MESSAGE_STARTING,
  N_MESSAGE_SIGNALS
} MessageSignal;

static guint message_signals[N_MESSAGE_SIGNALS];

static void
connect_message_signal (LadleRequestWatch *self,
                        MessageSignal      which,
                        GCallback          callback)
{
  self->handlers[self->n_handlers++] =
    g_signal_connect_closure_by_id (self->watched, message_signals[which], 0,
                                    g_cclosure_new (callback, self, NULL),
                                    which == MESSAGE_STARTING);
}

/* libsoup's cookie jar replaces a request's Cookie header with the jar's cookies as the
 * message starts (or removes it): the application's own cookies are put back in front of the
 * jar's, after the jar did its work. */
static void
on_message_starting (SoupMessage       *message,
                     LadleRequestWatch *self)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  const char *current = soup_message_headers_get_one (headers, "Cookie");

  if (current == NULL)
    soup_message_headers_replace (headers, "Cookie", self->app_cookie);
  else if (strcmp (current, self->app_cookie) != 0 &&
           !(g_str_has_prefix (current, self->app_cookie) &&
             g_str_has_prefix (current + strlen (self->app_cookie), "; ")))
    {
      g_autofree char *merged = g_strconcat (self->app_cookie, "; ", current, NULL);

      soup_message_headers_replace (headers, "Cookie", merged);
    }
}

void
_ladle_request_watch_detach (LadleRequestWatch *self)
{
  if (self->watched == NULL)
    return;

  for (guint i = 0; i < self->n_handlers; i++)
    g_signal_handler_disconnect (self->watched, self->handlers[i]);
  self->n_handlers = 0;
  g_clear_object (&self->watched);
}

/* Signal ids are looked up once: small requests connect handlers for every message. Body
 * signals are watched only when there is a body to watch. */
void
_ladle_request_watch_attach (LadleRequestWatch *self,
                             SoupMessage       *message)
{
  static gsize looked_up = 0;

  if (g_once_init_enter (&looked_up))
    {
      message_signals[MESSAGE_AUTHENTICATE] = g_signal_lookup ("authenticate", SOUP_TYPE_MESSAGE);
      message_signals[MESSAGE_ACCEPT_CERTIFICATE] = g_signal_lookup ("accept-certificate", SOUP_TYPE_MESSAGE);
      message_signals[MESSAGE_RESTARTED] = g_signal_lookup ("restarted", SOUP_TYPE_MESSAGE);
      message_signals[MESSAGE_WROTE_BODY_DATA] = g_signal_lookup ("wrote-body-data", SOUP_TYPE_MESSAGE);
      message_signals[MESSAGE_WROTE_BODY] = g_signal_lookup ("wrote-body", SOUP_TYPE_MESSAGE);
      message_signals[MESSAGE_STARTING] = g_signal_lookup ("starting", SOUP_TYPE_MESSAGE);
      g_once_init_leave (&looked_up, 1);
    }

  if (self->watched == message)
    return;
  _ladle_request_watch_detach (self);

  self->watched = g_object_ref (message);
  g_clear_pointer (&self->app_cookie, g_free);
  self->app_cookie = g_strdup (soup_message_headers_get_one (soup_message_get_request_headers (message), "Cookie"));
  if (self->app_cookie != NULL)
    connect_message_signal (self, MESSAGE_STARTING, G_CALLBACK (on_message_starting));
  connect_message_signal (self, MESSAGE_AUTHENTICATE, G_CALLBACK (on_message_authenticate));
  connect_message_signal (self, MESSAGE_ACCEPT_CERTIFICATE, G_CALLBACK (on_message_accept_certificate));
  if (LADLE_TASK_GET_CLASS (self->task)->message_restarted != NULL ||
      soup_message_headers_get_encoding (soup_message_get_request_headers (message)) != SOUP_ENCODING_NONE)
    {
      connect_message_signal (self, MESSAGE_RESTARTED, G_CALLBACK (on_message_restarted));
      connect_message_signal (self, MESSAGE_WROTE_BODY_DATA, G_CALLBACK (on_message_wrote_body_data));
      connect_message_signal (self, MESSAGE_WROTE_BODY, G_CALLBACK (on_message_wrote_body));
    }
}

/* libsoup 3.2 reuses a connection whose certificate some other task accepted without asking
 * this one: every response is checked here. */
gboolean
_ladle_request_watch_check_certificate (LadleRequestWatch  *self,
                                        SoupMessage        *message,
                                        GError            **error)
{
  GTlsCertificate *certificate = soup_message_get_tls_peer_certificate (message);
  GTlsCertificateFlags errors = soup_message_get_tls_peer_certificate_errors (message);

  switch (_ladle_tls_verdict (self->accepted_certificate, certificate, errors))
    {
    case LADLE_TLS_VERDICT_TRUSTED:
    case LADLE_TLS_VERDICT_ACCEPTED:
      return TRUE;
    case LADLE_TLS_VERDICT_ASK:
    default:
      if (ask_accept_certificate (self, message, certificate, errors))
        return TRUE;
      g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                           _("Unacceptable TLS certificate"));
      return FALSE;
    }
}

/* libsoup 3.2 writes user:password@ into the request line to a proxy and offers them as
 * Proxy-Authorization: keep them out of the URI and answer the origin's challenge ourselves. */
void
_ladle_request_watch_take_url_credentials (LadleRequestWatch *self,
                                           SoupMessage       *message)
{
  GUri *uri = soup_message_get_uri (message);
  g_autoptr(GUri) clean = NULL;

  if (g_uri_get_user (uri) == NULL)
    return;

  clean = _ladle_uri_strip_credentials (uri);
  g_free (self->url_user);
  g_free (self->url_password);
  self->url_user = g_strdup (g_uri_get_user (uri));
  self->url_password = g_strdup (g_uri_get_password (uri) ? g_uri_get_password (uri) : "");
  g_clear_pointer (&self->url_origin, g_uri_unref);
  self->url_origin = g_uri_ref (clean);
  soup_message_set_uri (message, clean);
}

LadleRequestWatch *
_ladle_request_watch_new (LadleTask *task)
{
  LadleRequestWatch *self = g_new0 (LadleRequestWatch, 1);

  self->task = task;

  return self;
}

void
_ladle_request_watch_free (LadleRequestWatch *self)
{
  if (self == NULL)
    return;

  _ladle_request_watch_detach (self);
  g_clear_object (&self->accepted_certificate);
  g_clear_pointer (&self->app_cookie, g_free);
  g_clear_pointer (&self->url_user, g_free);
  g_clear_pointer (&self->url_password, g_free);
  g_clear_pointer (&self->url_origin, g_uri_unref);
  g_free (self);
}
