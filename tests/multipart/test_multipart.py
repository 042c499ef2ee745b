# test_multipart.py
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# LadleMultipartForm from Python: file and stream parts (with a Python stream factory), read back
# synchronously and on a GLib main loop, and parsed with Python's email parser.

import email.parser
import email.policy
import os
import random
import threading

import gi
import pytest

gi.require_version("Ladle", "1")
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib, Ladle  # noqa: E402


def random_bytes(size, seed):
    return random.Random(seed).randbytes(size)


class StreamSource:
    """A stream factory that counts its calls and records their threads."""

    def __init__(self, content):
        self.content = content
        self.calls = 0
        self.threads = []

    def __call__(self, *user_data):
        self.calls += 1
        self.threads.append(threading.current_thread())
        return Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(self.content))


def read_sync(stream, chunk=65536):
    out = bytearray()
    while True:
        data = stream.read_bytes(chunk, None).get_data()
        if not data:
            break
        out += data
    stream.close(None)
    return bytes(out)


def read_async(stream, chunk=65536):
    loop = GLib.MainLoop()
    out = bytearray()
    failure = []

    def on_read(source, result):
        try:
            data = source.read_bytes_finish(result).get_data()
        except GLib.Error as error:
            failure.append(error)
            loop.quit()
            return
        if not data:
            loop.quit()
            return
        out.extend(data)
        source.read_bytes_async(chunk, GLib.PRIORITY_DEFAULT, None, on_read)

    stream.read_bytes_async(chunk, GLib.PRIORITY_DEFAULT, None, on_read)
    loop.run()
    if failure:
        raise failure[0]
    return bytes(out)


def parse(form, body):
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + form.get_content_type().encode() + b"\r\n\r\n" + body
    )
    assert message.is_multipart()
    return list(message.iter_parts())


def split(form, body):
    """The parts' raw headers and bytes, split by hand on the boundary."""
    delimiter = b"--" + form.get_boundary().encode()
    assert body.startswith(delimiter + b"\r\n")
    assert body.endswith(b"\r\n" + delimiter + b"--\r\n")
    inner = body[len(delimiter) + 2 : -(len(delimiter) + 6)]
    parts = []
    for raw in inner.split(b"\r\n" + delimiter + b"\r\n"):
        headers, _, content = raw.partition(b"\r\n\r\n")
        parts.append((headers.decode(), content))
    return parts


@pytest.fixture
def upload_file(tmp_path):
    content = random_bytes(300_000, 1)
    path = tmp_path / "photo album.png"
    path.write_bytes(content)
    return Gio.File.new_for_path(str(path)), content


@pytest.fixture
def form_and_contents(upload_file):
    file, file_content = upload_file
    source = StreamSource(random_bytes(70_000, 2))
    form = Ladle.MultipartForm.new()
    assert form.append_text("title", "Grüße aus Köln")
    assert form.append_file("photo", file, None, None, None)
    assert form.append_stream("log", "run.log", "text/x-log", len(source.content), source)
    return form, file_content, source


def check_body(form, body, file_content, source):
    assert len(body) == form.get_content_length() == form.props.content_length

    parts = parse(form, body)
    assert len(parts) == 3
    assert parts[0].get_param("name", header="content-disposition") == "title"
    assert parts[0].get_filename() is None
    assert "Content-Type" not in parts[0]
    assert parts[1].get_param("name", header="content-disposition") == "photo"
    assert parts[1].get_filename() == "photo album.png"
    assert parts[1].get_content_type() == "image/png"
    assert parts[2].get_filename() == "run.log"
    assert parts[2].get_content_type() == "text/x-log"

    raw = split(form, body)
    assert [content for _, content in raw] == [
        "Grüße aus Köln".encode(),
        file_content,
        source.content,
    ]
    assert raw[1][0] == (
        'Content-Disposition: form-data; name="photo"; filename="photo album.png"\r\n'
        "Content-Type: image/png"
    )


def test_file_and_stream_parts(form_and_contents):
    form, file_content, source = form_and_contents
    assert form.get_n_parts() == 3
    assert not form.props.frozen

    stream = form.new_stream()
    assert isinstance(stream, Ladle.MultipartInputStream)
    assert stream.get_form() == form
    assert form.is_frozen()

    check_body(form, read_sync(stream), file_content, source)
    assert source.calls == 1


def test_async_matches_sync(form_and_contents):
    form, file_content, source = form_and_contents

    sync_body = read_sync(form.new_stream(), 4096)
    async_body = read_async(form.new_stream(), 8192)

    assert async_body == sync_body
    check_body(form, async_body, file_content, source)
    # Each stream asks the factory again, on the thread that reads: the main loop's.
    assert source.calls == 2
    assert source.threads == [threading.main_thread()] * 2


def test_factory_with_user_data():
    form = Ladle.MultipartForm.new()
    seen = []

    def factory(tag):
        seen.append(tag)
        return Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(b"abc"))

    assert form.append_stream("s", None, None, 3, factory, "my data")
    body = read_sync(form.new_stream())
    assert split(form, body)[0] == (
        'Content-Disposition: form-data; name="s"\r\nContent-Type: application/octet-stream',
        b"abc",
    )
    assert seen == ["my data"]


@pytest.mark.parametrize("bad", ["a\rb", "a\nb", "x\r\nContent-Type: text/html"])
def test_line_breaks_are_refused(bad, upload_file):
    file, _ = upload_file
    form = Ladle.MultipartForm.new()
    data = GLib.Bytes.new(b"x")
    attempts = [
        lambda: form.append_text(bad, "v"),
        lambda: form.append_bytes("n", bad, None, data),
        lambda: form.append_bytes("n", "f.txt", bad, data),
        lambda: form.append_file(bad, file, None, None, None),
        lambda: form.append_stream("n", bad, None, 1, StreamSource(b"x")),
    ]
    for attempt in attempts:
        with pytest.raises(GLib.Error) as info:
            attempt()
        assert info.value.matches(Ladle.error_quark(), Ladle.Error.INVALID_FIELD)
    assert form.get_n_parts() == 0


def test_quotes_in_names():
    form = Ladle.MultipartForm.new()
    assert form.append_bytes('say "hi"', 'a "b".txt', None, GLib.Bytes.new(b"x"))
    headers, content = split(form, read_sync(form.new_stream()))[0]
    assert headers == (
        'Content-Disposition: form-data; name="say %22hi%22"; filename="a %22b%22.txt"\r\n'
        "Content-Type: text/plain"
    )
    assert content == b"x"


@pytest.mark.parametrize("new_size", [299_999, 300_001])
@pytest.mark.parametrize("reader", [read_sync, read_async])
def test_changed_file_fails(upload_file, new_size, reader):
    file, content = upload_file
    form = Ladle.MultipartForm.new()
    assert form.append_file("f", file, None, None, None)

    path = file.get_path()
    os.truncate(path, new_size)
    with pytest.raises(GLib.Error) as info:
        reader(form.new_stream())
    assert info.value.matches(Ladle.error_quark(), Ladle.Error.BODY_CHANGED)

    os.truncate(path, len(content))
    assert len(reader(form.new_stream())) == form.get_content_length()


def test_factory_returning_none():
    form = Ladle.MultipartForm.new()
    assert form.append_stream("s", None, None, 3, lambda *args: None)
    with pytest.raises(GLib.Error) as info:
        read_sync(form.new_stream())
    assert info.value.matches(Ladle.error_quark(), Ladle.Error.NO_BODY_STREAM)


def test_directory_is_refused(tmp_path):
    form = Ladle.MultipartForm.new()
    with pytest.raises(GLib.Error) as info:
        form.append_file("d", Gio.File.new_for_path(str(tmp_path)), None, None, None)
    assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_REGULAR_FILE)
