/* ladle-partial-file.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadlePartialFile: a download's partial file, whose disk I/O runs off the main context (private).
 *
 * Every operation (check, open, write, close, delete, move) is queued and runs on a worker
 * thread, one at a time and in the order queued: a write queued after an open runs after it,
 * so the caller never waits for one operation before queuing the next. Each operation's
 * callback is called on the main context that queued it, in the same order. Once an
 * operation fails, the writes queued after it fail with the same error without touching the
 * file, so that the file never holds bytes out of order.
 *
 * The worker thread is GLib's shared thread pool limited to one thread for this file: a slow
 * disk stalls this download only, never the application's main loop.
 *
 * One partial file, one task: a path is claimed in a registry of this process when a task
 * checks or opens it, and the worker holds an exclusive flock() on the file for as long as the
 * task uses it, so that a second task (in this process or another) made from the same resume
 * data fails at once with LADLE_ERROR_PARTIAL_FILE instead of writing into the same file.
 */

#include "config.h"

#include "ladle-i18n-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gfiledescriptorbased.h>
#include <gio/gunixoutputstream.h>

#include "ladle-error.h"
#include "ladle-partial-file-private.h"
#include "ladle-splice-body-private.h"

typedef enum
{
  OP_CHECK,
  OP_OPEN,
  OP_WRITE,
  OP_SPLICE,
  OP_CLOSE,
  OP_DELETE,
  OP_MOVE,
} OpKind;

typedef struct
{
  LadlePartialFile         *file;      /* a reference */
  OpKind                    kind;
  LadlePartialFileMode      mode;
  goffset                   expected_size;
  const guint8             *data;
  gsize                     length;
  GFile                    *destination;
  gboolean                  create_parents;
  gboolean                  replace;
  gboolean                  releases;  /* the file is gone afterwards: release the claim */
  gboolean                  trim;      /* OP_CLOSE: cut the file to @expected_size first */
  int                       socket_fd; /* OP_SPLICE: from there (a duplicate), @length bytes at most */
  guint                     timeout;   /* the socket's, in seconds */
  GCancellable             *cancellable;
  GCancellable             *stop;
  LadleSpliceCount         *count;
  LadlePartialFileCallback  callback;
  gpointer                  user_data;
  GMainContext             *context;
  GError                   *error;
} Op;

struct _LadlePartialFile
{
  GObject        parent_instance;

  GFile         *directory;
  GThreadPool   *pool;
  char          *claimed;      /* the path this object claimed in the registry */

  /* Written by the worker; read on the main context from callbacks, which come after the
   * operation (the context's lock orders the two). */
  GFile         *file;
  GOutputStream *output;
  int            lock_fd;      /* holds the flock() on the file, -1 when none */
  goffset        size;
  GError        *error;        /* the failure that stops later writes */
};

G_DEFINE_FINAL_TYPE (LadlePartialFile, _ladle_partial_file, G_TYPE_OBJECT)

/* One partial file, one task: the paths claimed by live objects of this process. */
static GMutex registry_lock;
static GHashTable *registry;

static gboolean
claim (LadlePartialFile  *self,
       GError           **error)
{
  g_autofree char *path = g_file_get_path (self->file);
  gboolean claimed = TRUE;

  if (self->claimed != NULL && g_strcmp0 (self->claimed, path) == 0)
    return TRUE;

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (g_hash_table_contains (registry, path))
    claimed = FALSE;
  else
    g_hash_table_add (registry, g_strdup (path));
  g_mutex_unlock (&registry_lock);

  if (!claimed)
    {
      g_set_error (error, LADLE_ERROR, LADLE_ERROR_PARTIAL_FILE,
                   _("The partial file %s is in use by another task"), path);
      return FALSE;
    }

  self->claimed = g_steal_pointer (&path);
  return TRUE;
}

static void
release (LadlePartialFile *self)
{
  g_autofree char *path = g_steal_pointer (&self->claimed);

  if (path == NULL)
    return;

  g_mutex_lock (&registry_lock);
  g_hash_table_remove (registry, path);
  g_mutex_unlock (&registry_lock);
}

/* Each message names the partial file first (g_file_peek_path()): whole sentences, for translators. */
#define partial_file_error(file, format, ...) \
  g_error_new (LADLE_ERROR, LADLE_ERROR_PARTIAL_FILE, format, g_file_peek_path (file), __VA_ARGS__)
#define partial_file_error_literal(file, format) \
  g_error_new (LADLE_ERROR, LADLE_ERROR_PARTIAL_FILE, format, g_file_peek_path (file))

/* The partial file must be a regular file (not a link) of the recorded size; with
 * @allow_longer, one that is longer will do (the caller truncates it). */
static gboolean
check_file (GFile    *file,
            goffset   expected_size,
            gboolean  allow_longer,
            GError  **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) local_error = NULL;
  goffset size;

  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &local_error);
  if (info == NULL)
    {
      g_propagate_error (error, partial_file_error (file, _("The partial file %s cannot be read: %s"),
                                                    local_error->message));
      return FALSE;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_propagate_error (error, partial_file_error_literal (file, _("The partial file %s is not a regular file")));
      return FALSE;
    }
  size = g_file_info_get_size (info);
  if (size < expected_size || (size > expected_size && !allow_longer))
    {
      g_propagate_error (error, partial_file_error (file, _("The partial file %s has %lld bytes; the resume data records %lld"),
                                                    (long long) size, (long long) expected_size));
      return FALSE;
    }

  return TRUE;
}

/* Takes the exclusive lock that says "a task uses this file", held until unlock(). */
static gboolean
lock (LadlePartialFile  *self,
      GError           **error)
{
  g_autofree char *path = NULL;
  int saved_errno;

  if (self->lock_fd >= 0)
    return TRUE;

  path = g_file_get_path (self->file);
  self->lock_fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (self->lock_fd < 0)
    {
      saved_errno = errno;
      g_propagate_error (error, partial_file_error (self->file, _("The partial file %s cannot be opened: %s"),
                                                    g_strerror (saved_errno)));
      return FALSE;
    }
  if (flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      saved_errno = errno;
      close (self->lock_fd);
      self->lock_fd = -1;
      if (saved_errno == EWOULDBLOCK)
        g_propagate_error (error, partial_file_error_literal (self->file, _("The partial file %s is in use by another task")));
      else
        g_propagate_error (error, partial_file_error (self->file, _("The partial file %s cannot be locked: %s"),
                                                      g_strerror (saved_errno)));
      return FALSE;
    }

  return TRUE;
}

static void
unlock (LadlePartialFile *self)
{
  if (self->lock_fd < 0)
    return;

  close (self->lock_fd);
  self->lock_fd = -1;
}

/* A partial file longer than its resume data says was written by a later transfer of the same
 * representation that was killed before it could say so: its first @expected_size bytes are
 * still good. */
static gboolean
check_and_trim (LadlePartialFile  *self,
                goffset            expected_size,
                GError           **error)
{
  g_autofree char *path = g_file_get_path (self->file);
  int fd;

  if (!check_file (self->file, expected_size, TRUE, error) || !lock (self, error))
    return FALSE;

  fd = open (path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || ftruncate (fd, expected_size) != 0)
    {
      int saved_errno = errno;

      if (fd >= 0)
        close (fd);
      g_propagate_error (error, partial_file_error (self->file, _("The partial file %s cannot be truncated to %lld bytes: %s"),
                                                    (long long) expected_size, g_strerror (saved_errno)));
      return FALSE;
    }
  close (fd);

  return check_file (self->file, expected_size, FALSE, error);
}

static gboolean
create_file (LadlePartialFile  *self,
             GError           **error)
{
  g_autofree char *directory = g_file_get_path (self->directory);

  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create the download directory %s: %s"),
                   directory, g_strerror (saved_errno));
      return FALSE;
    }

  for (guint attempt = 0; attempt < 8; attempt++)
    {
      g_autofree char *path = NULL;
      int fd;

      if (attempt > 0)
        {
          g_autofree char *uuid = g_uuid_string_random ();
          g_autofree char *name = g_strconcat (uuid, ".part", NULL);

          g_clear_object (&self->file);
          self->file = g_file_get_child (self->directory, name);
        }

      /* O_APPEND: a write always lands at the end of the file, so a file that something else
       * truncated comes out short (and the size check at the end fails) instead of growing a
       * hole of zeros at the right size. */
      path = g_file_get_path (self->file);
      fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);

      if (fd >= 0)
        {
          self->output = g_unix_output_stream_new (fd, TRUE);
          return TRUE;
        }
      if (errno != EEXIST)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Error opening file “%s”: %s"), path, g_strerror (saved_errno));
          return FALSE;
        }
    }

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Cannot name a new partial file"));
  return FALSE;
}

static gboolean
open_file (LadlePartialFile      *self,
           LadlePartialFileMode   mode,
           goffset                expected_size,
           GError               **error)
{
  GFileOutputStream *output = NULL;

  g_clear_error (&self->error);
  if (self->output != NULL)
    {
      g_output_stream_close (self->output, NULL, NULL);
      g_clear_object (&self->output);
    }

  switch (mode)
    {
    case LADLE_PARTIAL_FILE_CREATE:
      if (!create_file (self, error) || !lock (self, error))
        return FALSE;
      self->size = 0;
      return TRUE;

    case LADLE_PARTIAL_FILE_APPEND:
      if (!check_and_trim (self, expected_size, error))
        return FALSE;
      output = g_file_append_to (self->file, G_FILE_CREATE_PRIVATE, NULL, error);
      self->size = expected_size;
      break;

    case LADLE_PARTIAL_FILE_REPLACE:
    default:
      if (!lock (self, error))
        return FALSE;
      output = g_file_replace (self->file, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, error);
      self->size = 0;
      break;
    }

  self->output = G_OUTPUT_STREAM (output);

  return output != NULL;
}

static gboolean
close_file (LadlePartialFile  *self,
            GError           **error)
{
  g_autoptr(GOutputStream) output = g_steal_pointer (&self->output);

  if (output == NULL)
    return TRUE;

  return g_output_stream_close (output, NULL, error);
}

static gboolean
move_file (LadlePartialFile  *self,
           GFile             *destination,
           gboolean           create_parents,
           gboolean           replace,
           GError           **error)
{
  GFileCopyFlags flags = G_FILE_COPY_NOFOLLOW_SYMLINKS;

  if (!close_file (self, error))
    return FALSE;

  /* A handler of ::finished took the file elsewhere itself. */
  if (!g_file_query_exists (self->file, NULL))
    return TRUE;

  if (create_parents)
    {
      g_autoptr(GFile) parent = g_file_get_parent (destination);
      g_autoptr(GError) local_error = NULL;

      if (parent != NULL &&
          !g_file_make_directory_with_parents (parent, NULL, &local_error) &&
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      _("Cannot create the destination's directory: "));
          return FALSE;
        }
    }
  if (replace)
    flags |= G_FILE_COPY_OVERWRITE;

  if (!g_file_move (self->file, destination, flags, NULL, NULL, NULL, error))
    {
      g_prefix_error (error, _("Cannot move the download to its destination: "));
      return FALSE;
    }

  return TRUE;
}

/* The body's bytes go from the socket to the end of the file (ladle-splice-body.c). The file
 * may be open with O_APPEND, which splice() refuses: the flag is lifted for the splice, which
 * writes at the file's end explicitly. */
static void
splice_into_file (LadlePartialFile *self,
                  Op               *op)
{
  gboolean file_failed = FALSE;
  GStatBuf info;
  gint64 moved;
  int flags;
  int fd;

  if (!G_IS_FILE_DESCRIPTOR_BASED (self->output))
    {
      op->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                       _("The partial file cannot be written by splice()"));
      return;
    }
  fd = g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (self->output));
  if (fstat (fd, &info) != 0 || (flags = fcntl (fd, F_GETFL)) < 0 ||
      ((flags & O_APPEND) && fcntl (fd, F_SETFL, flags & ~O_APPEND) != 0))
    {
      int saved_errno = errno;

      op->error = partial_file_error (self->file, _("The partial file %s cannot be written: %s"),
                                      g_strerror (saved_errno));
      self->error = g_error_copy (op->error);
      return;
    }
  /* Something else truncated the file: the same failure as an appending write's, at the end. */
  if (info.st_size != self->size)
    {
      op->error = partial_file_error (self->file, _("The partial file %s has %lld bytes; the resume data records %lld"),
                                      (long long) info.st_size, (long long) self->size);
      self->error = g_error_copy (op->error);
      if (flags & O_APPEND)
        fcntl (fd, F_SETFL, flags);
      return;
    }

  moved = _ladle_splice_body_move (op->socket_fd, op->timeout, fd, self->size, op->length, op->cancellable, op->stop,
                                   op->count, &file_failed, &op->error);
  if (flags & O_APPEND)
    fcntl (fd, F_SETFL, flags);
  else
    lseek (fd, 0, SEEK_END);

  if (fstat (fd, &info) == 0)
    self->size = info.st_size;
  else if (moved > 0)
    self->size += moved;
  if (file_failed)
    self->error = g_error_copy (op->error);
}

static gboolean
op_done_cb (gpointer user_data)
{
  Op *op = user_data;

  if (op->releases && op->error == NULL)
    release (op->file);
  if (op->callback != NULL)
    op->callback (op->file, op->error, op->user_data);

  g_clear_error (&op->error);
  g_clear_object (&op->destination);
  if (op->kind == OP_SPLICE && op->socket_fd >= 0)
    close (op->socket_fd);
  g_clear_object (&op->cancellable);
  g_clear_object (&op->stop);
  g_clear_pointer (&op->count, _ladle_splice_count_unref);
  g_main_context_unref (op->context);
  /* The last reference is dropped here, on the main context, never on the worker. */
  g_object_unref (op->file);
  g_free (op);

  return G_SOURCE_REMOVE;
}

static void
run_op (gpointer data,
        gpointer pool_data)
{
  Op *op = data;
  LadlePartialFile *self = op->file;
  GSource *source;

  /* Refused before it was queued (the file is another task's). */
  if (op->error != NULL)
    goto done;

  switch (op->kind)
    {
    case OP_CHECK:
      check_and_trim (self, op->expected_size, &op->error);
      break;

    case OP_OPEN:
      if (!open_file (self, op->mode, op->expected_size, &op->error))
        self->error = g_error_copy (op->error);
      break;

    case OP_WRITE:
      if (self->error != NULL)
        op->error = g_error_copy (self->error);
      else if (self->output == NULL)
        op->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, _("The partial file is not open"));
      else
        {
          gsize written = 0;

          if (!g_output_stream_write_all (self->output, op->data, op->length, &written, NULL, &op->error))
            self->error = g_error_copy (op->error);
          self->size += written;
        }
      break;

    case OP_SPLICE:
      if (self->error != NULL)
        op->error = g_error_copy (self->error);
      else if (self->output == NULL)
        op->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, _("The partial file is not open"));
      else
        splice_into_file (self, op);
      break;

    case OP_CLOSE:
      /* What is on disk is what the task counted, or the download is not complete. */
      if (!close_file (self, &op->error) || op->expected_size < 0)
        break;
      if (op->trim && check_and_trim (self, op->expected_size, &op->error))
        self->size = op->expected_size;
      else if (!op->trim)
        check_file (self->file, op->expected_size, FALSE, &op->error);
      break;

    case OP_DELETE:
      {
        g_autoptr(GError) local_error = NULL;

        close_file (self, NULL);
        if (!g_file_delete (self->file, NULL, &local_error) &&
            !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
          op->error = g_steal_pointer (&local_error);
        unlock (self);
        self->size = 0;
      }
      break;

    case OP_MOVE:
      move_file (self, op->destination, op->create_parents, op->replace, &op->error);
      unlock (self);
      break;

    default:
      g_assert_not_reached ();
    }

done:
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, op_done_cb, op, NULL);
  g_source_set_static_name (source, "[ladle] partial file");
  g_source_attach (source, op->context);
  g_source_unref (source);
}

static void
queue (LadlePartialFile         *self,
       Op                       *op,
       LadlePartialFileCallback  callback,
       gpointer                  user_data)
{
  op->file = g_object_ref (self);
  op->callback = callback;
  op->user_data = user_data;
  op->context = g_main_context_ref_thread_default ();

  if (self->pool == NULL)
    self->pool = g_thread_pool_new (run_op, NULL, 1, FALSE, NULL);
  g_thread_pool_push (self->pool, op, NULL);
}

static void
ladle_partial_file_finalize (GObject *object)
{
  LadlePartialFile *self = (LadlePartialFile *)object;

  /* Every operation held a reference: none is queued or running. */
  release (self);
  unlock (self);
  if (self->pool != NULL)
    g_thread_pool_free (self->pool, FALSE, FALSE);
  if (self->output != NULL)
    g_output_stream_close (self->output, NULL, NULL);
  g_clear_object (&self->output);
  g_clear_object (&self->file);
  g_clear_object (&self->directory);
  g_clear_error (&self->error);
  g_free (self->claimed);

  G_OBJECT_CLASS (_ladle_partial_file_parent_class)->finalize (object);
}

static void
_ladle_partial_file_class_init (LadlePartialFileClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ladle_partial_file_finalize;
}

static void
_ladle_partial_file_init (LadlePartialFile *self)
{
  self->lock_fd = -1;
}

/* @name: the partial file's base name in @directory, NULL to choose a new one (when the file is
 * created). */
LadlePartialFile *
_ladle_partial_file_new (GFile      *directory,
                         const char *name)
{
  LadlePartialFile *self = g_object_new (LADLE_TYPE_PARTIAL_FILE, NULL);
  g_autofree char *fresh = NULL;

  if (name == NULL)
    {
      g_autofree char *uuid = g_uuid_string_random ();

      name = fresh = g_strconcat (uuid, ".part", NULL);
    }

  self->directory = g_object_ref (directory);
  self->file = g_file_get_child (directory, name);

  return self;
}

GFile *
_ladle_partial_file_get_file (LadlePartialFile *self)
{
  return self->file;
}

char *
_ladle_partial_file_dup_name (LadlePartialFile *self)
{
  return g_file_get_basename (self->file);
}

/* Bytes in the file as of the last operation whose callback ran. */
goffset
_ladle_partial_file_get_size (LadlePartialFile *self)
{
  return self->size;
}

/* The task is done with the file (it completed and closed it): another task may take it now.
 * Called from the callback of the last operation, when the worker is idle. */
void
_ladle_partial_file_release (LadlePartialFile *self)
{
  release (self);
  unlock (self);
}

/* A check made on the caller's thread, for an API that must answer at once (a stat of one
 * file in the session's own directory). A longer file will do: it is trimmed, on the worker,
 * when the task starts. */
gboolean
_ladle_partial_file_check_now (LadlePartialFile  *self,
                               goffset            expected_size,
                               GError           **error)
{
  return check_file (self->file, expected_size, TRUE, error);
}

void
_ladle_partial_file_check (LadlePartialFile         *self,
                           goffset                   expected_size,
                           LadlePartialFileCallback  callback,
                           gpointer                  user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_CHECK;
  claim (self, &op->error);
  op->expected_size = expected_size;
  queue (self, op, callback, user_data);
}

void
_ladle_partial_file_open (LadlePartialFile         *self,
                          LadlePartialFileMode      mode,
                          goffset                   expected_size,
                          LadlePartialFileCallback  callback,
                          gpointer                  user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_OPEN;
  op->mode = mode;
  if (mode != LADLE_PARTIAL_FILE_CREATE)
    claim (self, &op->error);
  op->expected_size = expected_size;
  queue (self, op, callback, user_data);
}

/* @data must stay valid until @callback runs. */
void
_ladle_partial_file_write (LadlePartialFile         *self,
                           const guint8             *data,
                           gsize                     length,
                           LadlePartialFileCallback  callback,
                           gpointer                  user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_WRITE;
  op->data = data;
  op->length = length;
  queue (self, op, callback, user_data);
}

/* Moves at most @length bytes from @socket to the end of the file (ladle-splice-body.c), until
 * the peer closes the connection, or @cancellable or @stop is cancelled. @count gives the bytes
 * moved as they are; once @callback runs, the file's size is every byte moved. */
void
_ladle_partial_file_splice (LadlePartialFile         *self,
                            GSocket                  *socket,
                            gint64                    length,
                            GCancellable             *cancellable,
                            GCancellable             *stop,
                            LadleSpliceCount         *count,
                            LadlePartialFileCallback  callback,
                            gpointer                  user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_SPLICE;
  op->socket_fd = g_socket_is_closed (socket) ? -1 : fcntl (g_socket_get_fd (socket), F_DUPFD_CLOEXEC, 0);
  if (op->socket_fd < 0)
    op->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, _("The connection is closed"));
  op->timeout = g_socket_get_timeout (socket);
  op->length = length;
  op->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  op->stop = stop != NULL ? g_object_ref (stop) : NULL;
  op->count = _ladle_splice_count_ref (count);
  queue (self, op, callback, user_data);
}

/* @expected_size: the size the file must have once closed, -1 for no check. */
void
_ladle_partial_file_close (LadlePartialFile         *self,
                           goffset                   expected_size,
                           LadlePartialFileCallback  callback,
                           gpointer                  user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_CLOSE;
  op->expected_size = expected_size;
  queue (self, op, callback, user_data);
}

/* Closes the file and cuts it to its first @size bytes: a cancelled download keeps no more
 * than its resume data records. */
void
_ladle_partial_file_close_trimmed (LadlePartialFile         *self,
                                   goffset                   size,
                                   LadlePartialFileCallback  callback,
                                   gpointer                  user_data)
{
  Op *op = g_new0 (Op, 1);

  g_return_if_fail (size >= 0);

  op->kind = OP_CLOSE;
  op->expected_size = size;
  op->trim = TRUE;
  queue (self, op, callback, user_data);
}

void
_ladle_partial_file_delete (LadlePartialFile         *self,
                            LadlePartialFileCallback  callback,
                            gpointer                  user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_DELETE;
  op->releases = TRUE;
  queue (self, op, callback, user_data);
}

void
_ladle_partial_file_move (LadlePartialFile         *self,
                          GFile                    *destination,
                          gboolean                  create_parents,
                          gboolean                  replace,
                          LadlePartialFileCallback  callback,
                          gpointer                  user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_MOVE;
  op->releases = TRUE;
  op->destination = g_object_ref (destination);
  op->create_parents = create_parents;
  op->replace = replace;
  queue (self, op, callback, user_data);
}

/* Sweeping a partial directory: files no task holds and older than the age limit */

typedef struct
{
  GFile      *directory;
  guint64     max_age;
  GHashTable *keep;       /* names never removed, or NULL */
} Sweep;

static void
sweep_free (gpointer data)
{
  Sweep *sweep = data;

  g_object_unref (sweep->directory);
  g_clear_pointer (&sweep->keep, g_hash_table_unref);
  g_free (sweep);
}

static gboolean
is_claimed (const char *path)
{
  gboolean claimed;

  g_mutex_lock (&registry_lock);
  claimed = registry != NULL && g_hash_table_contains (registry, path);
  g_mutex_unlock (&registry_lock);

  return claimed;
}

static void
sweep_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Sweep *sweep = task_data;
  g_autofree char *directory = g_file_get_path (sweep->directory);
  g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;
  guint removed = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (directory, name, NULL);
      GStatBuf info;
      int fd;

      if (!g_str_has_suffix (name, ".part") || is_claimed (path) ||
          (sweep->keep != NULL && g_hash_table_contains (sweep->keep, name)) ||
          g_lstat (path, &info) != 0 || !S_ISREG (info.st_mode) ||
          (sweep->max_age > 0 && now - (gint64)info.st_mtime < (gint64)sweep->max_age))
        continue;

      /* A task of another process holds its partial file locked. */
      fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        continue;
      if (flock (fd, LOCK_EX | LOCK_NB) == 0 && g_unlink (path) == 0)
        removed++;
      close (fd);
    }

  if (removed > 0)
    g_debug ("Removed %u stale partial files from %s", removed, directory);
  g_task_return_boolean (task, TRUE);
}

static void
sweep (GFile              *directory,
       guint64             max_age,
       const char * const *keep)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
  Sweep *sweep = g_new0 (Sweep, 1);

  sweep->directory = g_object_ref (directory);
  sweep->max_age = max_age;
  if (keep != NULL)
    {
      sweep->keep = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; keep[i] != NULL; i++)
        g_hash_table_add (sweep->keep, g_strdup (keep[i]));
    }
  g_task_set_source_tag (task, _ladle_partial_file_sweep);
  g_task_set_task_data (task, sweep, sweep_free);
  g_task_run_in_thread (task, sweep_thread);
}

/* Removes, on a worker thread, the partial files of @directory that no task holds and that
 * were last written more than @max_age seconds ago (downloads killed and never resumed). */
void
_ladle_partial_file_sweep (GFile   *directory,
                           guint64  max_age)
{
  sweep (directory, max_age, NULL);
}

/* Removes, on a worker thread, every partial file of @directory that no task holds and whose
 * name is not in @keep (a background session's files that no record refers to). */
void
_ladle_partial_file_sweep_unreferenced (GFile              *directory,
                                        const char * const *keep)
{
  sweep (directory, 0, keep);
}
