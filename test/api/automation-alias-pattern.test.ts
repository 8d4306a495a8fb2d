// The checks the automation wizard runs while a pattern is typed (POST …/automations/alias-pattern, the server's
// RE2 rules) and the preview's alias for an ADD_ARTIFACT_ALIAS automation (one the pattern matches).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, expectStatus, startTestServer, type TestServer } from '../helpers/index.js';
import { seedRegistry } from '../helpers/registry.js';

let server: TestServer;
let world: Awaited<ReturnType<typeof createTeamWithRoles>>;
beforeAll(async () => {
  server = await startTestServer();
  world = await createTeamWithRoles(server, 'patterns');
  await seedRegistry(world.member, world.team, 1);
  expectStatus(await world.member.post(`/api/v1/teams/${world.team}/registry/models/classifier/versions`, { source: 'training/resnet:v0', aliases: ['staging'] }), 201, 'link');
  expectStatus(await world.admin.post(`/api/v1/teams/${world.team}/queues`, { name: 'eval' }), 201, 'queue');
});
afterAll(async () => {
  await server.close();
});

const path = () => `/api/v1/teams/${world.team}/automations/alias-pattern`;

describe('alias pattern check', () => {
  it('accepts an RE2 pattern and says which of the given aliases it matches', async () => {
    const reply = expectStatus(await world.viewer.post(path(), { aliasPattern: '^prod', aliases: ['production', 'staging', 'prod-eu'] }), 200, 'check');
    expect(reply.body).toEqual({ aliasPattern: '^prod', matches: ['production', 'prod-eu'] });
  });

  it('refuses what saving would refuse, naming the field', async () => {
    for (const pattern of ['(', '(a)\\1', '(?=x)', '', 'x'.repeat(257)]) {
      const reply = await world.member.post(path(), { aliasPattern: pattern });
      expect(reply.status, pattern).toBe(400);
      expect(reply.body.error.details.field, pattern).toBe('event.aliasPattern');
    }
  });

  it('is refused to users outside the team', async () => {
    expect((await world.outsider.post(path(), { aliasPattern: 'x' })).status).toBe(404);
  });
});

describe('preview of an alias automation', () => {
  const preview = async (aliasPattern: string | null) => {
    const reply = await world.member.post(`/api/v1/teams/${world.team}/automations/preview`, {
      event: { type: 'ADD_ARTIFACT_ALIAS', model: 'classifier', aliasPattern },
      action: { type: 'queue_job', queue: 'eval', template: '{"alias": "${alias}"}' },
    });
    return JSON.parse(expectStatus(reply, 200, 'preview').body.body).alias;
  };

  it('shows an alias the pattern matches: one the version holds, or the one a literal pattern names', async () => {
    expect(await preview(null)).toBe('staging');
    expect(await preview('^stag')).toBe('staging');
    expect(await preview('^production$')).toBe('production');
    expect(await preview('^release\\.candidate$')).toBe('release.candidate');
  });
});
