import type { ProcessExit } from '../process/exit-of.js';

/** How a finished csync2 call went, looked up from its exit code and its error text. */
export type Csync2Outcome =
  /** Exit 0: done. */
  | { kind: 'ok' }
  /** Exit 2 of -M/-T/-L/-H/-S: nothing dirty / in sync (not an error). */
  | { kind: 'empty' }
  /** `ERROR: Connection to remote host ... failed.`: the peer is down; retry with backoff. */
  | { kind: 'peer-unreachable'; detail: string }
  /** `csync2.lock` present or the database is locked: retry later. */
  | { kind: 'locked'; detail: string }
  /**
   * Exit 1 only because dirty files vanished or changed before `-u` sent them
   * (`Cant stat`, `No such file or directory`): everything else was sent; the
   * names are checked again and the update rerun soon. Not the peer's fault.
   */
  | { kind: 'vanished'; detail: string }
  /**
   * The peer holds its own change of a file this node sends, and csync2's
   * `auto` rule did not pick this node's version (`Lost 'younger/older' test`,
   * or no auto rule): the peer answered, it is not down. The peer's own update
   * settles it; versions written within the same second stay a conflict for
   * csync2 (it compares mtimes in whole seconds) until one side changes again.
   */
  | { kind: 'conflict'; detail: string }
  /** Killed after hanging past its timeout: retry. */
  | { kind: 'timeout'; detail: string }
  /** Anything else: logged with csync2's own words, retried. */
  | { kind: 'failed'; detail: string };

export type Csync2Exit = ProcessExit;

/** csync2's words for a peer it could not connect to. */
const PEER_UNREACHABLE = /Connection to remote host .* failed|Can't connect|Connection refused/i;

/** True when csync2's output (or a peer's recorded error) says the peer could not be reached. */
export function saysPeerUnreachable(text: string): boolean {
  return PEER_UNREACHABLE.test(text);
}

/** The peers a run for several peers names as not reachable (`Connection to remote host `NAME' failed`). */
export function unreachablePeers(stderr: string): Set<string> {
  const peers = new Set<string>();
  for (const match of stderr.matchAll(/Connection to remote host [`'"]?([^`'"\s]+)[`'"]? failed/g)) {
    if (match[1]) peers.add(match[1]);
  }
  return peers;
}

/** csync2's line for one peer it could not connect to: what a peer named in a run for several peers records. */
export function unreachableLine(peer: string): string {
  return `ERROR: Connection to remote host \`${peer}' failed.`;
}

/** The last meaningful line of csync2's error output: what it says went wrong. */
export function lastErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^Finished with \d+ errors?\.$/.test(line));
  return lines.find((line) => line.startsWith('ERROR')) ?? lines.at(-1) ?? '';
}

function lastConflictLine(stderr: string): string | undefined {
  return stderr.split('\n').map((line) => line.trim()).filter((line) => /conflict/i.test(line)).at(-1);
}

/** csync2 2.0 documents only exit codes 0 and 1 (2 for the listing modes); the text tells the cause. */
export function classifyCsync2Exit(result: Csync2Exit, listing = false): Csync2Outcome {
  if (result.spawnError) return { kind: 'failed', detail: result.spawnError };
  if (result.timedOut) return { kind: 'timeout', detail: 'timed out and was ended' };
  if (result.exitCode === 0) return { kind: 'ok' };
  if (listing && result.exitCode === 2) return { kind: 'empty' };
  const detail = lastErrorLine(result.stderr) || `exit code ${result.exitCode ?? 'unknown'}`;
  if (saysPeerUnreachable(result.stderr)) {
    return { kind: 'peer-unreachable', detail };
  }
  if (/csync2\.lock|database is locked|exceedingly busy|SQLITE_BUSY/i.test(result.stderr)) {
    return { kind: 'locked', detail };
  }
  if (/Do not auto-resolve conflict|File is also marked dirty here/i.test(result.stderr)) {
    return { kind: 'conflict', detail: lastConflictLine(result.stderr) ?? detail };
  }
  const errors = result.stderr.split('\n').filter((line) => /error/i.test(line) && !/^Finished with \d+ errors?\.$/.test(line.trim()));
  if (errors.length > 0 && errors.every((line) => /Cant stat |No such file or directory/.test(line))) {
    return { kind: 'vanished', detail };
  }
  return { kind: 'failed', detail };
}
