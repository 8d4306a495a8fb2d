// What both run stores share: every statement that is the same on SQLite and PostgreSQL. The subclasses add the two
// that differ — the due-runs claim and the all-succeeded batch record.
import { sql, type Expression, type ExpressionBuilder, type Kysely, type QueryCreator, type SqlBool } from 'kysely';
import type { Db, Tx } from '../../db/index.js';
import type { Database } from '../../db/schema.js';
import { insertMany } from '../../db/bulk.js';
import { outcomeColumns, succeededColumns } from '../../automations/run-states.js';
import { recordAutomationFailed, recordWebhookDisabled } from '../../automations/events.js';
import { HEALTHY } from '../../automations/webhooks.js';
import { afterFailure, withPause } from '../../core/endpoint-health.js';
import { lockSubjects, settleOrderedRun, type OrderedRun } from '../../automations/subjects.js';
import { inTransaction, writeTransaction, type AfterCommit } from '../../db/transaction.js';
import { allotPermits, isLimited, RATE_WINDOW_MS } from '../../core/endpoint-limits.js';
import { newId } from '../../core/ids.js';
import type { ClaimedRun, NewDeliveryAttempt, OneClaim, PermitGrant, RecordedAttempt, RunStore, RunStoreContext } from './index.js';

/**
 * The columns of a run a delivery needs. Claims return only these: turning every column of every claimed row into a
 * JavaScript object cost SQLite more than the claim's own update did (bench/results/design-measurements.md#claim-columns).
 */
export const RUN_COLUMNS = [
  'id',
  'team_id',
  'automation_id',
  'automation_name',
  'event_id',
  'event_type',
  'state',
  'webhook_id',
  'body',
  'attempts',
  'suppress_failure_event',
  'manual_redelivery',
  // Non-null for runs of ordered delivery: recording them hands their subject on (automations/subjects.ts).
  'subject',
] as const;

/** Action types the delivery worker executes; queue jobs are handed to agents, no-op runs are finished by dispatch. */
export const DELIVERED_ACTION = 'webhook';

/** A run's webhook as it is at the moment of the claim (see ClaimedRun). */
export type WebhookNow = Omit<ClaimedRun, (typeof RUN_COLUMNS)[number]>;

/** No webhook row: it has been deleted since the run was created. */
const NO_WEBHOOK: WebhookNow = {
  webhook_url: null,
  webhook_secret_name: null,
  webhook_token_name: null,
  webhook_headers: null,
  webhook_disabled_at: null,
  webhook_disabled_reason: null,
  webhook_consecutive_failures: null,
  webhook_probe_at: null,
  webhook_max_concurrency: null,
  webhook_max_per_second: null,
  signing_ciphertext: null,
  token_ciphertext: null,
};

/**
 * The webhook columns a delivery needs, selected from `webhooks as w` joined to its signing secret (`sig`) and its
 * access token (`tok`) — index lookups by (team, name). Both stores select these: SQLite once per batch for the
 * batch's distinct webhooks, PostgreSQL in the claim's own statement.
 */
export const WEBHOOK_NOW_COLUMNS = [
  'w.url as webhook_url',
  'w.secret_name as webhook_secret_name',
  'w.access_token_name as webhook_token_name',
  'w.headers as webhook_headers',
  'w.disabled_at as webhook_disabled_at',
  'w.disabled_reason as webhook_disabled_reason',
  'w.consecutive_failures as webhook_consecutive_failures',
  'w.probe_at as webhook_probe_at',
  'w.max_concurrency as webhook_max_concurrency',
  'w.max_per_second as webhook_max_per_second',
  'sig.ciphertext as signing_ciphertext',
  'tok.ciphertext as token_ciphertext',
] as const;

/** The names WEBHOOK_NOW_COLUMNS select as. */
export const WEBHOOK_NOW_NAMES = [
  'webhook_url',
  'webhook_secret_name',
  'webhook_token_name',
  'webhook_headers',
  'webhook_disabled_at',
  'webhook_disabled_reason',
  'webhook_consecutive_failures',
  'webhook_probe_at',
  'webhook_max_concurrency',
  'webhook_max_per_second',
  'signing_ciphertext',
  'token_ciphertext',
] as const satisfies ReadonlyArray<keyof WebhookNow>;

/** `webhooks as w` with its two secrets joined, ready for WEBHOOK_NOW_COLUMNS. */
export function webhooksWithSecrets(db: Kysely<Database>) {
  return db
    .selectFrom('webhooks as w')
    .leftJoin('secrets as sig', (join) => join.onRef('sig.team_id', '=', 'w.team_id').onRef('sig.name', '=', 'w.secret_name'))
    .leftJoin('secrets as tok', (join) => join.onRef('tok.team_id', '=', 'w.team_id').onRef('tok.name', '=', 'w.access_token_name'));
}

/**
 * Completes claimed runs with their webhooks (`webhooks`: the rows of the runs' distinct webhook ids, with `id`), in
 * place — a batch has few distinct webhooks, so each is read once, not once per run.
 */
export function withWebhooks<R extends { webhook_id: string | null }>(runs: R[], webhooks: Array<WebhookNow & { id: string }>): Array<R & WebhookNow> {
  const byId = new Map<string, WebhookNow>();
  for (const { id, ...webhook } of webhooks) byId.set(id, webhook);
  return runs.map((run) => Object.assign(run, (run.webhook_id !== null && byId.get(run.webhook_id)) || NO_WEBHOOK));
}

/** Completes runs with their webhooks as they are now: one query for their distinct webhooks. */
export async function withWebhooksNow<R extends { webhook_id: string | null }>(db: Kysely<Database>, runs: R[]): Promise<Array<R & WebhookNow>> {
  const ids = webhookIdsOf(runs);
  const webhooks = ids.length === 0 ? [] : await webhooksWithSecrets(db).select('w.id').select(WEBHOOK_NOW_COLUMNS).where('w.id', 'in', ids).execute();
  return withWebhooks(runs, webhooks);
}

/** The distinct webhook ids of claimed runs. */
export function webhookIdsOf(runs: Array<{ webhook_id: string | null }>): string[] {
  const ids = new Set<string>();
  for (const run of runs) if (run.webhook_id !== null) ids.add(run.webhook_id);
  return [...ids];
}

/** The ids of the due runs a claim takes, oldest due first (`limit` of them). */
function dueRunIds(db: QueryCreator<Database>, p: { now: number; limit: number }) {
  return (
    db
      .selectFrom('action_runs')
      .select('id')
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', p.now)
      .where('action_type', '=', DELIVERED_ACTION)
      // Listen webhooks' runs go through the stream (delivery/listen.ts). They keep next_attempt_at null, so this
      // never has to skip one in the walk; it guards against any path that gives one a due time.
      .where('stream', '=', 0)
      .orderBy('next_attempt_at')
      .limit(p.limit)
  );
}

export type DueIds = ReturnType<typeof dueRunIds>;

/**
 * The claim of due runs, built on either database; `amongDue` says how the claimed ids are picked from the due ones
 * (with the row locking the database needs).
 */
export function dueRunsClaim(
  db: QueryCreator<Database>,
  p: { owner: string; until: number; now: number; limit: number },
  amongDue: (eb: ExpressionBuilder<Database, 'action_runs'>, dueIds: DueIds) => Expression<SqlBool>,
) {
  return db
    .updateTable('action_runs')
    .set({ lease_owner: p.owner, lease_until: p.until, next_attempt_at: p.until })
    .where((eb) => amongDue(eb, dueRunIds(db, p)))
    .returning(RUN_COLUMNS);
}

/** The columns of a succeeded run as `column = value` assignments, for the raw all-succeeded statements. */
export function succeededAssignments(now: unknown) {
  return sql.join(Object.entries(succeededColumns(0)).map(([column, value]) => sql`${sql.ref(column)} = ${column === 'finished_at' ? now : value}`));
}

// RETURNING follows no ORDER BY; the batch is put back in creation order (UUIDv7 ids) so older runs go out first.
export function oldestDueFirst<T extends { id: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export abstract class BaseRunStore implements RunStore {
  protected readonly db: Db;

  constructor(protected readonly ctx: RunStoreContext) {
    this.db = ctx.db;
  }

  abstract claimDue(owner: string, limit: number, leaseMs: number, now?: number): Promise<ClaimedRun[]>;

  /** The webhook's limits, read under a lock that serializes permit acquisitions for it until the transaction ends. */
  protected abstract lockWebhookLimits(
    tx: Tx,
    webhookId: string,
  ): Promise<{ max_concurrency: number | null; max_per_second: number | null; permit_queue_until: number | null } | undefined>;

  /** Writes a batch in which every attempt succeeded and nothing else happens — the usual batch — as cheaply as the database allows. */
  protected abstract recordAllSucceeded(owner: string, attempts: NewDeliveryAttempt[], runs: Array<{ id: string; status: number | null }>, now: number): Promise<void>;

  async claimOne(runId: string, teamId: string, owner: string, leaseMs: number, now = Date.now()): Promise<OneClaim> {
    const before = await this.db
      .selectFrom('action_runs as r')
      .leftJoin('webhooks as w', 'w.id', 'r.webhook_id')
      .select(['r.state', 'r.next_attempt_at', 'r.subject', 'w.id as webhook'])
      .where('r.id', '=', runId)
      .where('r.team_id', '=', teamId)
      .executeTakeFirst();
    if (!before) return { kind: 'missing' };
    if (before.webhook === null) return { kind: 'webhook_deleted' };
    const until = now + leaseMs;
    // An ordered run waiting for its subject (no due time) keeps waiting: a manual attempt does not change the order.
    const waiting = before.state === 'pending' && before.subject !== null && before.next_attempt_at === null;
    // A pending run's due time moves with the lease as in claimDue, so a crash during the manual attempt hands the run
    // back to the workers; recording the attempt restores the automatic schedule (dueAt).
    const run = await this.db
      .updateTable('action_runs')
      .set({
        lease_owner: owner,
        lease_until: until,
        next_attempt_at: waiting ? null : sql<number | null>`case when state = 'pending' then ${until} else next_attempt_at end`,
      })
      .where('id', '=', runId)
      .where('team_id', '=', teamId)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .returning(RUN_COLUMNS)
      .executeTakeFirst();
    if (!run) return { kind: 'busy' };
    const [claimed] = await withWebhooksNow(this.db, [run]);
    return { kind: 'claimed', run: claimed!, dueAt: before.state === 'pending' && !waiting ? (before.next_attempt_at ?? now) : null, waiting };
  }

  async record(owner: string, recorded: RecordedAttempt[], now = Date.now()): Promise<void> {
    if (recorded.length === 0) return;
    const attempts = recorded.map((r) => r.attempt);
    if (recorded.every((r) => r.outcome.state === 'succeeded' && r.disableWebhook === null && !r.raiseFailure && (r.health ?? null) === null && (r.run.subject ?? null) === null)) {
      return this.recordAllSucceeded(owner, attempts, recorded.map((r) => ({ id: r.run.id, status: r.outcome.status })), now);
    }
    await inTransaction(this.ctx, async (tx, after) => {
      // Ordered runs' subjects are locked before any run is written (automations/subjects.ts).
      const ordered = recorded.flatMap(({ run }) => (run.subject ? [{ id: run.id, automation_id: run.automation_id, subject: run.subject } satisfies OrderedRun] : []));
      const subjects = ordered.length === 0 ? null : await lockSubjects(tx, ordered);
      await insertMany(tx, 'delivery_attempts', attempts);
      for (const { run, outcome, disableWebhook, raiseFailure, health, attempt, pauseUntil } of recorded) {
        // The endpoint answered (or failed to) whoever holds the run now: its health counts the attempt either way.
        if (health != null && run.webhook_id !== null) await recordHealth(tx, after, this.ctx.config, run.webhook_id, health, attempt, pauseUntil ?? null, now);
        if (!(await finishRun(tx, run.id, owner, outcomeColumns(outcome, now)))) continue;
        if (subjects !== null && run.subject) await settleOrderedRun(tx, after, subjects, { id: run.id, automation_id: run.automation_id, subject: run.subject }, outcome, now);
        if (disableWebhook !== null && run.webhook_id !== null) {
          await tx
            .updateTable('webhooks')
            .set({ disabled_at: now, disabled_reason: disableWebhook })
            .where('id', '=', run.webhook_id)
            .where('disabled_at', 'is', null)
            .execute();
        }
        if (raiseFailure && outcome.state === 'failed') await recordAutomationFailed(tx, after, this.ctx.config, run, outcome);
      }
    });
  }

  async release(owner: string, runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    await this.db
      .updateTable('action_runs')
      .set({ lease_owner: null, lease_until: null, next_attempt_at: Date.now() })
      .where('id', 'in', runIds)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'pending')
      .execute();
  }

  async takeProbe(webhookId: string, now: number, holdUntil: number): Promise<boolean> {
    const result = await this.db
      .updateTable('webhooks')
      .set({ probe_at: holdUntil })
      .where('id', '=', webhookId)
      .where('probe_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async defer(owner: string, runIds: string[], at: number): Promise<void> {
    if (runIds.length === 0) return;
    await this.db
      .updateTable('action_runs')
      .set({ lease_owner: null, lease_until: null, next_attempt_at: at })
      .where('id', 'in', runIds)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'pending')
      .execute();
  }

  async acquirePermits(webhookId: string, owner: string, runIds: string[], now: number, holdUntil: number): Promise<PermitGrant> {
    if (runIds.length === 0) return { granted: [], waiting: [] };
    return writeTransaction(this.db, async (tx) => {
      const webhook = await this.lockWebhookLimits(tx, webhookId);
      const limits = { maxConcurrency: webhook?.max_concurrency ?? null, maxPerSecond: webhook?.max_per_second ?? null };
      // Deleted (the runs are refused without a request) or no longer limited: nothing to count.
      if (!webhook || !isLimited(limits)) return { granted: runIds, waiting: [] };
      // Permits neither in flight nor within the rate window count for nothing any more.
      await tx
        .deleteFrom('webhook_permits')
        .where('webhook_id', '=', webhookId)
        .where('expires_at', '<=', now)
        .where('granted_at', '<=', now - RATE_WINDOW_MS)
        .execute();
      const permits = await tx.selectFrom('webhook_permits').select(['granted_at', 'expires_at']).where('webhook_id', '=', webhookId).execute();
      const allotment = allotPermits(
        limits,
        {
          inFlight: permits.filter((p) => Number(p.expires_at) > now).length,
          recentGrants: permits.map((p) => Number(p.granted_at)),
          queueUntil: webhook.permit_queue_until === null ? null : Number(webhook.permit_queue_until),
        },
        runIds.length,
        now,
      );
      const granted = runIds.slice(0, allotment.granted);
      if (granted.length > 0) {
        await insertMany(
          tx,
          'webhook_permits',
          granted.map((runId) => ({ id: newId(), webhook_id: webhookId, run_id: runId, owner, granted_at: now, expires_at: holdUntil })),
        );
      }
      if (allotment.queueUntil !== webhook.permit_queue_until) {
        await tx.updateTable('webhooks').set({ permit_queue_until: allotment.queueUntil }).where('id', '=', webhookId).execute();
      }
      return { granted, waiting: runIds.slice(granted.length).map((id, i) => ({ id, at: allotment.waitUntil[i]! })) };
    });
  }

  async releasePermits(owner: string, runIds: string[], now = Date.now()): Promise<void> {
    if (runIds.length === 0) return;
    // Expired now rather than deleted: a permit still counts towards maxPerSecond for a second after its grant.
    await this.db
      .updateTable('webhook_permits')
      .set({ expires_at: now })
      .where('run_id', 'in', runIds)
      .where('owner', '=', owner)
      .where('expires_at', '>', now)
      .execute();
  }

  async deferEach(owner: string, schedule: Array<{ id: string; at: number }>): Promise<void> {
    if (schedule.length === 0) return;
    // One statement for the batch: each run's own due time by its id.
    const dueAt = sql<number>`case ${sql.join(
      schedule.map(({ id, at }) => sql`when id = ${id} then cast(${at} as bigint)`),
      sql` `,
    )} end`;
    await this.db
      .updateTable('action_runs')
      .set({ lease_owner: null, lease_until: null, next_attempt_at: dueAt })
      .where('id', 'in', schedule.map(({ id }) => id))
      .where('lease_owner', '=', owner)
      .where('state', '=', 'pending')
      .execute();
  }

  async nextDueAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('action_runs')
      .select('next_attempt_at')
      .where('state', '=', 'pending')
      .where('next_attempt_at', 'is not', null)
      .where('action_type', '=', DELIVERED_ACTION)
      .orderBy('next_attempt_at')
      .limit(1)
      .executeTakeFirst();
    return row?.next_attempt_at ?? null;
  }
}

/**
 * Counts an attempt in its endpoint's health: a failure adds to the failures in a row (opening the circuit at the
 * webhook's threshold, disabling the webhook once it has failed for too long, with WEBHOOK_DISABLED); an answer after
 * failures clears them and closes the circuit.
 */
async function recordHealth(
  tx: Tx,
  after: AfterCommit,
  config: RunStoreContext['config'],
  webhookId: string,
  health: 'failed' | 'reset',
  attempt: NewDeliveryAttempt,
  pauseUntil: number | null,
  now: number,
): Promise<void> {
  if (health === 'reset') {
    await tx.updateTable('webhooks').set(HEALTHY).where('id', '=', webhookId).where('consecutive_failures', '>', 0).execute();
    return;
  }
  const error = attempt.error ?? (attempt.status === null || attempt.status === undefined ? 'no response' : `HTTP ${attempt.status}`);
  const webhook = await tx
    .updateTable('webhooks')
    .set((eb) => ({
      consecutive_failures: eb('consecutive_failures', '+', 1),
      failing_since: eb.fn.coalesce('failing_since', eb.val(attempt.started_at)),
      last_error: error,
      last_error_at: attempt.started_at,
    }))
    .where('id', '=', webhookId)
    .returning(['id', 'team_id', 'name', 'consecutive_failures', 'failing_since', 'circuit_failures', 'disable_after_seconds', 'disabled_at'])
    .executeTakeFirst();
  if (!webhook || webhook.disabled_at !== null) return;
  const endpoint = {
    consecutiveFailures: webhook.consecutive_failures,
    failingSince: Number(webhook.failing_since ?? attempt.started_at),
    circuitFailures: webhook.circuit_failures,
    disableAfterSeconds: webhook.disable_after_seconds,
  };
  const consequence = withPause(afterFailure(endpoint, now), pauseUntil);
  if (consequence.kind === 'open_circuit') {
    await tx.updateTable('webhooks').set({ probe_at: consequence.probeAt }).where('id', '=', webhookId).execute();
  } else if (consequence.kind === 'disable') {
    await tx.updateTable('webhooks').set({ disabled_at: now, disabled_reason: consequence.reason, probe_at: null }).where('id', '=', webhookId).execute();
    await recordWebhookDisabled(tx, after, config, {
      id: webhook.id,
      team_id: webhook.team_id,
      name: webhook.name,
      reason: consequence.reason,
      failingSince: endpoint.failingSince,
      consecutiveFailures: endpoint.consecutiveFailures,
    });
  }
}

/** Applies a finished run's columns if `owner` still holds its lease; false when it does not (taken over or cancelled). */
async function finishRun(tx: Tx, runId: string, owner: string, columns: ReturnType<typeof outcomeColumns>): Promise<boolean> {
  const result = await tx.updateTable('action_runs').set(columns).where('id', '=', runId).where('lease_owner', '=', owner).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
