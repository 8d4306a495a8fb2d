// A job created by an automation carries its event (type, model, version, alias, the artifact version string, author,
// event id) as a small JSON document on the job row, written when the job is enqueued. Stored rather than joined from
// `events`: the job answers an agent's claim (the hot path) with one row, keeps what it was started for however the
// events table is later pruned, and the artifact version string is the one its payload was rendered with — a job, like
// an action run, carries what it needs from the moment it is created. Null for jobs enqueued by hand.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('event', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('event').execute();
}
