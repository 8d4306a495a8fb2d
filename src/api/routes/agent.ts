// The agent protocol: an agent (`modelyard agent`, with a member's API key) claims a queue's next job by long
// polling, then heartbeats, streams its log, reports the result or releases the job. Every call after the claim names
// its lease — `{ agent, attempt }` from the claim — and gets 409 once the job is no longer the agent's.
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { teamAccess } from '../auth.js';
import { iso, TeamParams } from '../schemas.js';
import { findQueue } from '../../queues/queues.js';
import { getJob } from '../../queues/jobs.js';
import { appendLog, heartbeat, releaseJob, reportResult, type Lease } from '../../queues/agent-protocol.js';
import { claimWithWait } from '../../queues/long-poll.js';
import { JobDetail, jobDetail, JobParams, State } from './jobs.js';
import { jobOutcomesWithChecks } from '../../registry/checks.js';

const QueueParams = TeamParams.extend({ queue: z.string() });
const ClaimedJob = JobDetail.extend({ leaseMs: z.number().describe('heartbeat well within this (the agent uses a third)') });

const LeaseBody = z.object({
  agent: z.string().min(1).max(255),
  attempt: z.number().int().min(1).describe('`attempts` of the claimed job'),
});

export default async function agentRoutes(app: Api, ctx: AppContext): Promise<void> {
  // Long-polling claims in flight; ended (answered 204) when the server shuts down, so shutdown does not wait
  // out their `wait`.
  const waitingClaims = new Set<AbortController>();
  const outcomes = jobOutcomesWithChecks(ctx);
  app.addHook('preClose', async () => {
    for (const controller of waitingClaims) controller.abort();
  });

  async function leaseOf(request: FastifyRequest, team: string, jobId: string, body: z.infer<typeof LeaseBody>): Promise<Lease> {
    const access = await teamAccess(ctx, request, team, 'member');
    return { teamId: access.team.id, jobId, agent: body.agent, attempt: body.attempt };
  }

  app.post(
    '/api/v1/teams/:team/queues/:queue/claim',
    {
      schema: {
        tags: ['agents'],
        operationId: 'claimJob',
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
          await releaseJob(ctx, { teamId: team.id, jobId: job.id, agent: job.agent!, attempt: job.attempts }, 'the agent disconnected during its claim', outcomes);
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
        operationId: 'sendJobHeartbeat',
        errorResponses: { add: [409] },
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
        operationId: 'appendJobLog',
        errorResponses: { add: [409] },
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
        operationId: 'reportJobResult',
        errorResponses: { add: [409] },
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
      return reportResult(ctx, lease, { exitCode: request.body.exitCode, error: request.body.error }, outcomes);
    },
  );

  app.post(
    '/api/v1/teams/:team/jobs/:jobId/release',
    {
      schema: {
        tags: ['agents'],
        operationId: 'releaseJob',
        errorResponses: { add: [409] },
        summary: 'Hand a job back (agents shutting down): queued again, the attempt not counted',
        params: JobParams,
        body: LeaseBody.extend({ reason: z.string().max(500).default('the agent is shutting down') }),
        response: { 200: z.object({ state: State }) },
      },
    },
    async (request) => {
      const lease = await leaseOf(request, request.params.team, request.params.jobId, request.body);
      return releaseJob(ctx, lease, request.body.reason, outcomes);
    },
  );
}
