// fetch.js: fetch a URL with a Ladle.DataTask and show its progress
//
// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   gjs fetch.js URL        (or: gjs -m fetch.js URL)
//
// The same program as ladle-fetch.c: chunks from ::data-received go into a SHA-256 checksum, a
// progress bar from ::download-progress is drawn on standard error, and standard output gets
// "status: ...", "bytes: N" and "sha256: HEX". Exit status: 0 on success, 1 when the task failed
// with a GLib.Error, 2 on bad usage, 3 when the HTTP status is 400 or more. Ctrl-C cancels.

imports.gi.versions.GLib = '2.0';
imports.gi.versions.Gio = '2.0';
imports.gi.versions.Soup = '3.0';
imports.gi.versions.Ladle = '1';

const {GLib, Gio, Ladle, Soup} = imports.gi;
const System = imports.system;

const BAR_WIDTH = 30;
const SIGINT = 2;

const stderr = new Gio.UnixOutputStream({fd: 2, close_fd: false});
const encoder = new TextEncoder();

function writeStderr(text) {
    stderr.write_all(encoder.encode(text), null);
}

class Fetch {
    constructor(url) {
        this.loop = new GLib.MainLoop(null, false);
        this.checksum = new GLib.Checksum(GLib.ChecksumType.SHA256);
        this.bytes = 0;
        // The bar is redrawn in place with escape sequences only on a terminal.
        this.interactive = GLib.log_writer_supports_color(2);
        this.lastTenth = -1;
        this.barDrawn = false;
        this.lastLine = null;
        this.exitStatus = 1;

        const configuration = Ladle.SessionConfiguration.new_ephemeral();
        this.session = Ladle.Session.new(configuration);
        // A URL that is not http or https still makes a task: it completes with a GLib.Error.
        this.task = this.session.create_data_task_for_uri(url);
        // Chunks are hashed as they arrive instead of being kept.
        this.task.set_accumulate(false);

        this.task.connect('response', this.onResponse.bind(this));
        this.task.connect('data-received', this.onDataReceived.bind(this));
        this.task.connect('download-progress', this.onDownloadProgress.bind(this));
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

    drawProgress(received, expected, last) {
        const receivedText = GLib.format_size(received);
        let line;

        if (expected >= 0) {
            const percent = expected > 0 ? Math.floor(received * 100 / expected) : 100;
            const filled = expected > 0 ? Math.floor(received * BAR_WIDTH / expected) : BAR_WIDTH;
            if (!this.interactive && !last) {
                if (Math.floor(percent / 10) === this.lastTenth)
                    return;
                this.lastTenth = Math.floor(percent / 10);
            }
            const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
            line = `[${bar}] ${String(percent).padStart(3)}%  ${receivedText} / ${GLib.format_size(expected)}`;
        } else {
            // No Content-Length: only the count is known.
            if (!this.interactive && !last)
                return;
            line = `[${' '.repeat(BAR_WIDTH)}]  ${receivedText}`;
        }

        if (this.interactive)
            writeStderr(`\r${line}\x1b[K`);
        else if (line !== this.lastLine)
            writeStderr(`${line}\n`);
        this.lastLine = line;
        this.barDrawn = true;
    }

    onResponse(task, message) {
        // Headers are in, the body follows; a handler could refuse it here.
        print(`status: ${message.get_status()} ${message.get_reason_phrase()}`);
        return Ladle.ResponseDisposition.ALLOW;
    }

    onDataReceived(task, chunk) {
        const data = chunk.toArray();
        this.checksum.update(data);
        this.bytes += data.length;
    }

    onDownloadProgress(task, receivedNow, totalReceived, totalExpected) {
        this.drawProgress(totalReceived, totalExpected, false);
    }

    onCompleted(task, error) {
        if (this.barDrawn || error === null) {
            this.drawProgress(this.bytes, task.get_bytes_expected_to_receive(), true);
            if (this.interactive)
                writeStderr('\n');
        }

        if (error !== null) {
            printerr(`fetch.js: ${error.message} (${GLib.quark_to_string(error.domain)}, ${error.code})`);
            this.exitStatus = 1;
        } else {
            const status = task.get_status_code();
            print(`bytes: ${this.bytes}`);
            print(`sha256: ${this.checksum.get_string()}`);
            if (status >= 400) {
                printerr(`fetch.js: the server answered ${status} ${Soup.Status.get_phrase(status)}`);
                this.exitStatus = 3;
            } else {
                this.exitStatus = 0;
            }
        }

        this.loop.quit();
    }
}

function main(args) {
    if (args.length !== 1) {
        printerr('Usage: gjs fetch.js URL');
        return 2;
    }

    return new Fetch(args[0]).run();
}

System.exit(main(System.programArgs));
