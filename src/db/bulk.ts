// Many rows into one table in as few statements as the database likes best.
//
// PostgreSQL: one statement with the rows as a single JSON parameter, expanded by json_populate_recordset into the
// table's own row type. A multi-row VALUES list binds every value as its own parameter, and parsing and planning a
// statement with ten thousand of them took most of the time of a fan-out to 1,000 automations (~55 ms of ~65 ms,
// measured); the JSON form does the same work in a few milliseconds.
// SQLite: multi-row VALUES in chunks below its bound-parameter limit (SQLite binds values in-process, cheaply).
import { CompiledQuery, PostgresAdapter, sql, type Insertable } from 'kysely';
import { nameStatement } from './prepared.js';
import type { Database } from './schema.js';
import type { Db, Tx } from './index.js';

/** SQLite allows 32,766 bound parameters per statement. */
const SQLITE_MAX_PARAMETERS = 32_000;

/** Statement texts by table and columns: built once, and sent as named statements (parsed and planned once). */
const postgresTexts = new Map<string, string>();

function postgresInsertText(db: Db | Tx, table: string, columns: string[]): string {
  const key = `${table}(${columns.join(',')})`;
  let text = postgresTexts.get(key);
  if (text === undefined) {
    const list = sql.join(columns.map((column) => sql.ref(column)));
    text = sql`insert into ${sql.table(table)} (${list})
      select ${list} from json_populate_recordset(null::${sql.table(table)}, ${''})`.compile(db).sql;
    postgresTexts.set(key, text);
    nameStatement(text);
  }
  return text;
}

export async function insertMany<T extends keyof Database & string>(db: Db | Tx, table: T, rows: Array<Insertable<Database[T]>>): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // The columns of the first row are the ones written (as with VALUES, every row should carry the same keys).
    await db.executeQuery(CompiledQuery.raw(postgresInsertText(db, table, columns), [JSON.stringify(rows)]));
    return;
  }
  const perStatement = Math.max(1, Math.floor(SQLITE_MAX_PARAMETERS / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    // Kysely's types cannot follow a table chosen at run time; the rows are checked against it by the signature.
    await db
      .insertInto(table)
      .values(rows.slice(start, start + perStatement) as never)
      .execute();
  }
}
