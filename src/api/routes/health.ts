// Liveness (the process answers) and readiness (the database answers).
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { ping } from '../../db/index.js';
import { ErrorResponse } from '../schemas.js';

export default async function healthRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        operationId: 'getHealth',
        summary: 'Liveness: the process answers',
        security: [],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        summary: 'Readiness: the database answers (503 when it does not)',
        security: [],
        response: { 200: z.object({ status: z.literal('ready'), database: z.string() }), 503: ErrorResponse },
      },
    },
    async (_request, reply) => {
      try {
        await ping(ctx.db);
      } catch {
        return reply.status(503).send({ error: { code: 'unavailable', message: 'the database does not answer' } });
      }
      return { status: 'ready' as const, database: ctx.dialect };
    },
  );
}
