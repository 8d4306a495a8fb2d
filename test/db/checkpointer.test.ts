// SQLite's WAL checkpoints run in a worker thread, not in the commits of the request path (src/db/checkpointer.ts).
// The main connection never checkpoints, so pages reach the database file only through the worker.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { dropTestData, eventually, testConfig } from '../helpers/index.js';

const config = testConfig({ DATABASE_URL: '' });
let handle: DatabaseHandle | undefined;

afterAll(async () => {
  await handle?.close();
  await dropTestData(config);
});

it('copies committed pages into the database file from the worker, and stops cleanly', async () => {
  handle = createDatabase(config);
  await migrateToLatest(handle.db);
  const file = path.join(config.dataDir, 'modelyard.db');
  const before = fs.statSync(file).size;

  const value = 'x'.repeat(4000);
  for (let i = 0; i < 500; i++) {
    await handle.db.insertInto('instance_settings').values({ key: `k${i}`, value }).execute();
  }
  // 2 MB committed: only a checkpoint moves it from the WAL into the database file.
  await eventually(() => Promise.resolve(fs.statSync(file).size > before + 1_500_000), 10_000);

  const rows = await handle.db.selectFrom('instance_settings').select('key').where('key', 'like', 'k%').execute();
  expect(rows).toHaveLength(500);

  await handle.close();
  handle = undefined;
  // Closing the last connection checkpoints what is left and removes the log.
  expect(fs.existsSync(`${file}-wal`)).toBe(false);
});
