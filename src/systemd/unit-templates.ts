// The unit files shipped in systemd/, written once here: the plain unit is the
// template rendered for host1. `npm run build` generates systemd/*.service from
// them (scripts/write-units.mjs); they are embedded so that install-systemd also
// works from the single-file bundle.
import { renderUnit } from './unit-file.js';

/** ExecStart='s program in the shipped units (package-deb.sh points it at /usr/bin). */
const SHIPPED_PROGRAM = '/usr/local/bin/inotify-csync';

/** The service unit after its first four lines (how to enable it), which the two units share; `socket` is its socket unit. */
const unitBody = (socket: string): string => `# ExecStart path and RequiresMountsFor= filled in from csync2.cfg.
[Unit]
Description=inotify-csync: real-time csync2 sync for host %i
# csync2 reaches its peers over the network: wait until it is up.
Wants=network-online.target
After=network-online.target
# csync2's port: systemd holds it (${socket}) and passes
# it to the daemon, so it stays bound while this service restarts and no other
# program can take it meanwhile and receive the peers' sessions.
Wants=${socket}
After=${socket}
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
# systemctl enable (and disable) of this service also enables its socket.
Also=${socket}
`;

/** The socket unit after its first lines (how to enable it), which the two socket units share. */
const SOCKET_BODY = `# Stop both (else a peer's connection starts the service again):
#   systemctl stop inotify-csync@HOST.socket inotify-csync@HOST.service
[Unit]
Description=inotify-csync: csync2's port for host %i

[Socket]
# A port alone listens on every address, IPv4 and IPv6, as csync2's inetd entry
# does. For one address: ListenStream=192.0.2.10:30865 (FreeBind=yes when that
# address comes up after this socket starts). Keep one ListenStream= (the daemon
# serves one socket), on the port the daemon's -p names (csync2's default 30865).
ListenStream=30865
FileDescriptorName=csync2
# One daemon accepts every connection and runs csync2 -i for each.
Accept=no

[Install]
WantedBy=sockets.target
`;

/** systemd/inotify-csync@.service: one unit per csync2 host name (-N %i). */
export const TEMPLATE_UNIT = `# inotify-csync for one csync2 host name: the instance is this host's name as
# csync2.cfg lists it (csync2 -N), e.g.
#   systemctl enable --now inotify-csync@host1.service
# \`inotify-csync install-systemd --instance\` writes this file with the right
${unitBody('inotify-csync@%i.socket')}`;

/** systemd/inotify-csync.service: the plain example for host1, as install-systemd -N host1 would render it. */
export const PLAIN_UNIT = `# inotify-csync for the csync2 host "host1" (an example: replace host1 with
# this host's name as csync2.cfg lists it). For one unit per host name, use
# inotify-csync@.service instead. Then: systemctl enable --now inotify-csync.service
# \`inotify-csync install-systemd -N host1\` writes this file with the right
${renderUnit(unitBody('inotify-csync.socket'), { execStart: [SHIPPED_PROGRAM, '-N', 'host1'], host: 'host1' })}`;

/** systemd/inotify-csync@.socket: csync2's port for inotify-csync@HOST.service. */
export const TEMPLATE_SOCKET = `# csync2's port for inotify-csync@HOST.service, held by systemd: it stays bound
# while the service restarts (Restart=, the watchdog, package upgrades).
# \`systemctl enable inotify-csync@HOST.service\` enables it too (Also=).
${SOCKET_BODY}`;

/** systemd/inotify-csync.socket: the plain example's socket, for host1. */
export const PLAIN_SOCKET = `# csync2's port for inotify-csync.service (the example for host1), held by
# systemd: it stays bound while the service restarts (Restart=, the watchdog,
# package upgrades). \`systemctl enable inotify-csync.service\` enables it too.
${renderUnit(SOCKET_BODY.replace(/HOST\.(socket|service)/g, '.$1').replace(/inotify-csync@\./g, 'inotify-csync.'), { execStart: [], host: 'host1' })}`;

export const SHIPPED_UNITS = {
  'inotify-csync@.service': TEMPLATE_UNIT,
  'inotify-csync.service': PLAIN_UNIT,
  'inotify-csync@.socket': TEMPLATE_SOCKET,
  'inotify-csync.socket': PLAIN_SOCKET,
} as const;
