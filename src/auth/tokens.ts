// API keys and session tokens are random; only their sha256 is stored, so a database leak reveals no credential.
import { createHash } from 'node:crypto';
import { newToken } from '../core/ids.js';

export const API_KEY_PREFIX = 'my_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newApiKey(): { key: string; prefix: string; hash: string } {
  const key = `${API_KEY_PREFIX}${newToken(30)}`;
  return { key, prefix: key.slice(0, 10), hash: hashToken(key) };
}
