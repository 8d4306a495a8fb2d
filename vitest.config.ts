// The suite runs twice: on SQLite and on PostgreSQL (MODELYARD_TEST_DB). The browser tests (test/e2e) run once,
// on SQLite: they exercise the UI, and the API beneath them is already covered on both databases.
import { defineConfig } from 'vitest/config';

const shared = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  restoreMocks: true,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: { ...shared, name: 'sqlite', include: ['test/**/*.test.ts'], env: { MODELYARD_TEST_DB: 'sqlite' } },
      },
      {
        test: {
          ...shared,
          name: 'postgres',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/core/**'],
          env: { MODELYARD_TEST_DB: 'postgres' },
        },
      },
    ],
  },
});
