// The event log: every registry change writes its event row in the change's own transaction (transactional outbox),
// and the automations matching that event get their action runs in the same transaction — a committed change never
// loses its event, and an event never loses its runs.
import type { Tx } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';
import type { Event, EventType } from '../db/schema.js';
import { newId } from '../core/ids.js';
import { createActionRuns } from '../automations/dispatch.js';
import { eventsCounter } from '../api/metrics.js';

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
  await tx.insertInto('events').values(event).execute();
  await createActionRuns(tx, after, event);
  eventsCounter.inc({ type: event.type });
  return event;
}
