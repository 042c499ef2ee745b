#!/usr/bin/python3
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ladle Downloads: a GTK 4 download manager over a Ladle background session.

    download-manager.py [--download-dir DIR] [--state-dir DIR]

Downloads survive the application: quit it (or kill it) in the middle of a download and start
it again; the download is back in the list and goes on where its partial file stops. The list is
the background session itself (a GListModel of LadleTask); the rows follow each task's
properties and signals.

Downloads go to --download-dir, else $LADLE_DOWNLOAD_DIR, else the XDG download directory.
--state-dir is where the session keeps its partial files (the default is Ladle's, under
$XDG_STATE_HOME); the task records are in GSettings.

Everything the window does is an action of the application, exported on D-Bus at
/org/gnome/Ladle/DownloadManager (org.gtk.Actions), so a script or a test can drive it:

    app.add-url (s)      download a URL
    app.pause (t)        suspend the task with this identifier
    app.resume (t)       resume it
    app.cancel (t)       cancel it (its partial file is removed)
    app.screenshot (s)   save a PNG image of the window at this path
    app.quit             quit; running downloads go on at the next start
    app.status           stateful, no parameter: its state is a JSON string describing the tasks
"""

import ctypes
import json
import math
import os
import sys

import gi
gi.require_version('Gtk', '4.0')
gi.require_version('Adw', '1')
gi.require_version('Ladle', '1')
gi.require_version('Pango', '1.0')
from gi.repository import Adw, Gio, GLib, GObject, Gtk, Ladle, Pango  # noqa: E402

APPLICATION_ID = 'org.gnome.Ladle.DownloadManager'
SESSION_IDENTIFIER = 'downloads'
# The time constant of the rate's exponential smoothing, in seconds.
RATE_SMOOTHING = 2.0
# What the finished list says of a cancelled download.
CANCELLED = 'Cancelled'
# The shortest interval a rate sample is measured over, in seconds.
RATE_SAMPLE = 0.5


def _c_pointer(gobject):
    ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
    ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return ctypes.pythonapi.PyCapsule_GetPointer(gobject.__gpointer__, None)


def render_to_png(widget, path):
    """Draws @widget (a toplevel) with its own renderer into a PNG file; returns the size.

    This is Gtk.WidgetPaintable -> Gtk.Snapshot -> Gsk.Renderer.render_texture() ->
    Gdk.Texture.save_to_png(). PyGObject before 3.46 cannot hold a GskRenderNode (a fundamental
    type that is not a GObject: "No means to translate ... GskTransformNode"), so the three calls
    that pass the node are made through ctypes; the rest is plain GTK."""
    width, height = widget.get_width(), widget.get_height()
    if width <= 0 or height <= 0:
        raise RuntimeError('the window has no size yet')
    snapshot = Gtk.Snapshot()
    Gtk.WidgetPaintable.new(widget).snapshot(snapshot, width, height)

    gtk = ctypes.CDLL('libgtk-4.so.1')
    gtk.gtk_snapshot_to_node.restype = ctypes.c_void_p
    gtk.gtk_snapshot_to_node.argtypes = [ctypes.c_void_p]
    gtk.gsk_renderer_render_texture.restype = ctypes.c_void_p
    gtk.gsk_renderer_render_texture.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    gtk.gdk_texture_save_to_png.restype = ctypes.c_int
    gtk.gdk_texture_save_to_png.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    gtk.gsk_render_node_unref.argtypes = [ctypes.c_void_p]
    gobject = ctypes.CDLL('libgobject-2.0.so.0')
    gobject.g_object_unref.argtypes = [ctypes.c_void_p]

    node = gtk.gtk_snapshot_to_node(_c_pointer(snapshot))  # (transfer full)
    if not node:
        raise RuntimeError('the window drew nothing')
    try:
        viewport = (ctypes.c_float * 4)(0, 0, width, height)  # graphene_rect_t
        texture = gtk.gsk_renderer_render_texture(_c_pointer(widget.get_renderer()), node, viewport)
    finally:
        gtk.gsk_render_node_unref(node)
    if not texture:
        raise RuntimeError('the renderer made no image')
    try:
        if not gtk.gdk_texture_save_to_png(texture, os.fsencode(path)):
            raise RuntimeError('could not write %s' % path)
    finally:
        gobject.g_object_unref(texture)
    return width, height


def format_size(size):
    return GLib.format_size(size) if size >= 0 else '?'


class Transfer(GObject.Object):
    """What the application adds to a task: its URL and a smoothed transfer rate.

    Rows come and go (the list view recycles them); a Transfer lives as long as its task is in
    the session, so the rate keeps its history when a row is rebound."""

    __gtype_name__ = 'LadleDownloadManagerTransfer'

    rate = GObject.Property(type=float, default=0.0)  # bytes per second, smoothed
    note = GObject.Property(type=str, default='')     # why it waits (Task:wait-reason)

    def __init__(self, task, restored):
        super().__init__()
        self.task = task
        self.restored = restored
        self._window_start = None  # the current sample: since when, how many bytes
        self._window_bytes = 0
        self._retry = None         # the last will-retry's delay and reason
        self._handlers = [
            task.connect('download-progress', self._on_progress),
            task.connect('notify::state', self._on_state),
            task.connect('notify::wait-reason', self._on_wait_reason),
            task.connect('will-retry', self._on_will_retry),
        ]
        self._on_wait_reason(task, None)  # a restored task may be waiting already

    @property
    def url(self):
        request = self.task.get_original_request()
        return request.get_uri().to_string() if request is not None else ''

    def _on_will_retry(self, task, attempt, delay_ms, why):
        self._retry = (delay_ms, why.message)  # for the note, while wait-reason says RETRY
        self._on_wait_reason(task, None)
        return True  # let the retry policy retry

    def _on_wait_reason(self, task, pspec):
        reason = task.get_wait_reason()
        if reason == Ladle.TaskWaitReason.CONNECTIVITY:
            note = 'waiting for the network'
        elif reason == Ladle.TaskWaitReason.UNMETERED_NETWORK:
            note = 'waiting for a network that is not metered'
        elif reason == Ladle.TaskWaitReason.RETRY and self._retry is not None:
            note = 'retrying in %d s (%s)' % (math.ceil(self._retry[0] / 1000), self._retry[1])
        elif reason == Ladle.TaskWaitReason.RETRY:
            note = 'retrying'
        else:
            note = ''
        if note != self.note:
            self.note = note

    def _on_progress(self, task, received_now, total_received, total_expected):
        now = GLib.get_monotonic_time() / 1e6
        if self._window_start is None:
            # The first emission of a run: what it reports arrived over an unknown time.
            self._window_start, self._window_bytes = now, 0
            return
        self._window_bytes += received_now
        elapsed = now - self._window_start
        if elapsed < RATE_SAMPLE:
            return
        # One sample every RATE_SAMPLE seconds at least, whatever the emission rate, smoothed
        # with weights that depend on time, not on the number of samples.
        instant = self._window_bytes / elapsed
        weight = 1.0 - math.exp(-elapsed / RATE_SMOOTHING)
        self.rate = instant if self.rate == 0.0 else self.rate + weight * (instant - self.rate)
        self._window_start, self._window_bytes = now, 0

    def _on_state(self, task, pspec):
        if task.get_state() != Ladle.TaskState.RUNNING:
            self._window_start = None
            self.rate = 0.0

    def disconnect_task(self):
        for handler in self._handlers:
            self.task.disconnect(handler)
        self._handlers = []


class Finished(GObject.Object):
    """A download that completed (or failed, or was cancelled) while the application ran,
    including the completions an earlier run could not deliver any more."""

    __gtype_name__ = 'LadleDownloadManagerFinished'

    def __init__(self, identifier, name, location, error, restored):
        super().__init__()
        self.identifier = identifier
        self.name = name
        self.location = location  # a path, or None
        self.error = error        # a message, or None
        self.restored = restored  # delivered from an earlier run


class TaskRow(Gtk.Box):
    """One row of the list: name, progress bar, bytes, rate and state, pause/resume, cancel."""

    def __init__(self):
        super().__init__(orientation=Gtk.Orientation.HORIZONTAL, spacing=12,
                         margin_top=8, margin_bottom=8, margin_start=12, margin_end=12)
        column = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=4, hexpand=True)
        self.name = Gtk.Label(xalign=0, ellipsize=Pango.EllipsizeMode.END)
        self.name.add_css_class('heading')
        self.progress = Gtk.ProgressBar()
        self.details = Gtk.Label(xalign=0)
        self.details.add_css_class('dim-label')
        self.details.add_css_class('caption')
        column.append(self.name)
        column.append(self.progress)
        column.append(self.details)
        self.pause_resume = Gtk.Button(valign=Gtk.Align.CENTER)
        self.pause_resume.add_css_class('flat')
        self.cancel = Gtk.Button(icon_name='process-stop-symbolic', valign=Gtk.Align.CENTER,
                                 tooltip_text='Cancel')
        self.cancel.add_css_class('flat')
        self.append(column)
        self.append(self.pause_resume)
        self.append(self.cancel)
        self.transfer = None
        self._handlers = []

    def bind(self, transfer):
        self.transfer = transfer
        task = transfer.task
        self._handlers = [
            (task, task.connect('notify::bytes-received', self._update)),
            (task, task.connect('notify::bytes-expected-to-receive', self._update)),
            (task, task.connect('notify::state', self._update)),
            (task, task.connect('notify::description', self._update)),
            (transfer, transfer.connect('notify::rate', self._update)),
            (transfer, transfer.connect('notify::note', self._update)),
        ]
        # The buttons activate the application's actions, as a D-Bus client would (the target
        # first: an action name without its target is a type mismatch).
        target = GLib.Variant('t', task.get_identifier())
        self.pause_resume.set_action_target_value(target)
        self.cancel.set_action_target_value(target)
        self.cancel.set_action_name('app.cancel')
        self._update()

    def unbind(self):
        self.cancel.set_action_name(None)
        self.pause_resume.set_action_name(None)
        for source, handler in self._handlers:
            source.disconnect(handler)
        self._handlers = []
        self.transfer = None

    def _update(self, *args):
        task = self.transfer.task
        received = task.get_bytes_received()
        expected = task.get_bytes_expected_to_receive()
        state = task.get_state()
        self.name.set_label(task.get_description() or self.transfer.url)
        if expected > 0:
            self.progress.set_fraction(min(1.0, received / expected))
        elif state == Ladle.TaskState.RUNNING:
            self.progress.pulse()  # the size is not known (yet)
        else:
            self.progress.set_fraction(0)
        if state == Ladle.TaskState.RUNNING and self.transfer.note:
            label = self.transfer.note
        elif state == Ladle.TaskState.RUNNING:
            rate = self.transfer.rate
            label = '%s/s' % format_size(int(rate)) if rate > 0 else 'starting'
        elif state == Ladle.TaskState.SUSPENDED:
            label = 'paused'
        else:
            label = 'finishing'
        self.details.set_label('%s of %s — %s' % (format_size(received), format_size(expected), label))
        running = state == Ladle.TaskState.RUNNING
        self.pause_resume.set_icon_name('media-playback-pause-symbolic' if running
                                        else 'media-playback-start-symbolic')
        self.pause_resume.set_tooltip_text('Pause' if running else 'Resume')
        self.pause_resume.set_action_name('app.pause' if running else 'app.resume')


class Window(Adw.ApplicationWindow):
    def __init__(self, application):
        super().__init__(application=application, title='Downloads', default_width=640,
                         default_height=480)
        self.toasts = Adw.ToastOverlay()
        content = Gtk.Box(orientation=Gtk.Orientation.VERTICAL)
        content.append(Adw.HeaderBar())

        entry_box = Gtk.Box(spacing=6, margin_top=12, margin_bottom=6, margin_start=12, margin_end=12)
        self.entry = Gtk.Entry(hexpand=True, placeholder_text='https://example.org/file.iso',
                               input_purpose=Gtk.InputPurpose.URL)
        self.entry.connect('activate', self._on_add)
        add = Gtk.Button(label='Add')
        add.add_css_class('suggested-action')
        add.connect('clicked', self._on_add)
        entry_box.append(self.entry)
        entry_box.append(add)
        content.append(entry_box)

        # The running and paused downloads: the session's own list model.
        factory = Gtk.SignalListItemFactory()
        factory.connect('setup', lambda f, item: item.set_child(TaskRow()))
        factory.connect('bind', lambda f, item: item.get_child().bind(
            application.transfer_for(item.get_item())))
        factory.connect('unbind', lambda f, item: item.get_child().unbind())
        self.list_view = Gtk.ListView(model=Gtk.NoSelection(model=application.session), factory=factory)
        self.list_view.add_css_class('rich-list')
        self.empty = Gtk.Label(label='No downloads', vexpand=True)
        self.empty.add_css_class('dim-label')
        self.stack = Gtk.Stack(vexpand=True)
        self.stack.add_named(Gtk.ScrolledWindow(child=self.list_view, vexpand=True), 'list')
        self.stack.add_named(self.empty, 'empty')
        content.append(self.stack)
        application.session.connect('items-changed', self._on_items_changed)
        self._on_items_changed(application.session, 0, 0, 0)

        # The finished ones: a list of the application's own (they leave the session).
        heading = Gtk.Label(label='Finished', xalign=0, margin_start=12, margin_top=6)
        heading.add_css_class('heading')
        self.finished = Gtk.ListBox(selection_mode=Gtk.SelectionMode.NONE)
        self.finished.add_css_class('boxed-list')
        self.finished.bind_model(application.finished, self._finished_row)
        content.append(heading)
        content.append(Gtk.ScrolledWindow(child=self.finished, min_content_height=120,
                                          margin_start=12, margin_end=12, margin_bottom=12,
                                          margin_top=6))
        self.toasts.set_child(content)
        self.set_content(self.toasts)

    def _on_items_changed(self, model, position, removed, added):
        self.stack.set_visible_child_name('list' if model.get_n_items() > 0 else 'empty')

    def _finished_row(self, finished):
        if finished.error is not None:
            subtitle = finished.error
        else:
            subtitle = finished.location or ''
        row = Adw.ActionRow(title=GLib.markup_escape_text(finished.name),
                            subtitle=GLib.markup_escape_text(subtitle))
        if finished.error is None:
            icon = 'emblem-ok-symbolic'
        elif finished.error == CANCELLED:
            icon = 'process-stop-symbolic'
        else:
            icon = 'dialog-error-symbolic'
        row.add_prefix(Gtk.Image(icon_name=icon))
        return row

    def _on_add(self, *args):
        url = self.entry.get_text().strip()
        if url:
            self.get_application().activate_action('add-url', GLib.Variant('s', url))
            self.entry.set_text('')

    def toast(self, message):
        self.toasts.add_toast(Adw.Toast(title=GLib.markup_escape_text(message)))


class DownloadManager(Adw.Application):
    def __init__(self):
        super().__init__(application_id=APPLICATION_ID, flags=Gio.ApplicationFlags.DEFAULT_FLAGS)
        self.add_main_option('download-dir', 0, GLib.OptionFlags.NONE, GLib.OptionArg.FILENAME,
                             'Where downloads go (default: $LADLE_DOWNLOAD_DIR, '
                             'else the XDG download directory)',
                             'DIR')
        self.add_main_option('state-dir', 0, GLib.OptionFlags.NONE, GLib.OptionArg.FILENAME,
                             'Where the background session keeps its partial files', 'DIR')
        self.download_dir = None
        self.state_dir = None
        self.session = None
        self.window = None
        self.transfers = {}        # task identifier -> Transfer
        self.locations = {}        # task identifier -> path, from download-finished
        self.finished = Gio.ListStore(item_type=Finished)
        self.events_finished = False
        self.last_screenshot = None
        self._status_source = 0

    # options and start-up

    def do_handle_local_options(self, options):
        def option(name):
            value = options.lookup_value(name, None)
            return os.fsdecode(bytes(value.get_bytestring())) if value is not None else None

        self.download_dir = (option('download-dir') or os.environ.get('LADLE_DOWNLOAD_DIR')
                             or GLib.get_user_special_dir(GLib.UserDirectory.DIRECTORY_DOWNLOAD)
                             or os.path.join(GLib.get_home_dir(), 'Downloads'))
        self.state_dir = option('state-dir')
        return -1  # go on: register, then activate (here or in the instance already running)

    def do_startup(self):
        Adw.Application.do_startup(self)

        configuration = Ladle.SessionConfiguration.new_background(SESSION_IDENTIFIER)
        configuration.set_application_id(APPLICATION_ID)
        if self.state_dir:
            configuration.set_state_directory(self.state_dir)
        # The tasks an earlier run recorded are in the session when new() returns; the
        # completions it could not deliver come from the main loop, to these handlers.
        self.session = Ladle.Session.new(configuration)
        self.session.connect('items-changed', self._on_items_changed)
        self.session.connect('download-finished', self._on_download_finished)
        self.session.connect('task-completed', self._on_task_completed)
        self.session.connect('background-events-finished', self._on_events_finished)
        for position in range(self.session.get_n_items()):
            self.transfer_for(self.session.get_item(position), restored=True)

        for name, parameter, callback in [
            ('add-url', 's', self._add_url),
            ('pause', 't', lambda a, p: self._task_action(p, Ladle.Task.suspend)),
            ('resume', 't', lambda a, p: self._task_action(p, Ladle.Task.resume)),
            ('cancel', 't', lambda a, p: self._task_action(p, Ladle.Task.cancel)),
            ('screenshot', 's', lambda a, p: self.screenshot(p.get_string())),
            ('quit', None, lambda a, p: self.quit()),
        ]:
            action = Gio.SimpleAction.new(name, GLib.VariantType(parameter) if parameter else None)
            action.connect('activate', callback)
            self.add_action(action)
        self.status_action = Gio.SimpleAction.new_stateful('status', None, GLib.Variant('s', '{}'))
        self.add_action(self.status_action)
        self.set_accels_for_action('app.quit', ['<Control>q'])
        self._update_status()

    def do_activate(self):
        if self.window is None:
            self.window = Window(self)
        self.window.present()

    # tasks

    def transfer_for(self, task, restored=False):
        identifier = task.get_identifier()
        transfer = self.transfers.get(identifier)
        if transfer is None:
            transfer = Transfer(task, restored)
            transfer.connect('notify::rate', self._status_changed)
            transfer.connect('notify::note', self._status_changed)
            for signal in ('notify::state', 'notify::bytes-received', 'notify::bytes-expected-to-receive'):
                task.connect(signal, self._status_changed)
            self.transfers[identifier] = transfer
        return transfer

    def _on_items_changed(self, session, position, removed, added):
        for i in range(position, position + added):
            self.transfer_for(session.get_item(i))
        self._status_changed()

    def _unique_destination(self, name):
        taken = {t.task.get_destination().get_path() for t in self.transfers.values()
                 if isinstance(t.task, Ladle.DownloadTask) and t.task.get_destination() is not None}
        stem, extension = os.path.splitext(name)
        candidate, n = name, 1
        while True:
            path = os.path.join(self.download_dir, candidate)
            if path not in taken and not os.path.lexists(path):
                return path
            n += 1
            candidate = '%s (%d)%s' % (stem, n, extension)

    def _add_url(self, action, parameter):
        text = parameter.get_string().strip()
        try:
            uri = GLib.Uri.parse(text, GLib.UriFlags.NONE)
        except GLib.Error as error:
            return self._toast('Not a URL: %s' % error.message)
        if uri.get_scheme() not in ('http', 'https') or not uri.get_host():
            return self._toast('Only http and https URLs can be downloaded: %s' % text)
        name = Ladle.sanitize_filename(GLib.path_get_basename(GLib.Uri.unescape_string(uri.get_path()) or ''))
        if not name or name in ('/', '.'):
            name = uri.get_host()
        task = self.session.create_download_task_for_uri(uri.to_string())
        task.set_description(name)
        task.set_destination(Gio.File.new_for_path(self._unique_destination(name)),
                             Ladle.DestinationFlags.CREATE_PARENTS)
        self.transfer_for(task)
        task.resume()

    def _task_action(self, parameter, method):
        task = self.session.get_task_by_identifier(parameter.get_uint64())
        if task is None:
            return self._toast('No download %d' % parameter.get_uint64())
        method(task)

    def _on_download_finished(self, session, task, location):
        self.locations[task.get_identifier()] = location.get_path()

    def _on_task_completed(self, session, task, error):
        identifier = task.get_identifier()
        transfer = self.transfers.pop(identifier, None)
        if transfer is not None:
            transfer.disconnect_task()
        # download-finished came before, with where the file is. A completion of an earlier run
        # has the status of its last response too.
        location = self.locations.pop(identifier, None)
        status = task.get_status_code()
        if error is not None and error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED):
            message = CANCELLED
        elif error is not None:
            message = error.message
        elif not 200 <= status < 300:
            message = 'The server answered %d' % status
        else:
            message = None
        name = task.get_description() or str(identifier)
        # An error status's body is not kept (the library removed it): no file to show then.
        self.finished.insert(0, Finished(identifier, name, location if message is None else None,
                                         message, transfer is None or transfer.restored))
        self._status_changed()

    def _on_events_finished(self, session):
        self.events_finished = True
        self._status_changed()

    def _toast(self, message):
        print('download-manager: %s' % message, file=sys.stderr)
        if self.window is not None:
            self.window.toast(message)

    # what a test (or any D-Bus client) can read: the state of app.status

    def _status_changed(self, *args):
        # Coalesced: at most one update every 100 ms, whatever the number of signals.
        if self._status_source == 0:
            self._status_source = GLib.timeout_add(100, self._update_status)

    def _update_status(self):
        self._status_source = 0
        tasks = []
        for position in range(self.session.get_n_items()):
            task = self.session.get_item(position)
            transfer = self.transfers.get(task.get_identifier())
            destination = task.get_destination() if isinstance(task, Ladle.DownloadTask) else None
            tasks.append({
                'identifier': task.get_identifier(),
                'description': task.get_description(),
                'url': transfer.url if transfer else '',
                'destination': destination.get_path() if destination else None,
                'state': task.get_state().value_nick,
                'bytes_received': task.get_bytes_received(),
                'bytes_expected': task.get_bytes_expected_to_receive(),
                'rate': round(transfer.rate) if transfer else 0,
                'note': transfer.note if transfer else '',
                'restored': bool(transfer and transfer.restored),
            })
        finished = [{'identifier': f.identifier, 'description': f.name, 'location': f.location,
                     'error': f.error, 'restored': f.restored} for f in self.finished]
        window = None
        if self.window is not None:
            window = {'width': self.window.get_width(), 'height': self.window.get_height(),
                      'mapped': self.window.get_mapped(), 'rows': self.session.get_n_items(),
                      'finished_rows': self.finished.get_n_items()}
        status = {'pid': os.getpid(), 'download_dir': self.download_dir, 'tasks': tasks,
                  'finished': finished, 'events_finished': self.events_finished,
                  'window': window, 'last_screenshot': self.last_screenshot}
        self.status_action.set_state(GLib.Variant('s', json.dumps(status)))
        return GLib.SOURCE_REMOVE

    def screenshot(self, path):
        """Renders the window as it is now into a PNG file at @path."""
        try:
            if self.window is None or not self.window.get_mapped():
                raise RuntimeError('the window is not shown')
            width, height = render_to_png(self.window, path)
            self.last_screenshot = {'path': path, 'width': width, 'height': height, 'error': None}
        except (RuntimeError, OSError, GLib.Error) as error:
            self.last_screenshot = {'path': path, 'error': str(error)}
            self._toast('Screenshot failed: %s' % error)
        self._update_status()

def main():
    return DownloadManager().run(sys.argv)


if __name__ == '__main__':
    sys.exit(main())
