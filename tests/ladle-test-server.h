/* ladle-test-server.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * Deterministic content. Byte @offset of every test body is ladle_test_content_byte (offset), so
 * tests compute the expected bytes and checksums instead of hard-coding them. The generator is
 * not periodic on any short scale: a lost, duplicated or reordered chunk changes the checksum.
 */
guint8  ladle_test_content_byte              (guint64     offset);
void    ladle_test_content_fill              (guint8     *buffer,
                                              guint64     offset,
                                              gsize       length);
void    ladle_test_byte_array_append_content (GByteArray *array,
                                              guint64     offset,
                                              gsize       length);
GBytes *ladle_test_content_new               (guint64     offset,
                                              gsize       length);
char   *ladle_test_content_checksum          (gsize       length);
char   *ladle_test_checksum_bytes            (GBytes     *bytes);
char   *ladle_test_checksum_data             (const guint8 *data,
                                              gsize       length);

/*
 * LadleTestServer: an in-process SoupServer on 127.0.0.1, port 0, served by the thread-default
 * main context of the thread that creates it. Paths:
 *
 *   /bytes/N          N bytes of content, Content-Length, header X-Ladle-Test: bytes
 *   /chunked/N        N bytes, chunked encoding (?chunk=SIZE, default 4096)
 *   /gzip/N           N bytes of content, gzip-compressed: Content-Encoding: gzip, and a
 *                     Content-Length that counts the compressed bytes
 *   /status/CODE      status CODE, body "status CODE" (text/plain)
 *   /headers          200, the request headers as "Name: value\n" lines (text/plain)
 *   /slow             drips content: ?chunks=N (8) &size=S (4096) &interval=MS (20); chunked, or
 *                     Content-Length when &length=1
 *   /stall            never answers (the message stays paused)
 *   /stall-body       answers headers (Content-Length 100000) and a first 1000 bytes, then nothing
 *   /truncate         Content-Length 100000, sends 10000 bytes of content, then closes the socket
 *                     (?length=L&sent=S to change the numbers)
 */
typedef struct _LadleTestServer LadleTestServer;

LadleTestServer *ladle_test_server_new                (void);
void             ladle_test_server_free               (LadleTestServer *self);
SoupServer      *ladle_test_server_get_soup_server    (LadleTestServer *self);
char            *ladle_test_server_dup_uri            (LadleTestServer *self,
                                                       const char      *path_and_query);
guint            ladle_test_server_get_n_requests     (LadleTestServer *self);
guint            ladle_test_server_get_n_finished     (LadleTestServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleTestServer, ladle_test_server_free)

/*
 * LadleTestRawServer: a GSocketService on 127.0.0.1, port 0, for byte-exact broken responses.
 * For every connection it reads the request head (up to the blank line), writes @response
 * exactly, then closes the connection (CLOSE) or keeps it open and silent until the server is
 * freed (STALL). With an empty @response and STALL, it accepts and never answers.
 */
typedef enum
{
  LADLE_TEST_RAW_CLOSE,
  LADLE_TEST_RAW_STALL,
} LadleTestRawEnd;

typedef struct _LadleTestRawServer LadleTestRawServer;

LadleTestRawServer *ladle_test_raw_server_new               (GBytes             *response,
                                                             LadleTestRawEnd     end);
void                ladle_test_raw_server_free              (LadleTestRawServer *self);
char               *ladle_test_raw_server_dup_uri           (LadleTestRawServer *self,
                                                             const char         *path);
guint               ladle_test_raw_server_get_n_connections (LadleTestRawServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleTestRawServer, ladle_test_raw_server_free)

/* Helpers to build raw HTTP/1.1 responses. */
GByteArray *ladle_test_raw_response_begin        (const char *status_line,
                                                  const char *extra_headers);
void        ladle_test_raw_response_append_chunk (GByteArray *response,
                                                  guint64     content_offset,
                                                  gsize       chunk_length,
                                                  gsize       bytes_of_chunk_sent,
                                                  gboolean    with_trailing_crlf);

/* Seconds a test waits before it declares a hang, scaled by LADLE_TEST_TIMEOUT_MULTIPLIER. */
guint ladle_test_failsafe_seconds (guint seconds);

/* Iterates the thread-default main context until *@flag is true; fails the test with @what after
 * the failsafe. */
void  ladle_test_wait_for_flag   (gboolean   *flag,
                                  guint       seconds,
                                  const char *what);

/* Iterates the thread-default main context for @milliseconds (never an assertion on time:
 * used to give a wrong implementation the chance to misbehave). */
void  ladle_test_spin            (guint       milliseconds);

G_END_DECLS
