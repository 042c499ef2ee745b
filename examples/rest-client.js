#!/usr/bin/env -S gjs -m
// rest-client.js: a JSON API through Ladle.HttpClient, written with `await`
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   gjs -m rest-client.js BASE_URL      (the demo server's URL: http://127.0.0.1:PORT/)
//
// The same program as ladle-rest-client.c and rest-client.py: a GET with query parameters, a
// POST with a JSON body, an error status whose response is still read, and a body read with
// Ladle.Session.send_and_read_async. Prints "name: value" lines; exit status 0 on success, 1 on
// an unexpected error, 2 on bad usage.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Json from 'gi://Json';
import Soup from 'gi://Soup?version=3.0';
import Ladle from 'gi://Ladle?version=1';
import System from 'system';

// Plain awaitable calls.
Gio._promisify(Ladle.Session.prototype, 'send_and_read_async');

// A request as a promise; its error carries the response (a Ladle.HttpResponse, or null), as
// AFNetworking puts it in the error's userInfo.
function request(client, method, path, parameters = null) {
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

async function main(baseUrl) {
    const session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral());
    // The trailing slash matters: "echo" resolves to BASE/api/echo.
    const client = Ladle.HttpClient.new(GLib.Uri.parse(`${baseUrl.replace(/\/$/, '')}/api/`, GLib.UriFlags.NONE), session);

    let echo = await request(client, 'GET', 'echo', {q: 'ladle', page: 2});
    print(`get-method: ${echo.method}`);
    print(`get-query: ${Object.keys(echo.query).sort().map(k => `${k}=${echo.query[k]}`).join(' ')}`);

    echo = await request(client, 'POST', 'echo', {name: 'Ladle', tags: ['rest', 'json']});
    print(`post-content-type: ${echo.content_type}`);
    print(`post-name: ${echo.json.name}`);
    print(`post-tags: ${echo.json.tags.join(',')}`);

    try {
        await request(client, 'GET', 'status/404');
        print('error: none');
        return 1;
    } catch (e) {
        if (!(e instanceof GLib.Error) || !e.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS))
            throw e;
        const body = JSON.parse(new TextDecoder().decode(e.response.get_body().get_data()));
        print(`error: ${e.response.get_status()} ${e.response.get_content_type()} ${body.error}`);
    }

    const message = Soup.Message.new('GET', `${baseUrl.replace(/\/$/, '')}/bytes/1000`);
    const bytes = await session.send_and_read_async(message, GLib.PRIORITY_DEFAULT, null);
    print(`bytes: ${bytes.get_size()} ${message.get_status()}`);
    return 0;
}

if (ARGV.length !== 1) {
    printerr('usage: gjs -m rest-client.js BASE_URL');
    System.exit(2);
}

const loop = new GLib.MainLoop(null, false);
let status = 1;
main(ARGV[0]).then(value => {
    status = value;
}, error => {
    printerr(`failed: ${error.message}`);
    status = 1;
}).finally(() => loop.quit());
loop.run();
System.exit(status);
