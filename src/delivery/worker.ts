// The delivery worker: claims due action runs under a lease, sends them, records every attempt and finishes each run.
//
// Worker loop (one per process; `state`):
//   IDLE ──start()──▶ CLAIMING ──runs──▶ (CLAIMING again while slots are free and runs keep coming)
//                        │ nothing due / no free slot
//                        ▼
//                     WAITING ── woken by: a CHANNEL_RUNS signal (a commit in this process, or NOTIFY from another),
//                        │        a finished run freeing a slot, the earliest known due time, or the poll interval
//                        └──────▶ CLAIMING
//   any ──stop()──▶ STOPPING (no more claims; in-flight sends finish, bounded; unsent leases released) ──▶ STOPPED
//
// One run, one attempt (DeliveryStep):
//   PREPARING  webhook still enabled? secrets resolved, body filled (exact bytes), headers signed
//      │         └─ webhook disabled / secret missing ─▶ RECORDING with that error, no request
//   SENDING    guarded HTTP client, timeout, response excerpt
//   RECORDING  one transaction per batch of finished attempts (group commit on SQLite; on PostgreSQL an all-success
//              batch is a single statement): the attempt row, then the run
//              pending ──attempt──▶ succeeded
//                               ├─▶ pending, next_attempt_at = now + retry delay   (retryable, schedule left)
//                               └─▶ failed (+ AUTOMATION_FAILED unless suppressed; 410 also disables the webhook)
//              Each finishing update requires `lease_owner = me`: a run taken over after its lease expired is never
//              finished twice. Delivery is at-least-once; the run id is the stable delivery id receivers dedupe on.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { CHANNEL_RUNS } from '../context.js';
import type { Tx } from '../db/index.js';
import { inTransaction } from '../db/transaction.js';
import { newId } from '../core/ids.js';
import { AppError } from '../core/errors.js';
import { classifyResponse, nextRetryDelayMs } from '../core/retry.js';
import { fillSecrets, secretPlaceholders } from '../core/templates.js';
import { decryptSecret, resolveSecretValues } from '../auth/secrets.js';
import { recordEvent } from '../registry/events.js';
import { buildDeliveryHeaders, redactHeaders } from './headers.js';
import { WebhookClient } from './http-client.js';
import { insertMany } from '../db/bulk.js';
import { createRunQueue, finishClaimedRun, finishRun, loadForSending, recordSucceeded, type ClaimedRun, type NewDeliveryAttempt, type RunOutcome, type RunQueue } from './run-queue.js';

export type WorkerState = 'IDLE' | 'CLAIMING' | 'WAITING' | 'STOPPING' | 'STOPPED';
export type AttemptTrigger = 'automatic' | 'manual';

/** The response excerpt stored with an attempt (and the most the client reads). */
const RESPONSE_EXCERPT_BYTES = 64 * 1024;
/** Backstop for wake-ups that never arrive: other processes' commits on SQLite, a lost NOTIFY, due retries. */
const DEFAULT_POLL_INTERVAL_MS = 1000;
/** The least time between two claims that did not fill up (see run()): adds at most this much latency. */
const CLAIM_SPACING_MS = 5;
/** Longest a graceful stop waits for in-flight sends before giving their leases up to expiry. */
const DEFAULT_STOP_TIMEOUT_MS = 15_000;

export interface DeliveryWorkerOptions {
  /** Lease owner id; unique per worker (host, pid and a random part). */
  owner?: string;
  /** How long a claimed run stays ours; default: send timeout + MODELYARD_DELIVERY_LEASE_MS. */
  leaseMs?: number;
  pollIntervalMs?: number;
  concurrency?: number;
  stopTimeoutMs?: number;
}

/** What one attempt produced, before it is written. */
export interface AttemptResult {
  run: ClaimedRun;
  trigger: AttemptTrigger;
  startedAt: number;
  durationMs: number;
  requestHeaders: Record<string, string>;
  status: number | null;
  error: string | null;
  responseHeaders: Record<string, string>;
  responseBody: string;
  retryAfter: string | null;
  /** The request never left (blocked target, disabled webhook, missing secret): fail at once. */
  permanent: boolean;
  /** Set when the webhook is already disabled (no request was made). */
  webhookDisabled: boolean;
}

export function defaultWorkerOwner(): string {
  return `${os.hostname().slice(0, 30)}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export class DeliveryWorker {
  state: WorkerState = 'IDLE';
  readonly owner: string;
  private readonly queue: RunQueue;
  private readonly client: WebhookClient;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly stopTimeoutMs: number;
  private readonly minClaim: number;
  /** Runs claimed by this worker whose response is not back yet (their slots are taken). */
  private readonly inFlight = new Map<string, ClaimedRun>();
  /** Claimed runs whose request has not started yet; released on stop. */
  private readonly unsent = new Set<string>();
  private readonly finished: AttemptResult[] = [];
  /** Attempts in the recording transaction now (taken out of `finished`). */
  private recordingCount = 0;
  private recording: Promise<void> | undefined;
  private wakeRequested = false;
  private wake: (() => void) | undefined;
  /** Earliest retry this worker scheduled itself; lets it sleep exactly until then. */
  private nextKnownDueAt = Number.POSITIVE_INFINITY;
  private lastClaimAt = 0;
  private lastClaimFull = false;
  private unlisten: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  private readonly ctx: AppContext;

  constructor(ctx: AppContext, options: DeliveryWorkerOptions = {}) {
    // Every query of the worker — claims, preparation, recording — goes through its own connections.
    this.ctx = { ...ctx, db: ctx.workerDb };
    this.owner = options.owner ?? defaultWorkerOwner();
    this.queue = createRunQueue(this.ctx.db, ctx.dialect);
    this.client = new WebhookClient({ allow: ctx.config.webhookAllow });
    this.leaseMs = options.leaseMs ?? ctx.config.webhookTimeoutMs + ctx.config.deliveryLeaseMs;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.concurrency = options.concurrency ?? ctx.config.workerConcurrency;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.minClaim = Math.max(1, Math.floor(this.concurrency / 4));
  }

  start(): this {
    if (this.state !== 'IDLE') return this;
    this.unlisten = this.ctx.notifier.listen(CHANNEL_RUNS, () => this.requestWake());
    this.state = 'CLAIMING';
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    if (this.state === 'IDLE' || this.state === 'STOPPED') {
      this.state = 'STOPPED';
      return;
    }
    this.state = 'STOPPING';
    this.unlisten?.();
    this.requestWake();
    await this.loop;
    const drained = this.waitUntil(() => this.inFlight.size === 0 || this.unsent.size === this.inFlight.size);
    await Promise.race([drained, sleep(this.stopTimeoutMs)]);
    await this.recording;
    await this.queue.release(this.owner, [...this.unsent]).catch((error: unknown) => {
      this.ctx.logger.warn({ err: error }, 'could not release unsent runs; they are taken up again when their lease expires');
    });
    await this.client.close();
    this.state = 'STOPPED';
  }

  private requestWake(): void {
    this.wakeRequested = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.state !== 'STOPPING') {
      // Claims are taken in batches: a claim is a write transaction, so refilling one slot at a time would cost
      // one transaction per delivery under load. With nothing in flight any free slot is worth a claim (latency).
      // A slot is free once its response is back; attempts still waiting to be recorded hold no slot, but no more
      // than `concurrency` of them may pile up (the recorder is behind: wait for it instead of claiming more).
      const free = this.finished.length + this.recordingCount >= this.concurrency ? 0 : this.concurrency - this.inFlight.size;
      const worthClaiming = this.inFlight.size === 0 ? free : free >= this.minClaim ? free : 0;
      let claimedAll = false;
      let claimedNone = false;
      // Consumed here whether or not a slot is free: with every slot taken the loop must sleep until a run finishes
      // (which wakes it again), never spin.
      this.wakeRequested = false;
      if (worthClaiming > 0) {
        this.state = 'CLAIMING';
        // Under a steady trickle every commit wakes the worker, and claiming at each wake-up would cost a claim, a
        // preparation and a recording transaction for every run or two. So between claims that did not fill up, at
        // least CLAIM_SPACING_MS pass and each claim gathers those milliseconds' runs. The first claim after a quiet
        // spell, and every claim while a backlog lasts (the previous one filled up), go at once.
        const spacing = this.lastClaimFull ? 0 : this.lastClaimAt + CLAIM_SPACING_MS - Date.now();
        if (spacing > 0) await sleep(spacing);
        if ((this.state as WorkerState) === 'STOPPING') break;
        this.lastClaimAt = Date.now();
        try {
          const runs = await this.queue.claimDueRuns(this.owner, worthClaiming, this.leaseMs);
          // The state may have changed to STOPPING while the claim was in the database.
          if (runs.length > 0) void this.deliverBatch(runs);
          claimedAll = runs.length === worthClaiming;
          this.lastClaimFull = claimedAll;
          claimedNone = runs.length === 0;
        } catch (error) {
          this.ctx.logger.error({ err: error }, 'claiming due runs failed; retrying after the poll interval');
        }
      }
      if ((this.state as WorkerState) === 'STOPPING') break;
      if (worthClaiming > 0 && (claimedAll || this.wakeRequested)) continue;
      this.state = 'WAITING';
      await this.sleepUntilWoken(claimedNone);
    }
  }

  private async sleepUntilWoken(lookForDueTime: boolean): Promise<void> {
    let delay = this.pollIntervalMs;
    if (lookForDueTime) {
      const dueAt = Math.min(this.nextKnownDueAt, (await this.queue.nextDueAt().catch(() => null)) ?? Number.POSITIVE_INFINITY);
      if (Number.isFinite(dueAt)) delay = Math.max(0, Math.min(delay, dueAt - Date.now()));
    }
    if (this.wakeRequested) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delay);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
    if (Date.now() >= this.nextKnownDueAt) this.nextKnownDueAt = Number.POSITIVE_INFINITY;
  }

  private async waitUntil(condition: () => boolean): Promise<void> {
    while (!condition()) await sleep(10);
  }

  private async deliverBatch(runs: ClaimedRun[]): Promise<void> {
    for (const run of runs) {
      this.inFlight.set(run.id, run);
      this.unsent.add(run.id);
    }
    let prepared: Map<string, PreparedDelivery | AttemptResult>;
    try {
      prepared = await prepareDeliveries(this.ctx, runs, (run) => (run.manual_redelivery === 1 ? 'manual' : 'automatic'));
    } catch (error) {
      // Without secrets or webhook state nothing can be sent; the leases expire and the runs are retried then.
      this.ctx.logger.error({ err: error }, 'preparing deliveries failed');
      for (const run of runs) {
        this.inFlight.delete(run.id);
        this.unsent.delete(run.id);
      }
      return;
    }
    await Promise.all(
      runs.map(async (run) => {
        const step = prepared.get(run.id)!;
        this.unsent.delete(run.id);
        const result = 'sendTo' in step ? await sendPrepared(this.ctx, this.client, step) : step;
        // The run stays leased to this worker until its attempt is recorded, so no claim can take it again meanwhile.
        this.inFlight.delete(run.id);
        this.finished.push(result);
        this.scheduleRecording();
        if (this.concurrency - this.inFlight.size === this.minClaim) this.requestWake();
      }),
    );
  }

  private scheduleRecording(): void {
    if (this.recording) return;
    this.recording = (async () => {
      // Let the attempts finishing in this turn of the event loop join the same transaction (group commit).
      await new Promise((resolve) => setImmediate(resolve));
      while (this.finished.length > 0) {
        const batch = this.finished.splice(0);
        this.recordingCount = batch.length;
        try {
          const retries = await recordAttempts(this.ctx, batch, this.owner);
          for (const at of retries) this.nextKnownDueAt = Math.min(this.nextKnownDueAt, at);
        } catch (error) {
          this.ctx.logger.error({ err: error, runs: batch.length }, 'recording attempts failed; the runs are retried when their lease expires');
        }
        this.recordingCount = 0;
        this.requestWake();
      }
      this.recording = undefined;
    })();
  }
}

/** A run ready to send: exact body bytes and signed headers (the redacted copy is what gets stored). */
export interface PreparedDelivery {
  run: ClaimedRun;
  trigger: AttemptTrigger;
  sendTo: string;
  body: string;
  headers: Record<string, string>;
  /** The secret values this request carries: scrubbed from whatever the receiver answers (it may echo them). */
  secretValues: string[];
}

/**
 * PREPARING for a batch, from what the claim brought with each run (webhook state, the signing secret's and access
 * token's ciphertexts — each decrypted once per batch); only secrets named inside payloads take a query, one per team.
 * Runs that cannot be sent come back as finished attempts carrying the reason.
 */
export async function prepareDeliveries(
  ctx: AppContext,
  runs: ClaimedRun[],
  triggerOf: (run: ClaimedRun) => AttemptTrigger,
): Promise<Map<string, PreparedDelivery | AttemptResult>> {
  const prepared = new Map<string, PreparedDelivery | AttemptResult>();
  // Per team: secret name → value (a record without a prototype, so no name can hit an inherited property).
  const secretsByTeam = new Map<string, Record<string, string>>();
  const secretsOf = (teamId: string) => {
    let secrets = secretsByTeam.get(teamId);
    if (!secrets) secretsByTeam.set(teamId, (secrets = Object.create(null) as Record<string, string>));
    return secrets;
  };
  const namesByRun = new Map<string, string[]>();
  const payloadNamesByTeam = new Map<string, Set<string>>();
  for (const run of runs) {
    if (run.action_type !== 'webhook') continue;
    const secrets = secretsOf(run.team_id);
    const attached: Array<[string | null, string | null]> = [
      [run.secret_name, run.signing_ciphertext],
      [run.access_token_name, run.token_ciphertext],
    ];
    for (const [name, ciphertext] of attached) {
      if (name && ciphertext !== null && !(name in secrets)) secrets[name] = decryptSecret(ctx.keyring, run.team_id, name, ciphertext);
    }
    const inPayload = secretPlaceholders(run.body);
    namesByRun.set(run.id, [run.secret_name, run.access_token_name, ...inPayload].filter((n): n is string => !!n));
    for (const name of inPayload) {
      if (name in secrets) continue;
      const names = payloadNamesByTeam.get(run.team_id) ?? new Set<string>();
      payloadNamesByTeam.set(run.team_id, names.add(name));
    }
  }
  for (const [teamId, names] of payloadNamesByTeam) Object.assign(secretsOf(teamId), await resolveAvailableSecrets(ctx, teamId, names));

  const now = Date.now();
  for (const run of runs) {
    const trigger = triggerOf(run);
    const refuse = (error: string, webhookDisabled = false): AttemptResult => ({
      run,
      trigger,
      startedAt: now,
      durationMs: 0,
      requestHeaders: {},
      status: null,
      error,
      responseHeaders: {},
      responseBody: '',
      retryAfter: null,
      permanent: true,
      webhookDisabled,
    });
    if (run.action_type === 'no_op') {
      prepared.set(run.id, { ...refuse(''), error: null, permanent: false, status: null });
      continue;
    }
    if (run.webhook_disabled_at !== null) {
      prepared.set(run.id, refuse(`webhook disabled: ${run.webhook_disabled_reason ?? 'the webhook is disabled'}`, true));
      continue;
    }
    if (!run.url) {
      prepared.set(run.id, refuse('the run has no target URL'));
      continue;
    }
    const secrets = secretsOf(run.team_id);
    const missing = (namesByRun.get(run.id) ?? []).filter((name) => !(name in secrets));
    if (missing.length > 0) {
      prepared.set(run.id, refuse(`secret ${missing.join(', ')} no longer exists in the team; the delivery was not sent`));
      continue;
    }
    let body: string;
    try {
      body = fillSecrets(run.body, secrets);
    } catch (error) {
      prepared.set(run.id, refuse((error as Error).message));
      continue;
    }
    const headers = buildDeliveryHeaders({
      deliveryId: run.id,
      body,
      secret: run.secret_name ? secrets[run.secret_name]! : null,
      accessToken: run.access_token_name ? secrets[run.access_token_name]! : null,
      timestamp: Math.floor(now / 1000),
    });
    const secretValues = (namesByRun.get(run.id) ?? []).map((name) => secrets[name]!).filter((value) => value.length > 0);
    prepared.set(run.id, { run, trigger, sendTo: run.url, body, headers, secretValues });
  }
  return prepared;
}

/**
 * The values of those of `names` that exist. resolveSecretValues refuses a set with a missing secret (naming it);
 * the missing one is set aside so the batch's other runs still get theirs, and the runs needing it fail by name.
 */
async function resolveAvailableSecrets(ctx: AppContext, teamId: string, names: Set<string>): Promise<Record<string, string>> {
  const wanted = new Set(names);
  while (wanted.size > 0) {
    try {
      return await resolveSecretValues(ctx.db, ctx.keyring, teamId, [...wanted]);
    } catch (error) {
      const missing = error instanceof AppError ? error.details?.secret : undefined;
      if (typeof missing !== 'string' || !wanted.delete(missing)) throw error;
    }
  }
  return {};
}

/** SENDING: one request through the guarded client; the result keeps only redacted request headers. */
export async function sendPrepared(ctx: AppContext, client: WebhookClient, delivery: PreparedDelivery): Promise<AttemptResult> {
  const startedAt = Date.now();
  const response = await client.send({
    url: delivery.sendTo,
    headers: delivery.headers,
    body: delivery.body,
    timeoutMs: ctx.config.webhookTimeoutMs,
  });
  return {
    run: delivery.run,
    trigger: delivery.trigger,
    startedAt,
    durationMs: Math.round(response.durationMs),
    requestHeaders: redactHeaders(delivery.headers),
    status: response.status,
    error: response.error,
    responseHeaders: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, scrub(String(v), delivery.secretValues)])),
    responseBody: scrub(excerpt(response.body), delivery.secretValues),
    retryAfter: response.retryAfter,
    permanent: response.blocked,
    webhookDisabled: false,
  };
}

/** Receivers that echo the request back must not make a secret part of the stored attempt. */
function scrub(text: string, secretValues: string[]): string {
  let out = text;
  for (const value of secretValues) if (out.includes(value)) out = out.split(value).join('[redacted]');
  return out;
}

function excerpt(body: string | Buffer): string {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (Buffer.byteLength(text, 'utf8') <= RESPONSE_EXCERPT_BYTES) return text;
  return Buffer.from(text, 'utf8').subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
}

/** What happens to a run after an attempt, before the lease check. */
interface Decision {
  outcome: RunOutcome;
  disableWebhook: boolean;
  emitFailure: boolean;
}

function decide(ctx: AppContext, result: AttemptResult, now: number): Decision {
  const attempts = result.run.attempts + 1;
  const { status, error } = result;
  if (result.run.action_type === 'no_op') return { outcome: { state: 'succeeded', status: null, attempts: result.run.attempts }, disableWebhook: false, emitFailure: false };
  const manual = result.trigger === 'manual';
  const failed = (message: string | null, disableWebhook = false): Decision => ({
    outcome: { state: 'failed', status, error: message, attempts },
    disableWebhook,
    // A manual redelivery is the operator's own action and its result is shown to them; only automatic delivery
    // running out of options raises AUTOMATION_FAILED.
    emitFailure: !manual && result.run.suppress_failure_event === 0,
  });
  if (result.permanent) return failed(error);
  const verdict = classifyResponse(status, error ?? undefined);
  switch (verdict.kind) {
    case 'success':
      return { outcome: { state: 'succeeded', status, attempts }, disableWebhook: false, emitFailure: false };
    case 'gone':
      return failed(`the endpoint answered 410 Gone at ${new Date(now).toISOString()}`, true);
    case 'fail':
      return failed(error ?? verdict.reason ?? `the endpoint answered ${status}`);
    case 'retry': {
      const reason = error ?? verdict.reason ?? `the endpoint answered ${status}`;
      if (manual) return failed(reason);
      const delay = nextRetryDelayMs(attempts, ctx.config.retrySchedule, { retryAfter: result.retryAfter ?? undefined, now });
      if (delay === null) return failed(`${reason} (no retries left after ${attempts} attempts)`);
      return { outcome: { state: 'pending', nextAttemptAt: now + delay, status, error: reason, attempts }, disableWebhook: false, emitFailure: false };
    }
  }
}

/**
 * RECORDING for a batch of finished attempts, in one transaction: attempt rows, run outcomes (only while the lease is
 * ours), webhooks disabled by 410, and AUTOMATION_FAILED events. A batch in which every attempt succeeded is written
 * by recordSucceeded (one statement on PostgreSQL). Returns the retry times it scheduled.
 */
export async function recordAttempts(ctx: AppContext, results: AttemptResult[], owner: string): Promise<number[]> {
  const now = Date.now();
  const decided = results.map((result) => ({ result, decision: decide(ctx, result, now) }));
  const attemptRows = results.filter((r) => r.run.action_type !== 'no_op').map((r) => attemptRow(r, r.run.attempts + 1));
  if (decided.every(({ decision }) => decision.outcome.state === 'succeeded')) {
    const runs = results.map((r) => ({ id: r.run.id, status: r.status, counted: r.run.action_type !== 'no_op' }));
    await recordSucceeded(ctx.db, ctx.dialect, owner, attemptRows, runs, now);
    return [];
  }
  const retries: number[] = [];
  await inTransaction(ctx, async (tx, after) => {
    if (attemptRows.length > 0) await insertMany(tx, 'delivery_attempts', attemptRows);
    for (const { result, decision } of decided) {
      const ours = await finishRun(tx, result.run.id, owner, decision.outcome, now);
      if (!ours) continue;
      if (decision.outcome.state === 'pending') retries.push(decision.outcome.nextAttemptAt);
      if (decision.disableWebhook && result.run.webhook_id) await disableWebhook(tx, result.run.webhook_id, decision.outcome);
      if (decision.emitFailure && decision.outcome.state === 'failed') await emitAutomationFailed(tx, after, result.run, decision.outcome);
    }
  });
  return retries;
}

function attemptRow(result: AttemptResult, number: number): NewDeliveryAttempt {
  return {
    id: newId(),
    run_id: result.run.id,
    team_id: result.run.team_id,
    number,
    trigger: result.trigger,
    started_at: result.startedAt,
    duration_ms: result.durationMs,
    url: result.run.url ?? '',
    request_headers: JSON.stringify(result.requestHeaders),
    status: result.status,
    error: result.error,
    response_headers: JSON.stringify(result.responseHeaders),
    response_body: result.responseBody,
  };
}

async function disableWebhook(tx: Tx, webhookId: string, outcome: RunOutcome): Promise<void> {
  const reason = outcome.state === 'failed' && outcome.error ? outcome.error : 'the endpoint answered 410 Gone';
  await tx
    .updateTable('webhooks')
    .set({ disabled_at: Date.now(), disabled_reason: reason })
    .where('id', '=', webhookId)
    .where('disabled_at', 'is', null)
    .execute();
}

async function emitAutomationFailed(
  tx: Tx,
  after: Parameters<typeof recordEvent>[1],
  run: ClaimedRun,
  outcome: Extract<RunOutcome, { state: 'failed' }>,
): Promise<void> {
  const event = await tx.selectFrom('events').select(['collection', 'model_id']).where('id', '=', run.event_id).executeTakeFirst();
  await recordEvent(tx, after, {
    teamId: run.team_id,
    type: 'AUTOMATION_FAILED',
    project: 'model-registry',
    collection: event?.collection ?? '',
    modelId: event?.model_id ?? null,
    author: 'modelyard',
    details: { runId: run.id, automationId: run.automation_id, automationName: run.automation_name, error: outcome.error, status: outcome.status },
    suppressFailureEvents: true,
  });
}

export interface ManualAttempt {
  number: number;
  trigger: AttemptTrigger;
  startedAt: number;
  durationMs: number;
  url: string;
  requestHeaders: Record<string, string>;
  status: number | null;
  error: string | null;
  responseHeaders: Record<string, string>;
  responseBody: string;
}

/**
 * Redelivers one run now, in the caller's request, and returns the attempt (recorded as manual). A manual attempt is
 * never retried: on success the run is succeeded; on failure a run still waiting for automatic retries keeps its
 * schedule, any other run is (again) failed. Returns 'busy' when a worker is sending the run at this moment.
 */
export async function redeliverNow(ctx: AppContext, runId: string, teamId: string): Promise<ManualAttempt | 'busy' | undefined> {
  const exists = await ctx.db.selectFrom('action_runs').select(['id', 'next_attempt_at']).where('id', '=', runId).where('team_id', '=', teamId).executeTakeFirst();
  if (!exists) return undefined;
  const owner = `manual:${defaultWorkerOwner()}`;
  const queue = createRunQueue(ctx.db, ctx.dialect);
  const run = await queue.claimRun(runId, teamId, owner, ctx.config.webhookTimeoutMs + ctx.config.deliveryLeaseMs);
  if (!run) return 'busy';
  const wasPending = run.state === 'pending';
  const client = new WebhookClient({ allow: ctx.config.webhookAllow });
  try {
    const prepared = (await prepareDeliveries(ctx, await loadForSending(ctx.db, [run.id]), () => 'manual')).get(run.id)!;
    const result = 'sendTo' in prepared ? await sendPrepared(ctx, client, prepared) : prepared;
    const decision = decide(ctx, result, Date.now());
    const number = run.attempts + 1;
    await inTransaction(ctx, async (tx) => {
      await tx.insertInto('delivery_attempts').values(attemptRow(result, number)).execute();
      const outcome = decision.outcome;
      const base = { attempts: number, last_status: result.status, last_error: outcome.state === 'succeeded' ? null : result.error ?? (outcome.state === 'failed' ? outcome.error : null) };
      if (outcome.state === 'succeeded') {
        await finishClaimedRun(tx, run.id, owner, { ...base, state: 'succeeded', next_attempt_at: null, finished_at: Date.now() });
      } else if (wasPending) {
        await finishClaimedRun(tx, run.id, owner, { ...base, next_attempt_at: exists.next_attempt_at ?? Date.now() });
      } else {
        await finishClaimedRun(tx, run.id, owner, { ...base, state: 'failed', finished_at: Date.now() });
      }
      if (decision.disableWebhook && run.webhook_id) await disableWebhook(tx, run.webhook_id, outcome);
    });
    return {
      number,
      trigger: 'manual',
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      url: run.url ?? '',
      requestHeaders: result.requestHeaders,
      status: result.status,
      error: result.error,
      responseHeaders: result.responseHeaders,
      responseBody: result.responseBody,
    };
  } finally {
    await client.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
