// put-file.js: a RESTful PUT of a file with Ladle, answering Basic authentication
//
// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   gjs put-file.js URL FILE USER PASSWORD        (or: gjs -m put-file.js ...)
//
// Sends FILE as the body of a PUT to URL with Ladle.Session.create_upload_task_from_file(): the
// file is streamed from disk with its exact Content-Length. When the server asks for credentials,
// the ::authenticate handler answers with USER and PASSWORD; the body is then sent again, the
// same bytes (a file that changed size in between makes the task fail instead). Credentials
// refused once are not offered again: the task completes with the 401.
//
// A progress bar from ::upload-progress is drawn on standard error. Standard output gets
// "sha256: HEX" of the local file, "status: CODE PHRASE", "sent: N", then the response body.
// Exit status: 0 on success (2xx), 1 when the task failed with a GLib.Error, 2 on bad usage,
// 3 when the HTTP status is 400 or more. Ctrl-C cancels.

imports.gi.versions.GLib = '2.0';
imports.gi.versions.Gio = '2.0';
imports.gi.versions.Soup = '3.0';
imports.gi.versions.Ladle = '1';

const {GLib, Gio, Ladle, Soup} = imports.gi;
const System = imports.system;

const BAR_WIDTH = 30;
const SIGINT = 2;

const stderr = new Gio.UnixOutputStream({fd: 2, close_fd: false});
const stdout = new Gio.UnixOutputStream({fd: 1, close_fd: false});
const encoder = new TextEncoder();

function writeStderr(text) {
    stderr.write_all(encoder.encode(text), null);
}

function fileSha256(file) {
    const checksum = new GLib.Checksum(GLib.ChecksumType.SHA256);
    const stream = file.read(null);
    for (;;) {
        const bytes = stream.read_bytes(1024 * 1024, null);
        if (bytes.get_size() === 0)
            break;
        checksum.update(bytes.toArray());
    }
    stream.close(null);
    return checksum.get_string();
}

class Put {
    constructor(url, file, user, password) {
        this.loop = new GLib.MainLoop(null, false);
        this.user = user;
        this.password = password;
        // The bar is redrawn in place with escape sequences only on a terminal.
        this.interactive = GLib.log_writer_supports_color(2);
        this.lastTenth = -1;
        this.barDrawn = false;
        this.lastLine = null;
        this.exitStatus = 1;

        const configuration = Ladle.SessionConfiguration.new_ephemeral();
        this.session = Ladle.Session.new(configuration);
        const request = Soup.Message.new('PUT', url);
        this.task = this.session.create_upload_task_from_file(request, file);

        this.task.connect('authenticate', this.onAuthenticate.bind(this));
        this.task.connect('upload-progress', this.onUploadProgress.bind(this));
        this.task.connect('response', this.onResponse.bind(this));
        this.task.connect('completed', this.onCompleted.bind(this));
    }

    run() {
        const interruptId = GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, SIGINT, () => {
            // ::completed follows with Gio.IOErrorEnum.CANCELLED and quits the loop.
            this.task.cancel();
            return GLib.SOURCE_CONTINUE;
        });
        // Every task starts suspended.
        this.task.resume();
        this.loop.run();
        GLib.source_remove(interruptId);
        return this.exitStatus;
    }

    drawProgress(sent, expected, last) {
        const sentText = GLib.format_size(sent);
        let line;
        if (expected > 0) {
            const percent = Math.floor(sent * 100 / expected);
            const filled = Math.floor(sent * BAR_WIDTH / expected);
            if (!this.interactive && !last) {
                if (Math.floor(percent / 10) === this.lastTenth)
                    return;
                this.lastTenth = Math.floor(percent / 10);
            }
            const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
            line = `[${bar}] ${String(percent).padStart(3)}%  ${sentText} / ${GLib.format_size(expected)} sent`;
        } else {
            if (!this.interactive && !last)
                return;
            line = `[${' '.repeat(BAR_WIDTH)}]  ${sentText} sent`;
        }
        if (this.interactive)
            writeStderr(`\r${line}\x1b[K${last ? '\n' : ''}`);
        else if (line !== this.lastLine)
            writeStderr(`${line}\n`);
        this.lastLine = line;
        this.barDrawn = true;
    }

    onAuthenticate(task, auth, retrying) {
        if (retrying) {
            printerr(`put-file.js: the server refused the credentials of ${this.user}`);
            return false;
        }
        print(`authenticate: ${auth.get_scheme_name()} realm "${auth.get_realm()}"`);
        auth.authenticate(this.user, this.password);
        return true;
    }

    onUploadProgress(task, sentNow, totalSent, totalExpected) {
        this.drawProgress(totalSent, totalExpected, false);
    }

    onResponse(task, message) {
        if (this.barDrawn)
            this.drawProgress(task.get_bytes_sent(), task.get_bytes_expected_to_send(), true);
        print(`status: ${message.get_status()} ${message.get_reason_phrase()}`);
        print(`sent: ${task.get_bytes_sent()}`);
        return Ladle.ResponseDisposition.ALLOW;
    }

    onCompleted(task, error) {
        if (error !== null) {
            if (this.interactive && this.barDrawn)
                writeStderr('\n');
            printerr(`put-file.js: ${error.message} (${GLib.quark_to_string(error.domain)}, ${error.code})`);
            this.exitStatus = 1;
        } else {
            // The response body was accumulated (a data task's default).
            const body = task.dup_body();
            if (body !== null && body.get_size() > 0)
                stdout.write_all(body.toArray(), null);
            const status = task.get_status_code();
            if (status >= 400) {
                printerr(`put-file.js: the server answered ${status} ${Soup.Status.get_phrase(status)}`);
                this.exitStatus = 3;
            } else {
                this.exitStatus = 0;
            }
        }
        this.loop.quit();
    }
}

function main(args) {
    if (args.length !== 4) {
        printerr('Usage: gjs put-file.js URL FILE USER PASSWORD');
        return 2;
    }
    const [url, path, user, password] = args;
    const scheme = GLib.Uri.peek_scheme(url);
    if (scheme !== 'http' && scheme !== 'https') {
        printerr(`put-file.js: not an http or https URL: ${url}`);
        return 2;
    }
    const file = Gio.File.new_for_commandline_arg(path);
    let sha256;
    try {
        sha256 = fileSha256(file);
    } catch (e) {
        printerr(`put-file.js: cannot read ${path}: ${e.message}`);
        return 2;
    }
    print(`sha256: ${sha256}`);

    return new Put(url, file, user, password).run();
}

System.exit(main(System.programArgs));
