// The delivery run store: the worker's and manual redelivery's one port onto `action_runs` and `delivery_attempts`
// (pg-boss style). Claim due runs under a lease, record finished attempts — each run's outcome written only while
// the lease is still ours — give back unsent runs, and say when the next run is due. One implementation per database
// (./sqlite.ts, ./postgres.ts, sharing ./base.ts); createRunStore is the one place that picks one. Nothing outside
// those files and src/db/ knows which database it is talking to.
//
// A claimed run's next_attempt_at is moved to its lease expiry. The claim query is then just "pending and due" on
// the (state, next_attempt_at) index: runs in flight are not due, and a crashed worker's runs become due exactly when
// their lease runs out — nothing scans past leased rows, even under a backlog of a million runs.
import type { Config } from '../../config.js';
import type { Insertable } from 'kysely';
import type { Db, DialectName, Notifier } from '../../db/index.js';
import { forDialect } from '../../db/dialect.js';
import type { ActionRun, DeliveryAttemptsTable } from '../../db/schema.js';
import type { RunOutcome } from '../../automations/run-states.js';
import { PostgresRunStore } from './postgres.js';
import { SqliteRunStore } from './sqlite.js';
import type { RUN_COLUMNS } from './base.js';

export type { RunOutcome } from '../../automations/run-states.js';

/**
 * A claimed run with its webhook as it is at the moment of the claim — an attempt goes wherever the webhook points
 * now, signed with the secrets it has now — read by the claim itself (one statement): the webhook's URL (null when
 * the webhook has been deleted), whether it has been disabled, the names of its signing secret and access token, its
 * custom headers, and the secrets' encrypted values (null when the secret is gone).
 */
export type ClaimedRun = Pick<ActionRun, (typeof RUN_COLUMNS)[number]> & {
  webhook_url: string | null;
  webhook_secret_name: string | null;
  webhook_token_name: string | null;
  /** Its custom headers as stored (a JSON list, secret placeholders unfilled). */
  webhook_headers: string | null;
  webhook_disabled_at: number | null;
  webhook_disabled_reason: string | null;
  /** The endpoint's failed attempts in a row (0 while healthy), and the next probe time while its circuit is open. */
  webhook_consecutive_failures: number | null;
  webhook_probe_at: number | null;
  /** Flood control (core/endpoint-limits.ts): a run of a webhook with either limit is sent only with a permit. */
  webhook_max_concurrency: number | null;
  webhook_max_per_second: number | null;
  signing_ciphertext: string | null;
  token_ciphertext: string | null;
};

export type NewDeliveryAttempt = Insertable<DeliveryAttemptsTable>;

/** One finished attempt to record: the attempt row, what it means for the run, and what else it causes. */
export interface RecordedAttempt {
  /** `subject`: set for a run of ordered delivery (absent or null: unordered, the usual case). */
  run: Pick<ClaimedRun, 'id' | 'team_id' | 'event_id' | 'automation_id' | 'automation_name' | 'webhook_id'> & { subject?: string | null };
  attempt: NewDeliveryAttempt;
  outcome: RunOutcome;
  /** The webhook is disabled with this reason (a 410 answer), or null. */
  disableWebhook: string | null;
  /** AUTOMATION_FAILED is raised for the run (only with a `failed` outcome). */
  raiseFailure: boolean;
  /**
   * What the attempt does to its endpoint's health: `failed` counts a failure (and may open the circuit or disable the
   * webhook), `reset` clears the failures of an endpoint that answered again, null changes nothing (a success to a
   * healthy endpoint, or no request made; also when absent) — the usual case, which keeps the all-succeeded batch a
   * single statement.
   */
  health?: 'failed' | 'reset' | null;
  /** A 429 with Retry-After: the endpoint is paused until then (core/endpoint-health.ts rateLimitPause). */
  pauseUntil?: number | null;
}

/** A claim of one run by id (manual redelivery). */
export type OneClaim =
  | {
      kind: 'claimed';
      run: ClaimedRun;
      /** The run's due time before the claim moved it (null when it was not pending, or waiting). */
      dueAt: number | null;
      /** An ordered run waiting for its subject's active run: it keeps waiting after a failed manual attempt. */
      waiting: boolean;
    }
  | { kind: 'missing' }
  /** The run's webhook no longer exists: there is nowhere to send it. */
  | { kind: 'webhook_deleted' }
  /** Another worker holds a live lease on the run (it is being sent right now). */
  | { kind: 'busy' };

export interface RunStore {
  /** Claims up to `limit` due webhook runs for `owner` until `now + leaseMs`, oldest due first. */
  claimDue(owner: string, limit: number, leaseMs: number, now?: number): Promise<ClaimedRun[]>;
  /** Claims one run of the team whatever its state (manual redelivery), unless another worker holds a live lease on it. */
  claimOne(runId: string, teamId: string, owner: string, leaseMs: number, now?: number): Promise<OneClaim>;
  /**
   * Records finished attempts in one transaction: every attempt row; then each run's outcome, its webhook disabled and
   * its AUTOMATION_FAILED raised — only for runs `owner` still holds. A run whose lease expired and was taken over by
   * another worker (or was cancelled meanwhile) is never finished twice.
   */
  record(owner: string, attempts: RecordedAttempt[], now?: number): Promise<void>;
  /** Gives back claimed runs that were never sent (graceful stop): due again at once for any worker. */
  release(owner: string, runIds: string[]): Promise<void>;
  /** The earliest next_attempt_at of a pending webhook run (the worker sleeps until then when nothing is due). */
  nextDueAt(): Promise<number | null>;
  /**
   * Takes the probe of a webhook whose circuit is open and whose probe is due at `now`: true for exactly one caller,
   * which holds it until `holdUntil` (recording the probe's attempt sets the next probe time, or closes the circuit).
   */
  takeProbe(webhookId: string, now: number, holdUntil: number): Promise<boolean>;
  /** Gives back claimed runs held by an open circuit, due again at `at`; their attempt count is unchanged. */
  defer(owner: string, runIds: string[], at: number): Promise<void>;
  /**
   * Flood control (core/endpoint-limits.ts): permits for `owner` to send claimed runs of one webhook (oldest first),
   * in one transaction serialized per webhook — as many as its limits allow now across every worker, each held until
   * `holdUntil` (the runs' lease end) unless released. Returns the runs granted and, for the others, when each may
   * look again (see deferEach). A webhook deleted or no longer limited grants them all.
   */
  acquirePermits(webhookId: string, owner: string, runIds: string[], now: number, holdUntil: number): Promise<PermitGrant>;
  /** Ends `owner`'s permits for these runs (their attempts are recorded, or they were never sent). */
  releasePermits(owner: string, runIds: string[], now?: number): Promise<void>;
  /** Gives back claimed runs, each due again at its own time; their attempt count is unchanged. */
  deferEach(owner: string, schedule: Array<{ id: string; at: number }>): Promise<void>;
}

/** What acquirePermits answers: the runs that may be sent now, and when each of the others is due again. */
export interface PermitGrant {
  granted: string[];
  waiting: Array<{ id: string; at: number }>;
}

/**
 * What a store needs: the connections it writes through, the notifier that wakes workers after commits, and the
 * settings of the AUTOMATION_FAILED events it records (their queue jobs' max attempts).
 */
export interface RunStoreContext {
  db: Db;
  dialect: DialectName;
  notifier: Notifier;
  config: Pick<Config, 'jobMaxAttempts'>;
}

export function createRunStore(ctx: RunStoreContext): RunStore {
  const create = forDialect<(ctx: RunStoreContext) => RunStore>(ctx.dialect, {
    postgres: (c) => new PostgresRunStore(c),
    sqlite: (c) => new SqliteRunStore(c),
  });
  return create(ctx);
}
