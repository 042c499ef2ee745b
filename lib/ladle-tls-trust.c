/* ladle-tls-trust.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * TLS trust rules (private): the origins whose connections may carry a certificate that only
 * some task accepted, and whether a peer certificate needs the application's answer.
 *
 * libsoup 3.2 asks about an untrusted certificate once per connection and then reuses the
 * connection for any message to the same host and port. A task that accepted a certificate
 * must not lend that decision to the others: the session remembers the origin and sends every
 * later request there on a fresh connection, and each task checks every response's
 * certificate itself (_ladle_tls_verdict()).
 */

#include "config.h"

#include "ladle-origin-private.h"
#include "ladle-tls-trust-private.h"

struct _LadleTlsTrust
{
  GHashTable *exceptions;  /* origin strings (_ladle_origin_to_string()), a set */
};

LadleTlsTrust *
_ladle_tls_trust_new (void)
{
  LadleTlsTrust *self = g_new0 (LadleTlsTrust, 1);

  self->exceptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  return self;
}

void
_ladle_tls_trust_free (LadleTlsTrust *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->exceptions, g_hash_table_unref);
  g_free (self);
}

void
_ladle_tls_trust_remember_exception (LadleTlsTrust *self,
                                     GUri          *uri)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (uri != NULL);

  g_hash_table_add (self->exceptions, _ladle_origin_to_string (uri));
}

gboolean
_ladle_tls_trust_needs_new_connection (LadleTlsTrust *self,
                                       GUri          *uri)
{
  g_autofree char *origin = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);

  origin = _ladle_origin_to_string (uri);

  return g_hash_table_contains (self->exceptions, origin);
}

void
_ladle_tls_trust_prepare_message (LadleTlsTrust *self,
                                  SoupMessage   *message)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (SOUP_IS_MESSAGE (message));

  if (_ladle_tls_trust_needs_new_connection (self, soup_message_get_uri (message)))
    soup_message_add_flags (message, SOUP_MESSAGE_NEW_CONNECTION);
}

LadleTlsVerdict
_ladle_tls_verdict (GTlsCertificate      *accepted,
                    GTlsCertificate      *peer,
                    GTlsCertificateFlags  errors)
{
  g_return_val_if_fail (accepted == NULL || G_IS_TLS_CERTIFICATE (accepted), LADLE_TLS_VERDICT_ASK);
  g_return_val_if_fail (peer == NULL || G_IS_TLS_CERTIFICATE (peer), LADLE_TLS_VERDICT_ASK);

  if (errors == 0 || peer == NULL)
    return LADLE_TLS_VERDICT_TRUSTED;
  /* A new connection (a redirect hop, an authentication retry, a response on a connection
   * another task opened) to the certificate this task accepted. */
  if (accepted != NULL && g_tls_certificate_is_same (accepted, peer))
    return LADLE_TLS_VERDICT_ACCEPTED;

  return LADLE_TLS_VERDICT_ASK;
}
