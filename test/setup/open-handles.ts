// Fails a test file that leaves a server, socket, child process or timer running after its own afterAll hooks
// (graphile-worker's afterEach check, per file): a leak makes later files slow or flaky, and hides a missing close().
// Worker processes run one file after another (vitest.config.ts), so what is open when the file started is the
// baseline, and a file's leak is reported by that file; resources that do not keep the event loop alive (unref'd
// timers and sockets) are not counted, as Node does not count them.
import { afterAll, beforeAll } from 'vitest';

/** Resource kinds that a test file opens and must close. */
const WATCHED = new Set(['TCPServerWrap', 'TCPSocketWrap', 'PipeServerWrap', 'ProcessWrap', 'Timeout', 'UDPWrap']);
/** Sockets and timers closed in the last hook may take a few turns of the event loop to be gone. */
const SETTLE_MS = 500;

function counts(): Map<string, number> {
  const found = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) if (WATCHED.has(kind)) found.set(kind, (found.get(kind) ?? 0) + 1);
  return found;
}

function leaks(baseline: Map<string, number>): string[] {
  return [...counts()].filter(([kind, n]) => n > (baseline.get(kind) ?? 0)).map(([kind, n]) => `${n - (baseline.get(kind) ?? 0)} × ${kind}`);
}

let baseline = new Map<string, number>();

beforeAll(() => {
  baseline = counts();
});

// Registered before the file's own hooks, so (hooks run as a stack) it runs after all of them.
afterAll(async () => {
  const deadline = Date.now() + SETTLE_MS;
  let open = leaks(baseline);
  while (open.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    open = leaks(baseline);
  }
  if (open.length > 0) throw new Error(`the test file left open: ${open.join(', ')} (close servers, sockets, processes and timers in afterAll)`);
});
