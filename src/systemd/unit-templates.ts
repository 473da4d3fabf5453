// The unit files shipped in systemd/, written once here: the plain unit is the
// template rendered for host1. `npm run build` generates systemd/*.service from
// them (scripts/write-units.mjs); they are embedded so that install-systemd also
// works from the single-file bundle.
import { renderUnit } from './unit-file.js';

/** ExecStart='s program in the shipped units (package-deb.sh points it at /usr/bin). */
const SHIPPED_PROGRAM = '/usr/local/bin/inotify-csync';

/** The unit after its first four lines (how to enable it), which the two units share. */
const UNIT_BODY = `# ExecStart path and RequiresMountsFor= filled in from csync2.cfg.
[Unit]
Description=inotify-csync: real-time csync2 sync for host %i
# csync2 reaches its peers over the network: wait until it is up.
Wants=network-online.target
After=network-online.target
# When a synced directory lives on its own file system (NFS, a separate disk),
# start only once it is mounted, or the watches land on the empty mount point:
#RequiresMountsFor=/srv/www /etc/haproxy

[Service]
# READY=1 is sent once the watches are set and the start-up full sync is done,
# so units ordered After= this one start on a synced tree.
Type=notify
# The daemon sends its notifications through \`systemd-notify\` (Node has no
# AF_UNIX datagram sockets). As root they carry the daemon's PID; under
# User= they come from the systemd-notify child itself, which only "all" accepts.
NotifyAccess=all
ExecStart=${SHIPPED_PROGRAM} -N %i
# SIGHUP rereads csync2.cfg and restarts the watches on the new include paths.
# The shell's own kill: /bin/kill comes with procps, which a minimal Debian
# lacks (systemctl reload then failed with status=203/EXEC).
ExecReload=/bin/sh -c 'kill -HUP "$1"' kill $MAINPID
Restart=on-failure
RestartSec=5
# WATCHDOG=1 comes from a timer on the daemon's main loop every 30 s: a hung
# loop is restarted after 60 s.
WatchdogSec=60
# The start-up full sync checks every file (minutes on a large tree); the
# daemon reports its progress in STATUS= meanwhile.
TimeoutStartSec=15min
# SIGTERM drains: a running csync2 call may finish (up to 30 s), then every
# child (inotifywait, csync2 server and clients) is stopped.
TimeoutStopSec=60
# SIGTERM goes to the daemon only, which ends its children in order; whatever
# is left when TimeoutStopSec= passes is killed with the whole cgroup.
KillMode=mixed
# /var/lib/inotify-csync holds the queue, its lock and the status file.
StateDirectory=inotify-csync
StateDirectoryMode=0700

# Hardening that still lets csync2 write every synced path and its database:
# - ProtectSystem=full would make /etc read-only, and csync2 very often syncs
#   /etc: "true" (read-only /usr and /boot) is the safe default. Use full only
#   when nothing under /etc is synced. ProtectSystem=strict needs
#   ReadWritePaths= for every include root, csync2's database directory
#   (/var/lib/csync2 or -D), its tempdir and backup-directory, and
#   /var/lib/inotify-csync; it is not set here for that reason.
# - No ProtectHome=, PrivateDevices= or RestrictSUIDSGID=: csync2 may sync
#   /home, device nodes and setuid files.
# - No MemoryDenyWriteExecute=: Node's JIT needs writable executable memory.
ProtectSystem=true
PrivateTmp=true
NoNewPrivileges=true
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectKernelLogs=true
ProtectControlGroups=true
ProtectClock=true
ProtectHostname=true
RestrictRealtime=true
RestrictNamespaces=true
LockPersonality=true
SystemCallArchitectures=native
# csync2 and rsync talk TCP; systemd-notify, the resolver and the instance lock (a
# socket file in the state directory) use AF_UNIX; the resolver uses netlink.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
# Each inotify watch costs one entry of fs.inotify.max_user_watches (a sysctl,
# not a unit setting): raise it in /etc/sysctl.d/ for large trees.

[Install]
WantedBy=multi-user.target
`;

/** systemd/inotify-csync@.service: one unit per csync2 host name (-N %i). */
export const TEMPLATE_UNIT = `# inotify-csync for one csync2 host name: the instance is this host's name as
# csync2.cfg lists it (csync2 -N), e.g.
#   systemctl enable --now inotify-csync@host1.service
# \`inotify-csync install-systemd --instance\` writes this file with the right
${UNIT_BODY}`;

/** systemd/inotify-csync.service: the plain example for host1, as install-systemd -N host1 would render it. */
export const PLAIN_UNIT = `# inotify-csync for the csync2 host "host1" (an example: replace host1 with
# this host's name as csync2.cfg lists it). For one unit per host name, use
# inotify-csync@.service instead. Then: systemctl enable --now inotify-csync.service
# \`inotify-csync install-systemd -N host1\` writes this file with the right
${renderUnit(UNIT_BODY, { execStart: [SHIPPED_PROGRAM, '-N', 'host1'], host: 'host1' })}`;

export const SHIPPED_UNITS = { 'inotify-csync@.service': TEMPLATE_UNIT, 'inotify-csync.service': PLAIN_UNIT } as const;
