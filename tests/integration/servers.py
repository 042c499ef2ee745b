# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Real third-party servers for Ladle's integration tests and benchmarks.

Servers nobody here wrote, each started on a free 127.0.0.1 port in its own temporary directory
and always stopped (context manager, atexit, and PR_SET_PDEATHSIG so that they die with the
process that started them even when it is killed). Run it with /usr/bin/python3 (or any Python:
this module needs no third-party package).

    import servers

    servers.check_available(nginx=True, php=True)   # raises servers.ServerMissing

    with servers.Nginx() as nginx:                  # Nginx(limit_rate='16m', tls=True, http2=False,
                                                    #       forward_proxy=False, extra_locations=())
        nginx.write_file('big.bin', data)           # into the document root; returns its path
        nginx.path('big.bin')                       # <root>/big.bin
        nginx.url('/files/big.bin')                 # http://127.0.0.1:PORT/files/big.bin
        nginx.tls_url('/files/big.bin')             # https://127.0.0.1:TLS_PORT/files/big.bin
        nginx.access_log()                          # list of dicts, oldest first (see below)
        nginx.clear_access_log()                    # truncates it (nginx keeps appending)
        nginx.cert_path, nginx.key_path             # self-signed certificate (PEM) and key
        nginx.cert_pem                              # the certificate's PEM text
        nginx.user, nginx.password                  # Basic auth credentials of /auth/ and /dav/
        nginx.dav_path('dir/x')                     # where a PUT to /dav/dir/x lands on disk
        nginx.error_log_path, nginx.access_log_path

    Locations (plain HTTP on nginx.port, the same over TLS on nginx.tls_port):
        /files/NAME                 the document root: static files, ETag, Last-Modified,
                                    Accept-Ranges, Range and If-Range (nginx's own behaviour)
        /slow/NAME                  the same files, sent at limit_rate per connection
        /auth/NAME                  the same files behind Basic auth (realm "Ladle")
        /dav/PATH                   WebDAV PUT, DELETE, MKCOL behind Basic auth, parents created,
                                    no body size limit; GET reads back; files under dav_root
        /redirect/CODE/NAME         CODE (301 302 303 307 308) to /files/NAME (same origin)
        /redirect-to/CODE?to=URL    CODE to URL as given (e.g. another port: cross-origin)
        /redirect-loop              302 to itself, forever
        /headers                    200 text/plain echoing Authorization, Cookie,
                                    Proxy-Authorization, Range, If-Range, User-Agent, Content-Type,
                                    Content-Length, and the method as "Name: value" lines
        /files/NAME.json            as /files/NAME, served as application/json
        /status/CODE                CODE for 200 204 301 400 401 403 404 416 500 503 (empty body)
        /cache/max-age/NAME         the document root with Cache-Control: max-age=3600
        /cache/expires/NAME         the same with nginx's `expires 1h` (Expires and max-age)
        /cache/etag/NAME            the same with an ETag and no Last-Modified nor freshness:
                                    a cache must revalidate it (If-None-Match, then 304)
        /cache/no-store/NAME        the same with Cache-Control: no-store
        /cookies/set?name=N&value=V 200 with Set-Cookie: N=V; Path=/; Max-Age=3600

    With forward_proxy=True, nginx.proxy_port is also an HTTP forward proxy: absolute-form
    requests (http://127.0.0.1:PORT/...) are passed to nginx.port, bodies unbuffered.

    access_log() entries (one per request, written when the request ends), keys:
        method, uri (with query), status (int), body_bytes_sent (int), bytes_sent (int),
        request_length (int), range, if_range, content_length, content_type, authorization,
        user_agent, server_port (int), scheme, time, cookie, if_none_match, if_modified_since,
        cache_control, msec (float: when the request ended, Unix seconds), request_time (float:
        seconds it lasted; msec - request_time is when it began). Missing headers are "".

    with servers.PhpServer() as php:                # php -S 127.0.0.1:PORT upload.php
        php.url('/anything')                        # every path runs upload.php
        php.log_path                                # PHP's own request log
    PhpServer(script=PATH) runs the PHP file at PATH instead (tests/integration/json-api.php:
    the JSON API of the LadleHttpClient tests); the command line takes --php-script PATH.

    upload.php answers any request with JSON:
        {"method", "content_type", "content_length", "post": $_POST (nested as PHP parses it),
         "files": [{"field", "name", "type", "size", "md5", "error"}...],  # md5 of the stored file
         "headers": getallheaders(), "raw_md5": md5 of php://input (empty for multipart)}

Command line, for tests that are not Python (C, GJS) and for manual use:

    servers.py run [--nginx] [--php] [--limit-rate R] [--tap] -- COMMAND ARGS...

starts the servers, runs COMMAND with these variables set, stops the servers and exits with
COMMAND's status:
    LADLE_NGINX_URL, LADLE_NGINX_TLS_URL, LADLE_NGINX_ROOT, LADLE_NGINX_ACCESS_LOG,
    LADLE_NGINX_CERT, LADLE_NGINX_USER, LADLE_NGINX_PASSWORD, LADLE_NGINX_DAV_ROOT, LADLE_PHP_URL
(URLs without a trailing slash). LADLE_NGINX, LADLE_PHP and LADLE_OPENSSL override where the
programs are found. When a server is missing it exits 77 (meson's "skipped"; with --tap it prints
TAP's "1..0 # SKIP" plan and exits 0), unless LADLE_INTEGRATION=enabled, where it exits 1: CI
never skips.

    servers.py serve [--nginx] [--php]   prints the same variables and serves until interrupted.
"""

import atexit
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

__all__ = ['ServerMissing', 'ServerFailed', 'check_available', 'Nginx', 'PhpServer', 'free_port',
           'integration_required']

START_TIMEOUT = 20 * int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))

_running = []


class ServerMissing(RuntimeError):
    """A server program (nginx, php, openssl) is not installed."""


class ServerFailed(RuntimeError):
    """A server did not start; the message includes its error log."""


def integration_required():
    """True when integration tests must fail rather than skip (LADLE_INTEGRATION=enabled)."""
    return os.environ.get('LADLE_INTEGRATION', 'auto') == 'enabled'


def _find(program, extra_dirs=('/usr/sbin', '/usr/local/sbin', '/sbin')):
    # LADLE_NGINX, LADLE_PHP, LADLE_OPENSSL name a program explicitly (or a missing one)
    override = os.environ.get('LADLE_' + program.upper())
    if override:
        return override if os.access(override, os.X_OK) else None
    path = shutil.which(program)
    if path is None:
        for directory in extra_dirs:
            candidate = os.path.join(directory, program)
            if os.access(candidate, os.X_OK):
                return candidate
    return path


def check_available(nginx=True, php=False):
    """Raises ServerMissing naming every missing program."""
    missing = []
    if nginx:
        missing += [p for p in ('nginx', 'openssl') if _find(p) is None]
    if php and _find('php') is None:
        missing.append('php')
    if missing:
        raise ServerMissing('missing: ' + ', '.join(missing))


def free_port():
    """A port free on 127.0.0.1 right now (the server binds it just after; retried on a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _die_with_parent():
    # Runs in the child before exec: the server gets SIGTERM when the process that started it
    # dies, even by SIGKILL.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def _port_open(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1):
            return True
    except OSError:
        return False


def _stop_all():
    for server in list(_running):
        server.stop()


atexit.register(_stop_all)


class _Server:
    name = 'server'

    def __init__(self):
        self.process = None
        self.dir = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _spawn(self, argv, log_path, ports):
        log = open(log_path, 'ab')
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            cwd=self.dir, preexec_fn=_die_with_parent)
        finally:
            log.close()
        _running.append(self)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if all(_port_open(p) for p in ports):
                return True
            time.sleep(0.02)
        return False

    def stop(self):
        if self in _running:
            _running.remove(self)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.dir is not None and not os.environ.get('LADLE_KEEP_SERVER_DIRS'):
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _read(self, path):
        try:
            with open(path, errors='replace') as f:
                return f.read()
        except OSError:
            return ''


_LOG_FORMAT = ('{"time":"$time_iso8601","method":"$request_method","uri":"$request_uri",'
               '"status":$status,"body_bytes_sent":$body_bytes_sent,"bytes_sent":$bytes_sent,'
               '"request_length":$request_length,"range":"$http_range","if_range":"$http_if_range",'
               '"content_length":"$content_length","content_type":"$content_type",'
               '"authorization":"$http_authorization","user_agent":"$http_user_agent",'
               '"server_port":$server_port,"scheme":"$scheme","cookie":"$http_cookie",'
               '"if_none_match":"$http_if_none_match","if_modified_since":"$http_if_modified_since",'
               '"cache_control":"$http_cache_control","msec":$msec,"request_time":$request_time}')

_REDIRECT_CODES = (301, 302, 303, 307, 308)
_STATUS_CODES = (200, 204, 301, 400, 401, 403, 404, 416, 500, 503)


class Nginx(_Server):
    """nginx with the locations listed in the module's documentation."""

    name = 'nginx'

    def __init__(self, limit_rate='16m', tls=True, user='ladle', password='s3cret-Pa55', http2=False,
                 forward_proxy=False, extra_locations=()):
        super().__init__()
        # extra_locations: more nginx `location` blocks (strings) for both servers; bench/upload's
        # sink is one
        self.extra_locations = list(extra_locations)
        self.limit_rate = limit_rate
        self.tls = tls
        # http2: the TLS port offers h2 by ALPN (libsoup then speaks HTTP/2 to it)
        self.http2 = http2
        # forward_proxy: proxy_port is an HTTP forward proxy (absolute-form requests) to port
        self.forward_proxy = forward_proxy
        self.proxy_port = None
        self.user = user
        self.password = password
        self.port = None
        self.tls_port = None

    # paths and URLs

    def path(self, name):
        return os.path.join(self.root, name)

    def dav_path(self, name):
        return os.path.join(self.dav_root, name)

    def write_file(self, name, data):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def url(self, path='/'):
        return 'http://127.0.0.1:%d%s' % (self.port, path)

    def tls_url(self, path='/'):
        if not self.tls:
            raise RuntimeError('this nginx was started without TLS')
        return 'https://127.0.0.1:%d%s' % (self.tls_port, path)

    def access_log(self):
        entries = []
        for line in self._read(self.access_log_path).splitlines():
            if line.strip():
                entries.append(json.loads(line))
        return entries

    def clear_access_log(self):
        # nginx holds the file open with O_APPEND: truncating it is safe
        with open(self.access_log_path, 'w'):
            pass

    def error_log(self):
        return self._read(self.error_log_path)

    # life cycle

    def _make_certificate(self):
        self.cert_path = os.path.join(self.dir, 'cert.pem')
        self.key_path = os.path.join(self.dir, 'key.pem')
        subprocess.run([_find('openssl'), 'req', '-x509', '-newkey', 'ec',
                        '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                        '-keyout', self.key_path, '-out', self.cert_path, '-days', '2',
                        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        with open(self.cert_path) as f:
            self.cert_pem = f.read()

    def _make_htpasswd(self):
        result = subprocess.run([_find('openssl'), 'passwd', '-apr1', self.password], check=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.htpasswd_path = os.path.join(self.dir, 'htpasswd')
        with open(self.htpasswd_path, 'w') as f:
            f.write('%s:%s\n' % (self.user, result.stdout.decode().strip()))

    def _locations(self):
        d = self.dir
        lines = [
            'location /files/ { alias %s/; }' % self.root,
            'location /slow/ { alias %s/; limit_rate %s; }' % (self.root, self.limit_rate),
            'location /auth/ { alias %s/; auth_basic "Ladle"; auth_basic_user_file %s; }'
            % (self.root, self.htpasswd_path),
            'location /dav/ { alias %s/; auth_basic "Ladle"; auth_basic_user_file %s; '
            'dav_methods PUT DELETE MKCOL; create_full_put_path on; dav_access user:rw; '
            'client_max_body_size 0; client_body_temp_path %s/client_body_dav; }'
            % (self.dav_root, self.htpasswd_path, d),
            'location = /redirect-loop { return 302 /redirect-loop; }',
            'location = /headers { default_type text/plain; return 200 "Method: $request_method\\n'
            'Authorization: $http_authorization\\nCookie: $http_cookie\\n'
            'Proxy-Authorization: $http_proxy_authorization\\nRange: $http_range\\n'
            'If-Range: $http_if_range\\nUser-Agent: $http_user_agent\\n'
            'Content-Type: $content_type\\nContent-Length: $content_length\\n"; }',
        ]
        # HTTP caching: fresh for an hour (Cache-Control or Expires), ETag only (no
        # Last-Modified, no freshness: every reuse is revalidated), never stored. Cookies: set
        # one that lasts an hour.
        lines += [
            'location /cache/max-age/ { alias %s/; add_header Cache-Control "max-age=3600"; }' % self.root,
            'location /cache/expires/ { alias %s/; expires 1h; }' % self.root,
            'location /cache/etag/ { alias %s/; add_header Last-Modified ""; }' % self.root,
            'location /cache/no-store/ { alias %s/; add_header Cache-Control "no-store"; }' % self.root,
            'location = /cookies/set { default_type text/plain; '
            'add_header Set-Cookie "$arg_name=$arg_value; Path=/; Max-Age=3600"; return 200 "set\\n"; }',
        ]
        for code in _REDIRECT_CODES:
            # Redirects of uploads: the body may be of any size (nginx refuses over 1 MiB otherwise).
            lines.append('location ~ ^/redirect/%d/(.*)$ { client_max_body_size 0; return %d /files/$1; }'
                         % (code, code))
            lines.append('location = /redirect-to/%d { client_max_body_size 0; return %d $arg_to; }'
                         % (code, code))
        for code in _STATUS_CODES:
            lines.append('location = /status/%d { return %d; }' % (code, code))
        lines += [location.replace('@DIR@', d) for location in self.extra_locations]
        return '\n        '.join(lines)

    def _config(self):
        d = self.dir
        user = 'user root root;' if os.geteuid() == 0 else ''
        tls_server = ''
        if self.tls:
            tls_server = '''
    server {
        listen 127.0.0.1:%d ssl%s;
        server_name localhost;
        ssl_certificate %s;
        ssl_certificate_key %s;
        %s
    }''' % (self.tls_port, ' http2' if self.http2 else '', self.cert_path, self.key_path,
           self._locations())
        proxy_server = ''
        if self.forward_proxy:
            proxy_server = '''
    server {
        listen 127.0.0.1:%d;
        location / {
            proxy_pass http://127.0.0.1:%d;
            proxy_request_buffering off;
            proxy_http_version 1.1;
            client_max_body_size 0;
        }
    }''' % (self.proxy_port, self.port)
        tls_server += proxy_server
        return '''%s
worker_processes 1;
error_log %s/error.log info;
events { worker_connections 256; }
http {
    default_type application/octet-stream;
    types { application/json json; }
    log_format ladle escape=json '%s';
    access_log %s ladle;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30;
    client_body_temp_path %s/client_body;
    proxy_temp_path %s/proxy;
    fastcgi_temp_path %s/fastcgi;
    uwsgi_temp_path %s/uwsgi;
    scgi_temp_path %s/scgi;
    server {
        listen 127.0.0.1:%d;
        server_name localhost;
        %s
    }%s
}
''' % (user, d, _LOG_FORMAT, self.access_log_path, d, d, d, d, d, self.port, self._locations(), tls_server)

    def start(self):
        check_available(nginx=True)
        self.dir = tempfile.mkdtemp(prefix='ladle-nginx-')
        self.root = os.path.join(self.dir, 'root')
        self.dav_root = os.path.join(self.dir, 'dav')
        os.makedirs(self.root)
        os.makedirs(self.dav_root)
        self.error_log_path = os.path.join(self.dir, 'error.log')
        self.access_log_path = os.path.join(self.dir, 'access.log')
        self.conf_path = os.path.join(self.dir, 'nginx.conf')
        self._make_htpasswd()
        if self.tls:
            self._make_certificate()

        for attempt in range(5):
            self.port = free_port()
            self.tls_port = free_port() if self.tls else None
            while self.tls and self.tls_port == self.port:
                self.tls_port = free_port()
            self.proxy_port = free_port() if self.forward_proxy else None
            while self.forward_proxy and self.proxy_port in (self.port, self.tls_port):
                self.proxy_port = free_port()
            with open(self.conf_path, 'w') as f:
                f.write(self._config())
            argv = [_find('nginx'), '-p', self.dir + '/', '-e', self.error_log_path,
                    '-c', self.conf_path,
                    '-g', 'daemon off; master_process on; pid %s/nginx.pid;' % self.dir]
            ports = ([self.port] + ([self.tls_port] if self.tls else [])
                     + ([self.proxy_port] if self.forward_proxy else []))
            if self._spawn(argv, os.path.join(self.dir, 'stderr.log'), ports):
                return self
            errors = self.error_log() + self._read(os.path.join(self.dir, 'stderr.log'))
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            if self in _running:
                _running.remove(self)
            self.process = None
            if 'Address already in use' not in errors:
                break
        errors = self.error_log() + self._read(os.path.join(self.dir, 'stderr.log'))
        self.stop()
        raise ServerFailed('nginx did not start:\n' + errors)


_UPLOAD_PHP = r'''<?php
// Reports how PHP parsed the request: the multipart fields and files of an upload.
function ladle_flatten_files($field, $info, &$out) {
    if (is_array($info['name'])) {
        foreach ($info['name'] as $key => $unused) {
            $sub = array();
            foreach (array('name', 'type', 'tmp_name', 'error', 'size') as $k)
                $sub[$k] = $info[$k][$key];
            ladle_flatten_files($field . '[' . $key . ']', $sub, $out);
        }
        return;
    }
    $ok = $info['error'] === UPLOAD_ERR_OK && is_uploaded_file($info['tmp_name']);
    $out[] = array(
        'field' => $field,
        'name' => $info['name'],
        'type' => $info['type'],
        'size' => $ok ? filesize($info['tmp_name']) : $info['size'],
        'md5' => $ok ? md5_file($info['tmp_name']) : null,
        'error' => $info['error'],
    );
}
$files = array();
foreach ($_FILES as $field => $info)
    ladle_flatten_files($field, $info, $files);
$raw = file_get_contents('php://input');
header('Content-Type: application/json');
echo json_encode(array(
    'method' => $_SERVER['REQUEST_METHOD'],
    'uri' => $_SERVER['REQUEST_URI'],
    'content_type' => isset($_SERVER['CONTENT_TYPE']) ? $_SERVER['CONTENT_TYPE'] : null,
    'content_length' => isset($_SERVER['CONTENT_LENGTH']) ? intval($_SERVER['CONTENT_LENGTH']) : null,
    'post' => $_POST,
    'files' => $files,
    'headers' => getallheaders(),
    'raw_md5' => md5($raw),
    'raw_length' => strlen($raw),
), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRETTY_PRINT);
'''


class PhpServer(_Server):
    """php -S 127.0.0.1:PORT upload.php: every request runs the multipart-reporting script."""

    name = 'php'

    def __init__(self, max_size='4G', script=None, port=None):
        super().__init__()
        self.max_size = max_size
        self.script = script
        # port: listen there (a test that made a client wait for this server on that port)
        self.fixed_port = port
        self.port = None

    def url(self, path='/'):
        return 'http://127.0.0.1:%d%s' % (self.port, path)

    def start(self):
        check_available(nginx=False, php=True)
        self.dir = tempfile.mkdtemp(prefix='ladle-php-')
        self.script_path = os.path.join(self.dir, 'upload.php')
        self.upload_dir = os.path.join(self.dir, 'uploads')
        self.log_path = os.path.join(self.dir, 'php.log')
        os.makedirs(self.upload_dir)
        with open(self.script_path, 'w') as f:
            if self.script is None:
                f.write(_UPLOAD_PHP)
            else:
                with open(self.script) as script:
                    f.write(script.read())
        for attempt in range(5):
            self.port = self.fixed_port or free_port()
            argv = [_find('php'), '-n',
                    '-d', 'upload_max_filesize=' + self.max_size,
                    '-d', 'post_max_size=' + self.max_size,
                    '-d', 'max_file_uploads=1000',
                    '-d', 'max_input_vars=100000',
                    '-d', 'memory_limit=512M',
                    '-d', 'upload_tmp_dir=' + self.upload_dir,
                    '-d', 'file_uploads=On',
                    '-d', 'enable_post_data_reading=On',
                    '-S', '127.0.0.1:%d' % self.port, '-t', self.dir, self.script_path]
            if self._spawn(argv, self.log_path, [self.port]):
                return self
            errors = self._read(self.log_path)
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            if self in _running:
                _running.remove(self)
            self.process = None
            if 'Address already in use' not in errors:
                break
        errors = self._read(self.log_path)
        self.stop()
        raise ServerFailed('php -S did not start:\n' + errors)


def _environment(nginx, php):
    env = {}
    if nginx is not None:
        env.update({
            'LADLE_NGINX_URL': nginx.url('').rstrip('/'),
            'LADLE_NGINX_ROOT': nginx.root,
            'LADLE_NGINX_ACCESS_LOG': nginx.access_log_path,
            'LADLE_NGINX_USER': nginx.user,
            'LADLE_NGINX_PASSWORD': nginx.password,
            'LADLE_NGINX_DAV_ROOT': nginx.dav_root,
        })
        if nginx.tls:
            env['LADLE_NGINX_TLS_URL'] = nginx.tls_url('').rstrip('/')
            env['LADLE_NGINX_CERT'] = nginx.cert_path
    if php is not None:
        env['LADLE_PHP_URL'] = php.url('').rstrip('/')
    return env


def main(argv):
    import argparse

    parser = argparse.ArgumentParser(description='Run real servers on 127.0.0.1 for Ladle tests.')
    parser.add_argument('mode', choices=['run', 'serve'])
    parser.add_argument('--nginx', action='store_true')
    parser.add_argument('--php', action='store_true')
    parser.add_argument('--php-script', default=None,
                        help='the script php -S runs for every path (default: upload.php)')
    parser.add_argument('--limit-rate', default='16m')
    parser.add_argument('--tap', action='store_true',
                        help='COMMAND speaks TAP: report a skip as "1..0 # SKIP" too')
    if '--' in argv:
        split = argv.index('--')
        argv, command = argv[:split], argv[split + 1:]
    else:
        command = []
    args = parser.parse_args(argv)
    if not args.nginx and not args.php:
        args.nginx = True
    if args.mode == 'run' and not command:
        parser.error('run needs a command after --')

    try:
        check_available(nginx=args.nginx, php=args.php)
    except ServerMissing as e:
        if integration_required():
            print('FAIL: integration tests are enabled but servers are %s' % e, file=sys.stderr)
            return 1
        print('SKIP: %s' % e, file=sys.stderr)
        if args.mode == 'run' and args.tap:
            # TAP's skip-all plan; meson's TAP parser wants the status 0 with it
            print('1..0 # SKIP %s' % e, flush=True)
            return 0
        return 77

    nginx = Nginx(limit_rate=args.limit_rate) if args.nginx else None
    php = PhpServer(script=args.php_script) if args.php else None
    try:
        if nginx:
            nginx.start()
        if php:
            php.start()
        env = _environment(nginx, php)
        if args.mode == 'serve':
            for key, value in sorted(env.items()):
                print('%s=%s' % (key, value), flush=True)
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
            return 0
        child = subprocess.Popen(command, env=dict(os.environ, **env))
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.terminate()
            return child.wait()
    finally:
        if php:
            php.stop()
        if nginx:
            nginx.stop()


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    sys.exit(main(sys.argv[1:]))
