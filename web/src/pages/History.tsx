// Delivery history: runs per team or per automation (filter by status), and one run with its rendered payload and
// every attempt (request headers with secrets redacted, status, response excerpt, duration), with Redeliver.
import { useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, teamPath, withQuery } from '../api/client';
import type { Attempt, Automation, Page, Run, RunDetail, RunState, Webhook } from '../api/types';
import { TruncatedUrl, WebhookDisabledBadge } from '../components/WebhookBadge';
import { CopyButton } from '../components/CopyButton';
import { teamUrl, useTeam } from '../session';
import { StateBadge } from '../components/Badges';
import { Field, fieldError, FormError } from '../components/Field';
import { formatDuration, prettyJson } from '../components/format';
import { DataTable } from '../components/DataTable';
import { HeaderTable } from '../components/HeaderTable';
import { PageHead, Section } from '../components/Layout';
import { LoadedList } from '../components/LoadedList';
import { Modal } from '../components/Modal';
import { Pager, useCursorPager } from '../components/Pager';
import { Empty, LoadError, Loading } from '../components/Status';
import { Time } from '../components/Time';
import { useLoad } from '../components/useLoad';
import { useFormSubmit, useSubmit } from '../components/useSubmit';
import { ACTION_LABELS, eventLabel } from './labels';

const PAGE_SIZE = 25;
/** How often a page showing pending runs asks again; deliveries usually finish within a second or two. */
const PENDING_REFRESH_MS = 1500;

/** Re-runs `reload` on an interval while `active`. */
function useRefreshWhile(active: boolean, reload: () => void) {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(reload, PENDING_REFRESH_MS);
    return () => clearInterval(timer);
  }, [active, reload]);
}

export function History() {
  const { team } = useTeam();
  return (
    <>
      <PageHead title="History" sub={`Every action run of ${team}’s automations, newest first.`} />
      <RunList team={team} />
    </>
  );
}

function runResult(run: Run): string {
  if (run.actionType === 'queue_job') return run.error ?? 'Job not created';
  if (run.actionType === 'no_op') return '—';
  if (run.status !== null) return `HTTP ${run.status}${run.error ? ` · ${run.error}` : ''}`;
  if (run.error) return run.error;
  return run.state === 'pending' ? (run.nextAttemptAt ? 'Waiting to send' : 'Sending') : '—';
}

/** Where a queue_job run's job is shown: the Queues page's job dialog. */
function jobUrl(team: string, run: Pick<Run, 'queueName' | 'jobId' | 'job'>): string {
  return `${teamUrl(team, 'queues')}?${new URLSearchParams({ queue: run.job?.queue ?? run.queueName ?? '', job: run.jobId ?? '' }).toString()}`;
}

/** A queue_job run's job as History shows it: its state, and its exit code once it has one. */
function JobState({ job }: { job: NonNullable<Run['job']> }) {
  return (
    <>
      Job <StateBadge state={job.state} />
      {job.exitCode !== null && <span className="muted"> exit code {job.exitCode}</span>}
      {job.error && <span className="muted"> · {job.error}</span>}
    </>
  );
}

export function RunList({ team, automationId }: { team: string; automationId?: string }) {
  const [params, setParams] = useSearchParams();
  const state = (params.get('status') ?? '') as RunState | '';
  const base = automationId ? teamPath(team, 'automations', automationId, 'runs') : teamPath(team, 'runs');
  const pager = useCursorPager(`${base}|${state}`);
  const runs = useLoad(
    () => api.get<Page<Run>>(withQuery(base, { limit: PAGE_SIZE, cursor: pager.cursor, state })),
    `${base}|${state}|${pager.cursor ?? ''}`,
  );
  useRefreshWhile(Boolean(runs.data?.items.some((r) => r.state === 'pending')), runs.reload);
  const { canEdit } = useTeam();
  const [bulk, setBulk] = useState(false);
  return (
    <Section
      title="Runs"
      actions={
        <>
          <span className="grow" />
          {canEdit && state === 'failed' && (runs.data?.items.length ?? 0) > 0 && (
            <button type="button" onClick={() => setBulk(true)}>
              Redeliver failed runs…
            </button>
          )}
          <label className="row">
            Status
            <select value={state} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}>
              <option value="">All</option>
              <option value="pending">Pending</option>
              <option value="succeeded">Succeeded</option>
              <option value="failed">Failed</option>
              <option value="skipped">Skipped</option>
              <option value="superseded">Superseded</option>
            </select>
          </label>
        </>
      }
    >
      <LoadedList
        loaded={runs}
        loadingWhat="runs"
        empty={
          <Empty title={state ? `No ${state} runs.` : 'No runs yet.'}>
            {!state && <p>A run appears here when an event matches an automation: link a version to a registered model, or add an alias.</p>}
          </Empty>
        }
      >
        {(items) => (
          <DataTable label="Runs" columns={['Time', ...(automationId ? [] : ['Automation']), 'Event', 'Status', 'Action', 'Result', 'Attempts']}>
            {items.map((run) => (
              <tr key={run.id}>
                <td>
                  <Link to={teamUrl(team, 'runs', run.id)}>
                    <Time value={run.createdAt} />
                  </Link>
                </td>
                {!automationId && (
                  <td>
                    <Link to={teamUrl(team, 'automations', run.automationId)}>{run.automationName}</Link>
                  </td>
                )}
                <td>{eventLabel(run.eventType)}</td>
                <td>
                  <StateBadge state={run.state} />
                </td>
                <td>
                  {ACTION_LABELS[run.actionType] ?? run.actionType}
                  {(run.webhookName ?? run.queueName) && <span className="muted"> · {run.webhookName ?? run.queueName}</span>}
                </td>
                <td className="small">
                  {run.jobId ? (
                    <Link to={jobUrl(team, run)} aria-label={`Job of run ${run.id}`}>
                      {run.job ? <JobState job={run.job} /> : 'Job created'}
                    </Link>
                  ) : (
                    runResult(run)
                  )}
                </td>
                <td>{run.attempts}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </LoadedList>
      <Pager pager={pager} nextCursor={runs.data?.nextCursor} />
      {bulk && <BulkRedeliverDialog team={team} automationId={automationId} onClose={() => setBulk(false)} onDone={runs.reload} />}
    </Section>
  );
}

const RECOVERY_WINDOWS = [
  { label: 'the last hour', ms: 60 * 60 * 1000 },
  { label: 'the last 24 hours', ms: 24 * 60 * 60 * 1000 },
  { label: 'the last 7 days', ms: 7 * 24 * 60 * 60 * 1000 },
  { label: 'the last 14 days (the longest window)', ms: 14 * 24 * 60 * 60 * 1000 },
];

/** Pages read at most when counting (500 runs each); a longer history is counted as "at least". */
const COUNT_PAGES = 20;

/**
 * What a bulk redelivery will send: the failed webhook runs created since `since` (the server redelivers those
 * only; runs are listed newest first, so paging stops at the first older run), and how many of them go to a
 * webhook that is disabled now (they will fail again).
 */
async function plannedRedeliveries(team: string, base: string, since: number): Promise<{ count: number; toDisabled: number }> {
  const webhooks = await api.get<Page<Webhook>>(teamPath(team, 'webhooks'));
  const disabled = new Set(webhooks.items.filter((w) => !w.enabled).map((w) => w.name));
  let count = 0;
  let toDisabled = 0;
  let cursor: string | undefined;
  for (let page = 0; page < COUNT_PAGES; page++) {
    const runs = await api.get<Page<Run>>(withQuery(base, { state: 'failed', limit: 500, cursor }));
    for (const run of runs.items) {
      if (Date.parse(run.createdAt) < since) return { count, toDisabled };
      if (run.actionType !== 'webhook') continue;
      count++;
      if (run.webhookName !== null && disabled.has(run.webhookName)) toDisabled++;
    }
    if (!runs.nextCursor) break;
    cursor = runs.nextCursor;
  }
  return { count, toDisabled };
}

/** After an outage of the receiver: send every failed run of a time window again (recorded as manual attempts). */
function BulkRedeliverDialog({ team, automationId, onClose, onDone }: { team: string; automationId: string | undefined; onClose: () => void; onDone: () => void }) {
  const [windowMs, setWindowMs] = useState(RECOVERY_WINDOWS[1]!.ms);
  const [count, setCount] = useState<number>();
  // The window is fixed when the dialog opens, so the count shown is the count of the runs that will be sent.
  const [openedAt] = useState(() => Date.now());
  const since = openedAt - windowMs + 1000;
  const base = automationId ? teamPath(team, 'automations', automationId, 'runs') : teamPath(team, 'runs');
  const plan = useLoad(() => plannedRedeliveries(team, base, since), `${base}|${since}`);
  const planned = { data: plan.data?.count };
  const submit = useFormSubmit(async () => {
    const answer = await api.post<{ count: number }>(teamPath(team, 'runs', 'redeliver'), {
      since: new Date(since).toISOString(),
      until: new Date(openedAt).toISOString(),
      ...(automationId ? { automationId } : {}),
    });
    setCount(answer.count);
    onDone();
  });
  return (
    <Modal title="Redeliver failed runs" onClose={onClose}>
      {count === undefined ? (
        <form onSubmit={submit.onSubmit}>
          <Field label="Failed runs created in" error={fieldError(submit.error, 'since', 'until')}>
            {(p) => (
              <select {...p} value={windowMs} onChange={(e) => setWindowMs(Number(e.target.value))}>
                {RECOVERY_WINDOWS.map((w) => (
                  <option key={w.ms} value={w.ms}>
                    {w.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <p aria-live="polite">
            {planned.data === undefined
              ? 'Counting the failed runs…'
              : planned.data === 0
                ? 'No failed run in this window: nothing to send.'
                : `${planned.data === 1 ? '1 failed run' : `${planned.data} failed runs`} will be sent once more, now, each to its webhook as it is now.`}{' '}
            {Boolean(plan.data?.toDisabled) && (
              <strong>
                {plan.data!.toDisabled === planned.data ? 'All of them go' : `${plan.data!.toDisabled} of them go`} to a disabled webhook and will fail again: enable it
                under Team settings first.
              </strong>
            )}{' '}
            <span className="muted">{automationId ? 'Only this automation’s runs.' : 'Runs of every automation of the team.'}</span>
          </p>
          <FormError error={submit.error} shownFields={['since', 'until']} />
          <div className="buttons">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={submit.busy || !planned.data}>
              {planned.data ? `Redeliver ${planned.data === 1 ? '1 run' : `${planned.data} runs`}` : 'Redeliver'}
            </button>
          </div>
        </form>
      ) : (
        <>
          <p role="status">
            {count === 0 ? 'No failed run was left to send (they may have been redelivered meanwhile).' : `${count === 1 ? '1 failed run is' : `${count} failed runs are`} being sent again; their new attempts appear in each run.`}
          </p>
          <div className="buttons">
            <button type="button" className="primary" onClick={onClose}>
              Done
            </button>
          </div>
        </>
      )}
    </Modal>
  );
}

export function RunPage() {
  const { team, canEdit } = useTeam();
  const { runId = '' } = useParams();
  const path = teamPath(team, 'runs', runId);
  const run = useLoad(() => api.get<RunDetail>(path), path);
  useRefreshWhile(run.data?.state === 'pending', run.reload);
  const redeliver = useSubmit(async () => {
    await api.post(`${path}/redeliver`);
    run.reload();
  });
  const target = useRedeliveryTarget(team, run.data);
  if (run.error) return <LoadError error={run.error} />;
  if (!run.data) return <Loading what="the run" />;
  const r = run.data;
  const canRedeliver = canEdit && r.actionType === 'webhook';
  const blocked = target.kind === 'deleted' || (target.kind === 'found' && !target.webhook.enabled);
  return (
    <>
      <PageHead
        crumbs={
          <>
            <Link to={teamUrl(team, 'history')}>History</Link> / <Link to={teamUrl(team, 'automations', r.automationId)}>{r.automationName}</Link> / run
          </>
        }
        title={
          <>
            Run of {r.automationName} <StateBadge state={r.state} />
          </>
        }
        sub={
          <>
            {eventLabel(r.eventType, 'long')} · <Time value={r.createdAt} />
          </>
        }
        actions={
          canRedeliver && (
            <button type="button" onClick={() => void redeliver.run()} disabled={redeliver.busy || blocked || target.kind === 'loading'}>
              {redeliver.busy ? 'Sending…' : 'Redeliver'}
            </button>
          )
        }
      />
      {canRedeliver && <RedeliveryTarget team={team} target={target} />}
      <FormError error={redeliver.error} />
      <section className="card">
        <dl className="props">
          <dt>Status</dt>
          <dd>
            <StateBadge state={r.state} />
            {r.state === 'pending' && r.nextAttemptAt && (
              <span className="muted">
                {' '}
                next attempt <Time value={r.nextAttemptAt} />
              </span>
            )}
          </dd>
          <dt>Run</dt>
          <dd>
            <span className="mono small">{r.id}</span> <CopyButton value={r.id} label="Copy run id" />
          </dd>
          <dt>Event</dt>
          <dd>
            {r.eventType} <span className="muted mono small">{r.eventId}</span> <CopyButton value={r.eventId} label="Copy event id" />
          </dd>
          <dt>Action</dt>
          <dd>
            {ACTION_LABELS[r.actionType] ?? r.actionType}
            {r.webhookName && ` · ${r.webhookName}`}
            {r.queueName && ` · queue ${r.queueName}`}
          </dd>
          {r.url && (
            <>
              <dt>URL</dt>
              <dd>
                <TruncatedUrl url={r.url} /> <span className="muted small">(when the run was created)</span>
              </dd>
            </>
          )}
          {r.jobId && (
            <>
              <dt>Job</dt>
              <dd>
                <Link to={jobUrl(team, r)} className="mono small">
                  {r.jobId}
                </Link>{' '}
                {r.job && <JobState job={r.job} />}
                {r.state === 'pending' && <span className="muted"> · the run finishes when its job does</span>}
              </dd>
            </>
          )}
          {r.actionType !== 'webhook' && r.error && (
            <>
              <dt>Error</dt>
              <dd className="field-error">{r.error}</dd>
            </>
          )}
          <dt>Finished</dt>
          <dd>
            <Time value={r.finishedAt} />
          </dd>
        </dl>
        <h3>Payload</h3>
        <pre aria-label="Payload" style={{ maxHeight: 220 }}>
          {prettyJson(r.body)}
        </pre>
      </section>
      <section className="card" aria-labelledby="attempts-title">
        <h2 id="attempts-title">Attempts</h2>
        {r.attempts.length === 0 ? (
          <Empty title={r.actionType === 'webhook' ? 'Not sent yet.' : 'No delivery attempts for this kind of action.'} />
        ) : (
          // Newest first: the attempt just made (a redelivery) is the one to read.
          [...r.attempts].reverse().map((attempt) => <AttemptView key={attempt.number} attempt={attempt} />)
        )}
      </section>
    </>
  );
}

type Target = { kind: 'loading' } | { kind: 'deleted' } | { kind: 'unknown' } | { kind: 'found'; webhook: Webhook };

/**
 * Where a redelivery goes: the run's webhook as it is now (its URL may have changed since the run was created;
 * a disabled webhook is refused by the worker, a deleted one by the server). Found through the automation's
 * webhook id, or by name once the automation is gone.
 */
function useRedeliveryTarget(team: string, run: RunDetail | undefined): Target {
  const key = run && run.actionType === 'webhook' ? `${team}|${run.automationId}|${run.webhookName ?? ''}|${run.attempts.length}` : '';
  const loaded = useLoad(async (): Promise<Target> => {
    if (!run || run.actionType !== 'webhook') return { kind: 'unknown' };
    const [automation, webhooks] = await Promise.all([
      api.get<Automation>(teamPath(team, 'automations', run.automationId)).catch(() => undefined),
      api.get<Page<Webhook>>(teamPath(team, 'webhooks')),
    ]);
    const id = automation?.action.type === 'webhook' ? automation.action.webhookId : undefined;
    const webhook = webhooks.items.find((w) => (id ? w.id === id : w.name === run.webhookName));
    return webhook ? { kind: 'found', webhook } : { kind: 'deleted' };
  }, key);
  if (!key) return { kind: 'unknown' };
  if (loaded.error) return { kind: 'unknown' };
  return loaded.data ?? { kind: 'loading' };
}

function RedeliveryTarget({ team, target }: { team: string; target: Target }) {
  if (target.kind === 'loading' || target.kind === 'unknown') return null;
  if (target.kind === 'deleted') {
    return (
      <p className="notice" role="note">
        The webhook of this run has been deleted: it cannot be redelivered.
      </p>
    );
  }
  const { webhook } = target;
  return (
    <p className={webhook.enabled ? 'muted' : 'notice'} role="note" aria-label="Redelivery target">
      Redeliver sends this payload to webhook <strong>{webhook.name}</strong> as it is now{webhook.url && <> (<TruncatedUrl url={webhook.url} />)</>}, signed with its
      current secret. {!webhook.enabled && <WebhookDisabledBadge webhook={webhook} />}{' '}
      {!webhook.enabled && (
        <>
          It is disabled, so nothing would be sent: enable it under <Link to={teamUrl(team, 'settings')}>Team settings</Link> first.
        </>
      )}
    </p>
  );
}

function AttemptView({ attempt }: { attempt: Attempt }) {
  const ok = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
  return (
    <article className="card" aria-label={`Attempt ${attempt.number}`} style={{ background: 'var(--bg)' }}>
      <div className="row">
        <strong>Attempt {attempt.number}</strong>
        <span className={`badge ${ok ? 'ok' : 'fail'}`}>{attempt.status !== null ? `HTTP ${attempt.status}` : 'No response'}</span>
        <span className="muted">
          {attempt.trigger === 'manual' ? 'manual redelivery' : 'automatic'} · <Time value={attempt.startedAt} /> · {formatDuration(attempt.durationMs)}
        </span>
      </div>
      {attempt.error && <p className="field-error">{attempt.error}</p>}
      <div className="editor-grid" style={{ marginTop: 8 }}>
        <div>
          <h3>Request headers</h3>
          <HeaderTable headers={attempt.requestHeaders} label={`Request headers of attempt ${attempt.number}`} />
        </div>
        <div>
          <h3>Response headers</h3>
          <HeaderTable headers={attempt.responseHeaders} label={`Response headers of attempt ${attempt.number}`} />
          <h3>Response excerpt</h3>
          <pre aria-label={`Response of attempt ${attempt.number}`}>{attempt.responseBody || '(empty)'}</pre>
        </div>
      </div>
    </article>
  );
}
