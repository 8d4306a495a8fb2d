// What agents do with a job they claimed. A claim is a lease held by (agent name, attempt number): every call below
// names both and is refused with 409 once the job is no longer theirs — the lease expired and the reaper requeued
// it, the job was cancelled with its queue, or another agent now holds it — so a stale agent can never overwrite a
// newer run's state, log or result.
//
//   queued ──claim──▶ claimed ──heartbeat{running}──▶ running ──result──▶ succeeded | failed | cancelled
//      ▲                 │                               │
//      └──── release (agent shutting down; the attempt is not counted) / lease expired (reaper.ts) ────┘
import type { AppContext } from '../context.js';
import type { JobState } from '../db/schema.js';
import type { Tx } from '../db/index.js';
import { sql } from 'kysely';
import { CHANNEL_JOBS } from '../context.js';
import { conflict, notFound } from '../core/errors.js';
import { truncate } from '../core/names.js';
import { inTransaction } from '../db/transaction.js';
import { LEASED_STATES } from './job-states.js';
import { keepTail } from './log-tail.js';
import { finishedJobsOf, type JobOutcomes } from './job-outcomes.js';

export const MAX_ERROR_LENGTH = 4000;

export interface Lease {
  teamId: string;
  jobId: string;
  agent: string;
  attempt: number;
}

type Ctx = Pick<AppContext, 'db' | 'notifier' | 'config'>;

function leased(tx: Tx, lease: Lease) {
  return tx
    .updateTable('jobs')
    .where('id', '=', lease.jobId)
    .where('team_id', '=', lease.teamId)
    .where('agent', '=', lease.agent)
    .where('attempts', '=', lease.attempt)
    .where('state', 'in', LEASED_STATES);
}

/** Throws the right error for a lease check that matched nothing: 404 for an unknown job, else 409 saying why. */
async function refuse(tx: Tx, lease: Lease): Promise<never> {
  const job = await tx
    .selectFrom('jobs')
    .select(['state', 'agent', 'attempts'])
    .where('id', '=', lease.jobId)
    .where('team_id', '=', lease.teamId)
    .executeTakeFirst();
  if (!job) throw notFound(`job "${truncate(lease.jobId)}"`);
  const holder = LEASED_STATES.includes(job.state) ? ` held by agent "${job.agent}" (attempt ${job.attempts})` : '';
  throw conflict(`job is no longer leased to agent "${lease.agent}" (attempt ${lease.attempt}): it is ${job.state}${holder}`, {
    state: job.state,
  });
}

/** A line the server adds to a job's log so its readers see what happened between runs. */
export function serverLogLine(message: string): string {
  return `\n[modelyard ${new Date().toISOString()}] ${message}\n`;
}

/** Extends the lease; the first `running` heartbeat marks the job running. Tells the agent whether to cancel. */
export async function heartbeat(ctx: Ctx, lease: Lease, state: 'claimed' | 'running'): Promise<{ cancel: boolean; leaseUntil: number }> {
  return inTransaction(ctx, async (tx) => {
    const now = Date.now();
    const leaseUntil = now + ctx.config.jobLeaseMs;
    const row = await leased(tx, lease)
      .set((eb) => ({
        lease_until: leaseUntil,
        ...(state === 'running' ? { state: 'running' as const, started_at: eb.fn.coalesce('started_at', eb.val(now)) } : {}),
      }))
      .returning(['cancel_requested'])
      .executeTakeFirst();
    if (!row) return refuse(tx, lease);
    return { cancel: row.cancel_requested === 1, leaseUntil };
  });
}

export async function appendLog(ctx: Ctx, lease: Lease, text: string): Promise<void> {
  if (text === '') return;
  await inTransaction(ctx, async (tx) => {
    // The concatenation runs in the database (and takes the row lock on PostgreSQL), so appends never lose
    // each other's text; trimming to the tail is a second write under the same lock.
    const row = await leased(tx, lease)
      .set({ log_tail: sql<string>`log_tail || ${keepTail(text)}` })
      .returning(['log_tail'])
      .executeTakeFirst();
    if (!row) return refuse(tx, lease);
    const trimmed = keepTail(row.log_tail);
    if (trimmed.length !== row.log_tail.length) {
      await tx.updateTable('jobs').set({ log_tail: trimmed }).where('id', '=', lease.jobId).execute();
    }
  });
}

/** The job's outcome: cancelled when a cancel was asked for, else succeeded on exit code 0, else failed. */
export function outcomeOf(cancelRequested: boolean, exitCode: number | null): 'succeeded' | 'failed' | 'cancelled' {
  if (cancelRequested) return 'cancelled';
  return exitCode === 0 ? 'succeeded' : 'failed';
}

export async function reportResult(
  ctx: Ctx,
  lease: Lease,
  result: { exitCode: number | null; error?: string | undefined },
  outcomes: JobOutcomes,
): Promise<{ state: JobState }> {
  return inTransaction(ctx, async (tx, after) => {
    const current = await tx
      .selectFrom('jobs')
      .select(['cancel_requested'])
      .where('id', '=', lease.jobId)
      .where('team_id', '=', lease.teamId)
      .executeTakeFirst();
    if (!current) throw notFound(`job "${truncate(lease.jobId)}"`);
    const state = outcomeOf(current.cancel_requested === 1, result.exitCode);
    const error =
      result.error !== undefined && result.error !== ''
        ? result.error.slice(0, MAX_ERROR_LENGTH)
        : state === 'failed'
          ? `exited with code ${result.exitCode ?? 'none (killed by a signal)'}`
          : state === 'cancelled'
            ? 'cancelled while running'
            : null;
    const row = await leased(tx, lease)
      .where('cancel_requested', '=', current.cancel_requested)
      .set({ state, exit_code: result.exitCode, error, finished_at: Date.now(), lease_until: null })
      .returning(['id', 'run_id', 'state', 'exit_code', 'error'])
      .executeTakeFirst();
    if (!row) return refuse(tx, lease);
    const finished = finishedJobsOf([row]);
    if (finished.length > 0) await outcomes.finished(tx, after, finished);
    return { state };
  });
}

/**
 * Hands a job back (an agent shutting down): queued again for another agent, and the attempt is not counted,
 * since the job did not fail. A job whose cancel was requested ends cancelled instead.
 */
export async function releaseJob(ctx: Ctx, lease: Lease, reason: string, outcomes: JobOutcomes): Promise<{ state: JobState }> {
  return inTransaction(ctx, async (tx, after) => {
    const current = await tx
      .selectFrom('jobs')
      .select(['cancel_requested', 'queue_id'])
      .where('id', '=', lease.jobId)
      .where('team_id', '=', lease.teamId)
      .executeTakeFirst();
    if (!current) throw notFound(`job "${truncate(lease.jobId)}"`);
    const line = serverLogLine(`agent "${lease.agent}" handed the job back: ${reason}`);
    const changes =
      current.cancel_requested === 1
        ? { state: 'cancelled' as const, finished_at: Date.now(), lease_until: null, error: 'cancelled while running' }
        : {
            state: 'queued' as const,
            agent: null,
            lease_until: null,
            claimed_at: null,
            started_at: null,
            attempts: sql<number>`attempts - 1`,
          };
    const row = await leased(tx, lease)
      .where('cancel_requested', '=', current.cancel_requested)
      .set({ ...changes, log_tail: sql<string>`log_tail || ${line}` })
      .returning(['id', 'run_id', 'state', 'exit_code', 'error'])
      .executeTakeFirst();
    if (!row) return refuse(tx, lease);
    if (row.state === 'queued') after.notify(CHANNEL_JOBS, current.queue_id);
    const finished = finishedJobsOf([row]);
    if (finished.length > 0) await outcomes.finished(tx, after, finished);
    return { state: row.state };
  });
}
