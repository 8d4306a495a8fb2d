// Resolving a link source (`project/artifact:v2` or `project/artifact:alias`) to the artifact version it names,
// within one team. Artifact versions are immutable, so the answer needs no lock.
import type { Db } from '../db/index.js';
import { notFound } from '../core/errors.js';
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

export async function resolveArtifactVersion(db: Db, teamId: string, source: SourceRef): Promise<ResolvedArtifactVersion> {
  let query = db
    .selectFrom('artifact_versions as av')
    .innerJoin('artifacts as a', 'a.id', 'av.artifact_id')
    .innerJoin('projects as p', 'p.id', 'a.project_id')
    .select(['av.id', 'av.index', 'av.metadata', 'a.id as artifactId', 'a.name as artifact', 'p.name as project'])
    .where('p.team_id', '=', teamId)
    .where('p.name', '=', source.project)
    .where('a.name', '=', source.artifact);
  if (source.ref.index !== undefined) {
    query = query.where('av.index', '=', source.ref.index);
  } else {
    query = query
      .innerJoin('artifact_aliases as aa', (join) => join.onRef('aa.version_id', '=', 'av.id').onRef('aa.artifact_id', '=', 'a.id'))
      .where('aa.alias', '=', source.ref.alias);
  }
  const row = await query.executeTakeFirst();
  if (!row) {
    const ref = source.ref.index !== undefined ? `v${source.ref.index}` : source.ref.alias;
    throw notFound(`artifact version "${source.project}/${source.artifact}:${ref}"`);
  }
  return row;
}

export function parseMetadata(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}
