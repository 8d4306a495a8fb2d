// The event catalog: the written contract for receivers — every event type, what it means, which template variables
// it fills (and which it leaves empty), and a JSON Schema of those variables. Derived from the sources the server
// renders payloads with (TEMPLATE_VARIABLES in core/templates.ts for the names and meanings, eventVariables in
// ./variables.ts for the values), so the catalog cannot describe an event differently from how it is delivered: a test
// renders each type's sample through eventVariables and validates it against the type's schema.
//
// Versioning: EVENT_SCHEMA_VERSION rises only when a field is removed or changes meaning. New event types and new
// variables are added without a new version, which is why receivers must ignore what they do not know.
import type { EventType } from '../db/schema.js';
import { METADATA_PREFIX, TEMPLATE_VARIABLES, type TemplateValues } from '../core/templates.js';
import { AUTOMATION_EVENT_TYPES } from './automations.js';
import { eventVariables, withAutomationName, type VariableSource } from './variables.js';
import { hasSubject } from '../core/delivery-order.js';

export const EVENT_SCHEMA_VERSION = 1 as const;

export const RECEIVER_RULE =
  'Ignore fields you do not know and event types you do not know: both are added without raising schemaVersion. ' +
  'schemaVersion rises only when a field is removed or changes meaning. Deduplicate on the webhook-id header (stable across retries and redeliveries).';

/** The variables every event fills with a non-empty value. */
const ALWAYS_SET = ['event_type', 'event_author', 'project_name', 'entity_name', 'automation_name', 'event_id', 'timestamp'] as const;

interface EventTypeSpec {
  description: string;
  /** Variables this type fills besides ALWAYS_SET; the others are always "" for it. */
  sets: readonly string[];
  /** Variables this type fills for some events and leaves "" for others (e.g. the alias of AUTOMATION_FAILED). */
  maySet?: readonly string[];
  /** A realistic event of the type (team "acme"), for the catalog and for webhook tests with an eventType. */
  sample: Omit<VariableSource, 'id' | 'type' | 'created_at'> & { metadata: Record<string, unknown> };
}

const VERSION_VARIABLES = ['artifact_version', 'artifact_version_string', 'artifact_collection_name', 'artifact_version_index'] as const;
const SAMPLE_METADATA = { accuracy: 0.943, framework: 'pytorch', dataset: 'imagenet-2026-10' };
const registrySample = { project: 'model-registry', collection: 'image-classifier', artifact_version_id: '0190f3a2-7c1e-7d2a-9b1f-3c5d7e9a1b2c', version_index: 7, author: 'alice' };

/** One entry per event type: a type the server can raise without an entry here does not compile. */
const SPECS: Record<EventType, EventTypeSpec> = {
  LINK_ARTIFACT: {
    description: 'A new version was linked to a registered model ("a new version is added").',
    sets: [...VERSION_VARIABLES, 'sequence'],
    sample: { ...registrySample, alias: null, metadata: SAMPLE_METADATA },
  },
  UNLINK_ARTIFACT: {
    description: 'A version was unlinked from a registered model.',
    sets: [...VERSION_VARIABLES, 'sequence'],
    sample: { ...registrySample, version_index: 4, alias: null, metadata: SAMPLE_METADATA },
  },
  ADD_ARTIFACT_ALIAS: {
    description:
      'An alias (e.g. production) was added to, or moved onto, a version of a registered model — directly, by an applied promotion or by a rollback. previous_version names the version that held it before ("" when none).',
    sets: [...VERSION_VARIABLES, 'alias', 'sequence'],
    maySet: ['previous_version'],
    sample: { ...registrySample, alias: 'production', metadata: SAMPLE_METADATA, details: JSON.stringify({ previousVersion: 'v6', reason: 'set' }) },
  },
  REMOVE_ARTIFACT_ALIAS: {
    description: 'An alias was removed from a version of a registered model; previous_version names that version.',
    sets: [...VERSION_VARIABLES, 'alias', 'sequence'],
    maySet: ['previous_version'],
    sample: { ...registrySample, alias: 'staging', metadata: SAMPLE_METADATA, details: JSON.stringify({ previousVersion: 'v7', reason: 'removed' }) },
  },
  CREATE_ARTIFACT: {
    description: 'A new artifact version was logged in a project (outside the registry).',
    sets: VERSION_VARIABLES,
    sample: { ...registrySample, project: 'training', collection: 'resnet50-run-42', version_index: 0, alias: null, metadata: SAMPLE_METADATA },
  },
  AUTOMATION_FAILED: {
    description:
      'A delivery ran out of retries (or was cancelled). Carries the model, version and alias of the event whose run failed; runs it triggers never raise AUTOMATION_FAILED themselves.',
    sets: ['artifact_collection_name', 'artifact_version_string'],
    maySet: ['artifact_version', 'artifact_version_index', 'alias'],
    sample: { ...registrySample, alias: 'production', author: 'modelyard', metadata: SAMPLE_METADATA },
  },
  PROMOTION_REQUESTED: {
    description: 'A promotion of a version to an alias was requested (docs/promotion.md); promotion_url opens it when MODELYARD_PUBLIC_URL is set.',
    sets: [...VERSION_VARIABLES, 'alias', 'promotion_id'],
    maySet: ['promotion_url', 'comment'],
    sample: { ...registrySample, alias: 'production', metadata: SAMPLE_METADATA, details: JSON.stringify({ promotionId: '0190f3a2-9e5c-7f22-b3d4-6a7b8c9d0e1f', comment: 'eval passed on the holdout set' }) },
  },
  PROMOTION_APPROVED: {
    description: 'A promotion got its last approval with every required check succeeded, and the alias moved (an ADD_ARTIFACT_ALIAS follows).',
    sets: [...VERSION_VARIABLES, 'alias', 'promotion_id'],
    maySet: ['promotion_url', 'comment'],
    sample: { ...registrySample, alias: 'production', author: 'bob', metadata: SAMPLE_METADATA, details: JSON.stringify({ promotionId: '0190f3a2-9e5c-7f22-b3d4-6a7b8c9d0e1f', comment: 'approved' }) },
  },
  PROMOTION_REJECTED: {
    description: 'A promotion request was rejected; the alias did not move.',
    sets: [...VERSION_VARIABLES, 'alias', 'promotion_id'],
    maySet: ['promotion_url', 'comment'],
    sample: { ...registrySample, alias: 'production', author: 'bob', metadata: SAMPLE_METADATA, details: JSON.stringify({ promotionId: '0190f3a2-9e5c-7f22-b3d4-6a7b8c9d0e1f', comment: 'accuracy regressed on segment B' }) },
  },
  CHECK_COMPLETED: {
    description: 'A check on a version (e.g. eval) reached success or failure.',
    sets: [...VERSION_VARIABLES, 'check_name', 'check_state'],
    sample: { ...registrySample, author: 'ci-bot', alias: null, metadata: SAMPLE_METADATA, details: JSON.stringify({ checkName: 'eval', checkState: 'success' }) },
  },
  WEBHOOK_DISABLED: {
    description:
      'A webhook was disabled because its endpoint kept failing for longer than its disableAfterSeconds (see Delivery controls). ' +
      'The event log shows which webhook and why (details.webhookName, details.reason); POST …/webhooks/{id}/recover re-enables it.',
    sets: [],
    sample: { project: 'model-registry', collection: '', artifact_version_id: null, version_index: null, alias: null, author: 'modelyard', metadata: {} },
  },
};

export interface CatalogVariable {
  name: string;
  description: string;
  /** `always`: never empty for this type; `sometimes`: empty for some events; `never`: always "" for this type. */
  filled: 'always' | 'sometimes' | 'never';
}

export interface EventTypeEntry {
  type: EventType;
  description: string;
  /** Whether an automation can be triggered by this type. */
  automatable: boolean;
  variables: CatalogVariable[];
  /** JSON Schema (2020-12) of the template variables of an event of this type. */
  schema: Record<string, unknown>;
  /** The variables of a realistic event of this type, with the metadata `${artifact_metadata.KEY}` reads. */
  sample: Record<string, unknown>;
}

const EVENT_VARIABLES = TEMPLATE_VARIABLES.filter((v) => !v.name.startsWith(METADATA_PREFIX));
const METADATA_VARIABLE = TEMPLATE_VARIABLES.find((v) => v.name.startsWith(METADATA_PREFIX))!;

function filledFor(spec: EventTypeSpec, name: string): CatalogVariable['filled'] {
  if ((ALWAYS_SET as readonly string[]).includes(name) || spec.sets.includes(name)) return 'always';
  return spec.maySet?.includes(name) ? 'sometimes' : 'never';
}

function schemaOf(type: EventType, variables: CatalogVariable[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const v of variables) {
    const property: Record<string, unknown> = { type: 'string', description: v.description };
    if (v.name === 'event_type') property.const = type;
    else if (v.filled === 'always') property.minLength = 1;
    else if (v.filled === 'never') property.const = '';
    if (v.name === 'timestamp') property.format = 'date-time';
    properties[v.name] = property;
  }
  properties.artifact_metadata = {
    type: 'object',
    description: `${METADATA_VARIABLE.description} Used as \${artifact_metadata.KEY}.`,
    additionalProperties: true,
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `modelyard:event-types/${type}/v${EVENT_SCHEMA_VERSION}`,
    title: type,
    type: 'object',
    properties,
    required: variables.map((v) => v.name),
    // The receiver rule: fields added later must not break a receiver validating against this schema.
    additionalProperties: true,
  };
}

/** A realistic event of `type` as its variables' source (and its metadata), at `now`. */
export function catalogSample(type: EventType, now = Date.now()): { event: VariableSource; metadata: Record<string, unknown> } {
  const { metadata, ...rest } = SPECS[type].sample;
  return { event: { ...rest, id: '0190f3a2-8d4b-7e11-a2c3-5f6a7b8c9d0e', type, created_at: now }, metadata };
}

/** The variables of a realistic event of `type`, as a template is rendered with them (automation name included). */
export function catalogSampleVariables(type: EventType, teamName: string, automationName: string, now = Date.now()): { values: TemplateValues; metadata: Record<string, unknown> } {
  const { event, metadata } = catalogSample(type, now);
  const values = withAutomationName(eventVariables(teamName, event), automationName);
  // ${sequence} counts per automation and subject (core/delivery-order.ts): a sample is the subject's first delivery.
  return { values: hasSubject(type) ? { ...values, sequence: '1' } : values, metadata };
}

let catalog: EventTypeEntry[] | undefined;

/** Every event type, in a fixed order; computed once (it depends on nothing but the code). */
export function eventCatalog(): EventTypeEntry[] {
  catalog ??= (Object.keys(SPECS) as EventType[]).map((type) => {
    const spec = SPECS[type];
    const variables = EVENT_VARIABLES.map((v) => ({ name: v.name, description: v.description, filled: filledFor(spec, v.name) }));
    const { values, metadata } = catalogSampleVariables(type, 'acme', 'deploy-on-production', Date.parse('2026-11-26T12:34:56.789Z'));
    return {
      type,
      description: spec.description,
      automatable: (AUTOMATION_EVENT_TYPES as readonly string[]).includes(type),
      variables,
      schema: schemaOf(type, variables),
      sample: { ...values, artifact_metadata: metadata },
    };
  });
  return catalog;
}
