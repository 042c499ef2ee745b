/* ladle-cookie-jar-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ladle-session-configuration.h"

G_BEGIN_DECLS

/* Memory for ephemeral configurations; cookies.sqlite in the state directory otherwise (a
 * cookies.txt of Ladle 0.1 there is imported once, then deleted). */
void           _ladle_cookie_jar_keep_in_memory (void);
SoupCookieJar *_ladle_cookie_jar_new (LadleSessionConfiguration *configuration);

G_END_DECLS
