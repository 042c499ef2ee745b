#!/bin/bash
# check-install.sh: install Ladle into a fresh prefix and build a program against it
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   check-install.sh MESON SOURCE_ROOT VERSION PROGRAM_C PYTHON
#
# The source tree is configured again in a temporary build directory with --prefix pointing into
# a temporary directory (so nothing depends on the outer build's prefix or DESTDIR handling),
# installed, and checked: the files a user needs exist, private headers and examples do not,
# pkg-config is enough to compile and run a C program, and the typelib loads from the prefix.

set -euo pipefail

if [ $# -ne 5 ]; then
  echo "Usage: $0 MESON SOURCE_ROOT VERSION PROGRAM_C PYTHON" >&2
  exit 2
fi

meson=$1
srcdir=$2
version=$3
program_c=$4
python=$5

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ladle-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

# Only what the installed files say may matter, not the test environment of the outer build.
unset GI_TYPELIB_PATH LD_LIBRARY_PATH PKG_CONFIG_PATH DESTDIR

echo "== configure and install into $prefix"
"$meson" setup "$tmp/build" "$srcdir" \
  --prefix="$prefix" \
  -Dtests=false \
  -Ddocumentation=false \
  -Dintrospection=enabled \
  -Dvapi=enabled \
  >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log"; fail "meson setup"; }
"$meson" install -C "$tmp/build" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "meson install"; }

echo "== installed files"
(cd "$prefix" && find . -type f -o -type l | sort)

# The first match of a pattern under the prefix, or failure.
find_one () {
  local found
  found=$(cd "$prefix" && find . -path "./$1" | sort | head -n 1)
  [ -n "$found" ] || fail "nothing installed matches $1"
  echo "$prefix/${found#./}"
}

header=$(find_one 'include/ladle-1/ladle.h')
for name in ladle-version.h ladle-version-macros.h ladle-enum-types.h ladle-error.h \
            ladle-session.h ladle-task.h ladle-data-task.h; do
  [ -f "$(dirname "$header")/$name" ] || fail "include/ladle-1/$name is not installed"
done
pc=$(find_one 'lib*/pkgconfig/ladle-1.pc')
library=$(find_one 'lib*/libladle-1.so')
find_one 'lib*/libladle-1.so.0' >/dev/null
find_one 'share/gir-1.0/Ladle-1.gir' >/dev/null
typelib=$(find_one 'lib*/girepository-1.0/Ladle-1.typelib')
find_one 'share/vala/vapi/ladle-1.vapi' >/dev/null

# The transfer service: the daemon in libexecdir, its D-Bus activation file and systemd user
# unit pointing at it, and the interface description.
service_exe=$(find_one 'libexec/ladle-transfer-service')
[ -x "$service_exe" ] || fail "libexec/ladle-transfer-service is not executable"
dbus_service=$(find_one 'share/dbus-1/services/org.gnome.Ladle.TransferService.service')
grep -qxF "Name=org.gnome.Ladle.TransferService" "$dbus_service" || fail "the D-Bus service file names another bus name"
grep -qxF "Exec=$service_exe" "$dbus_service" || fail "the D-Bus service file does not start $service_exe"
grep -qxF "SystemdService=ladle-transfer-service.service" "$dbus_service" || fail "the D-Bus service file has no SystemdService"
unit=$(find_one 'lib*/systemd/user/ladle-transfer-service.service')
grep -qxF "Type=dbus" "$unit" || fail "the systemd unit is not Type=dbus"
grep -qxF "BusName=org.gnome.Ladle.TransferService" "$unit" || fail "the systemd unit has no BusName"
grep -qxF "ExecStart=$service_exe" "$unit" || fail "the systemd unit does not start $service_exe"
find_one 'share/dbus-1/interfaces/org.gnome.Ladle.TransferService.xml' >/dev/null
"$service_exe" --version | grep -q "ladle-transfer-service $version" || fail "ladle-transfer-service --version"

leaked=$(cd "$prefix" && find . \( -name '*-private.h' -o -name 'config.h' -o -name 'ladle-fetch' \
                                    -o -name 'ladle-demo-server' \) | sort)
[ -z "$leaked" ] || fail "installed but internal: $leaked"

echo "== pkg-config"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
pc_version=$(pkg-config --modversion ladle-1)
[ "$pc_version" = "$version" ] || fail "pkg-config says version $pc_version, expected $version"
# The version floors the library is built and tested against.
requires=$(pkg-config --print-requires ladle-1)
echo "requires: $(echo $requires)"
for floor in 'glib-2.0 >= 2.74' 'gio-2.0 >= 2.74' 'libsoup-3.0 >= 3.2' 'json-glib-1.0 >= 1.6'; do
  grep -qxF "$floor" <<<"$requires" || fail "ladle-1.pc does not require $floor"
done
cflags=$(pkg-config --cflags ladle-1)
libs=$(pkg-config --libs ladle-1)
echo "cflags: $cflags"
echo "libs: $libs"
case " $cflags " in
  *" -I$prefix/include/ladle-1 "*) ;;
  *) fail "pkg-config --cflags does not point into the prefix" ;;
esac

echo "== compile and run a program"
# shellcheck disable=SC2086 # pkg-config output is a list of words
cc -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror \
  -o "$tmp/installed-program" "$program_c" $cflags $libs
libdir=$(dirname "$library")
LD_LIBRARY_PATH=$libdir "$tmp/installed-program" "$version"
LD_LIBRARY_PATH=$libdir ldd "$tmp/installed-program" >"$tmp/ldd.txt"
grep -F "$libdir/libladle-1.so.0" "$tmp/ldd.txt" >/dev/null \
  || fail "the program does not load libladle-1 from the prefix"

echo "== the ladle command"
ladle_bin=$(find_one 'bin/ladle')
find_one 'share/man/man1/ladle.1' >/dev/null
LD_LIBRARY_PATH=$libdir "$ladle_bin" --version | grep -F "ladle $version" >/dev/null \
  || fail "bin/ladle --version does not say $version"
LD_LIBRARY_PATH=$libdir "$ladle_bin" get --help | grep -F -- '--continue' >/dev/null \
  || fail "bin/ladle get --help does not list its options"

echo "== introspection from the prefix"
GI_TYPELIB_PATH=$(dirname "$typelib") LD_LIBRARY_PATH=$libdir "$python" - "$typelib" <<'EOF'
import sys

import gi

gi.require_version('Ladle', '1')
from gi.repository import GLib, Ladle  # noqa: E402

path = gi.Repository.get_default().get_typelib_path('Ladle')
assert path == sys.argv[1], f'Ladle typelib loaded from {path}, expected {sys.argv[1]}'
assert Ladle.error_quark() == GLib.quark_from_string('ladle-error-quark')
session = Ladle.Session.new(Ladle.SessionConfiguration.new_ephemeral())
task = session.create_data_task_for_uri('http://127.0.0.1:1/')
assert task.get_state() == Ladle.TaskState.SUSPENDED
print('typelib loads from the prefix:', path)
EOF

echo "PASS"
