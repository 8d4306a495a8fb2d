// Request signatures. Both schemes sign the exact body bytes that are sent, so the body is signed after the
// secrets are filled in and is never re-serialised afterwards.
import { createHmac } from 'node:crypto';

/**
 * The reference system's `X-Wandb-Signature`: base64(HMAC-SHA256(secret, body)), keyed with the secret's UTF-8
 * bytes — the same as `echo -n "$PAYLOAD" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64`.
 */
export function wandbSignature(secret: string, body: string | Uint8Array): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body).digest('base64');
}

/**
 * Standard Webhooks' signed content: "{id}.{timestamp}.{body}". The body may be the raw bytes a receiver got (the
 * receiver kit, src/receiver/, verifies with this same function).
 */
export function standardWebhookSignature(secretKey: Uint8Array, id: string, timestampSeconds: number, body: string | Uint8Array): string {
  const digest = createHmac('sha256', secretKey).update(`${id}.${timestampSeconds}.`, 'utf8').update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body).digest('base64');
  return `v1,${digest}`;
}

/**
 * Standard Webhooks headers. The key is the secret's UTF-8 bytes (team secrets are arbitrary text, not `whsec_`
 * base64 keys), so a receiver verifies with `new Webhook(Buffer.from(secret).toString('base64'))`. Without a
 * secret only the id and timestamp are sent: they still let receivers deduplicate and reject stale replays.
 */
export function standardWebhookHeaders(secret: string | null, id: string, timestampSeconds: number, body: string): Record<string, string> {
  const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds) };
  if (secret !== null) headers['webhook-signature'] = standardWebhookSignature(Buffer.from(secret, 'utf8'), id, timestampSeconds, body);
  return headers;
}
