// Endpoint health and the circuit breaker (src/core/endpoint-health.ts).
//
// delivery_attempts.webhook_id with an index on (webhook_id, started_at): a webhook's health (success rate and
// latency over the last hour and day) is a range scan over its own recent attempts, however many other attempts the
// table holds. Filled by the worker as it records each attempt (no extra statement), backfilled here from the runs.
//
// On webhooks, the breaker's state, kept by the recording transaction of failed attempts (a batch of successes to a
// healthy endpoint writes nothing here): consecutive failed attempts, since when the endpoint has been failing, the
// last error, and probe_at — set while the circuit is open: the earliest time the next probe may go. And the
// breaker's settings per webhook: after how many consecutive failures the circuit opens, and after how long failing
// the webhook is disabled (null: never).
//
// On automations, flood control (src/core/flood-control.ts): the rate limit and cooldown (null: none), and the
// counters dispatch keeps — the current window's start and count, and when the last run was admitted.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('delivery_attempts').addColumn('webhook_id', 'varchar(64)').execute();
  await sql`update delivery_attempts set webhook_id = (select r.webhook_id from action_runs r where r.id = delivery_attempts.run_id)`.execute(db);
  await db.schema.createIndex('delivery_attempts_webhook').on('delivery_attempts').columns(['webhook_id', 'started_at']).execute();

  const columns: Array<[string, string, (c: any) => any]> = [
    ['consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0)],
    ['failing_since', 'bigint', (c) => c],
    ['last_error', 'text', (c) => c],
    ['last_error_at', 'bigint', (c) => c],
    ['probe_at', 'bigint', (c) => c],
    ['circuit_failures', 'integer', (c) => c.notNull().defaultTo(20)],
    ['disable_after_seconds', 'integer', (c) => c.defaultTo(3 * 24 * 3600)],
  ];
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const [name, type, build] of columns) await db.schema.alterTable('webhooks').addColumn(name, type as 'text', build).execute();

  const automationColumns: Array<[string, string, (c: any) => any]> = [
    ['rate_limit_max', 'integer', (c) => c],
    ['rate_limit_per_seconds', 'integer', (c) => c],
    ['cooldown_seconds', 'integer', (c) => c],
    ['rate_window_start', 'bigint', (c) => c],
    ['rate_window_count', 'integer', (c) => c.notNull().defaultTo(0)],
    ['last_sent_at', 'bigint', (c) => c],
  ];
  for (const [name, type, build] of automationColumns) await db.schema.alterTable('automations').addColumn(name, type as 'text', build).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of ['last_sent_at', 'rate_window_count', 'rate_window_start', 'cooldown_seconds', 'rate_limit_per_seconds', 'rate_limit_max']) {
    await db.schema.alterTable('automations').dropColumn(name).execute();
  }
  for (const name of ['disable_after_seconds', 'circuit_failures', 'probe_at', 'last_error_at', 'last_error', 'failing_since', 'consecutive_failures']) {
    await db.schema.alterTable('webhooks').dropColumn(name).execute();
  }
  await db.schema.dropIndex('delivery_attempts_webhook').execute();
  await db.schema.alterTable('delivery_attempts').dropColumn('webhook_id').execute();
}
