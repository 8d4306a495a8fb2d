// Choosing an artifact version to link: a search over the team's artifacts (project/artifact), then the chosen
// artifact's versions with their aliases. The choice is written as the API's source text (`project/artifact:v3`).
import { useMemo, useState } from 'react';
import { api, teamPath, withQuery } from '../api/client';
import type { Artifact, ArtifactVersionSummary, Page, Project } from '../api/types';
import { Time } from './Time';
import { useLoad } from './useLoad';

/** Projects and artifacts per project read for the search; a team with more narrows it by typing the source. */
const PICKER_LIMIT = 200;
const VERSIONS_SHOWN = 50;
const MATCHES_SHOWN = 30;

export function ArtifactVersionPicker({ team, value, onChange }: { team: string; value: string; onChange: (source: string) => void }) {
  const [query, setQuery] = useState('');
  const [chosen, setChosen] = useState<{ project: string; artifact: string }>();
  const artifacts = useLoad(async () => {
    const projects = await api.get<Page<Project>>(withQuery(teamPath(team, 'projects'), { limit: PICKER_LIMIT }));
    const lists = await Promise.all(
      projects.items.map((p) => api.get<Page<Artifact>>(withQuery(teamPath(team, 'projects', p.name, 'artifacts'), { limit: PICKER_LIMIT }))),
    );
    return lists.flatMap((list, i) => list.items.map((a) => ({ project: projects.items[i]!.name, artifact: a.name, type: a.type, versions: a.versionCount })));
  }, `${team}|picker`);
  const matches = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return (artifacts.data ?? []).filter((a) => words.every((w) => `${a.project}/${a.artifact} ${a.type}`.toLowerCase().includes(w))).slice(0, MATCHES_SHOWN);
  }, [artifacts.data, query]);
  const versionsPath = chosen ? teamPath(team, 'projects', chosen.project, 'artifacts', chosen.artifact, 'versions') : '';
  const versions = useLoad(
    () => (chosen ? api.get<Page<ArtifactVersionSummary>>(withQuery(versionsPath, { limit: VERSIONS_SHOWN })) : Promise.resolve({ items: [], nextCursor: null })),
    versionsPath,
  );

  return (
    <div className="field">
      <label htmlFor="artifact-search">Find an artifact</label>
      <input id="artifact-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="project or artifact name" aria-controls="artifact-matches" />
      {artifacts.error && <span className="field-error">{artifacts.error.sentence}</span>}
      <div className="picker" id="artifact-matches" role="group" aria-label="Artifacts">
        {!artifacts.data ? (
          <p className="muted small" style={{ padding: 6 }}>
            Loading artifacts…
          </p>
        ) : matches.length === 0 ? (
          <p className="muted small" style={{ padding: 6 }}>
            {artifacts.data.length === 0 ? 'No artifacts in this team yet: upload one under Artifacts.' : 'No artifact matches.'}
          </p>
        ) : (
          matches.map((a) => {
            const selected = chosen?.project === a.project && chosen.artifact === a.artifact;
            return (
              <button type="button" key={`${a.project}/${a.artifact}`} aria-pressed={selected} onClick={() => setChosen({ project: a.project, artifact: a.artifact })}>
                <span className="mono">
                  {a.project}/{a.artifact}
                </span>
                <span className="muted small">
                  {a.type} · {a.versions} version{a.versions === 1 ? '' : 's'}
                </span>
              </button>
            );
          })
        )}
      </div>
      {chosen && (
        <div className="picker" role="group" aria-label={`Versions of ${chosen.project}/${chosen.artifact}`}>
          {versions.data?.items.map((v) => {
            const source = `${chosen.project}/${chosen.artifact}:${v.version}`;
            return (
              <button type="button" key={v.id} aria-pressed={value === source} onClick={() => onChange(source)}>
                <span>
                  <strong>{v.version}</strong> {v.aliases.map((alias) => <span key={alias} className="badge alias">{alias}</span>)}
                </span>
                <span className="muted small">
                  <Time value={v.createdAt} />
                </span>
              </button>
            );
          })}
        </div>
      )}
    </div>
  );
}
