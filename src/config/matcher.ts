/**
 * csync2's include/exclude decision for one path, so the daemon drops the
 * events csync2 would ignore and queues the ones it would sync.
 */
import { fnmatch, toByteString } from './fnmatch.js';
import { isPathnamePattern } from './scope.js';
import type { ScopeGroup, SyncScope } from './types.js';

/**
 * csync2_match_file's answer for one file name: 2 = synced, 1 = only walked
 * through (a parent of an include, e.g. `/a/b` for `include /a/b/c;`), 0 = ignored.
 */
export type MatchLevel = 0 | 1 | 2;

export interface MatcherOptions {
  /**
   * `scan` (default): true for what `csync2 -cr /` (and `-x`) records: the path
   * matches and csync2's walk reaches it, i.e. no parent directory is ignored
   * (a basename exclude like `.*` also hides everything below a `.dir`).
   * `direct`: true for what `csync2 -c PATH` records for that one path.
   */
  mode?: 'scan' | 'direct';
}

interface CompiledPattern {
  include: boolean;
  pathname: boolean;
  /** `**` anywhere makes every `*` of the pattern match `/` too (csync2's star_matches_slashes). */
  starMatchesSlashes: boolean;
  raw: string;
}

interface Compiled {
  groups: CompiledPattern[][];
  /** [name, path] of each prefix defined for this host. */
  prefixes: Array<[string, string]>;
}

function compile(scope: SyncScope): Compiled {
  const groups: ScopeGroup[] =
    scope.groupPatterns ?? [{ name: '*', patterns: scope.patterns.map((p) => ({ ...p, raw: p.pattern })) }];
  return {
    groups: groups.map((g) =>
      g.patterns.map((p) => ({
        include: p.kind === 'include',
        pathname: isPathnamePattern(p.raw),
        starMatchesSlashes: p.raw.includes('**'),
        raw: toByteString(p.raw),
      })),
    ),
    prefixes: Object.entries(scope.prefixes ?? {}).map(([name, path]) => [toByteString(name), toByteString(path)]),
  };
}

/** Last matching pattern of each kind decides; the path kind defaults to exclude, the base-name kind to include. */
function groupMatches(patterns: CompiledPattern[], name: string, base: string): boolean {
  let path = false;
  let baseOk = true;
  for (const p of patterns) {
    if (!p.pathname) {
      if (fnmatch(p.raw, base)) baseOk = p.include;
    } else if (fnmatch(p.raw, name, { pathname: !p.starMatchesSlashes, leadingDir: true })) {
      path = p.include;
    }
  }
  return path && baseOk;
}

/** csync2 walks into a directory that a leading part of some include pattern matches. */
function stepsInto(compiled: Compiled, name: string): boolean {
  if (name === '/') return true;
  for (const group of compiled.groups) {
    for (const p of group) {
      if (!p.include || !p.pathname) continue;
      let t = p.raw;
      for (let cut = t.lastIndexOf('/'); cut >= 0; cut = t.lastIndexOf('/')) {
        t = t.slice(0, cut);
        if (fnmatch(t, name, { pathname: !p.starMatchesSlashes })) return true;
      }
    }
  }
  return false;
}

function level(compiled: Compiled, name: string): MatchLevel {
  const slash = name.lastIndexOf('/');
  const base = slash < 0 ? name : name.slice(slash + 1);
  if (compiled.groups.some((g) => groupMatches(g, name, base))) return 2;
  return stepsInto(compiled, name) ? 1 : 0;
}

/** csync2's decision for one csync2 file name: a real path, or `%prefix%/...` for a prefixed one. */
export function matchFile(scope: SyncScope, name: string): MatchLevel {
  return level(compile(scope), toByteString(name));
}

/** The names csync2 checks a real path under: itself, and `%name%/rest` under each prefix holding it. */
function encodings(compiled: Compiled, path: string): Array<{ name: string; prefix: string }> {
  const out: Array<{ name: string; prefix: string }> = [];
  for (const [name, root] of compiled.prefixes) {
    if (path === root || (root !== '/' && path.startsWith(`${root}/`))) {
      out.push({ name: `%${name}%${path.slice(root.length)}`, prefix: `%${name}%` });
    }
  }
  return out;
}

/** Directories whose csync2 decision a matcher keeps (about 150 bytes each). */
const DIRECTORY_CACHE_LIMIT = 4096;

/** Builds the predicate: would csync2 sync this absolute path? (see MatcherOptions.mode). */
export function createPathMatcher(scope: SyncScope, options: MatcherOptions = {}): (path: string) => boolean {
  const compiled = compile(scope);
  // Directories repeat from one event to the next (every file below one is checked
  // against it), file names mostly do not: only directories are cached, and at most
  // DIRECTORY_CACHE_LIMIT of them, so a churn of new names does not grow the heap.
  const directories = new Map<string, MatchLevel>();
  const directoryLevel = (name: string): MatchLevel => {
    let found = directories.get(name);
    if (found === undefined) {
      if (directories.size >= DIRECTORY_CACHE_LIMIT) directories.clear();
      found = level(compiled, name);
      directories.set(name, found);
    }
    return found;
  };
  const prefixRoots = compiled.prefixes.map(([, root]) => root);
  const leadsToPrefix = (dir: string): boolean => prefixRoots.some((root) => root.startsWith(dir === '/' ? '/' : `${dir}/`));

  /** Every directory between `top` (exclusive) and `name` (exclusive) must be walked into. */
  const reachable = (name: string, top: string, realWalk: boolean): boolean => {
    for (let cut = name.lastIndexOf('/'); cut > top.length - 1 && cut > 0; cut = name.lastIndexOf('/', cut - 1)) {
      const dir = name.slice(0, cut);
      if (dir.length <= top.length) break;
      if (directoryLevel(dir) >= 1) continue;
      if (realWalk && leadsToPrefix(dir)) continue;
      return false;
    }
    return true;
  };

  const direct = options.mode === 'direct';
  return (input: string): boolean => {
    const path = toByteString(input);
    if (level(compiled, path) === 2 && (direct || reachable(path, '', true))) return true;
    for (const { name, prefix } of encodings(compiled, path)) {
      if (level(compiled, name) !== 2) continue;
      if (direct || name === prefix) return true;
      // The walk enters %prefix% itself only if it is matched or walked into.
      if (directoryLevel(prefix) >= 1 && reachable(name, prefix, false)) return true;
    }
    return false;
  };
}
