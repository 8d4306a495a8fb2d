// createDatabase(config) picks the dialect — SQLite (better-sqlite3, WAL) by default, PostgreSQL when DATABASE_URL
// is set. What differs between the two lives in src/db/ (dialect.ts, bulk.ts, transaction.ts) and in the delivery run
// store's two implementations (src/delivery/store/); nothing else branches on the database (eslint.config.js).
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type SqliteDialectConfig,
  sql,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type SqliteDatabase,
  type Transaction,
} from 'kysely';
import type { Config } from '../config.js';
import type { Database } from './schema.js';
import { startCheckpointer } from './checkpointer.js';
import { statementNameFor } from './prepared.js';
import { writeGateFor, type WriteGate } from './write-gate.js';

export type DialectName = 'sqlite' | 'postgres';

/** The data dir holds the SQLite database, the master key file and artifact files: its owner's alone. */
export const DATA_DIR_MODE = 0o700;
/** The database and its write-ahead log hold every team's data and (encrypted) secrets. */
export const DATABASE_FILE_MODE = 0o600;
export const SQLITE_FILE = 'modelyard.db';
const SQLITE_FILES = [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`];

/**
 * Creates the data dir 0700, or tightens an existing one (and an existing SQLite database, WAL and shared-memory
 * file) that other users can read; returns a warning for each thing it tightened, for the start-up log. A database
 * file created here later is 0600 from the start (createDatabase).
 */
export function secureDataDir(dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  const warnings: string[] = [];
  const tighten = (target: string, allowed: number) => {
    let mode: number;
    try {
      mode = fs.statSync(target).mode & 0o777;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if ((mode & ~allowed) === 0) return;
    fs.chmodSync(target, allowed);
    warnings.push(`${target} was mode ${mode.toString(8).padStart(4, '0')}, open to other users; changed it to ${allowed.toString(8).padStart(4, '0')}`);
  };
  tighten(dir, DATA_DIR_MODE);
  for (const file of SQLITE_FILES) tighten(path.join(dir, file), DATABASE_FILE_MODE);
  return warnings;
}
export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

/** Wake-up signals between processes: LISTEN/NOTIFY on PostgreSQL, an in-process emitter on SQLite. */
export interface Notifier {
  notify(channel: string, payload?: string): void;

  /** Wakes this thread's listeners only (a signal already sent to other processes, arriving from a sibling thread). */
  wake(channel: string, payload?: string): void;

  listen(channel: string, onSignal: (payload: string) => void): () => void;
}

export interface DatabaseHandle {
  db: Db;
  /**
   * The delivery worker's connections. On PostgreSQL a small pool of its own: when a burst of API transactions holds
   * every connection of the main pool, claims and records would otherwise wait behind them (queries queued on the
   * pool and claims slowed by an order of magnitude: bench/results/design-measurements.md#worker-pool). On SQLite
   * the same handle as `db` (one connection, one group commit).
   */
  workerDb: Db;
  dialect: DialectName;
  notifier: Notifier;
  close(): Promise<void>;
}

// pg returns int8 as strings by default; every bigint here is an epoch-millisecond time or a byte count, well
// inside Number.MAX_SAFE_INTEGER.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

/**
 * SQLite's default BEGIN is DEFERRED: a transaction that reads and then writes can fail with SQLITE_BUSY when another
 * process wrote in between (API and worker processes share the file). BEGIN IMMEDIATE takes the write lock up front
 * and waits (busy_timeout) instead. Kysely's SqliteDriver has no option for it, so its beginTransaction is replaced
 * (checked against kysely 0.28.19; test/db/library-internals.test.ts fails if the driver stops calling it).
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly gate: WriteGate,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const { gate } = this;
    const end = (statement: string) => async (connection: DatabaseConnection) => {
      try {
        await connection.executeQuery(CompiledQuery.raw(statement));
      } finally {
        gate.leave();
      }
    };
    // The threads of this process take turns at the write lock (src/db/write-gate.ts) instead of sleeping in SQLite's
    // busy handler; the turn ends with the transaction, committed or not.
    const begin = async (connection: DatabaseConnection) => {
      await gate.enter();
      try {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      } catch (error) {
        gate.leave();
        throw error;
      }
    };
    return Object.assign(driver, { beginTransaction: begin, commitTransaction: end('commit'), rollbackTransaction: end('rollback') });
  }
}

/**
 * better-sqlite3 compiles SQL on every prepare(), and Kysely's driver prepares once per query. The same few dozen
 * statements make up almost all traffic, so prepared statements are kept by SQL text (bounded, least recently used
 * first out): it takes about a third off the CPU cost of a registry write.
 */
const STATEMENT_CACHE_SIZE = 1000;

function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sqlText: string) {
      let statement = statements.get(sqlText);
      if (statement) {
        statements.delete(sqlText);
      } else {
        statement = database.prepare(sqlText);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      }
      statements.set(sqlText, statement);
      return statement;
    },
  };
}

class LocalNotifier implements Notifier {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  notify(channel: string, payload = ''): void {
    this.emitter.emit(channel, payload);
  }
  wake(channel: string, payload = ''): void {
    this.emitter.emit(channel, payload);
  }
  listen(channel: string, onSignal: (payload: string) => void): () => void {
    this.emitter.on(channel, onSignal);
    return () => this.emitter.off(channel, onSignal);
  }
}

/**
 * LISTEN/NOTIFY over one dedicated connection. Listeners in the notifying process are woken directly (and once
 * more when the server echoes the NOTIFY back: a spare wake-up costs a worker one look at an empty queue). If the
 * connection drops, listeners in other processes fall back on their poll until it is re-established.
 */
class PostgresNotifier implements Notifier {
  private readonly local = new LocalNotifier();
  private client: pg.Client | undefined;
  private readonly channels = new Set<string>();
  /** NOTIFYs on their way, by channel and payload: true when another was asked for meanwhile. */
  private readonly sending = new Map<string, boolean>();
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connect: () => pg.Client,
  ) {}

  /**
   * Listeners in this process are woken at once. Other processes get a NOTIFY — at most one in flight per channel and
   * payload: signals raised while one is on its way are folded into a single NOTIFY sent after it. A NOTIFY takes a
   * lock that serializes the commits of every notifying transaction, so one per change (a thousand a second) would
   * make commits queue behind each other; a wake-up only needs to arrive after the change it announces, which the
   * trailing NOTIFY guarantees.
   */
  wake(channel: string, payload = ''): void {
    this.local.notify(channel, payload);
  }

  notify(channel: string, payload = ''): void {
    this.local.notify(channel, payload);
    const key = `${channel}\u0000${payload}`;
    if (this.sending.has(key)) {
      this.sending.set(key, true);
      return;
    }
    this.sending.set(key, false);
    const send = () => {
      this.pool
        .query('select pg_notify($1, $2)', [pgChannel(channel), payload])
        .catch(() => {
          // A lost wake-up only delays work until the next poll.
        })
        .finally(() => {
          if (this.sending.get(key) === true) {
            this.sending.set(key, false);
            send();
          } else {
            this.sending.delete(key);
          }
        });
    };
    send();
  }


  listen(channel: string, onSignal: (payload: string) => void): () => void {
    const unlisten = this.local.listen(channel, onSignal);
    if (!this.channels.has(channel)) {
      this.channels.add(channel);
      void this.ensureClient().then((client) => client?.query(`listen "${pgChannel(channel)}"`).catch(() => undefined));
    }
    return unlisten;
  }

  private connecting: Promise<pg.Client | undefined> | undefined;
  private ensureClient(): Promise<pg.Client | undefined> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = this.connect();
      client.on('notification', (message) => {
        const channel = [...this.channels].find((c) => pgChannel(c) === message.channel);
        if (channel) this.local.notify(channel, message.payload ?? '');
      });
      client.on('error', () => {
        this.client = undefined;
        this.connecting = undefined;
        if (!this.closed) setTimeout(() => void this.resubscribe(), 1000).unref();
      });
      try {
        await client.connect();
      } catch {
        this.connecting = undefined;
        return undefined;
      }
      this.client = client;
      return client;
    })();
    return this.connecting;
  }

  private async resubscribe(): Promise<void> {
    const client = await this.ensureClient();
    for (const channel of this.channels) await client?.query(`listen "${pgChannel(channel)}"`).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    // A connection still being opened (a listen() just before close) is ended once it is open.
    const client = this.client ?? (await this.connecting);
    await client?.end().catch(() => undefined);
  }
}

/**
 * Kysely hands pg plain (text, values) queries, which PostgreSQL parses and plans anew every time. The hot-path
 * queries (src/db/prepared.ts) are sent as named statements instead: pg prepares each once per connection and then
 * only binds and executes it — less work for the server on every request. Only those few dozen texts are named, so
 * the statements a connection keeps stay bounded. Relies on Kysely calling `client.query(text, values)` (checked
 * against kysely 0.28.19 and pg 8.23.1; test/db/library-internals.test.ts fails if that changes).
 */
function sendPreparedQueriesNamed(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
  const original = client.query;
  client.query = function (this: pg.PoolClient, ...args: unknown[]) {
    // Kysely's form is exactly (text, values); anything else (pool.query's callback form, cursors) passes through.
    const [text, values] = args;
    const name = args.length === 2 && typeof text === 'string' && Array.isArray(values) ? statementNameFor(text) : undefined;
    if (name === undefined) return (original as (...a: unknown[]) => unknown).apply(this, args);
    return query({ name, text: text as string, values: values as unknown[] });
  } as typeof client.query;
}

function pgChannel(channel: string): string {
  return `modelyard_${channel}`.replace(/[^a-zA-Z0-9_]/g, '_').slice(0, 63);
}

/** A claim, a batch's preparation and a batch's recording can be in the database at once; one spare. */
const WORKER_POOL_SIZE = 4;

/**
 * The delivery claim ("due runs, oldest first, up to n") is fast only as an ordered walk of the due index that stops
 * after n rows. Where the planner's statistics undercount pending runs — a table never analyzed (autovacuum off, or a
 * burst before its first auto-analyze) — it chose to fetch every pending run and sort them instead, tens of times slower
 * than the walk and growing with the backlog (bench/results/design-measurements.md#claim-sort). With
 * sorting disabled on the worker's own connections the walk is the only plan left for an ORDER BY the index provides;
 * none of the worker's other statements sort. (Sent before the connection's first query: pg queues it first.)
 */
function claimInIndexOrder(client: pg.PoolClient): void {
  client.query('set enable_sort = off').catch(() => undefined);
}

function createPool(options: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(options);
  // An idle client that loses its connection emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => undefined);
  pool.on('connect', sendPreparedQueriesNamed);
  return pool;
}

export function createDatabase(config: Pick<Config, 'databaseUrl' | 'databaseSchema' | 'dataDir'>): DatabaseHandle {
  if (config.databaseUrl) {
    const options: pg.PoolConfig = {
      connectionString: config.databaseUrl,
      max: 10,
      ...(config.databaseSchema ? { options: `-c search_path=${config.databaseSchema}` } : {}),
    };
    const pool = createPool(options);
    const notifier = new PostgresNotifier(pool, () => new pg.Client(options));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const workerPool = createPool({ ...options, max: WORKER_POOL_SIZE });
    workerPool.on('connect', claimInIndexOrder);
    const workerDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: workerPool }) });
    return {
      db,
      workerDb,
      dialect: 'postgres',
      notifier,
      async close() {
        await notifier.close();
        await Promise.all([db.destroy(), workerDb.destroy()]);
      },
    };
  }

  fs.mkdirSync(config.dataDir, { recursive: true, mode: DATA_DIR_MODE });
  const file = path.join(config.dataDir, SQLITE_FILE);
  // better-sqlite3 would create a missing file with the process umask (often 0644). SQLite gives the WAL and
  // shared-memory files the database file's mode, so creating the database 0600 first covers all three.
  fs.closeSync(fs.openSync(file, 'a', DATABASE_FILE_MODE));
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 10000');
  database.pragma('foreign_keys = OFF');
  database.pragma('wal_autocheckpoint = 0');
  const checkpointer = startCheckpointer(file, () => database.pragma('wal_autocheckpoint = 1000'));
  const dialect: Dialect = new ImmediateSqliteDialect({ database: withStatementCache(database) }, writeGateFor(path.resolve(file)));
  const db = new Kysely<Database>({ dialect });
  return {
    db,
    workerDb: db,
    dialect: 'sqlite',
    notifier: new LocalNotifier(),
    async close() {
      await checkpointer.stop();
      await db.destroy();
    },
  };
}

/** Creates the PostgreSQL schema named in the config if it does not exist (tests give each file its own). */
export async function ensureSchema(config: Pick<Config, 'databaseUrl' | 'databaseSchema'>): Promise<void> {
  if (!config.databaseUrl || !config.databaseSchema) return;
  const client = new pg.Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    await client.query(`create schema if not exists "${config.databaseSchema}"`);
  } finally {
    await client.end();
  }
}

/** True on unique-constraint violations, in either dialect: callers turn them into 409s. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * PostgreSQL settings that degrade Modelyard over time, as messages for the start-up log. Action runs are updated
 * twice each (claimed, finished): without autovacuum their dead row versions pile up in the claim's index and the
 * table's statistics never catch up with a burst (docs/operations.md, "PostgreSQL maintenance").
 */
export async function maintenanceWarnings(db: Db, dialect: DialectName): Promise<string[]> {
  if (dialect !== 'postgres') return [];
  const result = await sql<{ autovacuum: string }>`show autovacuum`.execute(db);
  return result.rows[0]?.autovacuum === 'off'
    ? ['PostgreSQL autovacuum is off: action_runs and delivery_attempts will bloat and delivery will slow down; turn it on, or run VACUUM ANALYZE on them regularly (docs/operations.md, "PostgreSQL maintenance")']
    : [];
}

export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
