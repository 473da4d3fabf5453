import type { FreezeWindow } from './churn-latency.js';
import type { ChurnSystem } from './churn-systems.js';
import type { Cleanup } from './run.js';
import { commOf } from './proc.js';
import { sleep } from './stats.js';

export interface FreezePlan {
  /** The node whose processes are SIGSTOPped. */
  node: number;
  /** Second of the churn at which it is frozen. */
  atS: number;
  /** For how many seconds. */
  forS: number;
}

/**
 * SIGSTOP of a node at `atS` of the churn, SIGCONT `forS` later; the cleanup
 * thaws it on an error or Ctrl-C, and cancel() drops a freeze not yet begun.
 */
export class FreezeSchedule {
  private cancelled = false;
  readonly done: Promise<(FreezeWindow & { pids: number[] }) | undefined>;

  constructor(cleanup: Cleanup, system: ChurnSystem, plan: FreezePlan, origin: number, log: (line: string) => void) {
    this.done = (async () => {
      await sleep(origin + plan.atS * 1000 - performance.now());
      if (this.cancelled) return undefined;
      const frozen = system.freeze(plan.node);
      const frozenAt = performance.now();
      const undo = cleanup.add(async () => frozen.resume());
      log(`${system.name}: node ${plan.node} frozen (SIGSTOP to ${frozen.pids.map((pid) => `${commOf(pid)} ${pid}`).join(', ')}) at ${plan.atS} s for ${plan.forS} s`);
      while (!this.cancelled && performance.now() < frozenAt + plan.forS * 1000) await sleep(Math.min(100, frozenAt + plan.forS * 1000 - performance.now()));
      await undo();
      const thawedAt = performance.now();
      log(`${system.name}: node ${plan.node} thawed (SIGCONT)`);
      return { node: plan.node, frozenAt, thawedAt, pids: frozen.pids };
    })();
    // A failure shows where the result is awaited; never as an unhandled rejection.
    this.done.catch(() => undefined);
  }

  cancel(): void {
    this.cancelled = true;
  }
}
