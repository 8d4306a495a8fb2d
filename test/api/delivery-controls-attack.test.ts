// The delivery controls attacked from outside: another team, a role below admin, and open-ended junk in every field the
// controls added (automation `delivery`, `rateLimit`, `cooldownSeconds`; webhook `maxConcurrency`, `maxPerSecond`). Every
// answer is a 4xx naming the problem or a success — never a 5xx — and a refused request leaves nothing behind.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer, type TestServer } from '../helpers/index.js';
import { createWebhook, webhookAutomation } from '../helpers/automations.js';

let server: TestServer;
let roles: Awaited<ReturnType<typeof createTeamWithRoles>>;
let other: Awaited<ReturnType<typeof createTeamWithRoles>>;
let webhookId: string;

beforeAll(async () => {
  server = await startTestServer();
  roles = await createTeamWithRoles(server);
  other = await createTeamWithRoles(server);
  webhookId = await createWebhook(roles.admin, roles.team, { name: 'target', url: 'https://example.com/hook' });
});

afterAll(async () => {
  await server.close();
});

/** JSON of every shape, with the strings attackers reach for: NUL, huge, deeply nested, lone surrogates. */
const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom('\u0000', 'x'.repeat(100_000), '\ud800', -1, 0, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 'per_subject', true, null),
  fc.constant(JSON.parse('['.repeat(200) + ']'.repeat(200)) as unknown),
);

describe('the delivery controls', () => {
  it('are out of reach of another team and of roles below admin', async () => {
    const mine = `/api/v1/teams/${roles.team}/webhooks/${webhookId}`;
    // Another team's admin, through its own team and through ours: neither finds the webhook.
    for (const path of [`/api/v1/teams/${other.team}/webhooks/${webhookId}`, mine]) {
      expect((await other.admin.patch(path, { maxConcurrency: 1 })).status).toBeGreaterThanOrEqual(403);
      expect((await other.admin.get(`${path}/health`)).status).toBeGreaterThanOrEqual(403);
      expect((await other.admin.post(`${path}/recover`, { since: new Date(Date.now() - 60_000).toISOString() })).status).toBeGreaterThanOrEqual(403);
    }
    expect((await roles.member.patch(mine, { maxConcurrency: 1, maxPerSecond: 1 })).status).toBe(403);
    expect((await roles.viewer.patch(mine, { maxConcurrency: 1 })).status).toBe(403);
    expect((await roles.member.post(`${mine}/recover`, { since: new Date(Date.now() - 60_000).toISOString() })).status).toBe(403);
    const after = await roles.admin.get(mine);
    expect(after.body).toMatchObject({ maxConcurrency: null, maxPerSecond: null });
    // A viewer cannot give an automation controls either: only roles that may create automations can.
    const refused = await roles.viewer.post(`/api/v1/teams/${roles.team}/automations`, {
      ...webhookAutomation({ name: 'viewer-try', eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: '{}' }),
      delivery: { order: 'per_subject', supersede: true },
    });
    expect(refused.status).toBe(403);
  });

  it('answer any value in their fields with a 4xx naming it, or accept it — never a 5xx, never half-written', async () => {
    let n = 0;
    const seen = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('delivery', 'rateLimit', 'cooldownSeconds', 'maxConcurrency', 'maxPerSecond'),
        junk,
        async (field, value) => {
          const name = `attack-${++n}`;
          const isWebhookField = field === 'maxConcurrency' || field === 'maxPerSecond';
          const reply = isWebhookField
            ? await roles.admin.post(`/api/v1/teams/${roles.team}/webhooks`, { name, url: 'https://example.com/x', secret: null, accessToken: null, [field]: value })
            : await roles.admin.post(`/api/v1/teams/${roles.team}/automations`, {
                ...webhookAutomation({ name, eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload: '{"s": "${sequence}"}' }),
                [field]: value,
              });
          expect(reply.status, JSON.stringify(reply.body)).toBeLessThan(500);
          const list = await roles.admin.get(`/api/v1/teams/${roles.team}/${isWebhookField ? 'webhooks' : 'automations'}?limit=500`);
          const created = (list.body.items as Array<{ name: string }>).some((item) => item.name === name);
          seen[reply.status >= 400 ? 'refused' : 'accepted'] += 1;
          if (reply.status >= 400) {
            expect(reply.body.error?.message, 'the error says what is wrong').toBeTruthy();
            expect(created, 'a refused request created nothing').toBe(false);
          } else {
            expect(created).toBe(true);
          }
          // PATCH the same field on the existing webhook or a fresh automation: the same rules.
          const patched = isWebhookField
            ? await roles.admin.patch(`/api/v1/teams/${roles.team}/webhooks/${webhookId}`, { [field]: value })
            : await roles.admin.patch(`/api/v1/teams/${roles.team}/automations/${(list.body.items as Array<{ id: string }>)[0]?.id ?? 'none'}`, { [field]: value });
          expect(patched.status, JSON.stringify(patched.body)).toBeLessThan(500);
        },
      ),
      { numRuns: 60, examples: [['delivery', { order: 'per_subject', supersede: true }], ['maxPerSecond', 5]] },
    );
    // Both sides were exercised: junk refused, and valid settings (the examples, and any valid value generated) taken.
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.accepted).toBeGreaterThan(0);
  });
});
