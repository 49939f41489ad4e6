#!/usr/bin/env bash
# Put the Linux-kernel memory model (LKMM) of Linux v6.12 and its litmus tests under DEST
# (default: target/lkmm), as DEST/tools/memory-model and DEST/Documentation/litmus-tests.
#
#   bash vendor/lkmm/fetch.sh [DEST]        # ~40 s: a 150 MB Debian package, two paths of it
#
# The source is Debian's `linux-source-6.12` package (Linux 6.12.y with Debian's patches,
# none of which touch these paths), fetched with apt. kmodel does not commit the kernel's
# files; PROVENANCE.md records the checksums this script checks them against. Needs root
# (apt-get update) on a machine whose apt lists are stale.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=$(realpath -m "${1:-target/lkmm}")
if [[ -f $dest/tools/memory-model/linux-kernel.cat ]]; then echo "LKMM already at $dest"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download -qq linux-source-6.12 2>/dev/null; then
  apt-get update -qq
  apt-get download -qq linux-source-6.12
fi
dpkg-deb --fsys-tarfile linux-source-6.12_*.deb | tar -x --wildcards './usr/src/linux-source-6.12.tar.xz'
mkdir -p "$dest"
tar -xJf usr/src/linux-source-6.12.tar.xz -C "$dest" --strip-components=1 --wildcards \
  'linux-source-6.12/tools/memory-model/*' 'linux-source-6.12/Documentation/litmus-tests/*'
cd "$dest"
# Checked, not enforced: a later 6.12.y that changes a file is reported here, and the
# calibration test (tests/herd7_calibration.rs) then judges every test against herd7 anyway.
if ! sha256sum --quiet -c <(sed -n 's/^    \([0-9a-f]\{64\}  .*\)$/\1/p' "$here/PROVENANCE.md"); then
  echo "warning: these LKMM files differ from the ones PROVENANCE.md records (Linux 6.12.118)" >&2
fi
echo "LKMM of $(ls -d "$dest") from $(dpkg-deb -f "$work"/linux-source-6.12_*.deb Version 2>/dev/null || echo linux-source-6.12)"
