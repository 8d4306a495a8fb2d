// Teams and their members. Any user can create a team and becomes its admin; admins manage members.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { createTeam, listMembers, listTeams, removeMember, setMember, TEAM_ROLES } from '../../auth/teams.js';
import { requireUser, teamAccess } from '../auth.js';
import { iso, Name, TeamParams, UnpagedQuery } from '../schemas.js';

const Role = z.enum(TEAM_ROLES as ['admin', 'member', 'viewer']);
const TeamView = z.object({ id: z.string(), name: z.string(), role: Role, createdAt: z.string() });
const MemberView = z.object({ id: z.string(), name: z.string(), role: Role, addedAt: z.string() });

export default async function teamRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/teams',
    {
      schema: {
        tags: ['teams'],
        operationId: 'createTeam',
        errorResponses: { add: [409] },
        summary: 'Create a team; the caller becomes its admin',
        body: z.object({ name: Name }),
        response: { 201: TeamView },
      },
    },
    async (request, reply) => {
      const team = await createTeam(ctx, requireUser(request), request.body.name);
      return reply.status(201).send({ id: team.id, name: team.name, role: 'admin' as const, createdAt: iso(team.created_at) });
    },
  );

  app.get(
    '/api/v1/teams',
    { schema: { tags: ['teams'], operationId: 'listTeams', summary: "The caller's teams", querystring: UnpagedQuery, response: { 200: z.object({ items: z.array(TeamView), nextCursor: z.null() }) } } },
    async (request) => {
      const teams = await listTeams(ctx.db, requireUser(request));
      return { items: teams.map((t) => ({ id: t.id, name: t.name, role: t.role, createdAt: iso(t.created_at) })), nextCursor: null };
    },
  );

  app.get(
    '/api/v1/teams/:team',
    { schema: { tags: ['teams'], operationId: 'getTeam', summary: 'One team', params: TeamParams, response: { 200: TeamView } } },
    async (request) => {
      const { team, role } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return { id: team.id, name: team.name, role, createdAt: iso(team.created_at) };
    },
  );

  app.get(
    '/api/v1/teams/:team/members',
    {
      schema: {
        tags: ['teams'],
        operationId: 'listTeamMembers',
        summary: "The team's members and their roles",
        params: TeamParams,
        querystring: UnpagedQuery,
        response: { 200: z.object({ items: z.array(MemberView), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const members = await listMembers(ctx.db, team.id);
      return { items: members.map((m) => ({ id: m.id, name: m.name, role: m.role, addedAt: iso(m.created_at) })), nextCursor: null };
    },
  );

  app.put(
    '/api/v1/teams/:team/members/:user',
    {
      schema: {
        tags: ['teams'],
        operationId: 'setTeamMember',
        errorResponses: { add: [409] },
        summary: 'Add a user to the team or change their role (admins)',
        params: TeamParams.extend({ user: z.string() }),
        body: z.object({ role: Role }),
        response: { 200: z.object({ name: z.string(), role: Role }), 201: z.object({ name: z.string(), role: Role }) },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'admin');
      const { created } = await setMember(ctx, access, request.params.user, request.body.role);
      return reply.status(created ? 201 : 200).send({ name: request.params.user, role: request.body.role });
    },
  );

  app.delete(
    '/api/v1/teams/:team/members/:user',
    {
      schema: {
        tags: ['teams'],
        operationId: 'removeTeamMember',
        errorResponses: { add: [409] },
        summary: 'Remove a member (admins); the last admin cannot be removed',
        params: TeamParams.extend({ user: z.string() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'admin');
      await removeMember(ctx, access, request.params.user);
      return reply.status(204).send(null);
    },
  );
}
