// Governed promotion on a model's page: the checks of a version, its promotion requests (approve, reject, cancel,
// with comments), requesting a promotion, and an alias's history as a timeline with rollback.
import { useState } from 'react';
import { api, teamPath, withQuery } from '../../api/client';
import type { Json, ModelVersion, Page } from '../../api/types';
import { useSession } from '../../session';
import { Field, fieldError } from '../../components/Field';
import { FormDialog } from '../../components/FormDialog';
import { Section } from '../../components/Layout';
import { LoadedList } from '../../components/LoadedList';
import { Modal } from '../../components/Modal';
import { Empty } from '../../components/Status';
import { Time } from '../../components/Time';
import { useLoad } from '../../components/useLoad';
import { useFormSubmit, useSubmit } from '../../components/useSubmit';

type PromotionPage = Json<'/api/v1/teams/{team}/registry/models/{model}/promotions', 'get'>;
export type Promotion = PromotionPage['items'][number];
type HistoryItem = Json<'/api/v1/teams/{team}/registry/models/{model}/aliases/{alias}/history', 'get'>['items'][number];
/** A check as a version lists it, or as a request lists its required ones ("missing" when not reported yet). */
type Check = { name: string; state: ModelVersion['checks'][number]['state'] | 'missing'; summary: string; detailsUrl?: string | null };

const CHECK_CLASS: Record<string, string> = { success: 'badge ok', failure: 'badge fail', pending: 'badge pending', missing: 'badge' };
const STATE_CLASS: Record<Promotion['state'], string> = { pending: 'badge pending', applied: 'badge ok', rejected: 'badge fail', cancelled: 'badge' };

/** The checks of a version as badges (name and state), each linking to its details when it has a link. */
export function VersionChecks({ checks }: { checks: Check[] }) {
  if (checks.length === 0) return null;
  return (
    <div className="badges" aria-label="Checks">
      {checks.map((check) => {
        const label = `${check.name}: ${check.state}`;
        return (
          <span key={check.name} className={CHECK_CLASS[check.state]} title={check.summary || undefined}>
            {check.detailsUrl ? (
              <a href={check.detailsUrl} target="_blank" rel="noreferrer noopener">
                {label}
              </a>
            ) : (
              label
            )}
          </span>
        );
      })}
    </div>
  );
}

/** The model's promotion requests, pending first, with their votes and what they wait for. */
export function PromotionsSection({
  team,
  model,
  canEdit,
  isAdmin,
  changes,
  onChanged,
}: {
  team: string;
  model: string;
  canEdit: boolean;
  isAdmin: boolean;
  /** Bumped on every change on the page (the list is read again). */
  changes: number;
  /** A vote or cancel here: the page's versions, aliases and badges are read again (and `changes` bumped). */
  onChanged: () => void;
}) {
  const { me } = useSession();
  const path = teamPath(team, 'registry', 'models', model, 'promotions');
  const promotions = useLoad(() => api.get<PromotionPage>(withQuery(path, { limit: 50 })), `${path}|${changes}`);
  return (
    <Section title="Promotions" intro="Requests to move an alias onto a version. They apply by themselves once the alias's policy is satisfied (approvals and checks).">
      <LoadedList
        loaded={promotions}
        empty={
          <Empty title="No promotion requests yet.">
            <p>Use “Request promotion” in a version’s menu to ask for an alias such as “production”.</p>
          </Empty>
        }
      >
        {(items) => (
          <ul className="promotions" aria-label="Promotion requests">
            {[...items]
              .sort((a, b) => Number(b.state === 'pending') - Number(a.state === 'pending'))
              .map((promotion) => (
                <PromotionCard
                  key={promotion.id}
                  path={`${path}/${encodeURIComponent(promotion.id)}`}
                  promotion={promotion}
                  canVote={canEdit && promotion.requestedBy !== me.user.name}
                  canCancel={promotion.requestedBy === me.user.name || isAdmin}
                  onChanged={onChanged}
                />
              ))}
          </ul>
        )}
      </LoadedList>
    </Section>
  );
}

function PromotionCard({ path, promotion, canVote, canCancel, onChanged }: { path: string; promotion: Promotion; canVote: boolean; canCancel: boolean; onChanged: () => void }) {
  const [comment, setComment] = useState('');
  const vote = useSubmit(async (action: 'approve' | 'reject' | 'cancel') => {
    await api.post(`${path}/${action}`, { comment });
    setComment('');
    onChanged();
  });
  const pending = promotion.state === 'pending';
  return (
    <li className="card promotion" aria-label={`Promotion of ${promotion.version} to ${promotion.alias}`}>
      <div className="promotion-head">
        <strong>
          {promotion.version} → <span className="badge alias">{promotion.alias}</span>
        </strong>{' '}
        <span className={STATE_CLASS[promotion.state]}>{promotion.state}</span>{' '}
        <span className="muted small">
          requested by {promotion.requestedBy} <Time value={promotion.createdAt} />
        </span>
      </div>
      {promotion.comment && <p className="promotion-comment">“{promotion.comment}”</p>}
      <p className="small">
        Approvals: {promotion.approvals.length} of {promotion.required.approvals}
        {promotion.approvals.map((a) => (
          <span key={a.by} className="muted">
            {' '}
            · {a.by}
            {a.comment && `: “${a.comment}”`}
          </span>
        ))}
      </p>
      {promotion.checks.length > 0 && <VersionChecks checks={promotion.checks} />}
      {promotion.rejections.map((r) => (
        <p key={r.by} className="small">
          Rejected by {r.by}
          {r.comment && `: “${r.comment}”`}
        </p>
      ))}
      {!pending && promotion.decidedBy && promotion.state !== 'rejected' && (
        <p className="small muted">
          {promotion.state === 'applied' ? 'Applied' : 'Cancelled'} by {promotion.decidedBy}
          {promotion.decisionComment && `: “${promotion.decisionComment}”`}
        </p>
      )}
      {pending && promotion.waitingFor.length > 0 && (
        <ul className="small waiting" aria-label="Waiting for">
          {promotion.waitingFor.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
      {pending && (canVote || canCancel) && (
        <form className="promotion-actions" onSubmit={(e) => e.preventDefault()}>
          <Field label="Comment" error={fieldError(vote.error, 'comment')}>
            {(p) => <input {...p} value={comment} onChange={(e) => setComment(e.target.value)} maxLength={4000} />}
          </Field>
          {vote.error && !vote.error.field && (
            <p className="field-error" role="alert">
              {vote.error.message}
            </p>
          )}
          <div className="buttons">
            {canVote && (
              <>
                <button type="button" className="primary" disabled={vote.busy} onClick={() => void vote.run('approve')}>
                  Approve
                </button>
                <button type="button" className="danger" disabled={vote.busy} onClick={() => void vote.run('reject')}>
                  Reject
                </button>
              </>
            )}
            {canCancel && (
              <button type="button" disabled={vote.busy} onClick={() => void vote.run('cancel')}>
                Cancel request
              </button>
            )}
          </div>
        </form>
      )}
    </li>
  );
}

export function RequestPromotionDialog({ modelPath, version, onClose, onDone }: { modelPath: string; version: ModelVersion; onClose: () => void; onDone: () => void }) {
  const [alias, setAlias] = useState('');
  const [comment, setComment] = useState('');
  const submit = useFormSubmit(async () => {
    await api.post(`${modelPath}/promotions`, { version: version.version, alias, comment });
    onDone();
    onClose();
  });
  return (
    <FormDialog title={`Request promotion of ${version.version}`} submitLabel="Request promotion" submit={submit} shownFields={['alias', 'comment']} onClose={onClose}>
      <Field label="Alias" error={fieldError(submit.error, 'alias')} hint="The alias moves here once its policy’s approvals and checks are met (at once when none are asked).">
        {(p) => <input {...p} value={alias} onChange={(e) => setAlias(e.target.value)} required autoFocus placeholder="production" />}
      </Field>
      <Field label="Comment" error={fieldError(submit.error, 'comment')} hint="Why this version: evaluation results, a ticket.">
        {(p) => <textarea {...p} value={comment} onChange={(e) => setComment(e.target.value)} rows={3} maxLength={4000} />}
      </Field>
    </FormDialog>
  );
}

const REASONS: Record<HistoryItem['reason'], string> = {
  set: 'set',
  promotion: 'promoted',
  rollback: 'rolled back',
  removed: 'removed',
  unlink: 'version unlinked',
};

/** The alias's history, newest first, with a rollback to the previous holder. */
export function AliasHistoryDialog({ modelPath, alias, canEdit, onClose, onDone }: { modelPath: string; alias: string; canEdit: boolean; onClose: () => void; onDone: () => void }) {
  const aliasPath = `${modelPath}/aliases/${encodeURIComponent(alias)}`;
  const history = useLoad(() => api.get<Page<HistoryItem>>(withQuery(`${aliasPath}/history`, { limit: 100 })), aliasPath);
  const [comment, setComment] = useState('');
  const rollback = useFormSubmit(async () => {
    await api.post(`${aliasPath}/rollback`, { comment });
    history.reload();
    onDone();
  });
  const last = history.data?.items[0];
  return (
    <Modal title={`History of “${alias}”`} onClose={onClose}>
      <LoadedList loaded={history} empty={<Empty title="No changes recorded." />}>
        {(items) => (
          <ol className="timeline" aria-label={`History of ${alias}`}>
            {items.map((item, i) => (
              <li key={`${item.at}-${i}`}>
                <strong>{item.version ?? '—'}</strong> <span className="muted">{REASONS[item.reason]}</span>
                {item.previousVersion && <span className="muted"> (from {item.previousVersion})</span>} by {item.by} <Time value={item.at} />
                {item.comment && <div className="small">“{item.comment}”</div>}
              </li>
            ))}
          </ol>
        )}
      </LoadedList>
      {canEdit && last?.previousVersion && (
        <form onSubmit={rollback.onSubmit}>
          <Field label="Rollback comment" error={fieldError(rollback.error, 'comment')}>
            {(p) => <input {...p} value={comment} onChange={(e) => setComment(e.target.value)} maxLength={4000} />}
          </Field>
          {rollback.error && !rollback.error.field && (
            <p className="field-error" role="alert">
              {rollback.error.message}
            </p>
          )}
          <div className="buttons">
            <button type="submit" className="danger" disabled={rollback.busy}>
              Roll back to {last.previousVersion}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

/** The model's pending requests by version, for the badges on the version rows. */
export function usePendingPromotions(team: string, model: string, changes: number): Map<string, Promotion[]> {
  const path = withQuery(teamPath(team, 'registry', 'models', model, 'promotions'), { state: 'pending', limit: 100 });
  const pending = useLoad(() => api.get<PromotionPage>(path), `${path}|${changes}`);
  const byVersion = new Map<string, Promotion[]>();
  for (const promotion of pending.data?.items ?? []) byVersion.set(promotion.version, [...(byVersion.get(promotion.version) ?? []), promotion]);
  return byVersion;
}

export function PendingPromotionBadges({ promotions }: { promotions: Promotion[] | undefined }) {
  if (!promotions?.length) return null;
  return (
    <div className="badges" aria-label="Pending promotions">
      {promotions.map((p) => (
        <span key={p.id} className="badge pending" title={p.waitingFor.join('; ')}>
          → {p.alias} (pending)
        </span>
      ))}
    </div>
  );
}
