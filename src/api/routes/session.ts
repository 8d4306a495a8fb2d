// Logging in and out, who am I, and the caller's API keys.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { AppError } from '../../core/errors.js';
import { FAILURE_DELAY_MS, LoginLimiter } from '../../auth/login-limiter.js';
import {
  checkPassword,
  createApiKey,
  createSession,
  deleteSession,
  listApiKeys,
  revokeApiKey,
  SESSION_TTL_MS,
  userView,
} from '../../auth/users.js';
import { listTeams } from '../../auth/teams.js';
import { requireUser, SESSION_COOKIE } from '../auth.js';
import { iso, UnpagedQuery } from '../schemas.js';

const UserView = z.object({ id: z.string(), name: z.string(), isAdmin: z.boolean(), createdAt: z.string() });
const ApiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function sessionRoutes(app: Api, ctx: AppContext): Promise<void> {
  const limiter = new LoginLimiter(ctx.db);

  app.post(
    '/api/v1/login',
    {
      schema: {
        tags: ['session'],
        operationId: 'logIn',
        errorResponses: { add: [401, 429] },
        summary: 'Log in with a password; sets the session cookie',
        security: [],
        body: z.object({
          // A NUL can name no user, and PostgreSQL refuses it in text: a 400 rather than a query error.
          name: z
            .string()
            .min(1)
            .max(128)
            .refine((name) => !name.includes('\0'), 'must not contain NUL characters'),
          password: z.string().min(1).max(1024),
        }),
        response: { 200: z.object({ user: UserView, csrfToken: z.string(), expiresAt: z.string() }) },
      },
    },
    async (request, reply) => {
      const attempt = { account: request.body.name, address: request.ip };
      // Counted before the password is checked, so that guesses sent in parallel are limited like sequential ones.
      const reservation = await limiter.reserve(attempt);
      if (!reservation.allowed) {
        const seconds = Math.ceil(reservation.retryAfterMs / 1000);
        void reply.header('retry-after', String(seconds));
        throw new AppError('rate_limited', `too many failed logins; try again in ${seconds} s`);
      }
      const started = Date.now();
      const user = await checkPassword(ctx.db, request.body.name, request.body.password);
      if (!user) {
        await sleep(Math.max(0, FAILURE_DELAY_MS - (Date.now() - started)));
        throw new AppError('unauthenticated', 'wrong user name or password');
      }
      await limiter.succeeded(attempt, reservation);
      const session = await createSession(ctx.db, user.id);
      void reply.setCookie(SESSION_COOKIE, session.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.config.secureCookies,
        maxAge: SESSION_TTL_MS / 1000,
      });
      return { user: userView(user), csrfToken: session.csrfToken, expiresAt: iso(session.expiresAt) };
    },
  );

  app.post(
    '/api/v1/logout',
    { schema: { tags: ['session'], operationId: 'logOut', summary: 'End the session', response: { 204: z.null() } } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await deleteSession(ctx.db, token);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/me',
    {
      schema: {
        tags: ['session'],
        operationId: 'getCurrentUser',
        summary: 'The calling user, their teams, and (for cookie sessions) the CSRF token',
        response: {
          200: z.object({
            user: UserView,
            teams: z.array(z.object({ id: z.string(), name: z.string(), role: z.enum(['admin', 'member', 'viewer']) })),
            csrfToken: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const teams = await listTeams(ctx.db, user);
      return {
        user: userView(user),
        teams: teams.map((t) => ({ id: t.id, name: t.name, role: t.role })),
        csrfToken: request.principal?.csrfToken ?? null,
      };
    },
  );

  app.post(
    '/api/v1/api-keys',
    {
      schema: {
        tags: ['session'],
        operationId: 'createApiKey',
        summary: 'Create an API key for the calling user (the key is shown only in this response)',
        body: z.object({ name: z.string().min(1).max(128) }),
        response: { 201: ApiKeyView.extend({ key: z.string() }) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      return reply.status(201).send(await createApiKey(ctx.db, user.id, request.body.name));
    },
  );

  app.get(
    '/api/v1/api-keys',
    {
      schema: {
        tags: ['session'],
        operationId: 'listApiKeys',
        summary: "The calling user's API keys (never the keys themselves)",
        querystring: UnpagedQuery,
        response: { 200: z.object({ items: z.array(ApiKeyView), nextCursor: z.null() }) },
      },
    },
    async (request) => ({ items: await listApiKeys(ctx.db, requireUser(request).id), nextCursor: null }),
  );

  app.delete(
    '/api/v1/api-keys/:id',
    {
      schema: { tags: ['session'], operationId: 'revokeApiKey', summary: 'Revoke an API key', params: z.object({ id: z.string() }), response: { 204: z.null() } },
    },
    async (request, reply) => {
      await revokeApiKey(ctx, requireUser(request).id, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
