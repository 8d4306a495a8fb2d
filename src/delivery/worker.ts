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
// One run, one attempt — each state a type:
//   ClaimedRun         leased to this worker, with its webhook as it is now (URL, secrets, disabled?, circuit) read by the claim
//      │ circuit open (core/endpoint-health.ts): one run per webhook goes out as the probe when due, the rest wait
//      │ webhook limited (core/endpoint-limits.ts): runs with a permit go out, the rest wait for their turn
//      │ prepare
//   PreparedDelivery   kind 'prepared': exact body bytes (only the webhook's attached secrets filled in), signed headers
//      │               kind 'refused':  webhook deleted or disabled, secret missing or not attached ─▶ no request
//      │ send (guarded HTTP client, timeout, response excerpt)
//   FinishedAttempt    the attempt as it will be stored (request headers and response redacted) + AttemptResponse
//      │ decideDelivery (core/delivery-decision.ts, pure)
//   DeliveryDecision   succeeded | retry at T | failed (+ AUTOMATION_FAILED unless suppressed; 410 disables the webhook)
//      │ record (RunStore.record: one transaction per batch of finished attempts)
//   the run            pending ──▶ succeeded | pending, next_attempt_at = T | failed   (automations/run-states.ts)
// Each run's outcome is written only while `lease_owner = me`: a run taken over after its lease expired, or cancelled
// by its webhook's deletion, is never finished twice. Delivery is at-least-once; the run id is the stable delivery id
// receivers dedupe on.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { CHANNEL_RUNS } from '../context.js';
import { newId } from '../core/ids.js';
import { conflict } from '../core/errors.js';
import { decideDelivery, type AttemptResponse, type DeliveryDecision } from '../core/delivery-decision.js';
import { endpointVerdict, FIRST_PROBE_DELAY_MS, rateLimitPause } from '../core/endpoint-health.js';
import { retryAfterCeilingMs } from '../core/retry.js';
import { redactSecrets, redactSecretsInHeaders } from '../core/redact.js';
import { decryptSecret } from '../auth/secrets.js';
import type { RunOutcome } from '../automations/run-states.js';
import { redactHeaders } from './headers.js';
import { DEFAULT_MAX_RESPONSE_BYTES, WebhookClient } from './http-client.js';
import { prepareClaimed, type PreparedDelivery } from './prepare.js';
import { createRunStore, type ClaimedRun, type RecordedAttempt, type RunStore } from './store/index.js';

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

/** A run with its delivery prepared (or refused), and who asked for the attempt. */
export interface DeliveryStep {
  run: ClaimedRun;
  trigger: AttemptTrigger;
  delivery: PreparedDelivery;
}

/** What one attempt produced, before it is written: what it means (response) and what is stored (redacted). */
export interface FinishedAttempt {
  run: ClaimedRun;
  trigger: AttemptTrigger;
  startedAt: number;
  durationMs: number;
  /** Where the request went (or would have gone): the webhook's URL when the attempt was made. */
  url: string;
  requestHeaders: Record<string, string>;
  response: AttemptResponse;
  responseHeaders: Record<string, string>;
  responseBody: string;
}

export function defaultWorkerOwner(): string {
  return `${os.hostname().slice(0, 30)}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export class DeliveryWorker {
  state: WorkerState = 'IDLE';
  readonly owner: string;
  private readonly store: RunStore;
  private readonly client: WebhookClient;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly stopTimeoutMs: number;
  private readonly minClaim: number;
  /** Runs claimed by this worker whose response is not back yet (their slots are taken). */
  private readonly inFlight = new Map<string, ClaimedRun>();
  /** Runs sent with a permit of their limited webhook: the permit is released once the attempt is recorded. */
  private readonly permitted = new Set<string>();
  /** Claimed runs whose request has not started yet; released on stop. */
  private readonly unsent = new Set<string>();
  private readonly finished: FinishedAttempt[] = [];
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
    this.store = createRunStore(this.ctx);
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
    // The bound's timer is cleared once the sends have drained: left running it would hold a stopping process open.
    let bound: NodeJS.Timeout | undefined;
    const drained = this.waitUntil(() => this.inFlight.size === 0 || this.unsent.size === this.inFlight.size);
    await Promise.race([drained, new Promise<void>((resolve) => (bound = setTimeout(resolve, this.stopTimeoutMs)))]);
    clearTimeout(bound);
    await this.recording;
    await this.store.release(this.owner, [...this.unsent]).catch((error: unknown) => {
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
          const runs = await this.store.claimDue(this.owner, worthClaiming, this.leaseMs);
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
      const dueAt = Math.min(this.nextKnownDueAt, (await this.store.nextDueAt().catch(() => null)) ?? Number.POSITIVE_INFINITY);
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

  private async deliverBatch(claimed: ClaimedRun[]): Promise<void> {
    for (const run of claimed) {
      this.inFlight.set(run.id, run);
      this.unsent.add(run.id);
    }
    // The claim read each run's circuit: only a batch with a run to an open circuit costs anything more.
    const runs = claimed.some((run) => run.webhook_probe_at !== null) ? await this.holdBackOpenCircuits(claimed) : claimed;
    // Likewise the claim read each webhook's limits: only a batch with a run to a limited webhook asks for permits.
    const sendable = runs.some(needsPermit) ? await this.holdBackOverLimits(runs) : runs;
    let steps: DeliveryStep[];
    try {
      steps = prepareDeliveries(this.ctx, sendable, (run) => (run.manual_redelivery === 1 ? 'manual' : 'automatic'));
    } catch (error) {
      // A secret that cannot be decrypted (a master key problem): nothing can be sent; the leases expire and the
      // runs are retried then.
      this.ctx.logger.error({ err: error }, 'preparing deliveries failed');
      void this.releasePermits(sendable.map((run) => run.id));
      for (const run of sendable) {
        this.inFlight.delete(run.id);
        this.unsent.delete(run.id);
      }
      return;
    }
    await Promise.all(
      steps.map(async (step) => {
        const { run } = step;
        this.unsent.delete(run.id);
        const result = await attempt(this.ctx, this.client, step);
        // The run stays leased to this worker until its attempt is recorded, so no claim can take it again meanwhile.
        this.inFlight.delete(run.id);
        this.finished.push(result);
        this.scheduleRecording();
        if (this.concurrency - this.inFlight.size === this.minClaim) this.requestWake();
      }),
    );
  }

  /**
   * CIRCUIT OPEN: of a webhook's runs whose circuit is open, one goes out as the probe once the probe is due (one
   * worker wins it), the others are given back, due at the next probe time — not sent, their attempts not counted.
   * Manual redeliveries go out anyway (an operator asked for them), and runs that will be refused (deleted or
   * disabled webhook) are refused as usual. Returns the runs to send.
   */
  private async holdBackOpenCircuits(runs: ClaimedRun[]): Promise<ClaimedRun[]> {
    const send: ClaimedRun[] = [];
    const held = new Map<string, ClaimedRun[]>();
    for (const run of runs) {
      if (run.webhook_probe_at === null || run.webhook_id === null || run.webhook_url === null || run.webhook_disabled_at !== null || run.manual_redelivery === 1) {
        send.push(run);
      } else {
        held.set(run.webhook_id, [...(held.get(run.webhook_id) ?? []), run]);
      }
    }
    const now = Date.now();
    for (const [webhookId, group] of held) {
      const probeAt = group[0]!.webhook_probe_at!;
      let deferred = group;
      try {
        if (probeAt <= now && (await this.store.takeProbe(webhookId, now, now + this.leaseMs))) {
          // The oldest run is the probe (the claim returns the batch oldest first).
          send.push(group[0]!);
          deferred = group.slice(1);
        }
        // While a probe is out its answer decides: look again shortly (closed by then, or deferred to the next probe).
        const at = probeAt > now ? probeAt : now + FIRST_PROBE_DELAY_MS;
        await this.store.defer(this.owner, deferred.map((run) => run.id), at);
        this.nextKnownDueAt = Math.min(this.nextKnownDueAt, at);
      } catch (error) {
        // Left leased: the runs are taken up again when their lease expires.
        this.ctx.logger.error({ err: error, webhookId }, 'holding back runs of an open circuit failed');
      }
      for (const run of deferred) {
        this.inFlight.delete(run.id);
        this.unsent.delete(run.id);
      }
    }
    if (send.length < runs.length) this.requestWake();
    return send;
  }

  /**
   * OVER LIMIT: of the runs of a webhook with maxConcurrency or maxPerSecond, those that get a permit (granted in the
   * database, so the limits hold across every worker) go out; the others are given back, each due at its turn — not
   * sent, their attempts not counted, never dropped. Returns the runs to send. A permit is held until the run's
   * lease ends at the latest, so a worker that crashes ties up capacity no longer than its leases.
   */
  private async holdBackOverLimits(runs: ClaimedRun[]): Promise<ClaimedRun[]> {
    const send: ClaimedRun[] = [];
    const limited = new Map<string, ClaimedRun[]>();
    for (const run of runs) {
      if (needsPermit(run)) limited.set(run.webhook_id!, [...(limited.get(run.webhook_id!) ?? []), run]);
      else send.push(run);
    }
    const now = Date.now();
    for (const [webhookId, group] of limited) {
      let held = group;
      try {
        const { granted, waiting } = await this.store.acquirePermits(webhookId, this.owner, group.map((run) => run.id), now, now + this.leaseMs);
        const grantedIds = new Set(granted);
        for (const run of group) {
          if (!grantedIds.has(run.id)) continue;
          send.push(run);
          this.permitted.add(run.id);
        }
        held = group.filter((run) => !grantedIds.has(run.id));
        await this.store.deferEach(this.owner, waiting);
        for (const { at } of waiting) this.nextKnownDueAt = Math.min(this.nextKnownDueAt, at);
      } catch (error) {
        // Left leased: the runs are taken up again when their lease expires.
        this.ctx.logger.error({ err: error, webhookId }, 'holding back runs over their webhook\'s limits failed');
      }
      for (const run of held) {
        this.inFlight.delete(run.id);
        this.unsent.delete(run.id);
      }
    }
    if (send.length < runs.length) this.requestWake();
    return send;
  }

  /** Frees the permits of runs whose attempts are recorded (or that were never sent); left to expire if this fails. */
  private async releasePermits(runIds: string[]): Promise<void> {
    const held = runIds.filter((id) => this.permitted.delete(id));
    if (held.length === 0) return;
    await this.store.releasePermits(this.owner, held).catch((error: unknown) => {
      this.ctx.logger.warn({ err: error, runs: held.length }, 'releasing webhook permits failed; they expire with the runs\' leases');
    });
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
          const retries = await recordAttempts(this.ctx, this.store, batch, this.owner);
          // A retry of a run no longer ours only makes this worker look once more at an empty queue.
          for (const at of retries) this.nextKnownDueAt = Math.min(this.nextKnownDueAt, at);
        } catch (error) {
          this.ctx.logger.error({ err: error, runs: batch.length }, 'recording attempts failed; the runs are retried when their lease expires');
        }
        if (this.permitted.size > 0) await this.releasePermits(batch.map((finished) => finished.run.id));
        this.recordingCount = 0;
        this.requestWake();
      }
      this.recording = undefined;
    })();
  }
}

/** A run that will be sent (not refused) to a webhook with flood-control limits: it goes out only with a permit. */
function needsPermit(run: ClaimedRun): boolean {
  return (
    (run.webhook_max_concurrency !== null || run.webhook_max_per_second !== null) &&
    run.webhook_id !== null &&
    run.webhook_url !== null &&
    run.webhook_disabled_at === null
  );
}

/**
 * PREPARING for a batch, from what the claim brought with each run: its webhook as it is now and the ciphertexts of
 * the webhook's signing secret and access token (each decrypted once per batch). No other secret is read: a payload
 * can only use the secrets attached to its webhook. Throws only when a secret cannot be decrypted.
 */
export function prepareDeliveries(ctx: Pick<AppContext, 'keyring'>, runs: ClaimedRun[], triggerOf: (run: ClaimedRun) => AttemptTrigger): DeliveryStep[] {
  const decrypted = new Map<string, string>();
  const decrypt = (teamId: string, name: string, ciphertext: string) => {
    const key = `${teamId}\u0000${name}\u0000${ciphertext}`;
    let value = decrypted.get(key);
    if (value === undefined) decrypted.set(key, (value = decryptSecret(ctx.keyring, teamId, name, ciphertext)));
    return value;
  };
  const now = Date.now();
  return runs.map((run) => ({ run, trigger: triggerOf(run), delivery: prepareClaimed(run, decrypt, now, { customHeaders: true }) }));
}

/**
 * SENDING: one request through the guarded client (none for a refused delivery). What is kept is redacted: request
 * headers without token or signatures, response headers and body without any secret value the request carried.
 */
export async function attempt(ctx: Pick<AppContext, 'config'>, client: WebhookClient, step: DeliveryStep): Promise<FinishedAttempt> {
  const { run, trigger, delivery } = step;
  if (delivery.kind === 'refused') {
    return {
      run,
      trigger,
      startedAt: Date.now(),
      durationMs: 0,
      url: run.webhook_url ?? '',
      requestHeaders: {},
      response: { kind: 'refused', error: delivery.error },
      responseHeaders: {},
      responseBody: '',
    };
  }
  const startedAt = Date.now();
  const response = await client.send({ url: delivery.url, headers: delivery.headers, body: delivery.body, timeoutMs: ctx.config.webhookTimeoutMs });
  const redact = (text: string) => redactSecrets(text, delivery.secretValues);
  return {
    run,
    trigger,
    startedAt,
    durationMs: Math.round(response.durationMs),
    url: delivery.url,
    requestHeaders: redactHeaders(delivery.headers, delivery.secretValues),
    // A blocked target (SSRF guard) is refused at send time: no request left.
    response: response.blocked
      ? { kind: 'refused', error: redact(response.error ?? 'the target is not allowed') }
      : { kind: 'answered', status: response.status, error: response.error === null ? null : redact(response.error), retryAfter: response.retryAfter },
    responseHeaders: redactSecretsInHeaders(Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, String(value)])), delivery.secretValues),
    responseBody: redactedExcerpt(response.body, delivery.secretValues),
  };
}

/**
 * The stored excerpt of a response body, redacted. A body that reaches the excerpt's size (here, or where the client
 * stopped reading) may end inside a secret the receiver echoed, so its end is redacted from where the secret begins.
 */
function redactedExcerpt(body: string | Buffer, secretValues: string[]): string {
  let text = typeof body === 'string' ? body : body.toString('utf8');
  // A UTF-8 character is at most 4 bytes: a shorter body was read whole.
  const mayBeCut = Buffer.byteLength(text, 'utf8') > Math.min(RESPONSE_EXCERPT_BYTES, DEFAULT_MAX_RESPONSE_BYTES) - 4;
  if (Buffer.byteLength(text, 'utf8') > RESPONSE_EXCERPT_BYTES) text = Buffer.from(text, 'utf8').subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
  return redactSecrets(text, secretValues, { cutAtEnd: mayBeCut });
}

function decide(ctx: Pick<AppContext, 'config'>, finished: FinishedAttempt, now: number): DeliveryDecision {
  return decideDelivery(
    { number: finished.run.attempts + 1, trigger: finished.trigger, mayRaiseFailure: finished.run.suppress_failure_event === 0 },
    finished.response,
    { delaysSeconds: ctx.config.retrySchedule, now },
  );
}

function statusOf(finished: FinishedAttempt): number | null {
  return finished.response.kind === 'answered' ? finished.response.status : null;
}

/**
 * What a failed manual attempt keeps: a run waiting for retries its due time, an ordered run waiting for its subject
 * its wait (dueAt null: no due time); any other run none (it fails).
 */
function keptSchedule(dueAt: number | null, waiting: boolean): { dueAt: number | null } | null {
  if (waiting) return { dueAt: null };
  return dueAt === null ? null : { dueAt };
}

/** The run's outcome for a decision; `keepSchedule` (a manual attempt on a run waiting for retries) keeps it waiting. */
function outcomeOf(finished: FinishedAttempt, decision: DeliveryDecision, keepSchedule: { dueAt: number | null } | null): RunOutcome {
  const attempts = finished.run.attempts + 1;
  const status = statusOf(finished);
  switch (decision.state) {
    case 'succeeded':
      return { state: 'succeeded', status, attempts };
    case 'retry':
      return { state: 'pending', nextAttemptAt: decision.at, status, error: decision.reason, attempts };
    case 'failed':
      return keepSchedule
        ? { state: 'pending', nextAttemptAt: keepSchedule.dueAt, status, error: decision.reason, attempts }
        : { state: 'failed', status, error: decision.reason, attempts };
  }
}

function toRecorded(finished: FinishedAttempt, decision: DeliveryDecision, outcome: RunOutcome, pauseUntil: number | null): RecordedAttempt {
  const { response } = finished;
  return {
    run: finished.run,
    attempt: {
      id: newId(),
      run_id: finished.run.id,
      team_id: finished.run.team_id,
      webhook_id: finished.run.webhook_id,
      number: finished.run.attempts + 1,
      trigger: finished.trigger,
      started_at: finished.startedAt,
      duration_ms: finished.durationMs,
      url: finished.url,
      request_headers: JSON.stringify(finished.requestHeaders),
      status: statusOf(finished),
      error: response.error,
      response_headers: JSON.stringify(finished.responseHeaders),
      response_body: finished.responseBody,
    },
    outcome,
    disableWebhook: decision.state === 'failed' && decision.disableWebhook ? decision.reason : null,
    raiseFailure: decision.state === 'failed' && decision.raiseFailure && outcome.state === 'failed',
    health: healthChange(finished),
    pauseUntil,
  };
}

/** What the attempt does to its endpoint's health (see RecordedAttempt.health): nothing, for a success to a healthy one. */
function healthChange(finished: FinishedAttempt): RecordedAttempt['health'] {
  const verdict = endpointVerdict(finished.response);
  if (verdict === 'failed') return 'failed';
  return verdict === 'succeeded' && (finished.run.webhook_consecutive_failures ?? 0) > 0 ? 'reset' : null;
}

/** DECIDING and RECORDING a batch of finished attempts (one store transaction). Returns the retry times it scheduled. */
export async function recordAttempts(ctx: Pick<AppContext, 'config'>, store: RunStore, batch: FinishedAttempt[], owner: string): Promise<number[]> {
  const now = Date.now();
  const retries: number[] = [];
  const recorded = batch.map((finished) => {
    const decision = decide(ctx, finished, now);
    if (decision.state === 'retry') retries.push(decision.at);
    return toRecorded(finished, decision, outcomeOf(finished, decision, null), rateLimitPause(finished.response, now, retryAfterCeilingMs(ctx.config.retrySchedule)));
  });
  await store.record(owner, recorded, now);
  return retries;
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
 * schedule, any other run is (again) failed. Returns 'busy' when a worker is sending the run at this moment, and
 * refuses (409) a run whose webhook has been deleted. It is not held back by its webhook's flood-control limits and
 * takes no permit: an operator asked for this one request (docs/automations.md, "Flood control per webhook").
 */
export async function redeliverNow(ctx: AppContext, runId: string, teamId: string): Promise<ManualAttempt | 'busy' | undefined> {
  const owner = `manual:${defaultWorkerOwner()}`;
  const store = createRunStore(ctx);
  const claim = await store.claimOne(runId, teamId, owner, ctx.config.webhookTimeoutMs + ctx.config.deliveryLeaseMs);
  if (claim.kind === 'missing') return undefined;
  if (claim.kind === 'busy') return 'busy';
  if (claim.kind === 'webhook_deleted') throw conflict('the webhook of this run has been deleted; the run cannot be redelivered', { runId });
  const { run, dueAt, waiting } = claim;
  const client = new WebhookClient({ allow: ctx.config.webhookAllow });
  try {
    const [step] = prepareDeliveries(ctx, [run], () => 'manual');
    const finished = await attempt(ctx, client, step!);
    const now = Date.now();
    const decision = decide(ctx, finished, now);
    const recorded = toRecorded(
      finished,
      decision,
      outcomeOf(finished, decision, keptSchedule(dueAt, waiting)),
      rateLimitPause(finished.response, now, retryAfterCeilingMs(ctx.config.retrySchedule)),
    );
    await store.record(owner, [recorded], now);
    return {
      number: recorded.attempt.number,
      trigger: 'manual',
      startedAt: finished.startedAt,
      durationMs: finished.durationMs,
      url: finished.url,
      requestHeaders: finished.requestHeaders,
      status: recorded.attempt.status ?? null,
      error: recorded.attempt.error ?? null,
      responseHeaders: finished.responseHeaders,
      responseBody: finished.responseBody,
    };
  } finally {
    await client.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
