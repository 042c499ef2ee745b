// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Awaiting from GJS: Ladle.Task.wait_async, Ladle.Session.send_and_read_async and download_async
// made awaitable with Gio._promisify, against the test server. Run with `gjs -m test-await.js`.

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

run([
    ['wait', testWait],
    ['wait-error-and-cancel', testWaitErrorAndCancel],
    ['send-and-read', testSendAndRead],
    ['download', testDownload],
]);
