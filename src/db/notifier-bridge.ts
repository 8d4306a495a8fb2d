// A notifier shared by two threads of one process (the API and the delivery worker, src/worker-thread.ts): what one
// thread signals wakes the other's listeners at once, over a MessagePort. The signal still goes wherever the inner
// notifier sends it (PostgreSQL's NOTIFY to other processes); arriving from the sibling it only wakes this thread's
// listeners, so nothing is sent twice.
import type { MessagePort } from 'node:worker_threads';
import type { Notifier } from './index.js';

interface Signal {
  channel: string;
  payload: string;
}

export function bridgeNotifier(inner: Notifier, port: MessagePort): Notifier {
  port.on('message', (signal: Signal) => inner.wake(signal.channel, signal.payload));
  // The port alone does not keep a thread alive: the thread's own work does, and stopping it must be enough to end it.
  port.unref();
  return {
    notify(channel, payload = '') {
      inner.notify(channel, payload);
      port.postMessage({ channel, payload } satisfies Signal);
    },
    wake: (channel, payload) => inner.wake(channel, payload),
    listen: (channel, onSignal) => inner.listen(channel, onSignal),
  };
}
