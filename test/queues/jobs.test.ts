// insertJobs: jobs inserted together in the caller's transaction — each row with its own values and a queued job's
// starting state — and the agents of each queue woken once the transaction has committed, never before.
import { expect, it } from 'vitest';
import { CHANNEL_JOBS } from '../../src/context.js';
import { inTransaction } from '../../src/db/transaction.js';
import { insertJobs, type NewJob } from '../../src/queues/jobs.js';
import { parseJobEvent, type JobEvent } from '../../src/queues/job-event.js';
import { useTestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/index.js';

const database = useTestDatabase();

const EVENT: JobEvent = {
  type: 'ADD_ARTIFACT_ALIAS',
  model: 'classifier',
  version: 'v3',
  alias: 'production',
  artifactVersionString: 'vision/model-registry/classifier:production',
  author: 'alice',
  eventId: 'event-0',
};

function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    teamId: 'team-1',
    queueId: 'queue-a',
    payload: '{"command":"evaluate"}',
    runId: null,
    automationId: null,
    eventId: null,
    event: null,
    createdBy: 'user-1',
    maxAttempts: 3,
    ...overrides,
  };
}

function jobsOf(ids: string[]) {
  return database.handle.db.selectFrom('jobs').selectAll().where('id', 'in', ids).execute();
}

it('writes every job with its own values, queued and untouched, and returns the ids in order', async () => {
  const jobs = [
    newJob({ payload: '{"n":0}', runId: 'run-0', automationId: 'auto-0', eventId: 'event-0', event: EVENT, maxAttempts: 1 }),
    newJob({ payload: '{"n":1}', queueId: 'queue-b', createdBy: 'user-2', maxAttempts: 7 }),
    newJob({ payload: '{"n":2}' }),
  ];
  const ids = await inTransaction(database.handle, (tx, after) => insertJobs(tx, after, jobs));
  expect(ids).toHaveLength(3);
  expect(new Set(ids).size).toBe(3);

  const rows = new Map((await jobsOf(ids)).map((row) => [row.id, row]));
  expect(rows.size).toBe(3);
  jobs.forEach((job, i) => {
    const row = rows.get(ids[i]!)!;
    expect(row).toMatchObject({
      team_id: job.teamId,
      queue_id: job.queueId,
      payload: job.payload,
      run_id: job.runId,
      automation_id: job.automationId,
      event_id: job.eventId,
      event: job.event === null ? null : JSON.stringify(job.event),
      created_by: job.createdBy,
      max_attempts: job.maxAttempts,
      state: 'queued',
      attempts: 0,
      agent: null,
      lease_until: null,
      cancel_requested: 0,
      exit_code: null,
      error: null,
      log_tail: '',
      claimed_at: null,
      started_at: null,
      finished_at: null,
    });
    expect(Number(row.created_at)).toBeGreaterThan(0);
    expect(parseJobEvent(row.event)).toEqual(job.event);
  });
});

it("wakes each queue's agents after the commit, not during the transaction", async () => {
  const heard: string[] = [];
  const unlisten = database.handle.notifier.listen(CHANNEL_JOBS, (queueId) => heard.push(queueId));
  try {
    await inTransaction(database.handle, async (tx, after) => {
      await insertJobs(tx, after, [newJob({ queueId: 'wake-a' }), newJob({ queueId: 'wake-b' }), newJob({ queueId: 'wake-a' })]);
      expect(heard).toEqual([]);
    });
    await eventually(async () => heard.includes('wake-a') && heard.includes('wake-b'));
    expect(heard.filter((queueId) => queueId.startsWith('wake-')).sort()).toEqual(['wake-a', 'wake-b']);
  } finally {
    unlisten();
  }
});

it('leaves nothing behind, and wakes nobody, when the transaction fails', async () => {
  const heard: string[] = [];
  const unlisten = database.handle.notifier.listen(CHANNEL_JOBS, (queueId) => heard.push(queueId));
  let ids: string[] = [];
  try {
    await expect(
      inTransaction(database.handle, async (tx, after) => {
        ids = await insertJobs(tx, after, [newJob({ queueId: 'doomed' })]);
        throw new Error('the change failed after its jobs were inserted');
      }),
    ).rejects.toThrow('the change failed');
    expect(ids).toHaveLength(1);
    expect(await jobsOf(ids)).toEqual([]);
    // A later change's signal arrives; the failed one's never does.
    await inTransaction(database.handle, (tx, after) => insertJobs(tx, after, [newJob({ queueId: 'after-doomed' })]));
    await eventually(async () => heard.includes('after-doomed'));
    expect(heard).not.toContain('doomed');
  } finally {
    unlisten();
  }
});

it('writes nothing for no jobs', async () => {
  const before = await database.handle.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const ids = await inTransaction(database.handle, (tx, after) => insertJobs(tx, after, []));
  expect(ids).toEqual([]);
  const after = await database.handle.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  expect(Number(after.n)).toBe(Number(before.n));
});
