/* ladle-transaction-metrics-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ladle-transaction-metrics.h"

G_BEGIN_DECLS

/* What one transaction measured: filled by the collector (ladle-metrics-collector.c), frozen
 * into a LadleTransactionMetrics. Times are monotonic microseconds, -1 when not applicable. */
typedef struct
{
  char                *uri;
  char                *method;
  guint                status_code;
  char                *reason_phrase;
  char                *network_protocol_name;
  char                *tls_ciphersuite_name;
  SoupHTTPVersion      http_version;
  GTlsProtocolVersion  tls_protocol_version;
  gboolean             reused_connection;
  gboolean             served_from_cache;
  guint64              connection_id;
  GSocketAddress      *remote_address;
  GSocketAddress      *local_address;

  gint64               fetch_start;
  gint64               dns_start;
  gint64               dns_end;
  gint64               connect_start;
  gint64               connect_end;
  gint64               tls_start;
  gint64               tls_end;
  gint64               request_start;
  gint64               request_end;
  gint64               response_start;
  gint64               response_end;

  guint64              request_header_bytes_sent;
  guint64              request_body_bytes_sent;
  guint64              request_body_bytes_before_encoding;
  guint64              response_header_bytes_received;
  guint64              response_body_bytes_received;
  guint64              response_body_bytes_after_decoding;
} LadleTransactionValues;

void                     _ladle_transaction_values_init  (LadleTransactionValues       *values);
void                     _ladle_transaction_values_clear (LadleTransactionValues       *values);
void                     _ladle_transaction_values_copy  (LadleTransactionValues       *to,
                                                          const LadleTransactionValues *from);
LadleTransactionMetrics *_ladle_transaction_metrics_new  (const LadleTransactionValues *values);

G_END_DECLS
