// Covers src/api/security-headers.ts: every answer — the UI's HTML, a client-side route, JSON from the API, an
// error, a 404, the Swagger UI — carries a Content-Security-Policy fit for what it is, nosniff and a same-origin
// referrer policy; and the HTML the UI is served from holds no inline script for the policy to have to allow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_CSP, contentSecurityPolicy, DOCS_CSP, UI_CSP } from '../../src/api/security-headers.js';
import { startTestServer, type TestServer } from '../helpers/index.js';

/** The directives of a policy, by name, so a test reads `policy['script-src']`. */
function directives(policy: string | null): Record<string, string> {
  expect(policy, 'no Content-Security-Policy header').toBeTruthy();
  return Object.fromEntries(
    policy!
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name, ...values] = part.split(/\s+/);
        return [name!, values.join(' ')];
      }),
  );
}

describe('security headers', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ ui: true });
  });

  afterAll(async () => {
    await server?.close();
  });

  const cases: Array<{ what: string; method: 'GET' | 'POST'; path: string; auth: boolean; status: number; policy: string }> = [
    { what: 'the UI at /', method: 'GET', path: '/', auth: false, status: 200, policy: UI_CSP },
    { what: 'a client-side route of the UI', method: 'GET', path: '/t/ml/settings', auth: false, status: 200, policy: UI_CSP },
    { what: 'an API route', method: 'GET', path: '/api/v1/me', auth: true, status: 200, policy: API_CSP },
    { what: 'an API route without credentials (401)', method: 'GET', path: '/api/v1/me', auth: false, status: 401, policy: API_CSP },
    { what: 'a refused API request (400)', method: 'POST', path: '/api/v1/teams', auth: true, status: 400, policy: API_CSP },
    { what: 'an unknown API route (404)', method: 'GET', path: '/api/v1/no-such-thing', auth: true, status: 404, policy: API_CSP },
    // Outside /api/ the UI's policy applies by path, even to the JSON 404 of a non-GET request.
    { what: 'an unknown non-GET path outside the API (404)', method: 'POST', path: '/no-such-page', auth: false, status: 404, policy: UI_CSP },
    { what: 'the OpenAPI document', method: 'GET', path: '/api/openapi.json', auth: false, status: 200, policy: API_CSP },
    { what: 'the Swagger UI', method: 'GET', path: '/api/docs/', auth: false, status: 200, policy: DOCS_CSP },
    { what: 'the Swagger UI initializer', method: 'GET', path: '/api/docs/static/swagger-initializer.js', auth: false, status: 200, policy: DOCS_CSP },
  ];

  it.each(cases)('$what: $method $path answers $status with the headers', async ({ method, path, auth, status, policy }) => {
    const client = auth ? server.admin : server.client();
    const reply = await client.request(method, path, method === 'POST' ? { name: '' } : undefined);
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-security-policy')).toBe(policy);
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(reply.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('forbids inline script, plugins and framing in the UI and the Swagger UI', () => {
    for (const policy of [UI_CSP, DOCS_CSP]) {
      const d = directives(policy);
      expect(d['default-src']).toBe("'self'");
      expect(d['script-src']).toBe("'self'");
      expect(d['frame-ancestors']).toBe("'none'");
      expect(d['object-src']).toBe("'none'");
      expect(d['base-uri']).toBe("'self'");
      expect(policy).not.toMatch(/unsafe-eval|\*/);
    }
    // The UI needs nothing inline at all; only the Swagger UI loads data: images (its stylesheet's icons) and
    // injects a <style> element.
    expect(UI_CSP).not.toMatch(/unsafe-inline|data:/);
    expect(directives(UI_CSP)['style-src']).toBe("'self'");
    expect(directives(DOCS_CSP)['img-src']).toBe("'self' data:");
    expect(directives(DOCS_CSP)['style-src']).toBe("'self' 'unsafe-inline'");
    const api = directives(API_CSP);
    expect(api['default-src']).toBe("'none'");
    expect(api['frame-ancestors']).toBe("'none'");
  });

  it('picks the policy by path, not by a look-alike prefix or the query string', () => {
    expect(contentSecurityPolicy('/api/docs')).toBe(DOCS_CSP);
    expect(contentSecurityPolicy('/api/docs/static/index.css?v=1')).toBe(DOCS_CSP);
    expect(contentSecurityPolicy('/api/docsx')).toBe(API_CSP);
    expect(contentSecurityPolicy('/api/v1/teams?next=/api/docs')).toBe(API_CSP);
    expect(contentSecurityPolicy('/metrics')).toBe(API_CSP);
    expect(contentSecurityPolicy('/?q=/api/v1')).toBe(UI_CSP);
    expect(contentSecurityPolicy('/assets/index.js')).toBe(UI_CSP);
  });

  it('serves UI HTML and Swagger UI HTML whose every script is a file (nothing inline for the policy to allow)', async () => {
    for (const path of ['/', '/api/docs/']) {
      const reply = await server.client().get(path);
      expect(reply.status).toBe(200);
      const html = String(reply.body);
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      expect(scripts.length, `${path} loads no script at all`).toBeGreaterThan(0);
      for (const [, attributes, content] of scripts) {
        expect(attributes, `${path}: a <script> without src`).toMatch(/\bsrc=/);
        expect(content!.trim(), `${path}: a <script> with inline code`).toBe('');
      }
      expect(html, `${path}: an inline event handler`).not.toMatch(/\son[a-z]+\s*=/i);
    }
  });
});
