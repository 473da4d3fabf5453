/**
 * csync2's `%name%rest` notation: a path under a `prefix` block, which each
 * host expands to its own directory. One definition for the patterns of
 * csync2.cfg and for the file names csync2 prints (`-M`, error lines).
 */

/** Splits `%name%rest` into its prefix name and the rest (undefined when not a prefix path; rest '' when the closing `%` is missing). */
export function splitPrefix(pattern: string): { name: string; rest: string; closed: boolean } | undefined {
  if (!pattern.startsWith('%')) return undefined;
  const close = pattern.indexOf('%', 1);
  if (close < 0) return { name: pattern.slice(1), rest: '', closed: false };
  return { name: pattern.slice(1, close), rest: pattern.slice(close + 1), closed: true };
}

/** The prefix's directory `base` followed by `rest`, without a doubled slash when the prefix is `/`. */
export function joinPrefix(base: string, rest: string): string {
  return base === '/' && rest.startsWith('/') ? rest : base + rest;
}

/** `%name%/rest` -> this host's path of prefix `name` + `/rest`; a name without a prefix as it is; undefined when the prefix is unknown here or not closed. */
export function decodePrefix(name: string, prefixes: Readonly<Record<string, string>>): string | undefined {
  const split = splitPrefix(name);
  if (!split) return name;
  if (!split.closed) return undefined;
  const base = prefixes[split.name];
  return base === undefined ? undefined : joinPrefix(base, split.rest);
}
