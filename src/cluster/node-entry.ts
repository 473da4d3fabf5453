import { execa } from 'execa';
import { realpathSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { main } from '../cli/cli.js';
import { InotifyCsyncError } from '../errors.js';
import { addSbinToPath } from '../process/sbin-path.js';
import { renderClusterConfig } from './cluster-config.js';
import { NODE_ENTRY_USAGE, planNodeEntry, type NodeEntryPlan } from './node-plan.js';
// Imported for its side effect: in the single-file bundle this file is also the batch reader's worker entry.
import '../batch/thread-batch-reader.js';

/**
 * Makes the shared key with `csync2 -k` unless it exists. Several nodes may
 * start at once on one shared directory: each makes its own candidate and
 * hard-links it into place, and link() lets exactly one of them win.
 */
export async function ensureKey(keyFile: string): Promise<boolean> {
  if (await exists(keyFile)) return false;
  const candidate = `${keyFile}.${process.pid}.${Date.now()}.new`;
  try {
    const made = await execa('csync2', ['-k', candidate], { reject: false, stdin: 'ignore', all: true });
    if (made.exitCode !== 0) {
      throw new InotifyCsyncError(`csync2 -k ${candidate} failed (exit ${made.exitCode}): ${made.all?.trim() ?? ''}`);
    }
    await fs.link(candidate, keyFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.unlink(candidate).catch(() => undefined);
  }
}

/** Writes `text` to `file` through a rename, so a reader never sees half a file; unchanged files are left alone. */
async function writeAtomically(file: string, text: string): Promise<boolean> {
  const current = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return false;
  const temporary = `${file}.${process.pid}.new`;
  await fs.writeFile(temporary, text);
  await fs.rename(temporary, file);
  return true;
}

async function exists(path: string): Promise<boolean> {
  return fs.stat(path).then(() => true, () => false);
}

/** Everything a node needs before its daemon starts: directories, the shared key, csync2.cfg. Returns the config file. */
export async function prepareNode(plan: NodeEntryPlan): Promise<string> {
  addSbinToPath();
  await fs.mkdir(plan.etcDir, { recursive: true });
  for (const dir of plan.dirs) await fs.mkdir(dir, { recursive: true });
  await ensureKey(plan.config.keyFile);
  const file = join(plan.etcDir, 'csync2.cfg');
  await writeAtomically(file, renderClusterConfig(plan.config));
  return file;
}

/** The node entry of the docker cluster (and any generated cluster): prepare, then run the daemon in this process. */
export async function runNodeEntry(argv: string[] = process.argv.slice(2)): Promise<void> {
  let plan: NodeEntryPlan;
  try {
    plan = planNodeEntry(argv, process.env, hostname());
    if (plan.help) {
      process.stdout.write(`${NODE_ENTRY_USAGE}\n`);
      return;
    }
    const file = await prepareNode(plan);
    const nodes = plan.config.nodes.map((node) => `${node.host}:${node.dir}`).join(' ');
    process.stdout.write(`inotify-csync-node: ${file} for ${plan.host} in [${nodes}], key ${plan.config.keyFile}\n`);
  } catch (error) {
    process.stderr.write(`inotify-csync-node: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof InotifyCsyncError ? error.exitCode : 1;
    return;
  }
  process.env['CSYNC2_SYSTEM_DIR'] = plan.etcDir;
  await main(plan.daemonArgs);
}

function isProgramEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isMainThread && isProgramEntry()) void runNodeEntry();
