// A job's states and the groups of them the code asks about, written down once (the column's type, JobState, is
// db/schema.ts's; the list below fails to compile when that type gains a state it lacks).
//
//   queued ──claim──▶ claimed ──heartbeat{running}──▶ running ──result──▶ succeeded | failed | cancelled
import type { JobState } from '../db/schema.js';

export const JOB_STATES = ['queued', 'claimed', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly JobState[];
const everyJobStateListed: Record<Exclude<JobState, (typeof JOB_STATES)[number]>, never> = {};
void everyJobStateListed;

/** In an agent's hands: it holds a lease that it must keep renewing. */
export const LEASED_STATES: readonly JobState[] = ['claimed', 'running'];

/** Waiting for an agent or in one's hands: what deleting a queue would cut short. */
export const UNFINISHED_STATES: readonly JobState[] = ['queued', ...LEASED_STATES];

/** Final: the job has its outcome and only a requeue (a new job) runs it again. */
export const FINISHED_STATES: readonly JobState[] = JOB_STATES.filter((state) => !UNFINISHED_STATES.includes(state));
