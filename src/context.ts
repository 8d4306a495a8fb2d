// What every service needs, built once per process by server.ts (and by the CLI for one-off commands).
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db, DialectName, Notifier } from './db/index.js';
import type { Keyring } from './auth/keyring.js';
import type { AccessCache } from './auth/access-cache.js';

export interface AppContext {
  config: Config;
  db: Db;
  /** The delivery worker's connections (see DatabaseHandle.workerDb); the same as `db` on SQLite. */
  workerDb: Db;
  dialect: DialectName;
  notifier: Notifier;
  logger: Logger;
  keyring: Keyring;
  /** Key owners and team memberships, remembered briefly and invalidated on change (src/auth/access-cache.ts). */
  access: AccessCache;
}

/** Wake-up channels (see Notifier): new action runs for delivery workers, new jobs for long-polling agents. */
export const CHANNEL_RUNS = 'runs';
export const CHANNEL_JOBS = 'jobs';
