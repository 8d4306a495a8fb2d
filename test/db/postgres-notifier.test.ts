// PostgreSQL wake-ups (src/db/index.ts, PostgresNotifier): listeners in the notifying process hear every signal at
// once; other processes (here: a second handle with its own connections) hear a burst of signals through NOTIFY,
// folded — at least one NOTIFY arrives after the last signal of the burst, never none.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/index.js';
import { dropTestData, eventually, testConfig } from '../helpers/index.js';
import { openTestDatabase } from '../helpers/database.js';

const config = testConfig();
let sender: DatabaseHandle;
let other: DatabaseHandle;

beforeAll(async () => {
  sender = await openTestDatabase(config);
  other = createDatabase(config);
});

afterAll(async () => {
  await other.close();
  await sender.close();
  await dropTestData(config);
});

it('wakes local listeners for every signal and remote ones after the last signal of a burst', async () => {
  const local: string[] = [];
  const remote: number[] = [];
  sender.notifier.listen('burst', (payload) => local.push(payload));
  other.notifier.listen('burst', () => remote.push(Date.now()));
  // LISTEN is issued on the other handle's own connection; give it a moment to be in place.
  await new Promise((resolve) => setTimeout(resolve, 300));

  for (let i = 0; i < 200; i++) sender.notifier.notify('burst', 'p');
  const lastSignalAt = Date.now();
  // Every signal reaches this process's listener synchronously (the server's echo may add a few more later).
  expect(local.length).toBeGreaterThanOrEqual(200);

  await eventually(() => Promise.resolve(remote.some((at) => at >= lastSignalAt)));
  // Folded: far fewer NOTIFYs than signals.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(remote.length).toBeLessThan(50);
});

it('keeps channels and payloads apart', async () => {
  const heard: string[] = [];
  other.notifier.listen('jobs-a', (payload) => heard.push(`a:${payload}`));
  other.notifier.listen('jobs-b', (payload) => heard.push(`b:${payload}`));
  await new Promise((resolve) => setTimeout(resolve, 300));
  sender.notifier.notify('jobs-a', 'q1');
  sender.notifier.notify('jobs-b', 'q2');
  sender.notifier.notify('jobs-a', 'q3');
  await eventually(() => Promise.resolve(heard.length >= 3));
  expect([...new Set(heard)].sort()).toEqual(['a:q1', 'a:q3', 'b:q2']);
});
