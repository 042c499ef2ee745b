/* ladle-util.c
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ladle-util-private.h"

#define DRAIN_LIMIT (64 * 1024)

static void
close_stream_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_input_stream_close_finish (G_INPUT_STREAM (object), result, NULL);
}

/* Response streams must always be closed: libsoup keeps the connection busy until they are,
 * and with a small per-host limit a leaked stream stalls every later request to that host. */
void
_ladle_close_stream (GInputStream *stream)
{
  if (stream == NULL || g_input_stream_is_closed (stream))
    return;

  g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, close_stream_cb, NULL);
}

/* A redirect's own body is read (up to a limit) before closing, so that the connection stays
 * usable for the next hop. */
typedef struct
{
  GInputStream *stream;
  guint8        buffer[8192];
  gsize         total;
} Drain;

static void
drain_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Drain *drain = user_data;
  gssize n;

  n = g_input_stream_read_finish (drain->stream, result, NULL);
  if (n > 0 && (drain->total += n) < DRAIN_LIMIT)
    {
      g_input_stream_read_async (drain->stream, drain->buffer, sizeof drain->buffer,
                                 G_PRIORITY_DEFAULT, NULL, drain_read_cb, drain);
      return;
    }

  _ladle_close_stream (drain->stream);
  g_object_unref (drain->stream);
  g_free (drain);
}

void
_ladle_drain_and_close_stream (GInputStream *stream)
{
  Drain *drain = g_new0 (Drain, 1);

  drain->stream = g_object_ref (stream);
  g_input_stream_read_async (stream, drain->buffer, sizeof drain->buffer,
                             G_PRIORITY_DEFAULT, NULL, drain_read_cb, drain);
}

typedef struct
{
  GObject           *object;
  LadleObjectAction  action;
} Invocation;

static gboolean
invoke_cb (gpointer user_data)
{
  Invocation *invocation = user_data;

  invocation->action (invocation->object);
  g_object_unref (invocation->object);
  g_free (invocation);

  return G_SOURCE_REMOVE;
}

gboolean
_ladle_invoke_in_context (GMainContext      *context,
                          GObject           *object,
                          LadleObjectAction  action)
{
  g_autoptr(GMainContext) current = g_main_context_ref_thread_default ();
  Invocation *invocation;

  if (current == context)
    return FALSE;

  invocation = g_new0 (Invocation, 1);
  invocation->object = g_object_ref (object);
  invocation->action = action;
  g_main_context_invoke (context, invoke_cb, invocation);

  return TRUE;
}
