// The write gate (src/db/write-gate.ts): the threads of one process take turns at SQLite's write lock, first come first
// served — checked with a real second thread sharing the gate's memory, as the delivery thread of `serve` does.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { WriteGate } from '../../src/db/write-gate.js';

describe('the write gate', () => {
  it('lets callers in one at a time, in the order they asked', async () => {
    const gate = new WriteGate();
    const order: number[] = [];
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await gate.enter();
        inside += 1;
        most = Math.max(most, inside);
        order.push(i);
        await new Promise((resolve) => setImmediate(resolve));
        inside -= 1;
        gate.leave();
      }),
    );
    expect(most).toBe(1);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('makes two threads that both want it all the time take turns: never both inside, nobody overtaken twice', async () => {
    const gate = new WriteGate();
    const TURNS = 300;
    // [0]: who is inside (0 nobody, 1 main, 2 thread); [1]: times someone entered while another was inside; [2]: the
    // most turns anyone waited for (turns served between asking and entering); [3]: the start signal; [4]: the turns
    // that had to wait for another (the two sides really did contend).
    const shared = new Int32Array(new SharedArrayBuffer(4 * 5));
    const module = new URL('../../src/db/write-gate.ts', import.meta.url).href;
    // The thread uses the class itself, loaded through tsx as src/worker-thread.ts loads its own module.
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      import('tsx/esm/api').then(async ({ register }) => {
        register();
        const { WriteGate } = await import(${JSON.stringify(module)});
        const gate = new WriteGate(workerData.gate);
        const turns = (${turns.toString()});
        parentPort.postMessage('ready');
        const keepAlive = setInterval(() => undefined, 60000);
        const start = Atomics.waitAsync(workerData.shared, 3, 0);
        if (start.async) await start.value;
        clearInterval(keepAlive);
        await turns(gate, workerData.shared, 2, ${TURNS});
      });
    `;
    const worker = new Worker(source, { eval: true, workerData: { gate: gate.buffer, shared } });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await new Promise((resolve) => worker.once('message', resolve));
    Atomics.store(shared, 3, 1);
    Atomics.notify(shared, 3);
    await turns(gate, shared, 1, TURNS);
    expect(await exited).toBe(0);
    expect(Atomics.load(shared, 1), 'both threads were inside at once').toBe(0);
    // A ticket lock: whoever asks waits at most for the turn in progress and the one ticket the other side holds (two,
    // counting a turn that began between reading the counter and taking the ticket) — never starved.
    expect(Atomics.load(shared, 2)).toBeLessThanOrEqual(2);
    expect(Atomics.load(shared, 4)).toBeGreaterThan(0);
  });
});

/** `count` turns through the gate, each a timer's turn of the event loop long (about a millisecond, like a write), recording clashes and waits in `shared` (see above). */
async function turns(gate: WriteGate, shared: Int32Array, me: number, count: number): Promise<void> {
  const serving = new Int32Array(gate.buffer);
  for (let i = 0; i < count; i++) {
    const asked = Atomics.load(serving, 1);
    await gate.enter();
    const waited = Atomics.load(serving, 1) - asked;
    if (waited > 0) Atomics.add(shared, 4, 1);
    for (let most = Atomics.load(shared, 2); waited > most; most = Atomics.load(shared, 2)) Atomics.compareExchange(shared, 2, most, waited);
    if (Atomics.compareExchange(shared, 0, 0, me) !== 0) Atomics.add(shared, 1, 1);
    await new Promise((resolve) => setTimeout(resolve, 1));
    Atomics.store(shared, 0, 0);
    gate.leave();
  }
}
