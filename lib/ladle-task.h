/* ladle-task.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "ladle-enums.h"
#include "ladle-session.h"
#include "ladle-version-macros.h"

G_BEGIN_DECLS

#define LADLE_TYPE_TASK (ladle_task_get_type ())

LADLE_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (LadleTask, ladle_task, LADLE, TASK, GObject)

/**
 * LadleTaskClass:
 * @parent_class: the parent class
 * @response: class handler of [signal@Ladle.Task::response]
 * @redirect: class handler of [signal@Ladle.Task::redirect]
 * @authenticate: class handler of [signal@Ladle.Task::authenticate]
 * @accept_certificate: class handler of [signal@Ladle.Task::accept-certificate]
 * @upload_progress: class handler of [signal@Ladle.Task::upload-progress]
 * @download_progress: class handler of [signal@Ladle.Task::download-progress]
 * @completed: class handler of [signal@Ladle.Task::completed]
 *
 * The class of [class@Ladle.Task]. Tasks are made by [class@Ladle.Session]; the class is derivable
 * so that the library's own task kinds share one state machine.
 */
struct _LadleTaskClass
{
  GObjectClass parent_class;

  LadleResponseDisposition (*response)           (LadleTask            *self,
                                                  SoupMessage          *message);
  gboolean                 (*redirect)           (LadleTask            *self,
                                                  SoupMessage          *new_request);
  gboolean                 (*authenticate)       (LadleTask            *self,
                                                  SoupAuth             *auth,
                                                  gboolean              retrying);
  gboolean                 (*accept_certificate) (LadleTask            *self,
                                                  GTlsCertificate      *certificate,
                                                  GTlsCertificateFlags  errors);
  void                     (*upload_progress)    (LadleTask            *self,
                                                  gint64                sent_now,
                                                  gint64                total_sent,
                                                  gint64                total_expected);
  void                     (*download_progress)  (LadleTask            *self,
                                                  gint64                received_now,
                                                  gint64                total_received,
                                                  gint64                total_expected);
  void                     (*completed)          (LadleTask            *self,
                                                  const GError         *error);

  /*< private >*/
  gpointer _reserved[16];
};

LADLE_AVAILABLE_IN_ALL
void                 ladle_task_resume                       (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
void                 ladle_task_suspend                      (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
void                 ladle_task_cancel                       (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
LadleSession        *ladle_task_dup_session                  (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
guint64              ladle_task_get_identifier               (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
LadleTaskState       ladle_task_get_state                    (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
const char          *ladle_task_get_description              (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
void                 ladle_task_set_description              (LadleTask           *self,
                                                              const char          *description);
LADLE_AVAILABLE_IN_ALL
SoupMessage         *ladle_task_get_original_request         (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
SoupMessage         *ladle_task_get_current_request          (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
guint                ladle_task_get_status_code              (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
SoupMessageHeaders  *ladle_task_get_response_headers         (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
gint64               ladle_task_get_bytes_received           (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
gint64               ladle_task_get_bytes_expected_to_receive (LadleTask          *self);
LADLE_AVAILABLE_IN_ALL
gint64               ladle_task_get_bytes_sent               (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
gint64               ladle_task_get_bytes_expected_to_send   (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
const GError        *ladle_task_get_error                    (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
SoupMessagePriority  ladle_task_get_priority                 (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
void                 ladle_task_set_priority                 (LadleTask           *self,
                                                              SoupMessagePriority  priority);
LADLE_AVAILABLE_IN_ALL
guint                ladle_task_get_max_redirects            (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
void                 ladle_task_set_max_redirects            (LadleTask           *self,
                                                              guint                max_redirects);

G_END_DECLS
