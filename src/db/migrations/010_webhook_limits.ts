// Flood control per webhook (core/endpoint-limits.ts): at most `max_concurrency` requests in flight to the endpoint and
// at most `max_per_second` sent in any second, across every worker sharing the database (null: unlimited).
//
// webhook_permits: one row per request a worker may send to a limited endpoint, granted under the webhook's row lock
// (the acquisitions for one webhook are serialized). A permit counts as in flight until it expires: at the run's
// lease end (a crashed worker's permits free themselves when its leases would), or at once when the worker records
// the attempt and releases it. It counts towards the rate while granted_at is within the last second; rows that do
// neither any more are deleted by the next acquisition for the webhook. Only limited webhooks ever get rows.
//
// webhooks.permit_queue_until: the turns handed out to runs that had to wait — the next waiting run is due after it,
// so a backlog comes due at the endpoint's pace instead of being claimed and deferred again every few milliseconds.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  await db.schema.alterTable('webhooks').addColumn('max_concurrency', 'integer').execute();
  await db.schema.alterTable('webhooks').addColumn('max_per_second', 'integer').execute();
  await db.schema.alterTable('webhooks').addColumn('permit_queue_until', 'bigint').execute();
  await db.schema
    .createTable('webhook_permits')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('owner', 'varchar(255)', (c) => c.notNull())
    .addColumn('granted_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_permits_webhook').on('webhook_permits').columns(['webhook_id', 'granted_at']).execute();
  await db.schema.createIndex('webhook_permits_run').on('webhook_permits').column('run_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_permits').execute();
  for (const name of ['permit_queue_until', 'max_per_second', 'max_concurrency']) await db.schema.alterTable('webhooks').dropColumn(name).execute();
}
