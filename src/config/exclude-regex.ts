/**
 * One POSIX extended regex for `inotifywait --exclude`, so excluded subtrees
 * (a `.git`, a cache dir) cost no watches. Only exclusions no include can
 * undo are used: a path the regex matches must never be synced, nor anything
 * below it, or changes would be lost. When in doubt, a pattern is left out.
 */
import { fnmatch, hasGlob } from './fnmatch.js';
import { isPathnamePattern } from './scope.js';
import type { ScopeGroup, ScopePattern, SyncScope } from './types.js';

/** The regex, or undefined when no exclusion is safe to apply at the watch level. */
export function inotifyExcludeRegex(scope: SyncScope): string | undefined {
  const groups = scope.groupPatterns;
  if (!groups) return undefined;
  const includes = groups.flatMap((g, gi) =>
    g.patterns.flatMap((p, pi) => (p.kind === 'include' && isPathnamePattern(p.raw) ? [{ p, gi, pi }] : [])),
  );
  const parts: string[] = [];
  groups.forEach((group, gi) => {
    group.patterns.forEach((pattern, pi) => {
      if (pattern.kind !== 'exclude') return;
      const part = isPathnamePattern(pattern.raw)
        ? pathnameExclusion(pattern, gi, pi, includes)
        : basenameExclusion(pattern, gi, pi, groups, includes, scope);
      if (part && !parts.includes(part)) parts.push(part);
    });
  });
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? (parts[0] as string) : parts.map((p) => `(${p})`).join('|');
}

type IndexedInclude = { p: ScopePattern; gi: number; pi: number };

/** `exclude /a/b*`: safe when no include that could reach into it comes later or from elsewhere. */
function pathnameExclusion(x: ScopePattern, gi: number, pi: number, includes: IndexedInclude[]): string | undefined {
  if (x.raw.includes('**') || !x.pattern.startsWith('/')) return undefined;
  for (const inc of includes) {
    // An earlier include of the same group, matched under the same name (same prefix or none), is overridden.
    const overridden = inc.gi === gi && inc.pi < pi && inc.p.prefix === x.prefix;
    if (!overridden && mayOverlap(inc.p.pattern, x.pattern)) return undefined;
  }
  const body = globToEre(x.pattern, true);
  return body === undefined ? undefined : `^${body}(/|$)`;
}

/** `exclude .*`: safe when every group excludes it for good and no include walks into such a directory. */
function basenameExclusion(
  x: ScopePattern,
  gi: number,
  pi: number,
  groups: ScopeGroup[],
  includes: IndexedInclude[],
  scope: SyncScope,
): string | undefined {
  const final = (g: ScopeGroup, from: number): boolean =>
    !g.patterns.some((p, i) => i > from && p.kind === 'include' && !isPathnamePattern(p.raw));
  if (!final(groups[gi] as ScopeGroup, pi)) return undefined;
  for (const [i, g] of groups.entries()) {
    if (i === gi) continue;
    const same = g.patterns.findIndex((p) => p.kind === 'exclude' && p.raw === x.raw);
    if (same < 0 || !final(g, same)) return undefined;
  }
  for (const { p } of includes) {
    const dirs = p.pattern.split('/').slice(1, -1);
    if (p.raw.includes('**') || dirs.some((d) => hasGlob(d) || fnmatch(x.raw, d))) return undefined;
  }
  for (const name of Object.keys(scope.prefixes ?? {})) {
    if (fnmatch(x.raw, `%${name}%`)) return undefined;
  }
  const body = globToEre(x.raw, true);
  if (body === undefined || scope.watchRoots.length === 0) return undefined;
  const roots = scope.watchRoots.map((r) => (r === '/' ? '' : escapeEre(r)));
  const anchor = roots.length === 1 ? (roots[0] as string) : `(${roots.join('|')})`;
  return `^${anchor}/(.*/)?${body}(/|$)`;
}

/**
 * Could some path match both pathname patterns (one being a leading part of the
 * other counts)? False only when a component provably differs: two fixed names,
 * or a fixed name its glob counterpart cannot match.
 */
export function mayOverlap(a: string, b: string): boolean {
  if (a.includes('**') || b.includes('**')) return true;
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const ca = pa[i] as string;
    const cb = pb[i] as string;
    const ga = hasGlob(ca);
    const gb = hasGlob(cb);
    if (!ga && !gb && ca !== cb) return false;
    if (ga && !gb && !fnmatch(ca, cb, { pathname: true })) return false;
    if (!ga && gb && !fnmatch(cb, ca, { pathname: true })) return false;
  }
  return true;
}

const ERE_SPECIAL = /[.[\]()*+?{}|^$\\]/g;

function escapeEre(text: string): string {
  return text.replace(ERE_SPECIAL, '\\$&');
}

/**
 * Translates an fnmatch pattern (no `/` crossing) to ERE; undefined for anything
 * not plainly translatable. `?` and `[!...]` are left out: csync2 matches them
 * against one byte, inotifywait's regex (in a UTF-8 locale) against one
 * character, so `?.txt` would hide `é.txt`, which csync2 syncs.
 */
export function globToEre(pattern: string, pathname: boolean): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(pattern)) return undefined;
  const any = pathname ? '[^/]' : '.';
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') out += `${any}*`;
    else if (c === '?') return undefined;
    else if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return undefined;
      out += escapeEre(next);
      i++;
    } else if (c === '[') {
      const close = bracketEnd(pattern, i);
      if (close < 0) return undefined;
      const body = pattern.slice(i + 1, close);
      if (body.includes('\\') || body.includes('/') || body.includes('[')) return undefined;
      if (body.startsWith('!') || body.startsWith('^')) return undefined;
      out += `[${body}]`;
      i = close;
    } else out += escapeEre(c);
  }
  return out;
}

/** Index of the `]` closing the bracket opened at `open`, or -1. */
function bracketEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  const close = pattern.indexOf(']', i);
  return close;
}
