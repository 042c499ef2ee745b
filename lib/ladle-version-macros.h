/* ladle-version-macros.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <glib.h>

#ifndef _LADLE_EXTERN
# define _LADLE_EXTERN __attribute__((visibility ("default"))) extern
#endif

#define LADLE_AVAILABLE_IN_ALL _LADLE_EXTERN
#define LADLE_AVAILABLE_IN_0_1 _LADLE_EXTERN
#define LADLE_AVAILABLE_IN_0_2 _LADLE_EXTERN
