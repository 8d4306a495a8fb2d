// Webhooks: targets for automation deliveries, and the Test button that sends a payload signed exactly like a real
// delivery and shows the endpoint's answer (nothing is stored). Admins manage them. Members and viewers may list them
// to pick one for an automation, but see only the name and state: the URL is a credential (Slack, Teams and Discord
// URLs carry their token), and which secrets sign and authorize deliveries is admins' business.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import type { TeamRole, Webhook } from '../../db/schema.js';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  MAX_WEBHOOK_NAME_LENGTH,
  updateWebhook,
  WEBHOOK_NAME_PATTERN,
  WEBHOOK_NAME_RULE,
} from '../../automations/webhooks.js';
import { MAX_SECRET_NAME_LENGTH } from '../../auth/secrets.js';
import { MAX_WEBHOOK_URL_LENGTH } from '../../core/urls.js';
import { WebhookClient } from '../../delivery/http-client.js';
import { testWebhook, type WebhookTestInput } from '../../delivery/webhook-test.js';
import { EVENT_TYPES } from '../../registry/events.js';
import { teamAccess } from '../auth.js';
import { iso, TeamParams, UnpagedQuery } from '../schemas.js';

const WebhookName = z.string().min(1).max(MAX_WEBHOOK_NAME_LENGTH).regex(WEBHOOK_NAME_PATTERN, WEBHOOK_NAME_RULE);
const WebhookUrl = z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH);
const SecretRef = z.string().min(1).max(MAX_SECRET_NAME_LENGTH).nullable();
/** The test payload is raw JSON text, like a saved payload template; 1 MiB is far above any real payload. */
const MAX_TEST_PAYLOAD_LENGTH = 1024 * 1024;

export const WebhookResponse = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string().optional().describe('Team admins only: a webhook URL is a credential'),
  secret: z.string().nullable().optional().describe('Name of the team secret that signs deliveries (team admins only)'),
  accessToken: z.string().nullable().optional().describe('Name of the team secret sent as Authorization: Bearer (team admins only)'),
  enabled: z.boolean(),
  disabled: z
    .object({ at: z.string(), reason: z.string() })
    .nullable()
    .describe('Set when the endpoint answered 410 Gone or an admin disabled it; PATCH {"enabled": true} re-enables'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const TestResponse = z.object({
  status: z.number().nullable().describe('null when no HTTP answer came (network error, timeout, or blocked target)'),
  headers: z.record(z.string(), z.string()),
  body: z.string().describe('The first 64 KiB of the response body'),
  durationMs: z.number(),
  error: z.string().nullable(),
  request: z.object({
    url: z.string(),
    headers: z.record(z.string(), z.string()).describe('As sent, the access token redacted'),
    body: z.string(),
  }),
});

function toResponse(webhook: Webhook): z.infer<typeof WebhookResponse> {
  return {
    id: webhook.id,
    name: webhook.name,
    url: webhook.url,
    secret: webhook.secret_name,
    accessToken: webhook.access_token_name,
    enabled: webhook.disabled_at === null,
    disabled: webhook.disabled_at === null ? null : { at: iso(webhook.disabled_at), reason: webhook.disabled_reason ?? '' },
    createdAt: iso(webhook.created_at),
    updatedAt: iso(webhook.updated_at),
  };
}

/** What members and viewers see of a webhook: enough to choose it for an automation, nothing that reaches it. */
function forRole(role: TeamRole, view: z.infer<typeof WebhookResponse>): z.infer<typeof WebhookResponse> {
  if (role === 'admin') return view;
  const { url: _url, secret: _secret, accessToken: _accessToken, ...shown } = view;
  return shown;
}

const WebhookParams = TeamParams.extend({ id: z.string() });

export default async function webhookRoutes(app: Api, ctx: AppContext): Promise<void> {
  // One guarded client for Test requests; its keep-alive sockets are closed with the server.
  const client = new WebhookClient({ allow: ctx.config.webhookAllow });
  app.addHook('onClose', async () => client.close());

  app.post(
    '/api/v1/teams/:team/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Create a webhook (admins)',
        params: TeamParams,
        body: z.object({ name: WebhookName, url: WebhookUrl, secret: SecretRef.default(null), accessToken: SecretRef.default(null) }),
        response: { 201: WebhookResponse },
      },
    },
    async (request, reply) => {
      const { team, user } = await teamAccess(ctx, request, request.params.team, 'admin');
      return reply.status(201).send(toResponse(await createWebhook(ctx, team.id, user.id, request.body)));
    },
  );

  app.get(
    '/api/v1/teams/:team/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: "The team's webhooks (URLs and secret names for team admins only)",
        params: TeamParams,
        querystring: UnpagedQuery,
        response: { 200: z.object({ items: z.array(WebhookResponse), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      const { team, role } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return { items: (await listWebhooks(ctx.db, team.id)).map((webhook) => forRole(role, toResponse(webhook))), nextCursor: null };
    },
  );

  app.get(
    '/api/v1/teams/:team/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'One webhook (URL and secret names for team admins only)',
        params: WebhookParams,
        response: { 200: WebhookResponse },
      },
    },
    async (request) => {
      const { team, role } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return forRole(role, toResponse(await getWebhook(ctx.db, team.id, request.params.id)));
    },
  );

  app.patch(
    '/api/v1/teams/:team/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Change a webhook (admins); {"enabled": true} re-enables one disabled by a 410 answer',
        params: WebhookParams,
        body: z.object({
          name: WebhookName.optional(),
          url: WebhookUrl.optional(),
          secret: SecretRef.optional(),
          accessToken: SecretRef.optional(),
          enabled: z.boolean().optional(),
        }),
        response: { 200: WebhookResponse },
      },
    },
    async (request) => {
      const { team, user } = await teamAccess(ctx, request, request.params.team, 'admin');
      return toResponse(await updateWebhook(ctx, team.id, request.params.id, user.name, request.body));
    },
  );

  app.delete(
    '/api/v1/teams/:team/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Delete a webhook (admins); refused with 409 while automations use it',
        params: WebhookParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'admin');
      await deleteWebhook(ctx, team.id, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/teams/:team/webhooks/:id/test',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Send a payload signed exactly like a delivery and show the answer (admins); nothing is stored',
        description:
          'Send either a payload template (JSON text) or the template of an automation that sends to this webhook (automationId). With eventType (for an automation: its own type by default) the variables come from the event catalog\'s realistic sample of that type (GET /api/v1/event-types), metadata included; without one from a made-up LINK_ARTIFACT. ${SECRET} placeholders may name only the webhook\'s own secrets. Blocked targets answer with status null and the reason in error.',
        params: WebhookParams,
        body: z
          .object({
            payload: z.string().min(1).max(MAX_TEST_PAYLOAD_LENGTH).optional(),
            automationId: z.string().min(1).max(64).optional().describe('Send this automation\'s payload template'),
            eventType: z.enum(EVENT_TYPES).optional().describe('Render with a realistic sample event of this type'),
          })
          .refine((body) => (body.payload === undefined) !== (body.automationId === undefined), {
            message: 'give either payload or automationId (exactly one)',
          }),
        response: { 200: TestResponse },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'admin');
      const { payload, automationId, eventType } = request.body;
      const input: WebhookTestInput =
        automationId !== undefined ? { automationId, ...(eventType ? { eventType } : {}) } : { payload: payload!, ...(eventType ? { eventType } : {}) };
      return testWebhook(ctx, client, team.name, team.id, request.params.id, input);
    },
  );
}
