# SPDX-License-Identifier: LGPL-2.1-or-later
"""The test server of tests/support/ladle-test.h ($LADLE_TEST_SERVER) as a child process, for
every Python test: it exits when its stdin closes, so it never outlives the test."""

import json
import os
import subprocess
import urllib.request


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
