/* ladle-session-configuration-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ladle-session-configuration.h"
#include "ladle-util-private.h"

G_BEGIN_DECLS

void   _ladle_session_configuration_apply_headers     (LadleSessionConfiguration *self,
                                                       SoupMessageHeaders        *headers,
                                                       gboolean                   same_origin);
void   _ladle_session_configuration_remove_sensitive  (LadleSessionConfiguration *self,
                                                       SoupMessageHeaders        *headers);
char **_ladle_session_configuration_dup_sensitive     (LadleSessionConfiguration *self);
gboolean _ladle_session_configuration_has_state_directory (LadleSessionConfiguration *self);

LadleRetryPolicy *_ladle_session_configuration_get_retry_policy (LadleSessionConfiguration *self);

G_END_DECLS
