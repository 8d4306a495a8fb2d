// The one typed client of the Modelyard REST API, for the CLI, the agent and any TypeScript program. It is
// openapi-fetch over the types generated from the OpenAPI document (schema.d.ts, `npm run client:types`), so every
// operation is covered and a changed route stops callers from type-checking instead of failing at run time.
//
//   const api = createApi({ baseUrl: 'http://localhost:8080', apiKey });
//   const model = await ok(api.GET('/api/v1/teams/{team}/registry/models/{model}', { params: { path: { team, model } } }));
//
// `ok` turns an error answer into ApiError (status, code, message, details); nothing here touches Node APIs, so a
// browser bundle can use it too (the Node-only transfers live in transfer.ts).
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './schema.js';
import { ApiError, asApiError } from './errors.js';

export type { paths } from './schema.js';
export { ApiError, asApiError } from './errors.js';

export type Api = Client<paths>;

export interface ApiOptions {
  /** The server's root URL (`https://modelyard.example.com`); '' for the page's own origin in a browser. */
  baseUrl: string;
  /** An API key, sent as `Authorization: Bearer …`; without one, requests carry what `fetch` carries (cookies). */
  apiKey?: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** A fetch of your own (e.g. undici's, to set timeouts through a dispatcher), with the matching Request class. */
  fetch?: (request: Request) => Promise<Response>;
  Request?: typeof Request;
  /** A second argument for every fetch call (undici: `{ dispatcher }`). */
  requestInitExt?: Record<string, unknown>;
  /** Middleware run on every request and response (a browser session adds its CSRF header this way). */
  middleware?: Middleware[];
}

export function createApi(options: ApiOptions): Api {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const api = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.Request ? { Request: options.Request } : {}),
    ...(options.requestInitExt ? { requestInitExt: options.requestInitExt } : {}),
  });
  if (options.middleware?.length) api.use(...options.middleware);
  return api;
}

/**
 * The answer's body when the server said yes; the server's error as an ApiError otherwise (a failed connection is an
 * ApiError with status 0). A 204 resolves to undefined.
 */
export async function ok<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch (error) {
    throw asApiError(error);
  }
  if (!result.response.ok) throw ApiError.fromResponse(result.response.status, result.error, result.response.statusText);
  return result.data as T;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The JSON body a route answers with for one status code. */
export type Json<P extends keyof paths, M extends Method, S extends number = 200> = paths[P][M] extends { responses: infer R }
  ? S extends keyof R
    ? R[S] extends { content: { 'application/json': infer J } }
      ? J
      : never
    : never
  : never;

/** The JSON body a route accepts. */
export type Body<P extends keyof paths, M extends Method> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } }
  ? B
  : never;

/** One element of a list answer `{ items: […] }`. */
export type Item<L> = L extends { items: Array<infer I> } ? I : never;

export type Model = Json<'/api/v1/teams/{team}/registry/models/{model}', 'get'>;
export type ModelVersion = Json<'/api/v1/teams/{team}/registry/models/{model}/versions/{version}', 'get'>;
export type ArtifactVersion = Json<'/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions/{version}', 'get'>;
export type Webhook = Json<'/api/v1/teams/{team}/webhooks/{id}', 'get'>;
export type Automation = Json<'/api/v1/teams/{team}/automations/{id}', 'get'>;
export type AutomationInput = Body<'/api/v1/teams/{team}/automations', 'post'>;
export type Queue = Item<Json<'/api/v1/teams/{team}/queues', 'get'>>;
export type Job = Json<'/api/v1/teams/{team}/jobs/{jobId}', 'get'>;
export type Run = Json<'/api/v1/teams/{team}/runs/{runId}', 'get'>;
export type Secret = Item<Json<'/api/v1/teams/{team}/secrets', 'get'>>;

/**
 * Every item of a paginated list, page after page (`nextCursor` handed back exactly as it came). `fetchPage` gets the
 * cursor (undefined for the first page).
 */
export async function* allPages<I>(fetchPage: (cursor: string | undefined) => Promise<{ items: I[]; nextCursor?: string | null }>): AsyncGenerator<I> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.items;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

/** Every item of a paginated list, collected. */
export async function listAll<I>(fetchPage: (cursor: string | undefined) => Promise<{ items: I[]; nextCursor?: string | null }>): Promise<I[]> {
  const items: I[] = [];
  for await (const item of allPages(fetchPage)) items.push(item);
  return items;
}
