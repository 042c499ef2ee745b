# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ladle-transfer-service: the transfers of a use-transfer-service background session go on while
its application is gone, and come back to it exactly once.

Every test runs under its own dbus-run-session (tests/service/meson.build) whose only service
directory is the build tree's: the first client's call activates the built daemon. The
applications are svc_child.py, launched as child processes (a quit, a SIGKILL and a relaunch are
real ones); the server is nginx (tests/integration/servers.py), whose access log says what was
sent and when.
"""

import base64
import os
import time

import pytest

import svchelpers as svc
from svchelpers import MiB, MULTIPLIER

import gi

gi.require_version('Ladle', '1')
from gi.repository import GLib, Ladle  # noqa: E402

# At 1 MB/s (nginx's limit_rate, per connection) each takes 3 to 4 s; not multiples of a block.
FILES = [('episode-1.mp3', 3 * MiB + 7), ('episode-2.mp3', 3 * MiB + 4099),
         ('episode-3.mp3', 3 * MiB + 65537)]


# How long an application that queues its transfers runs its main loop before it quits
QUIT_AFTER = '0.5'


def publish(nginx, files=FILES, seed=0):
    """Writes the files into nginx's root; {name: (size, sha256)}."""
    published = {}
    for i, (name, size) in enumerate(files):
        data = svc.random_bytes(seed * 100 + i, size)
        nginx.write_file(name, data)
        published[name] = (size, svc.sha256_file(nginx.path(name)))
    return published


def download_args(nginx, app, files=FILES, location='/slow/'):
    args = []
    for name, _ in files:
        args += ['--download', '%s=%s' % (nginx.url(location + name), os.path.join(app.downloads, name))]
    return args


def assert_downloaded(app, published):
    for name, (size, sha256) in published.items():
        path = os.path.join(app.downloads, name)
        assert os.path.getsize(path) == size, name
        assert svc.sha256_file(path) == sha256, name


def all_downloaded(app, published):
    for name, (size, _) in published.items():
        path = os.path.join(app.downloads, name)
        if not os.path.exists(path) or os.path.getsize(path) != size:
            return False
    return True


def deliveries(app, run=None):
    return [e['description'] for e in app.events(run, 'delivered')]


def assert_relaunch_delivers(app, published, run, live=False, status=200):
    """@run (ended) got each task's download-finished and task-completed once, with no error and a
    @status, the download-finished of a task before its delivery, and events-finished once. Restored
    completions (@live false: every task had finished before the launch) come each
    download-finished right before its delivery, and all before events-finished; live ones
    (tasks that ran on in the service after the launch) after it."""
    events = [e for e in app.events(run)
              if e['event'] in ('download-finished', 'delivered', 'events-finished')]
    names = [e['event'] for e in events]
    assert names.count('events-finished') == 1, names
    delivered = [e for e in events if e['event'] == 'delivered']
    assert sorted(e['description'] for e in delivered) == sorted(published), events
    for e in delivered:
        assert e['error'] is None, e
        assert e['status'] == status, e
    finished = [e for e in events if e['event'] == 'download-finished']
    assert sorted(e['description'] for e in finished) == sorted(published), events
    for i, e in enumerate(events):
        if e['event'] != 'download-finished':
            continue
        assert e['location'] == os.path.join(app.downloads, e['description']), e
        later = [f for f in events[i + 1:] if f['event'] == 'delivered']
        assert e['identifier'] in [f['identifier'] for f in later], events
        if not live:
            following = events[i + 1]
            assert following['event'] == 'delivered' and following['identifier'] == e['identifier'], events
    if not live:
        assert names[-1] == 'events-finished', names


def assert_nothing_left(app, nginx):
    """A later launch gets no task and no completion, only events-finished."""
    run = app.run('--until-idle')
    started = app.events(run, 'started')
    assert started and started[0]['tasks'] == [], started
    names = [e['event'] for e in app.events(run)]
    assert 'delivered' not in names and 'download-finished' not in names, names
    assert names.count('events-finished') == 1, names
    return run


# 1. The app queues three downloads and goes; they finish while no app runs; the next launch
# gets each completion once; the one after that nothing.

@pytest.mark.parametrize('how', ['at_once', 'quit', 'sigkill'])
def test_downloads_finish_while_app_is_gone(tmp_path, nginx, service, how):
    published = publish(nginx)
    app = svc.App(tmp_path)
    if how == 'at_once':
        # resume() and gone, without returning to its main loop
        first = app.run('--exit-at-once', *download_args(nginx, app))
    elif how == 'quit':
        first = app.run('--quit-after', QUIT_AFTER, *download_args(nginx, app))
    else:
        first = app.launch('--until-file', os.path.join(app.dir, 'never'), *download_args(nginx, app))
        # killed in the middle: once every task has made progress (its transfer runs in the service)
        svc.wait_until(lambda: {e['description'] for e in app.events(first, 'progress') if e['total'] > 0}
                       == set(published), 30, 'progress of every download')
        app.kill(first)
    gone_at = first.ended_at
    assert app.events(first, 'created'), first.output()

    # No application runs now: the files arrive all the same.
    svc.wait_until(lambda: all_downloaded(app, published), 40, 'the three downloads at their destinations')
    assert_downloaded(app, published)
    assert service.has_owner()

    # nginx sent each file in full, in one 200, and finished after the application was gone
    log = nginx.access_log()
    for name, (size, _) in published.items():
        entries = svc.gets(log, '/slow/' + name)
        assert len(entries) == 1, entries
        assert entries[0]['status'] == 200 and entries[0]['body_bytes_sent'] == size, entries
        assert entries[0]['msec'] > gone_at, (entries[0], gone_at)
    if how != 'sigkill':
        # it quit at once: the transfers had hardly begun
        assert all(e['msec'] - e['request_time'] < gone_at + 1.0 * MULTIPLIER for e in log), (log, gone_at)

    second = app.run('--until-idle')
    started = app.events(second, 'started')[0]
    # the tasks finished: none is unfinished any more
    assert started['tasks'] == [], started
    assert_relaunch_delivers(app, published, second)
    assert_downloaded(app, published)

    assert_nothing_left(app, nginx)
    # and nothing was fetched again
    assert len([e for e in nginx.access_log() if e['method'] == 'GET']) == len(published)


# 2. Relaunched while the downloads run: the list model has them, with their byte counts, and
# their progress and completion arrive live.

def test_relaunch_while_running_sees_tasks_live(tmp_path, nginx, service):
    published = publish(nginx, seed=2)
    app = svc.App(tmp_path)
    first = app.run('--quit-after', QUIT_AFTER, *download_args(nginx, app))
    created = {t['description']: t['identifier'] for t in app.events(first, 'created')[0]['tasks']}
    assert sorted(created) == sorted(published)
    # let them run while no app exists: a block of each in the service's partial files
    svc.wait_until(lambda: len(service.large_files(1 * MiB)) >= len(published), 30,
                   'three partial files of at least 1 MiB in the service\'s store')

    second = app.launch('--until-idle')
    started = app.wait_for_event(second, 'started')[0]
    tasks = {t['description']: t for t in started['tasks']}
    assert sorted(tasks) == sorted(published), started
    for name, (size, _) in published.items():
        task = tasks[name]
        assert task['identifier'] == created[name]
        assert task['state_name'] == 'running', task
        assert 0 < task['bytes_received'] < size, task
        assert task['bytes_expected'] == size, task
    app.wait(second, 60)
    assert second.returncode == 0, second.output()

    events = app.events(second)
    for name, (size, _) in published.items():
        progress = [e for e in events if e['event'] == 'progress' and e['description'] == name]
        totals = [e['total'] for e in progress]
        # live progress, monotonic, from where the list model said to the full size
        assert len(totals) >= 2, progress
        assert totals == sorted(totals), totals
        assert totals[0] >= tasks[name]['bytes_received'], (totals, tasks[name])
        assert totals[-1] == size and progress[-1]['expected'] == size, progress
        signals = [e for e in events if e['event'] == 'task-completed-signal' and e['description'] == name]
        assert len(signals) == 1 and signals[0]['error'] is None and signals[0]['status'] == 200, signals
    assert_relaunch_delivers(app, published, second, live=True)
    # the completions came live, after background-events-finished (nothing had finished before)
    names = [e['event'] for e in events]
    assert names.index('events-finished') < names.index('delivered'), names
    assert_downloaded(app, published)
    assert_nothing_left(app, nginx)


# 3. The service killed mid-transfer: the next client re-activates it, it resumes with Range, no
# completion is lost or delivered twice.

def test_service_killed_resumes_with_range(tmp_path, nginx, service):
    published = publish(nginx, seed=3)
    app = svc.App(tmp_path)
    app.run('--quit-after', QUIT_AFTER, *download_args(nginx, app))
    first_pid = service.wait_for_owner()
    # every partial file holds at least a block (what a restart can keep), then SIGKILL
    svc.wait_until(lambda: len(service.large_files(1 * MiB)) >= len(published), 30,
                   'three partial files of at least 1 MiB in the service\'s store')
    killed_pid = service.kill()
    assert killed_pid == first_pid
    killed_at = time.time()
    assert not service.has_owner()
    time.sleep(0.5)

    second = app.run('--until-idle', timeout=90)
    second_pid = service.owner_pid()
    assert second_pid is not None and second_pid != first_pid
    started = app.events(second, 'started')[0]
    restored = {t['description']: t for t in started['tasks']}
    assert sorted(restored) == sorted(published), started
    # the status of the last response, as an in-process background session reports it: the 206
    assert_relaunch_delivers(app, published, second, live=True, status=206)
    assert_downloaded(app, published)

    log = nginx.access_log()
    for name, (size, _) in published.items():
        entries = svc.gets(log, '/slow/' + name)
        assert len(entries) == 2, entries
        cut, resumed = entries
        assert cut['status'] == 200 and cut['body_bytes_sent'] < size, cut
        assert resumed['status'] == 206, resumed
        offset = svc.fetch_start(resumed)
        assert 1 * MiB <= offset <= cut['body_bytes_sent'], (offset, cut)
        assert resumed['if_range'], resumed
        assert resumed['body_bytes_sent'] == size - offset, resumed
        assert resumed['msec'] - resumed['request_time'] >= killed_at - 0.01, (resumed, killed_at)

    # exactly once across the launches: nothing more
    assert_nothing_left(app, nginx)
    assert sorted(deliveries(app)) == sorted(published)


# 4. Isolation: a client of another application id sees and controls nothing of the first one's.

def access_denied(call):
    with pytest.raises(GLib.Error) as info:
        call()
    assert 'org.freedesktop.DBus.Error.AccessDenied' in info.value.message, info.value.message


def test_other_application_cannot_see_or_control(tmp_path, nginx, service):
    published = publish(nginx, seed=4)
    app = svc.App(tmp_path, app_id='org.gnome.Ladle.TestPodcasts', identifier='episodes')
    app.run('--quit-after', QUIT_AFTER, *download_args(nginx, app))

    # The first application's own view (as its next launch would see it): its session's path and
    # tasks. Then it detaches.
    own = service.connect()
    path, next_identifier, info, tasks, completions = svc.bus_call(
        own, svc.NAME, svc.PATH, svc.IFACE, 'Attach',
        GLib.Variant('(ssa{sv})', (app.app_id, app.identifier, {})), '(ota{sv}aa{sv}aa{sv})').unpack()
    assert sorted(t['description'] for t in tasks) == sorted(published), tasks
    task_ids = [t['identifier'] for t in tasks]
    identifiers = svc.bus_call(own, svc.NAME, svc.PATH, svc.IFACE, 'ListSessions',
                               GLib.Variant('(s)', (app.app_id,)), '(as)').unpack()[0]
    assert identifiers == [app.identifier]
    svc.bus_call(own, svc.NAME, path, svc.SESSION_IFACE, 'Detach', None, None)
    own.close_sync(None)

    other = service.connect()
    other_id = 'org.gnome.Ladle.TestIntruder'
    # bound to its own application id by its first Attach: a session of its own, empty
    other_path, _, _, other_tasks, other_completions = svc.bus_call(
        other, svc.NAME, svc.PATH, svc.IFACE, 'Attach',
        GLib.Variant('(ssa{sv})', (other_id, app.identifier, {})), '(ota{sv}aa{sv}aa{sv})').unpack()
    assert other_path != path
    assert other_tasks == [] and other_completions == []
    # nothing of the first application's
    access_denied(lambda: svc.bus_call(other, svc.NAME, svc.PATH, svc.IFACE, 'ListSessions',
                                       GLib.Variant('(s)', (app.app_id,)), '(as)'))
    access_denied(lambda: svc.bus_call(other, svc.NAME, svc.PATH, svc.IFACE, 'Attach',
                                       GLib.Variant('(ssa{sv})', (app.app_id, app.identifier, {})),
                                       '(ota{sv}aa{sv}aa{sv})'))
    for method in ('Cancel', 'Suspend'):
        for task in task_ids:
            access_denied(lambda: svc.bus_call(other, svc.NAME, path, svc.SESSION_IFACE, method,
                                               GLib.Variant('(t)', (task,)), None))
    access_denied(lambda: svc.bus_call(other, svc.NAME, path, svc.SESSION_IFACE, 'SetDescription',
                                       GLib.Variant('(ts)', (task_ids[0], 'renamed')), None))
    access_denied(lambda: svc.bus_call(other, svc.NAME, path, svc.SESSION_IFACE, 'InvalidateAndCancel',
                                       None, None))
    # its own list has only its own session
    assert svc.bus_call(other, svc.NAME, svc.PATH, svc.IFACE, 'ListSessions',
                        GLib.Variant('(s)', (other_id,)), '(as)').unpack()[0] in ([], [app.identifier])
    svc.bus_call(other, svc.NAME, other_path, svc.SESSION_IFACE, 'Detach', None, None)
    other.close_sync(None)

    # The first application's transfers were untouched: all arrive, named as they were.
    second = app.run('--until-idle', timeout=90)
    assert_relaunch_delivers(app, published, second, live=True)
    assert_downloaded(app, published)


# 5. Service unreachable; session in use.

def test_service_unreachable(tmp_path):
    app = svc.App(tmp_path)
    conf = os.environ['LADLE_SERVICE_NO_SERVICE_CONF']
    # a bus that does not know the service
    run = app.run('--until-idle', expect=3, wrapper=['dbus-run-session', '--config-file=' + conf, '--'])
    failed = app.events(run, 'new-failed')
    assert failed and failed[0]['error']['service_unavailable'], failed
    assert failed[0]['error']['message'], failed
    # reported to the caller, who may fall back to an in-process session: no warning
    assert 'WARNING' not in run.output(), run.output()

    # no session bus at all
    env = dict(app.env)
    env['DBUS_SESSION_BUS_ADDRESS'] = 'unix:path=' + os.path.join(app.dir, 'no-bus-here')
    env.pop('DISPLAY', None)
    run = app.run('--until-idle', expect=3, env=env)
    failed = app.events(run, 'new-failed')
    assert failed and failed[0]['error']['service_unavailable'], failed
    assert 'WARNING' not in run.output(), run.output()

    # Ladle.Session.new(): a warning, and every task completes with SERVICE_UNAVAILABLE
    run = app.run('--new', '--until-idle',
                  '--download', 'http://127.0.0.1:9/x=%s' % os.path.join(app.dir, 'x'), env=env)
    assert 'Ladle-WARNING' in run.output() or 'WARNING' in run.output(), run.output()
    delivered = app.events(run, 'delivered')
    assert len(delivered) == 1 and delivered[0]['error']['service_unavailable'], delivered
    signals = app.events(run, 'task-completed-signal')
    assert len(signals) == 1 and signals[0]['error']['service_unavailable'], signals


def test_session_in_use(tmp_path, nginx, service):
    app = svc.App(tmp_path)
    release = os.path.join(app.dir, 'release')
    holder = app.launch('--until-file', release)
    app.wait_for_event(holder, 'started')
    # a second process with the same application id and identifier
    second = app.run('--until-idle', expect=3)
    failed = app.events(second, 'new-failed')
    assert failed and failed[0]['error']['session_in_use'], failed
    # another identifier is another session
    other = svc.App(tmp_path, name='other-session', identifier='other')
    other.run('--until-idle')
    open(release, 'w').close()
    assert app.wait(holder) == 0, holder.output()
    # once it went, the session is free
    app.run('--until-idle')


# 6. Authentication while the app is away is refused, as an in-process task with no handler
# does; credentials never reach the service's store.

def test_auth_refused_while_app_absent(tmp_path, nginx, service):
    publish(nginx, [('private.mp3', 200_000)], seed=6)
    # nginx answers the 401 of /auth-slow/ 3 s late: the application has gone by then
    url = nginx.url('/auth-slow/private.mp3')

    # in-process, a background session's task whose handlers do not authenticate: the reference
    reference = svc.App(tmp_path, name='in-process', app_id='org.gnome.Ladle.TestInProcess')
    state_dir = os.path.join(reference.dir, 'session-state')
    ref_run = reference.run('--in-process', '--state-dir', state_dir, '--until-idle',
                            '--download', '%s=%s' % (url, os.path.join(reference.downloads, 'private.mp3')))
    expected = reference.events(ref_run, 'delivered')
    assert len(expected) == 1, reference.events(ref_run)
    assert expected[0]['status'] == 401, expected
    # the 401's body is not the episode: never at the destination
    assert not os.path.exists(os.path.join(reference.downloads, 'private.mp3'))
    nginx.clear_access_log()

    app = svc.App(tmp_path)
    first = app.run('--quit-after', QUIT_AFTER,
                    '--download', '%s=%s' % (url, os.path.join(app.downloads, 'private.mp3')))
    svc.wait_until(lambda: any(e['uri'] == '/auth-slow/private.mp3' and e['status'] == 401
                               for e in nginx.access_log()), 30, 'the 401 in nginx\'s log')
    entry = [e for e in nginx.access_log() if e['uri'] == '/auth-slow/private.mp3'][0]
    assert entry['msec'] > first.ended_at, (entry, first.ended_at)
    assert app.events(first, 'delivered') == [] and app.events(first, 'authenticate') == []
    # it completed in the service, refused: let it be recorded, then relaunch
    time.sleep(0.5)
    second = app.run('--until-idle')
    delivered = app.events(second, 'delivered')
    assert len(delivered) == 1, app.events(second)
    assert delivered[0]['status'] == expected[0]['status'] == 401
    assert delivered[0]['error'] == expected[0]['error'], (delivered, expected)
    assert not os.path.exists(os.path.join(app.downloads, 'private.mp3'))
    # (::download-finished: an in-process task emits it live with the 401's body, which is then
    # deleted; a completion delivered later, after a relaunch or from the service, has no file)
    assert app.events(second, 'download-finished') == []
    # refused: no request with credentials ever went out, and only the one request
    entries = [e for e in nginx.access_log() if e['uri'] == '/auth-slow/private.mp3']
    assert len(entries) == 1 and not entries[0]['authorization'], entries
    assert_nothing_left(app, nginx)


def test_auth_refused_while_app_attached(tmp_path, nginx, service):
    """docs/transfer-service.md: this version of the service refuses every challenge (it sends no
    ChallengeRequested), so an attached application's ::authenticate handler is not asked either:
    the task completes with the 401. The credentials go with the task instead (the next case)."""
    publish(nginx, [('members.mp3', 300_007)], seed=5)
    app = svc.App(tmp_path)
    run = app.run('--until-idle', '--user', nginx.user, '--password', nginx.password, '--download',
                  '%s=%s' % (nginx.url('/auth/members.mp3'), os.path.join(app.downloads, 'members.mp3')))
    assert app.events(run, 'authenticate') == [], app.events(run)
    delivered = app.events(run, 'delivered')
    assert len(delivered) == 1 and delivered[0]['error'] is None and delivered[0]['status'] == 401, delivered
    assert not os.path.exists(os.path.join(app.downloads, 'members.mp3'))
    entries = [e for e in nginx.access_log() if e['uri'] == '/auth/members.mp3']
    assert [e['status'] for e in entries] == [401] and not entries[0]['authorization'], entries


def test_credentials_not_in_store(tmp_path, nginx, service):
    published = publish(nginx, [('members-1.mp3', 3 * MiB + 1), ('members-2.mp3', 3 * MiB + 3)], seed=7)
    basic = 'Basic ' + base64.b64encode(('%s:%s' % (nginx.user, nginx.password)).encode()).decode()
    api_key = 'k3y-0f-th3-p0dcast-%d' % os.getpid()
    cookie = 'app-c00kie-%d' % os.getpid()
    app = svc.App(tmp_path)
    # the configuration's Authorization (a credential by nature) and a header marked sensitive
    # for the first download; the second carries Authorization and Cookie on its own request
    app.run('--quit-after', QUIT_AFTER, '--header', 'Authorization=' + basic,
            '--sensitive-header', 'X-Api-Key=' + api_key,
            '--download', '%s=%s' % (nginx.url('/auth-slow-body/members-1.mp3'),
                                     os.path.join(app.downloads, 'members-1.mp3')))
    other = svc.App(tmp_path, name='app-2', identifier='members-2')
    other.run('--quit-after', QUIT_AFTER, '--request-header', 'Authorization=' + basic,
              '--request-header', 'Cookie=sid=' + cookie,
              '--download', '%s=%s' % (nginx.url('/auth-slow-body/members-2.mp3'),
                                       os.path.join(other.downloads, 'members-2.mp3')))
    needles = [basic.encode(), basic.split(' ', 1)[1].encode(), nginx.password.encode(), api_key.encode(),
               cookie.encode()]
    # while the tasks run (recorded in the store), and after
    svc.wait_until(lambda: len(service.large_files(1 * MiB)) >= 2, 30, 'two partial files in the store')
    assert service.grep_store(needles) == [], service.store_files()
    svc.wait_until(lambda: os.path.exists(os.path.join(app.downloads, 'members-1.mp3'))
                   and os.path.exists(os.path.join(other.downloads, 'members-2.mp3')), 60, 'both downloads')
    assert service.grep_store(needles) == [], service.store_files()
    for e in nginx.access_log():
        if e['uri'].startswith('/auth-slow-body/'):
            # the service sent the credentials from its memory: no 401
            assert e['status'] == 200 and e['authorization'] == basic, e
    app.run('--until-idle')
    assert deliveries(app) == ['members-1.mp3']
    other.run('--until-idle')
    assert deliveries(other) == ['members-2.mp3']
    for a, name in ((app, 'members-1.mp3'), (other, 'members-2.mp3')):
        assert svc.sha256_file(os.path.join(a.downloads, name)) == published[name][1]
    assert service.grep_store(needles) == [], service.store_files()


def test_restored_task_has_no_credentials(tmp_path, nginx, service):
    """The service killed while a download that needs credentials runs: restored from the store,
    which never had them, the download asks again without them, gets the 401 and fails as a
    resumed download answered with anything but 206 or 200 does (docs/transfer-service.md, "Kill
    and restart")."""
    publish(nginx, [('members.mp3', 3 * MiB + 9)], seed=12)
    basic = 'Basic ' + base64.b64encode(('%s:%s' % (nginx.user, nginx.password)).encode()).decode()
    app = svc.App(tmp_path)
    app.run('--quit-after', QUIT_AFTER, '--header', 'Authorization=' + basic,
            '--download', '%s=%s' % (nginx.url('/auth-slow-body/members.mp3'),
                                     os.path.join(app.downloads, 'members.mp3')))
    svc.wait_until(lambda: service.large_files(1 * MiB), 30, 'a partial file of at least 1 MiB')
    service.kill()
    run = app.run('--until-idle', '--header', 'Authorization=' + basic, timeout=90)
    delivered = app.events(name='delivered')
    assert len(delivered) == 1, app.events(run)
    entries = svc.gets(nginx.access_log(), '/auth-slow-body/members.mp3')
    assert entries[0]['status'] == 200 and entries[0]['authorization'] == basic, entries
    assert [e['status'] for e in entries[1:]] == [401] and not entries[1]['authorization'], entries
    # a resumed download answered with anything but 206 or 200 is an error (docs/resume-data.md)
    assert delivered[0]['status'] == 401, delivered
    assert delivered[0]['error']['domain'] == 'ladle-error-quark', delivered
    assert delivered[0]['error']['code'] == int(Ladle.Error.UNEXPECTED_RANGE), delivered
    assert not os.path.exists(os.path.join(app.downloads, 'members.mp3'))


def test_store_is_key_files_only(tmp_path, nginx, service):
    """The service's store is key files and partial files: no database, and so no cookie that a
    server set (a session credential) outlives the service."""
    served_cookie = 's3rved-%d' % os.getpid()
    publish(nginx, [('page.mp3', 2 * MiB + 1)], seed=10)
    app = svc.App(tmp_path)
    app.run('--quit-after', QUIT_AFTER,
            '--download', '%s=%s' % (nginx.url('/cookies/set?name=sid&value=' + served_cookie),
                                     os.path.join(app.downloads, 'cookie.txt')),
            '--download', '%s=%s' % (nginx.url('/slow/page.mp3'), os.path.join(app.downloads, 'page.mp3')))
    svc.wait_until(lambda: service.large_files(1 * MiB), 30, 'a partial file in the store')
    app.run('--until-idle')
    assert sorted(deliveries(app)) == ['cookie.txt', 'page.mp3']
    for path in service.store_files():
        if os.path.getsize(path) == 0 or path.endswith('.lock'):
            continue
        with open(path, 'rb') as f:
            head = f.read(16)
        assert not head.startswith(b'SQLite format'), (path, service.store_files())
        GLib.KeyFile().load_from_file(path, GLib.KeyFileFlags.NONE)
    assert service.grep_store([served_cookie.encode()]) == []


def test_certificate_errors_refused_and_anchors_trusted(tmp_path, nginx, service):
    published = publish(nginx, [('secure.mp3', 100_003)], seed=8)
    url = nginx.tls_url('/files/secure.mp3')
    # nginx's self-signed certificate, with a handler that would accept it: the service does not
    # ask (the application may be gone), it refuses
    app = svc.App(tmp_path, identifier='untrusted')
    app.run('--quit-after', QUIT_AFTER, '--accept-certificates',
            '--download', '%s=%s' % (url, os.path.join(app.downloads, 'secure.mp3')))
    app.run('--until-idle', '--accept-certificates', timeout=60)
    delivered = app.events(name='delivered')
    assert len(delivered) == 1, app.events()
    assert delivered[0]['error'] is not None, delivered
    assert delivered[0]['error']['domain'] == 'g-tls-error-quark', delivered
    assert app.events(name='accept-certificate') == []
    assert not os.path.exists(os.path.join(app.downloads, 'secure.mp3'))

    # with the application's anchors (a GTlsFileDatabase), the service trusts nginx's certificate
    trusted = svc.App(tmp_path, name='trusted', identifier='trusted')
    trusted.run('--quit-after', QUIT_AFTER, '--tls-anchors', nginx.cert_path,
                '--download', '%s=%s' % (url, os.path.join(trusted.downloads, 'secure.mp3')))
    svc.wait_until(lambda: os.path.exists(os.path.join(trusted.downloads, 'secure.mp3')), 30,
                   'the TLS download')
    trusted.run('--until-idle', '--tls-anchors', nginx.cert_path)
    delivered = trusted.events(name='delivered')
    assert len(delivered) == 1 and delivered[0]['error'] is None and delivered[0]['status'] == 200, delivered
    assert svc.sha256_file(os.path.join(trusted.downloads, 'secure.mp3')) == published['secure.mp3'][1]


# 7. The service exits by itself once no client is attached and no task runs.

def test_idle_exit(tmp_path, nginx, service):
    publish(nginx, [('short.mp3', 2 * MiB + 5)], seed=9)
    app = svc.App(tmp_path)
    release = os.path.join(app.dir, 'release')
    holder = app.launch('--until-file', release)
    app.wait_for_event(holder, 'started')
    pid = service.wait_for_owner()
    # attached: it stays past its idle timeout
    time.sleep((service.idle_timeout + 1.5) * MULTIPLIER)
    assert service.owner_pid() == pid
    open(release, 'w').close()
    assert app.wait(holder) == 0, holder.output()
    detached_at = time.monotonic()
    service.wait_gone(pid, service.idle_timeout + 10)
    assert time.monotonic() - detached_at >= service.idle_timeout * 0.8

    # a task running with no client keeps it too, until the task is done and the timeout passed
    app.run('--quit-after', QUIT_AFTER, '--download', '%s=%s' % (nginx.url('/slow/short.mp3'),
                                                      os.path.join(app.downloads, 'short.mp3')))
    pid = service.wait_for_owner()
    svc.wait_until(lambda: os.path.exists(os.path.join(app.downloads, 'short.mp3')), 30, 'the download')
    done_at = time.monotonic()
    assert service.owner_pid() == pid
    service.wait_gone(pid, service.idle_timeout + 10)
    assert time.monotonic() - done_at >= service.idle_timeout * 0.5
    # what finished is kept for the next launch, which activates the service again
    run = app.run('--until-idle')
    assert deliveries(app, run) == ['short.mp3']
    assert service.owner_pid() not in (None, pid)

