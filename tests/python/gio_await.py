# SPDX-License-Identifier: LGPL-2.1-or-later
"""`await` for GIO-style async calls on the GLib main loop, without asyncio.

PyGObject 3.42 (Debian 12) has no asyncio integration with GLib's main loop (gi.events came with
3.50): this tiny driver runs a coroutine whose awaits are GIO async calls, stepping it from their
callbacks. The same code as examples/rest-client.py."""

from gi.repository import GLib


class Call:
    """await Call(obj.thing_async, obj.thing_finish, arg, ...) -> what thing_finish returns.
    A GLib.Error from thing_finish is raised at the await; on_error(error, result) may decorate
    it first (attach the HTTP response, say)."""

    def __init__(self, start, finish, *args, on_error=None):
        self.start = start
        self.finish = finish
        self.args = args
        self.on_error = on_error

    def __await__(self):
        return (yield self)


def run(coroutine, seconds=60):
    """Runs coroutine on a GLib main loop until it returns; returns its value or raises."""
    loop = GLib.MainLoop()
    outcome = {}

    def step(value=None, error=None):
        try:
            awaited = coroutine.throw(error) if error is not None else coroutine.send(value)
        except StopIteration as stop:
            outcome['value'] = stop.value
            loop.quit()
            return
        except BaseException as e:  # noqa: B902 - handed to the caller of run()
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

    def failsafe():
        outcome['error'] = TimeoutError(f'the coroutine did not end within {seconds} s')
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.idle_add(lambda: step() or GLib.SOURCE_REMOVE)
    timeout = GLib.timeout_add_seconds(seconds, failsafe)
    loop.run()
    if 'error' not in outcome or not isinstance(outcome['error'], TimeoutError):
        GLib.source_remove(timeout)
    if 'error' in outcome:
        raise outcome['error']
    return outcome['value']
