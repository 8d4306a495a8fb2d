// The model registry: registered models with search and paging, and "New registered model".
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, teamPath, withQuery } from '../api/client';
import type { Model, Page } from '../api/types';
import { teamUrl, useTeam } from '../session';
import { CreateNamedDialog } from '../components/CreateNamedDialog';
import { PageHead } from '../components/Layout';
import { LoadedList } from '../components/LoadedList';
import { Pager, useCursorPager } from '../components/Pager';
import { Empty } from '../components/Status';
import { Time } from '../components/Time';
import { useLoad } from '../components/useLoad';
import { DataTable } from '../components/DataTable';

const PAGE_SIZE = 20;

export function ModelList() {
  const navigate = useNavigate();
  const { team, canEdit } = useTeam();
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const [draft, setDraft] = useState(search);
  const pager = useCursorPager(`${team}|${search}`);
  const models = useLoad(
    () => api.get<Page<Model>>(withQuery(teamPath(team, 'registry', 'models'), { limit: PAGE_SIZE, cursor: pager.cursor, search })),
    `${team}|${search}|${pager.cursor ?? ''}`,
  );
  const [creating, setCreating] = useState(false);

  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    setParams(draft ? { q: draft } : {});
  };

  return (
    <>
      <PageHead
        title="Model registry"
        sub={`Registered models of ${team}: link artifact versions to them, give versions aliases, and automate what happens next.`}
        actions={
          canEdit && (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              New registered model
            </button>
          )
        }
      />
      <div className="card">
        <form className="row" role="search" onSubmit={onSearch} style={{ marginBottom: 10 }}>
          <label className="sr-only" htmlFor="model-search">
            Search models
          </label>
          <input id="model-search" className="grow" placeholder="Search registered models by name" value={draft} onChange={(e) => setDraft(e.target.value)} />
          <button type="submit">Search</button>
        </form>
        <LoadedList
          loaded={models}
          loadingWhat="models"
          empty={
            search ? (
              <Empty title={`No registered model matches “${search}”.`}>Try a shorter part of the name.</Empty>
            ) : (
              <Empty title="No registered models yet.">
                <p>
                  {canEdit ? 'Create one with “New registered model”, then link an artifact version to it' : 'A member of the team can create one and link an artifact version to it'} (for
                  example <code>my-project/my-model:v0</code>) with “Link version” on the model’s page, from the{' '}
                  <Link to={teamUrl(team, 'projects')}>artifact browser</Link>, or with the API:{' '}
                  <code>POST {teamPath(team, 'registry', 'models', 'MODEL', 'versions')}</code> <code>{'{"source": "my-project/my-model:v0"}'}</code>).
                </p>
              </Empty>
            )
          }
        >
          {(items) => (
            <DataTable columns={['Name', 'Description', 'Versions', 'Latest', 'Updated']}>
              {items.map((model) => (
                <tr key={model.id}>
                  <td>
                    <Link to={teamUrl(team, 'registry', model.name)}>{model.name}</Link>
                  </td>
                  <td className="muted">{model.description || '—'}</td>
                  <td>{model.versionCount}</td>
                  <td>{model.latestVersion ?? '—'}</td>
                  <td>
                    <Time value={model.updatedAt} />
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </LoadedList>
        <Pager pager={pager} nextCursor={models.data?.nextCursor} />
      </div>
      {creating && (
        <CreateNamedDialog
          title="New registered model"
          submitLabel="Create model"
          nameHint="Letters, digits, “-”, “_” and “.”."
          create={async (input) => {
            const model = await api.post<Model>(teamPath(team, 'registry', 'models'), input);
            navigate(teamUrl(team, 'registry', model.name));
          }}
          onClose={() => setCreating(false)}
        />
      )}
    </>
  );
}
