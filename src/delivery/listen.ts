// Delivery through the team's event stream, for listen webhooks (no URL; docs/receivers.md). The worker never claims
// these runs (they keep next_attempt_at null; migration 007): a stream connection takes them instead, and the
// listener's acknowledgement finishes each the way a worker's attempt would.
//
// A stream run's states (the run's own states are automations/run-states.ts's: pending → succeeded | pending | failed):
//   DUE        pending, stream_due_at <= now                 created, a retry whose time came, or released on resume
//      │ takeDueStreamRuns: claimed for one connection (lease_owner = stream:<connection>), prepared exactly as the
//      │ worker prepares a request (same body bytes, same signed headers), written to the stream
//   SENT       pending, stream_sent_at set, stream_due_at = the acknowledgement deadline
//      │ acknowledgeStreamRun: the listener's local answer, decided by decideDelivery like any attempt
//      ├─▶ succeeded (2xx)
//      ├─▶ DUE again at the retry time (a failed answer with retries left)
//      └─▶ failed (AUTOMATION_FAILED unless suppressed, as for any delivery)
//   SENT ──deadline passes with no acknowledgement, or the listener resumes with the connection's last event id──▶ DUE
// Delivery is at-least-once, as for webhooks: a listener killed between forwarding and acknowledging gets the run
// again; a run acknowledged is never sent again. The run id is the `webhook-id` receivers deduplicate on.
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { conflict, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { decideDelivery, type AttemptResponse } from '../core/delivery-decision.js';
import { redactSecrets, redactSecretsInHeaders } from '../core/redact.js';
import { decryptSecret } from '../auth/secrets.js';
import { recordAutomationFailed } from '../automations/events.js';
import { outcomeColumns, type RunOutcome } from '../automations/run-states.js';
import { inTransaction, writeTransaction } from '../db/transaction.js';
import type { Tx } from '../db/index.js';
import { redactHeaders } from './headers.js';
import { prepareClaimed, type PreparedDelivery } from './prepare.js';
import { RUN_COLUMNS, withWebhooksNow } from './store/base.js';
import type { ClaimedRun } from './store/index.js';

/**
 * Signalled after a change to a team's stream runs that no new run announces (an acknowledged retry, a release), so
 * its streams look at their next due time again. Streams also listen on CHANNEL_RUNS (new runs).
 */
export const CHANNEL_STREAM = 'stream';

/** The lease owner of runs sent on a stream connection. */
const STREAM_OWNER_PREFIX = 'stream:';
/** A connection id: random, so a resume cursor cannot name another listener's connection. */
const CONNECTION_ID = /^[A-Za-z0-9_-]{8,32}$/;
/** The stored excerpt of a listener's local answer, as for a delivery's response. */
export const ACK_BODY_EXCERPT_CHARS = 64 * 1024;

export function newConnectionId(): string {
  return randomBytes(12).toString('base64url');
}

export function isConnectionId(value: string): boolean {
  return CONNECTION_ID.test(value);
}

const ownerOf = (connection: string) => `${STREAM_OWNER_PREFIX}${connection}`;

/**
 * How long a listener has to acknowledge a delivery before it is sent again: the worker's lease for the same run (the
 * longest a send may take, plus its margin), so a listener forwarding within the webhook timeout is never raced.
 */
export function ackDeadlineMs(ctx: Pick<AppContext, 'config'>): number {
  return ctx.config.webhookTimeoutMs + ctx.config.deliveryLeaseMs;
}

/** One delivery as a stream sends it: what a webhook would have received, byte for byte, and what it belongs to. */
export interface StreamDelivery {
  runId: string;
  /** The attempt this delivery is (1 for the first); retries and redeliveries count up. */
  attempt: number;
  webhook: string | null;
  automation: { id: string; name: string };
  eventType: string;
  eventId: string;
  /** The event's model version, e.g. `classifier:v3` (with its alias: `classifier:v3 (production)`), or null. */
  version: string | null;
  /** The run this one copies (`modelyard listen --automation`), or null. */
  forwardedFrom: string | null;
  /** The exact body bytes (UTF-8) a webhook would have received: sign-checked against `headers`. */
  body: string;
  /** The request headers a webhook would have received, signatures and Authorization included. */
  headers: Record<string, string>;
}

type StreamRun = ClaimedRun & { stream_sent_at: number | null; forwarded_from: string | null; webhook_name: string | null };

type Filter = { teamId: string; webhookId: string | null };

function dueQuery(ctx: Pick<AppContext, 'db'> | { db: Tx }, filter: Filter, now: number) {
  let query = ctx.db
    .selectFrom('action_runs')
    .select('id')
    .where('team_id', '=', filter.teamId)
    .where('stream_due_at', '<=', now)
    .where('state', '=', 'pending')
    .where('stream', '=', 1);
  if (filter.webhookId !== null) query = query.where('webhook_id', '=', filter.webhookId);
  return query;
}

/** The secrets attached to the run's webhook, decrypted, and the request prepared as the worker would send it. */
function prepare(ctx: Pick<AppContext, 'keyring'>, run: StreamRun, timestampMs: number): PreparedDelivery {
  return prepareClaimed(run, (teamId, name, ciphertext) => decryptSecret(ctx.keyring, teamId, name, ciphertext), timestampMs, { customHeaders: false });
}

const STREAM_COLUMNS = [...RUN_COLUMNS, 'stream_sent_at', 'forwarded_from', 'webhook_name'] as const;

/**
 * Takes up to `limit` due stream runs of the team (or of one listen webhook) for `connection`, oldest first, and
 * returns them prepared. A run no other connection took in the meantime is taken by exactly one (the update re-checks
 * that it is still due). A run that cannot be prepared (webhook disabled or deleted, secret missing) is failed at
 * once with the reason, as the worker fails it, and not sent.
 */
export async function takeDueStreamRuns(
  ctx: AppContext,
  filter: Filter & { connection: string; limit: number },
  now = Date.now(),
): Promise<StreamDelivery[]> {
  // A read first: most wake-ups find nothing due, and a read costs no write transaction.
  if ((await dueQuery(ctx, filter, now).limit(1).executeTakeFirst()) === undefined) return [];
  const owner = ownerOf(filter.connection);
  const deadline = now + ackDeadlineMs(ctx);
  const runs = (await writeTransaction(ctx.db, async (tx) =>
    withWebhooksNow(
      tx,
      await tx
        .updateTable('action_runs')
        .set({ lease_owner: owner, lease_until: deadline, stream_due_at: deadline, stream_sent_at: now })
        .where('id', 'in', dueQuery({ db: tx }, filter, now).orderBy('stream_due_at').orderBy('id').limit(filter.limit))
        .where('state', '=', 'pending')
        .where('stream_due_at', '<=', now)
        .returning(STREAM_COLUMNS)
        .execute(),
    ),
  )) as StreamRun[];
  runs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const versions = await eventVersions(ctx, runs.map((run) => run.event_id));
  const deliveries: StreamDelivery[] = [];
  for (const run of runs) {
    const prepared = prepare(ctx, run, now);
    if (prepared.kind === 'refused') {
      await recordStreamAttempt(ctx, run, owner, {
        startedAt: now,
        durationMs: 0,
        url: 'stream',
        requestHeaders: {},
        response: { kind: 'refused', error: prepared.error },
        responseHeaders: {},
        responseBody: '',
      }).catch((error: unknown) => ctx.logger.warn({ err: error, runId: run.id }, 'could not fail a stream run that cannot be prepared'));
      continue;
    }
    deliveries.push({
      runId: run.id,
      attempt: run.attempts + 1,
      webhook: run.webhook_name,
      automation: { id: run.automation_id, name: run.automation_name },
      eventType: run.event_type,
      eventId: run.event_id,
      version: versions.get(run.event_id) ?? null,
      forwardedFrom: run.forwarded_from,
      body: prepared.body,
      headers: prepared.headers,
    });
  }
  return deliveries;
}

/** What each event was about, as a listener prints it: `model:vN`, with the alias the event added or removed. */
async function eventVersions(ctx: AppContext, eventIds: string[]): Promise<Map<string, string>> {
  if (eventIds.length === 0) return new Map();
  const rows = await ctx.db.selectFrom('events').select(['id', 'collection', 'version_index', 'alias']).where('id', 'in', [...new Set(eventIds)]).execute();
  return new Map(
    rows.map((row) => [row.id, `${row.collection}${row.version_index === null ? '' : `:v${row.version_index}`}${row.alias === null ? '' : ` (${row.alias})`}`]),
  );
}

/** Gives back a connection's sent but unacknowledged runs (a listener resuming): due again at once. */
export async function releaseConnection(ctx: AppContext, teamId: string, connection: string, now = Date.now()): Promise<number> {
  const result = await writeTransaction(ctx.db, (tx) =>
    tx
      .updateTable('action_runs')
      .set({ stream_due_at: now, stream_sent_at: null, lease_owner: null, lease_until: null })
      .where('team_id', '=', teamId)
      .where('stream_due_at', '>', now)
      .where('lease_owner', '=', ownerOf(connection))
      .where('state', '=', 'pending')
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows);
}

/** The earliest time a stream run of the team (or webhook) is due, or null: a stream sleeps until then. */
export async function nextStreamDueAt(ctx: AppContext, filter: Filter): Promise<number | null> {
  let query = ctx.db
    .selectFrom('action_runs')
    .select('stream_due_at')
    .where('team_id', '=', filter.teamId)
    .where('stream_due_at', 'is not', null)
    .where('state', '=', 'pending')
    .where('stream', '=', 1);
  if (filter.webhookId !== null) query = query.where('webhook_id', '=', filter.webhookId);
  const row = await query.orderBy('stream_due_at').limit(1).executeTakeFirst();
  return row?.stream_due_at ?? null;
}

interface StreamAttempt {
  startedAt: number;
  durationMs: number;
  url: string;
  requestHeaders: Record<string, string>;
  response: AttemptResponse;
  responseHeaders: Record<string, string>;
  responseBody: string;
}

/**
 * Decides and records one attempt of a stream run held by `owner`, in one transaction: the attempt row, the run's
 * outcome (a retry due again on the stream, never in the worker's claim range), the webhook disabled on 410, and
 * AUTOMATION_FAILED when the run fails for good. Throws 409 when `owner` no longer holds the run.
 */
async function recordStreamAttempt(
  ctx: AppContext,
  run: Pick<StreamRun, 'id' | 'team_id' | 'event_id' | 'automation_id' | 'automation_name' | 'webhook_id' | 'attempts' | 'manual_redelivery' | 'suppress_failure_event'>,
  owner: string,
  attempt: StreamAttempt,
): Promise<RunOutcome> {
  const now = Date.now();
  const trigger = run.manual_redelivery === 1 ? 'manual' : 'automatic';
  const number = run.attempts + 1;
  const decision = decideDelivery({ number, trigger, mayRaiseFailure: run.suppress_failure_event === 0 }, attempt.response, {
    delaysSeconds: ctx.config.retrySchedule,
    now,
  });
  const status = attempt.response.kind === 'answered' ? attempt.response.status : null;
  const outcome: RunOutcome =
    decision.state === 'succeeded'
      ? { state: 'succeeded', status, attempts: number }
      : decision.state === 'retry'
        ? { state: 'pending', nextAttemptAt: decision.at, status, error: decision.reason, attempts: number }
        : { state: 'failed', status, error: decision.reason, attempts: number };
  await inTransaction(ctx, async (tx, after) => {
    const updated = await tx
      .updateTable('action_runs')
      .set({
        ...outcomeColumns(outcome, now),
        next_attempt_at: null,
        stream_due_at: outcome.state === 'pending' ? outcome.nextAttemptAt : null,
        stream_sent_at: null,
      })
      .where('id', '=', run.id)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw conflict('the run is not waiting for this acknowledgement (it was acknowledged already, or sent again)', { runId: run.id });
    await tx
      .insertInto('delivery_attempts')
      .values({
        id: newId(),
        run_id: run.id,
        team_id: run.team_id,
        number,
        trigger,
        started_at: attempt.startedAt,
        duration_ms: attempt.durationMs,
        url: attempt.url,
        request_headers: JSON.stringify(attempt.requestHeaders),
        status,
        error: attempt.response.error,
        response_headers: JSON.stringify(attempt.responseHeaders),
        response_body: attempt.responseBody,
      })
      .execute();
    if (decision.state === 'failed' && decision.disableWebhook && run.webhook_id !== null) {
      await tx.updateTable('webhooks').set({ disabled_at: now, disabled_reason: decision.reason }).where('id', '=', run.webhook_id).where('disabled_at', 'is', null).execute();
    }
    if (decision.state === 'failed' && decision.raiseFailure && outcome.state === 'failed') await recordAutomationFailed(tx, after, ctx.config, run, outcome);
    if (outcome.state === 'pending') after.notify(CHANNEL_STREAM);
  });
  return outcome;
}

/** What a listener reports of its local receiver's answer. */
export interface Acknowledgement {
  /** The local HTTP status, or null when no answer came (error says why). */
  status: number | null;
  headers: Record<string, string>;
  /** The start of the local answer's body. */
  body: string;
  durationMs: number;
  error: string | null;
  /** Where the listener forwarded it (shown in History), if it says. */
  forwardedTo: string | null;
}

/**
 * Finishes a sent stream run with the listener's local answer, as a worker's attempt would (succeeded on 2xx, retried
 * otherwise, failed when no retry is left). The stored request headers are the ones the stream sent, redacted; the
 * answer is redacted for every secret value the request carried.
 */
export async function acknowledgeStreamRun(ctx: AppContext, teamId: string, runId: string, ack: Acknowledgement): Promise<RunOutcome> {
  const found = await ctx.db
    .selectFrom('action_runs')
    .select([...STREAM_COLUMNS, 'stream', 'lease_owner'])
    .where('id', '=', runId)
    .where('team_id', '=', teamId)
    .executeTakeFirst();
  const [run] = (found ? await withWebhooksNow(ctx.db, [found]) : []) as Array<StreamRun & { stream: number; lease_owner: string | null }>;
  if (!run) throw notFound(`run ${runId}`);
  if (run.stream !== 1) throw conflict('this run is not delivered through the event stream (its webhook is not a listen webhook)', { runId });
  if (run.state !== 'pending' || run.stream_sent_at === null || run.lease_owner === null || !run.lease_owner.startsWith(STREAM_OWNER_PREFIX)) {
    throw conflict('the run is not waiting for an acknowledgement (it was acknowledged already, or has not been sent on the stream)', { runId, state: run.state });
  }
  const prepared = prepare(ctx, run, run.stream_sent_at);
  const secretValues = prepared.kind === 'prepared' ? prepared.secretValues : [];
  const retryAfter = Object.entries(ack.headers).find(([name]) => name.toLowerCase() === 'retry-after')?.[1] ?? null;
  const redact = (text: string) => redactSecrets(text, secretValues);
  return recordStreamAttempt(ctx, run, run.lease_owner, {
    startedAt: run.stream_sent_at,
    durationMs: Math.round(ack.durationMs),
    url: ack.forwardedTo === null ? 'stream' : `stream → ${ack.forwardedTo}`,
    requestHeaders: prepared.kind === 'prepared' ? redactHeaders(prepared.headers) : {},
    response: { kind: 'answered', status: ack.status, error: ack.error === null ? null : redact(ack.error), retryAfter },
    responseHeaders: redactSecretsInHeaders(ack.headers, secretValues),
    responseBody: redactSecrets(ack.body.slice(0, ACK_BODY_EXCERPT_CHARS), secretValues, { cutAtEnd: ack.body.length >= ACK_BODY_EXCERPT_CHARS }),
  });
}

/**
 * How long a forward (`modelyard listen --automation`) lives without a listener: every connected stream of its listen
 * webhook keeps it alive (refreshForwards, at each heartbeat), so a listener that is killed stops receiving copies a
 * couple of minutes later, while one restarted at once finds its forward still there.
 */
export const FORWARD_TTL_MS = 2 * 60_000;

/** Copies an automation's future runs to a listen webhook (replacing any other forward of it) until it expires. */
export async function setForward(ctx: AppContext, teamId: string, userId: string, automationId: string, webhookName: string, now = Date.now()) {
  return inTransaction(ctx, async (tx) => {
    const automation = await tx.selectFrom('automations').select(['id', 'action_type']).where('team_id', '=', teamId).where('id', '=', automationId).executeTakeFirst();
    if (!automation) throw notFound(`automation ${automationId}`);
    if (automation.action_type !== 'webhook') throw conflict(`only a webhook automation's deliveries can be forwarded; this one's action is ${automation.action_type}`);
    const webhook = await tx.selectFrom('webhooks').select(['id', 'name', 'mode']).where('team_id', '=', teamId).where('name', '=', webhookName).executeTakeFirst();
    if (!webhook) throw notFound(`webhook ${webhookName}`);
    if (webhook.mode !== 'listen') throw conflict(`webhook "${webhookName}" is not a listen webhook: forwarded copies go to a listener`);
    const row = { automation_id: automationId, team_id: teamId, webhook_id: webhook.id, created_by: userId, created_at: now, expires_at: now + FORWARD_TTL_MS };
    await tx.deleteFrom('automation_forwards').where('automation_id', '=', automationId).execute();
    await tx.insertInto('automation_forwards').values(row).execute();
    return { automationId, webhook: webhook.name, expiresAt: row.expires_at };
  });
}

/** Stops copying an automation's runs; true when a forward was there. */
export async function clearForward(ctx: AppContext, teamId: string, automationId: string): Promise<boolean> {
  const result = await writeTransaction(ctx.db, (tx) =>
    tx.deleteFrom('automation_forwards').where('team_id', '=', teamId).where('automation_id', '=', automationId).executeTakeFirst(),
  );
  return Number(result.numDeletedRows) > 0;
}

/** Keeps the forwards to a listen webhook alive while a stream of it is connected. */
export async function refreshForwards(ctx: AppContext, teamId: string, webhookId: string, now = Date.now()): Promise<void> {
  await writeTransaction(ctx.db, (tx) =>
    tx
      .updateTable('automation_forwards')
      .set({ expires_at: now + FORWARD_TTL_MS })
      .where('team_id', '=', teamId)
      .where('webhook_id', '=', webhookId)
      .where('expires_at', '>', now)
      .execute(),
  );
}
