/* security-util.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ladle.h>

G_BEGIN_DECLS

/*
 * Certificates made by openssl when a test first asks for them, in a temporary directory that
 * ladle_sec_certs_cleanup() removes:
 *
 *   self-signed    CN=127.0.0.1, subjectAltName IP:127.0.0.1 (what a test server presents)
 *   other          another self-signed certificate for 127.0.0.1 (a pin that does not match)
 *   ca             a test certificate authority
 *   leaf           CN=127.0.0.1, subjectAltName IP:127.0.0.1 and DNS:localhost, signed by ca
 */
typedef enum
{
  LADLE_SEC_CERT_SELF_SIGNED,
  LADLE_SEC_CERT_OTHER,
  LADLE_SEC_CERT_LEAF,
} LadleSecCert;

const char      *ladle_sec_cert_file       (LadleSecCert cert);
const char      *ladle_sec_key_file        (LadleSecCert cert);
const char      *ladle_sec_ca_file         (void);
GTlsCertificate *ladle_sec_cert_load       (LadleSecCert cert);
void             ladle_sec_certs_cleanup   (void);

/*
 * LadleSecServer: an in-process SoupServer on 127.0.0.1, port 0 (plain, or HTTPS when given a
 * certificate), driven by the thread-default main context. It is also reachable as
 * "localhost", a different host for the same server (ladle_sec_assert_localhost_is_loopback checks
 * that the name resolves to 127.0.0.1 and to nothing off this machine).
 *
 *   /ok                 200 "ok"
 *   /echo               200; the body lists the request: "method M", "path P", one
 *                       "header Name: value" line per request header, "body-length N"
 *   /redirect/CODE      CODE with Location: the `to` query parameter, body "redirect body"
 *   /loop               302 to /loop
 *   /basic/REST         Basic auth (realm "ladle-basic", user "user", password "secret"), then
 *                       REST as above when it is /ok or /redirect/..., else /echo
 *   /digest/REST        Digest auth (realm "ladle-digest", same credentials), then as /basic
 *   /hold               answers 200 "held" only once ladle_sec_server_release () is called
 *
 * Every request that was read (including those refused with 401) is recorded in order.
 */
typedef struct
{
  char               *method;
  char               *path;
  char               *host;
  SoupMessageHeaders *headers;
  GBytes             *body;
  SoupHTTPVersion     http_version;
} LadleSecRequest;

typedef struct _LadleSecServer LadleSecServer;

#define LADLE_SEC_USER     "user"
#define LADLE_SEC_PASSWORD "secret"

LadleSecServer  *ladle_sec_server_new            (GTlsCertificate *certificate);
void             ladle_sec_server_free           (LadleSecServer  *self);
guint            ladle_sec_server_get_port       (LadleSecServer  *self);
/* @host: "127.0.0.1" or "localhost"; @path_and_query starts with "/" */
char            *ladle_sec_server_dup_uri        (LadleSecServer  *self,
                                                  const char      *host,
                                                  const char      *path_and_query);
/* /redirect/CODE?to=@target */
char            *ladle_sec_server_dup_redirect_uri (LadleSecServer *self,
                                                    guint           code,
                                                    const char     *target);
guint            ladle_sec_server_get_n_requests (LadleSecServer  *self);
LadleSecRequest *ladle_sec_server_get_request    (LadleSecServer  *self,
                                                  guint            index);
void             ladle_sec_server_release        (LadleSecServer  *self);
guint            ladle_sec_server_get_n_held     (LadleSecServer  *self);
/* Iterates the thread-default main context until a request to /hold arrived (failsafe included). */
void             ladle_sec_server_wait_for_held  (LadleSecServer  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleSecServer, ladle_sec_server_free)

/*
 * LadleSecRun: runs one task to its completion and writes down what it signalled.
 */
typedef struct
{
  LadleTask    *task;
  gboolean      done;
  guint         n_completed;
  guint         n_response;
  guint         n_redirect_notify;  /* notify::current-request */
  GError       *error;
  GBytes       *body;
  guint         status;
} LadleSecRun;

LadleSecRun *ladle_sec_run_new   (LadleTask   *task);
void         ladle_sec_run_wait  (LadleSecRun *self);
void         ladle_sec_run_free  (LadleSecRun *self);
/* new + resume + wait */
LadleSecRun *ladle_sec_run       (LadleTask   *task);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LadleSecRun, ladle_sec_run_free)

LadleSession *ladle_sec_session_new          (void);
LadleSession *ladle_sec_session_new_with_tls_database (GTlsDatabase *database);

/* Waits for @flag while iterating the thread-default main context (failsafe included). */
void          ladle_sec_wait_for_flag        (gboolean   *flag,
                                              const char *what);
/* Whether @body (text) has @line as one of its lines */
gboolean      ladle_sec_body_has_line        (GBytes     *body,
                                              const char *line);
void          ladle_sec_assert_localhost_is_loopback (void);

G_END_DECLS
