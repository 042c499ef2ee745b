# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The second process of the cross-process resume test.

    dl_resume_child.py STATE_DIR RESUME_DATA_FILE DESTINATION

Loads the resume data written by another process, resumes the download in a new session on the
same state directory, and prints one JSON object: the signals (letters as in dlhelpers.Recorder),
the resumed arguments, the status, the error (domain, code, message) and the progress events.
Exits 0 when it could report, whatever the outcome: the parent test judges.
"""

import json
import sys

from dlhelpers import GLib, Gio, Ladle, Recorder, make_session


def main():
    state_dir, resume_file, destination = sys.argv[1:4]
    with open(resume_file, 'rb') as f:
        resume_data = GLib.Bytes.new(f.read())

    session = make_session(state_dir)
    report = {'pid_note': 'child'}
    try:
        task = session.create_download_task_from_resume_data(resume_data)
    except GLib.Error as e:
        report['load_error'] = [e.domain, e.code, e.message]
        print(json.dumps(report))
        return 0

    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE)
    recorder = Recorder(task)
    task.resume()
    recorder.wait()

    report.update({
        'events': recorder.squeezed(),
        'resumed': recorder.resumed,
        'status': task.get_status_code(),
        'error': [recorder.error.domain, recorder.error.code, recorder.error.message] if recorder.error else None,
        'progress': recorder.progress,
    })
    recorder.disconnect()
    session.invalidate_and_cancel()
    print(json.dumps(report))
    return 0


if __name__ == '__main__':
    sys.exit(main())
