// Teams, membership and the role check every team route goes through. Outsiders get 404 for everything of a team
// (its existence is not revealed); members whose role is too low get 403.
import type { Db, Notifier, Tx } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import { inTransaction } from '../db/transaction.js';
import type { Team, TeamRole, User } from '../db/schema.js';
import { AppError, conflict, forbidden, invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { checkName, REGISTRY_PROJECT } from '../core/names.js';
import type { Actor } from './actor.js';
import { CHANNEL_ACCESS, type AccessCache } from './access-cache.js';

/** What a change needs of the application's context (structurally a part of AppContext). */
type Ctx = { db: Db; notifier: Notifier };

const RANK: Record<TeamRole, number> = { viewer: 0, member: 1, admin: 2 };
export const TEAM_ROLES: TeamRole[] = ['admin', 'member', 'viewer'];

export interface TeamAccess {
  team: Team;
  role: TeamRole;
  user: User;
}

const membership = prepared((db, p: { teamName: string; userId: string }) =>
  db
    .selectFrom('teams')
    .innerJoin('team_members', 'team_members.team_id', 'teams.id')
    .selectAll('teams')
    .select('team_members.role')
    .where('teams.name', '=', p.teamName)
    .where('team_members.user_id', '=', p.userId),
);

export async function requireTeam(ctx: { db: Db; access: AccessCache }, user: User, teamName: string, minimum: TeamRole): Promise<TeamAccess> {
  const found = await ctx.access.membership(user.id, teamName, async () => {
    const row = await membership.first(ctx.db, { teamName, userId: user.id });
    if (!row) return undefined;
    const { role, ...team } = row;
    return { team, role };
  });
  if (!found) throw notFound(`team "${teamName}"`);
  const { role, team } = found;
  if (RANK[role] < RANK[minimum]) {
    throw forbidden(`this needs the ${minimum} role in team "${teamName}"; you are ${role === 'admin' ? 'an' : 'a'} ${role}`);
  }
  return { team, role, user };
}

export async function createTeam(ctx: Ctx, user: Actor['user'], name: string): Promise<Team> {
  checkName('name', name);
  const now = Date.now();
  const team: Team = { id: newId(), name, created_at: now, created_by: user.id };
  try {
    await inTransaction(ctx, async (tx) => {
      await tx.insertInto('teams').values(team).execute();
      await tx.insertInto('team_members').values({ team_id: team.id, user_id: user.id, role: 'admin', created_at: now }).execute();
      await tx
        .insertInto('projects')
        .values({
          id: newId(),
          team_id: team.id,
          name: REGISTRY_PROJECT,
          description: 'The team model registry',
          created_by: user.id,
          created_at: now,
        })
        .execute();
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`a team named "${name}" already exists`);
    throw error;
  }
  return team;
}

export async function listTeams(db: Db, user: User): Promise<Array<Team & { role: TeamRole }>> {
  return db
    .selectFrom('teams')
    .innerJoin('team_members', 'team_members.team_id', 'teams.id')
    .selectAll('teams')
    .select('team_members.role')
    .where('team_members.user_id', '=', user.id)
    .orderBy('teams.name')
    .execute();
}

export async function listMembers(db: Db, teamId: string) {
  return db
    .selectFrom('team_members')
    .innerJoin('users', 'users.id', 'team_members.user_id')
    .select(['users.id', 'users.name', 'team_members.role', 'team_members.created_at'])
    .where('team_members.team_id', '=', teamId)
    .orderBy('users.name')
    .execute();
}

/** Adds a user to the team or changes their role; a team always keeps at least one admin. */
export async function setMember(ctx: Ctx, actor: Actor, userName: string, role: TeamRole): Promise<{ created: boolean }> {
  const teamId = actor.team.id;
  return inTransaction(ctx, async (tx, after) => {
    after.notify(CHANNEL_ACCESS);
    const user = await tx.selectFrom('users').select('id').where('name', '=', userName).executeTakeFirst();
    if (!user) throw invalid('user', `no user named "${userName}"`);
    const existing = await tx
      .selectFrom('team_members')
      .select('role')
      .where('team_id', '=', teamId)
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    if (existing) {
      if (existing.role === 'admin' && role !== 'admin') await ensureAnotherAdmin(tx, teamId, user.id);
      await tx.updateTable('team_members').set({ role }).where('team_id', '=', teamId).where('user_id', '=', user.id).execute();
      return { created: false };
    }
    await tx.insertInto('team_members').values({ team_id: teamId, user_id: user.id, role, created_at: Date.now() }).execute();
    return { created: true };
  });
}

export async function removeMember(ctx: Ctx, actor: Actor, userName: string): Promise<void> {
  const teamId = actor.team.id;
  await inTransaction(ctx, async (tx, after) => {
    after.notify(CHANNEL_ACCESS);
    const member = await tx
      .selectFrom('team_members')
      .innerJoin('users', 'users.id', 'team_members.user_id')
      .select(['users.id', 'team_members.role'])
      .where('team_members.team_id', '=', teamId)
      .where('users.name', '=', userName)
      .executeTakeFirst();
    if (!member) throw notFound(`member "${userName}"`);
    if (member.role === 'admin') await ensureAnotherAdmin(tx, teamId, member.id);
    await tx.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', member.id).execute();
  });
}

async function ensureAnotherAdmin(db: Tx, teamId: string, exceptUserId: string): Promise<void> {
  const other = await db
    .selectFrom('team_members')
    .select('user_id')
    .where('team_id', '=', teamId)
    .where('role', '=', 'admin')
    .where('user_id', '!=', exceptUserId)
    .executeTakeFirst();
  if (!other) throw new AppError('conflict', 'a team must keep at least one admin');
}
