// The Fastify application: plugins, error mapping, authentication, one route file per resource, the OpenAPI
// document (/api/openapi.json, browsable at /api/docs), Prometheus metrics, and the built web UI at /.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { addAuthChallenge, clientErrorHandler, errorHandler } from './errors.js';
import { invalid } from '../core/errors.js';
import { findTextProblem } from '../core/json-limits.js';
import { MAX_PATH_PARAM_LENGTH } from '../core/names.js';
import { registerAuth } from './auth.js';
import { errorComponents, openApiTransform, openApiTransformObject } from './openapi.js';
import { registerMetrics } from './metrics.js';
import { registerSecurityHeaders } from './security-headers.js';
import { routes } from './routes/index.js';
import type { Api } from './api.js';

export type { Api };

const here = path.dirname(fileURLToPath(import.meta.url));
/** The web UI's build output; the same relative place from src/api (tsx) and dist/src/api (compiled). */
export function webRoot(): string {
  const candidates = [path.resolve(here, '../../dist/web'), path.resolve(here, '../../web')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? candidates[0]!;
}

/** JSON bodies (uploads are multipart and bounded by MODELYARD_MAX_UPLOAD_BYTES instead). */
export const MAX_JSON_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The JSON parser, with one difference from Fastify's: an empty body (or only whitespace) is no body rather than a
 * 400, so `curl -H 'Content-Type: application/json' -X POST …/cancel` works on the operations that take none (cancel,
 * requeue, redeliver, logout, deletes). An operation that needs a body still says so (requireBody).
 */
function registerJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser(app.initialConfig.onProtoPoisoning ?? 'error', app.initialConfig.onConstructorPoisoning ?? 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}

/**
 * An operation with a JSON body schema gets a 400 naming the body when none came (no body, or an empty one), rather
 * than a schema message about `undefined`. Uploads (a `consumes` without JSON) read their multipart stream themselves.
 */
function requireBody(request: FastifyRequest): void {
  const schema = request.routeOptions.schema;
  if (!schema?.body || (request.body !== undefined && request.body !== null)) return;
  if (schema.consumes && !schema.consumes.includes('application/json')) return;
  throw invalid('body', 'is missing or empty: this operation takes a JSON object (Content-Type: application/json)', { location: 'body' });
}

/**
 * Path parameters, the query string and the parsed body hold no NUL and nest at most MAX_JSON_DEPTH levels
 * (core/json-limits.ts says why). Multipart bodies are streams read by their handler, which checks its text fields.
 */
function rejectUnsafeText(request: FastifyRequest): void {
  const parts: Array<[location: string, value: unknown]> = [
    ['path', request.params],
    ['query', request.query],
    ['body', request.body],
  ];
  for (const [location, value] of parts) {
    const problem = findTextProblem(value, location);
    if (problem) throw invalid(problem.field, problem.message, { location });
  }
}

export interface BuildAppOptions {
  /** Serve the web UI (off in API-only tests to save the static setup). */
  ui?: boolean;
}

export async function buildApp(ctx: AppContext, options: BuildAppOptions = {}): Promise<Api> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    // Per-request lines only at debug/trace: at info they would cost more than a registry request itself.
    logController: new LogController({
      disableRequestLogging: ctx.config.logLevel !== 'debug' && ctx.config.logLevel !== 'trace',
    }),
    bodyLimit: MAX_JSON_BODY_BYTES,
    trustProxy: ctx.config.trustProxy,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    frameworkErrors: errorHandler,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  registerSecurityHeaders(app);
  app.addHook('onSend', addAuthChallenge);
  registerJsonParser(app);
  // Before validation, so neither zod nor any handler sees a NUL or a document nested too deep.
  app.addHook('preValidation', async (request) => {
    rejectUnsafeText(request);
    requireBody(request);
  });

  await app.register(fastifyCookie);
  await app.register(fastifyMultipart, {
    limits: { fileSize: ctx.config.maxUploadBytes, files: 10_000, fields: 100, fieldSize: 1024 * 1024 },
    throwFileSizeLimit: true,
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Modelyard API',
        version: '1.0.0',
        description:
          'Model registry with automations. Authenticate with `Authorization: Bearer <api key>` or the session cookie from POST /api/v1/login (then send X-CSRF-Token on changes).',
      },
      // The document served by a server names that server's public URL when it has one (a client generated from a
      // downloaded copy then reaches it, also behind a path prefix); otherwise `/`, which resolves against wherever
      // the document was fetched. The committed docs/openapi.json is generated without one, so it says `/`.
      servers: [
        ctx.config.publicUrl
          ? { url: ctx.config.publicUrl.replace(/\/+$/, ''), description: 'This server (MODELYARD_PUBLIC_URL)' }
          : { url: '/', description: 'The server this document was fetched from' },
      ],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'modelyard_session' },
        },
        ...errorComponents(),
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    stripBasePath: false,
    transform: openApiTransform,
    transformObject: openApiTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerAuth(app, ctx);
  registerMetrics(app, ctx);

  for (const route of routes) await app.register(async (scope) => route(scope as unknown as Api, ctx));

  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/') || request.method !== 'GET' || !options.ui) {
      return reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
    }
    // Client-side routes of the single-page UI all serve index.html.
    return reply.type('text/html').sendFile('index.html');
  });

  if (options.ui) {
    await app.register(fastifyStatic, { root: webRoot(), wildcard: false, index: ['index.html'] });
  }
  return app as unknown as Api;
}
