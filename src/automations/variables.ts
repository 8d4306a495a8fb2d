// The values of a payload template's event variables (see TEMPLATE_VARIABLES in core/templates.ts), built from an
// event row. Pure: dispatch calls it once per event (plus the automation's name), preview calls it with a sample.
import type { Event } from '../db/schema.js';
import type { TemplateValues } from '../core/templates.js';

export const ARTIFACT_URI_PREFIX = 'modelyard-artifact://_id/';

/** The subset of an event row the variables come from. */
export type VariableSource = Pick<
  Event,
  'id' | 'type' | 'project' | 'collection' | 'artifact_version_id' | 'version_index' | 'alias' | 'author' | 'created_at'
> & { details?: string };

/** Event types whose event names an alias (the alias filter of an automation applies to them). */
export const ALIAS_EVENT_TYPES: ReadonlySet<Event['type']> = new Set([
  'ADD_ARTIFACT_ALIAS',
  'REMOVE_ARTIFACT_ALIAS',
  'PROMOTION_REQUESTED',
  'PROMOTION_APPROVED',
  'PROMOTION_REJECTED',
]);

/**
 * What the registry puts in an event's `details` for the variables below: alias events carry `previousVersion`
 * ("v2", or absent when the alias was new), promotion events `promotionId`, `promotionUrl` (with MODELYARD_PUBLIC_URL)
 * and `comment`, CHECK_COMPLETED `checkName` and `checkState`.
 */
function detailsOf(event: VariableSource): Record<string, unknown> {
  if (event.details === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(event.details);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * `<team>/<project>/<collection>:<v<index> or alias>`. Alias events name the alias (what moved); every other event
 * names the version. AUTOMATION_FAILED carries the version and alias of the event whose run failed (events.ts), so it
 * names what that event named: the alias when it has one (only alias events do), else the version. Events without a
 * version give the collection path alone, or "" without a collection.
 */
export function artifactVersionString(teamName: string, event: VariableSource): string {
  if (event.collection === '') return '';
  const base = `${teamName}/${event.project}/${event.collection}`;
  if (event.type === 'ADD_ARTIFACT_ALIAS' || event.type === 'REMOVE_ARTIFACT_ALIAS') {
    return event.alias ? `${base}:${event.alias}` : base;
  }
  if (event.type === 'AUTOMATION_FAILED' && event.alias) return `${base}:${event.alias}`;
  return event.version_index === null ? base : `${base}:v${event.version_index}`;
}

/** Every event variable except `automation_name` (the same for all automations an event matches). */
export function eventVariables(teamName: string, event: VariableSource): TemplateValues {
  const details = detailsOf(event);
  return {
    event_type: event.type,
    event_author: event.author,
    artifact_version: event.artifact_version_id ? `${ARTIFACT_URI_PREFIX}${event.artifact_version_id}` : '',
    artifact_version_string: artifactVersionString(teamName, event),
    artifact_collection_name: event.collection,
    project_name: event.project,
    entity_name: teamName,
    alias: event.alias ?? '',
    artifact_version_index: event.version_index === null ? '' : String(event.version_index),
    event_id: event.id,
    timestamp: new Date(event.created_at).toISOString(),
    automation_name: '',
    previous_version: text(details.previousVersion),
    promotion_id: text(details.promotionId),
    promotion_url: text(details.promotionUrl),
    comment: text(details.comment),
    check_name: text(details.checkName),
    check_state: text(details.checkState),
    // Per automation and subject: dispatch fills it for the automations that use it (core/delivery-order.ts).
    sequence: '',
  };
}

export function withAutomationName(variables: TemplateValues, automationName: string): TemplateValues {
  return { ...variables, automation_name: automationName };
}

/** The event's metadata column (a JSON object), or {} when it is not an object. */
export function eventMetadata(event: Pick<Event, 'metadata'>): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(event.metadata);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A made-up event of `type`, for previews and webhook tests when there is no real event to render against. */
export function sampleEvent(type: Event['type'] = 'LINK_ARTIFACT', now = Date.now()): VariableSource {
  return {
    id: '00000000-0000-7000-8000-000000000000',
    type,
    project: type === 'CREATE_ARTIFACT' ? 'example-project' : 'model-registry',
    collection: 'example-model',
    artifact_version_id: '00000000-0000-7000-8000-000000000001',
    version_index: 0,
    alias: ALIAS_EVENT_TYPES.has(type) ? 'production' : null,
    author: 'example-user',
    created_at: now,
    details: JSON.stringify(sampleDetails(type)),
  };
}

function sampleDetails(type: Event['type']): Record<string, unknown> {
  if (type === 'ADD_ARTIFACT_ALIAS' || type === 'REMOVE_ARTIFACT_ALIAS') return { previousVersion: 'v0' };
  if (type.startsWith('PROMOTION_')) {
    return { promotionId: '00000000-0000-7000-8000-000000000002', comment: 'evaluated on the holdout set' };
  }
  if (type === 'CHECK_COMPLETED') return { checkName: 'eval', checkState: 'success' };
  return {};
}

export function sampleVariables(teamName: string, type: Event['type'] = 'LINK_ARTIFACT'): TemplateValues {
  return eventVariables(teamName, sampleEvent(type));
}
