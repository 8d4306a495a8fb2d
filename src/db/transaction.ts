// One transaction per change. Work that must happen only once the change is durable — waking delivery workers and
// long-polling agents — is collected during the transaction and signalled after commit (never before: a worker
// woken early would find nothing to claim).
import type { AppContext } from '../context.js';
import type { Tx } from './index.js';

export interface AfterCommit {
  /** Signal `channel` (see CHANNEL_* in context.ts) once the transaction has committed. */
  notify(channel: string, payload?: string): void;
}

export async function inTransaction<T>(
  ctx: Pick<AppContext, 'db' | 'notifier'>,
  work: (tx: Tx, after: AfterCommit) => Promise<T>,
): Promise<T> {
  const signals = new Map<string, Set<string>>();
  const after: AfterCommit = {
    notify(channel, payload = '') {
      const payloads = signals.get(channel) ?? new Set<string>();
      payloads.add(payload);
      signals.set(channel, payloads);
    },
  };
  const result = await ctx.db.transaction().execute((tx) => work(tx, after));
  for (const [channel, payloads] of signals) for (const payload of payloads) ctx.notifier.notify(channel, payload);
  return result;
}
