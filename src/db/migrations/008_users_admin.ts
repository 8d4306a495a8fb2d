// Instance admins deactivate users (issue 17): a deactivated user keeps their name, history and memberships (what
// they did stays attributed), but cannot log in, and their sessions and API keys are gone. Null: active.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('deactivated_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('deactivated_at').execute();
}
