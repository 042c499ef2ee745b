/* upload-server.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define UPLOAD_SERVER_USER     "uploader"
#define UPLOAD_SERVER_PASSWORD "s3cret"

/*
 * UploadServer: an in-process SoupServer on 127.0.0.1 (port 0) that keeps every request body it
 * receives, so that a test can check the bytes on the server side. Paths:
 *
 *   /upload                any method: 200, body "LENGTH SHA256\n" of the request body received
 *   /auth/upload           the same behind Basic authentication (UPLOAD_SERVER_USER and
 *                          UPLOAD_SERVER_PASSWORD, realm "ladle-uploads")
 *   /redirect/CODE?to=PATH answers CODE with Location: PATH
 *
 * Every request that reaches a handler is kept as an UploadRequest, in order. Requests refused
 * by the authentication domain do not reach a handler; they are counted in n_unauthorized.
 */

typedef struct
{
  char               *method;
  char               *path;
  SoupMessageHeaders *headers;        /* the request headers */
  GBytes             *body;           /* the request body as received */
  SoupEncoding        encoding;       /* how the body was framed */
  goffset             content_length; /* the Content-Length header, -1 when there is none */
  char               *sha256;         /* of body */
} UploadRequest;

typedef struct
{
  SoupServer *server;
  GPtrArray  *requests;        /* UploadRequest */
  guint       n_started;
  guint       n_finished;
  guint       n_unauthorized;
  guint       port;
} UploadServer;

UploadServer *upload_server_new        (void);
void          upload_server_free       (UploadServer *self);
char         *upload_server_dup_uri    (UploadServer *self,
                                        const char   *path_and_query);
UploadRequest *upload_server_get_request (UploadServer *self,
                                          guint         index);
/* Iterates the main context until every request the server started is finished. */
void          upload_server_wait_idle  (UploadServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UploadServer, upload_server_free)

/*
 * RawServer: a plain TCP server on 127.0.0.1 (port 0), each connection handled in its own thread,
 * for the failures a SoupServer cannot produce. It reads a request's head, then:
 *
 *   RAW_SERVER_STALL   reads nothing more and never answers, until the server is freed
 *   RAW_SERVER_REJECT  reads 128 KiB of the body, answers 413 with Connection: close, and
 *                      closes the connection
 *
 * Freeing it wakes and waits for every connection thread.
 */

typedef enum
{
  RAW_SERVER_STALL,
  RAW_SERVER_REJECT,
} RawServerMode;

typedef struct _RawServer RawServer;

RawServer *raw_server_new            (RawServerMode  mode);
void       raw_server_free           (RawServer     *self);
char      *raw_server_dup_uri        (RawServer     *self,
                                      const char    *path);
guint      raw_server_get_n_requests (RawServer     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawServer, raw_server_free)

/* Deterministic content: a different stream of bytes for every @seed. */
GBytes *upload_content_new (guint32 seed,
                            gsize   length);

/* Iterates the thread-default main context until *@flag; aborts the test after @seconds
 * (scaled by LADLE_TEST_TIMEOUT_MULTIPLIER). */
void    upload_wait_for_flag (gboolean   *flag,
                              guint       seconds,
                              const char *what);

G_END_DECLS
