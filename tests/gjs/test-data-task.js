// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Ladle.DataTask from GJS: signal order, HTTP errors, cancellation, truncation, suspend/resume.
// Run with `gjs -m test-data-task.js`.

import {
    GLib, Gio, Ladle, Recorder, assert, assertEqual, assertMatch, assertError, checksum, content,
    run, runUntil, spin,
} from './harness.js';

function start(session, uri, settings = {}) {
    const task = session.create_data_task_for_uri(uri);
    assert(task instanceof Ladle.DataTask, 'a data task');
    const recorder = new Recorder(task);
    Object.assign(recorder, settings);
    task.resume();
    return [task, recorder];
}

function testSignalOrder(server, session) {
    const [task, recorder] = start(session, server.uri('/bytes/100000'));
    recorder.wait();

    assertEqual(recorder.error, null, 'error:');
    assertMatch(recorder.events, /^R[DP]+CT$/, 'events:');
    assertEqual(recorder.states, 'RC', 'states:');
    assertEqual(task.get_status_code(), 200, 'status:');
    assertEqual(recorder.data.length, 100000, 'length:');
    assertEqual(checksum(recorder.data), checksum(content(0, 100000)), 'checksum:');
    assertEqual(checksum(task.dup_body().toArray()), checksum(content(0, 100000)), 'body checksum:');
    recorder.assertProgress(100000, 100000);
    assertEqual(session.get_n_items(), 0, 'n_items:');
}

function testNotFound(server, session) {
    const [task, recorder] = start(session, server.uri('/status/404'));
    recorder.wait();

    // an HTTP error status is not an error
    assertEqual(recorder.error, null, 'error:');
    assertMatch(recorder.events, /^R[DP]+CT$/, 'events:');
    assertEqual(task.get_status_code(), 404, 'status:');
    assertEqual(new TextDecoder().decode(recorder.data), 'status 404', 'body:');
}

function testResponseCancel(server, session) {
    const [task, recorder] = start(session, server.uri('/bytes/100000'),
        {disposition: Ladle.ResponseDisposition.CANCEL});
    recorder.wait();

    assertError(recorder.error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertMatch(recorder.events, /^RP*CT$/, 'events:');
    assertEqual(recorder.chunks.length, 0, 'chunks:');
    assertEqual(task.get_error().code, Gio.IOErrorEnum.CANCELLED, 'error property:');
}

function testCancelMidBody(server, session) {
    const [, recorder] = start(session, server.uri('/bytes/2097152'), {cancelOnChunk: 1});
    recorder.wait();

    assertError(recorder.error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertEqual(recorder.chunks.length, 1, 'chunks:');
    assertEqual(recorder.states, 'RXC', 'states:');
}

function testCancelSuspended(server, session) {
    const task = session.create_data_task_for_uri(server.uri('/bytes/10'));
    const recorder = new Recorder(task);
    task.cancel();
    recorder.wait();

    assertError(recorder.error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertEqual(recorder.events, 'CT', 'events:');
    assertEqual(server.nRequests, 0, 'requests:');
}

function testTruncated(server, session) {
    const [task, recorder] = start(session, server.uri('/truncate'));
    recorder.wait();

    assertError(recorder.error, Ladle.Error, Ladle.Error.TRUNCATED_BODY);
    assertEqual(recorder.error.domain, Ladle.error_quark(), 'domain:');
    assertMatch(recorder.events, /^R[DP]*CT$/, 'events:');
    assert(recorder.data.length <= 10000, 'at most what was sent');
    assertEqual(checksum(recorder.data), checksum(content(0, recorder.data.length)), 'prefix:');
    assert(task.get_error().matches(Ladle.Error, Ladle.Error.TRUNCATED_BODY), 'error property');
}

function testSuspendResume(server, session) {
    const length = 1048576;
    const [task, recorder] = start(session, server.uri(`/bytes/${length}`), {suspendOnChunk: 1});
    runUntil(() => recorder.suspended, 'the first data-received');
    assertEqual(task.get_state(), Ladle.TaskState.SUSPENDED, 'state:');

    const chunks = recorder.chunks.length;
    spin(300);
    assertEqual(recorder.chunks.length, chunks, 'no data while suspended:');
    assertEqual(recorder.nCompleted, 0, 'not completed while suspended:');

    task.resume();
    recorder.wait();
    assertEqual(recorder.error, null, 'error:');
    assertMatch(recorder.events, /^R[DP]+CT$/, 'events:');
    assertEqual(recorder.states, 'RSRC', 'states:');
    assertEqual(checksum(recorder.data), checksum(content(0, length)), 'checksum:');
    recorder.assertProgress(length, length);
}

run([
    ['signal order', testSignalOrder],
    ['404 is not an error', testNotFound],
    ['response cancel', testResponseCancel],
    ['cancel mid-body', testCancelMidBody],
    ['cancel suspended', testCancelSuspended],
    ['truncated body', testTruncated],
    ['suspend and resume', testSuspendResume],
]);
