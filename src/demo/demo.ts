import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess } from '../cluster/daemon-process.js';
import { LocalCluster } from '../cluster/local-cluster.js';

/** Waits until `file` holds exactly `bytes`; returns the milliseconds it took, or undefined at the deadline. */
async function timeUntilArrived(file: string, bytes: Buffer, since: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = since + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await readFile(file)).equals(bytes)) return Date.now() - since;
    } catch {
      // not there yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return undefined;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * The README's first command: a real two-node csync2 cluster on loopback in a
 * temporary directory, the daemon on both nodes, files written on one node and
 * timed until they arrive on the other; then everything is cleaned up.
 */
async function demo(): Promise<void> {
  console.log('inotify-csync demo: two csync2 nodes on 127.0.0.2 and 127.0.0.3, one daemon each');
  const cluster = await LocalCluster.create({ nodes: 2 });
  const daemons: DaemonProcess[] = [];
  let failed = false;
  const stopAll = async (): Promise<void> => {
    await Promise.all(daemons.map((d) => d.stop()));
    await cluster.destroy();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    console.log(`cluster directory: ${cluster.root} (port ${cluster.port})`);
    for (const index of [0, 1]) daemons.push(DaemonProcess.start(cluster, index));
    await Promise.all(daemons.map((d) => d.ready()));
    console.log('both daemons are running (watches set, start-up full sync done)\n');
    const a = cluster.node(0);
    const b = cluster.node(1);
    const cases: Array<{ label: string; from: string; to: string; rel: string }> = [];
    for (let i = 1; i <= 8; i++) cases.push({ label: `new file on A`, from: a.dir, to: b.dir, rel: `page-${i}.html` });
    cases.push({ label: 'new file in a new directory on A', from: a.dir, to: b.dir, rel: 'assets/css/site.css' });
    cases.push({ label: 'file name with spaces on A', from: a.dir, to: b.dir, rel: 'my report 2026.txt' });
    cases.push({ label: 'new file on B (the other way)', from: b.dir, to: a.dir, rel: 'uploaded-on-b.jpg' });
    cases.push({ label: 'changed file on A', from: a.dir, to: b.dir, rel: 'page-1.html' });
    const times: number[] = [];
    console.log('   ms  what');
    for (const [n, item] of cases.entries()) {
      const bytes = Buffer.from(`content ${n} of ${item.rel} written at ${new Date().toISOString()}\n`);
      const source = join(item.from, item.rel);
      await mkdir(join(source, '..'), { recursive: true });
      const started = Date.now();
      await writeFile(source, bytes);
      const ms = await timeUntilArrived(join(item.to, item.rel), bytes, started, 5000);
      if (ms === undefined) {
        failed = true;
        console.log(`  MISS  ${item.label}: ${item.rel} did not arrive within 5 s`);
      } else {
        times.push(ms);
        console.log(`${String(ms).padStart(5)}  ${item.label}: ${item.rel}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    if (times.length > 0) {
      console.log(`\n${times.length} of ${cases.length} changes arrived; median ${percentile(times, 50)} ms, worst ${Math.max(...times)} ms`);
    }
  } catch (error) {
    failed = true;
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await stopAll();
    console.log('cleaned up: daemons stopped, csync2 servers stopped, cluster directory removed');
  }
  process.exitCode = failed ? 1 : 0;
}

void demo();
