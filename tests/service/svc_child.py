# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An application whose background session runs its transfers in ladle-transfer-service, for the
tests of tests/service (one launch of the application per run of this program).

    svc_child.py --log FILE [--app-id ID] [--identifier NAME] [--in-process] [--state-dir DIR]
                 [--download URL=DEST]... [--request-header NAME=VALUE]...
                 [--header NAME=VALUE]... [--sensitive-header NAME=VALUE]...
                 [--exit-at-once | --quit-after SECONDS | --until-file PATH | --until-idle |
                  --until-events-finished]
                 [--new]

It makes its session with Ladle.Session.new_sync() (or Ladle.Session.new() with --new) from a
background configuration with use-transfer-service set (without it, with --in-process: an
in-process background session in --state-dir). A failure of new_sync() is logged ("new-failed",
with the error's domain, code and whether it is Ladle.Error.SERVICE_UNAVAILABLE or SESSION_IN_USE)
and the program exits 3.

It logs, one JSON object per line, fsynced, with a CLOCK_MONOTONIC and a wall-clock timestamp:
"started" with the session's tasks after new_sync() returned (identifier, description, state,
byte counts), every download-progress of those tasks ("progress", at most one per task every
0.1 s, and always the last), every Task::completed of them ("task-completed-signal"), the
session's "download-finished", "delivered" (task-completed), "events-finished", "created" once
the --download tasks were made and resumed, and "idle" when the session has no task left.

Then: --exit-at-once drops the session and returns right after "created" (an application that
queues its transfers and quits, without returning to its main loop); --quit-after runs the main
loop for SECONDS, then does the same (an application that queues its transfers, shows that it
did, and quits); --until-file waits until PATH exists; --until-idle waits for
events-finished and no task left (the default); --until-events-finished stops at
events-finished.
"""

import argparse
import json
import os
import sys
import time

import gi
gi.require_version('Ladle', '1')
gi.require_version('Soup', '3.0')
from gi.repository import GLib, Gio, Ladle, Soup  # noqa: E402


def error_fields(error):
    if error is None:
        return None
    return {'domain': error.domain, 'code': error.code, 'message': error.message,
            'service_unavailable': error.matches(Ladle.error_quark(), Ladle.Error.SERVICE_UNAVAILABLE),
            'session_in_use': error.matches(Ladle.error_quark(), Ladle.Error.SESSION_IN_USE),
            'cancelled': error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--log', required=True)
    parser.add_argument('--launch', type=int, default=0, help='the launch number, logged with every line')
    parser.add_argument('--app-id', default='org.gnome.Ladle.TestPodcasts')
    parser.add_argument('--identifier', default='episodes')
    parser.add_argument('--in-process', action='store_true')
    parser.add_argument('--state-dir')
    parser.add_argument('--new', action='store_true', help='Ladle.Session.new() instead of new_sync()')
    parser.add_argument('--download', action='append', default=[])
    parser.add_argument('--request-header', action='append', default=[])
    parser.add_argument('--header', action='append', default=[])
    parser.add_argument('--sensitive-header', action='append', default=[])
    parser.add_argument('--tls-anchors')
    parser.add_argument('--user', help='answer authentication challenges with --user and --password')
    parser.add_argument('--password', default='')
    parser.add_argument('--accept-certificates', action='store_true',
                        help='an accept-certificate handler that accepts (and logs that it was asked)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--exit-at-once', action='store_true')
    mode.add_argument('--quit-after', type=float)
    mode.add_argument('--until-file')
    mode.add_argument('--until-idle', action='store_true')
    mode.add_argument('--until-events-finished', action='store_true')
    args = parser.parse_args()

    log_file = open(args.log, 'a', encoding='utf-8')

    def log(event, **fields):
        fields['event'] = event
        fields['time'] = time.monotonic()
        fields['wall'] = time.time()
        fields['pid'] = os.getpid()
        fields['launch'] = args.launch
        log_file.write(json.dumps(fields) + '\n')
        log_file.flush()
        os.fsync(log_file.fileno())

    configuration = Ladle.SessionConfiguration.new_background(args.identifier)
    configuration.set_application_id(args.app_id)
    if args.state_dir:
        configuration.set_state_directory(args.state_dir)
    if not args.in_process:
        configuration.set_use_transfer_service(True)
    for spec in args.header + args.sensitive_header:
        name, value = spec.split('=', 1)
        configuration.set_header(name, value)
    for spec in args.sensitive_header:
        configuration.set_header_sensitive(spec.split('=', 1)[0], True)
    if args.tls_anchors:
        configuration.set_tls_database(Gio.TlsFileDatabase.new(args.tls_anchors))

    if args.new:
        session = Ladle.Session.new(configuration)
    else:
        try:
            session = Ladle.Session.new_sync(configuration, None)
        except GLib.Error as e:
            log('new-failed', error=error_fields(e))
            return 3

    loop = GLib.MainLoop()
    state = {'events_finished': False, 'last_progress': {}}

    def describe(task):
        fields = {'identifier': task.get_identifier(), 'description': task.get_description(),
                  'state': int(task.get_state()), 'state_name': task.get_state().value_nick,
                  'bytes_received': task.get_bytes_received(),
                  'bytes_expected': task.get_bytes_expected_to_receive()}
        return fields

    def check_idle():
        if state['events_finished'] and session.get_n_items() == 0:
            log('idle')
            if not args.until_file and args.quit_after is None:
                loop.quit()
        return False

    def on_progress(task, now, total, expected):
        last = state['last_progress'].get(task.get_identifier(), 0.0)
        if total == expected or time.monotonic() - last >= 0.1:
            state['last_progress'][task.get_identifier()] = time.monotonic()
            log('progress', identifier=task.get_identifier(), description=task.get_description(),
                total=total, expected=expected)

    def on_task_completed_signal(task, error):
        log('task-completed-signal', identifier=task.get_identifier(), description=task.get_description(),
            error=error_fields(error), status=task.get_status_code())

    def watch(task):
        if isinstance(task, Ladle.DownloadTask):
            task.connect('download-progress', on_progress)
        task.connect('completed', on_task_completed_signal)

    def on_task_completed(session, task, error):
        destination = task.get_destination() if isinstance(task, Ladle.DownloadTask) else None
        log('delivered', identifier=task.get_identifier(), description=task.get_description(),
            error=error_fields(error), status=task.get_status_code(),
            destination=destination.get_path() if destination is not None else None)
        GLib.idle_add(check_idle)

    def on_download_finished(session, task, location):
        log('download-finished', identifier=task.get_identifier(), description=task.get_description(),
            location=location.get_path())

    def on_events_finished(session):
        log('events-finished')
        state['events_finished'] = True
        if args.until_events_finished:
            loop.quit()
            return
        check_idle()

    tasks = [session.get_item(i) for i in range(session.get_n_items())]
    log('started', tasks=[describe(t) for t in tasks])
    for task in tasks:
        watch(task)

    def on_authenticate(session, task, auth, retrying):
        log('authenticate', identifier=task.get_identifier(), retrying=retrying, realm=auth.get_realm())
        if retrying or not args.user:
            return False
        auth.authenticate(args.user, args.password)
        return True

    def on_accept_certificate(session, task, certificate, errors):
        log('accept-certificate', identifier=task.get_identifier(), errors=int(errors))
        return True

    session.connect('authenticate', on_authenticate)
    if args.accept_certificates:
        session.connect('accept-certificate', on_accept_certificate)
    session.connect('task-completed', on_task_completed)
    session.connect('download-finished', on_download_finished)
    session.connect('background-events-finished', on_events_finished)

    if args.download:
        for spec in args.download:
            url, dest = spec.rsplit('=', 1)
            request = Soup.Message.new('GET', url)
            for header in args.request_header:
                name, value = header.split('=', 1)
                request.get_request_headers().append(name, value)
            task = session.create_download_task(request)
            task.set_description(os.path.basename(dest))
            task.set_destination(Gio.File.new_for_path(dest),
                                 Ladle.DestinationFlags.REPLACE | Ladle.DestinationFlags.CREATE_PARENTS)
            watch(task)
            task.resume()
        log('created', tasks=[describe(session.get_item(i)) for i in range(session.get_n_items())])

    if args.exit_at_once:
        # As an application that queued its transfers quits: the session goes with it.
        tasks = task = session = None  # noqa: F841
        log('exiting')
        return 0

    if args.quit_after is not None:
        GLib.timeout_add(int(args.quit_after * 1000), lambda: loop.quit() and False)

    if args.until_file:
        def poll():
            if os.path.exists(args.until_file):
                loop.quit()
                return False
            return True
        GLib.timeout_add(20, poll)

    loop.run()
    tasks = task = session = None  # noqa: F841
    log('exiting')
    return 0


if __name__ == '__main__':
    sys.exit(main())
