/* ladle-session-configuration-headers-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-session-configuration.h"

G_BEGIN_DECLS

/* The store of a configuration's extra headers and sensitive marks
 * (ladle-session-configuration-headers.c). */
typedef struct _LadleExtraHeaders LadleExtraHeaders;

LadleExtraHeaders *_ladle_extra_headers_new        (void);
void               _ladle_extra_headers_free       (LadleExtraHeaders *self);
void               _ladle_extra_headers_copy_into  (LadleExtraHeaders *self,
                                                    LadleExtraHeaders *into);

/* ladle-session-configuration.c */
LadleExtraHeaders *_ladle_session_configuration_get_extra_headers (LadleSessionConfiguration *self);

G_END_DECLS
