// Alias policies: which aliases are governed, who may move them, and what a move needs first (approvals, checks).
//
// Several policies may cover one alias (one for every model, one for this model, …): the alias then needs what the
// strictest of them asks — the highest `setBy`, the most approvals, every required check of each. Patterns are
// regular expressions run by RE2 (as automations' alias filters), searched anywhere in the alias: anchor them
// (`^production$`) for one exact name. `latest` is never governed (it moves by itself on every link).
import type { Actor } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import type { Db, Tx } from '../db/index.js';
import type { AliasPolicy, TeamRole } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { AppError, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { checkName } from '../core/names.js';
import { aliasMatches, compileAliasPattern, MAX_ALIAS_PATTERN_LENGTH } from '../automations/alias-pattern.js';
import { iso } from './collections.js';

type Ctx = Pick<AppContext, 'db' | 'notifier'>;

export const MAX_POLICY_APPROVALS = 5;
export const MAX_REQUIRED_CHECKS = 20;

export interface AliasPolicyInput {
  aliasPattern: string;
  model: string | null;
  setBy: 'admin' | 'member';
  approvals: number;
  requiredChecks: string[];
}

export interface AliasPolicyView extends AliasPolicyInput {
  id: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** What governs one alias of one model: the strictest of the policies covering it. */
export interface Governance {
  policyIds: string[];
  /** "policy <id> (^production$)" for messages. */
  names: string[];
  setBy: 'admin' | 'member';
  approvals: number;
  requiredChecks: string[];
}

const RANK: Record<TeamRole, number> = { viewer: 0, member: 1, admin: 2 };

export function roleAllows(role: TeamRole, setBy: 'admin' | 'member'): boolean {
  return RANK[role] >= RANK[setBy];
}

function checkPattern(pattern: string): string {
  if (pattern.length === 0) throw invalid('aliasPattern', 'must not be empty');
  if (pattern.length > MAX_ALIAS_PATTERN_LENGTH) throw invalid('aliasPattern', `must be at most ${MAX_ALIAS_PATTERN_LENGTH} characters`);
  try {
    compileAliasPattern(pattern);
  } catch (error) {
    throw invalid('aliasPattern', `not a valid regular expression (RE2 syntax: no backreferences or lookaround): ${(error as Error).message}`);
  }
  return pattern;
}

function checkInput(input: AliasPolicyInput): void {
  checkPattern(input.aliasPattern);
  if (!Number.isInteger(input.approvals) || input.approvals < 0 || input.approvals > MAX_POLICY_APPROVALS) {
    throw invalid('approvals', `must be a whole number from 0 to ${MAX_POLICY_APPROVALS}`);
  }
  if (input.requiredChecks.length > MAX_REQUIRED_CHECKS) throw invalid('requiredChecks', `at most ${MAX_REQUIRED_CHECKS} checks`);
  input.requiredChecks.forEach((name, i) => checkName(`requiredChecks[${i}]`, name));
}

async function modelIdOf(db: Db | Tx, teamId: string, name: string): Promise<string> {
  const model = await db.selectFrom('registered_models').select('id').where('team_id', '=', teamId).where('name', '=', name).executeTakeFirst();
  if (!model) throw invalid('model', `no registered model named "${name}" in this team`);
  return model.id;
}

function listQuery(db: Db | Tx, teamId: string) {
  return db
    .selectFrom('alias_policies as p')
    .leftJoin('registered_models as m', 'm.id', 'p.model_id')
    .leftJoin('users as u', 'u.id', 'p.created_by')
    .selectAll('p')
    .select(['m.name as model_name', 'u.name as creator'])
    .where('p.team_id', '=', teamId);
}

function toView(row: AliasPolicy & { model_name: string | null; creator: string | null }): AliasPolicyView {
  return {
    id: row.id,
    aliasPattern: row.alias_pattern,
    model: row.model_name,
    setBy: row.set_by,
    approvals: row.approvals,
    requiredChecks: JSON.parse(row.required_checks) as string[],
    createdBy: row.creator ?? '',
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export async function listAliasPolicies(db: Db, teamId: string): Promise<AliasPolicyView[]> {
  return (await listQuery(db, teamId).orderBy('p.id').execute()).map(toView);
}

export async function getAliasPolicy(db: Db | Tx, teamId: string, id: string): Promise<AliasPolicyView> {
  const row = await listQuery(db, teamId).where('p.id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`alias policy ${id}`);
  return toView(row);
}

export async function createAliasPolicy(ctx: Ctx, actor: Actor, input: AliasPolicyInput): Promise<AliasPolicyView> {
  checkInput(input);
  const now = Date.now();
  const id = newId();
  await inTransaction(ctx, async (tx) => {
    const model_id = input.model === null ? null : await modelIdOf(tx, actor.team.id, input.model);
    await tx
      .insertInto('alias_policies')
      .values({
        id,
        team_id: actor.team.id,
        alias_pattern: input.aliasPattern,
        model_id,
        set_by: input.setBy,
        approvals: input.approvals,
        required_checks: JSON.stringify([...new Set(input.requiredChecks)]),
        created_by: actor.user.id,
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  return getAliasPolicy(ctx.db, actor.team.id, id);
}

export async function updateAliasPolicy(ctx: Ctx, actor: Actor, id: string, patch: Partial<AliasPolicyInput>): Promise<AliasPolicyView> {
  await inTransaction(ctx, async (tx) => {
    const current = await getAliasPolicy(tx, actor.team.id, id);
    const next: AliasPolicyInput = {
      aliasPattern: patch.aliasPattern ?? current.aliasPattern,
      model: patch.model === undefined ? current.model : patch.model,
      setBy: patch.setBy ?? current.setBy,
      approvals: patch.approvals ?? current.approvals,
      requiredChecks: patch.requiredChecks ?? current.requiredChecks,
    };
    checkInput(next);
    const model_id = next.model === null ? null : await modelIdOf(tx, actor.team.id, next.model);
    await tx
      .updateTable('alias_policies')
      .set({
        alias_pattern: next.aliasPattern,
        model_id,
        set_by: next.setBy,
        approvals: next.approvals,
        required_checks: JSON.stringify([...new Set(next.requiredChecks)]),
        updated_at: Date.now(),
      })
      .where('team_id', '=', actor.team.id)
      .where('id', '=', id)
      .execute();
  });
  return getAliasPolicy(ctx.db, actor.team.id, id);
}

export async function deleteAliasPolicy(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const result = await tx.deleteFrom('alias_policies').where('team_id', '=', actor.team.id).where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw notFound(`alias policy ${id}`);
  });
}

/** The policies covering `alias` on the model, combined (see the top of this file); null when none does. */
export async function governanceOf(db: Db | Tx, teamId: string, modelId: string, alias: string): Promise<Governance | null> {
  const rows = await db
    .selectFrom('alias_policies')
    .select(['id', 'alias_pattern', 'set_by', 'approvals', 'required_checks'])
    .where('team_id', '=', teamId)
    .where((eb) => eb.or([eb('model_id', '=', modelId), eb('model_id', 'is', null)]))
    .orderBy('id')
    .execute();
  const covering = rows.filter((row) => aliasMatches(row.alias_pattern, alias));
  if (covering.length === 0) return null;
  const checks = new Set<string>();
  for (const row of covering) for (const name of JSON.parse(row.required_checks) as string[]) checks.add(name);
  return {
    policyIds: covering.map((row) => row.id),
    names: covering.map((row) => `policy ${row.id} (${row.alias_pattern})`),
    setBy: covering.some((row) => row.set_by === 'admin') ? 'admin' : 'member',
    approvals: Math.max(...covering.map((row) => row.approvals)),
    requiredChecks: [...checks].sort(),
  };
}

/** Whether a move of this alias must go through a promotion request. */
export function needsPromotion(governance: Governance | null): boolean {
  return governance !== null && (governance.approvals > 0 || governance.requiredChecks.length > 0);
}

/**
 * A direct change of a governed alias (PUT, DELETE, rollback, link with aliases): 403 for a role below the policy's
 * `setBy`, 409 `promotion_required` when the policy wants approvals or checks.
 */
export async function enforceDirectChange(
  db: Db | Tx,
  teamId: string,
  role: TeamRole,
  model: { id: string; name: string; /** false when lockModel found no policy that could cover the model */ governed?: boolean },
  alias: string,
): Promise<void> {
  if (model.governed === false) return;
  const governance = await governanceOf(db, teamId, model.id, alias);
  if (governance === null) return;
  if (!roleAllows(role, governance.setBy)) {
    throw new AppError(
      'forbidden',
      `alias "${alias}" of "${model.name}" is governed by ${governance.names.join(', ')}: only ${governance.setBy === 'admin' ? 'admins' : 'members and admins'} may change it`,
      { policyIds: governance.policyIds },
    );
  }
  if (needsPromotion(governance)) {
    throw new AppError(
      'promotion_required',
      `alias "${alias}" of "${model.name}" is governed by ${governance.names.join(', ')}, which asks for ${describeNeeds(governance)}: request a promotion (POST …/models/${model.name}/promotions)`,
      { policyIds: governance.policyIds, approvals: governance.approvals, requiredChecks: governance.requiredChecks },
    );
  }
}

export function describeNeeds(governance: Governance): string {
  const parts: string[] = [];
  if (governance.approvals > 0) parts.push(`${governance.approvals} approval${governance.approvals === 1 ? '' : 's'}`);
  if (governance.requiredChecks.length > 0) parts.push(`the check${governance.requiredChecks.length === 1 ? '' : 's'} ${governance.requiredChecks.join(', ')}`);
  return parts.join(' and ');
}
