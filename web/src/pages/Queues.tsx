// Queues (issue 5): the team's queues with job counts, and each queue's jobs with state, agent, duration and log
// tail; cancel a job that has not finished, requeue one that has.
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, teamPath, withQuery } from '../api/client';
import type { Job, JobDetail, Page, Queue } from '../api/types';
import { teamUrl, useTeam } from '../session';
import { StateBadge } from '../components/Badges';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CreateNamedDialog } from '../components/CreateNamedDialog';
import { FormError } from '../components/Field';
import { formatDuration } from '../components/format';
import { JsonView } from '../components/JsonView';
import { PageHead, Section } from '../components/Layout';
import { LoadedList } from '../components/LoadedList';
import { Modal } from '../components/Modal';
import { Pager, useCursorPager } from '../components/Pager';
import { Empty, LoadError } from '../components/Status';
import { Time } from '../components/Time';
import { useLoad } from '../components/useLoad';
import { useSubmit } from '../components/useSubmit';
import { DataTable } from '../components/DataTable';
import { useAutoRefresh } from '../components/useRefresh';
import { CopyButton } from '../components/CopyButton';
import { eventLabel } from './labels';
import type { Automation } from '../api/types';

const PAGE_SIZE = 25;
const UNFINISHED = new Set(['queued', 'claimed', 'running']);

export function Queues() {
  const { team, canEdit } = useTeam();
  const [params, setParams] = useSearchParams();
  const queues = useLoad(() => api.get<Page<Queue>>(teamPath(team, 'queues')), `${team}|queues`);
  const [creating, setCreating] = useState(false);
  const selected = params.get('queue') || queues.data?.items[0]?.name;
  const jobId = params.get('job');
  const queuesBusy = Boolean(queues.data?.items.some((q) => q.counts.queued + q.counts.running > 0));
  useAutoRefresh(queuesBusy, queues.reload);
  return (
    <>
      <PageHead
        title="Queues"
        sub={
          <>
            Jobs that automations put on a queue, run by agents on your machines (<code>modelyard agent --queue NAME -- COMMAND</code>).
          </>
        }
        actions={
          canEdit && (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              New queue
            </button>
          )
        }
      />
      {jobId && <JobPanel team={team} jobId={jobId} canEdit={canEdit} onClose={() => setParams(selected ? { queue: selected } : {})} />}
      <LoadedList
        loaded={queues}
        loadingWhat="queues"
        empty={
          <div className="card">
            <Empty title="No queues yet.">
              <p>Create a queue, start an agent on it, then create an automation whose action type is “Queue job”.</p>
            </Empty>
          </div>
        }
      >
        {(items) => (
          <>
            <div className="card">
              <DataTable label="Queues" columns={['Queue', 'Queued', 'Running', 'Succeeded', 'Failed', 'Cancelled']}>
                {items.map((q) => (
                  <tr key={q.id} aria-selected={q.name === selected}>
                    <td>
                      <button type="button" className="link" onClick={() => setParams({ queue: q.name })}>
                        <strong>{q.name}</strong>
                      </button>
                      {q.description && <span className="muted small"> {q.description}</span>}
                    </td>
                    <td>{q.counts.queued}</td>
                    <td>{q.counts.running}</td>
                    <td>{q.counts.succeeded}</td>
                    <td>{q.counts.failed}</td>
                    <td>{q.counts.cancelled}</td>
                  </tr>
                ))}
              </DataTable>
            </div>
            {selected && <JobList team={team} queue={selected} onOpen={(id) => setParams({ queue: selected, job: id })} onRefresh={queues.reload} />}
          </>
        )}
      </LoadedList>
      {creating && (
        <CreateNamedDialog
          title="New queue"
          submitLabel="Create queue"
          create={async (input) => {
            await api.post(teamPath(team, 'queues'), input);
            queues.reload();
          }}
          onClose={() => setCreating(false)}
        />
      )}
    </>
  );
}

function JobList({ team, queue, onOpen, onRefresh }: { team: string; queue: string; onOpen: (id: string) => void; onRefresh: () => void }) {
  const [state, setState] = useState('');
  const base = teamPath(team, 'queues', queue, 'jobs');
  const pager = useCursorPager(`${base}|${state}`);
  const jobs = useLoad(() => api.get<Page<Job>>(withQuery(base, { limit: PAGE_SIZE, cursor: pager.cursor, state })), `${base}|${state}|${pager.cursor ?? ''}`);
  useAutoRefresh(Boolean(jobs.data?.items.some((job) => UNFINISHED.has(job.state))), jobs.reload);
  return (
    <Section
      title={`Jobs on ${queue}`}
      actions={
        <div className="row">
          <label className="row">
            State
            <select value={state} onChange={(e) => setState(e.target.value)}>
              <option value="">All</option>
              <option value="queued">Queued</option>
              <option value="claimed,running">Running</option>
              <option value="succeeded">Succeeded</option>
              <option value="failed">Failed</option>
              <option value="cancelled">Cancelled</option>
            </select>
          </label>
          <button
            type="button"
            onClick={() => {
              // The counts above and the list together, so they agree.
              jobs.reload();
              onRefresh();
            }}
          >
            Refresh
          </button>
        </div>
      }
    >
      <LoadedList
        loaded={jobs}
        empty={
          <Empty title="No jobs here.">
            <p>Jobs appear when an automation with a “Queue job” action fires.</p>
          </Empty>
        }
      >
        {(items) => (
          <DataTable label="Jobs" columns={['Job', 'State', 'For', 'Agent', 'Attempts', 'Duration', 'Created']}>
            {items.map((job) => (
              <tr key={job.id}>
                <td>
                  <button type="button" className="link mono small" onClick={() => onOpen(job.id)}>
                    {job.id.slice(-12)}
                  </button>
                </td>
                <td>
                  <StateBadge state={job.state} />
                  {job.cancelRequested && UNFINISHED.has(job.state) && <span className="muted small"> cancelling</span>}
                </td>
                <td className="small">
                  {job.event ? (
                    <>
                      {eventLabel(job.event.type)} <span className="mono">{job.event.artifactVersionString}</span>
                    </>
                  ) : (
                    <span className="muted">enqueued by {job.createdBy}</span>
                  )}
                </td>
                <td>{job.agent ?? <span className="muted">—</span>}</td>
                <td>
                  {job.attempts} / {job.maxAttempts}
                </td>
                <td>{formatDuration(job.durationMs)}</td>
                <td>
                  <Time value={job.createdAt} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </LoadedList>
      <Pager pager={pager} nextCursor={jobs.data?.nextCursor} />
    </Section>
  );
}

function JobPanel({ team, jobId, canEdit, onClose }: { team: string; jobId: string; canEdit: boolean; onClose: () => void }) {
  const path = teamPath(team, 'jobs', jobId);
  const job = useLoad(() => api.get<JobDetail>(path), path);
  useAutoRefresh(Boolean(job.data && UNFINISHED.has(job.data.state)), job.reload);
  const automationId = job.data?.automationId;
  const automation = useLoad(
    () => (automationId ? api.get<Automation>(teamPath(team, 'automations', automationId)) : Promise.resolve(undefined)),
    `${team}|${automationId ?? ''}`,
  );
  const [confirmCancel, setConfirmCancel] = useState(false);
  const requeue = useSubmit(async () => {
    await api.post(`${path}/requeue`);
    job.reload();
  });
  return (
    <Modal title={`Job ${jobId.slice(-12)}`} onClose={onClose} wide>
      <LoadError error={job.error} />
      {job.data && (
        <>
          <dl className="props">
            <dt>Job id</dt>
            <dd>
              <span className="mono small">{job.data.id}</span> <CopyButton value={job.data.id} label="Copy job id" />
            </dd>
            <dt>State</dt>
            <dd>
              <StateBadge state={job.data.state} /> {job.data.exitCode !== null && <span className="muted">exit code {job.data.exitCode}</span>}
            </dd>
            <dt>Queue</dt>
            <dd>{job.data.queue ?? '(deleted)'}</dd>
            <dt>Agent</dt>
            <dd>{job.data.agent ?? '—'}</dd>
            <dt>Attempts</dt>
            <dd>
              {job.data.attempts} of {job.data.maxAttempts}
            </dd>
            <dt>Duration</dt>
            <dd>{formatDuration(job.data.durationMs)}</dd>
            <dt>Created</dt>
            <dd>
              <Time value={job.data.createdAt} /> by {job.data.createdBy}
            </dd>
            <dt>Started</dt>
            <dd>
              <Time value={job.data.startedAt} />
            </dd>
            <dt>Finished</dt>
            <dd>
              <Time value={job.data.finishedAt} />
            </dd>
            {job.data.event && (
              <>
                <dt>Event</dt>
                <dd>
                  {job.data.event.type} of <span className="mono small">{job.data.event.artifactVersionString}</span> by {job.data.event.author}
                </dd>
              </>
            )}
            {job.data.automationId && (
              <>
                <dt>Automation</dt>
                <dd>
                  {automation.data ? (
                    <Link to={teamUrl(team, 'automations', automation.data.id)}>{automation.data.name}</Link>
                  ) : automation.error ? (
                    <span className="muted">deleted ({job.data.automationId})</span>
                  ) : (
                    '…'
                  )}
                </dd>
              </>
            )}
            {job.data.event && (
              <>
                <dt>Version</dt>
                <dd className="mono small">{job.data.event.artifactVersionString}</dd>
              </>
            )}
            {job.data.runId && (
              <>
                <dt>Automation run</dt>
                <dd>
                  <Link to={teamUrl(team, 'runs', job.data.runId)}>{job.data.runId}</Link>
                </dd>
              </>
            )}
            {job.data.error && (
              <>
                <dt>Error</dt>
                <dd className="field-error">{job.data.error}</dd>
              </>
            )}
          </dl>
          <h3>Payload</h3>
          <JsonView value={job.data.payload} label="Job payload" />
          <h3>Log tail</h3>
          <pre className="log-tail" aria-label="Log tail">
            {job.data.logTail || '(no output yet)'}
          </pre>
          <FormError error={requeue.error} />
          {canEdit && (
            <div className="buttons">
              <button type="button" onClick={job.reload}>
                Refresh
              </button>
              {UNFINISHED.has(job.data.state) ? (
                <button type="button" className="danger" onClick={() => setConfirmCancel(true)} disabled={job.data.cancelRequested}>
                  Cancel job
                </button>
              ) : (
                <button type="button" className="primary" onClick={() => void requeue.run()} disabled={requeue.busy}>
                  Requeue
                </button>
              )}
            </div>
          )}
        </>
      )}
      {confirmCancel && (
        <ConfirmDialog
          title="Cancel this job?"
          confirmLabel="Cancel job"
          onClose={() => setConfirmCancel(false)}
          onConfirm={async () => {
            await api.post(`${path}/cancel`);
            job.reload();
          }}
        >
          <p>A queued job is cancelled at once; a running one when its agent next checks in (the agent stops the process).</p>
        </ConfirmDialog>
      )}
    </Modal>
  );
}
