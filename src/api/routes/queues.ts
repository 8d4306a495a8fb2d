// Queues: named holders of jobs. Viewers read; members create and delete them. A queue's jobs are in jobs.ts and
// the protocol agents speak in agent.ts.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { teamAccess } from '../auth.js';
import { iso, Name, TeamParams, UnpagedQuery } from '../schemas.js';
import { createQueue, deleteQueue, getQueue, listQueues, MAX_DESCRIPTION_LENGTH, type QueueSummary } from '../../queues/queues.js';
import { jobOutcomesWithChecks } from '../../registry/checks.js';

const QueueParams = TeamParams.extend({ queue: z.string() });

const QueueView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  counts: z.object({ queued: z.number(), running: z.number(), succeeded: z.number(), failed: z.number(), cancelled: z.number() }),
});

function queueView(queue: QueueSummary): z.infer<typeof QueueView> {
  return { ...queue, createdAt: iso(queue.createdAt) };
}

export default async function queueRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/teams/:team/queues',
    {
      schema: {
        tags: ['queues'],
        operationId: 'createQueue',
        errorResponses: { add: [409] },
        summary: 'Create a queue (members)',
        params: TeamParams,
        body: z.object({ name: Name, description: z.string().max(MAX_DESCRIPTION_LENGTH).optional() }),
        response: { 201: QueueView },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      const queue = await createQueue(ctx, access, { name: request.body.name, description: request.body.description ?? '' });
      return reply.status(201).send(queueView(queue));
    },
  );

  app.get(
    '/api/v1/teams/:team/queues',
    {
      schema: {
        tags: ['queues'],
        operationId: 'listQueues',
        summary: "The team's queues with job counts by state (claimed jobs count as running)",
        params: TeamParams,
        querystring: UnpagedQuery,
        response: { 200: z.object({ items: z.array(QueueView), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return { items: (await listQueues(ctx.db, team.id)).map(queueView), nextCursor: null };
    },
  );

  app.get(
    '/api/v1/teams/:team/queues/:queue',
    { schema: { tags: ['queues'], operationId: 'getQueue', summary: 'One queue with job counts by state', params: QueueParams, response: { 200: QueueView } } },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return queueView(await getQueue(ctx.db, team.id, request.params.queue));
    },
  );

  app.delete(
    '/api/v1/teams/:team/queues/:queue',
    {
      schema: {
        tags: ['queues'],
        operationId: 'deleteQueue',
        errorResponses: { add: [409] },
        summary: 'Delete a queue (members); with unfinished jobs only with ?force=true, which cancels them',
        params: QueueParams,
        querystring: z.object({ force: z.enum(['true', 'false']).default('false') }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      await deleteQueue(ctx, access, request.params.queue, request.query.force === 'true', jobOutcomesWithChecks(ctx));
      return reply.status(204).send(null);
    },
  );
}
