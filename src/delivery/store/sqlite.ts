// The run store on SQLite: one writer at a time by design. A claim is an `UPDATE … RETURNING` inside the dialect's
// BEGIN IMMEDIATE, which takes the write lock before the due rows are read, so two worker processes on one file never
// claim the same run; the same transaction then reads the batch's distinct webhooks once each (SQLite has no
// data-modifying CTE to join them in the claim, and a statement here is a function call, not a round trip).
import { sql } from 'kysely';
import type { Tx } from '../../db/index.js';
import { insertMany } from '../../db/bulk.js';
import { prepared, rawQuery } from '../../db/prepared.js';
import { writeTransaction } from '../../db/transaction.js';
import { BaseRunStore, dueRunsClaim, oldestDueFirst, succeededAssignments, WEBHOOK_NOW_COLUMNS, webhookIdsOf, webhooksWithSecrets, withWebhooks } from './base.js';
import type { ClaimedRun, NewDeliveryAttempt } from './index.js';

const claimDue = prepared((db, p: { owner: string; until: number; now: number; limit: number }) => dueRunsClaim(db, p, (eb, dueIds) => eb('id', 'in', dueIds)));

/** Webhooks by id (a JSON array, so the statement text is the same for any number of them). */
const webhooksNow = prepared((db, p: { ids: string }) =>
  webhooksWithSecrets(db)
    .select('w.id')
    .select(WEBHOOK_NOW_COLUMNS)
    .where('w.id', 'in', sql<string>`(select value from json_each(${p.ids}))`),
);

/**
 * The succeeded runs of one status as a JSON array, so the statement text (prepared once) is the same for any number
 * of them; SQLite walks the array and finds each run by its primary key.
 */
const succeeded = prepared((db, p: { status: number | null; now: number; owner: string; ids: string }) =>
  rawQuery(
    db,
    sql`update action_runs set ${succeededAssignments(p.now)}, attempts = attempts + 1, last_status = ${p.status}
         where id in (select value from json_each(${p.ids})) and lease_owner = ${p.owner}`,
  ),
);

export class SqliteRunStore extends BaseRunStore {
  async claimDue(owner: string, limit: number, leaseMs: number, now = Date.now()): Promise<ClaimedRun[]> {
    return writeTransaction(this.db, async (tx) => {
      const runs = await claimDue.rows(tx, { owner, until: now + leaseMs, now, limit });
      if (runs.length === 0) return [];
      const webhooks = await webhooksNow.rows(tx, { ids: JSON.stringify(webhookIdsOf(runs)) });
      return oldestDueFirst(withWebhooks(runs, webhooks));
    });
  }

  /** No row lock on SQLite: the acquisition's transaction holds the database's one write lock (BEGIN IMMEDIATE). */
  protected lockWebhookLimits(tx: Tx, webhookId: string) {
    return tx.selectFrom('webhooks').select(['max_concurrency', 'max_per_second', 'permit_queue_until']).where('id', '=', webhookId).executeTakeFirst();
  }

  /** The attempt rows and one update per distinct status (nearly always one), in one group-committed transaction. */
  protected async recordAllSucceeded(owner: string, attempts: NewDeliveryAttempt[], runs: Array<{ id: string; status: number | null }>, now: number): Promise<void> {
    await writeTransaction(this.db, async (tx) => {
      await insertMany(tx, 'delivery_attempts', attempts);
      for (const [status, group] of groupBy(runs, (run) => run.status)) {
        await succeeded.run(tx, { status, now, owner, ids: JSON.stringify(group.map((run) => run.id)) });
      }
    });
  }
}

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
