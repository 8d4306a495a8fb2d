// The OpenAPI document as committed in docs/openapi.json: generated from the routes' zod schemas. CI fails when the
// committed copy drifts from what the code serves (test/api/openapi.test.ts; `npm run openapi` regenerates it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { openContext } from '../src/server.js';
import { buildApp } from '../src/api/app.js';

export const OPENAPI_FILE = 'docs/openapi.json';

/** The document as a server configured by `env` serves it (the committed one: with no MODELYARD_PUBLIC_URL). */
export async function generateOpenApi(env: Record<string, string> = {}): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-openapi-'));
  const config = loadConfig({ ...env, MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'silent' });
  const ctx = await openContext(config, createLogger('silent'));
  try {
    const app = await buildApp(ctx, { ui: false });
    await app.ready();
    const document = app.swagger();
    await app.close();
    return `${JSON.stringify(document, null, 2)}\n`;
  } finally {
    await ctx.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
