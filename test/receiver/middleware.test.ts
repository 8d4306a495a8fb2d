// The receiver middleware (src/receiver/middleware.ts) behind real servers — plain node:http, an Express-style
// (req, res, next) chain run the way Express runs it, and the installed Fastify — receiving real deliveries from a
// Modelyard server, and refusing the same requests with a byte changed, a stale timestamp or another secret.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressReceiver, fastifyReceiver, nodeReceiver, readRawBody, type ExpressLikeRequest, type ReceiverRequestFields, type VerifiedDelivery } from '../../src/receiver/index.js';
import { eventually, expectStatus, startTestServer, type TestServer } from '../helpers/index.js';
import { createAutomation, createSecret, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { seedRegistry } from '../helpers/registry.js';

const team = 'receivers';
const SECRET = 'receiver-s3cret-ünïcode';

interface Captured {
  delivery: VerifiedDelivery;
  headers: http.IncomingHttpHeaders;
}

let server: TestServer;
const captured: Record<'node' | 'express' | 'fastify', Captured[]> = { node: [], express: [], fastify: [] };
const servers: http.Server[] = [];
let fastify: FastifyInstance;
const urls: Record<'node' | 'express' | 'fastify', string> = { node: '', express: '', fastify: '' };

async function listen(s: http.Server): Promise<string> {
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`;
}

/** How Express runs a route's middleware: each gets (req, res, next); next(error) ends in its error handler (500). */
function expressLike(...stack: Array<(req: ExpressLikeRequest, res: http.ServerResponse, next: (error?: unknown) => void) => void>) {
  return (req: ExpressLikeRequest, res: http.ServerResponse) => {
    const step = (index: number) => (error?: unknown) => {
      if (error !== undefined) {
        res.statusCode = 500;
        res.end(String((error as Error).message));
        return;
      }
      stack[index]?.(req, res, step(index + 1));
    };
    step(0)();
  };
}

beforeAll(async () => {
  server = await startTestServer();
  urls.node = await listen(
    http.createServer(
      nodeReceiver({ secret: SECRET }, (delivery, req, res) => {
        captured.node.push({ delivery, headers: req.headers });
        res.end('ok');
      }),
    ),
  );
  urls.express = await listen(
    http.createServer(
      expressLike(expressReceiver({ secret: SECRET }), (req, res) => {
        captured.express.push({ delivery: req.delivery!, headers: req.headers });
        res.end(JSON.stringify({ event: (req.body as { event_type: string }).event_type }));
      }),
    ),
  );
  fastify = Fastify();
  await fastify.register(async (scope) => {
    await scope.register(fastifyReceiver({ secret: SECRET }));
    scope.post('/hook', async (request) => {
      const delivery = (request as ReceiverRequestFields).delivery!;
      captured.fastify.push({ delivery, headers: request.headers });
      return { ok: true };
    });
  });
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  urls.fastify = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}/hook`;

  const admin = server.admin;
  expectStatus(await admin.post('/api/v1/teams', { name: team }), 201, 'creating the team');
  await seedRegistry(admin, team, 1);
  await createSecret(admin, team, 'SIGNING', SECRET);
  for (const kind of ['node', 'express', 'fastify'] as const) {
    const webhookId = await createWebhook(admin, team, { name: `to ${kind}`, url: urls[kind], secret: 'SIGNING' });
    await createAutomation(
      admin,
      team,
      webhookAutomation({ name: `link to ${kind}`, eventType: 'LINK_ARTIFACT', webhookId, payload: '{"event_type":"${event_type}","version":"${artifact_version_string}","note":"héllo ✓"}' }),
    );
  }
  expectStatus(await admin.post(`/api/v1/teams/${team}/registry/models/classifier/versions`, { source: 'training/resnet:v0' }), 201, 'linking');
  await eventually(async () => captured.node.length > 0 && captured.express.length > 0 && captured.fastify.length > 0);
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  await fastify.close();
  await server.close();
});

/** Sends a captured delivery again, changed by `change`, and returns the receiver's status and body. */
async function resend(kind: 'node' | 'express' | 'fastify', change: (headers: Record<string, string>, body: Buffer) => Buffer) {
  const { delivery, headers } = captured[kind][0]!;
  const copy: Record<string, string> = {};
  for (const name of ['content-type', 'x-wandb-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) copy[name] = String(headers[name]);
  const body = change(copy, Buffer.from(delivery.body));
  const response = await fetch(urls[kind], { method: 'POST', headers: copy, body: new Uint8Array(body) });
  return { status: response.status, body: await response.text() };
}

describe.each(['node', 'express', 'fastify'] as const)('%s receiver', (kind) => {
  it('accepts a real delivery with both signatures and hands over the raw body and its payload', () => {
    const { delivery, headers } = captured[kind][0]!;
    expect(headers['x-wandb-signature']).toEqual(expect.any(String));
    expect(headers['webhook-signature']).toMatch(/^v1,/);
    expect(delivery.scheme).toBe('standard-webhooks');
    expect(delivery.id).toBe(headers['webhook-id']);
    expect(delivery.payload).toEqual({ event_type: 'LINK_ARTIFACT', version: `${team}/model-registry/classifier:v0`, note: 'héllo ✓' });
    expect(delivery.body.toString('utf8')).toBe(JSON.stringify(delivery.payload));
  });

  it('accepts the same bytes again (within the tolerance) and refuses them with a byte changed, a stale timestamp or another secret', async () => {
    expect((await resend(kind, (_h, body) => body)).status).toBe(200);
    const changed = await resend(kind, (_h, body) => Buffer.from(body.toString('utf8').replace('v0', 'v9')));
    expect(changed.status).toBe(401);
    expect(JSON.parse(changed.body).error).toContain('no webhook-signature matches');
    const stale = await resend(kind, (headers, body) => {
      headers['webhook-timestamp'] = String(Number(headers['webhook-timestamp']) - 3600);
      return body;
    });
    expect(stale.status).toBe(401);
    expect(JSON.parse(stale.body).error).toContain('seconds from now');
    // Without the Standard Webhooks headers the X-Wandb-Signature decides.
    const wandbOnly = await resend(kind, (headers, body) => {
      delete headers['webhook-signature'];
      return body;
    });
    expect(wandbOnly.status).toBe(200);
    const forged = await resend(kind, (headers, body) => {
      delete headers['webhook-signature'];
      headers['x-wandb-signature'] = Buffer.alloc(32).toString('base64');
      return body;
    });
    expect(forged.status).toBe(401);
  });
});

describe('reading the raw body', () => {
  it('refuses a body over the limit with 413 without buffering it', async () => {
    const s = http.createServer(nodeReceiver({ secret: SECRET, maxBodyBytes: 16 }, (_d, _req, res) => void res.end('ok')));
    const url = await listen(s);
    const response = await fetch(url, { method: 'POST', body: 'x'.repeat(1000) });
    expect(response.status).toBe(413);
  });

  it('tells an Express app whose JSON parser already consumed the body how to mount the receiver', async () => {
    const parsedAlready = (req: ExpressLikeRequest, _res: http.ServerResponse, next: (error?: unknown) => void) => {
      void readRawBody(req).then((raw) => {
        req.body = JSON.parse(raw.toString('utf8'));
        next();
      });
    };
    const url = await listen(http.createServer(expressLike(parsedAlready, expressReceiver({ secret: SECRET }), (_req, res) => res.end('reached'))));
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('express.raw');
  });
});
