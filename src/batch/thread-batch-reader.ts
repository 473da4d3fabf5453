import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readBatch, type BatchRead } from '../queue/read-batch.js';

const ROLE = 'inotify-csync-batch-reader';

interface ReadRequest {
  id: number;
  file: string;
  offset: number;
  limit: number;
  end?: number;
}

type ReadReply = { id: number; result: BatchRead } | { id: number; error: string };

/** The worker side: answers read requests (the cursor sends one at a time). */
function serveRequests(): void {
  parentPort?.on('message', async (request: ReadRequest) => {
    let reply: ReadReply;
    try {
      reply = { id: request.id, result: await readBatch(request.file, request.offset, request.limit, request.end) };
    } catch (error) {
      reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
    }
    parentPort?.postMessage(reply);
  });
}

// This module is also the worker's entry point (in dist/ and in the single-file bundle alike).
if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) serveRequests();

/** Runs readBatch in a worker thread. */
export class ThreadBatchReader {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: BatchRead) => void; reject: (e: Error) => void }>();

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE } });
    worker.unref();
    worker.on('message', (reply: ReadReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if ('error' in reply) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.result);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', () => {
      this.worker = undefined;
      this.failAll(new Error('the batch reader thread exited'));
    });
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  read(file: string, offset: number, limit: number, end?: number): Promise<BatchRead> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<BatchRead>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, file, offset, limit, end } satisfies ReadRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
