import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { rootOf } from '../paths/under-root.js';

/**
 * inotifywait -r renames the paths of its watches itself and, under churn with
 * directories moved between parents, keeps reporting a moved directory's events
 * under a name that no longer exists: `csync2 -cr` of such a path checks nothing
 * and the change is never sent. A queued path whose parent directory is gone is
 * replaced by its nearest existing ancestor below the watch root, checked as a
 * subtree (a real deletion is covered by that check too). Paths directly below
 * a watch root, and ancestors that are a root, are left as they are: the whole
 * tree is the periodic full sync's job.
 */
export function widenStalePaths(paths: readonly string[], roots: readonly string[], exists: (path: string) => boolean = existsSync): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    const parent = dirname(path);
    if (exists(path) || exists(parent)) {
      out.add(path);
      continue;
    }
    let ancestor = dirname(parent);
    while (!roots.includes(ancestor) && ancestor !== dirname(ancestor) && !exists(ancestor)) ancestor = dirname(ancestor);
    out.add(path);
    if (!roots.includes(ancestor) && ancestor !== dirname(ancestor) && rootOf(ancestor, roots) !== undefined) out.add(ancestor);
  }
  return [...out];
}
