// The errors the client throws, as the Python SDK's (clients/python/modelyard/errors.py): the server's own
// `{ "error": { "code", "message", "details"? } }` with the HTTP status, so callers branch on `status`/`code` and show
// `message` as the server stated it.

export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when no answer arrived (server unreachable, connection dropped). */
    readonly status: number,
    /** The server's error code: `not_found`, `invalid_request`, `conflict`, `forbidden`, … (`network` for status 0). */
    readonly code: string,
    message: string,
    /** The server's extra fields, such as the offending request `field`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The request field the server blamed (`name`, `url`, `action.payload`, …), if any. */
  get field(): string | undefined {
    return typeof this.details.field === 'string' ? this.details.field : undefined;
  }

  /**
   * The message as a sentence for a form: the server prefixes it with the field it blames (`event.aliasPattern: not
   * a valid…`), which a form already shows by placing the message beside that field.
   */
  get sentence(): string {
    const field = this.field;
    const text = field && this.message.startsWith(`${field}: `) ? this.message.slice(field.length + 2) : this.message;
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /** An error answer (its parsed JSON body, or its text) as an ApiError. */
  static fromResponse(status: number, body: unknown, statusText = ''): ApiError {
    const envelope = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null | undefined)?.error;
    const code = typeof envelope?.code === 'string' ? envelope.code : `http_${status}`;
    const message =
      typeof envelope?.message === 'string'
        ? envelope.message
        : typeof body === 'string' && body.trim() !== ''
          ? `HTTP ${status}: ${body.trim().slice(0, 200)}`
          : statusText || `request failed with status ${status}`;
    const details = envelope?.details !== null && typeof envelope?.details === 'object' ? (envelope.details as Record<string, unknown>) : {};
    return new ApiError(status, code, message, details);
  }
}

/** Any thrown value as an ApiError (a failed connection becomes status 0, code `network`). */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(0, 'network', cause?.message ? `${message}: ${cause.message}` : message);
}
