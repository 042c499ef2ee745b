# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A program that runs a Ladle background session, for the kill-and-relaunch tests.

    bg_child.py --state-dir DIR --log FILE [--app-id ID] [--identifier NAME]
                [--download URL=DEST]... [--upload URL=FILE]... [--crash-in-handler DESCRIPTION]

On its first run (nothing restored, nothing delivered yet) it starts the listed transfers,
described by their destination's (or file's) base name. On every run it logs, one JSON object per
line, fsynced, with a CLOCK_MONOTONIC timestamp: what was restored, each delivery
(task-completed), background-events-finished, and "idle" when the session has no task left, after
which it exits 0. With --crash-in-handler it kills itself inside the task-completed handler of
that task (an application crashing in its own handler).
"""

import argparse
import json
import os
import signal
import sys
import time

import gi
gi.require_version('Ladle', '1')
gi.require_version('Soup', '3.0')
from gi.repository import GLib, Gio, Ladle, Soup  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--state-dir', required=True)
    parser.add_argument('--log', required=True)
    parser.add_argument('--app-id', default='org.gnome.Ladle.TestPhotos')
    parser.add_argument('--identifier', default='photos')
    parser.add_argument('--download', action='append', default=[])
    parser.add_argument('--upload', action='append', default=[])
    parser.add_argument('--crash-in-handler')
    parser.add_argument('--user', default='')
    parser.add_argument('--password', default='')
    args = parser.parse_args()

    log_file = open(args.log, 'a', encoding='utf-8')

    def log(event, **fields):
        fields['event'] = event
        fields['time'] = time.monotonic()
        fields['pid'] = os.getpid()
        log_file.write(json.dumps(fields) + '\n')
        log_file.flush()
        os.fsync(log_file.fileno())

    configuration = Ladle.SessionConfiguration.new_background(args.identifier)
    configuration.set_state_directory(args.state_dir)
    configuration.set_application_id(args.app_id)
    session = Ladle.Session.new(configuration)
    loop = GLib.MainLoop()
    state = {'events_finished': False}

    restored = [session.get_item(i) for i in range(session.get_n_items())]
    log('started', restored=[{'identifier': t.get_identifier(), 'description': t.get_description(),
                              'state': int(t.get_state()),
                              'bytes_received': t.get_bytes_received()} for t in restored])

    def on_authenticate(session, task, auth, retrying):
        if retrying or not args.user:
            return False
        auth.authenticate(args.user, args.password)
        return True

    def check_idle():
        if state['events_finished'] and session.get_n_items() == 0:
            log('idle')
            loop.quit()

    def on_task_completed(session, task, error):
        description = task.get_description()
        if args.crash_in_handler == description:
            log('crashing', description=description)
            os.kill(os.getpid(), signal.SIGKILL)
        log('delivered', identifier=task.get_identifier(), description=description,
            error=None if error is None else '%s:%d:%s' % (error.domain, error.code, error.message),
            status=task.get_status_code())
        GLib.idle_add(lambda: check_idle() and False)

    def on_download_finished(session, task, location):
        log('download-finished', identifier=task.get_identifier(), description=task.get_description(),
            location=location.get_path())

    def on_events_finished(session):
        log('events-finished')
        state['events_finished'] = True
        check_idle()

    session.connect('authenticate', on_authenticate)
    session.connect('task-completed', on_task_completed)
    session.connect('download-finished', on_download_finished)
    session.connect('background-events-finished', on_events_finished)

    first_run = not restored and not os.path.exists(args.log + '.started')
    if first_run:
        open(args.log + '.started', 'w').close()
        for spec in args.download:
            url, dest = spec.split('=', 1)
            task = session.create_download_task_for_uri(url)
            task.set_description(os.path.basename(dest))
            task.set_destination(Gio.File.new_for_path(dest),
                                 Ladle.DestinationFlags.REPLACE | Ladle.DestinationFlags.CREATE_PARENTS)
            task.resume()
        for spec in args.upload:
            url, path = spec.split('=', 1)
            request = Soup.Message.new('PUT', url)
            task = session.create_upload_task_from_file(request, Gio.File.new_for_path(path))
            task.set_description(os.path.basename(path))
            task.resume()
        log('created', n=session.get_n_items())

    loop.run()
    # As an application quits: the session goes, and with it its last store writes are flushed.
    restored = session = None  # noqa: F841
    return 0


if __name__ == '__main__':
    sys.exit(main())
