import { isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import type { ClusterConfigSpec, ClusterNodeSpec } from './cluster-config.js';

export const NODE_ENTRY_USAGE = `Usage: inotify-csync-node [entry options] [-- inotify-csync and csync2 options]

  Writes csync2.cfg for a generated cluster (one group, one %data% include, a
  prefix block mapping every host to its directory), makes the shared key with
  csync2 -k if it is missing, then runs inotify-csync -N NODE in this process.
  Every entry option can also come from the environment variable named after it.

  --node <host>        this node's csync2 name            INOTIFY_CSYNC_NODE (default: the host name)
  --nodes <list>       host[:dir] entries, comma or space  INOTIFY_CSYNC_NODES; (host) = read-only
  --dir <dir>          directory of entries without :dir   INOTIFY_CSYNC_DIR (default: /data)
  --etc <dir>          where csync2.cfg is written         CSYNC2_SYSTEM_DIR (default: /etc/csync2)
  --key <file>         the shared key                      INOTIFY_CSYNC_KEY (default: ETC/csync2.key)
  --tempdir <dir>      csync2's tempdir, outside the tree  INOTIFY_CSYNC_TEMPDIR (default: csync2's)
  --exclude <pattern>  repeatable                          INOTIFY_CSYNC_EXCLUDES (default: *.tmp *~)
  --help

Example: inotify-csync-node --nodes node1,node2 --node node1 --tempdir /var/tmp/csync2 -- --mode thread`;

/** Everything the node entry does, decided before any file is touched. */
export interface NodeEntryPlan {
  /** This node's csync2 name (`-N`). */
  host: string;
  /** Written as CSYNC2_SYSTEM_DIR; csync2.cfg goes here. */
  etcDir: string;
  config: ClusterConfigSpec;
  /** Directories made before the daemon starts: this node's tree and csync2's tempdir. */
  dirs: string[];
  /** The daemon's command line: `-N host` then everything after `--`. */
  daemonArgs: string[];
  help: boolean;
}

type Env = Record<string, string | undefined>;

/** Turns the entry's arguments and environment into a plan; wrong values are UsageErrors (exit 2). */
export function planNodeEntry(argv: string[], env: Env, hostname: string): NodeEntryPlan {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const passed = split === -1 ? [] : argv.slice(split + 1);
  let values;
  try {
    ({ values } = parseArgs({
      args: own,
      strict: true,
      allowPositionals: false,
      options: {
        node: { type: 'string' },
        nodes: { type: 'string' },
        dir: { type: 'string' },
        etc: { type: 'string' },
        key: { type: 'string' },
        tempdir: { type: 'string' },
        exclude: { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)} (inotify-csync options go after --; see --help)`);
  }
  const pick = (value: string | undefined, name: string): string | undefined => value ?? (env[name] || undefined);
  const etcDir = pick(values.etc, 'CSYNC2_SYSTEM_DIR') ?? '/etc/csync2';
  const defaultDir = pick(values.dir, 'INOTIFY_CSYNC_DIR') ?? '/data';
  const host = pick(values.node, 'INOTIFY_CSYNC_NODE') ?? hostname;
  const keyFile = pick(values.key, 'INOTIFY_CSYNC_KEY') ?? `${etcDir}/csync2.key`;
  const tempdir = pick(values.tempdir, 'INOTIFY_CSYNC_TEMPDIR');
  const excludeList = values.exclude ?? splitList(env['INOTIFY_CSYNC_EXCLUDES'] ?? '');
  const nodesText = pick(values.nodes, 'INOTIFY_CSYNC_NODES');
  const plan = (nodes: ClusterNodeSpec[]): NodeEntryPlan => ({
    host,
    etcDir,
    config: { nodes, keyFile, tempdir, excludes: excludeList.length > 0 ? excludeList : undefined },
    dirs: [...nodes.filter((node) => node.host === host).map((node) => node.dir), ...(tempdir ? [tempdir] : [])],
    daemonArgs: ['-N', host, ...passed],
    help: values.help === true,
  });
  if (values.help) return plan([]);

  if (!nodesText) throw new UsageError('no cluster nodes: set --nodes host1,host2 or INOTIFY_CSYNC_NODES');
  const nodes = splitList(nodesText).map((entry) => parseNode(entry, defaultDir));
  if (!nodes.some((node) => node.host === host)) {
    throw new UsageError(`this node '${host}' is not in the cluster nodes '${nodesText}': set --node or INOTIFY_CSYNC_NODE to one of them`);
  }
  for (const [name, path] of [['--etc', etcDir], ['--key', keyFile], ['--tempdir', tempdir]] as const) {
    if (path !== undefined && !isAbsolute(path)) throw new UsageError(`${name} '${path}' must be an absolute path`);
  }
  return plan(nodes);
}

function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((item) => item.length > 0);
}

/** `host`, `host:/dir`, `(host)` or `(host):/dir`. */
function parseNode(entry: string, defaultDir: string): ClusterNodeSpec {
  const colon = entry.indexOf(':');
  let host = colon === -1 ? entry : entry.slice(0, colon);
  const dir = colon === -1 ? defaultDir : entry.slice(colon + 1);
  const readOnly = host.startsWith('(') && host.endsWith(')');
  if (readOnly) host = host.slice(1, -1);
  if (!/^[A-Za-z0-9._@-]+$/.test(host)) throw new UsageError(`cluster node '${entry}': '${host}' is not a csync2 host name`);
  if (!isAbsolute(dir)) throw new UsageError(`cluster node '${entry}': directory '${dir}' must be an absolute path`);
  return { host, dir, readOnly };
}
