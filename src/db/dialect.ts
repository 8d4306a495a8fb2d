// What differs between SQLite and PostgreSQL, as small functions (pg-boss's dialect.ts): code outside src/db/ and the
// delivery run store's implementations calls these instead of asking which database it is on (STYLE.md, habit 1;
// eslint.config.js enforces it).
import {
  PostgresAdapter,
  type Compilable,
  type InsertQueryBuilder,
  type Kysely,
  type QueryCreator,
  type SelectQueryBuilder,
} from 'kysely';
import type { Database } from './schema.js';
import type { DialectName } from './index.js';
import { prepared } from './prepared.js';

type Executor = Pick<Kysely<Database>, 'executeQuery' | 'getExecutor'>;

/** One value per dialect, picked by name: how a factory chooses an implementation without comparing names itself. */
export function forDialect<T>(dialect: DialectName, choices: Record<DialectName, T>): T {
  return choices[dialect];
}

/**
 * A row-claiming select: on PostgreSQL `FOR UPDATE SKIP LOCKED` (concurrent claimers each take different rows instead
 * of queueing behind one another's locks); on SQLite unchanged — one writer at a time already makes the claim atomic.
 */
export function forUpdateSkipLocked<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, dialect: DialectName): SelectQueryBuilder<DB, TB, O> {
  return dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}

export interface InsertThenSelect<I, S, O> {
  /** Inserts with `insertParams`, then returns the select's rows for `selectParams` — in one round trip where possible. */
  rows(executor: Executor, insertParams: I, selectParams: S): Promise<O[]>;
}

/**
 * An insert followed by a select that does not read the inserted row, as prepared queries. On PostgreSQL one statement
 * (the insert is a data-modifying CTE of the select, which runs whether or not the select refers to it): one round trip
 * less. SQLite has no data-modifying CTEs, and its statements run in-process, where two cost no more than one.
 */
export function insertThenSelect<I extends object, S extends object, O>(
  insert: (qc: QueryCreator<Database>, params: I) => InsertQueryBuilder<Database, any, any>,
  select: <DB extends Database>(qc: QueryCreator<DB>, params: S) => Compilable<O>,
): InsertThenSelect<I, S, O> {
  const together = prepared((db, p: I & S) => select(db.with('inserted', (qc) => insert(qc as unknown as QueryCreator<Database>, p)), p));
  const insertOnly = prepared((db, p: I) => insert(db, p));
  const selectOnly = prepared((db, p: S) => select(db, p));
  return {
    async rows(executor, insertParams, selectParams) {
      if (executor.getExecutor().adapter instanceof PostgresAdapter) return together.rows(executor, { ...insertParams, ...selectParams });
      await insertOnly.run(executor, insertParams);
      return selectOnly.rows(executor, selectParams);
    },
  };
}
