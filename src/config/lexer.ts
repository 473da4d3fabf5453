/**
 * Tokenizer for csync2.cfg that reproduces csync2's flex scanner: the same
 * word boundaries (a word may hold `{` or `:` but not end in `:`), the same
 * keywords, `#` comments, `"..."` strings and `config FILE...;` includes.
 */
import { ConfigError } from '../errors.js';
import type { SourceLocation } from './types.js';

/** csync2's reserved words: outside quotes, these never name a host or a path. */
export const KEYWORDS = [
  'group', 'host', 'exclude', 'include', 'compare', 'key', 'auto',
  'action', 'pattern', 'exec', 'logfile', 'do-local', 'do-local-only',
  'prefix', 'on', 'backup-directory', 'backup-generations',
  'no-cygwin-lowercase', 'nossl', 'ignore', 'database', 'tempdir', 'lock-timeout',
] as const;

export type Keyword = (typeof KEYWORDS)[number];

export type TokenKind = '{' | '}' | '(' | ')' | ';' | ':' | '@' | 'keyword' | 'string' | 'config' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The text as written (for a quoted string: without the quotes). */
  value: string;
  quoted: boolean;
  location: SourceLocation;
}

const PUNCT = new Set(['{', '}', '(', ')', ';', ':', '@']);
/** Characters that end a bare word in csync2's scanner. */
const WORD_STOP = new Set([' ', '\r', '\n', '\t', '@', ';', '(', ')', '#', '"']);

/** Splits a configuration into tokens; `config` yields one token per file name it lists. */
export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;

  const here = (at: number): SourceLocation => ({ file, line, column: at - lineStart + 1 });
  const advance = (to: number): void => {
    for (; i < to; i++) {
      if (text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
  };

  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      advance(i + 1);
      continue;
    }
    if (c === '#') {
      let end = i;
      while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
      advance(end);
      continue;
    }
    if (c === '"') {
      const start = here(i);
      const close = text.indexOf('"', i + 1);
      const end = close < 0 ? text.length : close;
      const value = text.slice(i + 1, end);
      if (close < 0) {
        throw new ConfigError(`${file}:${start.line}:${start.column}: unterminated quoted string: no closing '"' before the end of the file`);
      }
      // An empty "" yields no token at all in csync2's scanner.
      if (value !== '') tokens.push({ kind: 'string', value, quoted: true, location: start });
      advance(end + 1);
      continue;
    }

    const wordLength = bareWordLength(text, i);
    const keyword = longestKeyword(text, i);
    const punct = PUNCT.has(c) ? 1 : 0;
    const location = here(i);

    if (keyword === 'config' && wordLength <= 'config'.length) {
      advance(i + keyword.length);
      i = readIncludeNames(text, i, tokens, here, advance);
      continue;
    }
    if (punct >= wordLength && punct >= keyword.length && punct > 0) {
      tokens.push({ kind: c as TokenKind, value: c, quoted: false, location });
      advance(i + 1);
      continue;
    }
    if (keyword.length > 0 && keyword.length >= wordLength) {
      tokens.push({ kind: 'keyword', value: keyword, quoted: false, location });
      advance(i + keyword.length);
      continue;
    }
    tokens.push({ kind: 'string', value: text.slice(i, i + wordLength), quoted: false, location });
    advance(i + wordLength);
  }
  tokens.push({ kind: 'eof', value: 'end of file', quoted: false, location: here(i) });
  return tokens;
}

/** Length of csync2's bare-word match at `at`: a run of word characters not ending in `:`. */
function bareWordLength(text: string, at: number): number {
  let end = at;
  while (end < text.length && !WORD_STOP.has(text[end] as string)) end++;
  while (end > at && text[end - 1] === ':') end--;
  return end - at;
}

/** The longest keyword (or `config`) that the text at `at` starts with, or ''. */
function longestKeyword(text: string, at: number): string {
  let best = '';
  for (const k of [...KEYWORDS, 'config']) {
    if (k.length > best.length && text.startsWith(k, at)) best = k;
  }
  return best;
}

/**
 * After `config`: csync2 takes every following run of non-blank characters
 * as a file name (quotes included) until `;`; line breaks are skipped.
 */
function readIncludeNames(
  text: string,
  from: number,
  tokens: Token[],
  here: (at: number) => SourceLocation,
  advance: (to: number) => void,
): number {
  let i = from;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ';') {
      advance(i + 1);
      return i + 1;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      advance(i + 1);
      i++;
      continue;
    }
    let end = i;
    while (end < text.length && !' \t\r\n;'.includes(text[end] as string)) end++;
    tokens.push({ kind: 'config', value: text.slice(i, end), quoted: false, location: here(i) });
    advance(end);
    i = end;
  }
  return i;
}
