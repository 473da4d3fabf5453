/**
 * "Is this path under that root": one answer for the watch roots, the peers'
 * roots, prefix directories and an rsync's working directory.
 */

/** `root` with one trailing slash, the start of every path strictly below it. */
function asDirectory(root: string): string {
  return root.endsWith('/') ? root : `${root}/`;
}

/** True when `path` is `root` itself or lies below it (`/` holds every absolute path). */
export function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(asDirectory(root));
}

/** The first of `roots` that holds `path`. */
export function rootOf(path: string, roots: readonly string[]): string | undefined {
  return roots.find((root) => isUnder(path, root));
}

/** The entry directly below the root that holds `path` (undefined for a root itself): the subtree a rename's effects stay in. */
export function topLevelUnder(path: string, roots: readonly string[]): string | undefined {
  for (const root of roots) {
    if (path === root || !isUnder(path, root)) continue;
    const dir = asDirectory(root);
    const first = path.slice(dir.length).split('/')[0];
    return first ? `${dir}${first}` : undefined;
  }
  return undefined;
}
