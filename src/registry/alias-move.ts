// Putting an alias on a version in two round trips to PostgreSQL, commit included (issue 18) — the common case of
// setAlias: optimistic concurrency instead of a transaction holding the model's lock across round trips.
//
//   1. read   one statement, outside any transaction: the version with its view (aliases, checks), the alias's holder,
//             whether an alias policy could govern the model, the automations the move would trigger, and the model
//             row's version stamp (its updated_at, which every change of the model's versions and aliases moves
//             forward under the model's lock: models.ts lockModel).
//   2. render the event, its history entry and its runs, in this process (dispatch.ts planRuns), from what 1 read.
//   3. write  one statement (db/dialect.ts gatedWrites), committed by itself: it takes the model's row lock only if the
//             stamp is still the one 1 read — so nothing changed the model since, and what 1 read is what the move
//             applies to; the alias changes only if it is still where 1 found it (a second compare-and-set, on the
//             alias row) and the automations 1 matched are still the ones enabled (their number and newest
//             updated_at); the history entry, the event and the runs are inserted only if the alias changed.
//
// When the write finds something changed, nothing was written and the move starts again from 1 (a few times, then it
// takes the locked path). The stamp matters beyond the alias row: a check on the row alone misses the alias removed
// and set again in between (its history would then be out of order), and an unlink of the target version. The
// locked path (moveAlias under lockModel, in a transaction) still does every move that needs statements between the
// read and the writes: a governed alias (policies, approvals), and automations with flood control, ordered delivery
// or ${sequence}, queue jobs, or conditions on checks (dispatch.ts runFromMatchAlone). On SQLite both steps run in one
// grouped write transaction (db/transaction.ts readThenWrite), where the write always finds the read current. A
// forward (`modelyard listen --automation`) started during the move's two round trips may miss its copy.
import { sql, type Expression, type ExpressionBuilder } from 'kysely';
import type { Db, Tx } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';
import type { Database } from '../db/schema.js';
import { CHANNEL_RUNS } from '../context.js';
import { gatedWrites, jsonArrayOf, jsonColumn } from '../db/dialect.js';
import { prepared } from '../db/prepared.js';
import { matchQuery, planRuns, runFromMatchAlone, type AutomationMatch } from '../automations/dispatch.js';
import { newEvent } from '../automations/events.js';
import { eventsCounter } from '../automations/event-metrics.js';
import { aliasEvent, checkExpectedHolder, historyEntry, type AliasChange } from './aliases.js';
import type { EventOrigin } from './model-events.js';
import { checkExplicitAlias, parseVersionRef } from './refs.js';
import {
  expectedIndexOf,
  findModelId,
  governedBy,
  nextStamp,
  originOf,
  setAliasLocked,
  versionQuery,
  versionView,
  viewOf,
  withView,
  type GovernedActor,
  type ModelVersionView,
} from './models.js';
import { invalid, notFound } from '../core/errors.js';
import { readThenWrite } from '../db/transaction.js';
import type { AppContext } from '../context.js';

type Ctx = Pick<AppContext, 'db' | 'notifier' | 'config'>;

/** What one try at the move came to. */
export type MoveOutcome =
  | { kind: 'done'; change: AliasChange; version: ReturnType<typeof viewOf> }
  /** The write found the model, the alias or the automations changed since the read, and wrote nothing: read again. */
  | { kind: 'stale' }
  /** A policy or an automation needs statements inside the change's transaction. */
  | { kind: 'locked' };

export interface MoveRequest {
  teamId: string;
  modelName: string;
  alias: string;
  versionRef: string;
  expectedIndex: number | null | undefined;
}

type PlanParams = { teamId: string; name: string; holderOf: string };

/** The model's id, from its team and name: the read's model is found by the statement itself. */
const modelOf = (db: Db, p: PlanParams) => db.selectFrom('registered_models').select('id').where('team_id', '=', p.teamId).where('name', '=', p.name).$asScalar();

/** The version with its view, the holder's version id, whether the model is governed and the move's automations. */
function planQuery(db: Db, query: ReturnType<typeof versionQuery>, p: PlanParams) {
  const modelId = sql.ref<string>('mv.model_id');
  return withView(db, query, { modelId, holderOf: p.holderOf }).select((eb) => {
    const automations = automationsStamp(eb, p.teamId, modelId);
    return [
    'mv.model_id',
    eb.selectFrom('registered_models as rm').select('rm.updated_at').whereRef('rm.id', '=', 'mv.model_id').as('model_stamp'),
    governedBy(eb, p.teamId, modelId).as('governed'),
    eb.selectFrom('model_aliases as hv').select('hv.model_version_id').where('hv.model_id', '=', modelId).where('hv.alias', '=', p.holderOf).as('holder_version_id'),
    jsonArrayOf(db, matchQuery(db, { teamId: p.teamId, type: 'ADD_ARTIFACT_ALIAS', modelId }, 'model')).as('matches'),
    automations.count.as('match_count'),
    automations.newest.as('match_stamp'),
    ];
  });
}

const planByIndex = prepared((db, p: PlanParams & { index: number }) => planQuery(db, versionQuery(db, modelOf(db, p)).where('mv.index', '=', p.index), p));
const planByAlias = prepared((db, p: PlanParams & { ref: string }) =>
  planQuery(
    db,
    versionQuery(db, modelOf(db, p)).where('mv.id', '=', (eb) =>
      eb.selectFrom('model_aliases as ma').select('ma.model_version_id').whereRef('ma.model_id', '=', 'mv.model_id').where('ma.alias', '=', p.ref),
    ),
    p,
  ),
);

interface GateParams {
  modelId: string;
  /** The model row's updated_at when read, and the one the move gives it (nextStamp). */
  readStamp: number;
  stamp: number;
  alias: string;
  versionId: string;
  userId: string;
  now: number;
  /** The version holding the alias when it was read ('' when none did). */
  holderId: string;
  teamId: string;
  matchCount: number;
  matchUpdatedAt: number;
}

/**
 * The enabled automations of the team for alias events on the model or the whole registry — the ones the read matched —
 * told apart by their number and newest updated_at (every change of an automation sets it): read with the move (1) and
 * compared by its gate (3).
 */
function automationsStamp(eb: ExpressionBuilder<Database, any>, teamId: string, modelId: Expression<string>) {
  const matching = () =>
    eb
      .selectFrom('automations as ga')
      .where('ga.team_id', '=', teamId)
      .where('ga.event_type', '=', 'ADD_ARTIFACT_ALIAS')
      .where('ga.enabled', '=', 1)
      .where((w) => w.or([w('ga.model_id', '=', modelId), w('ga.model_id', 'is', null)]));
  return {
    count: matching().select((s) => s.fn.countAll().as('n')),
    newest: matching().select((s) => s.fn.coalesce(s.fn.max('ga.updated_at'), sql.lit(0)).as('u')),
  };
}

function automationsUnchanged(eb: ExpressionBuilder<Database, any>, p: GateParams, modelId: Expression<string>) {
  const now = automationsStamp(eb, p.teamId, modelId);
  return eb.and([eb(now.count, '=', p.matchCount), eb(now.newest, '=', p.matchUpdatedAt)]);
}

/** The rows a move inserts, by table, with every column they have (test/registry/alias-move.test.ts checks them). */
export const MOVE_INSERTS = [
  { table: 'model_alias_history', columns: ['id', 'team_id', 'model_id', 'alias', 'version_index', 'previous_index', 'reason', 'promotion_id', 'comment', 'author', 'created_at'] },
  { table: 'events', columns: ['id', 'team_id', 'type', 'project', 'collection', 'model_id', 'artifact_version_id', 'version_index', 'alias', 'author', 'metadata', 'details', 'created_at'] },
  {
    table: 'action_runs',
    columns: [
      'id', 'team_id', 'automation_id', 'automation_name', 'event_id', 'event_type', 'action_type', 'state', 'webhook_id', 'webhook_name', 'url',
      'secret_name', 'access_token_name', 'body', 'job_id', 'queue_name', 'attempts', 'next_attempt_at', 'lease_owner', 'lease_until', 'last_status',
      'last_error', 'suppress_failure_event', 'manual_redelivery', 'check_name', 'created_at', 'finished_at', 'stream', 'stream_due_at', 'forwarded_from',
      'subject', 'sequence', 'not_before',
    ],
  },
] as const satisfies Array<{ table: keyof Database; columns: readonly string[] }>;

/** The model's row lock, taken only if no change of the model was committed since the read (its stamp unchanged). */
const lockModelRow = (qc: Parameters<Parameters<typeof gatedWrites<GateParams>>[0]['lock']>[0], p: GateParams) =>
  qc.updateTable('registered_models').set({ updated_at: p.stamp }).where('id', '=', p.modelId).where('updated_at', '=', p.readStamp).returning('id');

/** The alias moves from the version holding it when read, only if it still does. */
const moveGate = gatedWrites<GateParams>({
  lock: lockModelRow,
  gate: (qc, p, locked) =>
    qc
      .updateTable('model_aliases')
      .set({ model_version_id: p.versionId, created_by: p.userId, created_at: p.now })
      .where('model_id', '=', locked)
      .where('alias', '=', p.alias)
      .where('model_version_id', '=', p.holderId)
      .where((eb) => automationsUnchanged(eb, p, locked))
      .returning('model_id'),
  inserts: [...MOVE_INSERTS],
});

/** A new alias, only if no version holds it yet (a concurrent add makes the insert conflict and write nothing). */
const addGate = gatedWrites<GateParams>({
  lock: lockModelRow,
  gate: (qc, p, locked) =>
    qc
      .insertInto('model_aliases')
      .columns(['model_id', 'alias', 'model_version_id', 'created_by', 'created_at'])
      .expression(
        qc
          .selectNoFrom((eb) => [locked.as('model_id'), eb.val(p.alias).as('alias'), eb.val(p.versionId).as('model_version_id'), eb.val(p.userId).as('created_by'), eb.val(p.now).as('created_at')])
          .where((w) => w.and([w(locked, 'is not', null), automationsUnchanged(w, p, locked)])),
      )
      .onConflict((oc) => oc.columns(['model_id', 'alias']).doNothing())
      .returning('model_id'),
  inserts: [...MOVE_INSERTS],
});

/** Reads the move (1); 404 naming the model or the version when it does not exist. */
export async function readMove(db: Db | Tx, request: MoveRequest) {
  const parsed = parseVersionRef('version', request.versionRef);
  const params = { teamId: request.teamId, name: request.modelName, holderOf: request.alias };
  const row = parsed.index !== undefined ? await planByIndex.first(db, { ...params, index: parsed.index }) : await planByAlias.first(db, { ...params, ref: parsed.alias! });
  if (!row) {
    await findModelId(db, request.teamId, request.modelName);
    throw notFound(`version "${request.versionRef}" of registered model "${request.modelName}"`);
  }
  const { governed, holder_version_id, matches, model_stamp, match_count, match_stamp, ...view } = row;
  return {
    ...viewOf(view),
    modelId: row.model_id,
    modelStamp: Number(model_stamp),
    governed: Boolean(governed),
    holderId: holder_version_id,
    matches: jsonColumn<AutomationMatch[]>(matches) ?? [],
    matchCount: Number(match_count),
    matchStamp: Number(match_stamp),
  };
}

/** Writes the move read by readMove (2, 3), if nothing needs the locked path and nothing changed since the read. */
export async function writeMove(
  db: Db | Tx,
  plan: Awaited<ReturnType<typeof readMove>>,
  after: AfterCommit,
  request: MoveRequest,
  origin: EventOrigin & { userId: string },
): Promise<MoveOutcome> {
  const { version, aliases, checks, holderIndex } = plan;
  checkExpectedHolder(request.alias, holderIndex, request.expectedIndex);
  if (holderIndex === version.index) return { kind: 'done', change: 'unchanged', version: { version, aliases, checks, holderIndex } };
  if (plan.governed || !plan.matches.every(runFromMatchAlone)) return { kind: 'locked' };

  const now = Date.now();
  const model = { id: plan.modelId, name: request.modelName };
  const current = holderIndex === null ? undefined : { index: holderIndex };
  const options = { reason: 'set' as const };
  const event = newEvent(aliasEvent(origin, model, request.alias, version, current, options));
  const history = historyEntry(origin, model, request.alias, version.index, holderIndex, options, now);
  const { runs, pending } = planRuns(event, plan.matches, now);
  const params: GateParams = {
    modelId: plan.modelId,
    readStamp: plan.modelStamp,
    stamp: nextStamp(plan.modelStamp, now),
    alias: request.alias,
    versionId: version.id,
    userId: origin.userId,
    now,
    holderId: plan.holderId ?? '',
    teamId: request.teamId,
    matchCount: plan.matchCount,
    matchUpdatedAt: plan.matchStamp,
  };
  const applied = await (plan.holderId === null ? addGate : moveGate).run(db, params, [[history], [event], runs] as Array<Array<Record<string, unknown>>>);
  if (!applied) return { kind: 'stale' };
  eventsCounter.inc({ type: event.type });
  if (pending > 0) after.notify(CHANNEL_RUNS);
  const held = [...aliases, request.alias].sort();
  return { kind: 'done', change: current ? 'moved' : 'added', version: { version, aliases: held, checks, holderIndex } };
}

/** Reads and writes before the move leaves the gate to the locked path: moves of one alias racing each other. */
const OPTIMISTIC_ATTEMPTS = 3;

/**
 * Puts an alias on a version (moving it from another version of the model if one holds it). `expectedVersion`:
 * compare-and-set — "v2" the alias must be on v2, null it must not exist (409 `alias_moved` otherwise).
 */
export async function setAlias(
  ctx: Ctx,
  actor: GovernedActor,
  modelName: string,
  alias: string,
  versionRef: string,
  expectedVersion?: string | null,
): Promise<{ change: AliasChange; version: ModelVersionView }> {
  checkExplicitAlias('alias', alias);
  if (!versionRef) throw invalid('version', 'is required (e.g. "v2")');
  const expectedIndex = expectedVersion === undefined || expectedVersion === null ? expectedVersion : expectedIndexOf(expectedVersion);
  const request: MoveRequest = { teamId: actor.team.id, modelName, alias, versionRef, expectedIndex };
  const origin = originOf(actor);
  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
    const outcome = await readThenWrite(ctx, (db) => readMove(db, request), (db, plan, after) => writeMove(db, plan, after, request, origin));
    if (outcome.kind === 'locked') break;
    if (outcome.kind === 'done') {
      const { version, aliases, checks } = outcome.version;
      return { change: outcome.change, version: versionView(version, aliases, checks) };
    }
  }
  return setAliasLocked(ctx, actor, modelName, alias, versionRef, expectedIndex);
}
