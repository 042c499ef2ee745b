#!/usr/bin/python3
# rest-client.py: a JSON API through Ladle.HttpClient, written with `await`
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   rest-client.py BASE_URL        (the demo server's URL: http://127.0.0.1:PORT/)
#
# The same program as ladle-rest-client.c and rest-client.js. Against the demo server's /api/:
# a GET with query parameters, a POST with a JSON body, an error status whose response is still
# read, and a body read with Ladle.Session.send_and_read_async. Prints "name: value" lines;
# exit status 0 on success, 1 on an unexpected error, 2 on bad usage.
#
# PyGObject 3.42 (Debian 12) cannot await GIO calls with asyncio (PyGObject 3.50 can, with
# gi.events.GLibEventLoopPolicy), so a small driver steps the coroutine from the callbacks on
# the GLib main loop: `await Call(obj.x_async, obj.x_finish, args...)`.

import json
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Json', '1.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import GLib, Json, Ladle, Soup  # noqa: E402


class Call:
    """An awaitable GIO async call; on_error(error, result) may decorate a GLib.Error first."""

    def __init__(self, start, finish, *args, on_error=None):
        self.start, self.finish, self.args, self.on_error = start, finish, args, on_error

    def __await__(self):
        return (yield self)


def run(coroutine):
    """Runs coroutine on a GLib main loop; returns its value or raises its exception."""
    loop = GLib.MainLoop()
    outcome = {}

    def step(value=None, error=None):
        try:
            awaited = coroutine.throw(error) if error is not None else coroutine.send(value)
        except StopIteration as stop:
            outcome['value'] = stop.value
            loop.quit()
            return
        except BaseException as e:  # noqa: B902 - handed to the caller
            outcome['error'] = e
            loop.quit()
            return

        def callback(source, result):
            try:
                value = awaited.finish(result)
            except GLib.Error as e:
                if awaited.on_error is not None:
                    awaited.on_error(e, result)
                step(error=e)
            else:
                step(value)

        awaited.start(*awaited.args, callback)

    GLib.idle_add(lambda: step() or GLib.SOURCE_REMOVE)
    loop.run()
    if 'error' in outcome:
        raise outcome['error']
    return outcome['value']


def request(client, method, path, parameters=None):
    """await request(...) -> the decoded JSON as Python values. A GLib.Error it raises has the
    response (a Ladle.HttpResponse, or None) as its `response` attribute."""
    node = Json.from_string(json.dumps(parameters)) if parameters is not None else None

    def keep_response(error, result):
        error.response = client.dup_response(result)

    return Call(client.request_async, client.request_finish, method, path, node, None,
                on_error=keep_response)


def to_python(node):
    return json.loads(Json.to_string(node, False))


async def main(base_url):
    session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())
    # The trailing slash matters: "echo" resolves to BASE/api/echo.
    client = Ladle.HttpClient.new(GLib.Uri.parse(base_url.rstrip('/') + '/api/', GLib.UriFlags.NONE), session)

    echo = to_python(await request(client, 'GET', 'echo', {'q': 'ladle', 'page': 2}))
    print('get-method:', echo['method'])
    print('get-query:', ' '.join(f'{k}={v}' for k, v in sorted(echo['query'].items())))

    echo = to_python(await request(client, 'POST', 'echo', {'name': 'Ladle', 'tags': ['rest', 'json']}))
    print('post-content-type:', echo['content_type'])
    print('post-name:', echo['json']['name'])
    print('post-tags:', ','.join(echo['json']['tags']))

    try:
        await request(client, 'GET', 'status/404')
        print('error: none')
        return 1
    except GLib.Error as e:
        if not e.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS):
            raise
        body = json.loads(e.response.get_body().get_data())
        print('error:', e.response.get_status(), e.response.get_content_type(), body['error'])

    message = Soup.Message.new('GET', base_url.rstrip('/') + '/bytes/1000')
    body = await Call(session.send_and_read_async, session.send_and_read_finish, message,
                      GLib.PRIORITY_DEFAULT, None)
    print('bytes:', body.get_size(), int(message.get_status()))
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('usage: rest-client.py BASE_URL', file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(run(main(sys.argv[1])))
    except GLib.Error as e:
        print('failed:', e.message, file=sys.stderr)
        sys.exit(1)
