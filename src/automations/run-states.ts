// What each way of finishing an attempt writes to its action run — the ONE definition, used by the delivery run store
// (every attempt, automatic or manual) and by webhook deletion (cancelled runs):
//
//   pending ──attempt──▶ succeeded                       last_error cleared, finished
//                     ├─▶ pending, next_attempt_at = T   a retry is due at T
//                     └─▶ failed                         finished with last_error
// Every one of them gives the lease back and clears the manual-redelivery mark.
import type { ActionRunUpdate } from '../db/schema.js';

/** The outcome of an attempt, as written to its run. `attempts` counts the attempt being recorded. */
export type RunOutcome =
  | { state: 'succeeded'; status: number | null; attempts: number }
  | { state: 'pending'; nextAttemptAt: number; status: number | null; error: string | null; attempts: number }
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

/** The columns a run still waiting for an attempt at `nextAttemptAt` gets. */
export function pendingColumns(error: string | null, nextAttemptAt: number) {
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
