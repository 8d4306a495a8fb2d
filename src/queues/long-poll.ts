// Long-polling claims: an agent's claim waits up to `wait` seconds for a job. It wakes on the jobs channel (a job
// committed anywhere — LISTEN/NOTIFY on PostgreSQL) and also re-tries every POLL_FALLBACK_MS, so a lost
// notification (or a requeue by another process's reaper) still starts the job within about a second.
import type { AppContext } from '../context.js';
import { CHANNEL_JOBS } from '../context.js';
import type { Job } from '../db/schema.js';
import { claimNextJob } from './claim.js';

export const POLL_FALLBACK_MS = 1000;

export async function claimWithWait(
  ctx: Pick<AppContext, 'db' | 'dialect' | 'notifier'>,
  input: { queueId: string; agent: string; leaseMs: number; waitMs: number; signal: AbortSignal },
): Promise<Job | undefined> {
  const deadline = Date.now() + input.waitMs;
  // Subscribed before the first attempt: a job committed between an empty attempt and the wait is not missed.
  let signalled: boolean;
  let wake: (() => void) | undefined;
  const unlisten = ctx.notifier.listen(CHANNEL_JOBS, (queueId) => {
    if (queueId !== '' && queueId !== input.queueId) return;
    signalled = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  input.signal.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (input.signal.aborted) return undefined;
      signalled = false;
      const job = await claimNextJob(ctx, input);
      if (job) return job;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || input.signal.aborted) return undefined;
      if (signalled) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, POLL_FALLBACK_MS));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    unlisten();
    input.signal.removeEventListener('abort', onAbort);
  }
}
