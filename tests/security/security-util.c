/* security-util.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What the redirect, authentication and TLS tests share: certificates made by openssl at test
 * time, an in-process server that records what it was sent, and a runner that drives one task
 * to its completion. Client and server share the test's thread: nothing here blocks.
 */

#include "security-util.h"

#include <string.h>
#include <glib/gstdio.h>

#define FAILSAFE_SECONDS 30

/* Certificates */

typedef struct
{
  char *dir;
  char *cert[3];
  char *key[3];
  char *ca;
} Certs;

static Certs *certs;

static void
run_openssl (const char *dir,
             const char *first_arg,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  int status = 0;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *) "openssl");
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (dir, (char **) argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &output, &status, &error))
    g_error ("cannot run openssl: %s", error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("openssl %s failed: %s\n%s", first_arg, error->message, output);
}

static void
make_self_signed (Certs       *c,
                  LadleSecCert which,
                  const char  *name)
{
  g_autofree char *cert = g_strdup_printf ("%s.pem", name);
  g_autofree char *key = g_strdup_printf ("%s-key.pem", name);

  run_openssl (c->dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
               "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
               "-keyout", key, "-out", cert, NULL);
  c->cert[which] = g_build_filename (c->dir, cert, NULL);
  c->key[which] = g_build_filename (c->dir, key, NULL);
}

static void
make_certs (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *extensions = NULL;
  Certs *c;

  c = g_new0 (Certs, 1);
  c->dir = g_dir_make_tmp ("ladle-security-XXXXXX", &error);
  g_assert_no_error (error);

  make_self_signed (c, LADLE_SEC_CERT_SELF_SIGNED, "self-signed");
  make_self_signed (c, LADLE_SEC_CERT_OTHER, "other");

  run_openssl (c->dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
               "-subj", "/CN=Ladle Test CA",
               "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign",
               "-keyout", "ca-key.pem", "-out", "ca.pem", NULL);
  run_openssl (c->dir, "req", "-new", "-newkey", "rsa:2048", "-nodes",
               "-subj", "/CN=127.0.0.1", "-keyout", "leaf-key.pem", "-out", "leaf.csr", NULL);
  extensions = g_build_filename (c->dir, "leaf.ext", NULL);
  g_file_set_contents (extensions,
                       "basicConstraints=CA:FALSE\n"
                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                       "extendedKeyUsage=serverAuth\n"
                       "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
                       -1, &error);
  g_assert_no_error (error);
  run_openssl (c->dir, "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
               "-set_serial", "4242", "-days", "2", "-extfile", "leaf.ext",
               "-out", "leaf.pem", NULL);

  c->cert[LADLE_SEC_CERT_LEAF] = g_build_filename (c->dir, "leaf.pem", NULL);
  c->key[LADLE_SEC_CERT_LEAF] = g_build_filename (c->dir, "leaf-key.pem", NULL);
  c->ca = g_build_filename (c->dir, "ca.pem", NULL);

  certs = c;
}

static Certs *
get_certs (void)
{
  if (certs == NULL)
    make_certs ();

  return certs;
}

const char *
ladle_sec_cert_file (LadleSecCert cert)
{
  return get_certs ()->cert[cert];
}

const char *
ladle_sec_key_file (LadleSecCert cert)
{
  return get_certs ()->key[cert];
}

const char *
ladle_sec_ca_file (void)
{
  return get_certs ()->ca;
}

GTlsCertificate *
ladle_sec_cert_load (LadleSecCert cert)
{
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;

  certificate = g_tls_certificate_new_from_files (ladle_sec_cert_file (cert),
                                                  ladle_sec_key_file (cert), &error);
  g_assert_no_error (error);

  return certificate;
}

void
ladle_sec_certs_cleanup (void)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (certs == NULL)
    return;

  dir = g_dir_open (certs->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (certs->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (certs->dir);

  for (guint i = 0; i < G_N_ELEMENTS (certs->cert); i++)
    {
      g_free (certs->cert[i]);
      g_free (certs->key[i]);
    }
  g_free (certs->ca);
  g_free (certs->dir);
  g_clear_pointer (&certs, g_free);
}

/* Server */

struct _LadleSecServer
{
  SoupServer *server;
  gboolean    tls;
  guint       port;
  GPtrArray  *requests;  /* LadleSecRequest */
  GPtrArray  *held;      /* SoupServerMessage, paused */
};

static void
request_free (LadleSecRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->host);
  g_clear_pointer (&request->headers, soup_message_headers_unref);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request);
}

static void
copy_header_cb (const char *name,
                const char *value,
                gpointer    user_data)
{
  soup_message_headers_append (user_data, name, value);
}

/* Recorded when the request has been read, before any handler or auth domain answers it, so
 * the record exists before the client can see the response. */
static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 LadleSecServer    *self)
{
  LadleSecRequest *request = g_new0 (LadleSecRequest, 1);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  request->method = g_strdup (soup_server_message_get_method (msg));
  request->path = g_strdup (g_uri_get_path (soup_server_message_get_uri (msg)));
  request->host = g_strdup (soup_message_headers_get_one (headers, "Host"));
  request->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_foreach (headers, copy_header_cb, request->headers);
  request->body = soup_message_body_flatten (body);
  request->http_version = soup_server_message_get_http_version (msg);

  g_ptr_array_add (self->requests, request);
}

static void
append_header_line_cb (const char *name,
                       const char *value,
                       gpointer    user_data)
{
  g_string_append_printf (user_data, "header %s: %s\n", name, value);
}

static void
handle_echo (SoupServerMessage *msg)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GBytes) body = NULL;

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_string_append_printf (text, "method %s\n", soup_server_message_get_method (msg));
  g_string_append_printf (text, "path %s\n", g_uri_get_path (soup_server_message_get_uri (msg)));
  soup_message_headers_foreach (soup_server_message_get_request_headers (msg),
                                append_header_line_cb, text);
  g_string_append_printf (text, "body-length %" G_GSIZE_FORMAT "\n", g_bytes_get_size (body));

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text->str, text->len);
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  LadleSecServer *self = user_data;

  /* Behind an auth domain, the rest of the path says what to answer; nothing means /echo. */
  if (g_str_has_prefix (path, "/basic/") || g_str_has_prefix (path, "/digest/"))
    {
      path = strchr (path + 1, '/');
      if (!g_str_has_prefix (path, "/redirect/") && !g_str_equal (path, "/ok"))
        path = "/echo";
    }

  if (g_str_equal (path, "/ok"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
    }
  else if (g_str_equal (path, "/echo"))
    {
      handle_echo (msg);
    }
  else if (g_str_has_prefix (path, "/redirect/"))
    {
      guint64 code = g_ascii_strtoull (path + strlen ("/redirect/"), NULL, 10);
      const char *to = query ? g_hash_table_lookup (query, "to") : NULL;

      soup_server_message_set_status (msg, (guint) code, NULL);
      if (to != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location", to);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "redirect body", 13);
    }
  else if (g_str_equal (path, "/loop"))
    {
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, "/loop");
    }
  else if (g_str_equal (path, "/hold"))
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (self->held, g_object_ref (msg));
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    }
}

static gboolean
basic_auth_cb (SoupAuthDomain    *domain,
               SoupServerMessage *msg,
               const char        *username,
               const char        *password,
               gpointer           user_data)
{
  return g_strcmp0 (username, LADLE_SEC_USER) == 0 && g_strcmp0 (password, LADLE_SEC_PASSWORD) == 0;
}

static char *
digest_auth_cb (SoupAuthDomain    *domain,
                SoupServerMessage *msg,
                const char        *username,
                gpointer           user_data)
{
  if (g_strcmp0 (username, LADLE_SEC_USER) != 0)
    return NULL;

  return soup_auth_domain_digest_encode_password (username, "ladle-digest", LADLE_SEC_PASSWORD);
}

LadleSecServer *
ladle_sec_server_new (GTlsCertificate *certificate)
{
  LadleSecServer *self = g_new0 (LadleSecServer, 1);
  g_autoptr(SoupAuthDomain) basic = NULL;
  g_autoptr(SoupAuthDomain) digest = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;
  SoupServerListenOptions options = SOUP_SERVER_LISTEN_IPV4_ONLY;

  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  self->tls = certificate != NULL;
  self->server = g_object_new (SOUP_TYPE_SERVER,
                               "tls-certificate", certificate,
                               NULL);
  if (self->tls)
    options |= SOUP_SERVER_LISTEN_HTTPS;

  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);
  g_signal_connect (self->server, "request-read", G_CALLBACK (request_read_cb), self);

  basic = soup_auth_domain_basic_new ("realm", "ladle-basic", NULL);
  soup_auth_domain_basic_set_auth_callback (basic, basic_auth_cb, NULL, NULL);
  soup_auth_domain_add_path (basic, "/basic");
  soup_server_add_auth_domain (self->server, basic);

  digest = soup_auth_domain_digest_new ("realm", "ladle-digest", NULL);
  soup_auth_domain_digest_set_auth_callback (digest, digest_auth_cb, NULL, NULL);
  soup_auth_domain_add_path (digest, "/digest");
  soup_server_add_auth_domain (self->server, digest);

  soup_server_listen_local (self->server, 0, options, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return self;
}

void
ladle_sec_server_free (LadleSecServer *self)
{
  ladle_sec_server_release (self);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_ptr_array_unref (self->requests);
  g_ptr_array_unref (self->held);
  g_free (self);
}

guint
ladle_sec_server_get_port (LadleSecServer *self)
{
  return self->port;
}

char *
ladle_sec_server_dup_uri (LadleSecServer *self,
                          const char     *host,
                          const char     *path_and_query)
{
  return g_strdup_printf ("%s://%s:%u%s", self->tls ? "https" : "http", host, self->port,
                          path_and_query);
}

char *
ladle_sec_server_dup_redirect_uri (LadleSecServer *self,
                                   guint           code,
                                   const char     *target)
{
  g_autofree char *escaped = g_uri_escape_string (target, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/redirect/%u?to=%s", code, escaped);

  return ladle_sec_server_dup_uri (self, "127.0.0.1", path);
}

guint
ladle_sec_server_get_n_requests (LadleSecServer *self)
{
  return self->requests->len;
}

LadleSecRequest *
ladle_sec_server_get_request (LadleSecServer *self,
                              guint           index)
{
  g_assert_cmpuint (index, <, self->requests->len);

  return g_ptr_array_index (self->requests, index);
}

void
ladle_sec_server_release (LadleSecServer *self)
{
  for (guint i = 0; i < self->held->len; i++)
    {
      SoupServerMessage *msg = g_ptr_array_index (self->held, i);

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "held", 4);
      soup_server_message_unpause (msg);
    }
  g_ptr_array_set_size (self->held, 0);
}

guint
ladle_sec_server_get_n_held (LadleSecServer *self)
{
  return self->held->len;
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;

  return G_SOURCE_REMOVE;
}

static guint failsafe_seconds (void);

void
ladle_sec_server_wait_for_held (LadleSecServer *self)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) source = NULL;
  gboolean timed_out = FALSE;

  source = g_timeout_source_new_seconds (failsafe_seconds ());
  g_source_set_callback (source, set_flag_cb, &timed_out, NULL);
  g_source_attach (source, context);

  while (self->held->len == 0 && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (source);

  if (self->held->len == 0)
    g_error ("failsafe: no request to /hold arrived within %u s", failsafe_seconds ());
}

/* Running a task */

static void
run_completed_cb (LadleTask    *task,
                  const GError *error,
                  LadleSecRun  *self)
{
  self->n_completed++;
  self->done = TRUE;
  self->status = ladle_task_get_status_code (task);
  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  if (LADLE_IS_DATA_TASK (task))
    self->body = ladle_data_task_dup_body (LADLE_DATA_TASK (task));
}

static LadleResponseDisposition
run_response_cb (LadleTask   *task,
                 SoupMessage *message,
                 LadleSecRun *self)
{
  self->n_response++;
  /* The response is that of the task's current request. */
  g_assert_true (message == ladle_task_get_current_request (task));

  return LADLE_RESPONSE_DISPOSITION_ALLOW;
}

static void
run_notify_request_cb (LadleTask   *task,
                       GParamSpec  *pspec,
                       LadleSecRun *self)
{
  self->n_redirect_notify++;
}

LadleSecRun *
ladle_sec_run_new (LadleTask *task)
{
  LadleSecRun *self = g_new0 (LadleSecRun, 1);

  self->task = g_object_ref (task);
  g_signal_connect (task, "completed", G_CALLBACK (run_completed_cb), self);
  g_signal_connect (task, "response", G_CALLBACK (run_response_cb), self);
  g_signal_connect (task, "notify::current-request", G_CALLBACK (run_notify_request_cb), self);

  return self;
}

void
ladle_sec_run_wait (LadleSecRun *self)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  ladle_sec_wait_for_flag (&self->done, "the task's completion");

  /* Nothing may follow ::completed: dispatch what is already pending, then check. */
  for (guint i = 0; i < 1000 && g_main_context_iteration (context, FALSE); i++)
    ;
  g_assert_cmpuint (self->n_completed, ==, 1);
  g_assert_cmpint (ladle_task_get_state (self->task), ==, LADLE_TASK_STATE_COMPLETED);
}

void
ladle_sec_run_free (LadleSecRun *self)
{
  g_signal_handlers_disconnect_by_data (self->task, self);
  g_clear_object (&self->task);
  g_clear_error (&self->error);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_free (self);
}

LadleSecRun *
ladle_sec_run (LadleTask *task)
{
  LadleSecRun *self = ladle_sec_run_new (task);

  ladle_task_resume (task);
  ladle_sec_run_wait (self);

  return self;
}

/* Misc */

LadleSession *
ladle_sec_session_new (void)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();

  return ladle_session_new (configuration);
}

LadleSession *
ladle_sec_session_new_with_tls_database (GTlsDatabase *database)
{
  g_autoptr(LadleSessionConfiguration) configuration = ladle_session_configuration_new_ephemeral ();

  ladle_session_configuration_set_tls_database (configuration, database);

  return ladle_session_new (configuration);
}

static guint
failsafe_seconds (void)
{
  const char *multiplier = g_getenv ("LADLE_TEST_TIMEOUT_MULTIPLIER");
  guint64 factor = 1;

  if (multiplier != NULL)
    factor = MAX (1, g_ascii_strtoull (multiplier, NULL, 10));

  return FAILSAFE_SECONDS * factor;
}

void
ladle_sec_wait_for_flag (gboolean   *flag,
                         const char *what)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) source = NULL;
  gboolean timed_out = FALSE;

  source = g_timeout_source_new_seconds (failsafe_seconds ());
  g_source_set_callback (source, set_flag_cb, &timed_out, NULL);
  g_source_attach (source, context);

  while (!*flag && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (source);

  if (!*flag)
    g_error ("failsafe: %s did not happen within %u s", what, failsafe_seconds ());
}

gboolean
ladle_sec_body_has_line (GBytes     *body,
                         const char *line)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (body == NULL)
    return FALSE;

  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  lines = g_strsplit (text, "\n", -1);

  return g_strv_contains ((const char * const *) lines, line);
}

void
ladle_sec_assert_localhost_is_loopback (void)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autoptr(GError) error = NULL;
  GList *addresses;
  gboolean has_ipv4_loopback = FALSE;

  addresses = g_resolver_lookup_by_name (resolver, "localhost", NULL, &error);
  g_assert_no_error (error);
  for (GList *l = addresses; l != NULL; l = l->next)
    {
      g_autofree char *text = g_inet_address_to_string (l->data);

      /* Only loopback: a test must never leave the machine. */
      if (!g_inet_address_get_is_loopback (l->data))
        g_error ("localhost resolves to %s, which is not a loopback address", text);
      if (g_str_equal (text, "127.0.0.1"))
        has_ipv4_loopback = TRUE;
    }
  g_resolver_free_addresses (addresses);

  g_assert_true (has_ipv4_loopback);
}
