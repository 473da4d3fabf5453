import split2 from 'split2';
import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { InotifyCsyncError } from '../errors.js';
import { processAlive } from '../process/process-alive.js';
import { processListensOn } from './listen-probe.js';

export interface Csync2ServerOptions {
  children: ChildProcesses;
  log: Logger;
  /** Server options: `-N host [-D db] [-C name] [-p port]`. */
  args: string[];
  /** The TCP port it listens on (csync2's default is 30865). */
  port: number;
  env?: NodeJS.ProcessEnv;
  /** Called when the server ends on its own (the daemon restarts it). */
  onExit: (reason: string) => void;
}

/** A session without output for this long is taken as ended (its child died without TOTALTIME). */
const STALE_SESSION_MS = 30_000;

/**
 * The node's own csync2 server (`csync2 -ii -t`). Its output is read all the
 * time so it never blocks on a full pipe (the Python variant's trap), and its
 * `TOTALTIME` lines tell when a peer's session ended: client commands wait for
 * a quiet server, as the bash script does, so this node does not starve its
 * own server of the SQLite database.
 */
export class Csync2Server {
  private subprocess: ReturnType<ChildProcesses['start']> | undefined;
  private stopping = false;
  /** Session process id -> time of its last output line. */
  private readonly sessions = new Map<string, number>();
  private quietWaiters: Array<() => void> = [];
  /** Sessions served since start. */
  sessionsServed = 0;

  constructor(private readonly options: Csync2ServerOptions) {}

  get pid(): number | undefined {
    return this.subprocess?.pid;
  }

  /** Starts the server; resolves when it waits for connections, rejects if it dies first. */
  start(timeoutMs = 5000): Promise<void> {
    const { children, args, env, log } = this.options;
    this.stopping = false;
    this.sessions.clear();
    log.debug(`csync2 -ii -t ${args.join(' ')}`);
    const subprocess = children.start('csync2', ['-ii', '-t', ...args], {
      env,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
    });
    this.subprocess = subprocess;
    const lines: string[] = [];
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const onLine = (line: string): void => {
        if (!ready && line.includes('Waiting for connections')) {
          markReady();
          return;
        }
        if (!ready) lines.push(line);
        this.observe(line);
      };
      subprocess.stdout.pipe(split2()).on('data', onLine);
      subprocess.stderr.pipe(split2()).on('data', onLine);
      const startedAt = Date.now();
      const markReady = (): void => {
        if (ready) return;
        ready = true;
        clearTimeout(timer);
        clearTimeout(deadline);
        resolve();
      };
      // The ready line may stay in csync2's stdio buffer: poll /proc for its listening socket.
      const poll = (): void => {
        if (ready || subprocess.exitCode !== null || subprocess.pid === undefined) return;
        const listening = processListensOn(subprocess.pid, this.options.port);
        if (listening === true) return markReady();
        // Without /proc, alive after half a second counts as started (as the bash script checks).
        if (listening === undefined && Date.now() - startedAt >= 500) return markReady();
        timer = setTimeout(poll, 20);
      };
      let timer = setTimeout(poll, 20);
      const deadline = setTimeout(() => {
        if (ready || subprocess.exitCode !== null) return;
        clearTimeout(timer);
        reject(new InotifyCsyncError(`the csync2 server (csync2 -ii -t ${args.join(' ')}) did not listen on port ${this.options.port} within ${timeoutMs / 1000} s`));
        subprocess.kill('SIGTERM');
      }, timeoutMs);
      void subprocess.then((result) => {
        clearTimeout(timer);
        clearTimeout(deadline);
        this.sessions.clear();
        this.releaseWaiters();
        const said = lines.filter((l) => l.trim() !== '').slice(-3).join(' ');
        const reason = result.signal ? `killed by ${result.signal}` : `exited with code ${result.exitCode ?? 'unknown'}${said ? `: ${said}` : ''}`;
        if (!ready) {
          reject(new InotifyCsyncError(`the csync2 server (csync2 -ii -t ${args.join(' ')}) did not start: ${reason}`));
          return;
        }
        if (!this.stopping) this.options.onExit(reason);
      });
    });
  }

  /** Follows sessions through the server's `<pid> ...` lines. */
  private observe(line: string): void {
    const match = /^<(\d+)>\s*(.*)$/.exec(line);
    if (!match) {
      if (line.trim() !== '') this.options.log.debug(`server: ${line}`);
      return;
    }
    const [, session = '', text = ''] = match;
    if (text.startsWith('TOTALTIME')) {
      this.sessions.delete(session);
      this.sessionsServed++;
      if (this.sessions.size === 0) this.releaseWaiters();
    } else {
      this.sessions.set(session, Date.now());
    }
    this.options.log.debug(`server: ${line}`);
  }

  /** No peer session is running now. */
  isQuiet(): boolean {
    const now = Date.now();
    for (const [session, last] of this.sessions) {
      // The `<pid>` of a line is the server's child for that session: once it is gone, so is the session
      // (a session whose peer vanished ends without TOTALTIME).
      if (now - last > STALE_SESSION_MS || !processAlive(Number(session))) this.sessions.delete(session);
    }
    return this.sessions.size === 0;
  }

  /** Waits until no peer session runs, at most `maxMs`; resolves true when quiet. */
  async waitQuiet(maxMs: number): Promise<boolean> {
    const deadline = Date.now() + maxMs;
    while (!this.isQuiet()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      // Woken by TOTALTIME, or every 100 ms to notice a session child that died without it.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.quietWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  private releaseWaiters(): void {
    const waiters = this.quietWaiters;
    this.quietWaiters = [];
    for (const wake of waiters) wake();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const subprocess = this.subprocess;
    if (!subprocess || subprocess.exitCode !== null || subprocess.signalCode !== null) return;
    subprocess.kill('SIGTERM');
    await subprocess;
  }
}
