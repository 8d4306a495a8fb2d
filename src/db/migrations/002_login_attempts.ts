// Login attempt counters move from each API process's memory into the database, so that the limit holds across
// processes behind a load balancer and a reservation is one atomic upsert (src/auth/login-limiter.ts).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_attempts')
    // `user:<name>` or `ip:<address>`: a name is at most 128 characters, an IPv6 address with zone fewer than 64.
    .addColumn('key', 'varchar(256)', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('first_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_attempts_pk', ['key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_attempts').ifExists().execute();
}
