// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Ladle.UploadTask from GJS, against an in-process Soup.Server on 127.0.0.1 that keeps every
// request body, checks it on the server side and parses multipart bodies with
// Soup.Multipart.new_from_message: bodies from bytes, a file, a stream and a form; resends after a
// 401 (a new session per case) and after 307/308; 303 turning the POST into a GET; streamed
// uploads without a stream; a file that changes between two sends; upload-progress; framing.
// Run with `gjs -m test-uploads.js`; prints TAP.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Soup from 'gi://Soup?version=3.0';
import Ladle from 'gi://Ladle?version=1';

import {assert, assertEqual, assertError, flush, runTap, runUntil} from '../gjs/harness.js';

const multiplier = parseInt(GLib.getenv('LADLE_TEST_TIMEOUT_MULTIPLIER') ?? '1') || 1;
const FAILSAFE_SECONDS = 30 * multiplier;
const USER = 'uploader';
const PASSWORD = 's3cret';
const REALM = 'ladle-uploads';

// Deterministic bytes, different for every seed (xorshift32).
function content(seed, length) {
    const data = new Uint8Array(length);
    let x = (seed * 2654435761 + 1) >>> 0;
    for (let i = 0; i < length; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        data[i] = x >>> 24;
    }
    return data;
}

function sha256(data) {
    return GLib.compute_checksum_for_bytes(GLib.ChecksumType.SHA256, data instanceof GLib.Bytes ? data : new GLib.Bytes(data));
}

function equalBytes(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i])
            return false;
    }
    return true;
}

const encoder = new TextEncoder();

class UploadServer {
    constructor() {
        this.requests = [];
        this.nStarted = 0;
        this.nFinished = 0;
        this.nUnauthorized = 0;
        this.server = new Soup.Server({});
        const domain = new Soup.AuthDomainBasic({realm: REALM});
        domain.set_auth_callback((d, msg, user, password) => user === USER && password === PASSWORD);
        domain.add_path('/auth');
        this.server.add_auth_domain(domain);
        this.server.add_handler('/upload', (server, msg, path) => this._upload(msg, path));
        this.server.add_handler('/auth/upload', (server, msg, path) => this._upload(msg, path));
        this.server.add_handler('/redirect', (server, msg, path, query) => {
            this._record(msg, path);
            msg.set_redirect(parseInt(path.slice('/redirect/'.length)), query['to']);
        });
        this.server.connect('request-started', () => this.nStarted++);
        this.server.connect('request-finished', (server, msg) => {
            this.nFinished++;
            if (msg.get_status() === Soup.Status.UNAUTHORIZED)
                this.nUnauthorized++;
        });
        this.server.connect('request-aborted', () => this.nFinished++);
        this.server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY);
        const uri = this.server.get_uris()[0];
        assertEqual(uri.get_host(), '127.0.0.1');
        this.port = uri.get_port();
    }

    uri(path) {
        return `http://127.0.0.1:${this.port}${path}`;
    }

    _record(msg, path) {
        const headers = msg.get_request_headers();
        const copy = new Soup.MessageHeaders(Soup.MessageHeadersType.REQUEST);
        headers.foreach((name, value) => copy.append(name, value));
        const bodyBytes = msg.get_request_body().flatten();
        const request = {
            method: msg.get_method(),
            path,
            headers: copy,
            bodyBytes,
            body: bodyBytes.toArray(),
            encoding: headers.get_encoding(),
            contentLength: headers.get_encoding() === Soup.Encoding.CONTENT_LENGTH ? headers.get_content_length() : null,
            sha256: sha256(bodyBytes),
        };
        this.requests.push(request);
        return request;
    }

    _upload(msg, path) {
        const request = this._record(msg, path);
        msg.set_status(200, null);
        msg.set_response('text/plain', Soup.MemoryUse.COPY, encoder.encode(`${request.body.length} ${request.sha256}\n`));
    }

    waitIdle() {
        runUntil(() => this.nFinished >= this.nStarted, 'the server finishing its requests');
    }

    close() {
        this.server.disconnect();
        flush();
    }
}

class Run {
    constructor(task, {streamContent = null, authenticate = false, nullStreamAt = 0, onAuthenticate = null} = {}) {
        this.task = task;
        this.events = '';
        this.progress = [];
        this.nNeedBodyStream = 0;
        this.nCompleted = 0;
        this.error = null;
        this._ids = [];
        if (task instanceof Ladle.UploadTask) {
            this._ids.push(task.connect('need-body-stream', () => {
                this.nNeedBodyStream++;
                this.events += 'N';
                if (streamContent === null || this.nNeedBodyStream === nullStreamAt)
                    return null;
                return Gio.MemoryInputStream.new_from_bytes(new GLib.Bytes(streamContent));
            }));
        }
        this._ids.push(task.connect('authenticate', (t, auth, retrying) => {
            this.events += 'A';
            if (!authenticate || retrying)
                return false;
            if (onAuthenticate)
                onAuthenticate();
            auth.authenticate(USER, PASSWORD);
            return true;
        }));
        this._ids.push(task.connect('redirect', () => {
            this.events += 'X';
            return true;
        }));
        this._ids.push(task.connect('response', () => {
            this.events += 'R';
            return Ladle.ResponseDisposition.ALLOW;
        }));
        this._ids.push(task.connect('upload-progress', (t, now, total, expected) => {
            this.progress.push([now, total, expected]);
        }));
        this._ids.push(task.connect('completed', (t, error) => {
            this.events += 'C';
            this.nCompleted++;
            this.error = error;
        }));
    }

    run() {
        this.task.resume();
        runUntil(() => this.nCompleted > 0, 'the upload completing');
        flush();
        assertEqual(this.nCompleted, 1, 'completed exactly once:');
        assertEqual(this.task.get_state(), Ladle.TaskState.COMPLETED, 'state:');
        for (const id of this._ids)
            this.task.disconnect(id);
        return this;
    }

    assertProgress(expected) {
        assert(this.progress.length > 0, 'no upload-progress at all');
        let total = 0;
        for (const [now, totalSent, totalExpected] of this.progress) {
            assert(now > 0, `sent_now ${now} > 0`);
            assertEqual(totalSent, total + now, 'total_sent:');
            assertEqual(totalExpected, expected, 'total_expected:');
            total = totalSent;
        }
        if (expected >= 0)
            assertEqual(total, expected, 'final total_sent:');
        assertEqual(this.task.get_bytes_sent(), total, 'bytes-sent:');
        assertEqual(this.task.get_bytes_expected_to_send(), expected, 'bytes-expected-to-send:');
    }

    assertResponse(data) {
        const body = new TextDecoder().decode(this.task.dup_body().toArray());
        assertEqual(body, `${data.length} ${sha256(data)}\n`, 'response body:');
    }
}

const tmpDir = GLib.dir_make_tmp('ladle-uploads-gjs-XXXXXX');

function readStream(stream) {
    const chunks = [];
    let length = 0;
    for (;;) {
        const chunk = stream.read_bytes(65536, null).toArray();
        if (chunk.length === 0)
            break;
        chunks.push(chunk);
        length += chunk.length;
    }
    stream.close(null);
    const out = new Uint8Array(length);
    let offset = 0;
    for (const chunk of chunks) {
        out.set(chunk, offset);
        offset += chunk.length;
    }
    return out;
}

class Body {
    constructor(kind) {
        this.kind = kind;
        this.filePath = null;
        this.form = null;
        this.parts = [];
        this.factoryCalls = 0;
    }

    get streamed() {
        return this.kind === 'streamed' || this.kind === 'streamed-length';
    }

    get chunked() {
        return this.kind === 'streamed';
    }

    get expectedTotal() {
        return this.chunked ? -1 : this.content.length;
    }

    createTask(session, method, uri) {
        const message = Soup.Message.new(method, uri);
        const headers = message.get_request_headers();
        switch (this.kind) {
        case 'bytes':
            this.content = content(1, 1000 * 1000 + 1);
            headers.replace('Content-Type', 'application/x-bytes');
            return session.create_upload_task_from_bytes(message, new GLib.Bytes(this.content));
        case 'file':
            this.content = content(2, 2 * 1000 * 1000 + 11);
            this.filePath = GLib.build_filenamev([tmpDir, 'upload.bin']);
            GLib.file_set_contents(this.filePath, this.content);
            return session.create_upload_task_from_file(message, Gio.File.new_for_path(this.filePath));
        case 'streamed':
            this.content = content(3, 800 * 1000 + 5);
            return session.create_upload_task_streamed(message);
        case 'streamed-length':
            this.content = content(4, 800 * 1000 + 9);
            headers.set_content_length(this.content.length);
            return session.create_upload_task_streamed(message);
        case 'form':
            this._makeForm();
            return session.create_upload_task_from_form(message, this.form);
        }
        throw new AssertionError(`unknown kind ${this.kind}`);
    }

    _makeForm() {
        const fileData = content(21, 700 * 1000 + 3);
        const streamData = content(22, 300 * 1000 + 7);
        const title = 'Ladle upload test — ünïcödé';
        this.filePath = GLib.build_filenamev([tmpDir, 'form-file.bin']);
        GLib.file_set_contents(this.filePath, fileData);

        const form = Ladle.MultipartForm.new();
        form.append_text('title', title);
        form.append_text('empty', '');
        form.append_bytes('blob', 'blob.dat', 'application/x-test', new GLib.Bytes(streamData));
        form.append_file('document', Gio.File.new_for_path(this.filePath), 'report.bin',
            'application/octet-stream', null);
        form.append_stream('stream', 'stream.txt', 'text/plain', streamData.length, () => {
            this.factoryCalls++;
            return Gio.MemoryInputStream.new_from_bytes(new GLib.Bytes(streamData));
        });
        this.form = form;
        this.parts = [
            ['title', null, null, encoder.encode(title)],
            ['empty', null, null, new Uint8Array(0)],
            ['blob', 'blob.dat', 'application/x-test', streamData],
            ['document', 'report.bin', 'application/octet-stream', fileData],
            ['stream', 'stream.txt', 'text/plain', streamData],
        ];
        // What the form sends, read once here; only the sends are counted afterwards.
        this.content = readStream(form.new_stream());
        this.factoryCalls = 0;
    }

    changeFile(grow) {
        const [, data] = GLib.file_get_contents(this.filePath);
        let changed;
        if (grow) {
            changed = new Uint8Array(data.length + 10);
            changed.set(data);
            changed.fill(120, data.length);
        } else {
            changed = data.slice(0, data.length - 10);
        }
        GLib.file_set_contents(this.filePath, changed);
    }

    assertReceived(request, method = 'POST') {
        assertEqual(request.method, method, 'method:');
        assertEqual(request.body.length, this.content.length, 'length on the server:');
        assertEqual(request.sha256, sha256(this.content), 'sha256 on the server:');
        if (this.chunked) {
            assertEqual(request.encoding, Soup.Encoding.CHUNKED, 'encoding:');
        } else {
            assertEqual(request.encoding, Soup.Encoding.CONTENT_LENGTH, 'encoding:');
            assertEqual(request.contentLength, this.content.length, 'Content-Length:');
        }
        if (this.kind === 'form')
            this._assertForm(request);
    }

    _assertForm(request) {
        const contentType = request.headers.get_one('Content-Type');
        assertEqual(contentType, this.form.get_content_type(), 'Content-Type:');
        assertEqual(contentType, `multipart/form-data; boundary=${this.form.get_boundary()}`, 'Content-Type:');
        assertEqual(request.contentLength, this.form.get_content_length(), 'Content-Length:');
        const multipart = Soup.Multipart.new_from_message(request.headers, request.bodyBytes);
        assert(multipart !== null, 'libsoup could not parse the multipart body');
        assertEqual(multipart.get_length(), this.parts.length, 'number of parts:');
        this.parts.forEach(([name, filename, type, data], index) => {
            const [ok, headers, body] = multipart.get_part(index);
            assert(ok, `part ${index}`);
            const [dispositionOk, disposition, params] = headers.get_content_disposition();
            assert(dispositionOk, `part ${index} has a Content-Disposition`);
            assertEqual(disposition, 'form-data', 'disposition:');
            assertEqual(params['name'], name, 'name:');
            assertEqual(params['filename'] ?? null, filename, 'filename:');
            const [partType] = headers.get_content_type();
            assertEqual(partType, type, 'part content type:');
            assert(equalBytes(body.toArray(), data), `part ${name}: bytes differ`);
        });
    }
}

function newSession() {
    // A new session for every test: Basic credentials are cached per session.
    return Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral());
}

const KINDS = ['bytes', 'file', 'streamed', 'streamed-length', 'form'];
const tests = [];

for (const kind of KINDS) {
    tests.push([`post ${kind}`, (server, session) => {
        const body = new Body(kind);
        const task = body.createTask(session, 'POST', server.uri('/upload'));
        // libsoup emits wrote-body-data only for body blocks it writes itself: Ladle copies a
        // large body of known size to the connection, libsoup writes a chunked one.
        let soupWrites = 0;
        task.get_current_request().connect('wrote-body-data', () => soupWrites++);
        const run = new Run(task, {streamContent: body.streamed ? body.content : null}).run();

        assertEqual(run.error, null, 'error:');
        assertEqual(task.get_status_code(), 200, 'status:');
        if (kind === 'streamed')
            assert(soupWrites > 0, `libsoup wrote the chunked body (${soupWrites} writes)`);
        else
            assertEqual(soupWrites, 0, 'blocks written by libsoup:');
        server.waitIdle();
        assertEqual(server.requests.length, 1, 'requests:');
        body.assertReceived(server.requests[0]);
        run.assertProgress(body.expectedTotal);
        run.assertResponse(body.content);
        assertEqual(run.events, body.streamed ? 'NRC' : 'RC', 'events:');
        if (kind === 'form')
            assertEqual(body.factoryCalls, 1, 'factory calls:');
    }]);
}

for (const kind of KINDS) {
    tests.push([`401 then resend ${kind}`, (server, session) => {
        const body = new Body(kind);
        const task = body.createTask(session, 'POST', server.uri('/auth/upload'));
        const run = new Run(task, {streamContent: body.streamed ? body.content : null, authenticate: true}).run();

        assertEqual(run.error, null, 'error:');
        assertEqual(task.get_status_code(), 200, 'status:');
        server.waitIdle();
        assertEqual(server.nUnauthorized, 1, '401 responses:');
        assertEqual(server.requests.length, 1, 'requests:');
        body.assertReceived(server.requests[0]);
        assert(server.requests[0].headers.get_one('Authorization').startsWith('Basic '), 'Authorization');
        assertEqual(run.nNeedBodyStream, body.streamed ? 2 : 0, 'need-body-stream:');
        assertEqual(run.events, body.streamed ? 'NANRC' : 'ARC', 'events:');
        if (kind === 'form')
            assertEqual(body.factoryCalls, 2, 'factory calls:');
        run.assertProgress(body.expectedTotal);
        run.assertResponse(body.content);
    }]);
}

for (const status of [307, 308]) {
    for (const kind of ['bytes', 'file', 'streamed', 'form']) {
        tests.push([`${status} resends ${kind}`, (server, session) => {
            const body = new Body(kind);
            const task = body.createTask(session, 'POST', server.uri(`/redirect/${status}?to=/upload`));
            const run = new Run(task, {streamContent: body.streamed ? body.content : null}).run();

            assertEqual(run.error, null, 'error:');
            assertEqual(task.get_status_code(), 200, 'status:');
            server.waitIdle();
            assertEqual(server.requests.map(r => r.path).join(' '), `/redirect/${status} /upload`, 'paths:');
            for (const request of server.requests)
                body.assertReceived(request);
            assertEqual(run.nNeedBodyStream, body.streamed ? 2 : 0, 'need-body-stream:');
            assertEqual(run.events, body.streamed ? 'NXNRC' : 'XRC', 'events:');
            assertEqual(run.progress[run.progress.length - 1][1], body.content.length, 'final total_sent:');
            run.assertResponse(body.content);
        }]);
    }
}

tests.push(['307 keeps upload-progress monotonic', (server, session) => {
    const data = content(10, 16 * 1024 * 1024 + 3);
    const path = GLib.build_filenamev([tmpDir, 'redirected.bin']);
    GLib.file_set_contents(path, data);
    const message = Soup.Message.new('PUT', server.uri('/redirect/307?to=/upload'));
    const task = session.create_upload_task_from_file(message, Gio.File.new_for_path(path));
    const run = new Run(task).run();
    GLib.unlink(path);

    assertEqual(run.error, null, 'error:');
    server.waitIdle();
    assertEqual(server.requests[1].sha256, sha256(data), 'sha256 at the second location:');
    run.assertProgress(data.length);
}]);

tests.push(['303 becomes a GET without body', (server, session) => {
    const body = new Body('form');
    const task = body.createTask(session, 'POST', server.uri('/redirect/303?to=/upload'));
    const run = new Run(task).run();

    assertEqual(run.error, null, 'error:');
    assertEqual(task.get_current_request().get_method(), 'GET', 'method of the last request:');
    server.waitIdle();
    assertEqual(server.requests.length, 2, 'requests:');
    body.assertReceived(server.requests[0]);
    const second = server.requests[1];
    assertEqual(second.method, 'GET', 'method:');
    assertEqual(second.body.length, 0, 'body length:');
    assertEqual(second.headers.get_one('Content-Type'), null, 'Content-Type:');
    assertEqual(second.headers.get_one('Transfer-Encoding'), null, 'Transfer-Encoding:');
    assert([null, '0'].includes(second.headers.get_one('Content-Length')), 'no Content-Length');
    run.assertResponse(new Uint8Array(0));
}]);

tests.push(['streamed upload without a handler fails', (server, session) => {
    const message = Soup.Message.new('POST', server.uri('/upload'));
    const task = session.create_upload_task_streamed(message);
    let error;
    let done = false;
    task.connect('completed', (t, e) => {
        error = e;
        done = true;
    });
    task.resume();
    runUntil(() => done, 'the upload completing');
    assertError(error, Ladle.Error, Ladle.Error.NO_BODY_STREAM);
    server.waitIdle();
    assertEqual(server.requests.length, 0, 'requests:');
}]);

tests.push(['streamed upload without a stream for the resend fails', (server, session) => {
    const body = new Body('streamed');
    const task = body.createTask(session, 'POST', server.uri('/auth/upload'));
    const run = new Run(task, {streamContent: body.content, authenticate: true, nullStreamAt: 2}).run();

    assertError(run.error, Ladle.Error, Ladle.Error.NO_BODY_STREAM);
    assertEqual(run.nNeedBodyStream, 2, 'need-body-stream:');
    assert(!run.events.includes('R'), `no response: ${run.events}`);
    server.waitIdle();
    assertEqual(server.requests.length, 0, 'requests:');
}]);

for (const kind of ['file', 'form']) {
    tests.push([`${kind} that grows between two sends fails`, (server, session) => {
        const body = new Body(kind);
        const task = body.createTask(session, 'POST', server.uri('/auth/upload'));
        const run = new Run(task, {authenticate: true, onAuthenticate: () => body.changeFile(true)}).run();

        assertError(run.error, Ladle.Error, Ladle.Error.BODY_CHANGED);
        server.waitIdle();
        assertEqual(server.nUnauthorized, 1, '401 responses:');
        assertEqual(server.requests.length, 0, 'requests:');
    }]);
}

// Each test gets a fresh server and session; the files it wrote go.
runTap(tests.map(([name, test]) => [name, ({server, session}) => test(server, session)]), {
    setUp: () => ({server: new UploadServer(), session: newSession()}),
    tearDown: ({server}) => {
        server.close();
        for (const name of ['upload.bin', 'form-file.bin']) {
            const path = GLib.build_filenamev([tmpDir, name]);
            if (GLib.file_test(path, GLib.FileTest.EXISTS))
                GLib.unlink(path);
        }
    },
    atEnd: () => GLib.rmdir(tmpDir),
    watchdogSeconds: FAILSAFE_SECONDS * (tests.length + 1),
});
