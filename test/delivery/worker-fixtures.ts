// Shared by the delivery tests: a migrated database of the test's own, and action runs inserted the way dispatch
// inserts them (pending, due now, everything frozen), so the worker can be exercised without the automations API.
import type { Config } from '../../src/config.js';
import { createDatabase, ensureSchema, type DatabaseHandle } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { ActionRun, NewActionRun } from '../../src/db/schema.js';
import { newId } from '../../src/core/ids.js';

export async function openTestDatabase(config: Config): Promise<DatabaseHandle> {
  await ensureSchema(config);
  const handle = createDatabase(config);
  await migrateToLatest(handle.db);
  return handle;
}

export function pendingRun(overrides: Partial<NewActionRun> = {}): NewActionRun {
  const now = Date.now();
  return {
    id: newId(),
    team_id: 'team-1',
    automation_id: 'automation-1',
    automation_name: 'deploy',
    event_id: newId(),
    event_type: 'LINK_ARTIFACT',
    action_type: 'webhook',
    state: 'pending',
    webhook_id: null,
    webhook_name: 'ci',
    url: 'http://127.0.0.1:9/hook',
    secret_name: null,
    access_token_name: null,
    body: '{"event":"LINK_ARTIFACT"}',
    job_id: null,
    queue_name: null,
    attempts: 0,
    next_attempt_at: now,
    lease_owner: null,
    lease_until: null,
    last_status: null,
    last_error: null,
    suppress_failure_event: 0,
    manual_redelivery: 0,
    created_at: now,
    finished_at: null,
    ...overrides,
  };
}

export async function insertRuns(handle: Pick<DatabaseHandle, 'db'>, runs: NewActionRun[]): Promise<void> {
  for (let i = 0; i < runs.length; i += 500) await handle.db.insertInto('action_runs').values(runs.slice(i, i + 500)).execute();
}

export async function readRun(handle: Pick<DatabaseHandle, 'db'>, id: string): Promise<ActionRun> {
  return handle.db.selectFrom('action_runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}
