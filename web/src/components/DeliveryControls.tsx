// The wizard's "Delivery controls": rate limit, cooldown, per-subject order and supersede, each with its help text and
// the problem with it beside it — found as typed, or the server's 400 naming its field.
import { useId, type ReactNode } from 'react';
import type { ApiError } from '../api/client';
import { canOrder, checkDraft, FLOOD_MAXIMA, subjectSentence, type DeliveryDraft } from '../pages/delivery-controls';
import { Field, FieldNotes, fieldError } from './Field';

/** The server's message when it names exactly `field` (or, for `whole`, the object itself, e.g. `rateLimit`). */
function serverError(error: ApiError | undefined, field: string, whole?: string): string | undefined {
  return fieldError(error, field) ?? (whole !== undefined && error?.field === whole ? error.sentence : undefined);
}

export function DeliveryControls({
  value,
  onChange,
  eventType,
  actionType,
  error,
  showIncomplete,
}: {
  value: DeliveryDraft;
  onChange: (value: DeliveryDraft) => void;
  eventType: string;
  actionType: string;
  /** The server's last refusal. */
  error: ApiError | undefined;
  /** After a refused submit, empty boxes that need a number say so too (while typing, only what was typed is judged). */
  showIncomplete: boolean;
}) {
  const { problems } = checkDraft(value, eventType, actionType);
  const typed = (text: string, problem: string | undefined) => (text.trim() !== '' || showIncomplete ? problem : undefined);
  const set = (change: Partial<DeliveryDraft>) => onChange({ ...value, ...change });
  const orderable = canOrder(eventType, actionType);
  return (
    <fieldset className="controls">
      <legend>Delivery controls</legend>
      <p className="muted small" style={{ marginTop: 0 }}>
        Optional. Left empty, every matching event runs and deliveries go out independently.
      </p>
      <div className="row" style={{ alignItems: 'flex-start', gap: '0 16px' }}>
        <Field
          label="Rate limit: max runs"
          error={typed(value.rateMax, problems['rateLimit.max']) ?? serverError(error, 'rateLimit.max', 'rateLimit')}
          hint={`Events over the limit get a skipped run. 1 to ${FLOOD_MAXIMA.rateLimitMax.toLocaleString('en-US')}; empty: no limit.`}
        >
          {(p) => <input {...p} className="num" inputMode="numeric" value={value.rateMax} onChange={(e) => set({ rateMax: e.target.value })} placeholder="10" />}
        </Field>
        <Field
          label="per seconds"
          error={typed(value.ratePerSeconds, problems['rateLimit.perSeconds']) ?? serverError(error, 'rateLimit.perSeconds')}
          hint={`Fixed windows of this many seconds, 1 to ${FLOOD_MAXIMA.perSeconds.toLocaleString('en-US')}.`}
        >
          {(p) => <input {...p} className="num" inputMode="numeric" value={value.ratePerSeconds} onChange={(e) => set({ ratePerSeconds: e.target.value })} placeholder="60" />}
        </Field>
      </div>
      <Field
        label="Cooldown seconds"
        error={typed(value.cooldown, problems.cooldownSeconds) ?? serverError(error, 'cooldownSeconds')}
        hint={`For this long after a run, later events get a skipped run (with “send only the newest state”, they fold into one delivery instead). 1 to ${FLOOD_MAXIMA.cooldownSeconds.toLocaleString('en-US')}; empty: none.`}
      >
        {(p) => <input {...p} className="num" inputMode="numeric" value={value.cooldown} onChange={(e) => set({ cooldown: e.target.value })} placeholder="30" />}
      </Field>
      {orderable ? (
        <>
          <Checkbox
            label="In event order per subject"
            checked={value.ordered}
            // Supersede needs ordering: unticking order unticks it too, so nothing hidden is sent.
            onChange={(ordered) => set(ordered ? { ordered } : { ordered, supersede: false })}
            hint={`One delivery at a time per subject, in the order the events happened; a retrying delivery holds back the later ones. ${subjectSentence(eventType, actionType)}`}
            error={serverError(error, 'delivery.order', 'delivery')}
          />
          <Checkbox
            label="Send only the newest state"
            checked={value.ordered && value.supersede}
            disabled={!value.ordered}
            onChange={(supersede) => set({ supersede })}
            hint={
              value.ordered
                ? 'A newer event replaces the subject’s deliveries not yet sent (they end as superseded). With a cooldown, the events inside it fold into one delivery of the newest state when it ends.'
                : 'Needs “In event order per subject”.'
            }
            error={serverError(error, 'delivery.supersede')}
          />
        </>
      ) : (
        <div className="field">
          <span className="hint">Order: {subjectSentence(eventType, actionType)}</span>
          {serverError(error, 'delivery.order', 'delivery') && (
            <span className="field-error" role="alert">
              {serverError(error, 'delivery.order', 'delivery')}
            </span>
          )}
        </div>
      )}
    </fieldset>
  );
}

/** A checkbox with its help text (aria-describedby) and the server's message for it beside it. */
function Checkbox({
  label,
  checked,
  disabled,
  onChange,
  hint,
  error,
}: {
  label: string;
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
  hint: ReactNode;
  error: string | undefined;
}) {
  const id = useId();
  const describedBy = [`${id}-hint`, error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label className="row check">
        <input type="checkbox" checked={checked} disabled={disabled} aria-invalid={Boolean(error)} aria-describedby={describedBy} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}
