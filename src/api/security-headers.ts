// Browser hardening headers on every response (issue 11, item 20). Three Content-Security-Policies by path:
// - the web UI (index.html and its assets): scripts and styles only from this origin, never inline, never framed;
// - the Swagger UI at /api/docs: the same, plus the data: images and the inline <style> its bundle uses;
// - everything else (the JSON API, file downloads, /metrics): no document is ever meant to render here, so nothing
//   may load at all — an uploaded HTML artifact opened by mistake can run no script, even one from this origin.
// nosniff keeps a browser from running a download or a JSON answer as script or HTML; same-origin referrers keep
// team, model and run names in our URLs from leaking to the sites a page links to.
import type { FastifyInstance } from 'fastify';

/** Vite emits the UI as module scripts and stylesheets in /assets; nothing in it is inline (checked in test/e2e). */
const UI_DIRECTIVES: Record<string, string> = {
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self'",
  'connect-src': "'self'",
  'frame-ancestors': "'none'",
  'object-src': "'none'",
  'base-uri': "'self'",
  'form-action': "'self'",
};

function policy(directives: Record<string, string>): string {
  return Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}

export const UI_CSP = policy(UI_DIRECTIVES);

/**
 * @fastify/swagger-ui loads its bundle and initializer as files (no inline script); swagger-ui.css draws its icons
 * as data: SVG images, and the bundle injects a <style> element at run time (Chromium reports it as a violation of
 * `style-src 'self'`; a hash would break with each swagger-ui release). Inline styles on this one page are the only
 * loosening: scripts stay file-only.
 */
export const DOCS_CSP = policy({ ...UI_DIRECTIVES, 'style-src': "'self' 'unsafe-inline'", 'img-src': "'self' data:" });

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const DOCS_PREFIX = '/api/docs';

export function contentSecurityPolicy(url: string): string {
  const pathname = url.split('?', 1)[0]!;
  if (pathname === DOCS_PREFIX || pathname.startsWith(`${DOCS_PREFIX}/`)) return DOCS_CSP;
  if (pathname.startsWith('/api/') || pathname === '/metrics') return API_CSP;
  return UI_CSP;
}

/**
 * Set in onRequest, so the headers are on the reply before any handler, error mapping or 404 runs: every answer
 * carries them, whichever way it ends.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.headers({
      'content-security-policy': contentSecurityPolicy(request.url),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
    });
  });
}
