// The dialect rule of eslint.config.js: outside src/db/ and the run store implementations, code that branches on the
// database fails lint — each way it has been done here before, and the allowed places pass.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, '../..') });

async function dialectErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => m.ruleId!);
}

const violations: Array<[string, string]> = [
  ['a comparison with the dialect name', `declare const ctx: { dialect: string };\nexport const pg = ctx.dialect === 'postgres';\n`],
  ['a negated comparison', `declare const dialect: string;\nexport const lite = 'sqlite' !== dialect;\n`],
  ['a switch on the dialect', `declare const d: string;\nexport function f() { switch (d) { case 'sqlite': return 1; default: return 2; } }\n`],
  ['an adapter check', `import { PostgresAdapter } from 'kysely';\ndeclare const tx: { getExecutor(): { adapter: unknown } };\nexport const pg = tx.getExecutor().adapter instanceof PostgresAdapter;\n`],
  ['an adapter check through a namespace', `import * as k from 'kysely';\ndeclare const a: unknown;\nexport const lite = a instanceof k.SqliteAdapter;\n`],
  ['a driver import', `import pg from 'pg';\nexport const Pool = pg.Pool;\n`],
  ['a driver import (SQLite)', `import SQLite from 'better-sqlite3';\nexport const open = (f: string) => new SQLite(f);\n`],
  ['a Kysely dialect import', `import { SqliteDialect } from 'kysely';\nexport const D = SqliteDialect;\n`],
  ['a write outside src/db/transaction.ts', `declare const db: { transaction(): { execute(f: () => Promise<void>): Promise<void> } };\nexport const w = db.transaction().execute(async () => {});\n`],
];

describe('the dialect rule', () => {
  it.each(violations)('fails on %s outside src/db/', async (_name, code) => {
    expect(await dialectErrors(code, 'src/registry/example.ts')).not.toEqual([]);
  });

  it('allows the same code in src/db/ and in the run store implementations', async () => {
    for (const file of ['src/db/example.ts', 'src/delivery/store/postgres.ts', 'src/delivery/store/sqlite.ts']) {
      for (const [, code] of violations) expect(await dialectErrors(code, file)).toEqual([]);
    }
  });

  it('allows ordinary code and dialect-free Kysely imports everywhere', async () => {
    const code = `import { sql } from 'kysely';\ndeclare const ctx: { dialect: string };\nexport const q = sql\`select 1\`;\nexport const name = ctx.dialect;\nexport const same = ctx.dialect === 'other';\n`;
    expect(await dialectErrors(code, 'src/delivery/store/index.ts')).toEqual([]);
  });
});
