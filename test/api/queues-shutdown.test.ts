// A server shutting down answers its waiting claims (204) instead of holding shutdown for their whole `wait`.
import { expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer } from '../helpers/index.js';

it('ends long-polling claims with 204 when the server closes', async () => {
  const server = await startTestServer();
  const roles = await createTeamWithRoles(server);
  await roles.member.post(`/api/v1/teams/${roles.team}/queues`, { name: 'closing' });
  const waiting = roles.member.post(`/api/v1/teams/${roles.team}/queues/closing/claim?wait=60`, { agent: 'patient' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await server.close();
  expect((await waiting).status).toBe(204);
});
