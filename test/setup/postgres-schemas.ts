// The PostgreSQL project's schemas are dropped once, when the run ends, not by each test file as it finishes. Files
// run side by side, and a file that starts a server migrates its schema while others finish: Kysely's migrator reads
// the catalog of every schema in the database (has_schema_privilege on each name), and a schema dropped in the middle
// of that read fails it with "schema … does not exist" for the file that was only starting. Each file still owns a
// schema of its own (test/helpers/index.ts); they all carry this run's prefix so the teardown drops exactly this
// run's, and never those of another run sharing the database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Prefix of every PostgreSQL schema testConfig() creates in this run. */
    schemaPrefix: string;
  }
}

const DATABASE_URL = process.env.MODELYARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export default function setup(project: TestProject): () => Promise<void> {
  const prefix = `t_${randomBytes(4).toString('hex')}`;
  project.provide('schemaPrefix', prefix);
  return async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(`select nspname as name from pg_namespace where starts_with(nspname, $1)`, [`${prefix}_`]);
      for (const { name } of rows) await client.query(`drop schema if exists "${name}" cascade`);
    } finally {
      await client.end();
    }
  };
}
