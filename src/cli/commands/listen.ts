// `modelyard listen --webhook NAME --forward-to URL [--automation ID] [--team T] [--secret NAME]`: real deliveries on
// a laptop that the server cannot reach (docs/receivers.md). Creates the listen webhook NAME (or reuses it), opens the
// team's event stream for it, forwards each delivery to the local URL byte for byte with its headers and signatures,
// acknowledges it with the local answer (which finishes the run as a delivery would), and prints one line per delivery.
//
// Resuming: the last event id is saved (a file per team and webhook under the config dir) as soon as it arrives. A
// listener killed and started again resumes with it: the deliveries it was sent but had not acknowledged come again at
// once (the local receiver may see one of them twice: it carries the same webhook-id), none it acknowledged ever does.
// With --automation, that automation's runs are copied to the listener while it runs (the real webhook still gets
// them); the copy is removed when the listener stops, and expires by itself a couple of minutes after a kill.
//
// Plain undici here, not the typed client (src/client) being written alongside: forwarding must send exactly the
// stream's headers and bytes, which undici.request does (fetch adds headers of its own).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { request } from 'undici';
import { AppError } from '../../core/errors.js';
import { loadSavedLogin } from './login.js';

/** The start of the local answer that is reported (the server keeps at most this much, as for deliveries). */
const ANSWER_EXCERPT_BYTES = 64 * 1024;
/** Reconnecting after the stream dropped: starts at the first delay, doubles up to the last. */
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;
/** With no heartbeat (sent every 15 s) for this long the connection is taken for dead and opened again. */
const STREAM_IDLE_MS = 45_000;

export interface ServerEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Server-Sent Events from a byte stream (the WHATWG parsing rules: LF, CR or CRLF line ends, `:` comments, multi-line
 * data joined by LF, an event dispatched at a blank line).
 */
export async function* readEventStream(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<ServerEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (end < 0 || (buffer[end] === '\r' && end === buffer.length - 1)) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id' && !value.includes('\u0000')) id = value;
    }
  }
}

/** A delivery as the stream sends it (src/delivery/listen.ts, StreamDelivery). */
interface StreamDelivery {
  runId: string;
  attempt: number;
  eventType: string;
  version: string | null;
  forwardedFrom: string | null;
  body: string;
  headers: Record<string, string>;
}

interface Api {
  url: string;
  apiKey: string;
  team: string;
}

async function call(api: Api, method: 'GET' | 'POST' | 'PUT' | 'DELETE', pathname: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await request(`${api.url}/api/v1/teams/${encodeURIComponent(api.team)}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${api.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the error message.
  }
  return { status: response.statusCode, body: parsed };
}

function failure(action: string, reply: { status: number; body: any }): AppError {
  const message = (reply.body as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${reply.status}`;
  return new AppError(reply.status === 404 ? 'not_found' : 'invalid_request', `${action}: ${message}`);
}

/** Finds the listen webhook NAME, or creates it; a push webhook of that name is refused (its deliveries go to its URL). */
async function ensureListenWebhook(api: Api, name: string, secret: string | null): Promise<'created' | 'reused'> {
  const list = await call(api, 'GET', '/webhooks');
  if (list.status !== 200) throw failure('listing webhooks', list);
  const existing = (list.body.items as Array<{ name: string; mode: string }>).find((w) => w.name === name);
  if (existing) {
    if (existing.mode !== 'listen') throw new AppError('invalid_request', `webhook "${name}" sends to a URL; name a new one for listening (it is created as a listen webhook)`);
    return 'reused';
  }
  const created = await call(api, 'POST', '/webhooks', { name, mode: 'listen', secret });
  if (created.status !== 201) throw failure(`creating listen webhook "${name}"`, created);
  return 'created';
}

function cursorFile(team: string, webhook: string, env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  const safe = (text: string) => encodeURIComponent(text).replace(/%/g, '_');
  return path.join(configHome, 'modelyard', 'listen', `${safe(team)}--${safe(webhook)}.cursor`);
}

function readCursor(file: string): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

function writeCursor(file: string, id: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${id}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

interface LocalAnswer {
  status: number | null;
  headers: Record<string, string>;
  body: string;
  durationMs: number;
  error: string | null;
}

/** POSTs the delivery to the local receiver exactly as the server would have sent it. */
async function forward(target: string, delivery: StreamDelivery, timeoutMs: number): Promise<LocalAnswer> {
  const started = performance.now();
  try {
    const response = await request(target, {
      method: 'POST',
      headers: delivery.headers,
      body: Buffer.from(delivery.body, 'utf8'),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      if (size < ANSWER_EXCERPT_BYTES) chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const body = Buffer.concat(chunks).subarray(0, ANSWER_EXCERPT_BYTES).toString('utf8');
    return { status: response.statusCode, headers, body, durationMs: Math.round(performance.now() - started), error: null };
  } catch (error) {
    return { status: null, headers: {}, body: '', durationMs: Math.round(performance.now() - started), error: `could not reach ${target}: ${(error as Error).message}` };
  }
}

function deliveryLine(delivery: StreamDelivery, answer: LocalAnswer, ackNote: string): string {
  const time = new Date().toISOString().slice(11, 19);
  const local = answer.status === null ? `error (${answer.error})` : String(answer.status);
  const copy = delivery.forwardedFrom === null ? '' : ' [forwarded]';
  const attempt = delivery.attempt > 1 ? ` attempt ${delivery.attempt}` : '';
  return `${time}  ${delivery.eventType}  ${delivery.version ?? '-'}  → ${local}  ${answer.durationMs} ms${attempt}${copy}${ackNote}\n`;
}

export interface ListenOptions {
  api: Api;
  webhook: string;
  forwardTo: string;
  automation?: string;
  secret: string | null;
  timeoutMs: number;
  cursorFile: string;
  signal: AbortSignal;
  out: (line: string) => void;
}

/** Runs until `signal` aborts: the stream, reconnecting with the saved cursor whenever it drops. */
export async function listen(options: ListenOptions): Promise<void> {
  const { api, signal, out } = options;
  const how = await ensureListenWebhook(api, options.webhook, options.secret);
  if (options.automation !== undefined) {
    const forwarded = await call(api, 'PUT', `/automations/${encodeURIComponent(options.automation)}/forward`, { webhook: options.webhook });
    if (forwarded.status !== 200) throw failure(`forwarding automation ${options.automation}`, forwarded);
  }
  out(
    `listening on webhook "${options.webhook}" (${how}) of team ${api.team}${options.automation ? `, with copies of automation ${options.automation}` : ''}; forwarding to ${options.forwardTo} — Ctrl-C to stop\n`,
  );
  let delay = RECONNECT_MIN_MS;
  try {
    while (!signal.aborted) {
      const connected = await streamOnce(options).catch((error: unknown) => {
        if ((error as { fatal?: boolean }).fatal) throw error;
        if (!signal.aborted) out(`stream interrupted: ${(error as Error).message}; reconnecting\n`);
        return false;
      });
      if (signal.aborted) break;
      delay = connected ? RECONNECT_MIN_MS : Math.min(delay * 2, RECONNECT_MAX_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done);
      });
    }
  } finally {
    if (options.automation !== undefined) await call(api, 'DELETE', `/automations/${encodeURIComponent(options.automation)}/forward`).catch(() => undefined);
  }
}

/** One connection to the stream; true when it was established (the next reconnect need not back off). */
async function streamOnce(options: ListenOptions): Promise<boolean> {
  const { api, signal, out } = options;
  const lastId = readCursor(options.cursorFile);
  const connection = new AbortController();
  const abort = () => connection.abort();
  signal.addEventListener('abort', abort);
  let idle: NodeJS.Timeout | undefined;
  const stillAlive = () => {
    clearTimeout(idle);
    idle = setTimeout(abort, STREAM_IDLE_MS);
  };
  try {
    const response = await request(`${api.url}/api/v1/teams/${encodeURIComponent(api.team)}/stream?webhook=${encodeURIComponent(options.webhook)}`, {
      headers: { authorization: `Bearer ${api.apiKey}`, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
      signal: connection.signal,
      bodyTimeout: 0,
    });
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // kept as text
      }
      const reply = { status: response.statusCode, body: parsed };
      // A refused request (bad key, no such team or webhook, not an admin) will not get better by retrying.
      if (response.statusCode >= 400 && response.statusCode < 500) throw Object.assign(failure('opening the stream', reply), { fatal: true });
      throw failure('opening the stream', reply);
    }
    stillAlive();
    const chunks = (async function* () {
      for await (const chunk of response.body) {
        stillAlive();
        yield chunk as Buffer;
      }
    })();
    for await (const event of readEventStream(chunks)) {
      if (event.id !== undefined) writeCursor(options.cursorFile, event.id);
      if (event.event !== 'delivery') continue;
      const delivery = JSON.parse(event.data) as StreamDelivery;
      const answer = await forward(options.forwardTo, delivery, options.timeoutMs);
      const ack = await call(api, 'POST', `/runs/${encodeURIComponent(delivery.runId)}/ack`, { ...answer, forwardedTo: options.forwardTo });
      const note =
        ack.status === 200
          ? ack.body.state === 'pending'
            ? `  (retried at ${ack.body.nextAttemptAt})`
            : ack.body.state === 'failed'
              ? '  (failed)'
              : ''
          : `  (not acknowledged: ${(ack.body as { error?: { message?: string } })?.error?.message ?? `HTTP ${ack.status}`})`;
      out(deliveryLine(delivery, answer, note));
    }
    return true;
  } catch (error) {
    if (signal.aborted && !(error as { fatal?: boolean }).fatal) return true;
    throw error;
  } finally {
    clearTimeout(idle);
    signal.removeEventListener('abort', abort);
    connection.abort();
  }
}

export function registerListenCommand(program: Command): void {
  program
    .command('listen')
    .description("forward a listen webhook's deliveries to a local URL (no inbound connection needed)")
    .requiredOption('--webhook <name>', 'the listen webhook (created when it does not exist)')
    .requiredOption('--forward-to <url>', 'the local receiver, e.g. http://localhost:3000/hook')
    .option('--automation <id>', "also receive copies of this automation's deliveries while listening (its webhook is untouched)")
    .option('--team <team>', 'the team (default: MODELYARD_TEAM, then the saved login)')
    .option('--secret <name>', 'team secret that signs the deliveries, when the webhook is created')
    .option('--timeout <seconds>', 'how long the local receiver may take to answer', (v) => Number(v), 30)
    .action(async (flags: { webhook: string; forwardTo: string; automation?: string; team?: string; secret?: string; timeout: number }) => {
      const saved = loadSavedLogin();
      const url = (process.env.MODELYARD_URL || saved?.url)?.replace(/\/+$/, '');
      const apiKey = process.env.MODELYARD_API_KEY || saved?.apiKey;
      const team = flags.team || process.env.MODELYARD_TEAM || saved?.team;
      if (!url || !apiKey) throw new AppError('invalid_request', 'set MODELYARD_URL and MODELYARD_API_KEY, or run `modelyard login` first');
      if (!team) throw new AppError('invalid_request', 'name the team with --team or MODELYARD_TEAM');
      if (!/^https?:\/\/[^/]+/.test(flags.forwardTo)) throw new AppError('invalid_request', '--forward-to: must be an http(s) URL such as http://localhost:3000/hook');
      if (!Number.isFinite(flags.timeout) || flags.timeout <= 0) throw new AppError('invalid_request', '--timeout: must be a number of seconds');
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await listen({
          api: { url, apiKey, team },
          webhook: flags.webhook,
          forwardTo: flags.forwardTo,
          automation: flags.automation,
          secret: flags.secret ?? null,
          timeoutMs: flags.timeout * 1000,
          cursorFile: cursorFile(team, flags.webhook),
          signal: controller.signal,
          out: (line) => process.stdout.write(line),
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
