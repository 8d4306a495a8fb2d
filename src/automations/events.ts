// Recording an event (the transactional outbox): the event row is written in the transaction of the change that
// raised it, and the automations matching it get their action runs in the same transaction — a committed change never
// loses its event, and an event never loses its runs. Two producers record events: the registry (every change) and
// the delivery worker (AUTOMATION_FAILED).
import type { Config } from '../config.js';
import type { Tx } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';
import type { Database, Event, EventType } from '../db/schema.js';
import type { InsertQueryBuilder, QueryCreator } from 'kysely';
import { newId } from '../core/ids.js';
import { REGISTRY_PROJECT } from '../core/names.js';
import { writesThenSelect, type WritesThenSelect } from '../db/dialect.js';
import { createActionRuns, matchQuery, type AutomationMatch, type MatchParams, type MatchScope } from './dispatch.js';
import { eventsCounter } from './event-metrics.js';
import { eventMetadata } from './variables.js';

export interface EventInput {
  teamId: string;
  type: EventType;
  project: string;
  collection: string;
  modelId?: string | null;
  artifactVersionId?: string | null;
  versionIndex?: number | null;
  alias?: string | null;
  author: string;
  metadata?: Record<string, unknown>;
  details?: Record<string, unknown>;
  /** Runs of automations triggered by AUTOMATION_FAILED never emit AUTOMATION_FAILED themselves (no loops). */
  suppressFailureEvents?: boolean;
}

function insertEvent(qc: QueryCreator<Database>, p: Event) {
  return qc.insertInto('events').values({
    id: p.id,
    team_id: p.team_id,
    type: p.type,
    project: p.project,
    collection: p.collection,
    model_id: p.model_id,
    artifact_version_id: p.artifact_version_id,
    version_index: p.version_index,
    alias: p.alias,
    author: p.author,
    metadata: p.metadata,
    details: p.details,
    created_at: p.created_at,
  });
}

/**
 * Writes of the change that raised an event, made together with the event: on PostgreSQL in the event's own statement
 * (data-modifying CTEs, see writesThenSelect), so a change, its event and the automations it triggers cost one round
 * trip. `key` names the writes' shape (one prepared statement per key); the writes must not read each other's rows.
 */
export interface EventChange {
  key: string;
  writes: Array<(qc: QueryCreator<Database>, params: any) => InsertQueryBuilder<Database, any, any>>;
  params: object[];
}

/**
 * The event row and the automations it triggers (after the writes of the change, if given): one statement on
 * PostgreSQL (see writesThenSelect) — at 1,000 events/s one statement less per event is a sixth of the statements
 * PostgreSQL runs for them. One prepared query per scope and change: a parameter only ever stands for a value.
 */
const statements = new Map<string, Record<MatchScope, WritesThenSelect<MatchParams, AutomationMatch>>>();

function statementsFor(change: EventChange | undefined): Record<MatchScope, WritesThenSelect<MatchParams, AutomationMatch>> {
  const key = change?.key ?? '';
  let found = statements.get(key);
  if (!found) {
    const writes = [...(change?.writes ?? []), insertEvent];
    const inScope = (scope: MatchScope) => writesThenSelect(writes, <DB extends Database>(qc: QueryCreator<DB>, p: MatchParams) => matchQuery(qc, p, scope));
    statements.set(key, (found = { model: inScope('model'), registry: inScope('registry') }));
  }
  return found;
}

async function insertEventAndMatch(tx: Tx, event: Event, change?: EventChange): Promise<AutomationMatch[]> {
  const query = statementsFor(change)[event.model_id === null ? 'registry' : 'model'];
  // modelId is not part of the registry-wide query; any string stands in for it.
  return query.rows(tx, [...(change?.params ?? []), event], { teamId: event.team_id, type: event.type, modelId: event.model_id ?? '' });
}

/** `config`: what the event's queue jobs need (their max attempts). */
export async function recordEvent(tx: Tx, after: AfterCommit, input: EventInput, config: Pick<Config, 'jobMaxAttempts'>, change?: EventChange): Promise<Event> {
  const event = newEvent(input);
  await createActionRuns(tx, after, event, await insertEventAndMatch(tx, event, change), config);
  eventsCounter.inc({ type: event.type });
  return event;
}

/** The row of an event about to be recorded (recordEvent, or written by a gated change: src/registry/alias-move.ts). */
export function newEvent(input: EventInput): Event {
  return {
    id: newId(),
    team_id: input.teamId,
    type: input.type,
    project: input.project,
    collection: input.collection,
    model_id: input.modelId ?? null,
    artifact_version_id: input.artifactVersionId ?? null,
    version_index: input.versionIndex ?? null,
    alias: input.alias ?? null,
    author: input.author,
    metadata: JSON.stringify(input.metadata ?? {}),
    details: JSON.stringify(input.details ?? {}),
    created_at: Date.now(),
  };
}

/** A webhook disabled for failing too long (core/endpoint-health.ts), as WEBHOOK_DISABLED describes it. */
export interface DisabledWebhook {
  id: string;
  team_id: string;
  name: string;
  reason: string;
  failingSince: number;
  consecutiveFailures: number;
}

/**
 * Raises WEBHOOK_DISABLED (in the transaction that disabled the webhook), so an automation can tell an admin. Not about
 * a model: only automations without a model scope match it.
 */
export async function recordWebhookDisabled(tx: Tx, after: AfterCommit, config: Pick<Config, 'jobMaxAttempts'>, webhook: DisabledWebhook): Promise<void> {
  await recordEvent(tx, after, {
    teamId: webhook.team_id,
    type: 'WEBHOOK_DISABLED',
    project: REGISTRY_PROJECT,
    collection: '',
    author: 'modelyard',
    details: {
      webhookId: webhook.id,
      webhookName: webhook.name,
      reason: webhook.reason,
      failingSince: new Date(webhook.failingSince).toISOString(),
      consecutiveFailures: webhook.consecutiveFailures,
    },
  }, config);
}

/** The run that failed for good, as AUTOMATION_FAILED describes it. */
export interface FailedRun {
  id: string;
  team_id: string;
  event_id: string;
  automation_id: string;
  automation_name: string;
}

/**
 * Raises AUTOMATION_FAILED for a run that failed for good (in the transaction that failed it), on the project,
 * collection, model, version and alias of the event that triggered the run — so automations can notify someone, and
 * ${artifact_version_string} names what the failed run was for (`…/classifier:v3`, `…/classifier:production`) as it
 * did for that event; the triggering event's metadata comes along for ${artifact_metadata.KEY}. `extra` adds details
 * (e.g. how many runs of the automation failed with it).
 */
export async function recordAutomationFailed(
  tx: Tx,
  after: AfterCommit,
  config: Pick<Config, 'jobMaxAttempts'>,
  run: FailedRun,
  failure: { error: string | null; status: number | null },
  extra: Record<string, unknown> = {},
): Promise<void> {
  const event = await tx
    .selectFrom('events')
    .select(['type', 'project', 'collection', 'model_id', 'artifact_version_id', 'version_index', 'alias', 'metadata'])
    .where('id', '=', run.event_id)
    .executeTakeFirst();
  await recordEvent(tx, after, {
    teamId: run.team_id,
    type: 'AUTOMATION_FAILED',
    project: event?.project ?? REGISTRY_PROJECT,
    collection: event?.collection ?? '',
    modelId: event?.model_id ?? null,
    artifactVersionId: event?.artifact_version_id ?? null,
    versionIndex: event?.version_index ?? null,
    alias: event?.alias ?? null,
    author: 'modelyard',
    metadata: event ? eventMetadata(event) : {},
    details: {
      runId: run.id,
      automationId: run.automation_id,
      automationName: run.automation_name,
      eventId: run.event_id,
      eventType: event?.type ?? null,
      error: failure.error,
      status: failure.status,
      ...extra,
    },
    suppressFailureEvents: true,
  }, config);
}
