import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApi, OPENAPI_FILE } from '../../scripts/openapi-document.js';

describe('OpenAPI document', () => {
  it('matches the committed docs/openapi.json (run `npm run openapi` after changing a route)', async () => {
    const generated = await generateOpenApi();
    const committed = fs.readFileSync(OPENAPI_FILE, 'utf8');
    expect(committed === generated, `${OPENAPI_FILE} is out of date: run \`npm run openapi\``).toBe(true);
  });

  it('documents every route with a summary and JSON error shape', async () => {
    const document = JSON.parse(await generateOpenApi());
    const operations = Object.entries(document.paths as Record<string, Record<string, { summary?: string }>>).flatMap(
      ([route, methods]) => Object.entries(methods).map(([method, op]) => ({ route, method, op })),
    );
    expect(operations.length).toBeGreaterThan(5);
    const missing = operations.filter(({ op }) => !op.summary && op !== undefined).map(({ method, route }) => `${method} ${route}`);
    expect(missing.filter((m) => !m.includes('healthz') && !m.includes('readyz'))).toEqual([]);
  });
});
