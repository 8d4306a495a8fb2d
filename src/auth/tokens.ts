// API keys and session tokens are random; only their sha256 is stored, so a database leak reveals no credential.
import { createHash, timingSafeEqual } from 'node:crypto';
import { newToken } from '../core/ids.js';

export const API_KEY_PREFIX = 'my_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Compares a presented credential (CSRF token, metrics token) with the expected one in constant time. Both are hashed
 * first: timingSafeEqual needs equal lengths, and comparing digests keeps the time independent of where the strings
 * differ and of the expected value's length.
 */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function newApiKey(): { key: string; prefix: string; hash: string } {
  const key = `${API_KEY_PREFIX}${newToken(30)}`;
  return { key, prefix: key.slice(0, 10), hash: hashToken(key) };
}
