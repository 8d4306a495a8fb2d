// The model registry: registered models, their versions (each a link to an artifact version) and aliases.
//
// Every change to one model's versions or aliases starts by updating that model's row. On PostgreSQL this takes
// the row lock, so concurrent links and alias moves on the same model run one after the other (distinct indexes,
// an alias ends on exactly one version, and the "was it already there?" checks behind the events stay true);
// on SQLite, BEGIN IMMEDIATE already serializes writers. The unique constraints (model_id, index),
// (model_id, artifact_version_id) and the alias primary key (model_id, alias) back this up in the database itself.
import { sql, type Expression, type ExpressionBuilder } from 'kysely';
import type { Actor } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import type { Db, Tx } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';
import { inTransaction } from '../db/transaction.js';
import { prepared } from '../db/prepared.js';
import { jsonArrayOf, jsonColumn } from '../db/dialect.js';
import { conflict, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { checkName } from '../core/names.js';
import type { Database, NewModelVersion, TeamRole } from '../db/schema.js';
import { checkExplicitAlias, checkExplicitAliases, LATEST, parseSource, parseVersionRef, versionLabel } from './refs.js';
import { parseMetadata, resolveArtifactVersion } from './sources.js';
import { aliasesByVersion, iso, latestVersionLabel } from './collections.js';
import { aliasIndexAt, lastAliasChange, moveAlias, upsertAlias, type AliasChange } from './aliases.js';
import { enforceDirectChange, governanceOf, roleAllows } from './alias-policies.js';
import { recordModelEvent, type EventSubject } from './model-events.js';
import { AppError } from '../core/errors.js';

type Ctx = Pick<AppContext, 'db' | 'notifier' | 'config'>;

/**
 * Who changes an alias, with their role in the team: alias policies (alias-policies.ts) decide by it — the one place
 * a registry service looks at the role the route already checked.
 */
export type GovernedActor = Actor & { role: TeamRole };

export interface CheckView {
  name: string;
  state: 'pending' | 'success' | 'failure';
  summary: string;
  detailsUrl: string | null;
  updatedBy: string;
  updatedAt: string;
}

export interface ModelView {
  id: string;
  name: string;
  description: string;
  versionCount: number;
  latestVersion: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface ModelVersionView {
  id: string;
  version: string;
  index: number;
  aliases: string[];
  source: { project: string; artifact: string; version: string; index: number };
  artifactVersionId: string;
  metadata: Record<string, unknown>;
  /** The checks reported on this version (checks.ts), by name. */
  checks: CheckView[];
  createdBy: string;
  createdAt: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Registered models

export async function createModel(ctx: Ctx, actor: Actor, input: { name: string; description?: string }): Promise<ModelView> {
  checkName('name', input.name);
  const now = Date.now();
  const row = {
    id: newId(),
    team_id: actor.team.id,
    name: input.name,
    description: input.description ?? '',
    next_index: 0,
    created_by: actor.user.id,
    created_at: now,
    updated_at: now,
  };
  try {
    await inTransaction(ctx, async (tx) => {
      await tx.insertInto('registered_models').values(row).execute();
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`a registered model named "${input.name}" already exists in this team`);
    throw error;
  }
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    versionCount: 0,
    latestVersion: null,
    createdBy: actor.user.name,
    createdAt: iso(now),
    updatedAt: iso(now),
  };
}

function modelQuery(db: Db, teamId: string) {
  return db
    .selectFrom('registered_models as m')
    .leftJoin('users as u', 'u.id', 'm.created_by')
    .select((eb) => [
      'm.id',
      'm.name',
      'm.description',
      'm.created_at',
      'm.updated_at',
      'u.name as creator',
      eb
        .selectFrom('model_versions as mv')
        .whereRef('mv.model_id', '=', 'm.id')
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('version_count'),
      eb
        .selectFrom('model_aliases as ma')
        .innerJoin('model_versions as lv', 'lv.id', 'ma.model_version_id')
        .whereRef('ma.model_id', '=', 'm.id')
        .where('ma.alias', '=', LATEST)
        .select('lv.index')
        .as('latest_index'),
    ])
    .where('m.team_id', '=', teamId);
}

type ModelRow = Awaited<ReturnType<ReturnType<typeof modelQuery>['executeTakeFirstOrThrow']>>;

function modelView(row: ModelRow): ModelView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    versionCount: Number(row.version_count ?? 0),
    latestVersion: latestVersionLabel(row.latest_index),
    createdBy: row.creator ?? '',
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** Models by name, `limit + 1` rows after `afterName`; `search` matches a case-insensitive substring of the name. */
export async function listModels(
  db: Db,
  teamId: string,
  options: { limit: number; afterName?: string; search?: string },
): Promise<ModelView[]> {
  let query = modelQuery(db, teamId).orderBy('m.name').limit(options.limit + 1);
  if (options.afterName !== undefined) query = query.where('m.name', '>', options.afterName);
  if (options.search) {
    const pattern = `%${options.search.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
    query = query.where(sql<boolean>`lower(m.name) like ${pattern} escape '!'`);
  }
  return (await query.execute()).map(modelView);
}

/** A model by name: the registry's most frequent read (prepared: built and compiled once, planned once per connection). */
const modelByName = prepared((db, p: { teamId: string; name: string }) => modelQuery(db, p.teamId).where('m.name', '=', p.name));

export async function getModel(db: Db, teamId: string, name: string): Promise<ModelView> {
  const row = await modelByName.first(db, { teamId, name });
  if (!row) throw notFound(`registered model "${name}"`);
  return modelView(row);
}

export async function updateModel(ctx: Ctx, actor: Actor, name: string, input: { description?: string }): Promise<ModelView> {
  await inTransaction(ctx, async (tx) => {
    const now = Date.now();
    const result = await tx
      .updateTable('registered_models')
      .set((eb) => ({ updated_at: advancedStamp(eb, now), ...(input.description === undefined ? {} : { description: input.description }) }))
      .where('team_id', '=', actor.team.id)
      .where('name', '=', name)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound(`registered model "${name}"`);
  });
  return getModel(ctx.db, actor.team.id, name);
}

/**
 * Deletes the model with its versions and aliases, and the automations scoped to it (they could never match again).
 * Action runs already created carry everything they need and keep going.
 */
export async function deleteModel(ctx: Ctx, actor: Actor, name: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const model = await lockModel(tx, actor.team.id, name);
    await tx.deleteFrom('model_aliases').where('model_id', '=', model.id).execute();
    await tx.deleteFrom('model_alias_history').where('model_id', '=', model.id).execute();
    await tx
      .deleteFrom('promotion_votes')
      .where('promotion_id', 'in', tx.selectFrom('promotions').select('id').where('model_id', '=', model.id))
      .execute();
    await tx.deleteFrom('promotions').where('model_id', '=', model.id).execute();
    await tx.deleteFrom('model_version_checks').where('model_id', '=', model.id).execute();
    await tx.deleteFrom('alias_policies').where('model_id', '=', model.id).execute();
    await tx.deleteFrom('model_versions').where('model_id', '=', model.id).execute();
    await tx.deleteFrom('automations').where('model_id', '=', model.id).execute();
    await tx.deleteFrom('registered_models').where('id', '=', model.id).execute();
  });
}

/** A locked model, and whether any alias policy of its team could govern its aliases (see lockModel). */
export interface LockedModel {
  id: string;
  name: string;
  governed: boolean;
}

/**
 * Finds the model and takes its row lock for the rest of the transaction (see the top of this file). The same statement
 * says whether a policy of the team covers this model or the whole registry: a team without policies (most) does not
 * pay a policy lookup on every alias change (enforceDirectChange).
 */
export async function lockModel(tx: Tx, teamId: string, name: string): Promise<LockedModel> {
  const model = await lockModelQuery.first(tx, { teamId, name, now: Date.now() });
  if (!model) throw notFound(`registered model "${name}"`);
  return { id: model.id, name: model.name, governed: Boolean(model.governed) };
}

const lockModelQuery = prepared((db, p: { teamId: string; name: string; now: number }) =>
  db
    .updateTable('registered_models')
    .set((eb) => ({ updated_at: advancedStamp(eb, p.now) }))
    .where('team_id', '=', p.teamId)
    .where('name', '=', p.name)
    .returning((eb) => ['id', 'name', governedBy(eb, p.teamId, eb.ref('registered_models.id')).as('governed')]),
);

/**
 * A model row's updated_at is also its version stamp: every write of the row moves it forward, even two in one
 * millisecond or with the clock set back — to now, or one past the current stamp when that is not older. The
 * optimistic alias move (alias-move.ts) compares it with the one it read to learn whether anything changed the model
 * since; a stamp that came back to an earlier value would hide a change. nextStamp is the same rule in this process.
 */
function advancedStamp(eb: ExpressionBuilder<Database, 'registered_models'>, now: number) {
  return eb.case().when('updated_at', '>=', now).then(eb('updated_at', '+', 1)).else(now).end();
}

export function nextStamp(current: number, now: number): number {
  return now > current ? now : current + 1;
}

/** Whether any alias policy of the team covers the model (or the whole registry): a team without one pays no lookup. */
export function governedBy(eb: ExpressionBuilder<any, any>, teamId: string, modelId: Expression<string>) {
  return eb.exists(
    eb
      .selectFrom('alias_policies as ap')
      .select('ap.id')
      .where('ap.team_id', '=', teamId)
      .where((w) => w.or([w('ap.model_id', '=', modelId), w('ap.model_id', 'is', null)])),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Versions

export function versionQuery(db: Db, modelId: string | Expression<string>) {
  return db
    .selectFrom('model_versions as mv')
    .innerJoin('artifact_versions as av', 'av.id', 'mv.artifact_version_id')
    .innerJoin('artifacts as a', 'a.id', 'av.artifact_id')
    .innerJoin('projects as p', 'p.id', 'a.project_id')
    .leftJoin('users as u', 'u.id', 'mv.created_by')
    .select([
      'mv.id',
      'mv.index',
      'mv.artifact_version_id',
      'mv.created_at',
      'av.index as source_index',
      'av.metadata',
      'a.name as artifact',
      'p.name as project',
      'u.name as creator',
    ])
    .where('mv.model_id', '=', modelId);
}

export type VersionRow = Awaited<ReturnType<ReturnType<typeof versionQuery>['executeTakeFirstOrThrow']>>;

export function versionView(row: VersionRow, aliases: string[], checks: CheckView[] = []): ModelVersionView {
  return {
    id: row.id,
    version: versionLabel(row.index),
    index: row.index,
    aliases,
    source: { project: row.project, artifact: row.artifact, version: versionLabel(row.source_index), index: row.source_index },
    artifactVersionId: row.artifact_version_id,
    metadata: parseMetadata(row.metadata),
    checks,
    createdBy: row.creator ?? '',
    createdAt: iso(row.created_at),
  };
}

/** The checks of each version, by name. */
export async function checksOf(db: Db, versionIds: string[]): Promise<Map<string, CheckView[]>> {
  const byVersion = new Map<string, CheckView[]>();
  if (versionIds.length === 0) return byVersion;
  const rows = await db.selectFrom('model_version_checks').selectAll().where('model_version_id', 'in', versionIds).orderBy('name').execute();
  for (const row of rows) {
    const list = byVersion.get(row.model_version_id) ?? [];
    list.push({
      name: row.name,
      state: row.state,
      summary: row.summary,
      detailsUrl: row.details_url,
      updatedBy: row.updated_by,
      updatedAt: iso(Number(row.updated_at)),
    });
    byVersion.set(row.model_version_id, list);
  }
  return byVersion;
}

export async function aliasesOf(db: Db, versionIds: string[]): Promise<Map<string, string[]>> {
  if (versionIds.length === 0) return new Map();
  const rows = await db.selectFrom('model_aliases').select(['model_version_id as version_id', 'alias']).where('model_version_id', 'in', versionIds).execute();
  return aliasesByVersion(rows);
}

const modelIdQuery = prepared((db, p: { teamId: string; name: string }) =>
  db.selectFrom('registered_models').select('id').where('team_id', '=', p.teamId).where('name', '=', p.name),
);

export async function findModelId(db: Db, teamId: string, name: string): Promise<string> {
  const model = await modelIdQuery.first(db, { teamId, name });
  if (!model) throw notFound(`registered model "${name}"`);
  return model.id;
}

/** Versions newest first, `limit + 1` rows below index `beforeIndex`. */
export async function listModelVersions(
  db: Db,
  teamId: string,
  modelName: string,
  options: { limit: number; beforeIndex?: number },
): Promise<ModelVersionView[]> {
  const modelId = await findModelId(db, teamId, modelName);
  let query = versionQuery(db, modelId).orderBy('mv.index', 'desc').limit(options.limit + 1);
  if (options.beforeIndex !== undefined) query = query.where('mv.index', '<', options.beforeIndex);
  const rows = await query.execute();
  const ids = rows.map((r) => r.id);
  const [aliases, checks] = await Promise.all([aliasesOf(db, ids), checksOf(db, ids)]);
  return rows.map((row) => versionView(row, aliases.get(row.id) ?? [], checks.get(row.id) ?? []));
}

export async function findVersionRow(db: Db, modelId: string, modelName: string, ref: string, field = 'version'): Promise<VersionRow> {
  const row = await byRef(db, versionQuery(db, modelId), modelId, parseVersionRef(field, ref)).executeTakeFirst();
  if (!row) throw notFound(`version "${ref}" of registered model "${modelName}"`);
  return row;
}

/** Narrows a version query to the version `parsed` names: by its index, or by an alias it holds. */
function byRef<Q extends ReturnType<typeof versionQuery>>(db: Db, query: Q, modelId: string, parsed: ReturnType<typeof parseVersionRef>): Q {
  if (parsed.index !== undefined) return query.where('mv.index', '=', parsed.index) as Q;
  return query.where('mv.id', '=', (eb) =>
    eb.selectFrom('model_aliases as ma').select('ma.model_version_id').where('ma.model_id', '=', modelId).where('ma.alias', '=', parsed.alias),
  ) as Q;
}

/**
 * A version query with what the version's view shows — its aliases and checks — and the index of the version holding
 * the alias `holderOf` (setAlias: the alias about to move; '' for none), in one statement. Built on any executor:
 * jsonArrayOf picks the database's JSON aggregate.
 */
export function withView(db: Db, query: ReturnType<typeof versionQuery>, p: { modelId: string | Expression<string>; holderOf: string }) {
  return query.select((eb) => [
    jsonArrayOf(db, eb.selectFrom('model_aliases as va').select('va.alias').whereRef('va.model_version_id', '=', 'mv.id')).as('held'),
    jsonArrayOf(
      db,
      eb
        .selectFrom('model_version_checks as vc')
        .select(['vc.name', 'vc.state', 'vc.summary', 'vc.details_url', 'vc.updated_by', 'vc.updated_at'])
        .whereRef('vc.model_version_id', '=', 'mv.id'),
    ).as('check_rows'),
    eb
      .selectFrom('model_aliases as ha')
      .innerJoin('model_versions as hv', 'hv.id', 'ha.model_version_id')
      .select('hv.index')
      .where('ha.model_id', '=', p.modelId)
      .where('ha.alias', '=', p.holderOf)
      .as('holder_index'),
  ]);
}

type ViewRow = Awaited<ReturnType<ReturnType<typeof withView>['executeTakeFirstOrThrow']>>;

/** One prepared query per way of naming the version (by index, by alias); only values vary within each. */
const viewByIndex = prepared((db, p: { modelId: string; index: number; holderOf: string }) =>
  withView(db, versionQuery(db, p.modelId).where('mv.index', '=', p.index), p),
);
const viewByAlias = prepared((db, p: { modelId: string; alias: string; holderOf: string }) =>
  withView(
    db,
    versionQuery(db, p.modelId).where('mv.id', '=', (eb) =>
      eb.selectFrom('model_aliases as ma').select('ma.model_version_id').where('ma.model_id', '=', p.modelId).where('ma.alias', '=', p.alias),
    ),
    p,
  ),
);

/** The version `ref` names with what its view shows — its aliases and checks — read by one statement. */
async function versionWithView(db: Db, modelId: string, modelName: string, ref: string, holderOf: string | null = null) {
  const parsed = parseVersionRef('version', ref);
  const params = { modelId, holderOf: holderOf ?? '' };
  const row =
    parsed.index !== undefined
      ? await viewByIndex.first(db, { ...params, index: parsed.index })
      : await viewByAlias.first(db, { ...params, alias: parsed.alias });
  if (!row) throw notFound(`version "${ref}" of registered model "${modelName}"`);
  return viewOf(row, holderOf !== null);
}

/** A withView row as the version, its aliases (sorted), its checks (by name) and the holder's index (when asked). */
export function viewOf(row: ViewRow, withHolder = true) {
  const { held, check_rows, holder_index, ...version } = row;
  const checks = (jsonColumn(check_rows) ?? []).map((c) => ({
    name: c.name,
    state: c.state,
    summary: c.summary,
    detailsUrl: c.details_url,
    updatedBy: c.updated_by,
    updatedAt: iso(Number(c.updated_at)),
  }));
  checks.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const aliases = (jsonColumn(held) ?? []).map((a) => a.alias).sort();
  return { version, aliases, checks, holderIndex: !withHolder || holder_index === null ? null : Number(holder_index) };
}

export async function getModelVersion(db: Db, teamId: string, modelName: string, ref: string): Promise<ModelVersionView> {
  const modelId = await findModelId(db, teamId, modelName);
  const { version, aliases, checks } = await versionWithView(db, modelId, modelName, ref);
  return versionView(version, aliases, checks);
}

function registryEvent(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  actor: Actor,
  type: 'LINK_ARTIFACT' | 'UNLINK_ARTIFACT',
  subject: EventSubject,
) {
  return recordModelEvent(tx, after, ctx.config, { teamId: actor.team.id, author: actor.user.name }, type, subject);
}

export const originOf = (actor: Actor) => ({ teamId: actor.team.id, author: actor.user.name, userId: actor.user.id });

const reserveIndex = prepared((db, p: { teamId: string; name: string; now: number }) =>
  db
    .updateTable('registered_models')
    .set((eb) => ({ next_index: eb('next_index', '+', 1), updated_at: p.now }))
    .where('team_id', '=', p.teamId)
    .where('name', '=', p.name)
    .returning(['id', 'name', 'next_index']),
);

const insertVersion = prepared((db, p: NewModelVersion) =>
  db
    .insertInto('model_versions')
    .values({
      id: p.id,
      team_id: p.team_id,
      model_id: p.model_id,
      index: p.index,
      artifact_version_id: p.artifact_version_id,
      created_by: p.created_by,
      created_at: p.created_at,
    })
    .onConflict((oc) => oc.columns(['model_id', 'artifact_version_id']).doNothing())
    .returning('id'),
);

/**
 * Links an artifact version to a model: a new version with the model's next index, `latest` moved onto it (no
 * event), the given aliases added (ADD_ARTIFACT_ALIAS each). A source already linked to this model is not linked
 * twice: its version is returned and only the aliases it does not hold yet are added.
 */
export async function linkVersion(
  ctx: Ctx,
  actor: GovernedActor,
  modelName: string,
  input: { source: string; aliases?: string[] },
): Promise<{ created: boolean; version: ModelVersionView }> {
  const source = parseSource('source', input.source);
  const aliases = checkExplicitAliases('aliases', input.aliases ?? []);
  return inTransaction(ctx, async (tx, after) => {
    const artifactVersion = await resolveArtifactVersion(tx, actor.team.id, source);
    const now = Date.now();
    // Finding the model, locking it and reserving the next index is one statement on the hot path.
    const model = await reserveIndex.first(tx, { teamId: actor.team.id, name: modelName, now });
    if (!model) throw notFound(`registered model "${modelName}"`);
    const index = model.next_index - 1;
    const metadata = parseMetadata(artifactVersion.metadata);
    const row = {
      id: newId(),
      team_id: actor.team.id,
      model_id: model.id,
      index,
      artifact_version_id: artifactVersion.id,
      created_by: actor.user.id,
      created_at: now,
    };
    const inserted = await insertVersion.first(tx, row);

    if (!inserted) {
      // Already linked: give the reserved index back (we hold the model's lock, so nobody took a later one).
      await tx.updateTable('registered_models').set({ next_index: index }).where('id', '=', model.id).execute();
      const existing = await tx
        .selectFrom('model_versions')
        .select(['id', 'index'])
        .where('model_id', '=', model.id)
        .where('artifact_version_id', '=', artifactVersion.id)
        .executeTakeFirstOrThrow();
      const target = { id: existing.id, index: existing.index, artifact_version_id: artifactVersion.id, metadata: artifactVersion.metadata };
      for (const alias of aliases) {
        const beforeChange = () => enforceDirectChange(tx, actor.team.id, actor.role, model, alias);
        await moveAlias(tx, after, ctx.config, originOf(actor), model, alias, target, { reason: 'set', beforeChange });
      }
      const view = await findVersionRow(tx, model.id, model.name, versionLabel(existing.index));
      const held = await aliasesOf(tx, [existing.id]);
      return { created: false, version: versionView(view, held.get(existing.id) ?? []) };
    }

    await upsertAlias(tx, model.id, LATEST, row.id, actor.user.id);
    const subject = { model, versionIndex: index, artifactVersionId: artifactVersion.id, metadata };
    await registryEvent(ctx, tx, after, actor, 'LINK_ARTIFACT', subject);
    const target = { id: row.id, index, artifact_version_id: artifactVersion.id, metadata: artifactVersion.metadata };
    for (const alias of aliases) {
      const beforeChange = () => enforceDirectChange(tx, actor.team.id, actor.role, model, alias);
      await moveAlias(tx, after, ctx.config, originOf(actor), model, alias, target, { reason: 'set', beforeChange });
    }
    return {
      created: true,
      version: {
        id: row.id,
        version: versionLabel(index),
        index,
        aliases: [LATEST, ...aliases].sort(),
        source: {
          project: artifactVersion.project,
          artifact: artifactVersion.artifact,
          version: versionLabel(artifactVersion.index),
          index: artifactVersion.index,
        },
        artifactVersionId: artifactVersion.id,
        metadata,
        checks: [],
        createdBy: actor.user.name,
        createdAt: iso(now),
      },
    };
  });
}

/** Unlinks a version: its aliases go with it, and `latest` falls back to the newest remaining version. */
export async function unlinkVersion(ctx: Ctx, actor: GovernedActor, modelName: string, ref: string): Promise<void> {
  await inTransaction(ctx, async (tx, after) => {
    const model = await lockModel(tx, actor.team.id, modelName);
    const version = await findVersionRow(tx, model.id, modelName, ref);
    const held = (await aliasesOf(tx, [version.id])).get(version.id) ?? [];
    // Unlinking takes the version's aliases with it: a governed one needs the policy's role (approvals are for moving
    // an alias onto a version, not for retiring one), and each leaves an `unlink` entry in its history.
    for (const alias of held) {
      if (alias === LATEST) continue;
      const governance = await governanceOf(tx, actor.team.id, model.id, alias);
      if (governance && !roleAllows(actor.role, governance.setBy)) {
        throw new AppError(
          'forbidden',
          `${versionLabel(version.index)} holds alias "${alias}", governed by ${governance.names.join(', ')}: only admins may unlink it`,
          { policyIds: governance.policyIds },
        );
      }
      await moveAlias(tx, after, ctx.config, originOf(actor), model, alias, null, { reason: 'unlink', silent: true });
    }
    // Its pending promotions can never apply now.
    await tx
      .updateTable('promotions')
      .set({ state: 'cancelled', decided_by_name: actor.user.name, decision_comment: 'the version was unlinked', decided_at: Date.now(), updated_at: Date.now() })
      .where('model_version_id', '=', version.id)
      .where('state', '=', 'pending')
      .execute();
    await tx.deleteFrom('model_version_checks').where('model_version_id', '=', version.id).execute();
    await tx.deleteFrom('model_aliases').where('model_version_id', '=', version.id).execute();
    await tx.deleteFrom('model_versions').where('id', '=', version.id).execute();
    if (held.includes(LATEST)) {
      const newest = await tx
        .selectFrom('model_versions')
        .select('id')
        .where('model_id', '=', model.id)
        .orderBy('index', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (newest) await upsertAlias(tx, model.id, LATEST, newest.id, actor.user.id);
    }
    await registryEvent(ctx, tx, after, actor, 'UNLINK_ARTIFACT', {
      model,
      versionIndex: version.index,
      artifactVersionId: version.artifact_version_id,
      metadata: parseMetadata(version.metadata),
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Aliases

/**
 * Puts an alias on a version in a transaction holding the model's lock: the moves src/registry/alias-move.ts (setAlias)
 * leaves to it — a governed alias, automations that need statements in the event's transaction, or a move that kept
 * finding the alias changed under it. `expectedIndex`: as checkExpectedHolder.
 */
export async function setAliasLocked(
  ctx: Ctx,
  actor: GovernedActor,
  modelName: string,
  alias: string,
  versionRef: string,
  expectedIndex: number | null | undefined,
): Promise<{ change: AliasChange; version: ModelVersionView }> {
  return inTransaction(ctx, async (tx, after) => {
    const model = await lockModel(tx, actor.team.id, modelName);
    // The version with its aliases and checks (the answer) and the alias's holder, in one statement under the lock.
    const { version, aliases, checks, holderIndex } = await versionWithView(tx, model.id, modelName, versionRef, alias);
    const beforeChange = () => enforceDirectChange(tx, actor.team.id, actor.role, model, alias);
    const options = { reason: 'set' as const, beforeChange, holderIndex };
    const change = await moveAlias(tx, after, ctx.config, originOf(actor), model, alias, version, options, expectedIndex);
    const held = change === 'unchanged' || aliases.includes(alias) ? aliases : [...aliases, alias].sort();
    return { change, version: versionView(version, held, checks) };
  });
}

export function expectedIndexOf(expectedVersion: string): number {
  const parsed = parseVersionRef('expectedVersion', expectedVersion);
  if (parsed.index === undefined) throw invalid('expectedVersion', 'must be a version such as "v2" (or null: the alias must not exist)');
  return parsed.index;
}

export async function removeAlias(ctx: Ctx, actor: GovernedActor, modelName: string, alias: string): Promise<void> {
  checkExplicitAlias('alias', alias);
  await inTransaction(ctx, async (tx, after) => {
    const model = await lockModel(tx, actor.team.id, modelName);
    const beforeChange = () => enforceDirectChange(tx, actor.team.id, actor.role, model, alias);
    await moveAlias(tx, after, ctx.config, originOf(actor), model, alias, null, { reason: 'removed', beforeChange });
  });
}

/**
 * Undoes the alias's last change: puts it back on the version that held it before (policies apply, as to any direct
 * change). Rolling back twice returns to where the alias was: a rollback is itself a change.
 */
export async function rollbackAlias(ctx: Ctx, actor: GovernedActor, modelName: string, alias: string, comment: string): Promise<ModelVersionView> {
  checkExplicitAlias('alias', alias);
  return inTransaction(ctx, async (tx, after) => {
    const model = await lockModel(tx, actor.team.id, modelName);
    const last = await lastAliasChange(tx, model.id, alias);
    if (!last) throw notFound(`alias "${alias}" of registered model "${modelName}" (it has no history)`);
    if (last.previous_index === null) throw conflict(`alias "${alias}" had no version before its last change: there is nothing to roll back to`);
    const previous = await versionQuery(tx, model.id).where('mv.index', '=', last.previous_index).executeTakeFirst();
    if (!previous) throw conflict(`${versionLabel(last.previous_index)}, which held "${alias}" before, has been unlinked`);
    await enforceDirectChange(tx, actor.team.id, actor.role, model, alias);
    await moveAlias(tx, after, ctx.config, originOf(actor), model, alias, previous, { reason: 'rollback', comment });
    const held = await aliasesOf(tx, [previous.id]);
    const checks = await checksOf(tx, [previous.id]);
    return versionView(previous, held.get(previous.id) ?? [], checks.get(previous.id) ?? []);
  });
}

/** The version that held the alias at `at` (ISO 8601); 404 when none did. */
export async function getAliasAt(db: Db, teamId: string, modelName: string, alias: string, at: number): Promise<ModelVersionView> {
  const modelId = await findModelId(db, teamId, modelName);
  const index = await aliasIndexAt(db, modelId, alias, at);
  const when = new Date(at).toISOString();
  if (index === null) throw notFound(`a version holding alias "${alias}" of registered model "${modelName}" at ${when}`);
  const row = await versionQuery(db, modelId).where('mv.index', '=', index).executeTakeFirst();
  if (!row) throw new AppError('not_found', `${versionLabel(index)} held alias "${alias}" at ${when} but has since been unlinked`, { version: versionLabel(index) });
  const [aliases, checks] = await Promise.all([aliasesOf(db, [row.id]), checksOf(db, [row.id])]);
  return versionView(row, aliases.get(row.id) ?? [], checks.get(row.id) ?? []);
}
