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
import { catalogSampleVariables } from '../automations/event-catalog.js';
import type { EventType } from '../db/schema.js';
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
 * What to send: a payload template typed in (`payload`), or the template of one of the team's automations that sends
 * to this webhook (`automationId`). With an `eventType` (the automation's own type by default) the variables come from
 * the event catalog's realistic sample of that type, metadata included; without one, from a made-up LINK_ARTIFACT.
 */
export type WebhookTestInput = { eventType?: EventType } & ({ payload: string; automationId?: undefined } | { automationId: string; payload?: undefined });

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
  input: WebhookTestInput,
): Promise<WebhookTestResult> {
  const webhook = await getWebhook(ctx.db, teamId, id);
  let payload: string;
  let eventType = input.eventType;
  let automationName = 'webhook test';
  if (input.automationId !== undefined) {
    const automation = await ctx.db
      .selectFrom('automations')
      .select(['name', 'template', 'event_type', 'action_type', 'webhook_id'])
      .where('team_id', '=', teamId)
      .where('id', '=', input.automationId)
      .executeTakeFirst();
    if (!automation) throw invalid('automationId', `no automation with id "${input.automationId}" in this team`);
    if (automation.action_type !== 'webhook' || automation.webhook_id !== webhook.id) {
      throw invalid('automationId', `automation "${automation.name}" does not send to this webhook`);
    }
    payload = automation.template;
    eventType ??= automation.event_type;
    automationName = automation.name;
  } else {
    payload = input.payload;
  }
  const field = input.automationId === undefined ? 'payload' : 'automationId';
  const problems = validateTemplate(payload, { secrets: attachedSecrets(webhook) });
  if (problems.length > 0) {
    const first = problems[0]!;
    throw invalid(field, first.message, { position: first.position, line: first.line, column: first.column, problems });
  }
  const rendered =
    eventType === undefined
      ? renderTemplate(payload, { ...sampleVariables(teamName), automation_name: automationName }, {})
      : (() => {
          const sample = catalogSampleVariables(eventType, teamName, automationName);
          return renderTemplate(payload, sample.values, sample.metadata);
        })();
  const delivery = prepareDelivery({
    deliveryId: `test_${newId()}`,
    rendered,
    webhook: { url: webhook.url, secretName: webhook.secret_name, tokenName: webhook.access_token_name, headers: webhook.headers },
    secrets: await findSecretValues(ctx.db, ctx.keyring, teamId, attachedSecrets(webhook)),
    timestamp: new Date(),
  });
  if (delivery.kind === 'refused') throw invalid(delivery.field ?? field, delivery.error);
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
