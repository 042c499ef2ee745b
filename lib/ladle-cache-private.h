/* ladle-cache-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ladle-session-configuration.h"
#include "ladle-task.h"

G_BEGIN_DECLS

/*
 * A session's HTTP cache (ladle-cache.c): a private SoupCache subclass, made and loaded on a
 * worker thread, then added to the session's SoupSession. Every send of the session goes through
 * _ladle_cache_send_async(), which waits for the load, keeps downloads and messages that disable
 * the cache away from it (libsoup 3.2 would answer them from it), and asks data tasks whether a
 * response may be stored (::will-cache-response).
 */
typedef struct _LadleCache LadleCache;

/* @directory: where the entries live (created 0700); @persistent: its index is loaded now and
 * written back by _ladle_cache_close(); otherwise the directory starts empty. */
LadleCache *_ladle_cache_new        (SoupSession         *session,
                                     const char          *directory,
                                     guint64              max_size,
                                     gboolean             persistent);
/* NULL when the configuration's cache-size is 0. @private_directory: an ephemeral session's. */
LadleCache *_ladle_cache_new_for_configuration (SoupSession               *session,
                                                LadleSessionConfiguration *configuration,
                                                const char                *private_directory);
void        _ladle_cache_send_async (LadleCache          *self,
                                     SoupSession         *session,
                                     LadleTask           *task,
                                     SoupMessage         *message,
                                     int                  io_priority,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* Writes the index (persistent caches); the cache keeps working. */
void        _ladle_cache_dump       (LadleCache          *self);
/* Writes the index one last time and lets the cache go. */
void        _ladle_cache_close      (LadleCache          *self);

/* Removes @path and what is in it, one level of subdirectories deep. */
void        _ladle_cache_remove_directory (const char    *path);

G_END_DECLS
