#!/usr/bin/env bash
# build.sh: configure and build postdesk out of tree in build/ (extra arguments go to configure).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi >/dev/null
fi
mkdir -p build
cd build
if [ ! -f Makefile ] || [ ../configure -nt Makefile ] || [ "$#" -gt 0 ]; then
	../configure -q --sysconfdir=/etc "$@"
fi
make -s -j"$(nproc)" >/dev/null
