// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A tiny test harness for the GJS tests: assertions, a main-loop driver with a failsafe, the test
// server of tests/support as a child process ($LADLE_TEST_SERVER, the server the C tests run
// in-process) and a recorder of a task's signals. No npm, no threads.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Soup from 'gi://Soup?version=3.0';
import Ladle from 'gi://Ladle?version=1';
import System from 'system';

export {GLib, Gio, Soup, Ladle};

const FAILSAFE_SECONDS = 30 * (parseInt(GLib.getenv('LADLE_TEST_TIMEOUT_MULTIPLIER') ?? '1') || 1);

export class AssertionError extends Error {}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new AssertionError(message);
}

export function assertEqual(actual, expected, message = '') {
    if (actual !== expected)
        throw new AssertionError(`${message} expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export function assertMatch(text, regex, message = '') {
    if (!regex.test(text))
        throw new AssertionError(`${message} ${JSON.stringify(text)} does not match ${regex}`);
}

export function assertError(error, domain, code) {
    assert(error !== null, 'the task succeeded');
    assert(error.matches(domain, code), `unexpected error ${error.domain} ${error.code}: ${error.message}`);
}

// Deterministic, non-periodic content: the bytes of ladle_test_content_new (splitmix64 of each
// 8-byte block index, little-endian), so that the server's bodies can be checked here.
const MASK = (1n << 64n) - 1n;

function contentBlock(index) {
    let x = (BigInt(index) + 0x9E3779B97F4A7C15n) & MASK;
    x = ((x ^ (x >> 30n)) * 0xBF58476D1CE4E5B9n) & MASK;
    x = ((x ^ (x >> 27n)) * 0x94D049BB133111EBn) & MASK;
    return x ^ (x >> 31n);
}

export function content(offset, length) {
    const data = new Uint8Array(length);
    for (let block = Math.floor(offset / 8); block * 8 < offset + length; block++) {
        const x = contentBlock(block);
        for (let k = 0; k < 8; k++) {
            const position = block * 8 + k - offset;
            if (position >= 0 && position < length)
                data[position] = Number((x >> BigInt(8 * k)) & 0xffn);
        }
    }
    return data;
}

export function checksum(data) {
    return GLib.compute_checksum_for_bytes(GLib.ChecksumType.SHA256, new GLib.Bytes(data));
}

export function concat(chunks) {
    const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const data = new Uint8Array(length);
    let offset = 0;
    for (const chunk of chunks) {
        data.set(chunk, offset);
        offset += chunk.length;
    }
    return data;
}

export function runUntil(predicate, what, seconds = FAILSAFE_SECONDS) {
    const context = GLib.MainContext.default();
    let timedOut = false;
    const id = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, seconds, () => {
        timedOut = true;
        return GLib.SOURCE_REMOVE;
    });
    while (!predicate() && !timedOut)
        context.iteration(true);
    if (!timedOut)
        GLib.source_remove(id);
    assert(predicate(), `failsafe: ${typeof what === 'function' ? what() : what} did not happen within ${seconds} s`);
}

export function spin(milliseconds) {
    let done = false;
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, milliseconds, () => {
        done = true;
        return GLib.SOURCE_REMOVE;
    });
    const context = GLib.MainContext.default();
    while (!done)
        context.iteration(true);
}

// Dispatches what is pending (at most @limit sources).
export function flush(limit = Infinity) {
    const context = GLib.MainContext.default();
    for (let i = 0; i < limit && context.iteration(false); i++) {
        // dispatch what is pending
    }
}

export class TestServer {
    constructor() {
        const binary = GLib.getenv('LADLE_TEST_SERVER');
        assert(binary && GLib.file_test(binary, GLib.FileTest.IS_EXECUTABLE),
            'LADLE_TEST_SERVER must name the built ladle-test-server');
        this.process = Gio.Subprocess.new([binary],
            Gio.SubprocessFlags.STDIN_PIPE | Gio.SubprocessFlags.STDOUT_PIPE);
        const stdout = new Gio.DataInputStream({base_stream: this.process.get_stdout_pipe()});
        const [line] = stdout.read_line_utf8(null);
        assert(line && line.startsWith('http://127.0.0.1:'), `server did not start: ${line}`);
        this.base = line.replace(/\/$/, '');
        this.soup = new Soup.Session();
    }

    uri(path) {
        return this.base + path;
    }

    // The requests the server read so far, see /log (a synchronous request to another process:
    // it cannot deadlock this main loop).
    log(clear = false) {
        const message = Soup.Message.new('GET', this.uri(`/log${clear ? '?clear=1' : ''}`));
        const bytes = this.soup.send_and_read(message, null);
        return JSON.parse(new TextDecoder().decode(bytes.get_data()));
    }

    get nRequests() {
        return this.log().length;
    }

    close() {
        this.process.get_stdin_pipe().close(null);
        this.process.wait(null);
        flush();
    }
}

const STATE_LETTERS = {
    [Ladle.TaskState.SUSPENDED]: 'S',
    [Ladle.TaskState.RUNNING]: 'R',
    [Ladle.TaskState.CANCELING]: 'X',
    [Ladle.TaskState.COMPLETED]: 'C',
};

// One letter per event: R response, D data-received, P download-progress, C completed,
// T the session's task-completed. Handlers only record: assertions run outside signal
// emissions, where a thrown error reaches the test.
export class Recorder {
    constructor(task) {
        this.task = task;
        this.session = task.dup_session();
        this.events = '';
        this.states = '';
        this.chunks = [];
        this.progress = [];
        this.error = null;
        this.nCompleted = 0;
        this.done = false;
        this.disposition = Ladle.ResponseDisposition.ALLOW;
        this.cancelOnChunk = 0;
        this.suspendOnChunk = 0;
        this.suspended = false;

        this._ids = [
            task.connect('response', () => {
                this.events += 'R';
                return this.disposition;
            }),
            task.connect('data-received', (t, chunk) => {
                this.events += 'D';
                this.chunks.push(chunk.toArray());
                if (this.chunks.length === this.cancelOnChunk)
                    t.cancel();
                if (this.chunks.length === this.suspendOnChunk) {
                    this.suspended = true;
                    t.suspend();
                }
            }),
            task.connect('download-progress', (t, now, total, expected) => {
                this.events += 'P';
                this.progress.push([now, total, expected]);
            }),
            task.connect('completed', (t, error) => {
                this.events += 'C';
                this.nCompleted++;
                this.error = error;
            }),
            task.connect('notify::state', t => {
                this.states += STATE_LETTERS[t.get_state()];
            }),
        ];
        this._sessionId = this.session.connect('task-completed', (s, t) => {
            if (t !== this.task)
                return;
            this.events += 'T';
            this.done = true;
        });
    }

    get data() {
        return concat(this.chunks);
    }

    wait() {
        runUntil(() => this.done || this.nCompleted > 0, () => `completed (events so far "${this.events}")`);
        flush();
        assert(this.done, `task-completed did not follow completed: events "${this.events}"`);
        const events = this.events;
        flush();
        assertEqual(this.events, events, 'nothing follows task-completed:');
        assertEqual(this.nCompleted, 1, 'completed exactly once:');
        assertEqual(this.task.get_state(), Ladle.TaskState.COMPLETED, 'state:');
        for (const id of this._ids)
            this.task.disconnect(id);
        this.session.disconnect(this._sessionId);
        return this;
    }

    assertProgress(expectedTotal, finalReceived) {
        let total = 0;
        for (const [now, totalReceived, totalExpected] of this.progress) {
            assert(now >= 0, 'received_now >= 0');
            assertEqual(totalReceived, total + now, 'total_received:');
            assertEqual(totalExpected, expectedTotal, 'total_expected:');
            total = totalReceived;
        }
        if (finalReceived !== null) {
            assert(this.progress.length > 0, 'no download-progress at all');
            assertEqual(total, finalReceived, 'final total_received:');
        }
    }
}

export function newSession() {
    return Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral());
}

// The one TAP runner of the GJS tests: runs [name, test] pairs in order, each with the context
// setUp() makes (torn down after it, whatever happened), prints TAP and exits non-zero on any
// failure. With watchdogSeconds, a global failsafe ends the process if a test hangs anyway.
export function runTap(tests, {setUp = () => ({}), tearDown = () => {}, atEnd = () => {}, watchdogSeconds = 0} = {}) {
    const watchdog = watchdogSeconds > 0 ? GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, watchdogSeconds, () => {
        print('Bail out! global failsafe: the tests did not end');
        System.exit(2);
        return GLib.SOURCE_REMOVE;
    }) : 0;
    let failures = 0;
    print(`1..${tests.length}`);
    tests.forEach(([name, test], index) => {
        const context = setUp();
        try {
            test(context);
            print(`ok ${index + 1} ${name}`);
        } catch (e) {
            failures++;
            print(`not ok ${index + 1} ${name}`);
            for (const line of `${e}\n${e.stack ?? ''}`.split('\n'))
                print(`# ${line}`);
        } finally {
            tearDown(context);
        }
    });
    if (watchdog)
        GLib.source_remove(watchdog);
    atEnd();
    System.exit(failures > 0 ? 1 : 0);
}

// Each test gets a fresh server and session.
export function run(tests) {
    runTap(tests.map(([name, test]) => [name, ({server, session}) => test(server, session)]), {
        setUp: () => ({server: new TestServer(), session: newSession()}),
        tearDown: ({server}) => server.close(),
        watchdogSeconds: 20 * (tests.length + 1),
    });
}
