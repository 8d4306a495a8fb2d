// Instance admins create users.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { createApiKey, createUser, MIN_PASSWORD_LENGTH, userView } from '../../auth/users.js';
import { requireInstanceAdmin } from '../auth.js';
import { Name } from '../schemas.js';

export default async function userRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/users',
    {
      schema: {
        tags: ['users'],
        operationId: 'createUser',
        errorResponses: { add: [409] },
        summary: 'Create a user (instance admins only); optionally returns a first API key for them',
        body: z.object({
          name: Name,
          password: z.string().min(MIN_PASSWORD_LENGTH).max(1024),
          isAdmin: z.boolean().default(false),
          apiKey: z.boolean().default(false),
        }),
        response: {
          201: z.object({
            id: z.string(),
            name: z.string(),
            isAdmin: z.boolean(),
            createdAt: z.string(),
            apiKey: z.string().optional(),
          }),
        },
      },
    },
    async (request, reply) => {
      requireInstanceAdmin(request);
      const user = await createUser(ctx.db, { name: request.body.name, password: request.body.password, isAdmin: request.body.isAdmin });
      const apiKey = request.body.apiKey ? (await createApiKey(ctx.db, user.id, 'created with the user')).key : undefined;
      return reply.status(201).send({ ...userView(user), ...(apiKey ? { apiKey } : {}) });
    },
  );
}
