#!/usr/bin/env bash
# npm run package:deb: builds dist/inotify-csync_<version>_all.deb with dpkg-deb
# (no debhelper): the single-file bundle run by Debian's nodejs, the systemd
# template unit and its socket unit, a man page made from --help, README, copyright, changelogs, and
# maintainer scripts that do what dh_installsystemd's would (enable nothing,
# stop on removal, reload systemd).
#   DEB_MAINTAINER="Name <mail>"  Maintainer: field (default: the last commit's author)
#   OUT_DIR=dir                   where the .deb goes (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE=inotify-csync
VERSION="$(node -p 'require("./package.json").version')"
OUT_DIR="${OUT_DIR:-dist}"
MAINTAINER="${DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>' 2>/dev/null || true)}"
[ -n "$MAINTAINER" ] || MAINTAINER="inotify-csync maintainers <root@localhost>"
DEB="$OUT_DIR/${PACKAGE}_${VERSION}_all.deb"

log() { echo "package:deb: $*"; }
command -v dpkg-deb >/dev/null || { log "dpkg-deb is missing (Debian: apt-get install dpkg)"; exit 1; }

node scripts/bundle.mjs >/dev/null
root="$(mktemp -d /tmp/inotify-csync-deb.XXXXXX)"
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
# dpkg-deb refuses a DEBIAN/ directory with group- or world-writable modes (a umask of 002).
umask 022

# --- the program ------------------------------------------------------------------
# The bundle is ESM: Node 18 runs it as ESM only under a .mjs name, so
# /usr/bin/inotify-csync is a symbolic link to it (node resolves the link first).
lib="$root/usr/lib/$PACKAGE"
install -d "$lib" "$root/usr/bin"
# The same bytes as the single file: its shebang finds node on PATH (Debian's
# /usr/bin/node). Naming /usr/bin/node there would take it past the 127 bytes
# that kernels before 5.1 read (src/process/node-flags.ts).
install -m 755 dist/inotify-csync.mjs "$lib/$PACKAGE.mjs"
ln -s "../lib/$PACKAGE/$PACKAGE.mjs" "$root/usr/bin/inotify-csync"
ln -s "../lib/$PACKAGE/$PACKAGE.mjs" "$root/usr/bin/inotify_csync"

# --- systemd ----------------------------------------------------------------------
# The template (instance = this host's csync2 name) is the packaged unit; the
# single unit names an example host ("host1"), so it ships as an example only.
units="$root/lib/systemd/system"
examples="$root/usr/share/doc/$PACKAGE/examples"
install -d "$units" "$examples"
to_package=(-e 's#^ExecStart=/usr/local/bin/inotify-csync #ExecStart=/usr/bin/inotify-csync #'
  -e '/^Description=/a Documentation=man:inotify-csync(8) file:/usr/share/doc/inotify-csync/README.md.gz')
sed "${to_package[@]}" systemd/inotify-csync@.service >"$units/inotify-csync@.service"
sed "${to_package[@]}" systemd/inotify-csync.service >"$examples/inotify-csync.service"
# csync2's port, held by systemd across restarts; enabled with the service (its Also=).
sed "${to_package[@]}" systemd/inotify-csync@.socket >"$units/inotify-csync@.socket"
sed "${to_package[@]}" systemd/inotify-csync.socket >"$examples/inotify-csync.socket"
grep -q '^ExecStart=/usr/bin/inotify-csync ' "$units/inotify-csync@.service" || { log "could not point ExecStart= at /usr/bin"; exit 1; }
chmod 644 "$units"/* "$examples"/*

# --- documentation ------------------------------------------------------------------
doc="$root/usr/share/doc/$PACKAGE"
gzip -9n <README.md >"$doc/README.md.gz"
gzip -9n <CHANGELOG.md >"$doc/changelog.gz"
date_rfc2822="$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
printf '%s (%s) unstable; urgency=medium\n\n  * Built from the upstream sources with scripts/package-deb.sh;\n    see changelog.gz for the changes.\n\n -- %s  %s\n' \
  "$PACKAGE" "$VERSION" "$MAINTAINER" "$date_rfc2822" | gzip -9n >"$doc/changelog.Debian.gz"
first_year="$(git log --reverse --format=%cd --date=format:%Y 2>/dev/null | head -n 1 || true)"
last_year="$(date -u -d "$date_rfc2822" +%Y)"
years="${first_year:-$last_year}"
[ "$years" = "$last_year" ] || years="$years-$last_year"
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: inotify-csync

Files: *
Copyright: $years the inotify-csync authors
License: Expat

License: Expat
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in
 all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
 THE SOFTWARE.
EOF

# lintian reads `#!/usr/bin/env -S ...` as the interpreter "-S" (env -S is coreutils >= 8.30).
install -d "$root/usr/share/lintian/overrides"
echo "$PACKAGE: unusual-interpreter -S [usr/lib/$PACKAGE/$PACKAGE.mjs]" >"$root/usr/share/lintian/overrides/$PACKAGE"

# The man page is the --help text (the bundles of dependencies carry their own
# licences inside: esbuild drops their comments, all are MIT).
man="$root/usr/share/man/man8"
install -d "$man"
{
  echo ".TH INOTIFY-CSYNC 8 \"$(date -u -d "$date_rfc2822" +%Y-%m-%d)\" \"$PACKAGE $VERSION\" \"System Administration\""
  echo '.SH NAME'
  echo 'inotify-csync \- real-time csync2 sync daemon driven by inotifywait'
  echo '.SH SYNOPSIS'
  echo '.B inotify-csync'
  echo '[\fIoptions\fR] [\fIcsync2 options\fR]'
  echo '.br'
  echo '.B inotify-csync status'
  echo '[\fB\-N\fR \fIhost\fR] [\fB\-\-json\fR]'
  echo '.br'
  echo '.B inotify-csync install-systemd'
  echo '[\fB\-N\fR \fIhost\fR] [\fB\-\-instance\fR]'
  echo '.SH DESCRIPTION'
  echo 'The output of \fBinotify-csync \-\-help\fR:'
  echo '.PP'
  echo '.nf'
  node dist/inotify-csync.mjs --help | sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/'
  echo '.fi'
  echo '.SH FILES'
  echo '.TP'
  echo '.I /lib/systemd/system/inotify-csync@.service'
  echo 'one unit per csync2 host name: \fBsystemctl enable \-\-now inotify\-csync@\fIHOST\fB.service\fR'
  echo '.TP'
  echo '.I /lib/systemd/system/inotify-csync@.socket'
  echo "csync2's port (30865), held by systemd while the service restarts; enabled with the service"
  echo '.TP'
  echo '.I /var/lib/inotify-csync/HOST.queue'
  echo 'the rolling queue, its lock and its status file'
  echo '.SH SEE ALSO'
  echo '.BR csync2 (8),'
  echo '.BR inotifywait (1),'
  echo '.BR systemctl (1),'
  echo "/usr/share/doc/$PACKAGE/README.md.gz"
} | gzip -9n >"$man/inotify-csync.8.gz"
ln -s inotify-csync.8.gz "$man/inotify_csync.8.gz"

# --- control and maintainer scripts ---------------------------------------------------
install -d "$root/DEBIAN"
installed_size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
cat >"$root/DEBIAN/control" <<EOF
Package: $PACKAGE
Version: $VERSION
Architecture: all
Maintainer: $MAINTAINER
Installed-Size: $installed_size
Depends: nodejs (>= 18.19), csync2, inotify-tools, libsqlite3-0
Recommends: rsync
Section: admin
Priority: optional
Description: real-time csync2 sync daemon driven by inotifywait
 inotify-csync watches the include paths of csync2.cfg with inotifywait and
 runs csync2 only for what changed, so a change reaches every peer in tens of
 milliseconds instead of at the next full csync2 -x pass. It is an
 event-driven port of inotify_csync.sh, shipped as one file run by nodejs.
 .
 Nothing is enabled on installation. Start it for this host's csync2 name:
 systemctl enable --now inotify-csync@HOST.service
EOF

# csync2 only recommends libsqlite3-0 but cannot run without it, hence Depends.
cat >"$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# Makes systemd see the new or upgraded unit; enables and starts nothing.
# After an upgrade, instances that run are restarted on the new program; their
# sockets stay up, so csync2's port is never free meanwhile.
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
	if [ "$1" = configure ] && [ -n "$2" ] && command -v deb-systemd-invoke >/dev/null 2>&1; then
		deb-systemd-invoke try-restart 'inotify-csync@*.service' inotify-csync.service >/dev/null || true
	fi
fi
exit 0
EOF
cat >"$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
# Stops every instance and its socket before the program goes (not on upgrade:
# postinst restarts the services, and the sockets keep csync2's port meanwhile).
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	# deb-systemd-invoke (init-system-helpers, essential in Debian 12 and Ubuntu 24.04)
	# respects policy-rc.d, then runs systemctl, which expands the pattern. The
	# sockets first: a peer's connection would start a stopped service again.
	if command -v deb-systemd-invoke >/dev/null 2>&1; then
		deb-systemd-invoke stop 'inotify-csync@*.socket' inotify-csync.socket >/dev/null || true
		deb-systemd-invoke stop 'inotify-csync@*.service' inotify-csync.service >/dev/null || true
	fi
fi
exit 0
EOF
cat >"$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
# Makes systemd forget the removed unit. On purge, also the links that enabled
# it and the daemon's state (queues, locks and status files).
set -e
if [ "$1" = purge ]; then
	find /etc/systemd/system -type l -lname '/lib/systemd/system/inotify-csync*' -delete 2>/dev/null || true
	rm -rf /var/lib/inotify-csync
fi
if [ "$1" = remove ] || [ "$1" = purge ]; then
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
	fi
fi
exit 0
EOF
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
(cd "$root" && find lib usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 644 "$root/DEBIAN/md5sums"

mkdir -p "$OUT_DIR"
dpkg-deb --root-owner-group -Zxz --build "$root" "$DEB" >/dev/null
log "built $DEB ($(du -k "$DEB" | cut -f1) KiB): $(dpkg-deb -f "$DEB" Package Version Depends | tr '\n' ' ')"
