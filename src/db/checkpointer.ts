// WAL checkpoints off the request path (SQLite only).
//
// By default SQLite checkpoints inside the COMMIT that pushes the write-ahead log past 1,000 pages: that commit copies
// the pages back into the database file and fsyncs it, a few milliseconds during which the event loop — and every
// request waiting on it — stands still (a rare commit took more than half of all commit time: bench/results/design-measurements.md#checkpoint-in-commit).
// Here the main connection never checkpoints (wal_autocheckpoint = 0); a worker thread with its own connection runs
// PASSIVE checkpoints on a timer instead. PASSIVE never blocks writers or readers, and once a checkpoint has copied
// the whole log the next writer starts it over from the beginning, so the file stays small. better-sqlite3's own
// documentation recommends this arrangement for busy databases; no library packages it, hence this file.
//
// The worker is started from source text (not a module file) so that it runs the same under tsx and from dist/.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const CHECKPOINT_INTERVAL_MS = 200;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 0');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next tick tries again.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/** `onFailure` runs if the worker dies: the caller hands checkpoints back to SQLite's automatic ones. */
export function startCheckpointer(file: string, onFailure: () => void, intervalMs = CHECKPOINT_INTERVAL_MS): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, intervalMs } });
  // An idle process must still be able to exit; stop() ends the worker on a clean shutdown.
  worker.unref();
  worker.on('error', onFailure);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (worker.threadId === -1) return resolve();
        worker.once('exit', () => resolve());
        worker.ref(); // keeps the process up until the final checkpoint is done
        worker.postMessage('stop');
      }),
  };
}
