/* dl-server.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * Content of the download tests. A resource of variant V (1, 2, ...) is the concatenation of
 * 32-byte blocks, block K being SHA-256 of the ASCII text "ladle:V:K", cut to the resource's
 * size. The C, Python and GJS tests compute it the same way to check what lands on disk.
 */
GBytes *dl_content_new    (guint        variant,
                           gsize        size);
char   *dl_content_sha256 (guint        variant,
                           gsize        size);
char   *dl_sha256_of_file (const char  *path);

/*
 * DlServer: a SoupServer on 127.0.0.1, port 0, driven by the thread-default main context of
 * the thread that creates it. It applies ranges itself (SoupServer's automatic Range support
 * ignores If-Range) and removes the request's Range header so that libsoup never applies it a
 * second time.
 *
 *   /resource/SIZE   SIZE bytes of variant 1, with these query parameters:
 *     etag=strong|weak|none    the ETag: "vV-SIZE", W/"vV-SIZE" or none (strong)
 *     lm=1|0                   send Last-Modified (1)
 *     ranges=bytes|none|ignore Accept-Ranges: bytes and honour Range; Accept-Ranges: none and
 *                              ignore it; no Accept-Ranges and ignore it (bytes)
 *     changing=1               every request to this URI serves the next variant: 1, 2, ...
 *                              (an ETag that changes between pause and resume)
 *     lie=1                    honour Range even when If-Range does not match (a server that
 *                              ignores If-Range)
 *     stall=N                  a request without Range gets its headers and N bytes, then
 *                              nothing: the connection stays open
 *     drop=N                   a request without Range gets Content-Length SIZE, N bytes, then
 *                              the socket is closed
 *     chunked=1                chunked encoding, no Content-Length (with stall=N too)
 *     status=CODE              answer a request without Range with CODE (and the body)
 *     range-start=K            answer a Range request with a 206 starting at byte K
 *     drop-range=N             the first Range request to this URI gets its 206 headers, N bytes
 *                              of the range, then the socket is closed
 *     range-status=CODE        answer a Range request with CODE; 416 carries
 *                              Content-Range: bytes * /SIZE
 *     cd=VALUE                 Content-Disposition: VALUE
 *   /named/ANYTHING   100 bytes of variant 1, strong ETag, for URL-derived file names
 *   /redirect?to=URI  302 to URI (relative to the server)
 *   /log              JSON array of the requests so far ("/log" itself excluded):
 *                     {"method","path","query","range","if_range","status","headers":{...}};
 *                     /log?clear=1 empties it after answering
 */
typedef struct _DlServer DlServer;

typedef struct
{
  char               *method;
  char               *path;
  char               *query;
  char               *range;      /* NULL when absent */
  char               *if_range;   /* NULL when absent */
  guint               status;
  SoupMessageHeaders *headers;    /* the request headers as received */
} DlRequest;

DlServer   *dl_server_new          (void);
void        dl_server_free         (DlServer   *self);
char       *dl_server_dup_uri      (DlServer   *self,
                                    const char *path_and_query);
/* The requests received so far, oldest first (element-type DlRequest). */
GPtrArray  *dl_server_get_requests (DlServer   *self);
void        dl_server_clear_log    (DlServer   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlServer, dl_server_free)

G_END_DECLS
