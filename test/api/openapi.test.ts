// The OpenAPI document: committed as generated (docs/openapi.json), valid for a real validator, and complete where
// validators do not look — an operationId per operation, the error responses of every operation with the one `Error`
// schema, path templates that match their parameters, servers. test/e2e/api-types.test.ts checks that the client
// types generated from it (src/client/schema.d.ts) are current; test/api/openapi-client.test.ts calls the API
// through a client built on them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateOpenApi, OPENAPI_FILE } from '../../scripts/openapi-document.js';
import { buildApp } from '../../src/api/app.js';
import { ErrorResponse, TeamParams } from '../../src/api/schemas.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openContext } from '../../src/server.js';

interface Parameter {
  name: string;
  in: string;
  description?: string;
}
interface Response {
  $ref?: string;
  description?: string;
  content?: Record<string, { schema?: { $ref?: string } }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, Response>;
}
interface Document {
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, Response> };
}

let generated: string;
let document: Document;
let operations: Array<{ name: string; method: string; route: string; op: Operation }>;

beforeAll(async () => {
  generated = await generateOpenApi();
  document = JSON.parse(generated) as Document;
  operations = Object.entries(document.paths).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${route}`, method: method.toUpperCase(), route, op })),
  );
});

/** A response as the client sees it: a `$ref` to a component response followed. */
function resolved(response: Response): Response {
  if (!response.$ref) return response;
  const name = response.$ref.replace('#/components/responses/', '');
  return document.components.responses[name] ?? { description: `unresolved ${response.$ref}` };
}

describe('the committed OpenAPI document', () => {
  it('matches docs/openapi.json (run `npm run openapi` after changing a route)', () => {
    const committed = fs.readFileSync(OPENAPI_FILE, 'utf8');
    expect(committed === generated, `${OPENAPI_FILE} is out of date: run \`npm run openapi\``).toBe(true);
  });

  it('is valid OpenAPI 3.1 for a validator, its references included', async () => {
    const validated = await SwaggerParser.validate(structuredClone(document) as never);
    expect('openapi' in validated && validated.openapi).toBe('3.1.0');
  });
});

describe('every operation', () => {
  it('has a unique, readable operationId (camelCase verb and noun) and a summary', () => {
    const missing = operations.filter(({ op }) => !op.operationId).map(({ name }) => name);
    expect(missing, 'operations without an operationId').toEqual([]);
    const byId = new Map<string, string[]>();
    for (const { name, op } of operations) byId.set(op.operationId!, [...(byId.get(op.operationId!) ?? []), name]);
    expect([...byId].filter(([, names]) => names.length > 1), 'operationIds used more than once').toEqual([]);
    const unreadable = operations.filter(({ op }) => !/^[a-z]+(?:[A-Z][a-z0-9]*)+$/.test(op.operationId!)).map(({ name, op }) => `${name}: ${op.operationId}`);
    expect(unreadable, 'operationIds that are not camelCase verb+noun').toEqual([]);
    expect(operations.filter(({ op }) => !op.summary).map(({ name }) => name), 'operations without a summary').toEqual([]);
  });

  it('answers errors with the one Error schema', () => {
    expect(Object.keys(document.components.schemas)).toEqual(['Error']);
    const otherShapes = operations.flatMap(({ name, op }) =>
      Object.entries(op.responses)
        .filter(([status]) => Number(status) >= 400)
        .filter(([, response]) => {
          const content = resolved(response).content ?? {};
          return Object.keys(content).join() !== 'application/json' || content['application/json']?.schema?.$ref !== '#/components/schemas/Error';
        })
        .map(([status]) => `${name} ${status}`),
    );
    expect(otherShapes).toEqual([]);
  });

  it('declares the errors it can answer: 400 and 401 always, 403, 404, 413 and 415 where they occur', () => {
    const wrong: string[] = [];
    for (const { name, method, route, op } of operations) {
      const declared = new Set(Object.keys(op.responses).map(Number));
      const isPublic = Array.isArray(op.security) && op.security.length === 0;
      const expected: Array<[number, boolean]> = [
        [400, true],
        [401, true],
        [403, !isPublic && method !== 'GET'],
        [404, route.includes('{')],
        [413, method !== 'GET'],
        [415, method !== 'GET'],
      ];
      for (const [status, occurs] of expected) if (occurs && !declared.has(status)) wrong.push(`${name}: no ${status}`);
      if (!route.includes('{') && declared.has(404)) wrong.push(`${name}: a 404 without a path parameter`);
    }
    expect(wrong).toEqual([]);
  });

  it('declares the errors particular to it (names taken, resources in use, stale leases, login attempts)', () => {
    const statuses = (operationId: string) => {
      const found = operations.find(({ op }) => op.operationId === operationId);
      return Object.keys(found?.op.responses ?? {}).map(Number);
    };
    for (const operationId of ['createTeam', 'createProject', 'createModel', 'createSecret', 'deleteSecret', 'deleteWebhook', 'sendJobHeartbeat', 'cancelJob']) {
      expect(statuses(operationId), operationId).toContain(409);
    }
    expect(statuses('logIn')).toEqual(expect.arrayContaining([401, 429]));
    expect(statuses('listSecrets'), 'a read that needs the admin role').toContain(403);
    expect(statuses('getTeam'), 'a viewer may read a team').not.toContain(403);
  });

  it('names every parameter of its path template, and nothing else, as a path parameter', () => {
    const wrong: string[] = [];
    for (const { name, route, op } of operations) {
      const inTemplate = [...route.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      if (inTemplate.join() !== declared.join()) wrong.push(`${name}: template ${inTemplate.join()} but parameters ${declared.join()}`);
      for (const param of inTemplate) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(param)) wrong.push(`${name}: parameter "${param}" is not a name`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('the file download', () => {
  it('takes the file path as the named parameter {path}, documented as allowing "/", and answers bytes', () => {
    const download = operations.find(({ op }) => op.operationId === 'downloadArtifactFile');
    expect(download?.route).toBe('/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions/{version}/files/{path}');
    expect(download?.op.parameters?.find((p) => p.name === 'path')?.description).toContain('may contain `/`');
    expect(download?.op.responses['200']?.content).toEqual({ 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } });
  });
});

describe('servers', () => {
  it('is the relative "/" in the committed document (wherever it was fetched from)', () => {
    expect(document.servers?.map((s) => s.url)).toEqual(['/']);
  });

  it('is MODELYARD_PUBLIC_URL in the document a server with one serves', async () => {
    const served = JSON.parse(await generateOpenApi({ MODELYARD_PUBLIC_URL: 'https://models.example.com/modelyard/' })) as Document;
    expect(served.servers?.map((s) => s.url)).toEqual(['https://models.example.com/modelyard']);
    expect(Object.keys(served.paths)).toEqual(Object.keys(document.paths));
  });
});

describe('a route added later', () => {
  it('gets its error responses without declaring them; what it declares itself uses the shared schema too', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-openapi-test-'));
    const ctx = await openContext(loadConfig({ MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'silent' }), createLogger('silent'));
    try {
      const app = await buildApp(ctx, { ui: false });
      const Widget = z.object({ id: z.string() });
      app.post(
        '/api/v1/teams/:team/widgets',
        {
          schema: {
            tags: ['widgets'],
            operationId: 'createWidget',
            summary: 'Create a widget',
            params: TeamParams,
            body: z.object({ name: z.string() }),
            response: { 201: Widget, 409: ErrorResponse },
          },
        },
        async (_request, reply) => reply.status(201).send({ id: 'w' }),
      );
      app.get(
        '/api/v1/widgets',
        { schema: { tags: ['widgets'], operationId: 'listWidgets', summary: 'Widgets', errorResponses: { omit: [401] }, response: { 200: z.array(Widget) } } },
        async () => [],
      );
      await app.ready();
      const served = app.swagger() as unknown as Document;
      await app.close();
      const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
      const created = served.paths['/api/v1/teams/{team}/widgets']?.post?.responses ?? {};
      expect(Object.keys(created)).toEqual(['201', '400', '401', '403', '404', '409', '413', '415']);
      expect(created).toMatchObject({
        400: ref('BadRequest'),
        401: ref('Unauthorized'),
        403: ref('Forbidden'),
        404: ref('NotFound'),
        409: ref('Conflict'),
        413: ref('PayloadTooLarge'),
        415: ref('UnsupportedMediaType'),
      });
      expect(served.paths['/api/v1/widgets']?.get?.responses).toEqual({ 200: expect.anything(), 400: ref('BadRequest') });
    } finally {
      await ctx.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
