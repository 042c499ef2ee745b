// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Ladle.HttpClient from GJS with `await`, against PHP (json-api.php) and nginx. Run through the
// harness, which sets LADLE_PHP_URL, LADLE_NGINX_URL and LADLE_NGINX_ROOT:
//
//   servers.py run --nginx --php --php-script json-api.php -- gjs -m test-rest.js

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Json from 'gi://Json';
import Ladle from 'gi://Ladle?version=1';
import System from 'system';

const FAILSAFE_SECONDS = 60 * (parseInt(GLib.getenv('LADLE_TEST_TIMEOUT_MULTIPLIER') ?? '1') || 1);
const phpUrl = GLib.getenv('LADLE_PHP_URL');
const nginxUrl = GLib.getenv('LADLE_NGINX_URL');
const nginxRoot = GLib.getenv('LADLE_NGINX_ROOT');

function assert(condition, message) {
    if (!condition)
        throw new Error(message);
}

// JSON with the keys of every object sorted: objects compare whatever their member order.
function canonical(value) {
    return JSON.stringify(value, (key, v) => v !== null && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map(k => [k, v[k]])) : v);
}

function assertEqual(actual, expected, message = '') {
    const a = canonical(actual), e = canonical(expected);
    if (a !== e)
        throw new Error(`${message} expected ${e}, got ${a}`);
}

// The documented pattern: a promise for a request whose error carries the response.
function request(client, method, path, parameters = null) {
    const node = parameters === null ? null : Json.from_string(JSON.stringify(parameters));
    return new Promise((resolve, reject) => {
        client.request_async(method, path, node, null, (source, result) => {
            try {
                resolve(source.request_finish(result));
            } catch (e) {
                e.response = source.dup_response(result);
                reject(e);
            }
        });
    });
}

function uploadForm(client, method, path, form) {
    return new Promise((resolve, reject) => {
        client.upload_form_async(method, path, form, null, (source, result) => {
            try {
                resolve(source.upload_form_finish(result));
            } catch (e) {
                e.response = source.dup_response(result);
                reject(e);
            }
        });
    });
}

const parse = node => JSON.parse(Json.to_string(node, false));
const text = bytes => new TextDecoder().decode(bytes.get_data());

function newClient(base, serializer = Ladle.RequestSerializer.JSON) {
    const session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral());
    const client = Ladle.HttpClient.new(GLib.Uri.parse(base, GLib.UriFlags.NONE), session);
    client.request_serializer = serializer;
    return client;
}

async function rejected(promise) {
    try {
        await promise;
    } catch (e) {
        return e;
    }
    throw new Error('the request succeeded');
}

const PARAMS = {name: 'Zoë & co', n: 3, on: true};
const PARSED = {name: 'Zoë & co', n: '3', on: 'true'};

const tests = [
    ['query', async () => {
        const echo = parse(await request(newClient(`${phpUrl}/api/`), 'GET', 'items', PARAMS));
        assertEqual(echo.method, 'GET');
        assertEqual(echo.path, '/api/items');
        assertEqual(echo.query, PARSED, 'query:');
    }],
    ['json-body', async () => {
        const body = {list: [1, 'a', {b: null}]};
        const echo = parse(await request(newClient(`${phpUrl}/api/`), 'POST', 'users', body));
        assertEqual(echo.content_type, 'application/json');
        assertEqual(echo.json, body, 'json:');
    }],
    ['form-body', async () => {
        const client = newClient(`${phpUrl}/api/`, Ladle.RequestSerializer.FORM);
        const echo = parse(await request(client, 'POST', 'form', PARAMS));
        assertEqual(echo.content_type, 'application/x-www-form-urlencoded');
        assertEqual(echo.form, PARSED, 'form:');
    }],
    ['query-serializer', async () => {
        const client = newClient(`${phpUrl}/api/`, Ladle.RequestSerializer.QUERY);
        const echo = parse(await request(client, 'POST', 'search', PARAMS));
        assertEqual(echo.query, PARSED, 'query:');
        assertEqual(echo.raw, '', 'no body:');
    }],
    ['cannot-encode', async () => {
        const client = newClient(`${phpUrl}/api/`, Ladle.RequestSerializer.FORM);
        const error = await rejected(request(client, 'POST', 'x', {nested: {a: 1}}));
        assert(error.matches(Ladle.error_quark(), Ladle.Error.INVALID_REQUEST), `${error}`);
        assertEqual(error.response, null, 'no response:');
    }],
    ['unacceptable-status', async () => {
        const client = newClient(`${phpUrl}/api/`);
        client.set_default_header('X-Answer-Status', '422');
        const error = await rejected(request(client, 'POST', 'users', {name: ''}));
        assert(error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS), `${error}`);
        assertEqual(error.response.get_status(), 422);
        assertEqual(error.response.get_headers().get_one('Content-Type'), 'application/json');
        assertEqual(JSON.parse(text(error.response.get_body())).json, {name: ''});
    }],
    ['unacceptable-content-type', async () => {
        const client = newClient(`${phpUrl}/api/`);
        client.set_default_header('X-Answer-Type', 'TEXT/HTML; charset=utf-8');
        const error = await rejected(request(client, 'GET', 'page'));
        assert(error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_CONTENT_TYPE), `${error}`);
        assertEqual(error.response.get_content_type(), 'text/html');
        client.set_default_header('X-Answer-Type', 'application/problem+json');
        await request(client, 'GET', 'page');
    }],
    ['invalid-json', async () => {
        const client = newClient(`${phpUrl}/api/`);
        client.set_default_header('X-Answer-Body', '[1, 2');
        const error = await rejected(request(client, 'GET', 'broken'));
        assert(error.matches(Ladle.error_quark(), Ladle.Error.INVALID_JSON), `${error}`);
        assertEqual(text(error.response.get_body()), '[1, 2');
    }],
    ['no-content', async () => {
        const client = newClient(`${phpUrl}/api/`);
        client.set_default_header('X-Answer-Status', '204');
        const node = await request(client, 'DELETE', 'items/1');
        assertEqual(node.get_node_type(), Json.NodeType.NULL, 'a null node:');
    }],
    ['multipart', async () => {
        const dir = GLib.dir_make_tmp('ladle-rest-XXXXXX');
        const first = new Uint8Array(300000).map((_, i) => (i * 7) & 0xff);
        const second = new TextEncoder().encode('second file\n'.repeat(1000));
        const firstPath = GLib.build_filenamev([dir, 'first.bin']);
        const secondPath = GLib.build_filenamev([dir, 'second.txt']);
        GLib.file_set_contents(firstPath, first);
        GLib.file_set_contents(secondPath, second);
        const form = Ladle.MultipartForm.new();
        form.append_text('title', 'two files');
        form.append_file('a', Gio.File.new_for_path(firstPath), null, 'application/octet-stream', null);
        form.append_file('b', Gio.File.new_for_path(secondPath), 'notes.txt', 'text/plain', null);
        const client = newClient(`${phpUrl}/api/`);
        const progress = [];
        client.connect('task-created', (c, task) => {
            task.connect('upload-progress', (t, now, total, expected) => progress.push([total, expected]));
        });
        const echo = parse(await uploadForm(client, 'POST', 'upload', form));
        assertEqual(echo.form, {title: 'two files'}, 'fields:');
        const md5 = data => GLib.compute_checksum_for_bytes(GLib.ChecksumType.MD5, new GLib.Bytes(data));
        assertEqual(echo.files.map(f => [f.field, f.name, f.size, f.md5]),
            [['a', 'first.bin', first.length, md5(first)], ['b', 'notes.txt', second.length, md5(second)]],
            'files:');
        const length = form.get_content_length();
        assert(progress.length > 0, 'upload progress');
        assertEqual(progress[progress.length - 1], [length, length], 'final progress:');
        for (const path of [firstPath, secondPath, dir])
            Gio.File.new_for_path(path).delete(null);
    }],
    ['nginx', async () => {
        const document = {from: 'nginx', n: [1, 2]};
        GLib.file_set_contents(GLib.build_filenamev([nginxRoot, 'gjs.json']), JSON.stringify(document));
        const client = newClient(`${nginxUrl}/files/`);
        assertEqual(parse(await request(client, 'GET', 'gjs.json')), document, 'static JSON:');
        const error = await rejected(request(client, 'GET', 'nothing-here.json'));
        assert(error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS), `${error}`);
        assertEqual(error.response.get_status(), 404);
    }],
];

// TAP, one test after the other on the default main context.
const context = GLib.MainContext.default();
let failures = 0;
print(`1..${tests.length}`);
tests.forEach(([name, test], index) => {
    let outcome = null;
    const failsafe = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, FAILSAFE_SECONDS, () => {
        outcome = {error: new Error('failsafe: the test did not end')};
        return GLib.SOURCE_REMOVE;
    });
    test().then(() => {
        outcome ??= {};
    }, error => {
        outcome ??= {error};
    });
    while (outcome === null)
        context.iteration(true);
    GLib.source_remove(failsafe);
    if (outcome.error) {
        failures++;
        print(`not ok ${index + 1} ${name}`);
        for (const line of `${outcome.error}\n${outcome.error.stack ?? ''}`.split('\n'))
            print(`# ${line}`);
    } else {
        print(`ok ${index + 1} ${name}`);
    }
});
System.exit(failures > 0 ? 1 : 0);
