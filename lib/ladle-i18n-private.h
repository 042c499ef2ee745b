/* ladle-i18n-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

/* Include after "config.h": gi18n-lib.h needs GETTEXT_PACKAGE. Every
 * user-visible message (GError messages above all) goes through _(). */
#include <glib/gi18n-lib.h>
