// Preview: what an automation would send, rendered exactly as dispatch renders it (phase 1), without saving or
// sending anything. Secrets stay as their `${NAME}` placeholders: a preview never contains a secret value.
import type { Db } from '../db/index.js';
import { notFound } from '../core/errors.js';
import { renderTemplate, TemplateError, type TemplateProblem } from '../core/templates.js';
import { aliasMatches } from './alias-pattern.js';
import { checkAction, resolveModelId, type ActionSpec, type EventSpec } from './automations.js';
import { eventMetadata, eventVariables, sampleEvent, withAutomationName, type VariableSource } from './variables.js';

export interface PreviewInput {
  name?: string;
  event: EventSpec;
  action: ActionSpec;
  sampleEventId?: string;
}

export interface PreviewResult {
  /** The rendered payload; null when the template is not valid JSON (see problems). */
  body: string | null;
  problems: TemplateProblem[];
  /** What the preview rendered against: a real event (its id), or a sample (from the model's latest version or made up). */
  source: { kind: 'event' | 'model_version' | 'generic'; eventId: string | null; description: string };
}

interface Source {
  variables: VariableSource;
  metadata: Record<string, unknown>;
  kind: PreviewResult['source']['kind'];
  description: string;
}

async function latestVersionSample(db: Db, teamId: string, modelName: string, spec: EventSpec): Promise<Source | undefined> {
  const modelId = await resolveModelId(db, teamId, modelName, 'event.model');
  const version = await db
    .selectFrom('model_versions as mv')
    .innerJoin('artifact_versions as av', 'av.id', 'mv.artifact_version_id')
    .select(['mv.id', 'mv.index', 'mv.artifact_version_id', 'mv.created_by', 'av.metadata'])
    .where('mv.model_id', '=', modelId)
    .orderBy('mv.index', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!version) return undefined;
  const author = await db.selectFrom('users').select('name').where('id', '=', version.created_by).executeTakeFirst();
  const sample = sampleEvent(spec.type);
  let alias = sample.alias;
  if (alias !== null) {
    const held = await db.selectFrom('model_aliases').select('alias').where('model_version_id', '=', version.id).orderBy('alias').execute();
    alias = previewAlias(spec.aliasPattern, held.map((a) => a.alias).filter((a) => a !== 'latest'), alias);
  }
  return {
    variables: {
      ...sample,
      collection: modelName,
      artifact_version_id: version.artifact_version_id,
      version_index: version.index,
      alias,
      author: author?.name ?? sample.author,
    },
    metadata: eventMetadata(version),
    kind: 'model_version',
    description: `a sample ${spec.type} event on ${modelName}:v${version.index}, the model's latest version`,
  };
}

/**
 * The alias a preview shows: one the version holds that the automation's pattern matches, else the name a literal
 * pattern such as ^production$ spells, else one the version holds, else the sample's. A preview with an alias the
 * automation would never fire for would mislead.
 */
function previewAlias(pattern: string | null, held: string[], fallback: string): string {
  const matching = held.find((alias) => aliasMatches(pattern, alias));
  if (matching) return matching;
  const literal = pattern === null ? undefined : /^\^?([A-Za-z0-9_-]+(?:\\?\.[A-Za-z0-9_-]+)*)\$?$/.exec(pattern)?.[1]?.replaceAll('\\.', '.');
  if (literal && aliasMatches(pattern, literal)) return literal;
  if (pattern === null && held[0]) return held[0];
  return aliasMatches(pattern, fallback) ? fallback : (held[0] ?? fallback);
}

async function previewSource(db: Db, teamId: string, input: PreviewInput): Promise<Source> {
  if (input.sampleEventId !== undefined) {
    const event = await db.selectFrom('events').selectAll().where('team_id', '=', teamId).where('id', '=', input.sampleEventId).executeTakeFirst();
    if (!event) throw notFound(`event ${input.sampleEventId}`);
    return { variables: event, metadata: eventMetadata(event), kind: 'event', description: `event ${event.id} (${event.type})` };
  }
  if (input.event.model !== null) {
    const fromModel = await latestVersionSample(db, teamId, input.event.model, input.event);
    if (fromModel) return fromModel;
  }
  const sample = sampleEvent(input.event.type);
  const variables = sample.alias === null ? sample : { ...sample, alias: previewAlias(input.event.aliasPattern, [], sample.alias) };
  return { variables, metadata: {}, kind: 'generic', description: `a made-up ${input.event.type} event` };
}

export async function previewAutomation(db: Db, team: { id: string; name: string }, input: PreviewInput): Promise<PreviewResult> {
  // An unknown webhook or queue is a 400, as on save; template problems are shown, not refused.
  const checked = await checkAction(db, team, input.action);
  const source = await previewSource(db, team.id, input);
  const sourceView = {
    kind: source.kind,
    eventId: source.kind === 'event' ? source.variables.id : null,
    description: source.description,
  };
  if (checked.action_type === 'no_op') return { body: '', problems: [], source: sourceView };
  const variables = withAutomationName(eventVariables(team.name, source.variables), input.name ?? 'preview');
  let body: string | null;
  try {
    body = renderTemplate(checked.template, variables, source.metadata);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    body = null;
  }
  return { body, problems: checked.problems, source: sourceView };
}
