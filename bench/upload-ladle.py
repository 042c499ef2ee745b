#!/usr/bin/python3
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""upload-ladle.py: one multipart upload with Ladle from PyGObject, timed, for bench/upload.

    upload-ladle.py [--response OUT] URL FILE

The same upload as bench/upload-ladle.c (FILE as the part "file" of a Ladle.MultipartForm), with
an upload-progress handler connected that formats a percentage, as an application's would.
Prints one JSON line: {"status", "bytes", "sent", "seconds", "progress_events"}. With --response,
the response body is written to OUT.
"""

import json
import sys
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import Gio, GLib, Ladle, Soup  # noqa: E402


def main(argv):
    response_path = None
    if len(argv) == 5 and argv[1] == '--response':
        response_path = argv[2]
        argv = argv[:1] + argv[3:]
    if len(argv) != 3:
        print('Usage: upload-ladle.py [--response OUT] URL FILE', file=sys.stderr)
        return 2
    url, path = argv[1], argv[2]

    form = Ladle.MultipartForm.new()
    form.append_file('file', Gio.File.new_for_path(path), None, 'application/octet-stream', None)
    session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())
    task = session.create_upload_task_from_form(Soup.Message.new('POST', url), form)

    loop = GLib.MainLoop()
    state = {'events': 0, 'text': '', 'error': None, 'finished': None}

    def on_progress(task, sent_now, total_sent, total_expected):
        state['events'] += 1
        state['text'] = f'{total_sent * 100 // max(total_expected, 1)}%'

    def on_completed(task, error):
        state['finished'] = time.monotonic()
        state['error'] = error
        loop.quit()

    task.connect('upload-progress', on_progress)
    task.connect('completed', on_completed)
    started = time.monotonic()
    task.resume()
    loop.run()

    if state['error'] is not None:
        print(f'upload-ladle.py: {state["error"].message}', file=sys.stderr)
    status = task.get_status_code()
    if response_path is not None:
        body = task.dup_body()
        with open(response_path, 'wb') as f:
            f.write(body.get_data() if body is not None else b'')
    print(json.dumps({'status': status, 'bytes': form.get_content_length(), 'sent': task.get_bytes_sent(),
                      'seconds': state['finished'] - started, 'progress_events': state['events']}))
    return 0 if state['error'] is None and 200 <= status < 300 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
