import type { DaemonStatus, PeerStatus } from '../daemon/status-snapshot.js';
import type { WatchLimitReached } from '../watch/watch-limit-state.js';
import { clockTime, formatDuration, relativeTime } from './durations.js';

/** The daemon rewrites its status file every ~2 s; older than this, it is probably stuck. */
export const STALE_AFTER_MS = 30_000;

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

function peerLine(peer: PeerStatus, now: number): string {
  const parts: string[] = [];
  if (peer.consecutiveFailures > 0) {
    parts.push(`FAILING${peer.failingSince !== undefined ? ` since ${clockTime(peer.failingSince)}` : ''}`);
    parts.push(plural(peer.consecutiveFailures, 'consecutive failure'));
    if (peer.retryAt !== undefined) parts.push(peer.retryAt > now ? `backoff until ${clockTime(peer.retryAt)} (${relativeTime(peer.retryAt, now)})` : 'retry due');
  } else {
    parts.push('ok');
  }
  parts.push(peer.lastSuccessAt !== undefined ? `last success ${relativeTime(peer.lastSuccessAt, now)}` : 'no success yet');
  if (peer.readOnly) parts.push('read-only (receives only)');
  const line = parts.join(', ');
  return peer.consecutiveFailures > 0 && peer.lastError ? `${line}: ${peer.lastError.replace(/\s+/g, ' ')}` : line;
}

/** A root the watch limit left partly unwatched: since when, how much, how it is covered, the fix. */
function watchLimitLine(reached: WatchLimitReached, now: number): string {
  const count = reached.unwatchedDirectories !== undefined ? plural(reached.unwatchedDirectories, 'directory', 'directories') : 'directories';
  const last = reached.lastCheckAt !== undefined ? ` (last ${relativeTime(reached.lastCheckAt, now)})` : '';
  return (
    `watch limit REACHED on ${reached.root} since ${clockTime(reached.since)} (${formatDuration(now - reached.since)}): ${count} unwatched, ` +
    `checked with csync2 -cr every ${formatDuration(reached.checkEveryMs)}${last}; raise ${reached.limit ? `${reached.limit.name} (now ${reached.limit.value})` : 'fs.inotify.max_user_watches'}`
  );
}

/** The human `inotify-csync status` text: one labelled line per topic, peers one per line. */
export function formatStatus(status: DaemonStatus, now: number): string {
  const label = (name: string): string => `  ${name.padEnd(11)}`;
  const lines: string[] = [];
  lines.push(
    `inotify-csync ${status.version} for host ${status.host}: ${status.state}, PID ${status.pid}, up ${formatDuration(now - status.startedAt)} (since ${new Date(status.startedAt).toISOString()})`,
  );
  const roots = status.watchedRoots.length > 0 ? status.watchedRoots.join(', ') : '(none yet)';
  const watches = status.watchCount !== undefined ? `, ${plural(status.watchCount, 'inotify watch', 'inotify watches')}` : '';
  lines.push(`${label('watching')}${roots} (${plural(status.watchedRoots.length, 'root')}${watches})`);
  if (status.database) lines.push(`${label('database')}csync2 on ${status.database === 'pgsql' ? 'PostgreSQL' : status.database === 'mysql' ? 'MariaDB' : 'SQLite'}`);
  for (const reached of status.watchLimitReached ?? []) lines.push(`${label('')}${watchLimitLine(reached, now)}`);
  const { queue } = status;
  lines.push(
    `${label('queue')}${plural(Math.max(0, queue.size - queue.offset), 'byte')} unread (offset ${queue.offset} of ${queue.size}), ${plural(queue.linesRead, 'record')} read since the last reset, ${queue.appended} queued since start: ${queue.file}`,
  );
  const { counters } = status;
  const batch = counters.lastBatch;
  lines.push(
    `${label('last batch')}${batch ? `${plural(batch.paths, 'path')} in ${formatDuration(batch.ms)}, ${relativeTime(batch.at, now)}${batch.ok ? '' : ' (FAILED, retried)'}` : 'none yet'}`,
  );
  const full = counters.lastFullSync;
  const pending = status.fullSyncPending !== undefined ? `; next one pending: ${status.fullSyncPending}` : '';
  lines.push(
    `${label('full sync')}${full ? `took ${formatDuration(full.ms)}, ${relativeTime(full.at, now)} (${full.reason})${full.ok ? '' : ' FAILED'}` : 'none yet'}${pending}`,
  );
  if (status.peers.length === 0) lines.push(`${label('peers')}none`);
  const width = Math.max(0, ...status.peers.map((peer) => peer.name.length));
  status.peers.forEach((peer, index) => {
    lines.push(`${label(index === 0 ? 'peers' : '')}${peer.name.padEnd(width)}  ${peerLine(peer, now)}`);
  });
  lines.push(
    `${label('counters')}${plural(counters.batches, 'batch', 'batches')}, ${plural(counters.pathsSynced, 'path')} synced, ${plural(counters.fullSyncs, 'full sync', 'full syncs')}, ${plural(counters.resets, 'queue reset')}, ${plural(counters.events, 'inotify event')}, ${plural(counters.overflows, 'overflow')} since start`,
  );
  if (status.server) {
    const server = status.server;
    const cut = server.lastCutShort ? `; last: ${server.lastCutShort.replace(/ at (\d+)$/, (_, at: string) => ` ${relativeTime(Number(at), now)}`)}` : '';
    const refused = server.lastRefused ? ` (last ${server.lastRefused.replace(/ at (\d+)$/, (_, at: string) => `, ${relativeTime(Number(at), now)}`)})` : '';
    lines.push(
      `${label('port')}${plural(server.refused, 'connection')} from strangers refused${refused}, ${server.overCap} over the cap, ${server.silent} silent; ${plural(server.ended, 'session')} ended, ${server.long} long${cut}`,
    );
  }
  if (status.memory) {
    const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    lines.push(`${label('memory')}RSS ${mb(status.memory.rssBytes)} (JS heap in use ${mb(status.memory.heapUsedBytes)}), inotifywait and csync2 not counted`);
  }
  const age = now - status.updatedAt;
  lines.push(`${label('updated')}${relativeTime(status.updatedAt, now)}`);
  if (age > STALE_AFTER_MS && status.state !== 'stopped') {
    lines.push(`  warning: the daemon has not updated its status for ${formatDuration(age)}: its main loop may be stuck`);
  }
  return `${lines.join('\n')}\n`;
}
