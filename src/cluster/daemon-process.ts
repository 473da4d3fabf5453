import { execa, type ResultPromise } from 'execa';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../process/node-flags.js';
import type { LocalCluster } from './local-cluster.js';

/**
 * The built CLI entry (dist/main.js), as a user would run it, also when this
 * module is loaded from src/ by the tests.
 */
export const CLI_ENTRY = import.meta.url.endsWith('.ts')
  ? fileURLToPath(new URL('../../dist/main.js', import.meta.url))
  : fileURLToPath(new URL('../main.js', import.meta.url));

export interface DaemonProcessOptions {
  /** Extra daemon options, e.g. ['--mode', 'thread']. */
  args?: string[];
  /** Replace the csync2 options the cluster would give. */
  csync2Args?: string[];
  env?: Record<string, string>;
  /** Node executable arguments' entry; default the built CLI. */
  entry?: string;
  /** Options for node itself, before the entry. @default DAEMON_NODE_FLAGS, as the installed command uses (with DAEMON_ENV) */
  nodeArgs?: readonly string[];
  /** A command that runs node, e.g. `['unshare', '--user', '--map-root-user', '--']` (it must exec node under its own PID). */
  wrapper?: readonly string[];
  /** A program that starts node (e.g. systemd-socket-activate and its options); node and its arguments follow it. */
  launcher?: string[];
}

/**
 * A daemon of a LocalCluster node, run as a separate process exactly as an
 * admin would run it; its log is kept in memory for assertions.
 */
export class DaemonProcess {
  readonly lines: string[] = [];
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly subprocess: ResultPromise<{ all: true; reject: false; stdin: 'ignore' }>,
    readonly index: number,
  ) {
    subprocess.all.setEncoding('utf8');
    let partial = '';
    subprocess.all.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const listener of this.listeners) listener();
    });
  }

  static start(cluster: LocalCluster, index: number, options: DaemonProcessOptions = {}): DaemonProcess {
    const node = cluster.node(index);
    const args = [
      ...(options.nodeArgs ?? DAEMON_NODE_FLAGS),
      options.entry ?? CLI_ENTRY,
      ...(options.csync2Args ?? cluster.csync2Args(index)),
      '--queue-file', join(cluster.root, `queue-${index}`, 'queue'),
      '--full-sync-interval', '0',
      // rsync only where a test asks for it by naming its target.
      ...(options.args?.includes('--rsync-target') ? [] : ['--disable-rsync']),
      ...(options.args ?? []),
    ];
    const [command, ...prefixArgs] = [...(options.launcher ?? options.wrapper ?? []), process.execPath];
    const subprocess = execa(command as string, [...prefixArgs, ...args], {
      env: { ...DAEMON_ENV, ...cluster.env, ...options.env },
      all: true,
      reject: false,
      stdin: 'ignore',
      cleanup: true,
    });
    void node;
    return new DaemonProcess(subprocess, index);
  }

  get pid(): number | undefined {
    return this.subprocess.pid;
  }

  get log(): string {
    return this.lines.join('\n');
  }

  /** Waits until a log line matches, or the process exits, or the deadline passes. */
  async waitForLine(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.lines.length; seen++) {
        const line = this.lines[seen] ?? '';
        if (pattern.test(line)) return line;
      }
      if (this.subprocess.exitCode !== null) {
        throw new Error(`daemon ${this.index} exited (code ${this.subprocess.exitCode}) before logging ${pattern}:\n${this.log}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`daemon ${this.index} did not log ${pattern} within ${timeoutMs} ms:\n${this.log}`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.listeners.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 100));
        this.listeners.add(done);
      });
    }
  }

  /** Resolves when the start-up full sync is done and the daemon runs. */
  ready(timeoutMs = 30_000): Promise<string> {
    return this.waitForLine(/ running: watching \d+ root/, timeoutMs);
  }

  /** SIGTERM and wait for the exit. */
  async stop(): Promise<number | undefined> {
    if (this.subprocess.exitCode === null) this.subprocess.kill('SIGTERM');
    const result = await this.subprocess;
    return result.exitCode;
  }
}
