// Jobs: the rows agents claim and run. This file holds enqueueing (called by automation dispatch inside the event's
// transaction, and by the API for hand-made jobs); the claim/lease protocol lives in ./agent-protocol.ts.
import type { Config } from '../config.js';
import { CHANNEL_JOBS } from '../context.js';
import type { Tx } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';
import { newId } from '../core/ids.js';

/**
 * Attempts a job gets when the caller does not say. Automation dispatch runs inside `recordEvent(tx, after, …)`,
 * which has no AppContext, so the configured MODELYARD_JOB_MAX_ATTEMPTS reaches it through this module-level value,
 * set once per process by configureJobDefaults (the queue routes and the lease reaper both call it at start-up).
 * 3 is the config default, so an unconfigured process behaves the same.
 */
let defaultMaxAttempts = 3;

export function configureJobDefaults(config: Pick<Config, 'jobMaxAttempts'>): void {
  defaultMaxAttempts = config.jobMaxAttempts;
}

export interface EnqueueJobInput {
  teamId: string;
  queueId: string;
  /** The rendered job template: JSON object text (validated by the caller; stored as is). */
  payload: string;
  runId: string | null;
  automationId: string | null;
  eventId: string | null;
  createdBy: string;
  /** Leases a job may lose before it is failed; defaults to MODELYARD_JOB_MAX_ATTEMPTS. */
  maxAttempts?: number;
}

/** Inserts a queued job and wakes long-polling agents once the transaction commits. */
export async function enqueueJob(tx: Tx, after: AfterCommit, input: EnqueueJobInput): Promise<{ id: string }> {
  const id = newId();
  await tx
    .insertInto('jobs')
    .values({
      id,
      team_id: input.teamId,
      queue_id: input.queueId,
      run_id: input.runId,
      automation_id: input.automationId,
      event_id: input.eventId,
      payload: input.payload,
      state: 'queued',
      attempts: 0,
      max_attempts: input.maxAttempts ?? defaultMaxAttempts,
      agent: null,
      lease_until: null,
      cancel_requested: 0,
      exit_code: null,
      error: null,
      log_tail: '',
      created_by: input.createdBy,
      created_at: Date.now(),
      claimed_at: null,
      started_at: null,
      finished_at: null,
    })
    .execute();
  after.notify(CHANNEL_JOBS, input.queueId);
  return { id };
}
