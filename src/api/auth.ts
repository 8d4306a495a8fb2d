// Who is calling: an API key (`Authorization: Bearer my_…`) or the session cookie set by POST /api/v1/login.
// Cookie-authenticated requests that change state must echo the session's CSRF token in `X-CSRF-Token`
// (API keys are not sent automatically by browsers, so they need none). GET /metrics checks its own caller
// (authorizeMetrics): Prometheus sends a scrape token there that is not an API key.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { TeamRole, User } from '../db/schema.js';
import { AppError } from '../core/errors.js';
import { requireTeam, type TeamAccess } from '../auth/teams.js';
import { userForApiKey, userForSession } from '../auth/users.js';
import { tokensEqual } from '../auth/tokens.js';

export const SESSION_COOKIE = 'modelyard_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const METRICS_ROUTE = '/metrics';
const BEARER = /^Bearer\s+(\S+)$/i;

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
    if (request.routeOptions.url === METRICS_ROUTE) return;
    const header = request.headers.authorization;
    if (header) {
      const match = BEARER.exec(header);
      if (!match?.[1]) throw new AppError('unauthenticated', 'Authorization header must be "Bearer <api key>"');
      const user = await userForApiKey(ctx, match[1]);
      if (!user) throw new AppError('unauthenticated', 'the API key is not valid (revoked or mistyped)');
      request.principal = { user, via: 'api_key' };
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    // Logging in replaces whatever session the browser had, so it needs no CSRF token.
    if (!token || request.routeOptions.url === '/api/v1/login') return;
    const session = await userForSession(ctx.db, token);
    if (!session) return;
    const csrfHeader = request.headers['x-csrf-token'];
    if (!SAFE_METHODS.has(request.method) && (typeof csrfHeader !== 'string' || !tokensEqual(csrfHeader, session.csrfToken))) {
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
  return requireTeam(ctx, requireUser(request), team, minimum);
}

/**
 * GET /metrics answers a bearer token equal to MODELYARD_METRICS_TOKEN (compared in constant time) or an instance
 * admin's API key; nothing else — not a session cookie, not another user's key. Metrics name routes, event types and
 * delivery outcomes across every team, so they are instance-admin data.
 */
export async function authorizeMetrics(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const unauthenticated = (message: string) => {
    void reply.header('www-authenticate', 'Bearer');
    return new AppError('unauthenticated', message);
  };
  const header = request.headers.authorization;
  if (!header) throw unauthenticated('send the metrics token or an instance admin API key as "Authorization: Bearer <token>"');
  const token = BEARER.exec(header)?.[1];
  if (!token) throw unauthenticated('Authorization header must be "Bearer <token>"');
  if (ctx.config.metricsToken !== undefined && tokensEqual(token, ctx.config.metricsToken)) return;
  const user = await userForApiKey(ctx, token);
  if (!user) throw unauthenticated('neither the metrics token nor a valid API key');
  if (user.is_admin !== 1) throw new AppError('forbidden', 'only instance admins (or the metrics token) can read metrics');
}
