// Flood control settings of a webhook through the API: maxConcurrency and maxPerSecond are created, shown, changed
// and lifted (null: unlimited, the default); values that are not whole numbers in range are refused naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, expectStatus, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { MAX_CONCURRENCY_LIMIT, MAX_PER_SECOND_LIMIT } from '../../src/core/endpoint-limits.js';

let server: TestServer;
const receiver = new Receiver();
beforeAll(async () => {
  server = await startTestServer();
  await receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await server.close();
});

describe('webhook limits', () => {
  it('are unlimited by default, set on create, shown to the team, changed and lifted with PATCH', async () => {
    const { admin, viewer } = await createTeamWithRoles(server, 'limits-api');
    const base = '/api/v1/teams/limits-api/webhooks';
    const plain = expectStatus(await admin.post(base, { name: 'plain', url: receiver.url() }), 201, 'creating');
    expect(plain.body).toMatchObject({ maxConcurrency: null, maxPerSecond: null });

    const created = expectStatus(await admin.post(base, { name: 'slack', url: receiver.url(), maxConcurrency: 2, maxPerSecond: 5 }), 201, 'creating');
    expect(created.body).toMatchObject({ maxConcurrency: 2, maxPerSecond: 5 });
    const id = created.body.id;
    expect((await admin.get(`${base}/${id}`)).body).toMatchObject({ maxConcurrency: 2, maxPerSecond: 5 });
    // Not a credential: members and viewers see the limits (they explain why deliveries wait).
    expect((await viewer.get(`${base}/${id}`)).body).toMatchObject({ maxConcurrency: 2, maxPerSecond: 5 });

    // Absent fields are kept; null lifts a limit.
    expect(expectStatus(await admin.patch(`${base}/${id}`, { maxPerSecond: MAX_PER_SECOND_LIMIT }), 200, 'raising').body).toMatchObject({
      maxConcurrency: 2,
      maxPerSecond: MAX_PER_SECOND_LIMIT,
    });
    expect(expectStatus(await admin.patch(`${base}/${id}`, { name: 'slack2' }), 200, 'renaming').body).toMatchObject({ maxConcurrency: 2 });
    expect(expectStatus(await admin.patch(`${base}/${id}`, { maxConcurrency: null }), 200, 'lifting').body).toMatchObject({
      maxConcurrency: null,
      maxPerSecond: MAX_PER_SECOND_LIMIT,
    });
    const list = await admin.get(base);
    expect(list.body.items.map((w: { name: string; maxConcurrency: number | null }) => [w.name, w.maxConcurrency])).toEqual([
      ['plain', null],
      ['slack2', null],
    ]);
  });

  it('refuses values that are not whole numbers from 1 to the maximum, naming the field', async () => {
    const { admin, member } = await createTeamWithRoles(server, 'limits-bad');
    const base = '/api/v1/teams/limits-bad/webhooks';
    const id = expectStatus(await admin.post(base, { name: 'hook', url: receiver.url() }), 201, 'creating').body.id;
    const cases: Array<[string, unknown]> = [
      ['maxConcurrency', 0],
      ['maxConcurrency', -1],
      ['maxConcurrency', 1.5],
      ['maxConcurrency', '4'],
      ['maxConcurrency', MAX_CONCURRENCY_LIMIT + 1],
      ['maxPerSecond', 0],
      ['maxPerSecond', 2.5],
      ['maxPerSecond', true],
      ['maxPerSecond', MAX_PER_SECOND_LIMIT + 1],
    ];
    for (const [field, value] of cases) {
      for (const reply of [await admin.post(base, { name: 'other', url: receiver.url(), [field]: value }), await admin.patch(`${base}/${id}`, { [field]: value })]) {
        expect(reply.status, `${field}: ${JSON.stringify(value)}`).toBe(400);
        expect(reply.body.error.details.field).toBe(field);
      }
    }
    // Admins only, like every other setting of a webhook.
    expect((await member.patch(`${base}/${id}`, { maxConcurrency: 1 })).status).toBe(403);
    expect((await admin.get(`${base}/${id}`)).body).toMatchObject({ maxConcurrency: null, maxPerSecond: null });
  });
});
