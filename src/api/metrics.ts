// Prometheus metrics at GET /metrics: request counts and latencies by route, plus process defaults. Delivery and
// queue gauges are registered by their modules on the same registry. Readable with MODELYARD_METRICS_TOKEN or an
// instance admin's API key (authorizeMetrics).
import type { FastifyInstance } from 'fastify';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppContext } from '../context.js';
import { authorizeMetrics, METRICS_ROUTE } from './auth.js';
import { eventsCounter } from '../automations/event-metrics.js';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'modelyard_' });

const requestDuration = new Histogram({
  name: 'modelyard_http_request_duration_seconds',
  help: 'HTTP request latency by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [metricsRegistry],
});

metricsRegistry.registerMetric(eventsCounter);

export function registerMetrics(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get(METRICS_ROUTE, { schema: { hide: true } }, async (request, reply) => {
    await authorizeMetrics(ctx, request, reply);
    void reply.type(metricsRegistry.contentType);
    return metricsRegistry.metrics();
  });
}
