// What the OpenAPI document says about every operation without the route having to say it: its error responses,
// all with the one shared `Error` schema (the envelope api/errors.ts sends), the named `{path}` parameter of a
// wildcard route, the binary answer of a download, and `servers`. Applied in the swagger transform, so a new route
// gets all of it by being registered; a route only adds the errors particular to it (409 on a name clash, 429) or
// leaves out one that cannot happen, with `errorResponses` in its schema.
import type { FastifySchema, RouteOptions } from 'fastify';
import type { SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorResponse } from './schemas.js';

type JsonObject = Record<string, any>;

/** The error statuses the document can declare for an operation, and what each means here. */
const ERROR_DESCRIPTIONS = {
  400: 'Invalid request: a path parameter, the query or the body is not valid (`details.field` names the field, `details.location` where it is)',
  401: 'Not authenticated: no API key or session, or one that is not valid (revoked, expired or mistyped); carries `WWW-Authenticate: Bearer`',
  403: "Forbidden: the caller's role does not allow this, or a cookie-authenticated change lacks the right `X-CSRF-Token`",
  404: 'Not found: a resource named in the path does not exist, or belongs to a team the caller is not a member of',
  409: 'Conflict with the current state: a name already taken, a resource still in use, or a job no longer in the needed state',
  413: 'The body is larger than this server accepts (4 MiB of JSON; an upload above MODELYARD_MAX_UPLOAD_BYTES)',
  415: 'Unsupported Content-Type: send application/json (multipart/form-data for uploads)',
  429: 'Too many attempts: wait for the seconds in `Retry-After`',
} as const;

export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** Each standard error response is a component that operations refer to (`#/components/responses/NotFound`). */
const ERROR_RESPONSE_NAMES: Record<ErrorStatus, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
};

/** Error statuses outside the standard set that a route may declare in its own `response` (readiness: 503). */
const OTHER_ERROR_DESCRIPTIONS: Record<string, string> = {
  500: 'Internal error: the server log has the details',
  503: 'Unavailable: the database does not answer',
};

/** Beyond or short of the standard set that `standardErrorStatuses` derives for a route. */
export interface ErrorResponseTweaks {
  add?: ErrorStatus[];
  omit?: ErrorStatus[];
}

declare module 'fastify' {
  interface FastifySchema {
    /**
     * Errors this route answers beyond the standard set (e.g. `{ add: [409] }` where a name can clash), or standard
     * ones it cannot answer (`{ omit: [...] }`). Documentation only: api/openapi.ts reads it.
     */
    errorResponses?: ErrorResponseTweaks;
  }
}

/**
 * An operation with `security: []` needs no credentials. A 401 can still come from it, but only when the caller sends
 * an Authorization header that is not a valid key (api/auth.ts refuses a bad credential everywhere rather than treat
 * its caller as anonymous), so its description says so.
 */
const PUBLIC_401 = 'Only when an `Authorization` header is sent and it is not a valid API key: this operation needs no credentials';

/** Methods whose request body Fastify reads (and so can find too large or of an unsupported type). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The errors any route of this API can answer, derived from how it is declared:
 * - 400 always: even an operation without parameters refuses a malformed URL or a NUL in the query string;
 * - 401 always (see PUBLIC_401 for operations that need no credentials);
 * - 403 on authenticated changes: the CSRF check of cookie sessions, and the role checks; a read that needs more
 *   than the viewer role adds it (`errorResponses: { add: [403] }`);
 * - 404 when the path has parameters (an unknown or foreign name); a path without any always exists;
 * - 413 and 415 where a body is read (POST, PUT, PATCH and DELETE: Fastify parses a DELETE's body too).
 * 409 and 429 depend on what the operation does, so routes add them.
 */
export function standardErrorStatuses(method: string, url: string, schema: FastifySchema): ErrorStatus[] {
  const isPublic = Array.isArray(schema.security) && schema.security.length === 0;
  const statuses = new Set<ErrorStatus>([400, 401]);
  if (!isPublic && method !== 'GET' && method !== 'HEAD') statuses.add(403);
  if (/[:*]/.test(url)) statuses.add(404);
  if (BODY_METHODS.has(method)) {
    statuses.add(413);
    statuses.add(415);
  }
  for (const status of schema.errorResponses?.add ?? []) statuses.add(status);
  for (const status of schema.errorResponses?.omit ?? []) statuses.delete(status);
  return [...statuses].sort((a, b) => a - b);
}

/** The `Error` component: the envelope of every error answer, as api/errors.ts sends it. */
const ERROR_SCHEMA_NAME = 'Error';
const ERROR_REF = `#/components/schemas/${ERROR_SCHEMA_NAME}`;

function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: { $ref: ERROR_REF } } } };
}

/** The document's `components`: the `Error` schema and one response per standard error status. */
export function errorComponents(): { schemas: Record<string, JsonObject>; responses: Record<string, ReturnType<typeof errorResponse>> } {
  const { $schema: _schema, ...schema } = z.toJSONSchema(ErrorResponse, { target: 'draft-2020-12', io: 'output' }) as JsonObject;
  const responses = Object.fromEntries(
    Object.entries(ERROR_RESPONSE_NAMES).map(([status, name]) => [name, errorResponse(ERROR_DESCRIPTIONS[Number(status) as ErrorStatus])]),
  );
  return { schemas: { [ERROR_SCHEMA_NAME]: schema }, responses };
}

/** The name the document gives a wildcard route's `*`; the Fastify route keeps `*` (it matches `/`). */
const WILDCARD_PARAM = 'path';
const WILDCARD_DESCRIPTION =
  'A path that may contain `/` (e.g. `weights/model.bin`): each `/` may be sent as it is or percent-encoded as `%2F`; other reserved characters percent-encoded';

function renameWildcard(params: JsonObject | undefined): JsonObject | undefined {
  if (!params?.properties || !('*' in params.properties)) return params;
  const properties = Object.fromEntries(
    Object.entries(params.properties as JsonObject).map(([name, schema]) =>
      name === '*' ? [WILDCARD_PARAM, { ...schema, description: WILDCARD_DESCRIPTION }] : [name, schema],
    ),
  );
  const required = Array.isArray(params.required) ? params.required.map((name: string) => (name === '*' ? WILDCARD_PARAM : name)) : params.required;
  return { ...params, properties, required };
}

function methodsOf(route: RouteOptions): string[] {
  return (Array.isArray(route.method) ? route.method : [route.method]).map((m) => String(m).toUpperCase());
}

/**
 * The swagger transform: the zod type provider's conversion to JSON Schema, then the error responses (every 4xx/5xx
 * the route declares itself is documented with the shared schema too), the wildcard parameter and binary answers.
 */
export const openApiTransform: typeof jsonSchemaTransform = (input) => {
  const { schema, url } = jsonSchemaTransform(input);
  if (!schema || schema.hide) return { schema, url };
  const { errorResponses: _tweaks, ...documented } = schema;
  const response: JsonObject = { ...((documented.response as JsonObject | undefined) ?? {}) };

  // A route that answers with bytes (`produces` without JSON) and declares no success body: its 200 is those bytes.
  const produces = documented.produces ?? [];
  const hasSuccess = Object.keys(response).some((status) => status.startsWith('2'));
  if (!hasSuccess && produces.length > 0 && !produces.includes('application/json')) {
    response[200] = {
      description: 'The content, as bytes',
      content: Object.fromEntries(produces.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
    };
  }

  // An error response the route declares itself (`409: ErrorResponse`) is the standard one; only a response object
  // with a description of its own (`{ description, content }`) keeps that description.
  for (const [status, declared] of Object.entries(response)) {
    if (Number(status) >= 400) {
      const own = (declared as JsonObject | undefined)?.content ? (declared as JsonObject).description : undefined;
      const standard = ERROR_DESCRIPTIONS[Number(status) as ErrorStatus] ?? OTHER_ERROR_DESCRIPTIONS[status] ?? 'Error';
      response[status] = errorResponse(typeof own === 'string' ? own : standard);
    }
  }
  const method = methodsOf(input.route).find((m) => m !== 'HEAD') ?? 'GET';
  const isPublic = Array.isArray(documented.security) && documented.security.length === 0;
  for (const status of standardErrorStatuses(method, input.route.url, input.schema)) {
    if (response[status]) continue;
    response[status] = errorResponse(status === 401 && isPublic && !input.schema.errorResponses?.add?.includes(401) ? PUBLIC_401 : ERROR_DESCRIPTIONS[status]);
  }

  const params = renameWildcard(documented.params as JsonObject | undefined);
  return {
    schema: { ...documented, ...(params ? { params } : {}), response },
    url: url.replace(/\*$/, `:${WILDCARD_PARAM}`),
  };
};

/**
 * The swagger `transformObject`: an operation's error response that is exactly a standard one becomes a reference to
 * its component, so the document (and the client types generated from it) state each once. A response with a
 * description of its own (a public operation's 401, readiness' 503) stays written out.
 */
export const openApiTransformObject: SwaggerTransformObject = (input) => {
  if (!('openapiObject' in input)) return input.swaggerObject;
  const document = input.openapiObject;
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(pathItem ?? {})) {
      const responses = (operation as JsonObject | undefined)?.responses as JsonObject | undefined;
      if (!responses || typeof responses !== 'object') continue;
      for (const [status, response] of Object.entries(responses)) {
        const name = ERROR_RESPONSE_NAMES[Number(status) as ErrorStatus];
        if (name && response?.description === ERROR_DESCRIPTIONS[Number(status) as ErrorStatus] && response.content?.['application/json']?.schema?.$ref === ERROR_REF) {
          responses[status] = { $ref: `#/components/responses/${name}` };
        }
      }
    }
  }
  return document;
};
