/** One node of a generated test or demo cluster. */
export interface ClusterNodeSpec {
  /** csync2 host name; an IP on loopback (127.0.0.x) or a container's name. */
  host: string;
  /** The directory this node syncs (the `%data%` prefix for this host). */
  dir: string;
  /** Listed as `(host)`: receives updates, never pushes. */
  readOnly?: boolean;
}

export interface ClusterConfigSpec {
  nodes: ClusterNodeSpec[];
  /** Path of the shared key file (made with `csync2 -k`). */
  keyFile: string;
  /** Exclude patterns of the group. @default ['*.tmp', '*~'] */
  excludes?: string[];
  /** csync2's tempdir, outside the synced tree, so transfers do not echo back. */
  tempdir?: string;
  /** @default 'cluster' */
  group?: string;
}

/**
 * Writes the csync2.cfg of a generated cluster: one group, one `%data%`
 * include resolved per host by a prefix block, so every node can keep its
 * tree in its own directory on one machine (CLUSTER.md) or at one path in
 * containers. Used by the demo, the tests, the benchmarks and docker/.
 */
export function renderClusterConfig(spec: ClusterConfigSpec): string {
  const hosts = spec.nodes.map((node) => (node.readOnly ? `(${node.host})` : node.host)).join(' ');
  const excludes = spec.excludes ?? ['*.tmp', '*~'];
  const lines = [
    'nossl * *;',
    ...(spec.tempdir ? [`tempdir ${spec.tempdir};`] : []),
    `group ${spec.group ?? 'cluster'}`,
    '{',
    `  host ${hosts};`,
    `  key ${spec.keyFile};`,
    '  include %data%;',
    ...excludes.map((pattern) => `  exclude ${pattern};`),
    '  auto younger;',
    '}',
    'prefix data',
    '{',
    ...spec.nodes.map((node) => `  on ${node.host}: ${quoted(node.dir)};`),
    '}',
    '',
  ];
  return lines.join('\n');
}

/** A path as csync2.cfg reads it: in double quotes when a bare word would end early or hold a comment (none may hold `"`). */
function quoted(path: string): string {
  return /^[^\s;()@#"{}]+$/.test(path) ? path : `"${path}"`;
}
