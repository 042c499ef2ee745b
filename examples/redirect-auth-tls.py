#!/usr/bin/python3
# redirect-auth-tls.py: the delegate signals of a Ladle.Task — redirects, credentials, certificates
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   redirect-auth-tls.py [--allow-origin ORIGIN]... [--pin CERT.pem] [--user USER --password PASSWORD] URL
#
# Fetches URL with a Ladle.DataTask and shows the three handlers an application writes:
#
#   ::redirect            logs every hop and refuses a hop to another origin (scheme, host, port)
#                         unless that origin was allowed with --allow-origin (e.g.
#                         --allow-origin https://127.0.0.1:8443). Ladle has already removed
#                         Authorization, Cookie and Proxy-Authorization from such a hop.
#   ::authenticate        an authentication prompt answered later, as a dialog would: the handler
#                         keeps the Soup.Auth, returns True, and answers from a GLib timeout. The
#                         "user" is simulated by --user/--password, or by the LADLE_EXAMPLE_USER and
#                         LADLE_EXAMPLE_PASSWORD environment variables. Credentials that were
#                         refused once are not offered again: the prompt is cancelled.
#   ::accept-certificate  accepts exactly one pinned certificate (the PEM file given with --pin),
#                         compared with Gio.TlsCertificate.is_same(); any other untrusted
#                         certificate is refused (Ladle's default).
#
# Standard output gets one line per event ("redirect: ...", "authenticate: ...",
# "certificate: ...") and then "status: CODE PHRASE" and "bytes: N". Exit status: 0 on success,
# 1 when the task failed with a GLib.Error (an untrusted certificate, for instance), 2 on bad usage,
# 3 when the HTTP status is 400 or more (credentials refused or missing: 401), 4 when a redirect was
# refused (the 3xx is the final response).

import argparse
import os
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Ladle', '1')
from gi.repository import Gio, GLib, Ladle, Soup  # noqa: E402

# How long the simulated user takes to fill in the dialog.
PROMPT_DELAY_MS = 100

DEFAULT_PORTS = {'http': 80, 'https': 443}


def origin_of(uri):
    """scheme://host:port of a GLib.Uri, with the default port written out."""
    scheme = uri.get_scheme().lower()
    port = uri.get_port()
    if port == -1:
        port = DEFAULT_PORTS.get(scheme, -1)
    return f'{scheme}://{uri.get_host().lower()}:{port}'


CERTIFICATE_FLAGS = [
    (Gio.TlsCertificateFlags.UNKNOWN_CA, 'unknown-ca'),
    (Gio.TlsCertificateFlags.BAD_IDENTITY, 'bad-identity'),
    (Gio.TlsCertificateFlags.NOT_ACTIVATED, 'not-activated'),
    (Gio.TlsCertificateFlags.EXPIRED, 'expired'),
    (Gio.TlsCertificateFlags.REVOKED, 'revoked'),
    (Gio.TlsCertificateFlags.INSECURE, 'insecure'),
    (Gio.TlsCertificateFlags.GENERIC_ERROR, 'generic-error'),
]


def flag_names(errors):
    """Why a certificate is not trusted, as words."""
    return ','.join(name for flag, name in CERTIFICATE_FLAGS if errors & flag) or 'none'


class Fetch:
    def __init__(self, url, allowed_origins, pinned, user, password):
        self.loop = GLib.MainLoop()
        self.allowed_origins = {origin_of(GLib.Uri.parse(o, GLib.UriFlags.NONE)) for o in allowed_origins}
        self.pinned = pinned
        self.user = user
        self.password = password
        self.refused_redirect = False
        self.bytes = 0
        self.exit_status = 1

        self.session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())
        self.task = self.session.create_data_task_for_uri(url)
        self.task.set_accumulate(False)
        self.task.connect('redirect', self.on_redirect)
        self.task.connect('authenticate', self.on_authenticate)
        self.task.connect('accept-certificate', self.on_accept_certificate)
        self.task.connect('response', self.on_response)
        self.task.connect('data-received', self.on_data_received)
        self.task.connect('completed', self.on_completed)

    def run(self):
        self.task.resume()
        self.loop.run()
        return self.exit_status

    def on_redirect(self, task, new_request):
        current = task.get_current_request()
        status = current.get_status()
        source = current.get_uri().to_string()
        target = new_request.get_uri().to_string()
        print(f'redirect: {int(status)} {source} -> {new_request.get_method()} {target}', flush=True)

        target_origin = origin_of(new_request.get_uri())
        if target_origin != origin_of(current.get_uri()) and target_origin not in self.allowed_origins:
            print(f'redirect: refused, {target_origin} is another origin (allow it with --allow-origin)',
                  flush=True)
            self.refused_redirect = True
            return False
        return True

    def on_authenticate(self, task, auth, retrying):
        where = 'proxy' if auth.is_for_proxy() else task.get_current_request().get_uri().to_string()
        print(f'authenticate: {auth.get_scheme_name()} realm "{auth.get_realm()}" for {where}'
              f'{" (retrying)" if retrying else ""}', flush=True)

        # The dialog: keep the auth, say it is handled, answer when the "user" is done.
        def answer():
            if retrying or self.user is None:
                # The credentials we have were refused (or there are none): give up.
                print('authenticate: cancelled', flush=True)
                auth.cancel()
            else:
                print(f'authenticate: answered as {self.user}', flush=True)
                auth.authenticate(self.user, self.password)
            return GLib.SOURCE_REMOVE

        GLib.timeout_add(PROMPT_DELAY_MS, answer)
        return True

    def on_accept_certificate(self, task, certificate, errors):
        host = task.get_current_request().get_uri().get_host()
        if self.pinned is not None and certificate.is_same(self.pinned):
            print(f'certificate: {host} ({flag_names(errors)}): the pinned certificate, accepted', flush=True)
            return True
        print(f'certificate: {host} ({flag_names(errors)}): not the pinned certificate, refused', flush=True)
        return False

    def on_response(self, task, message):
        print(f'status: {int(message.get_status())} {message.get_reason_phrase()}', flush=True)
        return Ladle.ResponseDisposition.ALLOW

    def on_data_received(self, task, chunk):
        self.bytes += chunk.get_size()

    def on_completed(self, task, error):
        if error is not None:
            print(f'redirect-auth-tls.py: {error.message} ({error.domain}, {error.code})',
                  file=sys.stderr)
            self.exit_status = 1
        else:
            print(f'bytes: {self.bytes}', flush=True)
            status = task.get_status_code()
            if self.refused_redirect:
                self.exit_status = 4
            elif status >= 400:
                print(f'redirect-auth-tls.py: the server answered {status} {Soup.Status.get_phrase(status)}',
                      file=sys.stderr)
                self.exit_status = 3
            else:
                self.exit_status = 0
        self.loop.quit()


def main(argv):
    parser = argparse.ArgumentParser(prog='redirect-auth-tls.py',
                                     description='Fetch a URL, showing Ladle\'s redirect, '
                                                 'authentication and certificate handlers.')
    parser.add_argument('url')
    parser.add_argument('--allow-origin', action='append', default=[], metavar='ORIGIN',
                        help='follow redirects to this origin too (scheme://host:port)')
    parser.add_argument('--pin', metavar='CERT.pem', help='accept this certificate only')
    parser.add_argument('--user', default=os.environ.get('LADLE_EXAMPLE_USER'))
    parser.add_argument('--password', default=os.environ.get('LADLE_EXAMPLE_PASSWORD'))
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit as e:
        return 2 if e.code else 0
    if (args.user is None) != (args.password is None):
        print('redirect-auth-tls.py: give both a user and a password, or neither', file=sys.stderr)
        return 2

    pinned = None
    if args.pin is not None:
        try:
            pinned = Gio.TlsCertificate.new_from_file(args.pin)
        except GLib.Error as e:
            print(f'redirect-auth-tls.py: cannot read {args.pin}: {e.message}', file=sys.stderr)
            return 2

    return Fetch(args.url, args.allow_origin, pinned, args.user, args.password).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
