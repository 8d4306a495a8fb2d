// Many rows into one table in as few statements as the database likes best.
//
// PostgreSQL: one statement, the rows as JSON expanded into the table's own row type (so no column type is spelled
// out here). A multi-row VALUES list binds every value as its own parameter, and parsing and planning a statement with
// ten thousand of them took most of the time of a fan-out to 1,000 automations (bench/results/design-measurements.md#bulk-values). Columns
// with the same value in every row — most of a fan-out's: team, event, webhook, state, times — travel once, as a
// single record (json_populate_record), and only the others per row (json_populate_recordset): parsing the JSON is
// most of the statement's cost, and it grows with the keys per row. The statement
// text depends on which columns vary; each text is built once and sent as a named statement (parsed and planned once
// per connection).
// SQLite: multi-row VALUES in chunks below its bound-parameter limit (SQLite binds values in-process, cheaply). The
// statement text depends only on the table, the columns and the number of rows, so it is built once per shape and the
// rows' values are bound as they are: going through Kysely's builder, parsing and compiling 48 attempt rows of 13
// values took more CPU than SQLite spent inserting them.
import { CompiledQuery, PostgresAdapter, sql, type Insertable } from 'kysely';
import { nameStatement } from './prepared.js';
import type { Database } from './schema.js';
import type { Db, Tx } from './index.js';

/** SQLite allows 32,766 bound parameters per statement. */
const SQLITE_MAX_PARAMETERS = 32_000;

/** Named statements are kept per connection by the server; past this many shapes, further ones go unnamed. */
const MAX_NAMED_SHAPES = 100;

/** Statement texts by table and shape (which columns vary from row to row, which are the same in all). */
const postgresTexts = new Map<string, string>();

function postgresInsertText(db: Db | Tx, table: string, columns: string[], varying: Set<string>): string {
  const key = `${table}(${columns.map((column) => (varying.has(column) ? `*${column}` : column)).join(',')})`;
  let text = postgresTexts.get(key);
  if (text === undefined) {
    const type = sql.table(table);
    const values = sql.join(columns.map((column) => sql.ref(`${varying.has(column) ? 'each' : 'same'}.${column}`)));
    const from =
      varying.size === 0
        ? sql`json_populate_record(null::${type}, ${''}) as same`
        : sql`json_populate_recordset(null::${type}, ${''}) as each cross join json_populate_record(null::${type}, ${''}) as same`;
    text = sql`insert into ${type} (${sql.join(columns.map((column) => sql.ref(column)))}) select ${values} from ${from}`.compile(db).sql;
    postgresTexts.set(key, text);
    if (postgresTexts.size <= MAX_NAMED_SHAPES) nameStatement(text);
  }
  return text;
}

function pick(row: Record<string, unknown>, columns: string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const column of columns) picked[column] = row[column];
  return picked;
}

async function insertManyPostgres(db: Db | Tx, table: string, rows: Array<Record<string, unknown>>): Promise<void> {
  // The columns of the first row are the ones written (as with VALUES, every row should carry the same keys).
  const first = rows[0]!;
  const columns = Object.keys(first);
  const varying = new Set(columns.filter((column) => rows.some((row) => row[column] !== first[column])));
  const same = JSON.stringify(pick(first, columns.filter((column) => !varying.has(column))));
  const parameters = varying.size === 0 ? [same] : [JSON.stringify(rows.map((row) => pick(row, [...varying]))), same];
  await db.executeQuery(CompiledQuery.raw(postgresInsertText(db, table, columns, varying), parameters));
}

/** SQLite statement texts by table, columns and row count; bounded (a fan-out's row count is any number). */
const sqliteTexts = new Map<string, string>();
const MAX_SQLITE_TEXTS = 256;

function sqliteInsertText(db: Db | Tx, table: string, columns: string[], rowCount: number): string {
  const key = `${table}(${columns.join(',')})x${rowCount}`;
  let text = sqliteTexts.get(key);
  if (text === undefined) {
    const into = sql`insert into ${sql.table(table)} (${sql.join(columns.map((column) => sql.ref(column)))}) values `.compile(db).sql;
    const row = `(${columns.map(() => '?').join(', ')})`;
    text = into + Array.from({ length: rowCount }, () => row).join(', ');
    if (sqliteTexts.size >= MAX_SQLITE_TEXTS) sqliteTexts.delete(sqliteTexts.keys().next().value!);
    sqliteTexts.set(key, text);
  }
  return text;
}

async function insertManySqlite(db: Db | Tx, table: string, rows: Array<Record<string, unknown>>): Promise<void> {
  // As on PostgreSQL: the columns of the first row are the ones written, and a value left undefined is written null.
  const columns = Object.keys(rows[0]!);
  const perStatement = Math.max(1, Math.floor(SQLITE_MAX_PARAMETERS / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const parameters: unknown[] = [];
    for (const row of chunk) for (const column of columns) parameters.push(row[column] ?? null);
    await db.executeQuery(CompiledQuery.raw(sqliteInsertText(db, table, columns, chunk.length), parameters));
  }
}

export async function insertMany<T extends keyof Database & string>(db: Db | Tx, table: T, rows: Array<Insertable<Database[T]>>): Promise<void> {
  if (rows.length === 0) return;
  const records = rows as Array<Record<string, unknown>>;
  if (db.getExecutor().adapter instanceof PostgresAdapter) return insertManyPostgres(db, table, records);
  return insertManySqlite(db, table, records);
}
