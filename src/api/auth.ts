// Who is calling: an API key (`Authorization: Bearer my_…`) or the session cookie set by POST /api/v1/login.
// Cookie-authenticated requests that change state must echo the session's CSRF token in `X-CSRF-Token`
// (API keys are not sent automatically by browsers, so they need none).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { TeamRole, User } from '../db/schema.js';
import { AppError } from '../core/errors.js';
import { requireTeam, type TeamAccess } from '../auth/teams.js';
import { userForApiKey, userForSession } from '../auth/users.js';

export const SESSION_COOKIE = 'modelyard_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Principal {
  user: User;
  via: 'api_key' | 'session';
  csrfToken?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function registerAuth(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match?.[1]) throw new AppError('unauthenticated', 'Authorization header must be "Bearer <api key>"');
      const user = await userForApiKey(ctx.db, match[1]);
      if (!user) throw new AppError('unauthenticated', 'the API key is not valid (revoked or mistyped)');
      request.principal = { user, via: 'api_key' };
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    // Logging in replaces whatever session the browser had, so it needs no CSRF token.
    if (!token || request.routeOptions.url === '/api/v1/login') return;
    const session = await userForSession(ctx.db, token);
    if (!session) return;
    if (!SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) {
      throw new AppError('forbidden', 'missing or wrong X-CSRF-Token header for a cookie-authenticated request');
    }
    request.principal = { user: session.user, via: 'session', csrfToken: session.csrfToken };
  });
}

export function requireUser(request: FastifyRequest): User {
  if (!request.principal) throw new AppError('unauthenticated', 'log in or send an API key as "Authorization: Bearer <key>"');
  return request.principal.user;
}

export function requireInstanceAdmin(request: FastifyRequest): User {
  const user = requireUser(request);
  if (user.is_admin !== 1) throw new AppError('forbidden', 'only instance admins can do this');
  return user;
}

export function teamAccess(ctx: AppContext, request: FastifyRequest, team: string, minimum: TeamRole): Promise<TeamAccess> {
  return requireTeam(ctx.db, requireUser(request), team, minimum);
}
