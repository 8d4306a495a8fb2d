// The agent's side of the HTTP protocol (see src/api/routes/agent.ts). undici with one keep-alive Agent: the
// claim long-poll needs a response timeout longer than its `wait`, which the global fetch does not let us set.
import { Agent, request } from 'undici';

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

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** The job is no longer this agent's (requeued after a lost lease, cancelled with its queue, deleted). */
  get leaseLost(): boolean {
    return this.status === 409 || this.status === 404;
  }
}

export class AgentApi {
  private readonly dispatcher: Agent;

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
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal, timeoutMs = CALL_TIMEOUT_MS): Promise<{ status: number; body: T | undefined }> {
    const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
    const response = await request(`${this.baseUrl.replace(/\/+$/, '')}/api/v1/teams/${encodeURIComponent(this.team)}${path}`, {
      method,
      dispatcher: this.dispatcher,
      headers: { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
    const text = await response.body.text();
    const parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (response.statusCode >= 400) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiError(response.statusCode, error?.code ?? 'http_error', error?.message ?? `HTTP ${response.statusCode}`);
    }
    return { status: response.statusCode, body: parsed as T };
  }

  /** Waits up to `waitSeconds` for a job; undefined when none came (or `signal` ended the wait). */
  async claim(queue: string, agent: string, waitSeconds: number, signal: AbortSignal): Promise<ClaimedJob | undefined> {
    const reply = await this.call<ClaimedJob>(
      'POST',
      `/queues/${encodeURIComponent(queue)}/claim?wait=${waitSeconds}`,
      { agent },
      signal,
      waitSeconds * 1000 + CLAIM_TIMEOUT_MARGIN_MS,
    );
    return reply.status === 200 ? reply.body : undefined;
  }

  async heartbeat(jobId: string, lease: Lease): Promise<{ cancel: boolean }> {
    const reply = await this.call<{ cancel: boolean }>('POST', `/jobs/${encodeURIComponent(jobId)}/heartbeat`, { ...lease, state: 'running' });
    return { cancel: reply.body?.cancel === true };
  }

  async log(jobId: string, lease: Lease, text: string): Promise<void> {
    await this.call('POST', `/jobs/${encodeURIComponent(jobId)}/log`, { ...lease, text });
  }

  async result(jobId: string, lease: Lease, exitCode: number | null, error?: string): Promise<{ state: string }> {
    const reply = await this.call<{ state: string }>('POST', `/jobs/${encodeURIComponent(jobId)}/result`, {
      ...lease,
      exitCode,
      ...(error ? { error } : {}),
    });
    return { state: reply.body?.state ?? 'unknown' };
  }

  async release(jobId: string, lease: Lease, reason: string): Promise<void> {
    await this.call('POST', `/jobs/${encodeURIComponent(jobId)}/release`, { ...lease, reason });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
