/* ladle-version.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ladle-i18n-private.h"
#include "ladle-version.h"

/**
 * ladle_get_major_version:
 *
 * The major version of the Ladle library the program runs with, which may differ from
 * `LADLE_MAJOR_VERSION`, the version of the headers it was compiled against.
 *
 * Returns: the major version of the running library
 *
 * Since: 0.2
 */
guint
ladle_get_major_version (void)
{
  return LADLE_MAJOR_VERSION;
}

/**
 * ladle_get_minor_version:
 *
 * The minor version of the Ladle library the program runs with (see
 * [func@Ladle.get_major_version]).
 *
 * Returns: the minor version of the running library
 *
 * Since: 0.2
 */
guint
ladle_get_minor_version (void)
{
  return LADLE_MINOR_VERSION;
}

/**
 * ladle_get_micro_version:
 *
 * The micro version of the Ladle library the program runs with (see
 * [func@Ladle.get_major_version]).
 *
 * Returns: the micro version of the running library
 *
 * Since: 0.2
 */
guint
ladle_get_micro_version (void)
{
  return LADLE_MICRO_VERSION;
}

/**
 * ladle_check_version:
 * @required_major: the required major version
 * @required_minor: the required minor version
 * @required_micro: the required micro version
 *
 * Checks that the Ladle library the program runs with is compatible with the given version:
 * the same major version, and a minor and micro version at least those given. Like
 * `glib_check_version()`, for a check at run time (`LADLE_CHECK_VERSION` checks the headers).
 *
 * Returns: (nullable): `NULL` when the running library is compatible, otherwise a string
 *   saying why it is not, owned by Ladle
 *
 * Since: 0.2
 */
const char *
ladle_check_version (guint required_major,
                     guint required_minor,
                     guint required_micro)
{
  if (required_major != LADLE_MAJOR_VERSION)
    return required_major > LADLE_MAJOR_VERSION ? _("Ladle version too old (major mismatch)")
                                                : _("Ladle version too new (major mismatch)");
  if (required_minor > LADLE_MINOR_VERSION)
    return _("Ladle version too old (minor mismatch)");
  if (required_minor == LADLE_MINOR_VERSION && required_micro > LADLE_MICRO_VERSION)
    return _("Ladle version too old (micro mismatch)");
  return NULL;
}
