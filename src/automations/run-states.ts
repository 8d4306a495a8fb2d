// What each way of finishing an attempt writes to its action run — the ONE definition, used by the delivery run store
// (every attempt, automatic or manual) and by webhook deletion (cancelled runs):
//
//   pending ──attempt──▶ succeeded                       last_error cleared, finished
//                     ├─▶ pending, next_attempt_at = T   a retry is due at T
//                     └─▶ failed                         finished with last_error
//   pending ──newer run of its subject──▶ superseded     never sent (or not sent again), superseded_by the newer run
// Ordered runs (core/delivery-order.ts) also wait: pending with no next_attempt_at until their subject's active run
// finishes. Every one of them gives the lease back and clears the manual-redelivery mark.
import type { ActionRunUpdate, RunState } from '../db/schema.js';

/** Every state a run can be in, for API schemas and filters. */
export const RUN_STATES = ['pending', 'succeeded', 'failed', 'skipped', 'superseded'] as const satisfies readonly RunState[];
// Every RunState is listed: this fails to compile when one is added to the schema and not here.
type Unlisted = Exclude<RunState, (typeof RUN_STATES)[number]>;
const everyStateListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyStateListed;

/** The outcome of an attempt, as written to its run. `attempts` counts the attempt being recorded. */
export type RunOutcome =
  | { state: 'succeeded'; status: number | null; attempts: number }
  /** nextAttemptAt null: an ordered run waiting for its subject's active run (a failed manual attempt on it). */
  | { state: 'pending'; nextAttemptAt: number | null; status: number | null; error: string | null; attempts: number }
  | { state: 'failed'; status: number | null; error: string | null; attempts: number };

const RELEASED = { lease_owner: null, lease_until: null, manual_redelivery: 0 } as const;

/** The columns every succeeded run gets (the attempt count and status aside). */
export function succeededColumns(now: number) {
  return { ...RELEASED, state: 'succeeded', last_error: null, next_attempt_at: null, finished_at: now } as const satisfies ActionRunUpdate;
}

/** The columns every failed run gets (the attempt count and status aside). */
export function failedColumns(error: string | null, now: number) {
  return { ...RELEASED, state: 'failed', last_error: error, next_attempt_at: null, finished_at: now } as const satisfies ActionRunUpdate;
}

/** The columns of a run ended by a newer run of its subject (`by`); its attempts so far stay as they are. */
export function supersededColumns(by: string, now: number) {
  return { ...RELEASED, state: 'superseded', superseded_by: by, next_attempt_at: null, finished_at: now } as const satisfies ActionRunUpdate;
}

/** The columns a run still waiting for an attempt at `nextAttemptAt` gets. */
export function pendingColumns(error: string | null, nextAttemptAt: number | null) {
  return { ...RELEASED, state: 'pending', last_error: error, next_attempt_at: nextAttemptAt, finished_at: null } as const satisfies ActionRunUpdate;
}

/** Everything `outcome` writes to its run. */
export function outcomeColumns(outcome: RunOutcome, now: number): ActionRunUpdate {
  const counted = { attempts: outcome.attempts, last_status: outcome.status };
  switch (outcome.state) {
    case 'succeeded':
      return { ...succeededColumns(now), ...counted };
    case 'pending':
      return { ...pendingColumns(outcome.error, outcome.nextAttemptAt), ...counted };
    case 'failed':
      return { ...failedColumns(outcome.error, now), ...counted };
  }
}
