#!/usr/bin/python3
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One download through a background session, in-process or through ladle-transfer-service, timed,
with the session bus's messages counted.

    service-client.py in-process|service URL OUTPUT STATE_DIR IDENTIFIER

The session is a background one (identifier IDENTIFIER, application id
org.gnome.Ladle.BenchService) with a download-progress handler connected (a percentage, as a
progress bar would); with "service" its configuration has use-transfer-service set. A filter on
the session bus connection (Gio.DBusConnection.add_filter, on the connection the library shares,
made before the session) counts the messages it receives and sends, and the TaskChanged signals
among them, from resume() to the completion. Prints one JSON line: {"bytes", "seconds",
"progress_events", "messages_in", "messages_out", "task_changed", "setup_seconds"}.
"""

import json
import sys
import threading
import time

import gi

gi.require_version('Gio', '2.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Gio, Ladle  # noqa: E402


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ('in-process', 'service'):
        print('usage: %s in-process|service URL OUTPUT STATE_DIR IDENTIFIER' % sys.argv[0], file=sys.stderr)
        return 2
    mode, url, output, state_dir, identifier = sys.argv[1:]

    counts = {'in': 0, 'out': 0, 'task_changed': 0, 'counting': False}
    lock = threading.Lock()

    def message_filter(connection, message, incoming):
        # Runs in GDBus's worker thread, for every message of the connection.
        with lock:
            if counts['counting']:
                counts['in' if incoming else 'out'] += 1
                if incoming and message.get_member() == 'TaskChanged':
                    counts['task_changed'] += 1
        return message

    bus = None
    if mode == 'service':
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        bus.add_filter(message_filter)

    setup_start = time.monotonic()
    configuration = Ladle.SessionConfiguration.new_background(identifier)
    configuration.set_application_id('org.gnome.Ladle.BenchService')
    configuration.set_state_directory(state_dir)
    if mode == 'service':
        configuration.set_use_transfer_service(True)
        session = Ladle.Session.new_sync(configuration, None)
    else:
        session = Ladle.Session.new(configuration)
    setup_seconds = time.monotonic() - setup_start

    loop = GLib.MainLoop()
    state = {'events': 0, 'error': None, 'text': '', 'bytes': 0}

    def on_progress(task, received_now, total_received, total_expected):
        state['events'] += 1
        if total_expected > 0:
            state['text'] = '%5.1f %%' % (100.0 * total_received / total_expected)

    def on_completed(session, task, error):
        state['error'] = error
        state['bytes'] = task.get_bytes_received()
        loop.quit()

    task = session.create_download_task_for_uri(url)
    task.set_destination(Gio.File.new_for_path(output), Ladle.DestinationFlags.REPLACE)
    task.connect('download-progress', on_progress)
    session.connect('task-completed', on_completed)

    with lock:
        counts['counting'] = True
    start = time.monotonic()
    task.resume()
    loop.run()
    seconds = time.monotonic() - start
    with lock:
        counts['counting'] = False

    if state['error'] is not None:
        print('download failed: %s' % state['error'].message, file=sys.stderr)
        return 1
    task = session = None
    print(json.dumps({'bytes': state['bytes'], 'seconds': seconds, 'progress_events': state['events'],
                      'messages_in': counts['in'], 'messages_out': counts['out'],
                      'task_changed': counts['task_changed'], 'setup_seconds': setup_seconds}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
