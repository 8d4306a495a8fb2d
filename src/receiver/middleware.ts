// Receiver middleware: each hands the raw body bytes to verifyDelivery before anything parses them (a signature
// covers the exact bytes; re-encoded JSON would not verify), answers 401 with the reason when the check fails, and
// gives the handler the verified delivery. No framework is imported: the Express one is a plain (req, res, next)
// function, the Fastify one a plugin built on Fastify's public hooks (Fastify's types only), the node:http one a request listener.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import { headerValue, verifyDelivery, type VerifyResult } from './verify.js';

export interface ReceiverOptions {
  /** The webhook's signing secret (team secret text, or a `whsec_…` key). */
  secret: string;
  /** How far `webhook-timestamp` may be from now, in seconds (default 300). */
  toleranceSeconds?: number;
  /** The largest body read, in bytes (default 1 MiB; Modelyard's payloads are far smaller). */
  maxBodyBytes?: number;
}

/** A delivery whose signature verified. */
export interface VerifiedDelivery {
  /** The delivery id (`webhook-id`): stable across retries, so a receiver can ignore repeats. Null without it. */
  id: string | null;
  scheme: 'standard-webhooks' | 'wandb';
  /** The raw body bytes. */
  body: Buffer;
  /** The body parsed as JSON. */
  payload: unknown;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

class ReceiverError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a request body whole, refusing (413) one larger than `limit` without buffering the rest. */
export function readRawBody(req: IncomingMessage, limit = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        reject(new ReceiverError(413, `the body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Verifies raw bytes and parses them; throws ReceiverError (401 or 400) when the delivery is not acceptable. */
export function checkDelivery(options: ReceiverOptions, body: Buffer, headers: Parameters<typeof headerValue>[0]): VerifiedDelivery {
  const result: VerifyResult = verifyDelivery({ body, headers, secret: options.secret, toleranceSeconds: options.toleranceSeconds });
  if (!result.ok) throw new ReceiverError(401, result.reason);
  let payload: unknown;
  try {
    payload = body.length === 0 ? null : JSON.parse(body.toString('utf8'));
  } catch {
    throw new ReceiverError(400, 'the body is not JSON');
  }
  return { id: headerValue(headers, 'webhook-id') ?? null, scheme: result.scheme, body, payload };
}

function refuse(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ error: message }));
}

function statusOf(error: unknown): number {
  return error instanceof ReceiverError ? error.status : 500;
}

/**
 * A node:http request listener: reads and verifies the body, then calls `handler`. A handler that throws before
 * answering gets a 500 (its message is not sent: it may hold anything).
 */
export function nodeReceiver(
  options: ReceiverOptions,
  handler: (delivery: VerifiedDelivery, req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      let delivery: VerifiedDelivery;
      try {
        delivery = checkDelivery(options, await readRawBody(req, options.maxBodyBytes), req.headers);
      } catch (error) {
        refuse(res, statusOf(error), error instanceof ReceiverError ? error.message : 'the body could not be read');
        return;
      }
      try {
        await handler(delivery, req, res);
      } catch {
        refuse(res, 500, 'the receiver failed to handle the delivery');
      }
    })();
  };
}

/** What the Express middleware reads of a request (Express's `req` is a node:http request with `body` added). */
export type ExpressLikeRequest = IncomingMessage & { body?: unknown; rawBody?: unknown; delivery?: VerifiedDelivery };

/**
 * Express-style middleware `(req, res, next)`. The raw body is taken from `express.raw({ type: 'application/json' })`
 * (a Buffer in `req.body`), from `req.rawBody` when another middleware kept it, or read from the request itself
 * when nothing has consumed it. A body that a JSON parser already consumed cannot be verified: that is a setup
 * mistake and goes to `next(error)`. On success `req.delivery` is the verified delivery and `req.body` its payload.
 */
export function expressReceiver(options: ReceiverOptions): (req: ExpressLikeRequest, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    void (async () => {
      let raw: Buffer;
      if (Buffer.isBuffer(req.body)) raw = req.body;
      else if (Buffer.isBuffer(req.rawBody)) raw = req.rawBody;
      else if (req.body === undefined && !req.readableEnded) {
        try {
          raw = await readRawBody(req, options.maxBodyBytes);
        } catch (error) {
          refuse(res, statusOf(error), error instanceof ReceiverError ? error.message : 'the body could not be read');
          return;
        }
      } else {
        next(new Error('the request body was already parsed, so its signature cannot be checked: mount express.raw({ type: "application/json" }) on this route instead of express.json()'));
        return;
      }
      try {
        const delivery = checkDelivery(options, raw, req.headers);
        req.delivery = delivery;
        req.body = delivery.payload;
      } catch (error) {
        refuse(res, statusOf(error), (error as Error).message);
        return;
      }
      next();
    })();
  };
}

/** What the Fastify plugin adds to a request of its scope. */
export interface ReceiverRequestFields {
  rawBody?: Buffer;
  delivery?: VerifiedDelivery;
}

/**
 * A Fastify plugin for the scope it is registered in (it is not encapsulated, like fastify-plugin's): JSON bodies of
 * that scope are kept raw for the check, every request is verified before its handler (401 with the reason when it
 * fails), and `request.delivery` is the verified delivery, `request.body` its payload.
 *
 *   app.register(async (scope) => {
 *     await scope.register(fastifyReceiver({ secret }));
 *     scope.post('/hook', async (request) => …request.delivery…);
 *   });
 */
export function fastifyReceiver(options: ReceiverOptions): FastifyPluginCallback {
  const plugin: FastifyPluginCallback = (instance, _opts, done) => {
    instance.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES }, (req, body, parsed) => {
      (req as ReceiverRequestFields).rawBody = body as Buffer;
      parsed(null, body);
    });
    instance.addHook('preHandler', async (request, reply) => {
      try {
        const fields = request as ReceiverRequestFields;
        const delivery = checkDelivery(options, fields.rawBody ?? Buffer.alloc(0), request.headers);
        fields.delivery = delivery;
        request.body = delivery.payload;
      } catch (error) {
        return reply.code(statusOf(error)).send({ error: (error as Error).message });
      }
      return undefined;
    });
    done();
  };
  // What fastify-plugin sets: the hooks and parser apply to the scope that registers the plugin.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return plugin;
}
