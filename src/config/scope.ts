/**
 * What one host of a csync2 cluster syncs: its groups, peers, patterns (with
 * `%prefix%` resolved for it) and the directories to watch, chosen as csync2
 * chooses them for `-N host [-G groups]`.
 */
import { ConfigError } from '../errors.js';
import { fnmatch, hasGlob } from './fnmatch.js';
import { joinPrefix, splitPrefix } from './prefix-path.js';
import { rootOf } from '../paths/under-root.js';
import type { Csync2Config, GroupBlock, Peer, ScopeGroup, ScopePattern, SyncScope } from './types.js';

export interface ScopeOptions {
  /** This host's csync2 name (`-N`); compared case-insensitively, as csync2 lower-cases names. */
  host: string;
  /** csync2's `-G`: only these groups count. */
  groups?: string[];
}

/** Selects this host's part of the configuration; throws ConfigError when it syncs nothing. */
export function selectScope(config: Csync2Config, options: ScopeOptions): SyncScope {
  const host = options.host.toLowerCase();
  const member = config.groups.filter((g) => g.hosts.some((h) => h.name === host));
  const selected = options.groups ? member.filter((g) => options.groups?.includes(g.name)) : member;
  if (member.length === 0) {
    throw new ConfigError(`no group in ${config.file} lists host '${options.host}' (check -N, or add it to a host line)`);
  }
  if (selected.length === 0) {
    throw new ConfigError(
      `no group named by -G ${(options.groups ?? []).join(',')} lists host '${options.host}' in ${config.file} (groups listing it: ${member.map((g) => g.name).join(', ')})`,
    );
  }

  const prefixes = resolvePrefixes(config, host);
  const warnings: string[] = [];
  const groupPatterns: ScopeGroup[] = selected.map((group) => ({
    name: group.name,
    patterns: resolvePatterns(group, prefixes, host, warnings),
  }));
  const patterns = groupPatterns.flatMap((g) => g.patterns.map(({ kind, pattern }) => ({ kind, pattern })));
  const includes = groupPatterns.flatMap((g) => g.patterns).filter((p) => p.kind === 'include' && isPathnamePattern(p.raw));
  if (includes.length === 0) {
    const skipped = warnings.length > 0 ? ` (${warnings.join('; ')})` : '';
    throw new ConfigError(
      `no include pattern for host '${options.host}' in ${config.file} (groups ${selected.map((g) => g.name).join(', ')}): nothing to sync; add 'include /path;' to a group${skipped}`,
    );
  }

  const peers = collectPeers(selected, host);
  const ownAddress = member.flatMap((g) => g.hosts).find((entry) => entry.name === host && entry.address !== undefined)?.address;
  const scope: SyncScope = {
    host,
    configFile: config.file,
    groups: selected.map((g) => g.name),
    peers,
    sessionPeers: collectPeers(member, host).map((peer) => peer.name),
    pushes: selected.some((g) => !isLocalReadOnly(g, host)),
    patterns,
    watchRoots: watchRoots(includes.map((p) => p.pattern)),
    groupPatterns,
    prefixes,
    peerPrefixes: Object.fromEntries(peers.map((peer) => [peer.name, resolvePrefixes(config, (peer.host ?? peer.name).toLowerCase())])),
  };
  if (config.tempdir !== undefined) scope.tempdir = config.tempdir;
  if (ownAddress !== undefined) scope.ownAddress = ownAddress;
  if (warnings.length > 0) scope.warnings = warnings;
  return scope;
}

/** csync2 pathname patterns start with `/` or `%`; the others match base names. */
export function isPathnamePattern(pattern: string): boolean {
  return pattern.startsWith('/') || pattern.startsWith('%');
}

/**
 * The path of each prefix for this host: in each block the first `on` line whose
 * host pattern matches; when several blocks share a name, the last one that has
 * a matching line wins (csync2 keeps its blocks in reverse order).
 */
export function resolvePrefixes(config: Csync2Config, host: string): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const block of config.prefixes) {
    const entry = block.entries.find((e) => fnmatch(e.hostPattern, host));
    if (entry) paths[block.name] = entry.path;
  }
  return paths;
}

function resolvePatterns(
  group: GroupBlock,
  prefixes: Record<string, string>,
  host: string,
  warnings: string[],
): ScopePattern[] {
  const out: ScopePattern[] = [];
  for (const { kind, pattern } of group.patterns) {
    const split = splitPrefix(pattern);
    if (!split) {
      out.push({ kind, pattern, raw: pattern });
      continue;
    }
    const base = prefixes[split.name];
    if (base === undefined || !split.closed) {
      // csync2 never matches such a pattern: no file name is ever encoded with that prefix.
      warnings.push(`${kind} ${pattern} in group '${group.name}' is ignored: prefix '${split.name}' has no 'on' line matching host '${host}'`);
      continue;
    }
    out.push({ kind, pattern: joinPrefix(base, split.rest), raw: pattern, prefix: split.name });
  }
  return out;
}

/** Other hosts of the selected groups, each once (by csync2 peer name), in order of appearance. */
function collectPeers(groups: GroupBlock[], host: string): Peer[] {
  const peers = new Map<string, Peer>();
  for (const group of groups) {
    for (const entry of group.hosts) {
      if (entry.name === host) continue;
      const name = entry.address ?? entry.name;
      const seen = peers.get(name);
      if (seen) seen.readOnly &&= entry.readOnly;
      else peers.set(name, { name, host: entry.name, readOnly: entry.readOnly });
    }
  }
  return [...peers.values()];
}

/** csync2 keeps the read-only flag of the last host entry naming this host. */
function isLocalReadOnly(group: GroupBlock, host: string): boolean {
  const mine = group.hosts.filter((h) => h.name === host);
  return mine[mine.length - 1]?.readOnly ?? false;
}

/** The fixed directory part of a pathname pattern: everything before its first glob component. */
export function fixedRoot(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts) {
    if (hasGlob(part)) break;
    fixed.push(part);
  }
  const root = fixed.join('/');
  return root === '' ? '/' : root;
}

/** Fixed roots of the include patterns, sorted, without any root inside another. */
export function watchRoots(includePatterns: string[]): string[] {
  const roots = [...new Set(includePatterns.map(fixedRoot))].sort();
  const kept: string[] = [];
  for (const root of roots) {
    if (rootOf(root, kept) !== undefined) continue;
    kept.push(root);
  }
  return kept;
}
