# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/podcast-fetch.py, run as a user would: it queues three episodes from nginx's /slow/
and quits at once; a listing while they run shows them downloading; once they are done (with no
podcast-fetch running), a listing shows each finished once, at its path with the right bytes, and
the next listing shows nothing. Under dbus-run-session with the build tree's service (meson.build).
"""

import os
import re
import subprocess
import time

import svchelpers as svc
from svchelpers import MiB, MULTIPLIER

EPISODES = [('ep-101.mp3', 2 * MiB + 11), ('ep-102.mp3', 3 * MiB + 13), ('ep-103.mp3', 2 * MiB + 17)]


def podcast_fetch(app, *args, timeout=60):
    example = os.path.join(os.environ['LADLE_EXAMPLES_DIR'], 'podcast-fetch.py')
    result = subprocess.run([svc.PYTHON, example, '--dest', app.downloads] + list(args), env=app.env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=timeout * MULTIPLIER)
    return result


def test_queue_quit_and_list(tmp_path, nginx, service):
    published = {}
    for i, (name, size) in enumerate(EPISODES):
        nginx.write_file(name, svc.random_bytes(50 + i, size))
        published[name] = (size, svc.sha256_file(nginx.path(name)))
    app = svc.App(tmp_path, name='podcasts')

    started = time.monotonic()
    result = podcast_fetch(app, *[nginx.url('/slow/' + name) for name, _ in EPISODES])
    assert result.returncode == 0, result.stdout + result.stderr
    # it quits at once, long before the downloads can have finished
    assert time.monotonic() - started < 10 * MULTIPLIER
    assert result.stdout.splitlines() == ['queued: %s %s' % (name, nginx.url('/slow/' + name))
                                          for name, _ in EPISODES], result.stdout
    assert not any(os.path.exists(os.path.join(app.downloads, name)) for name in published)

    # while they run
    result = podcast_fetch(app, '--list')
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    downloading = [re.match(r'downloading: (\S+) (\d+)/(-?\d+)$', line) for line in lines[:-1]]
    assert all(downloading), lines
    assert sorted(m.group(1) for m in downloading) == sorted(published), lines
    for m in downloading:
        assert int(m.group(2)) <= published[m.group(1)][0]
    assert lines[-1] == 'finished while closed: 0, still downloading: 3', lines

    # no podcast-fetch runs now: the service finishes them
    svc.wait_until(lambda: all(os.path.exists(os.path.join(app.downloads, n))
                               and os.path.getsize(os.path.join(app.downloads, n)) == s
                               for n, (s, _) in published.items()), 60, 'the episodes')
    for name, (size, sha256) in published.items():
        assert svc.sha256_file(os.path.join(app.downloads, name)) == sha256
    for e in nginx.access_log():
        assert e['status'] == 200 and e['body_bytes_sent'] == published[e['uri'][len('/slow/'):]][0], e

    result = podcast_fetch(app, '--list')
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sorted(lines[:-1]) == sorted('finished: %s %s' % (name, os.path.join(app.downloads, name))
                                        for name in published), lines
    assert lines[-1] == 'finished while closed: 3, still downloading: 0', lines

    # exactly once
    result = podcast_fetch(app)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ['finished while closed: 0, still downloading: 0'], result.stdout


def test_service_unreachable(tmp_path):
    app = svc.App(tmp_path, name='podcasts')
    env = dict(app.env)
    env['DBUS_SESSION_BUS_ADDRESS'] = 'unix:path=' + os.path.join(app.dir, 'no-bus-here')
    env.pop('DISPLAY', None)
    app.env = env
    result = podcast_fetch(app, 'http://127.0.0.1:9/ep.mp3')
    assert result.returncode == 2, result.stdout + result.stderr
    assert 'transfer service cannot be reached' in result.stderr
