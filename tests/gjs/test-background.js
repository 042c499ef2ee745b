// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Background sessions from GJS: a download restored after kill -9 (identifier, description,
// state, bytes from the partial file, Range on resume), completions delivered to a relaunched
// application before ::background-events-finished, and streamed uploads refused. Run with
// `gjs -m test-background.js`.
//
// Every background session runs in a child (this file again, with --child ACTION), each test with
// its own XDG_CONFIG_HOME (the key file GSettings backend) and state directory, as an application
// that is killed and launched again. A child prints one JSON object per line; the parent asserts.

import {
    GLib, Gio, Ladle, Soup, TestServer, assert, assertEqual, checksum, runTap,
} from './harness.js';
import System from 'system';

const MiB = 1024 * 1024;
// What a download that stalls after MiB + 100 bytes has on disk: whole 1 MiB blocks when libsoup
// reads the body, every byte when it is spliced from the socket (lib/ladle-splice-body.c).
const DEBUG_FLAGS = (GLib.getenv('LADLE_DEBUG') ?? '').split(/[,:; \t]/);
const SPLICED = !DEBUG_FLAGS.includes('no-splice-body') && !DEBUG_FLAGS.includes('all');
const ON_DISK = SPLICED ? MiB + 100 : MiB;

function out(object) {
    print(JSON.stringify(object));
}

function describe(task) {
    return {
        identifier: task.get_identifier(), description: task.get_description(), state: task.get_state(),
        bytesReceived: task.get_bytes_received(), expected: task.get_bytes_expected_to_receive(),
    };
}

function killSelf() {
    const pid = new Gio.Credentials().get_unix_pid();
    GLib.spawn_sync(null, ['kill', '-9', `${pid}`], null, GLib.SpawnFlags.SEARCH_PATH, null);
    // not reached
    System.exit(3);
}

function iterateUntil(predicate) {
    const context = GLib.MainContext.default();
    const deadline = GLib.get_monotonic_time() + 60 * 1000000;
    while (!predicate()) {
        if (GLib.get_monotonic_time() > deadline) {
            out({event: 'timeout'});
            System.exit(4);
        }
        context.iteration(true);
    }
}

// Child side

function childSession(stateDir, identifier) {
    const configuration = Ladle.SessionConfiguration.new_background(identifier);
    configuration.set_state_directory(stateDir);
    configuration.set_application_id('org.gnome.Ladle.TestGjs');
    return Ladle.Session.new(configuration);
}

const CHILD_ACTIONS = {
    // A download that stalls after its first MiB: once it is on disk, suspend, settle, die.
    'start-download'(stateDir, identifier, url, destination) {
        const session = childSession(stateDir, identifier);
        const task = session.create_download_task_for_uri(url);
        task.set_description('gjs-photo');
        task.set_destination(Gio.File.new_for_path(destination),
            Ladle.DestinationFlags.REPLACE | Ladle.DestinationFlags.CREATE_PARENTS);
        task.resume();
        iterateUntil(() => task.get_bytes_received() > MiB);
        task.suspend();
        const until = GLib.get_monotonic_time() + 500000;
        iterateUntil(() => GLib.get_monotonic_time() > until);
        out({event: 'started', task: describe(task)});
        killSelf();
    },

    // Downloads whose completions are recorded but never delivered: the session's handler
    // waits for all of them, then the process dies inside it.
    'start-hold'(stateDir, identifier, ...urls) {
        const session = childSession(stateDir, identifier);
        let completed = 0;
        session.connect('task-completed', () => {
            iterateUntil(() => completed === urls.length);
            out({event: 'dying'});
            killSelf();
        });
        urls.forEach((url, index) => {
            const task = session.create_download_task_for_uri(url);
            task.set_description(`photo-${index}`);
            task.connect('completed', () => completed++);
            task.resume();
        });
        iterateUntil(() => false);
    },

    // Makes the session again and reports; with 'resume', resumes every task and runs until
    // ::background-events-finished and no task left, else ('stay') runs 1.5 s and reports
    // the tasks again.
    'observe'(stateDir, identifier, resume) {
        const session = childSession(stateDir, identifier);
        const restored = [];
        for (let i = 0; i < session.get_n_items(); i++)
            restored.push(session.get_item(i));
        let eventsFinished = false;
        session.connect('download-finished', (s, task, location) => {
            out({
                event: 'download-finished', task: describe(task), location: location.get_path(),
                exists: GLib.file_test(location.get_path(), GLib.FileTest.IS_REGULAR),
            });
        });
        session.connect('task-completed', (s, task, error) => {
            out({event: 'task-completed', task: describe(task), error: error ? error.message : null});
        });
        session.connect('background-events-finished', () => {
            out({event: 'events-finished'});
            eventsFinished = true;
        });
        out({
            event: 'restored', tasks: restored.map(describe),
            same: restored.map(t => session.get_task_by_identifier(t.get_identifier()) === t),
        });
        for (const task of restored) {
            if (task instanceof Ladle.DownloadTask)
                task.connect('resumed', (t, offset, total) => out({event: 'resumed', offset, total}));
            if (resume === 'resume')
                task.resume();
        }
        if (resume === 'resume') {
            iterateUntil(() => eventsFinished && session.get_n_items() === 0);
            out({event: 'idle'});
        } else {
            // The tasks are left alone: 1.5 s after the deliveries, they are as they were.
            iterateUntil(() => eventsFinished);
            const until = GLib.get_monotonic_time() + 1500000;
            iterateUntil(() => GLib.get_monotonic_time() > until);
            const tasks = [];
            for (let i = 0; i < session.get_n_items(); i++)
                tasks.push(describe(session.get_item(i)));
            out({event: 'end', tasks});
        }
        System.exit(0);
    },

    // A streamed upload and a form with a stream part fail when resumed.
    'streamed'(stateDir, identifier, url) {
        const session = childSession(stateDir, identifier);
        const streamed = session.create_upload_task_streamed(Soup.Message.new('PUT', url));
        const form = new Ladle.MultipartForm();
        form.append_text('message', 'hello');
        form.append_stream('photo', 'p.bin', 'application/octet-stream', 3,
            () => Gio.MemoryInputStream.new_from_bytes(new GLib.Bytes(new Uint8Array([1, 2, 3]))));
        const withStream = session.create_upload_task_from_form(Soup.Message.new('POST', url), form);
        const errors = [];
        for (const task of [streamed, withStream]) {
            task.connect('completed', (t, error) => errors.push(error));
            task.resume();
        }
        iterateUntil(() => errors.length === 2);
        out({
            event: 'refused',
            errors: errors.map(e => ({
                matches: e !== null && e.matches(Ladle.Error, Ladle.Error.NOT_IN_BACKGROUND),
                message: e ? e.message : null,
            })),
        });
        System.exit(0);
    },
};

// Parent side

const HERE = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
const SELF = GLib.build_filenamev([HERE, 'test-background.js']);

class App {
    constructor(name) {
        this.dir = GLib.Dir.make_tmp(`ladle-gjs-bg-${name}-XXXXXX`);
        this.stateDir = GLib.build_filenamev([this.dir, 'state']);
        this.identifier = name;
    }

    // Runs a child; returns [exit status or signal, [JSON objects]].
    launch(action, ...args) {
        const launcher = new Gio.SubprocessLauncher({flags: Gio.SubprocessFlags.STDOUT_PIPE});
        launcher.setenv('GSETTINGS_BACKEND', 'keyfile', true);
        launcher.setenv('XDG_CONFIG_HOME', GLib.build_filenamev([this.dir, 'config']), true);
        const process = launcher.spawnv(['gjs', '-m', SELF, '--child', action, this.stateDir, this.identifier,
            ...args]);
        const [, stdout] = process.communicate_utf8(null, null);
        const lines = stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l));
        const status = process.get_if_signaled() ? -process.get_term_sig() : process.get_exit_status();
        return [status, lines];
    }

    close() {
        GLib.spawn_sync(null, ['rm', '-rf', this.dir], null, GLib.SpawnFlags.SEARCH_PATH, null);
    }
}

function find(lines, name) {
    const found = lines.filter(l => l.event === name);
    assert(found.length > 0, `no ${name} in ${JSON.stringify(lines)}`);
    return found[0];
}

function fetch(server, path) {
    const bytes = server.soup.send_and_read(Soup.Message.new('GET', server.uri(path)), null);
    return bytes.toArray();
}

function testRestoredDownload({server}) {
    const app = new App('download');
    try {
        const size = 3 * MiB + 7;
        const destination = GLib.build_filenamev([app.dir, 'photos', 'photo.jpg']);
        const url = server.uri(`/resource/${size}?stall=${MiB + 100}`);
        let [status, lines] = app.launch('start-download', url, destination);
        assertEqual(status, -9, 'killed:');
        const started = find(lines, 'started').task;

        [status, lines] = app.launch('observe', 'stay');
        assertEqual(status, 0, 'observe exit status:');
        const [task] = find(lines, 'restored').tasks;
        assertEqual(task.identifier, started.identifier, 'identifier:');
        assertEqual(task.description, 'gjs-photo', 'description:');
        assertEqual(task.state, Ladle.TaskState.SUSPENDED, 'state:');
        assertEqual(task.bytesReceived, ON_DISK, 'bytes from the partial file:');
        assertEqual(find(lines, 'restored').same[0], true, 'get_task_by_identifier:');
        // It stays suspended: no request, the same bytes.
        const [end] = find(lines, 'end').tasks;
        assertEqual(end.state, Ladle.TaskState.SUSPENDED, 'still suspended:');
        assertEqual(end.bytesReceived, ON_DISK, 'bytes still:');
        assertEqual(lines.filter(l => l.event === 'resumed').length, 0, 'not resumed:');
    } finally {
        app.close();
    }
}

function testResumedAfterRelaunch({server}) {
    const app = new App('resume');
    try {
        const size = 3 * MiB + 7;
        const destination = GLib.build_filenamev([app.dir, 'photos', 'photo.jpg']);
        const url = server.uri(`/resource/${size}?stall=${MiB + 100}`);
        let [status] = app.launch('start-download', url, destination);
        assertEqual(status, -9, 'killed:');
        server.log(true);

        let lines;
        [status, lines] = app.launch('observe', 'resume');
        assertEqual(status, 0, 'observe exit status:');
        assertEqual(find(lines, 'resumed').offset, ON_DISK, 'resumed at:');
        const done = find(lines, 'task-completed');
        assertEqual(done.error, null, 'error:');
        const requests = server.log().filter(r => r.path === `/resource/${size}`);
        assertEqual(requests.length, 1, 'one request after the relaunch:');
        assertEqual(requests[0].range, `bytes=${ON_DISK}-`, 'Range:');
        assert(requests[0].if_range, 'If-Range sent');
        const [, contents] = GLib.file_get_contents(destination);
        assertEqual(checksum(contents), checksum(fetch(server, `/resource/${size}`)), 'the bytes:');
    } finally {
        app.close();
    }
}

function testCompletionsAfterRelaunch({server}) {
    const app = new App('completions');
    try {
        let [status, lines] = app.launch('start-hold', server.uri('/resource/1000'), server.uri('/resource/2000'));
        assertEqual(status, -9, 'died in the handler:');
        find(lines, 'dying');

        [status, lines] = app.launch('observe', 'stay');
        assertEqual(status, 0, 'observe exit status:');
        assertEqual(find(lines, 'restored').tasks.length, 0, 'completions are not tasks:');
        const order = lines.filter(l => !['restored', 'idle', 'end'].includes(l.event))
            .map(l => l.task ? `${l.event}:${l.task.description}` : l.event);
        assertEqual(order.length, 5, `events ${order}:`);
        assertEqual(order[4], 'events-finished', 'last:');
        for (const name of ['photo-0', 'photo-1']) {
            const finished = order.indexOf(`download-finished:${name}`);
            const completed = order.indexOf(`task-completed:${name}`);
            assert(finished >= 0 && completed === finished + 1, `${name}: ${order}`);
        }
        // No destination: the file is the handler's to take while it runs, and removed after.
        for (const line of lines.filter(l => l.event === 'download-finished')) {
            assert(line.exists, `${line.location} exists in the handler`);
            assert(!GLib.file_test(line.location, GLib.FileTest.EXISTS), `${line.location} removed after`);
        }

        // never again
        [status, lines] = app.launch('observe', 'stay');
        assertEqual(lines.filter(l => l.event === 'task-completed').length, 0, 'delivered again:');
        find(lines, 'events-finished');
    } finally {
        app.close();
    }
}

function testStreamedRefused({server}) {
    const app = new App('streamed');
    try {
        const [status, lines] = app.launch('streamed', server.uri('/upload'));
        assertEqual(status, 0, 'exit status:');
        for (const error of find(lines, 'refused').errors) {
            assert(error.matches, `LADLE_ERROR_NOT_IN_BACKGROUND: ${error.message}`);
            assert(error.message.includes('background'), error.message);
        }
        assertEqual(server.log().filter(r => r.path === '/upload').length, 0, 'nothing sent:');
    } finally {
        app.close();
    }
}

const args = System.programArgs;
if (args[0] === '--child') {
    CHILD_ACTIONS[args[1]](...args.slice(2));
} else {
    runTap([
        ['restored download: identifier, description, suspended state, bytes', testRestoredDownload],
        ['resumed after a relaunch with Range and If-Range', testResumedAfterRelaunch],
        ['completions delivered after a relaunch, then background-events-finished', testCompletionsAfterRelaunch],
        ['streamed uploads refused', testStreamedRefused],
    ], {
        setUp: () => ({server: new TestServer()}),
        tearDown: ({server}) => server.close(),
        watchdogSeconds: 300,
    });
}
