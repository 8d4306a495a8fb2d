// The request headers of a webhook delivery, built in ONE place so that the delivery worker and the webhook Test
// endpoint sign exactly alike (a receiver that verifies a test request verifies real deliveries too).
import { REDACTED, redactSecrets } from '../core/redact.js';
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
  /**
   * The webhook's custom headers, secrets filled in. Their names never collide with the sender's own (the reserved
   * names of core/webhook-headers.ts are refused when saved); they are written first, so a stored list that somehow
   * holds one cannot replace a signature or the body's Content-Type.
   */
  custom?: Record<string, string>;
}

export function buildDeliveryHeaders(input: DeliveryHeaderInput): Record<string, string> {
  const seconds = input.timestamp instanceof Date ? Math.floor(input.timestamp.getTime() / 1000) : Math.floor(input.timestamp);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.custom ?? {})) headers[name] = value;
  headers['Content-Type'] = 'application/json';
  headers['User-Agent'] = DELIVERY_USER_AGENT;
  if (input.accessToken !== null) headers.Authorization = `Bearer ${input.accessToken}`;
  if (input.secret !== null) headers['X-Wandb-Signature'] = wandbSignature(input.secret, input.body);
  Object.assign(headers, standardWebhookHeaders(input.secret, input.deliveryId, seconds, input.body));
  return headers;
}

/** Request headers whose value never leaves the request: the access token, and the signatures — beside the stored body
 * a signature allows guessing the signing secret offline. */
const WITHHELD_HEADERS = new Set(['x-wandb-signature', 'webhook-signature']);
export const REDACTED_SIGNATURE = '[redacted]';

/** The request headers Modelyard sets itself (lower case); every other header of a delivery is a webhook's custom one. */
const SENDER_HEADERS = new Set(['content-type', 'user-agent', 'x-wandb-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);

/**
 * The copy of request headers that may be stored or shown: Authorization and the signatures redacted (their
 * presence is kept, so a receiver's owner still sees that the request was signed and authorized), and in every other
 * header each of `secretValues` (the secrets the request carries: a custom header's `${NAME}`) redacted in every form
 * core/redact.ts knows — `X-API-Key: [redacted]`, `X-Auth: Token [redacted]`.
 */
export function redactHeaders(headers: Record<string, string>, secretValues: readonly string[] = []): Record<string, string> {
  const redacted: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization') redacted[name] = redactedCredentials(value, secretValues);
    else if (WITHHELD_HEADERS.has(lower)) redacted[name] = REDACTED_SIGNATURE;
    // The sender's other headers (type, agent, id, timestamp) never hold a secret: only custom ones are searched, so a
    // webhook without custom headers costs the hot path nothing more.
    else redacted[name] = SENDER_HEADERS.has(lower) ? value : redactSecrets(value, secretValues);
  }
  return redacted;
}

/**
 * An Authorization value with its credentials redacted and its scheme kept (`Bearer [redacted]`, `Basic [redacted]`):
 * whether the access token or a custom header an admin wrote, it is a credential whole. The scheme is kept only when
 * no secret begins in it (a custom `Authorization: ${KEY}` whose value holds a space). The value is never searched
 * beyond that: it is not kept.
 */
function redactedCredentials(value: string, secretValues: readonly string[]): string {
  const scheme = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ /.exec(value)?.[0];
  if (scheme === undefined) return REDACTED_SIGNATURE;
  const secretInScheme = secretValues.some((secret) => {
    const at = secret.length === 0 ? -1 : value.indexOf(secret);
    return at !== -1 && at < scheme.length;
  });
  return secretInScheme ? REDACTED_SIGNATURE : `${scheme}${REDACTED_SIGNATURE}`;
}

export const HIDDEN_HEADER_VALUE = '[hidden]';

/** Custom header values shorter than this (after the redacted parts are taken out) are not searched for in answers. */
export const MIN_HIDDEN_VALUE_LENGTH = 4;

function isCustomHeader(name: string, value: string): boolean {
  const lower = name.toLowerCase();
  return !(SENDER_HEADERS.has(lower) || (lower === 'authorization' && value === REDACTED_BEARER));
}

/**
 * A stored attempt as members and viewers may see it. Custom header values are credentials (an API key typed as a
 * literal value is no secret the redactor knows), so the request shows their names only, and what the receiver
 * answered (it may echo the request) has each value's literal text — the parts around an already redacted secret, at
 * least MIN_HIDDEN_VALUE_LENGTH characters — redacted in every form core/redact.ts knows. An Authorization header the
 * sender set is already `Bearer [redacted]`; one an admin set is custom.
 */
export function hideCustomHeaders<T extends { requestHeaders: Record<string, string>; responseHeaders: Record<string, string>; responseBody: string; error: string | null }>(
  attempt: T,
): T {
  const requestHeaders: Record<string, string> = {};
  const literals: string[] = [];
  for (const [name, value] of Object.entries(attempt.requestHeaders)) {
    if (!isCustomHeader(name, value)) {
      requestHeaders[name] = value;
      continue;
    }
    requestHeaders[name] = HIDDEN_HEADER_VALUE;
    for (const part of value.split(REDACTED)) if (part.trim().length >= MIN_HIDDEN_VALUE_LENGTH) literals.push(part);
  }
  if (literals.length === 0) return { ...attempt, requestHeaders };
  return {
    ...attempt,
    requestHeaders,
    responseHeaders: Object.fromEntries(Object.entries(attempt.responseHeaders).map(([name, value]) => [name, redactSecrets(value, literals)])),
    responseBody: redactSecrets(attempt.responseBody, literals),
    error: attempt.error === null ? null : redactSecrets(attempt.error, literals),
  };
}
