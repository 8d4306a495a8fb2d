// Request/response pieces shared by the route files: paging, names, the error envelope.
import { z } from 'zod';
import { invalid } from '../core/errors.js';
import { jsonTextDepth, MAX_JSON_DEPTH } from '../core/json-limits.js';
import { NAME_PATTERN, NAME_RULE } from '../core/names.js';

export const Name = z.string().regex(NAME_PATTERN, NAME_RULE);

/**
 * JSON kept as text (payload and job templates, with their placeholders) nests no deeper than the JSON a request
 * body may hold: api/app.ts checks parsed bodies, this checks the text inside a field.
 */
export function withinJsonDepth(text: string): boolean {
  return jsonTextDepth(text) <= MAX_JSON_DEPTH;
}
export const JSON_DEPTH_RULE = `nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects (the limit for JSON in a request)`;

/** The body of every error answer (api/errors.ts); the OpenAPI document's one `Error` schema (api/openapi.ts). */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z
        .string()
        .describe(
          'What went wrong, for programs: invalid_request, unauthenticated, forbidden, not_found, conflict, payload_too_large, unsupported_media_type, rate_limited, unavailable or internal',
        ),
      message: z.string().describe('What went wrong and what to change, for people'),
      details: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('More about the error: for a 400, `field` (the JSON path of the field at fault) and `location` (path, query or body)'),
    }),
  })
  .describe('Every error answer of the API: { "error": { "code", "message", "details"? } }');

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional().describe('nextCursor of the previous page, as it was returned'),
});

/**
 * The query of a list that returns every item at once (its nextCursor is always null): no cursor can come from it,
 * so a cursor given is a client's mistake and is refused rather than ignored.
 */
export const UnpagedQuery = z.object({
  cursor: z
    .string()
    .max(0, { error: 'this list returns every item in one page (its nextCursor is always null) and takes no cursor' })
    .optional(),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const TeamParams = z.object({ team: z.string() });

/** What a list pages by, which is what its cursors hold: a name, a version index, or an id (UUIDv7, time-ordered). */
const CURSOR_SHAPES = {
  name: NAME_PATTERN,
  index: /^(0|[1-9]\d{0,8})$/,
  id: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
} as const;
export type CursorKind = keyof typeof CURSOR_SHAPES;

/** Cursors are opaque to clients; inside they are the last id (or sort key) of the previous page. */
export function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

/**
 * The one cursor codec of every paged list. A cursor that this list could not have returned (not base64url, not
 * canonical, or not holding a `kind` key) is a 400: read leniently it would select an arbitrary page. An empty
 * cursor is the first page.
 */
export function decodeCursor(cursor: string | undefined, kind: CursorKind): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;
  if (decoded === undefined || encodeCursor(decoded) !== cursor || !CURSOR_SHAPES[kind].test(decoded)) {
    throw invalid('cursor', 'is not a cursor this list returned: pass the nextCursor of the previous page unchanged', { location: 'query' });
  }
  return decoded;
}

export function decodeIndexCursor(cursor: string | undefined): number | undefined {
  const decoded = decodeCursor(cursor, 'index');
  return decoded === undefined ? undefined : Number(decoded);
}

/** Rows were fetched with `limit + 1`: trims the extra row and derives the next cursor from the last kept one. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
