# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What every Python test area shares: the test server of tests/support/ladle-test.h
($LADLE_TEST_SERVER) as a child process that exits when its stdin closes (so it never outlives
the test), and the main-loop helpers."""

import json
import os
import subprocess
import urllib.request

import gi

gi.require_version("GLib", "2.0")
from gi.repository import GLib  # noqa: E402

FAILSAFE_SECONDS = 30 * int(os.environ.get("LADLE_TEST_TIMEOUT_MULTIPLIER", "1"))


def run_until(predicate, what, seconds=FAILSAFE_SECONDS):
    """Iterates the default main context until predicate() is true; a ticking source re-checks it
    even when nothing else happens (a stalled server). Fails with what (a string, or a function
    that says it) after the failsafe."""
    context = GLib.MainContext.default()
    timed_out = []

    def failsafe():
        timed_out.append(True)
        return GLib.SOURCE_REMOVE

    failsafe_id = GLib.timeout_add_seconds(seconds, failsafe)
    tick_id = GLib.timeout_add(10, lambda: GLib.SOURCE_CONTINUE)
    try:
        while not predicate() and not timed_out:
            context.iteration(True)
    finally:
        GLib.source_remove(tick_id)
        if not timed_out:
            GLib.source_remove(failsafe_id)
    assert predicate(), f"failsafe: {what() if callable(what) else what} did not happen within {seconds} s"


def flush(limit=None):
    """Dispatches what is pending on the default main context (at most limit sources)."""
    context = GLib.MainContext.default()
    n = 0
    while (limit is None or n < limit) and context.iteration(False):
        n += 1


class TestServer:
    __test__ = False  # not a pytest test class

    def __init__(self):
        binary = os.environ.get("LADLE_TEST_SERVER")
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError("LADLE_TEST_SERVER must name the built ladle-test-server")
        self.process = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.process.stdout.readline().decode().strip()
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the test server did not start: {line!r}")
        self.base = line.rstrip("/")
        self.port = int(self.base.rsplit(":", 1)[1])

    def uri(self, path):
        return self.base + path

    def log(self, clear=False):
        """The requests the server read so far (see /log). A blocking request is fine here: the
        server is another process."""
        with urllib.request.urlopen(self.uri("/log" + ("?clear=1" if clear else "")), timeout=30) as r:
            return json.loads(r.read().decode())

    @property
    def n_requests(self):
        return len(self.log())

    def stop(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
