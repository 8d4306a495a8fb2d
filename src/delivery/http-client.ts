// The guarded HTTP sender for webhook deliveries and the webhook Test button.
//
// Per request: check the URL (core/urls.ts) → resolve the host once → refuse if ANY address is forbidden → connect
// to exactly a vetted address → POST → read at most 64 KiB of the answer. Redirects are returned, never followed.
//
// Pinning: the request's `host` is the vetted address itself (the name travels only in the Host header and as the
// TLS servername, so SNI and certificate checks still use the name). Nothing resolves the name a second time, so
// DNS rebinding between the check and the connection is impossible, and the keep-alive pool is keyed by address:
// a pooled socket is always one opened to an address vetted for that request.
//
// node:http with a keep-alive Agent, not undici or fetch: it sends about twice as many requests per second as
// undici.request (bench/results/design-measurements.md#http-client; bench/http-baseline.ts measures it).
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { type Cidr, hostnameAddress, inCidrs } from '../core/ip.js';
import { checkWebhookUrl, isForbiddenAddress } from '../core/urls.js';

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface SendResult {
  /** null when there was no HTTP response (network error, timeout, or blocked). */
  status: number | null;
  headers: Record<string, string>;
  /** The first maxResponseBytes of the response body, decoded as UTF-8. */
  body: string;
  durationMs: number;
  /** A short human message: the network error, the timeout, or why the target is refused. */
  error: string | null;
  /** True when the SSRF rules refused the target: nothing was sent. */
  blocked: boolean;
  retryAfter: string | null;
}

export interface Resolver {
  (hostname: string): Promise<Array<{ address: string; family: 4 | 6 }>>;
}

export interface WebhookClientOptions {
  allow: Cidr[];
  resolver?: Resolver;
  maxResponseBytes?: number;
  /** CA certificates (PEM) trusted in addition to Node's roots, for operators' internal endpoints. */
  extraCa?: string[];
}

export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
/** The one User-Agent of Modelyard's outgoing requests (delivery/headers.ts sends it with every delivery). */
export const USER_AGENT = 'Modelyard-Webhooks/1.0';
// Enough parallel connections per target for a busy worker; a keep-alive pool this size costs only idle sockets.
const MAX_SOCKETS_PER_TARGET = 256;
const CHECKED_URL_CACHE_LIMIT = 1000;

const systemResolver: Resolver = async (hostname) => {
  const addresses = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return addresses.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
};

/** A failure of one connection attempt, with what it means for trying again. */
class AttemptError extends Error {
  constructor(
    message: string,
    /** Nothing reached the server (connect failed): another address may be tried. */
    readonly beforeConnect: boolean,
    /** A pooled keep-alive socket turned out closed by the server: the same request may be sent again once. */
    readonly staleSocket: boolean,
  ) {
    super(message);
  }
}

class TimeoutError extends Error {}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN']);

/** Short, stable messages: no addresses, no response content, no Node internals. */
export function describeNetworkError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset by the server';
    case 'EPIPE':
      return 'connection closed by the server while sending';
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ENOTFOUND':
      return 'the host name does not resolve';
    case 'EAI_AGAIN':
      return 'temporary DNS failure';
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'TLS handshake failed';
    case 'CERT_HAS_EXPIRED':
      return 'TLS certificate has expired';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'TLS certificate is self-signed';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'TLS certificate is not trusted';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'TLS certificate does not match the host name';
    default:
      if (code.startsWith('HPE_')) return 'invalid HTTP response';
      return code ? `network error (${code})` : 'network error';
  }
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

interface Target {
  url: URL;
  /** The URL's host is an IP literal (already checked against the allow list): no DNS. */
  literal: string | null;
}

export class WebhookClient {
  private readonly allow: Cidr[];
  private readonly resolver: Resolver;
  private readonly maxResponseBytes: number;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_TARGET, scheduling: 'lifo' });
  private readonly httpsAgent: https.Agent;
  // Deliveries go to few distinct URLs; their (pure) save-time check is done once per URL, not per request.
  private readonly checkedUrls = new Map<string, Target | { reason: string }>();

  constructor(options: WebhookClientOptions) {
    this.allow = options.allow;
    this.resolver = options.resolver ?? systemResolver;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: MAX_SOCKETS_PER_TARGET,
      scheduling: 'lifo',
      ...(options.extraCa?.length ? { ca: [...tls.rootCertificates, ...options.extraCa] } : {}),
    });
  }

  async send(request: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const deadline = started + request.timeoutMs;
    const finish = (partial: Partial<SendResult>): SendResult => ({
      status: null,
      headers: {},
      body: '',
      error: null,
      blocked: false,
      retryAfter: null,
      ...partial,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });

    const target = this.checkUrl(request.url);
    if ('reason' in target) return finish({ error: target.reason, blocked: true });

    let addresses: string[];
    if (target.literal !== null) {
      addresses = [target.literal];
    } else {
      let resolved: Array<{ address: string; family: 4 | 6 }>;
      try {
        resolved = await withDeadline(this.resolver(target.url.hostname), deadline);
      } catch (error) {
        if (error instanceof TimeoutError) return finish({ error: `timed out after ${request.timeoutMs} ms` });
        return finish({ error: describeNetworkError(error) });
      }
      if (resolved.length === 0) return finish({ error: 'the host name does not resolve' });
      for (const { address } of resolved) {
        const reason = isForbiddenAddress(address, this.allow);
        if (reason !== null) return finish({ error: reason, blocked: true });
        if (target.url.protocol === 'http:' && !inCidrs(address, this.allow)) {
          return finish({ error: 'http is only allowed to networks in MODELYARD_WEBHOOK_ALLOW; use https', blocked: true });
        }
      }
      // IPv4 first: hosts with both families often have no working IPv6 route.
      addresses = [...resolved].sort((a, b) => a.family - b.family).map((entry) => entry.address);
    }

    const body = Buffer.from(request.body, 'utf8');
    let lastError = 'network error';
    for (let index = 0; index < addresses.length; index += 1) {
      for (let send = 0; send < 2; send += 1) {
        try {
          return finish(await this.post(target.url, addresses[index]!, request.headers, body, deadline));
        } catch (error) {
          if (error instanceof TimeoutError) return finish({ error: `timed out after ${request.timeoutMs} ms` });
          // http.request throws synchronously on malformed headers (e.g. a line break in a value).
          if (!(error instanceof AttemptError)) return finish({ error: `invalid request (${(error as NodeJS.ErrnoException).code ?? 'unknown'})` });
          const failure = error;
          lastError = failure.message;
          if (failure.staleSocket && send === 0) continue;
          if (failure.beforeConnect) break;
          return finish({ error: failure.message });
        }
      }
    }
    return finish({ error: lastError });
  }

  async close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private checkUrl(url: string): Target | { reason: string } {
    const cached = this.checkedUrls.get(url);
    if (cached) return cached;
    const check = checkWebhookUrl(url, this.allow);
    let target: Target | { reason: string };
    if (!check.ok) target = { reason: check.reason };
    else {
      const literal = hostnameAddress(check.url.hostname);
      target = { url: check.url, literal: literal === null ? null : literal.toString() };
    }
    if (this.checkedUrls.size >= CHECKED_URL_CACHE_LIMIT) this.checkedUrls.clear();
    this.checkedUrls.set(url, target);
    return target;
  }

  private post(url: URL, address: string, headers: Record<string, string>, body: Buffer, deadline: number): Promise<Partial<SendResult>> {
    const remaining = deadline - performance.now();
    if (remaining <= 0) return Promise.reject(new TimeoutError());
    const isHttps = url.protocol === 'https:';
    const name = hostnameAddress(url.hostname) === null ? url.hostname : null;
    const requestHeaders: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      ...lowerCaseKeys(headers),
      host: url.host,
      'content-length': String(body.length),
    };
    const options: https.RequestOptions = {
      method: 'POST',
      host: address,
      port: url.port === '' ? (isHttps ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers: requestHeaders,
      agent: isHttps ? this.httpsAgent : this.httpAgent,
      ...(isHttps && name !== null ? { servername: name } : {}),
    };

    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const req = (isHttps ? https : http).request(options, (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        const complete = () =>
          settle(() =>
            resolve({
              status: res.statusCode ?? null,
              headers: flattenHeaders(res.headers),
              body: Buffer.concat(chunks).toString('utf8'),
              retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null,
            }),
          );
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          const room = this.maxResponseBytes - received;
          if (chunk.length >= room) {
            // Enough read: the rest is never downloaded, and the connection is not reused.
            chunks.push(chunk.subarray(0, room));
            received += room;
            complete();
            res.destroy();
            return;
          }
          chunks.push(chunk);
          received += chunk.length;
        });
        res.on('end', complete);
        // A response stream fails only when the connection goes away mid-body (Node reports it as ECONNRESET).
        const aborted = () => settle(() => reject(new AttemptError('connection closed while reading the response', false, false)));
        res.on('error', aborted);
        res.on('close', () => {
          if (!res.complete) aborted();
        });
      });
      const timer = setTimeout(() => {
        settle(() => reject(new TimeoutError()));
        req.destroy();
      }, remaining);
      req.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? '';
        settle(() =>
          reject(new AttemptError(describeNetworkError(error), CONNECT_FAILURES.has(code), req.reusedSocket && code === 'ECONNRESET')),
        );
      });
      req.end(body);
    });
  }
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const lowered: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) lowered[name.toLowerCase()] = value;
  return lowered;
}

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  const remaining = deadline - performance.now();
  if (remaining <= 0) return Promise.reject(new TimeoutError());
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError()), remaining);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
