/* ladle-vala-fetch.vala: Ladle from Vala, through ladle-1.vapi
 *
 * Copyright The Ladle authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Serves a body of known bytes with a Soup.Server on 127.0.0.1 (a free port), fetches it with a
 * Ladle.DataTask, and checks the signals, the status and the body's SHA-256. Exits 0 on success.
 */

int main (string[] args) {
    if (Ladle.check_version (0, 2, 0) != null) {
        stderr.printf ("check_version: %s\n", Ladle.check_version (0, 2, 0));
        return 1;
    }
    print ("Ladle %u.%u.%u\n", Ladle.get_major_version (), Ladle.get_minor_version (),
           Ladle.get_micro_version ());

    var body = new uint8[100000];
    for (int i = 0; i < body.length; i++)
        body[i] = (uint8) (i % 251);
    var expected = GLib.Checksum.compute_for_data (GLib.ChecksumType.SHA256, body);

    var server = new Soup.Server ("server-header", "ladle-vala-test");
    server.add_handler ("/bytes", (server, message, path, query) => {
        message.set_status (200, null);
        message.get_response_headers ().set_content_type ("application/octet-stream", null);
        message.get_response_body ().append_take (body.copy ());
    });
    try {
        server.listen_local (0, Soup.ServerListenOptions.IPV4_ONLY);
    } catch (GLib.Error e) {
        stderr.printf ("listen: %s\n", e.message);
        return 1;
    }
    var uri = server.get_uris ().data.to_string ();

    var loop = new GLib.MainLoop ();
    var session = new Ladle.Session (new Ladle.SessionConfiguration.ephemeral ());
    var task = session.create_data_task_for_uri (uri + "bytes");
    int completions = 0;
    int64 received = 0;
    GLib.Error? failure = null;
    task.data_received.connect ((chunk) => { received += chunk.get_size (); });
    task.completed.connect ((error) => {
        completions++;
        failure = error;
        loop.quit ();
    });
    task.resume ();

    var failsafe = GLib.Timeout.add_seconds (30, () => {
        stderr.printf ("failsafe: the task did not complete\n");
        loop.quit ();
        return GLib.Source.REMOVE;
    });
    loop.run ();
    GLib.Source.remove (failsafe);

    if (completions != 1 || failure != null) {
        stderr.printf ("completed %d times, error: %s\n", completions, failure != null ? failure.message : "none");
        return 1;
    }
    var bytes = task.dup_body ();
    var checksum = GLib.Checksum.compute_for_bytes (GLib.ChecksumType.SHA256, bytes);
    print ("HTTP %u, %d bytes (%lld in data-received), sha256 %s\n", task.get_status_code (), (int)
           bytes.get_size (), received, checksum);
    if (task.get_status_code () != 200 || checksum != expected || received != body.length) {
        stderr.printf ("expected HTTP 200, %d bytes, sha256 %s\n", body.length, expected);
        return 1;
    }
    return 0;
}
