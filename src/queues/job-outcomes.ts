// What else happens when jobs that automations created finish or run again: the automation's action run follows its
// job (src/automations/job-runs.ts — pending while the job is queued or running, then succeeded or failed, with
// AUTOMATION_FAILED for a failed or cancelled job). A port, called inside the transaction that changes the job, so the
// run's state commits with the job's; queues/ cannot import automations/ (dispatch enqueues jobs: the folders would
// form a cycle), so the callers that own both (the API routes, the background work) hand the implementation in.
import type { Tx } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';

/** A job of an automation's run that has just reached a final state. */
export interface FinishedJob {
  id: string;
  runId: string;
  state: 'succeeded' | 'failed' | 'cancelled';
  exitCode: number | null;
  error: string | null;
}

export interface JobOutcomes {
  /** `jobs` reached their final states in `tx`. */
  finished(tx: Tx, after: AfterCommit, jobs: FinishedJob[]): Promise<void>;
  /** A finished job (`previousJobId`) runs again as `jobId`: its run follows the new job. */
  requeued(tx: Tx, job: { jobId: string; runId: string; previousJobId: string }): Promise<void>;
}

/** The finished jobs among updated rows that belong to an automation's run (hand-made jobs have none). */
export function finishedJobsOf(
  rows: ReadonlyArray<{ id: string; run_id: string | null; state: string; exit_code: number | null; error: string | null }>,
): FinishedJob[] {
  return rows.flatMap((row) =>
    row.run_id !== null && (row.state === 'succeeded' || row.state === 'failed' || row.state === 'cancelled')
      ? [{ id: row.id, runId: row.run_id, state: row.state, exitCode: row.exit_code, error: row.error }]
      : [],
  );
}
