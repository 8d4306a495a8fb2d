// The one way the UI talks to the server: JSON over the public REST API with the session cookie, echoing the
// session's CSRF token on every change. Errors arrive as the server's `{ error: { code, message, details } }` and
// become ApiError, whose `field` lets a form put the message next to the control it concerns.

// ApiError is the typed client's (src/client/errors.ts): one error type for the UI, the CLI and the agent; asApiError
// turns anything thrown (a failed fetch) into one, so every form renders errors one way.
import { ApiError, asApiError } from '../../../src/client/errors';

export { ApiError, asApiError };

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Fired when the session has ended (expired, or logged out in another tab); the app returns to the login page. */
export const UNAUTHENTICATED_EVENT = 'modelyard:unauthenticated';

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    if (body instanceof FormData) {
      init.body = body;
    } else {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, init);
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('application/json');
  const data: unknown = isJson && text !== '' ? JSON.parse(text) : text;
  if (!response.ok) {
    const envelope = (data as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
    if (response.status === 401 && path !== '/api/v1/login') window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
    throw ApiError.fromResponse(response.status, envelope ? data : null, response.statusText);
  }
  return (response.status === 204 ? undefined : data) as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};

/** `/api/v1/teams/<team>/<parts…>` with every part URL-encoded (names may hold `.`; file paths keep their `/`). */
export function teamPath(team: string, ...parts: string[]): string {
  return ['/api/v1/teams', encodeURIComponent(team), ...parts.map((p) => encodeURIComponent(p))].join('/');
}

/** Appends the defined, non-empty query parameters. */
export function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
