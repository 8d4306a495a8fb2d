// Jobs: enqueued by hand or by automations, listed per queue, cancelled and requeued. Viewers read; members enqueue,
// cancel and requeue. Agents claim and report through agent.ts.
import { z } from 'zod';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import type { JobState } from '../../db/schema.js';
import { teamAccess } from '../auth.js';
import { decodeCursor, iso, isoOrNull, PageQuery, pageOf, TeamParams, toPage } from '../schemas.js';
import { findQueue } from '../../queues/queues.js';
import { JOB_STATES } from '../../queues/job-states.js';
import { cancelJob, enqueueByHand, getJob, listJobs, requeueJob, type JobRecord } from '../../queues/jobs.js';
import { invalid } from '../../core/errors.js';
import { parseJobEvent } from '../../queues/job-event.js';
import { jobOutcomesWithChecks } from '../../registry/checks.js';

const QueueParams = TeamParams.extend({ queue: z.string() });
export const JobParams = TeamParams.extend({ jobId: z.string().max(64) });
export const State = z.enum(JOB_STATES);

export const JobEventView = z.object({
  type: z.string(),
  model: z.string().describe("the registered model's name (the artifact's, for CREATE_ARTIFACT)"),
  version: z.string().nullable().describe('v<index>; null for an event without a version'),
  alias: z.string().nullable(),
  artifactVersionString: z.string().describe('<team>/<project>/<model>:<version or alias>, as ${artifact_version_string}'),
  author: z.string(),
  eventId: z.string(),
});

const JobView = z.object({
  id: z.string(),
  queue: z.string().nullable().describe('queue name; null once the queue was deleted'),
  queueId: z.string(),
  state: State,
  payload: z.unknown().describe('the job payload (a JSON object)'),
  attempts: z.number().describe('times the job was handed to an agent (a release does not count)'),
  maxAttempts: z.number(),
  agent: z.string().nullable(),
  cancelRequested: z.boolean(),
  exitCode: z.number().nullable(),
  error: z.string().nullable(),
  automationId: z.string().nullable(),
  eventId: z.string().nullable(),
  event: JobEventView.nullable().describe('the event an automation created the job for; null for jobs enqueued by hand'),
  runId: z.string().nullable(),
  createdBy: z.string().describe('user name (id when the user no longer exists)'),
  createdAt: z.string(),
  claimedAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  leaseUntil: z.string().nullable(),
  durationMs: z.number().nullable().describe('finished − started (or claimed) for finished jobs, else null'),
});
export const JobDetail = JobView.extend({ logTail: z.string().describe('the last 64 KiB of the job output') });

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function jobView(job: JobRecord): z.infer<typeof JobView> {
  const began = job.started_at ?? job.claimed_at;
  return {
    id: job.id,
    queue: job.queue_name,
    queueId: job.queue_id,
    state: job.state,
    payload: parsePayload(job.payload),
    attempts: job.attempts,
    maxAttempts: job.max_attempts,
    agent: job.agent,
    cancelRequested: job.cancel_requested === 1,
    exitCode: job.exit_code,
    error: job.error,
    automationId: job.automation_id,
    eventId: job.event_id,
    event: parseJobEvent(job.event),
    runId: job.run_id,
    createdBy: job.created_by_name ?? job.created_by,
    createdAt: iso(job.created_at),
    claimedAt: isoOrNull(job.claimed_at),
    startedAt: isoOrNull(job.started_at),
    finishedAt: isoOrNull(job.finished_at),
    leaseUntil: isoOrNull(job.lease_until),
    durationMs: job.finished_at !== null && began !== null ? job.finished_at - began : null,
  };
}

export function jobDetail(job: JobRecord): z.infer<typeof JobDetail> {
  return { ...jobView(job), logTail: job.log_tail };
}


function parseStates(raw: string | undefined): JobState[] | undefined {
  if (!raw) return undefined;
  const states = raw.split(',').map((s) => s.trim());
  for (const state of states) {
    if (!(JOB_STATES as readonly string[]).includes(state)) throw invalid('state', `"${state}" is not a job state (${JOB_STATES.join(', ')})`);
  }
  return states as JobState[];
}

export default async function jobRoutes(app: Api, ctx: AppContext): Promise<void> {
  const outcomes = jobOutcomesWithChecks(ctx);
  app.get(
    '/api/v1/teams/:team/queues/:queue/jobs',
    {
      schema: {
        tags: ['queues'],
        operationId: 'listJobs',
        summary: "A queue's jobs, newest first (without logs: GET the job for its log tail)",
        params: QueueParams,
        querystring: PageQuery.extend({ state: z.string().max(200).optional().describe('one state or several, comma-separated') }),
        response: { 200: pageOf(JobView) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      const queue = await findQueue(ctx.db, team.id, request.params.queue);
      const states = parseStates(request.query.state);
      const afterId = decodeCursor(request.query.cursor, 'id');
      const rows = await listJobs(ctx.db, {
        teamId: team.id,
        queueId: queue.id,
        limit: request.query.limit,
        ...(states ? { states } : {}),
        ...(afterId ? { afterId } : {}),
      });
      const page = toPage(rows, request.query.limit, (job) => job.id);
      return { items: page.items.map(jobView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/teams/:team/queues/:queue/jobs',
    {
      schema: {
        tags: ['queues'],
        operationId: 'enqueueJob',
        summary: 'Enqueue a job by hand (members), e.g. to try an agent',
        params: QueueParams,
        body: z.object({
          payload: z.record(z.string(), z.unknown()).describe('a JSON object; agents get its fields as MODELYARD_<KEY>'),
          maxAttempts: z.number().int().min(1).max(100).optional(),
        }),
        response: { 201: JobDetail },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      const queue = await findQueue(ctx.db, access.team.id, request.params.queue);
      const { id } = await enqueueByHand(ctx, access, {
        queueId: queue.id,
        payload: request.body.payload,
        maxAttempts: request.body.maxAttempts ?? ctx.config.jobMaxAttempts,
      });
      return reply.status(201).send(jobDetail(await getJob(ctx.db, access.team.id, id)));
    },
  );

  app.get(
    '/api/v1/teams/:team/jobs/:jobId',
    { schema: { tags: ['queues'], operationId: 'getJob', summary: 'One job with its log tail', params: JobParams, response: { 200: JobDetail } } },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return jobDetail(await getJob(ctx.db, team.id, request.params.jobId));
    },
  );

  app.post(
    '/api/v1/teams/:team/jobs/:jobId/cancel',
    {
      schema: {
        tags: ['queues'],
        operationId: 'cancelJob',
        errorResponses: { add: [409] },
        summary: 'Cancel a job (members): a queued job at once, a running one when its agent next heartbeats',
        params: JobParams,
        response: { 200: JobDetail },
      },
    },
    async (request) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      await cancelJob(ctx, access, request.params.jobId, outcomes);
      return jobDetail(await getJob(ctx.db, access.team.id, request.params.jobId));
    },
  );

  app.post(
    '/api/v1/teams/:team/jobs/:jobId/requeue',
    {
      schema: {
        tags: ['queues'],
        operationId: 'requeueJob',
        errorResponses: { add: [409] },
        summary: 'Run a finished job again (members): a new queued job with the same payload; the original is kept',
        params: JobParams,
        response: { 201: JobDetail },
      },
    },
    async (request, reply) => {
      const access = await teamAccess(ctx, request, request.params.team, 'member');
      const { id } = await requeueJob(ctx, access, request.params.jobId, outcomes);
      return reply.status(201).send(jobDetail(await getJob(ctx.db, access.team.id, id)));
    },
  );
}
