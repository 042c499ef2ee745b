/* ladle-transaction-metrics.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * LadleTransactionMetrics:
 *
 * What one request of a task measured: its timings, its byte counts and its connection.
 *
 * A task sends one request per transaction: the first one, each redirect hop, each resend
 * after a 401 or 407 challenge, each retry. [class@Ladle.TaskMetrics] lists them in the order
 * they were sent. It is Apple's `URLSessionTaskTransactionMetrics`, and carries what OkHttp's
 * `EventListener` reports for one call's request.
 *
 * Times are in monotonic microseconds, as g_get_monotonic_time() gives them (see
 * [method@Ladle.TaskMetrics.to_date_time] for wall-clock dates), and -1 when a step did not
 * happen for this request: a reused connection has no DNS, connect and TLS times, a request
 * that was never written has no request times. The steps that happened are in order:
 * fetch start ≤ DNS ≤ connect (with TLS inside it) ≤ request start ≤ response start ≤
 * response end. A server may answer before the request body is written, so request end is
 * not always before response start.
 *
 * The values come from libsoup's [struct@Soup.MessageMetrics], which Ladle turns on for every
 * request it sends, and from Ladle's own counters for the request bodies it writes to the
 * connection itself. See the Metrics page of the documentation for the full mapping.
 *
 * Since: 0.2
 */

#include "config.h"

#include <string.h>

#include "ladle-transaction-metrics-private.h"

struct _LadleTransactionMetrics
{
  GObject                parent_instance;

  LadleTransactionValues values;
};

G_DEFINE_FINAL_TYPE (LadleTransactionMetrics, ladle_transaction_metrics, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URI,
  PROP_METHOD,
  PROP_STATUS_CODE,
  PROP_REASON_PHRASE,
  PROP_NETWORK_PROTOCOL_NAME,
  PROP_TLS_CIPHERSUITE_NAME,
  PROP_HTTP_VERSION,
  PROP_TLS_PROTOCOL_VERSION,
  PROP_REUSED_CONNECTION,
  PROP_SERVED_FROM_CACHE,
  PROP_CONNECTION_ID,
  PROP_REMOTE_ADDRESS,
  PROP_LOCAL_ADDRESS,
  PROP_FETCH_START,
  PROP_DNS_START,
  PROP_DNS_END,
  PROP_CONNECT_START,
  PROP_CONNECT_END,
  PROP_TLS_START,
  PROP_TLS_END,
  PROP_REQUEST_START,
  PROP_REQUEST_END,
  PROP_RESPONSE_START,
  PROP_RESPONSE_END,
  PROP_REQUEST_HEADER_BYTES_SENT,
  PROP_REQUEST_BODY_BYTES_SENT,
  PROP_REQUEST_BODY_BYTES_BEFORE_ENCODING,
  PROP_RESPONSE_HEADER_BYTES_RECEIVED,
  PROP_RESPONSE_BODY_BYTES_RECEIVED,
  PROP_RESPONSE_BODY_BYTES_AFTER_DECODING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
_ladle_transaction_values_init (LadleTransactionValues *values)
{
  memset (values, 0, sizeof *values);
  values->http_version = SOUP_HTTP_1_1;
  values->tls_protocol_version = G_TLS_PROTOCOL_VERSION_UNKNOWN;
  values->fetch_start = values->dns_start = values->dns_end = -1;
  values->connect_start = values->connect_end = values->tls_start = values->tls_end = -1;
  values->request_start = values->request_end = values->response_start = values->response_end = -1;
}

void
_ladle_transaction_values_clear (LadleTransactionValues *values)
{
  g_clear_pointer (&values->uri, g_free);
  g_clear_pointer (&values->method, g_free);
  g_clear_pointer (&values->reason_phrase, g_free);
  g_clear_pointer (&values->network_protocol_name, g_free);
  g_clear_pointer (&values->tls_ciphersuite_name, g_free);
  g_clear_object (&values->remote_address);
  g_clear_object (&values->local_address);
}

/* @to is overwritten (clear it first when it holds values). */
void
_ladle_transaction_values_copy (LadleTransactionValues       *to,
                                const LadleTransactionValues *from)
{
  *to = *from;
  to->uri = g_strdup (from->uri);
  to->method = g_strdup (from->method);
  to->reason_phrase = g_strdup (from->reason_phrase);
  to->network_protocol_name = g_strdup (from->network_protocol_name);
  to->tls_ciphersuite_name = g_strdup (from->tls_ciphersuite_name);
  if (from->remote_address != NULL)
    g_object_ref (from->remote_address);
  if (from->local_address != NULL)
    g_object_ref (from->local_address);
}

LadleTransactionMetrics *
_ladle_transaction_metrics_new (const LadleTransactionValues *values)
{
  LadleTransactionMetrics *self = g_object_new (LADLE_TYPE_TRANSACTION_METRICS, NULL);

  _ladle_transaction_values_copy (&self->values, values);

  return self;
}

static void
ladle_transaction_metrics_finalize (GObject *object)
{
  LadleTransactionMetrics *self = (LadleTransactionMetrics *)object;

  _ladle_transaction_values_clear (&self->values);

  G_OBJECT_CLASS (ladle_transaction_metrics_parent_class)->finalize (object);
}

static void
ladle_transaction_metrics_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  LadleTransactionMetrics *self = LADLE_TRANSACTION_METRICS (object);

  switch (prop_id)
    {
    case PROP_URI:
      g_value_set_string (value, self->values.uri);
      break;
    case PROP_METHOD:
      g_value_set_string (value, self->values.method);
      break;
    case PROP_STATUS_CODE:
      g_value_set_uint (value, self->values.status_code);
      break;
    case PROP_REASON_PHRASE:
      g_value_set_string (value, self->values.reason_phrase);
      break;
    case PROP_NETWORK_PROTOCOL_NAME:
      g_value_set_string (value, self->values.network_protocol_name);
      break;
    case PROP_TLS_CIPHERSUITE_NAME:
      g_value_set_string (value, self->values.tls_ciphersuite_name);
      break;
    case PROP_HTTP_VERSION:
      g_value_set_enum (value, self->values.http_version);
      break;
    case PROP_TLS_PROTOCOL_VERSION:
      g_value_set_enum (value, self->values.tls_protocol_version);
      break;
    case PROP_REUSED_CONNECTION:
      g_value_set_boolean (value, self->values.reused_connection);
      break;
    case PROP_SERVED_FROM_CACHE:
      g_value_set_boolean (value, self->values.served_from_cache);
      break;
    case PROP_CONNECTION_ID:
      g_value_set_uint64 (value, self->values.connection_id);
      break;
    case PROP_REMOTE_ADDRESS:
      g_value_set_object (value, self->values.remote_address);
      break;
    case PROP_LOCAL_ADDRESS:
      g_value_set_object (value, self->values.local_address);
      break;
    case PROP_FETCH_START:
      g_value_set_int64 (value, self->values.fetch_start);
      break;
    case PROP_DNS_START:
      g_value_set_int64 (value, self->values.dns_start);
      break;
    case PROP_DNS_END:
      g_value_set_int64 (value, self->values.dns_end);
      break;
    case PROP_CONNECT_START:
      g_value_set_int64 (value, self->values.connect_start);
      break;
    case PROP_CONNECT_END:
      g_value_set_int64 (value, self->values.connect_end);
      break;
    case PROP_TLS_START:
      g_value_set_int64 (value, self->values.tls_start);
      break;
    case PROP_TLS_END:
      g_value_set_int64 (value, self->values.tls_end);
      break;
    case PROP_REQUEST_START:
      g_value_set_int64 (value, self->values.request_start);
      break;
    case PROP_REQUEST_END:
      g_value_set_int64 (value, self->values.request_end);
      break;
    case PROP_RESPONSE_START:
      g_value_set_int64 (value, self->values.response_start);
      break;
    case PROP_RESPONSE_END:
      g_value_set_int64 (value, self->values.response_end);
      break;
    case PROP_REQUEST_HEADER_BYTES_SENT:
      g_value_set_uint64 (value, self->values.request_header_bytes_sent);
      break;
    case PROP_REQUEST_BODY_BYTES_SENT:
      g_value_set_uint64 (value, self->values.request_body_bytes_sent);
      break;
    case PROP_REQUEST_BODY_BYTES_BEFORE_ENCODING:
      g_value_set_uint64 (value, self->values.request_body_bytes_before_encoding);
      break;
    case PROP_RESPONSE_HEADER_BYTES_RECEIVED:
      g_value_set_uint64 (value, self->values.response_header_bytes_received);
      break;
    case PROP_RESPONSE_BODY_BYTES_RECEIVED:
      g_value_set_uint64 (value, self->values.response_body_bytes_received);
      break;
    case PROP_RESPONSE_BODY_BYTES_AFTER_DECODING:
      g_value_set_uint64 (value, self->values.response_body_bytes_after_decoding);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ladle_transaction_metrics_class_init (LadleTransactionMetricsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ladle_transaction_metrics_finalize;
  object_class->get_property = ladle_transaction_metrics_get_property;

  /**
   * LadleTransactionMetrics:uri: (getter get_uri)
   *
   * The request's URI, without its user information.
   *
   * Since: 0.2
   */
  properties[PROP_URI] =
    g_param_spec_string ("uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:method: (getter get_method)
   *
   * The request method (`GET`, `POST`, ...).
   *
   * Since: 0.2
   */
  properties[PROP_METHOD] =
    g_param_spec_string ("method", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:status-code: (getter get_status_code)
   *
   * The status of the response this request got, or 0 when none arrived. A 401 answered with
   * credentials and a redirect hop each have their own transaction.
   *
   * Since: 0.2
   */
  properties[PROP_STATUS_CODE] =
    g_param_spec_uint ("status-code", NULL, NULL, 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:reason-phrase: (getter get_reason_phrase)
   *
   * The reason phrase of the response, or %NULL.
   *
   * Since: 0.2
   */
  properties[PROP_REASON_PHRASE] =
    g_param_spec_string ("reason-phrase", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:network-protocol-name: (getter get_network_protocol_name)
   *
   * The protocol as its ALPN name: `http/1.0`, `http/1.1` or `h2`, or %NULL when no response
   * arrived. Apple: `networkProtocolName`; OkHttp: `Protocol`.
   *
   * Since: 0.2
   */
  properties[PROP_NETWORK_PROTOCOL_NAME] =
    g_param_spec_string ("network-protocol-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:tls-ciphersuite-name: (getter get_tls_ciphersuite_name)
   *
   * The name of the TLS cipher suite of the connection, or %NULL (plain HTTP, or not known). Apple:
   * `negotiatedTLSCipherSuite`.
   *
   * Since: 0.2
   */
  properties[PROP_TLS_CIPHERSUITE_NAME] =
    g_param_spec_string ("tls-ciphersuite-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:http-version: (getter get_http_version)
   *
   * The HTTP version of the response (%SOUP_HTTP_2_0 over HTTP/2).
   *
   * Since: 0.2
   */
  properties[PROP_HTTP_VERSION] =
    g_param_spec_enum ("http-version", NULL, NULL, SOUP_TYPE_HTTP_VERSION, SOUP_HTTP_1_1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:tls-protocol-version: (getter get_tls_protocol_version)
   *
   * The TLS protocol version of the connection, %G_TLS_PROTOCOL_VERSION_UNKNOWN for plain HTTP.
   * Apple: `negotiatedTLSProtocolVersion`.
   *
   * Since: 0.2
   */
  properties[PROP_TLS_PROTOCOL_VERSION] =
    g_param_spec_enum ("tls-protocol-version", NULL, NULL, G_TYPE_TLS_PROTOCOL_VERSION, G_TLS_PROTOCOL_VERSION_UNKNOWN,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:reused-connection: (getter get_reused_connection)
   *
   * Whether the request went over a connection that was already open (its DNS, connect and TLS
   * times are then -1). Apple: `isReusedConnection`; OkHttp: `connectionAcquired` without
   * `connectStart`.
   *
   * Since: 0.2
   */
  properties[PROP_REUSED_CONNECTION] =
    g_param_spec_boolean ("reused-connection", NULL, NULL, FALSE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:served-from-cache: (getter get_served_from_cache)
   *
   * Whether libsoup answered from its HTTP cache: no request went over a connection for this
   * transaction. libsoup revalidates a stale entry with a conditional request of its own, which is
   * not one of the task's transactions: a response revalidated with a 304 is served from the cache
   * too. Apple: `resourceFetchType` `.localCache`; OkHttp: `cacheHit`.
   *
   * Since: 0.2
   */
  properties[PROP_SERVED_FROM_CACHE] =
    g_param_spec_boolean ("served-from-cache", NULL, NULL, FALSE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:connection-id: (getter get_connection_id)
   *
   * libsoup's identifier of the connection the request went over, 0 when none. Transactions with
   * the same identifier shared a connection.
   *
   * Since: 0.2
   */
  properties[PROP_CONNECTION_ID] =
    g_param_spec_uint64 ("connection-id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:remote-address: (getter get_remote_address)
   *
   * The address of the server (or proxy) the connection went to, or %NULL when none was reached.
   * Apple: `remoteAddress`, `remotePort`; OkHttp: `connectStart (inetSocketAddress)`.
   *
   * Since: 0.2
   */
  properties[PROP_REMOTE_ADDRESS] =
    g_param_spec_object ("remote-address", NULL, NULL, G_TYPE_SOCKET_ADDRESS,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:local-address: (getter get_local_address)
   *
   * The local address of the connection, or %NULL when it is not known: libsoup shows it only while
   * it makes a connection, so a connection that another task opened has none. Apple:
   * `localAddress`, `localPort`.
   *
   * Since: 0.2
   */
  properties[PROP_LOCAL_ADDRESS] =
    g_param_spec_object ("local-address", NULL, NULL, G_TYPE_SOCKET_ADDRESS,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:fetch-start: (getter get_fetch_start)
   *
   * When libsoup took the request: the send, or the restart of an authentication retry. Apple:
   * `fetchStartDate`; OkHttp: `callStart` (first transaction) / `connectionAcquired`. In monotonic
   * microseconds, as g_get_monotonic_time() gives them.
   *
   * Since: 0.2
   */
  properties[PROP_FETCH_START] =
    g_param_spec_int64 ("fetch-start", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:dns-start: (getter get_dns_start)
   *
   * When the name resolution of a new connection started, or -1 (a reused connection). Apple:
   * `domainLookupStartDate`; OkHttp: `dnsStart`. In monotonic microseconds, as
   * g_get_monotonic_time() gives them.
   *
   * Since: 0.2
   */
  properties[PROP_DNS_START] =
    g_param_spec_int64 ("dns-start", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:dns-end: (getter get_dns_end)
   *
   * When the name resolution ended, or -1. Apple: `domainLookupEndDate`; OkHttp: `dnsEnd`. In
   * monotonic microseconds, as g_get_monotonic_time() gives them.
   *
   * Since: 0.2
   */
  properties[PROP_DNS_END] =
    g_param_spec_int64 ("dns-end", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:connect-start: (getter get_connect_start)
   *
   * When the connection attempt started, or -1 on a reused connection. Apple: `connectStartDate`;
   * OkHttp: `connectStart`. In monotonic microseconds, as g_get_monotonic_time() gives them.
   *
   * Since: 0.2
   */
  properties[PROP_CONNECT_START] =
    g_param_spec_int64 ("connect-start", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:connect-end: (getter get_connect_end)
   *
   * When the connection was ready, after its TLS handshake (and proxy negotiation), or -1. Apple:
   * `connectEndDate`; OkHttp: `connectEnd`. In monotonic microseconds, as g_get_monotonic_time()
   * gives them.
   *
   * Since: 0.2
   */
  properties[PROP_CONNECT_END] =
    g_param_spec_int64 ("connect-end", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:tls-start: (getter get_tls_start)
   *
   * When the TLS handshake of a new connection started, or -1 (plain HTTP, reused connection).
   * Apple: `secureConnectionStartDate`; OkHttp: `secureConnectStart`. In monotonic microseconds, as
   * g_get_monotonic_time() gives them.
   *
   * Since: 0.2
   */
  properties[PROP_TLS_START] =
    g_param_spec_int64 ("tls-start", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:tls-end: (getter get_tls_end)
   *
   * When the TLS handshake ended, or -1. Apple: `secureConnectionEndDate`; OkHttp:
   * `secureConnectEnd`. In monotonic microseconds, as g_get_monotonic_time() gives them.
   *
   * Since: 0.2
   */
  properties[PROP_TLS_END] =
    g_param_spec_int64 ("tls-end", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:request-start: (getter get_request_start)
   *
   * When libsoup began sending the request on its connection, or -1 when it never did (the
   * connection failed). libsoup also stamps it for a response it then takes from its cache. Apple:
   * `requestStartDate`; OkHttp: `requestHeadersStart`. In monotonic microseconds, as
   * g_get_monotonic_time() gives them.
   *
   * Since: 0.2
   */
  properties[PROP_REQUEST_START] =
    g_param_spec_int64 ("request-start", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:request-end: (getter get_request_end)
   *
   * When the last byte of the request (its headers, or its body when it has one) was written, or
   * -1. Apple: `requestEndDate`; OkHttp: `requestBodyEnd` (or `requestHeadersEnd`). In monotonic
   * microseconds, as g_get_monotonic_time() gives them.
   *
   * Since: 0.2
   */
  properties[PROP_REQUEST_END] =
    g_param_spec_int64 ("request-end", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:response-start: (getter get_response_start)
   *
   * When the first byte of the response arrived, or -1. Apple: `responseStartDate`; OkHttp:
   * `responseHeadersStart`. In monotonic microseconds, as g_get_monotonic_time() gives them.
   *
   * Since: 0.2
   */
  properties[PROP_RESPONSE_START] =
    g_param_spec_int64 ("response-start", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:response-end: (getter get_response_end)
   *
   * When the response ended: its last byte arrived, or the transfer stopped (cancelled, failed)
   * after some of it did; -1 when no response arrived. Apple: `responseEndDate`; OkHttp:
   * `responseBodyEnd`. In monotonic microseconds, as g_get_monotonic_time() gives them.
   *
   * Since: 0.2
   */
  properties[PROP_RESPONSE_END] =
    g_param_spec_int64 ("response-end", NULL, NULL, -1, G_MAXINT64, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:request-header-bytes-sent: (getter get_request_header_bytes_sent)
   *
   * Bytes of request headers written to the connection (with HTTP/2, the frames carrying them,
   * compressed). Apple: `countOfRequestHeaderBytesSent`; OkHttp: `requestHeadersEnd`.
   *
   * Since: 0.2
   */
  properties[PROP_REQUEST_HEADER_BYTES_SENT] =
    g_param_spec_uint64 ("request-header-bytes-sent", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:request-body-bytes-sent: (getter get_request_body_bytes_sent)
   *
   * Bytes of request body written to the connection, with their framing (chunk headers, HTTP/2
   * frame headers). Counts the bodies Ladle writes to the connection itself. Apple:
   * `countOfRequestBodyBytesSent`; OkHttp: `requestBodyEnd (byteCount)`.
   *
   * Since: 0.2
   */
  properties[PROP_REQUEST_BODY_BYTES_SENT] =
    g_param_spec_uint64 ("request-body-bytes-sent", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:request-body-bytes-before-encoding: (getter get_request_body_bytes_before_encoding)
   *
   * Bytes of the request body itself, without framing. Apple:
   * `countOfRequestBodyBytesBeforeEncoding`.
   *
   * Since: 0.2
   */
  properties[PROP_REQUEST_BODY_BYTES_BEFORE_ENCODING] =
    g_param_spec_uint64 ("request-body-bytes-before-encoding", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:response-header-bytes-received: (getter get_response_header_bytes_received)
   *
   * Bytes of response headers read from the connection (HTTP/2: the frames carrying them). Apple:
   * `countOfResponseHeaderBytesReceived`.
   *
   * Since: 0.2
   */
  properties[PROP_RESPONSE_HEADER_BYTES_RECEIVED] =
    g_param_spec_uint64 ("response-header-bytes-received", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:response-body-bytes-received: (getter get_response_body_bytes_received)
   *
   * Bytes of the response body read from the connection, with their framing (chunk headers, HTTP/2
   * frame headers) and before any content decoding. Apple: `countOfResponseBodyBytesReceived`.
   *
   * Since: 0.2
   */
  properties[PROP_RESPONSE_BODY_BYTES_RECEIVED] =
    g_param_spec_uint64 ("response-body-bytes-received", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LadleTransactionMetrics:response-body-bytes-after-decoding: (getter get_response_body_bytes_after_decoding)
   *
   * Bytes of the response body as the task read it: after the transfer framing is removed and after
   * content decoding (gzip) when the content decoder is on. For a response that was not read to its
   * end, what was read. Apple: `countOfResponseBodyBytesAfterDecoding`; OkHttp: `responseBodyEnd
   * (byteCount)`.
   *
   * Since: 0.2
   */
  properties[PROP_RESPONSE_BODY_BYTES_AFTER_DECODING] =
    g_param_spec_uint64 ("response-body-bytes-after-decoding", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ladle_transaction_metrics_init (LadleTransactionMetrics *self)
{
  _ladle_transaction_values_init (&self->values);
}

/**
 * ladle_transaction_metrics_get_uri:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:uri].
 *
 * Returns: (nullable): the value
 *
 * Since: 0.2
 */
const char *
ladle_transaction_metrics_get_uri (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), NULL);

  return self->values.uri;
}

/**
 * ladle_transaction_metrics_get_method:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:method].
 *
 * Returns: (nullable): the value
 *
 * Since: 0.2
 */
const char *
ladle_transaction_metrics_get_method (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), NULL);

  return self->values.method;
}

/**
 * ladle_transaction_metrics_get_status_code:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:status-code].
 *
 * Returns: the status, or 0
 *
 * Since: 0.2
 */
guint
ladle_transaction_metrics_get_status_code (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), 0);

  return self->values.status_code;
}

/**
 * ladle_transaction_metrics_get_reason_phrase:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:reason-phrase].
 *
 * Returns: (nullable): the value
 *
 * Since: 0.2
 */
const char *
ladle_transaction_metrics_get_reason_phrase (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), NULL);

  return self->values.reason_phrase;
}

/**
 * ladle_transaction_metrics_get_network_protocol_name:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:network-protocol-name].
 *
 * Returns: (nullable): the value
 *
 * Since: 0.2
 */
const char *
ladle_transaction_metrics_get_network_protocol_name (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), NULL);

  return self->values.network_protocol_name;
}

/**
 * ladle_transaction_metrics_get_tls_ciphersuite_name:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:tls-ciphersuite-name].
 *
 * Returns: (nullable): the value
 *
 * Since: 0.2
 */
const char *
ladle_transaction_metrics_get_tls_ciphersuite_name (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), NULL);

  return self->values.tls_ciphersuite_name;
}

/**
 * ladle_transaction_metrics_get_http_version:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:http-version].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
SoupHTTPVersion
ladle_transaction_metrics_get_http_version (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), SOUP_HTTP_1_1);

  return self->values.http_version;
}

/**
 * ladle_transaction_metrics_get_tls_protocol_version:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:tls-protocol-version].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
GTlsProtocolVersion
ladle_transaction_metrics_get_tls_protocol_version (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), G_TLS_PROTOCOL_VERSION_UNKNOWN);

  return self->values.tls_protocol_version;
}

/**
 * ladle_transaction_metrics_get_reused_connection:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:reused-connection].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gboolean
ladle_transaction_metrics_get_reused_connection (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), FALSE);

  return self->values.reused_connection;
}

/**
 * ladle_transaction_metrics_get_served_from_cache:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:served-from-cache].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gboolean
ladle_transaction_metrics_get_served_from_cache (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), FALSE);

  return self->values.served_from_cache;
}

/**
 * ladle_transaction_metrics_get_connection_id:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:connection-id].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
guint64
ladle_transaction_metrics_get_connection_id (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), 0);

  return self->values.connection_id;
}

/**
 * ladle_transaction_metrics_get_remote_address:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:remote-address].
 *
 * Returns: (transfer none) (nullable): the value
 *
 * Since: 0.2
 */
GSocketAddress *
ladle_transaction_metrics_get_remote_address (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), NULL);

  return self->values.remote_address;
}

/**
 * ladle_transaction_metrics_get_local_address:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:local-address].
 *
 * Returns: (transfer none) (nullable): the value
 *
 * Since: 0.2
 */
GSocketAddress *
ladle_transaction_metrics_get_local_address (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), NULL);

  return self->values.local_address;
}

/**
 * ladle_transaction_metrics_get_fetch_start:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:fetch-start].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_fetch_start (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.fetch_start;
}

/**
 * ladle_transaction_metrics_get_dns_start:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:dns-start].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_dns_start (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.dns_start;
}

/**
 * ladle_transaction_metrics_get_dns_end:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:dns-end].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_dns_end (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.dns_end;
}

/**
 * ladle_transaction_metrics_get_connect_start:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:connect-start].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_connect_start (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.connect_start;
}

/**
 * ladle_transaction_metrics_get_connect_end:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:connect-end].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_connect_end (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.connect_end;
}

/**
 * ladle_transaction_metrics_get_tls_start:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:tls-start].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_tls_start (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.tls_start;
}

/**
 * ladle_transaction_metrics_get_tls_end:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:tls-end].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_tls_end (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.tls_end;
}

/**
 * ladle_transaction_metrics_get_request_start:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:request-start].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_request_start (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.request_start;
}

/**
 * ladle_transaction_metrics_get_request_end:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:request-end].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_request_end (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.request_end;
}

/**
 * ladle_transaction_metrics_get_response_start:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:response-start].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_response_start (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.response_start;
}

/**
 * ladle_transaction_metrics_get_response_end:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:response-end].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
gint64
ladle_transaction_metrics_get_response_end (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), -1);

  return self->values.response_end;
}

/**
 * ladle_transaction_metrics_get_request_header_bytes_sent:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:request-header-bytes-sent].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
guint64
ladle_transaction_metrics_get_request_header_bytes_sent (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), 0);

  return self->values.request_header_bytes_sent;
}

/**
 * ladle_transaction_metrics_get_request_body_bytes_sent:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:request-body-bytes-sent].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
guint64
ladle_transaction_metrics_get_request_body_bytes_sent (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), 0);

  return self->values.request_body_bytes_sent;
}

/**
 * ladle_transaction_metrics_get_request_body_bytes_before_encoding:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:request-body-bytes-before-encoding].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
guint64
ladle_transaction_metrics_get_request_body_bytes_before_encoding (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), 0);

  return self->values.request_body_bytes_before_encoding;
}

/**
 * ladle_transaction_metrics_get_response_header_bytes_received:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:response-header-bytes-received].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
guint64
ladle_transaction_metrics_get_response_header_bytes_received (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), 0);

  return self->values.response_header_bytes_received;
}

/**
 * ladle_transaction_metrics_get_response_body_bytes_received:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:response-body-bytes-received].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
guint64
ladle_transaction_metrics_get_response_body_bytes_received (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), 0);

  return self->values.response_body_bytes_received;
}

/**
 * ladle_transaction_metrics_get_response_body_bytes_after_decoding:
 * @self: a transaction's metrics
 *
 * Gets [property@Ladle.TransactionMetrics:response-body-bytes-after-decoding].
 *
 * Returns: the value
 *
 * Since: 0.2
 */
guint64
ladle_transaction_metrics_get_response_body_bytes_after_decoding (LadleTransactionMetrics *self)
{
  g_return_val_if_fail (LADLE_IS_TRANSACTION_METRICS (self), 0);

  return self->values.response_body_bytes_after_decoding;
}
