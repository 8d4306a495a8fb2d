// The run store on PostgreSQL: many workers on many machines share one database. A claim locks its due rows with
// FOR UPDATE SKIP LOCKED (concurrent workers each take different rows instead of queueing behind one another's locks)
// and joins the claimed rows to their webhooks in the same statement (a data-modifying CTE); a batch whose attempts
// all succeeded is recorded by a single statement. A worker's batch is two round trips: claim, record.
import { sql, type SqlBool } from 'kysely';
import type { Tx } from '../../db/index.js';
import { prepared, rawQuery } from '../../db/prepared.js';
import { BaseRunStore, dueRunsClaim, oldestDueFirst, succeededAssignments, WEBHOOK_NOW_COLUMNS, WEBHOOK_NOW_NAMES, webhooksWithSecrets } from './base.js';
import type { ClaimedRun, NewDeliveryAttempt } from './index.js';

/**
 * The claimed ids are `= any(array(…))` of the due ones, locked FOR UPDATE SKIP LOCKED: the update then finds its rows
 * by primary key whatever the planner estimates, so the statement is named and planned once per connection. As
 * `id in (…)` its generic plan could scan every run (a semi-join sized for an unknown limit), and planning it for its
 * values on every claim cost about a millisecond of PostgreSQL's time per claim
 * (bench/results/design-measurements.md#claim-generic-plan).
 */
const claimDue = prepared((db, p: { owner: string; until: number; now: number; limit: number }) =>
  db
    .with('claimed', (cte) => dueRunsClaim(cte, p, (eb, dueIds) => sql<SqlBool>`${eb.ref('id')} = any(array(${dueIds.forUpdate().skipLocked()}))`))
    .selectFrom('claimed')
    // PostgreSQL flattens the derived table into plain joins: one primary-key lookup per claimed run.
    .leftJoin(webhooksWithSecrets(db).select('w.id').select(WEBHOOK_NOW_COLUMNS).as('wh'), 'wh.id', 'claimed.webhook_id')
    .selectAll('claimed')
    .select(WEBHOOK_NOW_NAMES.map((name) => `wh.${name}` as const)),
);

const ATTEMPT_COLUMNS = [
  'id',
  'run_id',
  'team_id',
  'webhook_id',
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

const attemptColumns = () => sql.join(ATTEMPT_COLUMNS.map((column) => sql.ref(column)));

/**
 * The attempt rows are inserted by a data-modifying CTE of the update: one statement instead of BEGIN, insert, update
 * and COMMIT — four round trips holding a connection. The runs are found by `id = any(ids)`, which PostgreSQL answers
 * from the primary key whatever its statistics say; joined only on the JSON rows, the generic plan of this named
 * statement scanned the whole table (bench/results/design-measurements.md#succeeded-by-id).
 */
const succeeded = prepared((db, p: { attempts: string; now: number; runs: string; ids: string[]; owner: string }) =>
  rawQuery(
    db,
    sql`with recorded as (
      insert into delivery_attempts (${attemptColumns()})
      select ${attemptColumns()} from json_populate_recordset(null::delivery_attempts, ${p.attempts}))
    update action_runs as r
       set ${succeededAssignments(p.now)}, attempts = r.attempts + 1, last_status = x.status
      from json_to_recordset(${p.runs}) as x(id text, status integer)
     where r.id = x.id and r.id = any(${p.ids}) and r.lease_owner = ${p.owner}`,
  ),
);

export class PostgresRunStore extends BaseRunStore {
  async claimDue(owner: string, limit: number, leaseMs: number, now = Date.now()): Promise<ClaimedRun[]> {
    return oldestDueFirst(await claimDue.rows(this.db, { owner, until: now + leaseMs, now, limit }));
  }

  /** The webhook's row lock: another worker's acquisition for the same webhook waits for this one to commit. */
  protected lockWebhookLimits(tx: Tx, webhookId: string) {
    return tx
      .selectFrom('webhooks')
      .select(['max_concurrency', 'max_per_second', 'permit_queue_until'])
      .where('id', '=', webhookId)
      .forUpdate()
      .executeTakeFirst();
  }

  protected async recordAllSucceeded(owner: string, attempts: NewDeliveryAttempt[], runs: Array<{ id: string; status: number | null }>, now: number): Promise<void> {
    await succeeded.run(this.db, { attempts: JSON.stringify(attempts), now, runs: JSON.stringify(runs), ids: runs.map((run) => run.id), owner });
  }
}
