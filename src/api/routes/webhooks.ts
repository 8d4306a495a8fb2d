// Webhooks: targets for automation deliveries, and the Test button that sends a payload signed exactly like a real
// delivery and shows the endpoint's answer (nothing is stored). Admins manage them. Members and viewers may list them
// to pick one for an automation, but see only the name and state: the URL is a credential (Slack, Teams and Discord
// URLs carry their token), custom header values are credentials (`X-API-Key: …`), and which secrets sign and
// authorize deliveries is admins' business.
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
import { MAX_CUSTOM_HEADERS, MAX_HEADER_NAME_LENGTH, MAX_HEADER_VALUE_LENGTH, parseStoredHeaders } from '../../core/webhook-headers.js';
import { WebhookClient } from '../../delivery/http-client.js';
import { testWebhook, type WebhookTestInput } from '../../delivery/webhook-test.js';
import { EVENT_TYPES } from '../../registry/events.js';
import { teamAccess } from '../auth.js';
import { iso, isoOrNull, TeamParams, UnpagedQuery } from '../schemas.js';
import { conflict, invalid } from '../../core/errors.js';
import { DEFAULT_CIRCUIT_FAILURES, DEFAULT_DISABLE_AFTER_SECONDS } from '../../core/endpoint-health.js';
import { MAX_CONCURRENCY_LIMIT, MAX_PER_SECOND_LIMIT } from '../../core/endpoint-limits.js';
import { recoverWebhook, webhookHealth } from '../../delivery/health.js';
import { MAX_RECOVERY_WINDOW_MS } from '../../delivery/history.js';

const WebhookName = z.string().min(1).max(MAX_WEBHOOK_NAME_LENGTH).regex(WEBHOOK_NAME_PATTERN, WEBHOOK_NAME_RULE);
const WebhookUrl = z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH);
const SecretRef = z.string().min(1).max(MAX_SECRET_NAME_LENGTH).nullable();
/** The shape only; the rules (reserved names, tokens, characters, secrets) are checked with messages naming the header. */
const CustomHeader = z.object({
  name: z.string().max(MAX_HEADER_NAME_LENGTH).describe('An HTTP header name (token characters); not one Modelyard sets itself'),
  value: z
    .string()
    .max(MAX_HEADER_VALUE_LENGTH)
    .describe("Sent as written; ${SECRET_NAME} inserts the webhook's signing secret or access token (filled only when sending)"),
});
const CustomHeaders = z
  .array(CustomHeader)
  .max(MAX_CUSTOM_HEADERS)
  .describe(
    'Custom request headers sent with every delivery and Test (team admins only: values are credentials). Reserved: Content-Type, User-Agent, X-Wandb-Signature, webhook-*, Host, Content-Length, hop-by-hop headers, Content-Encoding, and Authorization when an access token is set.',
  );
/** The test payload is raw JSON text, like a saved payload template; 1 MiB is far above any real payload. */
const MAX_TEST_PAYLOAD_LENGTH = 1024 * 1024;

export const WebhookResponse = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string().optional().describe('Team admins only: a webhook URL is a credential. A listen webhook has none'),
  mode: z
    .enum(['push', 'listen'])
    .describe('push: deliveries are sent to the URL; listen: a listener takes them from GET /api/v1/teams/{team}/stream (docs/receivers.md)'),
  secret: z.string().nullable().optional().describe('Name of the team secret that signs deliveries (team admins only)'),
  accessToken: z.string().nullable().optional().describe('Name of the team secret sent as Authorization: Bearer (team admins only)'),
  headers: CustomHeaders.optional(),
  enabled: z.boolean(),
  disabled: z
    .object({ at: z.string(), reason: z.string() })
    .nullable()
    .describe('Set when the endpoint answered 410 Gone, kept failing longer than disableAfterSeconds, or an admin disabled it; PATCH {"enabled": true} or POST …/recover re-enables'),
  circuitFailures: z.number().int().describe('Consecutive failed attempts that open the circuit (then only probes are sent)'),
  disableAfterSeconds: z.number().int().nullable().describe('How long the endpoint may keep failing before the webhook is disabled; null: never'),
  maxConcurrency: z.number().int().nullable().describe('Requests in flight to the endpoint at once, across every worker; null: unlimited'),
  maxPerSecond: z.number().int().nullable().describe('Requests sent to the endpoint in any second, across every worker; null: unlimited'),
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
    headers: z.record(z.string(), z.string()).describe('As sent, with the access token, the signatures and every secret a custom header holds redacted'),
    body: z.string(),
  }),
});

function toResponse(webhook: Webhook): z.infer<typeof WebhookResponse> {
  return {
    id: webhook.id,
    name: webhook.name,
    ...(webhook.mode === 'listen' ? {} : { url: webhook.url }),
    mode: webhook.mode,
    secret: webhook.secret_name,
    accessToken: webhook.access_token_name,
    headers: parseStoredHeaders(webhook.headers),
    enabled: webhook.disabled_at === null,
    disabled: webhook.disabled_at === null ? null : { at: iso(webhook.disabled_at), reason: webhook.disabled_reason ?? '' },
    circuitFailures: webhook.circuit_failures,
    disableAfterSeconds: webhook.disable_after_seconds,
    maxConcurrency: webhook.max_concurrency,
    maxPerSecond: webhook.max_per_second,
    createdAt: iso(webhook.created_at),
    updatedAt: iso(webhook.updated_at),
  };
}

/** What members and viewers see of a webhook: enough to choose it for an automation, nothing that reaches it. */
function forRole(role: TeamRole, view: z.infer<typeof WebhookResponse>): z.infer<typeof WebhookResponse> {
  if (role === 'admin') return view;
  const { url: _url, secret: _secret, accessToken: _accessToken, headers: _headers, ...shown } = view;
  return shown;
}

const WebhookParams = TeamParams.extend({ id: z.string() });

const CircuitFailures = z.number().int().min(1).max(10_000).describe(`Consecutive failed attempts that open the circuit (default ${DEFAULT_CIRCUIT_FAILURES})`);
const DisableAfterSeconds = z
  .number()
  .int()
  .min(60)
  .max(MAX_RECOVERY_WINDOW_MS / 1000)
  .nullable()
  .describe(`How long the endpoint may keep failing before the webhook is disabled (default ${DEFAULT_DISABLE_AFTER_SECONDS}, 3 days); null: never`);

const MaxConcurrency = z
  .number()
  .int()
  .min(1)
  .max(MAX_CONCURRENCY_LIMIT)
  .nullable()
  .describe(
    'At most this many requests in flight to the endpoint at once, across every worker (default null: unlimited). Runs over the limit wait (deferred, their attempts not counted) and go as soon as a request finishes. A manual redelivery (POST …/runs/{id}/redeliver) is not held back.',
  );
const MaxPerSecond = z
  .number()
  .int()
  .min(1)
  .max(MAX_PER_SECOND_LIMIT)
  .nullable()
  .describe(
    'At most this many requests sent to the endpoint in any one-second interval, across every worker (default null: unlimited). Runs over the limit wait; none is dropped. A manual redelivery is not held back.',
  );

const Window = z.object({
  attempts: z.number().int().describe('Attempts that made a request'),
  succeeded: z.number().int(),
  successRate: z.number().nullable().describe('succeeded / attempts; null without attempts'),
  latencyMs: z.object({ avg: z.number(), p95: z.number(), max: z.number() }).nullable(),
});

const HealthResponse = z.object({
  state: z.enum(['healthy', 'failing', 'paused', 'circuit_open', 'disabled']).describe('paused: a 429 with Retry-After holds every run of the endpoint until then'),
  consecutiveFailures: z.number().int(),
  failingSince: z.string().nullable(),
  lastError: z.object({ at: z.string(), message: z.string().optional().describe('Team admins only') }).nullable(),
  circuit: z.object({ failuresToOpen: z.number().int(), open: z.boolean(), nextProbeAt: z.string().nullable() }),
  disableAfterSeconds: z.number().int().nullable(),
  disabled: z.object({ at: z.string(), reason: z.string() }).nullable(),
  lastHour: Window,
  lastDay: Window,
});

export default async function webhookRoutes(app: Api, ctx: AppContext): Promise<void> {
  // One guarded client for Test requests; its keep-alive sockets are closed with the server.
  const client = new WebhookClient({ allow: ctx.config.webhookAllow });
  app.addHook('onClose', async () => client.close());

  app.post(
    '/api/v1/teams/:team/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'createWebhook',
        errorResponses: { add: [409] },
        summary: 'Create a webhook (admins)',
        params: TeamParams,
        body: z.object({
          name: WebhookName,
          url: WebhookUrl.nullable().optional().describe('Required for a push webhook; a listen webhook has none'),
          mode: z.enum(['push', 'listen']).default('push'),
          secret: SecretRef.default(null),
          accessToken: SecretRef.default(null),
          headers: CustomHeaders.default([]),
          circuitFailures: CircuitFailures.optional(),
          disableAfterSeconds: DisableAfterSeconds.optional(),
          maxConcurrency: MaxConcurrency.optional(),
          maxPerSecond: MaxPerSecond.optional(),
        }),
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
        operationId: 'listWebhooks',
        summary: "The team's webhooks (URLs, secret names and custom headers for team admins only)",
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
        operationId: 'getWebhook',
        summary: 'One webhook (URL, secret names and custom headers for team admins only)',
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
        operationId: 'updateWebhook',
        errorResponses: { add: [409] },
        summary: 'Change a webhook (admins); {"enabled": true} re-enables one disabled by a 410 answer',
        params: WebhookParams,
        body: z.object({
          name: WebhookName.optional(),
          url: WebhookUrl.optional(),
          secret: SecretRef.optional(),
          accessToken: SecretRef.optional(),
          headers: CustomHeaders.optional().describe('Replaces the whole list ([] removes every custom header)'),
          enabled: z.boolean().optional(),
          circuitFailures: CircuitFailures.optional(),
          disableAfterSeconds: DisableAfterSeconds.optional(),
          maxConcurrency: MaxConcurrency.optional(),
          maxPerSecond: MaxPerSecond.optional(),
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
        operationId: 'deleteWebhook',
        errorResponses: { add: [409] },
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

  app.get(
    '/api/v1/teams/:team/webhooks/:id/health',
    {
      schema: {
        operationId: 'getWebhookHealth',
        tags: ['webhooks'],
        summary: "The endpoint's health: success rate and latency over the last hour and day, failures in a row, circuit breaker",
        description: 'Readable by the team; the last error\'s message (it may name the endpoint) by team admins only.',
        params: WebhookParams,
        response: { 200: HealthResponse },
      },
    },
    async (request) => {
      const { team, role } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const health = await webhookHealth(ctx.db, team.id, request.params.id);
      return {
        ...health,
        failingSince: isoOrNull(health.failingSince),
        lastError: health.lastError === null ? null : { at: iso(health.lastError.at), ...(role === 'admin' ? { message: health.lastError.message } : {}) },
        circuit: { ...health.circuit, nextProbeAt: isoOrNull(health.circuit.nextProbeAt) },
        disabled: health.disabled === null ? null : { at: iso(health.disabled.at), reason: health.disabled.reason },
      };
    },
  );

  app.post(
    '/api/v1/teams/:team/webhooks/:id/recover',
    {
      schema: {
        operationId: 'recoverWebhook',
        tags: ['webhooks'],
        summary: 'Re-enable a webhook and redeliver every run of it that failed since a time (admins)',
        description:
          'Clears the disabled state and the endpoint\'s failures (the circuit closes), and puts every failed run of this webhook created since `since` (at most 14 days ago) back in the queue: each is sent once more, as a manual attempt (not retried).',
        params: WebhookParams,
        body: z.object({ since: z.string().max(64).describe('ISO 8601 time, e.g. 2026-11-26T12:00:00Z') }),
        response: { 200: z.object({ webhook: WebhookResponse, redelivered: z.number().int().describe('Failed runs put back in the queue') }) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'admin');
      const since = Date.parse(request.body.since);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(request.body.since) || Number.isNaN(since)) throw invalid('since', 'must be an ISO 8601 time such as 2026-11-26T12:00:00Z');
      const { webhook, redelivered } = await recoverWebhook(ctx, team.id, request.params.id, since);
      return { webhook: toResponse(webhook), redelivered };
    },
  );

  app.post(
    '/api/v1/teams/:team/webhooks/:id/test',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'testWebhook',
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
      const webhook = await getWebhook(ctx.db, team.id, request.params.id);
      if (webhook.mode === 'listen') throw conflict('a listen webhook has no URL to test; run `modelyard listen` and its deliveries reach your local receiver');
      const { payload, automationId, eventType } = request.body;
      const input: WebhookTestInput =
        automationId !== undefined ? { automationId, ...(eventType ? { eventType } : {}) } : { payload: payload!, ...(eventType ? { eventType } : {}) };
      return testWebhook(ctx, client, team.name, team.id, request.params.id, input);
    },
  );
}
