// The one way the UI talks to the server: the typed client the CLI and the agent use (src/client/core.ts, openapi-fetch
// over the generated types), with the session cookie, echoing the session's CSRF token on every change. Errors arrive
// as the server's `{ error: { code, message, details } }` and become ApiError, whose `field` lets a form put the
// message next to the control it concerns. Pages name their paths as strings (teamPath below), so the calls here are
// the client's untyped `request`; the types the pages use are the same generated ones (./types.ts).
import { ApiError, asApiError, createApi } from '../../../src/client/core';

export { ApiError, asApiError };

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Fired when the session has ended (expired, or logged out in another tab); the app returns to the login page. */
export const UNAUTHENTICATED_EVENT = 'modelyard:unauthenticated';

const client = createApi({
  baseUrl: '',
  middleware: [
    {
      onRequest({ request }) {
        if (request.method !== 'GET' && csrfToken) request.headers.set('x-csrf-token', csrfToken);
        return request;
      },
    },
  ],
});

function apiErrorOf(status: number, statusText: string, data: unknown): ApiError {
  return ApiError.fromResponse(status, data, statusText);
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

async function requestWithStatus<T>(method: Method, path: string, body?: unknown): Promise<{ status: number; data: T }> {
  let result: { data?: unknown; error?: unknown; response: Response };
  try {
    // Untyped on purpose: `path` is built at run time (see the header).
    const send = client.request as unknown as (method: string, path: string, init: { body?: unknown }) => Promise<typeof result>;
    result = await send(method.toLowerCase(), path, body === undefined ? {} : { body });
  } catch (error) {
    throw asApiError(error);
  }
  const { response } = result;
  if (!response.ok) {
    if (response.status === 401 && path !== '/api/v1/login') window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
    throw apiErrorOf(response.status, response.statusText, result.error);
  }
  return { status: response.status, data: result.data as T };
}

async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  return (await requestWithStatus<T>(method, path, body)).data;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
  /** A POST whose answer's status matters (201 created, 200 already there). */
  postWithStatus: <T>(path: string, body?: unknown) => requestWithStatus<T>('POST', path, body),
};

/**
 * POSTs a multipart form with XMLHttpRequest, whose upload events report the bytes sent so far (fetch has no upload
 * progress). Same cookie, CSRF header and error shape as `api`.
 */
export function postWithProgress<T>(
  path: string,
  form: FormData,
  onProgress: (sentBytes: number, totalBytes: number) => void,
): Promise<{ status: number; data: T }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : 0);
    xhr.onerror = () => reject(new ApiError(0, 'network', 'the upload was interrupted (network error)'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'the upload was cancelled'));
    xhr.onload = () => {
      const isJson = (xhr.getResponseHeader('content-type') ?? '').includes('application/json');
      let data: unknown = xhr.responseText;
      try {
        if (isJson && xhr.responseText !== '') data = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON after all: keep the text.
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve({ status: xhr.status, data: data as T });
      if (xhr.status === 401) window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
      reject(apiErrorOf(xhr.status, xhr.statusText, data));
    };
    xhr.send(form);
  });
}

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
