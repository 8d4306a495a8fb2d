// Assembles a Modelyard process: configuration → database (migrated) → master key → API and/or worker roles.
// `modelyard serve` runs both roles; `--role api` / `--role worker` split them for scale-out (docs/operations.md).
import type { Logger } from 'pino';
import type { Config, Role } from './config.js';
import type { AppContext } from './context.js';
import { createDatabase, ensureSchema, maintenanceWarnings, secureDataDir } from './db/index.js';
import { migrateToLatest } from './db/migrate.js';
import { Keyring, loadMasterKey, verifyKeyring } from './auth/keyring.js';
import { AccessCache } from './auth/access-cache.js';
import { createApiKey, createUser } from './auth/users.js';
import { generatePassword } from './auth/passwords.js';
import { buildApp, type Api } from './api/app.js';
import { startBackgroundWork, type BackgroundWork } from './background.js';
import { bridgeNotifier } from './db/notifier-bridge.js';
import type { MessagePort } from 'node:worker_threads';

export interface OpenContext extends AppContext {
  close(): Promise<void>;
}

/**
 * Opens the database, applies migrations and loads the master key; shared by the server and one-off CLI commands.
 * `bridge`: a port to a sibling thread of this process (src/worker-thread.ts), which hears this thread's signals.
 */
export async function openContext(config: Config, logger: Logger, options: { bridge?: MessagePort } = {}): Promise<OpenContext> {
  for (const warning of secureDataDir(config.dataDir)) logger.warn(warning);
  await ensureSchema(config);
  const database = createDatabase(config);
  const handle = options.bridge ? { ...database, notifier: bridgeNotifier(database.notifier, options.bridge) } : database;
  try {
    await migrateToLatest(handle.db);
    const keyring = new Keyring(loadMasterKey({ masterKey: config.masterKey, dataDir: config.dataDir, create: true }));
    await verifyKeyring(handle.db, keyring);
    const access = new AccessCache(handle.notifier, config.accessCacheMs);
    return {
      config,
      logger,
      db: handle.db,
      workerDb: handle.workerDb,
      dialect: handle.dialect,
      notifier: handle.notifier,
      keyring,
      access,
      close: async () => {
        access.close();
        await handle.close();
      },
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export interface FirstAdmin {
  name: string;
  password: string;
  apiKey: string;
}

/** On an empty database, creates the first instance admin; returns the credentials to print once. */
export async function bootstrapFirstAdmin(ctx: AppContext): Promise<FirstAdmin | undefined> {
  const anyUser = await ctx.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (anyUser) return undefined;
  const password = generatePassword();
  const user = await createUser(ctx.db, { name: 'admin', password, isAdmin: true });
  const { key } = await createApiKey(ctx.db, user.id, 'first start');
  return { name: user.name, password, apiKey: key };
}

export interface RunningServer {
  ctx: OpenContext;
  app: Api | undefined;
  url: string | undefined;
  stop(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger, options: { role?: Role; ui?: boolean; bridge?: MessagePort } = {}): Promise<RunningServer> {
  const role = options.role ?? 'all';
  const ctx = await openContext(config, logger, { bridge: options.bridge });
  let app: Api | undefined;
  let url: string | undefined;
  let background: BackgroundWork | undefined;
  try {
    if (role !== 'worker') {
      app = await buildApp(ctx, { ui: options.ui ?? true });
      url = await app.listen({ port: config.port, host: config.host });
    }
    background = startBackgroundWork(ctx, role);
    for (const warning of await maintenanceWarnings(ctx.db, ctx.dialect)) logger.warn(warning);
  } catch (error) {
    await app?.close();
    await ctx.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    ctx,
    app,
    url,
    stop() {
      stopping ??= (async () => {
        await app?.close();
        await background?.stop();
        await ctx.close();
      })();
      return stopping;
    },
  };
}
