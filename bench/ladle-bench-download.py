#!/usr/bin/python3
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One download with Ladle from Python, a download-progress handler connected, timed.

    ladle-bench-download.py URL OUTPUT

Like ladle-bench-download.c --progress, through PyGObject: the handler does what a progress bar
would (a division and a string format), so the cost of calling into Python is counted. Prints one
JSON line {"bytes": N, "seconds": S, "progress_events": E}.
"""

import json
import os
import shutil
import sys
import tempfile
import time

import gi

gi.require_version('Gio', '2.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Gio, Ladle  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print('usage: %s URL OUTPUT' % sys.argv[0], file=sys.stderr)
        return 2
    url, output = sys.argv[1:]
    state_dir = tempfile.mkdtemp(prefix='.ladle-bench-py-', dir=os.path.dirname(os.path.abspath(output)))

    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_state_directory(state_dir)
    session = Ladle.Session.new(configuration)
    task = session.create_download_task_for_uri(url)
    task.set_destination(Gio.File.new_for_path(output), Ladle.DestinationFlags.REPLACE)

    loop = GLib.MainLoop()
    state = {'events': 0, 'error': None, 'text': ''}

    def on_progress(task, received_now, total_received, total_expected):
        state['events'] += 1
        if total_expected > 0:
            state['text'] = '%5.1f %%' % (100.0 * total_received / total_expected)

    def on_completed(task, error):
        state['error'] = error
        loop.quit()

    task.connect('download-progress', on_progress)
    task.connect('completed', on_completed)

    start = time.monotonic()
    task.resume()
    loop.run()
    seconds = time.monotonic() - start
    shutil.rmtree(state_dir, ignore_errors=True)

    if state['error'] is not None:
        print('download failed: %s' % state['error'].message, file=sys.stderr)
        return 1
    print(json.dumps({'bytes': task.get_bytes_received(), 'seconds': seconds,
                      'progress_events': state['events']}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
