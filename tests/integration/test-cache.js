// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The HTTP cache and the cookie jar from GJS, against nginx. Run through the harness, which
// starts nginx and sets LADLE_NGINX_URL, LADLE_NGINX_ROOT and LADLE_NGINX_ACCESS_LOG:
//
//   servers.py run --nginx --tap -- gjs -m test-cache.js
//
// nginx's access log tells which requests reached it: a response from the cache leaves no line.

import {
    Gio, GLib, Ladle, Soup, assert, assertEqual, runTap, runUntil, spin,
} from '../gjs/harness.js';

const nginxUrl = GLib.getenv('LADLE_NGINX_URL');
const nginxRoot = GLib.getenv('LADLE_NGINX_ROOT');
const accessLog = GLib.getenv('LADLE_NGINX_ACCESS_LOG');
const decoder = new TextDecoder();
let counter = 0;

function newFile(content) {
    const name = `gjs-cache-${++counter}.txt`;
    GLib.file_set_contents(GLib.build_filenamev([nginxRoot, name]), content);
    return name;
}

function removeTree(path) {
    const file = Gio.File.new_for_path(path);
    if (file.query_file_type(Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null) === Gio.FileType.DIRECTORY) {
        const children = file.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
        let info;
        while ((info = children.next_file(null)) !== null)
            removeTree(GLib.build_filenamev([path, info.get_name()]));
        children.close(null);
    }
    file.delete(null);
}

function logCount(uri, status = null) {
    const [, contents] = GLib.file_get_contents(accessLog);
    return decoder.decode(contents).split('\n').filter(line => line.trim() !== '')
        .map(line => JSON.parse(line))
        .filter(entry => entry.uri === uri && (status === null || entry.status === status)).length;
}

function assertLog(uri, expected, status = null) {
    if (expected > 0)
        runUntil(() => logCount(uri, status) >= expected, "nginx's log");
    spin(100);
    assertEqual(logCount(uri, status), expected, `requests of ${uri}:`);
}

function settle(directory) {
    runUntil(() => {
        const dir = Gio.File.new_for_path(directory);
        if (!dir.query_exists(null))
            return false;
        const children = dir.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NONE, null);
        let info, found = false;
        while ((info = children.next_file(null)) !== null)
            found ||= /^[0-9]/.test(info.get_name());
        children.close(null);
        return found;
    }, 'the cache entry');
    spin(200);
}

function get(session, path, {refuse = false, disableCache = false, cookie = null} = {}) {
    const message = Soup.Message.new('GET', `${nginxUrl}${path}`);
    if (disableCache)
        message.disable_feature(Soup.Cache.$gtype);
    if (cookie !== null)
        message.get_request_headers().replace('Cookie', cookie);
    const run = {order: [], done: false, error: null, askedStatus: 0};
    const task = session.create_data_task(message);
    task.connect('will-cache-response', (_task, msg) => {
        run.order.push('W');
        run.askedStatus = msg.get_status();
        return !refuse;
    });
    task.connect('response', () => {
        run.order.push('R');
        return Ladle.ResponseDisposition.ALLOW;
    });
    task.connect('completed', (_task, error) => {
        run.order.push('C');
        run.error = error;
        run.done = true;
    });
    task.resume();
    runUntil(() => run.done, 'the task');
    assertEqual(run.error, null, 'error:');
    run.status = task.get_status_code();
    run.body = decoder.decode(task.dup_body().toArray());
    return run;
}

function defaultSession(state, cacheSize = null) {
    const configuration = Ladle.SessionConfiguration.new_default();
    configuration.set_state_directory(state);
    if (cacheSize !== null)
        configuration.cache_size = cacheSize;
    return Ladle.Session.new(configuration);
}

function testFreshHit({state}) {
    const session = defaultSession(state);
    const path = `/cache/max-age/${newFile('fresh from gjs\n')}`;
    const first = get(session, path);
    assertEqual(first.order.join(''), 'WRC', 'first order:');
    assertEqual(first.askedStatus, 200, 'status seen by will-cache-response:');
    settle(GLib.build_filenamev([state, 'cache']));
    const second = get(session, path);
    assertEqual(second.body, 'fresh from gjs\n', 'body:');
    assertEqual(second.order.join(''), 'RC', 'second order:');
    assertLog(path, 1);
}

function testRefused({state}) {
    const session = defaultSession(state);
    const path = `/cache/max-age/${newFile('refused from gjs\n')}`;
    get(session, path, {refuse: true});
    spin(200);
    const second = get(session, path);
    assertEqual(second.body, 'refused from gjs\n', 'body:');
    assertLog(path, 2, 200);
}

function testRevalidated({state}) {
    const session = defaultSession(state);
    const path = `/cache/etag/${newFile('validated from gjs\n')}`;
    get(session, path);
    settle(GLib.build_filenamev([state, 'cache']));
    const second = get(session, path);
    assertEqual(second.status, 200, 'status:');
    assertEqual(second.body, 'validated from gjs\n', 'body:');
    assertLog(path, 1, 304);
}

function testDisabledFeature({state}) {
    const session = defaultSession(state);
    const path = `/cache/max-age/${newFile('bypass from gjs\n')}`;
    get(session, path);
    settle(GLib.build_filenamev([state, 'cache']));
    const bypass = get(session, path, {disableCache: true});
    assert(!bypass.order.includes('W'), 'not asked');
    assertLog(path, 2, 200);
}

function testSizeZero({state}) {
    const session = defaultSession(state, 0);
    const path = `/cache/max-age/${newFile('uncached from gjs\n')}`;
    get(session, path);
    get(session, path);
    assertLog(path, 2);
    assert(!GLib.file_test(GLib.build_filenamev([state, 'cache']), GLib.FileTest.EXISTS), 'no cache directory');
}

function testCookies({state}) {
    let session = defaultSession(state);
    get(session, '/cookies/set?name=gjs&value=5');
    assert(GLib.file_test(GLib.build_filenamev([state, 'cookies.sqlite']), GLib.FileTest.IS_REGULAR),
        'cookies.sqlite');
    session.finish_tasks_and_invalidate();
    session = defaultSession(state);
    const merged = get(session, '/headers', {cookie: 'app=6'});
    assert(merged.body.includes('Cookie: app=6; gjs=5\n'), `merged cookies: ${merged.body}`);
}

if (nginxUrl === null) {
    print('1..0 # SKIP run through tests/integration/servers.py run --nginx');
} else {
    runTap([
        ['fresh-hit', testFreshHit],
        ['refused', testRefused],
        ['revalidated', testRevalidated],
        ['disabled-feature', testDisabledFeature],
        ['size-zero', testSizeZero],
        ['cookies', testCookies],
    ], {
        setUp: () => ({state: GLib.dir_make_tmp('gjs-cache-XXXXXX')}),
        tearDown: ({state}) => removeTree(state),
        watchdogSeconds: 120,
    });
}
