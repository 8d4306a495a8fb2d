// The artifact browser: projects → artifacts → versions, with each version's files (downloadable) and metadata.
import { useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
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
import { useNotify } from '../components/Notices';
import { UploadDialog } from './artifacts/UploadDialog';
import { LinkToModelDialog } from './model/LinkVersionDialog';

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
                {canEdit ? 'Create a project with “New project”, then open it and upload files with “Upload”.' : 'A member of the team can create a project and upload artifacts into it.'}{' '}
                Scripts use the API (<code>POST {teamPath(team, 'projects', 'PROJECT', 'artifacts', 'NAME', 'versions')}</code>, see the{' '}
                <a href="/api/docs">API reference</a>) or the Python SDK.
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

/** After an upload: where the version is, and that nothing new was made when the content was already there. */
function useUploaded(team: string, project: string) {
  const notify = useNotify();
  const navigate = useNavigate();
  return (version: ArtifactVersion, created: boolean) => {
    notify(
      created
        ? `Uploaded ${project}/${version.artifact}:${version.version} (${version.fileCount} file${version.fileCount === 1 ? '' : 's'}).`
        : `Nothing new: the files, type and metadata are those of ${project}/${version.artifact}:${version.version}.`,
    );
    navigate(`${teamUrl(team, 'projects', project, 'artifacts', version.artifact)}?version=${encodeURIComponent(version.version)}`);
  };
}

export function ProjectPage() {
  const { team, canEdit } = useTeam();
  const { project = '' } = useParams();
  const [uploading, setUploading] = useState(false);
  const onUploaded = useUploaded(team, project);
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
        actions={
          canEdit && (
            <button type="button" className="primary" onClick={() => setUploading(true)}>
              Upload
            </button>
          )
        }
      />
      <div className="card">
        <LoadedList
          loaded={artifacts}
          loadingWhat="artifacts"
          empty={
            <Empty title="No artifacts in this project yet.">
              <p>
                {canEdit ? 'Upload files or a folder with “Upload”: each upload is a new version of the artifact you name.' : 'A member of the team can upload artifacts here.'}{' '}
                Scripts use the API (<code>POST {teamPath(team, 'projects', project, 'artifacts', 'NAME', 'versions')}</code>, see the{' '}
                <a href="/api/docs">API reference</a>).
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
      {uploading && <UploadDialog team={team} project={project} onClose={() => setUploading(false)} onUploaded={onUploaded} />}
    </>
  );
}

export function ArtifactPage() {
  const { team, canEdit } = useTeam();
  const { project = '', artifact = '' } = useParams();
  const [uploading, setUploading] = useState(false);
  const onUploaded = useUploaded(team, project);
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
        actions={
          canEdit && (
            <button type="button" className="primary" onClick={() => setUploading(true)}>
              Upload new version
            </button>
          )
        }
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
        {selected && <ArtifactVersionDetail team={team} base={base} version={selected} canEdit={canEdit} />}
      </div>
      {uploading && (
        <UploadDialog
          team={team}
          project={project}
          artifact={artifact}
          defaultType={versions.data?.items[0]?.type}
          onClose={() => setUploading(false)}
          onUploaded={(version, created) => {
            versions.reload();
            onUploaded(version, created);
          }}
        />
      )}
    </>
  );
}

function ArtifactVersionDetail({ team, base, version, canEdit }: { team: string; base: string; version: string; canEdit: boolean }) {
  const path = `${base}/versions/${encodeURIComponent(version)}`;
  const detail = useLoad(() => api.get<ArtifactVersion>(path), path);
  const [linking, setLinking] = useState(false);
  if (detail.error) return <LoadError error={detail.error} />;
  if (!detail.data) return <Loading what={version} />;
  const v = detail.data;
  return (
    <section className="card" aria-label={`Version ${v.version}`}>
      <div className="card-head">
        <h2>{v.version}</h2>
        {canEdit && (
          <button type="button" onClick={() => setLinking(true)}>
            Link to registered model
          </button>
        )}
      </div>
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
      {linking && <LinkToModelDialog team={team} source={`${v.project}/${v.artifact}:${v.version}`} onClose={() => setLinking(false)} />}
    </section>
  );
}
