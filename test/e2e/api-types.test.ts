// src/client/schema.d.ts is generated from docs/openapi.json (`npm run client:types`); the client's and the UI's
// types come from it, so a stale copy would let them type-check against routes that changed. Regenerating must change
// nothing.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('src/client/schema.d.ts', () => {
  it('is what openapi-typescript generates from docs/openapi.json', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-web-types-'));
    try {
      const generated = path.join(dir, 'schema.d.ts');
      await run(process.execPath, ['node_modules/openapi-typescript/bin/cli.js', 'docs/openapi.json', '-o', generated]);
      const committed = fs.readFileSync('src/client/schema.d.ts', 'utf8');
      expect(committed === fs.readFileSync(generated, 'utf8'), 'src/client/schema.d.ts is stale: run `npm run client:types`').toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
