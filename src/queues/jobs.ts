// Jobs: the rows agents claim and run. This file holds enqueueing (called by automation dispatch inside the event's
// transaction, and by the API for hand-made jobs), reading, cancelling and requeueing; the agents' side (claim,
// heartbeat, log, result, release) lives in ./agent-protocol.ts.
import type { Actor } from '../auth/actor.js';
import { CHANNEL_JOBS, type AppContext } from '../context.js';
import { insertMany } from '../db/bulk.js';
import type { Db, Tx } from '../db/index.js';
import type { Insertable } from 'kysely';
import type { Job, JobsTable, JobState } from '../db/schema.js';
import { inTransaction, type AfterCommit } from '../db/transaction.js';
import { conflict, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { truncate } from '../core/names.js';
import { FINISHED_STATES } from './job-states.js';
import { parseJobEvent, type JobEvent } from './job-event.js';
import { finishedJobsOf, type JobOutcomes } from './job-outcomes.js';

export interface NewJob {
  teamId: string;
  queueId: string;
  /** The rendered job template: JSON object text (validated by the caller; stored as is). */
  payload: string;
  runId: string | null;
  automationId: string | null;
  eventId: string | null;
  /** The event an automation's job was created for (null for jobs enqueued by hand). */
  event: JobEvent | null;
  /** The id of the user the job is created for. */
  createdBy: string;
  /** Leases a job may lose before it is failed (MODELYARD_JOB_MAX_ATTEMPTS unless the caller chose). */
  maxAttempts: number;
}

/**
 * Inserts queued jobs together (src/db/bulk.ts: one statement on PostgreSQL, multi-row chunks on SQLite), as
 * automation dispatch inserts its runs, and wakes the agents long-polling their queues once the transaction commits.
 * Returns the new jobs' ids in the order of `jobs`.
 */
export async function insertJobs(tx: Tx, after: AfterCommit, jobs: NewJob[]): Promise<string[]> {
  const now = Date.now();
  const rows = jobs.map((job): Insertable<JobsTable> & { id: string } => ({
    id: newId(),
    team_id: job.teamId,
    queue_id: job.queueId,
    run_id: job.runId,
    automation_id: job.automationId,
    event_id: job.eventId,
    payload: job.payload,
    event: job.event === null ? null : JSON.stringify(job.event),
    state: 'queued',
    attempts: 0,
    max_attempts: job.maxAttempts,
    agent: null,
    lease_until: null,
    cancel_requested: 0,
    exit_code: null,
    error: null,
    log_tail: '',
    created_by: job.createdBy,
    created_at: now,
    claimed_at: null,
    started_at: null,
    finished_at: null,
  }));
  await insertMany(tx, 'jobs', rows);
  for (const queueId of new Set(jobs.map((job) => job.queueId))) after.notify(CHANNEL_JOBS, queueId);
  return rows.map((row) => row.id);
}


type Ctx = Pick<AppContext, 'db' | 'notifier'>;

/** A job row with the names a reader wants next to the ids (the queue is null once the queue was deleted). */
export interface JobRecord extends Job {
  queue_name: string | null;
  created_by_name: string | null;
}

/** Largest job payload accepted by hand (automation payloads are bounded by their templates). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

function jobsWithNames(db: Db) {
  return db
    .selectFrom('jobs')
    .leftJoin('queues', 'queues.id', 'jobs.queue_id')
    .leftJoin('users', 'users.id', 'jobs.created_by')
    .selectAll('jobs')
    .select(['queues.name as queue_name', 'users.name as created_by_name']);
}

export async function getJob(db: Db, teamId: string, jobId: string): Promise<JobRecord> {
  const job = await jobsWithNames(db).where('jobs.team_id', '=', teamId).where('jobs.id', '=', jobId).executeTakeFirst();
  if (!job) throw notFound(`job "${truncate(jobId)}"`);
  return job;
}

/** Newest first; `afterId` is the last id of the previous page. */
export async function listJobs(
  db: Db,
  input: { teamId: string; queueId: string; states?: JobState[]; limit: number; afterId?: string },
): Promise<JobRecord[]> {
  let query = jobsWithNames(db)
    .where('jobs.team_id', '=', input.teamId)
    .where('jobs.queue_id', '=', input.queueId)
    .orderBy('jobs.id', 'desc')
    .limit(input.limit + 1);
  if (input.states && input.states.length > 0) query = query.where('jobs.state', 'in', input.states);
  if (input.afterId) query = query.where('jobs.id', '<', input.afterId);
  return query.execute();
}

/** Checks a hand-made payload: a JSON object, bounded in size. Returns the text to store. */
export function checkPayload(field: string, payload: unknown): string {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw invalid(field, 'must be a JSON object');
  const text = JSON.stringify(payload);
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) throw invalid(field, `must be at most ${MAX_PAYLOAD_BYTES} bytes of JSON`);
  return text;
}

export async function enqueueByHand(
  ctx: Ctx,
  actor: Actor,
  input: { queueId: string; payload: unknown; maxAttempts: number },
): Promise<{ id: string }> {
  const payload = checkPayload('payload', input.payload);
  const [id] = await inTransaction(ctx, (tx, after) =>
    insertJobs(tx, after, [
      {
        teamId: actor.team.id,
        queueId: input.queueId,
        payload,
        runId: null,
        automationId: null,
        eventId: null,
        event: null,
        createdBy: actor.user.id,
        maxAttempts: input.maxAttempts,
      },
    ]),
  );
  return { id: id! };
}

/**
 * Cancels a job. A queued job is cancelled at once; a claimed or running one gets `cancel_requested`, which its
 * agent sees on its next heartbeat: it stops the process and reports, and the job ends `cancelled`. Cancelling a
 * finished job is a 409; cancelling twice is harmless.
 */
export async function cancelJob(ctx: Ctx, actor: Actor, jobId: string, outcomes: JobOutcomes): Promise<void> {
  await inTransaction(ctx, async (tx, after) => {
    const job = await tx.selectFrom('jobs').select(['state']).where('team_id', '=', actor.team.id).where('id', '=', jobId).executeTakeFirst();
    if (!job) throw notFound(`job "${truncate(jobId)}"`);
    if (FINISHED_STATES.includes(job.state)) throw conflict(`job is already ${job.state}`, { state: job.state });
    if (job.state === 'queued') {
      const cancelled = await tx
        .updateTable('jobs')
        .set({ state: 'cancelled', cancel_requested: 1, finished_at: Date.now(), error: 'cancelled before an agent claimed it' })
        .where('id', '=', jobId)
        .where('state', '=', 'queued')
        .returning(['id', 'run_id', 'state', 'exit_code', 'error'])
        .execute();
      const finished = finishedJobsOf(cancelled);
      if (finished.length > 0) await outcomes.finished(tx, after, finished);
    } else {
      await tx.updateTable('jobs').set({ cancel_requested: 1 }).where('id', '=', jobId).execute();
    }
  });
}

/**
 * Runs a finished job again as a NEW queued job with the same payload and the same automation/event links; the
 * original keeps its result and log, so history shows both runs. The automation's run, if any, goes back to pending
 * and follows the new job. Unfinished jobs cannot be requeued (409), nor jobs whose queue was deleted.
 */
export async function requeueJob(ctx: Ctx, actor: Actor, jobId: string, outcomes: JobOutcomes): Promise<{ id: string }> {
  const [id] = await inTransaction(ctx, async (tx, after) => {
    const job = await tx
      .selectFrom('jobs')
      .leftJoin('queues', 'queues.id', 'jobs.queue_id')
      .select([
        'jobs.state',
        'jobs.queue_id',
        'jobs.payload',
        'jobs.event',
        'jobs.run_id',
        'jobs.automation_id',
        'jobs.event_id',
        'jobs.max_attempts',
        'queues.id as existing_queue',
      ])
      .where('jobs.team_id', '=', actor.team.id)
      .where('jobs.id', '=', jobId)
      .executeTakeFirst();
    if (!job) throw notFound(`job "${truncate(jobId)}"`);
    if (!FINISHED_STATES.includes(job.state)) throw conflict(`job is ${job.state}; only finished jobs can be requeued`, { state: job.state });
    if (!job.existing_queue) throw conflict('the queue of this job was deleted');
    const ids = await insertJobs(tx, after, [
      {
        teamId: actor.team.id,
        queueId: job.queue_id,
        payload: job.payload,
        runId: job.run_id,
        automationId: job.automation_id,
        eventId: job.event_id,
        event: parseJobEvent(job.event),
        createdBy: actor.user.id,
        maxAttempts: job.max_attempts,
      },
    ]);
    if (job.run_id !== null) await outcomes.requeued(tx, { jobId: ids[0]!, runId: job.run_id, previousJobId: jobId });
    return ids;
  });
  return { id: id! };
}

/** What a run's history shows of its job: the job's state and outcome, and where to find it. */
export interface JobSummary {
  id: string;
  state: JobState;
  exitCode: number | null;
  error: string | null;
  /** The queue's name; null once the queue was deleted. */
  queue: string | null;
}

/** The team's jobs among `ids`, by id (one query for a page of runs). */
export async function jobSummaries(db: Db, teamId: string, ids: string[]): Promise<Map<string, JobSummary>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('jobs')
    .leftJoin('queues', 'queues.id', 'jobs.queue_id')
    .select(['jobs.id', 'jobs.state', 'jobs.exit_code', 'jobs.error', 'queues.name as queue_name'])
    .where('jobs.team_id', '=', teamId)
    .where('jobs.id', 'in', ids)
    .execute();
  return new Map(rows.map((row) => [row.id, { id: row.id, state: row.state, exitCode: row.exit_code, error: row.error, queue: row.queue_name }]));
}
