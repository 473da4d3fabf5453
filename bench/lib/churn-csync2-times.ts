import { summarize, type Summary } from './stats.js';

/** One kind of csync2 call: how long the csync2 process ran, and how long it first waited for the node's gate. */
export interface CallTimes {
  count: number;
  runMs: Summary;
  gateMs: Summary;
}

/** csync2's own share of the time, from every node's --debug log. */
export interface Csync2Times {
  /** How long a batch's oldest record waited for the batch to start (burst gathering, check_interval, a running batch). */
  batchWaitMs?: Summary;
  /** `csync2 -c…`/`-m`: reading changes into the database. */
  checks: CallTimes;
  /** `csync2 -u`: sending to a peer (the peer's session runs inside it). */
  updates: CallTimes;
  /** `csync2 -i` serving a peer's update on this node. */
  sessions: CallTimes;
}

const CLIENT = /csync2 (-[^:]*): \w[\w-]* in (\d+) ms(?: after (\d+) ms at the gate)?/;
const SESSION = /SERVER: session from \S+ done in (\d+) ms after (\d+) ms at the gate/;
const BATCH = /BATCH: starts (\d+) ms after its oldest record/;

function times(runs: number[], gates: number[]): CallTimes {
  return { count: runs.length, runMs: summarize(runs), gateMs: summarize(gates) };
}

/** Reads the daemon's debug lines (`csync2 -c -r: ok in 120 ms after 40 ms at the gate`, `SERVER: session … done in …`). */
export function csync2Times(logs: readonly string[][]): Csync2Times {
  const found = { checks: [[], []], updates: [[], []], sessions: [[], []] } as Record<'checks' | 'updates' | 'sessions', [number[], number[]]>;
  const batchWaits: number[] = [];
  for (const line of logs.flat()) {
    const batch = BATCH.exec(line);
    if (batch) {
      batchWaits.push(Number(batch[1]));
      continue;
    }
    const session = SESSION.exec(line);
    if (session) {
      found.sessions[0].push(Number(session[1]));
      found.sessions[1].push(Number(session[2]));
      continue;
    }
    const call = CLIENT.exec(line);
    if (!call) continue;
    const flags = call[1]!.split(' ');
    const kind = flags.includes('-u') ? 'updates' : flags.some((flag) => /^-[cm]/.test(flag)) ? 'checks' : undefined;
    if (!kind) continue;
    found[kind][0].push(Number(call[2]));
    found[kind][1].push(Number(call[3] ?? 0));
  }
  return {
    batchWaitMs: summarize(batchWaits),
    checks: times(...found.checks),
    updates: times(...found.updates),
    sessions: times(...found.sessions),
  };
}

/** Plain lines for the report: per kind, the calls, how long csync2 ran and how long the gate held them. */
export function csync2TimeLines(system: string, t: Csync2Times): string[] {
  const ms = (s: Summary): string => (s.n === 0 ? '-' : `p50 ${s.p50.toFixed(0)} / p90 ${s.p90.toFixed(0)} / max ${s.max.toFixed(0)} ms, total ${((s.mean * s.n) / 1000).toFixed(1)} s`);
  const line = (label: string, c: CallTimes): string => `  ${label.padEnd(9)} ${String(c.count).padStart(6)} calls; csync2 ran ${ms(c.runMs)}; waited at the gate ${ms(c.gateMs)}`;
  // In the order a change meets them: its record waits for a batch, the batch's check waits
  // for the gate and runs, then each peer's update (the peer's session runs inside it).
  return [
    `${system}: where the time goes (all nodes, from --debug), in the order a change meets each wait`,
    ...(t.batchWaitMs ? [`  batch wait ${String(t.batchWaitMs.n).padStart(5)} batches; oldest record waited ${ms(t.batchWaitMs)}`] : []),
    line('checks', t.checks),
    line('updates', t.updates),
    line('sessions', t.sessions),
  ];
}
