// redirect-auth-tls.js: the delegate signals of a Ladle.Task — redirects, credentials, certificates
//
// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   gjs redirect-auth-tls.js [--allow-origin ORIGIN]... [--pin CERT.pem] [--user USER --password PASSWORD] URL
//   (or: gjs -m redirect-auth-tls.js ...)
//
// Fetches URL with a Ladle.DataTask and shows the three handlers an application writes:
//
//   ::redirect            logs every hop and refuses a hop to another origin (scheme, host, port)
//                         unless that origin was allowed with --allow-origin (e.g.
//                         --allow-origin https://127.0.0.1:8443). Ladle has already removed
//                         Authorization, Cookie and Proxy-Authorization from such a hop.
//   ::authenticate        an authentication prompt answered later, as a dialog would: the handler
//                         keeps the Soup.Auth, returns true, and answers from a GLib timeout. The
//                         "user" is simulated by --user/--password, or by the LADLE_EXAMPLE_USER and
//                         LADLE_EXAMPLE_PASSWORD environment variables. Credentials that were
//                         refused once are not offered again: the prompt is cancelled.
//   ::accept-certificate  accepts exactly one pinned certificate (the PEM file given with --pin),
//                         compared with Gio.TlsCertificate.is_same(); any other untrusted
//                         certificate is refused (Ladle's default).
//
// Standard output gets one line per event ("redirect: ...", "authenticate: ...",
// "certificate: ...") and then "status: CODE PHRASE" and "bytes: N". Exit status: 0 on success,
// 1 when the task failed with a GLib.Error (an untrusted certificate, for instance), 2 on bad usage,
// 3 when the HTTP status is 400 or more (credentials refused or missing: 401), 4 when a redirect was
// refused (the 3xx is the final response).

imports.gi.versions.GLib = '2.0';
imports.gi.versions.Gio = '2.0';
imports.gi.versions.Soup = '3.0';
imports.gi.versions.Ladle = '1';

const {GLib, Gio, Ladle, Soup} = imports.gi;
const System = imports.system;

// How long the simulated user takes to fill in the dialog.
const PROMPT_DELAY_MS = 100;

const DEFAULT_PORTS = {http: 80, https: 443};

const CERTIFICATE_FLAGS = [
    [Gio.TlsCertificateFlags.UNKNOWN_CA, 'unknown-ca'],
    [Gio.TlsCertificateFlags.BAD_IDENTITY, 'bad-identity'],
    [Gio.TlsCertificateFlags.NOT_ACTIVATED, 'not-activated'],
    [Gio.TlsCertificateFlags.EXPIRED, 'expired'],
    [Gio.TlsCertificateFlags.REVOKED, 'revoked'],
    [Gio.TlsCertificateFlags.INSECURE, 'insecure'],
    [Gio.TlsCertificateFlags.GENERIC_ERROR, 'generic-error'],
];

// scheme://host:port of a GLib.Uri, with the default port written out.
function originOf(uri) {
    const scheme = uri.get_scheme().toLowerCase();
    let port = uri.get_port();
    if (port === -1)
        port = DEFAULT_PORTS[scheme] ?? -1;
    return `${scheme}://${uri.get_host().toLowerCase()}:${port}`;
}

// Why a certificate is not trusted, as words.
function flagNames(errors) {
    const names = CERTIFICATE_FLAGS.filter(([flag]) => errors & flag).map(([, name]) => name);
    return names.join(',') || 'none';
}

class Fetch {
    constructor(url, allowedOrigins, pinned, user, password) {
        this.loop = new GLib.MainLoop(null, false);
        this.allowedOrigins = new Set(allowedOrigins.map(o => originOf(GLib.Uri.parse(o, GLib.UriFlags.NONE))));
        this.pinned = pinned;
        this.user = user;
        this.password = password;
        this.refusedRedirect = false;
        this.bytes = 0;
        this.exitStatus = 1;

        this.session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral());
        this.task = this.session.create_data_task_for_uri(url);
        this.task.set_accumulate(false);
        this.task.connect('redirect', this.onRedirect.bind(this));
        this.task.connect('authenticate', this.onAuthenticate.bind(this));
        this.task.connect('accept-certificate', this.onAcceptCertificate.bind(this));
        this.task.connect('response', this.onResponse.bind(this));
        this.task.connect('data-received', this.onDataReceived.bind(this));
        this.task.connect('completed', this.onCompleted.bind(this));
    }

    run() {
        this.task.resume();
        this.loop.run();
        return this.exitStatus;
    }

    onRedirect(task, newRequest) {
        const current = task.get_current_request();
        const source = current.get_uri().to_string();
        const target = newRequest.get_uri().to_string();
        print(`redirect: ${current.get_status()} ${source} -> ${newRequest.get_method()} ${target}`);

        const targetOrigin = originOf(newRequest.get_uri());
        if (targetOrigin !== originOf(current.get_uri()) && !this.allowedOrigins.has(targetOrigin)) {
            print(`redirect: refused, ${targetOrigin} is another origin (allow it with --allow-origin)`);
            this.refusedRedirect = true;
            return false;
        }
        return true;
    }

    onAuthenticate(task, auth, retrying) {
        // In GJS the "is-for-proxy" property hides the is_for_proxy() method: read the property.
        const where = auth.is_for_proxy ? 'proxy' : task.get_current_request().get_uri().to_string();
        print(`authenticate: ${auth.get_scheme_name()} realm "${auth.get_realm()}" for ${where}` +
              `${retrying ? ' (retrying)' : ''}`);

        // The dialog: keep the auth, say it is handled, answer when the "user" is done.
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, PROMPT_DELAY_MS, () => {
            if (retrying || this.user === null) {
                // The credentials we have were refused (or there are none): give up.
                print('authenticate: cancelled');
                auth.cancel();
            } else {
                print(`authenticate: answered as ${this.user}`);
                auth.authenticate(this.user, this.password);
            }
            return GLib.SOURCE_REMOVE;
        });
        return true;
    }

    onAcceptCertificate(task, certificate, errors) {
        const host = task.get_current_request().get_uri().get_host();
        if (this.pinned !== null && certificate.is_same(this.pinned)) {
            print(`certificate: ${host} (${flagNames(errors)}): the pinned certificate, accepted`);
            return true;
        }
        print(`certificate: ${host} (${flagNames(errors)}): not the pinned certificate, refused`);
        return false;
    }

    onResponse(task, message) {
        print(`status: ${message.get_status()} ${message.get_reason_phrase()}`);
        return Ladle.ResponseDisposition.ALLOW;
    }

    onDataReceived(task, chunk) {
        this.bytes += chunk.get_size();
    }

    onCompleted(task, error) {
        if (error !== null) {
            printerr(`redirect-auth-tls.js: ${error.message} (${GLib.quark_to_string(error.domain)}, ${error.code})`);
            this.exitStatus = 1;
        } else {
            print(`bytes: ${this.bytes}`);
            const status = task.get_status_code();
            if (this.refusedRedirect) {
                this.exitStatus = 4;
            } else if (status >= 400) {
                printerr(`redirect-auth-tls.js: the server answered ${status} ${Soup.Status.get_phrase(status)}`);
                this.exitStatus = 3;
            } else {
                this.exitStatus = 0;
            }
        }
        this.loop.quit();
    }
}

function usage(message) {
    if (message)
        printerr(`redirect-auth-tls.js: ${message}`);
    printerr('Usage: gjs redirect-auth-tls.js [--allow-origin ORIGIN]... [--pin CERT.pem] ' +
             '[--user USER --password PASSWORD] URL');
    return 2;
}

function main(args) {
    const allowedOrigins = [];
    let pin = null;
    let user = GLib.getenv('LADLE_EXAMPLE_USER');
    let password = GLib.getenv('LADLE_EXAMPLE_PASSWORD');
    let url = null;

    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        const takesValue = ['--allow-origin', '--pin', '--user', '--password'].includes(arg);
        if (takesValue && i + 1 >= args.length)
            return usage(`${arg} needs a value`);
        if (arg === '--allow-origin')
            allowedOrigins.push(args[++i]);
        else if (arg === '--pin')
            pin = args[++i];
        else if (arg === '--user')
            user = args[++i];
        else if (arg === '--password')
            password = args[++i];
        else if (arg.startsWith('-') || url !== null)
            return usage(`unexpected argument ${arg}`);
        else
            url = arg;
    }
    if (url === null)
        return usage('no URL');
    if ((user === null) !== (password === null))
        return usage('give both a user and a password, or neither');

    let pinned = null;
    if (pin !== null) {
        try {
            pinned = Gio.TlsCertificate.new_from_file(pin);
        } catch (e) {
            printerr(`redirect-auth-tls.js: cannot read ${pin}: ${e.message}`);
            return 2;
        }
    }

    return new Fetch(url, allowedOrigins, pinned, user, password).run();
}

System.exit(main(System.programArgs));
