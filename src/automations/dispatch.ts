// Matching an event to the team's automations and creating one action run per match, inside the event's own
// transaction (transactional outbox: a committed event never loses its runs).
//
// Cost follows the matches, not the number of automations: the lookup is an index range on automations_match
// (team_id, event_type, model_id) for the event's model and the whole-registry automations, made by the statement
// that inserts the event (src/automations/events.ts) — and the runs are inserted together (src/db/bulk.ts: one statement
// on PostgreSQL, multi-row chunks on SQLite). A run keeps its rendered body from creation, so
// changing or deleting its automation never changes a run already created; its webhook is read when each attempt is
// made (URL, signing secret, access token), and deleting the webhook cancels its pending runs.
//
// Per action:
//   webhook    run `pending`, due now; the delivery worker fills secrets, signs and sends it — or, for a listen webhook,
//              due now on the team's stream (delivery/listen.ts). A forwarded automation also gets a copy for the
//              listener (`modelyard listen --automation`).
//   queue_job  the job is enqueued here (same transaction, the jobs inserted together like the runs, with
//              MODELYARD_JOB_MAX_ATTEMPTS, each carrying its event: queues/job-event.ts); the run carries the job id and
//              stays `pending` — with no due time, and the delivery worker claims only webhook runs — until the job
//              finishes, then follows it (job-runs.ts).
//   no_op      run `succeeded` at once (the history still shows that the automation fired).
// An automation with a condition (core/conditions.ts) gets no run at all for an event it does not hold for; the
// version's checks are read only when a condition asks for them. A queue_job automation with a `check` sets that
// check on the event's version to `pending` with its job (registry/checks.ts sets the outcome when the job ends).
// An automation with a rate limit or cooldown (core/flood-control.ts) gets a `skipped` run, with the reason, for an
// event that comes over its limit: nothing is sent or enqueued for it.
// An automation with ordered delivery (core/delivery-order.ts) takes its subject's sequence under the subject's row
// lock (delivery_subjects, upserted here) and its run is due now only if no other run of the subject is active;
// otherwise it waits with no due time, and with supersede it first ends the older runs not yet sent. With supersede a
// cooldown folds events into one delivery when the window ends instead of skipping them. Automations without ordering
// whose template does not use ${sequence} cost nothing here.
// An automation whose target vanished (its queue deleted) or whose stored template no longer renders gets a `failed`
// run with the reason, instead of failing the registry change that raised the event.
import type { Config } from '../config.js';
import type { Tx } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';
import type { Expression, QueryCreator } from 'kysely';
import type { Database, Event, EventType, NewActionRun } from '../db/schema.js';
import { insertMany } from '../db/bulk.js';
import { CHANNEL_RUNS } from '../context.js';
import { newId } from '../core/ids.js';
import { renderTemplate, type TemplateValues } from '../core/templates.js';
import { insertJobs, type NewJob } from '../queues/jobs.js';
import type { JobEvent } from '../queues/job-event.js';
import { aliasMatches } from './alias-pattern.js';
import { evaluate, parseCondition, readsChecks, type ConditionNode } from '../core/conditions.js';
import { admitRun } from '../core/flood-control.js';
import { subjectOf, usesSequence } from '../core/delivery-order.js';
import { supersededColumns } from './run-states.js';
import { activateWaiting } from './subjects.js';
import { ALIAS_EVENT_TYPES, eventMetadata, eventVariables, withAutomationName } from './variables.js';

/**
 * The team's enabled automations for an event type, with what a run needs from their webhook, queue and team. Built
 * on any query creator, so src/automations/events.ts can put the event's own insert in front of it (one statement).
 */
export function matchQuery<DB extends Database>(qc: QueryCreator<DB>, p: MatchParams, scope: MatchScope) {
  const query = (qc as unknown as QueryCreator<Database>)
    .selectFrom('automations as a')
    // The team's name (${entity_name}, ${artifact_version_string}) comes with the matches: no second round trip.
    .innerJoin('teams as t', 't.id', 'a.team_id')
    .leftJoin('webhooks as w', 'w.id', 'a.webhook_id')
    .leftJoin('queues as q', 'q.id', 'a.queue_id')
    // A listener's forward of this automation (`modelyard listen --automation`), by primary key.
    .leftJoin('automation_forwards as f', 'f.automation_id', 'a.id')
    .leftJoin('webhooks as fw', 'fw.id', 'f.webhook_id')
    .select([
      'a.id',
      'a.name',
      'a.alias_pattern',
      'a.action_type',
      'a.template',
      'a.webhook_id',
      'a.queue_id',
      'a.condition',
      'a.check_name',
      'a.rate_limit_max',
      'a.cooldown_seconds',
      'a.delivery_order',
      'a.delivery_supersede',
      'w.name as webhook_name',
      'w.url',
      'w.secret_name',
      'w.access_token_name',
      'w.mode as webhook_mode',
      'f.expires_at as forward_expires_at',
      'fw.id as forward_webhook_id',
      'fw.name as forward_webhook_name',
      'fw.secret_name as forward_secret_name',
      'fw.access_token_name as forward_token_name',
      'q.name as queue_name',
      't.name as team_name',
    ])
    .where('a.team_id', '=', p.teamId)
    .where('a.event_type', '=', p.type)
    .where('a.enabled', '=', 1);
  // The event's model's automations and the registry-wide ones (model_id is null for those).
  return scope === 'registry'
    ? query.where('a.model_id', 'is', null)
    : query.where((eb) => eb.or([eb('a.model_id', '=', p.modelId), eb('a.model_id', 'is', null)]));
}

export interface MatchParams {
  teamId: string;
  type: EventType;
  /** The event's model: a value, or a column of an enclosing query (src/registry/alias-move.ts). */
  modelId: string | Expression<string>;
}

/** `model`: the event's model's automations and the registry-wide ones; `registry`: only those (no model). */
export type MatchScope = 'model' | 'registry';

export type AutomationMatch = Awaited<ReturnType<ReturnType<typeof matchQuery>['execute']>>[number];

/** Creates the runs of `event` (already inserted) for the automations `matchQuery` found for it. */
export async function createActionRuns(
  tx: Tx,
  after: AfterCommit,
  event: Event,
  automations: AutomationMatch[],
  config: Pick<Config, 'jobMaxAttempts'>,
): Promise<number> {
  const byAlias = automations.filter(
    (a) => !ALIAS_EVENT_TYPES.has(event.type) || aliasMatches(a.alias_pattern, event.alias),
  );
  if (byAlias.length === 0) return 0;
  const metadata = eventMetadata(event);
  // A condition that does not hold records nothing, as if the automation did not exist for this event.
  const matches = await withConditionsMet(tx, event, metadata, byAlias);
  if (matches.length === 0) return 0;

  const variables = eventVariables(matches[0]!.team_name, event);
  const now = Date.now();
  const subject = subjectOf(event);
  const runs: NewActionRun[] = [];
  const jobs: Array<{ run: NewActionRun; job: NewJob }> = [];
  let jobEvent: JobEvent | undefined;
  let pending = 0;

  for (const automation of matches) {
    const run = newRun(event, automation, now);
    runs.push(run);
    if (automation.action_type === 'no_op') continue;

    // Ordering applies to the runs the delivery worker sends (a listen webhook's stream has its own order).
    const ordered =
      subject !== null && automation.delivery_order === 'per_subject' && automation.action_type === 'webhook' && automation.webhook_mode !== 'listen';
    const supersede = ordered && automation.delivery_supersede === 1;

    // Flood control costs a statement or two only for the automations that set it (the match brought the limits).
    let dueAt = now;
    if (automation.rate_limit_max !== null || automation.cooldown_seconds !== null) {
      const admission = await admitOrSkip(tx, automation.id, now, supersede);
      if ('skipped' in admission) {
        run.state = 'skipped';
        run.last_error = admission.skipped;
        continue;
      }
      dueAt = admission.dueAt;
    }

    if (webhookGone(run, automation)) continue;

    // The subject's counter (and, ordered, whether this run is the active one), under the subject's row lock.
    let slot: SubjectSlot | null = null;
    if (subject !== null && (ordered || usesSequence(automation.template))) {
      slot = await takeSubjectSlot(tx, after, { automationId: automation.id, subject, runId: run.id, ordered, supersede, now });
      run.sequence = slot.sequence;
    }

    if (!renderBody(run, automation, variables, metadata, slot?.sequence)) {
      // A run that will never be sent must not hold its subject (none waits behind a run that was just made active).
      if (ordered && slot?.active) await releaseSubject(tx, automation.id, subject!, run.id);
      continue;
    }

    if (automation.action_type === 'webhook') {
      pendingWebhook(run, automation, dueAt);
      if (ordered) {
        run.subject = subject;
        // WAITING: no due time (outside the claim's range) until the subject's active run finishes.
        if (!slot!.active) Object.assign(run, { next_attempt_at: null, not_before: dueAt > now ? dueAt : null });
      }
      if (automation.webhook_mode === 'listen') Object.assign(run, streamed(now));
      pending += 1;
      const copy = forwardCopy(run, automation, now);
      if (copy) runs.push(copy);
      continue;
    }

    // queue_job
    if (automation.queue_id === null || automation.queue_name === null) {
      run.state = 'failed';
      run.last_error = 'the queue no longer exists';
      continue;
    }
    run.queue_name = automation.queue_name;
    run.check_name = automation.check_name;
    run.state = 'pending';
    run.finished_at = null;
    jobs.push({
      run,
      job: {
        teamId: event.team_id,
        queueId: automation.queue_id,
        payload: run.body,
        runId: run.id,
        automationId: automation.id,
        eventId: event.id,
        event: (jobEvent ??= jobEventOf(event, variables)),
        createdBy: event.author,
        maxAttempts: config.jobMaxAttempts,
      },
    });
  }

  if (jobs.length > 0) {
    const jobIds = await insertJobs(tx, after, jobs.map(({ job }) => job));
    jobs.forEach(({ run }, i) => (run.job_id = jobIds[i]!));
    await markChecksPending(tx, event, jobs.flatMap(({ run }) => (run.check_name ? [run.check_name] : [])));
  }
  await insertMany(tx, 'action_runs', runs);
  if (pending > 0) after.notify(CHANNEL_RUNS);
  return runs.length;
}

/**
 * Whether an automation's run is made from its match alone: no rate limit or cooldown, no ordering or ${sequence}, no
 * queue job and no condition on checks — nothing that needs a statement in the event's transaction. When every match of
 * an event is, its runs can be rendered before the event is written (planRuns; src/registry/alias-move.ts).
 */
export function runFromMatchAlone(automation: AutomationMatch): boolean {
  if (automation.action_type === 'queue_job') return false;
  if (automation.rate_limit_max !== null || automation.cooldown_seconds !== null) return false;
  if (automation.delivery_order !== 'none' || usesSequence(automation.template)) return false;
  const condition = automation.condition === null ? null : conditionOf(automation.condition);
  return condition === null || !readsChecks(condition);
}

/**
 * The runs of an event not yet written, for matches that all pass runFromMatchAlone — what createActionRuns makes of
 * them, without the database: the alias filter and conditions applied, bodies rendered. `pending`: runs for a worker.
 */
export function planRuns(event: Event, automations: AutomationMatch[], now: number): { runs: NewActionRun[]; pending: number } {
  const runs: NewActionRun[] = [];
  let pending = 0;
  const metadata = eventMetadata(event);
  const matches = automations.filter((a) => (!ALIAS_EVENT_TYPES.has(event.type) || aliasMatches(a.alias_pattern, event.alias)) && conditionHolds(a, metadata, {}));
  if (matches.length === 0) return { runs, pending };
  const variables = eventVariables(matches[0]!.team_name, event);
  for (const automation of matches) {
    const run = newRun(event, automation, now);
    runs.push(run);
    if (automation.action_type === 'no_op' || webhookGone(run, automation) || !renderBody(run, automation, variables, metadata)) continue;
    pendingWebhook(run, automation, now);
    if (automation.webhook_mode === 'listen') Object.assign(run, streamed(now));
    pending += 1;
    const copy = forwardCopy(run, automation, now);
    if (copy) runs.push(copy);
  }
  return { runs, pending };
}

/** A run of `automation` for `event` as it starts: `succeeded` (a no-op's end state) until its action says otherwise. */
function newRun(event: Event, automation: AutomationMatch, now: number): NewActionRun {
  return {
    id: newId(),
    team_id: event.team_id,
    automation_id: automation.id,
    automation_name: automation.name,
    event_id: event.id,
    event_type: event.type,
    action_type: automation.action_type,
    state: 'succeeded',
    webhook_id: null,
    webhook_name: null,
    url: null,
    secret_name: null,
    access_token_name: null,
    body: '',
    job_id: null,
    queue_name: null,
    attempts: 0,
    next_attempt_at: null,
    lease_owner: null,
    lease_until: null,
    last_status: null,
    last_error: null,
    suppress_failure_event: event.type === 'AUTOMATION_FAILED' ? 1 : 0,
    manual_redelivery: 0,
    check_name: null,
    created_at: now,
    finished_at: now,
    // Every run carries every column: the runs are inserted together, with the first run's columns.
    stream: 0,
    stream_due_at: null,
    forwarded_from: null,
    subject: null,
    sequence: null,
    not_before: null,
  };
}

/** A webhook automation whose webhook was deleted gets a `failed` run saying so (true), instead of failing the change. */
function webhookGone(run: NewActionRun, automation: AutomationMatch): boolean {
  if (automation.action_type !== 'webhook' || (automation.webhook_name !== null && automation.url !== null)) return false;
  run.state = 'failed';
  run.last_error = 'the webhook no longer exists';
  return true;
}

/** Renders the run's body (with the subject's sequence when it has one); a template that fails leaves the run `failed`. */
function renderBody(run: NewActionRun, automation: AutomationMatch, variables: TemplateValues, metadata: Record<string, unknown>, sequence?: number): boolean {
  try {
    const values = withAutomationName(variables, automation.name);
    run.body = renderTemplate(automation.template, sequence === undefined ? values : { ...values, sequence: String(sequence) }, metadata);
    return true;
  } catch (error) {
    run.state = 'failed';
    run.last_error = `the payload template could not be rendered: ${(error as Error).message}`;
    return false;
  }
}

/** A webhook run pending, due at `dueAt`, with what the worker reads of its webhook when it sends it. */
function pendingWebhook(run: NewActionRun, automation: AutomationMatch, dueAt: number): void {
  Object.assign(run, {
    state: 'pending',
    webhook_id: automation.webhook_id,
    webhook_name: automation.webhook_name,
    url: automation.url,
    secret_name: automation.secret_name,
    access_token_name: automation.access_token_name,
    next_attempt_at: dueAt,
    finished_at: null,
  });
}

/**
 * A copy of a pending webhook run for a listener forwarding its automation (`modelyard listen --automation`), signed
 * with the listen webhook's own secrets: the real webhook is left untouched and its credentials never reach a laptop.
 * A developer's listener failing raises no AUTOMATION_FAILED. Null when no live forward exists.
 */
function forwardCopy(run: NewActionRun, automation: AutomationMatch, now: number): NewActionRun | null {
  if (automation.forward_webhook_id === null || automation.forward_webhook_name === null || (automation.forward_expires_at ?? 0) <= now) return null;
  return {
    ...run,
    subject: null,
    not_before: null,
    id: newId(),
    webhook_id: automation.forward_webhook_id,
    webhook_name: automation.forward_webhook_name,
    secret_name: automation.forward_secret_name,
    access_token_name: automation.forward_token_name,
    suppress_failure_event: 1,
    forwarded_from: run.id,
    ...streamed(now),
  };
}

/**
 * The columns of a run delivered through the stream: due there now, never in the worker's claim range. A listen
 * webhook's runs are taken from the team's stream (delivery/listen.ts), never claimed by the worker.
 */
function streamed(now: number) {
  return { stream: 1, stream_due_at: now, next_attempt_at: null, url: null } as const;
}

/** The version an event is about (its model and index), or undefined for events without one. */
async function eventVersion(tx: Tx, event: Event): Promise<{ id: string } | undefined> {
  if (event.model_id === null || event.version_index === null) return undefined;
  return tx
    .selectFrom('model_versions')
    .select('id')
    .where('model_id', '=', event.model_id)
    .where('index', '=', event.version_index)
    .executeTakeFirst();
}

const parsedConditions = new Map<string, ConditionNode>();
const PARSED_CONDITIONS_LIMIT = 1000;

/** Saved conditions parsed once per text (they were checked when saved; one that no longer parses matches nothing). */
function conditionOf(text: string): ConditionNode | null {
  let node = parsedConditions.get(text);
  if (node === undefined) {
    try {
      node = parseCondition(text);
    } catch {
      return null;
    }
    if (parsedConditions.size >= PARSED_CONDITIONS_LIMIT) parsedConditions.delete(parsedConditions.keys().next().value!);
    parsedConditions.set(text, node);
  }
  return node;
}

/** The automations whose condition holds for the event's metadata and its version's checks (read only when asked). */
async function withConditionsMet(tx: Tx, event: Event, metadata: Record<string, unknown>, automations: AutomationMatch[]): Promise<AutomationMatch[]> {
  if (automations.every((a) => a.condition === null)) return automations;
  let checks: Record<string, string> | undefined;
  const kept: AutomationMatch[] = [];
  for (const automation of automations) {
    const node = automation.condition === null ? null : conditionOf(automation.condition);
    if (checks === undefined && node !== null && readsChecks(node)) {
      const version = await eventVersion(tx, event);
      const rows = version
        ? await tx.selectFrom('model_version_checks').select(['name', 'state']).where('model_version_id', '=', version.id).execute()
        : [];
      checks = Object.fromEntries(rows.map((row) => [row.name, row.state]));
    }
    if (conditionHolds(automation, metadata, checks ?? {})) kept.push(automation);
  }
  return kept;
}

/** Whether the automation's condition (if it has one) holds; a saved condition that no longer parses matches nothing. */
function conditionHolds(automation: AutomationMatch, metadata: Record<string, unknown>, checks: Record<string, string>): boolean {
  if (automation.condition === null) return true;
  const node = conditionOf(automation.condition);
  return node !== null && evaluate(node, { metadata, checks });
}

/**
 * The checks the event's new jobs report on go to `pending` on the event's version (jobOutcomesWithChecks in
 * src/registry/checks.ts sets them to success or failure when the jobs finish). No event: pending is not a result.
 */
async function markChecksPending(tx: Tx, event: Event, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const version = await eventVersion(tx, event);
  if (!version) return;
  const now = Date.now();
  for (const name of new Set(names)) {
    await tx
      .insertInto('model_version_checks')
      .values({
        model_version_id: version.id,
        name,
        team_id: event.team_id,
        model_id: event.model_id!,
        state: 'pending',
        summary: 'job queued',
        details_url: null,
        updated_by: 'modelyard',
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['model_version_id', 'name']).doUpdateSet({ state: 'pending', summary: 'job queued', details_url: null, updated_by: 'modelyard', updated_at: now }))
      .execute();
  }
}

/**
 * Admits a run under its automation's rate limit and cooldown (due now, or with `fold` when the cooldown ends), or
 * says why it is skipped. The automation's row is
 * updated first (a write that changes nothing): on PostgreSQL that locks it, so concurrent events of one automation
 * are admitted one after another and a limit is never exceeded; on SQLite the transaction already holds the lock.
 */
async function admitOrSkip(tx: Tx, automationId: string, now: number, fold: boolean): Promise<{ skipped: string } | { dueAt: number }> {
  const row = await tx
    .updateTable('automations')
    .set((eb) => ({ rate_window_count: eb.ref('rate_window_count') }))
    .where('id', '=', automationId)
    .returning(['rate_limit_max', 'rate_limit_per_seconds', 'cooldown_seconds', 'rate_window_start', 'rate_window_count', 'last_sent_at'])
    .executeTakeFirst();
  if (!row) return { dueAt: now };
  const admission = admitRun(
    {
      rateLimit: row.rate_limit_max === null || row.rate_limit_per_seconds === null ? null : { max: row.rate_limit_max, perSeconds: row.rate_limit_per_seconds },
      cooldownSeconds: row.cooldown_seconds,
    },
    { windowStart: row.rate_window_start, windowCount: row.rate_window_count, lastSentAt: row.last_sent_at },
    now,
    { fold },
  );
  if (!admission.admitted) return { skipped: admission.reason };
  await tx
    .updateTable('automations')
    .set({ rate_window_start: admission.next.windowStart, rate_window_count: admission.next.windowCount, last_sent_at: admission.next.lastSentAt })
    .where('id', '=', automationId)
    .execute();
  return { dueAt: admission.dueAt };
}

/** A run's place among its automation's runs for its subject. */
interface SubjectSlot {
  sequence: number;
  /** The run is the subject's active one: due at once (or when folding ends), not waiting. */
  active: boolean;
}

/**
 * Takes the next sequence of (automation, subject) — the upsert locks the subject's row until the event's transaction
 * commits, so sequences follow commit order and the recording of the active run (delivery/store/ordering.ts) sees
 * this run or hands the subject to it. Ordered: the run becomes the active one if none is; with supersede, the older
 * runs of the subject not yet sent and not in flight (no live lease; manual redeliveries aside) end `superseded` by
 * this run, which takes over when the active one was among them.
 */
async function takeSubjectSlot(
  tx: Tx,
  after: AfterCommit,
  p: { automationId: string; subject: string; runId: string; ordered: boolean; supersede: boolean; now: number },
): Promise<SubjectSlot> {
  const row = await tx
    .insertInto('delivery_subjects')
    .values({ automation_id: p.automationId, subject: p.subject, sequence: 1, active_run_id: p.ordered ? p.runId : null })
    .onConflict((oc) =>
      oc.columns(['automation_id', 'subject']).doUpdateSet((eb) => ({
        sequence: eb('delivery_subjects.sequence', '+', 1),
        active_run_id: p.ordered ? eb.fn.coalesce('delivery_subjects.active_run_id', eb.ref('excluded.active_run_id')) : eb.ref('delivery_subjects.active_run_id'),
      })),
    )
    .returning(['sequence', 'active_run_id'])
    .executeTakeFirstOrThrow();
  const sequence = Number(row.sequence);
  if (!p.ordered) return { sequence, active: false };
  if (row.active_run_id === p.runId) return { sequence, active: true };
  let takeOver = false;
  if (p.supersede) {
    const superseded = await tx
      .updateTable('action_runs')
      .set(supersededColumns(p.runId, p.now))
      .where('automation_id', '=', p.automationId)
      .where('subject', '=', p.subject)
      .where('state', '=', 'pending')
      .where('manual_redelivery', '=', 0)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', p.now)]))
      .returning('id')
      .execute();
    takeOver = superseded.some((r) => r.id === row.active_run_id);
  }
  if (!takeOver) {
    // The subject's active run must still be pending; one finished by a path that did not hand the subject on (none is
    // known — this is the safety net) would otherwise hold it forever: the oldest waiting run gets it, or this one.
    const holder = await tx.selectFrom('action_runs').select('state').where('id', '=', row.active_run_id!).executeTakeFirst();
    if (holder?.state === 'pending') return { sequence, active: false };
    takeOver = (await activateWaiting(tx, after, { automation_id: p.automationId, subject: p.subject }, p.now)) === null;
  }
  if (!takeOver) return { sequence, active: false };
  await tx.updateTable('delivery_subjects').set({ active_run_id: p.runId }).where('automation_id', '=', p.automationId).where('subject', '=', p.subject).execute();
  return { sequence, active: true };
}

/** Gives up the subject a run just took but will never send (nothing waits behind a run made active this instant). */
async function releaseSubject(tx: Tx, automationId: string, subject: string, runId: string): Promise<void> {
  await tx
    .updateTable('delivery_subjects')
    .set({ active_run_id: null })
    .where('automation_id', '=', automationId)
    .where('subject', '=', subject)
    .where('active_run_id', '=', runId)
    .execute();
}

/** What a job carries of the event it was created for (the same for every job of the event). */
export function jobEventOf(event: Event, variables: TemplateValues): JobEvent {
  return {
    type: event.type,
    model: event.collection,
    version: event.version_index === null ? null : `v${event.version_index}`,
    alias: event.alias,
    artifactVersionString: variables.artifact_version_string ?? '',
    author: event.author,
    eventId: event.id,
  };
}
