// Queries built and compiled once, run many times with new parameter values — for the few statements on the hot
// path of every request (authentication, linking, the event and its automation match).
//
// Kysely builds an immutable operation tree and compiles it to SQL on every call; on a registry link that was about
// a third of the server's CPU time, more than SQLite itself spent. Kysely has no prepared-query API (the packages
// that added one target older Kysely versions), so this small helper does it: the builder runs once per dialect with
// placeholder values, the compiled SQL is kept, and each call only swaps the placeholders for the real values. The
// query stays an ordinary type-checked Kysely query; only its values vary.
//
// Relies on Kysely's compiler passing every value through as a parameter, unchanged (checked against kysely 0.28.19;
// test/db/library-internals.test.ts fails if that changes).
import { CompiledQuery, type Compilable, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.js';

type Executor = Pick<Kysely<Database>, 'executeQuery' | 'getExecutor'>;

/** Placeholder values are strings no caller can produce; they only ever travel to the compiler. */
const MARKER = '\u0000modelyard-param:';

interface Template {
  sql: string;
  /** Per compiled parameter: the name of a call parameter, or a constant the builder put there itself. */
  slots: Array<{ name: string } | { value: unknown }>;
  query: CompiledQuery['query'];
}

/**
 * SQL text of every prepared query → a statement name. On PostgreSQL the driver sends these as named statements
 * (see createDatabase), so each connection parses and plans them once instead of on every call — after five calls
 * PostgreSQL may keep one generic plan, made without the values: write a prepared query so that plan is good whatever
 * they are (the delivery claim picks its rows by `id = any(array(…))` for this: bench/results/design-measurements.md#claim-generic-plan).
 */
const statementNames = new Map<string, string>();

export function statementNameFor(sqlText: string): string | undefined {
  return statementNames.get(sqlText);
}

/** Marks a statement text built elsewhere (src/db/bulk.ts) as one to send named, like the prepared queries. */
export function nameStatement(sqlText: string): void {
  if (!statementNames.has(sqlText)) statementNames.set(sqlText, `modelyard_${statementNames.size + 1}`);
}

export interface PreparedQuery<P, O> {
  /** All rows (a select, or a write with `returning`). */
  rows(executor: Executor, params: P): Promise<O[]>;
  /** The first row, if any. */
  first(executor: Executor, params: P): Promise<O | undefined>;
  /** Runs a write; resolves to the number of rows it changed. */
  run(executor: Executor, params: P): Promise<number>;
}

/** A raw `sql` query as a prepared query's build result: `prepared((db, p) => rawQuery(db, sql`…${p.x}…`))`. */
export function rawQuery<O>(db: Kysely<Database>, query: RawBuilder<O>): Compilable<O> {
  return { compile: () => query.compile(db) };
}

/**
 * `prepared((db, p: { teamId: string }) => db.selectFrom('teams').selectAll().where('id', '=', p.teamId))` —
 * `p.teamId` is a placeholder while the query is built; the real value is bound on each call. Use the parameters only
 * as values (not to choose between query shapes: the builder runs once).
 */
export function prepared<P extends object, O>(
  build: (db: Kysely<Database>, params: P) => Compilable<O>,
): PreparedQuery<P, O> {
  // One compiled template per dialect: the adapter class identifies it (a transaction shares its database's adapter).
  const templates = new Map<unknown, Template>();
  const placeholders = new Proxy({} as P, {
    get: (_target, name) => (typeof name === 'string' ? `${MARKER}${name}` : undefined),
  });

  const template = (executor: Executor): Template => {
    const key = executor.getExecutor().adapter.constructor;
    let found = templates.get(key);
    if (!found) {
      const compiled = build(executor as Kysely<Database>, placeholders).compile();
      found = {
        sql: compiled.sql,
        query: compiled.query,
        slots: compiled.parameters.map((value) =>
          typeof value === 'string' && value.startsWith(MARKER) ? { name: value.slice(MARKER.length) } : { value },
        ),
      };
      templates.set(key, found);
      nameStatement(found.sql);
    }
    return found;
  };

  const execute = async (executor: Executor, params: P) => {
    const { sql, slots, query } = template(executor);
    const parameters = slots.map((slot) => {
      if (!('name' in slot)) return slot.value;
      const value = (params as Record<string, unknown>)[slot.name];
      if (value === undefined) throw new Error(`prepared query: no value for parameter "${slot.name}"`);
      return value;
    });
    return executor.executeQuery<O>({ ...CompiledQuery.raw(sql, parameters), query });
  };

  return {
    rows: async (executor, params) => (await execute(executor, params)).rows,
    first: async (executor, params) => (await execute(executor, params)).rows[0],
    run: async (executor, params) => Number((await execute(executor, params)).numAffectedRows ?? 0n),
  };
}
