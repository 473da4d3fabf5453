/** Where a token or statement stood in a csync2 configuration file. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One entry of a `host` statement: `name`, `name@interface` or `(name)` (read-only, "slave"). */
export interface HostEntry {
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
  /** Include and exclude patterns in file order; the order decides (last match wins). */
  patterns: Array<{ kind: 'include' | 'exclude'; pattern: string }>;
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
}

/** A peer this host sends updates to. */
export interface Peer {
  name: string;
  readOnly: boolean;
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
  /** False when this host is read-only in every group it belongs to: it never runs `csync2 -u`. */
  pushes: boolean;
  /** Include/exclude patterns with `%prefix%` resolved for this host, in decision order. */
  patterns: Array<{ kind: 'include' | 'exclude'; pattern: string }>;
  /** Directories to watch recursively: the fixed leading part of every include pattern, nested ones removed. */
  watchRoots: string[];
  /** csync2's `tempdir`, when set. */
  tempdir?: string;
}
