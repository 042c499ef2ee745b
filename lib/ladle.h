/* ladle.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#define LADLE_INSIDE
# include "ladle-version-macros.h"
# include "ladle-version.h"
# include "ladle-enums.h"
# include "ladle-enum-types.h"
# include "ladle-error.h"
# include "ladle-session-configuration.h"
# include "ladle-session.h"
# include "ladle-transaction-metrics.h"
# include "ladle-task-metrics.h"
# include "ladle-task.h"
# include "ladle-data-task.h"
# include "ladle-download-task.h"
# include "ladle-upload-task.h"
# include "ladle-multipart-form.h"
# include "ladle-multipart-input-stream.h"
# include "ladle-retry-policy.h"
# include "ladle-await.h"
# include "ladle-http-response.h"
# include "ladle-http-client.h"
#undef LADLE_INSIDE
