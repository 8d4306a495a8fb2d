// Verifying a delivery on the receiving side (`modelyard/receiver`). The same rules as the Python SDK's
// verify_signature (clients/python/modelyard/webhooks.py), and the same signing code as the server
// (src/core/signatures.ts), so what the server signs is exactly what this accepts:
//   - Standard Webhooks decides when `webhook-id`, `webhook-timestamp` and `webhook-signature` are all present: the
//     timestamp (whole seconds) must be within `toleranceSeconds` of now (replay protection), and any `v1,` signature
//     of the space-separated list may match (secret rotation); other versions are ignored.
//   - Otherwise `X-Wandb-Signature`: base64(HMAC-SHA256(secret, exact body bytes)); it carries no timestamp.
//   - A `whsec_<base64>` secret is key bytes (the Standard Webhooks convention); Modelyard keys with a team secret's
//     UTF-8 text whatever it looks like, so a secret starting with `whsec_` is tried both ways.
//   - Every comparison is constant-time, and every candidate is compared with every key, so the time taken does not
//     say which one matched.
import { timingSafeEqual } from 'node:crypto';
import { standardWebhookSignature, wandbSignature } from '../core/signatures.js';

/** Standard Webhooks' recommended tolerance for clocks and time on the wire. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** Header values as node:http gives them (`req.headers`), a Fetch `Headers`, or a plain record in any case. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

export interface VerifyInput {
  /** The raw request body exactly as received. A string is taken as its UTF-8 bytes; never pass re-encoded JSON. */
  body: Uint8Array | string;
  headers: HeaderSource;
  /** The webhook's signing secret: the team secret's text, or a `whsec_…` Standard Webhooks key. */
  secret: string;
  /** How far `webhook-timestamp` may be from now, in seconds (default 300). */
  toleranceSeconds?: number;
  /** The current time in epoch seconds (tests; default: the clock). */
  nowSeconds?: number;
}

export type VerifyResult =
  | { ok: true; scheme: 'standard-webhooks'; id: string; timestamp: number }
  | { ok: true; scheme: 'wandb' }
  | { ok: false; reason: string };

export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() !== name) continue;
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

function keysOf(secret: string): Buffer[] {
  const keys = [Buffer.from(secret, 'utf8')];
  if (secret.startsWith('whsec_')) {
    const encoded = secret.slice('whsec_'.length);
    // Strict base64 only (Buffer.from would silently skip bad characters).
    if (/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) && encoded.length % 4 === 0) keys.unshift(Buffer.from(encoded, 'base64'));
  }
  return keys;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  // timingSafeEqual needs equal lengths; comparing y with itself keeps the time the same when they differ.
  return x.length === y.length ? timingSafeEqual(x, y) : !timingSafeEqual(y, y);
}

/** Checks a delivery's signature. Never throws for bad input: a malformed header is a failed check with a reason. */
export function verifyDelivery(input: VerifyInput): VerifyResult {
  if (typeof input.secret !== 'string' || input.secret.length === 0) return { ok: false, reason: 'no secret to verify with' };
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body;
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const id = headerValue(input.headers, 'webhook-id')?.trim();
  const timestampText = headerValue(input.headers, 'webhook-timestamp')?.trim();
  const signatures = headerValue(input.headers, 'webhook-signature');
  if (id !== undefined && timestampText !== undefined && signatures !== undefined) {
    if (!/^\d{1,12}$/.test(timestampText)) return { ok: false, reason: 'webhook-timestamp is not a time in whole seconds' };
    const timestamp = Number(timestampText);
    const now = input.nowSeconds ?? Date.now() / 1000;
    if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: `webhook-timestamp is more than ${tolerance} seconds from now (replayed, or a clock is wrong)` };
    const expected = keysOf(input.secret).map((key) => standardWebhookSignature(key, id, timestamp, body).slice('v1,'.length));
    let matched = false;
    for (const candidate of signatures.split(' ')) {
      const comma = candidate.indexOf(',');
      if (comma < 0 || candidate.slice(0, comma) !== 'v1') continue;
      const value = candidate.slice(comma + 1);
      for (const digest of expected) if (sameText(value, digest)) matched = true;
    }
    return matched ? { ok: true, scheme: 'standard-webhooks', id, timestamp } : { ok: false, reason: 'no webhook-signature matches the body and secret' };
  }
  const wandb = headerValue(input.headers, 'x-wandb-signature');
  if (wandb === undefined) return { ok: false, reason: 'the request carries no signature (webhook-signature or X-Wandb-Signature)' };
  return sameText(wandb.trim(), wandbSignature(input.secret, body))
    ? { ok: true, scheme: 'wandb' }
    : { ok: false, reason: 'X-Wandb-Signature does not match the body and secret' };
}
