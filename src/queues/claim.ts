// The claim query: hands the oldest queued job of a queue to one agent, atomically — a single
// UPDATE … WHERE id = (SELECT … LIMIT 1) AND state = 'queued', its candidate row locked as the database needs
// (forUpdateSkipLocked in src/db/dialect.ts: concurrent claims each take a different job instead of queueing behind
// one row lock).
import type { AppContext } from '../context.js';
import type { Job } from '../db/schema.js';
import { forUpdateSkipLocked } from '../db/dialect.js';

export async function claimNextJob(
  ctx: Pick<AppContext, 'db' | 'dialect'>,
  input: { queueId: string; agent: string; leaseMs: number },
): Promise<Job | undefined> {
  const now = Date.now();
  const oldestQueued = ctx.db.selectFrom('jobs').select('id').where('queue_id', '=', input.queueId).where('state', '=', 'queued').orderBy('id').limit(1);
  const candidate = forUpdateSkipLocked(oldestQueued, ctx.dialect);
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
