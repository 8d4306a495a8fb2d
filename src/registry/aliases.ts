// Moving an explicit alias of a registered model, kept in the alias's history (who, from, to, when, why), with its
// event. Every path that changes an explicit alias goes through moveAlias in the transaction of the change, after
// taking the model's lock (models.ts): setting, removing, linking with aliases, unlinking, promotions and rollbacks.
// `latest` moves by itself on every link; it has no history and raises no alias events.
import type { Config } from '../config.js';
import type { Db, Tx } from '../db/index.js';
import type { Insertable, QueryCreator } from 'kysely';
import type { AliasChangeReason, Database, ModelAliasHistoryTable } from '../db/schema.js';
import type { AfterCommit } from '../db/transaction.js';
import { AppError, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { prepared } from '../db/prepared.js';
import { iso } from './collections.js';
import { versionLabel } from './refs.js';
import { parseMetadata } from './sources.js';
import { modelEventInput, type EventOrigin } from './model-events.js';
import { recordEvent, type EventInput } from '../automations/events.js';

export type AliasChange = 'unchanged' | 'added' | 'moved' | 'removed';

/** The parts of a model version row that a move needs. */
export interface AliasTarget {
  id: string;
  index: number;
  artifact_version_id: string;
  metadata: string;
}

export interface MoveOptions {
  reason: AliasChangeReason;
  promotionId?: string | null;
  comment?: string;
  /** Unlinking removes the version's aliases; UNLINK_ARTIFACT is its event, so no REMOVE_ARTIFACT_ALIAS per alias. */
  silent?: boolean;
  /**
   * Runs only when the alias is about to change (after the compare-and-set): the policy check of a direct change, so
   * repeating a move that is already in place is not refused.
   */
  beforeChange?: () => Promise<void>;
  /**
   * The index of the version holding the alias now (null: none), when the caller read it together with the target
   * under the model's lock (setAlias) — one statement less. Only for a move onto a version.
   */
  holderIndex?: number | null;
}

const currentHolder = (tx: Tx, modelId: string, alias: string) =>
  tx
    .selectFrom('model_aliases as ma')
    .innerJoin('model_versions as mv', 'mv.id', 'ma.model_version_id')
    .innerJoin('artifact_versions as av', 'av.id', 'mv.artifact_version_id')
    .select(['mv.id', 'mv.index', 'mv.artifact_version_id', 'av.metadata'])
    .where('ma.model_id', '=', modelId)
    .where('ma.alias', '=', alias)
    .executeTakeFirst();

interface AliasRow {
  modelId: string;
  alias: string;
  versionId: string;
  userId: string;
  now: number;
}

const upsertAliasWrite = (qc: QueryCreator<Database>, p: AliasRow) =>
  qc
    .insertInto('model_aliases')
    .values({ model_id: p.modelId, alias: p.alias, model_version_id: p.versionId, created_by: p.userId, created_at: p.now })
    .onConflict((oc) => oc.columns(['model_id', 'alias']).doUpdateSet({ model_version_id: p.versionId, created_by: p.userId, created_at: p.now }));

const upsertAliasQuery = prepared((db, p: AliasRow) => upsertAliasWrite(db, p));

export function upsertAlias(tx: Tx, modelId: string, alias: string, versionId: string, userId: string) {
  return upsertAliasQuery.run(tx, { modelId, alias, versionId, userId, now: Date.now() });
}

// Every column named: a prepared query's parameters are placeholders while it is built, not an object to spread.
const historyWrite = (qc: QueryCreator<Database>, p: Insertable<ModelAliasHistoryTable>) =>
  qc.insertInto('model_alias_history').values({
    id: p.id,
    team_id: p.team_id,
    model_id: p.model_id,
    alias: p.alias,
    version_index: p.version_index,
    previous_index: p.previous_index,
    reason: p.reason,
    promotion_id: p.promotion_id,
    comment: p.comment,
    author: p.author,
    created_at: p.created_at,
  });

/**
 * Puts `alias` on `target` (null: takes it away), records the change in the alias's history and raises
 * ADD_ARTIFACT_ALIAS or REMOVE_ARTIFACT_ALIAS with `previousVersion` (and the reason) in the event's details.
 * The caller holds the model's lock. `expectedIndex`: compare-and-set — undefined skips it, null means "must not
 * exist", a number means "must be on that version"; a mismatch is 409 `alias_moved`.
 */
export async function moveAlias(
  tx: Tx,
  after: AfterCommit,
  config: Pick<Config, 'jobMaxAttempts'>,
  origin: EventOrigin & { userId: string },
  model: { id: string; name: string },
  alias: string,
  target: AliasTarget | null,
  options: MoveOptions,
  expectedIndex?: number | null,
): Promise<AliasChange> {
  const current: { index: number } | undefined =
    target !== null && options.holderIndex !== undefined
      ? options.holderIndex === null
        ? undefined
        : { index: options.holderIndex }
      : await currentHolder(tx, model.id, alias);
  checkExpectedHolder(alias, current?.index ?? null, expectedIndex);
  if (target === null && !current) throw notFound(`alias "${alias}" of registered model "${model.name}"`);
  // Indexes are unique within the model: the same index is the same version.
  if (target !== null && current?.index === target.index) return 'unchanged';
  await options.beforeChange?.();

  const now = Date.now();
  const history = historyEntry(origin, model, alias, target?.index ?? null, current?.index ?? null, options, now);
  const aliasRow: AliasRow | null = target ? { modelId: model.id, alias, versionId: target.id, userId: origin.userId, now } : null;
  if (options.silent || aliasRow === null) {
    if (aliasRow) await upsertAliasQuery.run(tx, aliasRow);
    else await tx.deleteFrom('model_aliases').where('model_id', '=', model.id).where('alias', '=', alias).execute();
    await tx.insertInto('model_alias_history').values(history).execute();
  }

  if (!options.silent) {
    // A move's alias and history rows go with its event: one statement on PostgreSQL (EventChange).
    const change = aliasRow ? { key: 'alias-moved', writes: [upsertAliasWrite, historyWrite], params: [aliasRow, history] } : undefined;
    const event = aliasEvent(origin, model, alias, target, current, options);
    await recordEvent(tx, after, event, config, change);
  }
  if (!target) return 'removed';
  return current ? 'moved' : 'added';
}

/**
 * Compare-and-set of a change: `expectedIndex` undefined skips it, null means "must not exist", a number means "must be
 * on that version"; a mismatch with the holder's index (null: none) is 409 `alias_moved`.
 */
export function checkExpectedHolder(alias: string, holderIndex: number | null, expectedIndex: number | null | undefined): void {
  if (expectedIndex === undefined || holderIndex === expectedIndex) return;
  const where = holderIndex !== null ? `is on ${versionLabel(holderIndex)}` : 'does not exist';
  const expected = expectedIndex === null ? 'not to exist' : `to be on ${versionLabel(expectedIndex)}`;
  throw new AppError('alias_moved', `alias "${alias}" ${where}; the request expected it ${expected}`, {
    alias,
    currentVersion: holderIndex !== null ? versionLabel(holderIndex) : null,
  });
}

/** The alias's history entry for a change from `previousIndex` to `versionIndex` (null: none). */
export function historyEntry(
  origin: EventOrigin,
  model: { id: string },
  alias: string,
  versionIndex: number | null,
  previousIndex: number | null,
  options: Pick<MoveOptions, 'reason' | 'promotionId' | 'comment'>,
  now: number,
): Insertable<ModelAliasHistoryTable> {
  return {
    id: newId(),
    team_id: origin.teamId,
    model_id: model.id,
    alias,
    version_index: versionIndex,
    previous_index: previousIndex,
    reason: options.reason,
    promotion_id: options.promotionId ?? null,
    comment: options.comment ?? '',
    author: origin.author,
    created_at: now,
  };
}

/** ADD_ARTIFACT_ALIAS (onto `target`) or REMOVE_ARTIFACT_ALIAS (target null), with `previousVersion` and the reason. */
export function aliasEvent(
  origin: EventOrigin,
  model: { id: string; name: string },
  alias: string,
  target: AliasTarget | null,
  current: { index: number } | undefined,
  options: Pick<MoveOptions, 'reason' | 'promotionId' | 'comment'>,
): EventInput {
  const holder = target ?? (current as AliasTarget);
  const details: Record<string, unknown> = { reason: options.reason };
  if (current) details.previousVersion = versionLabel(current.index);
  if (options.promotionId) details.promotionId = options.promotionId;
  if (options.comment) details.comment = options.comment;
  const subject = { model, versionIndex: holder.index, artifactVersionId: holder.artifact_version_id, metadata: parseMetadata(holder.metadata) };
  return modelEventInput(origin, target ? 'ADD_ARTIFACT_ALIAS' : 'REMOVE_ARTIFACT_ALIAS', subject, alias, details);
}

export interface AliasHistoryItem {
  version: string | null;
  previousVersion: string | null;
  by: string;
  at: string;
  reason: AliasChangeReason;
  promotionId: string | null;
  comment: string;
}

/** The alias's changes, newest first (`limit + 1` rows older than `beforeId`). */
export async function aliasHistory(db: Db, modelId: string, alias: string, options: { limit: number; beforeId?: string }): Promise<Array<AliasHistoryItem & { id: string }>> {
  let query = db
    .selectFrom('model_alias_history')
    .selectAll()
    .where('model_id', '=', modelId)
    .where('alias', '=', alias)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit + 1);
  if (options.beforeId !== undefined) {
    const before = await db.selectFrom('model_alias_history').select('created_at').where('id', '=', options.beforeId).executeTakeFirst();
    if (!before) throw invalid('cursor', 'is not a cursor of this list');
    query = query.where((eb) =>
      eb.or([eb('created_at', '<', before.created_at), eb.and([eb('created_at', '=', before.created_at), eb('id', '<', options.beforeId!)])]),
    );
  }
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    version: row.version_index === null ? null : versionLabel(row.version_index),
    previousVersion: row.previous_index === null ? null : versionLabel(row.previous_index),
    by: row.author,
    at: iso(Number(row.created_at)),
    reason: row.reason,
    promotionId: row.promotion_id,
    comment: row.comment,
  }));
}

/** The index of the version that held the alias at `at` (epoch ms), or null when none did. */
export async function aliasIndexAt(db: Db, modelId: string, alias: string, at: number): Promise<number | null> {
  const row = await db
    .selectFrom('model_alias_history')
    .select('version_index')
    .where('model_id', '=', modelId)
    .where('alias', '=', alias)
    .where('created_at', '<=', at)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.version_index ?? null;
}

/** The last change of the alias (what a rollback undoes). */
export async function lastAliasChange(tx: Tx, modelId: string, alias: string) {
  return tx
    .selectFrom('model_alias_history')
    .select(['version_index', 'previous_index'])
    .where('model_id', '=', modelId)
    .where('alias', '=', alias)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}
