import { execa, type Options, type ResultPromise } from 'execa';
import { execFileSync } from 'node:child_process';

type Subprocess = ResultPromise<Options>;

/** `setpriv --pdeathsig` makes the kernel end a child when the daemon dies, even by SIGKILL. */
function detectPdeathsig(): boolean {
  try {
    const help = execFileSync('setpriv', ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return help.includes('--pdeathsig');
  } catch {
    return false;
  }
}

let pdeathsigSupport: boolean | undefined;

/**
 * Starts and tracks every child process of the daemon, so that none outlives it:
 * each is ended on shutdown (SIGTERM, then SIGKILL), and, where util-linux's
 * `setpriv` is present, by the kernel if the daemon itself is killed.
 */
export class ChildProcesses {
  private readonly running = new Set<Subprocess>();

  /** Starts `file args...` (an argument array, never a shell string). */
  start<O extends Options>(file: string, args: readonly string[], options: O): ResultPromise<O> {
    pdeathsigSupport ??= detectPdeathsig();
    const [command, argv] = pdeathsigSupport
      ? ['setpriv', ['--pdeathsig', 'KILL', '--', file, ...args]]
      : [file, [...args]];
    const subprocess = execa(command, argv, options);
    const tracked = subprocess as unknown as Subprocess;
    this.running.add(tracked);
    const forget = (): void => {
      this.running.delete(tracked);
    };
    subprocess.then(forget, forget);
    return subprocess as unknown as ResultPromise<O>;
  }

  get count(): number {
    return this.running.size;
  }

  pids(): number[] {
    return [...this.running].map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Ends every tracked child: SIGTERM, then SIGKILL for those still alive after `graceMs`. */
  async stopAll(graceMs = 3000): Promise<void> {
    const children = [...this.running];
    if (children.length === 0) return;
    for (const child of children) child.kill('SIGTERM');
    const settled = Promise.allSettled(children);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await settled;
    }
  }
}
