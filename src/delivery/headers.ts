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

/** Request headers whose value never leaves the request: the access token, and the signatures — beside the stored body
 * a signature allows guessing the signing secret offline. */
const WITHHELD_HEADERS = new Set(['x-wandb-signature', 'webhook-signature']);
export const REDACTED_SIGNATURE = '[redacted]';

/**
 * The copy of request headers that may be stored or shown: the access token and the signatures redacted (their
 * presence is kept, so a receiver's owner still sees that the request was signed and authorized).
 */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const redacted: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    redacted[name] = lower === 'authorization' ? REDACTED_BEARER : WITHHELD_HEADERS.has(lower) ? REDACTED_SIGNATURE : value;
  }
  return redacted;
}
