/* ladle-transaction-metrics.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(LADLE_INSIDE) && !defined(LADLE_COMPILATION)
# error "Only <ladle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "ladle-version-macros.h"

G_BEGIN_DECLS

#define LADLE_TYPE_TRANSACTION_METRICS (ladle_transaction_metrics_get_type ())

LADLE_AVAILABLE_IN_0_2
G_DECLARE_FINAL_TYPE (LadleTransactionMetrics, ladle_transaction_metrics, LADLE, TRANSACTION_METRICS, GObject)

LADLE_AVAILABLE_IN_0_2
const char *        ladle_transaction_metrics_get_uri (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
const char *        ladle_transaction_metrics_get_method (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
guint               ladle_transaction_metrics_get_status_code (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
const char *        ladle_transaction_metrics_get_reason_phrase (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
const char *        ladle_transaction_metrics_get_network_protocol_name (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
const char *        ladle_transaction_metrics_get_tls_ciphersuite_name (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
SoupHTTPVersion     ladle_transaction_metrics_get_http_version (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
GTlsProtocolVersion ladle_transaction_metrics_get_tls_protocol_version (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gboolean            ladle_transaction_metrics_get_reused_connection (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gboolean            ladle_transaction_metrics_get_served_from_cache (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
guint64             ladle_transaction_metrics_get_connection_id (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
GSocketAddress *    ladle_transaction_metrics_get_remote_address (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
GSocketAddress *    ladle_transaction_metrics_get_local_address (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_fetch_start (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_dns_start (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_dns_end (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_connect_start (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_connect_end (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_tls_start (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_tls_end (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_request_start (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_request_end (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_response_start (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
gint64              ladle_transaction_metrics_get_response_end (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
guint64             ladle_transaction_metrics_get_request_header_bytes_sent (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
guint64             ladle_transaction_metrics_get_request_body_bytes_sent (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
guint64             ladle_transaction_metrics_get_request_body_bytes_before_encoding (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
guint64             ladle_transaction_metrics_get_response_header_bytes_received (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
guint64             ladle_transaction_metrics_get_response_body_bytes_received (LadleTransactionMetrics *self);
LADLE_AVAILABLE_IN_0_2
guint64             ladle_transaction_metrics_get_response_body_bytes_after_decoding (LadleTransactionMetrics *self);

G_END_DECLS
