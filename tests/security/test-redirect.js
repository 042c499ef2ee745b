// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Redirects followed by Ladle itself, seen from GJS. Run with `gjs -m test-redirect.js`.

import {
    GLib, Ladle, Soup, assert, assertEqual, assertError, assertLocalhostIsLoopback, run, runTask,
} from './security-harness.js';

const CODES = [301, 302, 303, 307, 308];

// Records each hop as the handler saw it; may edit it; answers `answer`.
class RedirectHandler {
    constructor(task, {answer = true, edit = null} = {}) {
        this.calls = [];
        task.connect('redirect', (t, newRequest) => {
            const headers = {};
            newRequest.get_request_headers().foreach((name, value) => {
                headers[name.toLowerCase()] ??= value;
            });
            this.calls.push({
                method: newRequest.get_method(),
                uri: newRequest.get_uri().to_string(),
                headers,
                isCurrent: t.get_current_request() === newRequest,
            });
            if (edit)
                edit(newRequest);
            return answer;
        });
    }
}

function dataTask(session, method, uri, {headers = {}, body = null} = {}) {
    const message = Soup.Message.new(method, uri);
    for (const [name, value] of Object.entries(headers))
        message.get_request_headers().replace(name, value);
    if (body !== null)
        message.set_request_body_from_bytes('application/x-www-form-urlencoded', new GLib.Bytes(new TextEncoder().encode(body)));
    return session.create_data_task(message);
}

function testEveryStatusAcrossPorts({session, server}) {
    const a = server();
    const b = server();
    for (const code of CODES) {
        const target = b.uri('/echo');
        const start = a.redirectUri(code, target);
        const task = session.create_data_task_for_uri(start);
        const handler = new RedirectHandler(task);
        const r = runTask(task);

        assertEqual(r.error, null, `${code} error:`);
        assertEqual(r.status, 200, `${code} status:`);
        assertEqual(handler.calls.map(c => [c.method, c.uri, c.isCurrent]), [['GET', target, false]], `${code} hops:`);
        assertEqual(r.nCurrentRequest, 1, `${code} notify::current-request:`);
        assertEqual(task.get_original_request().get_uri().to_string(), start, `${code} original:`);
        assertEqual(task.get_current_request().get_uri().to_string(), target, `${code} current:`);
        assert(r.bodyLines().includes('method GET'), `${code}: not a GET at the second server`);
    }
    assertEqual(b.requests.map(q => q.method), CODES.map(() => 'GET'), 'methods at B:');
}

function testPostBecomesGet({session, server}) {
    const a = server();
    const b = server();
    for (const code of [301, 302, 303]) {
        const task = dataTask(session, 'POST', a.redirectUri(code, b.uri('/echo')),
            {headers: {'X-Custom': 'kept'}, body: 'name=value'});
        const handler = new RedirectHandler(task);
        const r = runTask(task);

        assertEqual(r.status, 200, `${code} status:`);
        const hop = handler.calls[0];
        assertEqual(hop.method, 'GET', `${code} method:`);
        assertEqual(hop.headers['content-type'], undefined, `${code} Content-Type:`);
        assertEqual(hop.headers['content-length'], undefined, `${code} Content-Length:`);
        assertEqual(hop.headers['x-custom'], 'kept', `${code} X-Custom:`);
        const seen = b.requests[b.requests.length - 1];
        assertEqual([seen.method, seen.bodyLength, seen.headers['content-type']], ['GET', 0, undefined], `${code} at B:`);
    }
}

function testPost307And308AreFinal({session, server}) {
    const a = server();
    const b = server();
    for (const code of [307, 308]) {
        const task = dataTask(session, 'POST', a.redirectUri(code, b.uri('/echo')), {body: 'name=value'});
        const handler = new RedirectHandler(task);
        const r = runTask(task);

        assertEqual(r.error, null, `${code} error:`);
        assertEqual(r.status, code, `${code} status:`);
        assertEqual(r.body, 'redirect body', `${code} body:`);
        assertEqual(handler.calls.length, 0, `${code} handler calls:`);
    }
    assertEqual(b.requests.length, 0, 'requests at B:');
}

function testHandlerEditsTheNewRequest({session, server}) {
    const a = server();
    const b = server();
    const edited = b.uri('/echo');
    const task = session.create_data_task_for_uri(a.redirectUri(302, b.uri('/ok')));
    new RedirectHandler(task, {
        edit: request => {
            request.get_request_headers().replace('X-Added', 'yes');
            request.set_uri(GLib.Uri.parse(edited, Soup.HTTP_URI_FLAGS));
        },
    });
    const r = runTask(task);

    assertEqual(r.status, 200, 'status:');
    assert(r.bodyLines().includes('header X-Added: yes'), 'B did not echo the added header');
    assertEqual(b.requests.map(q => q.path), ['/echo'], 'paths at B:');
    assertEqual(task.get_current_request().get_uri().to_string(), edited, 'current request:');
}

function testRefusedRedirectIsFinal({session, server}) {
    const a = server();
    const b = server();
    for (const code of CODES) {
        const target = b.uri('/echo');
        const task = session.create_data_task_for_uri(a.redirectUri(code, target));
        const handler = new RedirectHandler(task, {answer: false});
        const r = runTask(task);

        assertEqual(r.error, null, `${code} error:`);
        assertEqual(r.status, code, `${code} status:`);
        assertEqual(r.nResponse, 1, `${code} responses:`);
        assertEqual(r.nCurrentRequest, 0, `${code} notify::current-request:`);
        assertEqual(r.body, 'redirect body', `${code} body:`);
        assertEqual(task.get_response_headers().get_one('Location'), target, `${code} Location:`);
        assertEqual(handler.calls.length, 1, `${code} handler calls:`);
    }
    assertEqual(b.requests.length, 0, 'requests at B:');
}

function testOneRefusalWins({session, server}) {
    const a = server();
    const b = server();
    const task = session.create_data_task_for_uri(a.redirectUri(302, b.uri('/echo')));
    new RedirectHandler(task, {answer: true});
    new RedirectHandler(task, {answer: false});
    new RedirectHandler(task, {answer: true});
    const r = runTask(task);

    assertEqual(r.status, 302, 'status:');
    assertEqual(b.requests.length, 0, 'requests at B:');
}

function testRedirectLoop({session, server}) {
    const a = server();
    for (const limit of [null, 2]) {
        const before = a.requests.length;
        const task = session.create_data_task_for_uri(a.uri('/loop'));
        if (limit !== null)
            task.set_max_redirects(limit);
        const expected = limit ?? 20;
        const handler = new RedirectHandler(task);
        const r = runTask(task);

        assertError(r.error, Ladle.Error, Ladle.Error.TOO_MANY_REDIRECTS);
        assertEqual(handler.calls.length, expected, `limit ${expected}, handler calls:`);
        assertEqual(a.requests.length - before, expected + 1, `limit ${expected}, requests:`);
    }
}

function testRedirectToFile({session, server}) {
    const a = server();
    for (const target of ['file:///etc/passwd', 'ftp://127.0.0.1/file']) {
        const task = session.create_data_task_for_uri(a.redirectUri(302, target));
        const handler = new RedirectHandler(task);
        const r = runTask(task);

        assertError(r.error, Ladle.Error, Ladle.Error.UNSUPPORTED_REDIRECT);
        assertEqual(handler.calls.length, 0, `${target}, handler calls:`);
    }
}

const CREDENTIALS = {
    'Authorization': 'Bearer secret-token',
    'Cookie': 'session=secret-cookie',
    'Proxy-Authorization': 'Basic cHJveHk6c2VjcmV0',
};

function credentialsTest(change) {
    return ({session, server, certs}) => {
        const certificate = change === 'downgrade' ? certs.load(certs.selfSigned, certs.selfSignedKey) : null;
        const a = server({certificate});
        const b = server();
        let target, second;
        if (change === 'port' || change === 'downgrade') {
            [target, second] = [b.uri('/echo'), b];
        } else if (change === 'host') {
            assertLocalhostIsLoopback();
            [target, second] = [a.uri('/echo', 'localhost'), a];
        } else {
            [target, second] = [a.uri('/echo'), a];
        }
        const kept = change === 'same-origin';

        for (const [name, value] of Object.entries(CREDENTIALS)) {
            const message = Soup.Message.new('GET', a.redirectUri(302, target));
            message.get_request_headers().replace(name, value);
            message.get_request_headers().replace('X-Custom', 'kept');
            // The session's cookie jar replaces an application's own Cookie header unless disabled.
            message.disable_feature(Soup.CookieJar);
            const task = session.create_data_task(message);
            const handler = new RedirectHandler(task);
            if (certificate)
                task.connect('accept-certificate', () => true);
            const r = runTask(task);

            assertEqual(r.status, 200, `${name} status:`);
            const key = name.toLowerCase();
            assertEqual(a.requests[a.requests.length - (second === a ? 2 : 1)].headers[key], value, `${name} at A:`);
            const hop = second.requests[second.requests.length - 1];
            assertEqual(hop.path, '/echo', `${name} hop path:`);
            assertEqual(hop.headers['x-custom'], 'kept', `${name} X-Custom at the hop:`);
            assertEqual(handler.calls[0].headers[key], kept ? value : undefined, `${name} seen by the handler:`);
            assertEqual(hop.headers[key], kept ? value : undefined, `${name} at the hop:`);
        }
    };
}

run({
    'redirect/every-status-across-ports': testEveryStatusAcrossPorts,
    'redirect/post-becomes-get': testPostBecomesGet,
    'redirect/post-307-308-final': testPost307And308AreFinal,
    'redirect/handler-edits-request': testHandlerEditsTheNewRequest,
    'redirect/refused-is-final': testRefusedRedirectIsFinal,
    'redirect/one-refusal-wins': testOneRefusalWins,
    'redirect/loop': testRedirectLoop,
    'redirect/file-scheme': testRedirectToFile,
    'redirect/credentials/port-change': credentialsTest('port'),
    'redirect/credentials/host-change': credentialsTest('host'),
    'redirect/credentials/https-to-http': credentialsTest('downgrade'),
    'redirect/credentials/same-origin': credentialsTest('same-origin'),
});
