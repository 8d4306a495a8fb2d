// The recording side of ordered delivery (core/delivery-order.ts): what finishing a run of an ordered automation does
// to its subject. dispatch.ts (takeSubjectSlot) is the creating side.
//
// Both sides lock the subject's delivery_subjects row before touching its runs — the event's transaction by its upsert,
// the recording and cancelling transactions by lockSubjects, always before they write a run — so on PostgreSQL a run
// created while the active one finishes is seen by the finishing transaction (which then makes it active) or sees the
// subject free (and is active itself): it is never left waiting. Locking subjects first, in one order, also keeps the
// two sides from waiting on each other's runs (no deadlock). On SQLite the write lock serializes them already.
import { sql, type QueryCreator } from 'kysely';
import type { Tx } from '../db/index.js';
import type { Database } from '../db/schema.js';
import type { AfterCommit } from '../db/transaction.js';
import { CHANNEL_RUNS } from '../context.js';
import { supersededColumns, type RunOutcome } from './run-states.js';

export interface OrderedRun {
  id: string;
  automation_id: string;
  subject: string;
}

const keyOf = (run: { automation_id: string; subject: string }) => `${run.automation_id}\u0000${run.subject}`;

/** The subjects' active runs, by (automation, subject) — each subject's row locked until the transaction ends. */
export type LockedSubjects = Map<string, string | null>;

/**
 * Locks the subjects of `runs` (a write that changes nothing, as admitOrSkip does for automations; in a fixed order)
 * and returns their active runs.
 */
export async function lockSubjects(tx: Tx, runs: Array<{ automation_id: string; subject: string }>): Promise<LockedSubjects> {
  const locked: LockedSubjects = new Map();
  const subjects = [...new Map(runs.map((run) => [keyOf(run), run])).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, { automation_id, subject }] of subjects) {
    const row = await tx
      .updateTable('delivery_subjects')
      .set((eb) => ({ active_run_id: eb.ref('active_run_id') }))
      .where('automation_id', '=', automation_id)
      .where('subject', '=', subject)
      .returning('active_run_id')
      .executeTakeFirst();
    locked.set(key, row?.active_run_id ?? null);
  }
  return locked;
}

/**
 * After an ordered run's attempt was recorded with `outcome` (its subject locked by lockSubjects): a final outcome
 * hands the subject to the next waiting run; a retry holds it — unless the automation supersedes and a newer run
 * waits, then the run ends `superseded` by the newest one instead of being retried, and the subject moves on.
 */
export async function settleOrderedRun(tx: Tx, after: AfterCommit, locked: LockedSubjects, run: OrderedRun, outcome: RunOutcome, now: number): Promise<void> {
  if (locked.get(keyOf(run)) !== run.id) return;
  if (outcome.state === 'pending' && outcome.nextAttemptAt === null) {
    // A failed manual attempt on a waiting run that was made active meanwhile: it is the subject's to send now.
    await tx.updateTable('action_runs').set({ next_attempt_at: now }).where('id', '=', run.id).execute();
    after.notify(CHANNEL_RUNS);
    return;
  }
  if (outcome.state === 'pending') {
    const newest = await waitingRun(tx, run, 'desc');
    if (newest === undefined) return;
    const automation = await tx.selectFrom('automations').select('delivery_supersede').where('id', '=', run.automation_id).executeTakeFirst();
    if (automation?.delivery_supersede !== 1) return;
    await tx.updateTable('action_runs').set(supersededColumns(newest.id, now)).where('id', '=', run.id).execute();
  }
  await activateNext(tx, after, locked, run, now);
}

/**
 * A run that ended without an attempt (cancelled with its webhook, superseded): if it held its subject, the next
 * waiting run gets it. The subject must have been locked (lockSubjects) before the run was changed.
 */
export async function releaseFinished(tx: Tx, after: AfterCommit, locked: LockedSubjects, run: OrderedRun, now: number): Promise<void> {
  if (locked.get(keyOf(run)) === run.id) await activateNext(tx, after, locked, run, now);
}

/**
 * Hands a subject whose active run is no longer pending to its lowest waiting run (the subject locked by the caller);
 * returns that run's id, or null when none waits (the subject is free).
 */
export async function activateWaiting(tx: Tx, after: AfterCommit, subject: { automation_id: string; subject: string }, now: number): Promise<string | null> {
  const locked: LockedSubjects = new Map();
  await activateNext(tx, after, locked, { id: '', ...subject }, now);
  return locked.get(keyOf(subject)) ?? null;
}

/** The id of the subject's waiting run with the lowest (`asc`) or highest sequence, on any query creator. */
function waitingRunQuery(qc: QueryCreator<Database>, run: Pick<OrderedRun, 'automation_id' | 'subject'>, direction: 'asc' | 'desc') {
  return qc
    .selectFrom('action_runs')
    .select('id')
    .where('automation_id', '=', run.automation_id)
    .where('subject', '=', run.subject)
    .where('state', '=', 'pending')
    .where('next_attempt_at', 'is', null)
    .orderBy('sequence', direction)
    .limit(1);
}

function waitingRun(tx: Tx, run: OrderedRun, direction: 'asc' | 'desc') {
  return waitingRunQuery(tx, run, direction).executeTakeFirst();
}

/**
 * Makes the subject's lowest waiting run active and due, or frees the subject. Two statements: the subject's row (locked
 * since lockSubjects, so this statement's fresh snapshot sees every run created before the lock was taken) takes its
 * next run, and that run becomes due now — not before a cooldown fold's time (not_before), and not while a manual
 * attempt holds it (the claim reads due times, not leases).
 */
async function activateNext(tx: Tx, after: AfterCommit, locked: LockedSubjects, run: OrderedRun, now: number): Promise<void> {
  const row = await tx
    .updateTable('delivery_subjects')
    .set((eb) => ({ active_run_id: waitingRunQuery(eb as unknown as QueryCreator<Database>, run, 'asc') }))
    .where('automation_id', '=', run.automation_id)
    .where('subject', '=', run.subject)
    .returning('active_run_id')
    .executeTakeFirst();
  const next = row?.active_run_id ?? null;
  locked.set(keyOf(run), next);
  if (next === null) return;
  const notLeased = sql<number>`case when coalesce(lease_until, 0) > ${now} then lease_until else ${now} end`;
  await tx
    .updateTable('action_runs')
    .set({ next_attempt_at: sql<number>`case when coalesce(not_before, 0) > ${notLeased} then not_before else ${notLeased} end` })
    .where('id', '=', next)
    .execute();
  after.notify(CHANNEL_RUNS);
}
