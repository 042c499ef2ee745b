# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One launch of an application with a background session, for test_background.py.

    bg_scenario.py --state-dir DIR --out FILE [--app-id ID] [--identifier NAME] ACTION [options]

Every observation is a JSON line in FILE (appended, fsynced, with CLOCK_MONOTONIC times), so that
the test sees it even when this process dies by SIGKILL.

ACTION start: creates tasks, resumes them, and waits until each download received --wait-bytes
    (or each upload sent something), then optionally --suspend them, waits --settle seconds for
    the store, and SIGKILLs itself (or exits with --exit).
        --download URL=DEST   a download task, described by DEST's base name
        --form URL=FILE       a form upload: text, FILE, and a small bytes part
        --data URL            a data task (runs, is not recorded)
        --streamed URL        a streamed upload (must fail: not in background)
        --stream-form URL     a form with a stream part (must fail: not in background)
        --hold-handler        the session's ::task-completed handler waits for every task to
                              complete, then the process dies inside it (nothing delivered)
ACTION observe: makes the session again, logs what was restored, connects the session's
    handlers right after Session.new(), and then:
        --die-after-new       SIGKILL before the main loop ever runs
        --resume-all, --cancel-all, --invalidate
        --seconds S           run S seconds, then exit
        --until-idle          run until ::background-events-finished and no task left
"""

import argparse
import json
import os
import signal
import sys
import time

import gi
gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Gio, Ladle, Soup  # noqa: E402

MULTIPLIER = int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))


class Out:
    def __init__(self, path):
        self.file = open(path, 'a', encoding='utf-8')

    def __call__(self, event, **fields):
        fields['event'] = event
        fields['time'] = time.monotonic()
        fields['pid'] = os.getpid()
        self.file.write(json.dumps(fields) + '\n')
        self.file.flush()
        os.fsync(self.file.fileno())


def describe(task):
    info = {'identifier': task.get_identifier(), 'description': task.get_description(),
            'state': int(task.get_state()), 'bytes_received': task.get_bytes_received(),
            'bytes_expected_to_receive': task.get_bytes_expected_to_receive(),
            'bytes_sent': task.get_bytes_sent(), 'status': task.get_status_code(),
            'type': type(task).__name__}
    return info


def error_of(error):
    if error is None:
        return None
    return {'domain': GLib.quark_to_string(error.domain) if isinstance(error.domain, int) else error.domain,
            'code': error.code, 'message': error.message}


def new_session(args):
    configuration = Ladle.SessionConfiguration.new_background(args.identifier)
    configuration.set_state_directory(args.state_dir)
    configuration.set_application_id(args.app_id)
    return Ladle.Session.new(configuration)


def run_for(loop, seconds):
    GLib.timeout_add(int(seconds * 1000 * MULTIPLIER), lambda: loop.quit() or False)
    loop.run()


def start(args, out):
    session = new_session(args)
    loop = GLib.MainLoop()
    tasks = []
    completed = []

    def on_completed(task, error):
        completed.append(task)
        out('completed', task=describe(task), error=error_of(error))

    for spec in args.download:
        url, dest = spec.split('=', 1)
        task = session.create_download_task_for_uri(url)
        task.set_description(os.path.basename(dest))
        task.set_destination(Gio.File.new_for_path(dest),
                             Ladle.DestinationFlags.REPLACE | Ladle.DestinationFlags.CREATE_PARENTS)
        tasks.append(task)
    for spec in args.form:
        url, path = spec.split('=', 1)
        form = Ladle.MultipartForm.new()
        form.append_text('message', 'a photo, and a caption with UTF-8: é ✓')
        form.append_file('photo', Gio.File.new_for_path(path), os.path.basename(path), 'image/jpeg', None)
        form.append_bytes('thumbnail', 'thumb.bin', 'application/octet-stream',
                          GLib.Bytes.new(bytes(range(256)) * 8))
        task = session.create_upload_task_from_form(Soup.Message.new('POST', url), form)
        task.set_description('form')
        tasks.append(task)
    for url in args.data:
        task = session.create_data_task_for_uri(url)
        task.set_description('data')
        tasks.append(task)
    for url in args.streamed:
        task = session.create_upload_task_streamed(Soup.Message.new('PUT', url))
        task.set_description('streamed')
        tasks.append(task)
    for url in args.stream_form:
        form = Ladle.MultipartForm.new()
        form.append_text('message', 'hello')
        form.append_stream('photo', 'p.bin', 'application/octet-stream', 3,
                           lambda *a: Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(b'abc')))
        task = session.create_upload_task_from_form(Soup.Message.new('POST', url), form)
        task.set_description('stream-form')
        tasks.append(task)

    if args.hold_handler:
        # The session's handler does not return until every task completed, then the process
        # dies: every completion is recorded, none delivered.
        def on_task_completed(session, task, error):
            out('handler-entered', task=describe(task))
            while len(completed) < len(tasks):
                GLib.MainContext.default().iteration(True)
            out('dying')
            os.kill(os.getpid(), signal.SIGKILL)
        session.connect('task-completed', on_task_completed)

    for task in tasks:
        task.connect('completed', on_completed)
        task.resume()
    out('created', tasks=[describe(t) for t in tasks])

    def far_enough():
        for task in tasks:
            if task in completed:
                continue
            if isinstance(task, Ladle.DownloadTask):
                if task.get_bytes_received() < args.wait_bytes:
                    return False
            elif isinstance(task, Ladle.UploadTask) and task.get_description() == 'form':
                if task.get_bytes_sent() <= 0:
                    return False
        return True

    deadline = time.monotonic() + 60 * MULTIPLIER
    context = GLib.MainContext.default()
    while not far_enough() and len(completed) < len(tasks):
        if time.monotonic() > deadline:
            out('timeout', tasks=[describe(t) for t in tasks])
            return 1
        context.iteration(True)
    if args.suspend:
        for task in tasks:
            task.suspend()
    run_for(loop, args.settle)
    out('ready', tasks=[describe(t) for t in tasks])
    if args.exit:
        return 0
    os.kill(os.getpid(), signal.SIGKILL)


def observe(args, out):
    session = new_session(args)
    restored = [session.get_item(i) for i in range(session.get_n_items())]
    if args.die_after_new:
        out('dying', restored=[describe(t) for t in restored])
        os.kill(os.getpid(), signal.SIGKILL)
    loop = GLib.MainLoop()
    state = {'events_finished': False}
    bodies = {}

    def on_task_completed(session, task, error):
        info = describe(task)
        info['body'] = bytes(bodies.get(task.get_identifier(), b'')).decode('utf-8', 'replace')
        out('task-completed', task=info, error=error_of(error))
        GLib.idle_add(check_idle)

    def on_download_finished(session, task, location):
        out('download-finished', task=describe(task), location=location.get_path())

    def on_events_finished(session):
        out('events-finished', n_items=session.get_n_items())
        state['events_finished'] = True
        check_idle()

    def check_idle():
        if args.until_idle and state['events_finished'] and session.get_n_items() == 0:
            out('idle')
            loop.quit()
        return False

    session.connect('task-completed', on_task_completed)
    session.connect('download-finished', on_download_finished)
    session.connect('background-events-finished', on_events_finished)

    out('restored', tasks=[describe(t) for t in restored],
        by_identifier=[describe(session.get_task_by_identifier(t.get_identifier())) for t in restored],
        same=[session.get_task_by_identifier(t.get_identifier()) is t for t in restored])

    for task in restored:
        if isinstance(task, Ladle.UploadTask):
            bodies[task.get_identifier()] = bytearray()
            task.connect('data-received',
                         lambda t, chunk: bodies[t.get_identifier()].extend(chunk.get_data()))
        if isinstance(task, Ladle.DownloadTask):
            task.connect('resumed', lambda t, offset, total: out('resumed', task=describe(t), offset=offset,
                                                                  total=total))
    if args.resume_all:
        for task in restored:
            task.resume()
    if args.cancel_all:
        for task in restored:
            task.cancel()
    if args.invalidate:
        session.invalidate_and_cancel()

    if args.until_idle:
        GLib.timeout_add_seconds(120 * MULTIPLIER, lambda: out('timeout') or loop.quit())
        loop.run()
    else:
        run_for(loop, args.seconds)
    out('end', tasks=[describe(session.get_item(i)) for i in range(session.get_n_items())])
    # As an application quits: the session goes, and with it its last store writes are flushed.
    restored = session = None
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--state-dir', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--app-id', default='org.gnome.Ladle.TestBehaviour')
    parser.add_argument('--identifier', default='transfers')
    sub = parser.add_subparsers(dest='action', required=True)
    p = sub.add_parser('start')
    p.add_argument('--download', action='append', default=[])
    p.add_argument('--form', action='append', default=[])
    p.add_argument('--data', action='append', default=[])
    p.add_argument('--streamed', action='append', default=[])
    p.add_argument('--stream-form', action='append', default=[])
    p.add_argument('--wait-bytes', type=int, default=0)
    p.add_argument('--suspend', action='store_true')
    p.add_argument('--settle', type=float, default=0.3)
    p.add_argument('--exit', action='store_true')
    p.add_argument('--hold-handler', action='store_true')
    p = sub.add_parser('observe')
    p.add_argument('--die-after-new', action='store_true')
    p.add_argument('--resume-all', action='store_true')
    p.add_argument('--cancel-all', action='store_true')
    p.add_argument('--invalidate', action='store_true')
    p.add_argument('--seconds', type=float, default=1.0)
    p.add_argument('--until-idle', action='store_true')
    args = parser.parse_args()
    out = Out(args.out)
    return (start if args.action == 'start' else observe)(args, out)


if __name__ == '__main__':
    sys.exit(main())
