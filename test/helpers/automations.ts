// Helpers for the secrets, webhooks and automations tests: creating them through the API as a client would.
import type { EventType } from '../../src/db/schema.js';
import { expectStatus, type Client } from './index.js';

export async function createSecret(client: Client, team: string, name: string, value: string): Promise<void> {
  expectStatus(await client.post(`/api/v1/teams/${team}/secrets`, { name, value }), 201, `creating secret ${name}`);
}

export async function createWebhook(
  client: Client,
  team: string,
  body: { name: string; url: string; secret?: string | null; accessToken?: string | null; headers?: Array<{ name: string; value: string }> },
): Promise<string> {
  const reply = expectStatus(await client.post(`/api/v1/teams/${team}/webhooks`, { secret: null, accessToken: null, ...body }), 201, `creating webhook ${body.name}`);
  return reply.body.id as string;
}

export async function createAutomation(client: Client, team: string, body: Record<string, unknown>): Promise<string> {
  const reply = expectStatus(await client.post(`/api/v1/teams/${team}/automations`, body), 201, `creating automation ${String(body.name)}`);
  return reply.body.id as string;
}

/** The body of an enabled automation that sends `payload` to a webhook on every event of `eventType`, in any model. */
export function webhookAutomation(input: { name: string; eventType: EventType; webhookId: string; payload: string }): Record<string, unknown> {
  return {
    name: input.name,
    description: '',
    enabled: true,
    event: { type: input.eventType, model: null },
    action: { type: 'webhook', webhookId: input.webhookId, payload: input.payload },
  };
}

/** The statuses `admin`, `member`, `viewer`, `outsider` get for the same request. */
export async function roleStatuses(
  roles: { admin: Client; member: Client; viewer: Client; outsider: Client },
  send: (client: Client, role: 'admin' | 'member' | 'viewer' | 'outsider') => Promise<{ status: number }>,
): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  // Outsider, viewer and member first: their requests must be refused without changing anything the admin's then needs.
  for (const role of ['outsider', 'viewer', 'member', 'admin'] as const) statuses[role] = (await send(roles[role], role)).status;
  return statuses;
}
