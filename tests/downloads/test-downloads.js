// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// LadleDownloadTask from GJS (gjs -m), against the download test server run as a child process
// ($LADLE_TEST_SERVER): SHA-256 of the files on disk, exact signal order, error domains
// and codes, resume data, what the server saw, and a clean downloads directory.
// Prints TAP; exits non-zero when a test fails.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Soup from 'gi://Soup?version=3.0';
import Ladle from 'gi://Ladle?version=1';
import System from 'system';

// The server: the test server of tests/support as a child that exits when its stdin closes.
import {TestServer} from '../gjs/harness.js';

const FAILSAFE_SECONDS = 60 * Number(GLib.getenv('LADLE_TEST_TIMEOUT_MULTIPLIER') ?? '1');

// Content: 32-byte blocks, block K of variant V is SHA-256 of "ladle:V:K" (see dl-server.h)

function contentSha256(variant, size) {
    const checksum = new GLib.Checksum(GLib.ChecksumType.SHA256);
    const blocks = Math.ceil(size / 32);
    for (let k = 0; k < blocks; k++) {
        const hex = GLib.compute_checksum_for_string(GLib.ChecksumType.SHA256, `ladle:${variant}:${k}`, -1);
        const length = Math.min(32, size - k * 32);
        const block = new Uint8Array(length);
        for (let i = 0; i < length; i++)
            block[i] = parseInt(hex.substr(i * 2, 2), 16);
        checksum.update(block);
    }
    return checksum.get_string();
}

function fileSha256(path) {
    const [, contents] = Gio.File.new_for_path(path).load_contents(null);
    return GLib.compute_checksum_for_data(GLib.ChecksumType.SHA256, contents);
}

function listing(path) {
    const names = [];
    const dir = Gio.File.new_for_path(path);
    if (!dir.query_exists(null))
        return names;
    const enumerator = dir.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    let info;
    while ((info = enumerator.next_file(null)) !== null)
        names.push(info.get_name());
    enumerator.close(null);
    return names.sort();
}

function assert(condition, message) {
    if (!condition)
        throw new Error(`assertion failed: ${message}`);
}

function assertEqual(actual, expected, what) {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    if (a !== e)
        throw new Error(`${what}: expected ${e}, got ${a}`);
}

function runUntil(predicate, what) {
    const context = GLib.MainContext.default();
    let timedOut = false;
    const failsafe = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, FAILSAFE_SECONDS, () => {
        timedOut = true;
        return GLib.SOURCE_REMOVE;
    });
    // re-check the predicate even when nothing happens (a stalled server)
    const tick = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => GLib.SOURCE_CONTINUE);
    while (!predicate() && !timedOut)
        context.iteration(true);
    GLib.source_remove(tick);
    if (!timedOut)
        GLib.source_remove(failsafe);
    if (!predicate())
        throw new Error(`failsafe: ${what} did not happen`);
}

function drain() {
    const context = GLib.MainContext.default();
    for (let i = 0; i < 100 && context.iteration(false); i++)
        ;
}

// Signals as letters: R response, S resumed, P download-progress, F finished,
// W session download-finished, C completed, T session task-completed

class Recorder {
    constructor(task) {
        this.task = task;
        this.session = task.dup_session();
        this.events = [];
        this.progress = [];
        this.resumed = [];
        this.error = null;
        this.completed = 0;
        this.done = false;
        this.pauseRequested = false;
        this.resumeCbCalled = false;
        this.resumeData = null;
        this.finishedSha256 = null;
        this.ids = [
            task.connect('response', () => {
                this.events.push('R');
                return Ladle.ResponseDisposition.ALLOW;
            }),
            task.connect('download-progress', (t, now, total, expected) => {
                this.events.push('P');
                this.progress.push([now, total, expected]);
            }),
            task.connect('completed', (t, error) => {
                this.events.push('C');
                this.completed++;
                this.error = error;
            }),
            task.connect('resumed', (t, offset, total) => {
                this.events.push('S');
                this.resumed.push([offset, total]);
            }),
            task.connect('finished', (t, location) => {
                this.events.push('F');
                this.finishedPath = location.get_path();
                this.finishedSha256 = fileSha256(this.finishedPath);
            }),
        ];
        this.sessionIds = [
            this.session.connect('download-finished', (s, t) => {
                if (t === this.task)
                    this.events.push('W');
            }),
            this.session.connect('task-completed', (s, t) => {
                if (t === this.task) {
                    this.events.push('T');
                    this.done = true;
                }
            }),
        ];
    }

    disconnect() {
        this.ids.forEach(id => this.task.disconnect(id));
        this.sessionIds.forEach(id => this.session.disconnect(id));
    }

    pause() {
        this.pauseRequested = true;
        this.task.cancel_producing_resume_data_async(GLib.PRIORITY_DEFAULT, null, (task, result) => {
            this.resumeData = task.cancel_producing_resume_data_finish(result);
            this.eventsAtResumeCb = this.events.join('');
            this.resumeCbCalled = true;
        });
    }

    wait() {
        runUntil(() => this.done && (!this.pauseRequested || this.resumeCbCalled), "the task's completion");
        drain();
        assertEqual(this.completed, 1, 'completed emissions');
    }

    squeezed() {
        return this.events.join('').replace(/P+/g, 'P');
    }

    assertProgress(firstAtLeast, finalReceived, expectedTotal) {
        assert(this.progress.length > 0, 'no download-progress');
        let previous = -1;
        for (const [now, total, expected] of this.progress) {
            assert(now > 0, 'received_now > 0');
            assert(total > previous, 'total_received increases');
            assertEqual(expected, expectedTotal, 'total_expected');
            previous = total;
        }
        assert(this.progress[0][1] >= firstAtLeast, 'first progress after the offset');
        assertEqual(previous, finalReceived, 'final total_received');
    }
}

function makeSession(stateDir) {
    const configuration = Ladle.SessionConfiguration.new_ephemeral();
    configuration.set_state_directory(stateDir);
    return Ladle.Session.new(configuration);
}

function run(task) {
    const recorder = new Recorder(task);
    task.resume();
    recorder.wait();
    return recorder;
}

function waitForBytes(task, count) {
    runUntil(() => task.get_state() === Ladle.TaskState.COMPLETED || task.get_bytes_received() >= count,
        `the first ${count} bytes`);
    assertEqual(task.get_state(), Ladle.TaskState.RUNNING, 'state while stalled');
    assertEqual(task.get_bytes_received(), count, 'bytes received while stalled');
}

function parseResumeData(bytes) {
    const variant = GLib.Variant.new_from_bytes(new GLib.VariantType('a{sv}'), bytes, false);
    return variant.recursiveUnpack();
}

function isLadleError(error, code) {
    return error !== null && error.matches(Ladle.error_quark(), code);
}

function isIOError(error, code) {
    return error !== null && error.matches(Gio.io_error_quark(), code);
}

// Tests

function makeDirs() {
    const root = GLib.dir_make_tmp('ladle-gjs-downloads-XXXXXX');
    const state = GLib.build_filenamev([root, 'state']);
    const out = GLib.build_filenamev([root, 'out']);
    GLib.mkdir_with_parents(state, 0o700);
    GLib.mkdir_with_parents(out, 0o700);
    return {root, state, out, downloads: GLib.build_filenamev([state, 'downloads'])};
}

function removeTree(path) {
    const file = Gio.File.new_for_path(path);
    const info = file.query_info('standard::type', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    if (info.get_file_type() === Gio.FileType.DIRECTORY) {
        for (const name of listing(path))
            removeTree(GLib.build_filenamev([path, name]));
    }
    file.delete(null);
}

const tests = [];
function test(name, fn) {
    tests.push([name, fn]);
}

test('download to a destination', (server, dirs, session) => {
    const destination = GLib.build_filenamev([dirs.out, 'file.bin']);
    const task = session.create_download_task_for_uri(server.uri('/resource/2000000'));
    assert(task instanceof Ladle.DownloadTask, 'a download task');
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE);
    const recorder = run(task);

    assertEqual(recorder.squeezed(), 'RPFWCT', 'signals');
    assertEqual(recorder.error, null, 'error');
    assertEqual(task.get_status_code(), 200, 'status');
    recorder.assertProgress(0, 2000000, 2000000);
    const expected = contentSha256(1, 2000000);
    assertEqual(recorder.finishedSha256, expected, 'file at ::finished');
    assertEqual(fileSha256(destination), expected, 'destination');
    assertEqual(listing(dirs.downloads), [], 'downloads directory');
    assertEqual(task.dup_suggested_filename(), '2000000', 'suggested file name');
});

test('an HTTP 404 completes without error and is not moved', (server, dirs, session) => {
    const destination = GLib.build_filenamev([dirs.out, 'never.bin']);
    const task = session.create_download_task_for_uri(server.uri('/resource/2000?status=404'));
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.REPLACE);
    const recorder = run(task);
    assertEqual(recorder.squeezed(), 'RPFWCT', 'signals');
    assertEqual(recorder.error, null, 'error');
    assertEqual(task.get_status_code(), 404, 'status');
    assert(!GLib.file_test(destination, GLib.FileTest.EXISTS), 'no destination');
    assertEqual(listing(dirs.downloads), [], 'downloads directory');
});

function pauseAfter(server, dirs, session, path, stall) {
    const task = session.create_download_task_for_uri(server.uri(path));
    const recorder = new Recorder(task);
    task.resume();
    waitForBytes(task, stall);
    recorder.pause();
    recorder.wait();
    assertEqual(recorder.squeezed(), 'RPCT', 'signals of the paused task');
    assert(isIOError(recorder.error, Gio.IOErrorEnum.CANCELLED), 'cancelled');
    assertEqual(recorder.eventsAtResumeCb, recorder.events.join(''), 'callback after completed');
    assert(recorder.resumeData !== null, 'resume data');
    const fields = parseResumeData(recorder.resumeData);
    assertEqual(fields['format'], 'org.gnome.Ladle.ResumeData', 'format');
    assertEqual(fields['version'], 1, 'version');
    assertEqual(fields['bytes-received'], stall, 'bytes-received');
    assertEqual(listing(dirs.downloads), [fields['partial-file']], 'the partial file alone');
    recorder.disconnect();
    return recorder;
}

test('pause and resume with Range and If-Range', (server, dirs, session) => {
    server.log(true);
    const paused = pauseAfter(server, dirs, session, '/resource/1500000?stall=250000', 250000);
    const second = makeSession(dirs.state);
    const task = second.create_download_task_from_resume_data(paused.resumeData);
    const destination = GLib.build_filenamev([dirs.out, 'resumed.bin']);
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE);
    const recorder = run(task);

    assertEqual(recorder.squeezed(), 'RSPFWCT', 'signals');
    assertEqual(recorder.error, null, 'error');
    assertEqual(recorder.resumed, [[250000, 1500000]], 'resumed');
    assertEqual(task.get_status_code(), 206, 'status');
    recorder.assertProgress(250000, 1500000, 1500000);
    assertEqual(fileSha256(destination), contentSha256(1, 1500000), 'destination');
    assertEqual(listing(dirs.downloads), [], 'downloads directory');
    const log = server.log();
    assertEqual(log.map(e => e.range), [null, 'bytes=250000-'], 'ranges asked');
    assertEqual(log[1].if_range, '"v1-1500000"', 'If-Range');
    assertEqual(log[1].status, 206, 'status logged');
    second.invalidate_and_cancel();
});

test('a changed resource starts over', (server, dirs, session) => {
    const paused = pauseAfter(server, dirs, session, '/resource/800000?changing=1&stall=100000', 100000);
    const task = session.create_download_task_from_resume_data(paused.resumeData);
    const destination = GLib.build_filenamev([dirs.out, 'changed.bin']);
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE);
    const recorder = run(task);
    assertEqual(recorder.squeezed(), 'RSPFWCT', 'signals');
    assertEqual(recorder.resumed, [[0, 800000]], 'resumed from 0');
    assertEqual(task.get_status_code(), 200, 'status');
    assertEqual(fileSha256(destination), contentSha256(2, 800000), 'the new content');
    assertEqual(listing(dirs.downloads), [], 'downloads directory');
});

test('a dropped connection keeps resume data', (server, dirs, session) => {
    const task = session.create_download_task_for_uri(server.uri('/resource/900000?drop=300000'));
    const recorder = run(task);
    assertEqual(recorder.squeezed(), 'RPCT', 'signals');
    assert(isLadleError(recorder.error, Ladle.Error.TRUNCATED_BODY), `truncated: ${recorder.error}`);
    const resumeData = task.dup_resume_data();
    assert(resumeData !== null, 'resume data');
    assertEqual(parseResumeData(resumeData)['bytes-received'], 300000, 'bytes-received');

    const resumed = session.create_download_task_from_resume_data(resumeData);
    const destination = GLib.build_filenamev([dirs.out, 'after-drop.bin']);
    resumed.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE);
    const second = run(resumed);
    assertEqual(second.squeezed(), 'RSPFWCT', 'signals of the resumed task');
    assertEqual(second.resumed, [[300000, 900000]], 'resumed');
    assertEqual(fileSha256(destination), contentSha256(1, 900000), 'destination');
    assertEqual(listing(dirs.downloads), [], 'downloads directory');
});

test('bad resume data fails with a Ladle.Error', (server, dirs, session) => {
    GLib.mkdir_with_parents(dirs.downloads, 0o700);
    const partial = GLib.build_filenamev([dirs.downloads, 'good.part']);
    GLib.file_set_contents(partial, new Uint8Array(1000).fill(7));
    const good = {
        'format': GLib.Variant.new_string('org.gnome.Ladle.ResumeData'),
        'version': GLib.Variant.new_uint32(1),
        'url': GLib.Variant.new_string(server.uri('/resource/5000')),
        'method': GLib.Variant.new_string('GET'),
        'headers': new GLib.Variant('a(ss)', [['Accept', '*/*']]),
        'partial-file': GLib.Variant.new_string('good.part'),
        'bytes-received': GLib.Variant.new_uint64(1000),
        'expected-total': GLib.Variant.new_int64(5000),
        'etag': GLib.Variant.new_string('"v1-5000"'),
    };
    const build = changes => {
        const fields = Object.assign({}, good, changes);
        for (const key of Object.keys(fields)) {
            if (fields[key] === null)
                delete fields[key];
        }
        return new GLib.Variant('a{sv}', fields).get_data_as_bytes();
    };
    const valid = build({});
    const validData = valid.get_data();
    const random = new Uint8Array(257);
    for (let i = 0; i < random.length; i++)
        random[i] = (i * 131 + 17) % 256;

    const cases = [
        ['empty', new GLib.Bytes(new Uint8Array(0)), Ladle.Error.INVALID_RESUME_DATA],
        ['random bytes', new GLib.Bytes(random), Ladle.Error.INVALID_RESUME_DATA],
        ['truncated', new GLib.Bytes(validData.slice(0, Math.floor(validData.length / 2))), Ladle.Error.INVALID_RESUME_DATA],
        ['another type', new GLib.Variant('as', ['format', 'version']).get_data_as_bytes(), Ladle.Error.INVALID_RESUME_DATA],
        ['newer version', build({'version': GLib.Variant.new_uint32(2)}), Ladle.Error.RESUME_DATA_VERSION],
        ['non-http url', build({'url': GLib.Variant.new_string('file:///etc/passwd')}), Ladle.Error.INVALID_RESUME_DATA],
        ['partial name with ..', build({'partial-file': GLib.Variant.new_string('../x.part')}), Ladle.Error.INVALID_RESUME_DATA],
        ['no validator', build({'etag': null}), Ladle.Error.INVALID_RESUME_DATA],
        ['missing partial file', build({'partial-file': GLib.Variant.new_string('gone.part')}), Ladle.Error.PARTIAL_FILE],
        // a longer partial file is cut back when the task starts; a shorter one cannot be resumed
        ['partial file shorter than recorded', build({'bytes-received': GLib.Variant.new_uint64(1001)}), Ladle.Error.PARTIAL_FILE],
    ];
    for (const [name, data, code] of cases) {
        let error = null;
        try {
            session.create_download_task_from_resume_data(data);
        } catch (e) {
            error = e;
        }
        assert(error !== null, `${name}: no error`);
        assert(isLadleError(error, code), `${name}: wrong error ${error}`);
    }
    // the good one loads; nothing was touched
    const task = session.create_download_task_from_resume_data(valid);
    const recorder = new Recorder(task);
    recorder.pause();
    recorder.wait();
    assertEqual(listing(dirs.downloads), ['good.part'], 'downloads directory');
    assertEqual(fileSha256(partial), GLib.compute_checksum_for_data(GLib.ChecksumType.SHA256, new Uint8Array(1000).fill(7)),
        'partial file untouched');
});

test('file names are sanitized', () => {
    const cases = [
        ['../../evil.txt', 'evil.txt'],
        ['..\\..\\evil.txt', 'evil.txt'],
        ['.bashrc', 'bashrc'],
        ['a\r\nb\x01.txt', 'ab.txt'],
        ['..', 'download'],
        ['', 'download'],
    ];
    for (const [input, expected] of cases)
        assertEqual(Ladle.sanitize_filename(input), expected, `sanitize ${JSON.stringify(input)}`);
});

// Runner

const server = new TestServer();
let failed = 0;
print(`1..${tests.length}`);
tests.forEach(([name, fn], index) => {
    const dirs = makeDirs();
    const session = makeSession(dirs.state);
    try {
        fn(server, dirs, session);
        print(`ok ${index + 1} ${name}`);
    } catch (e) {
        failed++;
        print(`not ok ${index + 1} ${name}`);
        for (const line of `${e}\n${e.stack ?? ''}`.split('\n'))
            print(`# ${line}`);
    } finally {
        session.invalidate_and_cancel();
        drain();
        removeTree(dirs.root);
    }
});
server.close();
System.exit(failed ? 1 : 0);
