// The team's event log, newest first: what automations react to, readable by every member.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { teamAccess } from '../auth.js';
import { decodeCursor, PageQuery, pageOf, TeamParams, toPage } from '../schemas.js';
import { EVENT_TYPES, eventView, listEvents } from '../../registry/events.js';

export const EventView = z.object({
  id: z.string(),
  type: z.enum(EVENT_TYPES),
  project: z.string(),
  collection: z.string(),
  versionIndex: z.number().int().nullable(),
  version: z.string().nullable(),
  alias: z.string().nullable(),
  author: z.string(),
  artifactVersionId: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  details: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

export default async function eventRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get(
    '/api/v1/teams/:team/events',
    {
      schema: {
        tags: ['events'],
        operationId: 'listEvents',
        summary: "The team's events, newest first; filter by type and registered model",
        params: TeamParams,
        querystring: PageQuery.extend({
          type: z.enum(EVENT_TYPES).optional(),
          model: z.string().max(128).optional().describe('registered model name'),
        }),
        response: { 200: pageOf(EventView) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { limit, cursor, type, model } = request.query;
      const beforeId = decodeCursor(cursor, 'id');
      const rows = await listEvents(ctx.db, team.id, { limit, beforeId, type, model });
      const page = toPage(rows, limit, (e) => e.id);
      return { items: page.items.map(eventView), nextCursor: page.nextCursor };
    },
  );
}
