/**
 * Where this host's watch roots live on a peer. csync2 stores a file under a
 * `prefix` directory as `%name%/rest` and each host expands `%name%` to its own
 * path, so the same include can sit at different paths on different hosts.
 * rsync has to be told the peer's path; this works it out from the parsed
 * configuration the way csync2 encodes and decodes names.
 */
import { joinPrefix } from '../config/prefix-path.js';
import { isUnder, rootOf } from '../paths/under-root.js';
import type { Peer, SyncScope } from '../config/types.js';

export type PeerRoot =
  /** The root's directory on the peer; `module` names it for an rsync daemon target. */
  | { kind: 'mapped'; localRoot: string; peerRoot: string; module: string }
  /** No single directory on the peer corresponds: rsync is skipped there, csync2 sends it. */
  | { kind: 'unmapped'; localRoot: string; reason: string };

/**
 * Maps one of this host's watch roots to the peer's directory: through the
 * prefix whose directory holds it (csync2's prefix encoding), else the same
 * path. Unmapped when the prefix has no `on` line for the peer, or when prefixes
 * covering or nested inside the root would send parts of it to different places.
 */
export function mapRoot(localRoot: string, local: Record<string, string>, peer: Record<string, string>): PeerRoot {
  const candidates = new Set<string>();
  let module = localRoot === '/' ? '' : localRoot.slice(localRoot.lastIndexOf('/') + 1);
  let covered = false;
  for (const [name, dir] of Object.entries(local)) {
    if (!isUnder(localRoot, dir)) continue;
    covered = true;
    const peerDir = peer[name];
    if (peerDir === undefined) {
      return { kind: 'unmapped', localRoot, reason: `prefix '${name}' has no 'on' line for the peer` };
    }
    const rest = dir === '/' ? localRoot : localRoot.slice(dir.length);
    candidates.add(joinPrefix(peerDir, rest === '/' ? '' : rest));
    module = name + rest;
  }
  if (!covered) candidates.add(localRoot);
  if (candidates.size > 1) {
    return { kind: 'unmapped', localRoot, reason: `several prefixes cover it and map it to ${[...candidates].join(' and ')}` };
  }
  const peerRoot = [...candidates][0] ?? localRoot;
  for (const [name, dir] of Object.entries(local)) {
    if (dir === localRoot || !isUnder(dir, localRoot)) continue;
    const expected = joinPrefix(peerRoot, localRoot === '/' ? dir : dir.slice(localRoot.length));
    if (peer[name] !== expected) {
      return { kind: 'unmapped', localRoot, reason: `prefix '${name}' inside it lies at ${peer[name] ?? '(undefined)'} on the peer, not ${expected}` };
    }
  }
  return { kind: 'mapped', localRoot, peerRoot, module };
}

/** Each of this host's watch roots on `peer`, mapped with the peer's own `prefix` lines. */
export function peerRoots(scope: Pick<SyncScope, 'watchRoots' | 'prefixes' | 'peerPrefixes'>, peer: Peer): PeerRoot[] {
  const local = scope.prefixes ?? {};
  const remote = scope.peerPrefixes?.[peer.name] ?? {};
  return scope.watchRoots.map((root) => mapRoot(root, local, remote));
}

/** Groups paths by the watch root they lie under (the longest one); paths under none are dropped. */
export function pathsByRoot(paths: readonly string[], roots: readonly string[]): Map<string, string[]> {
  const sorted = [...roots].sort((a, b) => b.length - a.length);
  const out = new Map<string, string[]>();
  for (const path of paths) {
    const root = rootOf(path, sorted);
    if (root === undefined) continue;
    let list = out.get(root);
    if (!list) out.set(root, (list = []));
    list.push(path);
  }
  return out;
}

/** A path relative to its root, as rsync's --files-from wants it (`.` for the root itself). */
export function relativeTo(root: string, path: string): string {
  if (path === root) return '.';
  return root === '/' ? path.slice(1) : path.slice(root.length + 1);
}
