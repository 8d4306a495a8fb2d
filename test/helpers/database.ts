// Shared by the delivery tests: a migrated database of the test's own, and action runs inserted the way dispatch
// inserts them (pending, due now, everything frozen), so the worker can be exercised without the automations API.
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Config } from '../../src/config.js';
import { createDatabase, ensureSchema, type DatabaseHandle } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { ActionRun, Event, EventType, NewActionRun } from '../../src/db/schema.js';
import type { AppContext } from '../../src/context.js';
import { inTransaction } from '../../src/db/transaction.js';
import { recordEvent } from '../../src/automations/events.js';
import { afterAll, beforeAll } from 'vitest';
import { CLI_ARGS, dropTestData, testConfig, type Client } from './index.js';
import { newId } from '../../src/core/ids.js';

export async function openTestDatabase(config: Config): Promise<DatabaseHandle> {
  await ensureSchema(config);
  const handle = createDatabase(config);
  await migrateToLatest(handle.db);
  return handle;
}

/**
 * A migrated database of the calling test file's own: opened before its tests, closed and dropped after them. Read
 * `.handle` inside hooks and tests (it is set once the file's first beforeAll has run).
 */
export function useTestDatabase(): { readonly handle: DatabaseHandle } {
  const config = testConfig();
  let handle: DatabaseHandle | undefined;
  beforeAll(async () => {
    handle = await openTestDatabase(config);
  });
  afterAll(async () => {
    await handle?.close();
    await dropTestData(config);
  });
  return {
    get handle() {
      if (!handle) throw new Error('useTestDatabase: the database is opened in beforeAll; read .handle inside hooks and tests');
      return handle;
    },
  };
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
    check_name: null,
    stream: 0,
    stream_due_at: null,
    stream_sent_at: null,
    forwarded_from: null,
    subject: null,
    sequence: null,
    not_before: null,
    superseded_by: null,
    created_at: now,
    finished_at: null,
    ...overrides,
  };
}

export async function insertRuns(handle: Pick<DatabaseHandle, 'db'>, runs: NewActionRun[]): Promise<void> {
  for (let i = 0; i < runs.length; i += 500) await handle.db.insertInto('action_runs').values(runs.slice(i, i + 500)).execute();
}

/**
 * A webhook row inserted directly (the API would refuse secret names that do not exist): runs are sent wherever their
 * webhook points when they are attempted, so a run inserted with pendingRun() needs one to be delivered.
 */
export async function insertWebhookRow(
  handle: Pick<DatabaseHandle, 'db'>,
  fields: { team_id: string; url: string; secret_name?: string | null; access_token_name?: string | null },
): Promise<string> {
  const id = newId();
  const now = Date.now();
  await handle.db
    .insertInto('webhooks')
    .values({
      id,
      team_id: fields.team_id,
      name: `hook-${id.slice(-12)}`,
      url: fields.url,
      secret_name: fields.secret_name ?? null,
      access_token_name: fields.access_token_name ?? null,
      disabled_at: null,
      disabled_reason: null,
      created_by: 'test',
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

export async function readRun(handle: Pick<DatabaseHandle, 'db'>, id: string): Promise<ActionRun> {
  return handle.db.selectFrom('action_runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function teamId(client: Client, team: string): Promise<string> {
  const reply = await client.get(`/api/v1/teams/${team}`);
  return reply.body.id as string;
}

/** Records a registry event the way the registry does (its own transaction), which dispatches the matching runs. */
export async function fireEvent(
  ctx: AppContext,
  input: { teamId: string; type?: EventType; collection?: string; alias?: string | null; versionIndex?: number; modelId?: string },
): Promise<Event> {
  return inTransaction(ctx, (tx, after) =>
    recordEvent(tx, after, {
      teamId: input.teamId,
      type: input.type ?? 'LINK_ARTIFACT',
      project: 'model-registry',
      collection: input.collection ?? 'classifier',
      versionIndex: input.versionIndex ?? 0,
      alias: input.alias ?? null,
      author: 'alice',
      metadata: { accuracy: 0.93 },
      ...(input.modelId === undefined ? {} : { modelId: input.modelId }),
    }, ctx.config),
  );
}

export async function runsOfEvent(ctx: AppContext, eventId: string): Promise<ActionRun[]> {
  return ctx.db.selectFrom('action_runs').selectAll().where('event_id', '=', eventId).orderBy('id').execute();
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves once the process logged that it started. */
  ready: Promise<void>;
  output(): string;
  /** The URL a process that serves the API logged at start (after `ready`). */
  url(): string;
  /** Kills with `signal` and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A real `modelyard serve --role worker` (or another role) process on the config's database (and its master key file). */
export function spawnWorker(config: Config, env: Record<string, string> = {}, role: 'worker' | 'api' | 'all' = 'worker'): WorkerProcess {
  const child = spawn(process.execPath, [...CLI_ARGS, 'serve', '--role', role], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      PATH: process.env.PATH,
      MODELYARD_DATA_DIR: config.dataDir,
      MODELYARD_HOST: '127.0.0.1',
      MODELYARD_PORT: '0',
      MODELYARD_LOG_LEVEL: 'info',
      MODELYARD_WEBHOOK_ALLOW: '127.0.0.0/8',
      ...(config.databaseUrl ? { DATABASE_URL: config.databaseUrl } : {}),
      ...(config.databaseSchema ? { MODELYARD_DATABASE_SCHEMA: config.databaseSchema } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('modelyard started')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before starting: ${output}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid: child.pid!,
    ready,
    output: () => output,
    url() {
      const url = /"url":"(http:[^"]+)"/.exec(output)?.[1];
      if (!url) throw new Error(`the process logged no URL: ${output}`);
      return url;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
