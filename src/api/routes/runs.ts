// Delivery history and redelivery: action runs with their attempts (viewers and up read; members and up redeliver).
// Stored bodies and request headers are what the worker recorded: placeholders instead of secret values, and
// Authorization / signatures redacted. Webhook URLs are credentials (Slack, Teams and Discord URLs carry their token
// in the path): only team admins see them; everyone else sees the webhook's name, and the URL nowhere else either —
// not in a response an endpoint echoed back, nor in a Location header (hideWebhookUrls).
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import type { ActionRun, TeamRole } from '../../db/schema.js';
import { AppError, conflict, invalid, notFound } from '../../core/errors.js';
import { automationExists, getRun, listRuns, MAX_RECOVERY_WINDOW_MS, redeliverFailedRuns } from '../../delivery/history.js';
import { redeliverNow } from '../../delivery/worker.js';
import { hideCustomHeaders } from '../../delivery/headers.js';
import { JOB_STATES } from '../../queues/job-states.js';
import { RUN_STATES } from '../../automations/run-states.js';
import { jobSummaries, type JobSummary } from '../../queues/jobs.js';
import { teamAccess } from '../auth.js';
import { decodeCursor, iso, isoOrNull, PageQuery, pageOf, TeamParams, toPage } from '../schemas.js';

const RunStateSchema = z
  .enum(RUN_STATES)
  .describe(
    "skipped: not sent because of the automation's rate limit or cooldown (error says which); superseded: never sent, replaced by a newer run of the same subject (supersededBy)",
  );

const RunView = z.object({
  id: z.string(),
  automationId: z.string(),
  automationName: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  actionType: z.string(),
  state: RunStateSchema,
  status: z.number().nullable().describe('HTTP status of the last attempt'),
  error: z.string().nullable().describe('Error of the last attempt'),
  attempts: z.number(),
  nextAttemptAt: z.string().nullable().describe('null for a pending run of ordered delivery waiting for the earlier run of its subject'),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  webhookName: z.string().nullable(),
  viaStream: z.boolean().describe("Delivered through the team's event stream (a listen webhook) rather than sent by the server"),
  forwardedFrom: z.string().nullable().describe('The run this one copies for a listener (`modelyard listen --automation`), or null'),
  sequence: z.number().int().nullable().describe("The run's ${sequence}: its number among its automation's runs for the same subject; null when not counted"),
  supersededBy: z.string().nullable().describe('superseded runs: the newer run of the same subject that replaced it'),
  queueName: z.string().nullable(),
  jobId: z.string().nullable(),
  job: z
    .object({
      id: z.string(),
      state: z.enum(JOB_STATES),
      exitCode: z.number().nullable(),
      error: z.string().nullable(),
      queue: z.string().nullable().describe('null once the queue was deleted'),
    })
    .nullable()
    .describe("queue_job runs: the job the run follows (pending until it finishes), with its state and exit code"),
});

const Headers = z.record(z.string(), z.string());

const AttemptView = z.object({
  number: z.number(),
  trigger: z.enum(['automatic', 'manual']),
  startedAt: z.string(),
  durationMs: z.number(),
  url: z.string().optional().describe('Where the attempt was sent (team admins only: webhook URLs are credentials)'),
  requestHeaders: Headers.describe('Headers sent, with Authorization and signatures redacted'),
  status: z.number().nullable(),
  error: z.string().nullable(),
  responseHeaders: Headers,
  responseBody: z.string().describe('The first 64 KiB of the response'),
});

const RunDetailView = RunView.omit({ attempts: true }).extend({
  url: z.string().nullable().optional().describe("The webhook's URL when the run was created (team admins only)"),
  body: z.string().describe('The rendered payload; ${SECRET} placeholders are shown, never their values'),
  attempts: z.array(AttemptView),
});

const ListQuery = PageQuery.extend({ state: RunStateSchema.optional() });
const RunParams = TeamParams.extend({ runId: z.string().max(64) });

/** The jobs of the queue_job runs among `runs` (one query). */
function jobsOf(ctx: AppContext, teamId: string, runs: ActionRun[]): Promise<Map<string, JobSummary>> {
  return jobSummaries(ctx.db, teamId, runs.flatMap((run) => (run.job_id === null ? [] : [run.job_id])));
}

function runView(run: ActionRun, jobs: Map<string, JobSummary>) {
  return {
    id: run.id,
    automationId: run.automation_id,
    automationName: run.automation_name,
    eventId: run.event_id,
    eventType: run.event_type,
    actionType: run.action_type,
    state: run.state,
    status: run.last_status,
    error: run.last_error,
    attempts: run.attempts,
    // A run being sent shows its lease expiry here; that is when it is due again if its worker dies.
    // A stream run is due on the stream (stream_due_at: its acknowledgement deadline once sent).
    nextAttemptAt: run.state === 'pending' ? isoOrNull(run.stream === 1 ? run.stream_due_at : run.next_attempt_at) : null,
    createdAt: iso(run.created_at),
    finishedAt: isoOrNull(run.finished_at),
    webhookName: run.webhook_name,
    viaStream: run.stream === 1,
    forwardedFrom: run.forwarded_from,
    sequence: run.sequence,
    supersededBy: run.superseded_by,
    queueName: run.queue_name,
    jobId: run.job_id,
    job: run.job_id === null ? null : (jobs.get(run.job_id) ?? null),
  };
}

type Attempt = z.infer<typeof AttemptView>;

const URL_SHOWN_INSTEAD = '[webhook URL]';

/**
 * For anyone but a team admin: the attempt without its URL, and every form in which the run's URLs could be echoed
 * back (whole, host and path, path, query; raw, JSON-escaped, percent-encoded) replaced in what the endpoint answered.
 */
function hideWebhookUrls(urls: Array<string | null>, attempt: Attempt): Attempt {
  const forms = new Set<string>();
  for (const url of urls) {
    if (!url) continue;
    forms.add(url);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      // Not parseable: the whole string is all there is to hide.
    }
    if (parsed) {
      forms.add(parsed.href);
      forms.add(`${parsed.host}${parsed.pathname}${parsed.search}`);
      if (parsed.pathname.length > 1) forms.add(`${parsed.pathname}${parsed.search}`);
      if (parsed.search.length > 1) forms.add(parsed.search.slice(1));
    }
  }
  const variants = [...forms].flatMap((form) => [form, form.replaceAll('/', '\\/'), encodeURIComponent(form)]);
  // Longest first, so that a whole URL is replaced before a part of it.
  const sorted = [...new Set(variants)].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
  const scrub = (text: string) => sorted.reduce((out, form) => out.replaceAll(form, URL_SHOWN_INSTEAD), text);
  const scrubHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, scrub(v)]));
  const { url: _url, ...rest } = attempt;
  return {
    ...rest,
    error: rest.error === null ? null : scrub(rest.error),
    requestHeaders: scrubHeaders(rest.requestHeaders),
    responseHeaders: scrubHeaders(rest.responseHeaders),
    responseBody: scrub(rest.responseBody),
  };
}

function forRole(role: TeamRole, urls: Array<string | null>, attempt: Attempt): Attempt {
  // Custom header values are credentials too (delivery/headers.ts): members and viewers see the headers' names only.
  return role === 'admin' ? attempt : hideWebhookUrls(urls, hideCustomHeaders(attempt));
}

function parseHeaders(json: string): Record<string, string> {
  const parsed = JSON.parse(json) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}

function parseTime(field: string, value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) throw invalid(field, 'must be an ISO 8601 time such as 2026-11-26T12:00:00Z');
  return ms;
}

export default async function runRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get(
    '/api/v1/teams/:team/automations/:id/runs',
    {
      schema: {
        tags: ['runs'],
        operationId: 'listAutomationRuns',
        summary: "An automation's action runs, newest first",
        params: TeamParams.extend({ id: z.string().max(64) }),
        querystring: ListQuery,
        response: { 200: pageOf(RunView) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      if (!(await automationExists(ctx, team.id, request.params.id))) throw notFound(`automation ${request.params.id}`);
      const { limit, cursor, state } = request.query;
      const rows = await listRuns(ctx, team.id, { automationId: request.params.id, state, limit, before: decodeCursor(cursor, 'id') });
      const page = toPage(rows, limit, (r) => r.id);
      const jobs = await jobsOf(ctx, team.id, page.items);
      return { items: page.items.map((run) => runView(run, jobs)), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/teams/:team/runs',
    {
      schema: {
        tags: ['runs'],
        operationId: 'listRuns',
        summary: "The team's action runs across automations, newest first",
        params: TeamParams,
        querystring: ListQuery,
        response: { 200: pageOf(RunView) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const { limit, cursor, state } = request.query;
      const rows = await listRuns(ctx, team.id, { state, limit, before: decodeCursor(cursor, 'id') });
      const page = toPage(rows, limit, (r) => r.id);
      const jobs = await jobsOf(ctx, team.id, page.items);
      return { items: page.items.map((run) => runView(run, jobs)), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/teams/:team/runs/:runId',
    {
      schema: {
        tags: ['runs'],
        operationId: 'getRun',
        summary: 'One action run with its rendered body and every delivery attempt',
        params: RunParams,
        response: { 200: RunDetailView },
      },
    },
    async (request) => {
      const { team, role } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const detail = await getRun(ctx, team.id, request.params.runId);
      if (!detail) throw notFound(`run ${request.params.runId}`);
      const urls = [detail.run.url, ...detail.attempts.map((a) => a.url)];
      return {
        ...runView(detail.run, await jobsOf(ctx, team.id, [detail.run])),
        ...(role === 'admin' ? { url: detail.run.url } : {}),
        body: detail.run.body,
        attempts: detail.attempts.map((a) =>
          forRole(role, urls, {
            number: a.number,
            trigger: a.trigger,
            startedAt: iso(a.started_at),
            durationMs: a.duration_ms,
            url: a.url,
            requestHeaders: parseHeaders(a.request_headers),
            status: a.status,
            error: a.error,
            responseHeaders: parseHeaders(a.response_headers),
            responseBody: a.response_body,
          }),
        ),
      };
    },
  );

  app.post(
    '/api/v1/teams/:team/runs/:runId/redeliver',
    {
      schema: {
        tags: ['runs'],
        operationId: 'redeliverRun',
        errorResponses: { add: [409] },
        summary: 'Send the run again now (members); the attempt is recorded as manual and not retried',
        params: RunParams,
        response: { 200: AttemptView },
      },
    },
    async (request) => {
      const { team, role } = await teamAccess(ctx, request, request.params.team, 'member');
      const detail = await getRun(ctx, team.id, request.params.runId);
      if (!detail) throw notFound(`run ${request.params.runId}`);
      if (detail.run.action_type !== 'webhook') {
        throw conflict(`only webhook runs can be redelivered; this run's action is ${detail.run.action_type}`);
      }
      if (detail.run.stream === 1) {
        throw conflict(
          'this run goes to a listen webhook: a listener receives it from the event stream, and it is sent there again after its retry delay; POST /api/v1/teams/{team}/runs/redeliver puts failed runs back on the stream',
        );
      }
      const attempt = await redeliverNow(ctx, request.params.runId, team.id);
      if (attempt === undefined) throw notFound(`run ${request.params.runId}`);
      if (attempt === 'busy') throw new AppError('conflict', 'the run is being delivered right now; look at its attempts in a moment');
      const urls = [detail.run.url, attempt.url, ...detail.attempts.map((a) => a.url)];
      return forRole(role, urls, { ...attempt, startedAt: iso(attempt.startedAt) });
    },
  );

  app.post(
    '/api/v1/teams/:team/runs/redeliver',
    {
      schema: {
        tags: ['runs'],
        operationId: 'redeliverFailedRuns',
        summary: 'Redeliver every failed run created in a time window of at most 14 days (members)',
        params: TeamParams,
        body: z.object({ since: z.string(), until: z.string().optional(), automationId: z.string().max(64).optional() }),
        response: { 202: z.object({ count: z.number() }) },
      },
    },
    async (request, reply) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'member');
      const since = parseTime('since', request.body.since);
      const until = request.body.until === undefined ? Date.now() : parseTime('until', request.body.until);
      if (until <= since) throw invalid('until', 'must be after since');
      if (until - since > MAX_RECOVERY_WINDOW_MS) throw invalid('since', 'the window from since to until must not exceed 14 days');
      if (request.body.automationId !== undefined && !(await automationExists(ctx, team.id, request.body.automationId))) {
        throw invalid('automationId', 'no such automation in this team');
      }
      const count = await redeliverFailedRuns(ctx, team.id, { since, until, automationId: request.body.automationId });
      return reply.status(202).send({ count });
    },
  );
}
