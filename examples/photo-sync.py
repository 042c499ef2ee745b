#!/usr/bin/python3
# photo-sync.py: a photo-message application whose downloads survive a crash, done right
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   photo-sync.py [--state-dir DIR] [--photos DIR] [--app-id ID] MESSAGES.json
#
# MESSAGES.json is the application's own model: {"messages": [{"id": "m1", "photo_url": URL,
# "state": "new"}, ...]}. Each new message's photo is downloaded in a background session; when
# its download completes, the message becomes {"state": "downloaded", "resource_path": PATH,
# "updates": 1} (or "failed" with the error), and the file is saved again.
#
# The story (the seeds' AFNetworking question): an app gave each download task a completion
# block that updated its message; after a crash the transfer went on, but the block was gone, so
# the message was never updated. Here nothing depends on per-task callbacks:
#
#   - The session-level ::task-completed handler is connected right after Session.new(), every
#     launch: completions recorded in an earlier run, even one killed by SIGKILL, are delivered
#     to it from the main loop, never to a handler of a process that no longer exists.
#   - Each task carries its message id as its description, which the session stores with the
#     task, so the handler maps any task, restored or new, back to its message.
#   - The handler saves the message durably (write, fsync, rename) before it returns. Ladle
#     records the delivery only after the handler returned, so a crash before that delivers the
#     completion again on the next launch: the update is idempotent (a message that is already
#     downloaded is left alone), and a crash can lose no update.
#   - New downloads start only after ::background-events-finished, when the session has
#     restored its tasks and delivered what it owed: a message that is not downloaded and has no
#     task (its task was never recorded, the app died first) is started (again) then.
#
# It exits 0 once every message is downloaded or failed. Standard output gets "restored: N",
# "delivered: ID" for each completion delivered, and "message: ID STATE PATH" for each message
# at the end. Exit status 1 when a message failed.

import argparse
import json
import os
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Ladle', '1')
from gi.repository import Gio, GLib, Ladle  # noqa: E402

SESSION_IDENTIFIER = 'photo-messages'


class Messages:
    """The application's model: a JSON file, saved atomically and durably."""

    def __init__(self, path):
        self.path = path
        with open(path, encoding='utf-8') as f:
            self.data = json.load(f)
        self.by_id = {m['id']: m for m in self.data['messages']}

    def save(self):
        temporary = self.path + '.tmp'
        with open(temporary, 'w', encoding='utf-8') as f:
            json.dump(self.data, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.rename(temporary, self.path)
        directory = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def pending(self):
        return [m for m in self.data['messages'] if m['state'] not in ('downloaded', 'failed')]


class PhotoSync:
    def __init__(self, args):
        self.messages = Messages(args.messages)
        self.photos = args.photos or os.path.join(os.path.dirname(os.path.abspath(args.messages)), 'photos')
        self.loop = GLib.MainLoop()
        self.events_finished = False
        # Where ::download-finished said each message's file is (it comes right before the
        # message's ::task-completed, in this run, for new and restored completions alike).
        self.finished = {}

        configuration = Ladle.SessionConfiguration.new_background(SESSION_IDENTIFIER)
        if args.state_dir:
            configuration.set_state_directory(args.state_dir)
        if args.app_id:
            configuration.set_application_id(args.app_id)
        self.session = Ladle.Session.new(configuration)
        # Right after new(): restored completions are emitted from the main loop, later.
        self.session.connect('download-finished', self.on_download_finished)
        self.session.connect('task-completed', self.on_task_completed)
        self.session.connect('background-events-finished', self.on_events_finished)
        print('restored: %d' % self.session.get_n_items(), flush=True)

    def destination(self, message):
        return os.path.join(self.photos, '%s.jpg' % message['id'])

    def tasks_by_message(self):
        tasks = {}
        for i in range(self.session.get_n_items()):
            task = self.session.get_item(i)
            if task.get_state() != Ladle.TaskState.COMPLETED and task.get_description():
                tasks[task.get_description()] = task
        return tasks

    def on_events_finished(self, session):
        # Everything owed from earlier runs was delivered: start what has no task.
        self.events_finished = True
        running = self.tasks_by_message()
        changed = False
        for message in self.messages.pending():
            if message['id'] in running:
                continue
            task = self.session.create_download_task_for_uri(message['photo_url'])
            task.set_description(message['id'])
            task.set_destination(Gio.File.new_for_path(self.destination(message)),
                                 Ladle.DestinationFlags.REPLACE | Ladle.DestinationFlags.CREATE_PARENTS)
            task.resume()
            if message['state'] != 'downloading':
                message['state'] = 'downloading'
                changed = True
        if changed:
            self.messages.save()
        self.check_done()

    def on_download_finished(self, session, task, location):
        self.finished[task.get_description()] = location.get_path()

    def on_task_completed(self, session, task, error):
        message_id = task.get_description()
        print('delivered: %s' % message_id, flush=True)
        message = self.messages.by_id.get(message_id)
        if message is None:
            # A task of a message the app deleted meanwhile.
            return
        if message['state'] in ('downloaded', 'failed'):
            # Delivered again after a crash right after the update: already done.
            return
        destination = self.destination(message)
        location = self.finished.pop(message_id, None)
        # An HTTP error is no GLib.Error: a 404 completes without one. A download that got its
        # file gave it to ::download-finished at its destination; an error page does not go
        # there. (The status alone does not tell: a completion restored from an earlier run
        # has no response, and a relaunch that finds the partial file complete ends with the
        # server's 416.)
        if error is None and location == destination and os.path.exists(destination):
            message['state'] = 'downloaded'
            message['resource_path'] = destination
        else:
            message['state'] = 'failed'
            message['error'] = error.message if error is not None else 'HTTP %d' % task.get_status_code()
        message['updates'] = message.get('updates', 0) + 1
        self.messages.save()
        GLib.idle_add(self.check_done)

    def check_done(self):
        if self.events_finished and not self.messages.pending() and not self.tasks_by_message():
            self.loop.quit()
        return GLib.SOURCE_REMOVE

    def run(self):
        self.loop.run()
        # Let the session go before exiting: the last store writes (the delivery just recorded)
        # are flushed when it is finalized.
        self.session = None
        failed = False
        for message in self.messages.data['messages']:
            print('message: %s %s %s' % (message['id'], message['state'], message.get('resource_path', '-')))
            failed = failed or message['state'] == 'failed'
        return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description='Download the photos of photo messages in a background session.')
    parser.add_argument('--state-dir', help='where the session keeps its partial files (default: XDG_STATE_HOME)')
    parser.add_argument('--photos', help='where photos go (default: photos/ next to MESSAGES.json)')
    parser.add_argument('--app-id', help='the application id the session is stored under')
    parser.add_argument('messages', help='the JSON file of messages')
    args = parser.parse_args()
    return PhotoSync(args).run()


if __name__ == '__main__':
    sys.exit(main())
