// The data dir and the SQLite files are the server user's alone: created 0700 / 0600, and tightened (with a warning
// in the log) when an existing installation left them open to other users.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DATA_DIR_MODE, DATABASE_FILE_MODE, SQLITE_FILE } from '../../src/db/index.js';
import { createLogger } from '../../src/logger.js';
import { openContext } from '../../src/server.js';
import type { Config } from '../../src/config.js';
import { dropTestData, TEST_DB, testConfig } from '../helpers/index.js';

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;
const sqliteFiles = (dir: string) => [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`].map((f) => path.join(dir, f));

let config: Config | undefined;
let writes = 0;
afterEach(async () => {
  if (config) await dropTestData(config);
  config = undefined;
});

/**
 * Opens the context, writes (so the WAL and shared-memory files exist: SQLite removes them on a clean close), checks
 * every file's mode while it is open, and returns the warnings logged.
 */
async function openAndCheck(current: Config): Promise<string[]> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const ctx = await openContext(current, createLogger('warn', sink));
  try {
    await ctx.db.insertInto('instance_settings').values({ key: `file-modes-${++writes}`, value: '1' }).execute();
    expect(modeOf(current.dataDir)).toBe(DATA_DIR_MODE);
    expect(modeOf(path.join(current.dataDir, 'master.key'))).toBe(0o600);
    if (TEST_DB === 'sqlite') for (const file of sqliteFiles(current.dataDir)) expect(modeOf(file), file).toBe(DATABASE_FILE_MODE);
    return lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
  } finally {
    await ctx.close();
  }
}

describe('file modes', () => {
  it('creates the data dir 0700 and the database, its WAL and shared-memory files 0600, whatever the umask allows', async () => {
    config = testConfig();
    fs.rmSync(config.dataDir, { recursive: true });
    const previous = process.umask(0o022);
    try {
      expect(await openAndCheck(config)).toEqual([]);
    } finally {
      process.umask(previous);
    }
  });

  it('tightens an existing data dir and database files that others can read, and says so in the log', async () => {
    config = testConfig();
    await openAndCheck(config);
    // As an older version or a hand-made copy may have left them: readable by everyone on the machine.
    fs.chmodSync(config.dataDir, 0o755);
    const database = path.join(config.dataDir, SQLITE_FILE);
    if (TEST_DB === 'sqlite') fs.chmodSync(database, 0o644);

    const warnings = await openAndCheck(config);
    expect(warnings).toContain(`${config.dataDir} was mode 0755, open to other users; changed it to 0700`);
    if (TEST_DB === 'sqlite') expect(warnings).toContain(`${database} was mode 0644, open to other users; changed it to 0600`);
    expect(warnings).toHaveLength(TEST_DB === 'sqlite' ? 2 : 1);

    // Once tight, nothing more to say.
    expect(await openAndCheck(config)).toEqual([]);
  });
});
