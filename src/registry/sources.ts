// Resolving a link source (`project/artifact:v2` or `project/artifact:alias`) to the artifact version it names,
// within one team. Artifact versions are immutable, so the answer needs no lock.
import type { Db } from '../db/index.js';
import { notFound } from '../core/errors.js';
import { prepared } from '../db/prepared.js';
import type { SourceRef } from './refs.js';

export interface ResolvedArtifactVersion {
  id: string;
  index: number;
  /** JSON object text, as stored. */
  metadata: string;
  artifactId: string;
  artifact: string;
  project: string;
}

interface Names {
  teamId: string;
  project: string;
  artifact: string;
}

function versionsOf(db: Db, p: Names) {
  return db
    .selectFrom('artifact_versions as av')
    .innerJoin('artifacts as a', 'a.id', 'av.artifact_id')
    .innerJoin('projects as p', 'p.id', 'a.project_id')
    .select(['av.id', 'av.index', 'av.metadata', 'a.id as artifactId', 'a.name as artifact', 'p.name as project'])
    .where('p.team_id', '=', p.teamId)
    .where('p.name', '=', p.project)
    .where('a.name', '=', p.artifact);
}

const versionByIndex = prepared((db, p: Names & { index: number }) => versionsOf(db, p).where('av.index', '=', p.index));

const versionByAlias = prepared((db, p: Names & { alias: string }) =>
  versionsOf(db, p)
    .innerJoin('artifact_aliases as aa', (join) => join.onRef('aa.version_id', '=', 'av.id').onRef('aa.artifact_id', '=', 'a.id'))
    .where('aa.alias', '=', p.alias),
);

export async function resolveArtifactVersion(db: Db, teamId: string, source: SourceRef): Promise<ResolvedArtifactVersion> {
  const names = { teamId, project: source.project, artifact: source.artifact };
  const row =
    source.ref.index !== undefined
      ? await versionByIndex.first(db, { ...names, index: source.ref.index })
      : await versionByAlias.first(db, { ...names, alias: source.ref.alias });
  if (!row) {
    const ref = source.ref.index !== undefined ? `v${source.ref.index}` : source.ref.alias;
    throw notFound(`artifact version "${source.project}/${source.artifact}:${ref}"`);
  }
  return row;
}

export function parseMetadata(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}
