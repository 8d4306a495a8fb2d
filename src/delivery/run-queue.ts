// The delivery worker's narrow port onto `action_runs` (pg-boss style): claim due runs under a lease, then finish each
// one — succeeded, retry at T, failed — only while the lease is still ours. This file and src/db/ are the only places
// that know the SQL dialect: claiming is `FOR UPDATE SKIP LOCKED` on PostgreSQL (many workers on many machines) and a
// single `UPDATE … RETURNING` inside `BEGIN IMMEDIATE` on SQLite (one writer at a time by design).
//
// A claimed run's next_attempt_at is moved to its lease expiry. The claim query is then just "pending and due" on
// the (state, next_attempt_at) index: runs in flight are not due, and a crashed worker's runs become due exactly when
// their lease runs out — nothing scans past leased rows, even under a backlog of a million runs.
import { PostgresAdapter, sql, type ExpressionBuilder, type Insertable } from 'kysely';
import type { Db, DialectName, Tx } from '../db/index.js';
import type { ActionRun, ActionRunUpdate, Database, DeliveryAttemptsTable } from '../db/schema.js';
import { insertMany } from '../db/bulk.js';
import { prepared, rawQuery } from '../db/prepared.js';
import { writeTransaction } from '../db/transaction.js';

/**
 * The columns of a run a delivery needs. Claims return only these: turning every column of every claimed row into a
 * JavaScript object cost SQLite more than the claim's own update did (measured: 22 full rows ~170 µs, the update ~95 µs).
 */
const RUN_COLUMNS = [
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

/**
 * A claimed run with what sending it needs from elsewhere, read by the claim itself (on PostgreSQL in the claim's own
 * statement, so the way from a commit to the request leaving is one round trip): whether its webhook has been disabled
 * since, and the encrypted values of the signing secret and access token it names (null when the secret is gone).
 * Secrets named inside the payload (`${NAME}`) are rare and resolved by the worker separately.
 */
export type ClaimedRun = Pick<ActionRun, (typeof RUN_COLUMNS)[number]> & {
  webhook_disabled_at: number | null;
  webhook_disabled_reason: string | null;
  signing_ciphertext: string | null;
  token_ciphertext: string | null;
};

export type NewDeliveryAttempt = Insertable<DeliveryAttemptsTable>;

/**
 * What sending a run needs from elsewhere, as scalar subqueries on `action_runs` — usable in a claim's RETURNING
 * (both databases allow subqueries there), so claiming and reading them is one statement on SQLite and PostgreSQL.
 * Each is an index lookup (webhooks by id, secrets by team and name).
 */
function sendContext(eb: ExpressionBuilder<Database, 'action_runs'>) {
  const webhook = () => eb.selectFrom('webhooks as w').whereRef('w.id', '=', 'action_runs.webhook_id');
  const secret = (name: 'action_runs.secret_name' | 'action_runs.access_token_name') =>
    eb.selectFrom('secrets as s').select('s.ciphertext').whereRef('s.team_id', '=', 'action_runs.team_id').whereRef('s.name', '=', name);
  return [
    webhook().select('w.disabled_at').as('webhook_disabled_at'),
    webhook().select('w.disabled_reason').as('webhook_disabled_reason'),
    secret('action_runs.secret_name').as('signing_ciphertext'),
    secret('action_runs.access_token_name').as('token_ciphertext'),
  ];
}

/** Runs by id with what sending them needs (see ClaimedRun), for a manual redelivery. */
export async function loadForSending(db: Db | Tx, runIds: string[]): Promise<ClaimedRun[]> {
  if (runIds.length === 0) return [];
  const rows = await db
    .selectFrom('action_runs')
    .select(RUN_COLUMNS)
    .select(sendContext)
    .where('id', 'in', runIds)
    .execute();
  return oldestDueFirst(rows);
}

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

/** A run whose attempt succeeded: the status to keep, and whether the attempt counts (no_op runs make none). */
export interface Succeeded {
  id: string;
  status: number | null;
  counted: boolean;
}

/**
 * Records a batch in which every attempt succeeded — the usual batch — and finishes its runs while the lease is ours.
 * PostgreSQL: one statement (the attempt rows are inserted by a data-modifying CTE of the update), instead of BEGIN,
 * insert, update and COMMIT — four round trips holding a connection. SQLite: the same two writes in one transaction.
 */
export async function recordSucceeded(db: Db, dialect: DialectName, owner: string, attempts: NewDeliveryAttempt[], runs: Succeeded[], now = Date.now()): Promise<void> {
  if (dialect === 'postgres') {
    const ids = runs.map((run) => run.id);
    await succeededOnPostgres.run(db, { attempts: JSON.stringify(attempts), now, runs: JSON.stringify(runs), ids, owner });
    return;
  }
  await writeTransaction(db, async (tx) => {
    if (attempts.length > 0) await insertMany(tx, 'delivery_attempts', attempts);
    for (const counted of [true, false]) {
      for (const [status, group] of groupBy(runs.filter((run) => run.counted === counted), (run) => run.status)) {
        const ids = JSON.stringify(group.map((run) => run.id));
        await succeededOnSqlite.run(tx, { added: counted ? 1 : 0, status, now, owner, ids });
      }
    }
  });
}

/**
 * The runs of one status as a JSON array, so the statement text (prepared once) is the same for any number of them;
 * SQLite walks the array and finds each run by its primary key.
 */
const succeededOnSqlite = prepared((db, p: { added: number; status: number | null; now: number; owner: string; ids: string }) =>
  rawQuery(
    db,
    sql`update action_runs
           set state = 'succeeded', attempts = attempts + ${p.added}, last_status = ${p.status}, last_error = null,
               lease_owner = null, lease_until = null, next_attempt_at = null, manual_redelivery = 0, finished_at = ${p.now}
         where id in (select value from json_each(${p.ids})) and lease_owner = ${p.owner}`,
  ),
);

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

const attemptColumns = () => sql.join(ATTEMPT_COLUMNS.map((column) => sql.ref(column)));

/**
 * The runs are found by `id = any(ids)`, which PostgreSQL answers from the primary key whatever its statistics say;
 * joined only on the JSON rows, the generic plan of this named statement scanned the whole table (measured).
 */
const succeededOnPostgres = prepared((db, p: { attempts: string; now: number; runs: string; ids: string[]; owner: string }) =>
  rawQuery(
    db,
    sql`with recorded as (
      insert into delivery_attempts (${attemptColumns()})
      select ${attemptColumns()} from json_populate_recordset(null::delivery_attempts, ${p.attempts}))
    update action_runs as r
       set state = 'succeeded', attempts = r.attempts + case when x.counted then 1 else 0 end, last_status = x.status,
           last_error = null, lease_owner = null, lease_until = null, next_attempt_at = null, manual_redelivery = 0,
           finished_at = ${p.now}
      from json_to_recordset(${p.runs}) as x(id text, status integer, counted boolean)
     where r.id = x.id and r.id = any(${p.ids}) and r.lease_owner = ${p.owner}`,
  ),
);

const ATTEMPT_COLUMNS = [
  'id',
  'run_id',
  'team_id',
  'number',
  'trigger',
  'started_at',
  'duration_ms',
  'url',
  'request_headers',
  'status',
  'error',
  'response_headers',
  'response_body',
] as const satisfies ReadonlyArray<keyof NewDeliveryAttempt>;

// RETURNING follows no ORDER BY; the batch is put back in creation order (UUIDv7 ids) so older runs go out first.
function oldestDueFirst<T extends { id: string }>(rows: T[]): T[] {
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

/**
 * The claim: due runs, oldest first, leased to `owner`, returned with what sending them needs — one statement. On
 * PostgreSQL with SKIP LOCKED (concurrent workers each take different rows instead of queueing behind one another's
 * locks), planned for its values each time (a generic plan would scan every run; see PreparedOptions). On SQLite the
 * dialect's BEGIN IMMEDIATE takes the write lock before the due rows are read, so two worker processes on one file
 * never claim the same run.
 */
const claimDue = prepared(
  (db, p: { owner: string; until: number; now: number; limit: number }) =>
    db
      .updateTable('action_runs')
      .set({ lease_owner: p.owner, lease_until: p.until, next_attempt_at: p.until })
      .where('id', 'in', (eb) => {
        const due = eb
          .selectFrom('action_runs')
          .select('id')
          .where('state', '=', 'pending')
          .where('next_attempt_at', '<=', p.now)
          .where('action_type', 'in', DELIVERABLE_ACTIONS)
          .orderBy('next_attempt_at')
          .limit(p.limit);
        return db.getExecutor().adapter instanceof PostgresAdapter ? due.forUpdate().skipLocked() : due;
      })
      .returning(RUN_COLUMNS)
      .returning(sendContext),
  { planEachTime: true },
);

class PostgresRunQueue extends BaseRunQueue {
  async claimDueRuns(owner: string, limit: number, leaseMs: number, now = Date.now()): Promise<ClaimedRun[]> {
    return oldestDueFirst(await claimDue.rows(this.db, { owner, until: now + leaseMs, now, limit }));
  }
}

class SqliteRunQueue extends BaseRunQueue {
  async claimDueRuns(owner: string, limit: number, leaseMs: number, now = Date.now()): Promise<ClaimedRun[]> {
    return writeTransaction(this.db, async (tx) => oldestDueFirst(await claimDue.rows(tx, { owner, until: now + leaseMs, now, limit })));
  }
}
