// The event log: every registry change writes its event row in the change's own transaction (transactional outbox),
// and the automations matching that event get their action runs in the same transaction — a committed change never
// loses its event, and an event never loses its runs.
import type { Db, Tx } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';
import type { Database, Event, EventType } from '../db/schema.js';
import { PostgresAdapter, type QueryCreator } from 'kysely';
import { newId } from '../core/ids.js';
import { prepared } from '../db/prepared.js';
import { createActionRuns, matchQuery, type AutomationMatch, type MatchParams, type MatchScope } from '../automations/dispatch.js';
import { eventsCounter } from '../api/metrics.js';
import { REGISTRY_PROJECT } from '../core/names.js';

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

function insertEvent<DB extends Database>(qc: QueryCreator<DB>, p: Event) {
  return (qc as unknown as QueryCreator<Database>).insertInto('events').values({
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
 * The event row and the automations it triggers, in one round trip on PostgreSQL: the insert is a data-modifying CTE
 * of the match query (it runs whether or not the select refers to it). At 1,000 events/s one statement less per event
 * is a sixth of the statements PostgreSQL runs for them. SQLite has no data-modifying CTEs, and its statements run
 * in-process, where two cost no more than one. One prepared query per scope: a parameter only ever stands for a value.
 */
function insertAndMatch(scope: MatchScope) {
  return {
    postgres: prepared((db, p: Event & MatchParams) => matchQuery(db.with('new_event', (qc) => insertEvent(qc, p)), p, scope)),
    sqlite: prepared((db, p: MatchParams) => matchQuery(db, p, scope)),
  };
}
const matchIn = { model: insertAndMatch('model'), registry: insertAndMatch('registry') };
const insertEventOnly = prepared((db, p: Event) => insertEvent(db, p));

async function insertEventAndMatch(tx: Tx, event: Event): Promise<AutomationMatch[]> {
  const queries = event.model_id === null ? matchIn.registry : matchIn.model;
  // modelId is not part of the registry-wide query; any string stands in for it.
  const match: MatchParams = { teamId: event.team_id, type: event.type, modelId: event.model_id ?? '' };
  if (tx.getExecutor().adapter instanceof PostgresAdapter) return queries.postgres.rows(tx, { ...event, ...match });
  await insertEventOnly.run(tx, event);
  return queries.sqlite.rows(tx, match);
}

export async function recordEvent(tx: Tx, after: AfterCommit, input: EventInput): Promise<Event> {
  const event: Event = {
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
  await createActionRuns(tx, after, event, await insertEventAndMatch(tx, event));
  eventsCounter.inc({ type: event.type });
  return event;
}

export interface EventView {
  id: string;
  type: EventType;
  project: string;
  collection: string;
  versionIndex: number | null;
  version: string | null;
  alias: string | null;
  author: string;
  artifactVersionId: string | null;
  metadata: Record<string, unknown>;
  details: Record<string, unknown>;
  createdAt: string;
}

export function eventView(event: Event): EventView {
  return {
    id: event.id,
    type: event.type,
    project: event.project,
    collection: event.collection,
    versionIndex: event.version_index,
    version: event.version_index === null ? null : `v${event.version_index}`,
    alias: event.alias,
    author: event.author,
    artifactVersionId: event.artifact_version_id,
    metadata: JSON.parse(event.metadata) as Record<string, unknown>,
    details: JSON.parse(event.details) as Record<string, unknown>,
    createdAt: new Date(event.created_at).toISOString(),
  };
}

/**
 * The team's events newest first (ids are UUIDv7, so id order is time order), `limit + 1` rows older than
 * `beforeId`. `model` filters by registered-model name, which keeps a deleted model's history findable.
 */
export async function listEvents(
  db: Db,
  teamId: string,
  options: { limit: number; beforeId?: string; type?: EventType; model?: string },
): Promise<Event[]> {
  let query = db.selectFrom('events').selectAll().where('team_id', '=', teamId).orderBy('id', 'desc').limit(options.limit + 1);
  if (options.beforeId !== undefined) query = query.where('id', '<', options.beforeId);
  if (options.type !== undefined) query = query.where('type', '=', options.type);
  if (options.model !== undefined) query = query.where('project', '=', REGISTRY_PROJECT).where('collection', '=', options.model);
  return query.execute();
}

export const EVENT_TYPES = [
  'LINK_ARTIFACT',
  'UNLINK_ARTIFACT',
  'ADD_ARTIFACT_ALIAS',
  'REMOVE_ARTIFACT_ALIAS',
  'CREATE_ARTIFACT',
  'AUTOMATION_FAILED',
] as const satisfies readonly EventType[];
// Fails to compile when EventType gains a member this list lacks.
const everyEventTypeListed: Record<Exclude<EventType, (typeof EVENT_TYPES)[number]>, never> = {};
void everyEventTypeListed;
