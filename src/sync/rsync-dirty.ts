/**
 * What csync2 itself would send: `csync2 -M` lists the dirty entries as
 * `CHECKTXT<TAB>THISHOST<TAB>PEER<TAB>%prefix%/rest`. rsync sends a peer only
 * the batch's paths that are dirty for that peer, so a path csync2 already
 * knows to be in sync there (an echo of another node's rsync) is never sent
 * back over a newer change or a deletion made meanwhile.
 */
import { decodePrefix } from '../config/prefix-path.js';

/** Parses `csync2 -M` output into peer -> local paths; a name holding a newline continues on the next line. */
export function parseDirtyList(stdout: string, prefixes: Readonly<Record<string, string>>): Map<string, Set<string>> {
  const entries: Array<{ peer: string; name: string }> = [];
  for (const line of stdout.split('\n')) {
    const fields = line.split('\t');
    if (fields.length >= 4) entries.push({ peer: fields[2] ?? '', name: fields.slice(3).join('\t') });
    else if (entries.length > 0) {
      const last = entries[entries.length - 1];
      if (last) last.name += `\n${line}`;
    }
  }
  if (stdout.endsWith('\n')) {
    const last = entries[entries.length - 1];
    if (last?.name.endsWith('\n')) last.name = last.name.slice(0, -1);
  }
  const dirty = new Map<string, Set<string>>();
  for (const { peer, name } of entries) {
    const path = decodePrefix(name, prefixes);
    if (path === undefined) continue;
    let set = dirty.get(peer);
    if (!set) dirty.set(peer, (set = new Set()));
    set.add(path);
  }
  return dirty;
}
