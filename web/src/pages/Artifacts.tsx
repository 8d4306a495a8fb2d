// The artifact browser: projects → artifacts → versions, with each version's files (downloadable) and metadata.
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, teamPath, withQuery } from '../api/client';
import type { Artifact, ArtifactVersion, ArtifactVersionSummary, Page, Project } from '../api/types';
import { teamUrl, useTeam } from '../session';
import { CreateNamedDialog } from '../components/CreateNamedDialog';
import { formatBytes } from '../components/format';
import { JsonView } from '../components/JsonView';
import { PageHead } from '../components/Layout';
import { LoadedList } from '../components/LoadedList';
import { Pager, useCursorPager } from '../components/Pager';
import { Empty, LoadError, Loading } from '../components/Status';
import { Time } from '../components/Time';
import { useLoad } from '../components/useLoad';
import { DataTable } from '../components/DataTable';

const PAGE_SIZE = 25;

export function ProjectList() {
  const { team, canEdit } = useTeam();
  const pager = useCursorPager(team);
  const projects = useLoad(
    () => api.get<Page<Project>>(withQuery(teamPath(team, 'projects'), { limit: PAGE_SIZE, cursor: pager.cursor })),
    `${team}|${pager.cursor ?? ''}`,
  );
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHead
        title="Artifacts"
        sub="Projects hold artifacts: named collections of immutable versions with files and metadata."
        actions={
          canEdit && (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              New project
            </button>
          )
        }
      />
      <div className="card">
        <LoadedList
          loaded={projects}
          loadingWhat="projects"
          empty={
            <Empty title="No projects yet.">
              <p>
                Create a project ({canEdit ? '“New project”, or ' : ''}<code>POST {teamPath(team, 'projects')}</code>), then upload artifact versions into it with the
                API: <code>POST {teamPath(team, 'projects', 'PROJECT', 'artifacts', 'NAME', 'versions')}</code>, a multipart form with <code>type</code>,{' '}
                <code>metadata</code> and one <code>file</code> part per file. The README’s “A first automation” shows both with <code>curl</code>; every
                operation is in the <a href="/api/docs">API reference</a>.
              </p>
            </Empty>
          }
        >
          {(items) => (
            <DataTable columns={['Project', 'Description', 'Created by', 'Created']}>
              {items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to={teamUrl(team, 'projects', p.name)}>{p.name}</Link>
                  </td>
                  <td className="muted">{p.description || '—'}</td>
                  <td>{p.createdBy}</td>
                  <td>
                    <Time value={p.createdAt} />
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </LoadedList>
        <Pager pager={pager} nextCursor={projects.data?.nextCursor} />
      </div>
      {creating && (
        <CreateNamedDialog
          title="New project"
          submitLabel="Create project"
          create={async (input) => {
            await api.post(teamPath(team, 'projects'), input);
            projects.reload();
          }}
          onClose={() => setCreating(false)}
        />
      )}
    </>
  );
}

export function ProjectPage() {
  const { team } = useTeam();
  const { project = '' } = useParams();
  const base = teamPath(team, 'projects', project, 'artifacts');
  const pager = useCursorPager(base);
  const artifacts = useLoad(() => api.get<Page<Artifact>>(withQuery(base, { limit: PAGE_SIZE, cursor: pager.cursor })), `${base}|${pager.cursor ?? ''}`);
  return (
    <>
      <PageHead
        crumbs={
          <>
            <Link to={teamUrl(team, 'projects')}>Artifacts</Link> / {project}
          </>
        }
        title={project}
      />
      <div className="card">
        <LoadedList
          loaded={artifacts}
          loadingWhat="artifacts"
          empty={
            <Empty title="No artifacts in this project yet.">
              <p>
                Upload a version with the API: <code>POST {teamPath(team, 'projects', project, 'artifacts', 'NAME', 'versions')}</code>, a multipart form with{' '}
                <code>type</code>, <code>metadata</code> and <code>file</code> parts (see the <a href="/api/docs">API reference</a>).
              </p>
            </Empty>
          }
        >
          {(items) => (
            <DataTable columns={['Artifact', 'Type', 'Versions', 'Created']}>
              {items.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link to={teamUrl(team, 'projects', project, 'artifacts', a.name)}>{a.name}</Link>
                  </td>
                  <td>
                    <span className="badge">{a.type}</span>
                  </td>
                  <td>{a.versionCount ?? '—'}</td>
                  <td>
                    <Time value={a.createdAt} />
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </LoadedList>
        <Pager pager={pager} nextCursor={artifacts.data?.nextCursor} />
      </div>
    </>
  );
}

export function ArtifactPage() {
  const { team } = useTeam();
  const { project = '', artifact = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const base = teamPath(team, 'projects', project, 'artifacts', artifact);
  const pager = useCursorPager(base);
  const versions = useLoad(
    () => api.get<Page<ArtifactVersionSummary>>(withQuery(`${base}/versions`, { limit: PAGE_SIZE, cursor: pager.cursor })),
    `${base}|${pager.cursor ?? ''}`,
  );
  const selected = params.get('version') ?? versions.data?.items[0]?.version;
  return (
    <>
      <PageHead
        crumbs={
          <>
            <Link to={teamUrl(team, 'projects')}>Artifacts</Link> / <Link to={teamUrl(team, 'projects', project)}>{project}</Link> / {artifact}
          </>
        }
        title={artifact}
      />
      <div className="editor-grid">
        <section className="card" aria-labelledby="artifact-versions">
          <h2 id="artifact-versions">Versions</h2>
          <LoadedList loaded={versions} empty={<Empty title="No versions logged yet." />}>
            {(items) => (
              <DataTable columns={['Version', 'Aliases', 'Files', 'Logged']}>
                {items.map((v) => (
                  <tr key={v.id} className="clickable" aria-selected={v.version === selected} onClick={() => setParams({ version: v.version })}>
                    <td>
                      <button type="button" className="link" onClick={() => setParams({ version: v.version })}>
                        <strong>{v.version}</strong>
                      </button>
                    </td>
                    <td>
                      <div className="badges">
                        {v.aliases.map((a) => (
                          <span key={a} className="badge alias">
                            {a}
                          </span>
                        ))}
                      </div>
                    </td>
                    <td>{v.fileCount}</td>
                    <td>
                      <Time value={v.createdAt} />
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
          </LoadedList>
          <Pager pager={pager} nextCursor={versions.data?.nextCursor} />
        </section>
        {selected && <ArtifactVersionDetail base={base} version={selected} />}
      </div>
    </>
  );
}

function ArtifactVersionDetail({ base, version }: { base: string; version: string }) {
  const path = `${base}/versions/${encodeURIComponent(version)}`;
  const detail = useLoad(() => api.get<ArtifactVersion>(path), path);
  if (detail.error) return <LoadError error={detail.error} />;
  if (!detail.data) return <Loading what={version} />;
  const v = detail.data;
  return (
    <section className="card" aria-label={`Version ${v.version}`}>
      <h2>{v.version}</h2>
      <dl className="props" style={{ marginTop: 8 }}>
        <dt>Type</dt>
        <dd>{v.type}</dd>
        <dt>Description</dt>
        <dd>{v.description || '—'}</dd>
        <dt>Logged by</dt>
        <dd>{v.createdBy}</dd>
        <dt>Logged</dt>
        <dd>
          <Time value={v.createdAt} />
        </dd>
        <dt>Size</dt>
        <dd>{formatBytes(v.size)}</dd>
        <dt>Digest</dt>
        <dd className="mono small">{v.digest}</dd>
      </dl>
      <h3>Files</h3>
      {v.files.length === 0 ? (
        <p className="muted">No files.</p>
      ) : (
        <table>
          <tbody>
            {v.files.map((f) => (
              <tr key={f.path}>
                <td>
                  <a href={`${path}/files/${f.path.split('/').map(encodeURIComponent).join('/')}`} download>
                    {f.path}
                  </a>
                </td>
                <td className="muted">{formatBytes(f.size)}</td>
                <td className="mono small muted" title={f.sha256}>
                  {f.sha256.slice(0, 12)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Metadata</h3>
      <JsonView value={v.metadata} label="Metadata" />
    </section>
  );
}
