/* ladle-download-filename-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

char *_ladle_download_suggest_filename (SoupMessage *message);

G_END_DECLS
