// The request headers of a webhook delivery, built in ONE place so that the delivery worker and the webhook Test
// endpoint sign exactly alike (a receiver that verifies a test request verifies real deliveries too).
import { standardWebhookHeaders, wandbSignature } from '../core/signatures.js';
import { USER_AGENT } from './http-client.js';

export const DELIVERY_USER_AGENT = USER_AGENT;
export const REDACTED_BEARER = 'Bearer [redacted]';

export interface DeliveryHeaderInput {
  /** Stable across retries and redeliveries, so receivers can deduplicate (`webhook-id`). */
  deliveryId: string;
  /** The exact body bytes that are sent (secrets already filled in): both signatures cover them. */
  body: string;
  /** Signing secret value, or null when the webhook has none. */
  secret: string | null;
  /** Access token value sent as `Authorization: Bearer …`, or null. */
  accessToken: string | null;
  /** When the request is signed: a Date, or epoch seconds. */
  timestamp: Date | number;
}

export function buildDeliveryHeaders(input: DeliveryHeaderInput): Record<string, string> {
  const seconds = input.timestamp instanceof Date ? Math.floor(input.timestamp.getTime() / 1000) : Math.floor(input.timestamp);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': DELIVERY_USER_AGENT,
  };
  if (input.accessToken !== null) headers.Authorization = `Bearer ${input.accessToken}`;
  if (input.secret !== null) headers['X-Wandb-Signature'] = wandbSignature(input.secret, input.body);
  Object.assign(headers, standardWebhookHeaders(input.secret, input.deliveryId, seconds, input.body));
  return headers;
}

/**
 * The copy of request headers that may be stored or shown. Only the access token is a secret; signatures are
 * HMACs that reveal nothing about the key and help a receiver's owner debug verification, so they are kept.
 */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const redacted: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    redacted[name] = name.toLowerCase() === 'authorization' ? REDACTED_BEARER : value;
  }
  return redacted;
}
