# SPDX-License-Identifier: LGPL-2.1-or-later
"""The `ladle` command against nginx and php -S: get (-o, -O, several URLs, --parallel,
stdout), put, post (multipart parsed by PHP, -d), --json, credentials, TLS and exit codes."""

import os
import stat
import subprocess
import time

import pytest

from conftest import sha256
import servers

EXIT_USAGE, EXIT_FILE, EXIT_NETWORK, EXIT_TLS, EXIT_HTTP = 2, 3, 4, 5, 22


def random_bytes(size, seed):
    # reproducible content that nginx cannot compress away
    import random
    return random.Random(seed).randbytes(size)


# help and usage

def test_help_is_complete(ladle):
    for command in ('get', 'put', 'post'):
        result = ladle.run([command, '--help'])
        assert result.returncode == 0
        text = result.stdout.decode()
        assert 'ladle %s' % command in text
        for option in ('--header', '--user', '--json', '--insecure', '--cacert', '--timeout',
                       '--quiet', '--output'):
            assert option in text, (command, option)
        for code in ('0 ', '2 ', '3 ', '4 ', '5 ', '22 ', '130 '):
            assert '\n  ' + code in text, (command, code)
    get_help = ladle.run(['get', '--help']).stdout.decode()
    for option in ('--remote-name', '--continue', '--parallel', '--output-dir'):
        assert option in get_help
    post_help = ladle.run(['post', '--help']).stdout.decode()
    assert '--form' in post_help and '--data' in post_help

    top = ladle.run(['--help'])
    assert top.returncode == 0
    assert b'ladle get URL' in top.stdout and b'ladle put URL FILE' in top.stdout
    version = ladle.run(['--version'])
    assert version.returncode == 0 and version.stdout.startswith(b'ladle ')


@pytest.mark.parametrize('args', [
    [],
    ['fetch', 'http://127.0.0.1:1/'],
    ['get'],
    ['get', 'ftp://127.0.0.1/x'],
    ['get', 'not a url'],
    ['get', '--no-such-option', 'http://127.0.0.1:1/x'],
    ['get', '-o', 'a', 'http://127.0.0.1:1/x', 'http://127.0.0.1:1/y'],
    ['get', '-o', 'a', '-O', 'http://127.0.0.1:1/x'],
    ['get', '--parallel', '0', 'http://127.0.0.1:1/x'],
    ['get', '-c', '-o', '-', 'http://127.0.0.1:1/x'],
    ['get', '--json', '-o', '-', 'http://127.0.0.1:1/x'],
    ['get', '-H', 'no colon', 'http://127.0.0.1:1/x'],
    ['get', '-H', ': empty name', 'http://127.0.0.1:1/x'],
    ['put', 'http://127.0.0.1:1/x'],
    ['post', 'http://127.0.0.1:1/x', '-F', 'novalue'],
    ['post', 'http://127.0.0.1:1/x', '-F', 'a=b', '-d', 'x'],
])
def test_usage_errors_exit_2(ladle, args):
    result = ladle.run(args)
    assert result.returncode == EXIT_USAGE, result
    assert 'ladle:' in result.stderr
    assert os.listdir(ladle.workdir) == []


# get

def test_get_output_file(ladle, nginx):
    data = random_bytes(3 << 20, 1)
    nginx.write_file('one.bin', data)
    old = os.umask(0o022)
    try:
        result = ladle.run(['get', nginx.url('/files/one.bin'), '-o', 'copy.bin'])
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    path = os.path.join(ladle.workdir, 'copy.bin')
    assert sha256(path) == sha256(data)
    # the mode of any new file of the user's, not Ladle's private 0600
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert sorted(os.listdir(ladle.workdir)) == ['copy.bin']
    # plain lines when stderr is not a terminal: no escape sequences, the final status
    assert '\033' not in result.stderr
    assert '200 OK' in result.stderr and 'copy.bin' in result.stderr


def test_get_replaces_existing_output(ladle, nginx):
    nginx.write_file('new.txt', b'new content\n')
    with open(os.path.join(ladle.workdir, 'out.txt'), 'wb') as f:
        f.write(b'old content that is longer\n')
    result = ladle.run(['get', '-q', nginx.url('/files/new.txt'), '-o', 'out.txt'])
    assert result.returncode == 0
    assert result.stderr == ''
    with open(os.path.join(ladle.workdir, 'out.txt'), 'rb') as f:
        assert f.read() == b'new content\n'


def test_get_remote_name_from_url_is_the_default(ladle, nginx):
    nginx.write_file('dir/name from url.txt', b'by url\n')
    result = ladle.run(['get', nginx.url('/files/dir/name%20from%20url.txt')])
    assert result.returncode == 0, result.stderr
    assert os.listdir(ladle.workdir) == ['name from url.txt']
    result = ladle.run(['get', '-O', '-P', 'sub', nginx.url('/files/dir/name%20from%20url.txt')])
    assert result.returncode == EXIT_FILE  # -P names a directory that is not there
    os.mkdir(os.path.join(ladle.workdir, 'sub'))
    result = ladle.run(['get', '-O', '-P', 'sub', nginx.url('/files/dir/name%20from%20url.txt')])
    assert result.returncode == 0
    assert os.listdir(os.path.join(ladle.workdir, 'sub')) == ['name from url.txt']


def test_get_remote_name_from_content_disposition(ladle, nginx):
    nginx.write_file('cd.bin', b'disposition\n')
    result = ladle.run(['get', '-O', nginx.url('/cd/plain/cd.bin'), '--json'])
    assert result.returncode == 0, result.stderr
    assert os.listdir(ladle.workdir) == ['report 2026.txt']
    assert result.json[0]['output'] == 'report 2026.txt'


def test_get_remote_name_is_reduced_to_a_safe_base_name(ladle, nginx, tmp_path):
    nginx.write_file('cd.bin', b'disposition\n')
    result = ladle.run(['get', '-O', nginx.url('/cd/evil/cd.bin'), '--json'])
    assert result.returncode == 0, result.stderr
    names = os.listdir(ladle.workdir)
    assert len(names) == 1
    name = names[0]
    assert '/' not in name and '\\' not in name and not name.startswith('.')
    assert 'name.txt' in name
    assert result.json[0]['output'] == name
    # nothing written outside the working directory
    assert sorted(os.listdir(tmp_path)) == ['state', 'work'] or sorted(os.listdir(tmp_path)) == ['work']


def test_get_several_urls_in_parallel(ladle, nginx):
    contents = {'p%d.bin' % i: random_bytes(300_000 + i * 1000, i) for i in range(5)}
    for name, data in contents.items():
        nginx.write_file('par/' + name, data)
    nginx.clear_access_log()
    urls = [nginx.url('/slow/par/' + name) for name in sorted(contents)]
    started = time.monotonic()
    result = ladle.run(['get', '--parallel', '5', '--json'] + urls)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    for name, data in contents.items():
        assert sha256(os.path.join(ladle.workdir, name)) == sha256(data)
    assert [entry['url'] for entry in sorted(result.json, key=lambda e: e['url'])] == urls
    assert all(entry['status'] == 200 and entry['exit_code'] == 0 for entry in result.json)
    log = [e for e in nginx.access_log() if e['uri'].startswith('/slow/par/')]
    assert len(log) == 5
    # 5 x 300 kB at 200 kB/s each: one after another takes 7.5 s, at once about 1.5 s
    assert elapsed < 6.5, elapsed


def test_get_several_urls_one_at_a_time_in_order(ladle, nginx):
    for i in range(3):
        nginx.write_file('seq/s%d.txt' % i, b'file %d\n' % i)
    urls = [nginx.url('/files/seq/s%d.txt' % i) for i in range(3)]
    result = ladle.run(['get', '--json'] + urls)
    assert result.returncode == 0
    assert [entry['url'] for entry in result.json] == urls
    assert sorted(os.listdir(ladle.workdir)) == ['s0.txt', 's1.txt', 's2.txt']


def test_get_same_name_twice_keeps_both(ladle, nginx):
    nginx.write_file('a/same.txt', b'first\n')
    nginx.write_file('b/same.txt', b'second\n')
    result = ladle.run(['get', nginx.url('/files/a/same.txt'), nginx.url('/files/b/same.txt')])
    assert result.returncode == 0
    assert sorted(os.listdir(ladle.workdir)) == ['same.txt', 'same.txt.1']
    with open(os.path.join(ladle.workdir, 'same.txt'), 'rb') as f:
        assert f.read() == b'first\n'


def test_get_to_stdout(ladle, nginx):
    data = random_bytes(5 << 20, 2)
    nginx.write_file('stdout.bin', data)
    result = ladle.run(['get', '-o', '-', nginx.url('/files/stdout.bin')])
    assert result.returncode == 0, result.stderr
    assert result.stdout == data
    assert os.listdir(ladle.workdir) == []


def test_get_to_a_slow_pipe_keeps_every_byte(ladle, nginx):
    data = random_bytes(12 << 20, 3)
    nginx.write_file('pipe.bin', data)
    process = ladle.spawn(['get', '-o', '-', nginx.url('/files/pipe.bin')])
    received = bytearray()
    while True:
        chunk = process.stdout.read(256 << 10)
        if not chunk:
            break
        received += chunk
        time.sleep(0.01)   # a slow reader: ladle suspends the download instead of buffering
    process.wait(timeout=60)
    assert process.returncode == 0, process.stderr.read()
    assert sha256(bytes(received)) == sha256(data)


def test_get_closed_pipe_is_a_file_error(ladle, nginx):
    nginx.write_file('closed.bin', random_bytes(8 << 20, 4))
    process = ladle.spawn(['get', '-o', '-', nginx.url('/slow/closed.bin')])
    process.stdout.read(1000)
    process.stdout.close()
    assert process.wait(timeout=60) == EXIT_FILE
    process.stderr.close()


def test_get_error_status_exit_22_and_nothing_saved(ladle, nginx):
    result = ladle.run(['get', nginx.url('/files/missing.bin'), '-o', 'x.bin', '--json'])
    assert result.returncode == EXIT_HTTP
    assert os.listdir(ladle.workdir) == []
    assert result.json[0]['status'] == 404
    assert result.json[0]['error'] is None
    assert result.json[0]['exit_code'] == EXIT_HTTP
    assert 'HTTP 404' in result.stderr
    stdout = ladle.run(['get', nginx.url('/status/500'), '-o', '-'])
    assert stdout.returncode == EXIT_HTTP and stdout.stdout == b''


def test_first_failure_gives_the_exit_status(ladle, nginx):
    nginx.write_file('ok.txt', b'ok\n')
    result = ladle.run(['get', nginx.url('/files/ok.txt'), nginx.url('/files/missing.txt'),
                        'http://127.0.0.1:%d/refused' % servers.free_port(), '--json'])
    assert result.returncode == EXIT_HTTP
    assert [entry['exit_code'] for entry in result.json] == [0, EXIT_HTTP, EXIT_NETWORK]
    assert os.listdir(ladle.workdir) == ['ok.txt']


def test_connection_refused_exit_4(ladle):
    result = ladle.run(['get', 'http://127.0.0.1:%d/x' % servers.free_port(), '-o', 'x', '--json'])
    assert result.returncode == EXIT_NETWORK
    error = result.json[0]['error']
    assert error['domain'] == 'g-io-error-quark' and error['message']
    assert os.listdir(ladle.workdir) == []


def test_output_directory_missing_exit_3_before_any_request(ladle, nginx):
    nginx.clear_access_log()
    result = ladle.run(['get', nginx.url('/files/ok.txt'), '-o', 'no/such/dir/x'])
    assert result.returncode == EXIT_FILE
    assert nginx.access_log() == []


def test_headers_and_user_agent_are_sent(ladle, nginx):
    result = ladle.run(['get', '-o', '-', '-H', 'Cookie: flavour=oat', '-A', 'checker/1.0',
                        nginx.url('/headers')])
    assert result.returncode == 0
    assert b'Cookie: flavour=oat' in result.stdout
    assert b'User-Agent: checker/1.0' in result.stdout
    default = ladle.run(['get', '-o', '-', nginx.url('/headers')])
    assert b'User-Agent: ladle/' in default.stdout


# credentials

def test_user_with_password_from_the_environment(ladle, nginx):
    nginx.write_file('secret.txt', b'behind basic auth\n')
    nginx.clear_access_log()
    result = ladle.run(['get', '--user', nginx.user, nginx.url('/auth/secret.txt'), '--json'],
                       env={'LADLE_PASSWORD': nginx.password})
    assert result.returncode == 0, result.stderr
    with open(os.path.join(ladle.workdir, 'secret.txt'), 'rb') as f:
        assert f.read() == b'behind basic auth\n'
    # answered through the authenticate signal: a 401 first, then the request with credentials
    statuses = [e['status'] for e in nginx.access_log() if e['uri'] == '/auth/secret.txt']
    assert statuses == [401, 200]
    assert nginx.password not in result.stderr
    assert nginx.password.encode() not in result.stdout


def test_wrong_password_exit_22(ladle, nginx):
    nginx.write_file('secret.txt', b'behind basic auth\n')
    result = ladle.run(['get', '--user', nginx.user + ':wrong', nginx.url('/auth/secret.txt')])
    assert result.returncode == EXIT_HTTP
    assert 'HTTP 401' in result.stderr
    assert os.listdir(ladle.workdir) == []


def test_no_credentials_exit_22(ladle, nginx):
    result = ladle.run(['get', nginx.url('/auth/secret.txt')])
    assert result.returncode == EXIT_HTTP


def test_user_without_password_and_without_terminal_is_a_usage_error(ladle, nginx):
    # no LADLE_PASSWORD in the environment and no /dev/tty (start_new_session below)
    env = dict(ladle.env)
    env.pop('LADLE_PASSWORD', None)
    process = subprocess.run(ladle.argv(['get', '--user', 'ladle', nginx.url('/auth/secret.txt')]),
                             cwd=ladle.workdir, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                             timeout=60)
    assert process.returncode == EXIT_USAGE
    assert b'no password' in process.stderr


def test_password_is_hidden_from_the_process_list(ladle, nginx):
    nginx.write_file('hidden.bin', random_bytes(300_000, 5))
    process = ladle.spawn(['get', '-u', '%s:%s' % (nginx.user, nginx.password),
                           nginx.url('/slowauth/hidden.bin'), '-o', 'hidden.bin'])
    try:
        # (until ladle has parsed its options, the password is there, as with curl)
        deadline = time.monotonic() + 10
        cmdline = b''
        while time.monotonic() < deadline and process.poll() is None:
            with open('/proc/%d/cmdline' % process.pid, 'rb') as f:
                cmdline = f.read()
            if b'*' in cmdline:
                break
            time.sleep(0.01)
        assert process.poll() is None, 'the transfer ended too soon to look at its argv'
        assert nginx.password.encode() not in cmdline
        assert (nginx.user + ':' + '*' * len(nginx.password)).encode() in cmdline
    finally:
        process.wait(timeout=60)
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == 0


def test_credentials_are_not_sent_to_another_origin(ladle, nginx):
    # /redirect-to/302?to= another port of the same host: another origin
    nginx.write_file('moved.txt', b'moved\n')
    nginx.clear_access_log()
    target = nginx.tls_url('/auth/moved.txt').replace('https://', 'http://').replace(
        ':%d' % nginx.tls_port, ':%d' % nginx.port)
    # same origin redirect keeps working with credentials
    result = ladle.run(['get', '--user', '%s:%s' % (nginx.user, nginx.password), '-o', 'same.txt',
                        nginx.url('/redirect-to/302?to=' + target)])
    assert result.returncode == 0, result.stderr
    other_origin = nginx.url('/redirect-to/302?to=http://localhost:%d/auth/moved.txt' % nginx.port)
    nginx.clear_access_log()
    result = ladle.run(['get', '--user', '%s:%s' % (nginx.user, nginx.password), '-o', 'other.txt',
                        other_origin])
    assert result.returncode == EXIT_HTTP
    assert 'not sending' in result.stderr
    assert all(e['authorization'] == '' for e in nginx.access_log())


# TLS

def test_untrusted_certificate_exit_5(ladle, nginx):
    nginx.write_file('tls.txt', b'over tls\n')
    result = ladle.run(['get', nginx.tls_url('/files/tls.txt'), '-o', 'tls.txt'])
    assert result.returncode == EXIT_TLS
    assert '--cacert' in result.stderr
    assert os.listdir(ladle.workdir) == []


def test_cacert_trusts_the_server(ladle, nginx):
    nginx.write_file('tls.txt', b'over tls\n')
    result = ladle.run(['get', '--cacert', nginx.cert_path, nginx.tls_url('/files/tls.txt'),
                        '-o', 'tls.txt'])
    assert result.returncode == 0, result.stderr
    assert 'WARNING' not in result.stderr
    missing = ladle.run(['get', '--cacert', 'no-such.pem', nginx.tls_url('/files/tls.txt')])
    assert missing.returncode == EXIT_FILE


def test_insecure_accepts_loudly(ladle, nginx):
    nginx.write_file('tls.txt', b'over tls\n')
    result = ladle.run(['get', '-k', nginx.tls_url('/files/tls.txt'), '-o', 'tls.txt'])
    assert result.returncode == 0, result.stderr
    assert 'WARNING' in result.stderr and 'UNTRUSTED' in result.stderr and 'NOT secure' in result.stderr
    with open(os.path.join(ladle.workdir, 'tls.txt'), 'rb') as f:
        assert f.read() == b'over tls\n'


# put

def test_put_file_with_credentials(ladle, nginx):
    data = random_bytes(4 << 20, 6)
    with open(os.path.join(ladle.workdir, 'upload.bin'), 'wb') as f:
        f.write(data)
    nginx.clear_access_log()
    result = ladle.run(['put', nginx.url('/dav/put/upload.bin'), 'upload.bin', '--user', nginx.user,
                        '--json'], env={'LADLE_PASSWORD': nginx.password})
    assert result.returncode == 0, result.stderr
    assert sha256(nginx.dav_path('put/upload.bin')) == sha256(data)
    entry = result.json[0]
    assert entry['method'] == 'PUT' and entry['status'] == 201 and entry['bytes_sent'] == len(data)
    puts = [e for e in nginx.access_log() if e['method'] == 'PUT']
    # the body was sent again after the 401 (Ladle's body factory), whole
    assert [e['status'] for e in puts][-1] == 201
    assert int(puts[-1]['content_length']) == len(data)


def test_put_refused_exit_22_and_missing_file_exit_3(ladle, nginx):
    with open(os.path.join(ladle.workdir, 'small.txt'), 'wb') as f:
        f.write(b'x')
    refused = ladle.run(['put', nginx.url('/dav/x.txt'), 'small.txt'])
    assert refused.returncode == EXIT_HTTP
    missing = ladle.run(['put', nginx.url('/dav/x.txt'), 'no-such-file'])
    assert missing.returncode == EXIT_FILE
    assert 'no-such-file' in missing.stderr
    directory = ladle.run(['put', nginx.url('/dav/x.txt'), '.'])
    assert directory.returncode == EXIT_FILE


# post

def test_post_multipart_form_parsed_by_php(ladle, php_server, tmp_path):
    data = random_bytes(3 << 20, 7)
    with open(os.path.join(ladle.workdir, 'photo.jpg'), 'wb') as f:
        f.write(data)
    with open(os.path.join(ladle.workdir, 'notes.txt'), 'wb') as f:
        f.write(b'some notes\n')
    result = ladle.run(['post', php_server.url('/form'),
                        '-F', 'title=Holiday photo',
                        '-F', 'tags=sea;sun',
                        '-F', 'meta={"a":1};type=application/json',
                        '-F', 'photo=@photo.jpg;type=image/jpeg',
                        '-F', 'notes=@notes.txt;filename=renamed.txt',
                        '-o', 'response.json'])
    assert result.returncode == 0, result.stderr
    import json
    with open(os.path.join(ladle.workdir, 'response.json')) as f:
        response = json.load(f)
    assert response['method'] == 'POST'
    assert response['content_type'].startswith('multipart/form-data; boundary=')
    assert response['post'] == {'title': 'Holiday photo', 'tags': 'sea;sun', 'meta': '{"a":1}'}
    files = {entry['field']: entry for entry in response['files']}
    assert files['photo']['name'] == 'photo.jpg'
    assert files['photo']['type'] == 'image/jpeg'
    assert files['photo']['size'] == len(data)
    import hashlib
    assert files['photo']['md5'] == hashlib.md5(data).hexdigest()
    assert files['notes']['name'] == 'renamed.txt'
    assert files['notes']['type'] == 'text/plain'
    assert files['notes']['md5'] == hashlib.md5(b'some notes\n').hexdigest()


def test_post_body_to_stdout(ladle, php_server):
    result = ladle.run(['post', php_server.url('/data'), '-d', 'a=1&b=two'])
    assert result.returncode == 0, result.stderr
    import json
    response = json.loads(result.stdout)
    assert response['post'] == {'a': '1', 'b': 'two'}
    assert response['content_type'] == 'application/x-www-form-urlencoded'


def test_post_data_from_file_with_type(ladle, php_server):
    with open(os.path.join(ladle.workdir, 'body.json'), 'wb') as f:
        f.write(b'{"hello": "world"}')
    result = ladle.run(['post', php_server.url('/json'), '-d', '@body.json',
                        '--content-type', 'application/json', '--json'])
    assert result.returncode == 0, result.stderr
    # with --json, stdout holds only the JSON objects
    assert len(result.json) == 1 and result.json[0]['method'] == 'POST'
    assert result.json[0]['status'] == 200
    assert result.json[0]['bytes_sent'] == len(b'{"hello": "world"}')


def test_post_missing_form_file_exit_3(ladle, php_server):
    result = ladle.run(['post', php_server.url('/form'), '-F', 'f=@missing.bin'])
    assert result.returncode == EXIT_FILE


# --json is valid whatever the URL and the file name

def test_json_with_awkward_url_and_file_names(ladle, nginx):
    nginx.write_file('odd/q"uote\\back\tslash.txt', b'odd\n')
    url = nginx.url('/files/odd/q%22uote%5Cback%09slash.txt')
    # a quote, a newline, Latin-1, control characters (U+001F: json-glib 1.6 leaves it raw)
    name = b'out "name"\n\xe9\x01\x1f.txt'
    result = subprocess.run(ladle.argv([b'get', url.encode(), b'-o', name, b'--json']),
                            cwd=ladle.workdir, env=ladle.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=60)
    assert result.returncode == 0, result.stderr
    from conftest import parse_json_lines
    entries = parse_json_lines(result.stdout)
    assert len(entries) == 1
    assert entries[0]['url'] == url
    assert entries[0]['output'] == 'out "name"\n\ufffd\x01\x1f.txt'
    assert b'\x1f' not in result.stdout
    assert os.listdir(ladle.workdir.encode()) == [name]
    # the plain lines on stderr carry no raw control character of the name
    assert b'\x01' not in result.stderr and b'\x1f' not in result.stderr


def test_man_page_documents_every_option(ladle):
    import re
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, '..', '..', 'cli', 'ladle.1')) as f:
        man = f.read().replace('\\-', '-')
    for command in ('get', 'put', 'post'):
        text = ladle.run([command, '--help']).stdout.decode()
        options = set(re.findall(r'^\s+(?:-\w, )?(--[a-z][a-z-]*)', text, re.M)) - {'--help'}
        assert options, text
        for option in options:
            assert option in man, (command, option)
    for code in ('0', '1', '2', '3', '4', '5', '22', '130'):
        assert '.B %s\n' % code in man


def test_credentials_in_the_url(ladle, nginx):
    nginx.write_file('userinfo.bin', random_bytes(300_000, 8))
    url = nginx.url('/slowauth/userinfo.bin').replace('http://', 'http://%s:%s@' % (nginx.user, nginx.password))
    process = ladle.spawn(['get', url, '-o', 'userinfo.bin', '--json'])
    cmdline = b''
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        with open('/proc/%d/cmdline' % process.pid, 'rb') as f:
            cmdline = f.read()
        if b'*' in cmdline:
            break
        time.sleep(0.01)
    assert process.poll() is None, 'the transfer ended too soon to look at its argv'
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert nginx.password.encode() not in cmdline
    assert nginx.password.encode() not in stdout + stderr
    from conftest import parse_json_lines
    entry = parse_json_lines(stdout)[0]
    assert '@' not in entry['url'] and '@' not in entry['final_url']


def test_redirect_limit_exit_4(ladle, nginx):
    result = ladle.run(['get', '--max-redirs', '3', nginx.url('/redirect-loop'), '-o', 'x', '--json'])
    assert result.returncode == EXIT_NETWORK
    assert result.json[0]['error']['domain'] == 'ladle-error-quark'
    assert os.listdir(ladle.workdir) == []


def test_remote_name_into_a_file_exit_3_before_any_request(ladle, nginx):
    with open(os.path.join(ladle.workdir, 'plain-file'), 'w') as f:
        f.write('not a directory')
    nginx.clear_access_log()
    result = ladle.run(['get', '-P', 'plain-file', nginx.url('/files/ok.txt')])
    assert result.returncode == EXIT_FILE
    assert nginx.access_log() == []
    assert os.listdir(ladle.workdir) == ['plain-file']


def test_remote_name_beside_directories(ladle, nginx):
    # the directory check of -O looks at the directory only, not at any name inside it
    nginx.write_file('beside.txt', b'beside\n')
    for name in ('x', 'sub'):
        os.mkdir(os.path.join(ladle.workdir, name))
    result = ladle.run(['get', nginx.url('/files/beside.txt')])
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(ladle.workdir)) == ['beside.txt', 'sub', 'x']
    # a file whose name is taken by a directory: a file error, before anything is sent
    nginx.clear_access_log()
    result = ladle.run(['get', nginx.url('/files/beside.txt'), '-o', 'sub'])
    assert result.returncode == EXIT_FILE
    assert nginx.access_log() == []


def test_interrupt_with_a_stalled_reader(ladle, nginx):
    # stdout is a pipe nobody reads: the pipe fills, ladle suspends the download; SIGINT must
    # still end it at once
    import signal
    nginx.write_file('stalled.bin', random_bytes(16 << 20, 9))
    process = ladle.spawn(['get', '-o', '-', nginx.url('/files/stalled.bin')])
    time.sleep(1.5)
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    try:
        returncode = process.wait(timeout=20)
    finally:
        process.kill()
        process.stdout.close()
        process.stderr.close()
    assert returncode == 130


def test_json_fields(ladle, nginx):
    data = random_bytes(400_000, 10)
    nginx.write_file('fields.bin', data)
    result = ladle.run(['get', '--json', nginx.url('/slow/fields.bin'), '-o', 'fields.bin'])
    assert result.returncode == 0
    entry = result.json[0]
    assert set(entry) == {'url', 'final_url', 'method', 'output', 'status', 'reason', 'content_type', 'etag',
                          'bytes_received', 'bytes_expected', 'bytes_sent', 'resumed_from', 'elapsed_ms',
                          'bytes_per_second', 'resume_file', 'error', 'exit_code'}
    assert entry['method'] == 'GET' and entry['reason'] == 'OK'
    assert entry['bytes_received'] == entry['bytes_expected'] == len(data)
    assert entry['resumed_from'] is None and entry['resume_file'] is None
    # 400 kB at nginx's 200 KiB/s: about two seconds
    assert isinstance(entry['elapsed_ms'], int) and 1000 <= entry['elapsed_ms'] <= 20000
    assert isinstance(entry['bytes_per_second'], int)
    assert 20_000 <= entry['bytes_per_second'] <= 400_000
