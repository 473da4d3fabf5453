/** The csync2 configuration: read it as csync2 does, and decide what this host syncs. */
export type * from './types.js';
export { parseCsync2Config, stripTrailingSlashes, MAX_INCLUDE_DEPTH } from './parser.js';
export type { ParseOptions, IncludeResolver } from './parser.js';
export { tokenize, KEYWORDS } from './lexer.js';
export type { Token, TokenKind } from './lexer.js';
export { locateCsync2Config, readCsync2Config, configFileName, DEFAULT_SYSTEM_DIRS } from './locate.js';
export type { LocateOptions, ReadOptions } from './locate.js';
export { selectScope, isPathnamePattern, resolvePrefixes, fixedRoot, watchRoots } from './scope.js';
export type { ScopeOptions } from './scope.js';
export { createPathMatcher, matchFile } from './matcher.js';
export type { MatcherOptions, MatchLevel } from './matcher.js';
export { inotifyExcludeRegex, globToEre, mayOverlap } from './exclude-regex.js';
export { isCsync2TempFile, csync2TempName } from './tempfile.js';
export { describeScope, TEMPDIR_WARNING } from './describe.js';
export { fnmatch, hasGlob } from './fnmatch.js';
