// A queue_job run follows its job (the JobOutcomes port of src/queues/job-outcomes.ts, called in the transaction that
// changes the job):
//
//   dispatch ──▶ pending (job queued, claimed, running) ──job succeeded──▶ succeeded
//                   ▲                                  └─job failed / cancelled──▶ failed (+ AUTOMATION_FAILED)
//                   └──────────── the job requeued (a new job; the run follows it) ◀──────┘
//
// A failed run keeps the job's error ("job cancelled" for a cancelled one); the exit code stays on the job, which the
// run views show beside the run. AUTOMATION_FAILED is raised as for a webhook that ran out of retries — unless the run
// was itself triggered by AUTOMATION_FAILED — once per automation among the jobs finished together (a queue deleted
// with many jobs, a reaper pass), like the runs cancelled by a webhook's deletion.
import type { Config } from '../config.js';
import type { Tx } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';
import type { FinishedJob, JobOutcomes } from '../queues/job-outcomes.js';
import { recordAutomationFailed, type FailedRun } from './events.js';
import { failedColumns, succeededColumns } from './run-states.js';

/** The error a run gets when its job was cancelled (the job keeps the reason). */
export const JOB_CANCELLED = 'job cancelled';

function runError(job: FinishedJob): string {
  if (job.state === 'cancelled') return JOB_CANCELLED;
  return job.error ?? `job failed with exit code ${job.exitCode ?? 'none'}`;
}

async function finished(tx: Tx, after: AfterCommit, config: Pick<Config, 'jobMaxAttempts'>, jobs: FinishedJob[]): Promise<void> {
  const now = Date.now();
  const failures = new Map<string, Array<{ run: FailedRun; job: FinishedJob; error: string }>>();
  for (const job of jobs) {
    const error = runError(job);
    // Only the run still waiting on this very job: after a requeue the run follows the newest job.
    const run = await tx
      .updateTable('action_runs')
      .set(job.state === 'succeeded' ? succeededColumns(now) : failedColumns(error, now))
      .where('id', '=', job.runId)
      .where('job_id', '=', job.id)
      .where('state', '=', 'pending')
      .returning(['id', 'team_id', 'event_id', 'automation_id', 'automation_name', 'suppress_failure_event'])
      .executeTakeFirst();
    if (!run || job.state === 'succeeded' || run.suppress_failure_event === 1) continue;
    const group = failures.get(run.automation_id) ?? [];
    group.push({ run, job, error });
    failures.set(run.automation_id, group);
  }
  for (const [first, ...others] of failures.values()) {
    if (!first) continue;
    await recordAutomationFailed(
      tx,
      after,
      config,
      first.run,
      { error: first.error, status: null },
      {
        jobId: first.job.id,
        jobState: first.job.state,
        exitCode: first.job.exitCode,
        ...(others.length > 0 ? { failedRuns: others.length + 1 } : {}),
      },
    );
  }
}

async function requeued(tx: Tx, job: { jobId: string; runId: string }): Promise<void> {
  await tx
    .updateTable('action_runs')
    .set({ state: 'pending', job_id: job.jobId, last_error: null, last_status: null, next_attempt_at: null, finished_at: null })
    .where('id', '=', job.runId)
    .execute();
}

/** The runs-follow-their-jobs implementation of the queues' port; `config` is what AUTOMATION_FAILED's own jobs need. */
export function runsFollowJobs(config: Pick<Config, 'jobMaxAttempts'>): JobOutcomes {
  return {
    finished: (tx, after, jobs) => finished(tx, after, config, jobs),
    requeued: (tx, job) => requeued(tx, job),
  };
}
