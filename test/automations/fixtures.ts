// Helpers for the secrets, webhooks and automations tests: creating them through the API as a client would.
import { expect } from 'vitest';
import type { Client } from '../helpers.js';

export async function createSecret(client: Client, team: string, name: string, value: string): Promise<void> {
  const reply = await client.post(`/api/v1/teams/${team}/secrets`, { name, value });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
}

export async function createWebhook(
  client: Client,
  team: string,
  body: { name: string; url: string; secret?: string | null; accessToken?: string | null },
): Promise<string> {
  const reply = await client.post(`/api/v1/teams/${team}/webhooks`, body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body.id as string;
}

export async function createAutomation(client: Client, team: string, body: Record<string, unknown>): Promise<string> {
  const reply = await client.post(`/api/v1/teams/${team}/automations`, body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body.id as string;
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
