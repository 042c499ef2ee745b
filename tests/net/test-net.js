// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Retries, waiting for connectivity and metered networks from GJS (gjs -m), against the test
// server of tests/support as a child process, with a network monitor written in JavaScript (a
// GObject implementing Gio.Initable and Gio.NetworkMonitor). Prints TAP.

import GObject from 'gi://GObject';

import {GLib, Gio, Soup, Ladle, TestServer, assert, assertError, runTap, runUntil, spin}
    from '../gjs/harness.js';

// Compares values (arrays included) by their JSON.
function assertEqual(actual, expected, what) {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    assert(a === e, `${what}: expected ${e}, got ${a}`);
}

const FakeMonitor = GObject.registerClass({
    Implements: [Gio.Initable, Gio.NetworkMonitor],
    Properties: {
        'network-available': GObject.ParamSpec.override('network-available', Gio.NetworkMonitor),
        'network-metered': GObject.ParamSpec.override('network-metered', Gio.NetworkMonitor),
        'connectivity': GObject.ParamSpec.override('connectivity', Gio.NetworkMonitor),
    },
}, class FakeMonitor extends GObject.Object {
    _init(available = true, metered = false) {
        super._init();
        this._available = available;
        this._metered = metered;
    }

    get network_available() {
        return this._available;
    }

    set network_available(value) {
        this._available = value;
        this.notify('network-available');
    }

    get network_metered() {
        return this._metered;
    }

    set network_metered(value) {
        this._metered = value;
        this.notify('network-metered');
    }

    get connectivity() {
        return this._available ? Gio.NetworkConnectivity.FULL : Gio.NetworkConnectivity.LOCAL;
    }

    vfunc_init(cancellable) {
        return true;
    }
});

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

// A task's signals as letters: W will-retry, C waiting-for-connectivity, R resumed, T completed.
class Run {
    constructor(task, {veto = false, onRetry = null} = {}) {
        this.task = task;
        this.events = '';
        this.retries = [];
        this.resumed = [];
        this.error = null;
        this.done = false;
        task.connect('will-retry', (t, attempt, delay, why) => {
            assert(!this.done, 'will-retry after completed');
            this.retries.push({attempt, delay, why, at: GLib.get_monotonic_time()});
            this.events += 'W';
            onRetry?.();
            return !veto;
        });
        task.connect('waiting-for-connectivity', () => {
            this.events += 'C';
        });
        task.connect('completed', (t, error) => {
            assert(!this.done, 'completed twice');
            this.error = error;
            this.done = true;
            this.finished = GLib.get_monotonic_time();
            this.events += 'T';
        });
        if (task instanceof Ladle.DownloadTask) {
            task.connect('resumed', (t, offset) => {
                this.resumed.push(offset);
                this.events += 'R';
            });
        }
    }

    start() {
        this.started = GLib.get_monotonic_time();
        this.task.resume();
        return this;
    }

    wait() {
        runUntil(() => this.done, 'the task completes');
        spin(50);
        return this;
    }
}

function fastPolicy(maxAttempts) {
    const policy = Ladle.RetryPolicy.new_backoff(maxAttempts, 20, 5000);
    policy.jitter = 0;
    return policy;
}

function makeSession({policy = null, monitor = null, state = null, waits = false, timeout = 0, allowMetered = true} = {}) {
    const configuration = Ladle.SessionConfiguration.new_ephemeral();
    if (policy)
        configuration.set_retry_policy(policy);
    if (monitor)
        configuration.network_monitor = monitor;
    if (state)
        configuration.state_directory = state;
    configuration.waits_for_connectivity = waits;
    configuration.connectivity_timeout = timeout;
    configuration.allow_metered = allowMetered;
    return Ladle.Session.new(configuration);
}

function dataTask(session, server, path) {
    const task = session.create_data_task_for_uri(server.uri(path));
    task.set_accumulate(true);
    return task;
}

function bodyText(task) {
    return new TextDecoder().decode(task.dup_body().get_data());
}

function requestsFor(server, path) {
    const [p, q] = path.split('?');
    return server.log().filter(r => r.path === p && r.query === q);
}

function makeDirs() {
    const root = GLib.dir_make_tmp('ladle-net-js-XXXXXX');
    return {root, state: `${root}/state`, file: `${root}/file`};
}

function removeTree(path) {
    const dir = Gio.File.new_for_path(path);
    if (!dir.query_exists(null))
        return;
    if (dir.query_file_type(Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null) === Gio.FileType.DIRECTORY) {
        const enumerator = dir.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
        let info;
        while ((info = enumerator.next_file(null)) !== null)
            removeTree(`${path}/${info.get_name()}`);
        enumerator.close(null);
    }
    dir.delete(null);
}

function download(session, server, path, destination) {
    const task = session.create_download_task_for_uri(server.uri(path));
    task.set_destination(Gio.File.new_for_path(destination), Ladle.DestinationFlags.NONE);
    return task;
}

const tests = [
    ['policy API', () => {
        const policy = Ladle.RetryPolicy.new();
        assertEqual(policy.max_attempts, 4, 'max-attempts');
        assertEqual([...policy.dup_retried_statuses()].sort(), [408, 429, 500, 502, 503, 504], 'statuses');
        policy.jitter = 0;
        const headers = new Soup.MessageHeaders({type: Soup.MessageHeadersType.RESPONSE});
        headers.replace('Retry-After', '2');
        assertEqual(policy.next_delay_for_status(1, 'GET', 503, headers), [true, 2000], 'Retry-After');
        assertEqual(policy.next_delay_for_status(3, 'GET', 502, null), [true, 4000], 'backoff');
        assertEqual(policy.next_delay_for_status(1, 'POST', 503, null)[0], false, 'POST');
        const reset = new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_CLOSED, 'reset');
        assertEqual(policy.next_delay_for_error(1, 'GET', reset), [true, 1000], 'reset');
        policy.set_retried_statuses([429]);
        assertEqual([...policy.dup_retried_statuses()], [429], 'set statuses');
        const background = Ladle.SessionConfiguration.new_background('gjs-net');
        assert(background.waits_for_connectivity, 'background waits');
        assertEqual(background.dup_retry_policy().max_attempts, 5, 'background policy');
        assertEqual(Ladle.SessionConfiguration.new_default().dup_retry_policy(), null, 'no policy by default');
    }],

    ['503 with Retry-After: 1 twice, then 200', ({server}) => {
        const path = '/flaky?fail=2&retry-after=1&key=js-seconds';
        const task = dataTask(makeSession({policy: fastPolicy(4)}), server, path);
        const run = new Run(task).start().wait();
        assertEqual(run.error, null, 'error');
        assertEqual(run.events, 'WWT', 'events');
        assertEqual(task.status_code, 200, 'status');
        assertEqual(bodyText(task), 'ok', 'body');
        assertEqual(run.retries.map(r => [r.attempt, r.delay]), [[2, 1000], [3, 1000]], 'retries');
        assertError(run.retries[0].why, Ladle.Error, Ladle.Error.RETRIED_STATUS);
        assert(run.retries[1].at - run.retries[0].at >= 990000, 'the first delay was honoured');
        assert(run.finished - run.retries[1].at >= 990000, 'the second delay was honoured');
        assertEqual(requestsFor(server, path).length, 3, 'requests');
        const metrics = task.dup_metrics();
        assertEqual([...Array(metrics.get_n_transactions()).keys()].map(i => metrics.get_transaction(i).get_status_code()),
            [503, 503, 200], 'one transaction per attempt');
    }],

    ['Retry-After as an HTTP-date', ({server}) => {
        const path = '/flaky?fail=1&retry-after=date%2B3&key=js-date';
        const task = dataTask(makeSession({policy: fastPolicy(3)}), server, path);
        const run = new Run(task).start().wait();
        assertEqual(run.events, 'WT', 'events');
        const delay = run.retries[0].delay;
        assert(delay >= 900 && delay <= 3000, `delay ${delay}`);
        assert(run.finished - run.retries[0].at >= delay * 1000 - 10000, 'the delay was honoured');
        assertEqual(requestsFor(server, path).length, 2, 'requests');
    }],

    ['will-retry veto', ({server}) => {
        const path = '/flaky?fail=2&key=js-veto';
        const task = dataTask(makeSession({policy: fastPolicy(4)}), server, path);
        const run = new Run(task, {veto: true}).start().wait();
        assertEqual(run.error, null, 'error');
        assertEqual(run.events, 'WT', 'events');
        assertEqual(task.status_code, 503, 'status');
        assertEqual(requestsFor(server, path).length, 1, 'requests');
    }],

    ['POST is not retried', ({server}) => {
        const path = '/flaky?fail=1&key=js-post';
        const session = makeSession({policy: fastPolicy(4)});
        const task = session.create_upload_task_from_bytes(Soup.Message.new('POST', server.uri(path)),
            new GLib.Bytes(new Uint8Array(1000)));
        const run = new Run(task).start().wait();
        assertEqual(run.events, 'T', 'events');
        assertEqual(task.status_code, 503, 'status');
        assertEqual(requestsFor(server, path).length, 1, 'requests');
    }],

    ['download cut mid-body continues with Range', ({server, dirs}) => {
        const path = '/resource/1000000?drop=250000&drop-range=300000&key=js-cut';
        const session = makeSession({policy: fastPolicy(4), state: dirs.state});
        const run = new Run(download(session, server, path, dirs.file)).start().wait();
        assertEqual(run.error, null, 'error');
        assertEqual(run.events, 'WRWRT', 'events');
        assertEqual(run.resumed, [250000, 550000], 'resumed');
        const seen = requestsFor(server, path);
        assertEqual(seen.map(r => r.range), [null, 'bytes=250000-', 'bytes=550000-'], 'ranges');
        assertEqual(seen[2].if_range, '"v1-1000000"', 'If-Range');
        assertEqual(fileSha256(dirs.file), contentSha256(1, 1000000), 'SHA-256');
    }],

    ['a changed ETag starts over', ({server, dirs}) => {
        const path = '/resource/300000?drop=100000&changing=1&key=js-changed';
        const session = makeSession({policy: fastPolicy(4), state: dirs.state});
        const run = new Run(download(session, server, path, dirs.file)).start().wait();
        assertEqual(run.error, null, 'error');
        assertEqual(run.events, 'WRT', 'events');
        assertEqual(run.resumed, [0], 'resumed');
        assertEqual(fileSha256(dirs.file), contentSha256(2, 300000), 'SHA-256');
    }],

    ['no network: fails at once', ({server}) => {
        const path = '/ok?key=js-nonet';
        const task = dataTask(makeSession({monitor: new FakeMonitor(false)}), server, path);
        const run = new Run(task).start().wait();
        assertError(run.error, Gio.IOErrorEnum, Gio.IOErrorEnum.NETWORK_UNREACHABLE);
        assertEqual(run.events, 'T', 'events');
        assertEqual(requestsFor(server, path).length, 0, 'requests');
    }],

    ['waits for connectivity', ({server}) => {
        const path = '/ok?key=js-waits';
        const monitor = new FakeMonitor(false);
        const task = dataTask(makeSession({monitor, waits: true}), server, path);
        const run = new Run(task).start();
        spin(500);
        assert(!run.done, 'still waiting');
        assertEqual(run.events, 'C', 'announced once');
        assertEqual(requestsFor(server, path).length, 0, 'nothing sent');
        assertEqual(task.wait_reason, Ladle.TaskWaitReason.CONNECTIVITY, 'the reason it waits');
        monitor.network_available = true;
        run.wait();
        assertEqual(run.error, null, 'error');
        assertEqual(run.events, 'CT', 'events');
        assertEqual(task.get_wait_reason(), Ladle.TaskWaitReason.NONE, 'no reason once done');
        assertEqual(requestsFor(server, path).length, 1, 'requests');
    }],

    ['the connectivity timeout', ({server}) => {
        const path = '/ok?key=js-deadline';
        const task = dataTask(makeSession({monitor: new FakeMonitor(false), waits: true, timeout: 1}), server, path);
        const run = new Run(task).start().wait();
        assertError(run.error, Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT);
        assertEqual(run.events, 'CT', 'events');
        assert(run.finished - run.started >= 990000, 'waited a second');
        assertEqual(requestsFor(server, path).length, 0, 'requests');
    }],

    ['a metered network pauses a download, which continues with Range', ({server, dirs}) => {
        const path = '/resource/1000000?stall=200000&key=js-metered';
        const monitor = new FakeMonitor();
        const session = makeSession({monitor, state: dirs.state, allowMetered: false});
        const task = download(session, server, path, dirs.file);
        const run = new Run(task).start();
        runUntil(() => task.bytes_received >= 200000, 'the first bytes arrive');
        monitor.network_metered = true;
        spin(300);
        assert(!run.done, 'paused, not completed');
        assertEqual(requestsFor(server, path).length, 1, 'nothing more asked');
        monitor.network_metered = false;
        run.wait();
        assertEqual(run.error, null, 'error');
        assertEqual(run.events, 'RT', 'events');
        assertEqual(requestsFor(server, path).map(r => r.range), [null, 'bytes=200000-'], 'ranges');
        assertEqual(fileSha256(dirs.file), contentSha256(1, 1000000), 'SHA-256');
    }],
];

const server = new TestServer();
runTap(tests, {
    setUp: () => ({server, dirs: makeDirs()}),
    tearDown: ({dirs}) => removeTree(dirs.root),
    atEnd: () => server.close(),
    watchdogSeconds: 20 * (tests.length + 1),
});
