// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Task metrics from GJS, against the test server of tests/support (a child process): a plain
// GET, a reused connection, a redirect plus a Basic-auth resend, an upload's body bytes, and a
// cancelled task. Run with `gjs -m test-metrics.js`; prints TAP.

import {
    GLib, Gio, Soup, Ladle, assert, assertEqual, assertError, run, runUntil,
} from '../gjs/harness.js';

// Runs @task and checks that metrics-collected came once, just before completed.
function collect(task, resume = true) {
    const seen = {events: [], metrics: null, stateAtMetrics: null};
    task.connect('metrics-collected', (t, metrics) => {
        seen.events.push('metrics');
        seen.metrics = metrics;
        seen.stateAtMetrics = t.get_state();
    });
    task.connect('completed', () => seen.events.push('completed'));
    if (resume)
        task.resume();
    seen.wait = () => {
        runUntil(() => seen.events.includes('completed'), 'completed');
        assertEqual(seen.events.join(' '), 'metrics completed', 'events:');
        assertEqual(seen.stateAtMetrics, Ladle.TaskState.COMPLETED, 'state at metrics-collected:');
        assert(task.dup_metrics() === seen.metrics, 'dup_metrics gives the collected metrics');
        assert(seen.metrics.get_complete(), 'complete');
        assert(seen.metrics.end_time >= seen.metrics.start_time, 'end after start');
        return seen.metrics;
    };
    return seen;
}

function transactions(metrics) {
    const model = metrics.get_transactions();
    const items = [];
    for (let i = 0; i < model.get_n_items(); i++)
        items.push(model.get_item(i));
    assertEqual(items.length, metrics.get_n_transactions(), 'n_transactions:');
    const list = metrics.dup_transaction_list();
    assertEqual(list.length, items.length, 'list length:');
    assert(list.every((t, i) => t === items[i]), 'the list has the same transactions');
    return items;
}

function assertOrdered(metrics, t) {
    const times = [t.fetch_start, t.dns_start, t.dns_end, t.connect_start, t.tls_start, t.tls_end,
        t.connect_end, t.request_start, t.response_start, t.response_end].filter(x => x !== -1);
    assert(times.length > 0 && times[0] === t.get_fetch_start(), 'fetch start first');
    for (let i = 1; i < times.length; i++)
        assert(times[i] >= times[i - 1], `times in order: ${times}`);
    assert(times[0] >= metrics.get_start_time(), 'after the task started');
    if (metrics.get_end_time() !== -1)
        assert(times[times.length - 1] <= metrics.get_end_time(), 'before the task ended');
}

function testPlainGet(server, session) {
    const uri = server.uri('/bytes/30000');
    const metrics = collect(session.create_data_task_for_uri(uri)).wait();

    assertEqual(metrics.redirect_count, 0, 'redirect count:');
    const [t, ...rest] = transactions(metrics);
    assertEqual(rest.length, 0, 'one transaction');
    assertEqual(t.get_uri(), uri, 'uri:');
    assertEqual(t.get_method(), 'GET', 'method:');
    assertEqual(t.get_status_code(), 200, 'status:');
    assertEqual(t.get_http_version(), Soup.HTTPVersion.HTTP_1_1, 'version:');
    assertEqual(t.network_protocol_name, 'http/1.1', 'protocol name:');
    assert(!t.get_reused_connection(), 'a new connection');
    assert(t.get_connect_start() > 0, 'connected');
    assertEqual(t.get_tls_start(), -1, 'no TLS');
    assertOrdered(metrics, t);
    assertEqual(t.get_response_body_bytes_after_decoding(), 30000, 'body bytes:');
    assertEqual(t.get_response_body_bytes_received(), 30000, 'body bytes received:');
    assert(t.get_request_header_bytes_sent() > 0, 'request header bytes');
    assert(t.get_response_header_bytes_received() > 0, 'response header bytes');
    const remote = t.get_remote_address();
    assert(remote instanceof Gio.InetSocketAddress, 'remote address');
    assertEqual(remote.get_address().to_string(), '127.0.0.1', 'remote host:');
    const date = metrics.to_date_time(t.get_request_start());
    assertEqual(date.difference(metrics.get_start_date_time()),
        t.get_request_start() - metrics.get_start_time(), 'wall-clock date:');
}

function testReusedConnection(server, session) {
    const [first] = transactions(collect(session.create_data_task_for_uri(server.uri('/ok'))).wait());
    const metrics = collect(session.create_data_task_for_uri(server.uri('/ok'))).wait();
    const [second] = transactions(metrics);

    assert(!first.get_reused_connection(), 'the first request opened the connection');
    assert(second.get_reused_connection(), 'the second request reused it');
    assertEqual(second.get_connection_id(), first.get_connection_id(), 'connection id:');
    assertEqual([second.get_dns_start(), second.get_connect_start(), second.get_connect_end()].join(),
        '-1,-1,-1', 'no DNS or connect:');
    assertOrdered(metrics, second);
}

function testRedirectThenAuth(server, session) {
    const target = server.uri('/basic/ok');
    const uri = server.uri(`/redirect/302?to=${GLib.Uri.escape_string(target, null, false)}`);
    const task = session.create_data_task_for_uri(uri);
    task.connect('authenticate', (t, auth, retrying) => {
        if (retrying)
            return false;
        auth.authenticate('user', 'secret');
        return true;
    });
    const metrics = collect(task).wait();

    assertEqual(task.get_status_code(), 200, 'status:');
    assertEqual(metrics.get_redirect_count(), 1, 'redirect count:');
    const items = transactions(metrics);
    assertEqual(items.map(t => `${t.get_method()} ${t.get_status_code()} ${t.get_uri()}`).join('\n'),
        [`GET 302 ${uri}`, `GET 401 ${target}`, `GET 200 ${target}`].join('\n'), 'transactions:');
    for (const t of items)
        assertOrdered(metrics, t);
    assert(items[2].get_reused_connection(), 'the resend reused the connection of the 401');
}

function testUpload(server, session) {
    const length = 300000;
    const body = new Uint8Array(length).map((_, i) => i % 251);
    const message = Soup.Message.new('POST', server.uri('/upload'));
    const task = session.create_upload_task_from_bytes(message, new GLib.Bytes(body));
    const metrics = collect(task).wait();

    assertEqual(task.get_status_code(), 200, 'status:');
    const [t] = transactions(metrics);
    assertEqual(t.get_method(), 'POST', 'method:');
    assertEqual(t.get_request_body_bytes_before_encoding(), length, 'body bytes:');
    assertEqual(t.get_request_body_bytes_sent(), length, 'body bytes sent:');
}

function testCancelled(server, session) {
    const task = session.create_data_task_for_uri(server.uri('/stall'));
    const seen = collect(task, false);
    const snapshot = task.dup_metrics();
    assert(!snapshot.get_complete(), 'a snapshot before the task runs');
    assertEqual(snapshot.get_end_time(), -1, 'no end yet:');

    task.resume();
    runUntil(() => {
        const [t] = transactions(task.dup_metrics());
        return t !== undefined && t.get_request_start() > 0;
    }, 'the request was written');
    task.cancel();
    assertEqual(seen.events.length, 0, 'nothing from inside cancel():');
    const metrics = seen.wait();

    assertError(task.get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    const [t] = transactions(metrics);
    assertEqual(t.get_status_code(), 0, 'no status:');
    assertEqual(t.get_response_start(), -1, 'no response:');
    assertOrdered(metrics, t);
}

run([
    ['plain GET', testPlainGet],
    ['reused connection', testReusedConnection],
    ['redirect then auth', testRedirectThenAuth],
    ['upload body bytes', testUpload],
    ['cancelled', testCancelled],
]);
