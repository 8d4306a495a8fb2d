// The event log as read back: the team's events newest first, and their API view. Events are recorded (with the
// action runs they trigger, in the change's own transaction) by recordEvent in src/automations/events.ts.
import type { Db } from '../db/index.js';
import type { Event, EventType } from '../db/schema.js';
import { REGISTRY_PROJECT } from '../core/names.js';

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
  'PROMOTION_REQUESTED',
  'PROMOTION_APPROVED',
  'PROMOTION_REJECTED',
  'CHECK_COMPLETED',
  'WEBHOOK_DISABLED',
] as const satisfies readonly EventType[];
// Fails to compile when EventType gains a member this list lacks.
const everyEventTypeListed: Record<Exclude<EventType, (typeof EVENT_TYPES)[number]>, never> = {};
void everyEventTypeListed;
