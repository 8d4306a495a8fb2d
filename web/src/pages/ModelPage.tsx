// A registered model: its versions (source artifact, aliases, author, time, metadata) with alias and unlink
// actions, linking a new version, and the model's Automations section.
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, teamPath, withQuery } from '../api/client';
import type { AliasMove, Model, ModelAutomation, ModelVersion, Page } from '../api/types';
import { teamUrl, useTeam } from '../session';
import { AutomationStatusCells } from '../components/AutomationActions';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Field, fieldError } from '../components/Field';
import { FormDialog } from '../components/FormDialog';
import { JsonView } from '../components/JsonView';
import { PageHead, Section } from '../components/Layout';
import { LoadedList } from '../components/LoadedList';
import { Modal } from '../components/Modal';
import { Pager, useCursorPager } from '../components/Pager';
import { RowMenu } from '../components/RowMenu';
import { Empty, LoadError, Loading } from '../components/Status';
import { Time } from '../components/Time';
import { useLoad } from '../components/useLoad';
import { useFormSubmit } from '../components/useSubmit';
import { DataTable } from '../components/DataTable';
import { ACTION_LABELS, EVENT_LABELS } from './labels';
import { AliasHistoryDialog, PendingPromotionBadges, PromotionsSection, RequestPromotionDialog, usePendingPromotions, VersionChecks } from './promotions/Promotions';
import { LinkVersionDialog } from './model/LinkVersionDialog';
import { NotFoundPage } from '../components/NotFoundPage';
import { useNotify } from '../components/Notices';
import { countTriggeredRuns, TriggeredNotice } from '../components/triggered';

const PAGE_SIZE = 25;

type Dialog =
  | { kind: 'alias'; version: ModelVersion }
  | { kind: 'unlink'; version: ModelVersion }
  | { kind: 'removeAlias'; alias: string; version: ModelVersion }
  | { kind: 'metadata'; version: ModelVersion }
  | { kind: 'link' }
  | { kind: 'promote'; version: ModelVersion }
  | { kind: 'history'; alias: string }
  | null;

export function ModelPage() {
  const { team, canEdit, isAdmin } = useTeam();
  const { model: modelName = '' } = useParams();
  const modelPath = teamPath(team, 'registry', 'models', modelName);
  const model = useLoad(() => api.get<Model>(modelPath), modelPath);
  const pager = useCursorPager(modelPath);
  const versions = useLoad(
    () => api.get<Page<ModelVersion>>(withQuery(`${modelPath}/versions`, { limit: PAGE_SIZE, cursor: pager.cursor })),
    `${modelPath}|${pager.cursor ?? ''}`,
  );
  const [dialog, setDialog] = useState<Dialog>(null);
  // Bumped on every change here, so the promotion requests (which follow aliases and checks) are read again.
  const [changes, setChanges] = useState(0);
  const pendingPromotions = usePendingPromotions(team, modelName, changes);
  const reloadAll = () => {
    model.reload();
    versions.reload();
    setChanges((n) => n + 1);
  };

  if (model.error?.status === 404) return <NotFoundPage title={`No registered model “${modelName}”`} back={{ to: teamUrl(team, 'registry'), label: 'Back to the registry' }} />;
  if (model.error) return <LoadError error={model.error} />;
  if (!model.data) return <Loading what="the model" />;
  return (
    <>
      <PageHead
        crumbs={
          <>
            <Link to={teamUrl(team, 'registry')}>Registry</Link> / {modelName}
          </>
        }
        title={model.data.name}
        sub={model.data.description || 'No description.'}
        actions={
          canEdit && (
            <button type="button" className="primary" onClick={() => setDialog({ kind: 'link' })}>
              Link version
            </button>
          )
        }
      />

      <Section title="Versions" actions={<span className="muted">{model.data.versionCount} linked</span>}>
        <LoadedList
          loaded={versions}
          empty={
            <Empty title="No versions linked yet.">
              <p>Link an artifact version (for example <code>my-project/my-model:v0</code>) with “Link version”. Linking fires the model’s “new version” automations.</p>
            </Empty>
          }
        >
          {(items) => (
            <DataTable label="Versions" columns={['Version', 'Source artifact', 'Aliases', 'Author', 'Linked', 'Metadata']} withActions={canEdit}>
              {items.map((v) => (
                <tr key={v.id}>
                  <td>
                    <strong>{v.version}</strong>
                  </td>
                  <td>
                    <Link to={`${teamUrl(team, 'projects', v.source.project, 'artifacts', v.source.artifact)}?version=${v.source.version}`}>
                      {v.source.project}/{v.source.artifact}:{v.source.version}
                    </Link>
                  </td>
                  <td>
                    <div className="badges">
                      {v.aliases.map((alias) => (
                        <span key={alias} className="badge alias">
                          {alias === 'latest' ? (
                            alias
                          ) : (
                            <button type="button" className="link alias-history" aria-label={`History of alias ${alias}`} onClick={() => setDialog({ kind: 'history', alias })}>
                              {alias}
                            </button>
                          )}
                          {canEdit && alias !== 'latest' && (
                            <button
                              type="button"
                              className="link small"
                              aria-label={`Remove alias ${alias}`}
                              onClick={() => setDialog({ kind: 'removeAlias', alias, version: v })}
                            >
                              ×
                            </button>
                          )}
                        </span>
                      ))}
                    </div>
                    <VersionChecks checks={v.checks} />
                    <PendingPromotionBadges promotions={pendingPromotions.get(v.version)} />
                  </td>
                  <td>{v.createdBy}</td>
                  <td>
                    <Time value={v.createdAt} />
                  </td>
                  <td>
                    <MetadataSummary metadata={v.metadata} onMore={() => setDialog({ kind: 'metadata', version: v })} />
                  </td>
                  {canEdit && (
                    <td className="actions">
                      <RowMenu
                        label={`Actions for ${v.version}`}
                        items={[
                          { label: 'Add or move alias', onSelect: () => setDialog({ kind: 'alias', version: v }) },
                          { label: 'Request promotion', onSelect: () => setDialog({ kind: 'promote', version: v }) },
                          { label: 'Unlink', danger: true, onSelect: () => setDialog({ kind: 'unlink', version: v }) },
                        ]}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </DataTable>
          )}
        </LoadedList>
        <Pager pager={pager} nextCursor={versions.data?.nextCursor} />
      </Section>

      <PromotionsSection team={team} model={modelName} canEdit={canEdit} isAdmin={isAdmin} changes={changes} onChanged={reloadAll} />

      <ModelAutomations team={team} model={modelName} canEdit={canEdit} />

      {dialog?.kind === 'link' && <LinkVersionDialog team={team} model={modelName} onClose={() => setDialog(null)} onDone={reloadAll} />}
      {dialog?.kind === 'alias' && <AliasDialog team={team} model={modelName} version={dialog.version} onClose={() => setDialog(null)} onDone={reloadAll} />}
      {dialog?.kind === 'promote' && <RequestPromotionDialog modelPath={modelPath} version={dialog.version} onClose={() => setDialog(null)} onDone={reloadAll} />}
      {dialog?.kind === 'history' && (
        <AliasHistoryDialog modelPath={modelPath} alias={dialog.alias} canEdit={canEdit} onClose={() => setDialog(null)} onDone={reloadAll} />
      )}
      {dialog?.kind === 'metadata' && (
        <Modal title={`Metadata of ${dialog.version.version}`} onClose={() => setDialog(null)}>
          <JsonView value={dialog.version.metadata} />
        </Modal>
      )}
      {dialog?.kind === 'unlink' && (
        <ConfirmDialog
          title={`Unlink ${dialog.version.version}?`}
          confirmLabel="Unlink"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.delete(`${modelPath}/versions/${encodeURIComponent(dialog.version.version)}`);
            reloadAll();
          }}
        >
          <p>
            {modelName}:{dialog.version.version} will no longer be part of the registered model, and its aliases go with it. The source artifact version{' '}
            <code>
              {dialog.version.source.project}/{dialog.version.source.artifact}:{dialog.version.source.version}
            </code>{' '}
            stays.
          </p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'removeAlias' && (
        <ConfirmDialog
          title={`Remove alias “${dialog.alias}”?`}
          confirmLabel="Remove alias"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.delete(`${modelPath}/aliases/${encodeURIComponent(dialog.alias)}`);
            reloadAll();
          }}
        >
          <p>
            The alias <code>{dialog.alias}</code> will no longer point at {dialog.version.version}.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** The first few metadata entries inline (scalars only); the whole document is one click away. */
const INLINE_METADATA_KEYS = 3;

function MetadataSummary({ metadata, onMore }: { metadata: Record<string, unknown>; onMore: () => void }) {
  const entries = Object.entries(metadata);
  if (entries.length === 0) return <span className="muted">—</span>;
  const inline = entries.filter(([, value]) => value === null || typeof value !== 'object').slice(0, INLINE_METADATA_KEYS);
  return (
    <div className="meta-inline">
      {inline.map(([key, value]) => (
        <span key={key}>
          <span className="muted">{key}</span> {String(value)}
        </span>
      ))}
      {entries.length > inline.length || entries.some(([, value]) => value !== null && typeof value === 'object') ? (
        <button type="button" className="link small" onClick={onMore}>
          all metadata
        </button>
      ) : (
        <button type="button" className="link small" onClick={onMore} aria-label="Show metadata as JSON">
          JSON
        </button>
      )}
    </div>
  );
}

function AliasDialog({ team, model, version, onClose, onDone }: { team: string; model: string; version: ModelVersion; onClose: () => void; onDone: () => void }) {
  const [alias, setAlias] = useState('');
  const notify = useNotify();
  const submit = useFormSubmit(async () => {
    const moved = await api.put<AliasMove>(teamPath(team, 'registry', 'models', model, 'aliases', alias), { version: version.version });
    if (moved.change === 'unchanged') {
      // No event: counting would find the runs of the move that put the alias here earlier.
      notify(<>{`${model}:${version.version} already has “${alias}”. Nothing changed and no automation was triggered.`}</>);
    } else {
      const count = await countTriggeredRuns(team, model, { version: version.version, linked: false, aliases: [alias] }).catch(() => 0);
      notify(<TriggeredNotice team={team} what={`${model}:${version.version} is now “${alias}”.`} count={count} />);
    }
    onDone();
    onClose();
  });
  return (
    <FormDialog title={`Alias for ${version.version}`} submitLabel="Set alias" submit={submit} shownFields={['alias', 'version']} onClose={onClose}>
      <Field label="Alias" error={fieldError(submit.error, 'alias', 'version')} hint="If another version holds this alias, it moves here. Adding an alias fires “alias added” automations.">
        {(p) => <input {...p} value={alias} onChange={(e) => setAlias(e.target.value)} required autoFocus placeholder="production" />}
      </Field>
    </FormDialog>
  );
}

/** The reference system's Automations section: trigger type, action type, action name and queue per automation. */
function ModelAutomations({ team, model, canEdit }: { team: string; model: string; canEdit: boolean }) {
  const automations = useLoad(
    () => api.get<Page<ModelAutomation>>(teamPath(team, 'registry', 'models', model, 'automations')),
    `${team}|${model}|automations`,
  );
  return (
    <Section
      title="Automations"
      intro={`What happens when a version of ${model} is linked or gets an alias. Automations for the whole registry are listed too.`}
      actions={
        canEdit && (
          <Link className="button" to={`${teamUrl(team, 'automations', 'new')}?model=${encodeURIComponent(model)}`}>
            New automation
          </Link>
        )
      }
    >
      <LoadedList
        loaded={automations}
        empty={
          <Empty title="No automations for this model yet.">
            <p>Create one to send a webhook (GitHub Actions, Slack, Teams, your CI) or queue a job when a version is linked or an alias such as “production” is added.</p>
          </Empty>
        }
      >
        {(items) => (
          <DataTable label="Automations" columns={['Name', 'Trigger type', 'Action type', 'Action name', 'Queue', 'Status']} withActions={canEdit}>
            {items.map((a) => (
              <tr key={a.id}>
                <td>
                  <Link to={teamUrl(team, 'automations', a.id)}>{a.name}</Link>
                  {a.scope === 'registry' && <span className="muted small"> (whole registry)</span>}
                </td>
                <td>{EVENT_LABELS[a.triggerType]?.short ?? a.triggerType}</td>
                <td>{ACTION_LABELS[a.actionType] ?? a.actionType}</td>
                <td>{a.actionName || '—'}</td>
                <td>{a.queue}</td>
                <AutomationStatusCells team={team} automation={a} canEdit={canEdit} onChanged={automations.reload} />
              </tr>
            ))}
          </DataTable>
        )}
      </LoadedList>
    </Section>
  );
}
