import { execa, type Options, type ResultPromise } from 'execa';
import { execFileSync, type ChildProcess } from 'node:child_process';

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

export interface StartHow {
  /**
   * Start the child as the leader of a process group of its own and end the
   * whole group: for a child that forks helpers of its own (rsync forks its
   * remote shell or, for a local copy, its receiver). The group is also
   * killed once the child has ended, so no helper outlives it. Not for
   * csync2 -i: the action commands it runs may start services that must live on.
   * @default false
   */
  group?: boolean;
}

/** Sends `signal` to the process group led by `pid`; false when no member is left. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Group leaders still running, across instances. execa's own exit-time cleanup
 * skips detached children, so the process's exit ends their groups here.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function endGroupsOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
  });
}

/**
 * Starts and tracks every child process of the daemon, so that none outlives it:
 * each is ended on shutdown (SIGTERM, then SIGKILL), and, where util-linux's
 * `setpriv` is present, by the kernel if the daemon itself is killed.
 */
export class ChildProcesses {
  private readonly running = new Set<Subprocess>();
  /** Children that lead a process group of their own: they are signalled as a group. */
  private readonly leaders = new WeakSet<Subprocess>();

  /** Starts `file args...` (an argument array, never a shell string). */
  start<O extends Options>(file: string, args: readonly string[], options: O, how: StartHow = {}): ResultPromise<O> {
    pdeathsigSupport ??= detectPdeathsig();
    const [command, argv] = pdeathsigSupport
      ? ['setpriv', ['--pdeathsig', 'KILL', '--', file, ...args]]
      : [file, [...args]];
    // detached: setsid(), so the child leads a new process group that kill(-pid) reaches whole.
    const subprocess = execa(command, argv, how.group ? { ...options, detached: true } : options);
    const tracked = subprocess as unknown as Subprocess;
    this.running.add(tracked);
    if (how.group) this.leaders.add(tracked);
    const forget = (): void => {
      this.running.delete(tracked);
    };
    subprocess.then(forget, forget);
    // A helper the child left behind still holds the group, and maybe its pipes (then the
    // result would wait for it): end it as soon as the child itself has exited.
    if (how.group && subprocess.pid !== undefined) {
      const pid = subprocess.pid;
      liveGroups.add(pid);
      endGroupsOnExit();
      (subprocess as unknown as ChildProcess).once('exit', () => {
        liveGroups.delete(pid);
        signalGroup(pid, 'SIGKILL');
      });
    }
    return subprocess as unknown as ResultPromise<O>;
  }

  get count(): number {
    return this.running.size;
  }

  pids(): number[] {
    return [...this.running].map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  private signal(child: Subprocess, signal: NodeJS.Signals): void {
    if (this.leaders.has(child) && child.pid !== undefined && signalGroup(child.pid, signal)) return;
    child.kill(signal);
  }

  /** Ends every tracked child: SIGTERM, then SIGKILL for those still alive after `graceMs`. */
  async stopAll(graceMs = 3000): Promise<void> {
    const children = [...this.running];
    if (children.length === 0) return;
    for (const child of children) this.signal(child, 'SIGTERM');
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
      for (const child of children) if (child.exitCode === null && child.signalCode === null) this.signal(child, 'SIGKILL');
      await settled;
    }
  }
}
