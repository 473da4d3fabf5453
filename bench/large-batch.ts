/**
 * `node --import tsx bench/large-batch.ts`: one batch of 5,000 new files on
 * node A of a local cluster, sent once through rsync (then csync2 -cr and the
 * updates, which find the files already there) and once through csync2 alone.
 * Each run gets a fresh cluster; the daemons run with --debug so the time of
 * each step is read from their own log ("rsync steps": csync2 -cr, -M and
 * rsync; "csync2 batches": the batches' csync2 -cr and -u, peer retries not
 * counted). Prints both side by side.
 *
 * Options: --files N (5000) --bytes N per file (8192) --nodes N (2) --rounds N (1)
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { largeBatchRun, type LargeBatchResult } from './lib/large-batch.js';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '5000' },
    bytes: { type: 'string', default: '8192' },
    nodes: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
  },
});
const FILES = Number(args.files);
const BYTES = Number(args.bytes);
const NODES = Number(args.nodes);
const run = (withRsync: boolean): Promise<LargeBatchResult> => largeBatchRun({ files: FILES, bytes: BYTES, nodes: NODES, withRsync });

const seconds = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
console.log(`large batch: ${FILES} new files of ${BYTES} bytes, ${NODES} nodes (${NODES - 1} peer(s)), ${Number(args.rounds)} round(s)`);
const rows: Array<[string, LargeBatchResult, string]> = [];
const load = (): string => loadavg()[0]?.toFixed(1) ?? '';
for (let round = 0; round < Number(args.rounds); round++) {
  rows.push(['rsync + csync2', await run(true), load()]);
  rows.push(['csync2 alone', await run(false), load()]);
}
// Wall-clock columns count from the first file moved in and include the 4 s check interval before the large batch.
console.log(['', 'largest batch', 'rsync steps', 'csync2 batches', 'files on peers', 'csync2 clean', 'load avg'].map((s) => s.padEnd(16)).join(''));
for (const [label, r, load] of rows) {
  console.log([label, String(r.paths), seconds(r.rsyncMs), seconds(r.csync2Ms), seconds(r.arrivalMs), seconds(r.cleanMs), load].map((s) => s.padEnd(16)).join(''));
}
