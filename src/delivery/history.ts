// Delivery history: action runs newest first with their last outcome, one run with every attempt, and bulk recovery
// of failed runs (svix's "recover": every failed run in a window of at most 14 days is delivered again).
import type { AppContext } from '../context.js';
import type { ActionRun, RunState } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { CHANNEL_RUNS } from '../context.js';

export const MAX_RECOVERY_WINDOW_MS = 14 * 24 * 3600 * 1000;

export interface RunListFilter {
  automationId?: string;
  state?: RunState;
  limit: number;
  /** The id of the last run of the previous page (ids are time-ordered UUIDv7). */
  before?: string;
}

/** Runs of a team (or of one automation), newest first; fetches `limit + 1` so the caller can tell if more exist. */
export async function listRuns(ctx: AppContext, teamId: string, filter: RunListFilter): Promise<ActionRun[]> {
  let query = ctx.db.selectFrom('action_runs').selectAll().where('team_id', '=', teamId);
  if (filter.automationId !== undefined) query = query.where('automation_id', '=', filter.automationId);
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  return query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
}

export interface RunDetail {
  run: ActionRun;
  attempts: Array<{
    number: number;
    trigger: 'automatic' | 'manual';
    started_at: number;
    duration_ms: number;
    url: string;
    request_headers: string;
    status: number | null;
    error: string | null;
    response_headers: string;
    response_body: string;
  }>;
}

export async function getRun(ctx: AppContext, teamId: string, runId: string): Promise<RunDetail | undefined> {
  const run = await ctx.db.selectFrom('action_runs').selectAll().where('id', '=', runId).where('team_id', '=', teamId).executeTakeFirst();
  if (!run) return undefined;
  const attempts = await ctx.db
    .selectFrom('delivery_attempts')
    .select(['number', 'trigger', 'started_at', 'duration_ms', 'url', 'request_headers', 'status', 'error', 'response_headers', 'response_body'])
    .where('run_id', '=', runId)
    .orderBy('number')
    .orderBy('started_at')
    .execute();
  return { run, attempts };
}

/** Whether the team has (or had) this automation: a deleted automation's runs stay readable. */
export async function automationExists(ctx: AppContext, teamId: string, automationId: string): Promise<boolean> {
  const row = await ctx.db.selectFrom('automations').select('id').where('id', '=', automationId).where('team_id', '=', teamId).executeTakeFirst();
  if (row) return true;
  const run = await ctx.db.selectFrom('action_runs').select('id').where('automation_id', '=', automationId).where('team_id', '=', teamId).limit(1).executeTakeFirst();
  return run !== undefined;
}

/**
 * Puts every failed webhook run created in [since, until) back in the queue, due now and marked manual: the worker
 * sends each once more, records the attempt as manual and does not retry it. Returns how many runs were requeued.
 */
export async function redeliverFailedRuns(
  ctx: AppContext,
  teamId: string,
  window: { since: number; until: number; automationId?: string },
): Promise<number> {
  return inTransaction(ctx, async (tx, after) => {
    const now = Date.now();
    // Runs of listen webhooks go back on the team's stream (stream_due_at), the others to the worker (next_attempt_at).
    const requeue = (stream: 0 | 1) => {
      let query = tx
        .updateTable('action_runs')
        .set({
          state: 'pending',
          ...(stream === 1 ? { stream_due_at: now, stream_sent_at: null } : { next_attempt_at: now }),
          manual_redelivery: 1,
          finished_at: null,
          lease_owner: null,
          lease_until: null,
        })
        .where('team_id', '=', teamId)
        .where('state', '=', 'failed')
        .where('action_type', '=', 'webhook')
        .where('stream', '=', stream)
        .where('created_at', '>=', window.since)
        .where('created_at', '<', window.until);
      if (window.automationId !== undefined) query = query.where('automation_id', '=', window.automationId);
      return query.executeTakeFirst();
    };
    const count = Number((await requeue(0)).numUpdatedRows) + Number((await requeue(1)).numUpdatedRows);
    if (count > 0) after.notify(CHANNEL_RUNS);
    return count;
  });
}
