#!/bin/bash
# check-subproject.sh: build and run a project that has Ladle as a meson subproject
#
# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   check-subproject.sh MESON SOURCE_ROOT VERSION
#
# Copies tests/ecosystem/subproject/ to a temporary directory, links the source tree as its
# subprojects/ladle, configures it with --force-fallback-for=ladle-1 (no pkg-config file may be
# used), builds it and runs its program, which must report VERSION.

set -euo pipefail

meson=$1
source_root=$2
version=$3

work=$(mktemp -d "${TMPDIR:-/tmp}/ladle-subproject-XXXXXX")
trap 'rm -rf "$work"' EXIT

cp -r "$source_root/tests/ecosystem/subproject" "$work/consumer"
mkdir "$work/consumer/subprojects"
ln -s "$source_root" "$work/consumer/subprojects/ladle"

"$meson" setup "$work/build" "$work/consumer" --force-fallback-for=ladle-1 \
  -Dexpected_version="$version" -Dbuildtype=plain
"$meson" compile -C "$work/build" consumer
output=$("$work/build/consumer" "$version")
echo "$output"
[ "$output" = "consumer: Ladle $version as a subproject" ]
echo "ok: Ladle $version built and used as a subproject"
