// The claim query: hands the oldest queued job of a queue to one agent, atomically. This is the one place outside
// src/db that knows the dialect (DESIGN.md): PostgreSQL locks the candidate row with FOR UPDATE SKIP LOCKED, so
// concurrent claims each take a different job instead of queueing behind one row lock; SQLite has one writer at a
// time, so a single UPDATE … WHERE id = (SELECT … LIMIT 1) AND state = 'queued' is already atomic.
import type { AppContext } from '../context.js';
import type { Job } from '../db/schema.js';

export async function claimNextJob(
  ctx: Pick<AppContext, 'db' | 'dialect'>,
  input: { queueId: string; agent: string; leaseMs: number },
): Promise<Job | undefined> {
  const now = Date.now();
  let candidate = ctx.db
    .selectFrom('jobs')
    .select('id')
    .where('queue_id', '=', input.queueId)
    .where('state', '=', 'queued')
    .orderBy('id')
    .limit(1);
  if (ctx.dialect === 'postgres') candidate = candidate.forUpdate().skipLocked();
  return ctx.db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'claimed',
      agent: input.agent,
      attempts: eb('attempts', '+', 1),
      lease_until: now + input.leaseMs,
      claimed_at: now,
      started_at: null,
    }))
    .where('id', '=', candidate)
    .where('state', '=', 'queued')
    .returningAll()
    .executeTakeFirst();
}
