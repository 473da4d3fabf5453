import type { Logger } from '../log/logger.js';

/** Start-up on a large tree takes time: says what runs, and every 5 s how long so far. */
export async function withProgress<T>(label: string, work: Promise<T>, report: { log: Logger; progress: (message: string) => void }): Promise<T> {
  const started = Date.now();
  report.progress(label);
  const timer = setInterval(() => {
    const message = `still ${label} (${Math.round((Date.now() - started) / 1000)} s so far)`;
    report.log.info(message);
    report.progress(message);
  }, 5000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
