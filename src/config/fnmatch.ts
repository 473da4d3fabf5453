/**
 * A small fnmatch(3) clone with the two flags csync2 uses (FNM_PATHNAME,
 * FNM_LEADING_DIR), so include/exclude decisions match glibc's exactly.
 * Strings are compared byte by byte (csync2 runs in the C locale): callers
 * pass names through {@link toByteString} first when they may hold non-ASCII.
 */

export interface FnmatchFlags {
  /** FNM_PATHNAME: `*`, `?` and brackets never match `/`. */
  pathname?: boolean;
  /** FNM_LEADING_DIR: the pattern may match a leading part followed by `/`. */
  leadingDir?: boolean;
}

/** One UTF-16 unit per UTF-8 byte, so `?` matches one byte as in glibc's C locale. */
export function toByteString(text: string): string {
  return /^[\x00-\x7f]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

/** True when `text` matches the shell pattern `pattern` under `flags`. */
export function fnmatch(pattern: string, text: string, flags: FnmatchFlags = {}): boolean {
  return matchAt(pattern, 0, text, 0, flags);
}

/** True when `pattern` holds a character fnmatch treats specially. */
export function hasGlob(pattern: string): boolean {
  return /[*?[\\]/.test(pattern);
}

const CLASSES: Record<string, (c: string) => boolean> = {
  alnum: (c) => /[A-Za-z0-9]/.test(c),
  alpha: (c) => /[A-Za-z]/.test(c),
  blank: (c) => c === ' ' || c === '\t',
  cntrl: (c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127,
  digit: (c) => /[0-9]/.test(c),
  graph: (c) => c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127,
  lower: (c) => /[a-z]/.test(c),
  print: (c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) < 127,
  punct: (c) => /[!-/:-@[-`{-~]/.test(c),
  space: (c) => /[ \t\n\v\f\r]/.test(c),
  upper: (c) => /[A-Z]/.test(c),
  xdigit: (c) => /[0-9A-Fa-f]/.test(c),
};

/** Parses a bracket expression at `p` (just after `[`); undefined when it is not one (then `[` is literal). */
function matchBracket(
  pattern: string,
  p: number,
  ch: string,
  flags: FnmatchFlags,
): { matched: boolean; end: number } | undefined {
  let i = p;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i++;
  }
  let matched = false;
  let first = true;
  for (;;) {
    if (i >= pattern.length) return undefined;
    let c = pattern[i] as string;
    if (c === ']' && !first) {
      i++;
      break;
    }
    first = false;
    if (c === '[' && pattern[i + 1] === ':') {
      const close = pattern.indexOf(':]', i + 2);
      if (close < 0) return undefined;
      const test = CLASSES[pattern.slice(i + 2, close)];
      if (!test) return undefined;
      if (test(ch)) matched = true;
      i = close + 2;
      continue;
    }
    if (c === '\\') {
      i++;
      if (i >= pattern.length) return undefined;
      c = pattern[i] as string;
    }
    if (flags.pathname && c === '/') return undefined;
    i++;
    let hi = c;
    if (pattern[i] === '-' && i + 1 < pattern.length && pattern[i + 1] !== ']') {
      i++;
      hi = pattern[i] as string;
      if (hi === '\\') {
        i++;
        hi = pattern[i] ?? '';
      }
      i++;
    }
    if (ch >= c && ch <= hi) matched = true;
  }
  if (flags.pathname && ch === '/') return { matched: false, end: i };
  return { matched: matched !== negate, end: i };
}

/** Backtracking matcher from pattern position `p` and text position `t`. */
function matchAt(pattern: string, p: number, text: string, t: number, flags: FnmatchFlags): boolean {
  while (p < pattern.length) {
    const c = pattern[p] as string;
    if (c === '*') {
      while (pattern[p] === '*') p++;
      if (p === pattern.length) {
        if (!flags.pathname || flags.leadingDir) return true;
        return text.indexOf('/', t) < 0;
      }
      for (let k = t; k <= text.length; k++) {
        if (matchAt(pattern, p, text, k, flags)) return true;
        if (flags.pathname && text[k] === '/') return false;
      }
      return false;
    }
    if (t >= text.length) return false;
    const ch = text[t] as string;
    if (c === '?') {
      if (flags.pathname && ch === '/') return false;
      p++;
      t++;
      continue;
    }
    if (c === '[') {
      const bracket = matchBracket(pattern, p + 1, ch, flags);
      if (bracket) {
        if (!bracket.matched) return false;
        p = bracket.end;
        t++;
        continue;
      }
      if (ch !== '[') return false;
      p++;
      t++;
      continue;
    }
    if (c === '\\') {
      // glibc treats a trailing backslash as an error: no match.
      if (p + 1 >= pattern.length) return false;
      if (pattern[p + 1] !== ch) return false;
      p += 2;
      t++;
      continue;
    }
    if (c !== ch) return false;
    p++;
    t++;
  }
  return t === text.length || (flags.leadingDir === true && text[t] === '/');
}
