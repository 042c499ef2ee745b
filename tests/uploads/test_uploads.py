# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Ladle.UploadTask from Python, against an in-process Soup.Server on 127.0.0.1 that keeps every
# request body, computes its checksum on the server side and parses multipart bodies with
# Soup.Multipart.new_from_message: bodies from bytes, a file, a stream and a form; resends after a
# 401 (a new session per case: libsoup caches Basic credentials per session) and after 307/308;
# 303 turning the POST into a GET; streamed uploads without a stream; files that change between
# two sends; upload-progress; the framing on the wire.

import hashlib
import os
import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Soup", "3.0")
gi.require_version("Ladle", "1")

from gi.repository import GLib, Gio, Soup, Ladle  # noqa: E402

import pytest  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from ladle_test import run_until  # noqa: E402

USER = "uploader"
PASSWORD = "s3cret"
REALM = "ladle-uploads"


def content(seed, length):
    """Deterministic bytes, different for every seed, with no short period."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(b"%d:%d" % (seed, counter)).digest()
        counter += 1
    return bytes(out[:length])


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Request:
    def __init__(self, msg, path):
        headers = msg.get_request_headers()
        self.method = msg.get_method()
        self.path = path
        self.headers = Soup.MessageHeaders.new(Soup.MessageHeadersType.REQUEST)
        headers.foreach(lambda name, value: self.headers.append(name, value))
        self.body_bytes = msg.get_request_body().flatten()
        self.body = bytes(self.body_bytes.get_data() or b"")
        self.encoding = headers.get_encoding()
        self.content_length = (headers.get_content_length()
                               if self.encoding == Soup.Encoding.CONTENT_LENGTH else None)
        self.sha256 = sha256(self.body)


class UploadServer:
    """/upload answers "LENGTH SHA256\\n" of the body it received; /auth/upload is the same behind
    Basic auth; /redirect/CODE?to=PATH answers CODE with a Location."""

    def __init__(self):
        self.requests = []
        self.n_started = 0
        self.n_finished = 0
        self.n_unauthorized = 0
        self.server = Soup.Server()
        domain = Soup.AuthDomainBasic(realm=REALM)
        domain.set_auth_callback(lambda d, m, user, password: user == USER and password == PASSWORD)
        domain.add_path("/auth")
        self.server.add_auth_domain(domain)
        self.server.add_handler("/upload", self.on_upload)
        self.server.add_handler("/auth/upload", self.on_upload)
        self.server.add_handler("/redirect", self.on_redirect)
        self.server.connect("request-started", self.on_started)
        self.server.connect("request-finished", self.on_finished)
        self.server.connect("request-aborted", lambda *a: self.on_aborted())
        self.server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY)
        uri = self.server.get_uris()[0]
        assert uri.get_host() == "127.0.0.1"
        self.port = uri.get_port()

    def uri(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def on_started(self, server, msg):
        self.n_started += 1

    def on_finished(self, server, msg):
        self.n_finished += 1
        if msg.get_status() == Soup.Status.UNAUTHORIZED:
            self.n_unauthorized += 1

    def on_aborted(self):
        self.n_finished += 1

    def on_upload(self, server, msg, path, query):
        request = Request(msg, path)
        self.requests.append(request)
        text = f"{len(request.body)} {request.sha256}\n".encode()
        msg.set_status(200, None)
        msg.set_response("text/plain", Soup.MemoryUse.COPY, text)

    def on_redirect(self, server, msg, path, query):
        self.requests.append(Request(msg, path))
        code = int(path[len("/redirect/"):])
        msg.set_redirect(code, query["to"])

    def wait_idle(self):
        run_until(lambda: self.n_finished >= self.n_started, "the server finishing its requests")

    def close(self):
        self.server.disconnect()
        context = GLib.MainContext.default()
        while context.iteration(False):
            pass


@pytest.fixture
def server():
    s = UploadServer()
    yield s
    s.close()


@pytest.fixture
def session():
    # A new session for every test: Basic credentials are cached per session.
    return Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())


class Run:
    """Records a task's signals; handlers only record, assertions come after completion."""

    def __init__(self, task, stream_content=None, authenticate=False, null_stream_at=0,
                 on_authenticate=None):
        self.task = task
        self.events = ""
        self.progress = []
        self.n_need_body_stream = 0
        self.errors = []
        self.completed = 0
        self.stream_content = stream_content
        self.authenticate = authenticate
        self.null_stream_at = null_stream_at
        self.on_authenticate_hook = on_authenticate
        if isinstance(task, Ladle.UploadTask):
            task.connect("need-body-stream", self.on_need_body_stream)
        task.connect("authenticate", self.on_authenticate)
        task.connect("redirect", self.on_redirect)
        task.connect("response", self.on_response)
        task.connect("upload-progress", self.on_progress)
        task.connect("completed", self.on_completed)

    def on_need_body_stream(self, task):
        self.n_need_body_stream += 1
        self.events += "N"
        if self.stream_content is None or self.n_need_body_stream == self.null_stream_at:
            return None
        return Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(self.stream_content))

    def on_authenticate(self, task, auth, retrying):
        self.events += "A"
        if not self.authenticate or retrying:
            return False
        if self.on_authenticate_hook is not None:
            self.on_authenticate_hook()
        auth.authenticate(USER, PASSWORD)
        return True

    def on_redirect(self, task, new_request):
        self.events += "X"
        return True

    def on_response(self, task, message):
        self.events += "R"
        return Ladle.ResponseDisposition.ALLOW

    def on_progress(self, task, sent_now, total_sent, total_expected):
        self.progress.append((sent_now, total_sent, total_expected))

    def on_completed(self, task, error):
        self.events += "C"
        self.completed += 1
        self.errors.append(error)

    @property
    def error(self):
        return self.errors[-1]

    def run(self):
        self.task.resume()
        run_until(lambda: self.completed > 0, "the upload completing")
        context = GLib.MainContext.default()
        while context.iteration(False):
            pass
        assert self.completed == 1
        assert self.task.get_state() == Ladle.TaskState.COMPLETED
        return self

    def assert_progress(self, expected):
        assert self.progress, "no upload-progress at all"
        total = 0
        for sent_now, total_sent, total_expected in self.progress:
            assert sent_now > 0
            assert total_sent == total + sent_now
            assert total_expected == expected
            total = total_sent
        if expected >= 0:
            assert total == expected
        assert self.task.get_bytes_sent() == total
        assert self.task.get_bytes_expected_to_send() == expected

    def assert_response(self, data):
        body = self.task.dup_body()
        assert bytes(body.get_data()) == f"{len(data)} {sha256(data)}\n".encode()


# Bodies

KINDS = ["bytes", "file", "streamed", "streamed-length", "form"]


class Body:
    def __init__(self, kind, tmp_path):
        self.kind = kind
        self.tmp_path = tmp_path
        self.file_path = None
        self.form = None
        self.parts = []
        self.factory_calls = 0

    @property
    def streamed(self):
        return self.kind in ("streamed", "streamed-length")

    @property
    def chunked(self):
        return self.kind == "streamed"

    def create_task(self, session, method, uri):
        message = Soup.Message.new(method, uri)
        headers = message.get_request_headers()
        if self.kind == "bytes":
            self.content = content(1, 1000 * 1000 + 1)
            headers.replace("Content-Type", "application/x-bytes")
            return session.create_upload_task_from_bytes(message, GLib.Bytes.new(self.content))
        if self.kind == "file":
            self.content = content(2, 2 * 1000 * 1000 + 11)
            self.file_path = self.tmp_path / "upload.bin"
            self.file_path.write_bytes(self.content)
            return session.create_upload_task_from_file(message, Gio.File.new_for_path(str(self.file_path)))
        if self.kind == "streamed":
            self.content = content(3, 800 * 1000 + 5)
            return session.create_upload_task_streamed(message)
        if self.kind == "streamed-length":
            self.content = content(4, 800 * 1000 + 9)
            headers.set_content_length(len(self.content))
            return session.create_upload_task_streamed(message)
        if self.kind == "form":
            self.make_form()
            return session.create_upload_task_from_form(message, self.form)
        raise AssertionError(self.kind)

    def make_form(self):
        file_data = content(21, 700 * 1000 + 3)
        stream_data = content(22, 300 * 1000 + 7)
        self.file_path = self.tmp_path / "form-file.bin"
        self.file_path.write_bytes(file_data)
        title = "Ladle upload test — ünïcödé"

        def factory():
            self.factory_calls += 1
            return Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(stream_data))

        form = Ladle.MultipartForm.new()
        form.append_text("title", title)
        form.append_text("empty", "")
        form.append_bytes("blob", "blob.dat", "application/x-test", GLib.Bytes.new(stream_data))
        form.append_file("document", Gio.File.new_for_path(str(self.file_path)), "report.bin",
                         "application/octet-stream", None)
        form.append_stream("stream", "stream.txt", "text/plain", len(stream_data), factory)
        self.form = form
        self.parts = [
            ("title", None, None, title.encode()),
            ("empty", None, None, b""),
            ("blob", "blob.dat", "application/x-test", stream_data),
            ("document", "report.bin", "application/octet-stream", file_data),
            ("stream", "stream.txt", "text/plain", stream_data),
        ]
        # What the form sends, read here once; only the sends are counted afterwards.
        stream = form.new_stream()
        out = bytearray()
        while True:
            chunk = stream.read_bytes(65536, None).get_data()
            if not chunk:
                break
            out += chunk
        stream.close(None)
        self.content = bytes(out)
        self.factory_calls = 0

    def change_file(self, grow=True):
        data = self.file_path.read_bytes()
        self.file_path.write_bytes(data + b"x" * 10 if grow else data[:-10])

    def assert_received(self, request, method="POST"):
        assert request.method == method
        assert len(request.body) == len(self.content)
        assert request.sha256 == sha256(self.content)
        if self.chunked:
            assert request.encoding == Soup.Encoding.CHUNKED
            assert request.content_length is None
        else:
            assert request.encoding == Soup.Encoding.CONTENT_LENGTH
            assert request.content_length == len(self.content)
        if self.kind == "bytes":
            assert request.headers.get_one("Content-Type") == "application/x-bytes"
        if self.kind == "file":
            assert request.headers.get_one("Content-Type") == "application/octet-stream"
        if self.kind == "form":
            self.assert_form(request)

    def assert_form(self, request):
        content_type = request.headers.get_one("Content-Type")
        assert content_type == self.form.get_content_type()
        assert content_type == f"multipart/form-data; boundary={self.form.get_boundary()}"
        assert request.content_length == self.form.get_content_length()
        multipart = Soup.Multipart.new_from_message(request.headers, request.body_bytes)
        assert multipart is not None
        assert multipart.get_length() == len(self.parts)
        for index, (name, filename, part_type, data) in enumerate(self.parts):
            ok, headers, body = multipart.get_part(index)
            assert ok
            ok, disposition, params = headers.get_content_disposition()
            assert ok and disposition == "form-data"
            assert params.get("name") == name
            assert params.get("filename") == filename
            ctype, _ = headers.get_content_type()
            assert ctype == part_type
            assert bytes(body.get_data() or b"") == data

    def expected_total(self):
        return -1 if self.chunked else len(self.content)


def count_soup_writes(task):
    """libsoup emits wrote-body-data for the body blocks it writes itself, none for a body Ladle
    copies to the connection."""
    count = [0]

    def on_wrote_body_data(message, chunk_size):
        count[0] += 1

    task.get_current_request().connect("wrote-body-data", on_wrote_body_data)
    return count


# Tests

def test_small_body_written_by_libsoup(server, session):
    data = content(30, 1000)
    message = Soup.Message.new("POST", server.uri("/upload"))
    task = session.create_upload_task_from_bytes(message, GLib.Bytes.new(data))
    soup_writes = count_soup_writes(task)
    run = Run(task).run()

    assert run.error is None
    server.wait_idle()
    assert server.requests[0].body == data
    run.assert_progress(len(data))
    assert soup_writes[0] > 0


def test_short_streamed_body_fails(server, session):
    message = Soup.Message.new("POST", server.uri("/upload"))
    message.get_request_headers().set_content_length(1000 * 1000)
    task = session.create_upload_task_streamed(message)
    run = Run(task, stream_content=content(31, 300 * 1000)).run()

    assert run.error.matches(Ladle.error_quark(), Ladle.Error.BODY_CHANGED)
    assert "R" not in run.events
    server.wait_idle()
    assert server.requests == []


@pytest.mark.parametrize("fail_at", ["factory", "short"])
def test_form_stream_part_failing_mid_body(server, session, fail_at):
    """A form part that cannot be produced while Ladle copies the body (no stream, or one shorter
    than announced): the task fails with that part's error, and the server never sees a complete
    request."""
    def factory():
        if fail_at == "factory":
            return None
        return Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(content(41, 50 * 1000)))

    form = Ladle.MultipartForm.new()
    form.append_bytes("head", "head.bin", "application/octet-stream",
                      GLib.Bytes.new(content(40, 500 * 1000)))
    form.append_stream("tail", "tail.bin", "application/octet-stream", 100 * 1000, factory)
    message = Soup.Message.new("POST", server.uri("/upload"))
    task = session.create_upload_task_from_form(message, form)
    run = Run(task).run()

    if fail_at == "factory":
        assert run.error.matches(Ladle.error_quark(), Ladle.Error.NO_BODY_STREAM), run.error.message
    else:
        assert run.error.matches(Ladle.error_quark(), Ladle.Error.BODY_CHANGED), run.error.message
    assert "R" not in run.events
    server.wait_idle()
    assert server.requests == []


@pytest.mark.parametrize("kind", KINDS)
def test_post(server, session, tmp_path, kind):
    body = Body(kind, tmp_path)
    task = body.create_task(session, "POST", server.uri("/upload"))
    assert isinstance(task, Ladle.UploadTask)
    soup_writes = count_soup_writes(task)
    run = Run(task, stream_content=body.content if body.streamed else None).run()

    assert run.error is None
    # Large bodies of known size go to the connection from Ladle; libsoup writes a chunked one.
    if body.chunked:
        assert soup_writes[0] > 0
    else:
        assert soup_writes[0] == 0
    assert task.get_status_code() == 200
    server.wait_idle()
    assert len(server.requests) == 1
    body.assert_received(server.requests[0])
    run.assert_progress(body.expected_total())
    run.assert_response(body.content)
    assert run.n_need_body_stream == (1 if body.streamed else 0)
    assert run.events == ("NRC" if body.streamed else "RC")
    if kind == "form":
        assert body.factory_calls == 1


def test_put_file(server, session, tmp_path):
    body = Body("file", tmp_path)
    task = body.create_task(session, "PUT", server.uri("/upload"))
    run = Run(task).run()

    assert run.error is None
    server.wait_idle()
    body.assert_received(server.requests[0], "PUT")
    run.assert_progress(len(body.content))


@pytest.mark.parametrize("kind", KINDS)
def test_auth_resend(server, session, tmp_path, kind):
    body = Body(kind, tmp_path)
    task = body.create_task(session, "POST", server.uri("/auth/upload"))
    run = Run(task, stream_content=body.content if body.streamed else None, authenticate=True).run()

    assert run.error is None
    assert task.get_status_code() == 200
    server.wait_idle()
    # one 401, then the resend, with the same bytes, checked on the server side
    assert server.n_unauthorized == 1
    assert len(server.requests) == 1
    body.assert_received(server.requests[0])
    assert server.requests[0].headers.get_one("Authorization").startswith("Basic ")
    # a streamed body is asked for twice: the first send and the resend
    assert run.n_need_body_stream == (2 if body.streamed else 0)
    assert run.events == ("NANRC" if body.streamed else "ARC")
    if kind == "form":
        assert body.factory_calls == 2
    run.assert_progress(body.expected_total())
    run.assert_response(body.content)


def test_auth_refused_completes_with_401(server, session, tmp_path):
    body = Body("bytes", tmp_path)
    task = body.create_task(session, "POST", server.uri("/auth/upload"))
    run = Run(task).run()

    assert run.error is None
    assert task.get_status_code() == 401
    server.wait_idle()
    assert server.requests == []
    assert server.n_unauthorized == 1


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.parametrize("kind", KINDS)
def test_redirect_resends_body(server, session, tmp_path, status, kind):
    body = Body(kind, tmp_path)
    task = body.create_task(session, "POST", server.uri(f"/redirect/{status}?to=/upload"))
    run = Run(task, stream_content=body.content if body.streamed else None).run()

    assert run.error is None
    assert task.get_status_code() == 200
    assert task.get_current_request().get_uri().get_path() == "/upload"
    server.wait_idle()
    assert [r.path for r in server.requests] == [f"/redirect/{status}", "/upload"]
    for request in server.requests:
        body.assert_received(request)
    assert run.n_need_body_stream == (2 if body.streamed else 0)
    assert run.events == ("NXNRC" if body.streamed else "XRC")
    if kind == "form":
        assert body.factory_calls == 2
    assert run.progress[-1][1] == len(body.content)
    run.assert_response(body.content)


@pytest.mark.parametrize("status", [307, 308])
def test_redirect_progress_is_monotonic(server, session, tmp_path, status):
    data = content(10, 16 * 1024 * 1024 + 3)
    path = tmp_path / "redirected.bin"
    path.write_bytes(data)
    message = Soup.Message.new("PUT", server.uri(f"/redirect/{status}?to=/upload"))
    task = session.create_upload_task_from_file(message, Gio.File.new_for_path(str(path)))
    run = Run(task).run()

    assert run.error is None
    server.wait_idle()
    assert server.requests[1].sha256 == sha256(data)
    run.assert_progress(len(data))


@pytest.mark.parametrize("kind", ["bytes", "streamed", "form"])
def test_303_becomes_get_without_body(server, session, tmp_path, kind):
    body = Body(kind, tmp_path)
    task = body.create_task(session, "POST", server.uri("/redirect/303?to=/upload"))
    run = Run(task, stream_content=body.content if body.streamed else None).run()

    assert run.error is None
    assert task.get_status_code() == 200
    assert task.get_current_request().get_method() == "GET"
    server.wait_idle()
    first, second = server.requests
    body.assert_received(first)
    assert second.method == "GET"
    assert second.path == "/upload"
    assert second.body == b""
    assert second.headers.get_one("Content-Type") is None
    assert second.headers.get_one("Transfer-Encoding") is None
    assert second.headers.get_one("Content-Length") in (None, "0")
    assert run.n_need_body_stream == (1 if body.streamed else 0)
    run.assert_response(b"")


def test_streamed_without_handler_fails(server, session):
    message = Soup.Message.new("POST", server.uri("/upload"))
    task = session.create_upload_task_streamed(message)
    done = []
    task.connect("completed", lambda t, error: done.append(error))
    task.resume()
    run_until(lambda: done, "the upload completing")

    assert done[0].matches(Ladle.error_quark(), Ladle.Error.NO_BODY_STREAM)
    server.wait_idle()
    assert server.requests == []


@pytest.mark.parametrize("null_at", [1, 2])
def test_streamed_handler_without_stream_fails(server, session, tmp_path, null_at):
    body = Body("streamed", tmp_path)
    # the second send happens after a 401
    task = body.create_task(session, "POST", server.uri("/upload" if null_at == 1 else "/auth/upload"))
    run = Run(task, stream_content=body.content, authenticate=True, null_stream_at=null_at).run()

    assert run.error is not None
    assert run.error.matches(Ladle.error_quark(), Ladle.Error.NO_BODY_STREAM)
    assert run.n_need_body_stream == null_at
    assert "R" not in run.events
    server.wait_idle()
    assert server.requests == []


@pytest.mark.parametrize("grow", [True, False], ids=["grows", "shrinks"])
@pytest.mark.parametrize("kind", ["file", "form"])
def test_file_changed_between_sends(server, session, tmp_path, kind, grow):
    body = Body(kind, tmp_path)
    task = body.create_task(session, "POST", server.uri("/auth/upload"))
    run = Run(task, authenticate=True, on_authenticate=lambda: body.change_file(grow)).run()

    assert run.error is not None
    assert run.error.matches(Ladle.error_quark(), Ladle.Error.BODY_CHANGED), run.error.message
    assert "R" not in run.events
    server.wait_idle()
    assert server.n_unauthorized == 1
    assert server.requests == []
