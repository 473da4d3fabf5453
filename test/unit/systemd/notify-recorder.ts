import { execa, type ResultPromise } from 'execa';
import { join } from 'node:path';

// A fake $NOTIFY_SOCKET: an AF_UNIX datagram socket bound by a tiny python3 or
// perl process (Node has none), printing each datagram on one line with
// control characters as \xNN.
const PYTHON = String.raw`
import re, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    d = s.recv(65536).decode("utf-8", "replace")
    print(re.sub(r"[\\\x00-\x1f]", lambda m: "\\x%02x" % ord(m.group()), d), flush=True)
`;
const PERL = String.raw`
use IO::Socket::UNIX; use Socket;
$| = 1;
my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $ARGV[0]) or die "bind $ARGV[0]: $!\n";
print "bound\n";
while (defined $s->recv(my $d, 65536)) { $d =~ s/([\\\x00-\x1f])/sprintf("\\x%02x", ord($1))/ge; print "$d\n"; }
`;

const decode = (line: string): string => line.replace(/\\x([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

/** True when `program` runs (python3 -c '' / perl -e ''). */
async function has(program: 'python3' | 'perl'): Promise<boolean> {
  const result = await execa(program, [program === 'python3' ? '-c' : '-e', ''], { reject: false, stdin: 'ignore' });
  return result.exitCode === 0;
}

/** Records what a sd_notify sender sends; BARRIER=1 (systemd-notify's synchronisation) is left out. */
export class NotifyRecorder {
  readonly messages: string[] = [];
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly socket: string,
    private readonly child: ResultPromise<{ reject: false; stdin: 'ignore'; stderr: 'pipe' }>,
  ) {}

  /** Starts a recorder in `dir`; resolves to the reason to skip when systemd-notify, or both python3 and perl, are missing. */
  static async start(dir: string): Promise<NotifyRecorder | string> {
    const notify = await execa('systemd-notify', ['--version'], { reject: false, stdin: 'ignore' });
    if (notify.exitCode !== 0) return 'systemd-notify is not installed (apt-get install systemd): the daemon sends its notifications through it';
    const socket = join(dir, 'notify.sock');
    let command: [string, string[]] | undefined;
    if (await has('python3')) command = ['python3', ['-c', PYTHON, socket]];
    else if (await has('perl')) command = ['perl', ['-e', PERL, socket]];
    if (!command) return 'neither python3 nor perl is installed to bind a fake NOTIFY_SOCKET (Node has no AF_UNIX datagram sockets)';
    const child = execa(command[0], command[1], { reject: false, stdin: 'ignore', stderr: 'pipe', cleanup: true });
    const recorder = new NotifyRecorder(socket, child);
    await new Promise<void>((resolve, reject) => {
      let partial = '';
      let bound = false;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!bound && line === 'bound') {
            bound = true;
            resolve();
            continue;
          }
          const message = decode(line);
          if (message !== 'BARRIER=1') recorder.messages.push(message);
        }
        for (const listener of recorder.listeners) listener();
      });
      void child.then((result) => {
        if (!bound) reject(new Error(`the notify recorder (${command[0]}) exited: ${String(result.stderr)}`));
      });
    });
    return recorder;
  }

  /** The assignments of every message, flattened in arrival order (e.g. 'READY=1', 'STATUS=...'). */
  get assignments(): string[] {
    return this.messages.flatMap((message) => message.split('\n'));
  }

  /** Waits until `check` holds on the messages so far, or fails after the deadline with what arrived. */
  async waitFor(check: (messages: string[]) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received:\n${this.messages.map((m) => JSON.stringify(m)).join('\n')}`);
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

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.child;
  }
}
