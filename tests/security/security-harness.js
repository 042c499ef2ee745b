// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the GJS redirect, authentication and TLS tests share: assertions, certificates made by
// openssl at test time, an in-process Soup.Server on 127.0.0.1 (plain or HTTPS, HTTP/1.1 or
// HTTP/2) that records what it was sent, a runner that drives one task to its completion, and a
// TAP test runner. Client and server share the default main context: nothing blocks.
//
// The server's paths are those of security-util.h: /ok, /echo, /redirect/CODE?to=URL, /loop,
// /basic/REST and /digest/REST (user "user", password "secret"), /hold.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Soup from 'gi://Soup?version=3.0';
import Ladle from 'gi://Ladle?version=1';

import {AssertionError, assert, assertError, flush as flushAll, runTap, runUntil} from '../gjs/harness.js';

export {AssertionError, assert, assertError, runUntil};

export {GLib, Gio, Soup, Ladle};

export const USER = 'user';
export const PASSWORD = 'secret';

// Arrays and objects compare by value here (JSON), unlike the harness's strict assertEqual.
export function assertEqual(actual, expected, message = '') {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    if (a !== e)
        throw new AssertionError(`${message} expected ${e}, got ${a}`);
}

export function assertTlsRejected(run) {
    assertError(run.error, Gio.TlsError, Gio.TlsError.BAD_CERTIFICATE);
    assertEqual(run.status, 0, 'status:');
    assertEqual(run.nResponse, 0, 'responses:');
}

function flush() {
    flushAll(1000);
}

// Certificates

export class Certs {
    constructor() {
        this.dir = GLib.dir_make_tmp('ladle-security-XXXXXX');
        [this.selfSigned, this.selfSignedKey] = this._selfSigned('self-signed');
        [this.other, this.otherKey] = this._selfSigned('other');
        this._openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
            '-subj', '/CN=Ladle Test CA',
            '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
            '-keyout', 'ca-key.pem', '-out', 'ca.pem');
        this._openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
            '-keyout', 'leaf-key.pem', '-out', 'leaf.csr');
        GLib.file_set_contents(this._path('leaf.ext'),
            'basicConstraints=CA:FALSE\n' +
            'keyUsage=critical,digitalSignature,keyEncipherment\n' +
            'extendedKeyUsage=serverAuth\n' +
            'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
        this._openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem',
            '-set_serial', '4242', '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.pem');
        this.ca = this._path('ca.pem');
        this.leaf = this._path('leaf.pem');
        this.leafKey = this._path('leaf-key.pem');
    }

    _path(name) {
        return GLib.build_filenamev([this.dir, name]);
    }

    _openssl(...args) {
        const launcher = new Gio.SubprocessLauncher({
            flags: Gio.SubprocessFlags.STDOUT_SILENCE | Gio.SubprocessFlags.STDERR_SILENCE,
        });
        launcher.set_cwd(this.dir);
        const process = launcher.spawnv(['openssl', ...args]);
        process.wait_check(null);
    }

    // The command the issue names, into the temporary directory.
    _selfSigned(name) {
        this._openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
            '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
            '-keyout', `${name}-key.pem`, '-out', `${name}.pem`);
        return [this._path(`${name}.pem`), this._path(`${name}-key.pem`)];
    }

    load(cert, key) {
        return Gio.TlsCertificate.new_from_files(cert, key);
    }

    remove() {
        const dir = Gio.File.new_for_path(this.dir);
        const children = dir.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NONE, null);
        let info;
        while ((info = children.next_file(null)) !== null)
            dir.get_child(info.get_name()).delete(null);
        dir.delete(null);
    }
}

// Server

function headersOf(soupHeaders) {
    const headers = {};
    soupHeaders.foreach((name, value) => {
        headers[name.toLowerCase()] ??= value;
    });
    return headers;
}

const encoder = new TextEncoder();

export class Server {
    constructor({certificate = null, http2 = false} = {}) {
        this.requests = [];
        this.held = [];
        this.tls = certificate !== null;
        if (http2)
            GLib.setenv('SOUP_SERVER_HTTP2', '1', true);  // read when the server is created
        try {
            this.server = certificate ? new Soup.Server({tls_certificate: certificate}) : new Soup.Server({});
        } finally {
            GLib.unsetenv('SOUP_SERVER_HTTP2');
        }
        this.server.add_handler(null, (server, msg, path, query) => this._handle(msg, path, query));
        this.server.connect('request-read', (server, msg) => {
            // Before any handler or auth domain answers: recorded before the client sees a response.
            const body = msg.get_request_body().flatten();
            this.requests.push({
                method: msg.get_method(),
                path: msg.get_uri().get_path(),
                headers: headersOf(msg.get_request_headers()),
                bodyLength: body ? body.get_size() : 0,
                httpVersion: msg.get_http_version(),
            });
        });

        const basic = new Soup.AuthDomainBasic({realm: 'ladle-basic'});
        basic.set_auth_callback((domain, msg, user, password) => user === USER && password === PASSWORD);
        basic.add_path('/basic');
        this.server.add_auth_domain(basic);

        const digest = new Soup.AuthDomainDigest({realm: 'ladle-digest'});
        digest.set_auth_callback((domain, msg, user) =>
            user === USER ? Soup.AuthDomainDigest.encode_password(user, 'ladle-digest', PASSWORD) : null);
        digest.add_path('/digest');
        this.server.add_auth_domain(digest);

        let options = Soup.ServerListenOptions.IPV4_ONLY;
        if (this.tls)
            options |= Soup.ServerListenOptions.HTTPS;
        this.server.listen_local(0, options);
        this.port = this.server.get_uris()[0].get_port();
    }

    uri(path, host = '127.0.0.1') {
        return `${this.tls ? 'https' : 'http'}://${host}:${this.port}${path}`;
    }

    redirectUri(code, target) {
        return this.uri(`/redirect/${code}?to=${GLib.Uri.escape_string(target, null, false)}`);
    }

    release() {
        for (const msg of this.held) {
            msg.set_status(200, null);
            msg.set_response('text/plain', Soup.MemoryUse.COPY, encoder.encode('held'));
            msg.unpause();
        }
        this.held = [];
    }

    close() {
        this.release();
        this.server.disconnect();
        flush();
    }

    _handle(msg, path, query) {
        if (path.startsWith('/basic/') || path.startsWith('/digest/')) {
            const rest = path.slice(path.indexOf('/', 1));
            path = rest === '/ok' || rest.startsWith('/redirect/') ? rest : '/echo';
        }

        if (path === '/ok') {
            msg.set_status(200, null);
            msg.set_response('text/plain', Soup.MemoryUse.COPY, encoder.encode('ok'));
        } else if (path === '/echo') {
            const lines = [`method ${msg.get_method()}`, `path ${msg.get_uri().get_path()}`];
            msg.get_request_headers().foreach((name, value) => lines.push(`header ${name}: ${value}`));
            const body = msg.get_request_body().flatten();
            lines.push(`body-length ${body ? body.get_size() : 0}`);
            msg.set_status(200, null);
            msg.set_response('text/plain', Soup.MemoryUse.COPY, encoder.encode(`${lines.join('\n')}\n`));
        } else if (path.startsWith('/redirect/')) {
            msg.set_status(parseInt(path.split('/')[2]), null);
            if (query && query['to'])
                msg.get_response_headers().replace('Location', query['to']);
            msg.set_response('text/plain', Soup.MemoryUse.COPY, encoder.encode('redirect body'));
        } else if (path === '/loop') {
            msg.set_redirect(302, '/loop');
        } else if (path === '/hold') {
            msg.pause();
            this.held.push(msg);
        } else {
            msg.set_status(404, null);
        }
    }
}

export function newSession({tlsDatabase = null, proxyResolver = null} = {}) {
    const configuration = Ladle.SessionConfiguration.new_ephemeral();
    if (tlsDatabase !== null)
        configuration.set_tls_database(tlsDatabase);
    if (proxyResolver !== null)
        configuration.set_proxy_resolver(proxyResolver);
    return Ladle.Session.new(configuration);
}

// Running a task. Handlers only record: assertions run outside signal emissions, where a thrown
// error reaches the test.

const decoder = new TextDecoder();

export class Run {
    constructor(task) {
        this.task = task;
        this.done = false;
        this.nCompleted = 0;
        this.nResponse = 0;
        this.nCurrentRequest = 0;
        this.error = null;
        this.status = null;
        this.body = null;
        this._ids = [
            task.connect('completed', (t, error) => {
                this.nCompleted++;
                this.done = true;
                this.error = error;
                this.status = t.get_status_code();
                const body = t.dup_body();
                this.body = body ? decoder.decode(body.toArray()) : null;
            }),
            task.connect('response', () => {
                this.nResponse++;
                return Ladle.ResponseDisposition.ALLOW;
            }),
            task.connect('notify::current-request', () => {
                this.nCurrentRequest++;
            }),
        ];
    }

    start() {
        this.task.resume();
        return this;
    }

    wait() {
        runUntil(() => this.done, 'the task\'s completion');
        flush();
        assertEqual(this.nCompleted, 1, 'completed emissions:');
        assertEqual(this.task.get_state(), Ladle.TaskState.COMPLETED, 'state:');
        for (const id of this._ids)
            this.task.disconnect(id);
        return this;
    }

    bodyLines() {
        return (this.body ?? '').split('\n');
    }

    httpVersion() {
        return this.task.get_current_request().get_http_version();
    }
}

export function runTask(task) {
    return new Run(task).start().wait();
}

export function assertLocalhostIsLoopback() {
    const addresses = Gio.Resolver.get_default().lookup_by_name('localhost', null);
    assert(addresses.some(a => a.to_string() === '127.0.0.1'), 'localhost is not 127.0.0.1');
    for (const address of addresses)
        assert(address.get_is_loopback(), `localhost resolves to ${address.to_string()}`);
}

// The runner: each test gets a fresh session and a way to make servers, all closed after it.
// Prints TAP; the exit status is 1 when a test failed.

export function run(tests) {
    const certs = new Certs();

    runTap(Object.entries(tests), {
        setUp: () => {
            const servers = [];
            return {
                certs,
                servers,
                session: newSession(),
                server: options => {
                    const server = new Server(options);
                    servers.push(server);
                    return server;
                },
            };
        },
        tearDown: ({servers}) => {
            for (const server of servers)
                server.close();
        },
        atEnd: () => certs.remove(),
    });
}
