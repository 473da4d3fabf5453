/** Where a token or statement stood in a csync2 configuration file. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One entry of a `host` statement: `name`, `name@interface` or `(name)` (read-only, "slave"). */
export interface HostEntry {
  /** Lower-cased, as csync2 compares host names. */
  name: string;
  /** The part after `@` in `name@interface`: the address csync2 binds to / connects to. */
  address?: string;
  /** `(name)`: receives updates but never pushes its own changes. */
  readOnly: boolean;
}

/** An `action { ... }` block inside a group. */
export interface ActionBlock {
  patterns: string[];
  exec: string[];
  logfile?: string;
  doLocal: boolean;
  doLocalOnly: boolean;
}

/** A `group NAME { ... }` block as written (patterns not yet resolved). */
export interface GroupBlock {
  name: string;
  hosts: HostEntry[];
  key?: string;
  /**
   * Include and exclude patterns in file order; the order decides (last match wins).
   * Trailing slashes are stripped, as csync2 does. `location` says where the pattern stood.
   */
  patterns: Array<{ kind: 'include' | 'exclude'; pattern: string; location?: SourceLocation }>;
  /**
   * `compare` patterns (used only by `csync2 -o`). csync2's grammar turns all but the last
   * pattern of a `compare a b c;` statement into include patterns: those are in `patterns`.
   */
  compare: string[];
  actions: ActionBlock[];
  backupDirectory?: string;
  backupGenerations?: number;
  auto?: string;
  location: SourceLocation;
}

/** A `prefix NAME { on HOSTPATTERN: PATH; }` block. */
export interface PrefixBlock {
  name: string;
  entries: Array<{ hostPattern: string; path: string }>;
  location: SourceLocation;
}

/** The whole parsed configuration (after following `config FILE;` includes). */
export interface Csync2Config {
  /** The main file that was read. */
  file: string;
  groups: GroupBlock[];
  prefixes: PrefixBlock[];
  nossl: Array<{ from: string; to: string }>;
  ignore: string[];
  tempdir?: string;
  lockTimeout?: number;
  database?: string;
  noCygwinLowercase: boolean;
  /** Files read through `config FILE;` statements, in the order they were read. */
  includedFiles?: string[];
}

/** A peer this host sends updates to. */
export interface Peer {
  /**
   * The peer's name as csync2 knows it (`-P`, the dirty table): the address of
   * `host@address` when given, else the host name.
   */
  name: string;
  /** The host name before any `@address`. */
  host?: string;
  /** Read-only ("slave") in every selected group that lists it: it receives but never sends. */
  readOnly: boolean;
}

/** A pattern of a selected group, ready for matching. */
export interface ScopePattern {
  kind: 'include' | 'exclude';
  /** The pattern with `%prefix%` replaced by this host's path. */
  pattern: string;
  /** The pattern as csync2 matches it: as written (a `%prefix%` one against `%prefix%/...` names). */
  raw: string;
  /** The prefix name of a `%name%...` pattern. */
  prefix?: string;
}

/** The patterns of one selected group, in file order. */
export interface ScopeGroup {
  name: string;
  patterns: ScopePattern[];
}

/** What the daemon needs to know about this host, derived from a Csync2Config. */
export interface SyncScope {
  /** This host's csync2 name (`-N`, else the machine's host name). */
  host: string;
  /** The configuration file it came from. */
  configFile: string;
  /** Names of the groups that list this host (narrowed by `-G`). */
  groups: string[];
  /** Other hosts of those groups, each once, in order of first appearance. */
  peers: Peer[];
  /**
   * csync2 names of the other hosts of every group that lists this host (`-G`
   * does not narrow it): the peers whose sessions this host's server takes.
   */
  sessionPeers: string[];
  /** The `@address` of this host's own `host` entry, when given: where its csync2 server listens. */
  ownAddress?: string;
  /** False when this host is read-only in every group it belongs to: it never runs `csync2 -u`. */
  pushes: boolean;
  /**
   * Include/exclude patterns with `%prefix%` resolved for this host, all selected groups
   * one after the other: for display. Decisions are per group: use `groupPatterns` (or
   * createPathMatcher), since a path any group includes is synced.
   */
  patterns: Array<{ kind: 'include' | 'exclude'; pattern: string }>;
  /** The patterns of each selected group, in file order. */
  groupPatterns?: ScopeGroup[];
  /** `prefix` paths defined for this host, by name (the first matching `on` line of each block). */
  prefixes?: Record<string, string>;
  /** Each peer's own `prefix` paths, by peer name: where this host's roots lie on it (rsync needs the peer's path). */
  peerPrefixes?: Record<string, Record<string, string>>;
  /** Things csync2 accepts silently but that are probably mistakes (a `%prefix%` not defined for this host). */
  warnings?: string[];
  /** Directories to watch recursively: the fixed leading part of every include pattern, nested ones removed. */
  watchRoots: string[];
  /** csync2's `tempdir`, when set. */
  tempdir?: string;
}
