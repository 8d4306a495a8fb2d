// The delivery worker and the job-lease reaper in a thread of `modelyard serve` — so one process started the way a
// user starts it (`npm start`) uses two cores: the API answers requests on the main thread while deliveries are
// claimed, signed, sent and recorded on this one. The thread is exactly `serve --role worker` (the documented
// scale-out split, docs/operations.md) with its own database connection, its signals bridged to the main thread's
// (src/db/notifier-bridge.ts: a commit on one side wakes the other at once, on SQLite too), and its application
// metrics added to the main thread's /metrics (src/api/metrics.ts).
//
// Why a thread and not a child process: one process to start, stop and kill -9 as before, one PID for supervisors,
// and signals over a MessagePort instead of a socket. If the thread dies, the process exits with an error rather than
// serve an API whose deliveries silently stopped; its supervisor restarts it and nothing is lost (runs are durable and
// leased). MODELYARD_DELIVERY_THREAD=off keeps everything on one thread.
import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';
import { adoptWriteGates, sharedWriteGates } from './db/write-gate.js';
import { addMetricsSource, appMetricsSnapshot, type MetricsSnapshot } from './api/metrics.js';

type ToThread = { type: 'stop' } | { type: 'metrics'; id: number };
type FromThread =
  | { type: 'started' }
  | { type: 'failed'; message: string }
  | { type: 'stopped' }
  | { type: 'metrics'; id: number; snapshot: MetricsSnapshot };

interface ThreadData {
  modelyardWorkerThread: true;
  port: MessagePort;
  /** The parent's SQLite write gates (src/db/write-gate.ts): both threads take turns at the write lock. */
  writeGates: Record<string, SharedArrayBuffer>;
}

export interface WorkerThread {
  /** Stops the thread's work (in-flight deliveries drain, as on SIGTERM) and ends the thread. */
  stop(): Promise<void>;
}

const METRICS_TIMEOUT_MS = 2_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * Starts `serve --role worker` in a new thread of this process, configured from `env` as the caller was, its signals
 * bridged through `port` (the other end of the caller's bridge). Resolves once it runs, rejects if it could not
 * start; `onCrash` hears of the thread ending by itself afterwards.
 */
export function startWorkerThread(env: NodeJS.ProcessEnv, port: MessagePort, onCrash: (error: Error) => void): Promise<WorkerThread> {
  const options = { env, workerData: { modelyardWorkerThread: true, port, writeGates: sharedWriteGates() } satisfies ThreadData, transferList: [port] };
  const self = new URL(import.meta.url);
  // From the TypeScript sources (`npm run dev`, the tests), tsx's loader is registered in the main thread only; the
  // thread registers it for itself before loading this module.
  const worker = self.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(self.href)}); });`, { ...options, eval: true })
    : new Worker(self, options);
  let stopping = false;
  let nextId = 0;
  const metricsWaiters = new Map<number, (snapshot: MetricsSnapshot) => void>();
  const stopped = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const removeSource = addMetricsSource(
    () =>
      new Promise<MetricsSnapshot>((resolve) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          metricsWaiters.delete(id);
          resolve([]);
        }, METRICS_TIMEOUT_MS);
        metricsWaiters.set(id, (snapshot) => {
          clearTimeout(timer);
          resolve(snapshot);
        });
        worker.postMessage({ type: 'metrics', id } satisfies ToThread);
      }),
  );

  return new Promise<WorkerThread>((resolve, reject) => {
    let started = false;
    const thread: WorkerThread = {
      async stop() {
        if (!stopping) {
          stopping = true;
          removeSource();
          worker.postMessage({ type: 'stop' } satisfies ToThread);
          const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
          await stopped;
          clearTimeout(timer);
        }
        await stopped;
      },
    };
    worker.on('message', (message: FromThread) => {
      if (message.type === 'started') {
        started = true;
        resolve(thread);
      } else if (message.type === 'failed') {
        reject(new Error(message.message));
      } else if (message.type === 'metrics') {
        metricsWaiters.get(message.id)?.(message.snapshot);
        metricsWaiters.delete(message.id);
      } else if (message.type === 'stopped') {
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      if (!started) reject(error);
      else if (!stopping) onCrash(error);
    });
    worker.once('exit', (code) => {
      removeSource();
      if (!started) reject(new Error(`the delivery thread exited (code ${code}) before it started`));
      else if (!stopping) onCrash(new Error(`the delivery thread exited unexpectedly (code ${code})`));
    });
  });
}

/** The thread's side: the worker role on its own connection, until told to stop. */
async function runThread(data: ThreadData): Promise<void> {
  const post = (message: FromThread) => parentPort!.postMessage(message);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    const config = loadConfig(process.env);
    adoptWriteGates(data.writeGates);
    server = await startServer(config, createLogger(config.logLevel), { role: 'worker', bridge: data.port });
  } catch (error) {
    post({ type: 'failed', message: `the delivery thread could not start: ${error instanceof Error ? error.message : String(error)}` });
    return;
  }
  parentPort!.on('message', (message: ToThread) => {
    if (message.type === 'metrics') {
      void appMetricsSnapshot().then((snapshot) => post({ type: 'metrics', id: message.id, snapshot }));
    } else if (message.type === 'stop') {
      void server.stop().finally(() => post({ type: 'stopped' }));
    }
  });
  post({ type: 'started' });
}

if (!isMainThread && (workerData as Partial<ThreadData> | null)?.modelyardWorkerThread) {
  void runThread(workerData as ThreadData);
}
