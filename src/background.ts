// The work a process does besides answering HTTP: the delivery worker (role worker or all) and the job-lease
// reaper. Each part exposes start/stop so shutdown drains in-flight work before the database closes.
import type { Role } from './config.js';
import type { AppContext } from './context.js';
import { startJobReaper } from './queues/reaper.js';
import { jobOutcomesWithChecks } from './registry/checks.js';
import { DeliveryWorker } from './delivery/worker.js';

export interface BackgroundWork {
  stop(): Promise<void>;
}

export function startBackgroundWork(ctx: AppContext, role: Role): BackgroundWork {
  const parts: BackgroundWork[] = [];
  if (role === 'api') return { stop: async () => undefined };
  parts.push(startJobReaper(ctx, jobOutcomesWithChecks(ctx)));
  parts.push(new DeliveryWorker(ctx).start());
  return {
    async stop() {
      await Promise.all(parts.map((part) => part.stop()));
    },
  };
}
