/* ladle-cli-private.h
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The `ladle` command's state, shared by its files: ladle.c (the command line, credentials, the
 * session), ladle-cli-transfer.c (one transfer: its task, body writer, resume data, outcome)
 * and ladle-cli-output.c (progress lines, messages, JSON). */

#pragma once

#include <sys/types.h>

#include <ladle.h>

#include "ladle-cli.h"

G_BEGIN_DECLS

/* Exit status, documented in --help, the man page and the README. */
enum
{
  EXIT_OK      = 0,
  EXIT_FAILED  = 1,   /* anything not listed below */
  EXIT_USAGE   = 2,   /* bad command line */
  EXIT_FILE    = 3,   /* a local file could not be read or written */
  EXIT_NETWORK = 4,   /* resolve, connect, connection lost, timeout, protocol error, short body */
  EXIT_TLS     = 5,   /* TLS failure: an untrusted certificate above all */
  EXIT_HTTP    = 22,  /* the server answered with an error status (curl --fail's code) */
};

#define RESUME_SUFFIX ".ladle-resume"
#define RATE_SAMPLES 16           /* of REDRAW_MS each: the rate is that of the last ~3 s */
#define REDRAW_MS 200
#define SINK_HIGH_WATER (4 << 20) /* queued bytes for stdout before the task is suspended */
#define SINK_LOW_WATER (1 << 20)

typedef enum
{
  COMMAND_GET,
  COMMAND_PUT,
  COMMAND_POST,
} LadleCliCommand;

typedef struct _LadleCliApp LadleCliApp;

typedef struct
{
  LadleCliApp   *app;
  guint          index;
  char          *url;                        /* as sent, without user information */
  GUri          *uri;
  char          *name;                       /* shown in progress lines */
  LadleTask     *task;

  char          *output;                     /* a file path, NULL for stdout (or not known yet, -O) */
  gboolean       remote_name;                /* -O: the output's name comes with the response */
  char          *resume_path;                /* -c: FILE.ladle-resume */
  GBytes        *resume_bytes;               /* resume data produced when interrupted */
  gboolean       output_existed;             /* put/post -o: the file was there before */
  gboolean       discard_body;               /* put/post --json without -o: stdout is the JSON's */
  char          *user;                       /* credentials for this URL's origin only */
  char          *password;

  /* Response bodies of data and upload tasks (get -o -, put, post) */
  GOutputStream *sink;
  GCancellable  *sink_cancellable;                /* cancelled when interrupted */
  GQueue         chunks;
  gsize          queued;
  GBytes        *writing;
  gboolean       paused_for_sink;
  GError        *sink_error;
  gboolean       finish_pending;

  gboolean       started;
  gboolean       completed;
  gboolean       finished;
  gboolean       producing_resume_data;
  gint64         start_us;
  gint64         end_us;
  gint64         received;
  gint64         expected;
  gint64         sent;
  gint64         send_total;
  gint64         resumed_from;               /* -1 unless a resume was tried; 0 when it started over */

  gint64         sample_us[RATE_SAMPLES];
  gint64         sample_bytes[RATE_SAMPLES];
  guint          n_samples;
  double         rate;

  guint          status;
  GError        *error;
  int            exit_code;
  char          *failure;                    /* the reason shown for a failed transfer */
} LadleCliTransfer;

struct _LadleCliApp
{
  LadleCliCommand      command;
  const char          *command_name;

  /* options */
  char               **headers;
  char                *user_option;
  char                *user;
  char                *password;
  char                *user_agent;
  char                *cacert;
  char                *output;
  char                *output_dir;
  char                *content_type;
  char               **form;
  LadleMultipartForm  *form_object;
  char                *data;
  int                  timeout;
  int                  max_redirects;
  int                  parallel;
  gboolean             remote_name;
  gboolean             resume;
  gboolean             insecure;
  gboolean             json;
  gboolean             quiet;
  char                *upload_path;

  LadleSession        *session;
  GPtrArray           *transfers;
  guint                next;
  guint                running;
  GMainLoop           *loop;
  GHashTable          *claimed;       /* output paths taken by this run (-O) */

  /* the terminal */
  gboolean             bar;           /* redrawn progress lines on stderr */
  gboolean             plain;         /* a line per event on stderr */
  guint                live_lines;
  GPtrArray           *pending_lines; /* to print above the live lines */
  guint                redraw_id;
  guint                tick;
  guint                name_columns;  /* the widest name of the live lines, to align them */

  mode_t               umask;
  int                  signal_number;
  guint                sigint_id;
  guint                sigterm_id;
};

/* ladle-cli-output.c */
guint              ladle_cli_terminal_width      (void);
void               ladle_cli_fill_line           (LadleCliTransfer *t,
                                                  LadleCliLine     *line);
void               ladle_cli_redraw              (LadleCliApp      *app);
gboolean           ladle_cli_redraw_cb           (gpointer          user_data);
void               ladle_cli_message             (LadleCliApp      *app,
                                                  const char       *format,
                                                  ...) G_GNUC_PRINTF (2, 3);
void               ladle_cli_print_json          (LadleCliTransfer *t);

/* ladle-cli-transfer.c */
int                ladle_cli_exit_code_for_error (LadleCliApp      *app,
                                                  const GError     *error);
char              *ladle_cli_url_file_name       (GUri             *uri);
gboolean           ladle_cli_add_headers         (LadleCliApp      *app,
                                                  SoupMessage      *message,
                                                  GError          **error);
gboolean           ladle_cli_append_form_field   (LadleMultipartForm *form,
                                                  const char       *spec,
                                                  GError          **error);
void               ladle_cli_transfer_free       (LadleCliTransfer *t);
void               ladle_cli_start_more          (LadleCliApp      *app);
gboolean           ladle_cli_sigint_cb           (gpointer          user_data);
gboolean           ladle_cli_sigterm_cb          (gpointer          user_data);

G_END_DECLS
