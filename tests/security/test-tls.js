// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// TLS trust, seen from GJS, over HTTP/1.1 and HTTP/2. Run with `gjs -m test-tls.js`.

import {
    Gio, PASSWORD, Run, Soup, USER, assert, assertEqual, assertLocalhostIsLoopback, assertTlsRejected,
    newSession, run, runTask, runUntil,
} from './security-harness.js';

const VERSIONS = {http1: Soup.HTTPVersion.HTTP_1_1, http2: Soup.HTTPVersion.HTTP_2_0};

// Accepts `answer`, or only `pinned` when given; records what it was shown.
class CertHandler {
    constructor({answer = true, pinned = null, log = null, name = 't'} = {}) {
        this.answer = answer;
        this.pinned = pinned;
        this.log = log;
        this.name = name;
        this.calls = [];
        this.tasks = [];
    }

    decide(certificate, errors) {
        this.calls.push([certificate, errors]);
        if (this.log)
            this.log.push(this.name);
        return this.pinned ? this.pinned.is_same(certificate) : this.answer;
    }

    connectTask(task) {
        task.connect('accept-certificate', (t, certificate, errors) => this.decide(certificate, errors));
        return this;
    }

    connectSession(session) {
        session.connect('accept-certificate', (s, task, certificate, errors) => {
            this.tasks.push(task);
            return this.decide(certificate, errors);
        });
        return this;
    }
}

function assertOk(r, version) {
    assertEqual(r.error, null, 'error:');
    assertEqual(r.status, 200, 'status:');
    assertEqual(r.httpVersion(), VERSIONS[version], 'HTTP version:');
}

function tlsServer(server, certs, version) {
    return server({certificate: certs.load(certs.selfSigned, certs.selfSignedKey), http2: version === 'http2'});
}

function tests(version) {
    return {
        [`tls/${version}/no-handler`]: ({session, server, certs}) => {
            const s = tlsServer(server, certs, version);
            assertTlsRejected(runTask(session.create_data_task_for_uri(s.uri('/ok'))));
            assertEqual(s.requests.length, 0, 'requests:');
        },

        [`tls/${version}/accept`]: ({session, server, certs}) => {
            const s = tlsServer(server, certs, version);
            const task = session.create_data_task_for_uri(s.uri('/echo'));
            const handler = new CertHandler().connectTask(task);
            const r = runTask(task);

            assertOk(r, version);
            const [certificate, errors] = handler.calls[0];
            assert(certificate.is_same(certs.load(certs.selfSigned, certs.selfSignedKey)), 'not the server\'s certificate');
            assert(errors & Gio.TlsCertificateFlags.UNKNOWN_CA, 'UNKNOWN_CA not among the errors');
            assertEqual(s.requests.map(q => q.httpVersion), [VERSIONS[version]], 'HTTP version at the server:');
        },

        [`tls/${version}/task-b-after-task-a-accepted`]: ({session, server, certs}) => {
            const s = tlsServer(server, certs, version);
            const a = session.create_data_task_for_uri(s.uri('/ok'));
            new CertHandler().connectTask(a);
            assertOk(runTask(a), version);

            assertTlsRejected(runTask(session.create_data_task_for_uri(s.uri('/ok'))));

            const c = session.create_data_task_for_uri(s.uri('/ok'));
            const handler = new CertHandler().connectTask(c);
            assertOk(runTask(c), version);
            assert(handler.calls.length > 0, 'task C was not asked');
            assertEqual(s.requests.length, 2, 'requests:');
        },

        [`tls/${version}/task-b-while-task-a-in-flight`]: ({session, server, certs}) => {
            const s = tlsServer(server, certs, version);
            const a = session.create_data_task_for_uri(s.uri('/hold'));
            new CertHandler().connectTask(a);
            const runA = new Run(a).start();
            runUntil(() => s.held.length > 0, 'the held request');

            assertTlsRejected(runTask(session.create_data_task_for_uri(s.uri('/ok'))));

            assert(!runA.done, 'task A completed too early');
            s.release();
            runA.wait();
            assertOk(runA, version);
            assertEqual(runA.body, 'held', 'body of A:');
        },

        [`tls/${version}/pinned`]: ({session, server, certs}) => {
            const s = tlsServer(server, certs, version);
            const wrong = session.create_data_task_for_uri(s.uri('/ok'));
            new CertHandler({pinned: Gio.TlsCertificate.new_from_file(certs.other)}).connectTask(wrong);
            assertTlsRejected(runTask(wrong));

            const right = session.create_data_task_for_uri(s.uri('/ok'));
            new CertHandler({pinned: Gio.TlsCertificate.new_from_file(certs.selfSigned)}).connectTask(right);
            assertOk(runTask(right), version);
        },

        [`tls/${version}/session-handler`]: ({session, server, certs}) => {
            const s = tlsServer(server, certs, version);
            const log = [];
            const task = session.create_data_task_for_uri(s.uri('/ok'));
            new CertHandler({answer: false, log, name: 't'}).connectTask(task);
            const sessionHandler = new CertHandler({log, name: 's'}).connectSession(session);
            assertOk(runTask(task), version);
            assertEqual(log.slice(0, 2), ['t', 's'], 'order:');
            assert(sessionHandler.tasks[0] === task, 'the session handler was not told the task');
        },

        [`tls/${version}/tls-database`]: ({server, certs}) => {
            const s = server({certificate: certs.load(certs.leaf, certs.leafKey), http2: version === 'http2'});
            const trusting = newSession({tlsDatabase: Gio.TlsFileDatabase.new(certs.ca)});
            const handler = new CertHandler({answer: false}).connectSession(trusting);
            assertLocalhostIsLoopback();
            for (const host of ['127.0.0.1', 'localhost']) {
                const task = trusting.create_data_task_for_uri(s.uri('/ok', host));
                handler.connectTask(task);
                assertOk(runTask(task), version);
            }
            assertEqual(handler.calls.length, 0, 'handler calls:');

            const plain = newSession();
            assertTlsRejected(runTask(plain.create_data_task_for_uri(s.uri('/ok'))));
        },

        [`tls/${version}/redirect-and-auth`]: ({session, server, certs}) => {
            const a = tlsServer(server, certs, version);
            const b = tlsServer(server, certs, version);
            const target = b.uri('/basic/resource');
            const message = Soup.Message.new('GET', a.redirectUri(307, target));
            message.get_request_headers().replace('Authorization', 'Bearer for-a');
            const task = session.create_data_task(message);
            new CertHandler().connectTask(task);
            const hops = [];
            task.connect('redirect', (t, request) => {
                hops.push(request.get_uri().to_string());
                return true;
            });
            const retries = [];
            task.connect('authenticate', (t, auth, retrying) => {
                retries.push(retrying);
                auth.authenticate(USER, retrying ? PASSWORD : 'wrong');
                return true;
            });
            const r = runTask(task);

            assertOk(r, version);
            assertEqual(hops, [target], 'hops:');
            assertEqual(retries, [false, true], 'retrying:');
            assertEqual(b.requests.map(q => q.headers['authorization']?.split(' ')[0]), [undefined, 'Basic', 'Basic'],
                'Authorization at B:');
            assert([...a.requests, ...b.requests].every(q => q.httpVersion === VERSIONS[version]), 'HTTP version');
        },
    };
}

run({...tests('http1'), ...tests('http2')});
