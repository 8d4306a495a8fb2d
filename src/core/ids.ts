// Identifiers are UUIDv7: time-ordered, so `order by id` is creation order (events page newest first by id).
import { randomBytes } from 'node:crypto';
import { v7 } from 'uuid';

export function newId(): string {
  return v7();
}

/** A random token for cookies and API keys: 32 bytes, base64url. */
export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
