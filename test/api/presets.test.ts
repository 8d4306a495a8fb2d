import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserClient, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { fireEvent, teamId } from '../helpers/database.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { listPresets } from '../../src/core/presets.js';

const PUBLIC_URL = 'https://modelyard.example.com';

let plain: TestServer;
let linked: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  // API only: the delivery test uses `linked`'s worker.
  plain = await startTestServer({ role: 'api' });
  linked = await startTestServer({ env: { MODELYARD_PUBLIC_URL: PUBLIC_URL } });
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await plain.close();
  await linked.close();
  await receiver.close();
});

interface PresetItem {
  id: string;
  name: string;
  description: string;
  eventTypes: string[];
  template: string;
  example: { title: string; language: string; text: string } | null;
}

describe('GET /api/v1/presets', () => {
  it('lists the presets of src/core/presets.ts to any signed-in user, in no team at all', async () => {
    const loner = await createUserClient(plain);
    const reply = await loner.get('/api/v1/presets');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ items: listPresets(), nextCursor: null });
    expect(reply.body.items.map((p: PresetItem) => p.id)).toEqual(['github', 'slack', 'teams', 'teams-legacy']);
    const teams: PresetItem = reply.body.items.find((p: PresetItem) => p.id === 'teams')!;
    // Without MODELYARD_PUBLIC_URL the card has no link, and the description says how to get one.
    expect(teams.template).not.toContain('Action.OpenUrl');
    expect(teams.description).toContain('MODELYARD_PUBLIC_URL');
  });

  it('refuses anonymous callers with 401, a cursor or an unknown event type with 400', async () => {
    const anonymous = plain.client();
    expect((await anonymous.get('/api/v1/presets')).status).toBe(401);
    const cursor = await plain.admin.get('/api/v1/presets?cursor=abc');
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details.field).toBe('cursor');
    const unknown = await plain.admin.get('/api/v1/presets?eventType=DELETE_EVERYTHING');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'invalid_request' });
    expect(unknown.body.error.details.field).toBe('eventType');
  });

  it('links the Teams card to the version in Modelyard with MODELYARD_PUBLIC_URL, per event type', async () => {
    const registry = await linked.admin.get('/api/v1/presets');
    const teams: PresetItem = registry.body.items.find((p: PresetItem) => p.id === 'teams')!;
    expect(teams.template).toContain(`"url": "${PUBLIC_URL}/t/\${entity_name}/registry/\${artifact_collection_name}"`);
    const created = await linked.admin.get('/api/v1/presets?eventType=CREATE_ARTIFACT');
    expect(created.body.items.find((p: PresetItem) => p.id === 'teams')!.template).toContain('/projects/${project_name}/artifacts/${artifact_collection_name}?version=v${artifact_version_index}');
  });

  it("each preset's template, as the API serves it, makes an automation whose delivery is the documented message", async () => {
    const team = 'preset-delivery';
    expect((await linked.admin.post('/api/v1/teams', { name: team })).status).toBe(201);
    const id = await teamId(linked.admin, team);
    const webhookId = await createWebhook(linked.admin, team, { name: 'chat', url: receiver.url('/chat') });
    const presets: PresetItem[] = (await linked.admin.get('/api/v1/presets')).body.items;
    for (const preset of presets) {
      await createAutomation(linked.admin, team, webhookAutomation({ name: `<!channel> ${preset.id}`, eventType: 'LINK_ARTIFACT', webhookId, payload: preset.template }));
    }
    await fireEvent(linked.ctx, { teamId: id, collection: 'classifier', versionIndex: 4 });
    await receiver.waitFor(presets.length);
    const bodies = receiver.requests.map((r) => JSON.parse(r.body));

    const github = bodies.find((b) => b.event_type !== undefined);
    expect(github.client_payload).toMatchObject({ artifact_version_string: `${team}/model-registry/classifier:v4`, automation_name: '<!channel> github' });

    const teams = bodies.find((b) => b.type === 'message');
    const card = teams.attachments[0].content;
    expect(teams.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card).toMatchObject({ $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4' });
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Modelyard', url: `${PUBLIC_URL}/t/${team}/registry/classifier` }]);
    expect(card.body.find((e: { type: string }) => e.type === 'FactSet').facts).toContainEqual({ title: 'Version', value: 'v4' });

    expect(bodies.find((b) => b['@type'] === 'MessageCard')).toBeDefined();

    const slack = bodies.find((b) => Array.isArray(b.blocks));
    expect(slack.text).not.toContain('<!');
    const nameElement = JSON.stringify(slack.blocks).match(/\{[^{}]*<!channel> slack[^{}]*\}/)![0];
    expect(JSON.parse(nameElement)).toMatchObject({ type: 'plain_text', text: 'Automation: <!channel> slack' });
  });
});
