// The lease reaper: a job whose agent stopped heart-beating (crashed, killed, cut off) is queued again for another
// agent, or failed once it has lost `max_attempts` leases; a job whose cancel was requested is simply cancelled.
// Runs with the background work of every worker process; several reapers on one database are safe because every
// update re-checks that the lease is still expired.
import type { AppContext } from '../context.js';
import { CHANNEL_JOBS } from '../context.js';
import { sql } from 'kysely';
import { inTransaction } from '../db/transaction.js';
import { serverLogLine } from './agent-protocol.js';
import { LEASED_STATES } from './job-states.js';
import { finishedJobsOf, type FinishedJob, type JobOutcomes } from './job-outcomes.js';

/** Expired leases handled per pass; more wait for the next pass (a pass stays one short transaction). */
const REAP_BATCH = 200;

export interface ReapResult {
  requeued: number;
  failed: number;
  cancelled: number;
}

/**
 * One pass. Jobs it fails or cancels are handed to `outcomes` in the same transaction (their automation runs fail
 * and raise AUTOMATION_FAILED as for a job that failed on its agent).
 */
export async function reapExpiredLeases(ctx: Pick<AppContext, 'db' | 'notifier'>, outcomes: JobOutcomes, now = Date.now()): Promise<ReapResult> {
  return inTransaction(ctx, async (tx, after) => {
    const result: ReapResult = { requeued: 0, failed: 0, cancelled: 0 };
    const finished: FinishedJob[] = [];
    const expired = await tx
      .selectFrom('jobs')
      .select(['id', 'queue_id', 'agent', 'attempts', 'max_attempts', 'cancel_requested'])
      .where('state', 'in', LEASED_STATES)
      .where('lease_until', '<', now)
      .orderBy('lease_until')
      .limit(REAP_BATCH)
      .execute();
    for (const job of expired) {
      const stillExpired = tx
        .updateTable('jobs')
        .where('id', '=', job.id)
        .where('state', 'in', LEASED_STATES)
        .where('lease_until', '<', now)
        .where('attempts', '=', job.attempts);
      let outcome: keyof ReapResult;
      let update;
      if (job.cancel_requested === 1) {
        outcome = 'cancelled';
        update = stillExpired.set({
          state: 'cancelled',
          finished_at: now,
          lease_until: null,
          error: `cancelled; agent "${job.agent}" stopped responding before confirming`,
        });
      } else if (job.attempts >= job.max_attempts) {
        outcome = 'failed';
        update = stillExpired.set({
          state: 'failed',
          finished_at: now,
          lease_until: null,
          error: `lease lost ${job.attempts} time${job.attempts === 1 ? '' : 's'}: agents stopped heart-beating (last: "${job.agent}")`,
        });
      } else {
        outcome = 'requeued';
        const line = serverLogLine(`agent "${job.agent}" stopped heart-beating (attempt ${job.attempts}); job queued again`);
        update = stillExpired.set({
          state: 'queued',
          agent: null,
          lease_until: null,
          claimed_at: null,
          started_at: null,
          log_tail: sql<string>`log_tail || ${line}`,
        });
      }
      const changed = await update.returning(['id', 'run_id', 'state', 'exit_code', 'error']).executeTakeFirst();
      if (!changed) continue;
      result[outcome]++;
      if (outcome === 'requeued') after.notify(CHANNEL_JOBS, job.queue_id);
      finished.push(...finishedJobsOf([changed]));
    }
    if (finished.length > 0) await outcomes.finished(tx, after, finished);
    return result;
  });
}

export interface JobReaper {
  stop(): Promise<void>;
}

/** Checks for expired leases a few times per lease period, so a lost job is requeued soon after its lease ends. */
export function startJobReaper(ctx: AppContext, outcomes: JobOutcomes): JobReaper {
  const intervalMs = Math.min(5000, Math.max(250, Math.floor(ctx.config.jobLeaseMs / 4)));
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running
      .then(() => reapExpiredLeases(ctx, outcomes))
      .then((result) => {
        if (result.requeued + result.failed + result.cancelled > 0) ctx.logger.info({ ...result }, 'reaped expired job leases');
      })
      .catch((error: unknown) => ctx.logger.error({ err: error }, 'job lease reaper failed; retrying next interval'));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
