// Artifacts: named collections of immutable versions v0, v1, … in a project. A version has a type, a description,
// metadata (a JSON object) and a manifest of files (path, size, sha256) whose bytes live in the BlobStore.
// Logging content identical to the latest version (same digest over files, type and metadata) returns that version.
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { Actor } from '../auth/actor.js';
import type { AppContext } from '../context.js';
import type { Db, Tx } from '../db/index.js';
import { inTransaction } from '../db/transaction.js';
import { invalid, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { checkName } from '../core/names.js';
import type { BlobStore, StagedBlob } from './blobs.js';
import { recordEvent } from '../automations/events.js';
import { findProject } from './projects.js';
import { REGISTRY_PROJECT } from '../core/names.js';
import { LATEST, parseVersionRef, versionLabel } from './refs.js';
import { parseMetadata } from './sources.js';
import { aliasesByVersion, iso, latestVersionLabel } from './collections.js';

type Ctx = Pick<AppContext, 'db' | 'notifier' | 'config'>;

export interface ArtifactFileView {
  path: string;
  size: number;
  sha256: string;
}

export interface ArtifactVersionSummary {
  id: string;
  version: string;
  index: number;
  aliases: string[];
  type: string;
  description: string;
  digest: string;
  size: number;
  fileCount: number;
  createdBy: string;
  createdAt: string;
}

export interface ArtifactVersionView extends ArtifactVersionSummary {
  project: string;
  artifact: string;
  metadata: Record<string, unknown>;
  files: ArtifactFileView[];
}

export interface ArtifactView {
  id: string;
  name: string;
  type: string;
  project: string;
  versionCount: number;
  latestVersion: string | null;
  createdAt: string;
}

export interface UploadedFile extends StagedBlob {
  path: string;
}

export interface NewArtifactVersion {
  type: string;
  description: string;
  metadata: Record<string, unknown>;
  aliases: string[];
  files: UploadedFile[];
}

const MAX_PATH_LENGTH = 1024;
// SQLite allows 32,766 bound variables per statement; four columns per file row keeps a chunk well below it.
const FILE_ROWS_PER_INSERT = 500;

/** A file's path inside a version: relative, `/`-separated, no empty, `.` or `..` segments, no control characters. */
export function checkFilePath(field: string, filePath: string): string {
  if (filePath === '') throw invalid(field, 'a file needs a name (its path in the artifact)');
  if (filePath.length > MAX_PATH_LENGTH) throw invalid(field, `paths are at most ${MAX_PATH_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(filePath)) throw invalid(field, `"${filePath}" contains a control character or a backslash`);
  if (filePath.startsWith('/')) throw invalid(field, `"${filePath}" is absolute; paths are relative to the artifact`);
  if (filePath.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw invalid(field, `"${filePath}" has an empty, "." or ".." segment`);
  }
  return filePath;
}

/** Identical content → identical digest: the sorted manifest, the type and the metadata in canonical JSON. */
export function contentDigest(type: string, metadata: Record<string, unknown>, files: ArtifactFileView[]): string {
  const manifest = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => [f.path, f.sha256]);
  return createHash('sha256').update(stringify({ type, metadata, files: manifest }) ?? '').digest('hex');
}

/**
 * Logs a version: the staged files are moved into the blob store first (so a committed manifest never names a
 * missing blob; a blob left behind by a failed transaction is harmless content that a later upload reuses), then
 * the artifact, version, manifest, aliases and the CREATE_ARTIFACT event are written in one transaction.
 */
export async function logArtifactVersion(
  ctx: Ctx,
  blobs: BlobStore,
  actor: Actor,
  projectName: string,
  artifactName: string,
  input: NewArtifactVersion,
): Promise<{ created: boolean; version: ArtifactVersionView }> {
  checkName('artifact', artifactName);
  const files = input.files.map(({ path, size, sha256 }) => ({ path, size, sha256 }));
  const digest = contentDigest(input.type, input.metadata, files);
  // Checked before the blobs are committed so a refused upload leaves no stray blobs; checked again in the transaction.
  const project = await findProject(ctx.db, actor.team.id, projectName);
  const existing = await ctx.db
    .selectFrom('artifacts')
    .select('type')
    .where('project_id', '=', project.id)
    .where('name', '=', artifactName)
    .executeTakeFirst();
  if (existing && existing.type !== input.type) throw typeMismatch(artifactName, existing.type, input.type);
  for (const file of input.files) await blobs.commit(file);

  const { created, versionId } = await inTransaction(ctx, async (tx, after) => {
    const now = Date.now();
    // Creating the artifact or reserving its next index is one statement, and it locks the artifact's row.
    const artifact = await tx
      .insertInto('artifacts')
      .values({ id: newId(), team_id: actor.team.id, project_id: project.id, name: artifactName, type: input.type, next_index: 1, created_at: now })
      .onConflict((oc) => oc.columns(['project_id', 'name']).doUpdateSet((eb) => ({ next_index: eb('artifacts.next_index', '+', 1) })))
      .returning(['id', 'type', 'next_index'])
      .executeTakeFirstOrThrow();
    if (artifact.type !== input.type) throw typeMismatch(artifactName, artifact.type, input.type);
    const index = artifact.next_index - 1;
    const latest = await tx
      .selectFrom('artifact_aliases as aa')
      .innerJoin('artifact_versions as av', 'av.id', 'aa.version_id')
      .select(['av.id', 'av.digest'])
      .where('aa.artifact_id', '=', artifact.id)
      .where('aa.alias', '=', LATEST)
      .executeTakeFirst();
    if (latest?.digest === digest) {
      // Same content as the latest version: give the reserved index back (the row lock is ours) and reuse it.
      await tx.updateTable('artifacts').set({ next_index: index }).where('id', '=', artifact.id).execute();
      for (const alias of input.aliases) await placeArtifactAlias(tx, artifact.id, alias, latest.id, now);
      return { created: false, versionId: latest.id };
    }

    const size = files.reduce((sum, f) => sum + f.size, 0);
    const versionId = newId();
    await tx
      .insertInto('artifact_versions')
      .values({
        id: versionId,
        team_id: actor.team.id,
        artifact_id: artifact.id,
        index,
        type: input.type,
        description: input.description,
        metadata: JSON.stringify(input.metadata),
        digest,
        size,
        file_count: files.length,
        created_by: actor.user.id,
        created_at: now,
      })
      .execute();
    for (let i = 0; i < files.length; i += FILE_ROWS_PER_INSERT) {
      const rows = files.slice(i, i + FILE_ROWS_PER_INSERT).map((f) => ({ version_id: versionId, ...f }));
      await tx.insertInto('artifact_files').values(rows).execute();
    }
    for (const alias of [LATEST, ...input.aliases]) await placeArtifactAlias(tx, artifact.id, alias, versionId, now);
    await recordEvent(tx, after, {
      teamId: actor.team.id,
      type: 'CREATE_ARTIFACT',
      project: project.name,
      collection: artifactName,
      artifactVersionId: versionId,
      versionIndex: index,
      author: actor.user.name,
      metadata: input.metadata,
    }, ctx.config);
    return { created: true, versionId };
  });
  return { created, version: await versionById(ctx.db, versionId) };
}

function typeMismatch(artifactName: string, held: string, given: string) {
  return invalid('type', `artifact "${artifactName}" holds "${held}" versions; a version cannot be "${given}"`);
}

/** Puts an alias on a version of an artifact, moving it from whichever version held it (primary key artifact+alias). */
async function placeArtifactAlias(tx: Tx, artifactId: string, alias: string, versionId: string, now: number): Promise<void> {
  await tx
    .insertInto('artifact_aliases')
    .values({ artifact_id: artifactId, alias, version_id: versionId, created_at: now })
    .onConflict((oc) => oc.columns(['artifact_id', 'alias']).doUpdateSet({ version_id: versionId, created_at: now }))
    .execute();
}

function versionQuery(db: Db) {
  return db
    .selectFrom('artifact_versions as av')
    .innerJoin('artifacts as a', 'a.id', 'av.artifact_id')
    .innerJoin('projects as p', 'p.id', 'a.project_id')
    .leftJoin('users as u', 'u.id', 'av.created_by')
    .select([
      'av.id',
      'av.index',
      'av.type',
      'av.description',
      'av.metadata',
      'av.digest',
      'av.size',
      'av.file_count',
      'av.created_at',
      'av.artifact_id',
      'a.name as artifact',
      'p.name as project',
      'u.name as creator',
    ]);
}

type VersionRow = Awaited<ReturnType<ReturnType<typeof versionQuery>['executeTakeFirstOrThrow']>>;

function summaryOf(row: VersionRow, aliases: string[]): ArtifactVersionSummary {
  return {
    id: row.id,
    version: versionLabel(row.index),
    index: row.index,
    aliases,
    type: row.type,
    description: row.description,
    digest: row.digest,
    size: Number(row.size),
    fileCount: row.file_count,
    createdBy: row.creator ?? '',
    createdAt: iso(row.created_at),
  };
}

async function aliasesOf(db: Db, versionIds: string[]): Promise<Map<string, string[]>> {
  if (versionIds.length === 0) return new Map();
  const rows = await db.selectFrom('artifact_aliases').select(['version_id', 'alias']).where('version_id', 'in', versionIds).execute();
  return aliasesByVersion(rows);
}

async function fullView(db: Db, row: VersionRow): Promise<ArtifactVersionView> {
  const [aliases, files] = await Promise.all([
    aliasesOf(db, [row.id]),
    db.selectFrom('artifact_files').select(['path', 'size', 'sha256']).where('version_id', '=', row.id).orderBy('path').execute(),
  ]);
  return {
    ...summaryOf(row, aliases.get(row.id) ?? []),
    project: row.project,
    artifact: row.artifact,
    metadata: parseMetadata(row.metadata),
    files: files.map((f) => ({ path: f.path, size: Number(f.size), sha256: f.sha256 })),
  };
}

async function versionById(db: Db, id: string): Promise<ArtifactVersionView> {
  return fullView(db, await versionQuery(db).where('av.id', '=', id).executeTakeFirstOrThrow());
}

async function findArtifact(db: Db, teamId: string, projectName: string, artifactName: string) {
  const artifact = await db
    .selectFrom('artifacts as a')
    .innerJoin('projects as p', 'p.id', 'a.project_id')
    .select(['a.id', 'a.name', 'a.type', 'a.created_at', 'p.name as project'])
    .where('p.team_id', '=', teamId)
    .where('p.name', '=', projectName)
    .where('a.name', '=', artifactName)
    .executeTakeFirst();
  if (!artifact) {
    await findProject(db, teamId, projectName);
    throw notFound(`artifact "${artifactName}" in project "${projectName}"`);
  }
  return artifact;
}

async function findVersionRow(db: Db, teamId: string, projectName: string, artifactName: string, ref: string): Promise<VersionRow> {
  const artifact = await findArtifact(db, teamId, projectName, artifactName);
  const parsed = parseVersionRef('version', ref);
  let query = versionQuery(db).where('av.artifact_id', '=', artifact.id);
  if (parsed.index !== undefined) {
    query = query.where('av.index', '=', parsed.index);
  } else {
    query = query
      .innerJoin('artifact_aliases as aa', 'aa.version_id', 'av.id')
      .where('aa.artifact_id', '=', artifact.id)
      .where('aa.alias', '=', parsed.alias);
  }
  const row = await query.executeTakeFirst();
  if (!row) throw notFound(`version "${ref}" of artifact "${projectName}/${artifactName}"`);
  return row;
}

export async function getArtifactVersion(db: Db, teamId: string, projectName: string, artifactName: string, ref: string): Promise<ArtifactVersionView> {
  return fullView(db, await findVersionRow(db, teamId, projectName, artifactName, ref));
}

/** One file of a version, for download. */
export async function findArtifactFile(
  db: Db,
  teamId: string,
  projectName: string,
  artifactName: string,
  ref: string,
  filePath: string,
): Promise<ArtifactFileView> {
  const version = await findVersionRow(db, teamId, projectName, artifactName, ref);
  const file = await db
    .selectFrom('artifact_files')
    .select(['path', 'size', 'sha256'])
    .where('version_id', '=', version.id)
    .where('path', '=', filePath)
    .executeTakeFirst();
  if (!file) throw notFound(`file "${filePath}" in ${projectName}/${artifactName}:${ref}`);
  return { path: file.path, size: Number(file.size), sha256: file.sha256 };
}

function artifactQuery(db: Db, teamId: string, projectName: string) {
  return db
    .selectFrom('artifacts as a')
    .innerJoin('projects as p', 'p.id', 'a.project_id')
    .select((eb) => [
      'a.id',
      'a.name',
      'a.type',
      'a.created_at',
      'p.name as project',
      eb
        .selectFrom('artifact_versions as av')
        .whereRef('av.artifact_id', '=', 'a.id')
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('version_count'),
      eb
        .selectFrom('artifact_aliases as aa')
        .innerJoin('artifact_versions as lv', 'lv.id', 'aa.version_id')
        .whereRef('aa.artifact_id', '=', 'a.id')
        .where('aa.alias', '=', LATEST)
        .select('lv.index')
        .as('latest_index'),
    ])
    .where('p.team_id', '=', teamId)
    .where('p.name', '=', projectName);
}

type ArtifactRow = Awaited<ReturnType<ReturnType<typeof artifactQuery>['executeTakeFirstOrThrow']>>;

function artifactView(row: ArtifactRow): ArtifactView {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    project: row.project,
    versionCount: Number(row.version_count ?? 0),
    latestVersion: latestVersionLabel(row.latest_index),
    createdAt: iso(row.created_at),
  };
}

/** Artifacts of a project by name, `limit + 1` rows after `afterName`. */
export async function listArtifacts(db: Db, teamId: string, projectName: string, limit: number, afterName?: string): Promise<ArtifactView[]> {
  await findProject(db, teamId, projectName);
  let query = artifactQuery(db, teamId, projectName).orderBy('a.name').limit(limit + 1);
  if (afterName !== undefined) query = query.where('a.name', '>', afterName);
  return (await query.execute()).map(artifactView);
}

export async function getArtifact(db: Db, teamId: string, projectName: string, artifactName: string): Promise<ArtifactView> {
  const row = await artifactQuery(db, teamId, projectName).where('a.name', '=', artifactName).executeTakeFirst();
  if (!row) {
    await findProject(db, teamId, projectName);
    throw notFound(`artifact "${artifactName}" in project "${projectName}"`);
  }
  return artifactView(row);
}

/** Versions newest first, `limit + 1` rows below index `beforeIndex`. */
export async function listArtifactVersions(
  db: Db,
  teamId: string,
  projectName: string,
  artifactName: string,
  options: { limit: number; beforeIndex?: number },
): Promise<ArtifactVersionSummary[]> {
  const artifact = await findArtifact(db, teamId, projectName, artifactName);
  let query = versionQuery(db).where('av.artifact_id', '=', artifact.id).orderBy('av.index', 'desc').limit(options.limit + 1);
  if (options.beforeIndex !== undefined) query = query.where('av.index', '<', options.beforeIndex);
  const rows = await query.execute();
  const aliases = await aliasesOf(db, rows.map((r) => r.id));
  return rows.map((row) => summaryOf(row, aliases.get(row.id) ?? []));
}

/** Artifacts are logged into ordinary projects; `model-registry` holds registered models (link to it instead). */
export async function findLoggableProject(db: Db, teamId: string, projectName: string): Promise<{ id: string; name: string }> {
  const project = await findProject(db, teamId, projectName);
  if (project.name === REGISTRY_PROJECT) {
    throw invalid('project', `"${REGISTRY_PROJECT}" holds registered models; log artifacts into another project and link them`);
  }
  return project;
}
