// Team queues: named places for jobs. A queue with unfinished jobs is only deleted when the caller insists (force);
// its unfinished jobs are then cancelled and kept (they stay visible by id, with no queue), so an automation's
// history never points at a job that vanished.
import type { Db } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import type { JobState } from '../db/schema.js';
import type { Actor } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { conflict, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { checkName } from '../core/names.js';
import { inTransaction } from '../db/transaction.js';
import { UNFINISHED_STATES } from './job-states.js';
import { finishedJobsOf, type JobOutcomes } from './job-outcomes.js';

export const MAX_DESCRIPTION_LENGTH = 2000;

type Ctx = Pick<AppContext, 'db' | 'notifier'>;

export interface QueueCounts {
  queued: number;
  /** Claimed and running jobs: both are in an agent's hands. */
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

export interface QueueSummary {
  id: string;
  name: string;
  description: string;
  createdAt: number;
  counts: QueueCounts;
}

export interface QueueRow {
  id: string;
  team_id: string;
  name: string;
  description: string;
  created_at: number;
}

function emptyCounts(): QueueCounts {
  return { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
}

function addCount(counts: QueueCounts, state: JobState, count: number): void {
  const key: keyof QueueCounts = state === 'claimed' ? 'running' : state;
  counts[key] += count;
}

async function countsByQueue(db: Db, teamId: string, queueId?: string): Promise<Map<string, QueueCounts>> {
  let query = db
    .selectFrom('jobs')
    .select(['queue_id', 'state', (eb) => eb.fn.countAll<number | string>().as('count')])
    .where('team_id', '=', teamId)
    .groupBy(['queue_id', 'state']);
  if (queueId) query = query.where('queue_id', '=', queueId);
  const result = new Map<string, QueueCounts>();
  for (const row of await query.execute()) {
    const counts = result.get(row.queue_id) ?? emptyCounts();
    addCount(counts, row.state, Number(row.count));
    result.set(row.queue_id, counts);
  }
  return result;
}

function summarize(queue: QueueRow, counts: QueueCounts | undefined): QueueSummary {
  return { id: queue.id, name: queue.name, description: queue.description, createdAt: queue.created_at, counts: counts ?? emptyCounts() };
}

export async function createQueue(ctx: Ctx, actor: Actor, input: { name: string; description?: string }): Promise<QueueSummary> {
  checkName('name', input.name);
  const description = input.description ?? '';
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw invalid('description', `must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  const row = {
    id: newId(),
    team_id: actor.team.id,
    name: input.name,
    description,
    created_by: actor.user.id,
    created_at: Date.now(),
  };
  try {
    await inTransaction(ctx, async (tx) => {
      await tx.insertInto('queues').values(row).execute();
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`a queue named "${input.name}" already exists in this team`);
    throw error;
  }
  return summarize(row, undefined);
}

export async function findQueue(db: Db, teamId: string, name: string): Promise<QueueRow> {
  const queue = await db
    .selectFrom('queues')
    .select(['id', 'team_id', 'name', 'description', 'created_at'])
    .where('team_id', '=', teamId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!queue) throw notFound(`queue "${name}"`);
  return queue;
}

export async function listQueues(db: Db, teamId: string): Promise<QueueSummary[]> {
  const queues = await db
    .selectFrom('queues')
    .select(['id', 'team_id', 'name', 'description', 'created_at'])
    .where('team_id', '=', teamId)
    .orderBy('name')
    .execute();
  const counts = await countsByQueue(db, teamId);
  return queues.map((queue) => summarize(queue, counts.get(queue.id)));
}

export async function getQueue(db: Db, teamId: string, name: string): Promise<QueueSummary> {
  const queue = await findQueue(db, teamId, name);
  const counts = await countsByQueue(db, teamId, queue.id);
  return summarize(queue, counts.get(queue.id));
}

/**
 * Deletes a queue. Without `force`, unfinished jobs (queued, claimed, running) make it a 409 naming their count; with
 * it they are cancelled in the same transaction — an agent holding one learns on its next heartbeat (409: no longer
 * leased) and stops the process — and so are the automation runs waiting on them (`outcomes`).
 */
export async function deleteQueue(ctx: Ctx, actor: Actor, name: string, force: boolean, outcomes: JobOutcomes): Promise<{ cancelledJobs: number }> {
  return inTransaction(ctx, async (tx, after) => {
    const queue = await tx
      .selectFrom('queues')
      .select('id')
      .where('team_id', '=', actor.team.id)
      .where('name', '=', name)
      .executeTakeFirst();
    if (!queue) throw notFound(`queue "${name}"`);
    const unfinished = await tx
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('queue_id', '=', queue.id)
      .where('state', 'in', UNFINISHED_STATES)
      .executeTakeFirstOrThrow();
    const count = Number(unfinished.count);
    if (count > 0 && !force) {
      throw conflict(
        `queue "${name}" has ${count} unfinished job${count === 1 ? '' : 's'} (queued, claimed or running); delete with ?force=true to cancel them`,
        { unfinishedJobs: count },
      );
    }
    if (count > 0) {
      const now = Date.now();
      const cancelled = await tx
        .updateTable('jobs')
        .set({ state: 'cancelled', cancel_requested: 1, finished_at: now, lease_until: null, error: `cancelled: queue "${name}" was deleted` })
        .where('queue_id', '=', queue.id)
        .where('state', 'in', UNFINISHED_STATES)
        .returning(['id', 'run_id', 'state', 'exit_code', 'error'])
        .execute();
      const finished = finishedJobsOf(cancelled);
      if (finished.length > 0) await outcomes.finished(tx, after, finished);
    }
    await tx.deleteFrom('queues').where('id', '=', queue.id).execute();
    return { cancelledJobs: count };
  });
}
