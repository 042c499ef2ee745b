/* ladle-service-wire-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ladle-session-configuration.h"

G_BEGIN_DECLS

/*
 * What the transfer service and its clients both speak (data/org.gnome.Ladle.TransferService.xml):
 * names, object paths, the configuration dictionary and LADLE_ERROR's D-Bus error names.
 */

#define LADLE_SERVICE_NAME              "org.gnome.Ladle.TransferService"
#define LADLE_SERVICE_PATH              "/org/gnome/Ladle/TransferService"
#define LADLE_SERVICE_INTERFACE         "org.gnome.Ladle.TransferService"
#define LADLE_SERVICE_SESSION_INTERFACE "org.gnome.Ladle.TransferService.Session"
/* The revision of the interface this library speaks. */
#define LADLE_SERVICE_VERSION           1u

void                       _ladle_service_register_errors         (void);
char                      *_ladle_service_session_path            (const char                *application_id,
                                                                   const char                *identifier);
gboolean                   _ladle_service_name_is_valid           (const char                *text);

GVariant                  *_ladle_session_configuration_to_wire   (LadleSessionConfiguration *configuration,
                                                                   gboolean                   with_secrets);
LadleSessionConfiguration *_ladle_session_configuration_from_wire (GVariant                  *wire,
                                                                   const char                *application_id,
                                                                   const char                *identifier,
                                                                   const char                *state_directory);

G_END_DECLS
