// Queues, their jobs, and the agent protocol. Viewers read; members create and delete queues, enqueue, cancel and
// requeue jobs, and run agents (an agent authenticates with a member's API key). Agent calls name their lease —
// `{ agent, attempt }` from the claim — and get 409 once the job is no longer theirs.
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { Api } from '../app.js';
import type { AppContext } from '../../context.js';
import type { JobState } from '../../db/schema.js';
import { teamAccess } from '../auth.js';
import { decodeCursor, iso, isoOrNull, Name, PageQuery, pageOf, TeamParams, toPage } from '../schemas.js';
import { createQueue, deleteQueue, findQueue, getQueue, listQueues, MAX_DESCRIPTION_LENGTH, type QueueSummary } from '../../queues/queues.js';
import {
  cancelJob,
  configureJobDefaults,
  enqueueByHand,
  getJob,
  JOB_STATES,
  listJobs,
  requeueJob,
  type JobRecord,
} from '../../queues/jobs.js';
import { appendLog, heartbeat, releaseJob, reportResult, type Lease } from '../../queues/agent-protocol.js';
import { claimWithWait } from '../../queues/long-poll.js';
import { invalid } from '../../core/errors.js';

const QueueParams = TeamParams.extend({ queue: z.string() });
const JobParams = TeamParams.extend({ jobId: z.string().max(64) });
const State = z.enum(JOB_STATES as [JobState, ...JobState[]]);

const QueueView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  counts: z.object({ queued: z.number(), running: z.number(), succeeded: z.number(), failed: z.number(), cancelled: z.number() }),
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
  runId: z.string().nullable(),
  createdBy: z.string().describe('user name (id when the user no longer exists)'),
  createdAt: z.string(),
  claimedAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  leaseUntil: z.string().nullable(),
  durationMs: z.number().nullable().describe('finished − started (or claimed) for finished jobs, else null'),
});
const JobDetail = JobView.extend({ logTail: z.string().describe('the last 64 KiB of the job output') });
const ClaimedJob = JobDetail.extend({ leaseMs: z.number().describe('heartbeat well within this (the agent uses a third)') });

const LeaseBody = z.object({
  agent: z.string().min(1).max(255),
  attempt: z.number().int().min(1).describe('`attempts` of the claimed job'),
});

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

function jobDetail(job: JobRecord): z.infer<typeof JobDetail> {
  return { ...jobView(job), logTail: job.log_tail };
}

function queueView(queue: QueueSummary): z.infer<typeof QueueView> {
  return { ...queue, createdAt: iso(queue.createdAt) };
}

function parseStates(raw: string | undefined): JobState[] | undefined {
  if (!raw) return undefined;
  const states = raw.split(',').map((s) => s.trim());
  for (const state of states) {
    if (!(JOB_STATES as string[]).includes(state)) throw invalid('state', `"${state}" is not a job state (${JOB_STATES.join(', ')})`);
  }
  return states as JobState[];
}

export default async function queueRoutes(app: Api, ctx: AppContext): Promise<void> {
  configureJobDefaults(ctx.config);

  // Long-polling claims in flight; ended (answered 204) when the server shuts down, so shutdown does not wait
  // out their `wait`.
  const waitingClaims = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const controller of waitingClaims) controller.abort();
  });

  async function leaseOf(request: FastifyRequest, team: string, jobId: string, body: z.infer<typeof LeaseBody>): Promise<Lease> {
    const access = await teamAccess(ctx, request, team, 'member');
    return { teamId: access.team.id, jobId, agent: body.agent, attempt: body.attempt };
  }

  app.post(
    '/api/v1/teams/:team/queues',
    {
      schema: {
        tags: ['queues'],
        summary: 'Create a queue (members)',
        params: TeamParams,
        body: z.object({ name: Name, description: z.string().max(MAX_DESCRIPTION_LENGTH).optional() }),
        response: { 201: QueueView },
      },
    },
    async (request, reply) => {
      const { team, user } = await teamAccess(ctx, request, request.params.team, 'member');
      const queue = await createQueue(ctx.db, { teamId: team.id, name: request.body.name, description: request.body.description ?? '', createdBy: user.id });
      return reply.status(201).send(queueView(queue));
    },
  );

  app.get(
    '/api/v1/teams/:team/queues',
    {
      schema: {
        tags: ['queues'],
        summary: "The team's queues with job counts by state (claimed jobs count as running)",
        params: TeamParams,
        response: { 200: z.object({ items: z.array(QueueView), nextCursor: z.null() }) },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return { items: (await listQueues(ctx.db, team.id)).map(queueView), nextCursor: null };
    },
  );

  app.get(
    '/api/v1/teams/:team/queues/:queue',
    { schema: { tags: ['queues'], summary: 'One queue with job counts by state', params: QueueParams, response: { 200: QueueView } } },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'viewer');
      return queueView(await getQueue(ctx.db, team.id, request.params.queue));
    },
  );

  app.delete(
    '/api/v1/teams/:team/queues/:queue',
    {
      schema: {
        tags: ['queues'],
        summary: 'Delete a queue (members); with unfinished jobs only with ?force=true, which cancels them',
        params: QueueParams,
        querystring: z.object({ force: z.enum(['true', 'false']).default('false') }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'member');
      await deleteQueue(ctx, team.id, request.params.queue, request.query.force === 'true');
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/teams/:team/queues/:queue/jobs',
    {
      schema: {
        tags: ['queues'],
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
      const afterId = decodeCursor(request.query.cursor);
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
      const { team, user } = await teamAccess(ctx, request, request.params.team, 'member');
      const queue = await findQueue(ctx.db, team.id, request.params.queue);
      const { id } = await enqueueByHand(ctx, {
        teamId: team.id,
        queueId: queue.id,
        payload: request.body.payload,
        createdBy: user.id,
        ...(request.body.maxAttempts !== undefined ? { maxAttempts: request.body.maxAttempts } : {}),
      });
      return reply.status(201).send(jobDetail(await getJob(ctx.db, team.id, id)));
    },
  );

  app.get(
    '/api/v1/teams/:team/jobs/:jobId',
    { schema: { tags: ['queues'], summary: 'One job with its log tail', params: JobParams, response: { 200: JobDetail } } },
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
        summary: 'Cancel a job (members): a queued job at once, a running one when its agent next heartbeats',
        params: JobParams,
        response: { 200: JobDetail },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'member');
      await cancelJob(ctx, team.id, request.params.jobId);
      return jobDetail(await getJob(ctx.db, team.id, request.params.jobId));
    },
  );

  app.post(
    '/api/v1/teams/:team/jobs/:jobId/requeue',
    {
      schema: {
        tags: ['queues'],
        summary: 'Run a finished job again (members): a new queued job with the same payload; the original is kept',
        params: JobParams,
        response: { 201: JobDetail },
      },
    },
    async (request, reply) => {
      const { team, user } = await teamAccess(ctx, request, request.params.team, 'member');
      const { id } = await requeueJob(ctx, team.id, request.params.jobId, user.id);
      return reply.status(201).send(jobDetail(await getJob(ctx.db, team.id, id)));
    },
  );

  app.post(
    '/api/v1/teams/:team/queues/:queue/claim',
    {
      schema: {
        tags: ['agents'],
        summary: 'Claim the oldest queued job (agents; members): waits up to `wait` seconds, 204 when none came',
        params: QueueParams,
        querystring: z.object({ wait: z.coerce.number().int().min(0).max(60).default(30) }),
        body: z.object({ agent: z.string().min(1).max(255).describe('the agent name, shown on the job') }),
        response: { 200: ClaimedJob, 204: z.null() },
      },
    },
    async (request, reply) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'member');
      const queue = await findQueue(ctx.db, team.id, request.params.queue);
      const controller = new AbortController();
      const clientGone = () => {
        if (!reply.raw.writableFinished) controller.abort();
      };
      reply.raw.on('close', clientGone);
      waitingClaims.add(controller);
      try {
        const job = await claimWithWait(ctx, {
          queueId: queue.id,
          agent: request.body.agent,
          leaseMs: ctx.config.jobLeaseMs,
          waitMs: request.query.wait * 1000,
          signal: controller.signal,
        });
        if (!job) return reply.status(204).send(null);
        if (reply.raw.destroyed) {
          // The agent hung up while the claim committed: hand the job straight back rather than strand it on a lease.
          await releaseJob(ctx, { teamId: team.id, jobId: job.id, agent: job.agent!, attempt: job.attempts }, 'the agent disconnected during its claim');
          return reply;
        }
        return { ...jobDetail(await getJob(ctx.db, team.id, job.id)), leaseMs: ctx.config.jobLeaseMs };
      } finally {
        waitingClaims.delete(controller);
        reply.raw.off('close', clientGone);
      }
    },
  );

  app.post(
    '/api/v1/teams/:team/jobs/:jobId/heartbeat',
    {
      schema: {
        tags: ['agents'],
        summary: 'Extend the lease (agents); `state: running` once the process started. Says whether to cancel',
        params: JobParams,
        body: LeaseBody.extend({ state: z.enum(['claimed', 'running']).default('running') }),
        response: { 200: z.object({ cancel: z.boolean(), leaseUntil: z.string() }) },
      },
    },
    async (request) => {
      const lease = await leaseOf(request, request.params.team, request.params.jobId, request.body);
      const { cancel, leaseUntil } = await heartbeat(ctx, lease, request.body.state);
      return { cancel, leaseUntil: iso(leaseUntil) };
    },
  );

  app.post(
    '/api/v1/teams/:team/jobs/:jobId/log',
    {
      schema: {
        tags: ['agents'],
        summary: 'Append output to the job log (agents); the server keeps the last 64 KiB',
        params: JobParams,
        body: LeaseBody.extend({ text: z.string().max(2 * 1024 * 1024) }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const lease = await leaseOf(request, request.params.team, request.params.jobId, request.body);
      await appendLog(ctx, lease, request.body.text);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/teams/:team/jobs/:jobId/result',
    {
      schema: {
        tags: ['agents'],
        summary: 'Report how the job ended (agents): exit 0 → succeeded, else failed; cancelled if a cancel was asked',
        params: JobParams,
        body: LeaseBody.extend({
          exitCode: z.number().int().nullable().describe('null when the process was killed by a signal or never started'),
          error: z.string().max(100_000).optional(),
        }),
        response: { 200: z.object({ state: State }) },
      },
    },
    async (request) => {
      const lease = await leaseOf(request, request.params.team, request.params.jobId, request.body);
      return reportResult(ctx, lease, { exitCode: request.body.exitCode, error: request.body.error });
    },
  );

  app.post(
    '/api/v1/teams/:team/jobs/:jobId/release',
    {
      schema: {
        tags: ['agents'],
        summary: 'Hand a job back (agents shutting down): queued again, the attempt not counted',
        params: JobParams,
        body: LeaseBody.extend({ reason: z.string().max(500).default('the agent is shutting down') }),
        response: { 200: z.object({ state: State }) },
      },
    },
    async (request) => {
      const lease = await leaseOf(request, request.params.team, request.params.jobId, request.body);
      return releaseJob(ctx, lease, request.body.reason);
    },
  );
}
