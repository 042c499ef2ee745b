// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Authentication challenges, seen from GJS. Run with `gjs -m test-auth.js`.

import {
    GLib, Gio, PASSWORD, USER, assert, assertEqual, assertError, run, runTask, runUntil,
} from './security-harness.js';

// Answers call N with answers[N-1]: a password, null to decline, 'cancel' to cancel; at once or
// from a timeout, as a dialog would. Records (scheme, realm, retrying) and who was asked.
class AuthHandler {
    constructor({answers = [], later = false, log = null, name = 't'} = {}) {
        this.answers = answers;
        this.later = later;
        this.log = log;
        this.name = name;
        this.calls = [];
        this.tasks = [];
    }

    handle(auth, retrying) {
        this.calls.push([auth.get_scheme_name(), auth.get_realm(), retrying]);
        if (this.log)
            this.log.push(this.name);
        const answer = this.answers[this.calls.length - 1] ?? null;
        if (answer === null)
            return false;
        const respond = () => {
            if (answer === 'cancel')
                auth.cancel();
            else
                auth.authenticate(USER, answer);
        };
        if (this.later) {
            GLib.timeout_add(GLib.PRIORITY_DEFAULT, 20, () => {
                respond();
                return GLib.SOURCE_REMOVE;
            });
        } else {
            respond();
        }
        return true;
    }

    connectTask(task) {
        task.connect('authenticate', (t, auth, retrying) => this.handle(auth, retrying));
        return this;
    }

    connectSession(session) {
        session.connect('authenticate', (s, task, auth, retrying) => {
            this.tasks.push(task);
            return this.handle(auth, retrying);
        });
        return this;
    }
}

function assertAuthorizationSequence(server, count) {
    assertEqual(server.requests.length, count, 'requests:');
    assertEqual(server.requests[0].headers['authorization'], undefined, 'first request\'s Authorization:');
    for (const request of server.requests.slice(1))
        assert(request.headers['authorization'], 'a retry without Authorization');
}

function wrongThenRight(kind, scheme, later) {
    return ({session, server}) => {
        const s = server();
        const task = session.create_data_task_for_uri(s.uri(`/${kind}/resource`));
        const handler = new AuthHandler({answers: ['wrong', PASSWORD], later}).connectTask(task);
        const r = runTask(task);

        assertEqual(r.error, null, 'error:');
        assertEqual(r.status, 200, 'status:');
        assertEqual(handler.calls, [[scheme, `ladle-${kind}`, false], [scheme, `ladle-${kind}`, true]], 'calls:');
        assert(r.bodyLines().includes(`path /${kind}/resource`), 'not the protected resource');
        assertAuthorizationSequence(s, 3);
    };
}

function noHandler(kind) {
    return ({session, server}) => {
        const s = server();
        const r = runTask(session.create_data_task_for_uri(s.uri(`/${kind}/resource`)));

        assertEqual(r.error, null, 'error:');
        assertEqual(r.status, 401, 'status:');
        assertEqual(r.nResponse, 1, 'responses:');
        assert(r.task.get_response_headers().get_one('WWW-Authenticate').toLowerCase().startsWith(kind),
            'no challenge in the final response');
        assertEqual(s.requests.length, 1, 'requests:');
    };
}

function testCancelledLater({session, server}) {
    const s = server();
    const task = session.create_data_task_for_uri(s.uri('/basic/resource'));
    const handler = new AuthHandler({answers: ['cancel'], later: true}).connectTask(task);
    const r = runTask(task);

    assertEqual(r.error, null, 'error:');
    assertEqual(r.status, 401, 'status:');
    assertEqual(handler.calls.length, 1, 'calls:');
}

function testSessionHandler({session, server}) {
    const s = server();
    const task = session.create_data_task_for_uri(s.uri('/digest/resource'));
    const log = [];
    new AuthHandler({log, name: 't'}).connectTask(task);
    const sessionHandler = new AuthHandler({answers: ['wrong', PASSWORD], later: true, log, name: 's'})
        .connectSession(session);
    const r = runTask(task);

    assertEqual(r.status, 200, 'status:');
    assertEqual(log, ['t', 's', 't', 's'], 'order:');
    assert(sessionHandler.tasks.every(t => t === task), 'the session handler was not told the task');
    assertEqual(sessionHandler.calls.map(c => c[2]), [false, true], 'retrying:');
}

function testTaskHandlerWins({session, server}) {
    const s = server();
    const task = session.create_data_task_for_uri(s.uri('/basic/resource'));
    const taskHandler = new AuthHandler({answers: [PASSWORD]}).connectTask(task);
    const sessionHandler = new AuthHandler({answers: ['wrong', 'wrong']}).connectSession(session);
    const r = runTask(task);

    assertEqual(r.status, 200, 'status:');
    assertEqual(taskHandler.calls.length, 1, 'task handler calls:');
    assertEqual(sessionHandler.calls.length, 0, 'session handler calls:');
}

function testCancelTheTaskWhileAsking({session, server}) {
    const s = server();
    const task = session.create_data_task_for_uri(s.uri('/basic/resource'));
    let held = null;
    task.connect('authenticate', (t, auth) => {
        held = auth;
        t.cancel();
        return true;
    });
    const r = runTask(task);
    assertError(r.error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);

    let answered = false;
    GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        held.authenticate(USER, PASSWORD);
        answered = true;
        return GLib.SOURCE_REMOVE;
    });
    runUntil(() => answered, 'the late answer');
    assertEqual(r.nCompleted, 1, 'completed emissions:');
    assertEqual(s.requests.length, 1, 'requests:');
}

run({
    'auth/basic/wrong-then-right': wrongThenRight('basic', 'Basic', false),
    'auth/digest/wrong-then-right': wrongThenRight('digest', 'Digest', false),
    'auth/basic/wrong-then-right-later': wrongThenRight('basic', 'Basic', true),
    'auth/digest/wrong-then-right-later': wrongThenRight('digest', 'Digest', true),
    'auth/basic/no-handler': noHandler('basic'),
    'auth/digest/no-handler': noHandler('digest'),
    'auth/cancelled-later': testCancelledLater,
    'auth/session-handler': testSessionHandler,
    'auth/task-handler-wins': testTaskHandlerWins,
    'auth/cancel-task-while-asking': testCancelTheTaskWhileAsking,
});
