// Listen webhooks and the team event stream (docs/receivers.md).
//   webhooks.mode             'push' (the worker sends to its URL) or 'listen' (no URL: a listener takes its runs from
//                             GET /api/v1/teams/{team}/stream and acknowledges each). A listen webhook stores '' as URL.
//   action_runs.stream        1 for runs delivered through the stream. Their due time is stream_due_at and their
//                             next_attempt_at stays null, so they never enter the range the delivery worker's claim walks
//                             (state, next_attempt_at): a backlog of unacknowledged stream runs costs the claim nothing.
//   action_runs.stream_due_at when the run is (again) due on the stream; moved to the acknowledgement deadline when a
//                             stream sends it, to the retry time when a failed answer is acknowledged.
//   action_runs.stream_sent_at when a stream last sent it (its webhook-timestamp); null once acknowledged.
//   action_runs.forwarded_from the run this one copies (`modelyard listen --automation`), or null.
//   automation_forwards       one automation's runs copied to a listen webhook while a listener keeps the forward alive.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhooks').addColumn('mode', 'varchar(16)', (c) => c.notNull().defaultTo('push')).execute();
  await db.schema.alterTable('action_runs').addColumn('stream', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('action_runs').addColumn('stream_due_at', 'bigint').execute();
  await db.schema.alterTable('action_runs').addColumn('stream_sent_at', 'bigint').execute();
  await db.schema.alterTable('action_runs').addColumn('forwarded_from', 'varchar(64)').execute();
  // The stream's query: a team's runs due on the stream, in due order (other runs have no stream_due_at).
  await db.schema.createIndex('action_runs_stream_due').on('action_runs').columns(['team_id', 'stream_due_at']).execute();
  await db.schema
    .createTable('automation_forwards')
    .addColumn('automation_id', 'varchar(64)', (c) => c.notNull().primaryKey())
    .addColumn('team_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('webhook_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('automation_forwards').execute();
  await db.schema.dropIndex('action_runs_stream_due').execute();
  for (const column of ['forwarded_from', 'stream_sent_at', 'stream_due_at', 'stream']) await db.schema.alterTable('action_runs').dropColumn(column).execute();
  await db.schema.alterTable('webhooks').dropColumn('mode').execute();
}
