/* ladle-http-response-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-http-response.h"

G_BEGIN_DECLS

/* The final response of @task (which completed with a status), with @body (nullable: none). */
LadleHttpResponse *_ladle_http_response_new (LadleTask *task,
                                             GBytes    *body);

G_END_DECLS
