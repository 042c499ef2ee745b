#!/usr/bin/python3
# tests/fuzz/make-corpus.py: writes the seed corpora of tests/fuzz/corpus/ (run from anywhere).
#
# Seeds are small and readable: real resume data and task records as Ladle writes them (same
# keys, same order, little-endian), real HTTP responses, multipart field sets. Entries that
# the fuzzer found are added to the corpus directories by hand, named "found-*"; this script
# leaves them alone.

import os
import sys

from gi.repository import GLib

here = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    directory = os.path.join(here, 'corpus', target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), 'wb') as f:
        f.write(data)


def vardict(entries):
    builder = GLib.VariantBuilder.new(GLib.VariantType.new('a{sv}'))
    for key, value in entries:
        builder.add_value(GLib.Variant.new_dict_entry(GLib.Variant('s', key), GLib.Variant('v', value)))
    variant = builder.end()
    if sys.byteorder == 'big':
        variant = variant.byteswap()
    return variant.get_data_as_bytes().get_data()


# Resume data (docs/resume-data.md), in the order _ladle_resume_data_serialize() writes

def resume(url='http://example.test/file.iso', headers=(('Accept', '*/*'),), etag='"5e3f-1a2b"',
           last_modified=None, version=1, received=300000, total=1000000, partial='0f3c.part'):
    entries = [
        ('format', GLib.Variant('s', 'org.gnome.Ladle.ResumeData')),
        ('version', GLib.Variant('u', version)),
        ('url', GLib.Variant('s', url)),
        ('method', GLib.Variant('s', 'GET')),
        ('headers', GLib.Variant('a(ss)', list(headers))),
        ('partial-file', GLib.Variant('s', partial)),
        ('bytes-received', GLib.Variant('t', received)),
        ('expected-total', GLib.Variant('x', total)),
    ]
    if etag is not None:
        entries.append(('etag', GLib.Variant('s', etag)))
    if last_modified is not None:
        entries.append(('last-modified', GLib.Variant('s', last_modified)))
    return vardict(entries)


def record(kind, extra=()):
    entries = [
        ('record-version', GLib.Variant('u', 1)),
        ('kind', GLib.Variant('s', kind)),
        ('identifier', GLib.Variant('t', 7)),
        ('description', GLib.Variant('s', 'nightly build')),
        ('state', GLib.Variant('u', 1)),
        ('phase', GLib.Variant('s', 'body')),
        ('method', GLib.Variant('s', 'GET')),
        ('uri', GLib.Variant('s', 'https://example.test/a/b?c=d')),
        ('headers', GLib.Variant('a(ss)', [('Accept', '*/*'), ('X-Trace', 'abc')])),
        ('n-redirects', GLib.Variant('u', 1)),
    ] + list(extra) + [
        ('bytes-received', GLib.Variant('x', 10)),
        ('bytes-expected-to-receive', GLib.Variant('x', 100)),
        ('bytes-sent', GLib.Variant('x', 0)),
        ('bytes-expected-to-send', GLib.Variant('x', -1)),
    ]
    return vardict(entries)


write('resume-data', 'etag', resume())
write('resume-data', 'last-modified', resume(etag=None, last_modified='Tue, 01 Oct 2024 10:00:00 GMT',
                                             total=-1, headers=()))
write('resume-data', 'both-validators', resume(last_modified='Tue, 01 Oct 2024 10:00:00 GMT',
                                               headers=(('Accept', '*/*'), ('X-Client', 'ladle'))))
write('resume-data', 'weak-etag', resume(etag='W/"5e3f"'))
write('resume-data', 'newer-version', resume(version=2))
write('resume-data', 'not-resume-data', vardict([('format', GLib.Variant('s', 'other'))]))
write('resume-data', 'record-download', record('download', [
    ('destination', GLib.Variant('s', 'file:///tmp/out.iso')),
    ('destination-flags', GLib.Variant('u', 1)),
    ('partial-file', GLib.Variant('s', '0f3c.part')),
    ('etag', GLib.Variant('s', '"5e3f"')),
    ('last-modified', GLib.Variant('s', 'Tue, 01 Oct 2024 10:00:00 GMT')),
    ('bytes-on-disk', GLib.Variant('x', 10)),
    ('expected-total', GLib.Variant('x', 100)),
]))
write('resume-data', 'record-upload', record('upload', [
    ('body-kind', GLib.Variant('u', 1)),
    ('body-file', GLib.Variant('s', 'file:///tmp/in.bin')),
]))
write('resume-data', 'record-data', record('data'))

# Background session stores: a mode byte (0: the binary GVariant GSettings keeps, 1: the text the
# key-file store keeps), then the state (uta{ta{sv}}a{ta{sv}}).
def store_state(tasks=(), completions=(), version=1, next_identifier=5):
    def table(entries):
        builder = GLib.VariantBuilder.new(GLib.VariantType.new('a{ta{sv}}'))
        for identifier, value in entries:
            builder.add_value(GLib.Variant.new_dict_entry(GLib.Variant('t', identifier), value))
        return builder.end()
    return GLib.Variant.new_tuple(GLib.Variant('u', version), GLib.Variant('t', next_identifier),
                                  table(tasks), table(completions))


def record_variant(kind, identifier, extra=()):
    data = record(kind, [('identifier', GLib.Variant('t', identifier))] + list(extra))
    return GLib.Variant.new_from_bytes(GLib.VariantType.new('a{sv}'), GLib.Bytes.new(data), False)


def write_store(name, state):
    binary = state.byteswap() if sys.byteorder == 'big' else state
    write('background-store', name + '-binary', b'\x00' + binary.get_data_as_bytes().get_data())
    write('background-store', name + '-text', b'\x01' + state.print_(True).encode())


download_extra = [('destination', GLib.Variant('s', 'file:///tmp/out.iso')),
                  ('partial-file', GLib.Variant('s', '0f3c.part')),
                  ('etag', GLib.Variant('s', '"5e3f"'))]
write_store('empty', store_state())
write_store('one-download', store_state(tasks=[(3, record_variant('download', 3, download_extra))]))
write_store('completion', store_state(completions=[(4, GLib.Variant('a{sv}', {
    'record': record_variant('download', 4, download_extra),
    'error': GLib.Variant('(sis)', ('g-io-error-quark', 24, 'Timed out')),
    'location': GLib.Variant('s', 'file:///tmp/out.iso')}))]))
write_store('wrong-identifier', store_state(tasks=[(9, record_variant('upload', 2, [('body-kind', GLib.Variant('u', 1))]))]))
write_store('newer-version', store_state(version=2))

# HTTP responses: one options byte (see fuzz-response.c), then the bytes the server writes.
FRESH = b'\x00'
RESUME_10 = bytes([1 | (2 << 1)])            # partial file of 10 bytes, total unknown
RESUME_10_COMPLETE = bytes([1 | (2 << 1) | 8])  # partial file of 10 bytes, total 10
ETAG = b'ETag: "fuzz-etag-1"\r\n'


def response(options, head, body=b''):
    return options + head.replace(b'\n', b'\r\n') + b'\r\n' + body


write('response', 'ok-length', response(FRESH, b'HTTP/1.1 200 OK\nContent-Length: 11\nContent-Type: text/plain\n', b'hello world'))
write('response', 'ok-chunked', response(FRESH, b'HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n',
                                         b'5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'))
write('response', 'ok-until-close', response(FRESH, b'HTTP/1.0 200 OK\n', b'read to the end'))
write('response', 'truncated-length', response(FRESH, b'HTTP/1.1 200 OK\nContent-Length: 100\n', b'only ten b'))
write('response', 'truncated-chunk', response(FRESH, b'HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n', b'10\r\nshort'))
write('response', 'no-content', response(FRESH, b'HTTP/1.1 204 No Content\nContent-Length: 5\n'))
write('response', 'not-found', response(FRESH, b'HTTP/1.1 404 Not Found\nContent-Length: 9\n', b'not found'))
write('response', 'gzip', response(FRESH, b'HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: 4\n', b'\x1f\x8b\x08\x00'))
write('response', 'continue-then-ok', response(FRESH, b'HTTP/1.1 100 Continue\n',
                                               b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'))
write('response', 'disposition-traversal', response(FRESH, b'HTTP/1.1 200 OK\nContent-Disposition: attachment; filename="../../etc/passwd"\nContent-Length: 1\n', b'x'))
write('response', 'disposition-ext', response(FRESH, b"HTTP/1.1 200 OK\nContent-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rates.txt\nContent-Length: 1\n", b'x'))
write('response', 'disposition-dots', response(FRESH, b'HTTP/1.1 200 OK\nContent-Disposition: attachment; filename=".."\nContent-Length: 0\n'))
write('response', 'disposition-backslash', response(FRESH, b'HTTP/1.1 200 OK\nContent-Disposition: inline; filename="C:\\\\temp\\\\a.txt"\nContent-Length: 0\n'))
write('response', 'redirect-relative', response(FRESH, b'HTTP/1.1 301 Moved Permanently\nLocation: /other/path?x=1\nContent-Length: 0\n'))
write('response', 'redirect-other-host', response(FRESH, b'HTTP/1.1 307 Temporary Redirect\nLocation: http://user:secret@other.test:8080/x#frag\nContent-Length: 0\n'))
write('response', 'redirect-ftp', response(FRESH, b'HTTP/1.1 302 Found\nLocation: ftp://example.test/file\nContent-Length: 0\n'))
write('response', 'resume-206', response(RESUME_10, b'HTTP/1.1 206 Partial Content\nContent-Range: bytes 10-19/20\nContent-Length: 10\n' + ETAG, b'klmnopqrst'))
write('response', 'resume-206-wrong-start', response(RESUME_10, b'HTTP/1.1 206 Partial Content\nContent-Range: bytes 0-19/20\nContent-Length: 20\n' + ETAG, b'abcdefghijklmnopqrst'))
write('response', 'resume-206-other-etag', response(RESUME_10, b'HTTP/1.1 206 Partial Content\nContent-Range: bytes 10-19/20\nContent-Length: 10\nETag: "changed"\n', b'klmnopqrst'))
write('response', 'resume-200', response(RESUME_10, b'HTTP/1.1 200 OK\nContent-Length: 4\n' + ETAG, b'new!'))
write('response', 'resume-416-complete', response(RESUME_10_COMPLETE, b'HTTP/1.1 416 Range Not Satisfiable\nContent-Range: bytes */10\nContent-Length: 0\n'))
write('response', 'resume-416-incomplete', response(RESUME_10, b'HTTP/1.1 416 Range Not Satisfiable\nContent-Range: bytes */30\nContent-Length: 0\n'))

# Multipart field sets: a kind byte, then NUL-terminated strings (see fuzz-multipart.c).
TEXT, BYTES, STREAM, FILE = 0, 1, 2, 3
WITH_FILENAME, WITH_TYPE = 4, 8


def part(kind, *strings):
    return bytes([kind]) + b''.join(s + b'\0' for s in strings)


write('multipart', 'text-fields', part(TEXT, b'title', b'Holiday') + part(TEXT, b'caf\xc3\xa9 "quoted"', b'value\r\nwith lines'))
write('multipart', 'file-parts', part(BYTES | WITH_FILENAME, b'upload', b'photo.png', b'\x89PNG')
      + part(STREAM | WITH_FILENAME | WITH_TYPE, b'doc', b'notes\\draft".txt', b'text/plain; charset=utf-8', b'notes')
      + part(FILE, b'raw', b'file content'))
write('multipart', 'invalid-fields', part(TEXT, b'bad\nname', b'x') + part(BYTES | WITH_TYPE, b'f', b'', b'x')
      + part(BYTES | WITH_FILENAME, b'f', b'\xff\xfe', b'x') + part(TEXT, b'ok', b'still appended'))
write('multipart', 'empty-form', b'')
