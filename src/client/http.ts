// HTTP for Node through node:http / node:https rather than undici: a CLI process pays about 20 MB of memory for
// undici's WebAssembly HTTP parser (measured: a process making one request peaks at 65 MB with undici, 43 MB with
// node:http), which matters for a command-line tool whose whole budget is 100 MB (bench/cli-upload.bench.ts).
// `nodeFetch` is a fetch for openapi-fetch (small JSON calls); `send` streams request and response bodies.
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Readable | Buffer | string;
  signal?: AbortSignal;
}

/** One request; resolves with the response (its body unread) once the headers arrived. */
export function send(url: string, options: SendOptions = {}): Promise<http.IncomingMessage> {
  const target = new URL(url);
  const protocol = target.protocol === 'https:' ? 'https:' : 'http:';
  const transport = protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(target, { method: options.method ?? 'GET', headers: options.headers, agent: agents[protocol], signal: options.signal }, resolve);
    request.on('error', reject);
    const body = options.body;
    if (body === undefined) request.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) request.end(body);
    else {
      body.on('error', (error) => request.destroy(error));
      body.pipe(request);
    }
  });
}

/** The response's whole body as text (for small answers: JSON and errors). */
export async function readText(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A fetch over node:http for openapi-fetch: request bodies are small JSON; the response body streams. */
export async function nodeFetch(request: Request): Promise<Response> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => (headers[key] = value));
  const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
  if (body) headers['content-length'] = String(body.length);
  let response: http.IncomingMessage;
  try {
    response = await send(request.url, { method: request.method, headers, ...(body ? { body } : {}), signal: request.signal });
  } catch (error) {
    throw new TypeError('fetch failed', { cause: error });
  }
  const status = response.statusCode ?? 0;
  const responseHeaders = new Headers();
  for (const [key, value] of Object.entries(response.headers)) {
    if (Array.isArray(value)) for (const item of value) responseHeaders.append(key, item);
    else if (value !== undefined) responseHeaders.set(key, value);
  }
  const noBody = status === 204 || status === 304 || request.method === 'HEAD';
  if (noBody) response.resume();
  return new Response(noBody ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>), { status, statusText: response.statusMessage ?? '', headers: responseHeaders });
}
