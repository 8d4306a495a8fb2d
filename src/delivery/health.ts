// A webhook's endpoint health — success rate and latency over the last hour and day, read from its own attempts (a
// range of the delivery_attempts_webhook index: the cost follows the webhook's traffic, not the table) — with the
// circuit breaker's state kept on the webhook row (core/endpoint-health.ts); and recovery: re-enable a webhook and
// deliver again every run of it that failed since a given time.
import type { AppContext } from '../context.js';
import type { Db } from '../db/index.js';
import type { Webhook } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { CHANNEL_RUNS } from '../context.js';
import { invalid } from '../core/errors.js';
import { getWebhook, HEALTHY } from '../automations/webhooks.js';
import { MAX_RECOVERY_WINDOW_MS } from './history.js';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

export interface WindowHealth {
  /** Attempts that made a request (a delivery refused before sending says nothing about the endpoint). */
  attempts: number;
  succeeded: number;
  /** succeeded / attempts; null without attempts. */
  successRate: number | null;
  /** Of the attempts' durations; null without attempts. */
  latencyMs: { avg: number; p95: number; max: number } | null;
}

export interface WebhookHealth {
  /**
   * healthy | failing (failures in a row, circuit closed) | paused (a 429 asked to wait: runs wait until then) |
   * circuit_open (only probes are sent) | disabled
   */
  state: 'healthy' | 'failing' | 'paused' | 'circuit_open' | 'disabled';
  consecutiveFailures: number;
  failingSince: number | null;
  lastError: { at: number; message: string } | null;
  circuit: { failuresToOpen: number; open: boolean; nextProbeAt: number | null };
  disableAfterSeconds: number | null;
  disabled: { at: number; reason: string } | null;
  lastHour: WindowHealth;
  lastDay: WindowHealth;
}

function healthState(webhook: Webhook): WebhookHealth['state'] {
  if (webhook.disabled_at !== null) return 'disabled';
  if (webhook.probe_at !== null) return webhook.consecutive_failures >= webhook.circuit_failures ? 'circuit_open' : 'paused';
  return webhook.consecutive_failures > 0 ? 'failing' : 'healthy';
}

/** The attempts of `webhookId` since `from` that made a request, on the (webhook_id, started_at) index. */
function attemptsSince(db: Db, webhookId: string, from: number) {
  return db
    .selectFrom('delivery_attempts')
    .where('webhook_id', '=', webhookId)
    .where('started_at', '>=', from)
    .where('request_headers', '!=', '{}');
}

async function windowHealth(db: Db, webhookId: string, from: number): Promise<WindowHealth> {
  const row = await attemptsSince(db, webhookId, from)
    .select((eb) => [
      eb.fn.countAll().as('attempts'),
      eb.fn.sum(eb.case().when(eb.and([eb('status', '>=', 200), eb('status', '<', 300)])).then(1).else(0).end()).as('succeeded'),
      eb.fn.avg('duration_ms').as('avg'),
      eb.fn.max('duration_ms').as('max'),
    ])
    .executeTakeFirstOrThrow();
  const attempts = Number(row.attempts);
  if (attempts === 0) return { attempts: 0, succeeded: 0, successRate: null, latencyMs: null };
  const succeeded = Number(row.succeeded ?? 0);
  // The 95th percentile: the duration with 5 % of the attempts above it.
  const p95 = await attemptsSince(db, webhookId, from)
    .select('duration_ms')
    .orderBy('duration_ms', 'desc')
    .limit(1)
    .offset(Math.floor(attempts * 0.05))
    .executeTakeFirst();
  return {
    attempts,
    succeeded,
    successRate: succeeded / attempts,
    latencyMs: { avg: Math.round(Number(row.avg)), p95: Number(p95?.duration_ms ?? row.max), max: Number(row.max) },
  };
}

export async function webhookHealth(db: Db, teamId: string, id: string, now = Date.now()): Promise<WebhookHealth> {
  const webhook = await getWebhook(db, teamId, id);
  const [lastHour, lastDay] = await Promise.all([windowHealth(db, id, now - HOUR_MS), windowHealth(db, id, now - DAY_MS)]);
  return {
    state: healthState(webhook),
    consecutiveFailures: webhook.consecutive_failures,
    failingSince: webhook.failing_since,
    lastError: webhook.last_error === null || webhook.last_error_at === null ? null : { at: webhook.last_error_at, message: webhook.last_error },
    circuit: { failuresToOpen: webhook.circuit_failures, open: webhook.probe_at !== null, nextProbeAt: webhook.probe_at },
    disableAfterSeconds: webhook.disable_after_seconds,
    disabled: webhook.disabled_at === null ? null : { at: webhook.disabled_at, reason: webhook.disabled_reason ?? '' },
    lastHour,
    lastDay,
  };
}

/**
 * Re-enables the webhook, starts its health afresh (circuit closed), and puts every run of it that failed and was
 * created since `since` (at most 14 days back) back in the queue — due now, marked manual like the runs' own bulk
 * redelivery: each is sent once more and not retried. One transaction. Returns the webhook and how many runs.
 */
export async function recoverWebhook(
  ctx: Pick<AppContext, 'db' | 'notifier'>,
  teamId: string,
  id: string,
  since: number,
  now = Date.now(),
): Promise<{ webhook: Webhook; redelivered: number }> {
  if (since > now) throw invalid('since', 'must not be in the future');
  if (now - since > MAX_RECOVERY_WINDOW_MS) throw invalid('since', 'must be at most 14 days ago');
  return inTransaction(ctx, async (tx, after) => {
    const current = await getWebhook(tx, teamId, id);
    const webhook: Webhook = { ...current, ...HEALTHY, disabled_at: null, disabled_reason: null, updated_at: now };
    await tx
      .updateTable('webhooks')
      .set({ ...HEALTHY, disabled_at: null, disabled_reason: null, updated_at: now })
      .where('id', '=', id)
      .execute();
    const result = await tx
      .updateTable('action_runs')
      .set({ state: 'pending', next_attempt_at: now, manual_redelivery: 1, finished_at: null, lease_owner: null, lease_until: null })
      .where('team_id', '=', teamId)
      .where('webhook_id', '=', id)
      .where('state', '=', 'failed')
      .where('action_type', '=', 'webhook')
      .where('created_at', '>=', since)
      .executeTakeFirst();
    const redelivered = Number(result.numUpdatedRows);
    if (redelivered > 0) after.notify(CHANNEL_RUNS);
    return { webhook, redelivered };
  });
}
