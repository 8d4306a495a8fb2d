// "New automation", in the reference system's steps: Event type → Registered model (or the whole registry) and alias
// pattern → Action type → Next step → Webhook and payload (presets, variables inserted at the cursor, live
// validation with the position of any problem, a preview against the model's latest version) → Next step →
// Automation name, Description → Create automation.
import { useEffect, useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, asApiError, teamPath, withQuery, type ApiError } from '../api/client';
import type { ActionType, Automation, AutomationInput, EventType, Model, Page, Preset, PreviewRequest, PreviewResult, Queue, Webhook } from '../api/types';
// The variable list is pure data shared with the server (src/core), so the editor offers exactly what the server
// renders. The presets come from GET /api/v1/presets: their links depend on the server's MODELYARD_PUBLIC_URL.
import { TEMPLATE_VARIABLES } from '../../../src/core/templates';
import { teamUrl, useTeam } from '../session';
import { Field, fieldError, FormError } from '../components/Field';
import { PageHead } from '../components/Layout';
import { useLoad } from '../components/useLoad';
import { useFormSubmit } from '../components/useSubmit';
import { EVENT_LABELS } from './labels';
import { useNotify } from '../components/Notices';
import { AliasPatternField, type PatternVerdict } from '../components/AliasPatternField';
import { DeliveryControls } from '../components/DeliveryControls';
import { checkDraft, deliveryNote, draftOf, type DeliveryDraft } from './delivery-controls';

type Step = 1 | 2 | 3;

const STEP_NAMES = ['Event', 'Action', 'Details'];
/** Pause after the last keystroke before asking the server to validate and render the template. */
const VALIDATE_DELAY_MS = 300;

const DEFAULT_PAYLOAD = `{
  "event_type": "\${event_type}",
  "artifact_version_string": "\${artifact_version_string}",
  "author": "\${event_author}"
}`;

const DEFAULT_JOB_TEMPLATE = `{
  "command": "evaluate",
  "model": "\${artifact_version_string}"
}`;

/** Which step shows the control a server error names, so a refused "Create automation" lands there. */
/** Events that name an alias: an automation on them can filter by alias. */
const ALIAS_EVENTS: ReadonlySet<EventType> = new Set(['ADD_ARTIFACT_ALIAS', 'REMOVE_ARTIFACT_ALIAS', 'PROMOTION_REQUESTED', 'PROMOTION_APPROVED', 'PROMOTION_REJECTED']);

function stepOfField(field: string | undefined): Step {
  if (!field) return 3;
  if (field.startsWith('event') || field === 'condition') return 1;
  if (field.startsWith('action')) return 2;
  // name, description, and the delivery controls (rateLimit.*, cooldownSeconds, delivery.*) are on Details.
  return 3;
}

/**
 * Creates an automation, or with `existing` edits one (event, model, alias pattern, action, payload, name,
 * description, enabled, delivery controls) through the same steps and preview. The step is in the URL (`?step=2`), so the browser's
 * Back goes to the previous step.
 */
export function AutomationWizard({ existing }: { existing?: Automation } = {}) {
  const { team, isAdmin, canEdit } = useTeam();
  const navigate = useNavigate();
  const notify = useNotify();
  const [params, setParams] = useSearchParams();
  const models = useLoad(() => api.get<Page<Model>>(withQuery(teamPath(team, 'registry', 'models'), { limit: 500 })), `${team}|models`);
  const webhooks = useLoad(() => api.get<Page<Webhook>>(teamPath(team, 'webhooks')), `${team}|webhooks`);
  const queues = useLoad(() => api.get<Page<Queue>>(teamPath(team, 'queues')), `${team}|queues`);

  const urlStep = Number(params.get('step'));
  const step: Step = urlStep === 2 || urlStep === 3 ? urlStep : 1;
  const setStep = (next: Step) => {
    const kept = new URLSearchParams(params);
    if (next === 1) kept.delete('step');
    else kept.set('step', String(next));
    setParams(kept);
  };
  const existingAction = existing?.action;
  const [eventType, setEventType] = useState<EventType>(existing?.event.type ?? 'LINK_ARTIFACT');
  const [model, setModel] = useState(existing ? (existing.event.model ?? '') : (params.get('model') ?? ''));
  const [aliasPattern, setAliasPattern] = useState(existing?.event.aliasPattern ?? '');
  const [condition, setCondition] = useState(existing?.condition ?? '');
  const [check, setCheck] = useState(existingAction?.type === 'queue_job' ? (existingAction.check ?? '') : '');
  const [actionType, setActionType] = useState<ActionType>(existingAction?.type ?? 'webhook');
  const [webhookId, setWebhookId] = useState(existingAction?.type === 'webhook' ? existingAction.webhookId : '');
  const [payload, setPayload] = useState(existingAction?.type === 'webhook' ? existingAction.payload : DEFAULT_PAYLOAD);
  const [queue, setQueue] = useState(existingAction?.type === 'queue_job' ? existingAction.queue : '');
  const [jobTemplate, setJobTemplate] = useState(existingAction?.type === 'queue_job' ? existingAction.template : DEFAULT_JOB_TEMPLATE);
  const [name, setName] = useState(existing?.name ?? '');
  const [description, setDescription] = useState(existing?.description ?? '');
  const [enabled, setEnabled] = useState(existing?.enabled ?? true);
  const [controls, setControls] = useState<DeliveryDraft>(() => draftOf(existing));
  /** A submit was refused for the controls: empty boxes that need a number say so too. */
  const [controlsRefused, setControlsRefused] = useState(false);
  const [stepError, setStepError] = useState<string>();
  const [patternVerdict, setPatternVerdict] = useState<PatternVerdict>({ state: 'empty' });
  /** Problems the server found in the template of step 2 (unknown variables, broken JSON): they block Next. */
  const [templateProblems, setTemplateProblems] = useState(0);
  // A new automation reached at a later step (a reload, a bookmark) has nothing filled in yet: it starts at step 1.
  const arrivedAtLaterStep = useRef(!existing && step !== 1);
  useEffect(() => {
    if (arrivedAtLaterStep.current) {
      arrivedAtLaterStep.current = false;
      setStep(1);
    }
  });

  const presets = useLoad(() => api.get<Page<Preset>>(withQuery('/api/v1/presets', { eventType })), `presets|${eventType}`);
  const registryEvent = EVENT_LABELS[eventType].registry;
  const webhook = webhooks.data?.items.find((w) => w.id === webhookId);
  const hasQueues = (queues.data?.items.length ?? 0) > 0;

  const action: AutomationInput['action'] =
    actionType === 'webhook'
      ? { type: 'webhook', webhookId, payload }
      : actionType === 'queue_job'
        ? { type: 'queue_job', queue, template: jobTemplate, check: check.trim() || null }
        : { type: 'no_op' };
  const namesAlias = ALIAS_EVENTS.has(eventType);
  const eventSpec: AutomationInput['event'] = {
    type: eventType,
    model: registryEvent && model ? model : null,
    aliasPattern: namesAlias && aliasPattern ? aliasPattern : null,
  };

  // Leaving with unsaved changes asks first: closing or reloading the tab (the browser's own prompt), or a link.
  const draft = JSON.stringify([eventType, model, aliasPattern, actionType, webhookId, payload, queue, jobTemplate, name, description, enabled, controls]);
  const [initialDraft] = useState(draft);
  const savedRef = useRef(false);
  useEffect(() => {
    if (draft === initialDraft) return;
    const warn = (event: BeforeUnloadEvent) => {
      if (!savedRef.current) event.preventDefault();
    };
    // Links that leave the wizard (the sections, the crumbs) ask too. The router in use cannot block its own
    // navigation, so the click is stopped before it reaches the link.
    const confirmLeaving = (event: MouseEvent) => {
      const link = (event.target as Element | null)?.closest?.('a[href]');
      if (!link || savedRef.current || event.defaultPrevented) return;
      if (!window.confirm('Leave this automation? Your changes are not saved.')) {
        event.preventDefault();
        event.stopPropagation();
      }
    };
    window.addEventListener('beforeunload', warn);
    document.addEventListener('click', confirmLeaving, true);
    return () => {
      window.removeEventListener('beforeunload', warn);
      document.removeEventListener('click', confirmLeaving, true);
    };
  }, [draft, initialDraft]);

  // Rate limit and cooldown are offered for webhooks and queue jobs; a no-op automation keeps whatever it has (the
  // fields are not sent) and cannot be ordered (only webhook deliveries are).
  const showControls = actionType !== 'no_op';
  const checkedControls = checkDraft(controls, eventType, actionType);
  const controlFields = showControls ? checkedControls.value : { delivery: { order: 'none' as const, supersede: false } };

  const create = useFormSubmit(async () => {
    const input: AutomationInput = { name, description, enabled, event: eventSpec, action, condition: condition.trim() || null, ...controlFields };
    const saved = existing
      ? await api.patch<Automation>(teamPath(team, 'automations', existing.id), input)
      : await api.post<Automation>(teamPath(team, 'automations'), input);
    savedRef.current = true;
    notify(existing ? `Saved automation “${saved.name}”.` : `Created automation “${saved.name}”${saved.enabled ? '' : ' (disabled)'}.`);
    // One landing page after create or save: the automation's own page (its settings and its History).
    navigate(teamUrl(team, 'automations', saved.id), { replace: true });
  });
  useEffect(() => {
    if (create.error?.field) setStep(stepOfField(create.error.field));
  }, [create.error]);

  const next = (event: FormEvent) => {
    event.preventDefault();
    setStepError(undefined);
    if (step === 1 && eventType === 'ADD_ARTIFACT_ALIAS' && patternVerdict.state === 'invalid') return setStepError('Fix the alias pattern first.');
    if (step === 1 && eventType === 'ADD_ARTIFACT_ALIAS' && patternVerdict.state === 'checking') return setStepError('The alias pattern is still being checked.');
    if (step === 2 && actionType !== 'no_op' && templateProblems > 0) return setStepError('Fix the problems in the template first (shown under it).');
    if (step === 2 && actionType === 'webhook' && !webhookId) return setStepError('Select a webhook, or create one under Team settings first.');
    if (step === 2 && actionType === 'queue_job' && !queue) return setStepError('Select a queue.');
    if (step < 3) setStep((step + 1) as Step);
  };

  if (!canEdit) {
    return (
      <div className="card">
        <h1>New automation</h1>
        <p>Viewers cannot create automations. Ask a member or an admin of {team}, or see the existing ones under <Link to={teamUrl(team, 'automations')}>Automations</Link>.</p>
      </div>
    );
  }
  return (
    <>
      <PageHead
        crumbs={
          <>
            <Link to={teamUrl(team, 'automations')}>Automations</Link> /{' '}
            {existing ? (
              <>
                <Link to={teamUrl(team, 'automations', existing.id)}>{existing.name}</Link> / edit
              </>
            ) : (
              'new'
            )}
          </>
        }
        title={existing ? `Edit automation ${existing.name}` : 'New automation'}
        sub="When something happens in the registry, send a webhook or queue a job."
      />
      <ol className="steps" aria-label="Steps">
        {STEP_NAMES.map((label, i) => (
          <li key={label} className={i + 1 === step ? 'current' : i + 1 < step ? 'done' : undefined} aria-current={i + 1 === step ? 'step' : undefined}>
            {i + 1}. {label}
          </li>
        ))}
      </ol>

      {step === 1 && (
        <form className="card" onSubmit={next} aria-label="Event">
          <Field label="Event type" error={fieldError(create.error, 'event.type')}>
            {(p) => (
              <select {...p} value={eventType} onChange={(e) => setEventType(e.target.value as EventType)}>
                {(Object.keys(EVENT_LABELS) as EventType[]).map((type) => (
                  <option key={type} value={type}>
                    {EVENT_LABELS[type].long}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {registryEvent && (
            <Field label="Registered model" error={fieldError(create.error, 'event.model')} hint="The whole registry includes models created later.">
              {(p) => (
                <select {...p} value={model} onChange={(e) => setModel(e.target.value)}>
                  <option value="">Any registered model (the whole registry)</option>
                  {models.data?.items.map((m) => (
                    <option key={m.id} value={m.name}>
                      {m.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          {namesAlias && (
            <AliasPatternField team={team} value={aliasPattern} onChange={setAliasPattern} serverError={fieldError(create.error, 'event.aliasPattern')} onVerdict={setPatternVerdict} />
          )}
          <Field
            label="Condition"
            error={fieldError(create.error, 'condition')}
            hint={<>Optional: run only when it holds, e.g. <code>metadata.eval.auc &gt;= 0.9 &amp;&amp; checks.eval == &quot;success&quot;</code>. Empty: every event.</>}
          >
            {(p) => <input {...p} className="mono" value={condition} onChange={(e) => setCondition(e.target.value)} placeholder='checks.eval == "success"' />}
          </Field>
          <Field label="Action type" error={fieldError(create.error, 'action.type')}>
            {(p) => (
              <select {...p} value={actionType} onChange={(e) => setActionType(e.target.value as ActionType)}>
                <option value="webhook">Webhooks</option>
                {hasQueues && <option value="queue_job">Queue job</option>}
                <option value="no_op">No action (record runs only)</option>
              </select>
            )}
          </Field>
          {stepError && (
            <div className="form-error" role="alert">
              {stepError}
            </div>
          )}
          <div className="buttons">
            <button type="submit" className="primary">
              Next step
            </button>
          </div>
        </form>
      )}

      {step === 2 && (
        <form className="card" onSubmit={next} aria-label="Action">
          <p className="muted" style={{ marginTop: 0 }}>
            When: {EVENT_LABELS[eventType].long.toLowerCase()}
            {registryEvent && (model ? ` (${model})` : ' (any registered model)')}
            {namesAlias && aliasPattern && `, alias matching ${aliasPattern}`}
            {condition.trim() && `, when ${condition.trim()}`}
          </p>
          {actionType === 'webhook' && (
            <>
              <Field
                label="Webhook"
                error={fieldError(create.error, 'action.webhookId')}
                hint={
                  webhooks.error ? (
                    webhooks.error.status === 403 ? (
                      'Only team admins can see webhooks: ask an admin to create this automation, or choose another action type.'
                    ) : (
                      webhooks.error.sentence
                    )
                  ) : webhooks.data?.items.length === 0 ? (
                    isAdmin ? (
                      <>
                        No webhooks yet: create one under <Link to={teamUrl(team, 'settings')}>Team settings</Link>.
                      </>
                    ) : (
                      'No webhooks yet: only team admins create them. Ask an admin, or go back and choose “Queue job”.'
                    )
                  ) : !isAdmin ? (
                    'Webhook URLs and their secrets are shown to team admins only, so secret placeholders cannot be inserted here.'
                  ) : undefined
                }
              >
                {(p) => (
                  <select {...p} value={webhookId} onChange={(e) => setWebhookId(e.target.value)} required>
                    <option value="">Select a webhook</option>
                    {webhooks.data?.items.map((w) => (
                      <option key={w.id} value={w.id}>
                        {(w.url ? `${w.name} — ${w.url}` : w.name) + (w.enabled ? '' : ' (disabled: nothing is sent until it is enabled)')}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <TemplateEditor
                team={team}
                label="Payload"
                value={payload}
                onChange={setPayload}
                serverError={fieldError(create.error, 'action.payload')}
                presets={presets.data?.items.filter((preset) => (preset.eventTypes as string[]).includes(eventType)) ?? []}
                secrets={[webhook?.secret, webhook?.accessToken].filter((s): s is string => Boolean(s))}
                preview={webhookId ? { name: name || undefined, event: eventSpec, action: { type: 'webhook', webhookId, payload } } : null}
                onProblems={setTemplateProblems}
                previewHint="Select a webhook to check and preview the payload."
              />
            </>
          )}
          {actionType === 'queue_job' && (
            <>
              <Field label="Queue" error={fieldError(create.error, 'action.queue')}>
                {(p) => (
                  <select {...p} value={queue} onChange={(e) => setQueue(e.target.value)} required>
                    <option value="">Select a queue</option>
                    {queues.data?.items.map((q) => (
                      <option key={q.id} value={q.name}>
                        {q.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <TemplateEditor
                team={team}
                label="Job template"
                value={jobTemplate}
                onChange={setJobTemplate}
                serverError={fieldError(create.error, 'action.template')}
                presets={[]}
                secrets={[]}
                preview={queue ? { name: name || undefined, event: eventSpec, action: { type: 'queue_job', queue, template: jobTemplate } } : null}
                onProblems={setTemplateProblems}
                previewHint="Select a queue to check and preview the job."
              />
              {eventType !== 'CREATE_ARTIFACT' && eventType !== 'CHECK_COMPLETED' && (
                <Field label="Check" error={fieldError(create.error, 'action.check')} hint="Optional: a check on the version the job reports — pending when queued, success or failure from its exit code (e.g. eval).">
                  {(p) => <input {...p} value={check} onChange={(e) => setCheck(e.target.value)} placeholder="eval" />}
                </Field>
              )}
            </>
          )}
          {actionType === 'no_op' && <p>No action: each matching event is recorded as a run in History and nothing is sent. Useful to try an event filter.</p>}
          {stepError && (
            <div className="form-error" role="alert">
              {stepError}
            </div>
          )}
          <div className="buttons">
            <button type="button" onClick={() => setStep(1)}>
              Back
            </button>
            <button type="submit" className="primary">
              Next step
            </button>
          </div>
        </form>
      )}

      {step === 3 && (
        <form
          className="card"
          aria-label="Details"
          onSubmit={(event) => {
            setStepError(undefined);
            if (!controlFields) {
              event.preventDefault();
              setControlsRefused(true);
              return setStepError('Fix the delivery controls first (shown at each box).');
            }
            create.onSubmit(event);
          }}
        >
          <Field label="Automation name" error={fieldError(create.error, 'name')}>
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} autoFocus />}
          </Field>
          <Field label="Description" error={fieldError(create.error, 'description')}>
            {(p) => <textarea {...p} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
          <label className="row" style={{ marginBottom: 8 }}>
            <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
            Enabled: matching events create runs
          </label>
          {showControls && <DeliveryControls value={controls} onChange={setControls} eventType={eventType} actionType={actionType} error={create.error} showIncomplete={controlsRefused} />}
          <Summary
            eventType={eventType}
            model={registryEvent ? model : ''}
            aliasPattern={namesAlias ? aliasPattern : ''}
            actionType={actionType}
            target={actionType === 'webhook' ? webhook?.name : queue}
            controls={showControls && checkedControls.value ? deliveryNote(checkedControls.value) : ''}
          />
          {stepError && (
            <div className="form-error" role="alert">
              {stepError}
            </div>
          )}
          <FormError error={create.error} shownFields={['name', 'description', ...(showControls ? ['rateLimit', 'cooldownSeconds', 'delivery'] : [])]} />
          <div className="buttons">
            <button type="button" onClick={() => setStep(2)}>
              Back
            </button>
            <button type="submit" className="primary" disabled={create.busy}>
              {existing ? 'Save automation' : 'Create automation'}
            </button>
          </div>
        </form>
      )}
    </>
  );
}

function Summary({
  eventType,
  model,
  aliasPattern,
  actionType,
  target,
  controls,
}: {
  eventType: EventType;
  model: string;
  aliasPattern: string;
  actionType: ActionType;
  target: string | undefined;
  /** The delivery controls set, as the automation list shows them; empty for none. */
  controls: string;
}) {
  return (
    <dl className="props" style={{ margin: '4px 0 8px' }}>
      <dt>When</dt>
      <dd>
        {EVENT_LABELS[eventType].long}
        {EVENT_LABELS[eventType].registry && (model ? ` (${model})` : ' (any registered model)')}
        {aliasPattern && ` matching ${aliasPattern}`}
      </dd>
      <dt>Then</dt>
      <dd>{actionType === 'webhook' ? `send webhook ${target ?? ''}` : actionType === 'queue_job' ? `queue a job on ${target ?? ''}` : 'record a run only'}</dd>
      {controls && (
        <>
          <dt>Controls</dt>
          <dd>{controls}</dd>
        </>
      )}
    </dl>
  );
}

/**
 * A JSON template editor: presets, variables inserted at the cursor, and, shortly after each change, the server's
 * verdict (problems with line and column) and the template rendered against the model's latest version.
 */
function TemplateEditor({
  team,
  label,
  value,
  onChange,
  serverError,
  presets,
  secrets,
  preview,
  previewHint,
  onProblems,
}: {
  team: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  serverError: string | undefined;
  presets: Preset[];
  secrets: string[];
  /** What to render; null until the action names its target. */
  preview: PreviewRequest | null;
  previewHint: string;
  /** How many problems the server reported for the current text (0 while unchecked). */
  onProblems: (count: number) => void;
}) {
  const textarea = useRef<HTMLTextAreaElement>(null);
  /** The selection to restore after an insertion re-rendered the textarea: [start, end]. */
  const pendingSelection = useRef<[number, number] | null>(null);
  const [result, setResult] = useState<PreviewResult>();
  const [previewError, setPreviewError] = useState<ApiError>();
  const [chosenPresetId, setChosenPresetId] = useState<string>();
  // The preset last applied, while the presets offered still include it (they follow the event type).
  const chosenPreset = presets.find((preset) => preset.id === chosenPresetId);

  // Restores the caret after an insertion re-rendered the controlled textarea.
  useLayoutEffect(() => {
    if (pendingSelection.current !== null && textarea.current) {
      textarea.current.focus();
      textarea.current.setSelectionRange(pendingSelection.current[0], pendingSelection.current[1]);
      pendingSelection.current = null;
    }
  });

  /** Inserts at the cursor; `placeholder`, a part of `text` the user must replace, is left selected. */
  const insert = (text: string, placeholder?: string) => {
    const element = textarea.current;
    const start = element?.selectionStart ?? value.length;
    const end = element?.selectionEnd ?? value.length;
    const at = placeholder ? text.indexOf(placeholder) : -1;
    pendingSelection.current = at >= 0 ? [start + at, start + at + placeholder!.length] : [start + text.length, start + text.length];
    onChange(value.slice(0, start) + text + value.slice(end));
  };

  const previewKey = preview ? JSON.stringify(preview) : '';
  useEffect(() => {
    setResult(undefined);
    setPreviewError(undefined);
    if (!previewKey) return;
    let current = true;
    const timer = setTimeout(() => {
      api.post<PreviewResult>(teamPath(team, 'automations', 'preview'), JSON.parse(previewKey)).then(
        (answer) => current && setResult(answer),
        (error: unknown) => current && setPreviewError(asApiError(error)),
      );
    }, VALIDATE_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [team, previewKey]);

  const problems = result?.problems ?? [];
  useEffect(() => onProblems(problems.length), [problems.length, onProblems]);
  const verdict = !preview ? (
    previewHint
  ) : problems.length > 0 ? (
    <span className="validation bad">{problems.map((p) => `Line ${p.line}, column ${p.column}: ${p.message}`).join(' · ')}</span>
  ) : result ? (
    <span className="validation ok">Valid template.</span>
  ) : previewError ? (
    <span className="validation bad">{previewError.sentence}</span>
  ) : (
    'Checking…'
  );
  return (
    <div className="editor-grid">
      <div>
        {presets.length > 0 && (
          <>
            <div className="row" style={{ marginBottom: 8 }} role="group" aria-label="Presets">
              <span className="muted">Presets:</span>
              {presets.map((preset) => (
                <button
                  key={preset.id}
                  type="button"
                  className="small"
                  title={preset.description}
                  aria-pressed={preset.id === chosenPreset?.id}
                  onClick={() => {
                    setChosenPresetId(preset.id);
                    onChange(preset.template);
                  }}
                >
                  {preset.name}
                </button>
              ))}
            </div>
            {chosenPreset && <PresetGuide preset={chosenPreset} />}
          </>
        )}
        <Field label={label} error={serverError} hint={<span aria-live="polite">{verdict}</span>}>
          {(p) => <textarea {...p} ref={textarea} className="code" spellCheck={false} value={value} onChange={(e) => onChange(e.target.value)} />}
        </Field>
        <div role="group" aria-label="Insert a variable">
          <span className="muted small">Insert at the cursor:</span>
          <div className="var-list">
            {TEMPLATE_VARIABLES.map((v) => {
              const text = v.name === 'artifact_metadata.KEY' ? '${artifact_metadata.KEY}' : `\${${v.name}}`;
              return (
                <button key={v.name} type="button" title={v.description} onClick={() => insert(text, v.name === 'artifact_metadata.KEY' ? 'KEY' : undefined)}>
                  {text}
                </button>
              );
            })}
            {secrets.map((secret) => (
              <button key={secret} type="button" title="A secret attached to this webhook, filled in only when sending" onClick={() => insert(`\${${secret}}`)}>
                {`\${${secret}}`}
              </button>
            ))}
          </div>
        </div>
      </div>
      <div>
        <h3 style={{ marginTop: 0 }}>Preview</h3>
        <p className="muted small">{result?.source.description ?? 'Rendered against the model’s latest version, or a sample event.'}</p>
        <pre aria-label="Preview" style={{ maxHeight: 420 }}>
          {result?.body ?? (problems.length > 0 ? 'Fix the template to see the preview.' : '…')}
        </pre>
      </div>
    </div>
  );
}

/** What the receiving side needs for the preset just applied: its description and, for GitHub, the workflow file. */
function PresetGuide({ preset }: { preset: Preset }) {
  return (
    <section aria-label={`About ${preset.name}`} style={{ marginBottom: 8 }}>
      <p className="muted small" style={{ marginTop: 0 }}>
        {preset.description}
      </p>
      {preset.example && (
        <>
          <p className="muted small" style={{ marginBottom: 4 }}>
            {preset.example.title}:
          </p>
          <pre aria-label={preset.example.title} className="small" style={{ maxHeight: 280, whiteSpace: 'pre', wordBreak: 'normal' }}>
            {preset.example.text}
          </pre>
        </>
      )}
    </section>
  );
}
