// The team's automations, and one automation: what triggers it, what it does, enable/disable/delete, and its
// History.
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, teamPath } from '../api/client';
import type { Automation, Page, Webhook } from '../api/types';
import { WebhookDisabledBadge } from '../components/WebhookBadge';
import { teamUrl, useTeam } from '../session';
import { AutomationStatusCells, DeleteAutomationDialog, DisableAutomationDialog } from '../components/AutomationActions';
import { useNotify } from '../components/Notices';
import { EnabledBadge } from '../components/Badges';
import { FormError } from '../components/Field';
import { prettyJson } from '../components/format';
import { PageHead } from '../components/Layout';
import { LoadedList } from '../components/LoadedList';
import { Empty, LoadError, Loading } from '../components/Status';
import { Time } from '../components/Time';
import { useLoad } from '../components/useLoad';
import { useSubmit } from '../components/useSubmit';
import { DataTable } from '../components/DataTable';
import { ACTION_LABELS, EVENT_LABELS } from './labels';
import { RunList } from './History';
import { deliveryNote } from './delivery-controls';

function scopeText(a: Automation): string {
  if (!EVENT_LABELS[a.event.type]?.registry) return '—';
  return a.event.model ?? 'Whole registry';
}

export function AutomationList() {
  const { team, canEdit } = useTeam();
  const automations = useLoad(() => api.get<Page<Automation>>(teamPath(team, 'automations')), `${team}|automations`);
  const webhooks = useLoad(() => api.get<Page<Webhook>>(teamPath(team, 'webhooks')), `${team}|webhooks`);
  const webhookById = new Map(webhooks.data?.items.map((w) => [w.id, w]));
  return (
    <>
      <PageHead
        title="Automations"
        sub="Registry events that send a webhook or queue a job."
        actions={
          canEdit && (
            <Link className="button primary" to={teamUrl(team, 'automations', 'new')}>
              New automation
            </Link>
          )
        }
      />
      <div className="card">
        <LoadedList
          loaded={automations}
          loadingWhat="automations"
          empty={
            <Empty title="No automations yet.">
              <p>
                {canEdit ? 'Create one with “New automation”' : 'A member of the team can create one'}: for example, post to Slack when a version gets the alias
                “production”, or trigger a GitHub workflow for every new version.
              </p>
            </Empty>
          }
        >
          {(items) => (
            <DataTable label="Automations" columns={['Name', 'Trigger type', 'Registered model', 'Action', 'Status']} withActions={canEdit}>
              {items.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link to={teamUrl(team, 'automations', a.id)}>{a.name}</Link>
                  </td>
                  <td>{EVENT_LABELS[a.event.type]?.short ?? a.event.type}</td>
                  <td>{scopeText(a)}</td>
                  <td>
                    {ACTION_LABELS[a.action.type]}
                    {a.action.type === 'webhook' && (
                      <>
                        <span className="muted"> · {a.action.webhookName}</span>{' '}
                        {webhookById.get(a.action.webhookId) && <WebhookDisabledBadge webhook={webhookById.get(a.action.webhookId)!} />}
                      </>
                    )}
                    {a.action.type === 'queue_job' && <span className="muted"> · {a.action.queue}</span>}
                    {deliveryNote(a) && <div className="muted small">{deliveryNote(a)}</div>}
                  </td>
                  <AutomationStatusCells team={team} automation={a} canEdit={canEdit} onChanged={automations.reload} />
                </tr>
              ))}
            </DataTable>
          )}
        </LoadedList>
      </div>
    </>
  );
}

export function AutomationPage() {
  const { team, canEdit } = useTeam();
  const navigate = useNavigate();
  const { automationId = '' } = useParams();
  const path = teamPath(team, 'automations', automationId);
  const automation = useLoad(() => api.get<Automation>(path), path);
  const webhooks = useLoad(() => api.get<Page<Webhook>>(teamPath(team, 'webhooks')), `${team}|webhooks`);
  const [deleting, setDeleting] = useState(false);
  const [disabling, setDisabling] = useState(false);
  const notify = useNotify();
  const enable = useSubmit(async () => {
    await api.patch(path, { enabled: true });
    notify(`Enabled automation “${automation.data?.name ?? ''}”.`);
    automation.reload();
  });
  if (automation.error) return <LoadError error={automation.error} />;
  if (!automation.data) return <Loading what="the automation" />;
  const a = automation.data;
  return (
    <>
      <PageHead
        crumbs={
          <>
            <Link to={teamUrl(team, 'automations')}>Automations</Link> / {a.name}
          </>
        }
        title={
          <>
            {a.name} <EnabledBadge enabled={a.enabled} />
          </>
        }
        sub={a.description || 'No description.'}
        actions={
          canEdit && (
            <div className="row">
              <Link className="button primary" to={teamUrl(team, 'automations', a.id, 'edit')}>
                Edit
              </Link>
              <button type="button" onClick={() => (a.enabled ? setDisabling(true) : void enable.run())} disabled={enable.busy}>
                {a.enabled ? 'Disable' : 'Enable'}
              </button>
              <button type="button" className="danger" onClick={() => setDeleting(true)}>
                Delete
              </button>
            </div>
          )
        }
      />
      <FormError error={enable.error} />
      <section className="card">
        <dl className="props">
          <dt>Event type</dt>
          <dd>{EVENT_LABELS[a.event.type]?.long ?? a.event.type}</dd>
          {EVENT_LABELS[a.event.type]?.registry && (
            <>
              <dt>Registered model</dt>
              <dd>{a.event.model ? <Link to={teamUrl(team, 'registry', a.event.model)}>{a.event.model}</Link> : 'Whole registry'}</dd>
            </>
          )}
          {a.event.aliasPattern && (
            <>
              <dt>Alias pattern</dt>
              <dd className="mono">{a.event.aliasPattern}</dd>
            </>
          )}
          <dt>Action type</dt>
          <dd>{ACTION_LABELS[a.action.type]}</dd>
          {a.action.type === 'webhook' && (
            <>
              <dt>Webhook</dt>
              <dd>
                {a.action.webhookName}{' '}
                {(() => {
                  const webhook = webhooks.data?.items.find((w) => w.id === (a.action.type === 'webhook' ? a.action.webhookId : ''));
                  return webhook && <WebhookDisabledBadge webhook={webhook} />;
                })()}
              </dd>
            </>
          )}
          {a.action.type === 'queue_job' && (
            <>
              <dt>Queue</dt>
              <dd>{a.action.queue}</dd>
            </>
          )}
          {deliveryNote(a) && (
            <>
              <dt>Delivery controls</dt>
              <dd>{deliveryNote(a)}</dd>
            </>
          )}
          <dt>Created</dt>
          <dd>
            <Time value={a.createdAt} /> by {a.createdBy}
          </dd>
        </dl>
        {a.action.type !== 'no_op' && (
          <>
            <h3>{a.action.type === 'webhook' ? 'Payload template' : 'Job template'}</h3>
            <pre aria-label="Template">{prettyJson(a.action.type === 'webhook' ? a.action.payload : a.action.template)}</pre>
          </>
        )}
      </section>
      <RunList team={team} automationId={a.id} />
      {disabling && <DisableAutomationDialog team={team} automation={a} onClose={() => setDisabling(false)} onDone={automation.reload} />}
      {deleting && <DeleteAutomationDialog team={team} automation={a} onClose={() => setDeleting(false)} onDone={() => navigate(teamUrl(team, 'automations'))} />}
    </>
  );
}
