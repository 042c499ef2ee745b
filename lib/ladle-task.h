/* ladle-task.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "ladle-enums.h"
#include "ladle-retry-policy.h"
#include "ladle-session.h"
#include "ladle-task-metrics.h"
#include "ladle-version-macros.h"

G_BEGIN_DECLS

#define LADLE_TYPE_TASK (ladle_task_get_type ())

/*
 * Task types are made by the session, never subclassed by applications: their instance and
 * class structs are private (as GDK does it), so that the task kinds can share private vfuncs.
 */
#define LADLE_DECLARE_INTERNAL_TYPE(ModuleObjName, module_obj_name, MODULE, OBJ_NAME, ParentName) \
  GType module_obj_name##_get_type (void);                                                          \
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS                                                                  \
  typedef struct _##ModuleObjName ModuleObjName;                                                    \
  typedef struct _##ModuleObjName##Class ModuleObjName##Class;                                      \
                                                                                                    \
  _GLIB_DEFINE_AUTOPTR_CHAINUP (ModuleObjName, ParentName)                                          \
  G_DEFINE_AUTOPTR_CLEANUP_FUNC (ModuleObjName##Class, g_type_class_unref)                          \
                                                                                                    \
  G_GNUC_UNUSED static inline ModuleObjName *MODULE##_##OBJ_NAME (gpointer ptr) {                   \
    return G_TYPE_CHECK_INSTANCE_CAST (ptr, module_obj_name##_get_type (), ModuleObjName); }        \
  G_GNUC_UNUSED static inline ModuleObjName##Class *MODULE##_##OBJ_NAME##_CLASS (gpointer ptr) {    \
    return G_TYPE_CHECK_CLASS_CAST (ptr, module_obj_name##_get_type (), ModuleObjName##Class); }    \
  G_GNUC_UNUSED static inline gboolean MODULE##_IS_##OBJ_NAME (gpointer ptr) {                      \
    return G_TYPE_CHECK_INSTANCE_TYPE (ptr, module_obj_name##_get_type ()); }                       \
  G_GNUC_UNUSED static inline gboolean MODULE##_IS_##OBJ_NAME##_CLASS (gpointer ptr) {              \
    return G_TYPE_CHECK_CLASS_TYPE (ptr, module_obj_name##_get_type ()); }                          \
  G_GNUC_UNUSED static inline ModuleObjName##Class *MODULE##_##OBJ_NAME##_GET_CLASS (gpointer ptr) { \
    return G_TYPE_INSTANCE_GET_CLASS (ptr, module_obj_name##_get_type (), ModuleObjName##Class); }  \
  G_GNUC_END_IGNORE_DEPRECATIONS

LADLE_AVAILABLE_IN_ALL
LADLE_DECLARE_INTERNAL_TYPE (LadleTask, ladle_task, LADLE, TASK, GObject)

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

LADLE_AVAILABLE_IN_ALL
guint                ladle_task_get_total_timeout            (LadleTask           *self);
LADLE_AVAILABLE_IN_0_2
LadleTaskWaitReason  ladle_task_get_wait_reason              (LadleTask           *self);
LADLE_AVAILABLE_IN_ALL
void                 ladle_task_set_total_timeout            (LadleTask           *self,
                                                              guint                seconds);

LADLE_AVAILABLE_IN_0_2
LadleTaskMetrics    *ladle_task_dup_metrics                  (LadleTask           *self);
LADLE_AVAILABLE_IN_0_2
LadleRetryPolicy    *ladle_task_dup_retry_policy             (LadleTask           *self);
LADLE_AVAILABLE_IN_0_2
void                 ladle_task_set_retry_policy             (LadleTask           *self,
                                                              LadleRetryPolicy    *policy);

G_END_DECLS
