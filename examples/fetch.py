#!/usr/bin/python3
# fetch.py: fetch a URL with a Ladle.DataTask and show its progress
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   fetch.py URL
#
# The same program as ladle-fetch.c: chunks from ::data-received go into a SHA-256 checksum, a
# progress bar from ::download-progress is drawn on standard error, and standard output gets
# "status: ...", "bytes: N" and "sha256: HEX". Exit status: 0 on success, 1 when the task failed
# with a GLib.Error, 2 on bad usage, 3 when the HTTP status is 400 or more. Ctrl-C cancels.

import hashlib
import signal
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Ladle, Soup  # noqa: E402

BAR_WIDTH = 30


class Fetch:
    def __init__(self, url):
        self.loop = GLib.MainLoop()
        self.checksum = hashlib.sha256()
        self.bytes = 0
        self.interactive = sys.stderr.isatty()
        self.last_tenth = -1
        self.bar_drawn = False
        self.last_line = None
        self.exit_status = 1

        configuration = Ladle.SessionConfiguration.new_ephemeral()
        self.session = Ladle.Session.new(configuration)
        # A URL that is not http or https still makes a task: it completes with a GLib.Error.
        self.task = self.session.create_data_task_for_uri(url)
        # Chunks are hashed as they arrive instead of being kept.
        self.task.set_accumulate(False)

        self.task.connect('response', self.on_response)
        self.task.connect('data-received', self.on_data_received)
        self.task.connect('download-progress', self.on_download_progress)
        self.task.connect('completed', self.on_completed)

    def run(self):
        interrupt_id = GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, self.on_interrupt)
        # Every task starts suspended.
        self.task.resume()
        self.loop.run()
        GLib.source_remove(interrupt_id)
        return self.exit_status

    def draw_progress(self, received, expected, last):
        received_text = GLib.format_size(received)
        if expected >= 0:
            percent = received * 100 // expected if expected > 0 else 100
            filled = received * BAR_WIDTH // expected if expected > 0 else BAR_WIDTH
            if not self.interactive and not last:
                if percent // 10 == self.last_tenth:
                    return
                self.last_tenth = percent // 10
            bar = '#' * filled + '-' * (BAR_WIDTH - filled)
            line = f'[{bar}] {percent:3d}%  {received_text} / {GLib.format_size(expected)}'
        else:
            # No Content-Length: only the count is known.
            if not self.interactive and not last:
                return
            line = f'[{" " * BAR_WIDTH}]  {received_text}'

        if self.interactive:
            sys.stderr.write(f'\r{line}\033[K')
        elif line != self.last_line:
            sys.stderr.write(f'{line}\n')
        self.last_line = line
        sys.stderr.flush()
        self.bar_drawn = True

    def on_response(self, task, message):
        # Headers are in, the body follows; a handler could refuse it here.
        print(f'status: {int(message.get_status())} {message.get_reason_phrase()}', flush=True)
        return Ladle.ResponseDisposition.ALLOW

    def on_data_received(self, task, chunk):
        data = chunk.get_data()
        self.checksum.update(data)
        self.bytes += len(data)

    def on_download_progress(self, task, received_now, total_received, total_expected):
        self.draw_progress(total_received, total_expected, False)

    def on_completed(self, task, error):
        if self.bar_drawn or error is None:
            self.draw_progress(self.bytes, task.get_bytes_expected_to_receive(), True)
            if self.interactive:
                sys.stderr.write('\n')

        if error is not None:
            print(f'fetch.py: {error.message} ({error.domain}, {error.code})', file=sys.stderr)
            self.exit_status = 1
        else:
            status = task.get_status_code()
            print(f'bytes: {self.bytes}')
            print(f'sha256: {self.checksum.hexdigest()}', flush=True)
            if status >= 400:
                print(f'fetch.py: the server answered {status} {Soup.Status.get_phrase(status)}',
                      file=sys.stderr)
                self.exit_status = 3
            else:
                self.exit_status = 0

        self.loop.quit()

    def on_interrupt(self):
        # ::completed follows with Gio.IOErrorEnum.CANCELLED and quits the loop.
        self.task.cancel()
        return GLib.SOURCE_CONTINUE


def main(argv):
    if len(argv) != 2:
        print('Usage: fetch.py URL', file=sys.stderr)
        return 2

    return Fetch(argv[1]).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
