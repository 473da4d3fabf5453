/**
 * Parser for the csync2.cfg language, following csync2 2.x's bison grammar
 * statement by statement, including its quirks (see the notes inline), so a
 * file csync2 accepts parses here and one it rejects throws ConfigError
 * `file:line:column: expected X, found Y`.
 */
import { ConfigError } from '../errors.js';
import { tokenize, type Token } from './lexer.js';
import type { ActionBlock, Csync2Config, GroupBlock, HostEntry, PrefixBlock, SourceLocation } from './types.js';

/** Supplies the text of a file named by `config FILE;` (already read by the caller). */
export type IncludeResolver = (name: string, from: SourceLocation) => { file: string; text: string };

export interface ParseOptions {
  /** Needed when the text holds `config FILE;`; readCsync2Config provides it. */
  resolveInclude?: IncludeResolver;
}

/** csync2's flex scanner keeps at most this many included files open at once. */
export const MAX_INCLUDE_DEPTH = 10;

const AUTO_METHODS = ['none', 'first', 'younger', 'older', 'bigger', 'smaller', 'left', 'right'];
const IGNORE_PROPERTIES = ['uid', 'gid', 'mod'];

/** Parses a whole csync2 configuration; `file` is used in messages and as `Csync2Config.file`. */
export function parseCsync2Config(text: string, file: string, options: ParseOptions = {}): Csync2Config {
  const includedFiles: string[] = [];
  const tokens = expandIncludes(tokenize(text, file), options.resolveInclude, 0, includedFiles);
  const config = new Parser(tokens, file).parseConfig();
  if (includedFiles.length > 0) config.includedFiles = includedFiles;
  return config;
}

/** Replaces `config` tokens by the tokens of the named files, as csync2's scanner switches buffers. */
function expandIncludes(
  tokens: Token[],
  resolve: IncludeResolver | undefined,
  depth: number,
  included: string[],
): Token[] {
  const out: Token[] = [];
  for (const token of tokens) {
    if (token.kind !== 'config') {
      out.push(token);
      continue;
    }
    const where = `${token.location.file}:${token.location.line}:${token.location.column}`;
    if (depth >= MAX_INCLUDE_DEPTH) {
      throw new ConfigError(`${where}: config includes nested too deeply (csync2 allows ${MAX_INCLUDE_DEPTH} levels)`);
    }
    if (!resolve) {
      throw new ConfigError(`${where}: 'config ${token.value};' needs the file system: use readCsync2Config()`);
    }
    const { file, text } = resolve(token.value, token.location);
    included.push(file);
    const inner = tokenize(text, file).filter((t) => t.kind !== 'eof');
    out.push(...expandIncludes(inner, resolve, depth + 1, included));
  }
  return out;
}

/** Describes a token for an error message: `'}'`, `'foo'` or `end of file`. */
function describe(token: Token): string {
  if (token.kind === 'eof') return 'end of file';
  return token.quoted ? `'"${token.value}"'` : `'${token.value}'`;
}

class Parser {
  private pos = 0;
  private unnamedGroups = 0;
  private readonly config: Csync2Config;

  constructor(
    private readonly tokens: Token[],
    file: string,
  ) {
    this.config = { file, groups: [], prefixes: [], nossl: [], ignore: [], noCygwinLowercase: false };
  }

  parseConfig(): Csync2Config {
    for (;;) {
      const token = this.peek();
      if (token.kind === 'eof') return this.config;
      if (token.kind !== 'keyword') this.fail("a top-level statement ('group', 'prefix', 'nossl', 'tempdir', 'lock-timeout', 'database', 'ignore' or 'no-cygwin-lowercase')");
      this.next();
      switch (token.value) {
        case 'group':
          this.config.groups.push(this.parseGroup(token));
          break;
        case 'prefix':
          this.config.prefixes.push(this.parsePrefix(token));
          break;
        case 'nossl': {
          const from = this.expectString("a host pattern after 'nossl'");
          const to = this.expectString("a second host pattern after 'nossl " + from + "'");
          this.expectSemicolon("after 'nossl' host patterns");
          this.config.nossl.push({ from, to });
          break;
        }
        case 'database': {
          const value = this.expectString("a database name after 'database'");
          this.expectSemicolon('after the database name');
          // csync2 keeps the first one (and -D wins over all).
          this.config.database ??= value;
          break;
        }
        case 'tempdir':
          this.config.tempdir = this.expectString("a directory after 'tempdir'");
          this.expectSemicolon('after the tempdir directory');
          break;
        case 'lock-timeout':
          this.config.lockTimeout = atoi(this.expectString("a number of seconds after 'lock-timeout'"));
          this.expectSemicolon('after the lock-timeout value');
          break;
        case 'ignore':
          for (const t of this.strings()) {
            if (!IGNORE_PROPERTIES.includes(t.value)) {
              this.failAt(t, `unknown 'ignore' property '${t.value}' (csync2 knows uid, gid and mod)`);
            }
            this.config.ignore.push(t.value);
          }
          this.expectSemicolon("after 'ignore' properties");
          break;
        case 'no-cygwin-lowercase':
          // csync2 built for Linux refuses this statement at run time; we only record it.
          this.config.noCygwinLowercase = true;
          this.expectSemicolon("after 'no-cygwin-lowercase'");
          break;
        default:
          this.pos--;
          this.fail("a top-level statement ('group', 'prefix', 'nossl', 'tempdir', 'lock-timeout', 'database', 'ignore' or 'no-cygwin-lowercase')");
      }
    }
  }

  private parseGroup(start: Token): GroupBlock {
    let name: string;
    if (this.peek().kind === 'string') {
      name = this.next().value;
    } else {
      // csync2 names an unnamed group group_1, group_2, ...
      name = `group_${++this.unnamedGroups}`;
    }
    this.expect('{', `'{' after group name '${name}'`);
    const group: GroupBlock = {
      name,
      hosts: [],
      patterns: [],
      compare: [],
      actions: [],
      location: start.location,
    };
    let keySeen = false;
    let autoSeen = false;
    for (;;) {
      const token = this.next();
      if (token.kind === '}') break;
      if (token.kind !== 'keyword') this.failAt(token, groupStatementExpected(name), token);
      switch (token.value) {
        case 'host':
          group.hosts.push(...this.parseHosts());
          this.expectSemicolon('after host list');
          break;
        case 'include':
        case 'exclude':
          for (const t of this.strings()) {
            group.patterns.push({ kind: token.value, pattern: stripTrailingSlashes(t.value), location: t.location });
          }
          this.expectSemicolon(`after ${token.value} pattern`);
          break;
        case 'compare': {
          // csync2's grammar: `compare a b c;` makes a and b include patterns, only c a compare pattern.
          const list = this.strings();
          list.forEach((t, index) => {
            const pattern = stripTrailingSlashes(t.value);
            if (index === list.length - 1) group.compare.push(pattern);
            else group.patterns.push({ kind: 'include', pattern, location: t.location });
          });
          this.expectSemicolon('after compare pattern');
          break;
        }
        case 'key': {
          const key = this.expectString("a key file after 'key'");
          if (keySeen) this.failAt(token, `group '${name}' has a second 'key' (csync2 allows one key per group)`);
          keySeen = true;
          group.key = key;
          this.expectSemicolon('after the key file');
          break;
        }
        case 'auto': {
          const method = this.expectToken('string', "a conflict method after 'auto'");
          if (autoSeen) this.failAt(token, `group '${name}' has a second 'auto' (csync2 allows one per group)`);
          if (!AUTO_METHODS.includes(method.value)) {
            this.failAt(method, `unknown auto method '${method.value}' (use ${AUTO_METHODS.join(', ')})`);
          }
          autoSeen = true;
          group.auto = method.value;
          this.expectSemicolon('after the auto method');
          break;
        }
        case 'backup-directory':
          group.backupDirectory = this.expectString("a directory after 'backup-directory'");
          this.expectSemicolon('after the backup directory');
          break;
        case 'backup-generations':
          group.backupGenerations = atoi(this.expectString("a number after 'backup-generations'"));
          this.expectSemicolon('after the backup-generations value');
          break;
        case 'action':
          group.actions.push(this.parseAction());
          break;
        default:
          this.failAt(token, groupStatementExpected(name), token);
      }
    }
    if (!keySeen) this.failAt(start, `group '${name}' has no key (csync2 requires 'key FILE;' in every group)`);
    return group;
  }

  /** `host a b@addr (c d@addr) e`: parentheses mark read-only hosts; names are lower-cased as in csync2. */
  private parseHosts(): HostEntry[] {
    const hosts: HostEntry[] = [];
    let readOnly = false;
    for (;;) {
      const token = this.peek();
      if (token.kind === '(' && !readOnly) {
        this.next();
        readOnly = true;
        continue;
      }
      if (token.kind === ')' && readOnly) {
        this.next();
        readOnly = false;
        continue;
      }
      if (token.kind !== 'string') break;
      this.next();
      const entry: HostEntry = { name: token.value.toLowerCase(), readOnly };
      if (this.peek().kind === '@') {
        this.next();
        entry.address = this.expectString(`an address after '${token.value}@'`).toLowerCase();
      }
      hosts.push(entry);
    }
    if (readOnly) this.fail("')' to close the read-only host list");
    return hosts;
  }

  private parseAction(): ActionBlock {
    this.expect('{', "'{' after 'action'");
    const action: ActionBlock = { patterns: [], exec: [], doLocal: false, doLocalOnly: false };
    for (;;) {
      const token = this.next();
      if (token.kind === '}') return action;
      const expected = "an action statement ('pattern', 'exec', 'logfile', 'do-local', 'do-local-only') or '}'";
      if (token.kind !== 'keyword') this.failAt(token, expected, token);
      switch (token.value) {
        case 'pattern':
          action.patterns.push(...this.strings().map((t) => t.value));
          this.expectSemicolon('after action pattern');
          break;
        case 'exec':
          action.exec.push(...this.strings().map((t) => t.value));
          this.expectSemicolon('after exec command');
          break;
        case 'logfile':
          action.logfile = this.expectString("a file after 'logfile'");
          this.expectSemicolon('after the logfile');
          break;
        case 'do-local':
          action.doLocal = true;
          this.expectSemicolon("after 'do-local'");
          break;
        case 'do-local-only':
          action.doLocal = true;
          action.doLocalOnly = true;
          this.expectSemicolon("after 'do-local-only'");
          break;
        default:
          this.failAt(token, expected, token);
      }
    }
  }

  private parsePrefix(start: Token): PrefixBlock {
    const name = this.expectString("a prefix name after 'prefix'");
    this.expect('{', `'{' after prefix name '${name}'`);
    const block: PrefixBlock = { name, entries: [], location: start.location };
    for (;;) {
      const token = this.next();
      if (token.kind === '}') return block;
      if (token.kind !== 'keyword' || token.value !== 'on') this.failAt(token, "'on HOST: PATH;' or '}' in prefix block", token);
      const hostPattern = this.expectString("a host pattern after 'on'");
      this.expect(':', `':' after host pattern '${hostPattern}'`);
      const pathToken = this.expectToken('string', `a path after '${hostPattern}:'`);
      this.expectSemicolon('after prefix path');
      // csync2 checks every entry, not only the one for this host.
      if (!pathToken.value.startsWith('/')) {
        this.failAt(pathToken, `prefix '${name}' path '${pathToken.value}' is not an absolute path`);
      }
      block.entries.push({ hostPattern, path: stripTrailingSlashes(pathToken.value) });
    }
  }

  private strings(): Token[] {
    const list: Token[] = [];
    while (this.peek().kind === 'string') list.push(this.next());
    return list;
  }

  private peek(): Token {
    return this.tokens[this.pos] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  private next(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return token;
  }

  private expect(kind: Token['kind'], what: string): Token {
    return this.expectToken(kind, what);
  }

  private expectToken(kind: Token['kind'], what: string): Token {
    const token = this.peek();
    if (token.kind !== kind) this.fail(what);
    return this.next();
  }

  private expectString(what: string): string {
    return this.expectToken('string', what).value;
  }

  private expectSemicolon(context: string): void {
    this.expectToken(';', `';' ${context}`);
  }

  /** Throws "expected WHAT, found TOKEN" at the current token. */
  private fail(what: string): never {
    const token = this.peek();
    this.failAt(token, what, token);
  }

  private failAt(at: Token, message: string, found?: Token): never {
    const { file, line, column } = at.location;
    const text = found ? `expected ${message}, found ${describe(found)}${this.hint(found)}` : message;
    throw new ConfigError(`${file}:${line}:${column}: ${text}`);
  }

  /** Explains the two csync2 scanner rules that surprise people. */
  private hint(found: Token): string {
    const index = this.tokens.indexOf(found);
    const before = index > 0 ? this.tokens[index - 1] : undefined;
    const glued = [before, found].find((t) => t?.kind === 'string' && !t.quoted && /[{}]/.test(t.value));
    if (glued) return ` ('${glued.value}' is one word to csync2: put spaces around '{' and '}')`;
    if (found.kind === 'keyword') return ` ('${found.value}' is a csync2 keyword: quote it to use it as a name)`;
    return '';
  }
}

function groupStatementExpected(name: string): string {
  return `a statement of group '${name}' ('host', 'key', 'include', 'exclude', 'compare', 'action', 'auto', 'backup-directory', 'backup-generations') or '}'`;
}

/** csync2 drops trailing slashes from patterns and prefix paths (but keeps a lone `/`). */
export function stripTrailingSlashes(pattern: string): string {
  let end = pattern.length;
  while (end > 1 && pattern[end - 1] === '/') end--;
  return pattern.slice(0, end);
}

/** C's atoi: leading digits (with sign), 0 when there are none. */
function atoi(text: string): number {
  const match = /^\s*([+-]?\d+)/.exec(text);
  return match ? Number.parseInt(match[1] as string, 10) : 0;
}
