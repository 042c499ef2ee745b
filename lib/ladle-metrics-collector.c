/* ladle-metrics-collector.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * LadleMetricsCollector: the metrics of one task (private).
 *
 * The transfer engine calls _ladle_metrics_collector_will_send() before every send of a
 * message (the first request, each redirect hop, each retry) and _ladle_metrics_collector_finish()
 * when the task completes. Everything else is seen here on the message: libsoup restarts the
 * same message for a 401/407 resend ("restarted"), and each restart is a transaction of its own.
 *
 * The values come from libsoup's SoupMessageMetrics (SOUP_MESSAGE_COLLECT_METRICS is set on
 * every message sent). libsoup 3.2 sets them as follows (soup-message.c, soup-session.c, the
 * HTTP/1 and HTTP/2 readers and writers):
 *
 * - fetch_start when the message is queued and again when it is restarted, and the whole
 *   structure is zeroed then: a restart erases the previous attempt's values before
 *   "restarted" is emitted. So a copy is saved at "got-headers" and at "got-body" (the HTTP/1
 *   and HTTP/2 readers set response_end just before "got-body"), and a restarted attempt is
 *   frozen from that copy. A message sent again by the engine (a retry) is frozen from its
 *   live values before the send zeroes them.
 * - dns/connect/tls_start from the connection's GSocketClient events, re-emitted on the
 *   message that made the connection; connect_end at COMPLETE (after TLS). A reused
 *   connection has none of them. There is no tls_end: "network-event" TLS_HANDSHAKED gives it.
 * - request_start when the message starts running on its connection, also when the cache
 *   then answers it (soup-cache.c fills the body size; no header bytes move then); there is
 *   no request_end: "wrote-body" gives it (emitted for bodyless requests too).
 * - byte counts by the readers and writers; response_body_size by the stream the application
 *   reads (after decoding). A request body Ladle writes to the connection itself
 *   (ladle-direct-body.c) is not seen by libsoup: the upload task reports it here.
 */

#include "config.h"

#include "ladle-metrics-collector-private.h"
#include "ladle-task-metrics-private.h"
#include "ladle-transaction-metrics-private.h"

typedef struct
{
  LadleTransactionValues  values;      /* what the message showed, and once frozen everything */
  SoupMessage            *message;     /* NULL once frozen */
  SoupMessageMetrics     *saved;       /* libsoup's values at the last got-headers / got-body */
  guint64                 body_sent;   /* request body bytes Ladle wrote itself */
  guint64                 body_received; /* response body bytes Ladle spliced itself */
  gint64                  body_end;    /* when that body ended (libsoup never sees its end) */
  gboolean                got_headers;
  gboolean                frozen;
} Transaction;

typedef enum
{
  MESSAGE_GOT_HEADERS,
  MESSAGE_GOT_BODY,
  MESSAGE_WROTE_BODY,
  MESSAGE_NETWORK_EVENT,
  MESSAGE_RESTARTED,
  N_MESSAGE_SIGNALS
} MessageSignal;

typedef struct
{
  SoupMessage *message;
  gulong       handlers[N_MESSAGE_SIGNALS];
} Watched;

struct _LadleMetricsCollector
{
  gint64            start_time;    /* monotonic */
  gint64            start_real;    /* wall clock, same instant */
  gint64            end_time;      /* -1 until the task completed */
  guint             redirect_count;
  GPtrArray        *transactions;  /* Transaction */
  GPtrArray        *watched;       /* Watched */
  LadleTaskMetrics *final;
};

static guint message_signals[N_MESSAGE_SIGNALS];

static gint64
stamp (guint64 value)
{
  return value != 0 ? (gint64)value : -1;
}

static void
transaction_free (gpointer data)
{
  Transaction *t = data;

  _ladle_transaction_values_clear (&t->values);
  g_clear_object (&t->message);
  g_clear_pointer (&t->saved, soup_message_metrics_free);
  g_free (t);
}

static void
watched_free (gpointer data)
{
  Watched *w = data;

  for (guint i = 0; i < N_MESSAGE_SIGNALS; i++)
    g_clear_signal_handler (&w->handlers[i], w->message);
  g_clear_object (&w->message);
  g_free (w);
}

/* The attempt of @message in flight. */
static Transaction *
current (LadleMetricsCollector *self,
         SoupMessage           *message)
{
  for (guint i = self->transactions->len; i > 0; i--)
    {
      Transaction *t = g_ptr_array_index (self->transactions, i - 1);

      if (t->message == message)
        return t;
    }

  return NULL;
}

static void
open_transaction (LadleMetricsCollector *self,
                  SoupMessage           *message)
{
  Transaction *t = g_new0 (Transaction, 1);

  _ladle_transaction_values_init (&t->values);
  t->message = g_object_ref (message);
  t->values.uri = g_uri_to_string_partial (soup_message_get_uri (message), G_URI_HIDE_USERINFO);
  t->values.method = g_strdup (soup_message_get_method (message));
  g_ptr_array_add (self->transactions, t);
}

static const char *
protocol_name (SoupHTTPVersion version)
{
  switch (version)
    {
    case SOUP_HTTP_1_0:
      return "http/1.0";
    case SOUP_HTTP_1_1:
      return "http/1.1";
    case SOUP_HTTP_2_0:
      return "h2";
    default:
      return NULL;
    }
}

/* What the message itself says about the response of this attempt. */
static void
take_response (Transaction *t,
               SoupMessage *message)
{
  LadleTransactionValues *v = &t->values;
  GSocketAddress *remote = soup_message_get_remote_address (message);
  const char *reason = soup_message_get_reason_phrase (message);
  const char *ciphersuite = soup_message_get_tls_ciphersuite_name (message);

  t->got_headers = TRUE;
  v->status_code = soup_message_get_status (message);
  g_free (v->reason_phrase);
  v->reason_phrase = g_strdup (reason != NULL && *reason != '\0' ? reason : NULL);
  v->http_version = soup_message_get_http_version (message);
  g_free (v->network_protocol_name);
  v->network_protocol_name = g_strdup (protocol_name (v->http_version));
  v->connection_id = soup_message_get_connection_id (message);
  g_set_object (&v->remote_address, remote);
  v->tls_protocol_version = soup_message_get_tls_protocol_version (message);
  g_free (v->tls_ciphersuite_name);
  v->tls_ciphersuite_name = g_strdup (ciphersuite);
}

/* libsoup's values of the attempt into @v. */
static void
take_metrics (LadleTransactionValues *v,
              const Transaction      *t,
              SoupMessageMetrics     *m)
{
  if (m != NULL)
    {
      v->fetch_start = stamp (soup_message_metrics_get_fetch_start (m));
      v->dns_start = stamp (soup_message_metrics_get_dns_start (m));
      v->dns_end = stamp (soup_message_metrics_get_dns_end (m));
      v->connect_start = stamp (soup_message_metrics_get_connect_start (m));
      v->connect_end = stamp (soup_message_metrics_get_connect_end (m));
      v->tls_start = stamp (soup_message_metrics_get_tls_start (m));
      v->request_start = stamp (soup_message_metrics_get_request_start (m));
      v->response_start = stamp (soup_message_metrics_get_response_start (m));
      v->response_end = stamp (soup_message_metrics_get_response_end (m));
      v->request_header_bytes_sent = soup_message_metrics_get_request_header_bytes_sent (m);
      v->request_body_bytes_sent = soup_message_metrics_get_request_body_bytes_sent (m) + t->body_sent;
      v->request_body_bytes_before_encoding = soup_message_metrics_get_request_body_size (m) + t->body_sent;
      v->response_header_bytes_received = soup_message_metrics_get_response_header_bytes_received (m);
      v->response_body_bytes_received = soup_message_metrics_get_response_body_bytes_received (m) + t->body_received;
      v->response_body_bytes_after_decoding = soup_message_metrics_get_response_body_size (m) + t->body_received;
    }
  else
    {
      v->request_body_bytes_sent = v->request_body_bytes_before_encoding = t->body_sent;
      v->response_body_bytes_received = v->response_body_bytes_after_decoding = t->body_received;
    }
  if (v->response_end < 0 && t->body_end > 0)
    v->response_end = t->body_end;

  /* A TLS end without its start belongs to no handshake of this attempt. */
  if (v->tls_start < 0)
    v->tls_end = -1;
  if (v->request_start < 0)
    v->request_end = -1;
  /* libsoup also stamps the end of a message that failed or was cancelled before any of its
   * response arrived. */
  if (v->response_start < 0)
    v->response_end = -1;
  /* libsoup stamps request_start also for a response it takes from its cache, but nothing
   * goes over a connection then: no request headers written, no response headers read. */
  v->served_from_cache = t->got_headers && v->status_code != 0 &&
                         v->request_header_bytes_sent == 0 && v->response_header_bytes_received == 0;
  v->reused_connection = v->request_start >= 0 && v->connect_start < 0 && !v->served_from_cache;
}

/* The values of @t as they stand. @live: libsoup's values of the message are this attempt's
 * (they were not reset by a restart or a new send). */
static void
values_of (const Transaction      *t,
           gboolean                live,
           LadleTransactionValues *out)
{
  SoupMessageMetrics *m;

  _ladle_transaction_values_copy (out, &t->values);
  if (t->frozen)
    return;

  m = live && t->message != NULL ? soup_message_get_metrics (t->message) : t->saved;
  if (!t->got_headers && t->message != NULL)
    {
      out->connection_id = soup_message_get_connection_id (t->message);
      g_set_object (&out->remote_address, soup_message_get_remote_address (t->message));
    }
  take_metrics (out, t, m);
}

static void
freeze (Transaction *t,
        gboolean     live)
{
  LadleTransactionValues v;

  if (t->frozen)
    return;

  values_of (t, live, &v);
  _ladle_transaction_values_clear (&t->values);
  t->values = v;
  t->frozen = TRUE;
  g_clear_object (&t->message);
  g_clear_pointer (&t->saved, soup_message_metrics_free);
}

static void
save_metrics (Transaction *t,
              SoupMessage *message)
{
  SoupMessageMetrics *m = soup_message_get_metrics (message);

  g_clear_pointer (&t->saved, soup_message_metrics_free);
  if (m != NULL)
    t->saved = soup_message_metrics_copy (m);
}

/* libsoup's signals on a message of the task */

static void
on_got_headers (SoupMessage           *message,
                LadleMetricsCollector *self)
{
  Transaction *t = current (self, message);

  if (t == NULL)
    return;
  take_response (t, message);
  save_metrics (t, message);
}

static void
on_got_body (SoupMessage           *message,
             LadleMetricsCollector *self)
{
  Transaction *t = current (self, message);

  if (t != NULL)
    save_metrics (t, message);
}

static void
on_wrote_body (SoupMessage           *message,
               LadleMetricsCollector *self)
{
  Transaction *t = current (self, message);

  if (t != NULL)
    t->values.request_end = g_get_monotonic_time ();
}

static void
on_network_event (SoupMessage           *message,
                  GSocketClientEvent     event,
                  GIOStream             *connection,
                  LadleMetricsCollector *self)
{
  Transaction *t = current (self, message);

  if (t == NULL)
    return;

  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKED)
    t->values.tls_end = g_get_monotonic_time ();
  else if (event == G_SOCKET_CLIENT_COMPLETE && connection != NULL)
    {
      g_autoptr(GIOStream) base = NULL;

      /* libsoup shows the TLS stream; the socket is under it. */
      if (G_IS_TLS_CONNECTION (connection))
        g_object_get (connection, "base-io-stream", &base, NULL);
      else
        base = g_object_ref (connection);
      if (G_IS_SOCKET_CONNECTION (base))
        {
          g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (G_SOCKET_CONNECTION (base), NULL);

          g_set_object (&t->values.local_address, local);
        }
    }
}

/* A 401/407 resend (or an HTTP/2 misdirected request): libsoup already zeroed the values of
 * the previous attempt and set the new fetch_start. */
static void
on_restarted (SoupMessage           *message,
              LadleMetricsCollector *self)
{
  Transaction *t = current (self, message);

  if (t == NULL)
    return;
  freeze (t, FALSE);
  open_transaction (self, message);
}

static void
watch (LadleMetricsCollector *self,
       SoupMessage           *message)
{
  static gsize looked_up = 0;
  static const GCallback callbacks[N_MESSAGE_SIGNALS] = {
    [MESSAGE_GOT_HEADERS] = G_CALLBACK (on_got_headers),
    [MESSAGE_GOT_BODY] = G_CALLBACK (on_got_body),
    [MESSAGE_WROTE_BODY] = G_CALLBACK (on_wrote_body),
    [MESSAGE_NETWORK_EVENT] = G_CALLBACK (on_network_event),
    [MESSAGE_RESTARTED] = G_CALLBACK (on_restarted),
  };
  Watched *w;

  if (g_once_init_enter (&looked_up))
    {
      message_signals[MESSAGE_GOT_HEADERS] = g_signal_lookup ("got-headers", SOUP_TYPE_MESSAGE);
      message_signals[MESSAGE_GOT_BODY] = g_signal_lookup ("got-body", SOUP_TYPE_MESSAGE);
      message_signals[MESSAGE_WROTE_BODY] = g_signal_lookup ("wrote-body", SOUP_TYPE_MESSAGE);
      message_signals[MESSAGE_NETWORK_EVENT] = g_signal_lookup ("network-event", SOUP_TYPE_MESSAGE);
      message_signals[MESSAGE_RESTARTED] = g_signal_lookup ("restarted", SOUP_TYPE_MESSAGE);
      g_once_init_leave (&looked_up, 1);
    }

  for (guint i = 0; i < self->watched->len; i++)
    if (((Watched *)g_ptr_array_index (self->watched, i))->message == message)
      return;

  w = g_new0 (Watched, 1);
  w->message = g_object_ref (message);
  /* Connected before the send, so before libsoup's own got-headers handlers (the
   * authentication manager's may requeue the message from inside its handler). */
  for (guint i = 0; i < N_MESSAGE_SIGNALS; i++)
    w->handlers[i] = g_signal_connect_closure_by_id (message, message_signals[i], 0,
                                                     g_cclosure_new (callbacks[i], self, NULL),
                                                     FALSE);
  g_ptr_array_add (self->watched, w);
}

void
_ladle_metrics_collector_will_send (LadleMetricsCollector *self,
                                    SoupMessage           *message)
{
  Transaction *t;

  if (self->end_time >= 0)
    return;

  /* Sent again (a retry): the send zeroes libsoup's values of the previous attempt. */
  t = current (self, message);
  if (t != NULL)
    freeze (t, TRUE);

  soup_message_add_flags (message, SOUP_MESSAGE_COLLECT_METRICS);
  watch (self, message);
  open_transaction (self, message);
}

void
_ladle_metrics_collector_adopt (LadleMetricsCollector *self,
                                SoupMessage           *message)
{
  Transaction *t;

  if (self->end_time >= 0 || current (self, message) != NULL)
    return;

  watch (self, message);
  open_transaction (self, message);
  t = current (self, message);
  if (soup_message_get_status (message) != SOUP_STATUS_NONE)
    take_response (t, message);
}

void
_ladle_metrics_collector_note_body_sent (LadleMetricsCollector *self,
                                         gsize                  n_bytes)
{
  Transaction *t;

  if (self->transactions->len == 0)
    return;

  t = g_ptr_array_index (self->transactions, self->transactions->len - 1);
  if (!t->frozen)
    t->body_sent += n_bytes;
}

void
_ladle_metrics_collector_note_body_received (LadleMetricsCollector *self,
                                             gsize                  n_bytes,
                                             gboolean               end)
{
  Transaction *t;

  if (self->transactions->len == 0)
    return;

  t = g_ptr_array_index (self->transactions, self->transactions->len - 1);
  if (t->frozen)
    return;
  t->body_received += n_bytes;
  if (end)
    t->body_end = g_get_monotonic_time ();
}

static LadleTaskMetrics *
build (LadleMetricsCollector *self,
       gint64                 end_time,
       guint                  redirect_count)
{
  g_autoptr(GListStore) store = g_list_store_new (LADLE_TYPE_TRANSACTION_METRICS);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (self->start_real / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = g_date_time_to_local (utc);
  g_autoptr(GDateTime) start_date_time = g_date_time_add (local, self->start_real % G_USEC_PER_SEC);
  LadleTransactionValues *all = g_new0 (LadleTransactionValues, MAX (self->transactions->len, 1));

  for (guint i = 0; i < self->transactions->len; i++)
    {
      Transaction *t = g_ptr_array_index (self->transactions, i);

      /* The last attempt of each message still has libsoup's values. */
      values_of (t, current (self, t->message) == t, &all[i]);
    }

  for (guint i = 0; i < self->transactions->len; i++)
    {
      g_autoptr(LadleTransactionMetrics) transaction = NULL;

      /* A connection opened by an earlier request of the task: its local address is known. */
      for (guint j = 0; j < i && all[i].local_address == NULL && all[i].connection_id != 0; j++)
        if (all[j].connection_id == all[i].connection_id && all[j].local_address != NULL)
          all[i].local_address = g_object_ref (all[j].local_address);

      transaction = _ladle_transaction_metrics_new (&all[i]);
      g_list_store_append (store, transaction);
    }

  for (guint i = 0; i < self->transactions->len; i++)
    _ladle_transaction_values_clear (&all[i]);
  g_free (all);

  return _ladle_task_metrics_new (self->start_time, start_date_time, end_time, redirect_count, store);
}

void
_ladle_metrics_collector_finish (LadleMetricsCollector *self,
                                 guint                  redirect_count)
{
  if (self->end_time >= 0)
    return;

  for (guint i = 0; i < self->transactions->len; i++)
    {
      Transaction *t = g_ptr_array_index (self->transactions, i);

      if (!t->frozen)
        freeze (t, current (self, t->message) == t);
    }
  g_ptr_array_set_size (self->watched, 0);
  self->end_time = g_get_monotonic_time ();
  self->redirect_count = redirect_count;
}

/* The final metrics are made when someone asks for them: most tasks are never asked. */
LadleTaskMetrics *
_ladle_metrics_collector_dup (LadleMetricsCollector *self,
                              guint                  redirect_count)
{
  if (self->end_time < 0)
    return build (self, -1, redirect_count);

  if (self->final == NULL)
    {
      self->final = build (self, self->end_time, self->redirect_count);
      g_ptr_array_set_size (self->transactions, 0);
    }

  return g_object_ref (self->final);
}

LadleMetricsCollector *
_ladle_metrics_collector_new (void)
{
  LadleMetricsCollector *self = g_new0 (LadleMetricsCollector, 1);

  self->start_time = g_get_monotonic_time ();
  self->start_real = g_get_real_time ();
  self->end_time = -1;
  self->transactions = g_ptr_array_new_with_free_func (transaction_free);
  self->watched = g_ptr_array_new_with_free_func (watched_free);

  return self;
}

void
_ladle_metrics_collector_free (LadleMetricsCollector *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->watched, g_ptr_array_unref);
  g_clear_pointer (&self->transactions, g_ptr_array_unref);
  g_clear_object (&self->final);
  g_free (self);
}
