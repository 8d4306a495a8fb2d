// One webhook: its settings (flood-control limits included) and its endpoint's health — success rate and latency over
// the last hour and day, failures in a row, the last error, the circuit breaker and why it was disabled — with Edit,
// Test and Recover (re-enable and redeliver the runs that failed since a chosen time).
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, teamPath } from '../../api/client';
import type { Webhook, WebhookHealth } from '../../api/types';
import { Field, fieldError, FormError } from '../../components/Field';
import { formatDuration } from '../../components/format';
import { PageHead, Section } from '../../components/Layout';
import { Modal } from '../../components/Modal';
import { LoadError, Loading } from '../../components/Status';
import { Time } from '../../components/Time';
import { useAutoRefresh } from '../../components/useRefresh';
import { useLoad } from '../../components/useLoad';
import { useFormSubmit } from '../../components/useSubmit';
import { TruncatedUrl, WebhookDisabledBadge } from '../../components/WebhookBadge';
import { teamUrl, useTeam } from '../../session';
import { TestWebhookDialog } from './TestWebhookDialog';
import { WebhookForm } from './Webhooks';

const HEALTH_STATES: Record<WebhookHealth['state'], { label: string; tone: string; explain: string }> = {
  healthy: { label: 'Healthy', tone: 'ok', explain: 'The endpoint answers.' },
  failing: { label: 'Failing', tone: 'fail', explain: 'The last attempts failed; runs are still sent and retried.' },
  paused: { label: 'Paused', tone: 'pending', explain: 'The endpoint answered 429 with Retry-After: every run of it waits until then.' },
  circuit_open: { label: 'Circuit open', tone: 'fail', explain: 'Too many failures in a row: only a probe is sent until one succeeds.' },
  disabled: { label: 'Disabled', tone: 'fail', explain: 'Nothing is sent to it. Recover re-enables it and redelivers what failed.' },
};

export function WebhookPage() {
  const { team, isAdmin } = useTeam();
  const { webhookId = '' } = useParams();
  const path = teamPath(team, 'webhooks', webhookId);
  const webhook = useLoad(() => api.get<Webhook>(path), path);
  const health = useLoad(() => api.get<WebhookHealth>(`${path}/health`), `${path}/health`);
  const [dialog, setDialog] = useState<'edit' | 'test' | 'recover' | null>(null);
  useAutoRefresh(false, health.reload);
  const reload = () => {
    webhook.reload();
    health.reload();
  };
  if (webhook.error) return <LoadError error={webhook.error} />;
  if (!webhook.data) return <Loading what="the webhook" />;
  const w = webhook.data;
  return (
    <>
      <PageHead
        crumbs={
          <>
            <Link to={teamUrl(team, 'settings')}>Team settings</Link> / webhooks
          </>
        }
        title={
          <>
            {w.name} {w.disabled ? <WebhookDisabledBadge webhook={w} /> : <span className="badge ok">Active</span>}
          </>
        }
        sub={w.mode === 'listen' ? 'A listen webhook: its deliveries go through the event stream.' : w.url && <TruncatedUrl url={w.url} />}
        actions={
          isAdmin && (
            <div className="buttons">
              {w.mode !== 'listen' && (
                <button type="button" onClick={() => setDialog('test')}>
                  Test
                </button>
              )}
              <button type="button" onClick={() => setDialog('edit')}>
                Edit
              </button>
              <button type="button" className={w.disabled ? 'primary' : undefined} onClick={() => setDialog('recover')}>
                Recover…
              </button>
            </div>
          )
        }
      />
      <Section title="Endpoint health" intro="From the attempts that made a request; refreshed every few seconds.">
        {health.error ? <LoadError error={health.error} /> : !health.data ? <Loading what="the endpoint's health" /> : <HealthView health={health.data} />}
      </Section>
      <Section title="Delivery settings">
        <dl className="props">
          <dt>Secret</dt>
          <dd className="mono">{w.secret ?? <span className="muted">—</span>}</dd>
          <dt>Access token</dt>
          <dd className="mono">{w.accessToken ?? <span className="muted">—</span>}</dd>
          <dt>Max concurrency</dt>
          <dd>{w.maxConcurrency === null ? <span className="muted">unlimited</span> : `${w.maxConcurrency} request${w.maxConcurrency === 1 ? '' : 's'} in flight`}</dd>
          <dt>Max per second</dt>
          <dd>{w.maxPerSecond === null ? <span className="muted">unlimited</span> : `${w.maxPerSecond} request${w.maxPerSecond === 1 ? '' : 's'} per second`}</dd>
          <dt>Circuit opens after</dt>
          <dd>{w.circuitFailures} failed attempts in a row</dd>
          <dt>Disabled after failing for</dt>
          <dd>{w.disableAfterSeconds === null ? <span className="muted">never (not disabled for failing)</span> : formatSpan(w.disableAfterSeconds)}</dd>
        </dl>
      </Section>
      {dialog === 'edit' && <WebhookForm team={team} webhook={w} onClose={() => setDialog(null)} onDone={reload} onTest={() => setDialog('test')} />}
      {dialog === 'test' && <TestWebhookDialog team={team} webhook={w} onClose={() => setDialog(null)} />}
      {dialog === 'recover' && <RecoverDialog team={team} webhook={w} failingSince={health.data?.failingSince ?? null} onClose={() => setDialog(null)} onDone={reload} />}
    </>
  );
}

/** A setting in seconds as a person says it: "3 days", "90 minutes". */
function formatSpan(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) if (seconds % size === 0) return `${seconds / size} ${name}${seconds === size ? '' : 's'}`;
  return `${seconds} seconds`;
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)} %`;
}

function HealthView({ health }: { health: WebhookHealth }) {
  const state = HEALTH_STATES[health.state];
  const windows = [
    { label: 'Last hour', window: health.lastHour },
    { label: 'Last 24 hours', window: health.lastDay },
  ];
  return (
    <>
      <p>
        <span className={`badge ${state.tone}`} data-testid="health-state">
          {state.label}
        </span>{' '}
        <span className="muted">{state.explain}</span>
      </p>
      <table aria-label="Success rate and latency">
        <thead>
          <tr>
            <th scope="col">Window</th>
            <th scope="col">Attempts</th>
            <th scope="col">Succeeded</th>
            <th scope="col">Success rate</th>
            <th scope="col">Average latency</th>
            <th scope="col">p95 latency</th>
            <th scope="col">Slowest</th>
          </tr>
        </thead>
        <tbody>
          {windows.map(({ label, window }) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{window.attempts}</td>
              <td>{window.succeeded}</td>
              <td>{percent(window.successRate)}</td>
              <td>{window.latencyMs ? formatDuration(window.latencyMs.avg) : '—'}</td>
              <td>{window.latencyMs ? formatDuration(window.latencyMs.p95) : '—'}</td>
              <td>{window.latencyMs ? formatDuration(window.latencyMs.max) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <dl className="props" style={{ marginTop: 12 }}>
        <dt>Failures in a row</dt>
        <dd>
          {health.consecutiveFailures}
          {health.failingSince && (
            <span className="muted">
              {' '}
              since <Time value={health.failingSince} />
            </span>
          )}
        </dd>
        <dt>Last error</dt>
        <dd>
          {health.lastError ? (
            <>
              {health.lastError.message !== undefined && <span className="mono small">{health.lastError.message}</span>} <span className="muted">at</span>{' '}
              <Time value={health.lastError.at} />
            </>
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        <dt>Circuit</dt>
        <dd>
          {health.circuit.open ? (
            <>
              open — next probe <Time value={health.circuit.nextProbeAt} />
            </>
          ) : (
            <>closed</>
          )}{' '}
          <span className="muted">(opens after {health.circuit.failuresToOpen} failures in a row)</span>
        </dd>
        {health.disabled && (
          <>
            <dt>Disabled</dt>
            <dd>
              {health.disabled.reason || 'by an admin'} <span className="muted">at</span> <Time value={health.disabled.at} />
            </dd>
          </>
        )}
      </dl>
    </>
  );
}

const DAY_MS = 24 * 3600_000;
/** The recovery windows offered; the server takes at most 14 days. */
const SINCE_CHOICES = [
  { label: 'the last hour', ms: 3600_000 },
  { label: 'the last 24 hours', ms: DAY_MS },
  { label: 'the last 3 days', ms: 3 * DAY_MS },
  { label: 'the last 7 days', ms: 7 * DAY_MS },
  { label: 'the last 14 days (the longest window)', ms: 14 * DAY_MS - 60_000 },
];

/** Re-enable the webhook, close its circuit and send once more every run of it that failed since the chosen time. */
function RecoverDialog({
  team,
  webhook,
  failingSince,
  onClose,
  onDone,
}: {
  team: string;
  webhook: Webhook;
  failingSince: string | null;
  onClose: () => void;
  onDone: () => void;
}) {
  const [openedAt] = useState(() => Date.now());
  const failingFrom = failingSince === null ? null : Date.parse(failingSince);
  const offerFailing = failingFrom !== null && openedAt - failingFrom < 14 * DAY_MS - 60_000;
  const [choice, setChoice] = useState(offerFailing ? 'failing' : String(DAY_MS));
  const [redelivered, setRedelivered] = useState<number>();
  const since = choice === 'failing' && failingFrom !== null ? failingFrom : openedAt - Number(choice);
  const submit = useFormSubmit(async () => {
    const answer = await api.post<{ redelivered: number }>(teamPath(team, 'webhooks', webhook.id, 'recover'), { since: new Date(since).toISOString() });
    setRedelivered(answer.redelivered);
    onDone();
  });
  return (
    <Modal title={`Recover webhook ${webhook.name}`} onClose={onClose}>
      {redelivered === undefined ? (
        <form onSubmit={submit.onSubmit}>
          <p>
            Re-enables the webhook, clears its failures (the circuit closes) and sends once more every run of it that failed since the time you choose — each
            as a manual attempt, not retried.
          </p>
          <Field label="Redeliver the runs that failed since" error={fieldError(submit.error, 'since')}>
            {(p) => (
              <select {...p} value={choice} onChange={(e) => setChoice(e.target.value)}>
                {offerFailing && <option value="failing">it started failing ({new Date(failingFrom).toLocaleString()})</option>}
                {SINCE_CHOICES.map((c) => (
                  <option key={c.ms} value={String(c.ms)}>
                    {c.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <FormError error={submit.error} shownFields={['since']} />
          <div className="buttons">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={submit.busy}>
              Recover
            </button>
          </div>
        </form>
      ) : (
        <>
          <p role="status">
            The webhook is enabled.{' '}
            {redelivered === 0 ? 'No failed run to send again.' : `${redelivered === 1 ? '1 failed run is' : `${redelivered} failed runs are`} being sent again.`}
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
