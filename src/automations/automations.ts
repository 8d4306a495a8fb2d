// Automations: event (type + scope + alias filter) → action (webhook with a payload template | queue job | no-op).
//
// Scope: `model` names one registered model of the team (stored as its id, so renaming the model keeps it) or is
// null for the whole registry, which includes models created later (dispatch matches `model_id IS NULL`).
// CREATE_ARTIFACT happens in projects, outside the registry, so its automations have no model scope: a model is
// refused for it rather than silently ignored. AUTOMATION_FAILED events carry the model of the run that failed, so
// they can be scoped like registry events.
import type { Actor } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import type { Db, Tx } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import { inTransaction } from '../db/transaction.js';
import type { ActionType, Automation, EventType } from '../db/schema.js';
import { conflict, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { renderTemplate, validateTemplate, type TemplateProblem } from '../core/templates.js';
import { checkAliasPattern } from './alias-pattern.js';
import { ConditionError, parseCondition } from '../core/conditions.js';
import { checkName } from '../core/names.js';
import { attachedSecrets } from './webhooks.js';
import { ALIAS_EVENT_TYPES, sampleVariables } from './variables.js';
import { checkDelivery, DEFAULT_DELIVERY, type DeliverySettings } from '../core/delivery-order.js';

type Ctx = Pick<AppContext, 'db' | 'notifier'>;

export const AUTOMATION_EVENT_TYPES = [
  'LINK_ARTIFACT',
  'ADD_ARTIFACT_ALIAS',
  'UNLINK_ARTIFACT',
  'CREATE_ARTIFACT',
  'AUTOMATION_FAILED',
  'REMOVE_ARTIFACT_ALIAS',
  'PROMOTION_REQUESTED',
  'PROMOTION_APPROVED',
  'PROMOTION_REJECTED',
  'CHECK_COMPLETED',
  'WEBHOOK_DISABLED',
] as const satisfies readonly EventType[];
export type AutomationEventType = (typeof AUTOMATION_EVENT_TYPES)[number];

export const MAX_AUTOMATION_NAME_LENGTH = 255;
export const MAX_DESCRIPTION_LENGTH = 4000;
/** Templates are rendered into every run's row; 256 KiB is far above any real payload and bounds the damage. */
export const MAX_TEMPLATE_LENGTH = 256 * 1024;

export interface EventSpec {
  type: AutomationEventType;
  model: string | null;
  aliasPattern: string | null;
}

export type ActionSpec =
  | { type: 'webhook'; webhookId: string; payload: string }
  | { type: 'queue_job'; queue: string; template: string; check?: string | null }
  | { type: 'no_op' };

export interface AutomationInput {
  name: string;
  description: string;
  enabled: boolean;
  event: EventSpec;
  action: ActionSpec;
  /** core/conditions.ts; null (or absent) fires on every matching event. */
  condition?: string | null;
  /** Flood control (core/flood-control.ts); null or absent: none. */
  rateLimit?: { max: number; perSeconds: number } | null;
  cooldownSeconds?: number | null;
  /** Ordered, superseding delivery (core/delivery-order.ts); absent: { order: 'none', supersede: false }. */
  delivery?: DeliverySettings;
}

export type AutomationPatch = Partial<AutomationInput>;

export interface AutomationView {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  event: EventSpec;
  action:
    | { type: 'webhook'; webhookId: string; webhookName: string; payload: string }
    | { type: 'queue_job'; queue: string; template: string; check: string | null }
    | { type: 'no_op' };
  condition: string | null;
  rateLimit: { max: number; perSeconds: number } | null;
  cooldownSeconds: number | null;
  delivery: DeliverySettings;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

/** What the columns of an automation row hold once its input has been checked against the team's objects. */
interface ResolvedAutomation {
  event_type: AutomationEventType;
  model_id: string | null;
  alias_pattern: string | null;
  action_type: ActionType;
  webhook_id: string | null;
  queue_id: string | null;
  template: string;
  condition: string | null;
  check_name: string | null;
}

/** Refuses (400, field `condition`, with its position) a condition that does not parse. */
export function checkCondition(condition: string | null): string | null {
  if (condition === null) return null;
  try {
    parseCondition(condition);
  } catch (error) {
    if (error instanceof ConditionError) throw invalid('condition', error.message, { position: error.position });
    throw error;
  }
  return condition;
}

/**
 * A queue_job's `check`: the check its job reports on the event's version. Events without a version (CREATE_ARTIFACT
 * happens outside the registry) have nothing to report on, and a job started by CHECK_COMPLETED reporting a check
 * could start itself again, so both are refused.
 */
function checkJobCheck(eventType: AutomationEventType, action: ActionSpec): string | null {
  if (action.type !== 'queue_job' || action.check === undefined || action.check === null) return null;
  checkName('action.check', action.check);
  if (eventType === 'CREATE_ARTIFACT') throw invalid('action.check', 'CREATE_ARTIFACT has no model version to report a check on');
  if (eventType === 'CHECK_COMPLETED') throw invalid('action.check', 'a job started by CHECK_COMPLETED cannot report a check (it could start itself again)');
  return action.check;
}

export function checkAutomationName(name: string): string {
  if (name.trim().length === 0) throw invalid('name', 'must not be empty');
  if (name.length > MAX_AUTOMATION_NAME_LENGTH) throw invalid('name', `must be at most ${MAX_AUTOMATION_NAME_LENGTH} characters`);
  return name;
}

export function templateError(field: string, problems: TemplateProblem[]): Error {
  const first = problems[0]!;
  return invalid(field, `line ${first.line}, column ${first.column}: ${first.message}`, {
    position: first.position,
    line: first.line,
    column: first.column,
    problems,
  });
}

export async function resolveModelId(db: Db | Tx, teamId: string, name: string, field: string): Promise<string> {
  const model = await db.selectFrom('registered_models').select('id').where('team_id', '=', teamId).where('name', '=', name).executeTakeFirst();
  if (!model) throw invalid(field, `no registered model named "${name}" in this team`);
  return model.id;
}

/** The webhook an action names, in the caller's team only: another team's id is as unknown as a made-up one. */
async function findTeamWebhook(db: Db | Tx, teamId: string, id: string) {
  const webhook = await db
    .selectFrom('webhooks')
    .select(['id', 'name', 'secret_name', 'access_token_name'])
    .where('team_id', '=', teamId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!webhook) throw invalid('action.webhookId', `no webhook with id "${id}" in this team`);
  return webhook;
}

async function findTeamQueue(db: Db | Tx, teamId: string, name: string) {
  const queue = await db.selectFrom('queues').select(['id', 'name']).where('team_id', '=', teamId).where('name', '=', name).executeTakeFirst();
  if (!queue) throw invalid('action.queue', `no queue named "${name}" in this team`);
  return queue;
}

/** Problems of a template for an action, without saving; `secrets` are the names the template may use. */
export function checkJobTemplate(template: string, teamName: string): TemplateProblem[] {
  const problems = validateTemplate(template, { secrets: [] });
  if (problems.length > 0) return problems;
  const rendered = renderTemplate(template, sampleVariables(teamName), {});
  const parsed: unknown = JSON.parse(rendered);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return [{ message: 'a job template must be a JSON object', position: 0, line: 1, column: 1 }];
  }
  return [];
}

/** What an action's columns hold, and the problems of its template (the field they belong to names the template). */
export interface CheckedAction extends Pick<ResolvedAutomation, 'action_type' | 'webhook_id' | 'queue_id' | 'template'> {
  problems: TemplateProblem[];
  field: 'action.payload' | 'action.template';
}

/**
 * Finds the webhook or queue an action names in the team (an unknown one is a 400) and checks its template, without
 * refusing a template with problems: saving refuses it, a preview shows them.
 */
export async function checkAction(db: Db | Tx, team: { id: string; name: string }, action: ActionSpec): Promise<CheckedAction> {
  switch (action.type) {
    case 'webhook': {
      const webhook = await findTeamWebhook(db, team.id, action.webhookId);
      const problems = validateTemplate(action.payload, { secrets: attachedSecrets(webhook) });
      return { action_type: 'webhook', webhook_id: webhook.id, queue_id: null, template: action.payload, problems, field: 'action.payload' };
    }
    case 'queue_job': {
      const queue = await findTeamQueue(db, team.id, action.queue);
      // Jobs are stored and handed to agents as they are, so secrets cannot go into them.
      const problems = checkJobTemplate(action.template, team.name);
      return { action_type: 'queue_job', webhook_id: null, queue_id: queue.id, template: action.template, problems, field: 'action.template' };
    }
    case 'no_op':
      return { action_type: 'no_op', webhook_id: null, queue_id: null, template: '', problems: [], field: 'action.template' };
  }
}

async function resolveInput(
  db: Db | Tx,
  team: { id: string; name: string },
  event: EventSpec,
  action: ActionSpec,
  condition: string | null,
): Promise<ResolvedAutomation> {
  if (event.model !== null && event.type === 'CREATE_ARTIFACT') {
    throw invalid('event.model', 'CREATE_ARTIFACT happens in projects, not on a registered model: leave model null');
  }
  if (event.model !== null && event.type === 'WEBHOOK_DISABLED') {
    throw invalid('event.model', 'WEBHOOK_DISABLED is about a webhook, not a registered model: leave model null');
  }
  if (event.aliasPattern !== null && !ALIAS_EVENT_TYPES.has(event.type)) {
    throw invalid('event.aliasPattern', `an alias filter applies only to events that name an alias (${[...ALIAS_EVENT_TYPES].join(', ')})`);
  }
  const alias_pattern = event.aliasPattern === null ? null : checkAliasPattern(event.aliasPattern);
  const model_id = event.model === null ? null : await resolveModelId(db, team.id, event.model, 'event.model');
  const check_name = checkJobCheck(event.type, action);
  const checkedCondition = checkCondition(condition);
  const { problems, field, ...checked } = await checkAction(db, team, action);
  if (problems.length > 0) throw templateError(field, problems);
  return { event_type: event.type, model_id, alias_pattern, ...checked, condition: checkedCondition, check_name };
}

/**
 * The flood-control columns of an automation. Changing its limits restarts the rate window (the count under the old
 * limit says nothing about the new one); the cooldown keeps counting from the last admitted run.
 */
function floodColumns(rateLimit: AutomationInput['rateLimit'] | null, cooldownSeconds: number | null) {
  return {
    rate_limit_max: rateLimit?.max ?? null,
    rate_limit_per_seconds: rateLimit?.perSeconds ?? null,
    cooldown_seconds: cooldownSeconds,
    rate_window_start: null,
    rate_window_count: 0,
  };
}

/** The delivery columns of an automation, checked against its event and action (400 naming `delivery.…`). */
function deliveryColumns(resolved: Pick<ResolvedAutomation, 'event_type' | 'action_type'>, delivery: DeliverySettings) {
  const checked = checkDelivery(resolved.event_type, resolved.action_type, delivery);
  return { delivery_order: checked.order, delivery_supersede: checked.supersede ? 1 : 0 };
}

function rethrowUnique(error: unknown, name: string): never {
  if (isUniqueViolation(error)) throw conflict(`an automation named "${name}" already exists in this team`);
  throw error;
}

export async function createAutomation(ctx: Ctx, actor: Actor, input: AutomationInput): Promise<AutomationView> {
  checkAutomationName(input.name);
  const now = Date.now();
  const id = newId();
  try {
    await inTransaction(ctx, async (tx) => {
      const resolved = await resolveInput(tx, actor.team, input.event, input.action, input.condition ?? null);
      await tx
        .insertInto('automations')
        .values({
          id,
          team_id: actor.team.id,
          name: input.name,
          description: input.description,
          enabled: input.enabled ? 1 : 0,
          ...resolved,
          ...floodColumns(input.rateLimit ?? null, input.cooldownSeconds ?? null),
          ...deliveryColumns(resolved, input.delivery ?? DEFAULT_DELIVERY),
          created_by: actor.user.id,
          created_at: now,
          updated_at: now,
        })
        .execute();
    });
  } catch (error) {
    rethrowUnique(error, input.name);
  }
  return getAutomation(ctx.db, actor.team.id, id);
}

function viewQuery(db: Db | Tx, teamId: string) {
  return db
    .selectFrom('automations as a')
    .leftJoin('registered_models as m', 'm.id', 'a.model_id')
    .leftJoin('webhooks as w', 'w.id', 'a.webhook_id')
    .leftJoin('queues as q', 'q.id', 'a.queue_id')
    .innerJoin('users as u', 'u.id', 'a.created_by')
    .selectAll('a')
    .select(['m.name as model_name', 'w.name as webhook_name', 'q.name as queue_name', 'u.name as creator_name'])
    .where('a.team_id', '=', teamId);
}

type ViewRow = Automation & { model_name: string | null; webhook_name: string | null; queue_name: string | null; creator_name: string };

function toView(row: ViewRow): AutomationView {
  let action: AutomationView['action'];
  if (row.action_type === 'webhook') {
    action = { type: 'webhook', webhookId: row.webhook_id ?? '', webhookName: row.webhook_name ?? '', payload: row.template };
  } else if (row.action_type === 'queue_job') {
    action = { type: 'queue_job', queue: row.queue_name ?? '', template: row.template, check: row.check_name };
  } else {
    action = { type: 'no_op' };
  }
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    enabled: row.enabled === 1,
    event: { type: row.event_type as AutomationEventType, model: row.model_name, aliasPattern: row.alias_pattern },
    action,
    condition: row.condition,
    rateLimit: row.rate_limit_max === null || row.rate_limit_per_seconds === null ? null : { max: row.rate_limit_max, perSeconds: row.rate_limit_per_seconds },
    cooldownSeconds: row.cooldown_seconds,
    delivery: { order: row.delivery_order, supersede: row.delivery_supersede === 1 },
    createdBy: row.creator_name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The team's automations; with `model`, only those scoped to that registered model. */
export async function listAutomations(db: Db, teamId: string, filter: { model?: string }): Promise<AutomationView[]> {
  let query = viewQuery(db, teamId).orderBy('a.name');
  if (filter.model !== undefined) query = query.where('a.model_id', '=', await resolveModelId(db, teamId, filter.model, 'model'));
  return (await query.execute()).map(toView);
}

export async function getAutomation(db: Db | Tx, teamId: string, id: string): Promise<AutomationView> {
  const row = await viewQuery(db, teamId).where('a.id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`automation ${id}`);
  return toView(row);
}

/** `event` and `action` are replaced as a whole when given; everything is checked again as on create. */
export async function updateAutomation(ctx: Ctx, actor: Actor, id: string, patch: AutomationPatch): Promise<AutomationView> {
  if (patch.name !== undefined) checkAutomationName(patch.name);
  try {
    await inTransaction(ctx, async (tx) => {
      const current = await getAutomation(tx, actor.team.id, id);
      const event = patch.event ?? current.event;
      const action: ActionSpec = patch.action ?? stripView(current.action);
      const condition = patch.condition === undefined ? current.condition : patch.condition;
      const resolved = await resolveInput(tx, actor.team, event, action, condition);
      await tx
        .updateTable('automations')
        .set({
          name: patch.name ?? current.name,
          description: patch.description ?? current.description,
          enabled: (patch.enabled ?? current.enabled) ? 1 : 0,
          ...resolved,
          ...floodColumns(
            patch.rateLimit === undefined ? current.rateLimit : patch.rateLimit,
            patch.cooldownSeconds === undefined ? current.cooldownSeconds : patch.cooldownSeconds,
          ),
          // Runs already created keep the order they were created with: waiting ones still follow their subject.
          ...deliveryColumns(resolved, patch.delivery ?? current.delivery),
          updated_at: Date.now(),
        })
        .where('team_id', '=', actor.team.id)
        .where('id', '=', id)
        .execute();
    });
  } catch (error) {
    rethrowUnique(error, patch.name ?? '');
  }
  return getAutomation(ctx.db, actor.team.id, id);
}

function stripView(action: AutomationView['action']): ActionSpec {
  if (action.type === 'webhook') return { type: 'webhook', webhookId: action.webhookId, payload: action.payload };
  return action;
}

/** Stops new runs at once; runs already created finish as they would have (they carry what they need). */
export async function deleteAutomation(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const result = await tx.deleteFrom('automations').where('team_id', '=', actor.team.id).where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw notFound(`automation ${id}`);
  });
}

export interface ModelAutomationSummary {
  id: string;
  name: string;
  enabled: boolean;
  triggerType: AutomationEventType;
  actionType: ActionType;
  actionName: string;
  queue: string;
  /** `model` when scoped to this model, `registry` when it applies to every model of the registry. */
  scope: 'model' | 'registry';
}

/**
 * The automations that fire for a registered model's events: those scoped to it and those scoped to the whole
 * registry (CREATE_ARTIFACT automations are project-level and WEBHOOK_DISABLED ones are about webhooks: neither fires for a
 * model, so they are left out).
 */
export async function automationsForModel(db: Db, teamId: string, modelName: string): Promise<ModelAutomationSummary[]> {
  const model = await db.selectFrom('registered_models').select('id').where('team_id', '=', teamId).where('name', '=', modelName).executeTakeFirst();
  if (!model) throw notFound(`registered model "${modelName}"`);
  const rows = await db
    .selectFrom('automations as a')
    .leftJoin('webhooks as w', 'w.id', 'a.webhook_id')
    .leftJoin('queues as q', 'q.id', 'a.queue_id')
    .select(['a.id', 'a.name', 'a.enabled', 'a.event_type', 'a.action_type', 'a.model_id', 'w.name as webhook_name', 'q.name as queue_name'])
    .where('a.team_id', '=', teamId)
    .where((eb) => eb.or([eb('a.model_id', '=', model.id), eb.and([eb('a.model_id', 'is', null), eb('a.event_type', 'not in', ['CREATE_ARTIFACT', 'WEBHOOK_DISABLED'])])]))
    .orderBy('a.name')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    enabled: row.enabled === 1,
    triggerType: row.event_type as AutomationEventType,
    actionType: row.action_type,
    actionName: row.action_type === 'webhook' ? (row.webhook_name ?? '') : row.action_type === 'queue_job' ? (row.queue_name ?? '') : 'No action',
    queue: row.action_type === 'queue_job' ? (row.queue_name ?? '') : '',
    scope: row.model_id === null ? 'registry' : 'model',
  }));
}

