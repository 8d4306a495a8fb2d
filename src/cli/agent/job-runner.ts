// Runs one claimed job on the agent's machine: spawn → stream output → heartbeat → report. The process runs in its
// own process group so stopping it also stops whatever it started (a shell script's children).
//
// How a run ends, and what the server hears:
//   EXITED     the process ended by itself          → result { exitCode }          (succeeded | failed)
//   CANCELLED  a heartbeat said cancel              → stop the process → result   (the server records cancelled)
//   HANDED_BACK the agent is shutting down          → stop the process → release   (queued again for another agent)
//   LOST       the server says the job is not ours  → stop the process, report nothing (someone else owns it now)
//   REJECTED   no allowed command, or spawn failed  → result { exitCode: null, error }
import { spawn, type ChildProcess } from 'node:child_process';
import type { AgentApi, ClaimedJob, Lease } from './api-client.js';
import { leaseLost } from './api-client.js';
import { commandFor, jobEnv, JobRejected, type AgentConfig } from './job-env.js';

/** How often buffered output is sent: often enough to watch a job live, rarely enough to keep requests few. */
export const LOG_FLUSH_MS = 500;
/** Output kept while the server cannot be reached; older output is dropped (the server keeps only a tail anyway). */
const MAX_PENDING_LOG_BYTES = 256 * 1024;
/** Attempts at reporting a result or release through a network failure before giving up (the lease then expires). */
const REPORT_ATTEMPTS = 5;

export type RunEnd = 'exited' | 'cancelled' | 'handed_back' | 'lost' | 'rejected';

export interface RunOptions {
  api: AgentApi;
  job: ClaimedJob;
  queue: string;
  command: string[] | undefined;
  config: AgentConfig | undefined;
  /** SIGTERM, then SIGKILL after this long, when a job is stopped (cancel, lost lease, hand-back). */
  killGraceMs: number;
  log: (line: string) => void;
}

export interface JobRun {
  readonly done: Promise<RunEnd>;
  /** Stops the process and hands the job back to the queue (agent shutdown). */
  handBack(): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function runJob(options: RunOptions): JobRun {
  const { api, job } = options;
  const lease: Lease = { agent: job.agent, attempt: job.attempts };
  let end: RunEnd | undefined;
  let child: ChildProcess | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  const stop = (why: RunEnd) => {
    end ??= why;
    if (!child || child.exitCode !== null || child.signalCode !== null || killTimer) return;
    signalGroup(child, 'SIGTERM');
    killTimer = setTimeout(() => child && signalGroup(child, 'SIGKILL'), options.killGraceMs);
    killTimer.unref();
  };

  const done = (async (): Promise<RunEnd> => {
    // The server stores what automations rendered; anything but an object gives the job no fields.
    const payload = (job.payload !== null && typeof job.payload === 'object' && !Array.isArray(job.payload) ? job.payload : {}) as Record<string, unknown>;
    const payloadText = JSON.stringify(payload);
    let argv: string[];
    try {
      argv = commandFor(payload, options.command, options.config);
    } catch (error) {
      if (!(error instanceof JobRejected)) throw error;
      options.log(`job ${job.id} refused: ${error.message}`);
      await report(() => api.log(job.id, lease, `[modelyard agent] ${error.message}\n`));
      await report(() => api.result(job.id, lease, null, error.message));
      return 'rejected';
    }

    const env = jobEnv({
      base: process.env,
      jobId: job.id,
      attempt: job.attempts,
      payloadText,
      payload,
      url: api.baseUrl,
      apiKey: api.apiKey,
      team: api.team,
      queue: options.queue,
      event: job.event ?? null,
    });
    const spawned = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child = spawned;
    // A process that never reads stdin closes it early; that is not an error of the job.
    spawned.stdin.on('error', () => undefined);
    spawned.stdin.end(payloadText);

    let pending = '';
    // Output is bytes, the log is text, and no text the server stores may hold NUL: a NUL is shown as ␀ (U+2400).
    const collect = (chunk: Buffer) => {
      pending += chunk.toString('utf8').replaceAll('\u0000', '\u2400');
      if (pending.length > MAX_PENDING_LOG_BYTES) pending = pending.slice(-MAX_PENDING_LOG_BYTES);
    };
    spawned.stdout.on('data', collect);
    spawned.stderr.on('data', collect);

    let flushing: Promise<void> = Promise.resolve();
    const flush = () => {
      flushing = flushing.then(async () => {
        if (pending === '' || end === 'lost') return;
        const text = pending;
        pending = '';
        try {
          await api.log(job.id, lease, text);
        } catch (error) {
          if (leaseLost(error)) return stop('lost');
          pending = text + pending; // Network trouble: keep it for the next flush.
        }
      });
      return flushing;
    };
    const flushTimer = setInterval(() => void flush(), LOG_FLUSH_MS);

    const beat = async () => {
      try {
        const { cancel } = await api.heartbeat(job.id, lease);
        if (cancel && end === undefined) {
          options.log(`job ${job.id}: cancel requested, stopping the process`);
          stop('cancelled');
        }
      } catch (error) {
        if (leaseLost(error)) {
          options.log(`job ${job.id}: the server says it is no longer ours (${error.message}); stopping the process`);
          stop('lost');
        }
        // Anything else (network): the next heartbeat tries again while the lease lasts.
      }
    };
    void beat();
    const heartbeatTimer = setInterval(() => void beat(), Math.max(100, Math.floor(job.leaseMs / 3)));

    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
      spawned.on('error', (error) => resolve({ code: null, signal: null, spawnError: error }));
      spawned.on('exit', (code, signal) => {
        // Output may still be in the pipes after exit; 'close' says they are drained. A grandchild that keeps the
        // pipes open must not hold the job forever, so wait only briefly.
        const drained = new Promise<void>((r) => spawned.once('close', () => r()));
        void Promise.race([drained, sleep(1000)]).then(() => resolve({ code, signal }));
      });
    });
    clearInterval(flushTimer);
    clearInterval(heartbeatTimer);
    if (killTimer) clearTimeout(killTimer);
    if (end === undefined) end = exit.spawnError ? 'rejected' : 'exited';

    if (exit.spawnError) {
      pending += `[modelyard agent] could not start ${JSON.stringify(argv[0])}: ${exit.spawnError.message}\n`;
    } else if (exit.signal && end === 'exited') {
      pending += `[modelyard agent] the process was killed by ${exit.signal}\n`;
    }
    await flush();

    if (end === 'lost') return end;
    if (end === 'handed_back') {
      await report(() => api.release(job.id, lease, 'the agent is shutting down'));
      options.log(`job ${job.id} handed back`);
      return end;
    }
    const error = exit.spawnError
      ? `could not start ${JSON.stringify(argv[0])}: ${exit.spawnError.message}`
      : exit.signal
        ? `killed by ${exit.signal}`
        : undefined;
    const outcome = await report(() => api.result(job.id, lease, exit.code, error));
    options.log(`job ${job.id} ${outcome?.state ?? 'unreported'} (exit ${exit.code ?? exit.signal ?? 'none'})`);
    return end;
  })();

  async function report<T>(send: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (leaseLost(error)) {
          options.log(`job ${job.id}: ${error.message}`);
          return undefined;
        }
        if (attempt >= REPORT_ATTEMPTS) {
          options.log(`job ${job.id}: could not reach the server (${(error as Error).message}); the lease will expire`);
          return undefined;
        }
        await sleep(500 * attempt);
      }
    }
  }

  return {
    done,
    handBack() {
      stop('handed_back');
    },
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}
