/* ladle-splice-body-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The bytes a splice moved so far: written by the worker, read on the main context. */
typedef struct _LadleSpliceCount LadleSpliceCount;

LadleSpliceCount *_ladle_splice_count_new     (void);
LadleSpliceCount *_ladle_splice_count_ref     (LadleSpliceCount *count);
void              _ladle_splice_count_unref   (LadleSpliceCount *count);
gint64            _ladle_splice_count_get     (LadleSpliceCount *count);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleSpliceCount, _ladle_splice_count_unref)

gboolean  _ladle_splice_body_is_enabled (void);
/* Before each send of @message: remembers the socket of a connection libsoup makes for it. */
void      _ladle_splice_body_watch      (SoupMessage       *message);
/* The one entry point, for the body reader: the socket the rest of @message's body (of
 * @body_length bytes, as its framing says) can be spliced from, or NULL when the body is not
 * eligible (transfer full). */
GSocket  *_ladle_splice_body_dup_socket (SoupMessage       *message,
                                         gint64             body_length);
/* The splice itself, on the partial file's worker: moves @length bytes from @socket_fd (a
 * duplicate of the socket's descriptor, so that libsoup closing its own cannot make it another
 * file's) to @file_fd at @offset, waiting with poll() on the socket and on the cancellables, at
 * most @timeout seconds at a time (0: no limit). Returns the bytes moved (fewer than @length
 * when the peer closed the connection first), -1 with @error (*@file_failed tells whether
 * writing to the file failed, not the connection). */
gint64    _ladle_splice_body_move       (int                socket_fd,
                                         guint              timeout,
                                         int                file_fd,
                                         goffset            offset,
                                         gint64             length,
                                         GCancellable      *cancellable,
                                         GCancellable      *stop,
                                         LadleSpliceCount  *count,
                                         gboolean          *file_failed,
                                         GError           **error);

G_END_DECLS
