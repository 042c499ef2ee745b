#!/usr/bin/python3
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One download through a background session, in-process or through ladle-transfer-service, timed,
with the service's signals counted.

    service-client.py in-process|service URL OUTPUT STATE_DIR IDENTIFIER

The session is a background one (identifier IDENTIFIER, application id
org.gnome.Ladle.BenchService) with a download-progress handler connected (a percentage, as a
progress bar would); with "service" its configuration has use-transfer-service set. A
subscription on the session bus connection the library shares (made before the session) counts
the signals of org.gnome.Ladle.TransferService.Session it receives from resume() to the
completion, TaskChanged among them. (Gio.DBusConnection.add_filter would see every message,
but a Python filter crashes PyGObject: it returns the message it was given, which the binding
releases once too often. bench/service counts every message with dbus-monitor.) Prints one
JSON line: {"bytes", "seconds", "progress_events", "signals", "task_changed", "setup_seconds",
"transfer_start", "transfer_end"} (the last two: Unix times of resume() and of the completion).
"""

import json
import sys
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

    counts = {'signals': 0, 'task_changed': 0, 'counting': False}

    def on_signal(connection, sender, path, interface, member, parameters):
        if counts['counting']:
            counts['signals'] += 1
            if member == 'TaskChanged':
                counts['task_changed'] += 1

    if mode == 'service':
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        bus.signal_subscribe(None, 'org.gnome.Ladle.TransferService.Session', None, None, None,
                             Gio.DBusSignalFlags.NONE, on_signal)

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

    counts['counting'] = True
    wall_start = time.time()
    start = time.monotonic()
    task.resume()
    loop.run()
    seconds = time.monotonic() - start
    wall_end = time.time()
    counts['counting'] = False

    if state['error'] is not None:
        print('download failed: %s' % state['error'].message, file=sys.stderr)
        return 1
    task = session = None
    print(json.dumps({'bytes': state['bytes'], 'seconds': seconds, 'progress_events': state['events'],
                      'signals': counts['signals'], 'task_changed': counts['task_changed'],
                      'setup_seconds': setup_seconds, 'transfer_start': wall_start,
                      'transfer_end': wall_end}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
