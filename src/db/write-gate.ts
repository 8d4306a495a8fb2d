// Turns at SQLite's write lock for the threads of one process, in the order they asked.
//
// `modelyard serve` runs the delivery worker in a thread of its own (src/worker-thread.ts) with its own connection to
// the same file. SQLite lets one connection write at a time; a connection that finds the lock taken waits in SQLite's
// busy handler, which sleeps — 1, 2, 5, 10 … ms, blocking its thread's event loop — and tries again. Under load the API
// thread commits one group after another (src/db/transaction.ts), the lock is almost never free when the sleeper looks,
// and the delivery thread starved: runs piled up while the API kept accepting changes (bench/user.bench.ts measured
// seconds of delivery latency). A ticket lock in shared memory, taken before BEGIN IMMEDIATE and given back after
// COMMIT or ROLLBACK, makes the threads take turns instead, first come first served, and waits without blocking
// (Atomics.waitAsync). Processes sharing a file (`serve --role worker` next to an API process) still meet at
// busy_timeout: there is no shared memory between them.
/** Atomics.waitAsync (Node 16 and later); TypeScript declares it only in its ES2024 library, which this project does not target. */
const waitAsync = (Atomics as unknown as {
  waitAsync(cells: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

const NEXT_TICKET = 0;
const SERVING = 1;

export class WriteGate {
  private readonly cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) {
    this.cells = new Int32Array(buffer);
  }

  /** Resolves when it is this caller's turn (tickets wrap around together with the counter they are compared to). */
  async enter(): Promise<void> {
    const ticket = Atomics.add(this.cells, NEXT_TICKET, 1);
    if (Atomics.load(this.cells, SERVING) === ticket) return;
    // A pending waitAsync does not keep Node's event loop alive: without this timer a thread with nothing else to do
    // would end while it holds a ticket, and the other thread would wait for its turn forever.
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      for (;;) {
        const serving = Atomics.load(this.cells, SERVING);
        if (serving === ticket) return;
        const wait = waitAsync(this.cells, SERVING, serving);
        if (wait.async) await wait.value;
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Ends the current turn and wakes the waiters (each checks whether the next turn is its own). */
  leave(): void {
    Atomics.add(this.cells, SERVING, 1);
    Atomics.notify(this.cells, SERVING);
  }
}

/** The gates of this process by database file; a thread adopts its parent's so both use the same shared memory. */
const gates = new Map<string, WriteGate>();

export function writeGateFor(file: string): WriteGate {
  let gate = gates.get(file);
  if (!gate) gates.set(file, (gate = new WriteGate()));
  return gate;
}

/** This process's gates, to hand to a thread it starts (workerData). */
export function sharedWriteGates(): Record<string, SharedArrayBuffer> {
  return Object.fromEntries([...gates].map(([file, gate]) => [file, gate.buffer]));
}

/** In a thread: uses the gates its parent shared, before the thread opens its own connections. */
export function adoptWriteGates(buffers: Record<string, SharedArrayBuffer> | undefined): void {
  for (const [file, buffer] of Object.entries(buffers ?? {})) gates.set(file, new WriteGate(buffer));
}
