import type { DaemonStatus } from '../daemon/status-snapshot.js';
import { clockTime, formatDuration } from '../status/durations.js';

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/**
 * The one-line STATUS= systemd shows in `systemctl status`: what the daemon
 * does now. Times are clock times, not "ago", because the line stays shown
 * until the next update. `progress` is the latest start-up step.
 */
export function systemdStatusLine(status: DaemonStatus, progress: string | undefined): string {
  if (status.state === 'starting') return progress ?? 'starting';
  if (status.state === 'draining') return 'draining: letting a running csync2 call finish, then stopping';
  if (status.state === 'stopped') return 'stopped';
  const parts: string[] = [`watching ${plural(status.watchedRoots.length, 'root')}`];
  const { lastBatch, lastFullSync } = status.counters;
  const peers = plural(status.peers.length, 'peer');
  if (lastBatch && (!lastFullSync || lastBatch.at >= lastFullSync.at)) {
    parts.push(`${lastBatch.ok ? 'synced' : 'FAILED to sync'} ${plural(lastBatch.paths, 'path')} to ${peers} in ${formatDuration(lastBatch.ms)} at ${clockTime(lastBatch.at)}`);
  } else if (lastFullSync) {
    parts.push(`full sync (${lastFullSync.reason}) to ${peers} ${lastFullSync.ok ? 'took' : 'FAILED after'} ${formatDuration(lastFullSync.ms)} at ${clockTime(lastFullSync.at)}`);
  }
  for (const peer of status.peers) {
    if (peer.consecutiveFailures === 0) continue;
    const since = peer.failingSince !== undefined ? ` since ${clockTime(peer.failingSince)}` : '';
    parts.push(`peer ${peer.name} failing${since} (${plural(peer.consecutiveFailures, 'failure')})`);
  }
  for (const reached of status.watchLimitReached ?? []) {
    parts.push(`WATCH LIMIT reached under ${reached.root} since ${clockTime(reached.since)}${reached.unwatchedDirectories !== undefined ? ` (${plural(reached.unwatchedDirectories, 'directory', 'directories')} unwatched)` : ''}`);
  }
  if (status.fullSyncPending !== undefined) parts.push(`full sync pending: ${status.fullSyncPending}`);
  const unread = status.queue.size - status.queue.offset;
  if (unread > 0) parts.push(`${plural(unread, 'byte')} queued`);
  return `running: ${parts.join('; ')}`;
}
