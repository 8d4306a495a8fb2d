// References to versions as users write them: `v3` or an alias within a collection, and link sources
// `project/artifact:v3` / `project/artifact:alias`. Pure parsing; lookups live beside the tables they read.
import { invalid } from '../core/errors.js';
import { checkAlias, NAME_PATTERN, parseVersionIndex, truncate } from '../core/names.js';

/** The alias every collection moves to its newest version by itself; nobody sets or removes it by hand. */
export const LATEST = 'latest';

export type VersionRef = { index: number; alias?: undefined } | { index?: undefined; alias: string };

/** `v3` → index 3; anything else must be a valid alias (including `latest`). */
export function parseVersionRef(field: string, ref: string): VersionRef {
  const index = parseVersionIndex(ref);
  if (index !== undefined) return { index };
  if (!NAME_PATTERN.test(ref)) throw invalid(field, `"${truncate(ref)}" is neither a version (v0, v1, …) nor an alias`);
  return { alias: ref };
}

export interface SourceRef {
  project: string;
  artifact: string;
  ref: VersionRef;
}

const SOURCE_PATTERN = /^([^/:]+)\/([^/:]+):([^/:]+)$/;

/** `project/artifact:v2` or `project/artifact:alias`. */
export function parseSource(field: string, source: string): SourceRef {
  const match = SOURCE_PATTERN.exec(source);
  if (!match) throw invalid(field, `"${truncate(source)}" must look like "project/artifact:v2" or "project/artifact:alias"`);
  const [, project, artifact, ref] = match as unknown as [string, string, string, string];
  if (!NAME_PATTERN.test(project)) throw invalid(field, `"${truncate(project)}" is not a valid project name`);
  if (!NAME_PATTERN.test(artifact)) throw invalid(field, `"${truncate(artifact)}" is not a valid artifact name`);
  return { project, artifact, ref: parseVersionRef(field, ref) };
}

/** Aliases a user sets by hand: valid names, not `v<number>`, not `latest`; duplicates collapse. */
export function checkExplicitAliases(field: string, aliases: readonly string[]): string[] {
  aliases.forEach((alias, i) => checkExplicitAlias(`${field}[${i}]`, alias));
  return [...new Set(aliases)];
}

export function checkExplicitAlias(field: string, alias: string): string {
  checkAlias(field, alias);
  if (alias === LATEST) throw invalid(field, `"${LATEST}" moves to the newest version by itself and cannot be set by hand`);
  return alias;
}

export const versionLabel = (index: number): string => `v${index}`;
