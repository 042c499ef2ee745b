/* ladle-test.h: the one header of the test-support library (tests/support/)
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every C test area links ladle_test_support (meson: ladle_test_support_dep) and includes this
 * header. One file a job:
 *
 *   ladle-test-content.c     deterministic content and checksums
 *   ladle-test-wait.c        failsafe, wait_until / wait_for_flag, spin
 *   ladle-test-server.c      the in-process SoupServer with every route the areas need
 *   ladle-test-raw-server.c  a socket server for byte-exact broken responses
 *   ladle-test-certs.c       certificates made by openssl at test time
 *   ladle-test-recorder.c    the signal recorder, the task runner, ephemeral sessions
 *   ladle-test-server-main.c the same server as a child process, for the Python and GJS tests
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Content (ladle-test-content.c) *******************************************************/

/*
 * Byte @offset of every generic test body is ladle_test_content_byte (offset), so tests compute
 * the expected bytes and checksums instead of hard-coding them. The generator is not periodic on
 * any short scale: a lost, duplicated or reordered chunk changes the checksum.
 */
guint8  ladle_test_content_byte              (guint64       offset);
void    ladle_test_content_fill              (guint8       *buffer,
                                              guint64       offset,
                                              gsize         length);
void    ladle_test_byte_array_append_content (GByteArray   *array,
                                              guint64       offset,
                                              gsize         length);
GBytes *ladle_test_content_new               (guint64       offset,
                                              gsize         length);
/* A different stream of bytes for every @seed (the content from offset @seed << 40). */
GBytes *ladle_test_content_for_seed          (guint32       seed,
                                              gsize         length);
char   *ladle_test_content_checksum          (gsize         length);
char   *ladle_test_checksum_bytes            (GBytes       *bytes);
char   *ladle_test_checksum_data             (const guint8 *data,
                                              gsize         length);
/* SHA-256 of a file's contents; NULL when it cannot be read. */
char   *ladle_test_checksum_file             (const char   *path);

/*
 * Versioned content, served by /resource/SIZE. Variant V (1, 2, ...) is the concatenation of
 * 32-byte blocks, block K being SHA-256 of the ASCII text "ladle:V:K", cut to the size. The
 * Python and GJS tests compute it the same way (a server that changes serves the next variant).
 */
GBytes *ladle_test_variant_content_new       (guint         variant,
                                              gsize         size);
char   *ladle_test_variant_content_checksum  (guint         variant,
                                              gsize         size);

/* Waiting (ladle-test-wait.c) **********************************************************/

/* Seconds a test waits before it declares a hang, scaled by LADLE_TEST_TIMEOUT_MULTIPLIER. */
guint ladle_test_failsafe_seconds (guint seconds);

typedef gboolean (*LadleTestPredicate) (gpointer data);

/* Iterates the thread-default main context until @predicate holds; a ticking source re-checks
 * it even when nothing else happens (a stalled server). Fails the test with @what after the
 * failsafe of @seconds. */
void  ladle_test_wait_until      (LadleTestPredicate  predicate,
                                  gpointer            data,
                                  guint               seconds,
                                  const char         *what);

/* ladle_test_wait_until for *@flag becoming true. */
void  ladle_test_wait_for_flag   (gboolean           *flag,
                                  guint               seconds,
                                  const char         *what);

/* Iterates the thread-default main context for @milliseconds (never an assertion on time:
 * used to give a wrong implementation the chance to misbehave). */
void  ladle_test_spin            (guint               milliseconds);

/* Dispatches what is already pending on the thread-default main context, at most @max_iterations
 * sources (0: no limit). */
void  ladle_test_drain           (guint               max_iterations);

/* Files (ladle-test-files.c) **********************************************************/

void    ladle_test_remove_tree    (const char *path);
char   *ladle_test_list_directory (const char *path);
gint64  ladle_test_file_size      (const char *path);

typedef struct
{
  const char *url;
  const char *method;          /* NULL: GET */
  const char *partial;
  guint64     bytes_received;
  gint64      expected_total;
  const char *etag;            /* NULL: none */
  const char *last_modified;   /* NULL: none */
  guint32     version;         /* 0: 1 */
  const char *header_name;     /* one more request header, NULL for none */
  const char *header_value;
} LadleTestResumeFields;

GBytes *ladle_test_resume_data_build (const LadleTestResumeFields *fields);

/* The sorted names in @dir, joined by spaces, are @expected. */
#define ladle_test_assert_listing(dir, expected) \
  G_STMT_START { \
    g_autofree char *listing__ = ladle_test_list_directory (dir); \
    g_assert_cmpstr (listing__, ==, (expected)); \
  } G_STMT_END

/* The server (ladle-test-server.c) *****************************************************/

#define LADLE_TEST_USER            "user"
#define LADLE_TEST_PASSWORD        "secret"
#define LADLE_TEST_UPLOAD_USER     "uploader"
#define LADLE_TEST_UPLOAD_PASSWORD "s3cret"

/*
 * LadleTestServer: an in-process SoupServer on 127.0.0.1, port 0 (plain, or HTTPS when given a
 * certificate; HTTP/2 over TLS when SOUP_SERVER_HTTP2=1 is set), served by the thread-default
 * main context of the thread that creates it. Also reachable as "localhost", a different host
 * for the same server. Routes:
 *
 * Generic
 *   /bytes/N           N bytes of content, Content-Length, header X-Ladle-Test: bytes
 *   /chunked/N         N bytes, chunked encoding (?chunk=SIZE, default 4096)
 *   /gzip/N            N bytes of content, gzip-compressed: Content-Encoding: gzip, and a
 *                      Content-Length that counts the compressed bytes
 *   /status/CODE       status CODE, body "status CODE" (text/plain)
 *   /headers           200, the request headers as "Name: value\n" lines (text/plain)
 *   /slow              drips content: ?chunks=N (8) &size=S (4096) &interval=MS (20); chunked,
 *                      or Content-Length when &length=1
 *   /stall             never answers (the message stays paused)
 *   /stall-body        answers headers (Content-Length 100000) and a first 1000 bytes, then nothing
 *   /truncate          Content-Length 100000, sends 10000 bytes of content, then closes the socket
 *                      (?length=L&sent=S to change the numbers)
 *   /ok                200 "ok"
 *   /set-cookie?cookie=NAME%3DVALUE   200 "ok" with Set-Cookie: NAME=VALUE
 *   /echo              200; the body lists the request: "method M", "path P", one
 *                      "header Name: value" line per request header, "body-length N"
 *   /hold              answers 200 "held" only once ladle_test_server_release () is called
 *   /flaky             the first ?fail=N (2) requests to this URI (query included) answer
 *                      ?status=CODE (503) with ?retry-after=VALUE as Retry-After (none without
 *                      it; "date+S": an HTTP-date S seconds from now), body "flaky"; then 200 "ok"
 *                      (text/plain), or with ?json=1 200 {"ok":true} (application/json)
 *
 * Redirects
 *   /redirect?to=URI   302 to URI
 *   /redirect/CODE     CODE with Location: the `to` query parameter (none without it), body
 *                      "redirect body"
 *   /loop              302 to /loop
 *
 * Authentication
 *   /basic/REST        Basic auth (realm "ladle-basic", LADLE_TEST_USER, LADLE_TEST_PASSWORD),
 *                      then REST as above when it is /ok or /redirect/..., else /echo
 *   /digest/REST       Digest auth (realm "ladle-digest", same credentials), then as /basic
 *
 * Uploads
 *   /upload            any method: 200, body "LENGTH SHA256\n" of the request body received
 *   /auth/upload       the same behind Basic auth (realm "ladle-uploads",
 *                      LADLE_TEST_UPLOAD_USER, LADLE_TEST_UPLOAD_PASSWORD)
 *
 * Downloads (the server applies ranges itself: SoupServer's automatic Range support ignores
 * If-Range)
 *   /resource/SIZE     SIZE bytes of variant 1, with these query parameters:
 *     etag=strong|weak|none    the ETag: "vV-SIZE", W/"vV-SIZE" or none (strong)
 *     lm=1|0                   send Last-Modified (1)
 *     ranges=bytes|none|ignore Accept-Ranges: bytes and honour Range; Accept-Ranges: none and
 *                              ignore it; no Accept-Ranges and ignore it (bytes)
 *     changing=1               every request to this URI serves the next variant: 1, 2, ...
 *     lie=1                    honour Range even when If-Range does not match
 *     stall=N                  a request without Range gets its headers and N bytes, then nothing
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
 *   /named/ANYTHING    100 bytes of variant 1, strong ETag, for URL-derived file names
 *   /log               JSON array of the requests so far ("/log" itself excluded):
 *                      {"method","path","query","range","if_range","status","headers":{...}};
 *                      /log?clear=1 empties it after answering
 *
 * Every request that was read (including those refused with 401) is recorded in order, once
 * its body is read and before any handler answers it (so the record exists before the client
 * can see the response); "handled" ones are those that reached a handler.
 */
typedef struct
{
  char               *method;
  char               *path;
  char               *query;          /* NULL when absent */
  char               *host;           /* the Host header */
  char               *range;          /* the Range header, NULL when absent */
  char               *if_range;       /* the If-Range header, NULL when absent */
  SoupMessageHeaders *headers;        /* the request headers as received */
  GBytes             *body;           /* the request body as received */
  SoupEncoding        encoding;       /* how the body was framed */
  goffset             content_length; /* the Content-Length header, -1 when there is none */
  char               *sha256;         /* of body */
  SoupHTTPVersion     http_version;
  guint               status;         /* as the handler (or the auth domain) set it */
  gboolean            handled;        /* reached a handler (not refused by an auth domain) */
} LadleTestRequest;

typedef struct _LadleTestServer LadleTestServer;

LadleTestServer  *ladle_test_server_new               (void);
/* HTTPS with @certificate (NULL: plain HTTP) */
LadleTestServer  *ladle_test_server_new_tls           (GTlsCertificate *certificate);
void              ladle_test_server_free              (LadleTestServer *self);
SoupServer       *ladle_test_server_get_soup_server   (LadleTestServer *self);
guint             ladle_test_server_get_port          (LadleTestServer *self);
/* http(s)://127.0.0.1:PORT@path_and_query; @path_and_query starts with "/" */
char             *ladle_test_server_dup_uri           (LadleTestServer *self,
                                                       const char      *path_and_query);
/* @host: "127.0.0.1" or "localhost" */
char             *ladle_test_server_dup_uri_for_host  (LadleTestServer *self,
                                                       const char      *host,
                                                       const char      *path_and_query);
/* /redirect/CODE?to=@target */
char             *ladle_test_server_dup_redirect_uri  (LadleTestServer *self,
                                                       guint            code,
                                                       const char      *target);
/* Requests whose handling started (request-started) and finished (finished or aborted). */
guint             ladle_test_server_get_n_started     (LadleTestServer *self);
guint             ladle_test_server_get_n_finished    (LadleTestServer *self);
/* Requests that finished with 401. */
guint             ladle_test_server_get_n_unauthorized (LadleTestServer *self);
/* Every request read, oldest first (element-type LadleTestRequest); /log excluded. */
GPtrArray        *ladle_test_server_get_requests      (LadleTestServer *self);
guint             ladle_test_server_get_n_requests    (LadleTestServer *self);
LadleTestRequest *ladle_test_server_get_request       (LadleTestServer *self,
                                                       guint            index);
LadleTestRequest *ladle_test_server_get_last_request  (LadleTestServer *self);
/* Only the requests that reached a handler. */
guint             ladle_test_server_get_n_handled     (LadleTestServer *self);
LadleTestRequest *ladle_test_server_get_handled       (LadleTestServer *self,
                                                       guint            index);
void              ladle_test_server_clear_log         (LadleTestServer *self);
/* Iterates the main context until every request the server started is finished. */
void              ladle_test_server_wait_idle         (LadleTestServer *self);
/* /hold */
void              ladle_test_server_release           (LadleTestServer *self);
guint             ladle_test_server_get_n_held        (LadleTestServer *self);
void              ladle_test_server_wait_for_held     (LadleTestServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleTestServer, ladle_test_server_free)

/* A new copy of @headers (of the same type) */
SoupMessageHeaders *ladle_test_headers_copy (SoupMessageHeaders *headers);

/* Whether @body (text) has @line as one of its lines */
gboolean ladle_test_body_has_line               (GBytes     *body,
                                                 const char *line);
/* "localhost" resolves to 127.0.0.1 and to nothing off this machine */
void     ladle_test_assert_localhost_is_loopback (void);

/* The raw server (ladle-test-raw-server.c) *********************************************/

/*
 * LadleTestRawServer: a GSocketService on 127.0.0.1, port 0, driven by the thread-default main
 * context, for byte-exact broken responses and for what a SoupServer cannot do. For every
 * connection it reads the request head (up to the blank line), then @body_bytes of the body
 * (LADLE_TEST_RAW_BODY_ALL: none; 0: nothing), writes @response exactly, then closes the
 * connection (CLOSE) or keeps it open and silent until the server is freed (STALL). With an
 * empty @response and STALL, it accepts and never answers.
 */
typedef enum
{
  LADLE_TEST_RAW_CLOSE,
  LADLE_TEST_RAW_STALL,
} LadleTestRawEnd;

typedef struct _LadleTestRawServer LadleTestRawServer;

LadleTestRawServer *ladle_test_raw_server_new               (GBytes             *response,
                                                             LadleTestRawEnd     end);
/* Reads @body_bytes of the request body before it answers. */
LadleTestRawServer *ladle_test_raw_server_new_full          (GBytes             *response,
                                                             LadleTestRawEnd     end,
                                                             gsize               body_bytes);
/* Reads the head and never answers. */
LadleTestRawServer *ladle_test_raw_server_new_stall         (void);
/* Reads the head and 128 KiB of the body, answers 413 with Connection: close, and closes. */
LadleTestRawServer *ladle_test_raw_server_new_reject        (void);
void                ladle_test_raw_server_free              (LadleTestRawServer *self);
char               *ladle_test_raw_server_dup_uri           (LadleTestRawServer *self,
                                                             const char         *path);
guint               ladle_test_raw_server_get_n_connections (LadleTestRawServer *self);
/* Request heads read in full. */
guint               ladle_test_raw_server_get_n_requests    (LadleTestRawServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleTestRawServer, ladle_test_raw_server_free)

/* Helpers to build raw HTTP/1.1 responses. */
GByteArray *ladle_test_raw_response_begin        (const char *status_line,
                                                  const char *extra_headers);
void        ladle_test_raw_response_append_chunk (GByteArray *response,
                                                  guint64     content_offset,
                                                  gsize       chunk_length,
                                                  gsize       bytes_of_chunk_sent,
                                                  gboolean    with_trailing_crlf);

/* The network monitor (ladle-test-monitor.c) ******************************************/

/* A GNetworkMonitor (and GInitable) whose network-available and network-metered are what the
 * test sets (each change is notified); for LadleSessionConfiguration:network-monitor. */
#define LADLE_TEST_TYPE_MONITOR (ladle_test_monitor_get_type ())
G_DECLARE_FINAL_TYPE (LadleTestMonitor, ladle_test_monitor, LADLE_TEST, MONITOR, GObject)

LadleTestMonitor *ladle_test_monitor_new           (gboolean          available,
                                                    gboolean          metered);
void              ladle_test_monitor_set_available (LadleTestMonitor *self,
                                                    gboolean          available);
void              ladle_test_monitor_set_metered   (LadleTestMonitor *self,
                                                    gboolean          metered);

/* Certificates (ladle-test-certs.c) ****************************************************/

/*
 * Made by openssl when a test first asks for them, in a temporary directory that
 * ladle_test_certs_cleanup () removes:
 *
 *   self-signed    CN=127.0.0.1, subjectAltName IP:127.0.0.1 (what a test server presents)
 *   other          another self-signed certificate for 127.0.0.1 (a pin that does not match)
 *   ca             a test certificate authority
 *   leaf           CN=127.0.0.1, subjectAltName IP:127.0.0.1 and DNS:localhost, signed by ca
 */
typedef enum
{
  LADLE_TEST_CERT_SELF_SIGNED,
  LADLE_TEST_CERT_OTHER,
  LADLE_TEST_CERT_LEAF,
} LadleTestCert;

const char      *ladle_test_cert_file     (LadleTestCert cert);
const char      *ladle_test_key_file      (LadleTestCert cert);
const char      *ladle_test_ca_file       (void);
GTlsCertificate *ladle_test_cert_load     (LadleTestCert cert);
void             ladle_test_certs_cleanup (void);

G_END_DECLS

/* The recorder needs the library; the child-process server does not include it. */
#ifndef LADLE_TEST_NO_LADLE
# include "ladle-test-recorder.h"
#endif
