// What artifacts and registered models have in common: each is a collection of versions v0, v1, … whose aliases
// point at one version each, `latest` at the newest. The views of both read the same way from their own tables.
import { versionLabel } from './refs.js';

export const iso = (ms: number): string => new Date(ms).toISOString();

/** The label of the version `latest` points at; null while the collection has no version. */
export function latestVersionLabel(latestIndex: number | null | undefined): string | null {
  return latestIndex === null || latestIndex === undefined ? null : versionLabel(latestIndex);
}

/** The aliases each version holds, sorted, from (version id, alias) rows of an alias table. */
export function aliasesByVersion(rows: ReadonlyArray<{ version_id: string; alias: string }>): Map<string, string[]> {
  const byVersion = new Map<string, string[]>();
  for (const row of rows) {
    const list = byVersion.get(row.version_id) ?? [];
    list.push(row.alias);
    byVersion.set(row.version_id, list);
  }
  for (const list of byVersion.values()) list.sort();
  return byVersion;
}
