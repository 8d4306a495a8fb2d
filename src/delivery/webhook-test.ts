// The webhook Test send (admins): a payload sent to a webhook exactly as a delivery would be — same preparation, same
// headers and signatures, same SSRF guard — and the endpoint's answer returned; nothing is stored.
import type { AppContext } from '../context.js';
import { invalid } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { renderTemplate, validateTemplate } from '../core/templates.js';
import { redactSecrets, redactSecretsInHeaders } from '../core/redact.js';
import { findSecretValues } from '../auth/secrets.js';
import { attachedSecrets, getWebhook } from '../automations/webhooks.js';
import { sampleVariables } from '../automations/variables.js';
import { redactHeaders } from './headers.js';
import { DEFAULT_MAX_RESPONSE_BYTES, type WebhookClient } from './http-client.js';
import { prepareDelivery } from './prepare.js';

export interface WebhookTestResult {
  status: number | null;
  headers: Record<string, string>;
  body: string;
  durationMs: number;
  error: string | null;
  /** The request as sent, Authorization, the signatures and the secrets in custom headers redacted. */
  request: { url: string; headers: Record<string, string>; body: string };
}

/**
 * Event variables are filled with a sample event, `${SECRET}` placeholders only with the webhook's own secrets. Secret
 * values are redacted from what is returned, in case the endpoint echoes them.
 */
export async function testWebhook(
  ctx: Pick<AppContext, 'db' | 'config' | 'keyring'>,
  client: WebhookClient,
  teamName: string,
  teamId: string,
  id: string,
  payload: string,
): Promise<WebhookTestResult> {
  const webhook = await getWebhook(ctx.db, teamId, id);
  const problems = validateTemplate(payload, { secrets: attachedSecrets(webhook) });
  if (problems.length > 0) {
    const first = problems[0]!;
    throw invalid('payload', first.message, { position: first.position, line: first.line, column: first.column, problems });
  }
  const delivery = prepareDelivery({
    deliveryId: `test_${newId()}`,
    rendered: renderTemplate(payload, { ...sampleVariables(teamName), automation_name: 'webhook test' }, {}),
    webhook: { url: webhook.url, secretName: webhook.secret_name, tokenName: webhook.access_token_name, headers: webhook.headers },
    secrets: await findSecretValues(ctx.db, ctx.keyring, teamId, attachedSecrets(webhook)),
    timestamp: new Date(),
  });
  if (delivery.kind === 'refused') throw invalid(delivery.field ?? 'payload', delivery.error);
  const response = await client.send({ url: delivery.url, headers: delivery.headers, body: delivery.body, timeoutMs: ctx.config.webhookTimeoutMs });
  const redact = (text: string) => redactSecrets(text, delivery.secretValues);
  return {
    status: response.status,
    headers: redactSecretsInHeaders(Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, String(value)])), delivery.secretValues),
    // A body that reaches the client's read limit may end inside an echoed secret (see the worker's redactedExcerpt).
    body: redactSecrets(response.body.slice(0, DEFAULT_MAX_RESPONSE_BYTES), delivery.secretValues, { cutAtEnd: Buffer.byteLength(response.body, 'utf8') > DEFAULT_MAX_RESPONSE_BYTES - 4 }),
    durationMs: Math.round(response.durationMs),
    error: response.error === null ? null : redact(response.error),
    request: { url: delivery.url, headers: redactHeaders(delivery.headers, delivery.secretValues), body: redact(delivery.body) },
  };
}
