// Instance admins manage users: create (with a password they choose, or one generated and shown once), list, reset
// a password, deactivate (ends their sessions and revokes their API keys) and reactivate.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import {
  createApiKey,
  createUser,
  deactivateUser,
  generatePassword,
  getAdminUserView,
  listUsers,
  MIN_PASSWORD_LENGTH,
  reactivateUser,
  resetPassword,
  userView,
} from '../../auth/users.js';
import { requireInstanceAdmin } from '../auth.js';
import { Name } from '../schemas.js';

const TAGS = ['users'];
const Password = z.string().min(MIN_PASSWORD_LENGTH).max(1024);

const AdminUserView = z.object({
  id: z.string(),
  name: z.string(),
  isAdmin: z.boolean(),
  active: z.boolean().describe('false once an instance admin deactivated the user: no login, no sessions, no API keys'),
  createdAt: z.string(),
  deactivatedAt: z.string().nullable(),
  apiKeys: z.number().int().describe('How many API keys the user holds'),
});

const UserParams = z.object({ name: z.string().min(1).max(128) });

export default async function userRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/users',
    {
      schema: {
        tags: TAGS,
        operationId: 'createUser',
        errorResponses: { add: [409] },
        summary: 'Create a user (instance admins only); without a password one is generated and returned once; optionally a first API key',
        body: z.object({
          name: Name,
          password: Password.optional().describe('omit to have a password generated (returned once in `password`)'),
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
            password: z.string().optional().describe('the generated password, when none was given; shown only here'),
          }),
        },
      },
    },
    async (request, reply) => {
      requireInstanceAdmin(request);
      const generated = request.body.password === undefined ? generatePassword() : undefined;
      const user = await createUser(ctx.db, { name: request.body.name, password: request.body.password ?? generated!, isAdmin: request.body.isAdmin });
      const apiKey = request.body.apiKey ? (await createApiKey(ctx.db, user.id, 'created with the user')).key : undefined;
      return reply.status(201).send({ ...userView(user), ...(apiKey ? { apiKey } : {}), ...(generated ? { password: generated } : {}) });
    },
  );

  app.get(
    '/api/v1/users',
    {
      schema: {
        tags: TAGS,
        operationId: 'listUsers',
        summary: 'Every user of the instance by name, active or not (instance admins only)',
        response: { 200: z.object({ items: z.array(AdminUserView), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      requireInstanceAdmin(request);
      return { items: await listUsers(ctx.db), nextCursor: null };
    },
  );

  app.post(
    '/api/v1/users/:name/password',
    {
      schema: {
        tags: TAGS,
        operationId: 'resetUserPassword',
        summary: "Reset a user's password (instance admins only); ends their sessions; without a password one is generated and returned once",
        params: UserParams,
        body: z.object({ password: Password.optional() }).default({}),
        response: { 200: z.object({ password: z.string().describe('the new password; shown only here') }) },
      },
    },
    async (request) => {
      requireInstanceAdmin(request);
      return resetPassword(ctx, request.params.name, request.body.password);
    },
  );

  app.post(
    '/api/v1/users/:name/deactivate',
    {
      schema: {
        tags: TAGS,
        operationId: 'deactivateUser',
        summary: 'Deactivate a user (instance admins only): no more logins, their sessions end and their API keys are revoked',
        params: UserParams,
        response: { 200: AdminUserView },
      },
    },
    async (request) => {
      const actor = requireInstanceAdmin(request);
      return deactivateUser(ctx, actor, request.params.name);
    },
  );

  app.post(
    '/api/v1/users/:name/activate',
    {
      schema: {
        tags: TAGS,
        operationId: 'activateUser',
        summary: 'Let a deactivated user log in again (instance admins only); their revoked API keys stay revoked',
        params: UserParams,
        response: { 200: AdminUserView },
      },
    },
    async (request) => {
      requireInstanceAdmin(request);
      return reactivateUser(ctx, request.params.name);
    },
  );

  app.get(
    '/api/v1/users/:name',
    {
      schema: { tags: TAGS, operationId: 'getUser', summary: 'One user of the instance (instance admins only)', params: UserParams, response: { 200: AdminUserView } },
    },
    async (request) => {
      requireInstanceAdmin(request);
      return getAdminUserView(ctx.db, request.params.name);
    },
  );
}
