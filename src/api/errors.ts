// Every error leaves the API as `{ "error": { "code", "message", "details"? } }`, mapped here and nowhere else:
// errors thrown by handlers and hooks, errors the framework and its plugins raise (`FST_*`: bad URL encoding, a
// path parameter too long, bad JSON — an empty JSON body is no body, see api/app.ts —, an unsupported content type,
// multipart limits), requests the router refuses before any route runs, and malformed HTTP. Unexpected errors are
// logged with their stack and answered with a generic 500 that reveals nothing internal. Every 401 carries
// `WWW-Authenticate: Bearer` (RFC 6750).
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../core/errors.js';
import { MAX_NAME_LENGTH, MAX_PATH_PARAM_LENGTH } from '../core/names.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** The challenge sent with every 401: API keys are bearer tokens. */
export const AUTH_CHALLENGE = 'Bearer realm="modelyard"';

function locationName(context: string | undefined): string {
  return context === 'querystring' ? 'query' : context === 'params' ? 'path' : (context ?? 'body');
}

interface Mapped {
  status: number;
  code: string;
  message: string | ((error: FastifyError) => string);
}

const tooLarge: Mapped = { status: 413, code: 'payload_too_large', message: 'the request body is larger than this server accepts' };

/**
 * Errors of Fastify and @fastify/multipart by code. The framework's own messages name its internals ("content-type
 * parser") or echo the whole URL; these say what the client should change.
 */
const FRAMEWORK_ERRORS: Record<string, Mapped> = {
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_request', message: 'the URL path is not valid: a "%" must start an escape such as %2F' },
  FST_ERR_INVALID_URL: { status: 400, code: 'invalid_request', message: 'the URL is not valid' },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'invalid_request',
    message: `a path parameter is longer than ${MAX_PATH_PARAM_LENGTH} characters; names are at most ${MAX_NAME_LENGTH}`,
  },
  FST_ERR_NOT_FOUND: { status: 404, code: 'not_found', message: 'no such route' },
  FST_ERR_CTP_BODY_TOO_LARGE: tooLarge,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request', message: 'the body is not as long as its Content-Length header says' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_request', message: 'the body is not valid JSON' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: (error) => `${error.message}: send application/json (multipart/form-data for uploads)`,
  },
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: { status: 400, code: 'invalid_request', message: 'the request has a body but no Content-Type header' },
  FST_ERR_ROUTE_MISSING_CONTENT: { status: 400, code: 'invalid_request', message: 'this request needs a body' },
  FST_REQ_FILE_TOO_LARGE: tooLarge,
  FST_PARTS_LIMIT: { status: 413, code: 'payload_too_large', message: 'the upload has more parts than this server accepts' },
  FST_FILES_LIMIT: { status: 413, code: 'payload_too_large', message: 'the upload has more files than this server accepts' },
  FST_FIELDS_LIMIT: { status: 413, code: 'payload_too_large', message: 'the upload has more fields than this server accepts' },
  FST_PROTO_VIOLATION: { status: 400, code: 'invalid_request', message: 'a multipart field is named like a prototype property (__proto__, constructor)' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'unsupported_media_type', message: 'this route takes multipart/form-data' },
  FST_INVALID_JSON_FIELD_ERROR: { status: 400, code: 'invalid_request', message: 'a multipart field declared as JSON is not valid JSON' },
  FST_MP_PREMATURE_CLOSE: { status: 400, code: 'invalid_request', message: 'the multipart body ended before its closing boundary' },
};

export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details) body.error.details = error.details;
    return { status: error.status, body };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const first = error.validation[0];
    const params = (first?.params ?? {}) as { issue?: { path?: PropertyKey[] } };
    const pathParts = (params.issue?.path ?? first?.instancePath.split('/').filter(Boolean) ?? []).map(String);
    const field = pathParts.length > 0 ? pathParts.join('.') : locationName(error.validationContext);
    const message = first?.message ?? 'invalid request';
    return {
      status: 400,
      body: { error: { code: 'invalid_request', message: `${field}: ${message}`, details: { field, location: locationName(error.validationContext) } } },
    };
  }
  const fastifyError = error as FastifyError;
  const mapped = typeof fastifyError?.code === 'string' ? FRAMEWORK_ERRORS[fastifyError.code] : undefined;
  if (mapped) {
    const message = typeof mapped.message === 'function' ? mapped.message(fastifyError) : mapped.message;
    return { status: mapped.status, body: { error: { code: mapped.code, message } } };
  }
  if (fastifyError?.statusCode === 413) return { status: 413, body: { error: { code: tooLarge.code, message: tooLarge.message as string } } };
  // Other client errors of plugins (e.g. a body the JSON parser refused as prototype poisoning): their status stands.
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, body: { error: { code: 'invalid_request', message: String(fastifyError.message) } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error; the server log has the details' } } };
}

/** The app's error handler, and its `frameworkErrors` (what the router refuses before any route runs). */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorBody(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  void reply.status(status).send(body);
}


/** onSend hook: a 401 from anywhere (handler, hook, plugin) tells the client how to authenticate. */
export async function addAuthChallenge(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (reply.statusCode === 401 && !reply.hasHeader('www-authenticate')) void reply.header('www-authenticate', AUTH_CHALLENGE);
}

/**
 * For Fastify's `clientErrorHandler`: HTTP that Node's parser refuses (a malformed request line or header, a NUL in
 * a header) never reaches a route; it still gets the envelope, then the connection is closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request was not received in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are larger than this server accepts']
        : [400, 'Bad Request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code: 'invalid_request', message } } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
