// Errors that carry their HTTP meaning. Services throw them; api/errors.ts maps every error to
// `{ "error": { "code", "message", "details"? } }` in one place.

export type ErrorCode =
  | 'invalid_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  /** 409: an alias policy wants approvals or checks; a promotion request is the way (issue 15). */
  | 'promotion_required'
  /** 409: the alias is not on the version the caller expected (`expectedVersion`). */
  | 'alias_moved'
  | 'payload_too_large'
  | 'rate_limited'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  promotion_required: 409,
  alias_moved: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

/** 400 naming the field at fault: `details.field` is the JSON path (`event.aliasPattern`, `aliases[2]`). */
export function invalid(field: string, message: string, extra?: Record<string, unknown>): AppError {
  return new AppError('invalid_request', `${field}: ${message}`, { field, ...extra });
}

export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}

export function conflict(message: string, details?: Record<string, unknown>): AppError {
  return new AppError('conflict', message, details);
}

export function forbidden(message = 'your role does not allow this'): AppError {
  return new AppError('forbidden', message);
}
