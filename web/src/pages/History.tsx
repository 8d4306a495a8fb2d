// Delivery history: runs per team or per automation (filter by status), and one run with its rendered payload and
// every attempt (request headers with secrets redacted, status, response excerpt, duration), with Redeliver.
import { useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, teamPath, withQuery } from '../api/client';
import type { Attempt, Page, Run, RunDetail, RunState } from '../api/types';
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

/** After an outage of the receiver: send every failed run of a time window again (recorded as manual attempts). */
function BulkRedeliverDialog({ team, automationId, onClose, onDone }: { team: string; automationId: string | undefined; onClose: () => void; onDone: () => void }) {
  const [windowMs, setWindowMs] = useState(RECOVERY_WINDOWS[1]!.ms);
  const [count, setCount] = useState<number>();
  const submit = useFormSubmit(async () => {
    const now = Date.now();
    const answer = await api.post<{ count: number }>(teamPath(team, 'runs', 'redeliver'), {
      since: new Date(now - windowMs + 1000).toISOString(),
      until: new Date(now).toISOString(),
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
          <p className="muted">{automationId ? 'Only this automation’s runs.' : 'Runs of every automation of the team.'} Each is sent once more, now.</p>
          <FormError error={submit.error} shownFields={['since', 'until']} />
          <div className="buttons">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={submit.busy}>
              Redeliver
            </button>
          </div>
        </form>
      ) : (
        <>
          <p role="status">{count === 1 ? '1 failed run is' : `${count} failed runs are`} being sent again; their new attempts appear in each run.</p>
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
  if (run.error) return <LoadError error={run.error} />;
  if (!run.data) return <Loading what="the run" />;
  const r = run.data;
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
          canEdit &&
          r.actionType === 'webhook' && (
            <button type="button" onClick={() => void redeliver.run()} disabled={redeliver.busy}>
              {redeliver.busy ? 'Sending…' : 'Redeliver'}
            </button>
          )
        }
      />
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
          <dt>Event</dt>
          <dd>
            {r.eventType} <span className="muted mono small">{r.eventId}</span>
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
              <dd className="mono small">{r.url}</dd>
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
          r.attempts.map((attempt) => <AttemptView key={attempt.number} attempt={attempt} />)
        )}
      </section>
    </>
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
