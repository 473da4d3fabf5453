import { isMainThread } from 'node:worker_threads';
import { main } from './cli/cli.js';
import { withoutDaemonEnv } from './process/node-flags.js';
// Imported for its side effect: in the single-file bundle this file is also the batch reader's worker entry.
import './batch/thread-batch-reader.js';

if (isMainThread) {
  withoutDaemonEnv();
  void main();
}
