// Promotion requests: "put alias A on version V" asked by one member, approved by others under the alias's policy
// (alias-policies.ts), applied in the transaction that completes it.
//
//   pending ──approvals reach the policy's count and every required check is `success`──▶ applied
//      │       (checked on every vote, and whenever a check of the version succeeds: checks.ts)
//      ├──any eligible member rejects──▶ rejected
//      ├──the requester or an admin cancels, or the version is unlinked──▶ cancelled
//
// Every change of a request happens under the model's lock (models.ts lockModel: a row lock on PostgreSQL, the one
// writer on SQLite), and `pending → applied` is a conditional update, so concurrent approvals apply a request once and
// move the alias once. One vote per user and request is the votes table's primary key. The requester never votes on
// their own request (they cancel it instead). Requirements are read from the policies when a request is evaluated, so
// tightening a policy also holds back the requests already waiting; a request for an alias no policy governs applies
// at once.
import type { AppContext } from '../context.js';
import type { Db, Tx } from '../db/index.js';
import type { Promotion, PromotionState } from '../db/schema.js';
import type { AfterCommit } from '../db/transaction.js';
import { inTransaction } from '../db/transaction.js';
import { AppError, conflict, forbidden, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { checkExplicitAlias, versionLabel } from './refs.js';
import { iso } from './collections.js';
import { parseMetadata } from './sources.js';
import { moveAlias } from './aliases.js';
import { governanceOf, roleAllows } from './alias-policies.js';
import { recordModelEvent } from './model-events.js';
import { findModelId, findVersionRow, lockModel, versionQuery, type GovernedActor } from './models.js';

type Ctx = Pick<AppContext, 'db' | 'notifier' | 'config'>;

export const MAX_COMMENT_LENGTH = 4000;

export interface PromotionView {
  id: string;
  model: string;
  version: string;
  alias: string;
  state: PromotionState;
  comment: string;
  requestedBy: string;
  approvals: Array<{ by: string; comment: string; at: string }>;
  rejections: Array<{ by: string; comment: string; at: string }>;
  /** What the alias's policies ask for now (0 and [] when none governs it). */
  required: { approvals: number; checks: string[] };
  /** The required checks on the version as they stand ("missing" when not reported yet). */
  checks: Array<{ name: string; state: 'pending' | 'success' | 'failure' | 'missing'; summary: string }>;
  /** Why a pending request has not applied yet; empty otherwise. */
  waitingFor: string[];
  decidedBy: string | null;
  decisionComment: string | null;
  createdAt: string;
  updatedAt: string;
  decidedAt: string | null;
}

/** Who a change is made by: a user, or the server itself (`modelyard`) when a job reports a check. */
export interface Origin {
  teamId: string;
  teamName: string;
  author: string;
  /** Stored as the alias's creator; the requester's id when the server applies a request. */
  userId: string | null;
}

interface Evaluation {
  required: PromotionView['required'];
  checks: PromotionView['checks'];
  approvals: number;
  waitingFor: string[];
}

async function evaluate(db: Db | Tx, promotion: Promotion): Promise<Evaluation> {
  const governance = await governanceOf(db, promotion.team_id, promotion.model_id, promotion.alias);
  const required = { approvals: governance?.approvals ?? 0, checks: governance?.requiredChecks ?? [] };
  const votes = await db
    .selectFrom('promotion_votes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('promotion_id', '=', promotion.id)
    .where('decision', '=', 'approve')
    .executeTakeFirst();
  const approvals = Number(votes?.n ?? 0);
  const reported =
    required.checks.length === 0
      ? []
      : await db
          .selectFrom('model_version_checks')
          .select(['name', 'state', 'summary'])
          .where('model_version_id', '=', promotion.model_version_id)
          .where('name', 'in', required.checks)
          .execute();
  const byName = new Map(reported.map((row) => [row.name, row]));
  const checks = required.checks.map((name) => {
    const row = byName.get(name);
    return { name, state: row?.state ?? ('missing' as const), summary: row?.summary ?? '' };
  });
  const waitingFor: string[] = [];
  if (approvals < required.approvals) {
    const missing = required.approvals - approvals;
    waitingFor.push(`${missing} more approval${missing === 1 ? '' : 's'} (${approvals} of ${required.approvals})`);
  }
  for (const check of checks) {
    if (check.state === 'success') continue;
    if (check.state === 'failure') waitingFor.push(`check ${check.name} failed${check.summary ? `: ${check.summary}` : ''} (it must succeed)`);
    else if (check.state === 'pending') waitingFor.push(`check ${check.name} is still running`);
    else waitingFor.push(`check ${check.name} has not been reported on ${versionLabel(promotion.version_index)}`);
  }
  return { required, checks, approvals, waitingFor };
}

async function viewOf(db: Db | Tx, promotion: Promotion, modelName: string): Promise<PromotionView> {
  const votes = await db
    .selectFrom('promotion_votes')
    .selectAll()
    .where('promotion_id', '=', promotion.id)
    .orderBy('created_at')
    .orderBy('user_name')
    .execute();
  const evaluation = await evaluate(db, promotion);
  const vote = (row: (typeof votes)[number]) => ({ by: row.user_name, comment: row.comment, at: iso(Number(row.created_at)) });
  return {
    id: promotion.id,
    model: modelName,
    version: versionLabel(promotion.version_index),
    alias: promotion.alias,
    state: promotion.state,
    comment: promotion.comment,
    requestedBy: promotion.requested_by_name,
    approvals: votes.filter((row) => row.decision === 'approve').map(vote),
    rejections: votes.filter((row) => row.decision === 'reject').map(vote),
    required: evaluation.required,
    checks: evaluation.checks,
    waitingFor: promotion.state === 'pending' ? evaluation.waitingFor : [],
    decidedBy: promotion.decided_by_name,
    decisionComment: promotion.decision_comment,
    createdAt: iso(Number(promotion.created_at)),
    updatedAt: iso(Number(promotion.updated_at)),
    decidedAt: promotion.decided_at === null ? null : iso(Number(promotion.decided_at)),
  };
}

function promotionUrl(ctx: Ctx, teamName: string, modelName: string, id: string): string | undefined {
  if (ctx.config.publicUrl === undefined) return undefined;
  const base = ctx.config.publicUrl.replace(/\/+$/, '');
  return `${base}/t/${encodeURIComponent(teamName)}/registry/${encodeURIComponent(modelName)}?promotion=${encodeURIComponent(id)}`;
}

async function promotionEvent(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  origin: Origin,
  type: 'PROMOTION_REQUESTED' | 'PROMOTION_APPROVED' | 'PROMOTION_REJECTED',
  model: { id: string; name: string },
  promotion: Promotion,
  comment: string,
): Promise<void> {
  const version = await versionQuery(tx, model.id).where('mv.id', '=', promotion.model_version_id).executeTakeFirstOrThrow();
  const url = promotionUrl(ctx, origin.teamName, model.name, promotion.id);
  await recordModelEvent(
    tx,
    after,
    ctx.config,
    origin,
    type,
    { model, versionIndex: version.index, artifactVersionId: version.artifact_version_id, metadata: parseMetadata(version.metadata) },
    promotion.alias,
    { promotionId: promotion.id, comment, ...(url === undefined ? {} : { promotionUrl: url }) },
  );
}

/**
 * Applies the request when its requirements are met: `pending → applied` (conditional, so only once), then
 * PROMOTION_APPROVED and the alias's move (ADD_ARTIFACT_ALIAS, reason `promotion`). The caller holds the model's lock.
 */
export async function applyIfReady(ctx: Ctx, tx: Tx, after: AfterCommit, origin: Origin, model: { id: string; name: string }, promotion: Promotion): Promise<boolean> {
  const { waitingFor } = await evaluate(tx, promotion);
  if (waitingFor.length > 0) return false;
  const now = Date.now();
  const applied = await tx
    .updateTable('promotions')
    .set({ state: 'applied', decided_at: now, updated_at: now, decided_by_name: origin.author })
    .where('id', '=', promotion.id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  if (Number(applied.numUpdatedRows) !== 1) return false;
  const lastApproval = await tx
    .selectFrom('promotion_votes')
    .select('comment')
    .where('promotion_id', '=', promotion.id)
    .where('decision', '=', 'approve')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  await promotionEvent(ctx, tx, after, origin, 'PROMOTION_APPROVED', model, promotion, lastApproval?.comment ?? promotion.comment);
  const target = await versionQuery(tx, model.id).where('mv.id', '=', promotion.model_version_id).executeTakeFirstOrThrow();
  await moveAlias(
    tx,
    after,
    ctx.config,
    { teamId: origin.teamId, author: origin.author, userId: origin.userId ?? promotion.requested_by },
    model,
    promotion.alias,
    target,
    { reason: 'promotion', promotionId: promotion.id, comment: promotion.comment },
  );
  return true;
}

/** Applies whichever pending requests for the version are now ready (a check of it succeeded). */
export async function applyReadyForVersion(ctx: Ctx, tx: Tx, after: AfterCommit, origin: Origin, model: { id: string; name: string }, versionId: string): Promise<void> {
  const pending = await tx
    .selectFrom('promotions')
    .selectAll()
    .where('model_version_id', '=', versionId)
    .where('state', '=', 'pending')
    .orderBy('id')
    .execute();
  for (const promotion of pending) await applyIfReady(ctx, tx, after, origin, model, promotion);
}

const userOrigin = (actor: GovernedActor): Origin => ({ teamId: actor.team.id, teamName: actor.team.name, author: actor.user.name, userId: actor.user.id });

function checkComment(comment: string): string {
  if (comment.length > MAX_COMMENT_LENGTH) throw new AppError('invalid_request', `comment: must be at most ${MAX_COMMENT_LENGTH} characters`, { field: 'comment' });
  return comment;
}

export async function requestPromotion(
  ctx: Ctx,
  actor: GovernedActor,
  modelName: string,
  input: { version: string; alias: string; comment: string },
): Promise<PromotionView> {
  checkExplicitAlias('alias', input.alias);
  checkComment(input.comment);
  return inTransaction(ctx, async (tx, after) => {
    const model = await lockModel(tx, actor.team.id, modelName);
    const version = await findVersionRow(tx, model.id, modelName, input.version);
    const holder = await tx
      .selectFrom('model_aliases')
      .select('model_version_id')
      .where('model_id', '=', model.id)
      .where('alias', '=', input.alias)
      .executeTakeFirst();
    if (holder?.model_version_id === version.id) throw conflict(`${versionLabel(version.index)} already holds alias "${input.alias}"`);
    const open = await tx
      .selectFrom('promotions')
      .select('id')
      .where('model_version_id', '=', version.id)
      .where('alias', '=', input.alias)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (open) throw conflict(`a request to promote ${versionLabel(version.index)} to "${input.alias}" is already pending`, { promotionId: open.id });
    const now = Date.now();
    const promotion: Promotion = {
      id: newId(),
      team_id: actor.team.id,
      model_id: model.id,
      model_version_id: version.id,
      version_index: version.index,
      alias: input.alias,
      state: 'pending',
      comment: input.comment,
      requested_by: actor.user.id,
      requested_by_name: actor.user.name,
      decided_by_name: null,
      decision_comment: null,
      created_at: now,
      updated_at: now,
      decided_at: null,
    };
    await tx.insertInto('promotions').values(promotion).execute();
    const origin = userOrigin(actor);
    await promotionEvent(ctx, tx, after, origin, 'PROMOTION_REQUESTED', model, promotion, input.comment);
    await applyIfReady(ctx, tx, after, origin, model, promotion);
    return viewOf(tx, await loadPromotion(tx, actor.team.id, model.id, promotion.id), model.name);
  });
}

async function loadPromotion(db: Db | Tx, teamId: string, modelId: string, id: string): Promise<Promotion> {
  const row = await db.selectFrom('promotions').selectAll().where('team_id', '=', teamId).where('model_id', '=', modelId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`promotion request ${id}`);
  return row;
}

function notPending(promotion: Promotion): AppError {
  return conflict(`promotion request ${promotion.id} is already ${promotion.state}`, { state: promotion.state });
}

/** Approve or reject: one vote per user, never on one's own request, from a role the alias's policy allows. */
export async function votePromotion(
  ctx: Ctx,
  actor: GovernedActor,
  modelName: string,
  id: string,
  decision: 'approve' | 'reject',
  comment: string,
): Promise<PromotionView> {
  checkComment(comment);
  return inTransaction(ctx, async (tx, after) => {
    const model = await lockModel(tx, actor.team.id, modelName);
    const promotion = await loadPromotion(tx, actor.team.id, model.id, id);
    if (promotion.state !== 'pending') throw notPending(promotion);
    if (promotion.requested_by === actor.user.id) {
      throw forbidden(`you requested this promotion: someone else must ${decision} it (you can cancel it)`);
    }
    const governance = await governanceOf(tx, actor.team.id, model.id, promotion.alias);
    if (governance && !roleAllows(actor.role, governance.setBy)) {
      throw new AppError('forbidden', `alias "${promotion.alias}" is governed by ${governance.names.join(', ')}: only admins may ${decision} its promotions`, {
        policyIds: governance.policyIds,
      });
    }
    const voted = await tx
      .selectFrom('promotion_votes')
      .select('decision')
      .where('promotion_id', '=', promotion.id)
      .where('user_id', '=', actor.user.id)
      .executeTakeFirst();
    if (voted) throw conflict(`you already voted on promotion request ${promotion.id} (${voted.decision === 'approve' ? 'approved' : 'rejected'})`);
    const now = Date.now();
    await tx
      .insertInto('promotion_votes')
      .values({ promotion_id: promotion.id, user_id: actor.user.id, user_name: actor.user.name, decision, comment, created_at: now })
      .execute();
    const origin = userOrigin(actor);
    if (decision === 'approve') {
      await tx.updateTable('promotions').set({ updated_at: now }).where('id', '=', promotion.id).execute();
      await applyIfReady(ctx, tx, after, origin, model, promotion);
    } else {
      await tx
        .updateTable('promotions')
        .set({ state: 'rejected', decided_by_name: actor.user.name, decision_comment: comment, decided_at: now, updated_at: now })
        .where('id', '=', promotion.id)
        .where('state', '=', 'pending')
        .execute();
      await promotionEvent(ctx, tx, after, origin, 'PROMOTION_REJECTED', model, promotion, comment);
    }
    return viewOf(tx, await loadPromotion(tx, actor.team.id, model.id, promotion.id), model.name);
  });
}

/** The requester or an admin withdraws a pending request. */
export async function cancelPromotion(ctx: Ctx, actor: GovernedActor, modelName: string, id: string, comment: string): Promise<PromotionView> {
  checkComment(comment);
  return inTransaction(ctx, async (tx) => {
    const model = await lockModel(tx, actor.team.id, modelName);
    const promotion = await loadPromotion(tx, actor.team.id, model.id, id);
    if (promotion.state !== 'pending') throw notPending(promotion);
    if (promotion.requested_by !== actor.user.id && actor.role !== 'admin') throw forbidden('only the requester or an admin can cancel a promotion request');
    const now = Date.now();
    await tx
      .updateTable('promotions')
      .set({ state: 'cancelled', decided_by_name: actor.user.name, decision_comment: comment, decided_at: now, updated_at: now })
      .where('id', '=', promotion.id)
      .execute();
    return viewOf(tx, await loadPromotion(tx, actor.team.id, model.id, promotion.id), model.name);
  });
}

export async function getPromotion(db: Db, teamId: string, modelName: string, id: string): Promise<PromotionView> {
  const modelId = await findModelId(db, teamId, modelName);
  return viewOf(db, await loadPromotion(db, teamId, modelId, id), modelName);
}

/** Requests newest first (`limit + 1` rows older than `beforeId`), of one model or the whole team. */
export async function listPromotions(
  db: Db,
  teamId: string,
  options: { limit: number; beforeId?: string; state?: PromotionState; model?: string; version?: string },
): Promise<PromotionView[]> {
  let query = db
    .selectFrom('promotions as p')
    .innerJoin('registered_models as m', 'm.id', 'p.model_id')
    .selectAll('p')
    .select('m.name as model_name')
    .where('p.team_id', '=', teamId)
    .orderBy('p.id', 'desc')
    .limit(options.limit + 1);
  if (options.model !== undefined) {
    const modelId = await findModelId(db, teamId, options.model);
    query = query.where('p.model_id', '=', modelId);
    if (options.version !== undefined) {
      const version = await findVersionRow(db, modelId, options.model, options.version);
      query = query.where('p.model_version_id', '=', version.id);
    }
  }
  if (options.state !== undefined) query = query.where('p.state', '=', options.state);
  if (options.beforeId !== undefined) query = query.where('p.id', '<', options.beforeId);
  const rows = await query.execute();
  return Promise.all(rows.map(({ model_name, ...row }) => viewOf(db, row, model_name)));
}
