// Projects group a team's artifacts. Every team has the `model-registry` project (created with the team, see
// auth/teams.ts); it holds the registered models rather than logged artifacts.
import type { Db } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import type { Actor } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import { inTransaction } from '../db/transaction.js';
import { conflict, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { checkName } from '../core/names.js';

export interface ProjectView {
  id: string;
  name: string;
  description: string;
  createdBy: string;
  createdAt: string;
}

export async function createProject(
  ctx: Pick<AppContext, 'db' | 'notifier'>,
  actor: Actor,
  input: { name: string; description?: string },
): Promise<ProjectView> {
  checkName('name', input.name);
  const row = {
    id: newId(),
    team_id: actor.team.id,
    name: input.name,
    description: input.description ?? '',
    created_by: actor.user.id,
    created_at: Date.now(),
  };
  try {
    await inTransaction(ctx, async (tx) => {
      await tx.insertInto('projects').values(row).execute();
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`a project named "${input.name}" already exists in this team`);
    throw error;
  }
  return { id: row.id, name: row.name, description: row.description, createdBy: actor.user.name, createdAt: new Date(row.created_at).toISOString() };
}

/** Projects by name, `limit + 1` rows from after `afterName` (the caller pages). */
export async function listProjects(db: Db, teamId: string, limit: number, afterName?: string): Promise<ProjectView[]> {
  let query = db
    .selectFrom('projects')
    .leftJoin('users', 'users.id', 'projects.created_by')
    .select(['projects.id', 'projects.name', 'projects.description', 'projects.created_at', 'users.name as creator'])
    .where('projects.team_id', '=', teamId)
    .orderBy('projects.name')
    .limit(limit + 1);
  if (afterName !== undefined) query = query.where('projects.name', '>', afterName);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    createdBy: r.creator ?? '',
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

export async function findProject(db: Db, teamId: string, name: string): Promise<{ id: string; name: string }> {
  const project = await db
    .selectFrom('projects')
    .select(['id', 'name'])
    .where('team_id', '=', teamId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!project) throw notFound(`project "${name}"`);
  return project;
}
