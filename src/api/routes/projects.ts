// Projects of a team. Members create them; viewers list them. `model-registry` exists in every team.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { teamAccess } from '../auth.js';
import { decodeCursor, Name, PageQuery, pageOf, TeamParams, toPage } from '../schemas.js';
import { createProject, listProjects } from '../../registry/projects.js';

const ProjectView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
});

export default async function projectRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/teams/:team/projects',
    {
      schema: {
        tags: ['projects'],
        operationId: 'createProject',
        errorResponses: { add: [409] },
        summary: 'Create a project (members)',
        params: TeamParams,
        body: z.object({ name: Name, description: z.string().max(10_000).default('') }),
        response: { 201: ProjectView },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      const project = await createProject(ctx, access, request.body);
      return reply.status(201).send(project);
    },
  );

  app.get(
    '/api/v1/teams/:team/projects',
    {
      schema: {
        tags: ['projects'],
        operationId: 'listProjects',
        summary: "The team's projects by name",
        params: TeamParams,
        querystring: PageQuery,
        response: { 200: pageOf(ProjectView) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { limit, cursor } = request.query;
      const rows = await listProjects(ctx.db, team.id, limit, decodeCursor(cursor, 'name'));
      return toPage(rows, limit, (p) => p.name);
    },
  );
}
