// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The transfer service from GJS: a download that an application started and quit in the middle
// of finishes in ladle-transfer-service while no application runs; the relaunched application
// gets its completion once, then ::background-events-finished, and a third launch gets nothing;
// an application relaunched while the download runs sees it in its list model and follows it
// live. Run with `gjs -m test-transfer-service.js` on a session bus that activates the built
// service (tests/service/session.conf), with XDG_STATE_HOME a directory of this test.
//
// Each application is a child (this file again, with --child ACTION) that prints one JSON object
// per line; the parent asserts.

import {GLib, Gio, Ladle, TestServer, assert, assertEqual, checksum, content, runTap} from './harness.js';
import System from 'system';

const APPLICATION_ID = 'org.gnome.Ladle.TestGjsService';
// /slow of the test server: 48 chunks of 64 KiB, one every 60 ms (about 3 s)
const CHUNKS = 48;
const CHUNK = 64 * 1024;
const SIZE = CHUNKS * CHUNK;

function out(object) {
    print(JSON.stringify(object));
}

function iterateUntil(predicate, seconds = 60) {
    const context = GLib.MainContext.default();
    const deadline = GLib.get_monotonic_time() + seconds * 1000000;
    while (!predicate()) {
        if (GLib.get_monotonic_time() > deadline) {
            out({event: 'timeout'});
            System.exit(4);
        }
        context.iteration(true);
    }
}

function describe(task) {
    return {
        identifier: task.get_identifier(), description: task.get_description(), state: task.get_state(),
        bytesReceived: task.get_bytes_received(),
    };
}

function serviceSession(identifier) {
    const configuration = Ladle.SessionConfiguration.new_background(identifier);
    configuration.set_application_id(APPLICATION_ID);
    configuration.set_use_transfer_service(true);
    return Ladle.Session.new_sync(configuration, null);
}

// Child side

const CHILD_ACTIONS = {
    // Starts the download and quits as soon as the service reports its first bytes.
    'start'(identifier, url, destination) {
        const session = serviceSession(identifier);
        const task = session.create_download_task_for_uri(url);
        task.set_description('gjs-episode');
        task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE);
        task.resume();
        iterateUntil(() => task.get_bytes_received() > 0);
        out({event: 'started', task: describe(task)});
        System.exit(0);
    },

    // Makes the session again and reports every event until the deliveries are done and no task
    // is left.
    'observe'(identifier) {
        const session = serviceSession(identifier);
        const listed = [];
        for (let i = 0; i < session.get_n_items(); i++)
            listed.push(session.get_item(i));
        out({event: 'listed', tasks: listed.map(describe)});
        let eventsFinished = false;
        let progress = 0;
        for (const task of listed)
            task.connect('download-progress', () => progress++);
        session.connect('download-finished', (s, task, location) => {
            out({event: 'download-finished', task: describe(task), location: location.get_path()});
        });
        session.connect('task-completed', (s, task, error) => {
            out({event: 'task-completed', task: describe(task), error: error ? error.message : null,
                status: task.get_status_code()});
        });
        session.connect('background-events-finished', () => {
            out({event: 'events-finished'});
            eventsFinished = true;
        });
        iterateUntil(() => eventsFinished && session.get_n_items() === 0);
        out({event: 'end', progress});
        System.exit(0);
    },
};

// Parent side

const HERE = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
const SELF = GLib.build_filenamev([HERE, 'test-transfer-service.js']);

function launch(action, ...args) {
    const process = Gio.Subprocess.new(['gjs', '-m', SELF, '--child', action, ...args],
        Gio.SubprocessFlags.STDOUT_PIPE);
    const [, stdout] = process.communicate_utf8(null, null);
    const lines = stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l));
    return [process.get_exit_status(), lines];
}

function events(lines, name) {
    return lines.filter(l => l.event === name);
}

function fileSize(path) {
    const file = Gio.File.new_for_path(path);
    try {
        return file.query_info('standard::size', Gio.FileQueryInfoFlags.NONE, null).get_size();
    } catch (e) {
        return -1;
    }
}

function slowUrl(server) {
    return server.uri(`/slow?chunks=${CHUNKS}&size=${CHUNK}&interval=60`);
}

function testFinishesWhileGone({server, dir}) {
    const destination = GLib.build_filenamev([dir, 'gone.bin']);
    let [status, lines] = launch('start', 'gone', slowUrl(server), destination);
    assertEqual(status, 0, 'the application quit:');
    const started = events(lines, 'started')[0];
    assert(started && started.task.bytesReceived < SIZE, `quit in the middle: ${JSON.stringify(lines)}`);

    // No application runs: the service finishes the download.
    const deadline = GLib.get_monotonic_time() + 60 * 1000000;
    while (fileSize(destination) !== SIZE && GLib.get_monotonic_time() < deadline)
        GLib.usleep(100000);
    assertEqual(fileSize(destination), SIZE, 'the file is there while no application runs:');
    assertEqual(server.log().filter(r => r.path === '/slow').length, 1, 'one request:');

    [status, lines] = launch('observe', 'gone');
    assertEqual(status, 0, 'relaunch:');
    assertEqual(events(lines, 'listed')[0].tasks.length, 0, 'nothing left to run:');
    const order = lines.filter(l => ['download-finished', 'task-completed', 'events-finished'].includes(l.event))
        .map(l => l.event);
    assertEqual(order.join(' '), 'download-finished task-completed events-finished', 'the events:');
    const finished = events(lines, 'download-finished')[0];
    assertEqual(finished.location, destination, 'location:');
    assertEqual(finished.task.description, 'gjs-episode', 'description:');
    assertEqual(finished.task.identifier, started.task.identifier, 'identifier:');
    const completed = events(lines, 'task-completed')[0];
    assertEqual(completed.error, null, 'error:');
    assertEqual(completed.status, 200, 'status:');
    const [, contents] = GLib.file_get_contents(destination);
    // What /slow sends: the test content from offset 0.
    assertEqual(checksum(contents), checksum(content(0, SIZE)), 'the bytes:');

    // never again
    [status, lines] = launch('observe', 'gone');
    assertEqual(status, 0, 'third launch:');
    assertEqual(events(lines, 'task-completed').length, 0, 'delivered again:');
    assertEqual(events(lines, 'events-finished').length, 1, 'events-finished:');
}

function testRelaunchFollowsLive({server, dir}) {
    const destination = GLib.build_filenamev([dir, 'live.bin']);
    let [status, lines] = launch('start', 'live', slowUrl(server), destination);
    assertEqual(status, 0, 'the application quit:');
    const started = events(lines, 'started')[0];

    [status, lines] = launch('observe', 'live');
    assertEqual(status, 0, 'relaunch:');
    const [task] = events(lines, 'listed')[0].tasks;
    assert(task, `the running task is listed: ${JSON.stringify(lines)}`);
    assertEqual(task.identifier, started.task.identifier, 'identifier:');
    assertEqual(task.description, 'gjs-episode', 'description:');
    assertEqual(task.state, Ladle.TaskState.RUNNING, 'state:');
    assert(task.bytesReceived > 0 && task.bytesReceived < SIZE, `bytes so far: ${task.bytesReceived}`);
    const order = lines.filter(l => ['download-finished', 'task-completed', 'events-finished'].includes(l.event))
        .map(l => l.event);
    assertEqual(order.join(' '), 'events-finished download-finished task-completed', 'live completion:');
    assert(events(lines, 'end')[0].progress > 0, 'download-progress while it ran');
    assertEqual(events(lines, 'task-completed')[0].task.bytesReceived, SIZE, 'bytes at the end:');
    assertEqual(fileSize(destination), SIZE, 'the file:');
}

const args = System.programArgs;
if (args[0] === '--child') {
    CHILD_ACTIONS[args[1]](...args.slice(2));
} else {
    // The service's store: this test's own, fresh (the bus passes XDG_STATE_HOME to the service).
    const state = GLib.getenv('XDG_STATE_HOME');
    assert(state && state.includes('gjs-transfer-service'), `XDG_STATE_HOME is this test's: ${state}`);
    GLib.spawn_sync(null, ['rm', '-rf', state], null, GLib.SpawnFlags.SEARCH_PATH, null);
    runTap([
        ['a download finishes in the service while no application runs; delivered once', testFinishesWhileGone],
        ['a relaunched application follows a running download live', testRelaunchFollowsLive],
    ], {
        setUp: () => ({server: new TestServer(), dir: GLib.Dir.make_tmp('ladle-gjs-service-XXXXXX')}),
        tearDown: ({server, dir}) => {
            server.close();
            GLib.spawn_sync(null, ['rm', '-rf', dir], null, GLib.SpawnFlags.SEARCH_PATH, null);
        },
        watchdogSeconds: 240,
    });
}
