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

/* GLib's gversionmacros.h pattern. Every public declaration carries one of:
 *
 *   LADLE_AVAILABLE_IN_ALL          symbols of the first version (0.1)
 *   LADLE_AVAILABLE_IN_0_x          added in 0.x: a warning when LADLE_VERSION_MAX_ALLOWED < 0.x
 *   LADLE_DEPRECATED_IN_0_x(_FOR)   deprecated in 0.x: a warning when LADLE_VERSION_MIN_REQUIRED >= 0.x
 *
 * A new minor version adds its LADLE_VERSION_0_x constant and its block at the end, and moves
 * LADLE_VERSION_CUR_STABLE / LADLE_VERSION_PREV_STABLE (ladle-version.h refuses to compile
 * when they do not match the project's version). */

#ifndef _LADLE_EXTERN
# define _LADLE_EXTERN __attribute__((visibility ("default"))) extern
#endif

/**
 * LADLE_ENCODE_VERSION:
 * @major: a major version
 * @minor: a minor version
 *
 * Encodes a Ladle version as an integer that can be compared with the `LADLE_VERSION_*`
 * constants, `LADLE_VERSION_MIN_REQUIRED` and `LADLE_VERSION_MAX_ALLOWED`.
 *
 * Since: 0.2
 */
#define LADLE_ENCODE_VERSION(major,minor) ((major) << 16 | (minor) << 8)

/**
 * LADLE_VERSION_0_1:
 *
 * The version of Ladle 0.1, for `LADLE_VERSION_MIN_REQUIRED` and `LADLE_VERSION_MAX_ALLOWED`.
 *
 * Since: 0.2
 */
#define LADLE_VERSION_0_1 (LADLE_ENCODE_VERSION (0, 1))

/**
 * LADLE_VERSION_0_2:
 *
 * The version of Ladle 0.2, for `LADLE_VERSION_MIN_REQUIRED` and `LADLE_VERSION_MAX_ALLOWED`.
 *
 * Since: 0.2
 */
#define LADLE_VERSION_0_2 (LADLE_ENCODE_VERSION (0, 2))

/* The current and the previous minor version (the series has no odd/even split yet). */
#define LADLE_VERSION_CUR_STABLE LADLE_VERSION_0_2
#define LADLE_VERSION_PREV_STABLE LADLE_VERSION_0_1

/**
 * LADLE_VERSION_MIN_REQUIRED:
 *
 * The oldest version of Ladle the program must run with. Define it before including `ladle.h`
 * (`-DLADLE_VERSION_MIN_REQUIRED=LADLE_VERSION_0_1`) to be warned only about what was deprecated
 * in that version or before it. Defaults to the version of the headers.
 *
 * Since: 0.2
 */
#ifndef LADLE_VERSION_MIN_REQUIRED
# define LADLE_VERSION_MIN_REQUIRED (LADLE_VERSION_CUR_STABLE)
#endif

/**
 * LADLE_VERSION_MAX_ALLOWED:
 *
 * The newest version of the Ladle API the program may use. Define it before including
 * `ladle.h` (`-DLADLE_VERSION_MAX_ALLOWED=LADLE_VERSION_0_1`) to get a warning for every use of
 * API added after that version. Defaults to the version of the headers.
 *
 * Since: 0.2
 */
#ifndef LADLE_VERSION_MAX_ALLOWED
# if LADLE_VERSION_MIN_REQUIRED > LADLE_VERSION_CUR_STABLE
#  define LADLE_VERSION_MAX_ALLOWED (LADLE_VERSION_MIN_REQUIRED)
# else
#  define LADLE_VERSION_MAX_ALLOWED (LADLE_VERSION_CUR_STABLE)
# endif
#endif

#if LADLE_VERSION_MAX_ALLOWED < LADLE_VERSION_MIN_REQUIRED
# error "LADLE_VERSION_MAX_ALLOWED must be >= LADLE_VERSION_MIN_REQUIRED"
#endif
#if LADLE_VERSION_MIN_REQUIRED < LADLE_VERSION_0_1
# error "LADLE_VERSION_MIN_REQUIRED must be >= LADLE_VERSION_0_1"
#endif

/* The library itself (and a program that asks for it) may use deprecated API silently. */
#if defined(LADLE_DISABLE_DEPRECATION_WARNINGS) || defined(LADLE_COMPILATION)
# define _LADLE_DEPRECATED _LADLE_EXTERN
# define _LADLE_DEPRECATED_FOR(f) _LADLE_EXTERN
# define _LADLE_UNAVAILABLE(maj,min) _LADLE_EXTERN
# define _LADLE_DEPRECATED_TYPE
# define _LADLE_DEPRECATED_TYPE_FOR(f)
# define _LADLE_UNAVAILABLE_TYPE(maj,min)
#else
# define _LADLE_DEPRECATED G_DEPRECATED _LADLE_EXTERN
# define _LADLE_DEPRECATED_FOR(f) G_DEPRECATED_FOR (f) _LADLE_EXTERN
# define _LADLE_UNAVAILABLE(maj,min) G_UNAVAILABLE (maj, min) _LADLE_EXTERN
# define _LADLE_DEPRECATED_TYPE G_DEPRECATED
# define _LADLE_DEPRECATED_TYPE_FOR(f) G_DEPRECATED_FOR (f)
# define _LADLE_UNAVAILABLE_TYPE(maj,min) G_UNAVAILABLE (maj, min)
#endif

#define LADLE_AVAILABLE_IN_ALL _LADLE_EXTERN

/* 0.1: the first version; its symbols may equally be marked LADLE_AVAILABLE_IN_ALL. */
#if LADLE_VERSION_MIN_REQUIRED >= LADLE_VERSION_0_1
# define LADLE_DEPRECATED_IN_0_1 _LADLE_DEPRECATED
# define LADLE_DEPRECATED_IN_0_1_FOR(f) _LADLE_DEPRECATED_FOR (f)
# define LADLE_DEPRECATED_TYPE_IN_0_1 _LADLE_DEPRECATED_TYPE
# define LADLE_DEPRECATED_TYPE_IN_0_1_FOR(f) _LADLE_DEPRECATED_TYPE_FOR (f)
#else
# define LADLE_DEPRECATED_IN_0_1 _LADLE_EXTERN
# define LADLE_DEPRECATED_IN_0_1_FOR(f) _LADLE_EXTERN
# define LADLE_DEPRECATED_TYPE_IN_0_1
# define LADLE_DEPRECATED_TYPE_IN_0_1_FOR(f)
#endif
#define LADLE_AVAILABLE_IN_0_1 _LADLE_EXTERN
#define LADLE_AVAILABLE_TYPE_IN_0_1

/* 0.2 */
#if LADLE_VERSION_MIN_REQUIRED >= LADLE_VERSION_0_2
# define LADLE_DEPRECATED_IN_0_2 _LADLE_DEPRECATED
# define LADLE_DEPRECATED_IN_0_2_FOR(f) _LADLE_DEPRECATED_FOR (f)
# define LADLE_DEPRECATED_TYPE_IN_0_2 _LADLE_DEPRECATED_TYPE
# define LADLE_DEPRECATED_TYPE_IN_0_2_FOR(f) _LADLE_DEPRECATED_TYPE_FOR (f)
#else
# define LADLE_DEPRECATED_IN_0_2 _LADLE_EXTERN
# define LADLE_DEPRECATED_IN_0_2_FOR(f) _LADLE_EXTERN
# define LADLE_DEPRECATED_TYPE_IN_0_2
# define LADLE_DEPRECATED_TYPE_IN_0_2_FOR(f)
#endif
#if LADLE_VERSION_MAX_ALLOWED < LADLE_VERSION_0_2
# define LADLE_AVAILABLE_IN_0_2 _LADLE_UNAVAILABLE (0, 2)
# define LADLE_AVAILABLE_TYPE_IN_0_2 _LADLE_UNAVAILABLE_TYPE (0, 2)
#else
# define LADLE_AVAILABLE_IN_0_2 _LADLE_EXTERN
# define LADLE_AVAILABLE_TYPE_IN_0_2
#endif
