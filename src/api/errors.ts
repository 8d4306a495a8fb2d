// Every error leaves the API as `{ "error": { "code", "message", "details"? } }`, mapped here and nowhere else.
// Unexpected errors are logged with their stack and answered with a generic 500 that reveals nothing internal.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../core/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

function locationName(context: string | undefined): string {
  return context === 'querystring' ? 'query' : context === 'params' ? 'path' : (context ?? 'body');
}

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
  const code = fastifyError.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fastifyError.statusCode === 413) {
    return { status: 413, body: { error: { code: 'payload_too_large', message: 'the upload is larger than this server accepts' } } };
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, body: { error: { code: 'unsupported_media_type', message: fastifyError.message } } };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, body: { error: { code: 'invalid_request', message: fastifyError.message } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error; the server log has the details' } } };
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorBody(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  void reply.status(status).send(body);
}
