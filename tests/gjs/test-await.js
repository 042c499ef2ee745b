// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Awaiting from GJS: Ladle.Task.wait_async, Ladle.Session.send_and_read_async and download_async
// made awaitable with Gio._promisify, against the test server; Ladle.HttpClient's retry policy
// awaited with the documented promise (whose error carries the response). Run with
// `gjs -m test-await.js`.

import Json from 'gi://Json';
import {
    GLib, Gio, Soup, Ladle, assert, assertEqual, assertError, checksum, content, run, runUntil,
} from './harness.js';

Gio._promisify(Ladle.Task.prototype, 'wait_async');
Gio._promisify(Ladle.Session.prototype, 'send_and_read_async');
Gio._promisify(Ladle.Session.prototype, 'download_async');

// Runs an async function to its end on the default main context; returns its value or throws.
function settle(asyncFunction) {
    let outcome = null;
    asyncFunction().then(
        value => {
            outcome = {value};
        },
        error => {
            outcome = {error};
        });
    runUntil(() => outcome !== null, 'the promise');
    if (outcome.error)
        throw outcome.error;
    return outcome.value;
}

function testWait(server, session) {
    const task = session.create_data_task_for_uri(server.uri('/bytes/40000'));
    let order = '';
    task.connect('completed', () => {
        order += 'C';
    });
    session.connect('task-completed', () => {
        order += 'T';
    });
    const results = settle(async () => {
        const first = task.wait_async(null);
        const second = task.wait_async(null);
        task.resume();
        return [await first, await second];
    });
    assertEqual(results.join(), 'true,true', 'both waits:');
    assertEqual(order, 'CT', 'completed and task-completed before the waits:');
    assertEqual(checksum(task.dup_body().get_data()), checksum(content(0, 40000)), 'body:');
    // already completed
    assertEqual(settle(() => task.wait_async(null)), true, 'late wait:');
}

function testWaitErrorAndCancel(server, session) {
    const truncated = session.create_data_task_for_uri(server.uri('/truncate'));
    const held = session.create_data_task_for_uri(server.uri('/hold'));
    const cancellable = new Gio.Cancellable();
    const errors = settle(async () => {
        truncated.resume();
        held.resume();
        const out = [];
        try {
            await truncated.wait_async(null);
        } catch (e) {
            out.push(e);
        }
        const waiting = held.wait_async(cancellable);
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 50, () => {
            cancellable.cancel();
            return GLib.SOURCE_REMOVE;
        });
        try {
            await waiting;
        } catch (e) {
            out.push(e);
        }
        return out;
    });
    assertEqual(errors.length, 2, 'two errors:');
    assertError(errors[0], Ladle.error_quark(), Ladle.Error.TRUNCATED_BODY);
    assertError(errors[1], Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED);
}

function testSendAndRead(server, session) {
    const request = Soup.Message.new('GET', server.uri('/bytes/100000'));
    const progress = [];
    const bytes = settle(async () => {
        const promise = session.send_and_read_async(request, GLib.PRIORITY_DEFAULT, null);
        const task = session.dup_task_for_request(request);
        assert(task instanceof Ladle.DataTask, 'the task is in the session');
        task.connect('download-progress', (t, now, total) => progress.push(total));
        return await promise;
    });
    assertEqual(checksum(bytes.get_data()), checksum(content(0, 100000)), 'body:');
    assertEqual(progress[progress.length - 1], 100000, 'final progress:');
    assertEqual(request.get_status(), 200, 'status:');

    const missing = Soup.Message.new('GET', server.uri('/status/404'));
    settle(() => session.send_and_read_async(missing, GLib.PRIORITY_DEFAULT, null));
    assertEqual(missing.get_status(), 404, 'an HTTP error is not an error:');
}

function testDownload(server, session) {
    const dir = GLib.dir_make_tmp('ladle-await-XXXXXX');
    const destination = Gio.File.new_for_path(GLib.build_filenamev([dir, 'sub', 'file.bin']));
    const file = settle(() => session.download_async(Soup.Message.new('GET', server.uri('/bytes/250000')),
        destination, Ladle.DestinationFlags.CREATE_PARENTS, GLib.PRIORITY_DEFAULT, null));
    assert(file.equal(destination), 'the destination is returned');
    const [, data] = file.load_contents(null);
    assertEqual(checksum(data), checksum(content(0, 250000)), 'file:');

    let error = null;
    try {
        settle(() => session.download_async(Soup.Message.new('GET', server.uri('/status/404')),
            Gio.File.new_for_path(GLib.build_filenamev([dir, 'missing'])),
            Ladle.DestinationFlags.NONE, GLib.PRIORITY_DEFAULT, null));
    } catch (e) {
        error = e;
    }
    assertError(error, Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS);
    assert(!GLib.file_test(GLib.build_filenamev([dir, 'missing']), GLib.FileTest.EXISTS), 'nothing saved');
    file.delete(null);
    Gio.File.new_for_path(GLib.build_filenamev([dir, 'sub'])).delete(null);
    Gio.File.new_for_path(dir).delete(null);
}

// Ladle.HttpClient with a retry policy (the test server's /flaky?json=1)

function quickPolicy(maxAttempts, nonIdempotent = false) {
    const policy = Ladle.RetryPolicy.new_backoff(maxAttempts, 10, 5000);
    policy.jitter = 0;
    policy.retry_non_idempotent = nonIdempotent;
    return policy;
}

// The will-retry signals of the client's tasks, connected from task-created.
function watchRetries(client, veto = false) {
    const seen = {tasks: [], retries: []};
    client.connect('task-created', (c, task) => {
        seen.tasks.push(task);
        task.connect('will-retry', (t, attempt, delayMs, why) => {
            seen.retries.push({attempt, delayMs, why, at: GLib.get_monotonic_time()});
            return !veto;
        });
    });
    return seen;
}

// The documented pattern: a promise for a request whose error carries the response.
function clientRequest(client, method, path, parameters = null) {
    const node = parameters === null ? null : Json.from_string(JSON.stringify(parameters));
    return new Promise((resolve, reject) => {
        client.request_async(method, path, node, null, (source, result) => {
            try {
                resolve(JSON.parse(Json.to_string(source.request_finish(result), false)));
            } catch (e) {
                e.response = source.dup_response(result);
                reject(e);
            }
        });
    });
}

async function rejection(promise) {
    try {
        await promise;
    } catch (e) {
        return e;
    }
    throw new Error('the request succeeded');
}

function requestsFor(server, pathAndQuery) {
    const [path, query] = pathAndQuery.split('?');
    return server.log().filter(r => r.path === path && r.query === query);
}

function newClient(server, session) {
    return Ladle.HttpClient.new(GLib.Uri.parse(server.uri('/'), GLib.UriFlags.NONE), session);
}

function testClientRetriesGet(server, session) {
    const client = newClient(server, session);
    const policy = quickPolicy(4);
    client.retry_policy = policy;
    policy.max_attempts = 1;
    assertEqual(client.dup_retry_policy().max_attempts, 4, 'the client keeps a copy:');
    const seen = watchRetries(client);
    const path = '/flaky?fail=2&retry-after=1&json=1&key=js-client';
    const started = GLib.get_monotonic_time();
    const value = settle(() => clientRequest(client, 'GET', path));
    const elapsed = GLib.get_monotonic_time() - started;

    assertEqual(JSON.stringify(value), '{"ok":true}', 'decoded:');
    assertEqual(requestsFor(server, path).length, 3, 'requests:');
    assertEqual(seen.retries.map(r => `${r.attempt}:${r.delayMs}`).join(), '2:1000,3:1000', 'retries:');
    assertError(seen.retries[0].why, Ladle.error_quark(), Ladle.Error.RETRIED_STATUS);
    assert(seen.retries[1].at - seen.retries[0].at >= 990000, 'the second delay was honoured');
    assert(elapsed >= 1980000, `both delays were honoured (${elapsed} µs)`);
    assertEqual(seen.tasks.length, 1, 'tasks:');
    assertEqual(seen.tasks[0].dup_retry_policy().max_attempts, 4, 'the task policy:');
}

function testClientPost(server, session) {
    const client = newClient(server, session);
    client.set_retry_policy(quickPolicy(4));
    const seen = watchRetries(client);
    let path = '/flaky?fail=1&json=1&key=js-post';
    const error = settle(() => rejection(clientRequest(client, 'POST', path, {n: 1})));
    assertError(error, Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS);
    assertEqual(error.response.get_status(), 503, 'the response:');
    assertEqual(new TextDecoder().decode(error.response.get_body().get_data()), 'flaky', 'its body:');
    assertEqual(seen.retries.length, 0, 'no retry:');
    assertEqual(requestsFor(server, path).length, 1, 'requests:');

    client.set_retry_policy(quickPolicy(4, true));
    path = '/flaky?fail=2&json=1&key=js-post-any';
    const value = settle(() => clientRequest(client, 'POST', path, {n: 1}));
    assertEqual(value.ok, true, 'decoded:');
    assertEqual(seen.retries.map(r => r.attempt).join(), '2,3', 'retries:');
    const sent = requestsFor(server, path);
    assertEqual(sent.length, 3, 'requests:');
    assert(sent.every(r => r.method === 'POST'), 'every attempt is a POST');
}

function testClientVeto(server, session) {
    const client = newClient(server, session);
    client.set_retry_policy(quickPolicy(4));
    const seen = watchRetries(client, true);
    const path = '/flaky?fail=2&json=1&key=js-veto';
    const error = settle(() => rejection(clientRequest(client, 'GET', path)));
    assertError(error, Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS);
    assertEqual(error.response.get_status(), 503, 'the response:');
    assertEqual(seen.retries.map(r => r.attempt).join(), '2', 'one vetoed retry:');
    assertEqual(requestsFor(server, path).length, 1, 'requests:');
}

run([
    ['wait', testWait],
    ['wait-error-and-cancel', testWaitErrorAndCancel],
    ['send-and-read', testSendAndRead],
    ['download', testDownload],
    ['client-retries-get', testClientRetriesGet],
    ['client-post', testClientPost],
    ['client-veto', testClientVeto],
]);
