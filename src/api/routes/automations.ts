// Automations: admins and members create and change them, viewers read. Also the preview of a payload and the
// automations shown on a registered model's page.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import {
  AUTOMATION_EVENT_TYPES,
  automationsForModel,
  createAutomation,
  deleteAutomation,
  getAutomation,
  listAutomations,
  MAX_AUTOMATION_NAME_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  MAX_TEMPLATE_LENGTH,
  updateAutomation,
  type AutomationView,
} from '../../automations/automations.js';
import { aliasMatches, checkAliasPattern, MAX_ALIAS_PATTERN_LENGTH } from '../../automations/alias-pattern.js';
import { previewAutomation } from '../../automations/preview.js';
import { MAX_CONDITION_LENGTH } from '../../core/conditions.js';
import { FLOOD_MAXIMA } from '../../core/flood-control.js';
import { teamAccess } from '../auth.js';
import { iso, JSON_DEPTH_RULE, TeamParams, UnpagedQuery, withinJsonDepth } from '../schemas.js';

const EventType = z.enum(AUTOMATION_EVENT_TYPES);
const Template = z.string().min(1).max(MAX_TEMPLATE_LENGTH).refine(withinJsonDepth, JSON_DEPTH_RULE);

const EventSpec = z.object({
  type: EventType,
  model: z.string().min(1).max(128).nullable().default(null).describe('A registered model of the team, or null for the whole registry (models created later included)'),
  aliasPattern: z
    .string()
    .max(MAX_ALIAS_PATTERN_LENGTH)
    .nullable()
    .default(null)
    .describe('Events that name an alias (ADD_ARTIFACT_ALIAS, REMOVE_ARTIFACT_ALIAS, PROMOTION_*): RE2 regular expression the alias must match (searched; anchor with ^…$)'),
});

const ActionSpec = z.discriminatedUnion('type', [
  z.object({ type: z.literal('webhook'), webhookId: z.string().min(1).max(64), payload: Template.describe('JSON payload template with ${…} variables') }),
  z.object({
    type: z.literal('queue_job'),
    queue: z.string().min(1).max(128),
    template: Template.describe('JSON object template of the job'),
    check: z.string().max(128).nullable().optional().describe("a check on the event's version that the job sets: pending when queued, success or failure from its exit code"),
  }),
  z.object({ type: z.literal('no_op') }),
]);

const Condition = z
  .string()
  .max(MAX_CONDITION_LENGTH)
  .nullable()
  .describe('e.g. metadata.eval.auc >= 0.9 && checks.eval == "success"; an event it does not hold for records nothing (docs/automations.md)');
const RateLimit = z
  .object({ max: z.number().int().min(1).max(FLOOD_MAXIMA.rateLimitMax), perSeconds: z.number().int().min(1).max(FLOOD_MAXIMA.perSeconds) })
  .nullable()
  .describe('At most `max` runs per `perSeconds` (fixed windows); events over the limit get a skipped run. null: no limit (the default)');
const CooldownSeconds = z
  .number()
  .int()
  .min(1)
  .max(FLOOD_MAXIMA.cooldownSeconds)
  .nullable()
  .describe('For this long after a run, later events get a skipped run. null: none (the default)');

const Delivery = z
  .object({
    order: z
      .enum(['none', 'per_subject'])
      .default('none')
      .describe(
        "per_subject: one delivery at a time per subject — the (model, alias) of ADD/REMOVE_ARTIFACT_ALIAS, the model of LINK/UNLINK_ARTIFACT — in event order; a retrying run holds back the subject's later runs. Other event types have no subject (400)",
      ),
    supersede: z
      .boolean()
      .default(false)
      .describe('With per_subject: a newer event ends the older runs of its subject not yet sent (and not in flight) as superseded; only the newest state is sent, and a cooldown folds events into one delivery when it ends'),
  })
  .describe('Ordered, superseding delivery (docs/automations.md). Default { order: none, supersede: false }');

const AutomationBody = z.object({
  name: z.string().min(1).max(MAX_AUTOMATION_NAME_LENGTH),
  description: z.string().max(MAX_DESCRIPTION_LENGTH).default(''),
  enabled: z.boolean().default(true),
  event: EventSpec,
  action: ActionSpec,
  condition: Condition.default(null),
  rateLimit: RateLimit.default(null),
  cooldownSeconds: CooldownSeconds.default(null),
  delivery: Delivery.default({ order: 'none', supersede: false }),
});

const AutomationPatchBody = z.object({
  name: z.string().min(1).max(MAX_AUTOMATION_NAME_LENGTH).optional(),
  description: z.string().max(MAX_DESCRIPTION_LENGTH).optional(),
  enabled: z.boolean().optional(),
  event: EventSpec.optional(),
  action: ActionSpec.optional(),
  condition: Condition.optional(),
  rateLimit: RateLimit.optional(),
  cooldownSeconds: CooldownSeconds.optional(),
  delivery: Delivery.optional(),
});

export const AutomationResponse = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  event: z.object({ type: EventType, model: z.string().nullable(), aliasPattern: z.string().nullable() }),
  action: z.discriminatedUnion('type', [
    z.object({ type: z.literal('webhook'), webhookId: z.string(), webhookName: z.string(), payload: z.string() }),
    z.object({ type: z.literal('queue_job'), queue: z.string(), template: z.string(), check: z.string().nullable() }),
    z.object({ type: z.literal('no_op') }),
  ]),
  condition: z.string().nullable(),
  rateLimit: z.object({ max: z.number().int(), perSeconds: z.number().int() }).nullable(),
  cooldownSeconds: z.number().int().nullable(),
  delivery: z.object({ order: z.enum(['none', 'per_subject']), supersede: z.boolean() }),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const Problem = z.object({ message: z.string(), position: z.number(), line: z.number(), column: z.number() });

const PreviewResponse = z.object({
  body: z.string().nullable().describe('The rendered payload (secrets left as ${NAME}); null when the template is not valid JSON'),
  problems: z.array(Problem),
  source: z.object({ kind: z.enum(['event', 'model_version', 'generic']), eventId: z.string().nullable(), description: z.string() }),
});

const ModelAutomation = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  triggerType: EventType,
  actionType: z.enum(['webhook', 'queue_job', 'no_op']),
  actionName: z.string().describe('The webhook name, the queue name, or "No action"'),
  queue: z.string().describe('The queue name; empty for webhooks and no-op'),
  scope: z.enum(['model', 'registry']).describe('model: scoped to this model; registry: fires for every model'),
});

function toResponse(view: AutomationView): z.infer<typeof AutomationResponse> {
  return { ...view, createdAt: iso(view.createdAt), updatedAt: iso(view.updatedAt) };
}

const AutomationParams = TeamParams.extend({ id: z.string() });

export default async function automationRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/teams/:team/automations',
    {
      schema: {
        tags: ['automations'],
        operationId: 'createAutomation',
        errorResponses: { add: [409] },
        summary: 'Create an automation (admins and members)',
        description:
          'Event types: LINK_ARTIFACT, ADD_ARTIFACT_ALIAS, REMOVE_ARTIFACT_ALIAS, UNLINK_ARTIFACT, AUTOMATION_FAILED, PROMOTION_REQUESTED, PROMOTION_APPROVED, PROMOTION_REJECTED, CHECK_COMPLETED (scoped to one model or the whole registry) and CREATE_ARTIFACT and WEBHOOK_DISABLED (not about a model: model must be null). The payload is checked when saved: invalid JSON, unknown variables and secrets not attached to the webhook are refused with their position, and so is a condition that does not parse.',
        params: TeamParams,
        body: AutomationBody,
        response: { 201: AutomationResponse },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      return reply.status(201).send(toResponse(await createAutomation(ctx, access, request.body)));
    },
  );

  app.get(
    '/api/v1/teams/:team/automations',
    {
      schema: {
        tags: ['automations'],
        operationId: 'listAutomations',
        summary: "The team's automations; ?model= keeps those scoped to that registered model",
        params: TeamParams,
        querystring: UnpagedQuery.extend({ model: z.string().min(1).max(128).optional() }),
        response: { 200: z.object({ items: z.array(AutomationResponse), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const items = await listAutomations(ctx.db, team.id, request.query.model === undefined ? {} : { model: request.query.model });
      return { items: items.map(toResponse), nextCursor: null };
    },
  );

  app.post(
    '/api/v1/teams/:team/automations/alias-pattern',
    {
      schema: {
        tags: ['automations'],
        operationId: 'checkAliasPattern',
        summary: 'Check an alias pattern as saving an automation would (RE2 syntax, length), without saving anything',
        description: 'For forms that check the pattern where it is typed. A refused pattern is a 400 naming the field event.aliasPattern; `matches` says which of the given aliases it matches.',
        params: TeamParams,
        body: z.object({ aliasPattern: z.string().max(MAX_ALIAS_PATTERN_LENGTH * 4), aliases: z.array(z.string().max(128)).max(100).default([]) }),
        response: { 200: z.object({ aliasPattern: z.string(), matches: z.array(z.string()) }) },
      },
    },
    async (request) => {
      await teamAccess(ctx, request, request.params.team, 'viewer');
      const pattern = checkAliasPattern(request.body.aliasPattern);
      return { aliasPattern: pattern, matches: request.body.aliases.filter((alias) => aliasMatches(pattern, alias)) };
    },
  );

  app.post(
    '/api/v1/teams/:team/automations/preview',
    {
      schema: {
        tags: ['automations'],
        operationId: 'previewAutomation',
        summary: 'Render an automation payload without saving or sending it',
        description:
          'Renders against the event sampleEventId, else a sample built from the scoped model\'s latest version, else a made-up event. Secrets are shown as their ${NAME} placeholders.',
        params: TeamParams,
        body: z.object({
          name: z.string().max(MAX_AUTOMATION_NAME_LENGTH).optional(),
          event: EventSpec,
          action: ActionSpec,
          sampleEventId: z.string().min(1).max(64).optional(),
        }),
        response: { 200: PreviewResponse },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { sampleEventId, name, ...rest } = request.body;
      return previewAutomation(ctx.db, team, {
        ...rest,
        ...(sampleEventId === undefined ? {} : { sampleEventId }),
        ...(name === undefined ? {} : { name }),
      });
    },
  );

  app.get(
    '/api/v1/teams/:team/automations/:id',
    { schema: { tags: ['automations'], operationId: 'getAutomation', summary: 'One automation', params: AutomationParams, response: { 200: AutomationResponse } } },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return toResponse(await getAutomation(ctx.db, team.id, request.params.id));
    },
  );

  app.patch(
    '/api/v1/teams/:team/automations/:id',
    {
      schema: {
        tags: ['automations'],
        operationId: 'updateAutomation',
        errorResponses: { add: [409] },
        summary: 'Change an automation (admins and members); event and action are replaced as a whole when given',
        params: AutomationParams,
        body: AutomationPatchBody,
        response: { 200: AutomationResponse },
      },
    },
    async (request) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      return toResponse(await updateAutomation(ctx, access, request.params.id, request.body));
    },
  );

  app.delete(
    '/api/v1/teams/:team/automations/:id',
    {
      schema: {
        tags: ['automations'],
        operationId: 'deleteAutomation',
        summary: 'Delete an automation (admins and members); runs already created still finish',
        params: AutomationParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      await deleteAutomation(ctx, access, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/teams/:team/registry/models/:model/automations',
    {
      schema: {
        tags: ['automations'],
        operationId: 'listModelAutomations',
        summary: 'The automations that fire for a registered model: scoped to it or to the whole registry',
        params: TeamParams.extend({ model: z.string() }),
        querystring: UnpagedQuery,
        response: { 200: z.object({ items: z.array(ModelAutomation), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return { items: await automationsForModel(ctx.db, team.id, request.params.model), nextCursor: null };
    },
  );
}
