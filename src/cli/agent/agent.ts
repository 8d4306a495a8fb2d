// The agent: `concurrency` slots, each claiming a job (long-poll), running it, and claiming the next.
//
// Modes: RUNNING (slots claim and run) → DRAINING (SIGTERM/SIGINT: no new claims; running jobs get `graceMs` to
// finish) → HANDING_BACK (grace over, or a second signal: stop the processes and release their jobs) → stopped.
import type { AgentApi } from './api-client.js';
import { ApiError } from './api-client.js';
import type { AgentConfig } from './job-env.js';
import { runJob, type JobRun } from './job-runner.js';

/** Seconds a claim waits on the server for a job before asking again. */
export const CLAIM_WAIT_SECONDS = 30;
/** Pause after a failed claim (server down, network), doubling up to the maximum. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

export interface AgentOptions {
  api: AgentApi;
  queue: string;
  name: string;
  concurrency: number;
  command: string[] | undefined;
  config: AgentConfig | undefined;
  graceMs: number;
  killGraceMs: number;
  log: (line: string) => void;
}

export interface RunningAgent {
  /** Resolves once every slot stopped (after `stop`, or on a fatal error such as a revoked key or unknown queue). */
  readonly finished: Promise<void>;
  /** First call: drain, then hand back after the grace period. Second call: hand back now. */
  stop(): void;
}

export function startAgent(options: AgentOptions): RunningAgent {
  const stopClaiming = new AbortController();
  const running = new Set<JobRun>();
  let graceTimer: NodeJS.Timeout | undefined;
  let handingBack = false;

  const handBackAll = () => {
    handingBack = true;
    for (const run of running) run.handBack();
  };

  const stop = () => {
    if (stopClaiming.signal.aborted) {
      handBackAll();
      return;
    }
    options.log(`stopping: no new jobs; ${running.size} running job(s) get ${options.graceMs / 1000} s to finish`);
    stopClaiming.abort();
    // Also covers a claim that returns a job just after the signal.
    graceTimer = setTimeout(handBackAll, options.graceMs);
    graceTimer.unref();
  };

  const slot = async (index: number) => {
    let retryMs = RETRY_MIN_MS;
    while (!stopClaiming.signal.aborted) {
      let job;
      try {
        job = await options.api.claim(options.queue, options.name, CLAIM_WAIT_SECONDS, stopClaiming.signal);
        retryMs = RETRY_MIN_MS;
      } catch (error) {
        if (stopClaiming.signal.aborted) break;
        if (error instanceof ApiError && (error.status === 401 || error.status === 403 || error.status === 404)) {
          // Nothing a retry would fix: a revoked key, a viewer's key, no such team or queue.
          options.log(`cannot claim from queue "${options.queue}": ${error.message}`);
          stop();
          throw error;
        }
        options.log(`slot ${index}: claim failed (${(error as Error).message}); retrying in ${retryMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryMs);
          stopClaiming.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          }, { once: true });
        });
        retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
        continue;
      }
      if (!job) continue;
      options.log(`job ${job.id} claimed (attempt ${job.attempts})`);
      const run = runJob({
        api: options.api,
        job,
        queue: options.queue,
        command: options.command,
        config: options.config,
        killGraceMs: options.killGraceMs,
        log: options.log,
      });
      running.add(run);
      if (handingBack) run.handBack();
      try {
        await run.done;
      } catch (error) {
        options.log(`job ${job.id}: agent error ${(error as Error).message}`);
      } finally {
        running.delete(run);
      }
    }
  };

  const finished = (async () => {
    const results = await Promise.allSettled(Array.from({ length: options.concurrency }, (_, i) => slot(i + 1)));
    if (graceTimer) clearTimeout(graceTimer);
    await options.api.close();
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  })();

  return { finished, stop };
}
