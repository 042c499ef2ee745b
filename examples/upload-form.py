#!/usr/bin/python3
# upload-form.py: upload files as a multipart form with Ladle and show the upload progress
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   upload-form.py [--name NAME] [--field NAME=VALUE]... [--user USER --password PASSWORD] URL FILE...
#
# The files go out as a multipart/form-data POST built by a Ladle.MultipartForm: each file is
# opened only when its part is reached and streamed from disk (memory stays small whatever the
# size), and the exact Content-Length is known before sending. Text fields given with --field
# come first. A progress bar from ::upload-progress is drawn on standard error. Standard output
# gets "size: N" (the form's length), "status: CODE PHRASE", "sent: N", then the response body.
#
# Exit status: 0 on success, 1 when the task failed with a GLib.Error, 2 on bad usage (or a file
# that cannot be added), 3 when the HTTP status is 400 or more. Ctrl-C cancels.

import argparse
import signal
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import Gio, GLib, Ladle, Soup  # noqa: E402

BAR_WIDTH = 30


class Upload:
    def __init__(self, url, form, user=None, password=None):
        self.loop = GLib.MainLoop()
        self.user = user
        self.password = password
        self.interactive = sys.stderr.isatty()
        self.last_tenth = -1
        self.bar_drawn = False
        self.last_line = None
        self.exit_status = 1

        configuration = Ladle.SessionConfiguration.new_ephemeral()
        self.session = Ladle.Session.new(configuration)
        request = Soup.Message.new('POST', url)
        self.task = self.session.create_upload_task_from_form(request, form)

        self.task.connect('upload-progress', self.on_upload_progress)
        self.task.connect('authenticate', self.on_authenticate)
        self.task.connect('response', self.on_response)
        self.task.connect('completed', self.on_completed)

    def run(self):
        interrupt_id = GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, self.on_interrupt)
        # Every task starts suspended.
        self.task.resume()
        self.loop.run()
        GLib.source_remove(interrupt_id)
        return self.exit_status

    def draw_progress(self, sent, expected, last):
        sent_text = GLib.format_size(sent)
        if expected > 0:
            percent = sent * 100 // expected
            filled = sent * BAR_WIDTH // expected
            if not self.interactive and not last:
                if percent // 10 == self.last_tenth:
                    return
                self.last_tenth = percent // 10
            bar = '#' * filled + '-' * (BAR_WIDTH - filled)
            line = f'[{bar}] {percent:3d}%  {sent_text} / {GLib.format_size(expected)} sent'
        else:
            if not self.interactive and not last:
                return
            line = f'[{" " * BAR_WIDTH}]  {sent_text} sent'

        if self.interactive:
            sys.stderr.write(f'\r{line}\033[K' + ('\n' if last else ''))
        elif line != self.last_line:
            sys.stderr.write(f'{line}\n')
        self.last_line = line
        sys.stderr.flush()
        self.bar_drawn = True

    def on_upload_progress(self, task, sent_now, total_sent, total_expected):
        # Emissions are rate-limited by Ladle: a Python handler does not slow the transfer.
        self.draw_progress(total_sent, total_expected, False)

    def on_authenticate(self, task, auth, retrying):
        # Credentials refused once are not offered again: the task completes with the 401.
        # After the challenge, the form is sent again with the same bytes.
        if self.user is None or retrying:
            return False
        auth.authenticate(self.user, self.password)
        return True

    def on_response(self, task, message):
        if self.bar_drawn:
            self.draw_progress(task.get_bytes_sent(), task.get_bytes_expected_to_send(), True)
        print(f'status: {int(message.get_status())} {message.get_reason_phrase()}')
        print(f'sent: {task.get_bytes_sent()}', flush=True)
        return Ladle.ResponseDisposition.ALLOW

    def on_completed(self, task, error):
        if error is not None:
            if self.interactive and self.bar_drawn:
                sys.stderr.write('\n')
            print(f'upload-form.py: {error.message} ({error.domain}, {error.code})', file=sys.stderr)
            self.exit_status = 1
        else:
            # The response body was accumulated (a data task's default).
            body = task.dup_body()
            if body is not None:
                sys.stdout.buffer.write(body.get_data())
                sys.stdout.flush()
            status = task.get_status_code()
            if status >= 400:
                print(f'upload-form.py: the server answered {status} {Soup.Status.get_phrase(status)}',
                      file=sys.stderr)
                self.exit_status = 3
            else:
                self.exit_status = 0
        self.loop.quit()

    def on_interrupt(self):
        # ::completed follows with Gio.IOErrorEnum.CANCELLED and quits the loop.
        self.task.cancel()
        return GLib.SOURCE_CONTINUE


def build_form(name, fields, paths):
    form = Ladle.MultipartForm.new()
    for field in fields:
        key, sep, value = field.partition('=')
        if not sep:
            raise ValueError(f'--field wants NAME=VALUE, not {field}')
        form.append_text(key, value)
    for path in paths:
        # The file name defaults to the base name and the content type is guessed; only the
        # size is read now, the content while sending.
        form.append_file(name, Gio.File.new_for_commandline_arg(path), None, None, None)
    return form


def main(argv):
    parser = argparse.ArgumentParser(prog='upload-form.py',
                                     description='Upload files as a multipart form with Ladle.')
    parser.add_argument('--name', default='file', help='form field of the files (default: file)')
    parser.add_argument('--field', action='append', default=[], metavar='NAME=VALUE',
                        help='a text field, sent before the files')
    parser.add_argument('--user')
    parser.add_argument('--password')
    parser.add_argument('url')
    parser.add_argument('files', nargs='+', metavar='FILE')
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit as e:
        return 2 if e.code else 0
    if (args.user is None) != (args.password is None):
        print('upload-form.py: give both --user and --password, or neither', file=sys.stderr)
        return 2
    if GLib.Uri.peek_scheme(args.url) not in ('http', 'https'):
        print(f'upload-form.py: not an http or https URL: {args.url}', file=sys.stderr)
        return 2

    try:
        form = build_form(args.name, args.field, args.files)
    except (GLib.Error, ValueError) as e:
        print(f'upload-form.py: {getattr(e, "message", e)}', file=sys.stderr)
        return 2
    print(f'size: {form.get_content_length()}', flush=True)

    return Upload(args.url, form, args.user, args.password).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
