// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Ladle.Session from GJS: the list model and invalidation. Run with `gjs -m test-session.js`.

import {
    Gio, Ladle, Recorder, assert, assertEqual, assertError, run, runUntil,
} from './harness.js';

function testListModel(server, session) {
    assert(session instanceof Gio.ListModel, 'a Gio.ListModel');
    assertEqual(session.get_item_type().name, 'LadleTask', 'item type:');

    const changes = [];
    session.connect('items-changed', (model, position, removed, added) => {
        changes.push(`${position}:${removed}:${added}`);
    });
    const first = session.create_data_task_for_uri(server.uri('/bytes/10'));
    const second = session.create_data_task_for_uri(server.uri('/bytes/20'));
    assertEqual(session.get_n_items(), 2, 'n_items:');
    assertEqual(session.get_item(0), first, 'item 0:');
    assertEqual(session.get_item(1), second, 'item 1:');
    assertEqual(session.get_item(2), null, 'item 2:');
    assert(second.get_identifier() > first.get_identifier(), 'identifiers increase');

    const recorder = new Recorder(first);
    first.resume();
    recorder.wait();
    assertEqual(changes.join(' '), '0:0:1 1:0:1 0:1:0', 'items-changed:');
    assertEqual(session.get_item(0), second, 'item 0 after completion:');
}

function testInvalidateAndCancel(server, session) {
    let log = '';
    session.connect('task-completed', () => {
        log += 'T';
    });
    session.connect('invalidated', () => {
        log += 'I';
    });

    const recorders = [];
    for (let i = 0; i < 3; i++) {
        const task = session.create_data_task_for_uri(server.uri('/bytes/4194304'));
        const recorder = new Recorder(task);
        recorder.suspendOnChunk = 1;
        task.resume();
        recorders.push(recorder);
    }
    // each task is mid-body (suspended in its first data-received) when the session is invalidated
    for (const recorder of recorders)
        runUntil(() => recorder.suspended, 'a first data-received');

    session.invalidate_and_cancel();
    assert(session.is_invalidated(), 'is_invalidated');
    for (const recorder of recorders) {
        recorder.wait();
        assertError(recorder.error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    }
    runUntil(() => log.includes('I'), 'invalidated');
    assertEqual(log, 'TTTI', 'session log:');
}

function testTaskAfterInvalidation(server, session) {
    session.invalidate_and_cancel();
    const late = session.create_data_task_for_uri(server.uri('/bytes/10'));
    const recorder = new Recorder(late);
    late.resume();
    recorder.wait();
    assertError(recorder.error, Ladle.Error, Ladle.Error.SESSION_INVALIDATED);
}

run([
    ['session is a list model', testListModel],
    ['invalidate and cancel', testInvalidateAndCancel],
    ['task after invalidation', testTaskAfterInvalidation],
]);
