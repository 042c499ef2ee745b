# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ladle.HttpClient against PHP's built-in server running json-api.php (which reports what PHP
parsed: method, query, form, JSON body, files) and against nginx (a static JSON file, a 404, the
headers it saw): every request serializer, every validation error with the response still
reachable, the trailing-slash rule, credentials kept to the base URI's origin, and a multipart
upload of two files with fields that PHP parses, with upload progress."""

import hashlib
import json
import os

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Json', '1.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')

from gi.repository import GLib, Gio, Json, Ladle  # noqa: E402

import pytest  # noqa: E402

FAILSAFE_SECONDS = 60 * int(os.environ.get('LADLE_TEST_TIMEOUT_MULTIPLIER', '1'))


def to_node(value):
    return Json.from_string(json.dumps(value))


def from_node(node):
    return json.loads(Json.to_string(node, False))


class Outcome:
    def __init__(self):
        self.done = False
        self.value = None
        self.error = None
        self.response = None


def run(start, finish, client):
    """Starts an async call and iterates the main context until its callback ran; the response
    of the result is kept whether the call succeeded or not."""
    outcome = Outcome()

    def callback(source, result):
        outcome.response = source.dup_response(result)
        try:
            outcome.value = finish(result)
        except GLib.Error as e:
            outcome.error = e
        outcome.done = True

    timed_out = []
    source = GLib.timeout_add_seconds(FAILSAFE_SECONDS, lambda: timed_out.append(True) or False)
    start(callback)
    context = GLib.MainContext.default()
    while not outcome.done and not timed_out:
        context.iteration(True)
    assert outcome.done, 'failsafe: the request did not complete'
    GLib.source_remove(source)
    return outcome


def request(client, method, path, parameters=None):
    node = to_node(parameters) if parameters is not None else None
    return run(lambda cb: client.request_async(method, path, node, None, cb), client.request_finish, client)


def new_client(base, serializer=None):
    session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())
    client = Ladle.HttpClient.new(GLib.Uri.parse(base, GLib.UriFlags.NONE), session)
    if serializer is not None:
        client.props.request_serializer = serializer
    return client


@pytest.fixture
def client(php_api):
    return new_client(php_api.url('/api/'))


PARAMS = {'name': 'Zoë & co', 'count': 3, 'ratio': 1.5, 'on': True, 'off': False, 'plus': 'a+b=c'}
PARSED = {'name': 'Zoë & co', 'count': '3', 'ratio': '1.5', 'on': 'true', 'off': 'false', 'plus': 'a+b=c'}


@pytest.mark.parametrize('method', ['GET', 'HEAD', 'DELETE'])
def test_query_methods_put_parameters_in_the_query(client, method):
    outcome = request(client, method, 'items?keep=1', PARAMS)
    assert outcome.error is None
    if method == 'HEAD':
        # no body: a JSON null node
        assert outcome.value.get_node_type() == Json.NodeType.NULL
        assert outcome.response.get_status() == 200
        return
    echo = from_node(outcome.value)
    assert echo['method'] == method
    assert echo['path'] == '/api/items'
    assert echo['query'] == dict(PARSED, keep='1')
    assert echo['raw'] == ''
    assert outcome.response.get_uri().get_path() == '/api/items'


def test_json_serializer_is_the_default(client):
    assert client.props.request_serializer == Ladle.RequestSerializer.JSON
    body = {'user': {'name': 'Zoë', 'tags': ['a', 'b']}, 'n': 3, 'x': None}
    outcome = request(client, 'POST', 'users', body)
    assert outcome.error is None
    echo = from_node(outcome.value)
    assert echo['method'] == 'POST'
    assert echo['content_type'] == 'application/json'
    assert echo['json'] == body
    assert echo['query'] == {}
    assert echo['headers']['Accept'] == 'application/json'


def test_json_serializer_escapes_every_control_character(client):
    # json-glib 1.6 leaves U+001F unescaped, which PHP's json_decode() refuses.
    body = {'text': 'a\x1fb\x01c\x7fd\u2028e'}
    outcome = request(client, 'POST', 'users', body)
    assert outcome.error is None
    # The body as PHP wrote it (json-glib's own writer, in from_node(), has the same fault).
    assert json.loads(outcome.response.get_body().get_data())['json'] == body


def test_json_serializer_sends_any_json_value(client):
    outcome = request(client, 'PUT', 'list', [1, 'two', {'three': 3}])
    assert outcome.error is None
    assert from_node(outcome.value)['json'] == [1, 'two', {'three': 3}]


def test_form_serializer(php_api):
    client = new_client(php_api.url('/api/'), Ladle.RequestSerializer.FORM)
    outcome = request(client, 'POST', 'form', PARAMS)
    assert outcome.error is None
    echo = from_node(outcome.value)
    assert echo['content_type'] == 'application/x-www-form-urlencoded'
    assert echo['form'] == PARSED
    assert echo['query'] == {}


def test_query_serializer_for_post(php_api):
    client = new_client(php_api.url('/api/'), Ladle.RequestSerializer.QUERY)
    outcome = request(client, 'POST', 'search', PARAMS)
    assert outcome.error is None
    echo = from_node(outcome.value)
    assert echo['method'] == 'POST'
    assert echo['query'] == PARSED
    assert echo['raw'] == ''
    assert echo['form'] == {}


@pytest.mark.parametrize('serializer,method,parameters', [
    (Ladle.RequestSerializer.FORM, 'POST', {'nested': {'a': 1}}),
    (Ladle.RequestSerializer.FORM, 'POST', {'list': [1, 2]}),
    (Ladle.RequestSerializer.QUERY, 'POST', {'nothing': None}),
    (Ladle.RequestSerializer.JSON, 'GET', {'nested': {'a': 1}}),
    (Ladle.RequestSerializer.FORM, 'POST', [1, 2]),
])
def test_parameters_that_cannot_be_encoded_are_an_error(php_api, serializer, method, parameters):
    client = new_client(php_api.url('/api/'), serializer)
    created = []
    client.connect('task-created', lambda c, task: created.append(task))
    outcome = request(client, method, 'x', parameters)
    assert outcome.error is not None
    assert outcome.error.matches(Ladle.error_quark(), Ladle.Error.INVALID_REQUEST)
    assert outcome.response is None
    assert created == []


def test_unacceptable_status_keeps_the_response(client):
    client.set_default_header('X-Answer-Status', '422')
    outcome = request(client, 'POST', 'users', {'name': ''})
    assert outcome.error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS)
    assert '422' in outcome.error.message
    response = outcome.response
    assert response.get_status() == 422
    assert response.get_content_type() == 'application/json'
    assert response.get_headers().get_one('Content-Type') == 'application/json'
    echo = json.loads(response.get_body().get_data())
    assert echo['json'] == {'name': ''}
    assert response.get_task().get_status_code() == 422


def test_acceptable_status_codes_can_change(client):
    assert client.dup_acceptable_status_codes() == list(range(200, 300))
    client.set_default_header('X-Answer-Status', '404')
    client.set_acceptable_status_codes([200, 404])
    outcome = request(client, 'GET', 'missing')
    assert outcome.error is None
    assert from_node(outcome.value)['path'] == '/api/missing'
    client.set_acceptable_status_codes(None)
    assert client.is_acceptable_status(599)
    client.set_acceptable_status_codes([])
    assert client.is_acceptable_status(100)
    assert client.dup_acceptable_status_codes() == []


def test_unacceptable_content_type_keeps_the_response(client):
    client.set_default_header('X-Answer-Type', 'text/html; charset=UTF-8')
    client.set_default_header('X-Answer-Body', '<p>maintenance</p>')
    outcome = request(client, 'GET', 'page')
    assert outcome.error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_CONTENT_TYPE)
    assert 'text/html' in outcome.error.message
    assert outcome.response.get_status() == 200
    assert outcome.response.get_content_type() == 'text/html'
    assert outcome.response.get_body().get_data() == b'<p>maintenance</p>'


@pytest.mark.parametrize('content_type,accepted', [
    ('application/json', True),
    ('Application/JSON; charset=UTF-8', True),
    ('application/problem+json', True),
    ('application/vnd.api+json;ext=1', True),
    ('text/json', True),
    ('text/javascript', True),
    ('application/jsonx', False),
    ('application/+json', False),
    ('text/plain', False),
    ('application/x-json-stream', False),
])
def test_content_types(client, content_type, accepted):
    client.set_default_header('X-Answer-Type', content_type)
    outcome = request(client, 'GET', 'typed')
    assert client.is_acceptable_content_type(content_type) == accepted
    if accepted:
        assert outcome.error is None
        assert from_node(outcome.value)['path'] == '/api/typed'
    else:
        assert outcome.error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_CONTENT_TYPE)


def test_acceptable_content_types_can_change(client):
    client.props.acceptable_content_types = ['text/*']
    client.set_default_header('X-Answer-Type', 'Text/Plain')
    assert request(client, 'GET', 'x').error is None
    client.set_default_header('X-Answer-Type', 'application/json')
    assert request(client, 'GET', 'x').error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_CONTENT_TYPE)
    client.props.acceptable_content_types = None
    client.set_default_header('X-Answer-Type', 'image/png')
    assert request(client, 'GET', 'x').error is None


@pytest.mark.parametrize('body', ['{"a":', 'not json', '{"a": 1} trailing', '[1,]'])
def test_invalid_json_keeps_the_response(client, body):
    client.set_default_header('X-Answer-Body', body)
    outcome = request(client, 'GET', 'broken')
    assert outcome.error is not None
    assert outcome.error.matches(Ladle.error_quark(), Ladle.Error.INVALID_JSON), outcome.error.message
    assert outcome.response.get_status() == 200
    assert outcome.response.get_body().get_data() == body.encode()


def test_no_content_is_a_null_node(client):
    client.set_default_header('X-Answer-Status', '204')
    outcome = request(client, 'DELETE', 'items/1')
    assert outcome.error is None
    assert outcome.value.get_node_type() == Json.NodeType.NULL
    assert outcome.response.get_status() == 204
    assert outcome.response.get_body().get_size() == 0


def test_trailing_slash_rule(php_api):
    with_slash = new_client(php_api.url('/v1/'))
    assert from_node(request(with_slash, 'GET', 'users').value)['path'] == '/v1/users'
    assert from_node(request(with_slash, 'GET', '/users').value)['path'] == '/users'
    assert from_node(request(with_slash, 'GET', '../v2/users').value)['path'] == '/v2/users'
    without_slash = new_client(php_api.url('/v1'))
    assert from_node(request(without_slash, 'GET', 'users').value)['path'] == '/users'


def test_paths_that_do_not_resolve_to_http(client):
    outcome = request(client, 'GET', 'ftp://127.0.0.1/x')
    assert outcome.error.matches(Ladle.error_quark(), Ladle.Error.INVALID_REQUEST)
    no_base = Ladle.HttpClient.new(None, Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral()))
    outcome = request(no_base, 'GET', 'relative/path')
    assert outcome.error.matches(Ladle.error_quark(), Ladle.Error.INVALID_REQUEST)


def test_task_created_before_the_task_starts(client, php_api):
    events = []

    def on_created(c, task):
        events.append(('created', task.get_state(), task.get_original_request().get_method(),
                       task.get_original_request().get_uri().to_string()))
        task.connect('completed', lambda t, e: events.append(('completed',)))

    client.connect('task-created', on_created)
    outcome = request(client, 'GET', 'things', {'q': '1'})
    assert outcome.error is None
    assert events == [('created', Ladle.TaskState.SUSPENDED, 'GET', php_api.url('/api/things?q=1')),
                      ('completed',)]
    assert outcome.response.get_task().get_description() == 'GET ' + php_api.url('/api/things?q=1')


def test_cancelled_before_the_start(client):
    cancellable = Gio.Cancellable()
    node = to_node({'a': 1})
    cancellable.cancel()
    outcome = run(lambda cb: client.request_async('GET', 'x', node, cancellable, cb), client.request_finish, client)
    assert outcome.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert outcome.response is None


def content(seed, size):
    out = bytearray()
    block = hashlib.sha256(b'ladle-rest-%d' % seed).digest()
    while len(out) < size:
        block = hashlib.sha512(block).digest()
        out += block * 64
    return bytes(out[:size])


def test_multipart_upload_of_two_files(client, php_api, tmp_path):
    first = content(1, 3 * 1024 * 1024 + 17)
    second = content(2, 70001)
    (tmp_path / 'first.bin').write_bytes(first)
    (tmp_path / 'second.txt').write_bytes(second)
    form = Ladle.MultipartForm.new()
    form.append_text('title', 'Holiday pictures')
    form.append_text('album', 'été 2026')
    form.append_file('photo', Gio.File.new_for_path(str(tmp_path / 'first.bin')), None,
                     'application/octet-stream', None)
    form.append_file('notes', Gio.File.new_for_path(str(tmp_path / 'second.txt')), 'notes.txt',
                     'text/plain', None)

    progress = []
    client.connect('task-created', lambda c, task: task.connect(
        'upload-progress', lambda t, now, total, expected: progress.append((total, expected))))
    outcome = run(lambda cb: client.upload_form_async('POST', 'upload', form, None, cb),
                  client.upload_form_finish, client)
    assert outcome.error is None, outcome.error
    echo = from_node(outcome.value)
    assert echo['method'] == 'POST'
    assert echo['content_type'].startswith('multipart/form-data; boundary=')
    assert echo['form'] == {'title': 'Holiday pictures', 'album': 'été 2026'}
    files = {f['field']: f for f in echo['files']}
    assert files['photo']['name'] == 'first.bin'
    assert files['photo']['size'] == len(first)
    assert files['photo']['md5'] == hashlib.md5(first).hexdigest()
    assert files['notes']['name'] == 'notes.txt'
    assert files['notes']['type'] == 'text/plain'
    assert files['notes']['md5'] == hashlib.md5(second).hexdigest()
    # progress: monotonic, ends at the form's exact length
    assert progress, 'no upload-progress'
    totals = [total for total, expected in progress]
    assert totals == sorted(totals)
    assert progress[-1][0] == progress[-1][1] == form.get_content_length()
    assert outcome.response.get_task().get_bytes_sent() == form.get_content_length()


def test_nginx_static_json_file_and_404(nginx):
    document = {'name': 'ladle', 'versions': [1, 2], 'nested': {'ok': True}}
    nginx.write_file('data.json', json.dumps(document).encode())
    client = new_client(nginx.url('/files/'))
    outcome = request(client, 'GET', 'data.json')
    assert outcome.error is None
    assert from_node(outcome.value) == document
    assert outcome.response.get_content_type() == 'application/json'
    assert outcome.response.get_headers().get_one('ETag') is not None

    outcome = request(client, 'GET', 'missing.json')
    assert outcome.error.matches(Ladle.error_quark(), Ladle.Error.UNACCEPTABLE_STATUS)
    assert outcome.response.get_status() == 404
    assert b'404' in outcome.response.get_body().get_data()


def test_credentials_stay_with_the_base_origin(nginx, php_api):
    client = new_client(php_api.url('/api/'))
    client.props.acceptable_content_types = None
    client.set_default_header('Authorization', 'Bearer secret')
    client.set_default_header('X-Client', 'ladle')
    # same origin: sent
    echo = from_node(request(client, 'GET', 'me').value)
    assert echo['headers']['Authorization'] == 'Bearer secret'
    assert echo['headers']['X-Client'] == 'ladle'
    # another origin (nginx echoes the headers it got): not sent
    outcome = request(client, 'GET', nginx.url('/headers'))
    assert outcome.error.matches(Ladle.error_quark(), Ladle.Error.INVALID_JSON)
    text = outcome.response.get_body().get_data().decode()
    assert outcome.response.get_content_type() == 'text/plain'
    assert 'Method: GET' in text
    assert 'secret' not in text
