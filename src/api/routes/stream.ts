// The team's event stream and what listeners do with it (docs/receivers.md): GET …/stream sends the deliveries of the
// team's listen webhooks as Server-Sent Events, POST …/runs/{id}/ack finishes one with the listener's local answer, and
// PUT/DELETE …/automations/{id}/forward copy one automation's runs to a listener. Team admins only: a delivery
// carries the webhook's signatures and access token, as a webhook's receiver gets them.
//
// One stream connection (StreamConnection):
//   OPEN ──▶ SENDING (due runs taken for this connection, written in order; waits for 'drain' when the client reads
//     ▲         │      slowly) ──▶ WAITING (until a CHANNEL_RUNS signal — a commit here, or NOTIFY from another API
//     └─────────┘      process —, the next known due time, or the poll interval) ──▶ SENDING …
//   any ──client gone / server closing──▶ CLOSED (heartbeat cleared, signal unsubscribed, runs taken but not yet
//                                          written given back)
// Event ids are `<connection>.<n>`. A client resuming with the last id it saw (Last-Event-ID, or ?cursor=) gets the
// deliveries its previous connection sent but it did not acknowledge again at once, and never one it acknowledged.
import { z } from 'zod';
import type { ServerResponse } from 'node:http';
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import { CHANNEL_RUNS } from '../../context.js';
import { invalid, notFound } from '../../core/errors.js';
import {
  ACK_BODY_EXCERPT_CHARS,
  acknowledgeStreamRun,
  CHANNEL_STREAM,
  clearForward,
  isConnectionId,
  newConnectionId,
  nextStreamDueAt,
  refreshForwards,
  releaseConnection,
  setForward,
  takeDueStreamRuns,
  type StreamDelivery,
} from '../../delivery/listen.js';
import { teamAccess } from '../auth.js';
import { iso, isoOrNull, TeamParams } from '../schemas.js';

/** Comment lines that keep proxies and the client from taking a quiet stream for a dead one. */
const HEARTBEAT_MS = 15_000;
/** Backstop for a missed wake-up (another process's commit on SQLite, a lost NOTIFY). */
const POLL_MS = 2_000;
/** Deliveries taken per query: a backlog is sent in batches, in order. */
const BATCH = 50;
/** What EventSource clients wait before reconnecting (the `retry:` field). */
const RECONNECT_MS = 2_000;
const EVENT_ID = /^([A-Za-z0-9_-]{8,32})\.(\d{1,15})$/;

const StreamQuery = z.object({
  cursor: z.string().max(64).optional().describe('The last event id received (as Last-Event-ID; the header wins)'),
  webhook: z.string().min(1).max(64).optional().describe("Only this listen webhook's deliveries (default: all of the team's)"),
});

const AckBody = z.object({
  status: z.number().int().min(100).max(599).nullable().describe('The local receiver\'s HTTP status; null when it gave no answer'),
  headers: z.record(z.string().max(256), z.string().max(8192)).default({}).describe('The local answer\'s headers'),
  body: z.string().max(ACK_BODY_EXCERPT_CHARS).default('').describe('The start of the local answer\'s body (at most 64 KiB)'),
  durationMs: z.number().min(0).max(3_600_000),
  error: z.string().max(2048).nullable().default(null).describe('Why no answer came (connection refused, timeout)'),
  forwardedTo: z.string().max(2048).nullable().default(null).describe('The local URL the listener forwarded to, shown in History'),
});

const AckResponse = z.object({
  runId: z.string(),
  state: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.number(),
  nextAttemptAt: z.string().nullable().describe('When a failed answer is sent again on the stream'),
  error: z.string().nullable(),
});

const ForwardResponse = z.object({ automationId: z.string(), webhook: z.string(), expiresAt: z.string() });

function sseEvent(id: string, delivery: StreamDelivery): string {
  // JSON.stringify escapes line breaks, so the data is one line.
  return `id: ${id}\nevent: delivery\ndata: ${JSON.stringify(delivery)}\n\n`;
}

class StreamConnection {
  readonly id = newConnectionId();
  private seq = 0;
  private closed = false;
  private wakeRequested = false;
  private wake: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private unlisten: Array<() => void> = [];

  constructor(
    private readonly ctx: AppContext,
    private readonly filter: { teamId: string; webhookId: string | null },
    private readonly res: ServerResponse,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.requestWake();
  }

  private requestWake(): void {
    this.wakeRequested = true;
    this.wake?.();
  }

  /** Writes, waiting for the client to read when its buffer is full; false once the connection is gone. */
  private async write(text: string): Promise<boolean> {
    if (this.closed || this.res.destroyed) return false;
    if (this.res.write(text)) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
    return !this.closed && !this.res.destroyed;
  }

  async run(resumeFrom: string | null): Promise<void> {
    // The response's 'close' is the connection's end (the client went away, or the server ended it).
    this.res.on('close', () => this.close());
    this.unlisten = [CHANNEL_RUNS, CHANNEL_STREAM].map((channel) => this.ctx.notifier.listen(channel, () => this.requestWake()));
    this.heartbeat = setInterval(() => {
      void this.write(': keep-alive\n\n');
      if (this.filter.webhookId !== null) {
        refreshForwards(this.ctx, this.filter.teamId, this.filter.webhookId).catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'could not refresh forwards'));
      }
    }, HEARTBEAT_MS);
    try {
      if (resumeFrom !== null) await releaseConnection(this.ctx, this.filter.teamId, resumeFrom);
      if (this.filter.webhookId !== null) await refreshForwards(this.ctx, this.filter.teamId, this.filter.webhookId);
      // The connection's id first: a client can resume with it even before any delivery came.
      await this.write(`retry: ${RECONNECT_MS}\nid: ${this.id}.0\nevent: ready\ndata: ${JSON.stringify({ connection: this.id })}\n\n`);
      while (!this.closed) {
        this.wakeRequested = false;
        let taken: StreamDelivery[] = [];
        try {
          taken = await takeDueStreamRuns(this.ctx, { ...this.filter, connection: this.id, limit: BATCH });
        } catch (error) {
          this.ctx.logger.error({ err: error }, 'stream: taking due runs failed; trying again after the poll interval');
        }
        for (const delivery of taken) {
          if (!(await this.write(sseEvent(`${this.id}.${++this.seq}`, delivery)))) break;
        }
        if (this.closed) break;
        if (taken.length === BATCH || this.wakeRequested) continue;
        await this.sleep();
      }
    } finally {
      clearInterval(this.heartbeat);
      for (const unlisten of this.unlisten) unlisten();
      // Runs taken for this connection whose event may not have reached the client are due again at once; the client
      // acknowledges any it did get, and a run acknowledged is not sent again.
      await releaseConnection(this.ctx, this.filter.teamId, this.id).catch(() => undefined);
      if (!this.res.destroyed) this.res.end();
    }
  }

  private async sleep(): Promise<void> {
    let delay = POLL_MS;
    const dueAt = await nextStreamDueAt(this.ctx, this.filter).catch(() => null);
    if (dueAt !== null) delay = Math.max(0, Math.min(delay, dueAt - Date.now()));
    if (this.wakeRequested || this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delay);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }
}

export default async function streamRoutes(app: Api, ctx: AppContext): Promise<void> {
  const open = new Set<StreamConnection>();
  // Open streams never end by themselves: the server ends them when it closes, or closing would wait for them.
  app.addHook('preClose', async () => {
    for (const connection of open) connection.close();
  });

  app.get(
    '/api/v1/teams/:team/stream',
    {
      schema: {
        operationId: 'streamDeliveries',
        errorResponses: { add: [403] },
        tags: ['stream'],
        summary: "The deliveries of the team's listen webhooks as Server-Sent Events (admins)",
        description:
          'text/event-stream. Each `delivery` event is a JSON object: runId, attempt, webhook, automation, eventType, eventId, forwardedFrom, and the exact body and headers (signatures included) a webhook would have received. Acknowledge each with POST /api/v1/teams/{team}/runs/{runId}/ack. Resume with the last event id (Last-Event-ID or ?cursor=): deliveries sent but not acknowledged are sent again, acknowledged ones never.',
        params: TeamParams,
        querystring: StreamQuery,
        response: { 200: z.string().describe('text/event-stream') },
      },
    },
    async (request, reply) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'admin');
      let webhookId: string | null = null;
      if (request.query.webhook !== undefined) {
        const webhook = await ctx.db.selectFrom('webhooks').select(['id', 'mode']).where('team_id', '=', team.id).where('name', '=', request.query.webhook).executeTakeFirst();
        if (!webhook) throw notFound(`webhook ${request.query.webhook}`);
        if (webhook.mode !== 'listen') throw invalid('webhook', `"${request.query.webhook}" is not a listen webhook: its deliveries are sent to its URL`);
        webhookId = webhook.id;
      }
      const header = request.headers['last-event-id'];
      const lastId = (typeof header === 'string' && header !== '' ? header : undefined) ?? request.query.cursor;
      let resumeFrom: string | null = null;
      if (lastId !== undefined && lastId !== '') {
        const match = EVENT_ID.exec(lastId);
        if (!match || !isConnectionId(match[1]!)) throw invalid('cursor', 'must be an event id this stream sent (Last-Event-ID), such as "AbCdEf123456.7"');
        resumeFrom = match[1]!;
      }
      const connection = new StreamConnection(ctx, { teamId: team.id, webhookId }, reply.raw);
      reply.hijack();
      reply.raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        // Reverse proxies (nginx) otherwise buffer the stream.
        'x-accel-buffering': 'no',
      });
      open.add(connection);
      try {
        await connection.run(resumeFrom);
      } catch (error) {
        ctx.logger.error({ err: error }, 'stream: connection failed');
        if (!reply.raw.destroyed) reply.raw.end();
      } finally {
        open.delete(connection);
      }
    },
  );

  app.post(
    '/api/v1/teams/:team/runs/:runId/ack',
    {
      schema: {
        operationId: 'acknowledgeRun',
        tags: ['stream'],
        summary: 'Finish a delivery received on the stream with the local answer (admins): succeeded on 2xx, retried otherwise',
        params: TeamParams.extend({ runId: z.string().max(64) }),
        body: AckBody,
        response: { 200: AckResponse },
      },
    },
    async (request) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'admin');
      const outcome = await acknowledgeStreamRun(ctx, team.id, request.params.runId, request.body);
      return {
        runId: request.params.runId,
        state: outcome.state,
        attempts: outcome.attempts,
        nextAttemptAt: outcome.state === 'pending' ? isoOrNull(outcome.nextAttemptAt) : null,
        error: outcome.state === 'succeeded' ? null : outcome.error,
      };
    },
  );

  app.put(
    '/api/v1/teams/:team/automations/:id/forward',
    {
      schema: {
        operationId: 'forwardAutomation',
        tags: ['stream'],
        summary: "Copy an automation's runs to a listen webhook while a listener is connected (admins); the real webhook is untouched",
        params: TeamParams.extend({ id: z.string().max(64) }),
        body: z.object({ webhook: z.string().min(1).max(64).describe('The listen webhook that gets the copies') }),
        response: { 200: ForwardResponse },
      },
    },
    async (request) => {
      const { team, user } = await teamAccess(ctx, request, request.params.team, 'admin');
      const forward = await setForward(ctx, team.id, user.id, request.params.id, request.body.webhook);
      return { ...forward, expiresAt: iso(forward.expiresAt) };
    },
  );

  app.delete(
    '/api/v1/teams/:team/automations/:id/forward',
    {
      schema: {
        operationId: 'stopForwardingAutomation',
        tags: ['stream'],
        summary: "Stop copying an automation's runs to a listener (admins)",
        params: TeamParams.extend({ id: z.string().max(64) }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const { team } = await teamAccess(ctx, request, request.params.team, 'admin');
      if (!(await clearForward(ctx, team.id, request.params.id))) throw notFound(`forward of automation ${request.params.id}`);
      return reply.status(204).send(null);
    },
  );
}

