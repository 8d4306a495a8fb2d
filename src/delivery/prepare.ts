// PREPARING one delivery — the worker's and the webhook Test's alike: the payload's and the custom headers'
// `${NAME}` placeholders filled from the secrets attached to the webhook (its signing secret and access token) and
// from nothing else, the exact body bytes signed. A delivery that cannot be sent comes out `refused`, with a reason
// that names secrets and headers, never values.
import { fillSecrets, secretPlaceholders } from '../core/templates.js';
import { fillHeaderSecrets, parseStoredHeaders, type CustomHeader } from '../core/webhook-headers.js';
import { buildDeliveryHeaders } from './headers.js';
import type { ClaimedRun } from './store/index.js';

/** The webhook as it is when the attempt is made. */
export interface WebhookTarget {
  url: string;
  /** Names of the team secrets attached as signing secret and access token. */
  secretName: string | null;
  tokenName: string | null;
  /** Its custom headers: the list, or the stored JSON text of the list (null or absent: none). */
  headers?: readonly CustomHeader[] | string | null;
}

/** The attached secrets' values by name, and the names of attached secrets that no longer exist. */
export interface SecretValues {
  values: Record<string, string>;
  missing: string[];
}

export type PreparedDelivery =
  | {
      kind: 'prepared';
      url: string;
      body: string;
      headers: Record<string, string>;
      /** The secret values this request carries: redacted from whatever the receiver answers (it may echo them). */
      secretValues: string[];
    }
  /** `field`: the refusal is about the webhook's custom headers rather than the payload (the Test's 400 names it). */
  | { kind: 'refused'; error: string; field?: 'headers' };

export function prepareDelivery(input: {
  deliveryId: string;
  /** The rendered payload, secret placeholders still unfilled. */
  rendered: string;
  webhook: WebhookTarget;
  secrets: SecretValues;
  timestamp: Date | number;
}): PreparedDelivery {
  const { webhook, secrets } = input;
  if (secrets.missing.length > 0) {
    return { kind: 'refused', error: `secret ${secrets.missing.join(', ')} no longer exists in the team; the delivery was not sent` };
  }
  const attached = [webhook.secretName, webhook.tokenName].filter((name): name is string => name !== null);
  const unattached = secretPlaceholders(input.rendered).filter((name) => !attached.includes(name));
  if (unattached.length > 0) {
    const names = unattached.join(', ');
    return {
      kind: 'refused',
      error: `the payload uses secret ${names}, which ${unattached.length > 1 ? 'are' : 'is'} not attached to the webhook (only its signing secret and access token can be used); the delivery was not sent`,
    };
  }
  // Only the attached secrets are offered (a record without a prototype: no name can hit an inherited property).
  const offered = Object.create(null) as Record<string, string>;
  for (const name of attached) offered[name] = secrets.values[name]!;
  let body: string;
  try {
    body = fillSecrets(input.rendered, offered);
  } catch (error) {
    return { kind: 'refused', error: (error as Error).message };
  }
  const custom = fillHeaderSecrets(typeof webhook.headers === 'string' || webhook.headers == null ? parseStoredHeaders(webhook.headers ?? null) : webhook.headers, offered);
  if (custom.kind === 'refused') return { kind: 'refused', error: custom.error, field: 'headers' };
  const headers = buildDeliveryHeaders({
    deliveryId: input.deliveryId,
    body,
    secret: webhook.secretName === null ? null : offered[webhook.secretName]!,
    accessToken: webhook.tokenName === null ? null : offered[webhook.tokenName]!,
    timestamp: input.timestamp,
    custom: custom.headers,
  });
  return { kind: 'prepared', url: webhook.url, body, headers, secretValues: attached.map((name) => offered[name]!).filter((value) => value.length > 0) };
}

/**
 * A claimed run's delivery, as the worker and the listen stream both prepare it from what the claim read: refused
 * before any request when its webhook has been deleted or disabled; otherwise signed with the secrets attached to the
 * webhook — its signing secret and access token, decrypted by `decrypt` — and no other. `customHeaders: false` leaves
 * the webhook's custom headers out (the stream hands over what a listener forwards).
 */
export function prepareClaimed(
  run: ClaimedRun,
  decrypt: (teamId: string, name: string, ciphertext: string) => string,
  timestampMs: number,
  options: { customHeaders: boolean },
): PreparedDelivery {
  if (run.webhook_url === null) return { kind: 'refused', error: 'webhook deleted: the run cannot be delivered' };
  if (run.webhook_disabled_at !== null) return { kind: 'refused', error: `webhook disabled: ${run.webhook_disabled_reason ?? 'the webhook is disabled'}` };
  const secrets: SecretValues = { values: Object.create(null) as Record<string, string>, missing: [] };
  for (const [name, ciphertext] of [
    [run.webhook_secret_name, run.signing_ciphertext],
    [run.webhook_token_name, run.token_ciphertext],
  ] as const) {
    if (name === null) continue;
    if (ciphertext === null) secrets.missing.push(name);
    else secrets.values[name] = decrypt(run.team_id, name, ciphertext);
  }
  return prepareDelivery({
    deliveryId: run.id,
    rendered: run.body,
    webhook: {
      url: run.webhook_url,
      secretName: run.webhook_secret_name,
      tokenName: run.webhook_token_name,
      headers: options.customHeaders ? run.webhook_headers : null,
    },
    secrets,
    timestamp: Math.floor(timestampMs / 1000),
  });
}
