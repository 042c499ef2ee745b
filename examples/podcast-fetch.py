#!/usr/bin/python3
# podcast-fetch.py: queue podcast episodes, quit at once, find them downloaded later
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   podcast-fetch.py [--dest DIR] [--app-id ID] URL...    queue the episodes and quit
#   podcast-fetch.py [--dest DIR] [--app-id ID] [--list]  what finished while it was closed,
#                                                        and what is still downloading
#
# The downloads run in ladle-transfer-service (docs/transfer-service.md), not in this process:
# the session's configuration has use-transfer-service set, so the program can quit as soon as
# it queued them, and the transfers go on. The next launch with the same application id and
# session identifier gets what happened meanwhile, exactly once: ::download-finished and
# ::task-completed for each episode that finished, then ::background-events-finished.
#
# Output, one line each: "queued: NAME URL"; "downloading: NAME RECEIVED/TOTAL" (TOTAL is -1 when
# not known yet); "finished: NAME PATH"; "failed: NAME REASON"; and at the end of a listing
# "finished while closed: N, still downloading: M". Exit status 0; 2 when the transfer service
# cannot be reached (no session bus, or a bus that cannot start it).

import argparse
import os
import sys
import urllib.parse

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Ladle', '1')
from gi.repository import Gio, GLib, Ladle  # noqa: E402

SESSION_IDENTIFIER = 'podcast-episodes'


def open_session(app_id):
    configuration = Ladle.SessionConfiguration.new_background(SESSION_IDENTIFIER)
    configuration.set_application_id(app_id)
    configuration.set_use_transfer_service(True)
    try:
        # Synchronous: tells at once whether the service can be reached (Session.new() would
        # only warn, and complete every task with SERVICE_UNAVAILABLE).
        return Ladle.Session.new_sync(configuration, None)
    except GLib.Error as e:
        if e.matches(Ladle.error_quark(), Ladle.Error.SERVICE_UNAVAILABLE):
            print('podcast-fetch: the transfer service cannot be reached: %s' % e.message, file=sys.stderr)
            sys.exit(2)
        if e.matches(Ladle.error_quark(), Ladle.Error.SESSION_IN_USE):
            print('podcast-fetch: another podcast-fetch is running', file=sys.stderr)
            sys.exit(2)
        raise


def episode_name(url):
    path = urllib.parse.urlsplit(url).path
    name = Ladle.sanitize_filename(os.path.basename(path) or 'episode')
    return name or 'episode'


def queue(session, dest, urls):
    for url in urls:
        name = episode_name(url)
        task = session.create_download_task_for_uri(url)
        # The description is stored with the task: the next launch names the episode by it.
        task.set_description(name)
        task.set_destination(Gio.File.new_for_path(os.path.join(dest, name)),
                             Ladle.DestinationFlags.REPLACE | Ladle.DestinationFlags.CREATE_PARENTS)
        task.resume()
        print('queued: %s %s' % (name, url), flush=True)


def list_episodes(session):
    """Prints the running downloads, then the completions of while it was closed."""
    loop = GLib.MainLoop()
    counts = {'finished': 0}
    locations = {}

    for i in range(session.get_n_items()):
        task = session.get_item(i)
        print('downloading: %s %d/%d' % (task.get_description(), task.get_bytes_received(),
                                         task.get_bytes_expected_to_receive()), flush=True)

    def on_download_finished(session, task, location):
        # Where the episode is: its destination (::download-finished comes before the
        # completion, with the file already there).
        locations[task.get_identifier()] = location.get_path()

    def on_task_completed(session, task, error):
        name = task.get_description()
        if error is not None:
            print('failed: %s %s' % (name, error.message), flush=True)
        elif task.get_status_code() >= 400:
            print('failed: %s HTTP %d' % (name, task.get_status_code()), flush=True)
        else:
            print('finished: %s %s' % (name, locations.pop(task.get_identifier(), '?')), flush=True)
        counts['finished'] += 1

    def on_events_finished(session):
        # Every completion of while it was closed has been delivered (and acknowledged: the
        # handler returned). What is left in the list model still runs in the service.
        print('finished while closed: %d, still downloading: %d'
              % (counts['finished'], session.get_n_items()), flush=True)
        loop.quit()

    session.connect('download-finished', on_download_finished)
    session.connect('task-completed', on_task_completed)
    session.connect('background-events-finished', on_events_finished)
    loop.run()


def main():
    parser = argparse.ArgumentParser(description='Queue podcast episodes; list what finished later.')
    music = GLib.get_user_special_dir(GLib.UserDirectory.DIRECTORY_MUSIC) or GLib.get_home_dir()
    parser.add_argument('--dest', default=os.path.join(music, 'Podcasts'))
    parser.add_argument('--app-id', default='org.gnome.Ladle.Example.PodcastFetch')
    parser.add_argument('--list', action='store_true')
    parser.add_argument('urls', nargs='*', metavar='URL')
    args = parser.parse_args()
    if args.list and args.urls:
        parser.error('--list takes no URL')

    session = open_session(args.app_id)
    if args.urls:
        queue(session, args.dest, args.urls)
        # Quit at once: resume() handed each task to the service, the transfers are its own
        # now. Completions of earlier launches stay with the service until a launch lists them.
    else:
        list_episodes(session)
    return 0


if __name__ == '__main__':
    sys.exit(main())
