/* ladle-tls-trust-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The session's memory of origins where some task accepted an untrusted certificate: libsoup
 * 3.2 would reuse such a connection for other tasks without asking them, so requests to those
 * origins get SOUP_MESSAGE_NEW_CONNECTION. */
typedef struct _LadleTlsTrust LadleTlsTrust;

LadleTlsTrust *_ladle_tls_trust_new                  (void);
void           _ladle_tls_trust_free                 (LadleTlsTrust        *self);
void           _ladle_tls_trust_remember_exception   (LadleTlsTrust        *self,
                                                      GUri                 *uri);
gboolean       _ladle_tls_trust_needs_new_connection (LadleTlsTrust        *self,
                                                      GUri                 *uri);
/* Sets SOUP_MESSAGE_NEW_CONNECTION on @message when its origin needs it. */
void           _ladle_tls_trust_prepare_message      (LadleTlsTrust        *self,
                                                      SoupMessage          *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleTlsTrust, _ladle_tls_trust_free)

typedef enum
{
  LADLE_TLS_VERDICT_TRUSTED,   /* no errors or no certificate: nothing to ask */
  LADLE_TLS_VERDICT_ACCEPTED,  /* the certificate this task already accepted */
  LADLE_TLS_VERDICT_ASK,       /* ask the application */
} LadleTlsVerdict;

/* What to do with a response's (or a handshake's) peer certificate for a task that accepted
 * @accepted (nullable) earlier. */
LadleTlsVerdict _ladle_tls_verdict (GTlsCertificate      *accepted,
                                    GTlsCertificate      *peer,
                                    GTlsCertificateFlags  errors);

G_END_DECLS
