// The suite runs twice: on SQLite and on PostgreSQL (MODELYARD_TEST_DB). The browser tests (test/e2e) run once,
// on SQLite: they exercise the UI, and the API beneath them is already covered on both databases. Scale-out across
// worker processes (test/delivery/scale-out.test.ts, webhook-limits-processes.test.ts), NOTIFY between processes (test/db/postgres-notifier.test.ts)
// the worker's own connections (test/delivery/worker-connections.test.ts) and round trips to the database
// (test/db/round-trips.test.ts) are PostgreSQL matters and run in that
// project only; SQLite's WAL checkpointer (test/db/checkpointer.test.ts) only
// in the SQLite one. Tests that use no database (pure code, lint rules, the docs' commands, the Python SDK over HTTP)
// run once, in the SQLite project. So do the OpenAPI checks: the document is generated from the routes, the same on
// either database (test/api/openapi.test.ts), and the generated client's calls (test/api/openapi-client.test.ts) need
// a server with a database but check the document's contract, not storage, which every other API test covers twice.
// The API's clients — the CLI, the agent, the receiver kit and the examples — run once too, on SQLite.
// Three test files at a time on two cores: most of a file's time is spent waiting on child processes and receivers.
// The pool's settings (maxWorkers, minWorkers, poolOptions.forks.isolate) are read from the root `test` config only:
// vitest 3 ignores them in a project, and its default on two cores (cores − 1) ran the whole suite one file at a time.
// Worker processes are kept from file to file (the root's isolate: false) but each project still resets its modules
// before every file (the projects' isolate: true): a file imports src and the helpers afresh — its own metrics
// registries, caches and counters, as in a process of its own — while the libraries beneath (fastify, kysely, pg, zod,
// better-sqlite3…), which Node loads once per process, are not loaded again for every file (about 1.5 s a file; with
// both changes the sqlite project's test/api took 77 s instead of 246 s on a loaded machine). minWorkers equals
// maxWorkers: with fewer, tinypool ends idle reused workers mid-run and vitest fails with "Terminating worker thread"
// (vitest-dev/vitest#8564).
import { defineConfig } from 'vitest/config';

const shared = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  // Fresh modules for every file in the reused worker processes (see above).
  poolOptions: { forks: { isolate: true } },
  restoreMocks: true,
  setupFiles: ['test/setup/open-handles.ts'],
  sequence: { hooks: 'stack' as const },
};

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 3,
    minWorkers: 3,
    poolOptions: { forks: { isolate: false } },
    projects: [
      {
        test: {
          ...shared,
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          exclude: [
            'test/delivery/scale-out.test.ts',
            'test/delivery/ordering-scale.test.ts',
            'test/delivery/webhook-limits-processes.test.ts',
            'test/api/stream-scale-out.test.ts',
            'test/delivery/worker-connections.test.ts',
            'test/db/postgres-notifier.test.ts',
            'test/db/round-trips.test.ts',
          ],
          env: { MODELYARD_TEST_DB: 'sqlite' },
        },
      },
      {
        test: {
          ...shared,
          name: 'postgres',
          include: ['test/**/*.test.ts'],
          // Drops this run's schemas when it ends rather than file by file (see the file).
          globalSetup: ['test/setup/postgres-schemas.ts'],
          exclude: [
            'test/e2e/**',
            'test/core/**',
            'test/scripts/**',
            'test/lint/**',
            'test/docs/**',
            'test/clients/**',
            'test/cli/agent/job-env.test.ts',
            'test/config.test.ts',
            'test/logger.test.ts',
            'test/db/checkpointer.test.ts',
            'test/api/openapi.test.ts',
            'test/api/openapi-client.test.ts',
            // HTTP clients of the API (the CLI, the agent, the receiver kit, the examples): what they exercise beneath
            // the API is covered on both databases by test/api and test/delivery.
            'test/cli/agent.test.ts',
            'test/cli/agent-scale.test.ts',
            'test/cli/registry-commands.test.ts',
            'test/cli/team-commands.test.ts',
            'test/cli/client.test.ts',
            'test/receiver/**',
            'test/examples/**',
          ],
          env: { MODELYARD_TEST_DB: 'postgres' },
        },
      },
    ],
  },
});
