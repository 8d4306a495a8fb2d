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
import { defineConfig } from 'vitest/config';

const shared = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  maxWorkers: 3,
  minWorkers: 1,
  restoreMocks: true,
  setupFiles: ['test/setup/open-handles.ts'],
  sequence: { hooks: 'stack' as const },
};

export default defineConfig({
  test: {
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
