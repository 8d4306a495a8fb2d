// Ordered migrations, applied at start-up and by `modelyard migrate`. The list is static so the compiled build and
// the TypeScript sources (tests) find the same migrations without scanning folders.
import { Migrator, PostgresAdapter, sql, type Migration } from 'kysely';
import type { Db } from './index.js';
import * as initial from './migrations/001_initial.js';
import * as loginAttempts from './migrations/002_login_attempts.js';
import * as jobEvents from './migrations/003_job_events.js';
import * as webhookHeaders from './migrations/004_webhook_headers.js';
import * as promotion from './migrations/005_promotion.js';
import * as deliveryControls from './migrations/006_delivery_controls.js';
import * as listen from './migrations/007_listen.js';
import * as usersAdmin from './migrations/008_users_admin.js';
import * as deliveryOrder from './migrations/009_delivery_order.js';
import * as webhookLimits from './migrations/010_webhook_limits.js';

const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_login_attempts': loginAttempts,
  '003_job_events': jobEvents,
  '004_webhook_headers': webhookHeaders,
  '005_promotion': promotion,
  '006_delivery_controls': deliveryControls,
  '007_listen': listen,
  '008_users_admin': usersAdmin,
  '009_delivery_order': deliveryOrder,
  '010_webhook_limits': webhookLimits,
};

export async function migrateToLatest(db: Db): Promise<string[]> {
  // Kysely looks for its migration tables in every schema unless told which one: with another schema of the same
  // database already migrated (tests, several installations) it would skip creating them here and then fail.
  const migrationTableSchema =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, migrationTableSchema });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
