/* slow-write.c: an LD_PRELOAD shim that makes writes to files under one directory slow.
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every write(2) to a regular file whose path starts with $LADLE_TEST_SLOW_DIR sleeps
 * $LADLE_TEST_SLOW_MS milliseconds first (default 100), as a slow or busy disk would, and so does
 * every splice(2) into such a file (a download body spliced from the socket). Other
 * writes (sockets, eventfds, pipes, other files) are untouched. ladle_slow_write_count tells a
 * test how many writes were slowed, so that it can tell the shim was in place.
 */

#define _GNU_SOURCE

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int ladle_slow_write_count;

static int
is_slow (int fd)
{
  const char *dir = getenv ("LADLE_TEST_SLOW_DIR");
  char link[64];
  char path[PATH_MAX];
  struct stat st;
  ssize_t n;

  if (dir == NULL || *dir == '\0' || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    return 0;

  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  n = readlink (link, path, sizeof path - 1);
  if (n <= 0)
    return 0;
  path[n] = '\0';

  return strncmp (path, dir, strlen (dir)) == 0;
}

static void
slow_down (void)
{
  const char *ms = getenv ("LADLE_TEST_SLOW_MS");
  long delay = ms != NULL ? atol (ms) : 100;
  struct timespec pause = { delay / 1000, (delay % 1000) * 1000000L };

  __atomic_add_fetch (&ladle_slow_write_count, 1, __ATOMIC_SEQ_CST);
  nanosleep (&pause, NULL);
}

ssize_t
splice (int           fd_in,
        loff_t       *off_in,
        int           fd_out,
        loff_t       *off_out,
        size_t        length,
        unsigned int  flags)
{
  static ssize_t (*real_splice) (int, loff_t *, int, loff_t *, size_t, unsigned int);

  if (real_splice == NULL)
    real_splice = (ssize_t (*) (int, loff_t *, int, loff_t *, size_t, unsigned int)) dlsym (RTLD_NEXT, "splice");

  if (is_slow (fd_out))
    slow_down ();

  return real_splice (fd_in, off_in, fd_out, off_out, length, flags);
}

ssize_t
write (int         fd,
       const void *buffer,
       size_t      count)
{
  static ssize_t (*real_write) (int, const void *, size_t);

  if (real_write == NULL)
    real_write = (ssize_t (*) (int, const void *, size_t)) dlsym (RTLD_NEXT, "write");

  if (is_slow (fd))
    slow_down ();

  return real_write (fd, buffer, count);
}
