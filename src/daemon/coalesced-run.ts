/** What became of a request: it started the task, or the task runs once more after the running one. */
export type RunRequest = 'started' | 'queued' | 'already-queued';

/**
 * Runs an async task one at a time. A request while it runs is remembered,
 * and however many come, the task runs once more after it: a burst of
 * SIGHUPs gives the running reload plus one, never two overlapping.
 */
export class CoalescedRun {
  private running: Promise<void> | undefined;
  private again = false;

  /** `task` must not reject: it reports its own failures. */
  constructor(private readonly task: () => Promise<void>) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  request(): { outcome: RunRequest; done: Promise<void> } {
    if (this.running) {
      const outcome = this.again ? 'already-queued' : 'queued';
      this.again = true;
      return { outcome, done: this.running };
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return { outcome: 'started', done: this.running };
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.task();
    } while (this.again);
  }
}
