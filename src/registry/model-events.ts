// The events of a registered model's versions (LINK_ARTIFACT, aliases, promotions, checks), recorded in the
// transaction of the change that raised them.
import type { Config } from '../config.js';
import type { Tx } from '../db/index.js';
import type { EventType } from '../db/schema.js';
import type { AfterCommit } from '../db/transaction.js';
import { recordEvent, type EventChange, type EventInput } from '../automations/events.js';
import { REGISTRY_PROJECT } from '../core/names.js';

export interface EventSubject {
  model: { id: string; name: string };
  versionIndex: number;
  artifactVersionId: string;
  metadata: Record<string, unknown>;
}

export interface EventOrigin {
  teamId: string;
  /** The user's name, or `modelyard` for changes the server makes by itself (a job's check). */
  author: string;
}

export function recordModelEvent(
  tx: Tx,
  after: AfterCommit,
  config: Pick<Config, 'jobMaxAttempts'>,
  origin: EventOrigin,
  type: EventType,
  subject: EventSubject,
  alias: string | null = null,
  details: Record<string, unknown> = {},
  change?: EventChange,
) {
  return recordEvent(tx, after, modelEventInput(origin, type, subject, alias, details), config, change);
}

/** The event of a change to a model's versions or aliases, as recordEvent (or a gated change) takes it. */
export function modelEventInput(origin: EventOrigin, type: EventType, subject: EventSubject, alias: string | null, details: Record<string, unknown>): EventInput {
  return {
    teamId: origin.teamId,
    type,
    project: REGISTRY_PROJECT,
    collection: subject.model.name,
    modelId: subject.model.id,
    artifactVersionId: subject.artifactVersionId,
    versionIndex: subject.versionIndex,
    alias,
    author: origin.author,
    metadata: subject.metadata,
    details,
  };
}
