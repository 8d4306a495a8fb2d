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
//   webhook    run `pending`, due now; the delivery worker fills secrets, signs and sends it.
//   queue_job  the job is enqueued here (same transaction, the jobs inserted together like the runs, with
//              MODELYARD_JOB_MAX_ATTEMPTS, each carrying its event: queues/job-event.ts); the run carries the job id and
//              stays `pending` — with no due time, and the delivery worker claims only webhook runs — until the job
//              finishes, then follows it (job-runs.ts).
//   no_op      run `succeeded` at once (the history still shows that the automation fired).
// An automation with a rate limit or cooldown (core/flood-control.ts) gets a `skipped` run, with the reason, for an
// event that comes over its limit: nothing is sent or enqueued for it.
// An automation whose target vanished (its queue deleted) or whose stored template no longer renders gets a `failed`
// run with the reason, instead of failing the registry change that raised the event.
import type { Config } from '../config.js';
import type { Tx } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';
import type { QueryCreator } from 'kysely';
import type { Database, Event, EventType, NewActionRun } from '../db/schema.js';
import { insertMany } from '../db/bulk.js';
import { CHANNEL_RUNS } from '../context.js';
import { newId } from '../core/ids.js';
import { renderTemplate, type TemplateValues } from '../core/templates.js';
import { insertJobs, type NewJob } from '../queues/jobs.js';
import type { JobEvent } from '../queues/job-event.js';
import { aliasMatches } from './alias-pattern.js';
import { admitRun } from '../core/flood-control.js';
import { eventMetadata, eventVariables, withAutomationName } from './variables.js';

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
    .select([
      'a.id',
      'a.name',
      'a.alias_pattern',
      'a.action_type',
      'a.template',
      'a.webhook_id',
      'a.queue_id',
      'a.rate_limit_max',
      'a.cooldown_seconds',
      'w.name as webhook_name',
      'w.url',
      'w.secret_name',
      'w.access_token_name',
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
  modelId: string;
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
  const matches = automations.filter(
    (a) => event.type !== 'ADD_ARTIFACT_ALIAS' || aliasMatches(a.alias_pattern, event.alias),
  );
  if (matches.length === 0) return 0;

  const variables = eventVariables(matches[0]!.team_name, event);
  const metadata = eventMetadata(event);
  const now = Date.now();
  const suppress = event.type === 'AUTOMATION_FAILED' ? 1 : 0;
  const runs: NewActionRun[] = [];
  const jobs: Array<{ run: NewActionRun; job: NewJob }> = [];
  let jobEvent: JobEvent | undefined;
  let pending = 0;

  for (const automation of matches) {
    const run: NewActionRun = {
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
      suppress_failure_event: suppress,
      manual_redelivery: 0,
      created_at: now,
      finished_at: now,
    };
    runs.push(run);
    if (automation.action_type === 'no_op') continue;

    // Flood control costs a statement or two only for the automations that set it (the match brought the limits).
    if (automation.rate_limit_max !== null || automation.cooldown_seconds !== null) {
      const skipped = await admitOrSkip(tx, automation.id, now);
      if (skipped !== null) {
        run.state = 'skipped';
        run.last_error = skipped;
        continue;
      }
    }

    try {
      run.body = renderTemplate(automation.template, withAutomationName(variables, automation.name), metadata);
    } catch (error) {
      run.state = 'failed';
      run.last_error = `the payload template could not be rendered: ${(error as Error).message}`;
      continue;
    }

    if (automation.action_type === 'webhook') {
      if (automation.webhook_name === null || automation.url === null) {
        run.state = 'failed';
        run.last_error = 'the webhook no longer exists';
        continue;
      }
      Object.assign(run, {
        state: 'pending',
        webhook_id: automation.webhook_id,
        webhook_name: automation.webhook_name,
        url: automation.url,
        secret_name: automation.secret_name,
        access_token_name: automation.access_token_name,
        next_attempt_at: now,
        finished_at: null,
      });
      pending += 1;
      continue;
    }

    // queue_job
    if (automation.queue_id === null || automation.queue_name === null) {
      run.state = 'failed';
      run.last_error = 'the queue no longer exists';
      continue;
    }
    run.queue_name = automation.queue_name;
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
  }
  await insertMany(tx, 'action_runs', runs);
  if (pending > 0) after.notify(CHANNEL_RUNS);
  return runs.length;
}

/**
 * Admits a run under its automation's rate limit and cooldown, or says why it is skipped. The automation's row is
 * updated first (a write that changes nothing): on PostgreSQL that locks it, so concurrent events of one automation
 * are admitted one after another and a limit is never exceeded; on SQLite the transaction already holds the lock.
 */
async function admitOrSkip(tx: Tx, automationId: string, now: number): Promise<string | null> {
  const row = await tx
    .updateTable('automations')
    .set((eb) => ({ rate_window_count: eb.ref('rate_window_count') }))
    .where('id', '=', automationId)
    .returning(['rate_limit_max', 'rate_limit_per_seconds', 'cooldown_seconds', 'rate_window_start', 'rate_window_count', 'last_sent_at'])
    .executeTakeFirst();
  if (!row) return null;
  const admission = admitRun(
    {
      rateLimit: row.rate_limit_max === null || row.rate_limit_per_seconds === null ? null : { max: row.rate_limit_max, perSeconds: row.rate_limit_per_seconds },
      cooldownSeconds: row.cooldown_seconds,
    },
    { windowStart: row.rate_window_start, windowCount: row.rate_window_count, lastSentAt: row.last_sent_at },
    now,
  );
  if (!admission.admitted) return admission.reason;
  await tx
    .updateTable('automations')
    .set({ rate_window_start: admission.next.windowStart, rate_window_count: admission.next.windowCount, last_sent_at: admission.next.lastSentAt })
    .where('id', '=', automationId)
    .execute();
  return null;
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
