/* upload-sink.c: an HTTP/1.1 server on 127.0.0.1 that reads request bodies and throws them away
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   ladle-bench-upload-sink
 *
 * The sink of bench/upload. It listens on a free port of 127.0.0.1 and prints the port as its
 * first line. For every request it reads the head, answers "Expect: 100-continue" at once, reads
 * exactly Content-Length bytes of body with 1 MiB reads, answers 204 and prints one JSON line
 * {"bytes": N} (the body bytes it read). One connection at a time; keep-alive is honoured. A
 * request without Content-Length gets 411. SIGTERM or SIGINT stops it.
 *
 * Why not nginx: `return 204` makes nginx discard the body with 4 KiB reads, and `curl -F` of a
 * 1 GiB file to it ran at ~1.3 GB/s on the development machine against ~2.2 GB/s to this sink:
 * nginx was the bottleneck. Reading the body into nginx (DAV, mirror) writes it to a temporary
 * file, which is worse.
 */

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_SIZE (1024 * 1024)
#define MAX_HEAD    (64 * 1024)

static char buffer[BUFFER_SIZE];

static int
write_all (int         fd,
           const char *data,
           size_t      length)
{
  while (length > 0)
    {
      ssize_t n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      data += n;
      length -= (size_t) n;
    }
  return 0;
}

/* The value of header @name in the NUL-terminated @head, or NULL. */
static const char *
find_header (const char *head,
             const char *name)
{
  size_t name_length = strlen (name);
  const char *line = strstr (head, "\r\n");

  while (line != NULL && line[2] != '\0')
    {
      line += 2;
      if (strncasecmp (line, name, name_length) == 0 && line[name_length] == ':')
        {
          const char *value = line + name_length + 1;

          while (*value == ' ' || *value == '\t')
            value++;
          return value;
        }
      line = strstr (line, "\r\n");
    }
  return NULL;
}

/* Serves the requests of one connection; returns when it closes or misbehaves. */
static void
serve (int fd)
{
  size_t filled = 0;

  for (;;)
    {
      char *end;
      size_t head_length;
      const char *value;
      long long content_length, received;
      ssize_t n;

      while ((end = memmem (buffer, filled, "\r\n\r\n", 4)) == NULL)
        {
          if (filled >= MAX_HEAD)
            return;
          n = read (fd, buffer + filled, MAX_HEAD - filled);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            return;
          filled += (size_t) n;
        }
      head_length = (size_t) (end + 4 - buffer);
      end[2] = '\0';

      value = find_header (buffer, "Content-Length");
      if (value == NULL)
        {
          static const char refused[] = "HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

          write_all (fd, refused, sizeof refused - 1);
          return;
        }
      content_length = atoll (value);
      value = find_header (buffer, "Expect");
      if (value != NULL && strncasecmp (value, "100-continue", 12) == 0)
        {
          static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";

          if (write_all (fd, go_on, sizeof go_on - 1) < 0)
            return;
        }

      /* Body bytes that came with the head. */
      received = (long long) (filled - head_length);
      if (received > content_length)
        {
          /* A pipelined next request: not needed by the benchmark's clients. */
          return;
        }
      while (received < content_length)
        {
          size_t want = (size_t) (content_length - received < BUFFER_SIZE ? content_length - received : BUFFER_SIZE);

          n = read (fd, buffer, want);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              printf ("{\"bytes\": %lld, \"truncated\": true}\n", received);
              fflush (stdout);
              return;
            }
          received += n;
        }

      {
        static const char done[] = "HTTP/1.1 204 No Content\r\n\r\n";

        if (write_all (fd, done, sizeof done - 1) < 0)
          return;
      }
      printf ("{\"bytes\": %lld}\n", received);
      fflush (stdout);
      filled = 0;
    }
}

int
main (int   argc,
      char *argv[])
{
  struct sockaddr_in address = { 0 };
  socklen_t address_length = sizeof address;
  int one = 1;
  int listener = socket (AF_INET, SOCK_STREAM, 0);

  if (argc != 1)
    {
      fprintf (stderr, "Usage: ladle-bench-upload-sink\n");
      return 2;
    }

  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listener < 0 ||
      bind (listener, (struct sockaddr *) &address, sizeof address) < 0 ||
      listen (listener, 16) < 0 ||
      getsockname (listener, (struct sockaddr *) &address, &address_length) < 0)
    {
      perror ("ladle-bench-upload-sink");
      return 1;
    }

  printf ("%d\n", ntohs (address.sin_port));
  fflush (stdout);

  for (;;)
    {
      int fd = accept (listener, NULL, NULL);

      if (fd < 0)
        {
          if (errno == EINTR)
            continue;
          perror ("ladle-bench-upload-sink: accept");
          return 1;
        }
      serve (fd);
      close (fd);
    }
}
