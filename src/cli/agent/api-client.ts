// The agent's side of the HTTP protocol (see src/api/routes/agent.ts), through the one typed client (src/client).
// Requests go through undici's fetch with one keep-alive Agent: the claim long-poll needs a response timeout longer
// than its `wait`, which the global fetch does not let us set.
import { Agent, fetch as undiciFetch, Request as UndiciRequest } from 'undici';
import { ApiError, createApi, ok, type Api } from '../../client/core.js';

export { ApiError } from '../../client/core.js';

/** Extra time over `wait` before the agent gives up on a claim response (server slow, network stalled). */
const CLAIM_TIMEOUT_MARGIN_MS = 15_000;
/** Every other call is small and quick. */
const CALL_TIMEOUT_MS = 30_000;

/**
 * The event an automation created the job for (null for jobs enqueued by hand; absent from older servers). The wire
 * shape of src/queues/job-event.ts, kept loose on purpose: `type` is any string, so an agent keeps working when a newer
 * server adds event types.
 */
export interface JobEvent {
  type: string;
  model: string;
  version: string | null;
  alias: string | null;
  artifactVersionString: string;
  author: string;
  eventId: string;
}

export interface ClaimedJob {
  id: string;
  queue: string;
  payload: unknown;
  event?: JobEvent | null;
  attempts: number;
  agent: string;
  leaseMs: number;
}

export interface Lease {
  agent: string;
  attempt: number;
}

/** The job is no longer this agent's (requeued after a lost lease, cancelled with its queue, deleted). */
export function leaseLost(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 409 || error.status === 404);
}

export class AgentApi {
  private readonly dispatcher: Agent;
  private readonly api: Api;

  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
    readonly team: string,
    claimWaitSeconds: number,
  ) {
    this.dispatcher = new Agent({
      headersTimeout: claimWaitSeconds * 1000 + CLAIM_TIMEOUT_MARGIN_MS,
      bodyTimeout: claimWaitSeconds * 1000 + CLAIM_TIMEOUT_MARGIN_MS,
      keepAliveTimeout: 60_000,
    });
    this.api = createApi({
      baseUrl,
      apiKey,
      fetch: undiciFetch as unknown as (request: Request) => Promise<Response>,
      Request: UndiciRequest as unknown as typeof Request,
      requestInitExt: { dispatcher: this.dispatcher },
    });
  }

  private signal(timeoutMs = CALL_TIMEOUT_MS, signal?: AbortSignal): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]);
  }

  private job(jobId: string) {
    return { path: { team: this.team, jobId } };
  }

  /** Waits up to `waitSeconds` for a job; undefined when none came (or `signal` ended the wait). */
  async claim(queue: string, agent: string, waitSeconds: number, signal: AbortSignal): Promise<ClaimedJob | undefined> {
    const job = await ok(
      this.api.POST('/api/v1/teams/{team}/queues/{queue}/claim', {
        params: { path: { team: this.team, queue }, query: { wait: waitSeconds } },
        body: { agent },
        signal: this.signal(waitSeconds * 1000 + CLAIM_TIMEOUT_MARGIN_MS, signal),
      }),
    );
    return (job as ClaimedJob | undefined) ?? undefined;
  }

  async heartbeat(jobId: string, lease: Lease): Promise<{ cancel: boolean }> {
    const reply = await ok(
      this.api.POST('/api/v1/teams/{team}/jobs/{jobId}/heartbeat', { params: this.job(jobId), body: { ...lease, state: 'running' }, signal: this.signal() }),
    );
    return { cancel: reply?.cancel === true };
  }

  async log(jobId: string, lease: Lease, text: string): Promise<void> {
    await ok(this.api.POST('/api/v1/teams/{team}/jobs/{jobId}/log', { params: this.job(jobId), body: { ...lease, text }, signal: this.signal() }));
  }

  async result(jobId: string, lease: Lease, exitCode: number | null, error?: string): Promise<{ state: string }> {
    const reply = await ok(
      this.api.POST('/api/v1/teams/{team}/jobs/{jobId}/result', {
        params: this.job(jobId),
        body: { ...lease, exitCode, ...(error ? { error } : {}) },
        signal: this.signal(),
      }),
    );
    return { state: reply?.state ?? 'unknown' };
  }

  async release(jobId: string, lease: Lease, reason: string): Promise<void> {
    await ok(this.api.POST('/api/v1/teams/{team}/jobs/{jobId}/release', { params: this.job(jobId), body: { ...lease, reason }, signal: this.signal() }));
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
