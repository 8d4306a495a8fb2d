// The delivery worker's narrow port onto `action_runs` (pg-boss style): claim due runs under a lease, then finish each
// one — succeeded, retry at T, failed — only while the lease is still ours. This file and src/db/ are the only places
// that know the SQL dialect: claiming is `FOR UPDATE SKIP LOCKED` on PostgreSQL (many workers on many machines) and a
// single `UPDATE … RETURNING` inside `BEGIN IMMEDIATE` on SQLite (one writer at a time by design).
//
// A claimed run's next_attempt_at is moved to its lease expiry. The claim query is then just "pending and due" on
// the (state, next_attempt_at) index: runs in flight are not due, and a crashed worker's runs become due exactly when
// their lease runs out — nothing scans past leased rows, even under a backlog of a million runs.
import { sql } from 'kysely';
import type { Db, DialectName, Tx } from '../db/index.js';
import type { ActionRun, ActionRunUpdate } from '../db/schema.js';
import { writeTransaction } from '../db/transaction.js';

/**
 * The columns a delivery needs. Claims return only these: turning every column of every claimed row into a JavaScript
 * object cost SQLite more than the claim's own update did (measured: 22 full rows ~170 µs, the update ~95 µs).
 */
const CLAIMED_COLUMNS = [
  'id',
  'team_id',
  'automation_id',
  'automation_name',
  'event_id',
  'event_type',
  'action_type',
  'state',
  'webhook_id',
  'url',
  'secret_name',
  'access_token_name',
  'body',
  'attempts',
  'suppress_failure_event',
  'manual_redelivery',
] as const satisfies ReadonlyArray<keyof ActionRun>;

export type ClaimedRun = Pick<ActionRun, (typeof CLAIMED_COLUMNS)[number]>;
const returningClaimed = sql.join(CLAIMED_COLUMNS.map((column) => sql.ref(column)));

/** Action types the webhook worker executes; queue jobs are handed out to agents by the queues module. */
const DELIVERABLE_ACTIONS = ['webhook', 'no_op'] as const;

export interface RunQueue {
  /** Claims up to `limit` due runs for `owner` until `now + leaseMs`, oldest due first. */
  claimDueRuns(owner: string, limit: number, leaseMs: number, now?: number): Promise<ClaimedRun[]>;
  /** Claims one run whatever its state (manual redelivery), unless another worker holds a live lease on it. */
  claimRun(runId: string, teamId: string, owner: string, leaseMs: number, now?: number): Promise<ActionRun | undefined>;
  /** The earliest next_attempt_at of a pending run (the worker sleeps until then when nothing is due). */
  nextDueAt(): Promise<number | null>;
  /** Gives back claimed runs that were never sent (graceful stop): due again at once for any worker. */
  release(owner: string, runIds: string[]): Promise<void>;
}

/** The outcome written when a run is finished; `finishRun` adds the lease check and clears the lease. */
export type RunOutcome =
  | { state: 'succeeded'; status: number | null; attempts: number }
  | { state: 'pending'; nextAttemptAt: number; status: number | null; error: string | null; attempts: number }
  | { state: 'failed'; status: number | null; error: string | null; attempts: number };

/**
 * Applies `outcome` to the run if `owner` still holds it; false means the lease expired and another worker took the
 * run over (the caller then records nothing further for it, so a run is never finished twice).
 */
export async function finishRun(tx: Tx, runId: string, owner: string, outcome: RunOutcome, now = Date.now()): Promise<boolean> {
  const update: ActionRunUpdate = {
    state: outcome.state,
    attempts: outcome.attempts,
    last_status: outcome.status,
    last_error: outcome.state === 'succeeded' ? null : outcome.error,
    lease_owner: null,
    lease_until: null,
    manual_redelivery: 0,
    next_attempt_at: outcome.state === 'pending' ? outcome.nextAttemptAt : null,
    finished_at: outcome.state === 'pending' ? null : now,
  };
  const result = await tx.updateTable('action_runs').set(update).where('id', '=', runId).where('lease_owner', '=', owner).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Ends a manual attempt on a run claimed with `claimRun`: `update` says what changes (a succeeded run, or only the
 * last status when the run keeps waiting for its automatic retries), and the lease is given back.
 */
export async function finishClaimedRun(tx: Tx, runId: string, owner: string, update: ActionRunUpdate): Promise<boolean> {
  const result = await tx
    .updateTable('action_runs')
    .set({ ...update, lease_owner: null, lease_until: null })
    .where('id', '=', runId)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// RETURNING follows no ORDER BY; the batch is put back in creation order (UUIDv7 ids) so older runs go out first.
function oldestDueFirst(rows: ClaimedRun[]): ClaimedRun[] {
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function createRunQueue(db: Db, dialect: DialectName): RunQueue {
  return dialect === 'postgres' ? new PostgresRunQueue(db) : new SqliteRunQueue(db);
}

abstract class BaseRunQueue implements RunQueue {
  constructor(protected readonly db: Db) {}

  abstract claimDueRuns(owner: string, limit: number, leaseMs: number, now?: number): Promise<ClaimedRun[]>;

  async claimRun(runId: string, teamId: string, owner: string, leaseMs: number, now = Date.now()): Promise<ActionRun | undefined> {
    const until = now + leaseMs;
    // A pending run's due time moves with the lease like in claimDueRuns, so a crash during the manual attempt hands
    // the run back to the workers; the caller restores the automatic schedule afterwards.
    return this.db
      .updateTable('action_runs')
      .set({
        lease_owner: owner,
        lease_until: until,
        next_attempt_at: sql<number | null>`case when state = 'pending' then ${until} else next_attempt_at end`,
      })
      .where('id', '=', runId)
      .where('team_id', '=', teamId)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .returningAll()
      .executeTakeFirst();
  }

  async nextDueAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('action_runs')
      .select('next_attempt_at')
      .where('state', '=', 'pending')
      .where('next_attempt_at', 'is not', null)
      .where('action_type', 'in', DELIVERABLE_ACTIONS)
      .orderBy('next_attempt_at')
      .limit(1)
      .executeTakeFirst();
    return row?.next_attempt_at ?? null;
  }

  async release(owner: string, runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    await this.db
      .updateTable('action_runs')
      .set({ lease_owner: null, lease_until: null, next_attempt_at: Date.now() })
      .where('id', 'in', runIds)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'pending')
      .execute();
  }
}

class PostgresRunQueue extends BaseRunQueue {
  async claimDueRuns(owner: string, limit: number, leaseMs: number, now = Date.now()): Promise<ClaimedRun[]> {
    const until = now + leaseMs;
    // SKIP LOCKED: concurrent workers each take different rows instead of queueing behind one another's locks.
    const result = await sql<ClaimedRun>`
      update action_runs
         set lease_owner = ${owner}, lease_until = ${until}, next_attempt_at = ${until}
       where id in (
         select id from action_runs
          where state = 'pending' and next_attempt_at <= ${now}
            and action_type in (${sql.join(DELIVERABLE_ACTIONS)})
          order by next_attempt_at
          limit ${limit}
          for update skip locked)
      returning ${returningClaimed}`.execute(this.db);
    return oldestDueFirst(result.rows);
  }
}

class SqliteRunQueue extends BaseRunQueue {
  async claimDueRuns(owner: string, limit: number, leaseMs: number, now = Date.now()): Promise<ClaimedRun[]> {
    const until = now + leaseMs;
    // The dialect begins transactions with BEGIN IMMEDIATE: the write lock is taken before the due rows are read, so
    // two worker processes on one file never claim the same run.
    return writeTransaction(this.db, async (tx) => {
      const result = await sql<ClaimedRun>`
        update action_runs
           set lease_owner = ${owner}, lease_until = ${until}, next_attempt_at = ${until}
         where id in (
           select id from action_runs
            where state = 'pending' and next_attempt_at <= ${now}
              and action_type in (${sql.join(DELIVERABLE_ACTIONS)})
            order by next_attempt_at
            limit ${limit})
        returning ${returningClaimed}`.execute(tx);
      return oldestDueFirst(result.rows);
    });
  }
}
