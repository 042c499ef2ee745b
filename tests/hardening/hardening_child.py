# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The second process of the hardening tests (test_hardening_files.py).

    hardening_child.py resume STATE_DIR RESUME_DATA_FILE DESTINATION
        resumes the download in a session on STATE_DIR, suspends it in its first download-progress
        (it then holds the partial file) and prints "holding"; on a line from stdin it resumes and
        prints one JSON object {"error": [domain, code, message] or null, "sha256": ...}. A task
        that fails before it holds prints that JSON object at once; one that cannot be created
        prints {"create_error": [...]}.
    hardening_child.py flock PATH
        holds an exclusive flock() on PATH, prints "locked", waits for stdin to close.
"""

import fcntl
import hashlib
import json
import os
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Gio, Ladle  # noqa: E402


def error_list(error):
    return [error.domain, error.code, error.message] if error is not None else None


def sha256(path):
    if not os.path.exists(path):
        return None
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def resume(state_dir, resume_file, destination):
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_state_directory(state_dir)
    session = Ladle.Session.new(configuration)
    with open(resume_file, 'rb') as f:
        resume_data = GLib.Bytes.new(f.read())
    try:
        task = session.create_download_task_from_resume_data(resume_data)
    except GLib.Error as e:
        print(json.dumps({'create_error': error_list(e)}), flush=True)
        return
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    state = {'done': False, 'suspended': False, 'error': None}

    def on_progress(task, received_now, total_received, total_expected):
        if not state['suspended']:
            state['suspended'] = True
            task.suspend()

    def on_completed(task, error):
        state['error'] = error
        state['done'] = True

    task.connect('download-progress', on_progress)
    task.connect('completed', on_completed)
    task.resume()
    context = GLib.MainContext.default()
    while not state['done'] and not state['suspended']:
        context.iteration(True)
    if not state['done']:
        # the writes queued before the suspension land
        deadline = GLib.get_monotonic_time() + 200000
        while GLib.get_monotonic_time() < deadline:
            context.iteration(False)
        print('holding', flush=True)
        sys.stdin.readline()
        task.resume()
        while not state['done']:
            context.iteration(True)
    print(json.dumps({'error': error_list(state['error']), 'sha256': sha256(destination)}), flush=True)
    session.invalidate_and_cancel()


def hold_flock(path):
    with open(path, 'rb') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        print('locked', flush=True)
        sys.stdin.read()


def main():
    if sys.argv[1] == 'resume':
        resume(*sys.argv[2:5])
    elif sys.argv[1] == 'flock':
        hold_flock(sys.argv[2])
    else:
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
