/* ladle-error.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ladle-error.h"

G_DEFINE_QUARK (ladle-error-quark, ladle_error)
